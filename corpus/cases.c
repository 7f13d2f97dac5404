/*
 * cases.c: cases, the evidence chain, verification, signatures and trusted
 * timestamps of case hashes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <zlib.h>

#include "corpus/cases.h"
#include "corpus/store_internal.h"
#include "corpus/zpack.h"
#include "detect/features.h"

#define ZLEVEL ZPACK_LEVEL
#define SIG_PREFIX "provenance-case-hash/1 "
#define VSIG_PREFIX "provenance-validation-hash/1 "

static int db_fail(struct store *s, const char *what)
{
	if ((sqlite3_errcode(store_db(s)) & 0xff) == SQLITE_NOMEM)
		return prov_error(PROV_ENOMEM, "%s: %s: out of memory", store_path(s), what);
	return prov_error(PROV_EDB, "%s: %s: %s", store_path(s), what, sqlite3_errmsg(store_db(s)));
}

/* Bind a blob of any size_t length, with a clear error past SQLite's limit (never a NULL the constraint reports). */
static int bind_blob_checked(struct store *s, sqlite3_stmt *st, int i, const void *p, size_t n, const char *what)
{
	int rc = sqlite3_bind_blob64(st, i, n ? p : "", (sqlite3_uint64)n, SQLITE_STATIC);

	if (rc == SQLITE_TOOBIG)
		return prov_error(PROV_EDATA, "%s is too large for the database (%zu bytes)", what, n);
	return rc == SQLITE_OK ? 0 : db_fail(s, what);
}

