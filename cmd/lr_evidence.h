/*
 * lr_evidence.h: the report's evidence strength. The latest validation with a
 * likelihood-ratio calibration (validate --calibrate) for the same corpus
 * snapshot, tool version and pattern library turns each teacher family's
 * calibrated statistic into a likelihood ratio, with its verbal expression
 * (ENFSI 2015), the bound that applied and the calibration it came from.
 */
#ifndef PROV_LR_EVIDENCE_H
#define PROV_LR_EVIDENCE_H

#include <stddef.h>
#include <jansson.h>

#include "corpus/store.h"

/*
 * Add "evidence_strength" (an array, one entry per teacher family of the
 * report's teachers), "evidence_strength_statement" (the conclusion box's
 * lead sentence, or the sentence saying there is no calibration) and
 * "evidence_calibration" (the calibration used, with its Tippett data; null
 * without one) to the report document `doc`, whose "teachers" and "suspect"
 * are already set. `count` is the number of answers scanned (it picks the
 * calibration of the closest slice size). 0, or a negative PROV_E* code
 * (PROV_ETAMPER when the stored validation no longer matches its hash).
 */
int lr_evidence_add(json_t *doc, struct store *reader, const char *snapshot, const char *tool_version,
	const char *patterns, size_t count);

/* The sentence of a report without a calibration. */
#define LR_EVIDENCE_NONE "no likelihood ratio: this corpus has no calibration (run validate --calibrate)"

#endif
