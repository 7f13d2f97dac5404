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
#include <math.h>
#include <pthread.h>
#include <signal.h>
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
#include "corpus/collect.h"
#include "corpus/jsonl.h"
#include "corpus/probes.h"
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
	"                                     [--reports DIR [--report-format md|html|json]] [--resume]\n"
	"       provenance [--db CORPUS.db] audit --endpoints FILE --answers DIR\n"
	"                                     [--prompts FILE | --probe NAME]... [--requests N]\n"
	"                                     [--timeout S] [--retries N] [--backoff S] [options above]\n"
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
	"  --resume          a file whose case is already in the evidence database (same path,\n"
	"                    SHA-256, name and corpus snapshot) is not analysed again: its row comes\n"
	"                    from the stored case\n"
	"\n"
	"Model servers instead of files (see docs/usage.md for the manifest):\n"
	"  --endpoints FILE  one suspect a line: NAME<TAB>URL<TAB>MODEL[<TAB>API_KEY_VAR[<TAB>SAMPLING]]\n"
	"                    (SAMPLING: temperature=T,top_p=P,max_tokens=N,seed=S) or a JSON object;\n"
	"                    each suspect is asked the prompts (as collect does: retries, evidence\n"
	"                    sidecar) into DIR/NAME.jsonl, then audited as that file, with --resume.\n"
	"                    A suspect whose answers cannot all be collected is listed as not audited\n"
	"                    with the reason; re-running asks only what is missing. --shard slices\n"
	"                    the manifest's lines.\n"
	"  --answers DIR     where the answers are kept (created if missing)\n"
	"  --prompts FILE, --probe NAME\n"
	"                    the prompts to ask (default: every prompt in the corpus)\n"
	"  --requests N      requests in flight per suspect (default 4)\n"
	"  --timeout S, --retries N, --backoff S\n"
	"                    as collect's (defaults 300, 5, 1)\n"
	"\n"
	"Exit code: 0 if every file was analysed and stored; otherwise the exit code of the first\n"
	"failure in file order (3 malformed file, 4 unreadable file, ...; see docs/usage.md).\n";

/* ------------------------------------------------------------ the file list */

struct entry {
	char *path;
	int rc;          /* a failure found while listing (an unreadable directory), else 0 */
	char *err;
	char *name;      /* --endpoints: the suspect's name from the manifest (else NULL: from the file) */
	int not_audited; /* --endpoints: its answers could not be collected (err says why) */
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
		free(l->v[i].name);
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
	int64_t stored_id;       /* --resume: the case already stored for this file (nothing to analyse) */
};

/*
 * --resume: the cases already in the evidence database, by what makes a case
 * the same: the suspect file's path and SHA-256, the case name and the corpus
 * snapshot it was compared against (only those of this snapshot are kept).
 */
struct done_case {
	const struct case_info *ci;
};

struct done_index {
	struct case_info *cases;
	size_t ncases;
	struct done_case *v;     /* sorted by path, sha256, name, then the newest id first */
	size_t n;
};

static int cmp_done(const void *pa, const void *pb)
{
	const struct case_info *a = ((const struct done_case *)pa)->ci, *b = ((const struct done_case *)pb)->ci;
	int c = strcmp(a->suspect_path, b->suspect_path);

	if (!c)
		c = strcmp(a->suspect_sha256, b->suspect_sha256);
	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)
		c = a->id > b->id ? -1 : a->id < b->id;
	return c;
}

static int done_load(struct done_index *d, struct store *ev, const char *snapshot)
{
	size_t i;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = case_list(ev, &d->cases, &d->ncases)))
		return rc;
	d->v = prov_calloc(d->ncases + 1, sizeof(*d->v));
	if (!d->v)
		return PROV_ENOMEM;
	for (i = 0; i < d->ncases; i++)
		if (!d->cases[i].altered && !strcmp(d->cases[i].snapshot_sha256, snapshot))
			d->v[d->n++].ci = &d->cases[i];
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), cmp_done);
	return 0;
}

