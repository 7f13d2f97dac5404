/*
 * jsonl.h: streaming reader for JSONL input, plain or gzip-compressed
 * (recognised by its magic bytes, never by its name).
 *
 * Five line shapes are accepted (docs/usage.md, "Input files"):
 *   {"id", "prompt", "response", "model"}           id and model optional
 *   {"instruction", "output", "generator"}          AlpacaEval ("input" appended)
 *   {"messages": [{"role", "content"}, ...]}         OpenAI chat
 *   {"object": "chat.completion", "choices": [...]}  an OpenAI chat completion reply
 *   {"custom_id", "response": {"body": {...}}}       an OpenAI Batch API output line
 * The last two carry no prompt unless the line adds one ("prompt" or
 * "messages"); such a record has an empty prompt and `no_prompt` set.
 *
 * The file may also be one top-level JSON array of such objects (AlpacaEval's
 * model_outputs.json): it is recognised by its first byte '[' and read one
 * element at a time, never whole; a record's line is the line its element
 * starts on.
 *
 * The reader hashes the raw bytes (SHA-256) as it goes, so the digest of
 * exactly what was parsed is known at end of file; it reads its input once,
 * so pipes and FIFOs work. Untrusted input is capped: a line (or array
 * element) may not exceed opts->max_line bytes, a file may not hold more than
 * max_records records nor max_bytes decompressed bytes (past them: PROV_EDATA
 * naming the file and the line).
 */
#ifndef PROV_JSONL_H
#define PROV_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include "detect/util.h"

#define JL_MAX_LINE_DEFAULT ((size_t)16 << 20) /* 16 MiB per line */
#define JL_MAX_RECORDS_DEFAULT ((uint64_t)50000)      /* records per file */
#define JL_MAX_BYTES_DEFAULT ((uint64_t)1 << 30)      /* 1 GiB decompressed per file */

enum jl_shape { JL_PLAIN = 1, JL_ALPACA = 2, JL_CHAT = 3, JL_COMPLETION = 4, JL_BATCH = 5 };

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
	int no_prompt;         /* completion/batch shapes without a prompt: prompt is "" */
	/* What `provenance collect` records (or a completion reply says); NULL if absent: */
	const char *sampling_json; /* "sampling" object as compact JSON, keys sorted */
	const char *served_model;  /* "served_model", else the completion reply's "model" */
	const char *finish_reason; /* "finish_reason", else choices[0].finish_reason */
	const char *reasoning;     /* "reasoning", else reasoning_content or a leading <think> block */
	size_t reasoning_len;
};

struct jl_opts {
	size_t max_line;       /* 0: JL_MAX_LINE_DEFAULT */
	int prompts_only;      /* a prompts file: the response may be missing (then "") */
	uint64_t max_records;  /* 0: jl_default_max_records() */
	uint64_t max_bytes;    /* 0: jl_default_max_bytes() */
};

/*
 * The bounds a reader applies when its options leave them 0:
 * $PROVENANCE_MAX_RECORDS and $PROVENANCE_MAX_INPUT (digits with an optional
 * K, M or G) when set, else JL_MAX_RECORDS_DEFAULT and JL_MAX_BYTES_DEFAULT.
 */
uint64_t jl_default_max_records(void);
uint64_t jl_default_max_bytes(void);

/*
 * Split a leading <think>...</think> block (after white space) off an answer:
 * *reasoning_off/_len give the block's inside, *answer_off the start of the
 * answer after it (white space skipped). Returns 1 if there was such a block
 * (an unclosed one takes the whole text as reasoning), 0 if not (then the
 * answer is the whole text).
 */
int jl_split_think(const char *text, size_t len, size_t *reasoning_off, size_t *reasoning_len,
	size_t *answer_off);

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
int jl_is_array(const struct jl_reader *r);   /* 1 if the file is a top-level JSON array */
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
