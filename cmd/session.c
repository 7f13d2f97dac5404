/*
 * session.c: the scan session (session.h): the store, the memory plan,
 * chunked loading, the cached preparation, suspects, and the engine's scan.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/session.h"
#include "cmd/cmd.h"
#include "corpus/jsonl.h"
#include "detect/hmap.h"
#include "detect/text.h"

int session_threads = 0;
int session_scan_threads = 0;
int session_no_cache = 0;
size_t session_memory = 0;

/* The preparation's threads: session_threads if set, else $PROVENANCE_THREADS, else the online CPUs. */
static int prep_threads(void)
{
	const char *e = getenv("PROVENANCE_THREADS");
	long n;

	if (session_threads > 0)
		return session_threads;
	if (e && *e) {
		n = strtol(e, NULL, 10);
		if (n >= 1 && n <= 256)
			return (int)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 1 && n <= 256 ? (int)n : 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int session_load_patterns(struct pat_lib **out, const char *file)
{
	size_t len = 0;
	const char *text;
	struct pbuf b = PBUF_INIT((size_t)16 << 20);
	FILE *fp;
	int rc;

	if (!file) {
		text = pat_builtin_text(&len);
		return pat_lib_new(out, text, len, "built-in patterns");
	}
	fp = fopen(file, "rb");
	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open the pattern library", file);
	for (;;) {
		char chunk[8192];
		size_t n = fread(chunk, 1, sizeof(chunk), fp);

		if (n && (rc = pbuf_add(&b, chunk, n))) {
			fclose(fp);
			pbuf_release(&b);
			return rc == PROV_EDATA ? prov_error(PROV_EDATA, "%s: larger than 16 MiB", file) : rc;
		}
		if (n < sizeof(chunk))
			break;
	}
	rc = ferror(fp) ? prov_error(PROV_EIO, "%s: read error", file) : 0;
	fclose(fp);
	if (!rc)
		rc = pat_lib_new(out, b.data ? b.data : "", b.len, file);
	pbuf_release(&b);
	return rc;
}

uint8_t session_fold(const char *key)
{
	char c = key[0];
	int v = c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0);

	return (uint8_t)(v & 1);
}

/* ---------------------------------------------------------------- the corpus in memory, or in pieces */

/* What one decoded answer costs beyond its stored bytes (the struct and the allocator's slack). */
#define FEAT_OVERHEAD (sizeof(struct feat) + 48)

/* The memory limit of this process's control group (cgroup v2, else v1), 0 if none is set. */
static size_t cgroup_memory(void)
{
	static const char *const files[] = { "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes" };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *fp = fopen(files[i], "r");
		unsigned long long v = 0;
		int n;

		if (!fp)
			continue;
		n = fscanf(fp, "%llu", &v);    /* "max" (no limit) does not scan */
		fclose(fp);
		return n == 1 && v > 0 && v < ((unsigned long long)1 << 60) ? (size_t)v : 0;
	}
	return 0;
}

size_t session_memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGE_SIZE);
	size_t phys = pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : (size_t)8 << 30, cg = cgroup_memory();

	if (session_memory)
		return session_memory;
	if (cg && cg < phys)
		phys = cg;     /* a container's limit, not the host's memory */
	return phys / 2;
}

/* Bytes a decoded answer of this row takes (features not stored yet: a guess from the answer's size). */
static size_t row_bytes(const struct store_row *r)
{
	return FEAT_OVERHEAD + (r->stored ? r->blob_len : 4096);
}

/* Bytes the decoded answers to prompt q take in a chunk, with the chunk's pointers to them. */
static size_t prompt_bytes(const struct session *se, size_t q)
{
	size_t nm = se->snap->nmodels, m, b = nm * sizeof(void *);

	for (m = 0; m < nm; m++)
		if (se->has[q * nm + m])
			b += row_bytes(&se->snap->rows[se->cell[q * nm + m] - 1]);
	return b;
}

void session_loaded_release(struct loaded *L)
{
	size_t i;

	for (i = 0; i < L->nf; i++)
		feat_release(&L->f[i]);
	free(L->f);
	L->f = NULL;
	L->nf = L->capf = 0;
}

static const struct feat **loaded_cell(struct loaded *L, size_t q, size_t m)
{
	return L->model >= 0 ? &L->cells[q] : &L->cells[(q - L->q0) * L->se->snap->nmodels + m];
}

