/*
 * cmd_cases.c: `provenance cases`, `report CASE`, `verify CASE`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/casedoc.h"
#include "cmd/cmd.h"
#include "cmd/report_doc.h"
#include "cmd/session.h"
#include "corpus/cases.h"
#include "detect/features.h"
#include "detect/patterns.h"
#include "detect/text.h"

static const char *nz_str(const char *s)
{
	return s ? s : "";
}

/* --format text|json (--json as its alias): 1 for json, 0 for text, -1 (after the message) otherwise. */
static int format_json(const char *cmd, const char *format)
{
	if (!strcmp(format, "json"))
		return 1;
	if (!strcmp(format, "text"))
		return 0;
	cmd_usage_error(cmd, "--format must be text or json, not '%s'", format);
	return -1;
}

/* Print a JSON document (indented, with a final newline) and release it. */
static int print_json(json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	json_decref(doc);
	if (!s)
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	printf("%s\n", s);
	free(s);
	return EXIT_OK;
}

static json_t *case_json(const struct case_info *c)
{
	json_t *o = json_object(), *concl = json_object();

	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "created_at", json_string(c->created_at));
	json_object_set_new(o, "verdict", json_string(c->verdict));
	json_object_set_new(concl, "teacher", c->conclusion_teacher[0] ? json_string(c->conclusion_teacher) : json_null());
	json_object_set_new(concl, "family", c->conclusion_family[0] ? json_string(c->conclusion_family) : json_null());
	json_object_set_new(o, "conclusion", concl);
	json_object_set_new(o, "suspect_path", json_string(c->suspect_path));
	json_object_set_new(o, "suspect_sha256", json_string(c->suspect_sha256));
	json_object_set_new(o, "hash", json_string(c->hash));
	json_object_set_new(o, "previous_hash", c->prev_hash[0] ? json_string(c->prev_hash) : json_null());
	return o;
}

