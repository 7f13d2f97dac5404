/*
 * cases.c: cases, the evidence chain, verification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "corpus/cases.h"
#include "corpus/store_internal.h"
#include "corpus/zpack.h"

#define ZLEVEL ZPACK_LEVEL

static int db_fail(struct store *s, const char *what)
{
	return prov_error(PROV_EDB, "%s: %s: %s", store_path(s), what, sqlite3_errmsg(store_db(s)));
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", v ? v : "");
}

/* The canonical header a case's hash is computed over (docs/report-format.md). */
static int case_hash(char out[PROV_SHA256_HEX], int64_t id, const char *name, const char *created_at,
	const char *suspect_sha256, uint64_t size, long lines, const char *path, const char *snapshot,
	const char *tool, const char *patterns, const char *params, const char *report_sha256, long nanswers,
	const char *answers_sha256, const char *origin, const char *prev)
{
	struct pbuf b = PBUF_INIT(0);
	char params_sha[PROV_SHA256_HEX];
	int rc;

	if ((rc = prov_sha256_hex(params_sha, params, strlen(params))))
		return rc;
	rc = pbuf_addf(&b,
		"provenance-case/1\n"
		"id %lld\n"
		"name %s\n"
		"created_at %s\n"
		"suspect %s %llu %ld %s\n"
		"corpus %s\n"
		"tool %s\n"
		"patterns %s\n"
		"params %s\n"
		"report %s\n"
		"answers %ld %s\n"
		"origin %s\n"
		"prev %s\n",
		(long long)id, name, created_at, suspect_sha256, (unsigned long long)size, lines, path, snapshot, tool,
		patterns, params_sha, report_sha256, nanswers, answers_sha256, origin ? origin : "-", prev);
	if (!rc)
		rc = prov_sha256_hex(out, b.data, b.len);
	pbuf_release(&b);
	return rc;
}

static int sha_line(struct prov_sha256 *h, long seq, const char *psha, const char *asha)
{
	char line[200];
	int n = snprintf(line, sizeof(line), "%ld\t%s\t%s\n", seq, psha, asha);

	return prov_sha256_update(h, line, (size_t)n);
}

/* Results and evidence rows, as the report document says they are. */
struct derived {
	size_t nres, nitem;
	struct {
		char *teacher, *family, *verdict, *signals;
		int rank;
		double score, p, effect;
	} *res;
	struct {
		char *teacher, *kind, *prompt_id, *data;
	} *item;
};

static void derived_free(struct derived *d)
{
	size_t i;

	for (i = 0; i < d->nres; i++) {
		free(d->res[i].teacher);
		free(d->res[i].family);
		free(d->res[i].verdict);
		free(d->res[i].signals);
	}
	for (i = 0; i < d->nitem; i++) {
		free(d->item[i].teacher);
		free(d->item[i].kind);
		free(d->item[i].prompt_id);
		free(d->item[i].data);
	}
	free(d->res);
	free(d->item);
	memset(d, 0, sizeof(*d));
}

static char *dup_or_null(const char *s)
{
	return s ? prov_strdup(s) : NULL;
}

static double num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static int add_item(struct derived *d, const char *teacher, const char *kind, json_t *it)
{
	void *g = prov_reallocarray(d->item, d->nitem + 1, sizeof(*d->item));
	const char *pid = json_string_value(json_object_get(it, "prompt_id"));

	if (!g)
		return PROV_ENOMEM;
	d->item = g;
	d->item[d->nitem].teacher = dup_or_null(teacher);
	d->item[d->nitem].kind = prov_strdup(kind);
	d->item[d->nitem].prompt_id = dup_or_null(pid);
	d->item[d->nitem].data = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	d->nitem++;
	return d->item[d->nitem - 1].kind && d->item[d->nitem - 1].data ? 0 : PROV_ENOMEM;
}