static int bind_text_checked(struct store *s, sqlite3_stmt *st, int i, const char *p, size_t n, const char *what)
{
	int rc = sqlite3_bind_text64(st, i, p, (sqlite3_uint64)n, SQLITE_STATIC, SQLITE_UTF8);

	if (rc == SQLITE_TOOBIG)
		return prov_error(PROV_EDATA, "%s is too large for the database (%zu bytes)", what, n);
	return rc == SQLITE_OK ? 0 : db_fail(s, what);
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", v ? v : "");
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The canonical header of a case before schema 5 (format 1, docs/report-format.md). */
static int case_hash_v1(char out[PROV_SHA256_HEX], int64_t id, const char *name, const char *created_at,
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

/* ---- the canonical header, format 2 ---- */

/*
 * Every column of a case row, as the header binds it. Strings may be NULL
 * (shown as null). The answer digests are over the case_answers rows.
 */
struct hdr {
	int64_t id;
	const char *name, *created_at, *suspect_path, *suspect_sha256;
	long long suspect_size, suspect_lines;
	const char *snapshot, *tool, *patterns, *params;
	const char *concl_teacher, *concl_family, *verdict;
	const char *report_sha256;
	long long report_size, answers;
	const char *answers_sha256, *ids_sha256, *lines_sha256;
	const char *origin, *prev;
};

/* One header line per key, in this order, and the column(s) it stands for. */
static const struct {
	const char *key, *column;
} hdr_keys[] = {
	{ "id", "cases.id" },
	{ "name", "cases.name" },
	{ "created_at", "cases.created_at" },
	{ "suspect_path", "cases.suspect_path" },
	{ "suspect_sha256", "cases.suspect_sha256" },
	{ "suspect_size", "cases.suspect_size" },
	{ "suspect_lines", "cases.suspect_lines" },
	{ "snapshot_sha256", "cases.snapshot_sha256" },
	{ "tool_version", "cases.tool_version" },
	{ "patterns_sha256", "cases.patterns_sha256" },
	{ "params_sha256", "cases.params" },
	{ "conclusion_teacher", "cases.conclusion_teacher" },
	{ "conclusion_family", "cases.conclusion_family" },
	{ "verdict", "cases.verdict" },
	{ "report_sha256", "cases.report_sha256" },
	{ "report_size", "cases.report_size" },
	{ "answers", "cases.answers" },
	{ "answers_sha256", "cases.answers_sha256" },
	{ "answer_ids_sha256", "case_answers.ext_id" },
	{ "answer_lines_sha256", "case_answers.line" },
	{ "origin", "cases.origin" },
	{ "prev_hash", "cases.prev_hash" },
};
#define NHDR (sizeof(hdr_keys) / sizeof(hdr_keys[0]))

/* A string as one unambiguous token: "..." with \\ \" and bytes outside printable ASCII as \xHH; null. */
static int put_q(struct pbuf *b, const char *v)
{
	const unsigned char *p;
	int rc;

	if (!v)
		return pbuf_adds(b, "null");
	rc = pbuf_addc(b, '"');
	for (p = (const unsigned char *)v; *p && !rc; p++)
		rc = *p == '"' || *p == '\\' ? pbuf_addf(b, "\\%c", *p) :
			*p < 0x20 || *p >= 0x7f ? pbuf_addf(b, "\\x%02x", *p) : pbuf_addc(b, (char)*p);
	return rc ? rc : pbuf_addc(b, '"');
}

/* Line k of the header for h (without the key and the newline). */
static int hdr_value(struct pbuf *b, const struct hdr *h, size_t k)
{
	char sha[PROV_SHA256_HEX];
	int rc;

	switch (k) {
	case 0: return pbuf_addf(b, "%lld", (long long)h->id);
	case 1: return put_q(b, h->name);
	case 2: return put_q(b, h->created_at);
	case 3: return put_q(b, h->suspect_path);
	case 4: return put_q(b, h->suspect_sha256);
	case 5: return pbuf_addf(b, "%lld", h->suspect_size);
	case 6: return pbuf_addf(b, "%lld", h->suspect_lines);
	case 7: return put_q(b, h->snapshot);
	case 8: return put_q(b, h->tool);
	case 9: return put_q(b, h->patterns);
	case 10:
		if (!h->params)
			return pbuf_adds(b, "null");
		if ((rc = prov_sha256_hex(sha, h->params, strlen(h->params))))
			return rc;
		return pbuf_adds(b, sha);
	case 11: return put_q(b, h->concl_teacher);
	case 12: return put_q(b, h->concl_family);
	case 13: return put_q(b, h->verdict);
	case 14: return put_q(b, h->report_sha256);
	case 15: return pbuf_addf(b, "%lld", h->report_size);
	case 16: return pbuf_addf(b, "%lld", h->answers);
	case 17: return put_q(b, h->answers_sha256);
	case 18: return put_q(b, h->ids_sha256);
	case 19: return put_q(b, h->lines_sha256);
	case 20: return put_q(b, h->origin);
	default: return put_q(b, h->prev);
	}
}

static int hdr_build(struct pbuf *b, const struct hdr *h)
{
	size_t k;
	int rc;

	pbuf_reset(b);
	rc = pbuf_adds(b, "provenance-case/2\n");
	for (k = 0; k < NHDR && !rc; k++)
		if (!(rc = pbuf_addf(b, "%s ", hdr_keys[k].key)) && !(rc = hdr_value(b, h, k)))
			rc = pbuf_addc(b, '\n');
	return rc;
}

/* The value of `key` in a stored header (borrowed, up to the newline), or NULL; *len_out its length. */
static const char *hdr_find(const char *header, const char *key, size_t *len_out)
{
	size_t kl = strlen(key);
	const char *p = header;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);

		if (ll > kl && !strncmp(p, key, kl) && p[kl] == ' ') {
			*len_out = ll - kl - 1;
			return p + kl + 1;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Unquote a header token written by put_q into out (NUL-terminated); 0, or -1 if not a quoted token. */
static int hdr_unq(char *out, size_t n, const char *v, size_t len)
{
	size_t i, o = 0;

	if (len < 2 || v[0] != '"' || v[len - 1] != '"' || n == 0)
		return -1;
	for (i = 1; i + 1 < len && o + 1 < n; i++) {
		if (v[i] == '\\' && i + 2 < len && v[i + 1] == 'x' && i + 4 < len) {
			unsigned x = 0;

			sscanf(v + i + 2, "%2x", &x);
			out[o++] = (char)x;
			i += 3;
		} else if (v[i] == '\\' && i + 2 < len) {
			out[o++] = v[++i];
		} else {
			out[o++] = v[i];
		}
	}
	out[o] = '\0';
	return 0;
}

/* Manifest lines over the answers (ids and source lines; the answers_sha256 manifest is sha_line). */
static int sha_line(struct prov_sha256 *h, long seq, const char *psha, const char *asha)
{
	char line[200];
	int n = snprintf(line, sizeof(line), "%ld\t%s\t%s\n", seq, psha, asha);

	return prov_sha256_update(h, line, (size_t)n);
}

static int id_line(struct prov_sha256 *h, struct pbuf *tmp, long seq, const char *ext_id)
{
	int rc;

	pbuf_reset(tmp);
	if ((rc = pbuf_addf(tmp, "%ld\t", seq)) || (rc = put_q(tmp, ext_id)) || (rc = pbuf_addc(tmp, '\n')))
		return rc;
	return prov_sha256_update(h, tmp->data, tmp->len);
}

static int line_line(struct prov_sha256 *h, long seq, long long line)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%ld\t%lld\n", seq, line);

	return prov_sha256_update(h, buf, (size_t)n);
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

/* What the report says about the case header's columns (for the cross-checks). */
struct facts {
	json_t *doc;
	const char *teacher, *family, *verdict, *name, *path, *sha256, *snapshot, *tool, *patterns;
	long long size, lines;
	int has_size, has_lines;
	char *params;
};

static void facts_release(struct facts *f)
{
	json_decref(f->doc);
	free(f->params);
	memset(f, 0, sizeof(*f));
}

static int facts_read(struct facts *f, const char *report, size_t len)
{
	json_error_t err;
	const json_t *c, *sus, *tool, *v;

	memset(f, 0, sizeof(*f));
	f->doc = json_loadb(report, len, 0, &err);
	if (!json_is_object(f->doc))
		return prov_error(PROV_ETAMPER, "the stored report is not a JSON document");
	c = json_object_get(f->doc, "conclusion");
	sus = json_object_get(f->doc, "suspect");
	tool = json_object_get(f->doc, "tool");
	f->teacher = json_string_value(json_object_get(c, "teacher"));
	f->family = json_string_value(json_object_get(c, "family"));
	f->verdict = json_string_value(json_object_get(c, "verdict"));
	f->name = json_string_value(json_object_get(sus, "name"));
	f->path = json_string_value(json_object_get(sus, "path"));
	f->sha256 = json_string_value(json_object_get(sus, "sha256"));
	if ((v = json_object_get(sus, "size")) && json_is_integer(v)) {
		f->size = json_integer_value(v);
		f->has_size = 1;
	}
	if ((v = json_object_get(sus, "lines")) && json_is_integer(v)) {
		f->lines = json_integer_value(v);
		f->has_lines = 1;
	}
	f->snapshot = json_string_value(json_object_get(json_object_get(f->doc, "corpus"), "snapshot_sha256"));
	f->tool = json_string_value(json_object_get(tool, "version"));
	f->patterns = json_string_value(json_object_get(tool, "patterns_sha256"));
	if ((v = json_object_get(f->doc, "parameters")))
		f->params = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	return 0;
}

static int same_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
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
	char ids_sha[PROV_SHA256_HEX], lines_sha[PROV_SHA256_HEX];
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
	struct prov_sha256 *h = NULL, *hi = NULL, *hl = NULL;
	struct zpacker *zp = NULL;
	struct pbuf one = PBUF_INIT(0), tmp = PBUF_INIT(0);
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
	    (rc = prov_sha256_new(&h)) || (rc = prov_sha256_new(&hi)) || (rc = prov_sha256_new(&hl)))
		goto done;
	/* the answers, and the manifest hashes over them */
	for (i = 0; i < n; i++) {
		const struct case_answer *a = &c->answers[i];

		if ((rc = prov_sha256_hex(p->psha[i], a->prompt, a->prompt_len)) ||
		    (rc = prov_sha256_hex(p->asha[i], a->text, a->len)) ||
		    (rc = sha_line(h, (long)i, p->psha[i], p->asha[i])) ||
		    (rc = id_line(hi, &tmp, (long)i, a->ext_id)) || (rc = line_line(hl, (long)i, a->line)) ||
		    (rc = zpacker_pack(zp, &one, a->prompt, a->prompt_len)) || (rc = pbuf_add(&p->z, one.data, one.len)))
			goto done;
		p->zoff[2 * i + 1] = p->z.len;
		if ((rc = zpacker_pack(zp, &one, a->text, a->len)) || (rc = pbuf_add(&p->z, one.data, one.len)))
			goto done;
		p->zoff[2 * i + 2] = p->z.len;
	}
	if (!(rc = prov_sha256_final(h, p->answers_sha)) && !(rc = prov_sha256_final(hi, p->ids_sha)) &&
	    !(rc = prov_sha256_final(hl, p->lines_sha)) &&
	    !(rc = prov_sha256_hex(p->report_sha, c->report, c->report_len)))
		rc = zpack(&p->zreport, c->report, c->report_len, ZLEVEL);
done:
	prov_sha256_free(h);
	prov_sha256_free(hi);
	prov_sha256_free(hl);
	zpacker_free(zp);
	pbuf_release(&one);
	pbuf_release(&tmp);
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

static int sign_store(struct store *s, int64_t id, const char *hash, const struct case_key *k);

int case_append_packed(struct store *s, const struct case_new *c, const struct case_packed *p, const char *created_at,
	struct case_info *info_out)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	const struct derived *dp = &p->d;
	char prev[PROV_SHA256_HEX] = CASE_GENESIS, now[32], hash[PROV_SHA256_HEX];
	struct pbuf header = PBUF_INIT(0);
	struct hdr h;
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
		sqlite3_bind_text(st, 8, p->asha[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)a->len);
		if ((rc = bind_blob_checked(s, st, 7, z + p->zoff[2 * i], p->zoff[2 * i + 1] - p->zoff[2 * i],
			"an answer's prompt")) ||
		    (rc = bind_blob_checked(s, st, 10, z + p->zoff[2 * i + 1], p->zoff[2 * i + 2] - p->zoff[2 * i + 1],
			"an answer")))
			goto done;
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_fail(s, "cannot store an answer");
			goto done;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	memset(&h, 0, sizeof(h));
	h.id = id;
	h.name = c->name;
	h.created_at = now;
	h.suspect_path = c->suspect_path;
	h.suspect_sha256 = c->suspect_sha256;
	h.suspect_size = (long long)c->suspect_size;
	h.suspect_lines = c->suspect_lines;
	h.snapshot = c->snapshot_sha256;
	h.tool = c->tool_version;
	h.patterns = c->patterns_sha256;
	h.params = c->params;
	h.concl_teacher = c->conclusion_teacher;
	h.concl_family = c->conclusion_family;
	h.verdict = c->verdict;
	h.report_sha256 = p->report_sha;
	h.report_size = (long long)c->report_len;
	h.answers = (long long)c->nanswers;
	h.answers_sha256 = p->answers_sha;
	h.ids_sha256 = p->ids_sha;
	h.lines_sha256 = p->lines_sha;
	h.origin = c->origin;
	h.prev = prev;
	if ((rc = hdr_build(&header, &h)) || (rc = prov_sha256_hex(hash, header.data, header.len)))
		goto done;
	if (sqlite3_prepare_v2(db, "INSERT INTO cases(id, name, created_at, suspect_path, suspect_sha256, suspect_size,"
		" suspect_lines, snapshot_sha256, tool_version, patterns_sha256, params, conclusion_teacher,"
		" conclusion_family, verdict, report, report_size, report_sha256, answers, answers_sha256, origin,"
		" prev_hash, hash, header) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22, ?23)", -1, &st, NULL)) {
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
	if ((rc = bind_blob_checked(s, st, 15, p->zreport.data, p->zreport.len, "the report")))
		goto done;
	sqlite3_bind_int64(st, 16, (sqlite3_int64)c->report_len);
	sqlite3_bind_text(st, 17, p->report_sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 18, (sqlite3_int64)c->nanswers);
	sqlite3_bind_text(st, 19, p->answers_sha, -1, SQLITE_STATIC);
	bind_text_or_null(st, 20, c->origin);
	sqlite3_bind_text(st, 21, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 22, hash, -1, SQLITE_STATIC);
	if ((rc = bind_text_checked(s, st, 23, header.data, header.len, "the case header")))
		goto done;
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
	if (store_signer(s) && (rc = sign_store(s, id, hash, store_signer(s))))
		goto done;
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
	pbuf_release(&header);
	if (rc)
		store_rollback(s);
	return rc;
}

/* ---- reading cases ---- */

#define ROW_COLS4 "id, name, created_at, suspect_path, suspect_sha256, suspect_size, suspect_lines, snapshot_sha256," \
	" tool_version, patterns_sha256, params, conclusion_teacher, conclusion_family, verdict, report_sha256," \
	" report_size, answers, answers_sha256, origin, prev_hash, hash"
#define ROW_COLS ROW_COLS4 ", header"
/* The same columns from a store of schema 4 (read-only, not migrated): no stored header. */
#define ROW_SQL(s, rest) (store_version(s) >= 5 ? "SELECT " ROW_COLS rest : "SELECT " ROW_COLS4 ", NULL" rest)
enum {
	C_ID, C_NAME, C_CREATED, C_PATH, C_SHA, C_SIZE, C_LINES, C_SNAPSHOT, C_TOOL, C_PATTERNS, C_PARAMS,
	C_TEACHER, C_FAMILY, C_VERDICT, C_REPORT_SHA, C_REPORT_SIZE, C_ANSWERS, C_ANSWERS_SHA, C_ORIGIN, C_PREV,
	C_HASH, C_HEADER, C_REPORT
};

/* The header the row's columns give; the answer digests come from the rows (ids, lines) when given. */
static void hdr_from_row(struct hdr *h, sqlite3_stmt *st, const char *ids, const char *lines)
{
	memset(h, 0, sizeof(*h));
	h->id = sqlite3_column_int64(st, C_ID);
	h->name = col(st, C_NAME);
	h->created_at = col(st, C_CREATED);
	h->suspect_path = col(st, C_PATH);
	h->suspect_sha256 = col(st, C_SHA);
	h->suspect_size = sqlite3_column_int64(st, C_SIZE);
	h->suspect_lines = sqlite3_column_int64(st, C_LINES);
	h->snapshot = col(st, C_SNAPSHOT);
	h->tool = col(st, C_TOOL);
	h->patterns = col(st, C_PATTERNS);
	h->params = col(st, C_PARAMS);
	h->concl_teacher = col(st, C_TEACHER);
	h->concl_family = col(st, C_FAMILY);
	h->verdict = col(st, C_VERDICT);
	h->report_sha256 = col(st, C_REPORT_SHA);
	h->report_size = sqlite3_column_int64(st, C_REPORT_SIZE);
	h->answers = sqlite3_column_int64(st, C_ANSWERS);
	h->answers_sha256 = col(st, C_ANSWERS_SHA);
	h->ids_sha256 = ids;
	h->lines_sha256 = lines;
	h->origin = col(st, C_ORIGIN);
	h->prev = col(st, C_PREV);
}

/*
 * The columns of a case row checked against its stored header and hash,
 * without reading the answers (their digests are taken from the header).
 * 0 if they hold; PROV_ETAMPER with `why` naming the first column that does
 * not; another code on failure.
 */
static int row_check(sqlite3_stmt *st, char *why, size_t n)
{
	const char *header = col(st, C_HEADER), *hash = col(st, C_HASH), *v;
	char ids[80] = "", lines[80] = "", sha[PROV_SHA256_HEX];
	struct pbuf b = PBUF_INIT(0);
	struct hdr h;
	size_t len, k;
	int rc;

	if (!hash)
		hash = "";
	if (!header) {
		/* format 1 (before schema 5) */
		if (!col(st, C_NAME) || !col(st, C_CREATED) || !col(st, C_SHA) || !col(st, C_PATH) || !col(st, C_SNAPSHOT) ||
		    !col(st, C_TOOL) || !col(st, C_PATTERNS) || !col(st, C_PARAMS) || !col(st, C_REPORT_SHA) ||
		    !col(st, C_ANSWERS_SHA) || !col(st, C_PREV)) {
			snprintf(why, n, "a required column is empty");
			return PROV_ETAMPER;
		}
		if ((rc = case_hash_v1(sha, sqlite3_column_int64(st, C_ID), col(st, C_NAME), col(st, C_CREATED), col(st, C_SHA),
			(uint64_t)sqlite3_column_int64(st, C_SIZE), (long)sqlite3_column_int64(st, C_LINES), col(st, C_PATH),
			col(st, C_SNAPSHOT), col(st, C_TOOL), col(st, C_PATTERNS), col(st, C_PARAMS), col(st, C_REPORT_SHA),
			(long)sqlite3_column_int64(st, C_ANSWERS), col(st, C_ANSWERS_SHA), col(st, C_ORIGIN), col(st, C_PREV))))
			return rc;
		if (strcmp(sha, hash)) {
			snprintf(why, n, "the case hash does not match its recorded content");
			return PROV_ETAMPER;
		}
		return 0;
	}
	if ((v = hdr_find(header, "answer_ids_sha256", &len)))
		hdr_unq(ids, sizeof(ids), v, len);
	if ((v = hdr_find(header, "answer_lines_sha256", &len)))
		hdr_unq(lines, sizeof(lines), v, len);
	hdr_from_row(&h, st, ids, lines);
	if ((rc = hdr_build(&b, &h)))
		goto done;
	rc = 0;
	if (strcmp(b.data, header)) {
		struct pbuf one = PBUF_INIT(0);

		snprintf(why, n, "the case header differs from its columns");
		for (k = 0; k < NHDR; k++) {
			v = hdr_find(header, hdr_keys[k].key, &len);
			pbuf_reset(&one);
			if (hdr_value(&one, &h, k) == 0 && (!v || len != one.len || memcmp(v, one.data, len))) {
				snprintf(why, n, "%s differs from the case header", hdr_keys[k].column);
				break;
			}
		}
		pbuf_release(&one);
		rc = PROV_ETAMPER;
	} else if ((rc = prov_sha256_hex(sha, header, strlen(header))) == 0 && strcmp(sha, hash)) {
		snprintf(why, n, "cases.hash does not match the case header");
		rc = PROV_ETAMPER;
	}
done:
	pbuf_release(&b);
	return rc;
}

static void fill_info(struct case_info *ci, sqlite3_stmt *st)
{
	char why[200];

	memset(ci, 0, sizeof(*ci));
	ci->id = sqlite3_column_int64(st, C_ID);
	copy_col(ci->name, sizeof(ci->name), st, C_NAME);
	copy_col(ci->created_at, sizeof(ci->created_at), st, C_CREATED);
	copy_col(ci->suspect_path, sizeof(ci->suspect_path), st, C_PATH);
	copy_col(ci->suspect_sha256, sizeof(ci->suspect_sha256), st, C_SHA);
	copy_col(ci->snapshot_sha256, sizeof(ci->snapshot_sha256), st, C_SNAPSHOT);
	copy_col(ci->hash, sizeof(ci->hash), st, C_HASH);
	copy_col(ci->prev_hash, sizeof(ci->prev_hash), st, C_PREV);
	copy_col(ci->verdict, sizeof(ci->verdict), st, C_VERDICT);
	copy_col(ci->conclusion_teacher, sizeof(ci->conclusion_teacher), st, C_TEACHER);
	copy_col(ci->conclusion_family, sizeof(ci->conclusion_family), st, C_FAMILY);
	ci->altered = row_check(st, why, sizeof(why)) != 0;
}

int case_report(struct store *s, int64_t id, struct pbuf *report_out, struct case_info *info_out)
{
	sqlite3_stmt *st = NULL;
	char sha[PROV_SHA256_HEX], why[200];
	int rc;

	if (sqlite3_prepare_v2(store_db(s), ROW_SQL(s, ", report FROM cases WHERE id = ?1"), -1, &st, NULL))
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
	if ((rc = row_check(st, why, sizeof(why)))) {
		sqlite3_finalize(st);
		return rc == PROV_ETAMPER ? prov_error(PROV_ETAMPER, "case %lld: %s: the stored case was altered"
			" (run: provenance --db %s verify %lld)", (long long)id, why, store_path(s), (long long)id) : rc;
	}
	rc = zunpack(report_out, sqlite3_column_blob(st, C_REPORT), (size_t)sqlite3_column_bytes(st, C_REPORT),
		(size_t)sqlite3_column_int64(st, C_REPORT_SIZE));
	if (!rc && !(rc = prov_sha256_hex(sha, report_out->data, report_out->len)) &&
	    strcmp(sha, col(st, C_REPORT_SHA) ? col(st, C_REPORT_SHA) : ""))
		rc = prov_error(PROV_ETAMPER, "case %lld: the stored report does not match its SHA-256"
			" (run: provenance --db %s verify %lld)", (long long)id, store_path(s), (long long)id);
	else if (rc == PROV_EDATA)
		rc = prov_error(PROV_ETAMPER, "case %lld: the stored report does not match its SHA-256 (it does not"
			" decompress to its recorded size; run: provenance --db %s verify %lld)", (long long)id, store_path(s),
			(long long)id);
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
	if (sqlite3_prepare_v2(store_db(s), ROW_SQL(s, " FROM cases ORDER BY id"), -1, &st, NULL))
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

int case_head(struct store *s, int64_t *id_out, char hash_out[PROV_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	int step;

	if (sqlite3_prepare_v2(store_db(s), "SELECT id, hash FROM cases ORDER BY id DESC LIMIT 1", -1, &st, NULL))
		return db_fail(s, "cannot read the chain");
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		copy_col(hash_out, PROV_SHA256_HEX, st, 1);
	}
	sqlite3_finalize(st);
	if (step == SQLITE_DONE)
		return prov_error(PROV_ENOTFOUND, "no cases in %s: the chain is empty", store_path(s));
	return step == SQLITE_ROW ? 0 : db_fail(s, "cannot read the chain");
}

/* ---- signing keys ---- */

struct case_key {
	EVP_PKEY *pkey;
	int has_private;
	unsigned char pub[32];
	char sha[PROV_SHA256_HEX];
};

void case_key_free(struct case_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *case_key_id(const struct case_key *k)
{
	return k->sha;
}

int case_key_load(struct case_key **out, const char *path, int need_private)
{
	struct case_key *k;
	FILE *fp;
	size_t publen = sizeof(k->pub);

	*out = NULL;
	fp = fopen(path, "rb");
	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open the key: %s", path, strerror(errno));
	k = prov_calloc(1, sizeof(*k));
	if (!k) {
		fclose(fp);
		return prov_error(PROV_ENOMEM, "out of memory");
	}
	k->pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	k->has_private = k->pkey != NULL;
	if (!k->pkey && !need_private) {
		rewind(fp);
		k->pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	}
	fclose(fp);
	if (!k->pkey) {
		case_key_free(k);
		return prov_error(PROV_EDATA, "%s: not a PEM %s key (make one with: openssl genpkey -algorithm ed25519%s)",
			path, need_private ? "private" : "public or private",
			need_private ? " -out key.pem" : "; its public key: openssl pkey -in key.pem -pubout");
	}
	if (EVP_PKEY_get_id(k->pkey) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &publen) != 1 || publen != 32) {
		case_key_free(k);
		return prov_error(PROV_EDATA, "%s: not an Ed25519 key (make one with: openssl genpkey -algorithm ed25519)",
			path);
	}
	prov_sha256_hex(k->sha, k->pub, 32);
	*out = k;
	return 0;
}

void case_use_signer(struct store *s, const struct case_key *k)
{
	store_set_signer(s, k);
}

static int sig_message_as(struct pbuf *b, const char *prefix, const char *hash)
{
	pbuf_reset(b);
	return pbuf_addf(b, "%s%s", prefix, hash);
}

static int sign_row(struct store *s, const char *prefix, const char *sql, int64_t id, const char *hash,
	const struct case_key *k);

static int sign_store(struct store *s, int64_t id, const char *hash, const struct case_key *k)
{
	return sign_row(s, SIG_PREFIX, "INSERT OR REPLACE INTO case_signatures(case_id, hash, key_sha256, public_key,"
		" signature) VALUES (?1, ?2, ?3, ?4, ?5)", id, hash, k);
}

/* Sign `hash` (the row `id`'s) with k, the message `prefix` + hash, and store it with `sql`. */
static int sign_row(struct store *s, const char *prefix, const char *sql, int64_t id, const char *hash,
	const struct case_key *k)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct pbuf msg = PBUF_INIT(0);
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (!ctx || (rc = sig_message_as(&msg, prefix, hash)))
		goto done;
	if (!k->has_private || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg.data, msg.len) != 1) {
		rc = prov_error(PROV_EINTERNAL, "libcrypto: cannot sign %lld", (long long)id);
		goto done;
	}
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL)) {
		rc = db_fail(s, "cannot store the signature");
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->sha, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, k->pub, 32, SQLITE_STATIC);
	if ((rc = bind_blob_checked(s, st, 5, sig, siglen, "the signature")))
		goto done;
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(s, "cannot store the signature");
done:
	if (!ctx)
		rc = prov_error(PROV_ENOMEM, "out of memory");
	sqlite3_finalize(st);
	EVP_MD_CTX_free(ctx);
	pbuf_release(&msg);
	return rc;
}