static int parse_case_id(const char *s, int64_t *out)
{
	long v = cmd_parse_long(s);

	if (v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int is_hash(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* Terminal columns of UTF-8 text (one per code point: names are printable, see cmd_esc). */
static size_t text_cols(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* s, then spaces up to `width` columns and one more: a column of the `cases` listing. */
static void print_col(const char *s, size_t width)
{
	size_t c = text_cols(s);

	fputs(s, stdout);
	for (; c < width + 1; c++)
		putchar(' ');
}

/* The conclusion column of a case: "teacher (family)" or "-". */
static void conclusion_text(char *out, size_t size, const struct case_info *ci)
{
	if (ci->conclusion_teacher[0])
		snprintf(out, size, "%s (%s)", ci->conclusion_teacher, ci->conclusion_family[0] ?
			ci->conclusion_family : "-");
	else
		snprintf(out, size, "-");
}

int cmd_cases(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "head", no_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	struct case_info *v = NULL;
	struct validation_info *vals = NULL;
	size_t n = 0, i, altered = 0, nvals = 0;
	int c, rc, head = 0, as_json = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":f:h", longopts, "cases")) != -1) {
		if (c == 'H') {
			head = 1;
			continue;
		}
		if (c == 'f' && (as_json = format_json("cases", optarg)) >= 0)
			continue;
		if (c == 'j') {
			as_json = 1;
			continue;
		}
		if (c == 'h') {
			fputs("usage: provenance cases [--head] [--format text|json]\n"
			      "Lists every stored case: id, name, time, verdict and conclusion, suspect SHA-256. A case whose\n"
			      "stored row no longer matches its hash is marked ALTERED (see: provenance verify).\n"
			      "  --head           print only the chain head: the last case's id and hash. Keep it outside the\n"
			      "                   database (a ticket, an e-mail, a notary); `verify --all --head HASH` checks it.\n"
			      "  --format FORMAT  text (default) or json (an array: id, name, created_at, verdict,\n"
			      "                   conclusion, suspect_path, suspect_sha256, hash, previous_hash)\n",
				stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind < argc)
		return cmd_usage_error("cases", "unexpected argument '%s'", argv[optind]);
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		return cmd_fail(rc);
	if (head) {
		char hash[PROV_SHA256_HEX];
		int64_t id = 0;

		rc = case_head(st, &id, hash);
		store_close(st);
		if (rc)
			return cmd_fail(rc);
		printf("%lld %s\n", (long long)id, hash);
		return EXIT_OK;
	}
	rc = case_list(st, &v, &n);
	if (!rc && !as_json)
		rc = validation_list(st, &vals, &nvals);
	store_close(st);
	if (rc) {
		free(v);
		return cmd_fail(rc);
	}
	if (as_json) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(arr, case_json(&v[i]));
		free(v);
		return print_json(arr);
	}
	if (!n) {
		printf("No cases yet. Scan a suspect with: provenance scan SUSPECT.jsonl\n");
	} else {
		/* every column as wide as its widest value: long names do not shift the columns after them */
		size_t w[5] = { 2, 4, 7, 7, 10 };   /* ID NAME CREATED VERDICT CONCLUSION */
		char concl[1200], id[32];

		for (i = 0; i < n; i++) {
			size_t x;

			snprintf(id, sizeof(id), "%lld", (long long)v[i].id);
			conclusion_text(concl, sizeof(concl), &v[i]);
			w[0] = (x = strlen(id)) > w[0] ? x : w[0];
			w[1] = (x = text_cols(cmd_esc(v[i].name))) > w[1] ? x : w[1];
			w[2] = (x = text_cols(cmd_esc(v[i].created_at))) > w[2] ? x : w[2];
			w[3] = (x = text_cols(v[i].altered ? "ALTERED" : cmd_esc(v[i].verdict))) > w[3] ? x : w[3];
			w[4] = (x = text_cols(cmd_esc(concl))) > w[4] ? x : w[4];
		}
		w[0] = w[0] < 4 ? 4 : w[0];
		print_col("ID", w[0]);
		print_col("NAME", w[1]);
		print_col("CREATED", w[2]);
		print_col("VERDICT", w[3]);
		print_col("CONCLUSION", w[4]);
		printf("SUSPECT SHA-256\n");
		for (i = 0; i < n; i++) {
			snprintf(id, sizeof(id), "%lld", (long long)v[i].id);
			conclusion_text(concl, sizeof(concl), &v[i]);
			print_col(id, w[0]);
			print_col(cmd_esc(v[i].name), w[1]);
			print_col(cmd_esc(v[i].created_at), w[2]);
			print_col(v[i].altered ? "ALTERED" : cmd_esc(v[i].verdict), w[3]);
			print_col(cmd_esc(concl), w[4]);
			printf("%s\n", cmd_esc(v[i].suspect_sha256));
		}
	}
	for (i = 0; i < n; i++)
		altered += v[i].altered != 0;
	if (altered)
		printf("%zu case%s marked ALTERED: the stored row does not match its hash (run: provenance verify --all)\n",
			altered, altered == 1 ? "" : "s");
	if (nvals)
		printf("\nValidations (measured error rates, evidence in a chain of their own: provenance verify --all):\n");
	for (i = 0; i < nvals; i++)
		printf("validation %lld  %s  %s  %s%s%s\n", (long long)vals[i].id, cmd_esc(vals[i].created_at),
			vals[i].hash[0] ? vals[i].hash : "(unchained, stored before schema 6; not quoted)",
			cmd_esc(vals[i].labels_path), vals[i].origin[0] ? "  merged from " : "", cmd_esc(vals[i].origin));
	free(vals);
	free(v);
	return EXIT_OK;
}

int cmd_report(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "md", *output = NULL;
	struct store *st = NULL;
	struct pbuf stored = PBUF_INIT(0), out = PBUF_INIT(0);
	struct case_info ci;
	json_t *doc = NULL;
	int64_t id;
	int c, rc;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":f:o:h", longopts, "report")) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs("usage: provenance report CASE [--format md|html|json|pdf] [-o FILE]\n"
			      "Re-renders a stored case (default: Markdown). The bytes are the same as the\n"
			      "scan that made the case wrote in that format. pdf prints the HTML to A4 with\n"
			      "headless Chromium (apt-get install -y chromium); without it, exit code 9.\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (!casedoc_format_ok(format))
		return cmd_usage_error("report", "--format must be json, md, html or pdf, not '%s'", format);
	if (optind + 1 != argc || parse_case_id(argv[optind], &id))
		return cmd_usage_error("report", "give one case id (see: provenance cases)");
	if ((rc = cmd_check_output(output, ctx->db_path)))
		return cmd_fail(rc);
	if (!strcmp(format, "pdf") && !output && isatty(STDOUT_FILENO))
		return cmd_usage_error("report", "--format pdf writes a binary file: give -o FILE.pdf");
	if ((rc = casedoc_pdf_check("report", format)))
		return rc;
	if (!(rc = store_open(&st, ctx->db_path, STORE_RDONLY)) && !(rc = case_report(st, id, &stored, &ci)) &&
	    !(rc = casedoc_build(&doc, stored.data, stored.len, &ci)) && !(rc = casedoc_render(&out, doc, format)))
		rc = cmd_write_output(output, out.data, out.len);
	json_decref(doc);
	pbuf_release(&stored);
	pbuf_release(&out);
	store_close(st);
	return rc ? cmd_fail(rc) : EXIT_OK;
}

/* verify --features: every stored feature blob against its recomputation from the answer. */
struct feat_check {
	const struct pat_lib *lib;
	struct pbuf blob;
	long n, bad;
};

static int check_feature(void *ctx, int64_t response_id, const char *model, const char *prompt_id, const char *answer,
	size_t len, const void *blob, size_t blob_len)
{
	struct feat_check *fc = ctx;
	struct feat f;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = feat_compute(&f, answer, len, fc->lib, NULL)) || (rc = feat_encode(&fc->blob, &f))) {
		feat_release(&f);
		return rc;
	}
	feat_release(&f);
	fc->n++;
	if (fc->blob.len != blob_len || memcmp(fc->blob.data, blob, blob_len)) {
		if (fc->bad++ < 20)
			printf("features: FAIL features.blob of response %lld (model %s, prompt %s) differs from the features"
				" computed from its answer\n", (long long)response_id, cmd_esc(model),
				prompt_id ? cmd_esc(prompt_id) : "(no id)");
	}
	return 0;
}

