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

#define STORE_SCHEMA_VERSION 1
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

#endif