int case_sign(struct store *s, int64_t id, const struct case_key *k)
{
	sqlite3_stmt *st = NULL;
	char hash[PROV_SHA256_HEX], why[200];
	int rc, step;

	if (sqlite3_prepare_v2(store_db(s), ROW_SQL(s, " FROM cases WHERE id = ?1"), -1, &st, NULL))
		return db_fail(s, "cannot read the case");
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(st);
		return step == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no case %lld in %s", (long long)id, store_path(s)) :
			db_fail(s, "cannot read the case");
	}
	copy_col(hash, sizeof(hash), st, C_HASH);
	rc = row_check(st, why, sizeof(why));
	sqlite3_finalize(st);
	if (rc)
		return rc == PROV_ETAMPER ? prov_error(PROV_ETAMPER, "case %lld: %s: refusing to sign an altered case",
			(long long)id, why) : rc;
	if ((rc = store_begin(s)))
		return rc;
	if ((rc = sign_store(s, id, hash, k))) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

static int sig_ok_as(const char *prefix, const unsigned char *pub, size_t publen, const void *sig, size_t siglen,
	const char *hash)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, publen);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct pbuf msg = PBUF_INIT(0);
	int ok = pk && ctx && !sig_message_as(&msg, prefix, hash) && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
		EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg.data, msg.len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	pbuf_release(&msg);
	return ok;
}