static int loaded_put(void *arg, size_t row, const void *blob, size_t len)
{
	struct loaded *L = arg;
	const struct store_row *r = &L->se->snap->rows[row];
	size_t nm = L->se->snap->nmodels;
	int rc;

	if (!L->se->has[r->prompt * nm + r->model])
		return 0;    /* a model this session hides */
	if (L->nf == L->capf)
		return prov_error(PROV_EDB, "%s: more answers than the corpus had when it was read; run the command"
			" again", L->se->snap_path);
	if ((rc = feat_decode(&L->f[L->nf], blob, len))) {
		/* name the answer, so that one damaged row can be found (and re-imported) */
		char msg[256];
		const char *pid = L->se->snap->prompts[r->prompt].ext_id;

		snprintf(msg, sizeof(msg), "%s", prov_error_msg());
		return prov_error(rc, "%s: the stored features of %s's answer to prompt %s (response %lld) are "
			"damaged: %s", L->se->snap_path, L->se->snap->models[r->model].name, pid ? pid :
			L->se->snap->prompts[r->prompt].key, (long long)r->response_id, msg);
	}
	*loaded_cell(L, r->prompt, r->model) = &L->f[L->nf++];
	return 0;
}

int session_load_answers(struct loaded *L, struct session *se, struct store *st, size_t q0, size_t q1, long model,
	const struct feat **cells)
{
	size_t nm = se->snap->nmodels, q, m, want = 0, got = 0;
	struct pbuf text = PBUF_INIT(0);
	int rc;

	memset(L, 0, sizeof(*L));
	L->se = se;
	L->st = st;
	L->q0 = model >= 0 ? 0 : q0;
	L->q1 = model >= 0 ? se->snap->nprompts : q1;
	L->model = model;
	L->cells = cells;
	for (q = L->q0; q < L->q1; q++)
		for (m = model >= 0 ? (size_t)model : 0; m < (model >= 0 ? (size_t)model + 1 : nm); m++) {
			*loaded_cell(L, q, m) = NULL;
			want += se->has[q * nm + m];
		}
	L->capf = want;
	L->f = prov_calloc(want + 1, sizeof(*L->f));
	if (!L->f)
		return PROV_ENOMEM;
	if ((rc = store_features_each(st, se->fver, se->snap, L->q0, L->q1, model, loaded_put, L, NULL)))
		goto fail;
	for (q = L->q0; q < L->q1 && !rc; q++)
		for (m = model >= 0 ? (size_t)model : 0; m < (model >= 0 ? (size_t)model + 1 : nm) && !rc; m++) {
			const struct store_row *r;

			if (!se->has[q * nm + m])
				continue;
			got++;
			if (*loaded_cell(L, q, m))
				continue;
			r = &se->snap->rows[se->cell[q * nm + m] - 1];
			if (r->stored) {
				rc = prov_error(PROV_EDB, "%s: the features of response %lld are gone since the corpus was read;"
					" run the command again", se->snap_path, (long long)r->response_id);
				break;
			}
			if (L->nf == L->capf)
				rc = prov_error(PROV_EINTERNAL, "load_answers: more answers than counted");
			else if (!(rc = store_response_text(st, r->response_id, &text)) &&
				 !(rc = feat_compute(&L->f[L->nf], text.data, text.len, se->lib, NULL)))
				*loaded_cell(L, q, m) = &L->f[L->nf++];
		}
	pbuf_release(&text);
	if (!rc && got != want)
		rc = prov_error(PROV_EINTERNAL, "load_answers: %zu of %zu answers", got, want);
	if (!rc)
		return 0;
fail:
	session_loaded_release(L);
	return rc;
}

/* Chunks of prompts whose decoded answers fit se->chunk_bytes (at least one prompt each). */
static int plan_chunks(struct session *se)
{
	size_t np = se->snap->nprompts, q, acc = 0;
	size_t *bytes = prov_calloc(np + 1, sizeof(*bytes));

	free(se->chunk_at);
	se->nchunks = 0;
	se->chunk_at = prov_calloc(np + 2, sizeof(*se->chunk_at));
	if (!bytes || !se->chunk_at) {
		free(bytes);
		return PROV_ENOMEM;
	}
	for (q = 0; q < np; q++)
		bytes[q] = prompt_bytes(se, q);
	for (q = 0; q < np; q++) {
		if (q > se->chunk_at[se->nchunks] && acc + bytes[q] > se->chunk_bytes) {
			se->chunk_at[++se->nchunks] = q;
			acc = 0;
		}
		acc += bytes[q];
	}
	if (np)
		se->chunk_at[++se->nchunks] = np;
	free(bytes);
	return 0;
}

