/*
 * report_doc.h: the report document (schema provenance.report/1,
 * docs/report-format.md) of one scan.
 *
 * What it does: runs a session's scan of a suspect (session_scan) and turns
 * the engine's result into the JSON document every renderer reads: the tool
 * and parameters, the suspect and corpus, identity claims and refusals, per
 * teacher the test, calibration, robustness, signals, characteristic phrases
 * and evidence excerpts, the conclusion and its sentence, the known error
 * rates of the latest validation, limitations, notes and warnings. Every
 * sentence a report states about the numbers is written here or in
 * report_model.c.
 * What it owns: nothing beyond a call; the document returned belongs to the
 * caller (json_decref).
 * Who calls it: cmd_scan, cmd_validate, cmd_audit. It reads the session (and
 * through `reader`, teacher answers and validations) and never writes.
 */
#ifndef PROV_REPORT_DOC_H
#define PROV_REPORT_DOC_H

#include <jansson.h>

#include "cmd/session.h"

/*
 * Analyse records [first, first + count) of the suspect (all: 0, s->n) and
 * build the report document. `teachers` names the teachers to test (NULL:
 * all). The caller owns *out. The "case" member is left for the caller.
 */
int analyse(json_t **out, struct session *se, const struct suspect *s, size_t first, size_t count,
	const char *name, const char *const *teachers, size_t nteachers);

/*
 * As analyse(), but what analysis reads from the database (the teacher
 * answers quoted as evidence, the latest validation's error rates) is read
 * through `reader` instead of se->store. This is what lets several threads
 * analyse at once: the session is only read during analysis, except for those
 * reads, and a store handle serves one thread at a time, so each thread passes
 * its own (store_open(..., STORE_RDONLY) on the session's database). Same
 * document, byte for byte, whichever store does the reading.
 */
int analyse_with(json_t **out, struct session *se, struct store *reader, const struct suspect *s, size_t first,
	size_t count, const char *name, const char *const *teachers, size_t nteachers);

/*
 * An excerpt around [start, end) of text, snapped to UTF-8 and word boundaries, with 90 bytes of
 * context either side: {before, match, after, before_truncated, after_truncated, start, end}
 * (byte offsets into text). Every quoted passage of a report is cut by it.
 */
json_t *report_excerpt(const char *text, size_t len, size_t start, size_t end);

/* x rounded to `digits` significant digits (so a document reads well and stays stable); as JSON,
 * null when x is not finite. */
double report_sig(double x, int digits);
json_t *report_jsig(double x, int digits);

#endif