static int verify_features(struct store *st, const char *patterns, int *bad_out)
{
	struct feat_check fc;
	char fver[80];
	int rc;

	memset(&fc, 0, sizeof(fc));
	pbuf_init(&fc.blob, 0);
	if ((rc = session_load_patterns((struct pat_lib **)&fc.lib, patterns)))
		return rc;
	feat_version_string(fver, fc.lib);
	rc = store_each_feature(st, fver, check_feature, &fc);
	if (!rc && !fc.bad)
		printf("features: ok   %ld stored feature blobs (pattern library %.16s...) match the features computed"
			" from their answers\n", fc.n, pat_lib_sha256(fc.lib));
	else if (!rc)
		printf("features: FAIL %ld of %ld stored feature blobs differ from their recomputation: the corpus"
			" features were altered\n", fc.bad, fc.n);
	*bad_out = fc.bad > 0;
	pat_lib_free((struct pat_lib *)fc.lib);
	pbuf_release(&fc.blob);
	return rc;
}

struct rederive;

struct verify_run {
	struct case_verify_opts o;
	struct rederive *rd;       /* --rederive, else NULL */
	int quiet;
	json_t *json;              /* --format json: each case's {case, intact, items} appended here */
};

/* ---- verify --rederive: every number of a case recomputed from the stored corpus and answers ---- */

struct rederive {
	const char *db_path;
	struct session *se;        /* opened once, read-only, without the cache */
};

