/*
 * cmd_audit.c: `provenance audit FILE|DIR...`: one case per suspect file,
 * analysed by a pool of threads, stored in file order, and a summary table.
 *
 * Threads. The session (corpus features, engine preparation, pattern library)
 * is shared and only read. Each worker owns a read-only connection to the
 * corpus database for what analysis reads there (analyse_with), loads its
 * suspect, and leaves the report in the file's slot. The main thread waits
 * for slot 0, 1, 2 ... in turn and appends each case to the chain; workers
 * stay at most WINDOW_PER_THREAD files per thread ahead of it, which bounds
 * the memory held by finished but unstored files. So the evidence database
 * receives the same cases in the same order, whatever -j says.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <utf8proc.h>

#include "cmd/casedoc.h"
#include "cmd/cmd.h"
#include "corpus/cases.h"
#include "cmd/render.h"
#include "cmd/report_doc.h"

#define MAX_JOBS 1024
#define MAX_FILES ((size_t)1 << 22)
#define MAX_DEPTH 64
#define MAX_PATH_BYTES 4096
#define WINDOW_PER_THREAD 2

static const char audit_usage[] =
	"usage: provenance [--db CORPUS.db] audit FILE|DIR... [-j N] [--shard K/N] [--evidence DB]\n"
	"                                     [-o FILE] [--format md|csv|json] [--patterns FILE]\n"
	"                                     [--reports DIR [--report-format md|html|json]]\n"
	"\n"
	"Scans many suspects against the corpus: every FILE given (`-`: standard input), and every\n"
	"*.jsonl and *.jsonl.gz under each DIR (recursively; symbolic links to directories are not\n"
	"followed), in byte order of their paths. Each file becomes one case; then a summary table\n"
	"lists them all, ranked for triage: strongest verdict first, then by score; failures last (CSV\n"
	"and JSON keep file order and give each row its rank). A file that fails is listed with its\n"
	"error and the audit goes on.\n"
	"\n"
	"  -j, --jobs N      analyse N files at once (default: the number of online CPUs)\n"
	"  --shard K/N       only the K-th of N slices of the sorted file list (file i belongs to\n"
	"                    slice i mod N, 0 <= K < N): one slice per node, then `provenance merge`\n"
	"  --evidence DB     store the cases in DB (default: the --db database); the corpus database\n"
	"                    is then only read\n"
	"  --format FORMAT   the summary as md (default), csv or json\n"
	"  -o FILE           write the summary to FILE instead of standard output\n"
	"  --reports DIR     also write each suspect's report into DIR (created if missing), named\n"
	"                    NNNN-NAME.EXT after the file's position in the sorted list and its name\n"
	"  --report-format FORMAT\n"
	"                    the reports as md, html or json (default: the --format, md for csv)\n"
	"  -q, --quiet       no progress line and no closing count on standard error\n"
	"  --patterns FILE   use this pattern library instead of the built-in one\n"
	"  --sign-key FILE   sign every case hash with this Ed25519 private key (PEM)\n"
	"\n"
	"Exit code: 0 if every file was analysed and stored; otherwise the exit code of the first\n"
	"failure in file order (3 malformed file, 4 unreadable file, ...; see docs/usage.md).\n";

/* ------------------------------------------------------------ the file list */

struct entry {
	char *path;
	int rc;          /* a failure found while listing (an unreadable directory), else 0 */
	char *err;
};

struct flist {
	struct entry *v;
	size_t n, cap;
};

static void flist_release(struct flist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].err);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Add a copy of path; with rc != 0, as a failed entry with the current error message. */
static int flist_add(struct flist *l, const char *path, int rc)
{
	struct entry *e;

	if (l->n == MAX_FILES)
		return prov_error(PROV_EDATA, "more than %zu suspect files", MAX_FILES);
	if (prov_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 64))
		return PROV_ENOMEM;
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->path = prov_strdup(path);
	if (rc) {
		e->rc = rc;
		e->err = prov_strdup(prov_error_msg());
	}
	if (!e->path || (rc && !e->err)) {
		free(e->path);
		free(e->err);
		return PROV_ENOMEM;
	}
	l->n++;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

static int is_suspect_name(const char *name)
{
	return ends_with(name, ".jsonl") || ends_with(name, ".jsonl.gz");
}

