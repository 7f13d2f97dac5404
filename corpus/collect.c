/*
 * collect.c: prompts -> chat completion requests (corpus/http.c) -> answers
 * appended to FILE and their exchanges to FILE.exchanges.jsonl.gz.
 *
 * One thread drives up to `jobs` transfers. A request that fails in a way
 * that may pass (429, 5xx, 408, a timeout, a dropped connection, a malformed
 * or non-JSON reply) is retried after an exponential, jittered delay (or the
 * server's Retry-After); other 4xx and replies without an answer fail at once.
 * A 429 pauses every request, not only the one refused. A server that cannot
 * be reached at all after the retries ends the run (the rest is not tried).
 *
 * Crash safety: each answer is one write() of its sidecar line (a complete
 * gzip member) and then one write() of its output line. At the start of a run
 * a partial last output line is dropped and the sidecar is rewritten to hold
 * exactly the output's exchanges, in the output's order.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "corpus/collect.h"
#include "corpus/jsonl.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define MAX_DELAY 120.0
#define MAX_FILE_LINE ((size_t)64 << 20)

enum jstate { J_PENDING, J_ACTIVE, J_DONE, J_FAILED };

struct job {
	size_t index;
	const struct collect_prompt *p;
	int sample;
	char *id;
	json_t *sampling;
	char *body;
	size_t body_len;
	int attempts;
	double not_before;
	enum jstate state;
	char *out_line;          /* when done: the output line (no newline) */
	char *side_line;         /* and its sidecar line */
};

/* Lines of an earlier run whose ids this run does not ask (kept, after ours). */
struct extra {
	char *out_line, *side_line;
};

