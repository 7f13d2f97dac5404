/*
 * jsonl.c: JSONL(.gz) reader. Raw bytes -> SHA-256 -> (inflate) -> lines ->
 * jansson -> one of five record shapes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <utf8proc.h>
#include <zlib.h>

#include "corpus/jsonl.h"

#define RAW_CHUNK 65536
#define DEC_CHUNK 262144

struct jl_reader {
	char *path;
	FILE *fp;
	size_t max_line;
	int prompts_only;
	struct prov_sha256 *sha;
	char digest[PROV_SHA256_HEX];
	uint64_t size;          /* raw bytes read */
	uint64_t uncompressed;  /* decoded bytes */
	long lineno;            /* JSONL: lines read; array: the line the current element starts on */
	long records;
	int mode;               /* 0 undecided, 1 JSONL, 2 a top-level JSON array */
	long aline;             /* array mode: the line the tokenizer is on */
	int array_state;        /* array mode: 0 expecting a value or ']', 1 after a value, 2 after ']' */
	uint64_t max_records, max_bytes;
	int gzip;               /* -1 unknown, 0 plain, 1 gzip */
	int eof;                /* raw input exhausted */
	int stream_end;         /* gzip: last member ended cleanly */
	int done;
	z_stream zs;
	int zs_live;
	unsigned char raw[RAW_CHUNK];
	size_t raw_len, raw_pos;
	unsigned char dec[DEC_CHUNK];
	size_t dec_len, dec_pos;
	struct pbuf line;
	struct pbuf prompt;     /* assembled prompt for chat/alpaca shapes */
	struct pbuf response;
	struct pbuf reasoning;  /* a <think> block split off a completion's answer */
	char idbuf[64];
	json_t *json;           /* the current line's document */
	char *sampling;         /* the current line's "sampling", dumped */
};