/* Every suspect file under dir (recursively) into l. Only allocation failures and the caps stop the walk. */
static int walk(struct flist *l, const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;
	size_t dlen = strlen(dir);
	int rc = 0;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (depth > MAX_DEPTH) {
		prov_error(PROV_EDATA, "%s: directories nested deeper than %d levels", dir, MAX_DEPTH);
		return flist_add(l, dir, PROV_EDATA);
	}
	d = opendir(dir);
	if (!d) {
		prov_error(PROV_EIO, "%s: cannot read the directory: %s", dir, strerror(errno));
		return flist_add(l, dir, PROV_EIO);
	}
	while (!rc && (errno = 0, de = readdir(d))) {
		char path[MAX_PATH_BYTES];
		struct stat st;
		int n;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n = snprintf(path, sizeof(path), "%.*s%s%s", (int)dlen, dir, dir[dlen - 1] == '/' ? "" : "/", de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			if (is_suspect_name(de->d_name)) {
				prov_error(PROV_EIO, "%.*s/%s: path longer than %d bytes", (int)dlen, dir, de->d_name,
					MAX_PATH_BYTES - 1);
				rc = flist_add(l, path, PROV_EIO);
			}
			continue;
		}
		if (lstat(path, &st) != 0) {
			if (is_suspect_name(de->d_name)) {
				prov_error(PROV_EIO, "%s: %s", path, strerror(errno));
				rc = flist_add(l, path, PROV_EIO);
			}
			continue;
		}
		if (S_ISDIR(st.st_mode))
			rc = walk(l, path, depth + 1);
		else if (is_suspect_name(de->d_name) &&
			 (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))))
			rc = flist_add(l, path, 0);
	}
	if (!rc && errno) {
		prov_error(PROV_EIO, "%s: cannot read the directory: %s", dir, strerror(errno));
		rc = flist_add(l, dir, PROV_EIO);
	}
	closedir(d);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Sort by path (bytewise) and drop repeated paths. */