/* The preparation from the store, a chunk of prompts at a time (docs/scaling.md). */
static int prepare_streamed(struct session *se, struct store *st, struct eng_prep **out)
{
	size_t nm = se->snap->nmodels, np = se->snap->nprompts, m, k, widest = 0;
	struct eng_build *b = NULL;
	const struct feat **cells = NULL;
	struct loaded L;
	int rc, pass;

	*out = NULL;
	if ((rc = plan_chunks(se)))
		return rc;
	for (k = 0; k < se->nchunks; k++)
		if (se->chunk_at[k + 1] - se->chunk_at[k] > widest)
			widest = se->chunk_at[k + 1] - se->chunk_at[k];
	cells = prov_calloc((widest > 1 ? widest : 1) * nm + np + 1, sizeof(*cells));
	if (!cells)
		return PROV_ENOMEM;
	if ((rc = eng_build_begin(&b, &se->corpus, &se->params, prep_threads())))
		goto done;
	for (m = 0; m < nm && !rc; m++) {
		if (!se->models[m].teacher)
			continue;
		if (!(rc = session_load_answers(&L, se, st, 0, np, (long)m, cells))) {
			rc = eng_build_teacher(b, m, cells, 1);
			session_loaded_release(&L);
		}
	}
	for (pass = 0; pass < 2 && !rc; pass++)
		for (k = 0; k < se->nchunks && !rc; k++) {
			struct eng_chunk ch = { se->chunk_at[k], se->chunk_at[k + 1], cells };

			if ((rc = session_load_answers(&L, se, st, ch.q0, ch.q1, -1, cells)))
				break;
			rc = pass ? eng_build_table(b, &ch) : eng_build_count(b, &ch);
			session_loaded_release(&L);
		}
	if (!rc)
		rc = eng_build_finish(b, out);
done:
	eng_build_free(b);
	free(cells);
	return rc;
}

/* Compute and store the features of rows stored without them (or with another version). */
static int fill_features(struct session *se)
{
	struct store_snapshot *sn = se->snap;
	struct pbuf text = PBUF_INIT(0), blob = PBUF_INIT(0);
	size_t i, missing = 0;
	int rc;

	for (i = 0; i < sn->nrows; i++)
		missing += !sn->rows[i].stored;
	if (!missing)
		return 0;
	if ((rc = store_begin(se->store)))
		return rc;
	for (i = 0; i < sn->nrows && !rc; i++) {
		struct store_row *r = &sn->rows[i];
		struct feat f = { 0 };

		if (r->stored)
			continue;
		if ((rc = store_response_text(se->store, r->response_id, &text)) ||
		    (rc = feat_compute(&f, text.data, text.len, se->lib, NULL)))
			break;
		if (!(rc = feat_encode(&blob, &f)))
			rc = store_features_put(se->store, r->response_id, se->fver, blob.data, blob.len);
		feat_release(&f);
	}
	if (rc)
		store_rollback(se->store);
	else if (!(rc = store_commit(se->store))) {
		/* the snapshot again: it binds the features now stored */
		store_snapshot_free(se->snap);
		se->snap = NULL;
		rc = store_snapshot_load_opt(se->store, se->fver, STORE_SNAP_LEAN, &se->snap);
	}
	pbuf_release(&text);
	pbuf_release(&blob);
	return rc;
}

static void params_key(char *out, size_t n, const struct eng_params *p)
{
	char hex[PROV_SHA256_HEX];

	prov_sha256_hex(hex, p, sizeof(*p));
	snprintf(out, n, "%.16s", hex);
}

/*
 * Bytes the session holds whatever the mode: the rows, the per-cell maps, the
 * preparation (an upper bound, twice: built and encoded for the cache) and
 * 32 MiB for the pattern library, SQLite's page cache, the phrase counts
 * (candidates x teacher-family members, per thread; unknown before the
 * teachers are read) and the scan.
 */