static int derive(struct derived *d, const char *report, size_t len)
{
	static const char *const kinds[] = { "spans", "refusals", "identity" };
	static const char *const kind_names[] = { "span", "refusal", "identity" };
	json_error_t err;
	json_t *doc = json_loadb(report, len, 0, &err), *t, *it;
	size_t i, j, k;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(doc)) {
		json_decref(doc);
		return prov_error(PROV_ETAMPER, "the stored report is not a JSON document");
	}
	json_array_foreach(json_object_get(doc, "teachers"), i, t) {
		void *g = prov_reallocarray(d->res, d->nres + 1, sizeof(*d->res));
		const char *model = json_string_value(json_object_get(t, "model"));
		json_t *ev = json_object_get(t, "evidence");

		if (!g) {
			rc = PROV_ENOMEM;
			break;
		}
		d->res = g;
		memset(&d->res[d->nres], 0, sizeof(d->res[0]));
		d->res[d->nres].teacher = dup_or_null(model ? model : "?");
		d->res[d->nres].family = dup_or_null(json_string_value(json_object_get(t, "family")));
		d->res[d->nres].verdict = dup_or_null(json_string_value(json_object_get(t, "verdict")));
		d->res[d->nres].signals = json_dumps(json_object_get(t, "signals"),
			JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY);
		d->res[d->nres].rank = (int)json_integer_value(json_object_get(t, "rank"));
		d->res[d->nres].score = num(json_object_get(t, "score"));
		d->res[d->nres].p = num(json_object_get(t, "p_value"));
		d->res[d->nres].effect = num(json_object_get(t, "effect"));
		d->nres++;
		for (k = 0; k < 3 && !rc; k++)
			json_array_foreach(json_object_get(ev, kinds[k]), j, it)
				if ((rc = add_item(d, model, kind_names[k], it)))
					break;
	}
	json_array_foreach(json_object_get(doc, "identity_claims"), j, it)
		if (!rc)
			rc = add_item(d, NULL, "identity_claim", it);
	json_array_foreach(json_object_get(doc, "refusals"), j, it)
		if (!rc)
			rc = add_item(d, NULL, "refusal_quote", it);
	json_decref(doc);
	if (rc)
		derived_free(d);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

struct case_packed {
	struct derived d;
	char (*psha)[PROV_SHA256_HEX], (*asha)[PROV_SHA256_HEX];
	size_t *zoff;              /* answer i: prompt in z[zoff[2i], zoff[2i+1]), text up to zoff[2i+2] */
	struct pbuf z, zreport;
	char answers_sha[PROV_SHA256_HEX], report_sha[PROV_SHA256_HEX];
};

void case_packed_free(struct case_packed *p)
{
	if (!p)
		return;
	derived_free(&p->d);
	free(p->psha);
	free(p->asha);
	free(p->zoff);
	pbuf_release(&p->z);
	pbuf_release(&p->zreport);
	free(p);
}

int case_pack(struct case_packed **out, const struct case_new *c)
{
	struct case_packed *p;
	struct prov_sha256 *h = NULL;
	struct zpacker *zp = NULL;
	struct pbuf one = PBUF_INIT(0);
	size_t i, n = c->nanswers;
	int rc;

	*out = NULL;
	p = prov_calloc(1, sizeof(*p));
	if (!p)
		return PROV_ENOMEM;
	pbuf_init(&p->z, 0);
	pbuf_init(&p->zreport, 0);
	p->psha = prov_calloc(n + 1, sizeof(*p->psha));
	p->asha = prov_calloc(n + 1, sizeof(*p->asha));
	p->zoff = prov_calloc(2 * n + 1, sizeof(*p->zoff));
	if (!p->psha || !p->asha || !p->zoff) {
		rc = PROV_ENOMEM;
		goto done;
	}
	if ((rc = derive(&p->d, c->report, c->report_len)) || (rc = zpacker_new(&zp, ZLEVEL)) ||
	    (rc = prov_sha256_new(&h)))
		goto done;
	/* the answers, and the manifest hash over them */
	for (i = 0; i < n; i++) {
		const struct case_answer *a = &c->answers[i];

		if ((rc = prov_sha256_hex(p->psha[i], a->prompt, a->prompt_len)) ||
		    (rc = prov_sha256_hex(p->asha[i], a->text, a->len)) ||
		    (rc = sha_line(h, (long)i, p->psha[i], p->asha[i])) ||
		    (rc = zpacker_pack(zp, &one, a->prompt, a->prompt_len)) || (rc = pbuf_add(&p->z, one.data, one.len)))
			goto done;
		p->zoff[2 * i + 1] = p->z.len;
		if ((rc = zpacker_pack(zp, &one, a->text, a->len)) || (rc = pbuf_add(&p->z, one.data, one.len)))
			goto done;
		p->zoff[2 * i + 2] = p->z.len;
	}
	if (!(rc = prov_sha256_final(h, p->answers_sha)) &&
	    !(rc = prov_sha256_hex(p->report_sha, c->report, c->report_len)))
		rc = zpack(&p->zreport, c->report, c->report_len, ZLEVEL);
done:
	prov_sha256_free(h);
	zpacker_free(zp);
	pbuf_release(&one);
	if (rc)
		case_packed_free(p);
	else
		*out = p;
	return rc;
}