/* A count or size from the environment: digits with an optional K, M or G (powers of 1024); 0 if unset or bad. */
static uint64_t env_size(const char *name)
{
	const char *v = getenv(name);
	unsigned long long n;
	char *end;

	if (!v || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return 0;
	if (*end == 'K' || *end == 'k')
		n <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		n <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		n <<= 30, end++;
	return *end ? 0 : (uint64_t)n;
}

uint64_t jl_default_max_records(void)
{
	uint64_t v = env_size("PROVENANCE_MAX_RECORDS");

	return v ? v : JL_MAX_RECORDS_DEFAULT;
}

uint64_t jl_default_max_bytes(void)
{
	uint64_t v = env_size("PROVENANCE_MAX_INPUT");

	return v ? v : JL_MAX_BYTES_DEFAULT;
}

/* Open an input file for reading; directories are refused. */
static int open_input(FILE **out, const char *path)
{
	struct stat st;
	FILE *fp = fopen(path, "rb");

	*out = NULL;
	if (!fp) {
		char cwd[4096];
		int e = errno;

		/* a relative path is shown resolved too: which folder it was looked for in */
		if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
			return prov_error(PROV_EIO, "%s: cannot open: %s (looked for %s/%s)", path, strerror(e), cwd, path);
		return prov_error(PROV_EIO, "%s: cannot open: %s", path, strerror(e));
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		return prov_error(PROV_EIO, "%s: is a directory", path);
	}
	*out = fp;
	return 0;
}

int jl_open(struct jl_reader **out, const char *path, const struct jl_opts *opts)
{
	struct jl_reader *r;
	int rc;

	*out = NULL;
	r = prov_calloc(1, sizeof(*r));
	if (!r)
		return PROV_ENOMEM;
	r->gzip = -1;
	r->max_line = opts && opts->max_line ? opts->max_line : JL_MAX_LINE_DEFAULT;
	r->prompts_only = opts ? opts->prompts_only : 0;
	r->max_records = opts && opts->max_records ? opts->max_records : jl_default_max_records();
	r->max_bytes = opts && opts->max_bytes ? opts->max_bytes : jl_default_max_bytes();
	pbuf_init(&r->line, r->max_line);
	pbuf_init(&r->prompt, 0);
	pbuf_init(&r->response, 0);
	pbuf_init(&r->reasoning, 0);
	r->path = prov_strdup(path);
	if (!r->path) {
		jl_free(r);
		return PROV_ENOMEM;
	}
	rc = open_input(&r->fp, path);
	if (!rc)
		rc = prov_sha256_new(&r->sha);
	if (rc) {
		jl_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void jl_free(struct jl_reader *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	if (r->zs_live)
		inflateEnd(&r->zs);
	prov_sha256_free(r->sha);
	pbuf_release(&r->line);
	pbuf_release(&r->prompt);
	pbuf_release(&r->response);
	pbuf_release(&r->reasoning);
	json_decref(r->json);
	free(r->sampling);
	free(r->path);
	free(r);
}

const char *jl_sha256(const struct jl_reader *r) { return r->digest; }
uint64_t jl_size(const struct jl_reader *r) { return r->size; }
uint64_t jl_uncompressed(const struct jl_reader *r) { return r->uncompressed; }
long jl_lines(const struct jl_reader *r) { return r->mode == 2 ? r->aline : r->lineno; }
int jl_is_array(const struct jl_reader *r) { return r->mode == 2; }
long jl_records(const struct jl_reader *r) { return r->records; }
int jl_is_gzip(const struct jl_reader *r) { return r->gzip == 1; }
const char *jl_path(const struct jl_reader *r) { return r->path; }

/* Refill r->raw from the file; 0 at EOF (sets r->eof), >0 bytes, <0 error. */
static int fill_raw(struct jl_reader *r)
{
	size_t n;

	if (r->eof)
		return 0;
	n = fread(r->raw, 1, sizeof(r->raw), r->fp);
	if (n == 0) {
		if (ferror(r->fp))
			return prov_error(PROV_EIO, "%s: read error: %s", r->path, strerror(errno));
		r->eof = 1;
		return 0;
	}
	r->raw_len = n;
	r->raw_pos = 0;
	r->size += n;
	if (prov_sha256_update(r->sha, r->raw, n))
		return PROV_EINTERNAL;
	return (int)n;
}

/* Count decoded bytes against the bound; PROV_EDATA past it. */
static int add_decoded(struct jl_reader *r, size_t n)
{
	r->uncompressed += n;
	if (r->uncompressed > r->max_bytes)
		return prov_error(PROV_EDATA,
			"%s:%ld: the input holds more than %llu bytes (decompressed), the limit for one file "
			"(raise it with PROVENANCE_MAX_INPUT, e.g. PROVENANCE_MAX_INPUT=8G)", r->path,
			(r->mode == 2 ? r->aline : r->lineno) + 1, (unsigned long long)r->max_bytes);
	return 0;
}

/*
 * Produce the next block of decoded bytes in r->dec. Returns >0 bytes,
 * 0 at the clean end of input, <0 on error (truncated or corrupt gzip).
 */
static int fill_dec(struct jl_reader *r)
{
	int rc;

	if (r->raw_pos == r->raw_len) {
		rc = fill_raw(r);
		if (rc < 0)
			return rc;
	}
	if (r->gzip < 0) {
		if (r->eof)
			return 0;
		/* Decide by magic bytes; a one-byte file is plain text. */
		if (r->raw_len - r->raw_pos >= 2 && r->raw[r->raw_pos] == 0x1f &&
		    r->raw[r->raw_pos + 1] == 0x8b) {
			memset(&r->zs, 0, sizeof(r->zs));
			if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK)
				return prov_error(PROV_EINTERNAL, "zlib: cannot start inflate");
			r->zs_live = 1;
			r->gzip = 1;
		} else {
			r->gzip = 0;
		}
	}
	if (!r->gzip) {
		size_t n;

		if (r->raw_pos == r->raw_len)
			return 0;
		n = r->raw_len - r->raw_pos;
		memcpy(r->dec, r->raw + r->raw_pos, n);
		r->raw_pos = r->raw_len;
		r->dec_len = n;
		r->dec_pos = 0;
		if ((rc = add_decoded(r, n)))
			return rc;
		return (int)n;
	}
	for (;;) {
		int zrc;
		size_t produced;

		if (r->raw_pos == r->raw_len) {
			rc = fill_raw(r);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				if (!r->stream_end)
					return prov_error(PROV_EDATA,
						"%s:%ld: truncated gzip stream (the file ends in the middle of compressed data)",
						r->path, (r->mode == 2 ? r->aline : r->lineno) + 1);
				return 0;
			}
		}
		if (r->stream_end) {
			/* Another gzip member follows (concatenated .gz files are valid). */
			if (r->raw[r->raw_pos] != 0x1f)
				return prov_error(PROV_EDATA, "%s:%ld: trailing garbage after the gzip stream (after line %ld, "
					"the last decompressed one)", r->path, (r->mode == 2 ? r->aline : r->lineno) + 1,
					r->mode == 2 ? r->aline : r->lineno);
			if (inflateReset(&r->zs) != Z_OK)
				return prov_error(PROV_EINTERNAL, "zlib: inflateReset failed");
			r->stream_end = 0;
		}
		r->zs.next_in = r->raw + r->raw_pos;
		r->zs.avail_in = (uInt)(r->raw_len - r->raw_pos);
		r->zs.next_out = r->dec;
		r->zs.avail_out = sizeof(r->dec);
		zrc = inflate(&r->zs, Z_NO_FLUSH);
		r->raw_pos = r->raw_len - r->zs.avail_in;
		produced = sizeof(r->dec) - r->zs.avail_out;
		if (zrc == Z_STREAM_END)
			r->stream_end = 1;
		else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return prov_error(PROV_EDATA, "%s:%ld: corrupt gzip data (%s)", r->path,
				(r->mode == 2 ? r->aline : r->lineno) + 1, r->zs.msg ? r->zs.msg : "inflate failed");
		if (produced) {
			r->dec_len = produced;
			r->dec_pos = 0;
			if ((rc = add_decoded(r, produced)))
				return rc;
			return (int)produced;
		}
	}
}

/* Read one line (without '\n', '\r' stripped) into r->line; 1, 0 at EOF, <0. */
static int read_line(struct jl_reader *r)
{
	pbuf_reset(&r->line);
	for (;;) {
		unsigned char *start, *nl;
		size_t avail, take;
		int rc;

		if (r->dec_pos == r->dec_len) {
			rc = fill_dec(r);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				if (r->line.len == 0)
					return 0;
				break;   /* last line without a newline */
			}
		}
		start = r->dec + r->dec_pos;
		avail = r->dec_len - r->dec_pos;
		nl = memchr(start, '\n', avail);
		take = nl ? (size_t)(nl - start) : avail;
		if (r->line.len + take > r->max_line)
			return prov_error(PROV_EDATA, "%s:%ld: line longer than the limit of %zu bytes",
				r->path, r->lineno + 1, r->max_line);
		if (pbuf_add(&r->line, start, take))
			return PROV_ENOMEM;
		r->dec_pos += take + (nl ? 1 : 0);
		if (nl)
			break;
	}
	r->lineno++;
	if (r->line.len && r->line.data[r->line.len - 1] == '\r')
		r->line.data[--r->line.len] = '\0';
	/* a UTF-8 byte-order mark at the start of the file is not part of the first record */
	if (r->lineno == 1 && r->line.len >= 3 && !memcmp(r->line.data, "\xef\xbb\xbf", 3)) {
		memmove(r->line.data, r->line.data + 3, r->line.len - 3 + 1);
		r->line.len -= 3;
	}
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Decide, from the first bytes, between JSONL and a top-level JSON array
 * (AlpacaEval's model_outputs.json): '[' after an optional byte-order mark and
 * white space starts an array, whose elements are then read one at a time.
 */
static int detect_mode(struct jl_reader *r)
{
	size_t i;
	int rc;

	r->aline = 1;
	if (r->dec_pos == r->dec_len && (rc = fill_dec(r)) <= 0) {
		r->mode = 1;
		return rc;
	}
	i = r->dec_pos;
	if (r->dec_len - i >= 3 && !memcmp(r->dec + i, "\xef\xbb\xbf", 3))
		i += 3;
	while (i < r->dec_len && is_space((char)r->dec[i]))
		i++;
	if (i < r->dec_len && r->dec[i] == '[') {
		size_t k;

		for (k = r->dec_pos; k < i; k++)
			if (r->dec[k] == '\n')
				r->aline++;
		r->dec_pos = i + 1;
		r->mode = 2;
		r->array_state = 0;
	} else {
		r->mode = 1;
	}
	return 0;
}

/* Add decoded bytes [from, to) to the current element, within the line cap. */
static int element_add(struct jl_reader *r, size_t from, size_t to)
{
	if (r->line.len + (to - from) > r->max_line)
		return prov_error(PROV_EDATA, "%s:%ld: array element longer than the limit of %zu bytes",
			r->path, r->lineno, r->max_line);
	return pbuf_add(&r->line, r->dec + from, to - from) ? PROV_ENOMEM : 0;
}

/*
 * Array mode: the next element's text into r->line (r->lineno: the line it
 * starts on). 1, 0 after the closing ']' and nothing but white space, <0.
 * array_state: 0 after '[', 3 after ',', 1 after an element, 2 after ']'.
 */
static int read_element(struct jl_reader *r)
{
	int depth = 0, in_str = 0, esc = 0, started = 0, done = 0, rc;
	size_t i, from = 0;

	pbuf_reset(&r->line);
	for (;;) {
		if (r->dec_pos == r->dec_len) {
			if (started && (rc = element_add(r, from, r->dec_len)))
				return rc;
			rc = fill_dec(r);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				if (r->array_state == 2 && !started) {
					if (r->dec_len && r->dec[r->dec_len - 1] == '\n')
						r->aline--;   /* count lines as JSONL does: a final newline ends the last one */
					return 0;
				}
				return prov_error(PROV_EDATA, "%s:%ld: the JSON array is not closed (the file ends %s)",
					r->path, r->aline, started ? "inside an element" : "before its closing ']'");
			}
			from = 0;
		}
		for (i = r->dec_pos; i < r->dec_len; i++) {
			char c = (char)r->dec[i];

			if (!started) {
				if (is_space(c)) {
					if (c == '\n')
						r->aline++;
					continue;
				}
				if (r->array_state == 2)
					return prov_error(PROV_EDATA, "%s:%ld: data after the closing ']' of the JSON array",
						r->path, r->aline);
				if (r->array_state == 1) {
					if (c == ',')
						r->array_state = 3;
					else if (c == ']')
						r->array_state = 2;
					else
						return prov_error(PROV_EDATA, "%s:%ld: ',' or ']' expected after an array element",
							r->path, r->aline);
					continue;
				}
				if (c == ']' && r->array_state == 0) {
					r->array_state = 2;
					continue;
				}
				if (c == ']' || c == ',')
					return prov_error(PROV_EDATA, "%s:%ld: an array element expected before '%c'", r->path,
						r->aline, c);
				started = 1;
				from = i;
				r->lineno = r->aline;
			}
			if (in_str) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					in_str = 0;
				else if (c == '\n')
					r->aline++;
				continue;
			}
			if (c == '"') {
				in_str = 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if ((c == '}' || c == ']') && depth > 0) {
				if (--depth == 0) {
					i++;
					done = 1;
					break;
				}
			} else if (depth == 0 && (c == ',' || c == ']')) {
				done = 1;   /* the end of a bare value; the separator is read next time */
				break;
			} else if (c == '\n') {
				r->aline++;
			}
		}
		if (done) {
			if ((rc = element_add(r, from, i)))
				return rc;
			r->dec_pos = i;
			r->array_state = 1;
			return 1;
		}
		r->dec_pos = r->dec_len;
	}
}

/* 0 if the bytes are valid UTF-8; else the offset of the first bad byte + 1. */
static size_t utf8_bad_offset(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0)
			return i + 1;
		i += (size_t)n;
	}
	return 0;
}

