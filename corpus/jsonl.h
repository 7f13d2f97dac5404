/*
 * jsonl.h: streaming reader for JSONL input, plain or gzip-compressed
 * (recognised by its magic bytes, never by its name).
 *
 * Three line shapes are accepted (docs/usage.md, "Input files"):
 *   {"id", "prompt", "response", "model"}           id and model optional
 *   {"instruction", "output", "generator"}          AlpacaEval ("input" appended)
 *   {"messages": [{"role", "content"}, ...]}         OpenAI chat
 *
 * The reader hashes the raw bytes (SHA-256) as it goes, so the digest of
 * exactly what was parsed is known at end of file. Untrusted input is capped:
 * a line may not exceed opts->max_line bytes.
 */
#ifndef PROV_JSONL_H
#define PROV_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include "detect/util.h"

#define JL_MAX_LINE_DEFAULT ((size_t)16 << 20) /* 16 MiB per line */

enum jl_shape { JL_PLAIN = 1, JL_ALPACA = 2, JL_CHAT = 3 };

struct jl_record {
	long line;             /* 1-based line number in the (decompressed) file */
	const char *id;        /* "id" or "question_id"; NULL if absent */
	const char *prompt;    /* NUL-terminated, valid UTF-8 */
	size_t prompt_len;
	const char *response;  /* NUL-terminated, valid UTF-8, may be empty */
	size_t response_len;
	const char *model;     /* "model" or "generator"; NULL if absent */
	const char *label;     /* "label" if present (refusal data), else NULL */
	enum jl_shape shape;
};

struct jl_opts {
	size_t max_line;       /* 0: JL_MAX_LINE_DEFAULT */
};

struct jl_reader;

/*
 * Open `path` for reading. On failure returns PROV_EIO (missing, unreadable,
 * a directory) with the message naming the file; *out is NULL.
 */
int jl_open(struct jl_reader **out, const char *path, const struct jl_opts *opts);

/*
 * Read the next record into *out. Returns 1 when a record was read, 0 at the
 * end of the file, or a negative code: PROV_EDATA for malformed content
 * ("FILE:LINE: what is wrong"), PROV_EIO for read errors. The strings in
 * *out are borrowed and valid until the next call.
 * An input with no record at all is a PROV_EDATA error ("empty file").
 */
int jl_next(struct jl_reader *r, struct jl_record *out);

/* After jl_next returned 0: SHA-256 of the raw bytes, size in bytes, line count. */
const char *jl_sha256(const struct jl_reader *r);
uint64_t jl_size(const struct jl_reader *r);
uint64_t jl_uncompressed(const struct jl_reader *r);
long jl_lines(const struct jl_reader *r);
long jl_records(const struct jl_reader *r);
int jl_is_gzip(const struct jl_reader *r);
const char *jl_path(const struct jl_reader *r);

void jl_free(struct jl_reader *r);

/*
 * Hash a whole file (SHA-256 of the raw bytes) without parsing it;
 * writes the digest and size. PROV_EIO on failure.
 */
int jl_hash_file(char out[PROV_SHA256_HEX], uint64_t *size_out, const char *path);

#endif