static void done_release(struct done_index *d)
{
	free(d->cases);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* The id of the newest stored case of this file, name and snapshot, or 0. */
static int64_t done_find(const struct done_index *d, const char *path, const char *sha256, const char *name)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct case_info *c = d->v[mid].ci;
		int k = strcmp(c->suspect_path, path);

		if (!k)
			k = strcmp(c->suspect_sha256, sha256);
		if (!k)
			k = strcmp(c->name, name);
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->n && !strcmp(d->v[lo].ci->suspect_path, path) && !strcmp(d->v[lo].ci->suspect_sha256, sha256) &&
	    !strcmp(d->v[lo].ci->name, name))
		return d->v[lo].ci->id;
	return 0;
}

struct audit {
	struct session *se;
	const struct done_index *done;   /* --resume, else NULL */
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
static void analyse_file(struct slot *sl, struct session *se, struct store *reader, const struct done_index *done)
{
	int rc = sl->file->rc;
	const char *name;

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
	name = sl->file->name ? sl->file->name : sl->sus ? suspect_default_name(sl->sus) : "";
	if (!rc && !cmd_valid_name(name))
		rc = prov_error(PROV_EDATA, "%s: the suspect's name (from its model field or file name) is not 1 to %d"
			" printable characters", sl->file->path, CMD_MAX_NAME);
	if (!rc && done && strcmp(sl->file->path, "-") &&
	    (sl->stored_id = done_find(done, sl->sus->path, sl->sus->sha256, name))) {
		suspect_free(sl->sus);   /* stored before: the main thread reads the case back */
		sl->sus = NULL;
		return;
	}
	if (!rc)
		rc = analyse_with(&sl->doc, se, reader, sl->sus, 0, sl->sus->n, name, NULL, 0);
	if (!rc)
		rc = casedoc_prepare(&sl->pending, sl->doc, sl->sus, 0, sl->sus->n, name, NULL);
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

		analyse_file(sl, a->se, w->reader, a->done);
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
		json_object_set_new(r, "status", json_string(sl->file->not_audited ? "not audited" : "failed"));
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
	size_t resumed;          /* of the stored: found already stored (--resume, --endpoints) */
	size_t not_audited;      /* of the failed: --endpoints suspects whose answers could not be collected */
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
	json_object_set_new(doc, "already_stored", json_integer((json_int_t)sm->resumed));
	json_object_set_new(doc, "not_audited", json_integer((json_int_t)sm->not_audited));
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
		rc = pbuf_addf(out, "%zu suspect file%s, %zu case%s stored", sm->files, sm->files == 1 ? "" : "s",
			sm->stored, sm->stored == 1 ? "" : "s");
	if (!rc && sm->resumed)
		rc = pbuf_addf(out, " (%zu of them before this run)", sm->resumed);
	if (!rc)
		rc = pbuf_addf(out, ", %zu failed", sm->failed);
	if (!rc && sm->not_audited)
		rc = pbuf_addf(out, " (%zu not audited: their answers could not be collected)", sm->not_audited);
	if (!rc)
		rc = pbuf_adds(out, ". Corpus: ");
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

/* ------------------------------------------------------------ --endpoints: the manifest and collecting */

#define MAX_SUSPECT_NAME 100

/* One suspect of the manifest: a model behind an OpenAI-compatible server. */
struct endpoint {
	long line;
	char *name, *url, *model, *keyenv, *system;
	int has_temperature, has_top_p, has_seed;
	double temperature, top_p;
	long max_tokens;         /* < 0: not sent */
	long long seed;
};

struct manifest {
	struct endpoint *v;
	size_t n, cap;
};

static void manifest_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].url);
		free(m->v[i].model);
		free(m->v[i].keyenv);
		free(m->v[i].system);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* A suspect name is also its answers file's name: [A-Za-z0-9._-], not starting with '.'. */
static int valid_suspect_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > MAX_SUSPECT_NAME || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int valid_env_name(const char *s)
{
	size_t i;

	if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return 0;
	return 1;
}