static int is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Borrow a string member; PROV_EDATA if present but not a string. */
static int get_string(struct jl_reader *r, json_t *obj, const char *key, const char **out, size_t *len_out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (len_out)
		*len_out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return prov_error(PROV_EDATA, "%s:%ld: \"%s\" must be a string", r->path, r->lineno, key);
	*out = json_string_value(v);
	if (len_out)
		*len_out = json_string_length(v);
	return 0;
}

/* Chat "content" is a string or an array of {"type": "text", "text": ...} parts. */
static int append_content(struct jl_reader *r, struct pbuf *b, json_t *content, size_t msg)
{
	size_t i;
	json_t *part;

	if (json_is_string(content))
		return pbuf_add(b, json_string_value(content), json_string_length(content));
	if (!json_is_array(content))
		return prov_error(PROV_EDATA, "%s:%ld: messages[%zu].content must be a string or an array of text parts",
			r->path, r->lineno, msg);
	json_array_foreach(content, i, part) {
		json_t *text = json_object_get(part, "text");

		if (!json_is_string(text))
			return prov_error(PROV_EDATA, "%s:%ld: messages[%zu].content[%zu] has no \"text\" string",
				r->path, r->lineno, msg, i);
		if (pbuf_add(b, json_string_value(text), json_string_length(text)))
			return PROV_ENOMEM;
	}
	return 0;
}

