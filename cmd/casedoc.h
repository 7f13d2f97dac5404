/*
 * casedoc.h: a stored case as the document people read (the stored report
 * plus the case header), rendered as JSON, Markdown or HTML; and storing a
 * fresh report as a case.
 */
#ifndef PROV_CASEDOC_H
#define PROV_CASEDOC_H

#include <jansson.h>

#include "cmd/session.h"
#include "corpus/cases.h"

/* The document: the stored report bytes with the "case" header added. The caller owns *out. */
int casedoc_build(json_t **out, const char *stored, size_t len, const struct case_info *ci);

/*
 * Render as "json", "md", "html" or "pdf" into *out (replacing its content).
 * "pdf" prints the HTML with the renderer casedoc_pdf_check found (corpus/pdf.h):
 * PROV_EIO when it fails or none is installed.
 */
int casedoc_render(struct pbuf *out, const json_t *doc, const char *format);

/* Whether `format` is one casedoc_render knows ("json", "md", "html", "pdf"). */
int casedoc_format_ok(const char *format);

/*
 * For --format pdf, before any work: 0 when a renderer is installed (or the
 * format is not pdf); else prints "provenance CMD: --format pdf needs ..."
 * naming the package to install and returns EXIT_UNAVAILABLE.
 */
int casedoc_pdf_check(const char *cmd, const char *format);

/*
 * Append the report of records [first, first + count) of the suspect as a
 * case; *stored receives the exact report bytes stored, *info the case header.
 */
int casedoc_store(struct case_info *info, struct pbuf *stored, struct store *st, json_t *report,
	const struct suspect *s, size_t first, size_t count, const char *name, const char *origin);

/*
 * casedoc_store in two steps: casedoc_prepare does the costly part (the
 * stored report bytes, hashing and compressing the answers; no database, so
 * any thread may run it); casedoc_commit appends the case. The suspect must
 * outlive the pending case; the report is held by it.
 */
struct casedoc_pending;
int casedoc_prepare(struct casedoc_pending **out, json_t *report, const struct suspect *s, size_t first,
	size_t count, const char *name, const char *origin);
int casedoc_commit(struct case_info *info, struct pbuf *stored, struct store *st, const struct casedoc_pending *pd);
void casedoc_pending_free(struct casedoc_pending *pd);

#endif
