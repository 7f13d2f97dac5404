/*
 * render.h: the report document ("provenance.report/1", docs/report-format.md)
 * rendered for people: Markdown (terminal, code-hosting sites) and one
 * self-contained HTML file (inline CSS and SVG, no JavaScript, prints to PDF).
 *
 * The document is untrusted: every field is optional except "schema", a field
 * of the wrong type is PROV_EDATA with a message naming the field (for example
 * "report: teachers[0].signals.lexical.p_value: expected a number, found a
 * string"), and every string is escaped for the output format.
 *
 * Rendering is deterministic: the same document gives the same bytes. Numbers
 * are formatted by fixed rules (p-values "5.2e-9", "0.023"; effects, scores
 * and statistics with 2 decimals) with '.' as the decimal separator whatever
 * the locale; there is no clock, no environment and no I/O.
 */
#ifndef PROV_RENDER_H
#define PROV_RENDER_H

#include <stddef.h>
#include <jansson.h>

#include "detect/util.h"
#include "cmd/report_model.h"

/*
 * Render the report document to Markdown / HTML, appending to *out.
 * 0 or PROV_E* (message set): PROV_EDATA for a malformed document (checked
 * before anything is written: *out is untouched) or when *out would grow past
 * its cap ("report: the HTML would be longer than N bytes"; *out then holds a
 * partial rendering to discard), PROV_ENOMEM. Pure: no I/O.
 */
int render_md(struct pbuf *out, const json_t *report);
int render_html(struct pbuf *out, const json_t *report);
/* Any JSON document as the tool writes JSON: indented, reals to 10 digits, a final newline. */
int render_json(struct pbuf *out, const json_t *doc);

/* The commands that re-hash the suspect file, verify, re-render and re-run the case (sh). */
int render_commands(struct pbuf *out, const json_t *doc);

/* The opening paragraph of the chain-of-custody section (plain text with `code` spans as backticks). */
extern const char render_custody_text[];

#endif