/*
 * OpenAI chat: the response is the last assistant message; the prompt is
 * every user message before it, joined by blank lines (system messages and
 * earlier assistant turns are left out so that the prompt does not depend on
 * the model that answered).
 */
static int parse_chat(struct jl_reader *r, json_t *msgs, struct jl_record *out)
{
	size_t i, n, last = (size_t)-1;
	int rc;

	if (!json_is_array(msgs))
		return prov_error(PROV_EDATA, "%s:%ld: \"messages\" must be an array", r->path, r->lineno);
	n = json_array_size(msgs);
	for (i = 0; i < n; i++) {
		json_t *m = json_array_get(msgs, i);
		json_t *role = json_object_get(m, "role");

		if (!json_is_object(m) || !json_is_string(role))
			return prov_error(PROV_EDATA, "%s:%ld: messages[%zu] must be an object with a \"role\" string",
				r->path, r->lineno, i);
		if (!json_object_get(m, "content"))
			return prov_error(PROV_EDATA, "%s:%ld: messages[%zu] has no \"content\"", r->path, r->lineno, i);
		if (strcmp(json_string_value(role), "assistant") == 0)
			last = i;
	}
	if (last == (size_t)-1 && !r->prompts_only)
		return prov_error(PROV_EDATA, "%s:%ld: \"messages\" has no assistant message (the response)",
			r->path, r->lineno);
	if (last == (size_t)-1)
		last = n;
	pbuf_reset(&r->prompt);
	pbuf_reset(&r->response);
	for (i = 0; i < last; i++) {
		json_t *m = json_array_get(msgs, i);

		if (strcmp(json_string_value(json_object_get(m, "role")), "user") != 0)
			continue;
		if (r->prompt.len && pbuf_adds(&r->prompt, "\n\n"))
			return PROV_ENOMEM;
		rc = append_content(r, &r->prompt, json_object_get(json_array_get(msgs, i), "content"), i);
		if (rc)
			return rc;
	}
	if (!r->prompt.len)
		return prov_error(PROV_EDATA, "%s:%ld: \"messages\" has no user message before the assistant's answer",
			r->path, r->lineno);
	if (last < n) {
		rc = append_content(r, &r->response, json_object_get(json_array_get(msgs, last), "content"), last);
		if (rc)
			return rc;
	}
	if (pbuf_add(&r->response, "", 0))
		return PROV_ENOMEM;
	out->prompt = r->prompt.data;
	out->prompt_len = r->prompt.len;
	out->response = r->response.data;
	out->response_len = r->response.len;
	out->shape = JL_CHAT;
	return 0;
}