static size_t fixed_bytes(const struct session *se)
{
	size_t nm = se->snap->nmodels, np = se->snap->nprompts;

	return se->snap->nrows * sizeof(struct store_row) + np * nm * (sizeof(void *) + 1 + sizeof(uint32_t)) +
		2 * eng_prep_estimate(&se->corpus) + ((size_t)32 << 20);
}

/* Decode every answer of the corpus into se->resp (once). */
static int session_load_all(struct session *se)
{
	size_t nm = se->snap->nmodels, np = se->snap->nprompts;
	struct loaded L;
	int rc;

	if (se->resp)
		return 0;
	se->resp = prov_calloc(nm * np + 1, sizeof(*se->resp));
	if (!se->resp)
		return PROV_ENOMEM;
	if ((rc = session_load_answers(&L, se, se->store, 0, np, -1, se->resp))) {
		free(se->resp);
		se->resp = NULL;
		return rc;
	}
	se->feats = L.f;
	se->nfeats = L.nf;
	se->corpus.resp = se->resp;
	return 0;
}

int session_open(struct session **out, const char *db_path, const char *patterns_file, int readonly)
{
	struct session *se;
	size_t i, nm, np, need = 0, fixed;
	int rc, any_teacher = 0;

	*out = NULL;
	se = prov_calloc(1, sizeof(*se));
	if (!se)
		return PROV_ENOMEM;
	se->snap_path = db_path;
	se->readonly = readonly;
	pthread_mutex_init(&se->memo_lock, NULL);
	eng_params_default(&se->params);
	if ((rc = session_load_patterns(&se->lib, patterns_file)))
		goto fail;
	feat_version_string(se->fver, se->lib);
	if ((rc = store_open(&se->store, db_path, readonly ? STORE_RDONLY : 0)))
		goto fail;
	if ((rc = store_snapshot_load_opt(se->store, se->fver, STORE_SNAP_LEAN, &se->snap)))
		goto fail;
	if (!readonly && (rc = fill_features(se)))
		goto fail;
	nm = se->snap->nmodels;
	np = se->snap->nprompts;
	se->models = prov_calloc(nm + 1, sizeof(*se->models));
	se->fold = prov_calloc(np + 1, sizeof(*se->fold));
	se->has = prov_calloc(nm * np + 1, 1);
	se->cell = prov_calloc(nm * np + 1, sizeof(*se->cell));
	if (!se->models || !se->fold || !se->has || !se->cell) {
		rc = PROV_ENOMEM;
		goto fail;
	}
	if (se->snap->nrows >= UINT32_MAX) {
		rc = prov_error(PROV_EDATA, "%s: more than %u answers in one corpus", db_path, UINT32_MAX - 1);
		goto fail;
	}
	for (i = 0; i < se->snap->nrows; i++) {
		const struct store_row *r = &se->snap->rows[i];

		se->has[r->prompt * nm + r->model] = 1;
		se->cell[r->prompt * nm + r->model] = (uint32_t)i + 1;
		need += row_bytes(r);
	}
	for (i = 0; i < nm; i++) {
		se->models[i].name = se->snap->models[i].name;
		se->models[i].family = se->snap->models[i].family;
		se->models[i].teacher = se->snap->models[i].teacher;
		any_teacher |= se->models[i].teacher;
	}
	for (i = 0; i < np; i++)
		se->fold[i] = session_fold(se->snap->prompts[i].key);
	se->corpus.nmodels = nm;
	se->corpus.models = se->models;
	se->corpus.nprompts = np;
	se->corpus.fold = se->fold;
	se->corpus.has = se->has;
	/*
	 * Every answer is decoded only when the preparation must be computed and
	 * they fit the limit; otherwise the preparation reads them in chunks and a
	 * scan reads the suspect's prompts alone (docs/scaling.md).
	 */
	se->limit = session_memory_limit();
	fixed = fixed_bytes(se);
	se->chunk_bytes = se->limit > fixed ? se->limit - fixed : 0;
	se->fits = need + nm * np * sizeof(void *) <= se->chunk_bytes;
	if (se->chunk_bytes < ((size_t)8 << 20)) {
		if (!cmd_quiet && any_teacher && se->limit < fixed)
			fprintf(stderr, "provenance: a memory limit of %zu MB is below what this corpus needs besides its"
				" answers (about %zu MB); working in the smallest chunks (8 MB)\n", se->limit >> 20,
				fixed >> 20);
		se->chunk_bytes = (size_t)8 << 20;
	}
	if (any_teacher) {
		/* PROVENANCE_NAIVE_PREP=1: the plain implementation, never cached (for the equivalence test) */
		const char *nv = getenv("PROVENANCE_NAIVE_PREP");
		int naive = nv && !strcmp(nv, "1");
		char key[256], pk[20];
		struct pbuf blob = PBUF_INIT(0);
		double t0 = now_seconds();

		params_key(pk, sizeof(pk), &se->params);
		snprintf(key, sizeof(key), "prep:%s:%s:%s:%s", ENG_VERSION, se->fver, se->snap->sha256, pk);
		rc = naive || session_no_cache ? 0 : store_cache_get(se->store, key, &blob);
		if (rc == 1 && eng_prep_decode_take(&se->prep, &blob, &se->corpus, &se->params) == 0) {
			se->prep_cached = 1;
			rc = 0;
		} else if (rc >= 0) {
			pbuf_release(&blob);
			if ((naive || se->fits) && (rc = session_load_all(se)))
				goto fail;
			rc = naive ? eng_prepare_naive(&se->prep, &se->corpus, &se->params) : !se->resp ?
				prepare_streamed(se, se->store, &se->prep) : eng_prepare(&se->prep, &se->corpus, &se->params,
				prep_threads());
			if (!rc && !readonly && !naive && !session_no_cache && !(rc = eng_prep_encode(&blob, se->prep)))
				rc = store_cache_put(se->store, key, "prep", blob.data, blob.len);
		}
		se->prep_seconds = now_seconds() - t0;
		pbuf_release(&blob);
		if (rc)
			goto fail;
	}
	*out = se;
	return 0;
fail:
	session_close(se);
	return rc;
}