int case_append(struct store *s, const struct case_new *c, const char *created_at, struct case_info *info_out)
{
	struct case_packed *p;
	int rc = case_pack(&p, c);

	if (rc)
		return rc;
	rc = case_append_packed(s, c, p, created_at, info_out);
	case_packed_free(p);
	return rc;
}

int case_append_packed(struct store *s, const struct case_new *c, const struct case_packed *p, const char *created_at,
	struct case_info *info_out)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	const struct derived *dp = &p->d;
	char prev[PROV_SHA256_HEX] = CASE_GENESIS, now[32], hash[PROV_SHA256_HEX];
	int64_t id = 1;
	size_t i;
	int rc;

	if (created_at)
		snprintf(now, sizeof(now), "%s", created_at);
	else
		store_now(now);
	if ((rc = store_begin(s)))
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT id, hash FROM cases ORDER BY id DESC LIMIT 1", -1, &st, NULL)) {
		rc = db_fail(s, "cannot read the chain");
		goto done;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		copy_col(prev, sizeof(prev), st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO case_answers(case_id, seq, ext_id, line, prompt_sha256, prompt_size,"
		" prompt, sha256, size, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1, &st, NULL)) {
		rc = db_fail(s, "cannot store the answers");
		goto done;
	}
	for (i = 0; i < c->nanswers; i++) {
		const struct case_answer *a = &c->answers[i];
		const char *z = p->z.data;

		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text_or_null(st, 3, a->ext_id);
		sqlite3_bind_int64(st, 4, a->line);
		sqlite3_bind_text(st, 5, p->psha[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)a->prompt_len);
		sqlite3_bind_blob(st, 7, z + p->zoff[2 * i], (int)(p->zoff[2 * i + 1] - p->zoff[2 * i]), SQLITE_STATIC);
		sqlite3_bind_text(st, 8, p->asha[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)a->len);
		sqlite3_bind_blob(st, 10, z + p->zoff[2 * i + 1], (int)(p->zoff[2 * i + 2] - p->zoff[2 * i + 1]),
			SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_fail(s, "cannot store an answer");
			goto done;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = case_hash(hash, id, c->name, now, c->suspect_sha256, c->suspect_size, c->suspect_lines,
		c->suspect_path, c->snapshot_sha256, c->tool_version, c->patterns_sha256, c->params, p->report_sha,
		(long)c->nanswers, p->answers_sha, c->origin, prev)))
		goto done;
	if (sqlite3_prepare_v2(db, "INSERT INTO cases(id, name, created_at, suspect_path, suspect_sha256, suspect_size,"
		" suspect_lines, snapshot_sha256, tool_version, patterns_sha256, params, conclusion_teacher,"
		" conclusion_family, verdict, report, report_size, report_sha256, answers, answers_sha256, origin,"
		" prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		" ?18, ?19, ?20, ?21, ?22)", -1, &st, NULL)) {
		rc = db_fail(s, "cannot store the case");
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->suspect_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->suspect_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)c->suspect_size);
	sqlite3_bind_int64(st, 7, c->suspect_lines);
	sqlite3_bind_text(st, 8, c->snapshot_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, c->tool_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, c->patterns_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, c->params, -1, SQLITE_STATIC);
	bind_text_or_null(st, 12, c->conclusion_teacher);
	bind_text_or_null(st, 13, c->conclusion_family);
	sqlite3_bind_text(st, 14, c->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 15, p->zreport.data, (int)p->zreport.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)c->report_len);
	sqlite3_bind_text(st, 17, p->report_sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 18, (sqlite3_int64)c->nanswers);
	sqlite3_bind_text(st, 19, p->answers_sha, -1, SQLITE_STATIC);
	bind_text_or_null(st, 20, c->origin);
	sqlite3_bind_text(st, 21, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 22, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_fail(s, "cannot store the case");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO case_results(case_id, teacher, family, rank, score, p_value, effect,"
		" verdict, signals) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &st, NULL)) {
		rc = db_fail(s, "cannot store the results");
		goto done;
	}
	for (i = 0; i < dp->nres; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, dp->res[i].teacher, -1, SQLITE_STATIC);
		bind_text_or_null(st, 3, dp->res[i].family);
		sqlite3_bind_int(st, 4, dp->res[i].rank);
		sqlite3_bind_double(st, 5, dp->res[i].score);
		sqlite3_bind_double(st, 6, dp->res[i].p);
		sqlite3_bind_double(st, 7, dp->res[i].effect);
		sqlite3_bind_text(st, 8, dp->res[i].verdict ? dp->res[i].verdict : "?", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, dp->res[i].signals ? dp->res[i].signals : "{}", -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_fail(s, "cannot store a result");
			goto done;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO case_evidence(case_id, seq, teacher, kind, prompt_id, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL)) {
		rc = db_fail(s, "cannot store the evidence");
		goto done;
	}
	for (i = 0; i < dp->nitem; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text_or_null(st, 3, dp->item[i].teacher);
		sqlite3_bind_text(st, 4, dp->item[i].kind, -1, SQLITE_STATIC);
		bind_text_or_null(st, 5, dp->item[i].prompt_id);
		sqlite3_bind_text(st, 6, dp->item[i].data, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_fail(s, "cannot store an evidence item");
			goto done;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = store_commit(s)))
		goto done;
	if (info_out) {
		memset(info_out, 0, sizeof(*info_out));
		info_out->id = id;
		snprintf(info_out->name, sizeof(info_out->name), "%s", c->name);
		snprintf(info_out->created_at, sizeof(info_out->created_at), "%s", now);
		snprintf(info_out->suspect_path, sizeof(info_out->suspect_path), "%s", c->suspect_path);
		snprintf(info_out->suspect_sha256, sizeof(info_out->suspect_sha256), "%s", c->suspect_sha256);
		snprintf(info_out->snapshot_sha256, sizeof(info_out->snapshot_sha256), "%s", c->snapshot_sha256);
		snprintf(info_out->hash, sizeof(info_out->hash), "%s", hash);
		snprintf(info_out->prev_hash, sizeof(info_out->prev_hash), "%s", prev);
		snprintf(info_out->verdict, sizeof(info_out->verdict), "%s", c->verdict);
		snprintf(info_out->conclusion_teacher, sizeof(info_out->conclusion_teacher), "%s",
			c->conclusion_teacher ? c->conclusion_teacher : "");
		snprintf(info_out->conclusion_family, sizeof(info_out->conclusion_family), "%s",
			c->conclusion_family ? c->conclusion_family : "");
	}
done:
	sqlite3_finalize(st);
	if (rc)
		store_rollback(s);
	return rc;
}