int jl_split_think(const char *text, size_t len, size_t *reasoning_off, size_t *reasoning_len,
	size_t *answer_off)
{
	static const char open_tag[] = "<think>", close_tag[] = "</think>";
	const size_t ol = sizeof(open_tag) - 1, cl = sizeof(close_tag) - 1;
	size_t i = 0, start, j;

	*reasoning_off = *reasoning_len = *answer_off = 0;
	while (i < len && is_space(text[i]))
		i++;
	if (len - i < ol || memcmp(text + i, open_tag, ol) != 0)
		return 0;
	start = i + ol;
	for (j = start; j + cl <= len; j++)
		if (memcmp(text + j, close_tag, cl) == 0)
			break;
	while (start < j && start < len && is_space(text[start]))
		start++;
	*reasoning_off = start;
	if (j + cl > len) {
		/* unclosed (the answer was cut off by max_tokens): all of it is reasoning */
		*reasoning_len = len - start;
		*answer_off = len;
		return 1;
	}
	*reasoning_len = j > start ? j - start : 0;
	while (*reasoning_len && is_space(text[start + *reasoning_len - 1]))
		(*reasoning_len)--;
	i = j + cl;
	while (i < len && is_space(text[i]))
		i++;
	*answer_off = i;
	return 1;
}

/* The user turns of a "messages" array joined by blank lines into r->prompt (may stay empty). */
static int join_user_turns(struct jl_reader *r, json_t *msgs)
{
	size_t i;
	json_t *m;
	int rc;

	pbuf_reset(&r->prompt);
	if (!json_is_array(msgs))
		return prov_error(PROV_EDATA, "%s:%ld: \"messages\" must be an array", r->path, r->lineno);
	json_array_foreach(msgs, i, m) {
		json_t *role = json_object_get(m, "role");

		if (!json_is_string(role) || strcmp(json_string_value(role), "user") != 0)
			continue;
		if (r->prompt.len && pbuf_adds(&r->prompt, "\n\n"))
			return PROV_ENOMEM;
		if ((rc = append_content(r, &r->prompt, json_object_get(m, "content"), i)))
			return rc;
	}
	return pbuf_add(&r->prompt, "", 0) ? PROV_ENOMEM : 0;
}

/*
 * The answer of a chat.completion object `c` (a reply, or the body of a Batch
 * API output line): choices[0].message.content, with the reasoning kept apart
 * (reasoning_content or reasoning, else a leading <think> block). `where`
 * names the object in messages. The prompt comes from the line's "prompt" or
 * "messages" (the request, when whoever saved the reply kept it), else the
 * record has none (no_prompt).
 */
static int parse_completion(struct jl_reader *r, json_t *doc, json_t *c, const char *where,
	struct jl_record *out)
{
	json_t *choices, *msg, *content, *reason, *v;
	size_t roff, rlen, aoff;
	int rc;

