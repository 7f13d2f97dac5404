/*
 * store.h: the SQLite evidence store. One file holds the corpus (models,
 * prompts, responses and the files they came from) and, later, the cases.
 *
 * Only corpus/ touches SQLite. Every function returns 0 or a negative
 * PROV_E* code with the message in the last-error slot (detect/util.h).
 * A store handle is used by one thread at a time; threads open their own.
 */
#ifndef PROV_STORE_H
#define PROV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "detect/util.h"

#define STORE_SCHEMA_VERSION 6
#define STORE_APPLICATION_ID 0x50524f56 /* "PROV" */

enum store_flags {
	STORE_RDONLY = 1,    /* open an existing store for reading only */
	STORE_MUST_EXIST = 2 /* fail with PROV_ENOTFOUND if the file is missing */
};

struct store;

/*
 * Open (and create or migrate, unless STORE_RDONLY) the store at `path`.
 * `path` may be an SQLite URI ("file:x.db?mode=ro"). Errors: PROV_ENOTFOUND
 * (missing file with STORE_MUST_EXIST), PROV_EDB (not a provenance store,
 * corrupt, schema newer than this tool, cannot write).
 */
int store_open(struct store **out, const char *path, int flags);

/* As store_open, but stop migrating at `version` (tests of the migration path). */
int store_open_at_version(struct store **out, const char *path, int flags, int version);

void store_close(struct store *s);
const char *store_path(const struct store *s);
int store_schema_version(struct store *s);

/* Current time as "YYYY-MM-DDTHH:MM:SSZ" (UTC); honours SOURCE_DATE_EPOCH. */
void store_now(char out[32]);

/* ---- import: one transaction per input file ---- */

/*
 * Was this file (same bytes, same import parameters) imported before?
 * Returns 1 and fills *when_out (may be NULL) if so, 0 if not, <0 on error.
 */
int store_source_seen(struct store *s, const char *sha256, const char *params, char when_out[32]);

/* Start importing a file: opens the transaction and records the source. */
int store_import_begin(struct store *s, const char *path, const char *sha256, uint64_t size,
	const char *params);

struct store_item {
	const char *model;        /* resolved model name */
	const char *family;       /* NULL: keep the stored one (new model: none) */
	const char *role;         /* NULL: keep the stored one (new model: "teacher") */
	const char *prompt;
	size_t prompt_len;
	const char *prompt_key;   /* text_prompt_key() of the prompt */
	const char *ext_id;       /* the line's id, or NULL */
	const char *response;
	size_t response_len;
	long line;
	const void *features;     /* engine features blob (detect/features.h), or NULL */
	size_t features_len;
	const char *features_version;   /* feat_version_string() of the blob */
	const void *response_z;   /* the response already zlib-compressed (zpack), or NULL */
	size_t response_zlen;
	const char *response_sha256;    /* its SHA-256 if already computed, or NULL */
};

struct store_import_stats {
	long responses_added;
	long responses_present;   /* identical response already stored */
	long prompts_added;
	long models_created;
	long models_updated;
};

/*
 * Add one response. A different response already stored for the same model
 * and prompt is PROV_EDATA ("FILE:LINE: ..."); the caller then rolls back.
 */
int store_import_add(struct store *s, const struct store_item *it, struct store_import_stats *st);

/*
 * Inside an import, once the file has been read: its SHA-256 and size (the
 * reader hashes while it parses, so a pipe is read once; store_import_begin
 * may have recorded a placeholder). Returns 1 and *when_out (may be NULL) if
 * the same bytes with the same parameters were imported before (e.g. by
 * another process while this one read): the caller rolls back. 0 when
 * recorded, <0 on error.
 */
int store_import_source(struct store *s, const char *sha256, uint64_t size, const char *params,
	char when_out[32]);

/* Finish: record the line count and commit. On failure the import is rolled back. */
int store_import_commit(struct store *s, long lines, long records);

/* Undo everything since store_import_begin. Safe to call when nothing is open. */
void store_import_rollback(struct store *s);

/* ---- what is in the corpus ---- */

struct store_source_info {
	char *path;
	char sha256[PROV_SHA256_HEX];
	uint64_t size;
	long lines;
	long responses;           /* of this model, from this file */
	char imported_at[32];
	char *tool_version;
};