int session_keep_answers(struct session *se)
{
	return se->fits ? session_load_all(se) : 0;
}

/*
 * `base` with the named models hidden. load: decode base's answers first when
 * they fit (not from session_hiding, whose base other threads may be reading).
 * Its preparation is read through `st`; cache_key: taken from the store's
 * cache when there, and put there when `put`.
 */
static int without(struct session **out, struct session *base, const char *const *names, size_t n, int load,
	struct store *st, const char *cache_key, int put)
{
	struct session *se;
	size_t nm = base->snap->nmodels, np = base->snap->nprompts, m, q, k;
	struct pbuf blob = PBUF_INIT(0);
	int rc;

	*out = NULL;
	if (load && base->prep && base->fits && (rc = session_load_all(base)))
		return rc;
	se = prov_calloc(1, sizeof(*se));
	if (!se)
		return PROV_ENOMEM;
	*se = *base;
	se->base = base;
	se->prep = NULL;
	se->chunk_at = NULL;
	se->memo = NULL;
	se->nmemo = se->capmemo = 0;
	pthread_mutex_init(&se->memo_lock, NULL);
	se->excluded = names;
	se->nexcluded = n;
	se->has = prov_calloc(nm * np + 1, 1);
	se->resp = base->resp ? prov_calloc(nm * np + 1, sizeof(*se->resp)) : NULL;
	if (!se->has || (base->resp && !se->resp)) {
		free(se->has);
		free(se->resp);
		pthread_mutex_destroy(&se->memo_lock);
		free(se);
		return PROV_ENOMEM;
	}
	memcpy(se->has, base->has, nm * np);
	if (base->resp)
		memcpy(se->resp, base->resp, nm * np * sizeof(*se->resp));
	for (m = 0; m < nm; m++)
		for (k = 0; k < n; k++)
			if (!strcmp(base->models[m].name, names[k]))
				for (q = 0; q < np; q++) {
					se->has[q * nm + m] = 0;
					if (se->resp)
						se->resp[q * nm + m] = NULL;
				}
	se->corpus.resp = se->resp;
	se->corpus.has = se->has;
	rc = 0;
	if (base->prep && cache_key) {
		rc = store_cache_get(st, cache_key, &blob);
		if (rc == 1 && eng_prep_decode_take(&se->prep, &blob, &se->corpus, &se->params) == 0)
			se->prep_cached = 1;
		rc = rc < 0 ? rc : 0;
		pbuf_release(&blob);
	}
	if (!rc && base->prep && !se->prep)
		rc = !se->resp ? prepare_streamed(se, st, &se->prep) :
			eng_prepare(&se->prep, &se->corpus, &se->params, prep_threads());
	if (!rc && put && cache_key && !se->prep_cached && se->prep && !(rc = eng_prep_encode(&blob, se->prep)))
		rc = store_cache_put(st, cache_key, "prep-hidden", blob.data, blob.len);   /* one kept, besides the whole corpus's */
	pbuf_release(&blob);
	if (rc) {
		session_close(se);
		return rc;
	}
	*out = se;
	return 0;
}