	if (!json_is_object(c))
		return prov_error(PROV_EDATA, "%s:%ld: %s must be a chat.completion object", r->path, r->lineno, where);
	v = json_object_get(c, "object");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), "chat.completion") != 0))
		return prov_error(PROV_EDATA, "%s:%ld: %s is a \"%s\" object, not a \"chat.completion\"",
			r->path, r->lineno, where, json_is_string(v) ? json_string_value(v) : "?");
	choices = json_object_get(c, "choices");
	if (!json_is_array(choices) || json_array_size(choices) == 0)
		return prov_error(PROV_EDATA, "%s:%ld: %s has no \"choices\"", r->path, r->lineno, where);
	msg = json_object_get(json_array_get(choices, 0), "message");
	if (!json_is_object(msg))
		return prov_error(PROV_EDATA, "%s:%ld: %s: choices[0] has no \"message\" object",
			r->path, r->lineno, where);
	content = json_object_get(msg, "content");
	if (!content || json_is_null(content))
		return prov_error(PROV_EDATA, "%s:%ld: %s: choices[0].message.content is null (no text answer)",
			r->path, r->lineno, where);
	pbuf_reset(&r->response);
	pbuf_reset(&r->reasoning);
	if ((rc = append_content(r, &r->response, content, 0)))
		return rc;
	if (pbuf_add(&r->response, "", 0) || pbuf_add(&r->reasoning, "", 0))
		return PROV_ENOMEM;
	reason = json_object_get(msg, "reasoning_content");
	if (!json_is_string(reason) || !json_string_length(reason))
		reason = json_object_get(msg, "reasoning");
	if (json_is_string(reason) && json_string_length(reason)) {
		out->reasoning = json_string_value(reason);
		out->reasoning_len = json_string_length(reason);
	} else if (jl_split_think(r->response.data, r->response.len, &roff, &rlen, &aoff)) {
		if (pbuf_add(&r->reasoning, r->response.data + roff, rlen))
			return PROV_ENOMEM;
		memmove(r->response.data, r->response.data + aoff, r->response.len - aoff);
		r->response.len -= aoff;
		r->response.data[r->response.len] = '\0';
		out->reasoning = r->reasoning.data;
		out->reasoning_len = r->reasoning.len;
	}
	out->response = r->response.data;
	out->response_len = r->response.len;
	v = json_object_get(json_array_get(choices, 0), "finish_reason");
	out->finish_reason = json_is_string(v) ? json_string_value(v) : NULL;
	v = json_object_get(c, "model");
	out->served_model = json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
	/* the prompt, when the line kept it */
	v = json_object_get(doc, "prompt");
	if (json_is_string(v) && json_string_length(v)) {
		out->prompt = json_string_value(v);
		out->prompt_len = json_string_length(v);
		return 0;
	}
	if (v && !json_is_null(v) && !json_is_string(v))
		return prov_error(PROV_EDATA, "%s:%ld: \"prompt\" must be a string", r->path, r->lineno);
	if ((v = json_object_get(doc, "messages")) && (rc = join_user_turns(r, v)))
		return rc;
	if (v && r->prompt.len) {
		out->prompt = r->prompt.data;
		out->prompt_len = r->prompt.len;
		return 0;
	}
	out->prompt = "";
	out->prompt_len = 0;
	out->no_prompt = 1;
	return 0;
}

/*
 * An OpenAI Batch API output line: {"custom_id", "response": {"status_code",
 * "body": chat.completion}, "error"}. The id is custom_id; a failed request
 * is an error naming it (drop such lines, or re-run them, before reading).
 */
static int parse_batch(struct jl_reader *r, json_t *doc, struct jl_record *out)
{
	json_t *cid = json_object_get(doc, "custom_id"), *resp = json_object_get(doc, "response");
	json_t *err = json_object_get(doc, "error"), *status;
	const char *name;
	int rc;

	if (!json_is_string(cid) || json_string_length(cid) == 0 || json_string_length(cid) > 256)
		return prov_error(PROV_EDATA, "%s:%ld: a Batch API line needs a \"custom_id\" string of 1 to 256 characters",
			r->path, r->lineno);
	name = json_string_value(cid);
	if (err && !json_is_null(err)) {
		json_t *m = json_object_get(err, "message");

		return prov_error(PROV_EDATA, "%s:%ld: batch request '%s' failed: %s", r->path, r->lineno, name,
			json_is_string(m) ? json_string_value(m) : "(an error without a message)");
	}
	if (!json_is_object(resp))
		return prov_error(PROV_EDATA, "%s:%ld: batch request '%s' has no \"response\" object",
			r->path, r->lineno, name);
	status = json_object_get(resp, "status_code");
	if (status && (!json_is_integer(status) || json_integer_value(status) != 200))
		return prov_error(PROV_EDATA, "%s:%ld: batch request '%s' failed with HTTP status %" JSON_INTEGER_FORMAT,
			r->path, r->lineno, name, json_is_integer(status) ? json_integer_value(status) : (json_int_t)0);
	if ((rc = parse_completion(r, doc, json_object_get(resp, "body"), "response.body", out)))
		return rc;
	out->id = name;
	out->model = out->served_model;
	out->shape = JL_BATCH;
	return 0;
}