/* ---- trusted timestamps ---- */

int case_timestamp_add(struct store *s, int64_t id, const char *hash, const char *gen_time, const void *reply,
	size_t len)
{
	sqlite3_stmt *st = NULL;
	char sha[PROV_SHA256_HEX], now[32];
	int rc;

	if ((rc = prov_sha256_hex(sha, reply, len)))
		return rc;
	store_now(now);
	if ((rc = store_begin(s)))
		return rc;
	if (sqlite3_prepare_v2(store_db(s), "INSERT INTO case_timestamps(case_id, hash, gen_time, reply, reply_sha256,"
		" attached_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL)) {
		rc = db_fail(s, "cannot store the timestamp");
		store_rollback(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, gen_time, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	if ((rc = bind_blob_checked(s, st, 4, reply, len, "the time-stamp reply")) || sqlite3_step(st) != SQLITE_DONE) {
		if (!rc)
			rc = db_fail(s, "cannot store the timestamp");
		sqlite3_finalize(st);
		store_rollback(s);
		return rc;
	}
	sqlite3_finalize(st);
	return store_commit(s);
}

/* ---- verification ---- */

struct checks {
	struct verify_item *v;
	size_t n;
	int failed, changed, missing;
};

static void note(struct checks *c, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(struct checks *c, int ok, const char *fmt, ...)
{
	struct verify_item *g = prov_reallocarray(c->v, c->n + 1, sizeof(*g));
	va_list ap;

	if (ok == 0)
		c->failed = 1;
	if (ok == -1)
		c->changed = 1;
	if (ok == -2)
		c->missing = 1;
	if (!g)
		return;
	c->v = g;
	g[c->n].ok = ok;
	va_start(ap, fmt);
	vsnprintf(g[c->n].what, sizeof(g[c->n].what), fmt, ap);
	va_end(ap);
	c->n++;
}

struct answers_sum {
	long n;
	char manifest[PROV_SHA256_HEX], ids[PROV_SHA256_HEX], lines[PROV_SHA256_HEX];
	int content_ok;
};

static int verify_answers(struct store *s, int64_t id, struct answers_sum *sum, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	struct prov_sha256 *h = NULL, *hi = NULL, *hl = NULL;
	struct pbuf b = PBUF_INIT(0), tmp = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX];
	long n = 0, bad = 0, seq_expect = 0;
	int rc, step;

	memset(sum, 0, sizeof(*sum));
	if ((rc = prov_sha256_new(&h)) || (rc = prov_sha256_new(&hi)) || (rc = prov_sha256_new(&hl)))
		goto done;
	if (sqlite3_prepare_v2(store_db(s), "SELECT seq, ext_id, line, prompt_sha256, prompt_size, prompt, sha256,"
		" size, text FROM case_answers WHERE case_id = ?1 ORDER BY seq", -1, &st, NULL)) {
		rc = db_fail(s, "cannot read the answers");
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		long seq = (long)sqlite3_column_int64(st, 0);
		const char *psha = col(st, 3) ? col(st, 3) : "", *asha = col(st, 6) ? col(st, 6) : "";
		int ok;

		if (seq != seq_expect && bad++ < 20)
			note(ck, 0, "case_answers.seq: answer %ld is missing from the case (rows removed, or their seq or"
				" case_id altered)", seq_expect);
		seq_expect = seq + 1;
		ok = zunpack(&b, sqlite3_column_blob(st, 8), (size_t)sqlite3_column_bytes(st, 8),
			(size_t)sqlite3_column_int64(st, 7)) == 0 && prov_sha256_hex(sha, b.data, b.len) == 0 && !strcmp(sha, asha);
		if (!ok && bad++ < 20)
			note(ck, 0, "case_answers.text, case_answers.size or case_answers.sha256: answer %ld (prompt id %s,"
				" suspect line %lld) does not match its SHA-256", seq, col(st, 1) ? col(st, 1) : "(no id)",
				(long long)sqlite3_column_int64(st, 2));
		ok = zunpack(&b, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5),
			(size_t)sqlite3_column_int64(st, 4)) == 0 && prov_sha256_hex(sha, b.data, b.len) == 0 && !strcmp(sha, psha);
		if (!ok && bad++ < 20)
			note(ck, 0, "case_answers.prompt, case_answers.prompt_size or case_answers.prompt_sha256: the prompt of"
				" answer %ld (prompt id %s) does not match its SHA-256", seq, col(st, 1) ? col(st, 1) : "(no id)");
		if ((rc = sha_line(h, seq, psha, asha)) || (rc = id_line(hi, &tmp, seq, col(st, 1))) ||
		    (rc = line_line(hl, seq, sqlite3_column_int64(st, 2))))
			goto done;
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(s, "cannot read the answers");
		goto done;
	}
	if (!(rc = prov_sha256_final(h, sum->manifest)) && !(rc = prov_sha256_final(hi, sum->ids)))
		rc = prov_sha256_final(hl, sum->lines);
	sum->n = n;
	sum->content_ok = !bad;
done:
	sqlite3_finalize(st);
	prov_sha256_free(h);
	prov_sha256_free(hi);
	prov_sha256_free(hl);
	pbuf_release(&b);
	pbuf_release(&tmp);
	return rc;
}

static const char *nz(const char *s)
{
	return s ? s : "null";
}

static int verify_rows(struct store *s, int64_t id, const struct derived *d, struct checks *ck)
{
	static const char *const rcols[] = { "family", "rank", "score", "p_value", "effect", "verdict", "signals" };
	sqlite3_stmt *st = NULL;
	size_t i, n = 0, bad = 0, k;
	int step;

	if (sqlite3_prepare_v2(store_db(s), "SELECT teacher, family, rank, score, p_value, effect, verdict, signals"
		" FROM case_results WHERE case_id = ?1 ORDER BY rank, teacher", -1, &st, NULL))
		return db_fail(s, "cannot read the results");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = col(st, 0) ? col(st, 0) : "";
		int found = 0;

		n++;
		for (i = 0; i < d->nres; i++) {
			int diff[7];

			if (strcmp(d->res[i].teacher, t))
				continue;
			found = 1;
			diff[0] = !same_opt(col(st, 1), d->res[i].family);
			diff[1] = sqlite3_column_type(st, 2) != SQLITE_INTEGER || sqlite3_column_int(st, 2) != d->res[i].rank;
			diff[2] = sqlite3_column_double(st, 3) != d->res[i].score;
			diff[3] = sqlite3_column_double(st, 4) != d->res[i].p;
			diff[4] = sqlite3_column_double(st, 5) != d->res[i].effect;
			diff[5] = strcmp(nz(col(st, 6)), d->res[i].verdict ? d->res[i].verdict : "?") != 0;
			diff[6] = strcmp(nz(col(st, 7)), d->res[i].signals ? d->res[i].signals : "{}") != 0;
			for (k = 0; k < 7; k++)
				if (diff[k]) {
					note(ck, 0, "case_results.%s: the result row for teacher %s differs from the report", rcols[k], t);
					bad++;
				}
		}
		if (!found) {
			note(ck, 0, "case_results.teacher: a result row for teacher %s is not in the report", t);
			bad++;
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the results");
	if (n != d->nres) {
		note(ck, 0, "case_results.case_id: %zu result rows are stored but the report has %zu teachers (rows added,"
			" removed or moved)", n, d->nres);
		bad++;
	}
	if (!bad)
		note(ck, 1, "%zu per-teacher result rows match the report, column by column", n);
	bad = 0;
	n = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT seq, teacher, kind, prompt_id, data FROM case_evidence"
		" WHERE case_id = ?1 ORDER BY seq", -1, &st, NULL))
		return db_fail(s, "cannot read the evidence");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 seq = sqlite3_column_int64(st, 0);
		const char *pid = col(st, 3) ? col(st, 3) : "-";

		n++;
		if (seq < 0 || (size_t)seq >= d->nitem) {
			note(ck, 0, "case_evidence.seq: evidence item %lld (prompt id %s) is not in the report", (long long)seq,
				pid);
			bad++;
			continue;
		}
		if (!same_opt(col(st, 1), d->item[seq].teacher)) {
			note(ck, 0, "case_evidence.teacher: evidence item %lld (prompt id %s) differs from the report",
				(long long)seq, pid);
			bad++;
		}
		if (strcmp(nz(col(st, 2)), d->item[seq].kind)) {
			note(ck, 0, "case_evidence.kind: evidence item %lld (prompt id %s) differs from the report",
				(long long)seq, pid);
			bad++;
		}
		if (!same_opt(col(st, 3), d->item[seq].prompt_id)) {
			note(ck, 0, "case_evidence.prompt_id: evidence item %lld (prompt id %s) differs from the report",
				(long long)seq, pid);
			bad++;
		}
		if (strcmp(nz(col(st, 4)), d->item[seq].data)) {
			note(ck, 0, "case_evidence.data: evidence item %lld (prompt id %s) differs from the report",
				(long long)seq, pid);
			bad++;
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the evidence");
	if (n != d->nitem) {
		note(ck, 0, "case_evidence.case_id: %zu evidence items are stored but the report has %zu (rows added,"
			" removed or moved)", n, d->nitem);
		bad++;
	}
	if (!bad)
		note(ck, 1, "%zu evidence items match the report, column by column", n);
	return 0;
}

static int verify_corpus(struct store *s, const char *snapshot, const char *patterns, int v1, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	struct pbuf b = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX], now[PROV_SHA256_HEX], fver[80];
	long n = 0, bad = 0, rows = 0, added = 0;
	int rc, step;

	if (sqlite3_prepare_v2(store_db(s), "SELECT m.name, p.ext_id, r.text, r.size, r.sha256 FROM responses r"
		" JOIN models m ON m.id = r.model_id JOIN prompts p ON p.id = r.prompt_id ORDER BY r.id", -1, &st, NULL))
		return db_fail(s, "cannot read the corpus");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int ok = zunpack(&b, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
			(size_t)sqlite3_column_int64(st, 3)) == 0 && prov_sha256_hex(sha, b.data, b.len) == 0 &&
			!strcmp(sha, col(st, 4) ? col(st, 4) : "");

		n++;
		if (!ok && bad++ < 20)
			note(ck, 0, "corpus response of %s to prompt %s does not match its SHA-256", nz(col(st, 0)),
				col(st, 1) ? col(st, 1) : "(no id)");
	}
	sqlite3_finalize(st);
	pbuf_release(&b);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the corpus");
	if (!bad && n)
		note(ck, 1, "%ld corpus responses match their SHA-256", n);
	if (v1) {
		/* a case from before schema 5: its snapshot did not bind who answered what */
		if ((rc = store_snapshot_hash_v1(s, now)))
			return rc;
		if (!strcmp(now, snapshot))
			note(ck, 1, "the corpus is the snapshot the case was compared against (%.16s..., format 1)", snapshot);
		else if (!n)
			note(ck, 1, "note: the corpus is not in this database; its snapshot was not checked (the case was"
				" compared against snapshot %.16s...)", snapshot);
		else
			note(ck, 1, "note: the corpus differs from the snapshot of this case (format 1 snapshot, which cannot"
				" tell a grown corpus from a changed one)");
		return 0;
	}
	snprintf(fver, sizeof(fver), "%d:%s", FEAT_VERSION, patterns);
	rc = store_snapshot_compare(s, fver, snapshot, now, &rows, &added);
	if (rc < 0)
		return rc;
	if (rc == SNAPSHOT_SAME)
		note(ck, 1, "the corpus is the snapshot the case was compared against (%.16s...)", snapshot);
	else if (!rows)
		note(ck, 1, "note: the corpus is not in this database; its snapshot was not checked (the case was compared"
			" against snapshot %.16s...)", snapshot);
	else if (rc == SNAPSHOT_GREW)
		note(ck, 1, "note: the corpus grew since the case: its first %ld responses are exactly the snapshot the"
			" case was compared against (%.16s...); %ld were imported after it", rows - added, snapshot, added);
	else
		note(ck, -1, "the corpus changed since the case: it is not the snapshot the case was compared against"
			" (%.16s..., now %.16s...) nor that snapshot with responses added: a response, a prompt, a model's"
			" family or role, or a stored feature was altered or removed", snapshot, now);
	return 0;
}