struct run {
	const struct collect_settings *s;
	const struct collect_hooks *hooks;
	struct collect_stats *st;
	char *url;
	char *out_path, *side_path;
	struct job *jobs;
	size_t njobs;
	struct job **by_id;      /* jobs sorted by id */
	struct extra *extras;
	size_t nextras, cap_extras;
	int out_fd, side_fd;
	struct http_pool *pool;
	double pause_until;      /* a 429 pauses every request */
	uint64_t rng;
	int server_gone;
	int auth_failed;         /* HTTP 401/403: every other request would fail the same way */
	char *url_shown;         /* the URL with its credentials masked: what is written and said */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double uniform(struct run *r)
{
	/* xorshift64*: jitter only, no need for more */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return (double)((r->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
	char msg[1024], *k;
	va_list ap;

	if (!r->hooks || !r->hooks->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a server may echo the key in an error: never pass it on */
	if (r->s->api_key && strlen(r->s->api_key) >= 4)
		while ((k = strstr(msg, r->s->api_key)))
			memset(k, '*', strlen(r->s->api_key));
	r->hooks->note(r->hooks->arg, msg);
}

int collect_url(char **out, const char *endpoint)
{
	struct pbuf b = PBUF_INIT(0);
	const char *rest;
	size_t len = strlen(endpoint);

	*out = NULL;
	if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8))
		return prov_error(PROV_EUSAGE, "--endpoint must be an http:// or https:// URL, not '%s'", endpoint);
	while (len && endpoint[len - 1] == '/')
		len--;
	rest = strchr(endpoint + (endpoint[4] == 's' ? 8 : 7), '/');
	if (pbuf_add(&b, endpoint, len))
		return PROV_ENOMEM;
	if (len >= 17 && !memcmp(endpoint + len - 17, "/chat/completions", 17))
		;   /* the full URL */
	else if (!rest || (size_t)(rest - endpoint) >= len) {
		if (pbuf_adds(&b, "/v1/chat/completions"))
			return PROV_ENOMEM;
	} else if (pbuf_adds(&b, "/chat/completions")) {
		return PROV_ENOMEM;
	}
	*out = pbuf_detach(&b, NULL);
	return 0;
}

double collect_backoff(int attempt, double base, double retry_after, double u)
{
	double d;

	if (retry_after >= 0)
		return (retry_after > MAX_DELAY ? MAX_DELAY : retry_after) + base * u * 0.1;
	d = base * pow(2.0, attempt > 1 ? attempt - 1 : 0);
	if (d > MAX_DELAY)
		d = MAX_DELAY;
	return d * (0.5 + 0.5 * u);   /* "equal jitter": between half and all of the delay */
}

void collect_answer_release(struct collect_answer *a)
{
	if (!a)
		return;
	free(a->response);
	free(a->reasoning);
	free(a->finish_reason);
	free(a->served_model);
	memset(a, 0, sizeof(*a));
}

/* The server's own words for an error reply: "error": {"message"} or "error": "...", else the body. */
static void error_words(char *out, size_t n, const struct http_reply *r)
{
	json_t *doc = r->body.data ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
	json_t *e = json_object_get(doc, "error");
	const char *m = NULL;

	if (json_is_string(json_object_get(e, "message")))
		m = json_string_value(json_object_get(e, "message"));
	else if (json_is_string(e))
		m = json_string_value(e);
	else if (json_is_string(json_object_get(doc, "detail")))
		m = json_string_value(json_object_get(doc, "detail"));
	if (m)
		snprintf(out, n, "%.200s", m);
	else if (r->body.len)
		snprintf(out, n, "%.120s%s", r->body.data, r->body.len > 120 ? "..." : "");
	else
		snprintf(out, n, "(empty body)");
	for (; *out; out++)
		if ((unsigned char)*out < 0x20)
			*out = ' ';
	json_decref(doc);
}

static char *dup_string(json_t *v)
{
	return json_is_string(v) ? prov_strndup(json_string_value(v), json_string_length(v)) : NULL;
}

int collect_read_reply(struct collect_answer *a, const struct http_reply *r)
{
	json_error_t jerr;
	json_t *doc, *msg, *content, *reason, *choice;
	char words[256];
	size_t roff, rlen, aoff, clen;
	const char *text;

	memset(a, 0, sizeof(*a));
	if (!r->transport_ok) {
		snprintf(a->error, sizeof(a->error), "%s%s", r->timed_out ? "timed out: " : "", r->error);
		return COLLECT_RETRY;
	}
	if (r->status != 200) {
		error_words(words, sizeof(words), r);
		snprintf(a->error, sizeof(a->error), "HTTP %ld: %s", r->status, words);
		return r->status == 429 || r->status == 408 || r->status >= 500 ? COLLECT_RETRY : COLLECT_FAIL;
	}
	if (strncmp(r->content_type, "application/json", 16) != 0 &&
	    !strstr(r->content_type, "+json")) {
		if (r->content_type[0])
			snprintf(a->error, sizeof(a->error), "the reply is '%s', not JSON", r->content_type);
		else
			snprintf(a->error, sizeof(a->error), "the reply has no content type (JSON expected)");
		return COLLECT_RETRY;
	}
	doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &jerr);
	if (!doc) {
		snprintf(a->error, sizeof(a->error), "malformed JSON reply (%zu bytes): %s at byte %d",
			r->body.len, jerr.text, jerr.position);
		return COLLECT_RETRY;
	}
	choice = json_array_get(json_object_get(doc, "choices"), 0);
	msg = json_object_get(choice, "message");
	content = json_object_get(msg, "content");
	if (!json_is_object(msg)) {
		error_words(words, sizeof(words), r);
		snprintf(a->error, sizeof(a->error), "the reply has no choices[0].message: %s", words);
		json_decref(doc);
		return COLLECT_FAIL;
	}
	if (!json_is_string(content)) {
		snprintf(a->error, sizeof(a->error), "the reply has no text answer (choices[0].message.content is %s)",
			content ? "not a string" : "missing");
		json_decref(doc);
		return COLLECT_FAIL;
	}
	text = json_string_value(content);
	clen = json_string_length(content);
	reason = json_object_get(msg, "reasoning_content");
	if (!json_is_string(reason) || !json_string_length(reason))
		reason = json_object_get(msg, "reasoning");
	if (json_is_string(reason) && json_string_length(reason)) {
		a->reasoning = dup_string(reason);
		a->response = prov_strndup(text, clen);
	} else if (jl_split_think(text, clen, &roff, &rlen, &aoff)) {
		a->reasoning = prov_strndup(text + roff, rlen);
		a->response = prov_strndup(text + aoff, clen - aoff);
		if (!a->reasoning)
			a->response = NULL;
	} else {
		a->response = prov_strndup(text, clen);
	}
	a->finish_reason = dup_string(json_object_get(choice, "finish_reason"));
	a->served_model = dup_string(json_object_get(doc, "model"));
	json_decref(doc);
	if (!a->response) {
		collect_answer_release(a);
		snprintf(a->error, sizeof(a->error), "out of memory");
		return COLLECT_FAIL;
	}
	return COLLECT_OK;
}

/* --- files --- */

static int write_all(int fd, const char *data, size_t len, const char *path)
{
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return prov_error(PROV_EIO, "%s: cannot write: %s", path, strerror(w < 0 ? errno : ENOSPC));
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One complete gzip member holding `len` bytes and a newline. */
static int gzip_member(struct pbuf *out, const char *data, size_t len)
{
	z_stream zs;
	size_t bound;
	int zrc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return prov_error(PROV_EINTERNAL, "zlib: cannot start deflate");
	bound = deflateBound(&zs, (uLong)len + 1) + 32;
	pbuf_reset(out);
	if (pbuf_grow(out, bound)) {
		deflateEnd(&zs);
		return PROV_ENOMEM;
	}
	zs.next_out = (Bytef *)out->data;
	zs.avail_out = (uInt)bound;
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zrc = deflate(&zs, Z_NO_FLUSH);
	if (zrc == Z_OK) {
		zs.next_in = (Bytef *)(uintptr_t)"\n";
		zs.avail_in = 1;
		zrc = deflate(&zs, Z_FINISH);
	}
	out->len = bound - zs.avail_out;
	deflateEnd(&zs);
	if (zrc != Z_STREAM_END)
		return prov_error(PROV_EINTERNAL, "zlib: deflate failed");
	return 0;
}

/* Read a whole file into *b; 0 (b empty) when it does not exist. */
static int slurp(struct pbuf *b, const char *path, int *exists)
{
	char buf[65536];
	FILE *fp = fopen(path, "rb");
	size_t n;

	*exists = 0;
	pbuf_reset(b);
	if (!fp)
		return errno == ENOENT ? 0 : prov_error(PROV_EIO, "%s: cannot open: %s", path, strerror(errno));
	*exists = 1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (pbuf_add(b, buf, n)) {
			fclose(fp);
			return PROV_ENOMEM;
		}
	if (ferror(fp)) {
		fclose(fp);
		return prov_error(PROV_EIO, "%s: read error: %s", path, strerror(errno));
	}
	fclose(fp);
	return pbuf_add(b, "", 0) ? PROV_ENOMEM : 0;   /* NUL-terminated, even when empty */
}

/* Decompress a sidecar; a truncated last member (a killed run) is tolerated. */
static int slurp_gz(struct pbuf *b, const char *path, int *exists)
{
	char buf[65536];
	gzFile gz;
	int n;

	*exists = 0;
	pbuf_reset(b);
	if (access(path, F_OK) != 0)
		return 0;
	*exists = 1;
	gz = gzopen(path, "rb");
	if (!gz)
		return prov_error(PROV_EIO, "%s: cannot open: %s", path, strerror(errno));
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		if (pbuf_add(b, buf, (size_t)n)) {
			gzclose(gz);
			return PROV_ENOMEM;
		}
	gzclose(gz);
	return pbuf_add(b, "", 0) ? PROV_ENOMEM : 0;   /* NUL-terminated, even when empty */
}

static int cmp_job_id(const void *a, const void *b)
{
	return strcmp((*(struct job *const *)a)->id, (*(struct job *const *)b)->id);
}

static struct job *find_job(struct run *r, const char *id)
{
	size_t lo = 0, hi = r->njobs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->by_id[mid]->id, id);

		if (c == 0)
			return r->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The settings of one request as written in "sampling". */
/* The sampling settings sent with a request (and recorded with its answer): the same in both places. */
static void add_sampling(json_t *o, const struct collect_settings *s, int sample)
{
	if (s->has_temperature)
		json_object_set_new(o, "temperature", json_real(s->temperature));
	if (s->has_top_p)
		json_object_set_new(o, "top_p", json_real(s->top_p));
	if (s->max_tokens >= 0)
		json_object_set_new(o, "max_tokens", json_integer(s->max_tokens));
	if (s->has_seed)
		json_object_set_new(o, "seed", json_integer((json_int_t)(s->seed + sample - 1)));
}

static json_t *sampling_of(const struct collect_settings *s, int sample)
{
	json_t *o = json_object();

	if (s->system)
		json_object_set_new(o, "system", json_string(s->system));
	add_sampling(o, s, sample);
	if (s->samples > 1)
		json_object_set_new(o, "sample", json_integer(sample));
	return o;
}

static int make_jobs(struct run *r, const struct collect_prompt *prompts, size_t n)
{
	const struct collect_settings *s = r->s;
	size_t i, k = 0;
	int j;

	r->njobs = n * (size_t)s->samples;
	r->jobs = prov_calloc(r->njobs + 1, sizeof(*r->jobs));
	r->by_id = prov_calloc(r->njobs + 1, sizeof(*r->by_id));
	if (!r->jobs || !r->by_id)
		return PROV_ENOMEM;
	for (i = 0; i < n; i++)
		for (j = 1; j <= s->samples; j++, k++) {
			struct job *jb = &r->jobs[k];
			struct pbuf id = PBUF_INIT(0);

			jb->index = k;
			jb->p = &prompts[i];
			jb->sample = j;
			if (pbuf_adds(&id, prompts[i].id) || (s->samples > 1 && pbuf_addf(&id, "#%d", j)))
				return PROV_ENOMEM;
			jb->id = pbuf_detach(&id, NULL);
			jb->sampling = sampling_of(s, j);
			if (!jb->id || !jb->sampling)
				return PROV_ENOMEM;
			r->by_id[k] = jb;
		}
	qsort(r->by_id, r->njobs, sizeof(*r->by_id), cmp_job_id);
	for (k = 1; k < r->njobs; k++)
		if (!strcmp(r->by_id[k - 1]->id, r->by_id[k]->id))
			return prov_error(PROV_EUSAGE, "prompt id '%s' appears twice in the prompts given", r->by_id[k]->id);
	return 0;
}

/* SHA-256 of each complete line of a sidecar, for matching output lines. */
struct side_entry {
	char sha[PROV_SHA256_HEX];
	const char *line;
	size_t len;
	int used;
};

static int cmp_side(const void *a, const void *b)
{
	return strcmp(((const struct side_entry *)a)->sha, ((const struct side_entry *)b)->sha);
}

static int add_extra(struct run *r, const char *out_line, size_t olen, const char *side_line, size_t slen)
{
	struct extra *e;

	if (prov_grow(&r->extras, &r->cap_extras, r->nextras, sizeof(*r->extras), 16))
		return PROV_ENOMEM;
	e = &r->extras[r->nextras];
	e->out_line = prov_strndup(out_line, olen);
	e->side_line = prov_strndup(side_line, slen);
	if (!e->out_line || !e->side_line) {
		free(e->out_line);
		free(e->side_line);
		return PROV_ENOMEM;
	}
	r->nextras++;
	return 0;
}

/*
 * Take in what an earlier run wrote: drop a partial last line, pair every
 * output line with its sidecar exchange, mark those jobs done.
 */
static int load_previous(struct run *r)
{
	struct pbuf out = PBUF_INIT(0), side = PBUF_INIT(0);
	struct side_entry *ents = NULL;
	size_t nents = 0, cap = 0, pos, good_end = 0;
	int exists = 0, sexists = 0, rc;
	long lineno = 0;

	if ((rc = slurp(&out, r->out_path, &exists)) || !exists)
		goto done;
	if ((rc = slurp_gz(&side, r->side_path, &sexists)))
		goto done;
	/* index the sidecar's complete lines */
	for (pos = 0; pos < side.len; ) {
		char *nl = memchr(side.data + pos, '\n', side.len - pos);

		if (!nl)
			break;   /* a truncated member: that answer was never in the output */
		if ((rc = prov_grow(&ents, &cap, nents, sizeof(*ents), 256)))
			goto done;
		ents[nents].line = side.data + pos;
		ents[nents].len = (size_t)(nl - (side.data + pos));
		ents[nents].used = 0;
		if ((rc = prov_sha256_hex(ents[nents].sha, ents[nents].line, ents[nents].len)))
			goto done;
		nents++;
		pos = (size_t)(nl - side.data) + 1;
	}
	if (nents)
		qsort(ents, nents, sizeof(*ents), cmp_side);
	for (pos = 0; pos < out.len; ) {
		char *nl = memchr(out.data + pos, '\n', out.len - pos);
		size_t len = nl ? (size_t)(nl - (out.data + pos)) : out.len - pos;
		json_t *doc, *v;
		struct side_entry key, *se;
		const char *model;
		char id[300];
		struct job *jb;

		lineno++;
		if (!nl) {
			note(r, "%s:%ld: dropped a partial last line (an interrupted run); that prompt is asked again",
				r->out_path, lineno);
			break;
		}
		doc = json_loadb(out.data + pos, len, 0, NULL);
		v = json_object_get(doc, "exchange_sha256");
		snprintf(id, sizeof(id), "%s", json_is_string(json_object_get(doc, "id")) ?
			json_string_value(json_object_get(doc, "id")) : "");
		if (!id[0] || !json_is_string(v) || json_string_length(v) != 64) {
			json_decref(doc);
			rc = prov_error(PROV_EDATA, "%s:%ld: not a line written by provenance collect (no id or "
				"exchange_sha256); collect only adds to its own output: choose another -o", r->out_path, lineno);
			goto done;
		}
		snprintf(key.sha, sizeof(key.sha), "%s", json_string_value(v));
		se = nents ? bsearch(&key, ents, nents, sizeof(*ents), cmp_side) : NULL;
		if (!se) {
			json_decref(doc);
			rc = prov_error(PROV_EDATA, "%s:%ld: %s holds no exchange with this line's exchange_sha256 "
				"(id '%s'): the evidence is incomplete; restore the sidecar or collect into another file",
				r->out_path, lineno, r->side_path, id);
			goto done;
		}
		model = json_string_value(json_object_get(doc, "model"));
		jb = find_job(r, id);
		if (!model || strcmp(model, r->s->model) ||
		    (jb && !json_equal(json_object_get(doc, "sampling"), jb->sampling))) {
			json_decref(doc);
			rc = prov_error(PROV_EUSAGE, "%s:%ld: id '%s' was collected with other settings (model or "
				"sampling differ from this command's); collect into another file", r->out_path, lineno, id);
			goto done;
		}
		if (jb && jb->state == J_DONE) {
			json_decref(doc);
			rc = prov_error(PROV_EDATA, "%s:%ld: id '%s' is answered twice", r->out_path, lineno, id);
			goto done;
		}
		if (jb) {
			jb->state = J_DONE;
			jb->out_line = prov_strndup(out.data + pos, len);
			jb->side_line = prov_strndup(se->line, se->len);
			if (!jb->out_line || !jb->side_line)
				rc = PROV_ENOMEM;
			r->st->skipped++;
		} else {
			rc = add_extra(r, out.data + pos, len, se->line, se->len);
		}
		json_decref(doc);
		if (rc)
			goto done;
		good_end = pos + len + 1;
		pos = good_end;
	}
	if (good_end < out.len && truncate(r->out_path, (off_t)good_end) != 0)
		rc = prov_error(PROV_EIO, "%s: cannot drop the partial last line: %s", r->out_path, strerror(errno));
done:
	free(ents);
	pbuf_release(&out);
	pbuf_release(&side);
	return rc;
}

/*
 * Write both files anew, answers in prompt order then the earlier run's other
 * lines, each to a temporary file renamed over the old one.
 */
static int rewrite(struct run *r)
{
	struct pbuf tmp_out = PBUF_INIT(0), tmp_side = PBUF_INIT(0);
	FILE *fo = NULL;
	gzFile gz = NULL;
	size_t i;
	int rc = 0, fd;

	if (pbuf_addf(&tmp_out, "%s.tmp", r->out_path) || pbuf_addf(&tmp_side, "%s.tmp", r->side_path)) {
		rc = PROV_ENOMEM;
		goto done;
	}
	fo = fopen(tmp_out.data, "wb");
	gz = gzopen(tmp_side.data, "wb6");
	if (!fo || !gz) {
		rc = prov_error(PROV_EIO, "%s: cannot write: %s", !fo ? tmp_out.data : tmp_side.data, strerror(errno));
		goto done;
	}
	for (i = 0; i < r->njobs + r->nextras; i++) {
		const char *ol, *sl;

		if (i < r->njobs) {
			if (r->jobs[i].state != J_DONE)
				continue;
			ol = r->jobs[i].out_line;
			sl = r->jobs[i].side_line;
		} else {
			ol = r->extras[i - r->njobs].out_line;
			sl = r->extras[i - r->njobs].side_line;
		}
		if (fputs(ol, fo) == EOF || fputc('\n', fo) == EOF ||
		    gzputs(gz, sl) < 0 || gzputc(gz, '\n') < 0) {
			rc = prov_error(PROV_EIO, "%s: cannot write: %s", tmp_out.data, strerror(errno));
			goto done;
		}
	}
	if (fflush(fo) || fsync(fileno(fo)) || fclose(fo)) {
		fo = NULL;
		rc = prov_error(PROV_EIO, "%s: cannot write: %s", tmp_out.data, strerror(errno));
		goto done;
	}
	fo = NULL;
	if (gzclose(gz) != Z_OK) {
		gz = NULL;
		rc = prov_error(PROV_EIO, "%s: cannot write", tmp_side.data);
		goto done;
	}
	gz = NULL;
	if ((fd = open(tmp_side.data, O_RDONLY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	/* the sidecar first: a crash between the renames is repaired by the next run */
	if (rename(tmp_side.data, r->side_path) || rename(tmp_out.data, r->out_path))
		rc = prov_error(PROV_EIO, "%s: cannot replace: %s", r->out_path, strerror(errno));
done:
	if (fo)
		fclose(fo);
	if (gz)
		gzclose(gz);
	if (rc) {
		unlink(tmp_out.data);
		unlink(tmp_side.data);
	}
	pbuf_release(&tmp_out);
	pbuf_release(&tmp_side);
	return rc;
}

/* --- requests --- */

static int build_body(struct run *r, struct job *jb)
{
	const struct collect_settings *s = r->s;
	json_t *o = json_object(), *msgs = json_array(), *m;

	json_object_set_new(o, "model", json_string(s->model));
	if (s->system) {
		m = json_object();
		json_object_set_new(m, "role", json_string("system"));
		json_object_set_new(m, "content", json_string(s->system));
		json_array_append_new(msgs, m);
	}
	m = json_object();
	json_object_set_new(m, "role", json_string("user"));
	json_object_set_new(m, "content", json_string(jb->p->prompt));
	json_array_append_new(msgs, m);
	json_object_set_new(o, "messages", msgs);
	add_sampling(o, s, jb->sample);
	json_object_set_new(o, "stream", json_false());
	jb->body = json_dumps(o, JSON_FLAGS);
	json_decref(o);
	if (!jb->body)
		return prov_error(PROV_ENOMEM, "out of memory");
	jb->body_len = strlen(jb->body);
	return 0;
}

static void utc_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Overwrite every occurrence of `secret` (4 bytes or more) in s[0..len) with '*'. */
static void mask_in(char *s, size_t len, const char *secret)
{
	size_t k = secret ? strlen(secret) : 0;
	char *p = s, *end = s + len;

	if (k < 4 || !s)
		return;
	while (p + k <= end && (p = memmem(p, (size_t)(end - p), secret, k))) {
		memset(p, '*', k);
		p += k;
	}
}

int collect_url_masked(char **out, const char *url)
{
	static const char *const secretish[] = { "key", "token", "secret", "sig", "password", "auth" };
	struct pbuf b = PBUF_INIT(0);
	const char *host = strstr(url, "://"), *at, *slash, *q;

	*out = NULL;
	host = host ? host + 3 : url;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	if (pbuf_add(&b, url, (size_t)(host - url)))
		return PROV_ENOMEM;
	if (at && pbuf_adds(&b, "***@"))
		return PROV_ENOMEM;
	q = strchr(slash, '?');
	if (pbuf_add(&b, at ? at + 1 : host, (size_t)((q ? q : slash + strlen(slash)) - (at ? at + 1 : host))))
		return PROV_ENOMEM;
	while (q && *q) {
		/* q points at '?' or '&': copy NAME=, mask the value if the name looks like a secret */
		size_t nlen = strcspn(q + 1, "=&#"), vlen, i;
		int secret = 0;

		for (i = 0; i < sizeof(secretish) / sizeof(secretish[0]); i++) {
			const char *s = secretish[i];
			size_t sl = strlen(s), j;

			for (j = 0; j + sl <= nlen; j++)
				if (!strncasecmp(q + 1 + j, s, sl))
					secret = 1;
		}
		if (pbuf_add(&b, q, 1 + nlen))
			return PROV_ENOMEM;
		q += 1 + nlen;
		if (*q != '=')
			continue;
		vlen = strcspn(q + 1, "&#");
		if (secret ? pbuf_adds(&b, "=***") : pbuf_add(&b, q, 1 + vlen))
			return PROV_ENOMEM;
		q += 1 + vlen;
		if (*q == '#') {
			if (pbuf_adds(&b, q))
				return PROV_ENOMEM;
			break;
		}
	}
	*out = pbuf_detach(&b, NULL);
	return *out ? 0 : PROV_ENOMEM;
}

/* An answer arrived: its sidecar line, then its output line, each in one write. */
static int record_answer(struct run *r, struct job *jb, struct http_reply *rep, struct collect_answer *a)
{
	json_t *x = json_object(), *o = json_object(), *req, *resp;

	/* a server that echoes the key must not get it written: mask it in everything kept */
	mask_in(rep->body.data, rep->body.len, r->s->api_key);
	mask_in(a->response, a->response ? strlen(a->response) : 0, r->s->api_key);
	mask_in(a->reasoning, a->reasoning ? strlen(a->reasoning) : 0, r->s->api_key);
	req = json_stringn(jb->body, jb->body_len);
	resp = json_stringn(rep->body.data, rep->body.len);
	char when[32], sha[PROV_SHA256_HEX];
	struct pbuf gz = PBUF_INIT(0), line = PBUF_INIT(0);
	char *side = NULL, *outl = NULL;
	int rc = 0;

	if (!req || !resp) {
		json_decref(req);
		json_decref(resp);
		json_decref(x);
		json_decref(o);
		return prov_error(PROV_EINTERNAL, "id '%s': the exchange is not valid UTF-8", jb->id);
	}
	utc_now(when, sizeof(when));
	json_object_set_new(x, "id", json_string(jb->id));
	json_object_set_new(x, "time", json_string(when));
	json_object_set_new(x, "url", json_string(r->url_shown));
	json_object_set_new(x, "attempts", json_integer(jb->attempts));
	json_object_set_new(x, "request", req);
	json_object_set_new(x, "status", json_integer(rep->status));
	json_object_set_new(x, "content_type", json_string(rep->content_type));
	json_object_set_new(x, "seconds", json_real(floor(rep->seconds * 1000.0 + 0.5) / 1000.0));
	json_object_set_new(x, "response", resp);
	side = json_dumps(x, JSON_FLAGS);
	if (!side || prov_sha256_hex(sha, side, strlen(side))) {
		rc = PROV_ENOMEM;
		goto done;
	}
	json_object_set_new(o, "id", json_string(jb->id));
	json_object_set_new(o, "prompt", json_string(jb->p->prompt));
	json_object_set_new(o, "response", json_string(a->response));
	json_object_set_new(o, "model", json_string(r->s->model));
	json_object_set_new(o, "served_model", a->served_model ? json_string(a->served_model) : json_null());
	json_object_set_new(o, "sampling", json_incref(jb->sampling));
	json_object_set_new(o, "finish_reason", a->finish_reason ? json_string(a->finish_reason) : json_null());
	json_object_set_new(o, "reasoning", a->reasoning ? json_string(a->reasoning) : json_null());
	json_object_set_new(o, "exchange_sha256", json_string(sha));
	outl = json_dumps(o, JSON_FLAGS);
	if (!outl) {
		rc = prov_error(PROV_EINTERNAL, "id '%s': the answer is not valid UTF-8", jb->id);
		goto done;
	}
	if ((rc = gzip_member(&gz, side, strlen(side))) ||
	    (rc = write_all(r->side_fd, gz.data, gz.len, r->side_path)) ||
	    (rc = pbuf_adds(&line, outl)) || (rc = pbuf_addc(&line, '\n')) ||
	    (rc = write_all(r->out_fd, line.data, line.len, r->out_path)))
		goto done;
	jb->out_line = outl;
	jb->side_line = side;
	outl = side = NULL;
	jb->state = J_DONE;
done:
	free(side);
	free(outl);
	pbuf_release(&gz);
	pbuf_release(&line);
	json_decref(x);
	json_decref(o);
	return rc;
}

static void give_up(struct run *r, struct job *jb, const char *why)
{
	jb->state = J_FAILED;
	r->st->failed++;
	note(r, "id '%s': %s", jb->id, why);
	if (jb->attempts > 1)
		note(r, "id '%s': gave up after %d attempts", jb->id, jb->attempts);
	free(jb->body);
	jb->body = NULL;
}

static int handle(struct run *r, struct http_reply *rep)
{
	struct job *jb = rep->tag;
	struct collect_answer a;
	int v = collect_read_reply(&a, rep), rc = 0;
	double now = mono();

	r->st->in_flight--;
	if (rep->status == 401 || rep->status == 403) {
		/* the key is missing or refused: every other request would fail the same way; say it once */
		jb->state = J_FAILED;
		r->st->failed++;
		if (!r->auth_failed)
			note(r, "id '%s': %s", jb->id, a.error);
		r->auth_failed = rep->status;
		free(jb->body);
		jb->body = NULL;
		collect_answer_release(&a);
		return 0;
	}
	if (v == COLLECT_OK) {
		rc = record_answer(r, jb, rep, &a);
		if (rc == PROV_EINTERNAL) {   /* a reply we cannot keep: that prompt fails */
			give_up(r, jb, prov_error_msg());
			rc = 0;
		} else if (!rc) {
			r->st->done++;
			free(jb->body);
			jb->body = NULL;
		}
	} else if (v == COLLECT_RETRY && jb->attempts <= r->s->retries) {
		double d = collect_backoff(jb->attempts, r->s->backoff, rep->status == 429 || rep->status == 503 ?
			rep->retry_after : -1, uniform(r));

		jb->state = J_PENDING;
		jb->not_before = now + d;
		if (rep->status == 429 && now + d > r->pause_until)
			r->pause_until = now + d;
	} else {
		char why[600];

		snprintf(why, sizeof(why), "%s", a.error);
		if (rep->no_connection && v == COLLECT_RETRY)
			r->server_gone = 1;
		give_up(r, jb, why);
	}
	collect_answer_release(&a);
	return rc;
}

/* The next job to start (a due retry first, else the next fresh one); NULL if none is due. */
static struct job *next_due(struct run *r, size_t *cursor, double now, double *wake)
{
	struct job *best = NULL;
	size_t i;

	if (now < r->pause_until) {
		*wake = r->pause_until;
		return NULL;
	}
	for (i = 0; i < *cursor; i++) {
		struct job *jb = &r->jobs[i];

		if (jb->state != J_PENDING)
			continue;
		if (jb->not_before <= now) {
			if (!best)
				best = jb;
		} else if (jb->not_before < *wake) {
			*wake = jb->not_before;
		}
	}
	if (best)
		return best;
	while (*cursor < r->njobs && r->jobs[*cursor].state != J_PENDING)
		(*cursor)++;
	if (*cursor < r->njobs)
		return &r->jobs[(*cursor)++];
	return NULL;
}

static int drive(struct run *r)
{
	struct http_opts ho;
	size_t cursor = 0, i;
	double start = mono();
	int rc;

	memset(&ho, 0, sizeof(ho));
	ho.max_parallel = r->s->jobs;
	ho.timeout_ms = (long)(r->s->timeout * 1000.0);
	ho.connect_timeout_ms = r->s->timeout > 0 && r->s->timeout < 10 ? (long)(r->s->timeout * 1000.0) : 10000;
	ho.bearer = r->s->api_key;
	if ((rc = http_pool_new(&r->pool, &ho)))
		return rc;
	for (;;) {
		struct http_reply rep;
		double now = mono(), wake = now + 0.1;
		int got, wait_ms;

		if (r->hooks && r->hooks->stop && *r->hooks->stop) {
			r->st->interrupted = 1;
			break;
		}
		while (!r->server_gone && !r->auth_failed && http_pool_active(r->pool) < r->s->jobs) {
			struct job *jb = next_due(r, &cursor, now, &wake);

			if (!jb)
				break;
			if (!jb->body && (rc = build_body(r, jb)))
				return rc;
			if ((rc = http_pool_post(r->pool, r->url, jb->body, jb->body_len, jb)))
				return rc;
			if (jb->attempts)
				r->st->retried++;
			jb->attempts++;
			jb->state = J_ACTIVE;
			if (++r->st->in_flight > r->st->max_in_flight)
				r->st->max_in_flight = r->st->in_flight;
		}
		r->st->elapsed = mono() - start;
		if (r->hooks && r->hooks->progress)
			r->hooks->progress(r->hooks->arg, r->st);
		if (http_pool_active(r->pool) == 0) {
			int pending = 0;

			for (i = 0; i < r->njobs && !pending; i++)
				pending = r->jobs[i].state == J_PENDING;
			if (!pending || r->server_gone || r->auth_failed)
				break;
		}
		wait_ms = (int)((wake - now) * 1000.0);
		wait_ms = wait_ms < 1 ? 1 : wait_ms > 100 ? 100 : wait_ms;
		got = http_pool_next(r->pool, &rep, wait_ms);
		if (got < 0)
			return got;
		if (got == 1) {
			rc = handle(r, &rep);
			http_reply_release(&rep);
			if (rc)
				return rc;
		}
	}
	r->st->elapsed = mono() - start;
	for (i = 0; i < r->njobs; i++)
		if (r->jobs[i].state == J_PENDING || r->jobs[i].state == J_ACTIVE)
			r->st->not_tried++;
	r->st->in_flight = 0;
	return 0;
}

int collect_run(struct collect_stats *stats, const struct collect_settings *s,
	const struct collect_prompt *prompts, size_t n, const char *out_path, const struct collect_hooks *hooks)
{
	struct run r;
	struct pbuf sp = PBUF_INIT(0);
	size_t i;
	int rc, rc2;

	memset(stats, 0, sizeof(*stats));
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.hooks = hooks;
	r.st = stats;
	r.out_fd = r.side_fd = -1;
	r.rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	if (s->samples < 1 || s->jobs < 1 || !s->model || !s->model[0])
		return prov_error(PROV_EUSAGE, "collect: samples, jobs and a model are needed");
	if ((rc = collect_url(&r.url, s->endpoint)) || (rc = collect_url_masked(&r.url_shown, r.url)))
		goto done;
	r.out_path = prov_strdup(out_path);
	if (!r.out_path || pbuf_addf(&sp, "%s%s", out_path, COLLECT_SIDECAR_SUFFIX)) {
		rc = PROV_ENOMEM;
		goto done;
	}
	r.side_path = pbuf_detach(&sp, NULL);
	if ((rc = make_jobs(&r, prompts, n)))
		goto done;
	stats->requests = r.njobs;
	if ((rc = load_previous(&r)))
		goto done;
	/* the sidecar exactly matches the output before anything is appended */
	if ((rc = rewrite(&r)))
		goto done;
	r.out_fd = open(r.out_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	r.side_fd = open(r.side_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (r.out_fd < 0 || r.side_fd < 0) {
		rc = prov_error(PROV_EIO, "%s: cannot open for appending: %s", r.out_fd < 0 ? r.out_path : r.side_path,
			strerror(errno));
		goto done;
	}
	rc = drive(&r);
	http_pool_free(r.pool);
	r.pool = NULL;
	rc2 = rewrite(&r);
	if (!rc)
		rc = rc2;
	if (!rc && r.auth_failed)
		rc = prov_error(PROV_EIO, "%s refused the request with HTTP %d (authentication): %s $%s; stopped at "
			"the first refusal, %zu of %zu requests not tried", r.url_shown, r.auth_failed,
			!s->api_key ? "no API key was sent, as none is set in" : "it refused the API key read from",
			s->api_key_env ? s->api_key_env : "OPENAI_API_KEY", stats->not_tried, stats->requests);
	else if (!rc && r.server_gone)
		rc = prov_error(PROV_EIO, "%s stopped answering (the server cannot be reached): %zu of %zu requests "
			"answered, %zu not tried; re-run the same command to finish", r.url_shown,
			stats->skipped + stats->done, stats->requests, stats->not_tried);
	else if (!rc && stats->failed)
		rc = prov_error(PROV_EIO, "%zu of %zu requests failed (see above); re-run the same command to retry them",
			stats->failed, stats->requests);
done:
	http_pool_free(r.pool);
	if (r.out_fd >= 0)
		close(r.out_fd);
	if (r.side_fd >= 0)
		close(r.side_fd);
	for (i = 0; i < r.njobs; i++) {
		free(r.jobs[i].id);
		json_decref(r.jobs[i].sampling);
		free(r.jobs[i].body);
		free(r.jobs[i].out_line);
		free(r.jobs[i].side_line);
	}
	for (i = 0; i < r.nextras; i++) {
		free(r.extras[i].out_line);
		free(r.extras[i].side_line);
	}
	free(r.extras);
	free(r.jobs);
	free(r.by_id);
	free(r.url);
	free(r.url_shown);
	free(r.out_path);
	free(r.side_path);
	pbuf_release(&sp);
	return rc;
}