int session_without(struct session **out, struct session *base, const char *const *names, size_t n)
{
	return without(out, base, names, n, 1, base->store, NULL, 0);
}

int session_hiding(struct session **out, struct session *se, struct store *reader, const uint8_t *hide)
{
	size_t nm = se->snap->nmodels, np = se->snap->nprompts, m, q, i, n = 0;
	struct session_memo *mo = NULL;
	struct pbuf names = PBUF_INIT(0);
	char key[320], pk[20], hex[PROV_SHA256_HEX];
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&se->memo_lock);
	for (i = 0; i < se->nmemo && !*out; i++)
		if (!memcmp(se->memo[i].hide, hide, nm))
			*out = se->memo[i].se;
	if (*out)
		goto done;
	if (!(mo = prov_calloc(1, sizeof(*mo))) || !(mo->hide = prov_calloc(nm + 1, 1)) ||
	    !(mo->names = prov_calloc(nm + 1, sizeof(*mo->names)))) {
		rc = PROV_ENOMEM;
		goto done;
	}
	memcpy(mo->hide, hide, nm);
	for (m = 0; m < nm; m++)
		if (hide[m])
			mo->names[n++] = se->models[m].name;
	/* the cache binds which models the preparation saw: every model left with no answer, by name */
	for (m = 0; m < nm && !rc; m++) {
		int seen = 0;

		for (q = 0; q < np && !seen && !hide[m]; q++)
			seen = se->has[q * nm + m];
		if (!seen)
			rc = pbuf_add(&names, se->models[m].name, strlen(se->models[m].name) + 1);
	}
	if (rc)
		goto done;
	prov_sha256_hex(hex, names.data ? names.data : "", names.len);
	params_key(pk, sizeof(pk), &se->params);
	snprintf(key, sizeof(key), "prep:%s:%s:%s:%s:hidden:%.32s", ENG_VERSION, se->fver, se->snap->sha256, pk, hex);
	if ((rc = without(&mo->se, se, mo->names, n, 0, reader, key, !se->readonly && reader == se->store)))
		goto done;
	/* the report names the user's exclusions (--exclude-control), not the models this scan leaves out */
	mo->se->excluded = se->excluded;
	mo->se->nexcluded = se->nexcluded;
	if ((rc = prov_grow(&se->memo, &se->capmemo, se->nmemo, sizeof(*se->memo), 4)))
		goto done;
	se->memo[se->nmemo++] = *mo;
	*out = mo->se;
	free(mo);
	mo = NULL;
done:
	if (mo) {
		session_close(mo->se);
		free(mo->hide);
		free(mo->names);
		free(mo);
	}
	pbuf_release(&names);
	pthread_mutex_unlock(&se->memo_lock);
	return rc;
}

void session_close(struct session *se)
{
	size_t i;

	if (!se)
		return;
	for (i = 0; i < se->nmemo; i++) {
		session_close(se->memo[i].se);
		free(se->memo[i].hide);
		free(se->memo[i].names);
	}
	free(se->memo);
	eng_prep_free(se->prep);
	free(se->resp);
	free(se->has);
	free(se->chunk_at);
	pthread_mutex_destroy(&se->memo_lock);
	if (se->base) {
		free(se);
		return;
	}
	for (i = 0; i < se->nfeats; i++)
		feat_release(&se->feats[i]);
	free(se->feats);
	free(se->cell);
	free(se->models);
	free(se->fold);
	store_snapshot_free(se->snap);
	store_close(se->store);
	pat_lib_free(se->lib);
	free(se);
}

/* ------------------------------------------------------------ suspects */