#define CASE_COLS "id, name, created_at, suspect_path, suspect_sha256, snapshot_sha256, hash, prev_hash, verdict," \
	" conclusion_teacher, conclusion_family"

static void fill_info(struct case_info *ci, sqlite3_stmt *st)
{
	memset(ci, 0, sizeof(*ci));
	ci->id = sqlite3_column_int64(st, 0);
	copy_col(ci->name, sizeof(ci->name), st, 1);
	copy_col(ci->created_at, sizeof(ci->created_at), st, 2);
	copy_col(ci->suspect_path, sizeof(ci->suspect_path), st, 3);
	copy_col(ci->suspect_sha256, sizeof(ci->suspect_sha256), st, 4);
	copy_col(ci->snapshot_sha256, sizeof(ci->snapshot_sha256), st, 5);
	copy_col(ci->hash, sizeof(ci->hash), st, 6);
	copy_col(ci->prev_hash, sizeof(ci->prev_hash), st, 7);
	copy_col(ci->verdict, sizeof(ci->verdict), st, 8);
	copy_col(ci->conclusion_teacher, sizeof(ci->conclusion_teacher), st, 9);
	copy_col(ci->conclusion_family, sizeof(ci->conclusion_family), st, 10);
}

int case_report(struct store *s, int64_t id, struct pbuf *report_out, struct case_info *info_out)
{
	sqlite3_stmt *st = NULL;
	char sha[PROV_SHA256_HEX];
	int rc;

	if (sqlite3_prepare_v2(store_db(s), "SELECT " CASE_COLS ", report, report_size, report_sha256 FROM cases"
		" WHERE id = ?1", -1, &st, NULL))
		return db_fail(s, "cannot read the case");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no case %lld in %s (see: provenance cases)",
			(long long)id, store_path(s)) : db_fail(s, "cannot read the case");
	}
	if (info_out)
		fill_info(info_out, st);
	rc = zunpack(report_out, sqlite3_column_blob(st, 11), (size_t)sqlite3_column_bytes(st, 11),
		(size_t)sqlite3_column_int64(st, 12));
	if (!rc && !(rc = prov_sha256_hex(sha, report_out->data, report_out->len)) &&
	    strcmp(sha, (const char *)sqlite3_column_text(st, 13)))
		rc = prov_error(PROV_ETAMPER, "case %lld: the stored report does not match its SHA-256"
			" (run: provenance verify %lld)", (long long)id, (long long)id);
	sqlite3_finalize(st);
	return rc;
}