static void flist_sort(struct flist *l)
{
	size_t i, k = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (i = 0; i < l->n; i++) {
		if (k && !strcmp(l->v[k - 1].path, l->v[i].path)) {
			free(l->v[i].path);
			free(l->v[i].err);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* "K/N": two decimal numbers, 0 <= K < N. 0, or -1 if malformed. */
static int parse_shard(const char *s, long *k, long *n)
{
	const char *slash = strchr(s, '/');
	char a[24], b[24];
	size_t la, lb, i;

	if (!slash)
		return -1;
	la = (size_t)(slash - s);
	lb = strlen(slash + 1);
	if (!la || !lb || la >= sizeof(a) - 14 || lb >= sizeof(b) - 14)
		return -1;
	for (i = 0; i < la; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; i < lb; i++)
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return -1;
	memcpy(a, s, la);
	a[la] = '\0';
	memcpy(b, slash + 1, lb);
	b[lb] = '\0';
	*k = cmd_parse_long(a);
	*n = cmd_parse_long(b);
	return *k < 0 || *n < 1 || *k >= *n ? -1 : 0;
}

/* ------------------------------------------------------------ the work */

enum { SLOT_WAITING, SLOT_RUNNING, SLOT_DONE };

struct slot {
	const struct entry *file;
	int state;
	int rc;                  /* PROV_E* of a failure */
	char err[1024];
	struct suspect *sus;
	json_t *doc;
	struct casedoc_pending *pending;   /* the case, ready to append */
};

struct audit {
	struct session *se;
	struct slot *slots;
	size_t n;
	pthread_mutex_t mu;
	pthread_cond_t work_cv;  /* workers: a file may be taken, or stop */
	pthread_cond_t done_cv;  /* main: a slot is done */
	size_t next;             /* the next file to take */
	size_t stored;           /* files the main thread has finished with */
	size_t window;
	int stop;
	size_t files_done;
	long answers_done;
};

struct worker {
	struct audit *a;
	struct store *reader;
	pthread_t tid;
	int started;
};

/* Free what a slot holds of its file: the suspect, its report, the case prepared from them. */
static void slot_release(struct slot *sl)
{
	casedoc_pending_free(sl->pending);
	sl->pending = NULL;
	json_decref(sl->doc);
	sl->doc = NULL;
	suspect_free(sl->sus);
	sl->sus = NULL;
}

/* Load and analyse one file (in a worker): the report, or the failure and its message, in the slot. */
static void analyse_file(struct slot *sl, struct session *se, struct store *reader)
{
	int rc = sl->file->rc;

	if (rc) {
		sl->rc = rc;
		snprintf(sl->err, sizeof(sl->err), "%s", sl->file->err);
		return;
	}
	prov_error_clear();
	if (!(rc = suspect_load(&sl->sus, cmd_input_path(sl->file->path), se->lib)) && !strcmp(sl->file->path, "-")) {
		char *dash = prov_strdup("-");   /* standard input, recorded as `-` (as scan does) */

		if (!dash)
			rc = PROV_ENOMEM;
		else {
			free(sl->sus->path);
			sl->sus->path = dash;
		}
	}
	if (!rc && !cmd_valid_name(suspect_default_name(sl->sus)))
		rc = prov_error(PROV_EDATA, "%s: the suspect's name (from its model field or file name) is not 1 to %d"
			" printable characters", sl->file->path, CMD_MAX_NAME);
	if (!rc)
		rc = analyse_with(&sl->doc, se, reader, sl->sus, 0, sl->sus->n, suspect_default_name(sl->sus), NULL, 0);
	if (!rc)
		rc = casedoc_prepare(&sl->pending, sl->doc, sl->sus, 0, sl->sus->n, suspect_default_name(sl->sus), NULL);
	if (rc) {
		const char *msg = prov_error_msg();

		sl->rc = rc;
		snprintf(sl->err, sizeof(sl->err), "%s", *msg ? msg : rc == PROV_ENOMEM ? "out of memory" :
			"unexpected error");
		slot_release(sl);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct audit *a = w->a;

	for (;;) {
		struct slot *sl;
		long answers;

		pthread_mutex_lock(&a->mu);
		while (!a->stop && a->next < a->n && a->next >= a->stored + a->window)
			pthread_cond_wait(&a->work_cv, &a->mu);
		if (a->stop || a->next >= a->n) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		sl = &a->slots[a->next++];
		sl->state = SLOT_RUNNING;
		pthread_mutex_unlock(&a->mu);

		analyse_file(sl, a->se, w->reader);
		answers = sl->sus ? (long)sl->sus->n : 0;

		pthread_mutex_lock(&a->mu);
		sl->state = SLOT_DONE;
		a->files_done++;
		a->answers_done += answers;
		pthread_cond_broadcast(&a->done_cv);
		pthread_mutex_unlock(&a->mu);
	}
	return NULL;
}

static void show_progress(struct progress *p, struct audit *a)
{
	size_t done;
	long answers;
	double t, rate, eta;
	char etas[32];

	if (!p->enabled)
		return;
	pthread_mutex_lock(&a->mu);
	done = a->files_done;
	answers = a->answers_done;
	pthread_mutex_unlock(&a->mu);
	t = progress_elapsed(p);
	rate = t > 0 ? (double)answers / t : 0;
	if (done) {
		eta = t / (double)done * (double)(a->n - done);
		snprintf(etas, sizeof(etas), "%ld:%02ld:%02ld", (long)eta / 3600, (long)eta / 60 % 60, (long)eta % 60);
	} else {
		snprintf(etas, sizeof(etas), "?");
	}
	progress_update(p, "audit: %zu/%zu files, %.0f answers/s, ETA %s", done, a->n, rate, etas);
}

/* Wait (showing progress) until slot i is done. */
static void wait_slot(struct audit *a, size_t i, struct progress *p)
{
	for (;;) {
		struct timespec ts;
		int done;

		pthread_mutex_lock(&a->mu);
		if (a->slots[i].state != SLOT_DONE) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 250 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&a->done_cv, &a->mu, &ts);
		}
		done = a->slots[i].state == SLOT_DONE;
		pthread_mutex_unlock(&a->mu);
		show_progress(p, a);
		if (done)
			return;
	}
}

/* ------------------------------------------------------------ the summary */

/*
 * s as valid UTF-8 (invalid bytes become U+FFFD). For Markdown (md != 0)
 * also control characters become U+FFFD, bidirectional controls "[U+202E]",
 * and the characters Markdown would interpret (\ ` * _ [ ] < | ~) get a
 * backslash, as in the reports, so that a cell stays one plain cell.
 */
static int clean_text(struct pbuf *out, const char *s, int md)
{
	size_t len = strlen(s), i = 0;
	int rc = 0;

	while (i < len && !rc) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
		unsigned bidi;

		if (k <= 0) {
			rc = pbuf_adds(out, "\xef\xbf\xbd");
			i++;
		} else if (md && (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))) {
			rc = pbuf_adds(out, "\xef\xbf\xbd");
			i += (size_t)k;
		} else if (md && render_bidi_control(s + i, len - i, &bidi)) {
			rc = pbuf_addf(out, "[U+%04X]", bidi);
			i += (size_t)k;
		} else if (md && cp < 0x80 && strchr("\\`*_[]<|~", (int)cp)) {   /* as the reports escape Markdown */
			rc = pbuf_addc(out, '\\');
			if (!rc)
				rc = pbuf_addc(out, (char)cp);
			i++;
		} else {
			rc = pbuf_add(out, s + i, (size_t)k);
			i += (size_t)k;
		}
	}
	return rc;
}