/* Compare each line of the stored header with the columns; name every column that differs. */
static int verify_header(sqlite3_stmt *st, const struct answers_sum *sum, struct checks *ck)
{
	const char *header = col(st, C_HEADER), *v;
	char sha[PROV_SHA256_HEX];
	struct pbuf b = PBUF_INIT(0), one = PBUF_INIT(0);
	struct hdr h;
	size_t k, len, bad = 0;
	int rc;

	hdr_from_row(&h, st, sum->ids, sum->lines);
	if (strncmp(header, "provenance-case/2\n", 18)) {
		note(ck, 0, "cases.header: the stored case header is not a provenance-case/2 header");
		bad++;
	}
	for (k = 0; k < NHDR; k++) {
		v = hdr_find(header, hdr_keys[k].key, &len);
		pbuf_reset(&one);
		if ((rc = hdr_value(&one, &h, k)))
			goto done;
		if (!v || len != one.len || memcmp(v, one.data, len)) {
			note(ck, 0, "%s differs from the case header, which records %.*s", hdr_keys[k].column,
				v ? (int)(len > 200 ? 200 : len) : 4, v ? v : "none");
			bad++;
		}
	}
	if ((rc = prov_sha256_hex(sha, header, strlen(header))))
		goto done;
	if (strcmp(sha, col(st, C_HASH) ? col(st, C_HASH) : "")) {
		note(ck, 0, "cases.hash or cases.header: the case hash does not match the stored case header");
		bad++;
	}
	if (sum->n != sqlite3_column_int64(st, C_ANSWERS)) {
		note(ck, 0, "case_answers.case_id: the case records %lld answers but %ld are stored (rows added, removed or"
			" moved to another case)",
			(long long)sqlite3_column_int64(st, C_ANSWERS), sum->n);
		bad++;
	}
	if (strcmp(sum->manifest, col(st, C_ANSWERS_SHA) ? col(st, C_ANSWERS_SHA) : "")) {
		note(ck, 0, "case_answers.seq, case_answers.prompt_sha256 or case_answers.sha256: the answers manifest differs from"
			" the recorded one (answers added, removed or edited)");
		bad++;
	}
	if (!bad)
		note(ck, 1, "the case hash %s covers every column of the case, and each matches", col(st, C_HASH));
	rc = 0;
done:
	pbuf_release(&b);
	pbuf_release(&one);
	return rc;
}

