/*
 * merge.c: copying cases from one evidence database into another's chain
 * (see merge.h for the contract).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/cases.h"
#include "corpus/merge.h"
#include "corpus/store_internal.h"

struct seen_entry {
	char hash[PROV_SHA256_HEX];
	int64_t id;              /* the destination case that holds it */
};

struct merge_seen {
	struct seen_entry *v;    /* sorted by hash */
	size_t n, cap;
};

static int db_fail(struct store *s, const char *what)
{
	if ((sqlite3_errcode(store_db(s)) & 0xff) == SQLITE_NOMEM)
		return prov_error(PROV_ENOMEM, "%s: %s: out of memory", store_path(s), what);
	return prov_error(PROV_EDB, "%s: %s: %s", store_path(s), what, sqlite3_errmsg(store_db(s)));
}

/* Index of the first entry whose hash is >= h. */
static size_t seen_find(const struct merge_seen *m, const char *h)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->v[mid].hash, h) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The destination case holding hash h, or 0. */
static int64_t seen_get(const struct merge_seen *m, const char *h)
{
	size_t i = seen_find(m, h);

	return i < m->n && !strcmp(m->v[i].hash, h) ? m->v[i].id : 0;
}

static int seen_add(struct merge_seen *m, const char *h, int64_t id)
{
	size_t i = seen_find(m, h);

	if (i < m->n && !strcmp(m->v[i].hash, h))
		return 0;
	if (prov_grow(&m->v, &m->cap, m->n, sizeof(*m->v), 64))
		return PROV_ENOMEM;
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
	snprintf(m->v[i].hash, sizeof(m->v[i].hash), "%s", h);
	m->v[i].id = id;
	m->n++;
	return 0;
}

static int is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Call fn for every case hash in an origin ("LABEL#ID:HASH < LABEL#ID:HASH ...":
 * a ':' followed by 64 hex digits that end the string or a " < " link).
 * Stops at the first non-zero return and returns it.
 */
static int64_t each_origin_hash(const char *origin, int64_t (*fn)(void *, const char *), void *ctx)
{
	const char *p;
	int64_t r;

	for (p = origin ? strchr(origin, ':') : NULL; p; p = strchr(p + 1, ':')) {
		char h[PROV_SHA256_HEX];

		if (strnlen(p + 1, 64) < 64 || !is_hex64(p + 1) || (p[65] && strncmp(p + 65, " < ", 3)))
			continue;
		memcpy(h, p + 1, 64);
		h[64] = '\0';
		if ((r = fn(ctx, h)))
			return r;
	}
	return 0;
}

struct add_ctx {
	struct merge_seen *m;
	int64_t id;
};

static int64_t add_one(void *ctx, const char *h)
{
	struct add_ctx *a = ctx;

	return seen_add(a->m, h, a->id) ? 1 : 0;
}

static int64_t get_one(void *ctx, const char *h)
{
	return seen_get(ctx, h);
}

/* Record a destination case: its hash and every hash in its origin. */
static int seen_add_case(struct merge_seen *m, int64_t id, const char *hash, const char *origin)
{
	struct add_ctx a = { m, id };

	if (seen_add(m, hash, id) || each_origin_hash(origin, add_one, &a))
		return prov_error(PROV_ENOMEM, "out of memory");
	return 0;
}