/* A JSON string of s made valid UTF-8 (NULL when out of memory). */
static json_t *jclean(const char *s)
{
	struct pbuf b = PBUF_INIT(0);
	json_t *v = NULL;

	if (!clean_text(&b, s, 0))
		v = json_stringn(b.data ? b.data : "", b.len);
	pbuf_release(&b);
	return v;
}

static json_t *copy_or_null(const json_t *v)
{
	return v ? json_deep_copy(v) : json_null();
}

/* One summary row: from the stored case, or the failure. */
static json_t *summary_row(const struct slot *sl, const struct case_info *ci)
{
	json_t *r = json_object();
	const json_t *concl = json_object_get(sl->doc, "conclusion");
	const json_t *top = json_array_get(json_object_get(sl->doc, "teachers"), 0);
	const json_t *sus = json_object_get(sl->doc, "suspect");

	json_object_set_new(r, "suspect", jclean(sl->file->path));
	if (sl->rc) {
		json_object_set_new(r, "status", json_string("failed"));
		json_object_set_new(r, "exit_code", json_integer(cmd_exit_for(sl->rc)));
		json_object_set_new(r, "error", jclean(sl->err));
		return r;
	}
	json_object_set_new(r, "status", json_string("ok"));
	json_object_set_new(r, "name", jclean(ci->name));
	json_object_set_new(r, "case", json_integer(ci->id));
	json_object_set_new(r, "teacher", copy_or_null(json_object_get(concl, "teacher")));
	json_object_set_new(r, "family", copy_or_null(json_object_get(concl, "family")));
	json_object_set_new(r, "verdict", copy_or_null(json_object_get(concl, "verdict")));
	json_object_set_new(r, "top_teacher", copy_or_null(json_object_get(top, "model")));
	json_object_set_new(r, "score", copy_or_null(json_object_get(top, "score")));
	json_object_set_new(r, "p_value", copy_or_null(json_object_get(top, "p_value")));
	json_object_set_new(r, "matched", copy_or_null(json_object_get(sus, "matched")));
	json_object_set_new(r, "responses", copy_or_null(json_object_get(sus, "responses")));
	return r;
}

struct summary {
	const char *corpus, *evidence;
	long shard_k, shard_n;   /* shard_n 0: no --shard */
	size_t files, stored, failed;
	int exit_code;
	json_t *rows;
	size_t *order;           /* the rows in rank order (rank_summary) */
};