int case_list(struct store *s, struct case_info **out, size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	struct case_info *v = NULL;
	size_t n = 0;
	int step;

	*out = NULL;
	*n_out = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT " CASE_COLS " FROM cases ORDER BY id", -1, &st, NULL))
		return db_fail(s, "cannot list cases");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct case_info *g = prov_reallocarray(v, n + 1, sizeof(*v));

		if (!g) {
			free(v);
			sqlite3_finalize(st);
			return PROV_ENOMEM;
		}
		v = g;
		fill_info(&v[n++], st);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		free(v);
		return db_fail(s, "cannot list cases");
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* ---- verification ---- */

struct checks {
	struct verify_item *v;
	size_t n;
	int failed;
};

static void note(struct checks *c, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(struct checks *c, int ok, const char *fmt, ...)
{
	struct verify_item *g = prov_reallocarray(c->v, c->n + 1, sizeof(*g));
	va_list ap;

	if (!ok)
		c->failed = 1;
	if (!g)
		return;
	c->v = g;
	g[c->n].ok = ok;
	va_start(ap, fmt);
	vsnprintf(g[c->n].what, sizeof(g[c->n].what), fmt, ap);
	va_end(ap);
	c->n++;
}

static int verify_answers(struct store *s, int64_t id, long expect_n, const char *expect_sha, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	struct prov_sha256 *h = NULL;
	struct pbuf b = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX], total[PROV_SHA256_HEX];
	long n = 0, bad = 0, seq_expect = 0;
	int rc, step;

	if ((rc = prov_sha256_new(&h)))
		return rc;
	if (sqlite3_prepare_v2(store_db(s), "SELECT seq, ext_id, line, prompt_sha256, prompt_size, prompt, sha256,"
		" size, text FROM case_answers WHERE case_id = ?1 ORDER BY seq", -1, &st, NULL)) {
		prov_sha256_free(h);
		return db_fail(s, "cannot read the answers");
	}
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		long seq = (long)sqlite3_column_int64(st, 0);
		const char *label = sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "(no id)";
		int ok;

		if (seq != seq_expect)
			note(ck, 0, "answer %ld is missing from the case", seq_expect);
		seq_expect = seq + 1;
		ok = zunpack(&b, sqlite3_column_blob(st, 8), (size_t)sqlite3_column_bytes(st, 8),
			(size_t)sqlite3_column_int64(st, 7)) == 0 && prov_sha256_hex(sha, b.data, b.len) == 0 &&
			!strcmp(sha, (const char *)sqlite3_column_text(st, 6));
		if (!ok && bad++ < 20)
			note(ck, 0, "answer %ld (prompt id %s, suspect line %lld) does not match its SHA-256", seq, label,
				(long long)sqlite3_column_int64(st, 2));
		ok = zunpack(&b, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5),
			(size_t)sqlite3_column_int64(st, 4)) == 0 && prov_sha256_hex(sha, b.data, b.len) == 0 &&
			!strcmp(sha, (const char *)sqlite3_column_text(st, 3));
		if (!ok && bad++ < 20)
			note(ck, 0, "the prompt of answer %ld (prompt id %s) does not match its SHA-256", seq, label);
		sha_line(h, seq, (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 6));
		n++;
	}
	sqlite3_finalize(st);
	pbuf_release(&b);
	if (step != SQLITE_DONE) {
		prov_sha256_free(h);
		return db_fail(s, "cannot read the answers");
	}
	rc = prov_sha256_final(h, total);
	prov_sha256_free(h);
	if (rc)
		return rc;
	if (n != expect_n)
		note(ck, 0, "the case records %ld answers but %ld are stored", expect_n, n);
	if (strcmp(total, expect_sha))
		note(ck, 0, "the answers manifest hash differs from the one recorded (answers added, removed or edited)");
	if (!bad && n == expect_n && !strcmp(total, expect_sha))
		note(ck, 1, "%ld answers match their SHA-256 and the recorded manifest", n);
	return 0;
}