/* The case columns that repeat what the report says must say the same. */
static void verify_facts(sqlite3_stmt *st, const struct facts *f, struct checks *ck)
{
	struct {
		int col;
		const char *column, *field, *report;
	} t[] = {
		{ C_VERDICT, "cases.verdict", "conclusion.verdict", f->verdict },
		{ C_TEACHER, "cases.conclusion_teacher", "conclusion.teacher", f->teacher },
		{ C_FAMILY, "cases.conclusion_family", "conclusion.family", f->family },
		{ C_NAME, "cases.name", "suspect.name", f->name },
		{ C_PATH, "cases.suspect_path", "suspect.path", f->path },
		{ C_SHA, "cases.suspect_sha256", "suspect.sha256", f->sha256 },
		{ C_SNAPSHOT, "cases.snapshot_sha256", "corpus.snapshot_sha256", f->snapshot },
		{ C_TOOL, "cases.tool_version", "tool.version", f->tool },
		{ C_PATTERNS, "cases.patterns_sha256", "tool.patterns_sha256", f->patterns },
		{ C_PARAMS, "cases.params", "parameters", f->params },
	};
	size_t k, bad = 0;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
		if (!same_opt(col(st, t[k].col), t[k].report)) {
			note(ck, 0, "%s (%.100s) differs from the report's %s (%.100s)", t[k].column, nz(col(st, t[k].col)),
				t[k].field, nz(t[k].report));
			bad++;
		}
	if (f->has_size && sqlite3_column_int64(st, C_SIZE) != f->size) {
		note(ck, 0, "cases.suspect_size differs from the report's suspect.size");
		bad++;
	}
	if (f->has_lines && sqlite3_column_int64(st, C_LINES) != f->lines) {
		note(ck, 0, "cases.suspect_lines differs from the report's suspect.lines");
		bad++;
	}
	if (!bad)
		note(ck, 1, "the case's name, suspect, corpus snapshot, tool, parameters and conclusion match the report");
}

/*
 * Every stored signature must verify against the key stored with it, over
 * this case's hash, and that key must be the one its row names: a signature,
 * key or signed hash altered in place is a FAIL with or without --pubkey.
 * `key` (--pubkey) adds "and one of them is by the key you trust": a case
 * without one is MISSING ("unsigned"), never altered. `require`: a case must
 * carry at least one signature that holds (MISSING otherwise).
 */
static int verify_signatures_of(struct store *s, const char *what, const char *prefix, const char *sql, int64_t id,
	const char *hash, const struct case_key *key, int require, struct checks *ck);

static int verify_signatures(struct store *s, int64_t id, const char *hash, const struct case_key *key,
	int require, struct checks *ck)
{
	if (store_version(s) < 5) {
		if (key)
			note(ck, -2, "unsigned: case %lld has no signature by key %.16s... (a database of schema 4 holds none)",
				(long long)id, key->sha);
		else if (require)
			note(ck, -2, "unsigned: case %lld carries no signature (a database of schema 4 holds none)", (long long)id);
		return 0;
	}
	return verify_signatures_of(s, "case", SIG_PREFIX, "SELECT key_sha256, public_key, signature, hash FROM"
		" case_signatures WHERE case_id = ?1 ORDER BY key_sha256", id, hash, key, require, ck);
}

/* The checks of verify_signatures for the signatures `sql` selects of `what` `id` (a case, a validation). */
static int verify_signatures_of(struct store *s, const char *what, const char *prefix, const char *sql, int64_t id,
	const char *hash, const struct case_key *key, int require, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	char fp[PROV_SHA256_HEX], others[200] = "";
	int step, found = 0, nsig = 0, good = 0, rc;
	const char *tab = !strcmp(what, "case") ? "case_signatures" : "validation_signatures";

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL))
		return db_fail(s, "cannot read the signatures");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *pub = sqlite3_column_blob(st, 1);
		size_t publen = (size_t)sqlite3_column_bytes(st, 1);
		const char *named = nz(col(st, 0));
		int mine = key && !strcmp(named, key->sha);

		nsig++;
		fp[0] = '\0';
		if (publen == 32 && (rc = prov_sha256_hex(fp, pub, 32))) {
			sqlite3_finalize(st);
			return rc;
		}
		if (publen != 32 || strcmp(fp, named)) {
			note(ck, 0, "%s.public_key or %s.key_sha256: the signature row of key %.16s... holds %s", tab, tab, named,
				publen != 32 ? "no Ed25519 public key" : "another key");
		} else if (strcmp(nz(col(st, 3)), hash)) {
			note(ck, 0, "%s.hash: the signature by key %.16s... is recorded for hash %.16s..., not this %s's hash"
				" %.16s...", tab, fp, nz(col(st, 3)), what, hash);
		} else if (!sig_ok_as(prefix, pub, 32, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
			hash)) {
			note(ck, 0, "bad signature: the signature by key %.16s... is not a signature of this %s's hash (the"
				" %s or its chain was rewritten, or the signature altered)", fp, what, what);
		} else if (key && mine && memcmp(pub, key->pub, 32)) {
			note(ck, 0, "%s.public_key: the signature row of key %.16s... holds another key", tab, key->sha);
		} else {
			good++;
			found |= mine;
			note(ck, 1, "the %s hash is signed by key %s (Ed25519, fingerprint: SHA-256 of the public key)%s", what, fp,
				mine ? "; it is the key given (--pubkey)" : key ? "; not the key given" :
				"; checked with the key stored beside it: give --pubkey FILE to check it is the key you trust");
			if (!mine && strlen(others) < sizeof(others) - 24)
				snprintf(others + strlen(others), sizeof(others) - strlen(others), "%s%.16s...", *others ? ", " : "",
					fp);
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "cannot read the signatures");
	if (key && !found)
		note(ck, -2, "unsigned: %s %lld has no signature by key %.16s...%s%s%s", what, (long long)id, key->sha,
			*others ? " (signed by key " : nsig ? "" : " (it carries no signature)", others, *others ? " only)" : "");
	else if (require && !good)
		note(ck, -2, "unsigned: %s %lld carries no signature that holds (--require-signature)", what, (long long)id);
	return 0;
}

/* `require`: at least one stored timestamp must hold (MISSING otherwise). */
static int verify_timestamps(struct store *s, int64_t id, const char *hash, const struct case_verify_opts *o,
	int require, struct checks *ck)
{
	sqlite3_stmt *st = NULL;
	char sha[PROV_SHA256_HEX], why[400];
	int step = SQLITE_DONE, rc = 0, good = 0;

	if (store_version(s) < 5 || !o->ts_check)
		goto out;
	if (sqlite3_prepare_v2(store_db(s), "SELECT id, reply, reply_sha256, gen_time FROM case_timestamps"
		" WHERE case_id = ?1 ORDER BY id", -1, &st, NULL))
		return db_fail(s, "cannot read the timestamps");
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const void *der = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		if ((rc = prov_sha256_hex(sha, der, len)))
			break;
		if (strcmp(sha, nz(col(st, 2)))) {
			note(ck, 0, "case_timestamps.reply: timestamp %lld does not match its SHA-256",
				(long long)sqlite3_column_int64(st, 0));
			continue;
		}
		why[0] = '\0';
		rc = o->ts_check(o->ts_ctx, der, len, hash, why, sizeof(why));
		if (rc < 0)
			break;
		note(ck, rc == 0, "timestamp %lld: %s", (long long)sqlite3_column_int64(st, 0), why);
		good += rc == 0;
		rc = 0;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(s, "cannot read the timestamps");
	sqlite3_finalize(st);
	if (rc)
		return rc;
out:
	if (require && !good)
		note(ck, -2, "untimestamped: case %lld carries no RFC 3161 timestamp that holds (--require-timestamp)",
			(long long)id);
	return 0;
}

int case_verify(struct store *s, int64_t id, struct verify_item **out, size_t *n_out)
{
	return case_verify_with(s, id, CASE_VERIFY_CORPUS, out, n_out);
}

int case_verify_with(struct store *s, int64_t id, int flags, struct verify_item **out, size_t *n_out)
{
	struct case_verify_opts o;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	return case_verify_ex(s, id, &o, out, n_out);
}