/* A scalar cell as plain text: strings as they are, numbers as "%.10g", null as "". */
static int cell_text(struct pbuf *out, const json_t *v, int md)
{
	if (json_is_string(v))
		return clean_text(out, json_string_value(v), md);
	if (json_is_integer(v))
		return pbuf_addf(out, "%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return pbuf_addf(out, "%.10g", json_real_value(v));
	return 0;
}

static int render_json_summary(struct pbuf *out, const struct summary *sm)
{
	json_t *doc = json_object(), *o;
	int rc;

	json_object_set_new(doc, "schema", json_string("provenance.audit/1"));
	o = json_object();
	json_object_set_new(o, "name", json_string("provenance"));
	json_object_set_new(o, "version", json_string(PROV_VERSION));
	json_object_set_new(doc, "tool", o);
	json_object_set_new(doc, "corpus", jclean(sm->corpus));
	json_object_set_new(doc, "evidence", jclean(sm->evidence));
	if (sm->shard_n) {
		o = json_object();
		json_object_set_new(o, "index", json_integer(sm->shard_k));
		json_object_set_new(o, "count", json_integer(sm->shard_n));
		json_object_set_new(doc, "shard", o);
	} else {
		json_object_set_new(doc, "shard", json_null());
	}
	json_object_set_new(doc, "files", json_integer((json_int_t)sm->files));
	json_object_set_new(doc, "stored", json_integer((json_int_t)sm->stored));
	json_object_set_new(doc, "failed", json_integer((json_int_t)sm->failed));
	json_object_set_new(doc, "exit_code", json_integer(sm->exit_code));
	json_object_set(doc, "suspects", sm->rows);
	rc = render_json(out, doc);
	json_decref(doc);
	return rc;
}

/* RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes; CRLF line ends. */
static int csv_field(struct pbuf *out, const json_t *v, int last)
{
	struct pbuf t = PBUF_INIT(0);
	size_t i;
	int rc = cell_text(&t, v, 0);

	if (!rc && t.len && strpbrk(t.data, ",\"\r\n")) {
		rc = pbuf_addc(out, '"');
		for (i = 0; i < t.len && !rc; i++)
			rc = t.data[i] == '"' ? pbuf_adds(out, "\"\"") : pbuf_addc(out, t.data[i]);
		if (!rc)
			rc = pbuf_addc(out, '"');
	} else if (!rc && t.len) {
		rc = pbuf_add(out, t.data, t.len);
	}
	if (!rc)
		rc = pbuf_adds(out, last ? "\r\n" : ",");
	pbuf_release(&t);
	return rc;
}

static const char *const csv_cols[] = { "suspect", "name", "case", "teacher", "family", "verdict", "top_teacher",
	"score", "p_value", "matched", "responses", "status", "exit_code", "error" };
#define NCSV (sizeof(csv_cols) / sizeof(csv_cols[0]))

static int render_csv_summary(struct pbuf *out, const struct summary *sm)
{
	size_t i, k;
	json_t *r;
	int rc = 0;

	for (k = 0; k < NCSV && !rc; k++)
		rc = pbuf_addf(out, "%s%s", csv_cols[k], k + 1 < NCSV ? "," : "\r\n");
	json_array_foreach(sm->rows, i, r)
		for (k = 0; k < NCSV && !rc; k++)
			rc = csv_field(out, json_object_get(r, csv_cols[k]), k + 1 == NCSV);
	return rc ? PROV_ENOMEM : 0;
}

static int md_cell(struct pbuf *out, const json_t *v)
{
	int rc = pbuf_addc(out, ' ');

	if (!rc && (!v || json_is_null(v)))
		rc = pbuf_adds(out, RENDER_ABSENT);
	else if (!rc)
		rc = cell_text(out, v, 1);
	return rc || pbuf_adds(out, " |") ? PROV_ENOMEM : 0;
}

static int render_md_summary(struct pbuf *out, const struct summary *sm)
{
	size_t i, k;
	json_t *r;
	int rc;

	rc = pbuf_adds(out, "# Audit summary\n\n");
	if (!rc && sm->shard_n)
		rc = pbuf_addf(out, "Shard %ld/%ld: ", sm->shard_k, sm->shard_n);
	if (!rc)
		rc = pbuf_addf(out, "%zu suspect file%s, %zu case%s stored, %zu failed. Corpus: ", sm->files,
			sm->files == 1 ? "" : "s", sm->stored, sm->stored == 1 ? "" : "s", sm->failed);
	if (!rc)
		rc = clean_text(out, sm->corpus, 1);
	if (!rc)
		rc = pbuf_adds(out, "; evidence: ");
	if (!rc)
		rc = clean_text(out, sm->evidence, 1);
	if (!rc)
		rc = pbuf_adds(out, ".\n\nRanked for triage: the strongest verdict first, then by score; files that "
			"failed last.\n\n| rank | suspect | name | case | teacher | family | verdict | top teacher | score"
			" | p-value | matched | error |\n|---:|---|---|---:|---|---|---|---|---:|---:|---:|---|\n");
	for (k = 0; k < json_array_size(sm->rows); k++) {
		const json_t *m, *n, *score, *p;
		struct rfmt fs, fp;

		i = sm->order ? sm->order[k] : k;
		r = json_array_get(sm->rows, i);
		m = json_object_get(r, "matched");
		n = json_object_get(r, "responses");
		score = json_object_get(r, "score");
		p = json_object_get(r, "p_value");
		if (rc)
			break;
		rc = pbuf_addf(out, "| %zu |", k + 1);
		if (!rc)
			rc = md_cell(out, json_object_get(r, "suspect"));
		if (!rc && json_object_get(r, "error")) {
			rc = pbuf_adds(out, " \xe2\x80\x94 | \xe2\x80\x94 | \xe2\x80\x94 | \xe2\x80\x94 | \xe2\x80\x94 |"
				" \xe2\x80\x94 | \xe2\x80\x94 | \xe2\x80\x94 | \xe2\x80\x94 |");
			if (!rc)
				rc = md_cell(out, json_object_get(r, "error"));
			if (!rc)
				rc = pbuf_addc(out, '\n');
			continue;
		}
		if (!rc)
			rc = md_cell(out, json_object_get(r, "name"));
		if (!rc)
			rc = md_cell(out, json_object_get(r, "case"));
		if (!rc)
			rc = md_cell(out, json_object_get(r, "teacher"));
		if (!rc)
			rc = md_cell(out, json_object_get(r, "family"));
		if (!rc)
			rc = md_cell(out, json_object_get(r, "verdict"));
		if (!rc)
			rc = md_cell(out, json_object_get(r, "top_teacher"));
		fs = json_is_number(score) ? rf_fix(json_number_value(score), 2) : rf_fix(0, 2);
		fp = json_is_number(p) ? rf_p(json_number_value(p)) : rf_p(0);
		if (!rc)
			rc = pbuf_addf(out, " %s | %s |", json_is_number(score) ? fs.s : RENDER_ABSENT,
				json_is_number(p) ? fp.s : RENDER_ABSENT);
		if (!rc)
			rc = pbuf_addf(out, " %lld/%lld | |\n", (long long)json_integer_value(m),
				(long long)json_integer_value(n));
	}
	return rc ? PROV_ENOMEM : 0;
}

/* ------------------------------------------------------------ triage */

/* Verdict strength for ranking: strong 0 ... none 4, anything else 5, a failure 6. */
static int row_level(const json_t *r)
{
	enum render_verdict v;

	if (json_object_get(r, "error"))
		return 6;
	v = render_verdict_of(json_string_value(json_object_get(r, "verdict")));
	return v == RV_OTHER ? 5 : (int)v;
}

static const json_t *rank_rows;

/* Strongest verdict first, then the larger score, then file order. */
static int cmp_rank(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const json_t *ra = json_array_get(rank_rows, a), *rb = json_array_get(rank_rows, b);
	int la = row_level(ra), lb = row_level(rb);
	double sa, sb;

	if (la != lb)
		return la < lb ? -1 : 1;
	sa = json_is_number(json_object_get(ra, "score")) ? json_number_value(json_object_get(ra, "score")) : -1e300;
	sb = json_is_number(json_object_get(rb, "score")) ? json_number_value(json_object_get(rb, "score")) : -1e300;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Give every row its "rank" (1 = look at first); *order_out lists the rows in rank order (caller frees). */
static int rank_summary(json_t *rows, size_t **order_out)
{
	size_t n = json_array_size(rows), i, *order = prov_calloc(n + 1, sizeof(*order));

	*order_out = NULL;
	if (!order)
		return PROV_ENOMEM;
	for (i = 0; i < n; i++)
		order[i] = i;
	rank_rows = rows;   /* only the main thread ranks, after the workers are joined */
	qsort(order, n, sizeof(*order), cmp_rank);
	rank_rows = NULL;
	for (i = 0; i < n; i++)
		json_object_set_new(json_array_get(rows, order[i]), "rank", json_integer((json_int_t)i + 1));
	*order_out = order;
	return 0;
}

/* The report file of the idx-th file of the sorted list: DIR/NNNN-NAME.EXT, NAME from the file name. */
static int report_path(struct pbuf *out, const char *dir, size_t idx, const char *file, const char *ext)
{
	const char *base = strrchr(file, '/');
	size_t n, k;
	int rc;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (ends_with(base, ".jsonl.gz"))
		n -= 9;
	else if (ends_with(base, ".jsonl"))
		n -= 6;
	if ((rc = pbuf_addf(out, "%s/%04zu-", dir, idx + 1)))
		return rc;
	for (k = 0; k < n && !rc; k++) {
		char ch = base[k];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '.' || ch == '-' || ch == '_';

		rc = pbuf_addc(out, ok ? ch : '_');
	}
	return rc ? rc : pbuf_addf(out, ".%s", ext);
}

/* Render a stored case as `format` into DIR. 0 or PROV_E* (message names the file). */
static int write_report(const char *dir, const char *format, size_t idx, const char *file, const struct pbuf *stored,
	const struct case_info *ci)
{
	struct pbuf path = PBUF_INIT(0), out = PBUF_INIT(0);
	json_t *doc = NULL;
	int rc;

	if (!(rc = report_path(&path, dir, idx, file, format)) &&
	    !(rc = casedoc_build(&doc, stored->data, stored->len, ci)) && !(rc = casedoc_render(&out, doc, format)))
		rc = cmd_write_output(path.data, out.data ? out.data : "", out.len);
	json_decref(doc);
	pbuf_release(&path);
	pbuf_release(&out);
	return rc;
}

/* ------------------------------------------------------------ the command */

int cmd_audit(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "shard", required_argument, NULL, 's' },
		{ "evidence", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "reports", required_argument, NULL, 'R' },
		{ "report-format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *evidence = NULL, *output = NULL, *format = "md", *patterns = NULL, *sign_key = NULL;
	const char *reports = NULL, *report_format = NULL;
	struct case_key *key = NULL;
	long jobs = cmd_default_threads(), shard_k = 0, shard_n = 0;
	struct flist all = { NULL, 0, 0 };
	struct session *se = NULL;
	struct store *ev = NULL, *ev_own = NULL;
	struct audit a;
	struct worker *w = NULL;
	struct summary sm;
	struct progress prog;
	struct pbuf stored = PBUF_INIT(0), text = PBUF_INIT(0);
	size_t i, nw = 0, nsel = 0;
	int c, rc = 0, fatal = 0, fatal_rc = 0, sync_ok = 0, separate;

	memset(&a, 0, sizeof(a));
	memset(&sm, 0, sizeof(sm));
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":j:s:e:o:f:p:h", longopts, "audit")) != -1) {
		switch (c) {
		case 'j':
			jobs = cmd_parse_long(optarg);
			if (jobs < 1 || jobs > MAX_JOBS)
				return cmd_usage_error("audit", "-j needs a number of threads from 1 to %d, not '%s'",
					MAX_JOBS, optarg);
			break;
		case 's':
			if (parse_shard(optarg, &shard_k, &shard_n))
				return cmd_usage_error("audit", "--shard needs K/N with 0 <= K < N (for example 0/8),"
					" not '%s'", optarg);
			break;
		case 'e':
			if (!*optarg)
				return cmd_usage_error("audit", "--evidence needs a database file name");
			evidence = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'p':
			patterns = optarg;
			break;
		case 'k':
			sign_key = optarg;
			break;
		case 'R':
			if (!*optarg)
				return cmd_usage_error("audit", "--reports needs a directory");
			reports = optarg;
			break;
		case 'F':
			report_format = optarg;
			break;
		case 'h':
			fputs(audit_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (strcmp(format, "md") && strcmp(format, "csv") && strcmp(format, "json"))
		return cmd_usage_error("audit", "--format must be md, csv or json, not '%s'", format);
	if (!report_format)
		report_format = strcmp(format, "csv") ? format : "md";
	if (strcmp(report_format, "md") && strcmp(report_format, "html") && strcmp(report_format, "json"))
		return cmd_usage_error("audit", "--report-format must be md, html or json, not '%s'", report_format);
	if (optind >= argc)
		return cmd_usage_error("audit", "no suspect file or directory given");
	if ((rc = cmd_check_output(output, ctx->db_path)) || (evidence && (rc = cmd_check_output(output, evidence))))
		return cmd_fail(rc);
	if (reports) {
		struct stat rst;

		if (mkdir(reports, 0777) != 0 && (errno != EEXIST || stat(reports, &rst) != 0 || !S_ISDIR(rst.st_mode))) {
			rc = prov_error(PROV_EIO, "%s: cannot make the reports directory: %s", reports,
				errno == EEXIST ? "a file of that name exists" : strerror(errno));
			return cmd_fail(rc);
		}
	}

	/* the files, sorted, and this shard's slice of them */
	for (i = (size_t)optind; i < (size_t)argc && !rc; i++) {
		struct stat st;

		if (!*argv[i])
			rc = prov_error(PROV_EUSAGE, "an empty file name");
		else if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk(&all, argv[i], 0);
		else
			rc = flist_add(&all, argv[i], 0);
	}
	if (rc)
		goto done;
	flist_sort(&all);
	if (!all.n) {
		rc = prov_error(PROV_EDATA, "audit: no suspect files (*.jsonl, *.jsonl.gz) under the paths given");
		goto done;
	}
	a.slots = prov_calloc(all.n, sizeof(*a.slots));
	if (!a.slots) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < all.n; i++)
		if (!shard_n || (long)(i % (size_t)shard_n) == shard_k)
			a.slots[nsel++].file = &all.v[i];
	a.n = nsel;

	/* the evidence database, the corpus, one reader per worker */
	separate = evidence && strcmp(evidence, ctx->db_path);
	session_threads = jobs;
	session_scan_threads = 1;   /* the files run in parallel; each scan on one thread */
	if ((sign_key && (rc = case_key_load(&key, sign_key, 1))) || (rc = cmd_need_db(ctx->db_path)) ||
	    (rc = session_open(&se, ctx->db_path, patterns, separate)) || (rc = session_keep_answers(se)))
		goto done;
	if (separate && (rc = store_open(&ev_own, evidence, 0)))
		goto done;
	ev = separate ? ev_own : se->store;
	case_use_signer(ev, key);
	a.se = se;
	nw = a.n < (size_t)jobs ? a.n : (size_t)jobs;
	w = prov_calloc(nw + 1, sizeof(*w));
	if (!w) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < nw; i++) {
		w[i].a = &a;
		if ((rc = store_open(&w[i].reader, ctx->db_path, STORE_RDONLY)))
			goto done;
	}

	/* run: workers analyse, this thread stores in file order */
	if (pthread_mutex_init(&a.mu, NULL) || pthread_cond_init(&a.work_cv, NULL) ||
	    pthread_cond_init(&a.done_cv, NULL)) {
		rc = prov_error(PROV_EINTERNAL, "audit: cannot create the thread locks");
		goto done;
	}
	sync_ok = 1;
	a.window = nw * WINDOW_PER_THREAD;
	json_object_seed(0);    /* before any thread makes a JSON object */
	sm.rows = json_array();
	progress_init(&prog);
	for (i = 0; i < nw; i++) {
		int err = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);

		if (err) {
			/* carry on with the threads there are */
			if (!i) {
				rc = prov_error(PROV_EINTERNAL, "audit: cannot start a thread: %s", strerror(err));
				goto done;
			}
			break;
		}
		w[i].started = 1;
	}
	for (i = 0; i < a.n && !fatal; i++) {
		struct slot *sl = &a.slots[i];
		struct case_info ci;

		memset(&ci, 0, sizeof(ci));
		wait_slot(&a, i, &prog);
		if (!sl->rc) {
			int src = casedoc_commit(&ci, &stored, ev, sl->pending);

			if (src) {
				sl->rc = fatal_rc = src;
				snprintf(sl->err, sizeof(sl->err), "%s", prov_error_msg());
				fatal = 1;
			} else if (reports && (src = write_report(reports, report_format, (size_t)(sl->file - all.v),
					sl->file->path, &stored, &ci))) {
				/* the case is stored; only its report file is missing */
				progress_done(&prog);
				fprintf(stderr, "provenance audit: %s\n", prov_error_msg());
				if (!sm.exit_code)
					sm.exit_code = cmd_exit_for(src);
			}
		}
		json_array_append_new(sm.rows, summary_row(sl, &ci));
		if (sl->rc) {
			progress_done(&prog);
			if (!strncmp(sl->err, sl->file->path, strlen(sl->file->path)))
				fprintf(stderr, "provenance audit: %s\n", cmd_esc(sl->err));   /* the message names the file */
			else
				fprintf(stderr, "provenance audit: %s: %s\n", cmd_esc(sl->file->path), cmd_esc(sl->err));
			sm.failed++;
			if (!sm.exit_code)
				sm.exit_code = cmd_exit_for(sl->rc);
		} else {
			sm.stored++;
		}
		slot_release(sl);
		pthread_mutex_lock(&a.mu);
		a.stored = i + 1;
		if (fatal)
			a.stop = 1;
		pthread_cond_broadcast(&a.work_cv);
		pthread_mutex_unlock(&a.mu);
	}
	if (fatal) {
		pthread_mutex_lock(&a.mu);
		a.stop = 1;
		pthread_cond_broadcast(&a.work_cv);
		pthread_mutex_unlock(&a.mu);
	}
	for (i = 0; i < nw; i++)
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
	progress_done(&prog);
	/* files never stored because the audit stopped */
	for (i = sm.stored + sm.failed; i < a.n; i++) {
		struct slot *sl = &a.slots[i];

		slot_release(sl);
		sl->rc = fatal_rc;
		snprintf(sl->err, sizeof(sl->err), "not stored: the audit stopped at an earlier error");
		json_array_append_new(sm.rows, summary_row(sl, NULL));
		sm.failed++;
	}

	/* the summary */
	sm.corpus = ctx->db_path;
	sm.evidence = evidence ? evidence : ctx->db_path;
	sm.shard_k = shard_k;
	sm.shard_n = shard_n;
	sm.files = a.n;
	if ((rc = rank_summary(sm.rows, &sm.order)))
		goto done;
	if (!strcmp(format, "json"))
		rc = render_json_summary(&text, &sm);
	else if (!strcmp(format, "csv"))
		rc = render_csv_summary(&text, &sm);
	else
		rc = render_md_summary(&text, &sm);
	if (!rc)
		rc = cmd_write_output(output, text.data ? text.data : "", text.len);
	if (!rc && !cmd_quiet) {
		if (shard_n && !a.n)
			fprintf(stderr, "provenance audit: shard %ld/%ld holds none of the %zu files\n", shard_k, shard_n,
				all.n);
		else
			fprintf(stderr, "provenance audit: %zu file%s, %zu case%s stored in %s, %zu failed\n", a.n,
				a.n == 1 ? "" : "s", sm.stored, sm.stored == 1 ? "" : "s", cmd_esc(sm.evidence), sm.failed);
		if (sm.stored)
			cmd_print_head(ev);
	}
done:
	if (sync_ok) {
		pthread_mutex_destroy(&a.mu);
		pthread_cond_destroy(&a.work_cv);
		pthread_cond_destroy(&a.done_cv);
	}
	for (i = 0; w && i < nw; i++)
		store_close(w[i].reader);
	free(w);
	for (i = 0; a.slots && i < a.n; i++)
		slot_release(&a.slots[i]);
	free(a.slots);
	json_decref(sm.rows);
	free(sm.order);
	pbuf_release(&stored);
	pbuf_release(&text);
	session_close(se);
	store_close(ev_own);
	case_key_free(key);
	flist_release(&all);
	if (rc)
		return rc == PROV_EUSAGE ? cmd_usage_error("audit", "%s", prov_error_msg()) : cmd_fail(rc);
	return sm.exit_code;
}