static int verify_rows(struct store *s, int64_t id, const struct derived *d, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	size_t i, n = 0, bad = 0;
	int step;

	if (sqlite3_prepare_v2(store_db(s), "SELECT teacher, family, rank, score, p_value, effect, verdict, signals"
		" FROM case_results WHERE case_id = ?1 ORDER BY rank, teacher", -1, &st, NULL))
		return db_fail(s, "cannot read the results");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		int found = 0;

		n++;
		for (i = 0; i < d->nres; i++) {
			if (strcmp(d->res[i].teacher, t))
				continue;
			found = 1;
			if (sqlite3_column_double(st, 3) != d->res[i].score || sqlite3_column_double(st, 4) != d->res[i].p ||
			    sqlite3_column_double(st, 5) != d->res[i].effect || sqlite3_column_int(st, 2) != d->res[i].rank ||
			    strcmp((const char *)sqlite3_column_text(st, 6), d->res[i].verdict ? d->res[i].verdict : "?") ||
			    strcmp((const char *)sqlite3_column_text(st, 7), d->res[i].signals ? d->res[i].signals : "{}")) {
				note(ck, 0, "the result row for teacher %s differs from the signed report", t);
				bad++;
			}
		}
		if (!found) {
			note(ck, 0, "a result row for teacher %s is not in the signed report", t);
			bad++;
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the results");
	if (n != d->nres) {
		note(ck, 0, "%zu result rows are stored but the report has %zu teachers", n, d->nres);
		bad++;
	}
	if (!bad)
		note(ck, 1, "%zu per-teacher result rows match the report", n);
	bad = 0;
	n = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT seq, teacher, kind, prompt_id, data FROM case_evidence"
		" WHERE case_id = ?1 ORDER BY seq", -1, &st, NULL))
		return db_fail(s, "cannot read the evidence");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t seq = (size_t)sqlite3_column_int64(st, 0);
		const char *data = (const char *)sqlite3_column_text(st, 4);

		n++;
		if (seq >= d->nitem || strcmp(data, d->item[seq].data) ||
		    strcmp((const char *)sqlite3_column_text(st, 2), d->item[seq].kind)) {
			note(ck, 0, "evidence item %zu (%s, prompt id %s) differs from the signed report", seq,
				(const char *)sqlite3_column_text(st, 2),
				sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "-");
			bad++;
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the evidence");
	if (n != d->nitem) {
		note(ck, 0, "%zu evidence items are stored but the report has %zu", n, d->nitem);
		bad++;
	}
	if (!bad)
		note(ck, 1, "%zu evidence items match the report", n);
	return 0;
}