static int parse_alpaca(struct jl_reader *r, json_t *doc, struct jl_record *out)
{
	const char *ins, *input, *output;
	size_t ins_len, input_len, output_len;
	int rc;

	if ((rc = get_string(r, doc, "instruction", &ins, &ins_len)) ||
	    (rc = get_string(r, doc, "input", &input, &input_len)) ||
	    (rc = get_string(r, doc, "output", &output, &output_len)))
		return rc;
	if (!ins)
		return prov_error(PROV_EDATA, "%s:%ld: \"instruction\" must be a string", r->path, r->lineno);
	if (!output && r->prompts_only)
		output = "";
	if (!output)
		return prov_error(PROV_EDATA, "%s:%ld: missing \"output\" (the response)", r->path, r->lineno);
	if (input && input_len) {
		pbuf_reset(&r->prompt);
		if (pbuf_add(&r->prompt, ins, ins_len) || pbuf_adds(&r->prompt, "\n\n") ||
		    pbuf_add(&r->prompt, input, input_len))
			return PROV_ENOMEM;
		out->prompt = r->prompt.data;
		out->prompt_len = r->prompt.len;
	} else {
		out->prompt = ins;
		out->prompt_len = ins_len;
	}
	out->response = output;
	out->response_len = output_len;
	out->shape = JL_ALPACA;
	return 0;
}

static int parse_plain(struct jl_reader *r, json_t *doc, struct jl_record *out)
{
	int rc;

	if ((rc = get_string(r, doc, "prompt", &out->prompt, &out->prompt_len)) ||
	    (rc = get_string(r, doc, "response", &out->response, &out->response_len)))
		return rc;
	if (!out->prompt)
		return prov_error(PROV_EDATA, "%s:%ld: missing \"prompt\"", r->path, r->lineno);
	if (!out->response && r->prompts_only)
		out->response = "";
	if (!out->response)
		return prov_error(PROV_EDATA, "%s:%ld: missing \"response\"", r->path, r->lineno);
	out->shape = JL_PLAIN;
	return 0;
}

static int parse_id(struct jl_reader *r, json_t *doc, struct jl_record *out)
{
	static const char *const keys[] = { "id", "question_id" };
	size_t k;

	out->id = NULL;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		json_t *v = json_object_get(doc, keys[k]);

		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v)) {
			if (json_string_length(v) == 0 || json_string_length(v) > 256)
				return prov_error(PROV_EDATA, "%s:%ld: \"%s\" must be 1 to 256 characters",
					r->path, r->lineno, keys[k]);
			out->id = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(r->idbuf, sizeof(r->idbuf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			out->id = r->idbuf;
		} else {
			return prov_error(PROV_EDATA, "%s:%ld: \"%s\" must be a string or an integer",
				r->path, r->lineno, keys[k]);
		}
		return 0;
	}
	return 0;
}

