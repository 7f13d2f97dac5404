/*
 * ownctl_doc.h: `scan --logged FILE --fresh FILE...`: the own-control test
 * (detect/ownctl.h) run on files, as the report document's "sample_specific"
 * member (docs/report-format.md), and the document of a scan without a corpus.
 */
#ifndef PROV_OWNCTL_DOC_H
#define PROV_OWNCTL_DOC_H

#include <jansson.h>
#include <stdint.h>

#include "cmd/session.h"

#define OWNCTL_MAX_FILES 64       /* --fresh files at most */
#define OWNCTL_EXCERPT_PROMPTS 5  /* prompts quoted as evidence */
#define OWNCTL_EXCERPT_SPANS 3    /* passages quoted per prompt */

struct ownctl_opts {
	const char *logged;                   /* the logged answers' file */
	const char *fresh[OWNCTL_MAX_FILES];  /* the fresh answers' files */
	size_t nfresh;
	uint64_t draws;                       /* 0: exact where feasible (detect/ownctl.h) */
	uint64_t seed;
};

/*
 * Read the logged and fresh files (any input shape, as a suspect file; a
 * prompt logged twice is PROV_EDATA naming both lines), pair them with the
 * suspect's answers by normalised prompt text, else by id, run the test and
 * build the "sample_specific" object. PROV_EDATA when no prompt has a
 * suspect, a logged and a fresh answer. The caller owns *out.
 */
int ownctl_build(json_t **out, const struct suspect *s, const struct ownctl_opts *o, const struct pat_lib *lib);

/*
 * The document of a scan without a corpus: schema, case {"stored": false,
 * "name"}, tool, suspect, and sample_specific, which the document takes over
 * (also on failure). The caller owns *out.
 */
int ownctl_only_doc(json_t **out, const struct suspect *s, const char *name, json_t *sample_specific,
	const struct pat_lib *lib);

#endif