static int verify_corpus(struct store *s, const char *snapshot, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	struct pbuf b = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX], now[PROV_SHA256_HEX];
	long n = 0, bad = 0;
	int rc, step;

	if (sqlite3_prepare_v2(store_db(s), "SELECT m.name, p.ext_id, r.text, r.size, r.sha256 FROM responses r"
		" JOIN models m ON m.id = r.model_id JOIN prompts p ON p.id = r.prompt_id ORDER BY r.id", -1, &st, NULL))
		return db_fail(s, "cannot read the corpus");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int ok = zunpack(&b, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
			(size_t)sqlite3_column_int64(st, 3)) == 0 && prov_sha256_hex(sha, b.data, b.len) == 0 &&
			!strcmp(sha, (const char *)sqlite3_column_text(st, 4));

		n++;
		if (!ok && bad++ < 20)
			note(ck, 0, "corpus response of %s to prompt %s does not match its SHA-256",
				(const char *)sqlite3_column_text(st, 0),
				sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "(no id)");
	}
	sqlite3_finalize(st);
	pbuf_release(&b);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the corpus");
	if (!bad && n)
		note(ck, 1, "%ld corpus responses match their SHA-256", n);
	if ((rc = store_snapshot_hash(s, now)))
		return rc;
	if (!strcmp(now, snapshot))
		note(ck, 1, "the corpus is the snapshot the case was compared against (%.16s...)", snapshot);
	else if (!n)
		note(ck, 1, "note: the corpus is not in this database; its snapshot was not checked (the case was compared"
			" against snapshot %.16s...)", snapshot);
	else
		note(ck, 1, "note: the corpus has changed since the case (snapshot then %.16s..., now %.16s...);"
			" the case's numbers can be re-derived only from the original corpus", snapshot, now);
	return 0;
}

int case_verify(struct store *s, int64_t id, struct verify_item **out, size_t *n_out)
{
	return case_verify_with(s, id, CASE_VERIFY_CORPUS, out, n_out);
}

int case_verify_with(struct store *s, int64_t id, int flags, struct verify_item **out, size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	struct checks ck;
	struct derived d;
	struct pbuf rep = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX], hash[PROV_SHA256_HEX], prev_actual[PROV_SHA256_HEX] = CASE_GENESIS;
	char snapshot[PROV_SHA256_HEX], answers_sha[PROV_SHA256_HEX];
	long nanswers;
	int rc = 0, step, report_ok;

	*out = NULL;
	*n_out = 0;
	memset(&ck, 0, sizeof(ck));
	memset(&d, 0, sizeof(d));
	if (sqlite3_prepare_v2(store_db(s), "SELECT id, name, created_at, suspect_sha256, suspect_size, suspect_lines,"
		" suspect_path, snapshot_sha256, tool_version, patterns_sha256, params, report, report_size,"
		" report_sha256, answers, answers_sha256, origin, prev_hash, hash, verdict, conclusion_teacher"
		" FROM cases WHERE id = ?1", -1, &st, NULL))
		return db_fail(s, "cannot read the case");
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(st);
		return step == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no case %lld in %s (see: provenance cases)",
			(long long)id, store_path(s)) : db_fail(s, "cannot read the case");
	}
	copy_col(snapshot, sizeof(snapshot), st, 7);
	copy_col(answers_sha, sizeof(answers_sha), st, 15);
	nanswers = (long)sqlite3_column_int64(st, 14);
	/* 1. the report */
	report_ok = zunpack(&rep, sqlite3_column_blob(st, 11), (size_t)sqlite3_column_bytes(st, 11),
		(size_t)sqlite3_column_int64(st, 12)) == 0 && prov_sha256_hex(sha, rep.data, rep.len) == 0 &&
		!strcmp(sha, (const char *)sqlite3_column_text(st, 13));
	note(&ck, report_ok, report_ok ? "the report matches its SHA-256" :
		"the stored report does not match its SHA-256 (the report was altered)");
	/* 2. the case hash over the canonical header */
	if ((rc = case_hash(hash, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		(const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
		(uint64_t)sqlite3_column_int64(st, 4), (long)sqlite3_column_int64(st, 5),
		(const char *)sqlite3_column_text(st, 6), snapshot, (const char *)sqlite3_column_text(st, 8),
		(const char *)sqlite3_column_text(st, 9), (const char *)sqlite3_column_text(st, 10),
		(const char *)sqlite3_column_text(st, 13), nanswers, answers_sha,
		(const char *)sqlite3_column_text(st, 16), (const char *)sqlite3_column_text(st, 17))))
		goto done;
	if (strcmp(hash, (const char *)sqlite3_column_text(st, 18)))
		note(&ck, 0, "the case hash does not match its recorded content (a recorded field was altered)");
	else
		note(&ck, 1, "the case hash %s matches its content", hash);
	/* 3. the rows against the report */
	if (report_ok) {
		if ((rc = derive(&d, rep.data, rep.len)))
			goto done;
		{
			const char *verdict = (const char *)sqlite3_column_text(st, 19);
			json_error_t err;
			json_t *doc = json_loadb(rep.data, rep.len, 0, &err);
			const char *rv = json_string_value(json_object_get(json_object_get(doc, "conclusion"), "verdict"));

			if (!rv || strcmp(rv, verdict))
				note(&ck, 0, "the case's recorded verdict (%s) differs from the signed report's (%s)", verdict,
					rv ? rv : "none");
			json_decref(doc);
		}
		if ((rc = verify_rows(s, id, &d, &ck)))
			goto done;
	}
	/* 4. the answers */
	if ((rc = verify_answers(s, id, nanswers, answers_sha, &ck)))
		goto done;
	/* 5. the chain link */
	{
		sqlite3_stmt *pv = NULL;
		const char *prev = (const char *)sqlite3_column_text(st, 17);

		if (sqlite3_prepare_v2(store_db(s), "SELECT id, hash FROM cases WHERE id < ?1 ORDER BY id DESC LIMIT 1",
			-1, &pv, NULL)) {
			rc = db_fail(s, "cannot read the chain");
			goto done;
		}
		sqlite3_bind_int64(pv, 1, id);
		if (sqlite3_step(pv) == SQLITE_ROW)
			copy_col(prev_actual, sizeof(prev_actual), pv, 1);
		sqlite3_finalize(pv);
		if (strcmp(prev, prev_actual))
			note(&ck, 0, "chain broken: the case links to %.16s... but the case before it has hash %.16s..."
				" (a case was removed or altered before this one)", prev, prev_actual);
		else
			note(&ck, 1, "the chain link to the previous case holds");
	}
	/* 6. the corpus */
	if ((flags & CASE_VERIFY_CORPUS) && (rc = verify_corpus(s, snapshot, &ck)))
		goto done;
done:
	sqlite3_finalize(st);
	pbuf_release(&rep);
	derived_free(&d);
	if (rc) {
		free(ck.v);
		return rc;
	}
	*out = ck.v;
	*n_out = ck.n;
	return ck.failed ? PROV_ETAMPER : 0;
}