int merge_seen_load(struct merge_seen **out, struct store *dst)
{
	struct merge_seen *m;
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	*out = NULL;
	m = prov_calloc(1, sizeof(*m));
	if (!m)
		return PROV_ENOMEM;
	if (sqlite3_prepare_v2(store_db(dst), "SELECT id, hash, origin FROM cases ORDER BY id", -1, &st, NULL)) {
		merge_seen_free(m);
		return db_fail(dst, "cannot read the cases");
	}
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = seen_add_case(m, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2));
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(dst, "cannot read the cases");
	sqlite3_finalize(st);
	if (rc) {
		merge_seen_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void merge_seen_free(struct merge_seen *m)
{
	if (!m)
		return;
	free(m->v);
	free(m);
}

int merge_check(struct store *src, const char *label, size_t *ncases_out)
{
	struct case_info *cases = NULL;
	size_t n = 0, i;
	int rc;

	if (ncases_out)
		*ncases_out = 0;
	if ((rc = case_list(src, &cases, &n)))
		return rc;
	for (i = 0; i < n; i++) {
		struct verify_item *v = NULL;
		size_t nv = 0, k;
		const char *why = "a check failed";

		rc = case_verify_with(src, cases[i].id, 0, &v, &nv);
		if (rc == PROV_ETAMPER) {
			for (k = 0; k < nv; k++)
				if (!v[k].ok) {
					why = v[k].what;
					break;
				}
			rc = prov_error(PROV_EDATA, "%s: case %lld (%s) does not verify: %s; refusing to merge it"
				" (see: provenance --db %s verify %lld)", label, (long long)cases[i].id, cases[i].name,
				why, label, (long long)cases[i].id);
		}
		free(v);
		if (rc)
			break;
	}
	free(cases);
	if (!rc && store_schema_version(src) >= 6) {   /* the validations too: evidence like the cases */
		struct validation_info *vals = NULL;
		size_t nvals = 0;

		rc = validation_list(src, &vals, &nvals);
		for (i = 0; !rc && i < nvals; i++) {
			struct verify_item *v = NULL;
			size_t nv = 0, k;
			const char *why = "a check failed";

			if (!vals[i].hash[0])
				continue;   /* unchained, from before schema 6: never merged, never quoted */
			rc = validation_verify(src, vals[i].id, NULL, &v, &nv);
			if (rc == CASE_UNANCHORED)
				rc = 0;
			if (rc == PROV_ETAMPER) {
				for (k = 0; k < nv; k++)
					if (!v[k].ok) {
						why = v[k].what;
						break;
					}
				rc = prov_error(PROV_EDATA, "%s: validation %lld does not verify: %s; refusing to merge it"
					" (see: provenance --db %s verify --all)", label, (long long)vals[i].id, why, label);
			}
			free(v);
		}
		free(vals);
	}
	if (!rc && ncases_out)
		*ncases_out = n;
	return rc;
}

/* Is `hash` already in dst's validation chain (as a hash, or in a merged one's origin)? 1, 0, <0. */
static int validation_known(struct store *dst, const char *hash)
{
	sqlite3_stmt *st = NULL;
	int step;

	if (sqlite3_prepare_v2(store_db(dst), "SELECT 1 FROM validations WHERE hash = ?1 OR instr(coalesce(origin, ''),"
		" ?1) > 0 LIMIT 1", -1, &st, NULL))
		return db_fail(dst, "cannot read the validations");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : db_fail(dst, "cannot read the validations");
}

/*
 * Append every chained validation of src that dst does not hold to dst's
 * validation chain, with its result, parameters and time unchanged and
 * origin "LABEL#vID:HASH" (then " < " and its own origin).
 */
static int merge_validations(struct store *dst, struct store *src, const char *label)
{
	sqlite3_stmt *st = NULL;
	struct pbuf origin = PBUF_INIT(MERGE_ORIGIN_MAX);
	int rc = 0, step;

	if (store_schema_version(src) < 6)
		return 0;
	if (sqlite3_prepare_v2(store_db(src), "SELECT id, labels_path, labels_sha256, snapshot_sha256, tool_version,"
		" engine_version, patterns_sha256, slices, result, created_at, origin, hash FROM validations"
		" WHERE hash IS NOT NULL ORDER BY id", -1, &st, NULL))
		return db_fail(src, "cannot read the validations");
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_validation v;
		const char *own = (const char *)sqlite3_column_text(st, 10), *hash = (const char *)sqlite3_column_text(st, 11);
		const char *p;
		int known = 0;

		if ((known = validation_known(dst, hash)) < 0) {
			rc = known;
			break;
		}
		for (p = own; !known && p && (p = strchr(p, ':')); p++)   /* a hash in its own origin */
			if (strlen(p + 1) >= 64) {
				char h[PROV_SHA256_HEX];

				snprintf(h, sizeof(h), "%.64s", p + 1);
				if ((known = validation_known(dst, h)) < 0)
					rc = known;
			}
		if (rc || known)
			continue;
		v.labels_path = (const char *)sqlite3_column_text(st, 1);
		v.labels_sha256 = (const char *)sqlite3_column_text(st, 2);
		v.snapshot_sha256 = (const char *)sqlite3_column_text(st, 3);
		v.tool_version = (const char *)sqlite3_column_text(st, 4);
		v.engine_version = (const char *)sqlite3_column_text(st, 5);
		v.patterns_sha256 = (const char *)sqlite3_column_text(st, 6);
		v.slices = (const char *)sqlite3_column_text(st, 7);
		v.result = (const char *)sqlite3_column_text(st, 8);
		pbuf_reset(&origin);
		rc = pbuf_addf(&origin, "%s#v%lld:%s", label, (long long)sqlite3_column_int64(st, 0), hash);
		if (!rc && own)
			rc = pbuf_addf(&origin, " < %s", own);
		if (rc == PROV_EDATA)
			rc = prov_error(PROV_EDATA, "%s: validation %lld: its origin would be longer than %d bytes", label,
				(long long)sqlite3_column_int64(st, 0), MERGE_ORIGIN_MAX);
		if (!rc)
			rc = validation_append(dst, &v, origin.data, (const char *)sqlite3_column_text(st, 9), NULL, NULL);
	}
	if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_fail(src, "cannot read the validations");
	sqlite3_finalize(st);
	pbuf_release(&origin);
	return rc;
}