/* The suspect of a stored case: its answers as stored, its file's record as the report gives it. */
static int suspect_of_case(struct suspect **out, struct store *st, int64_t id, const json_t *rep,
	const struct pat_lib *lib)
{
	const json_t *sj = json_object_get(rep, "suspect");
	struct case_answer_row *rows = NULL;
	struct suspect *s;
	size_t n = 0, i;
	int rc;

	*out = NULL;
	if ((rc = case_answers(st, id, &rows, &n)))
		return rc;
	s = prov_calloc(1, sizeof(*s));
	if (!s || !(s->recs = prov_calloc(n + 1, sizeof(*s->recs))) || !(s->feats = prov_calloc(n + 1, sizeof(*s->feats))) ||
	    !(s->path = prov_strdup(json_string_value(json_object_get(sj, "path")) ?
		json_string_value(json_object_get(sj, "path")) : ""))) {
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(s->sha256, sizeof(s->sha256), "%s", json_string_value(json_object_get(sj, "sha256")) ?
		json_string_value(json_object_get(sj, "sha256")) : "");
	s->size = (uint64_t)json_integer_value(json_object_get(sj, "size"));
	s->lines = (long)json_integer_value(json_object_get(sj, "lines"));
	for (i = 0; i < n && !rc; i++) {
		struct srec *r = &s->recs[i];

		s->n++;
		r->line = rows[i].line;
		r->id = rows[i].ext_id;
		rows[i].ext_id = NULL;
		r->prompt = rows[i].prompt;
		r->prompt_len = rows[i].prompt_len;
		rows[i].prompt = NULL;
		r->response = rows[i].text;
		r->response_len = rows[i].len;
		rows[i].text = NULL;
		if (!(rc = text_prompt_key(r->key, r->prompt, r->prompt_len)))
			rc = feat_compute(&s->feats[i], r->response, r->response_len, lib, NULL);
	}
done:
	case_answers_free(rows, n);
	if (rc) {
		suspect_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Compare one member of the stored and the re-derived report; name it in `diff` when it differs. */
static void compare_member(struct pbuf *diff, const json_t *a, const json_t *b, const char *key)
{
	char *x = json_dumps(json_object_get(a, key), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
		JSON_REAL_PRECISION(10));
	char *y = json_dumps(json_object_get(b, key), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
		JSON_REAL_PRECISION(10));

	if ((x || y) && (!x || !y || strcmp(x, y)))
		pbuf_addf(diff, "%s%s", diff->len ? ", " : "", key);
	free(x);
	free(y);
}

/*
 * Recompute case `id` from the stored corpus and its stored answers, with no
 * cache, and compare with its stored report. Adds one line to *items: ok,
 * FAIL naming the sections that differ, or CHANGED (the corpus is no longer
 * the case's snapshot, or the case used another pattern library: it cannot
 * be re-derived here). Returns the code for the case (0, PROV_ETAMPER,
 * CASE_CORPUS_CHANGED) or another error.
 */
static int rederive_case(struct rederive *rd, struct store *st, int64_t id, char *why, size_t whylen)
{
	struct pbuf rep = PBUF_INIT(0), diff = PBUF_INIT(4096);
	struct case_info ci;
	struct suspect *sus = NULL;
	struct session *sub = NULL;
	json_t *stored = NULL, *now = NULL, *ex, *t;
	const char **teachers = NULL, **excluded = NULL;
	const char *vhash;
	size_t nt = 0, nx = 0, i, nteach = 0;
	json_error_t err;
	int rc;

	memset(&ci, 0, sizeof(ci));
	if ((rc = case_report(st, id, &rep, &ci)))
		goto done;
	if (!(stored = json_loadb(rep.data, rep.len, 0, &err))) {
		rc = prov_error(PROV_ETAMPER, "case %lld: the stored report is not JSON", (long long)id);
		goto done;
	}
	if (!rd->se) {
		session_no_cache = 1;
		rc = session_open(&rd->se, rd->db_path, NULL, 1);
		session_no_cache = 0;
		if (rc)
			goto done;
	}
	if (strcmp(ci.snapshot_sha256, rd->se->snap->sha256)) {
		snprintf(why, whylen, "not re-derived: the corpus is no longer the snapshot of case %lld (%.16s..., now"
			" %.16s...)", (long long)id, ci.snapshot_sha256, rd->se->snap->sha256);
		rc = CASE_CORPUS_CHANGED;
		goto done;
	}
	if (strcmp(nz_str(json_string_value(json_object_get(json_object_get(stored, "tool"), "patterns_sha256"))),
		pat_lib_sha256(rd->se->lib))) {
		snprintf(why, whylen, "not re-derived: case %lld was made with another pattern library", (long long)id);
		rc = CASE_CORPUS_CHANGED;
		goto done;
	}
	/* the scan's choices, as the report records them: excluded controls, the teachers tested */
	ex = json_object_get(json_object_get(stored, "parameters"), "excluded_controls");
	teachers = prov_calloc(json_array_size(json_object_get(stored, "teachers")) + 1, sizeof(*teachers));
	excluded = prov_calloc(json_array_size(ex) + 1, sizeof(*excluded));
	if (!teachers || !excluded) {
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(ex, i, t)
		if (json_string_value(t))
			excluded[nx++] = json_string_value(t);
	json_array_foreach(json_object_get(stored, "teachers"), i, t)
		if (json_string_value(json_object_get(t, "model")))
			teachers[nt++] = json_string_value(json_object_get(t, "model"));
	for (i = 0; i < rd->se->snap->nmodels; i++)
		nteach += rd->se->models[i].teacher;
	if (nx && (rc = session_without(&sub, rd->se, excluded, nx)))
		goto done;
	if ((rc = suspect_of_case(&sus, st, id, stored, rd->se->lib)) ||
	    (rc = analyse(&now, sub ? sub : rd->se, sus, 0, sus->n, ci.name, nt == nteach ? NULL : teachers,
		nt == nteach ? 0 : nt)))
		goto done;
	/* every number and word; of the suspect's record, what the analysis derives; of the error rates, which one */
	{
		const char *key;
		json_t *val;
		static const char *const skeys[] = { "responses", "matched", "matched_by_id", "matched_by_id_only",
			"matched_by_text", "unmatched" };
		json_t *sa = json_object_get(stored, "suspect"), *sb = json_object_get(now, "suspect");

		json_object_foreach(stored, key, val)
			if (strcmp(key, "suspect") && strcmp(key, "error_rates"))
				compare_member(&diff, stored, now, key);
		json_object_foreach(now, key, val)
			if (!json_object_get(stored, key))
				compare_member(&diff, stored, now, key);
		for (i = 0; i < sizeof(skeys) / sizeof(skeys[0]); i++) {
			size_t before = diff.len;

			compare_member(&diff, sa, sb, skeys[i]);
			if (diff.len != before) {
				diff.len = before;
				if (diff.data)
					diff.data[before] = '\0';
				pbuf_addf(&diff, "%ssuspect.%s", diff.len ? ", " : "", skeys[i]);
			}
		}
	}
	vhash = json_string_value(json_object_get(json_object_get(stored, "error_rates"), "validation_sha256"));
	if (vhash) {
		struct validation_info *vals = NULL;
		struct verify_item *v = NULL;
		size_t nv = 0, nvi = 0;
		int64_t vid = 0;

		if ((rc = validation_list(st, &vals, &nv)))
			goto done;
		for (i = 0; i < nv && !vid; i++)
			if (!strcmp(vals[i].hash, vhash) || strstr(vals[i].origin, vhash))
				vid = vals[i].id;
		free(vals);
		if (!vid) {
			pbuf_addf(&diff, "%serror_rates (validation %.16s... it quotes is not in the validation chain)",
				diff.len ? ", " : "", vhash);
		} else {
			rc = validation_verify(st, vid, NULL, &v, &nvi);
			free(v);
			if (rc == PROV_ETAMPER)
				pbuf_addf(&diff, "%serror_rates (validation %lld it quotes does not verify)", diff.len ? ", " : "",
					(long long)vid);
			else if (rc && rc != CASE_UNANCHORED)
				goto done;
			rc = 0;
		}
	} else {
		compare_member(&diff, stored, now, "error_rates");
	}
	if (diff.len) {
		snprintf(why, whylen, "re-derived: case %lld differs from its recomputation from the stored corpus and"
			" answers (no cache) in: %.400s", (long long)id, diff.data);
		rc = PROV_ETAMPER;
	} else {
		snprintf(why, whylen, "re-derived: every number of case %lld is what the stored corpus and answers give"
			" without any cache", (long long)id);
		rc = 0;
	}
done:
	json_decref(stored);
	json_decref(now);
	suspect_free(sus);
	session_close(sub);
	free(teachers);
	free(excluded);
	pbuf_release(&rep);
	pbuf_release(&diff);
	return rc;
}

#define VERIFY_CODE(rc) ((rc) == 0 || (rc) == PROV_ETAMPER || (rc) == CASE_CORPUS_CHANGED || (rc) == CASE_UNANCHORED)

/* The status word of an item. */
static const char *item_status(const struct verify_item *it, int json)
{
	switch (it->ok) {
	case 1: return json ? "ok" : "ok  ";
	case -1: return json ? "changed" : "CHANGED";
	case -2: return json ? "missing" : "MISSING";
	default: return json ? "fail" : "FAIL";
	}
}

/* What a case lacks that the options require: "UNSIGNED", "NOT TIMESTAMPED" or both. */
static const char *missing_what(const struct verify_item *v, size_t n)
{
	int sig = 0, ts = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].ok == -2) {
			sig |= !strncmp(v[i].what, "unsigned", 8);
			ts |= !strncmp(v[i].what, "untimestamped", 13);
		}
	return sig && ts ? "UNSIGNED and NOT TIMESTAMPED" : ts ? "NOT TIMESTAMPED" : "UNSIGNED";
}

/* Verify one case and print the result; returns the case_verify_ex code. */
static int verify_one(struct store *st, int64_t id, const struct verify_run *vr)
{
	struct verify_item *v = NULL;
	size_t n = 0, i;
	int rc = case_verify_ex(st, id, &vr->o, &v, &n), rfail = 0;

	if (!VERIFY_CODE(rc)) {
		free(v);
		return rc;
	}
	if (vr->rd && rc != PROV_ETAMPER) {   /* an altered case is not worth recomputing: it already fails */
		struct verify_item *g = prov_reallocarray(v, n + 1, sizeof(*v));
		int r;

		if (!g) {
			free(v);
			return prov_error(PROV_ENOMEM, "out of memory");
		}
		v = g;
		memset(&v[n], 0, sizeof(v[n]));
		r = rederive_case(vr->rd, st, id, v[n].what, sizeof(v[n].what));
		if (r && r != PROV_ETAMPER && r != CASE_CORPUS_CHANGED) {
			free(v);
			return r;
		}
		v[n].ok = r == PROV_ETAMPER ? 0 : r ? -1 : 1;
		n++;
		rfail = r == PROV_ETAMPER;
		if (r == PROV_ETAMPER || (r && !rc))
			rc = r;
	}
	if (vr->json) {
		json_t *o = json_object(), *items = json_array();

		json_object_set_new(o, "case", json_integer(id));
		json_object_set_new(o, "intact", json_boolean(rc != PROV_ETAMPER));
		json_object_set_new(o, "corpus_changed", json_boolean(rc == CASE_CORPUS_CHANGED));
		json_object_set_new(o, "anchors_missing", json_boolean(rc == CASE_UNANCHORED));
		if (vr->rd)
			json_object_set_new(o, "rederived", json_boolean(rc != PROV_ETAMPER));
		for (i = 0; i < n; i++) {
			json_t *it = json_object();

			json_object_set_new(it, "ok", json_boolean(v[i].ok == 1));
			json_object_set_new(it, "status", json_string(item_status(&v[i], 1)));
			json_object_set_new(it, "what", json_string(v[i].what));
			json_array_append_new(items, it);
		}
		json_object_set_new(o, "items", items);
		json_array_append_new(vr->json, o);
		free(v);
		return rc;
	}
	if (!cmd_quiet || rc) {
		if (rfail)
			printf("case %lld: its hashes hold, but its numbers DIFFER from their recomputation (--rederive)\n",
				(long long)id);
		else if (rc == PROV_ETAMPER)
			printf("case %lld: ALTERED: the stored evidence does not match its hashes\n", (long long)id);
		else if (rc == CASE_UNANCHORED)
			printf("case %lld: intact, but %s as required\n", (long long)id, missing_what(v, n));
		else if (rc)
			printf("case %lld: intact, but the corpus CHANGED since the case\n", (long long)id);
		else
			printf("case %lld: intact\n", (long long)id);
	}
	for (i = 0; i < n; i++)
		if ((!vr->quiet && !cmd_quiet) || v[i].ok != 1 || !strncmp(v[i].what, "note:", 5))
			printf("  %s %s\n", item_status(&v[i], 0), cmd_esc(v[i].what));
	free(v);
	return rc;
}

/* verify --all: every validation too (evidence like the cases: their error rates are quoted by reports). */
static int verify_validations(struct store *st, const struct verify_run *vr, int *altered, int *missing)
{
	struct validation_info *vals = NULL;
	struct verify_item *v = NULL;
	size_t nvals = 0, n = 0, i, k;
	int rc = validation_list(st, &vals, &nvals);

	for (i = 0; !rc && i < nvals; i++) {
		if (store_schema_version(st) < 6)
			break;
		rc = validation_verify(st, vals[i].id, &vr->o, &v, &n);
		if (!VERIFY_CODE(rc))
			break;
		*altered |= rc == PROV_ETAMPER;
		*missing |= rc == CASE_UNANCHORED;
		if (vr->json) {
			json_t *o = json_object(), *items = json_array();

			json_object_set_new(o, "validation", json_integer(vals[i].id));
			json_object_set_new(o, "intact", json_boolean(rc != PROV_ETAMPER));
			json_object_set_new(o, "anchors_missing", json_boolean(rc == CASE_UNANCHORED));
			for (k = 0; k < n; k++) {
				json_t *it = json_object();

				json_object_set_new(it, "ok", json_boolean(v[k].ok == 1));
				json_object_set_new(it, "status", json_string(item_status(&v[k], 1)));
				json_object_set_new(it, "what", json_string(v[k].what));
				json_array_append_new(items, it);
			}
			json_object_set_new(o, "items", items);
			json_array_append_new(vr->json, o);
		} else {
			if (!cmd_quiet || rc)
				printf("validation %lld: %s\n", (long long)vals[i].id, rc == PROV_ETAMPER ? "ALTERED: the stored"
					" validation does not match its hashes (no report quotes it)" : rc ? "intact, but UNSIGNED as"
					" required" : "intact");
			for (k = 0; k < n; k++)
				if ((!vr->quiet && !cmd_quiet) || v[k].ok != 1 || !strncmp(v[k].what, "note:", 5))
					printf("  %s %s\n", item_status(&v[k], 0), cmd_esc(v[k].what));
		}
		free(v);
		v = NULL;
		rc = 0;
	}
	free(v);
	free(vals);
	return rc;
}

int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "head", required_argument, NULL, 'H' },
		{ "hash", required_argument, NULL, 'x' },
		{ "pubkey", required_argument, NULL, 'k' },
		{ "tsa-cert", required_argument, NULL, 't' },
		{ "features", no_argument, NULL, 'F' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "require-signature", no_argument, NULL, 'S' },
		{ "require-timestamp", no_argument, NULL, 'T' },
		{ "rederive", no_argument, NULL, 'R' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	struct case_key *key = NULL;
	int as_json = 0;
	struct case_info *v = NULL;
	struct verify_run vr;
	const char *head = NULL, *want = NULL, *pubkey = NULL, *tsa_cert = NULL, *patterns = NULL;
	size_t n = 0, i;
	int64_t id = 0;
	int c, rc = 0, all = 0, altered = 0, changed = 0, missing = 0, features = 0, require = 0, rederive = 0;
	struct rederive rd;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":af:h", longopts, "verify")) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'H':
			head = optarg;
			break;
		case 'x':
			want = optarg;
			break;
		case 'k':
			pubkey = optarg;
			break;
		case 't':
			tsa_cert = optarg;
			break;
		case 'F':
			features = 1;
			break;
		case 'S':
			require |= CASE_VERIFY_REQUIRE_SIGNATURE;
			break;
		case 'T':
			require |= CASE_VERIFY_REQUIRE_TIMESTAMP;
			break;
		case 'R':
			rederive = 1;
			break;
		case 'p':
			patterns = optarg;
			break;
		case 'f':
			if ((as_json = format_json("verify", optarg)) < 0)
				return EXIT_USAGE;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			fputs("usage: provenance verify CASE [--hash HASH] | --all [--head HASH]\n"
			      "                         [--pubkey FILE] [--require-signature] [--require-timestamp] [--rederive]\n"
			      "                         [--tsa-cert FILE] [--features [--patterns FILE]]\n"
			      "                         [--format text|json] [-q]\n"
			      "Recomputes the answers' hashes, the report hash, every column of the case against its hashed\n"
			      "header, the result and evidence rows against the report, the link to the previous case, every\n"
			      "stored signature against the key stored with it (named by its fingerprint), and the corpus\n"
			      "snapshot. Exit 0 if intact (a grown corpus is a note), 1 if anything was altered (the lines\n"
			      "marked FAIL name the column) or a required signature or timestamp is missing (MISSING names\n"
			      "the case; an unsigned case is never called altered), 7 if the cases are intact but the corpus\n"
			      "changed. A database holds what its holder wrote: anchor it outside the file.\n"
			      "  --hash HASH      the case must have this hash (the one quoted in its report)\n"
			      "  --head HASH      the chain must hold this hash, kept outside the database (cases --head):\n"
			      "                   fails when the chain was rewritten or cases were removed after it\n"
			      "  --pubkey FILE    the key you trust: every case must carry a signature by this Ed25519 key\n"
			      "                   (scan --sign-key); a case without one is UNSIGNED (exit 1)\n"
			      "  --require-signature  every case must carry a signature that holds (by --pubkey's key when\n"
			      "                   given, else by the key stored with it)\n"
			      "  --require-timestamp  every case must carry an RFC 3161 timestamp that holds\n"
			      "  --rederive       recompute every number of the case from the stored corpus and the stored\n"
			      "                   answers, without any cache, and compare with its report (FAIL names the\n"
			      "                   sections that differ; CHANGED when the corpus is no longer its snapshot)\n"
			      "  --tsa-cert FILE  check the signatures of attached RFC 3161 timestamps against this\n"
			      "                   authority certificate (without it, only their message imprint)\n"
			      "  --features       recompute every stored feature blob of the corpus from its answer (with\n"
			      "                   the built-in pattern library, or --patterns FILE) and compare\n"
			      "  --format FORMAT  text (default) or json (an array of {case, intact, corpus_changed,\n"
			      "                   anchors_missing, items: [{ok, status, what}]}); the chain and feature lines\n"
			      "                   stay text\n"
			      "  -q, --quiet      only the cases that do not verify, with their FAIL and MISSING lines\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (all ? optind != argc : (optind + 1 != argc || parse_case_id(argv[optind], &id)))
		return cmd_usage_error("verify", "give one case id or --all (see: provenance cases)");
	if (head && !all)
		return cmd_usage_error("verify", "--head checks the whole chain: give --all");
	if (patterns && !features)
		return cmd_usage_error("verify", "--patterns is for --features");
	if (want && all)
		return cmd_usage_error("verify", "--hash is for one case; for the chain use --all --head HASH");
	if ((head && !is_hash(head)) || (want && !is_hash(want)))
		return cmd_usage_error("verify", "a hash is 64 lower-case hexadecimal digits, not '%s'", head && !is_hash(head) ?
			head : want);
	memset(&vr, 0, sizeof(vr));
	vr.o.flags = CASE_VERIFY_CORPUS | require;
	memset(&rd, 0, sizeof(rd));
	rd.db_path = ctx->db_path;
	vr.rd = rederive ? &rd : NULL;
	vr.o.ts_check = cmd_ts_check;
	vr.o.ts_ctx = (void *)tsa_cert;
	vr.quiet = all;
	if (as_json && !(vr.json = json_array()))
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	if (pubkey && (rc = case_key_load(&key, pubkey, 0))) {
		json_decref(vr.json);
		return cmd_fail(rc);
	}
	vr.o.pubkey = key;
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		goto fail;
	if (all) {
		int64_t anchored = 0;

		if ((rc = case_list(st, &v, &n)))
			goto fail;
		for (i = 0; i < n && VERIFY_CODE(rc); i++) {
			rc = verify_one(st, v[i].id, &vr);
			altered |= rc == PROV_ETAMPER;
			missing |= rc == CASE_UNANCHORED;
			changed |= rc == CASE_CORPUS_CHANGED;
			if (head && !strcmp(v[i].hash, head))
				anchored = v[i].id;
		}
		if (!VERIFY_CODE(rc))
			goto fail;
		if ((rc = verify_validations(st, &vr, &altered, &missing)))
			goto fail;
		if (!n)
			printf("no cases to verify\n");
		if (head && !anchored) {
			printf("chain: FAIL the chain does not hold the anchored head %.16s...: it was rewritten, or cases were"
				" removed%s\n", head, n ? "" : " (it is empty)");
			altered = 1;
		} else if (head && anchored == v[n - 1].id) {
			printf("chain: ok   the chain ends in the anchored head (case %lld)\n", (long long)anchored);
		} else if (head) {
			printf("chain: ok   the anchored head is case %lld; %lld case%s appended after it (note)\n",
				(long long)anchored, (long long)(v[n - 1].id - anchored), v[n - 1].id - anchored == 1 ? " was" : "s were");
		}
	} else {
		rc = verify_one(st, id, &vr);
		if (!VERIFY_CODE(rc))
			goto fail;
		altered = rc == PROV_ETAMPER;
		missing = rc == CASE_UNANCHORED;
		changed = rc == CASE_CORPUS_CHANGED;
		if (want) {
			struct pbuf rep = PBUF_INIT(0);
			struct case_info ci;

			memset(&ci, 0, sizeof(ci));
			rc = case_report(st, id, &rep, &ci);
			pbuf_release(&rep);
			if (rc && rc != PROV_ETAMPER)
				goto fail;
			if (strcmp(ci.hash, want)) {
				printf("  FAIL case %lld has hash %.16s..., not the %.16s... given (another database, or the case"
					" was rewritten)\n", (long long)id, ci.hash, want);
				altered = 1;
			} else {
				printf("  ok   the case has the hash given\n");
			}
		}
	}
	if (features) {
		int bad = 0;

		if ((rc = verify_features(st, patterns, &bad)))
			goto fail;
		altered |= bad;
	}
	free(v);
	session_close(rd.se);
	store_close(st);
	case_key_free(key);
	if (vr.json && print_json(vr.json) != EXIT_OK)
		return EXIT_INTERNAL;
	return altered || missing ? EXIT_TAMPERED : changed ? EXIT_CHANGED : EXIT_OK;
fail:
	free(v);
	session_close(rd.se);
	store_close(st);
	case_key_free(key);
	json_decref(vr.json);
	return cmd_fail(rc);
}
