/*
 * analysis.h: what scan, validate and audit share: a session (store,
 * pattern library, the corpus as the engine sees it, the cached
 * preparation), suspects loaded from files, and the report document
 * (schema provenance.report/1, docs/report-format.md) built from an engine
 * result plus evidence excerpts.
 */
#ifndef PROV_ANALYSIS_H
#define PROV_ANALYSIS_H

#include <jansson.h>

#include "corpus/store.h"
#include "detect/engine.h"
#include "detect/features.h"
#include "detect/patterns.h"

struct session {
	struct store *store;
	struct pat_lib *lib;
	char fver[80];
	struct store_snapshot *snap;     /* lean: the features stay in the store */
	const char *snap_path;           /* the database, for messages */
	struct feat *feats;              /* every answer decoded (NULL when streamed) */
	size_t nfeats;
	const struct feat **resp;        /* nprompts * nmodels, into feats (NULL when streamed) */
	uint8_t *has;                    /* nprompts * nmodels: 1 if answered (and not hidden) */
	uint32_t *cell;                  /* nprompts * nmodels: snapshot row + 1, 0 if missing */
	int fits;                        /* 1: every decoded answer fits the memory limit */
	size_t limit;                    /* the memory limit in bytes (session_memory_limit) */
	size_t chunk_bytes;              /* what one chunk of decoded answers may take */
	size_t nchunks, *chunk_at;       /* the last streamed preparation's chunks: prompt boundaries */
	struct eng_model *models;
	uint8_t *fold;
	struct eng_corpus corpus;
	struct eng_params params;
	struct eng_prep *prep;           /* NULL when the corpus has no teachers */
	double prep_seconds;
	int prep_cached;
	const struct session *base;      /* set for a session_without(): everything but resp and prep is borrowed */
	const char *const *excluded;     /* session_without(): the models left out (borrowed), for the report */
	size_t nexcluded;
};

/* Threads for the corpus preparation (0: $PROVENANCE_THREADS, else every online CPU). */
extern int session_threads;
/*
 * The memory limit for a corpus (bytes; 0: half the machine's memory, or of
 * the control group's limit when it has a lower one), from --memory or
 * $PROVENANCE_MEMORY. A corpus whose decoded answers do not fit
 * is read from the store in chunks of prompts (docs/scaling.md).
 */
extern size_t session_memory;
size_t session_memory_limit(void);
/* Threads for one scan's teachers (0: as the preparation; audit, which scans files in parallel, sets 1). */
extern int session_scan_threads;

/*
 * Open the store (created if missing unless `readonly`), load the pattern
 * library (built-in, or `patterns_file`), the corpus and its features
 * (computing and storing missing ones unless `readonly`), and the engine
 * preparation (from the cache, or computed and cached).
 */
int session_open(struct session **out, const char *db_path, const char *patterns_file, int readonly);
void session_close(struct session *se);

/*
 * Decode every answer of the corpus once, when they fit the memory limit, for
 * commands that scan many suspects (audit, validate); otherwise (and by
 * default) each scan decodes only the answers to its suspect's prompts.
 */
int session_keep_answers(struct session *se);

/*
 * The same corpus without the named models (their answers hidden, so they are
 * neither controls nor null models), with its own preparation, never cached.
 * Borrows everything else from `base`, which must outlive it (and decodes
 * base's answers once when they fit the memory limit). Names not in the
 * corpus are ignored. Closed with session_close().
 */
int session_without(struct session **out, struct session *base, const char *const *names, size_t n);

/* The built-in pattern library, or the one in `file` (PROV_EIO, PROV_EDATA with FILE:LINE). */
int session_load_patterns(struct pat_lib **out, const char *file);

struct srec {
	long line;
	char *id;
	char *prompt;
	size_t prompt_len;
	char *response;
	size_t response_len;
	char key[PROV_SHA256_HEX];
	char *model;
	char *sampling_json;   /* collect's "sampling" (canonical JSON), or NULL */
	char *served_model;    /* collect's "served_model" / a reply's "model", or NULL */
};

struct suspect {
	char *path;
	char sha256[PROV_SHA256_HEX];
	uint64_t size;
	long lines;
	size_t n;
	struct srec *recs;
	struct feat *feats;
	long duplicates;   /* records whose prompt an earlier record already asked (not kept) */
};

/*
 * Read a suspect file (any input shape) and compute its features. A record
 * whose prompt (by prompt key) an earlier record asked is counted in
 * `duplicates` and dropped: the first answer to each prompt stands.
 */
int suspect_load(struct suspect **out, const char *path, const struct pat_lib *lib);
void suspect_free(struct suspect *s);

/* The name to report: --name, else the file's single model name, else the file name. */
const char *suspect_default_name(const struct suspect *s);

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

#endif