int case_answers(struct store *s, int64_t id, struct case_answer_row **out, size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	struct case_answer_row *v = NULL;
	struct pbuf b = PBUF_INIT(0);
	size_t n = 0;
	int rc = 0, step;

	*out = NULL;
	*n_out = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT ext_id, line, prompt, prompt_size, text, size FROM case_answers"
		" WHERE case_id = ?1 ORDER BY seq", -1, &st, NULL))
		return db_fail(s, "cannot read the answers");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct case_answer_row *g = prov_reallocarray(v, n + 1, sizeof(*v)), *a;

		if (!g) {
			rc = PROV_ENOMEM;
			break;
		}
		v = g;
		a = &v[n++];
		memset(a, 0, sizeof(*a));
		a->ext_id = sqlite3_column_text(st, 0) ? prov_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
		a->line = (long)sqlite3_column_int64(st, 1);
		if ((rc = zunpack(&b, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
			(size_t)sqlite3_column_int64(st, 3))))
			break;
		a->prompt = pbuf_detach(&b, &a->prompt_len);
		if ((rc = zunpack(&b, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4),
			(size_t)sqlite3_column_int64(st, 5))))
			break;
		a->text = pbuf_detach(&b, &a->len);
		if (!a->prompt || !a->text) {
			rc = PROV_ENOMEM;
			break;
		}
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(s, "cannot read the answers");
	sqlite3_finalize(st);
	pbuf_release(&b);
	if (rc) {
		case_answers_free(v, n);
		return rc;
	}
	*out = v;
	*n_out = n;
	return 0;
}

void case_answers_free(struct case_answer_row *a, size_t n)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < n; i++) {
		free(a[i].ext_id);
		free(a[i].prompt);
		free(a[i].text);
	}
	free(a);
}