struct store_model_info {
	int64_t id;
	char *name;
	char *family;             /* NULL: none recorded */
	char *role;
	long responses;
	long prompts;
	size_t nsources;
	struct store_source_info *sources;
};

/* All models, sorted by name. The caller frees with store_models_free(). */
int store_models(struct store *s, struct store_model_info **out, size_t *n_out);
void store_models_free(struct store_model_info *m, size_t n);

/*
 * Remove a model, its responses, and whatever only it referenced (prompts no
 * other model answered, source records no other model came from).
 * PROV_ENOTFOUND if there is no such model.
 */
int store_remove_model(struct store *s, const char *name, long *responses_out);

/*
 * Call fn for every stored prompt (of `model` only, when not NULL), in the
 * order they were first imported. A non-zero return from fn stops the walk
 * and is returned.
 */
typedef int (*store_prompt_fn)(void *ctx, const char *ext_id, const char *text, size_t len);
int store_each_prompt(struct store *s, const char *model, store_prompt_fn fn, void *ctx);

/* ---- the corpus as the engine sees it ---- */

struct store_model_ref {
	int64_t id;
	char *name;
	char *family;             /* NULL: none recorded */
	int teacher;              /* 1 teacher, 0 reference */
};

struct store_prompt_ref {
	int64_t id;
	char key[PROV_SHA256_HEX];   /* the normalised-text key */
	char *ext_id;             /* NULL if none */
};

struct store_row {
	int64_t response_id;
	size_t model;             /* index into models */
	size_t prompt;            /* index into prompts */
	char sha256[PROV_SHA256_HEX];
	void *blob;               /* the stored features, NULL if missing, of another version, or not kept (lean) */
	size_t blob_len;          /* their length, when stored */
	int stored;               /* 1: features of this version are stored for this very answer */
	unsigned char feat_sha[32];   /* their SHA-256, when stored (what the snapshot hash binds) */
};

struct store_snapshot {
	size_t nmodels;
	struct store_model_ref *models;     /* sorted by name */
	size_t nprompts;
	struct store_prompt_ref *prompts;   /* in import order */
	size_t nrows;
	struct store_row *rows;
	char sha256[PROV_SHA256_HEX];       /* the corpus snapshot hash (docs/report-format.md) */
	size_t *by_key, *by_id;             /* prompt indexes sorted by key / by ext_id (matching) */
	size_t nby_id;
};

/*
 * Load every model, prompt and response of the corpus, with the features
 * stored under version `fver` for the very answer they were computed from
 * (rows whose features are missing, of another version, or bound to another
 * answer have blob == NULL: the caller computes and stores them), and the
 * snapshot hash (store_snapshot_hash).
 */
int store_snapshot_load(struct store *s, const char *fver, struct store_snapshot **out);
void store_snapshot_free(struct store_snapshot *snap);
/*
 * The same; with STORE_SNAP_LEAN the features are not kept (blob stays NULL,
 * `stored`, blob_len and feat_sha say what is stored), for corpora read in
 * pieces with store_features_each.
 */
enum { STORE_SNAP_LEAN = 1 };
int store_snapshot_load_opt(struct store *s, const char *fver, int flags, struct store_snapshot **out);

/*
 * Call fn(arg, row, blob, len) for the stored features (version fver) of the
 * snapshot's answers to prompts [q0, q1), or, with model >= 0, of that
 * model's answers to every prompt (q0, q1 ignored). `row` indexes
 * snap->rows. Each blob is checked against the SHA-256 the snapshot bound:
 * features changed since the snapshot was read are PROV_EDB, never used.
 * *delivered (may be NULL) receives the number of calls.
 */
int store_features_each(struct store *s, const char *fver, const struct store_snapshot *snap, size_t q0,
	size_t q1, long model, int (*fn)(void *arg, size_t row, const void *blob, size_t len), void *arg,
	size_t *delivered);

/*
 * The corpus snapshot hash (docs/report-format.md, "What each hash covers"),
 * format 3: SHA-256 over one line per response, in import order, binding the
 * model's name, family and role, the prompt's key, text SHA-256 and id, the
 * answer's SHA-256, and the SHA-256 of the features of version fver stored
 * for that answer. It binds content, not where or when it was imported (the
 * `sources` table keeps that): the same files imported in the same order
 * into another database, at another time, from another path, give the same
 * snapshot.
 */