/* Everything of a source case that goes into the copy. */
struct loaded {
	struct case_new cn;
	char *text[11];          /* owned strings behind cn's */
	char created_at[32];
	char hash[PROV_SHA256_HEX];
	char *origin;            /* the source case's own origin, or NULL */
	struct pbuf report;
	struct case_info info;
	struct case_answer_row *rows;
	size_t nrows;
	struct case_answer *ans;
};

static void loaded_release(struct loaded *l)
{
	size_t i;

	for (i = 0; i < sizeof(l->text) / sizeof(l->text[0]); i++)
		free(l->text[i]);
	free(l->origin);
	pbuf_release(&l->report);
	case_answers_free(l->rows, l->nrows);
	free(l->ans);
	memset(l, 0, sizeof(*l));
}

static int col_dup(char **out, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	*out = NULL;
	if (!v)
		return 0;
	*out = prov_strdup(v);
	return *out ? 0 : PROV_ENOMEM;
}

static int load_case(struct loaded *l, struct store *src, int64_t id)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0, step;

	memset(l, 0, sizeof(*l));
	pbuf_init(&l->report, 0);
	if ((rc = case_report(src, id, &l->report, &l->info)) || (rc = case_answers(src, id, &l->rows, &l->nrows)))
		return rc;
	if (sqlite3_prepare_v2(store_db(src), "SELECT name, suspect_path, suspect_sha256, snapshot_sha256,"
		" tool_version, patterns_sha256, params, conclusion_teacher, conclusion_family, verdict, created_at,"
		" suspect_size, suspect_lines, origin, hash FROM cases WHERE id = ?1", -1, &st, NULL))
		return db_fail(src, "cannot read the case");
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(st);
		return step == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no case %lld in %s", (long long)id,
			store_path(src)) : db_fail(src, "cannot read the case");
	}
	for (i = 0; i < 10 && !rc; i++)
		rc = col_dup(&l->text[i], st, (int)i);
	if (!rc)
		rc = col_dup(&l->origin, st, 13);
	snprintf(l->created_at, sizeof(l->created_at), "%s", sqlite3_column_text(st, 10) ?
		(const char *)sqlite3_column_text(st, 10) : "");
	snprintf(l->hash, sizeof(l->hash), "%s", sqlite3_column_text(st, 14) ?
		(const char *)sqlite3_column_text(st, 14) : "");
	l->cn.suspect_size = (uint64_t)sqlite3_column_int64(st, 11);
	l->cn.suspect_lines = (long)sqlite3_column_int64(st, 12);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	for (i = 0; i < 10; i++)
		if (!l->text[i] && i != 7 && i != 8)
			return prov_error(PROV_ETAMPER, "%s: case %lld lacks a required field", store_path(src),
				(long long)id);
	l->ans = prov_calloc(l->nrows + 1, sizeof(*l->ans));
	if (!l->ans)
		return PROV_ENOMEM;
	for (i = 0; i < l->nrows; i++) {
		l->ans[i].ext_id = l->rows[i].ext_id;
		l->ans[i].line = l->rows[i].line;
		l->ans[i].prompt = l->rows[i].prompt;
		l->ans[i].prompt_len = l->rows[i].prompt_len;
		l->ans[i].text = l->rows[i].text;
		l->ans[i].len = l->rows[i].len;
	}
	l->cn.name = l->text[0];
	l->cn.suspect_path = l->text[1];
	l->cn.suspect_sha256 = l->text[2];
	l->cn.snapshot_sha256 = l->text[3];
	l->cn.tool_version = l->text[4];
	l->cn.patterns_sha256 = l->text[5];
	l->cn.params = l->text[6];
	l->cn.conclusion_teacher = l->text[7];
	l->cn.conclusion_family = l->text[8];
	l->cn.verdict = l->text[9];
	l->cn.report = l->report.data ? l->report.data : "";
	l->cn.report_len = l->report.len;
	l->cn.nanswers = l->nrows;
	l->cn.answers = l->ans;
	return 0;
}