static int parse_real_in(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* One sampling setting KEY=VALUE (TSV) or "KEY": value (JSONL, given as text). 0, or PROV_EDATA with the message. */
static int set_sampling(struct endpoint *e, const char *file, const char *key, const char *val)
{
	char *end;

	if (!strcmp(key, "temperature")) {
		if (parse_real_in(val, 0, 10, &e->temperature))
			return prov_error(PROV_EDATA, "%s:%ld: temperature must be a number from 0 to 10, not '%s'", file,
				e->line, val);
		e->has_temperature = 1;
	} else if (!strcmp(key, "top_p")) {
		if (parse_real_in(val, 0, 1, &e->top_p))
			return prov_error(PROV_EDATA, "%s:%ld: top_p must be a number from 0 to 1, not '%s'", file, e->line,
				val);
		e->has_top_p = 1;
	} else if (!strcmp(key, "max_tokens")) {
		if ((e->max_tokens = cmd_parse_long(val)) < 1)
			return prov_error(PROV_EDATA, "%s:%ld: max_tokens must be a positive integer, not '%s'", file,
				e->line, val);
	} else if (!strcmp(key, "seed")) {
		errno = 0;
		e->seed = strtoll(val, &end, 10);
		if (!*val || *end || errno)
			return prov_error(PROV_EDATA, "%s:%ld: seed must be an integer, not '%s'", file, e->line, val);
		e->has_seed = 1;
	} else {
		return prov_error(PROV_EDATA, "%s:%ld: unknown sampling setting '%s' (temperature, top_p, max_tokens, "
			"seed)", file, e->line, key);
	}
	return 0;
}

/* The TSV fields after the model: [API_KEY_VAR [SAMPLING]], "-" or empty for none. */
static int tsv_sampling(struct endpoint *e, const char *file, char *list)
{
	char *item, *save = NULL;
	int rc = 0;

	if (!*list || !strcmp(list, "-"))
		return 0;
	for (item = strtok_r(list, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		while (*item == ' ')
			item++;
		if (!eq)
			return prov_error(PROV_EDATA, "%s:%ld: sampling setting '%s' is not KEY=VALUE", file, e->line, item);
		*eq = '\0';
		rc = set_sampling(e, file, item, eq + 1);
	}
	return rc;
}

static int ep_strdup(char **out, const char *s)
{
	*out = NULL;
	if (!s)
		return 0;
	return (*out = prov_strdup(s)) ? 0 : PROV_ENOMEM;
}

/* A JSONL manifest line: {"name", "endpoint", "model", "api_key_env", "system", sampling keys}. */
static int json_line(struct endpoint *e, const char *file, const char *text)
{
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *k;
	int rc = 0;

	if (!json_is_object(o)) {
		json_decref(o);
		return prov_error(PROV_EDATA, "%s:%ld: not a JSON object%s%s", file, e->line, o ? "" : ": ",
			o ? "" : jerr.text);
	}
	json_object_foreach(o, k, v) {
		char num[64];

		if (rc)
			break;
		if (!strcmp(k, "name") || !strcmp(k, "endpoint") || !strcmp(k, "model") || !strcmp(k, "api_key_env") ||
		    !strcmp(k, "system")) {
			const char *sv = json_string_value(v);
			char **dst = !strcmp(k, "name") ? &e->name : !strcmp(k, "endpoint") ? &e->url :
				!strcmp(k, "model") ? &e->model : !strcmp(k, "api_key_env") ? &e->keyenv : &e->system;

			if (!json_is_string(v))
				rc = prov_error(PROV_EDATA, "%s:%ld: \"%s\" must be a string", file, e->line, k);
			else
				rc = ep_strdup(dst, sv);
		} else if (!strcmp(k, "temperature") || !strcmp(k, "top_p") || !strcmp(k, "max_tokens") ||
			   !strcmp(k, "seed")) {
			if (json_is_integer(v))
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			else if (json_is_real(v) && (!strcmp(k, "temperature") || !strcmp(k, "top_p")))
				snprintf(num, sizeof(num), "%.17g", json_real_value(v));
			else {
				rc = prov_error(PROV_EDATA, "%s:%ld: \"%s\" must be a number%s", file, e->line, k,
					strcmp(k, "max_tokens") && strcmp(k, "seed") ? "" : " (an integer)");
				break;
			}
			rc = set_sampling(e, file, k, num);
		} else {
			rc = prov_error(PROV_EDATA, "%s:%ld: unknown key \"%s\" (name, endpoint, model, api_key_env, system,"
				" temperature, top_p, max_tokens, seed)", file, e->line, k);
		}
	}
	json_decref(o);
	return rc;
}

/* A TSV manifest line: NAME TAB URL TAB MODEL [TAB API_KEY_VAR [TAB SAMPLING]]. */
static int tsv_line(struct endpoint *e, const char *file, char *text)
{
	char *f[6];
	size_t nf = 0;
	char *p = text;
	int rc;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (nf == 5)
			return prov_error(PROV_EDATA, "%s:%ld: more than 5 tab-separated fields (name, endpoint, model, "
				"API key variable, sampling)", file, e->line);
		f[nf++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (nf < 3)
		return prov_error(PROV_EDATA, "%s:%ld: %zu field%s; a suspect needs name, endpoint and model, separated "
			"by tabs", file, e->line, nf, nf == 1 ? "" : "s");
	if ((rc = ep_strdup(&e->name, f[0])) || (rc = ep_strdup(&e->url, f[1])) || (rc = ep_strdup(&e->model, f[2])))
		return rc;
	if (nf > 3 && *f[3] && strcmp(f[3], "-") && (rc = ep_strdup(&e->keyenv, f[3])))
		return rc;
	return nf > 4 ? tsv_sampling(e, file, f[4]) : 0;
}

/*
 * Read the manifest: one suspect a line, TSV or JSONL (a line starting with
 * '{'), '#' comments and blank lines skipped. Every error names the file and
 * line (PROV_EDATA), PROV_EIO if unreadable.
 */
static int manifest_load(struct manifest *m, const char *file)
{
	FILE *fp = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0, i;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open: %s", file, strerror(errno));
	while (!rc && (len = getline(&line, &cap, fp)) >= 0) {
		struct endpoint *e;
		char *t = line, *url = NULL;

		lineno++;
		if ((size_t)len != strlen(line)) {
			rc = prov_error(PROV_EDATA, "%s:%ld: a NUL byte in the line", file, lineno);
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (*t == ' ')
			t++;
		if (!*t || *t == '#')
			continue;
		if (prov_grow(&m->v, &m->cap, m->n, sizeof(*m->v), 16)) {
			rc = PROV_ENOMEM;
			break;
		}
		e = &m->v[m->n++];
		memset(e, 0, sizeof(*e));
		e->line = lineno;
		e->max_tokens = -1;
		rc = *t == '{' ? json_line(e, file, t) : tsv_line(e, file, line);
		if (rc)
			break;
		if (!e->name || !e->url || !e->model)
			rc = prov_error(PROV_EDATA, "%s:%ld: \"%s\" is missing (a suspect needs name, endpoint and model)",
				file, lineno, !e->name ? "name" : !e->url ? "endpoint" : "model");
		else if (!valid_suspect_name(e->name))
			rc = prov_error(PROV_EDATA, "%s:%ld: the name '%s' must be 1 to %d letters, digits, '.', '-' or '_', "
				"not starting with '.' (it names the answers file)", file, lineno, cmd_esc(e->name),
				MAX_SUSPECT_NAME);
		else if (!cmd_valid_name(e->model))
			rc = prov_error(PROV_EDATA, "%s:%ld: the model name must be 1 to %d characters without control "
				"characters", file, lineno, CMD_MAX_NAME);
		else if (e->keyenv && !valid_env_name(e->keyenv))
			rc = prov_error(PROV_EDATA, "%s:%ld: '%s' is not an environment variable name", file, lineno,
				cmd_esc(e->keyenv));
		else if (collect_url(&url, e->url))
			rc = prov_error(PROV_EDATA, "%s:%ld: the endpoint must be an http:// or https:// URL, not '%s'", file,
				lineno, cmd_esc(e->url));
		free(url);
		for (i = 0; !rc && i + 1 < m->n; i++)
			if (!strcmp(m->v[i].name, e->name))
				rc = prov_error(PROV_EDATA, "%s:%ld: the name '%s' is already used on line %ld", file, lineno,
					e->name, m->v[i].line);
	}
	if (!rc && ferror(fp))
		rc = prov_error(PROV_EIO, "%s: read error: %s", file, strerror(errno));
	if (!rc && !m->n)
		rc = prov_error(PROV_EDATA, "%s: no suspect in the manifest", file);
	free(line);
	fclose(fp);
	return rc;
}

/* The prompts to ask: from files, probe sets or the corpus. */
struct plist {
	struct collect_prompt *items;
	size_t n, cap;
	char **owned;
	size_t nowned, capowned;
	int dedupe;              /* the corpus's prompts: an id seen before is skipped */
};

static void plist_release(struct plist *l)
{
	size_t i;

	for (i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int plist_own(struct plist *l, char *s)
{
	if (!s)
		return PROV_ENOMEM;
	if (prov_grow(&l->owned, &l->capowned, l->nowned, sizeof(*l->owned), 256)) {
		free(s);
		return PROV_ENOMEM;
	}
	l->owned[l->nowned++] = s;
	return 0;
}

/* A prompt; without an id, a stable one from the text (as collect makes). */
static int plist_add(void *ctx, const char *id, const char *prompt, size_t plen)
{
	struct plist *l = ctx;
	char sha[PROV_SHA256_HEX], *pid, *ptext;
	size_t i;
	int rc;

	if (!id) {
		if ((rc = prov_sha256_hex(sha, prompt, plen)))
			return rc;
		sha[16] = '\0';
		id = sha;
	}
	if (l->dedupe)
		for (i = 0; i < l->n; i++)
			if (!strcmp(l->items[i].id, id))
				return 0;
	if ((rc = plist_own(l, pid = prov_strdup(id))) || (rc = plist_own(l, ptext = prov_strndup(prompt, plen))))
		return rc;
	if (prov_grow(&l->items, &l->cap, l->n, sizeof(*l->items), 256))
		return PROV_ENOMEM;
	l->items[l->n].id = pid;
	l->items[l->n].prompt = ptext;
	l->n++;
	return 0;
}

static int plist_file(struct plist *l, const char *path)
{
	struct jl_opts o = { 0, 1, 0, 0 };
	struct jl_reader *r = NULL;
	struct jl_record rec;
	int rc = 0, got;

	if ((rc = jl_open(&r, path, &o)))
		return rc;
	while (!rc && (got = jl_next(r, &rec)) == 1) {
		if (rec.no_prompt || !rec.prompt_len)
			rc = prov_error(PROV_EDATA, "%s:%ld: no prompt to ask", path, rec.line);
		else
			rc = plist_add(l, rec.id, rec.prompt, rec.prompt_len);
	}
	jl_free(r);
	return rc ? rc : got < 0 ? got : 0;
}

static int plist_probe(struct plist *l, const char *name)
{
	struct probe_set *s = NULL;
	size_t i;
	int rc;

	if ((rc = probe_set_load(&s, name))) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", prov_error_msg());
		return rc == PROV_ENOTFOUND ? prov_error(PROV_EUSAGE, "%s", msg) : rc;
	}
	for (i = 0; i < s->n && !rc; i++)
		rc = plist_add(l, s->items[i].id, s->items[i].prompt, strlen(s->items[i].prompt));
	probe_set_free(s);
	return rc;
}

static volatile sig_atomic_t audit_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	audit_stop = 1;
}

/* What collect tells about one suspect: the first failed prompt's message is kept as the reason. */
struct ep_ui {
	const char *name;
	char first[512];
	int notes;
	struct progress *pg;
	size_t todo;
};

static void ep_note(void *arg, const char *msg)
{
	struct ep_ui *u = arg;

	/* the reason kept is the least in byte order (requests finish in any order; the summary must not vary) */
	if (!strstr(msg, "gave up after") && (!u->first[0] || strcmp(msg, u->first) < 0))
		snprintf(u->first, sizeof(u->first), "%s", msg);
	if (u->notes++ < 3 && !cmd_quiet) {
		progress_done(u->pg);
		fprintf(stderr, "provenance audit: %s: %s%s\n", u->name, cmd_esc(msg), u->notes == 3 ? " (and so on)" : "");
	}
}

static void ep_progress(void *arg, const struct collect_stats *st)
{
	struct ep_ui *u = arg;

	if (u->pg->enabled)
		progress_update(u->pg, "audit: collecting %s: %zu/%zu answered, %zu failed, %d in flight", u->name,
			st->skipped + st->done, u->todo, st->failed, st->in_flight);
}

struct collect_opts {
	int jobs;
	double timeout, backoff;
	int retries;
};

/*
 * Collect the answers of one suspect into DIR/NAME.jsonl (resumable: what the
 * file holds is not asked again) and add it to `files`: as a suspect file when
 * every prompt is answered, else as "not audited" with the reason.
 * Returns 0, or an error that stops the audit (out of memory).
 */
static int collect_one(struct flist *files, const struct endpoint *e, const struct plist *prompts, const char *dir,
	const struct collect_opts *co)
{
	struct collect_settings s;
	struct collect_stats st;
	struct collect_hooks hooks;
	struct ep_ui u;
	struct progress pg;
	struct entry *ent;
	char path[MAX_PATH_BYTES];
	const char *key = NULL;
	char reason[2048];
	int rc = 0, crc, n;

	n = snprintf(path, sizeof(path), "%s%s%s.jsonl", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->name);
	if (n < 0 || (size_t)n >= sizeof(path))
		rc = prov_error(PROV_EIO, "%s/%s.jsonl: path longer than %d bytes", dir, e->name, MAX_PATH_BYTES - 1);
	memset(&s, 0, sizeof(s));
	s.endpoint = e->url;
	s.model = e->model;
	s.system = e->system;
	s.has_temperature = e->has_temperature;
	s.temperature = e->temperature;
	s.has_top_p = e->has_top_p;
	s.top_p = e->top_p;
	s.max_tokens = e->max_tokens;
	s.has_seed = e->has_seed;
	s.seed = e->seed;
	s.samples = 1;
	s.jobs = co->jobs;
	s.timeout = co->timeout;
	s.retries = co->retries;
	s.backoff = co->backoff;
	if (!rc && e->keyenv && (!(key = getenv(e->keyenv)) || !key[0]))
		rc = prov_error(PROV_EUSAGE, "the environment variable %s (its API key) is not set", e->keyenv);
	s.api_key = key && key[0] ? key : NULL;
	memset(&u, 0, sizeof(u));
	memset(&st, 0, sizeof(st));
	progress_init(&pg);
	u.name = e->name;
	u.pg = &pg;
	u.todo = prompts->n;
	memset(&hooks, 0, sizeof(hooks));
	hooks.arg = &u;
	hooks.note = ep_note;
	hooks.progress = ep_progress;
	hooks.stop = &audit_stop;
	if (!rc)
		rc = collect_run(&st, &s, prompts->items, prompts->n, path, &hooks);
	progress_done(&pg);
	if (rc == PROV_ENOMEM)
		return rc;
	if (!rc && st.interrupted)
		return 0;   /* the caller stops */
	crc = rc;
	if (crc) {
		char msg[600];
		char *see;

		snprintf(msg, sizeof(msg), "%s", *prov_error_msg() ? prov_error_msg() : "collecting the answers failed");
		if ((see = strstr(msg, " (see above)")))
			memmove(see, see + 12, strlen(see + 12) + 1);
		snprintf(reason, sizeof(reason), "not audited: %s%s%s%s", msg,
			u.first[0] && !strstr(msg, u.first) ? " (first: " : "", u.first[0] && !strstr(msg, u.first) ? u.first : "",
			u.first[0] && !strstr(msg, u.first) ? ")" : "");
		prov_error(crc == PROV_EUSAGE ? PROV_EDATA : crc, "%s", reason);
	}
	if ((rc = flist_add(files, path, crc == PROV_EUSAGE ? PROV_EDATA : crc)))
		return rc;
	ent = &files->v[files->n - 1];
	ent->not_audited = crc != 0;
	if (!(ent->name = prov_strdup(e->name)))
		return PROV_ENOMEM;
	return 0;
}

/* ------------------------------------------------------------ the command */

int cmd_audit(int argc, char **argv, struct cmd_ctx *ctx)
{
	enum { O_ENDPOINTS = 256, O_ANSWERS, O_PROMPTS, O_PROBE, O_REQUESTS, O_TIMEOUT, O_RETRIES, O_BACKOFF };
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
		{ "resume", no_argument, NULL, 'r' },
		{ "endpoints", required_argument, NULL, O_ENDPOINTS },
		{ "answers", required_argument, NULL, O_ANSWERS },
		{ "prompts", required_argument, NULL, O_PROMPTS },
		{ "probe", required_argument, NULL, O_PROBE },
		{ "requests", required_argument, NULL, O_REQUESTS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "backoff", required_argument, NULL, O_BACKOFF },
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
	const char *endpoints = NULL, *answers = NULL;
	int resume = 0, nsources = 0, interrupted = 0;
	struct collect_opts co = { 4, 300, 1, 5 };
	struct manifest man = { NULL, 0, 0 };
	struct plist pl;
	struct done_index done;
	long v;

	memset(&a, 0, sizeof(a));
	memset(&sm, 0, sizeof(sm));
	memset(&pl, 0, sizeof(pl));
	memset(&done, 0, sizeof(done));
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
		case 'r':
			resume = 1;
			break;
		case O_ENDPOINTS:
			if (!*optarg)
				return cmd_usage_error("audit", "--endpoints needs a manifest file");
			endpoints = optarg;
			break;
		case O_ANSWERS:
			if (!*optarg)
				return cmd_usage_error("audit", "--answers needs a directory");
			answers = optarg;
			break;
		case O_PROMPTS:
		case O_PROBE:
			nsources++;
			break;
		case O_REQUESTS:
			if ((v = cmd_parse_long(optarg)) < 1 || v > 256)
				return cmd_usage_error("audit", "--requests must be from 1 to 256, not '%s'", optarg);
			co.jobs = (int)v;
			break;
		case O_TIMEOUT:
			if (parse_real_in(optarg, 0.001, 86400, &co.timeout))
				return cmd_usage_error("audit", "--timeout must be a number of seconds, not '%s'", optarg);
			break;
		case O_RETRIES:
			if ((v = cmd_parse_long(optarg)) < 0 || v > 100)
				return cmd_usage_error("audit", "--retries must be from 0 to 100, not '%s'", optarg);
			co.retries = (int)v;
			break;
		case O_BACKOFF:
			if (parse_real_in(optarg, 0, 3600, &co.backoff))
				return cmd_usage_error("audit", "--backoff must be a number of seconds, not '%s'", optarg);
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
	if (endpoints) {
		if (optind < argc)
			return cmd_usage_error("audit", "--endpoints takes no FILE or DIR ('%s')", argv[optind]);
		if (!answers)
			return cmd_usage_error("audit", "--endpoints needs --answers DIR (where the answers are kept)");
		resume = 1;
	} else {
		if (answers || nsources)
			return cmd_usage_error("audit", "--answers, --prompts and --probe go with --endpoints");
		if (optind >= argc)
			return cmd_usage_error("audit", "no suspect file or directory given");
	}
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

	/* --endpoints: collect each suspect of this shard's slice of the manifest; the answers files are the files */
	if (endpoints) {
		struct sigaction sa, old_int, old_term;
		struct stat ast;
		struct store *pst = NULL;
		const char *first = NULL;

		if ((rc = manifest_load(&man, endpoints)) || (rc = cmd_need_db(ctx->db_path)))
			goto done;
		cmd_getopt_reset();
		while (!rc && (c = cmd_getopt(argc, argv, ":j:s:e:o:f:p:h", longopts, "audit")) != -1) {
			if (c == O_PROMPTS)
				rc = plist_file(&pl, first = optarg);
			else if (c == O_PROBE)
				rc = plist_probe(&pl, first = optarg);
		}
		if (!rc && !nsources) {
			pl.dedupe = 1;
			if (!(rc = store_open(&pst, ctx->db_path, STORE_RDONLY)))
				rc = store_each_prompt(pst, NULL, plist_add, &pl);
			store_close(pst);
		}
		if (rc)
			goto done;
		if (!pl.n) {
			rc = prov_error(PROV_EDATA, "audit: no prompts to ask (%s holds none)", first ? first : ctx->db_path);
			goto done;
		}
		if (mkdir(answers, 0777) != 0 && (errno != EEXIST || stat(answers, &ast) != 0 || !S_ISDIR(ast.st_mode))) {
			rc = prov_error(PROV_EIO, "%s: cannot make the answers directory: %s", answers,
				errno == EEXIST ? "a file of that name exists" : strerror(errno));
			goto done;
		}
		audit_stop = 0;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		for (i = 0; i < man.n && !rc && !audit_stop; i++)
			if (!shard_n || (long)(i % (size_t)shard_n) == shard_k)
				rc = collect_one(&all, &man.v[i], &pl, answers, &co);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		if (rc)
			goto done;
		if (audit_stop) {
			interrupted = 1;
			goto done;
		}
		if (!all.n) {
			if (!cmd_quiet)
				fprintf(stderr, "provenance audit: shard %ld/%ld holds none of the %zu suspects\n", shard_k,
					shard_n, man.n);
		}
	}

	/* the files, sorted, and this shard's slice of them */
	for (i = (size_t)optind; !endpoints && i < (size_t)argc && !rc; i++) {
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
	if (!endpoints)
		flist_sort(&all);   /* --endpoints: the manifest's order */
	if (!all.n && !endpoints) {
		rc = prov_error(PROV_EDATA, "audit: no suspect files (*.jsonl, *.jsonl.gz) under the paths given");
		goto done;
	}
	a.slots = prov_calloc(all.n + 1, sizeof(*a.slots));
	if (!a.slots) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < all.n; i++)
		if (endpoints || !shard_n || (long)(i % (size_t)shard_n) == shard_k)   /* the manifest is sliced already */
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
	if (resume) {
		if ((rc = done_load(&done, ev, se->snap->sha256)))
			goto done;
		a.done = &done;
	}
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
		if (!sl->rc && sl->stored_id) {
			/* --resume: stored before; the summary row and the report come from the stored case */
			int src = case_report(ev, sl->stored_id, &stored, &ci);

			if (!src)
				src = casedoc_build(&sl->doc, stored.data ? stored.data : "", stored.len, &ci);
			if (src) {
				sl->rc = src;
				snprintf(sl->err, sizeof(sl->err), "%s", prov_error_msg());
			} else {
				sm.resumed++;
			}
		} else if (!sl->rc) {
			int src = casedoc_commit(&ci, &stored, ev, sl->pending);

			if (src) {
				sl->rc = fatal_rc = src;
				snprintf(sl->err, sizeof(sl->err), "%s", prov_error_msg());
				fatal = 1;
			}
		}
		if (!sl->rc) {
			int src;

			if (reports && (src = write_report(reports, report_format, (size_t)(sl->file - all.v),
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
			if (sl->file->not_audited)
				sm.not_audited++;
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
		if (shard_n && !a.n && !endpoints)
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
	manifest_release(&man);
	plist_release(&pl);
	done_release(&done);
	if (rc)
		return rc == PROV_EUSAGE ? cmd_usage_error("audit", "%s", prov_error_msg()) : cmd_fail(rc);
	if (interrupted) {
		fprintf(stderr, "provenance audit: interrupted while collecting; the answers so far are kept in %s: "
			"re-run the same command to go on\n", cmd_esc(answers));
		return 130;
	}
	return sm.exit_code;
}