void suspect_free(struct suspect *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->recs[i].id);
		free(s->recs[i].prompt);
		free(s->recs[i].response);
		free(s->recs[i].model);
		free(s->recs[i].sampling_json);
		free(s->recs[i].served_model);
		if (s->feats)
			feat_release(&s->feats[i]);
	}
	free(s->recs);
	free(s->feats);
	free(s->path);
	free(s);
}

int suspect_load(struct suspect **out, const char *path, const struct pat_lib *lib)
{
	return suspect_load_opt(out, path, lib, 0);
}

int suspect_load_opt(struct suspect **out, const char *path, const struct pat_lib *lib, unsigned flags)
{
	struct suspect *s;
	struct jl_reader *r = NULL;
	struct jl_record rec;
	struct hmap seen = { NULL, NULL, 0, 0 };
	size_t cap = 0, i;
	int rc, got;

	*out = NULL;
	s = prov_calloc(1, sizeof(*s));
	if (!s)
		return PROV_ENOMEM;
	s->path = prov_strdup(path);
	if (!s->path) {
		rc = PROV_ENOMEM;
		goto done;
	}
	if ((rc = jl_open(&r, path, NULL)) || (rc = hmap_init(&seen, 1024)))
		goto done;
	while ((got = jl_next(r, &rec)) == 1) {
		struct srec *sr;

		if ((rc = prov_grow(&s->recs, &cap, s->n, sizeof(*s->recs), 256)))
			goto done;
		sr = &s->recs[s->n++];
		memset(sr, 0, sizeof(*sr));
		sr->line = rec.line;
		sr->prompt = prov_strndup(rec.prompt, rec.prompt_len);
		sr->prompt_len = rec.prompt_len;
		sr->response = prov_strndup(rec.response, rec.response_len);
		sr->response_len = rec.response_len;
		sr->id = rec.id ? prov_strdup(rec.id) : NULL;
		sr->model = rec.model ? prov_strdup(rec.model) : NULL;
		sr->sampling_json = rec.sampling_json ? prov_strdup(rec.sampling_json) : NULL;
		sr->served_model = rec.served_model ? prov_strdup(rec.served_model) : NULL;
		if (!sr->prompt || !sr->response || (rec.id && !sr->id) || (rec.model && !sr->model) ||
		    (rec.sampling_json && !sr->sampling_json) || (rec.served_model && !sr->served_model)) {
			rc = PROV_ENOMEM;
			goto done;
		}
		if ((rc = text_prompt_key(sr->key, rec.prompt, rec.prompt_len)))
			goto done;
		/* a prompt asked again is counted, not scanned twice: the first answer stands (records
		 * without a prompt text are told apart by their ids) */
		if (!(flags & SUSPECT_KEEP_DUPLICATES) && !rec.no_prompt && rec.prompt_len) {
			char head[17];
			uint64_t h;
			size_t slot;
			int put;

			memcpy(head, sr->key, 16);
			head[16] = '\0';
			h = strtoull(head, NULL, 16);
			put = hmap_put(&seen, h, (uint32_t)(s->n - 1), &slot);

			if (put < 0) {
				rc = put;
				goto done;
			}
			if (put == 0 && !strcmp(s->recs[seen.vals[slot]].key, sr->key)) {
				free(sr->id);
				free(sr->prompt);
				free(sr->response);
				free(sr->model);
				free(sr->sampling_json);
				free(sr->served_model);
				if (!s->duplicates++) {
					s->dup_line = rec.line;
					s->dup_of_line = s->recs[seen.vals[slot]].line;
				}
				s->n--;
			}
		}
	}
	if (got < 0) {
		rc = got;
		goto done;
	}
	snprintf(s->sha256, sizeof(s->sha256), "%s", jl_sha256(r));
	s->size = jl_size(r);
	s->lines = jl_lines(r);
	s->feats = prov_calloc(s->n + 1, sizeof(*s->feats));
	if (!s->feats) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->n; i++) {
		if ((rc = feat_compute(&s->feats[i], s->recs[i].response, s->recs[i].response_len, lib, NULL))) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", prov_error_msg());
			rc = prov_error(rc, "%s:%ld: %s", path, s->recs[i].line, msg);
			goto done;
		}
	}