int merge_cases(struct store *dst, struct merge_seen *seen, struct store *src, const char *label, merge_fn fn,
	void *ctx)
{
	struct case_info *cases = NULL;
	struct pbuf origin = PBUF_INIT(MERGE_ORIGIN_MAX);
	size_t n = 0, i;
	int rc;

	if ((rc = case_list(src, &cases, &n)))
		return rc;
	for (i = 0; i < n && !rc; i++) {
		struct loaded l;
		struct merge_event ev;
		struct case_info ci;
		int64_t dup;

		if ((rc = load_case(&l, src, cases[i].id))) {
			loaded_release(&l);
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.label = label;
		ev.src_id = cases[i].id;
		ev.src_hash = l.hash;
		ev.name = l.cn.name;
		dup = seen_get(seen, l.hash);
		if (!dup)
			dup = each_origin_hash(l.origin, get_one, seen);
		if (dup) {
			ev.skipped = 1;
			ev.dst_id = dup;
		} else {
			pbuf_reset(&origin);
			rc = pbuf_addf(&origin, "%s#%lld:%s", label, (long long)cases[i].id, l.hash);
			if (!rc && l.origin)
				rc = pbuf_addf(&origin, " < %s", l.origin);
			if (rc == PROV_EDATA)
				rc = prov_error(PROV_EDATA, "%s: case %lld: its origin would be longer than %d bytes"
					" (merged too many times over)", label, (long long)cases[i].id, MERGE_ORIGIN_MAX);
			l.cn.origin = origin.data;
			if (!rc && !(rc = case_append(dst, &l.cn, l.created_at, &ci)))
				rc = seen_add_case(seen, ci.id, ci.hash, origin.data);
			ev.dst_id = ci.id;
		}
		if (!rc && fn)
			rc = fn(ctx, &ev);
		loaded_release(&l);
	}
	pbuf_release(&origin);
	free(cases);
	if (!rc)
		rc = merge_validations(dst, src, label);
	return rc;
}
