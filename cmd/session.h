/*
 * session.h: the scan session, what scan, validate and audit share before a
 * report is written.
 *
 * What it does: opens the store, loads the pattern library, reads the corpus
 * as the engine sees it (models, prompts, who answered what), computes and
 * stores missing features, plans memory (every answer decoded when they fit
 * the limit, else chunks of prompts, docs/scaling.md), gets the engine's
 * preparation from the cache or computes and caches it, reads suspect files,
 * and runs the engine's scan of a suspect (in memory or streamed).
 * What it owns: the store handle, the snapshot, the decoded answers, the
 * preparation (struct session, freed by session_close), and a suspect's
 * records and features (struct suspect, freed by suspect_free).
 * Who calls it: cmd_scan, cmd_validate, cmd_audit, cmd_inspect, cmd_cases,
 * main (the memory and thread settings), and report_doc.c (the scan and the
 * answers it quotes). It builds no report: that is report_doc.h.
 */
#ifndef PROV_SESSION_H
#define PROV_SESSION_H

#include <pthread.h>

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
	int readonly;                    /* opened read-only: nothing is written to the store's cache */
	pthread_mutex_t memo_lock;       /* guards memo (session_hiding; the base session's own) */
	struct session_memo *memo;       /* session_hiding(): one session per set of hidden models */
	size_t nmemo, capmemo;
};

struct session_memo {
	uint8_t *hide;                   /* nmodels: 1 if hidden */
	const char **names;              /* the hidden models' names (borrowed strings) */
	struct session *se;
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
/* 1: the preparation is computed afresh, never read from or written to the cache (verify --rederive). */
extern int session_no_cache;

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

/*
 * The session a scan runs against when some models share too few prompts
 * with its suspect to take part (docs/method.md, "Models that share too few
 * prompts"): `se` with the models whose hide[m] is 1 (nmodels bytes) hidden
 * (session_without), so that they are neither teachers tested, controls,
 * null models nor part of the preparation's corpus-wide numbers. Made once
 * per set of hidden models and kept in `se` until session_close (*out is
 * borrowed from it); safe to call from several threads at once. Its
 * preparation is read through `reader`: from the store's cache when there,
 * else computed, and cached when `reader` is se->store and se is writable.
 * Unlike session_without, never decodes se's answers (others may be reading).
 */
int session_hiding(struct session **out, struct session *se, struct store *reader, const uint8_t *hide);

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
	long dup_line, dup_of_line;   /* the first such record's line, and the line it repeats */
};

/*
 * Read a suspect file (any input shape) and compute its features. A record
 * whose prompt (by prompt key) an earlier record asked is counted in
 * `duplicates` and dropped: the first answer to each prompt stands.
 */
int suspect_load(struct suspect **out, const char *path, const struct pat_lib *lib);

/* suspect_load with flags: SUSPECT_KEEP_DUPLICATES keeps every record (inspect shows each line). */
#define SUSPECT_KEEP_DUPLICATES 1u
int suspect_load_opt(struct suspect **out, const char *path, const struct pat_lib *lib, unsigned flags);
void suspect_free(struct suspect *s);

/* The name to report: --name, else the file's single model name, else the file name. */
const char *suspect_default_name(const struct suspect *s);

/* The fold (0 or 1) of a prompt key: which half of the prompts it falls in, for cross-fitting. */
uint8_t session_fold(const char *key);

/* Answers decoded into one piece of memory: cells[(q - q0) * nmodels + m], or col[q] for one model. */
struct loaded {
	struct session *se;
	struct store *st;
	size_t q0, q1;
	long model;
	const struct feat **cells;  /* borrowed: where the pointers go */
	struct feat *f;             /* the decoded answers */
	size_t nf, capf;
};

/*
 * Decode the answers of prompts [q0, q1) (model < 0) or of one model (every
 * prompt) into L, read through `st` (the session's store or a worker's own),
 * pointers into `cells` (zeroed here). Answers whose features are not stored
 * (a read-only session) are computed from their text. On failure L holds
 * nothing; on success release it with session_loaded_release().
 */
int session_load_answers(struct loaded *L, struct session *se, struct store *st, size_t q0, size_t q1, long model,
	const struct feat **cells);
void session_loaded_release(struct loaded *L);

/*
 * The engine's scan of suspect `es` (es->prompt: the corpus prompt of each
 * answer) against the session's corpus `corp` (a copy of se->corpus the
 * caller owns), teachers `tidx` (NULL, n 0: all). In memory, the session's
 * answers are read. Streamed (se->resp NULL), the answers to the suspect's
 * prompts are read through `reader` a chunk at a time; the teachers' are kept:
 * *local becomes a prompts x models array holding only those (decoded into
 * *held), corp->resp points to it, and the caller frees *local and releases
 * *held (session_loaded_release), on failure too. *local stays NULL in memory.
 */
int session_scan(struct eng_result **res, struct session *se, struct store *reader, struct eng_corpus *corp,
	const struct eng_suspect *es, struct loaded *held, const struct feat ***local, const int *tidx,
	size_t nteachers);

#endif