done:
	jl_free(r);
	hmap_release(&seen);
	if (rc) {
		suspect_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const char *suspect_default_name(const struct suspect *s)
{
	const char *m = s->n ? s->recs[0].model : NULL, *base;
	size_t i;

	for (i = 1; m && i < s->n; i++)
		if (!s->recs[i].model || strcmp(s->recs[i].model, m))
			m = NULL;
	if (m)
		return m;
	base = strrchr(s->path, '/');
	return base ? base + 1 : s->path;
}

/* ------------------------------------------------------------ the scan */

/*
 * The scan of a streamed corpus: the answers to the prompts the suspect
 * matched are read a chunk at a time (each chunk within the session's chunk
 * size) into the engine's per-answer similarities and let go, except the
 * teachers', which the scan and the evidence quote (*local: a prompts x models
 * array holding only those, decoded into *held).
 */
static int scan_streamed(struct eng_result **res, struct session *se, struct store *reader, struct eng_corpus *corp,
	const struct eng_suspect *es, struct loaded *held, const struct feat ***local, const int *tidx,
	size_t nteachers)
{
	size_t nm = se->snap->nmodels, np = se->snap->nprompts, i, q, m, n = 0;
	uint8_t *want = prov_calloc(np + 1, 1);
	const struct feat **cells = NULL;
	struct eng_sims *ss = NULL;
	int rc = 0;

	*local = prov_calloc(nm * np + 1, sizeof(**local));
	if (!want || !*local) {
		free(want);
		return PROV_ENOMEM;
	}
	for (i = 0; i < es->n; i++)
		if (es->prompt[i] >= 0)
			want[es->prompt[i]] = 1;
	for (q = 0; q < np; q++)
		if (want[q])
			for (m = 0; m < nm; m++)
				n += se->models[m].teacher && se->has[q * nm + m];
	memset(held, 0, sizeof(*held));
	held->f = prov_calloc(n + 1, sizeof(*held->f));
	if (!held->f || (rc = eng_sims_begin(&ss, se->prep, corp, es))) {
		rc = rc ? rc : PROV_ENOMEM;
		goto done;
	}
	held->capf = n;
	for (q = 0; q < np && !rc; q++) {
		struct loaded L;
		struct eng_chunk k;
		size_t q0 = q, bytes = 0, c;

		if (!want[q])
			continue;
		/* a run of wanted prompts, cut where it would pass the chunk size */
		while (q < np && want[q]) {
			size_t b = prompt_bytes(se, q);

			if (q > q0 && bytes + b > se->chunk_bytes)
				break;
			bytes += b;
			q++;
		}
		free(cells);
		cells = prov_calloc((q - q0) * nm + 1, sizeof(*cells));
		if (!cells) {
			rc = PROV_ENOMEM;
			break;
		}
		if ((rc = session_load_answers(&L, se, reader, q0, q, -1, cells)))
			break;
		k.q0 = q0;
		k.q1 = q;
		k.resp = cells;
		rc = eng_sims_add(ss, se->prep, es, &k);
		/* the teachers' answers move into held (their token arrays with them); the rest are let go */
		for (c = 0; c < (q - q0) * nm; c++) {
			struct feat *f = (struct feat *)cells[c];

			if (!f)
				continue;
			if (se->models[c % nm].teacher && held->nf < held->capf) {
				held->f[held->nf] = *f;
				(*local)[q0 * nm + c] = &held->f[held->nf++];
			} else {
				feat_release(f);
			}
		}
		free(L.f);
		q--;    /* the loop's q++ */
	}
	corp->resp = *local;
	if (!rc)
		rc = eng_scan_sims(res, se->prep, corp, es, ss, nteachers ? tidx : NULL, nteachers,
			session_scan_threads > 0 ? session_scan_threads : prep_threads());
done:
	eng_sims_free(ss);
	free(cells);
	free(want);
	return rc;
}


int session_scan(struct eng_result **res, struct session *se, struct store *reader, struct eng_corpus *corp,
	const struct eng_suspect *es, struct loaded *held, const struct feat ***local, const int *tidx,
	size_t nteachers)
{
	*res = NULL;
	*local = NULL;
	memset(held, 0, sizeof(*held));
	if (se->resp)
		return eng_scan_mt(res, se->prep, corp, es, nteachers ? tidx : NULL, nteachers,
			session_scan_threads > 0 ? session_scan_threads : prep_threads());
	return scan_streamed(res, se, reader, corp, es, held, local, tidx, nteachers);
}