/* What `collect` adds to a line: "sampling", "served_model", "finish_reason", "reasoning". */
static int parse_evidence(struct jl_reader *r, json_t *doc, struct jl_record *out)
{
	json_t *sampling = json_object_get(doc, "sampling");
	const char *s;
	size_t len;
	int rc;

	if (sampling && !json_is_null(sampling)) {
		if (!json_is_object(sampling))
			return prov_error(PROV_EDATA, "%s:%ld: \"sampling\" must be an object", r->path, r->lineno);
		r->sampling = json_dumps(sampling, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
		if (!r->sampling)
			return prov_error(PROV_ENOMEM, "out of memory");
		out->sampling_json = r->sampling;
	}
	if ((rc = get_string(r, doc, "served_model", &s, NULL)))
		return rc;
	if (s && s[0])
		out->served_model = s;
	if ((rc = get_string(r, doc, "finish_reason", &s, NULL)))
		return rc;
	if (s)
		out->finish_reason = s;
	if ((rc = get_string(r, doc, "reasoning", &s, &len)))
		return rc;
	if (s && !out->reasoning) {
		out->reasoning = s;
		out->reasoning_len = len;
	}
	return 0;
}

int jl_next(struct jl_reader *r, struct jl_record *out)
{
	json_error_t jerr;
	json_t *msgs;
	size_t bad;
	int rc;

	memset(out, 0, sizeof(*out));
	json_decref(r->json);
	r->json = NULL;
	free(r->sampling);
	r->sampling = NULL;
	if (r->done)
		return 0;
	if (!r->mode && (rc = detect_mode(r)) < 0)
		return rc;
	for (;;) {
		rc = r->mode == 2 ? read_element(r) : read_line(r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->done = 1;
			if (prov_sha256_final(r->sha, r->digest))
				return PROV_EINTERNAL;
			if (r->records == 0)
				return prov_error(PROV_EDATA, "%s:%ld: no records (empty %s)", r->path, jl_lines(r),
					r->mode == 2 ? "JSON array" : "file");
			return 0;
		}
		if (!is_blank(r->line.data, r->line.len))
			break;
	}
	if ((uint64_t)r->records >= r->max_records)
		return prov_error(PROV_EDATA, "%s:%ld: more than %llu records, the limit for one file (raise it with "
			"PROVENANCE_MAX_RECORDS, e.g. PROVENANCE_MAX_RECORDS=5000000)", r->path, r->lineno,
			(unsigned long long)r->max_records);
	bad = utf8_bad_offset(r->line.data, r->line.len);
	if (bad)
		return prov_error(PROV_EDATA, "%s:%ld: invalid UTF-8 at byte %zu of the %s", r->path, r->lineno, bad,
			r->mode == 2 ? "array element" : "line");
	r->json = json_loadb(r->line.data, r->line.len,
		JSON_REJECT_DUPLICATES | (r->mode == 2 ? JSON_DECODE_ANY : 0), &jerr);
	if (!r->json && r->mode == 2)
		return prov_error(PROV_EDATA, "%s:%ld: invalid JSON at column %d: %s", r->path,
			r->lineno + (jerr.line > 1 ? jerr.line - 1 : 0), jerr.column, jerr.text);
	if (!r->json)
		return prov_error(PROV_EDATA, "%s:%ld: invalid JSON at column %d: %s", r->path, r->lineno,
			jerr.column, jerr.text);
	if (!json_is_object(r->json))
		return prov_error(PROV_EDATA, "%s:%ld: expected a JSON object%s", r->path, r->lineno,
			r->mode == 2 ? " as the array element" : "");
	out->line = r->lineno;
	msgs = json_object_get(r->json, "messages");
	if (json_is_object(json_object_get(r->json, "response")) ||
	    (json_object_get(r->json, "custom_id") && !json_object_get(r->json, "choices")))
		rc = parse_batch(r, r->json, out);
	else if (json_object_get(r->json, "choices")) {
		rc = parse_completion(r, r->json, r->json, "the reply", out);
		out->shape = JL_COMPLETION;
	} else if (msgs)
		rc = parse_chat(r, msgs, out);
	else if (json_object_get(r->json, "instruction") || json_object_get(r->json, "output"))
		rc = parse_alpaca(r, r->json, out);
	else if (json_object_get(r->json, "prompt") || json_object_get(r->json, "response"))
		rc = parse_plain(r, r->json, out);
	else
		rc = prov_error(PROV_EDATA,
			"%s:%ld: no response found (expected \"prompt\"/\"response\", \"instruction\"/\"output\", \"messages\", \"choices\" or \"custom_id\")",
			r->path, r->lineno);
	if (rc)
		return rc;
	if (out->shape == JL_COMPLETION) {
		/* the object's own "id" names the reply, not the prompt */
		if ((rc = get_string(r, r->json, "custom_id", &out->id, NULL)))
			return rc;
	} else if (out->shape != JL_BATCH && (rc = parse_id(r, r->json, out))) {
		return rc;
	}
	if (!out->model && (rc = get_string(r, r->json, "model", &out->model, NULL)))
		return rc;
	if (!out->model && (rc = get_string(r, r->json, "generator", &out->model, NULL)))
		return rc;
	if ((rc = parse_evidence(r, r->json, out)))
		return rc;
	if (out->model && !out->model[0])
		return prov_error(PROV_EDATA, "%s:%ld: \"model\" is empty", r->path, r->lineno);
	if ((rc = get_string(r, r->json, "label", &out->label, NULL)))
		return rc;
	r->records++;
	return 1;
}

int jl_hash_file(char out[PROV_SHA256_HEX], uint64_t *size_out, const char *path)
{
	struct prov_sha256 *sha = NULL;
	unsigned char buf[RAW_CHUNK];
	uint64_t size = 0;
	FILE *fp;
	size_t n;
	int rc;

	if ((rc = open_input(&fp, path)))
		return rc;
	rc = prov_sha256_new(&sha);
	while (!rc && (n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		size += n;
		rc = prov_sha256_update(sha, buf, n);
	}
	if (!rc && ferror(fp))
		rc = prov_error(PROV_EIO, "%s: read error: %s", path, strerror(errno));
	if (!rc)
		rc = prov_sha256_final(sha, out);
	prov_sha256_free(sha);
	fclose(fp);
	if (size_out)
		*size_out = size;
	return rc;
}