int case_verify_ex(struct store *s, int64_t id, const struct case_verify_opts *o, struct verify_item **out,
	size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	struct checks ck;
	struct derived d;
	struct facts f;
	struct answers_sum sum;
	struct pbuf rep = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX], prev_actual[PROV_SHA256_HEX] = CASE_GENESIS;
	const char *hash;
	int rc = 0, step, report_ok, v1;

	*out = NULL;
	*n_out = 0;
	memset(&ck, 0, sizeof(ck));
	memset(&d, 0, sizeof(d));
	memset(&f, 0, sizeof(f));
	if (sqlite3_prepare_v2(store_db(s), ROW_SQL(s, ", report FROM cases WHERE id = ?1"), -1, &st, NULL))
		return db_fail(s, "cannot read the case");
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(st);
		return step == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no case %lld in %s (see: provenance cases)",
			(long long)id, store_path(s)) : db_fail(s, "cannot read the case");
	}
	hash = col(st, C_HASH) ? col(st, C_HASH) : "";
	v1 = col(st, C_HEADER) == NULL;
	/* 1. the report */
	report_ok = zunpack(&rep, sqlite3_column_blob(st, C_REPORT), (size_t)sqlite3_column_bytes(st, C_REPORT),
		(size_t)sqlite3_column_int64(st, C_REPORT_SIZE)) == 0 && prov_sha256_hex(sha, rep.data, rep.len) == 0 &&
		!strcmp(sha, nz(col(st, C_REPORT_SHA)));
	note(&ck, report_ok, report_ok ? "the report matches its SHA-256" :
		"cases.report, cases.report_size or cases.report_sha256: the stored report does not match its SHA-256 (the report"
		" was altered)");
	/* 2. the answers */
	if ((rc = verify_answers(s, id, &sum, &ck)))
		goto done;
	if (sum.content_ok && sum.n == sqlite3_column_int64(st, C_ANSWERS) &&
	    !strcmp(sum.manifest, nz(col(st, C_ANSWERS_SHA))))
		note(&ck, 1, "%ld answers match their SHA-256 and the recorded manifest", sum.n);
	/* 3. the case hash: every column against the header, the header against the hash */
	if (v1) {
		char why[200];

		if ((rc = row_check(st, why, sizeof(why))) && rc != PROV_ETAMPER)
			goto done;
		if (rc)
			note(&ck, 0, "%s (a recorded field was altered; a case of format 1 does not say which)", why);
		else
			note(&ck, 1, "the case hash %s matches its content (format 1, from before schema 5: it does not"
				" cover the conclusion columns, answer ids or lines; the conclusion is checked against the report)", hash);
		if (sum.n != sqlite3_column_int64(st, C_ANSWERS) || strcmp(sum.manifest, nz(col(st, C_ANSWERS_SHA))))
			note(&ck, 0, "case_answers: the answers differ from the recorded manifest (answers added, removed or"
				" edited)");
		rc = 0;
	} else if ((rc = verify_header(st, &sum, &ck))) {
		goto done;
	}
	/* 4. what the case repeats from the report, and the rows derived from it */
	if (report_ok) {
		if ((rc = facts_read(&f, rep.data, rep.len)) || (rc = derive(&d, rep.data, rep.len)))
			goto done;
		verify_facts(st, &f, &ck);
		if ((rc = verify_rows(s, id, &d, &ck)))
			goto done;
	}
	/* 5. the chain link */
	{
		sqlite3_stmt *pv = NULL;
		const char *prev = nz(col(st, C_PREV));

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
	/* 6. signatures and timestamps of the case hash */
	if ((rc = verify_signatures(s, id, hash, o->pubkey, !!(o->flags & CASE_VERIFY_REQUIRE_SIGNATURE), &ck)))
		goto done;
	if ((rc = verify_timestamps(s, id, hash, o, !!(o->flags & CASE_VERIFY_REQUIRE_TIMESTAMP), &ck)))
		goto done;
	/* 7. the corpus */
	if ((o->flags & CASE_VERIFY_CORPUS) &&
	    (rc = verify_corpus(s, nz(col(st, C_SNAPSHOT)), nz(col(st, C_PATTERNS)), v1, &ck)))
		goto done;
done:
	sqlite3_finalize(st);
	pbuf_release(&rep);
	derived_free(&d);
	facts_release(&f);
	if (rc) {
		free(ck.v);
		return rc;
	}
	*out = ck.v;
	*n_out = ck.n;
	return ck.failed ? PROV_ETAMPER : ck.missing ? CASE_UNANCHORED : ck.changed ? CASE_CORPUS_CHANGED : 0;
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

/* ---- validations: evidence in a chain of their own ---- */

/* The columns of a validation row, in header order after the id. */
#define VAL_COLS "id, created_at, labels_path, labels_sha256, snapshot_sha256, tool_version, engine_version," \
	" patterns_sha256, slices, result_sha256, origin, prev_hash, header, hash, result"
enum { V_ID, V_CREATED, V_LABELS, V_LABELS_SHA, V_SNAPSHOT, V_TOOL, V_ENGINE, V_PATTERNS, V_SLICES, V_RESULT_SHA,
	V_ORIGIN, V_PREV, V_HEADER, V_HASH, V_RESULT };
static const char *const vhdr_keys[] = { "id", "created_at", "labels_path", "labels_sha256", "snapshot_sha256",
	"tool_version", "engine_version", "patterns_sha256", "slices", "result_sha256", "origin", "prev_hash" };
#define NVHDR (sizeof(vhdr_keys) / sizeof(vhdr_keys[0]))

/* The canonical header of a validation: "provenance-validation/1" and one `key value` line per column. */
static int vhdr_build(struct pbuf *b, int64_t id, const char *const v[NVHDR])
{
	size_t k;
	int rc;

	pbuf_reset(b);
	rc = pbuf_adds(b, "provenance-validation/1\n");
	for (k = 0; k < NVHDR && !rc; k++) {
		if (!(rc = pbuf_addf(b, "%s ", vhdr_keys[k])))
			rc = k == 0 ? pbuf_addf(b, "%lld", (long long)id) : put_q(b, v[k]);
		if (!rc)
			rc = pbuf_addc(b, '\n');
	}
	return rc;
}

/* The hash of the last chained validation (CASE_GENESIS when none). */
static int vchain_head(struct store *s, char out[PROV_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	int step;

	snprintf(out, PROV_SHA256_HEX, "%s", CASE_GENESIS);
	if (sqlite3_prepare_v2(store_db(s), "SELECT hash FROM validations WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
		-1, &st, NULL))
		return db_fail(s, "cannot read the validations");
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		copy_col(out, PROV_SHA256_HEX, st, 0);
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : db_fail(s, "cannot read the validations");
}

int validation_append(struct store *s, const struct store_validation *v, const char *origin, const char *created_at,
	int64_t *id_out, char hash_out[PROV_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	struct pbuf h = PBUF_INIT(0);
	char now[32], rsha[PROV_SHA256_HEX], prev[PROV_SHA256_HEX], hash[PROV_SHA256_HEX];
	const char *cols[NVHDR];
	const struct case_key *k = store_signer(s);
	int64_t id = 0;
	int rc;

	if (store_version(s) < 6)
		return prov_error(PROV_EDB, "%s: schema version %d holds no validation chain; open it writable once",
			store_path(s), store_version(s));
	if (created_at)
		snprintf(now, sizeof(now), "%s", created_at);
	else
		store_now(now);
	if ((rc = prov_sha256_hex(rsha, v->result, strlen(v->result))))
		return rc;
	if ((rc = store_begin(s)))
		return rc;
	if ((rc = vchain_head(s, prev)))
		goto fail;
	if (sqlite3_prepare_v2(store_db(s), "SELECT coalesce(max(id), 0) + 1 FROM validations", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = db_fail(s, "cannot store the validation");
		goto fail;
	}
	id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	cols[0] = NULL;
	cols[1] = now;
	cols[2] = v->labels_path;
	cols[3] = v->labels_sha256;
	cols[4] = v->snapshot_sha256;
	cols[5] = v->tool_version;
	cols[6] = v->engine_version;
	cols[7] = v->patterns_sha256;
	cols[8] = v->slices;
	cols[9] = rsha;
	cols[10] = origin;
	cols[11] = prev;
	if ((rc = vhdr_build(&h, id, cols)) || (rc = prov_sha256_hex(hash, h.data, h.len)))
		goto fail;
	if (sqlite3_prepare_v2(store_db(s), "INSERT INTO validations(id, created_at, labels_path, labels_sha256,"
		" snapshot_sha256, tool_version, engine_version, patterns_sha256, slices, result, result_sha256, origin,"
		" prev_hash, header, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", -1,
		&st, NULL)) {
		rc = db_fail(s, "cannot store the validation");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	for (size_t c = 1; c <= 8; c++)
		sqlite3_bind_text(st, (int)c + 1, cols[c], -1, SQLITE_STATIC);
	if ((rc = bind_text_checked(s, st, 10, v->result, strlen(v->result), "the validation")))
		goto fail;
	sqlite3_bind_text(st, 11, rsha, -1, SQLITE_STATIC);
	bind_text_or_null(st, 12, origin);
	sqlite3_bind_text(st, 13, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, h.data, (int)h.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_fail(s, "cannot store the validation");
		goto fail;
	}
	if (k && (rc = sign_row(s, VSIG_PREFIX, "INSERT OR REPLACE INTO validation_signatures(validation_id, hash,"
		" key_sha256, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5)", id, hash, k)))
		goto fail;
	sqlite3_finalize(st);
	pbuf_release(&h);
	if ((rc = store_commit(s)))
		return rc;
	if (id_out)
		*id_out = id;
	if (hash_out)
		memcpy(hash_out, hash, PROV_SHA256_HEX);
	return 0;
fail:
	sqlite3_finalize(st);
	pbuf_release(&h);
	store_rollback(s);
	return rc;
}

int store_validation_add(struct store *s, const struct store_validation *v, int64_t *id_out)
{
	return validation_append(s, v, NULL, NULL, id_out, NULL);
}

int validation_verify(struct store *s, int64_t id, const struct case_verify_opts *o, struct verify_item **out,
	size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	struct checks ck;
	struct pbuf h = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX], prev_actual[PROV_SHA256_HEX] = CASE_GENESIS;
	const char *cols[NVHDR], *stored, *hash;
	int rc = 0, step;
	size_t k;

	*out = NULL;
	*n_out = 0;
	memset(&ck, 0, sizeof(ck));
	if (store_version(s) < 6)
		return prov_error(PROV_ENOTFOUND, "no validation chain in %s (schema %d)", store_path(s), store_version(s));
	if (sqlite3_prepare_v2(store_db(s), "SELECT " VAL_COLS " FROM validations WHERE id = ?1", -1, &st, NULL))
		return db_fail(s, "cannot read the validation");
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(st);
		return step == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no validation %lld in %s", (long long)id,
			store_path(s)) : db_fail(s, "cannot read the validation");
	}
	stored = col(st, V_HEADER);
	hash = nz(col(st, V_HASH));
	if (!col(st, V_HASH) && !stored) {
		note(&ck, 1, "note: validation %lld was stored before validations were evidence (schema 6): it is not"
			" hashed into the chain, and no report quotes it (run validate again)", (long long)id);
		goto done;
	}
	/* the result */
	if ((rc = prov_sha256_hex(sha, nz(col(st, V_RESULT)), (size_t)sqlite3_column_bytes(st, V_RESULT))))
		goto done;
	if (strcmp(sha, nz(col(st, V_RESULT_SHA))))
		note(&ck, 0, "validations.result or validations.result_sha256: the stored result does not match its SHA-256");
	else
		note(&ck, 1, "the result matches its SHA-256");
	/* every column against the header, the header against the hash */
	for (k = 0; k < NVHDR; k++)
		cols[k] = col(st, (int)k);
	if ((rc = vhdr_build(&h, sqlite3_column_int64(st, V_ID), cols)))
		goto done;
	{
		size_t bad = 0;

		for (k = 0; k < NVHDR; k++) {
			size_t la = 0, lb = 0;
			const char *a = stored ? hdr_find(stored, vhdr_keys[k], &la) : NULL;
			const char *b = hdr_find(h.data, vhdr_keys[k], &lb);

			if (!a || la != lb || memcmp(a, b, la)) {
				note(&ck, 0, "validations.%s differs from the validation header, which records %.*s",
					k == 0 ? "id" : vhdr_keys[k], a ? (int)(la > 200 ? 200 : la) : 4, a ? a : "none");
				bad++;
			}
		}
		if (!stored || strncmp(stored, "provenance-validation/1\n", 24) ||
		    prov_sha256_hex(sha, stored, strlen(stored)) || strcmp(sha, hash)) {
			note(&ck, 0, "validations.header or validations.hash: the validation hash %.16s... is not the SHA-256 of its"
				" stored header", hash);
			bad++;
		}
		if (!bad)
			note(&ck, 1, "the validation hash %s covers every column of the validation, and each matches", hash);
	}
	/* the chain link */
	{
		sqlite3_stmt *pv = NULL;

		if (sqlite3_prepare_v2(store_db(s), "SELECT hash FROM validations WHERE id < ?1 AND hash IS NOT NULL"
			" ORDER BY id DESC LIMIT 1", -1, &pv, NULL)) {
			rc = db_fail(s, "cannot read the validations");
			goto done;
		}
		sqlite3_bind_int64(pv, 1, id);
		if (sqlite3_step(pv) == SQLITE_ROW)
			copy_col(prev_actual, sizeof(prev_actual), pv, 0);
		sqlite3_finalize(pv);
		if (strcmp(nz(col(st, V_PREV)), prev_actual))
			note(&ck, 0, "chain broken: the validation links to %.16s... but the validation before it has hash %.16s..."
				" (a validation was removed or altered before this one)", nz(col(st, V_PREV)), prev_actual);
		else
			note(&ck, 1, "the chain link to the previous validation holds");
	}
	rc = verify_signatures_of(s, "validation", VSIG_PREFIX, "SELECT key_sha256, public_key, signature, hash FROM"
		" validation_signatures WHERE validation_id = ?1 ORDER BY key_sha256", id, hash, o ? o->pubkey : NULL,
		o && (o->flags & CASE_VERIFY_REQUIRE_SIGNATURE), &ck);
done:
	sqlite3_finalize(st);
	pbuf_release(&h);
	if (rc) {
		free(ck.v);
		return rc;
	}
	*out = ck.v;
	*n_out = ck.n;
	return ck.failed ? PROV_ETAMPER : ck.missing ? CASE_UNANCHORED : 0;
}

int validation_list(struct store *s, struct validation_info **out, size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	struct validation_info *v = NULL;
	size_t n = 0;
	int step, rc = 0;

	*out = NULL;
	*n_out = 0;
	if (store_version(s) < 4)
		return 0;
	if (sqlite3_prepare_v2(store_db(s), store_version(s) >= 6 ? "SELECT id, created_at, labels_path, snapshot_sha256,"
		" hash, origin FROM validations ORDER BY id" : "SELECT id, created_at, labels_path, snapshot_sha256, NULL,"
		" NULL FROM validations ORDER BY id", -1, &st, NULL))
		return db_fail(s, "cannot read the validations");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct validation_info *g = prov_reallocarray(v, n + 1, sizeof(*v));

		if (!g) {
			rc = PROV_ENOMEM;
			break;
		}
		v = g;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = sqlite3_column_int64(st, 0);
		copy_col(v[n].created_at, sizeof(v[n].created_at), st, 1);
		copy_col(v[n].labels_path, sizeof(v[n].labels_path), st, 2);
		copy_col(v[n].snapshot_sha256, sizeof(v[n].snapshot_sha256), st, 3);
		copy_col(v[n].hash, sizeof(v[n].hash), st, 4);
		copy_col(v[n].origin, sizeof(v[n].origin), st, 5);
		n++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(s, "cannot read the validations");
	sqlite3_finalize(st);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int validation_latest_where(struct store *s, const char *snapshot, const char *tool_version,
	const char *patterns, int64_t *id_out, char created_out[32], struct pbuf *result_out,
	char hash_out[PROV_SHA256_HEX], int calibrated);

int store_validation_latest_hash(struct store *s, const char *snapshot, const char *tool_version,
	const char *patterns, int64_t *id_out, char created_out[32], struct pbuf *result_out,
	char hash_out[PROV_SHA256_HEX])
{
	return validation_latest_where(s, snapshot, tool_version, patterns, id_out, created_out, result_out, hash_out, 0);
}

int store_validation_latest_calibrated(struct store *s, const char *snapshot, const char *tool_version,
	const char *patterns, int64_t *id_out, char created_out[32], struct pbuf *result_out)
{
	return validation_latest_where(s, snapshot, tool_version, patterns, id_out, created_out, result_out, NULL, 1);
}

/* The latest chained validation that matches (with a calibration: `calibrated`), checked: 1, 0 none, <0. */
static int validation_latest_where(struct store *s, const char *snapshot, const char *tool_version,
	const char *patterns, int64_t *id_out, char created_out[32], struct pbuf *result_out,
	char hash_out[PROV_SHA256_HEX], int calibrated)
{
	sqlite3_stmt *st = NULL;
	struct verify_item *items = NULL;
	size_t n = 0, i;
	int64_t id;
	int rc;

	if (store_version(s) < 6)
		return 0;
	if (sqlite3_prepare_v2(store_db(s), calibrated ? "SELECT id, created_at, result, hash FROM validations"
		" WHERE snapshot_sha256 = ?1 AND tool_version = ?2 AND patterns_sha256 = ?3 AND hash IS NOT NULL"
		" AND json_extract(result, '$.calibration.weights') IS NOT NULL ORDER BY id DESC LIMIT 1" :
		"SELECT id, created_at, result, hash FROM validations"
		" WHERE snapshot_sha256 = ?1 AND tool_version = ?2 AND patterns_sha256 = ?3 AND hash IS NOT NULL"
		" ORDER BY id DESC LIMIT 1", -1, &st, NULL))
		return db_fail(s, "cannot read validations");
	sqlite3_bind_text(st, 1, snapshot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tool_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, patterns, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : db_fail(s, "cannot read validations");
	}
	id = sqlite3_column_int64(st, 0);
	snprintf(created_out, 32, "%s", nz(col(st, 1)));
	if (hash_out)
		copy_col(hash_out, PROV_SHA256_HEX, st, 3);
	pbuf_reset(result_out);
	rc = pbuf_add(result_out, sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	sqlite3_finalize(st);
	if (rc)
		return rc;
	/* a report quotes only a validation that verifies: its result, header, hash, chain link and signatures */
	if ((rc = validation_verify(s, id, NULL, &items, &n)) && rc != PROV_ETAMPER && rc != CASE_UNANCHORED)
		return rc;
	if (rc == PROV_ETAMPER) {
		for (i = 0; i < n && items[i].ok != 0; i++)
			;
		rc = prov_error(PROV_ETAMPER, "%s: validation %lld does not verify (%s): a report quotes only a validation"
			" that verifies (see: provenance verify --all)", store_path(s), (long long)id, i < n ? items[i].what : "?");
		free(items);
		pbuf_reset(result_out);
		return rc;
	}
	free(items);
	*id_out = id;
	return 1;
}

int store_validation_latest(struct store *s, const char *snapshot, const char *tool_version, const char *patterns,
	int64_t *id_out, char created_out[32], struct pbuf *result_out)
{
	return store_validation_latest_hash(s, snapshot, tool_version, patterns, id_out, created_out, result_out, NULL);
}