int store_snapshot_hash(struct store *s, const char *fver, char out[PROV_SHA256_HEX]);

/*
 * Is the corpus still the snapshot `want`? SNAPSHOT_SAME; SNAPSHOT_GREW when
 * the first rows of the corpus are exactly that snapshot and *added_out
 * responses were imported after it; SNAPSHOT_CHANGED otherwise (a response,
 * a prompt, a model's family or role, or a feature blob was altered or
 * removed). now_out receives the current hash, *rows_out the responses.
 * `want` may also be a snapshot of format 2 (written before format 3, which
 * also bound each answer's source line and file record). Negative on error.
 */
enum { SNAPSHOT_SAME = 0, SNAPSHOT_GREW = 1, SNAPSHOT_CHANGED = 2 };
int store_snapshot_compare(struct store *s, const char *fver, const char *want, char now_out[PROV_SHA256_HEX],
	long *rows_out, long *added_out);

/*
 * Call fn for every stored feature blob of version fver that is bound to its
 * answer, with that answer (decompressed; rows whose answer does not match
 * its SHA-256 are skipped: verify reports those), in response order. A
 * non-zero return from fn stops the walk and is returned.
 */
typedef int (*store_feature_fn)(void *ctx, int64_t response_id, const char *model, const char *prompt_id,
	const char *answer, size_t len, const void *blob, size_t blob_len);
int store_each_feature(struct store *s, const char *fver, store_feature_fn fn, void *ctx);

/* The snapshot hash of provenance before schema 5 (sorted answer hashes and the models), for old cases. */
int store_snapshot_hash_v1(struct store *s, char out[PROV_SHA256_HEX]);

/* Find a prompt: by id and text key, else by id alone if unique, else by key. -1 if none. */
enum store_match { MATCH_NONE = 0, MATCH_ID_AND_TEXT, MATCH_ID, MATCH_TEXT };
long store_snapshot_match(const struct store_snapshot *snap, const char *ext_id, const char *key,
	enum store_match *how);

/* The text of a stored response (decompressed, SHA-256 checked: PROV_ETAMPER on mismatch). */
int store_response_text(struct store *s, int64_t response_id, struct pbuf *out);

/* Store features computed for an existing response (cached on first use). */
int store_features_put(struct store *s, int64_t response_id, const char *fver, const void *blob, size_t len);

/* Transactions for batches of store_features_put / cache writes. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* ---- validations: the tool's measured error rates ---- */

struct store_validation {
	const char *labels_path, *labels_sha256;
	const char *snapshot_sha256, *tool_version, *engine_version, *patterns_sha256;
	const char *slices;       /* e.g. "whole,100,25" */
	const char *result;       /* the validation document (JSON) */
};

int store_validation_add(struct store *s, const struct store_validation *v, int64_t *id_out);

/*
 * The latest validation recorded for this corpus snapshot, tool version and
 * pattern library: 1 (and its id, time, result), 0 if none, <0 on error.
 * Validations are evidence (corpus/cases.h): only one in the validation chain
 * is considered, and one that does not verify is PROV_ETAMPER, naming it.
 * (Implemented in corpus/cases.c with the chain.)
 */
int store_validation_latest(struct store *s, const char *snapshot, const char *tool_version, const char *patterns,
	int64_t *id_out, char created_out[32], struct pbuf *result_out);

/*
 * As store_validation_latest, but the latest one that holds a likelihood-ratio
 * calibration (validate --calibrate: a "calibration" member with weights).
 */
int store_validation_latest_calibrated(struct store *s, const char *snapshot, const char *tool_version,
	const char *patterns, int64_t *id_out, char created_out[32], struct pbuf *result_out);

/* The cache of corpus-derived data. get: 1 found (value in *out), 0 not, <0 error. */
int store_cache_get(struct store *s, const char *key, struct pbuf *out);
/* put: replaces every entry of the same kind (only the newest preparation is kept). */
int store_cache_put(struct store *s, const char *key, const char *kind, const void *value, size_t len);

/* The version of the SQLite library in use ("3.46.1"). */
const char *store_sqlite_version(void);

#endif
