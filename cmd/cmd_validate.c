/*
 * cmd_validate.c: `provenance validate LABELS.tsv`: the tool's error rates on
 * labelled suspects, whole and in slices, against the current corpus.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/render.h"
#include "cmd/report_doc.h"
#include "corpus/cases.h"
#include "corpus/jsonl.h"
#include "detect/lr.h"
#include "detect/stats.h"

#define MAX_SLICES 8
#define MAX_LABELS 10000
#define Z95 1.959963984540054

static const char validate_usage[] =
	"usage: provenance validate LABELS.tsv [--slices N[,N...]] [--siblings FILE] [--leave-one-out]\n"
	"                           [--calibrate] [--format table|md|json] [-o FILE] [--sign-key FILE]\n"
	"\n"
	"Scans every labelled suspect of LABELS.tsv against the current corpus, whole and (with\n"
	"--slices) cut into consecutive slices of N prompts, and measures the tool's error rates per\n"
	"verdict level: true- and false-positive rates with Wilson 95% intervals, AUC, teacher top-1\n"
	"accuracy, and the calibration of p-values on the independent suspects. The result is stored\n"
	"in the database; reports on this corpus and tool version cite it.\n"
	"\n"
	"  --siblings FILE   also scan each suspect named in FILE (two tab-separated columns: model,\n"
	"                    comma-separated controls) against the corpus without those controls\n"
	"  --leave-one-out   also scan each reference of LABELS.tsv in the corpus as a suspect\n"
	"                    against the corpus without it (a negative by construction)\n"
	"  --calibrate       also fit the calibration from the calibrated statistic to a likelihood\n"
	"                    ratio per teacher family (logistic regression, cross-validated leaving one\n"
	"                    maker out) and measure it (Cllr, Cllr_min, misleading evidence); scan\n"
	"                    reports on this corpus then state the evidence as a likelihood ratio\n"
	"  --sign-key FILE   sign the stored validation's hash with this Ed25519 private key (PEM);\n"
	"                    validations are evidence like cases: `verify --all` checks them\n"
	"\n"
	"LABELS.tsv has a header line and tab-separated columns, at least: file (relative to the\n"
	"labels file), model, role, family; optionally teacher. Rows with role \"suspect\" are\n"
	"evaluated: family \"none\" marks an independent model (a negative), a family name a model\n"
	"derived from that family (a positive); \"unknown\" or empty rows are skipped.\n";

enum { LV_INCONCLUSIVE = -1, LV_NONE = 0, LV_WEAK = 1, LV_MODERATE = 2, LV_STRONG = 3 };

struct label {
	long line;
	char *path;        /* resolved */
	char *model;
	char *family;
	char *teacher;     /* NULL if not documented */
	int positive;
	int reference;     /* 1: a reference row, scanned only by --leave-one-out */
	char *excluded;    /* --siblings: the controls to leave out (comma-separated), NULL if none */
	char *maker;       /* the labels' maker column ("" if empty or absent) */
	char *status;      /* the labels' status column ("" if empty or absent) */
};

/* Every row's model and maker, scanned or not (the lineage of a left-out sibling). */
struct maker_row {
	char *model, *maker;
};

/* Sample groups: whole files (0) and slice sizes (1..), then the same for the two leave-out tests. */
#define GROUP_SIBLINGS 100
#define GROUP_LOO 200

struct sample {
	size_t lab;
	int group;         /* 0 whole, 1.. slices */
	long first, count;
	int level;         /* of the conclusion */
	char family[64];   /* the conclusion's family, "" if none */
	char top[256];     /* rank-1 teacher */
	double any_score;
	double *fam_score; /* per family */
	double *fam_pos;   /* per family: the calibrated position of its best teacher (NAN: none) */
	double *fam_claims, *fam_tmpl; /* per family: identity claims, same refusal templates (that teacher) */
	size_t np;
	double *p, *p_raw; /* per teacher */
};

struct run {
	struct label *lab;
	size_t nlab;
	struct sample *s;
	size_t ns, caps;
	char **fam;        /* the corpus teachers' families */
	size_t nfam;
	long slices[MAX_SLICES];
	size_t nslices;
	int want_refs;     /* --leave-one-out */
	int calibrate;     /* --calibrate */
	struct maker_row *makers;
	size_t nmakers;
};

static int level_of(const char *v)
{
	if (!v)
		return LV_NONE;
	if (!strcmp(v, "strong"))
		return LV_STRONG;
	if (!strcmp(v, "moderate"))
		return LV_MODERATE;
	if (!strcmp(v, "weak"))
		return LV_WEAK;
	if (!strcmp(v, "inconclusive"))
		return LV_INCONCLUSIVE;
	return LV_NONE;
}

static void run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nlab; i++) {
		free(r->lab[i].path);
		free(r->lab[i].model);
		free(r->lab[i].family);
		free(r->lab[i].teacher);
		free(r->lab[i].excluded);
		free(r->lab[i].maker);
		free(r->lab[i].status);
	}
	for (i = 0; i < r->nmakers; i++) {
		free(r->makers[i].model);
		free(r->makers[i].maker);
	}
	free(r->makers);
	for (i = 0; i < r->ns; i++) {
		free(r->s[i].fam_score);
		free(r->s[i].fam_pos);
		free(r->s[i].fam_claims);
		free(r->s[i].fam_tmpl);
		free(r->s[i].p);
		free(r->s[i].p_raw);
	}
	for (i = 0; i < r->nfam; i++)
		free(r->fam[i]);
	free(r->lab);
	free(r->s);
	free(r->fam);
}

/* Split a line at tabs into at most max fields (in place). */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		char *t = strchr(p, '\t');

		f[n++] = p;
		if (!t)
			break;
		*t = '\0';
		p = t + 1;
	}
	return n;
}

/*
 * One line of a TSV file as fgets left it: the line ending removed, its length
 * in *len. A line longer than the buffer is a data error naming FILE:LINE.
 */
static int tsv_line(char *line, size_t *len, size_t size, FILE *fp, const char *path, long lineno)
{
	if (*len && line[*len - 1] != '\n' && !feof(fp))
		return prov_error(PROV_EDATA, "%s:%ld: line longer than %zu bytes", path, lineno, size - 2);
	while (*len && (line[*len - 1] == '\n' || line[*len - 1] == '\r'))
		line[--*len] = '\0';
	return 0;
}

static int parse_labels(struct run *r, const char *path, char sha_out[PROV_SHA256_HEX])
{
	FILE *fp;
	char line[4096], *f[32], dir[1024];
	long lineno = 0;
	int col_file = -1, col_model = -1, col_role = -1, col_family = -1, col_teacher = -1, rc = 0;
	int col_maker = -1, col_status = -1;
	const char *slash = strrchr(path, '/');
	uint64_t size;

	if ((rc = jl_hash_file(sha_out, &size, path)))
		return rc;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	fp = fopen(path, "r");
	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open", path);
	while (fgets(line, sizeof(line), fp)) {
		size_t n, len = strlen(line), i;
		struct label *l;
		const char *role;

		lineno++;
		if ((rc = tsv_line(line, &len, sizeof(line), fp, path, lineno)))
			break;
		if (!len || line[0] == '#')
			continue;
		n = split_tabs(line, f, 32);
		if (col_file < 0) {
			for (i = 0; i < n; i++) {
				if (!strcmp(f[i], "file"))
					col_file = (int)i;
				else if (!strcmp(f[i], "model"))
					col_model = (int)i;
				else if (!strcmp(f[i], "role"))
					col_role = (int)i;
				else if (!strcmp(f[i], "family"))
					col_family = (int)i;
				else if (!strcmp(f[i], "teacher"))
					col_teacher = (int)i;
				else if (!strcmp(f[i], "maker"))
					col_maker = (int)i;
				else if (!strcmp(f[i], "status"))
					col_status = (int)i;
			}
			if (col_file < 0 || col_model < 0 || col_role < 0 || col_family < 0) {
				rc = prov_error(PROV_EDATA, "%s:%ld: the header must name the columns file, model, role and"
					" family (tab-separated)", path, lineno);
				break;
			}
			continue;
		}
		if ((size_t)col_file >= n || (size_t)col_model >= n || (size_t)col_role >= n || (size_t)col_family >= n) {
			rc = prov_error(PROV_EDATA, "%s:%ld: expected at least %d tab-separated fields, found %zu", path,
				lineno, 1 + (col_file > col_family ? col_file : col_family), n);
			break;
		}
		role = f[col_role];
		{
			struct maker_row *mr = prov_reallocarray(r->makers, r->nmakers + 1, sizeof(*mr));

			if (!mr) {
				rc = PROV_ENOMEM;
				break;
			}
			r->makers = mr;
			mr[r->nmakers].model = prov_strdup(f[col_model]);
			mr[r->nmakers].maker = prov_strdup(col_maker >= 0 && (size_t)col_maker < n ? f[col_maker] : "");
			r->nmakers++;
			if (!mr[r->nmakers - 1].model || !mr[r->nmakers - 1].maker) {
				rc = PROV_ENOMEM;
				break;
			}
		}
		if (!strcmp(role, "reference")) {
			if (!r->want_refs)
				continue;
		} else if (strcmp(role, "suspect") || !f[col_family][0] || !strcmp(f[col_family], "unknown")) {
			continue;
		}
		if (r->nlab == MAX_LABELS) {
			rc = prov_error(PROV_EDATA, "%s:%ld: more than %d labelled suspects", path, lineno, MAX_LABELS);
			break;
		}
		l = prov_reallocarray(r->lab, r->nlab + 1, sizeof(*r->lab));
		if (!l) {
			rc = PROV_ENOMEM;
			break;
		}
		r->lab = l;
		l = &r->lab[r->nlab++];
		memset(l, 0, sizeof(*l));
		l->line = lineno;
		{
			struct pbuf b = PBUF_INIT(0);

			if (f[col_file][0] == '/')
				rc = pbuf_adds(&b, f[col_file]);
			else
				rc = pbuf_addf(&b, "%s/%s", dir, f[col_file]);
			l->path = rc ? NULL : pbuf_detach(&b, NULL);
			pbuf_release(&b);
		}
		l->model = prov_strdup(f[col_model]);
		l->family = prov_strdup(f[col_family]);
		if (col_teacher >= 0 && (size_t)col_teacher < n && f[col_teacher][0])
			l->teacher = prov_strdup(f[col_teacher]);
		l->maker = prov_strdup(col_maker >= 0 && (size_t)col_maker < n ? f[col_maker] : "");
		l->status = prov_strdup(col_status >= 0 && (size_t)col_status < n ? f[col_status] : "");
		l->reference = !strcmp(role, "reference");
		l->positive = !l->reference && strcmp(f[col_family], "none") != 0;
		if (!l->path || !l->model || !l->family || !l->maker || !l->status) {
			rc = PROV_ENOMEM;
			break;
		}
	}
	if (!rc && ferror(fp))
		rc = prov_error(PROV_EIO, "%s: read error", path);
	fclose(fp);
	if (!rc && col_file < 0)
		rc = prov_error(PROV_EDATA, "%s:%ld: no header line (empty file)", path, lineno);
	if (!rc && !r->nlab)
		rc = prov_error(PROV_EDATA, "%s: no labelled suspect (role \"suspect\" with a family or \"none\")", path);
	return rc;
}

static int add_sample(struct run *r, const json_t *doc, size_t lab, int group, long first, long count);

/* --siblings FILE: model<TAB>excluded,controls per line (a header line "model ..." is skipped). */
static int parse_siblings(struct run *r, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[4096], *f[4];
	long lineno = 0;
	int rc = 0;

	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open", path);
	while (fgets(line, sizeof(line), fp)) {
		size_t len = strlen(line), n, i;
		int found = 0;

		lineno++;
		if ((rc = tsv_line(line, &len, sizeof(line), fp, path, lineno)))
			break;
		if (!len || line[0] == '#')
			continue;
		n = split_tabs(line, f, 4);
		if (n < 2 || !f[0][0] || !f[1][0]) {
			rc = prov_error(PROV_EDATA, "%s:%ld: expected two tab-separated fields: model, excluded controls",
				path, lineno);
			break;
		}
		if (lineno == 1 && !strcmp(f[0], "model"))
			continue;
		for (i = 0; i < r->nlab; i++)
			if (!r->lab[i].reference && !strcmp(r->lab[i].model, f[0])) {
				free(r->lab[i].excluded);
				if (!(r->lab[i].excluded = prov_strdup(f[1]))) {
					rc = PROV_ENOMEM;
					break;
				}
				found = 1;
			}
		if (!rc && !found) {
			rc = prov_error(PROV_EDATA, "%s:%ld: %s is not a labelled suspect of the labels file", path, lineno,
				f[0]);
			break;
		}
		if (rc)
			break;
	}
	if (!rc && ferror(fp))
		rc = prov_error(PROV_EIO, "%s: read error", path);
	fclose(fp);
	return rc;
}

/* Split a comma-separated list in place; at most max names. */
static size_t split_commas(char *s, const char **out, size_t max)
{
	size_t n = 0;
	char *p = s;

	while (p && *p && n < max) {
		char *c = strchr(p, ',');

		if (c)
			*c = '\0';
		if (*p)
			out[n++] = p;
		p = c ? c + 1 : NULL;
	}
	return n;
}

/* Whole file and slices of one suspect against one session, into groups base + 0.. */
static int measure(struct run *r, struct session *se, struct suspect *sus, size_t lab, int base)
{
	json_t *d = NULL;
	size_t k;
	int rc;

	if (!(rc = analyse(&d, se, sus, 0, sus->n, r->lab[lab].model, NULL, 0)))
		rc = add_sample(r, d, lab, base, 0, (long)sus->n);
	json_decref(d);
	for (k = 0; !rc && k < r->nslices; k++) {
		size_t first;

		for (first = 0; !rc && first + (size_t)r->slices[k] <= sus->n; first += (size_t)r->slices[k]) {
			d = NULL;
			if (!(rc = analyse(&d, se, sus, first, (size_t)r->slices[k], r->lab[lab].model, NULL, 0)))
				rc = add_sample(r, d, lab, base + (int)k + 1, (long)first, r->slices[k]);
			json_decref(d);
		}
	}
	return rc;
}

static int add_sample(struct run *r, const json_t *doc, size_t lab, int group, long first, long count)
{
	const json_t *concl = json_object_get(doc, "conclusion"), *t;
	struct sample *s;
	size_t i, k;

	if (prov_grow(&r->s, &r->caps, r->ns, sizeof(*r->s), 64))
		return PROV_ENOMEM;
	s = &r->s[r->ns];
	memset(s, 0, sizeof(*s));
	s->lab = lab;
	s->group = group;
	s->first = first;
	s->count = count;
	s->level = level_of(json_string_value(json_object_get(concl, "verdict")));
	snprintf(s->family, sizeof(s->family), "%s",
		json_string_value(json_object_get(concl, "family")) ? json_string_value(json_object_get(concl, "family")) : "");
	s->any_score = -INFINITY;
	s->fam_score = prov_calloc(r->nfam + 1, sizeof(*s->fam_score));
	s->fam_pos = prov_calloc(r->nfam + 1, sizeof(*s->fam_pos));
	s->fam_claims = prov_calloc(r->nfam + 1, sizeof(*s->fam_claims));
	s->fam_tmpl = prov_calloc(r->nfam + 1, sizeof(*s->fam_tmpl));
	s->np = json_array_size(json_object_get(doc, "teachers"));
	s->p = prov_calloc(s->np + 1, sizeof(*s->p));
	s->p_raw = prov_calloc(s->np + 1, sizeof(*s->p_raw));
	if (!s->fam_score || !s->p || !s->p_raw || !s->fam_pos || !s->fam_claims || !s->fam_tmpl) {
		free(s->fam_score);
		free(s->fam_pos);
		free(s->fam_claims);
		free(s->fam_tmpl);
		free(s->p);
		free(s->p_raw);
		return PROV_ENOMEM;
	}
	r->ns++;
	for (k = 0; k < r->nfam; k++) {
		s->fam_score[k] = -INFINITY;
		s->fam_pos[k] = NAN;
	}
	json_array_foreach(json_object_get(doc, "teachers"), i, t) {
		double sc = json_number_value(json_object_get(t, "score"));
		const char *fam = json_string_value(json_object_get(t, "family"));
		const char *model = json_string_value(json_object_get(t, "model"));

		if (!fam)
			fam = model;
		if (i == 0 && model)
			snprintf(s->top, sizeof(s->top), "%s", model);
		if (sc > s->any_score)
			s->any_score = sc;
		for (k = 0; k < r->nfam; k++) {
			const json_t *pos = json_object_get(json_object_get(t, "calibration"), "position");
			const json_t *sg = json_object_get(t, "signals");

			if (!fam || strcmp(fam, r->fam[k]))
				continue;
			if (sc > s->fam_score[k])
				s->fam_score[k] = sc;
			/* the family's best teacher by calibrated position: the calibration's input */
			if (json_is_number(pos) && (isnan(s->fam_pos[k]) || json_number_value(pos) > s->fam_pos[k])) {
				s->fam_pos[k] = json_number_value(pos);
				s->fam_claims[k] = (double)json_integer_value(json_object_get(json_object_get(sg, "identity"),
					"suspect_claims"));
				s->fam_tmpl[k] = (double)json_integer_value(json_object_get(json_object_get(sg, "refusal"),
					"same_template"));
			}
		}
		s->p[i] = json_number_value(json_object_get(t, "p_value"));
		s->p_raw[i] = json_number_value(json_object_get(t, "p_raw"));
	}
	return 0;
}

static json_t *jr(double x)
{
	char buf[32];

	if (!isfinite(x))
		return json_null();
	snprintf(buf, sizeof(buf), "%.4g", x);
	return json_real(strtod(buf, NULL));
}

/* The summary of one group of samples (whole files, or slices of one size). */
static json_t *group_json(const struct run *r, int group, const char *name, long slice)
{
	json_t *g = json_object(), *lv = json_array(), *cal = json_object(), *hist = json_array();
	double *pos = NULL, *neg = NULL, *fpos = NULL, *fneg = NULL, sumn = 0;
	size_t i, k, np = 0, nn = 0, nfp = 0, nfn = 0, nsamp = 0, top_ok = 0, top_of = 0;
	long P = 0, N = 0, hcount[10], pv = 0, pv05 = 0, pv01 = 0, raw05 = 0;
	int L;

	memset(hcount, 0, sizeof(hcount));
	pos = prov_calloc(r->ns + 1, sizeof(double));
	neg = prov_calloc(r->ns + 1, sizeof(double));
	fpos = prov_calloc(r->ns * (r->nfam + 1) + 1, sizeof(double));
	fneg = prov_calloc(r->ns * (r->nfam + 1) + 1, sizeof(double));
	if (!pos || !neg || !fpos || !fneg)
		goto done;
	for (i = 0; i < r->ns; i++) {
		const struct sample *s = &r->s[i];
		const struct label *l = &r->lab[s->lab];

		if (s->group != group)
			continue;
		nsamp++;
		sumn += (double)s->count;
		if (l->positive) {
			P++;
			pos[np++] = s->any_score;
			if (l->teacher) {
				top_of++;
				top_ok += !strcmp(s->top, l->teacher);
			}
		} else {
			N++;
			neg[nn++] = s->any_score;
			for (k = 0; k < s->np; k++) {
				int b = (int)(s->p[k] * 10);

				hcount[b < 0 ? 0 : b > 9 ? 9 : b]++;
				pv++;
				pv05 += s->p[k] < 0.05;
				pv01 += s->p[k] < 0.01;
				raw05 += s->p_raw[k] < 0.05;
			}
		}
		for (k = 0; k < r->nfam; k++) {
			if (!strcmp(r->fam[k], l->family))
				fpos[nfp++] = s->fam_score[k];
			else
				fneg[nfn++] = s->fam_score[k];
		}
	}
	json_object_set_new(g, "name", json_string(name));
	json_object_set_new(g, "test", json_string(group >= GROUP_LOO ? "leave-one-reference-out" :
		group >= GROUP_SIBLINGS ? "leave-siblings-out" : "standard"));
	json_object_set_new(g, "slice", json_integer(slice));
	json_object_set_new(g, "samples", json_integer((json_int_t)nsamp));
	json_object_set_new(g, "mean_prompts", jr(nsamp ? sumn / (double)nsamp : 0));
	json_object_set_new(g, "positives", json_integer(P));
	json_object_set_new(g, "negatives", json_integer(N));
	for (L = LV_STRONG; L >= LV_WEAK; L--) {
		json_t *row = json_object();
		long tp = 0, fp = 0, mis = 0;
		double lo, hi;

		for (i = 0; i < r->ns; i++) {
			const struct sample *s = &r->s[i];
			const struct label *l = &r->lab[s->lab];

			if (s->group != group || s->level < L)
				continue;
			if (!l->positive)
				fp++;
			else if (!strcmp(s->family, l->family))
				tp++;
			else
				mis++;
		}
		json_object_set_new(row, "verdict", json_string(L == LV_STRONG ? "strong" :
			L == LV_MODERATE ? "moderate or stronger" : "weak or stronger"));
		json_object_set_new(row, "tp", json_integer(tp));
		json_object_set_new(row, "positives", json_integer(P));
		json_object_set_new(row, "tpr", P ? jr((double)tp / (double)P) : json_null());
		stat_wilson(&lo, &hi, tp, P, Z95);
		json_object_set_new(row, "tpr_low", P ? jr(lo) : json_null());
		json_object_set_new(row, "tpr_high", P ? jr(hi) : json_null());
		json_object_set_new(row, "fp", json_integer(fp));
		json_object_set_new(row, "negatives", json_integer(N));
		json_object_set_new(row, "fpr", N ? jr((double)fp / (double)N) : json_null());
		stat_wilson(&lo, &hi, fp, N, Z95);
		json_object_set_new(row, "fpr_low", N ? jr(lo) : json_null());
		json_object_set_new(row, "fpr_high", N ? jr(hi) : json_null());
		json_object_set_new(row, "misattributed", json_integer(mis));
		json_array_append_new(lv, row);
	}
	json_object_set_new(g, "levels", lv);
	json_object_set_new(g, "auc_any_teacher", jr(stat_auc(pos, np, neg, nn)));
	json_object_set_new(g, "auc_family", jr(stat_auc(fpos, nfp, fneg, nfn)));
	{
		json_t *t1 = json_object();

		json_object_set_new(t1, "correct", json_integer((json_int_t)top_ok));
		json_object_set_new(t1, "of", json_integer((json_int_t)top_of));
		json_object_set_new(t1, "rate", top_of ? jr((double)top_ok / (double)top_of) : json_null());
		json_object_set_new(g, "teacher_top1", t1);
	}
	json_object_set_new(cal, "p_values", json_integer(pv));
	json_object_set_new(cal, "below_0_05", json_integer(pv05));
	json_object_set_new(cal, "below_0_01", json_integer(pv01));
	json_object_set_new(cal, "fraction_below_0_05", pv ? jr((double)pv05 / (double)pv) : json_null());
	json_object_set_new(cal, "raw_below_0_05", json_integer(raw05));
	json_object_set_new(cal, "raw_fraction_below_0_05", pv ? jr((double)raw05 / (double)pv) : json_null());
	for (k = 0; k < 10; k++)
		json_array_append_new(hist, json_integer(hcount[k]));
	json_object_set_new(cal, "histogram", hist);
	json_object_set_new(cal, "note", json_string("corrected p-values of every teacher for the independent"
		" suspects; histogram bins of width 0.1 from 0 to 1"));
	json_object_set_new(g, "calibration", cal);
done:
	free(pos);
	free(neg);
	free(fpos);
	free(fneg);
	return g;
}

static const char *level_name(int l)
{
	return l == LV_STRONG ? "strong" : l == LV_MODERATE ? "moderate" : l == LV_WEAK ? "weak" :
		l == LV_INCONCLUSIVE ? "inconclusive" : "none";
}

static json_t *suspects_json(const struct run *r)
{
	json_t *arr = json_array();
	size_t i, j;

	for (i = 0; i < r->nlab; i++) {
		const struct label *l = &r->lab[i];
		json_t *o = json_object(), *sl = json_array();
		int base = l->reference ? GROUP_LOO : 0;

		json_object_set_new(o, "model", json_string(l->model));
		json_object_set_new(o, "family", json_string(l->reference ? "reference (left out)" : l->family));
		json_object_set_new(o, "teacher", l->teacher ? json_string(l->teacher) : json_null());
		for (j = 0; j < r->ns; j++) {
			const struct sample *s = &r->s[j];

			if (s->lab != i)
				continue;
			if (s->group == base) {
				json_object_set_new(o, "conclusion_family", s->family[0] ? json_string(s->family) : json_null());
				json_object_set_new(o, "verdict", json_string(level_name(s->level)));
				json_object_set_new(o, "top_teacher", json_string(s->top));
				json_object_set_new(o, "score", jr(s->any_score));
			}
		}
		for (j = 0; j < r->nslices; j++) {
			json_t *c = json_object();
			long cnt[5] = { 0, 0, 0, 0, 0 }, right = 0, top = 0, n = 0;
			size_t k;

			for (k = 0; k < r->ns; k++) {
				const struct sample *s = &r->s[k];

				if (s->lab != i || s->group != base + (int)j + 1)
					continue;
				n++;
				cnt[s->level + 1]++;
				if (l->positive && s->level >= LV_MODERATE && !strcmp(s->family, l->family))
					right++;
				if (l->teacher && !strcmp(s->top, l->teacher))
					top++;
			}
			json_object_set_new(c, "slice", json_integer(r->slices[j]));
			json_object_set_new(c, "samples", json_integer(n));
			json_object_set_new(c, "inconclusive", json_integer(cnt[0]));
			json_object_set_new(c, "none", json_integer(cnt[1]));
			json_object_set_new(c, "weak", json_integer(cnt[2]));
			json_object_set_new(c, "moderate", json_integer(cnt[3]));
			json_object_set_new(c, "strong", json_integer(cnt[4]));
			if (l->positive)
				json_object_set_new(c, "family_at_moderate_or_stronger", json_integer(right));
			if (l->teacher)
				json_object_set_new(c, "teacher_top1", json_integer(top));
			json_array_append_new(sl, c);
		}
		json_object_set_new(o, "slices", sl);
		json_array_append_new(arr, o);
	}
	return arr;
}

static void print_rate(struct pbuf *b, const json_t *row, const char *k, const char *n, const char *d)
{
	json_t *v = json_object_get(row, k);

	if (!json_is_number(v)) {
		pbuf_adds(b, "-");
		return;
	}
	pbuf_addf(b, "%lld/%lld = %.2f (%.2f-%.2f)", (long long)json_integer_value(json_object_get(row, n)),
		(long long)json_integer_value(json_object_get(row, d)), json_number_value(v),
		json_number_value(json_object_get(row, k[0] == 't' ? "tpr_low" : "fpr_low")),
		json_number_value(json_object_get(row, k[0] == 't' ? "tpr_high" : "fpr_high")));
}

static void fmt_num(char *buf, size_t n, const json_t *v, int decimals)
{
	if (json_is_number(v))
		snprintf(buf, n, "%.*f", decimals, json_number_value(v));
	else
		snprintf(buf, n, "-");
}

/* One calibration's numbers in a table row (md) or line (terminal). */
static void calibration_row(struct pbuf *b, const json_t *c, const char *name, int md)
{
	const json_t *m = json_object_get(c, "misleading"), *bd = json_object_get(c, "bound");
	char cl[32], cm[32];

	if (strcmp(json_string_value(json_object_get(c, "status")) ? json_string_value(json_object_get(c, "status")) :
		"", "available")) {
		pbuf_addf(b, md ? "| %s | - | - | - | no calibration: %s | | | | |\n" : "  %-24s no calibration: %s\n", name,
			json_string_value(json_object_get(c, "reason")) ? json_string_value(json_object_get(c, "reason")) : "-");
		return;
	}
	fmt_num(cl, sizeof(cl), json_object_get(c, "cllr"), 3);
	fmt_num(cm, sizeof(cm), json_object_get(c, "cllr_min"), 3);
	pbuf_addf(b, md ? "| %s | %lld | %lld | %lld | %s | %s | %.3g to %.3g | %lld / %lld / %lld | %lld / %lld |\n" :
		"  %-24s %6lld %9lld %9lld %6s %8s   %7.3g to %-7.3g %5lld / %lld / %lld        %5lld / %lld\n", name,
		(long long)json_integer_value(json_object_get(c, "models")),
		(long long)json_integer_value(json_object_get(c, "positives")),
		(long long)json_integer_value(json_object_get(c, "negatives")), cl, cm,
		json_number_value(json_object_get(bd, "lower")), json_number_value(json_object_get(bd, "upper")),
		(long long)json_integer_value(json_object_get(m, "negatives_above_1")),
		(long long)json_integer_value(json_object_get(m, "negatives_above_10")),
		(long long)json_integer_value(json_object_get(m, "negatives_above_100")),
		(long long)json_integer_value(json_object_get(m, "positives_below_1")),
		(long long)json_integer_value(json_object_get(m, "positives_below_0_1")));
}

/* Five numbers of a sorted array: min, quartiles, max. */
static void five(struct pbuf *b, const json_t *a)
{
	size_t n = json_array_size(a), k;
	static const double q[5] = { 0, 0.25, 0.5, 0.75, 1 };

	if (!n) {
		pbuf_adds(b, "-");
		return;
	}
	for (k = 0; k < 5; k++)
		pbuf_addf(b, "%s%.2f", k ? " / " : "", json_number_value(json_array_get(a,
			(size_t)floor(q[k] * (double)(n - 1) + 0.5))));
}

/* The --calibrate section. */
static void render_calibration(struct pbuf *b, const json_t *cal, int md)
{
	const json_t *c, *w = json_object_get(cal, "weights"), *tp = json_object_get(cal, "tippett"), *e, *in;
	size_t i;

	pbuf_adds(b, md ? "\n## Likelihood ratios: the calibration\n\n" : "\ncalibration (likelihood ratios)\n");
	if (!json_is_object(w)) {
		calibration_row(b, cal, "whole files", md);
		return;
	}
	pbuf_addf(b, "%sHp: %s; Hd: %s. ln LR = %.4g", md ? "" : "  ",
		json_string_value(json_object_get(json_object_get(cal, "propositions"), "hp")),
		json_string_value(json_object_get(json_object_get(cal, "propositions"), "hd")),
		json_number_value(json_object_get(w, "intercept")));
	json_array_foreach(json_object_get(cal, "inputs"), i, in)
		pbuf_addf(b, " %+.4g x %s", json_number_value(json_object_get(w, json_string_value(in))),
			json_string_value(in));
	pbuf_addf(b, " (whole files); cross-validated leaving one maker out (%lld folds).\n",
		(long long)json_integer_value(json_object_get(cal, "folds")));
	pbuf_addf(b, "%sInputs tested (cross-validated Cllr, whole files):", md ? "\n" : "  ");
	json_array_foreach(json_object_get(cal, "inputs_tested"), i, e) {
		const json_t *nm;
		size_t j;

		pbuf_adds(b, i ? "; " : " ");
		json_array_foreach(json_object_get(e, "inputs"), j, nm)
			pbuf_addf(b, "%s%s", j ? " + " : "", json_string_value(nm));
		pbuf_addf(b, " %.3f", json_number_value(json_object_get(e, "cllr")));
	}
	pbuf_adds(b, "\n");
	if (md)
		pbuf_adds(b, "\n| test | models | positives | negatives | Cllr | Cllr_min | LR bounds | negatives with LR > 1 / 10 / 100"
			" | positives with LR < 1 / 0.1 |\n|---|---:|---:|---:|---:|---:|---|---|---|\n");
	else
		pbuf_addf(b, "  %-24s %6s %9s %9s %6s %8s   %-18s %-19s %s\n", "TEST", "MODELS", "POSITIVES", "NEGATIVES",
			"CLLR", "CLLR_MIN", "LR BOUNDS", "NEG LR>1/10/100", "POS LR<1/0.1");
	calibration_row(b, cal, "whole files", md);
	json_array_foreach(json_object_get(cal, "slices"), i, c) {
		char name[64];

		snprintf(name, sizeof(name), "slices of %lld prompts", (long long)json_integer_value(json_object_get(c, "slice")));
		calibration_row(b, c, name, md);
	}
	pbuf_addf(b, "%sTippett (whole files, cross-validated log10 LR, min / quartiles / max): positives ", md ? "\n" : "  ");
	five(b, json_object_get(tp, "positives"));
	pbuf_adds(b, "; negatives ");
	five(b, json_object_get(tp, "negatives"));
	pbuf_adds(b, "\n");
	if (md)
		pbuf_adds(b, "\n| model | scan | family | truth | position | LR (cross-validated) | bound |\n"
			"|---|---|---|---|---:|---:|---|\n");
	else
		pbuf_addf(b, "  %-34s %-24s %-10s %-5s %9s %12s %s\n", "MODEL", "SCAN", "FAMILY", "TRUTH", "POSITION",
			"LR", "BOUND");
	json_array_foreach(json_object_get(cal, "lrs"), i, e)
		pbuf_addf(b, md ? "| %s | %s | %s | %s | %.3g | %.3g | %s |\n" : "  %-34.34s %-24s %-10.10s %-5s %9.3g %12.3g %s\n",
			json_string_value(json_object_get(e, "model")), json_string_value(json_object_get(e, "scan")),
			json_string_value(json_object_get(e, "family")), json_string_value(json_object_get(e, "truth")),
			json_number_value(json_object_get(e, "position")), json_number_value(json_object_get(e, "lr")),
			json_string_value(json_object_get(e, "bound")));
}

/* Terminal table (md = 0) or Markdown (md = 1). */
static int render_text(struct pbuf *b, const json_t *doc, int md)
{
	const json_t *g, *row, *s;
	size_t i, j;

	if (md)
		pbuf_addf(b, "# Validation %s\n\n", json_string_value(json_object_get(doc, "id_text")));
	pbuf_addf(b, "%sprovenance %s, corpus snapshot %.16s... (%lld models), labels %s (sha256 %.16s...)\n",
		md ? "" : "validation: ",
		json_string_value(json_object_get(json_object_get(doc, "tool"), "version")),
		json_string_value(json_object_get(json_object_get(doc, "corpus"), "snapshot_sha256")),
		(long long)json_integer_value(json_object_get(json_object_get(doc, "corpus"), "models")),
		json_string_value(json_object_get(json_object_get(doc, "labels"), "path")),
		json_string_value(json_object_get(json_object_get(doc, "labels"), "sha256")));
	pbuf_addf(b, "%s%lld labelled suspects: %lld derived from a teacher family, %lld independent\n",
		md ? "\n" : "", (long long)json_integer_value(json_object_get(json_object_get(doc, "labels"), "suspects")),
		(long long)json_integer_value(json_object_get(json_object_get(doc, "labels"), "positives")),
		(long long)json_integer_value(json_object_get(json_object_get(doc, "labels"), "negatives")));
	json_array_foreach(json_object_get(doc, "groups"), i, g) {
		const json_t *cal = json_object_get(g, "calibration"), *t1 = json_object_get(g, "teacher_top1");
		char a1[32], a2[32], t1s[64];

		pbuf_addf(b, md ? "\n## %s (%lld samples, %.0f prompts on average)\n\n" :
			"\n%s (%lld samples, %.0f prompts on average)\n", json_string_value(json_object_get(g, "name")),
			(long long)json_integer_value(json_object_get(g, "samples")),
			json_number_value(json_object_get(g, "mean_prompts")));
		if (md)
			pbuf_adds(b, "| verdict | true-positive rate (95% CI) | false-positive rate (95% CI) | wrong family |\n"
				"|---|---|---|---:|\n");
		else
			pbuf_addf(b, "  %-22s %-30s %-30s %s\n", "VERDICT", "TRUE-POSITIVE RATE (95% CI)",
				"FALSE-POSITIVE RATE (95% CI)", "WRONG FAMILY");
		json_array_foreach(json_object_get(g, "levels"), j, row) {
			struct pbuf tp = PBUF_INIT(0), fp = PBUF_INIT(0);

			print_rate(&tp, row, "tpr", "tp", "positives");
			print_rate(&fp, row, "fpr", "fp", "negatives");
			if (md)
				pbuf_addf(b, "| %s | %s | %s | %lld |\n", json_string_value(json_object_get(row, "verdict")),
					tp.data, fp.data, (long long)json_integer_value(json_object_get(row, "misattributed")));
			else
				pbuf_addf(b, "  %-22s %-30s %-30s %lld\n", json_string_value(json_object_get(row, "verdict")),
					tp.data, fp.data, (long long)json_integer_value(json_object_get(row, "misattributed")));
			pbuf_release(&tp);
			pbuf_release(&fp);
		}
		fmt_num(a1, sizeof(a1), json_object_get(g, "auc_any_teacher"), 3);
		fmt_num(a2, sizeof(a2), json_object_get(g, "auc_family"), 3);
		if (json_is_number(json_object_get(t1, "rate")))
			snprintf(t1s, sizeof(t1s), "%lld/%lld = %.2f", (long long)json_integer_value(json_object_get(t1, "correct")),
				(long long)json_integer_value(json_object_get(t1, "of")),
				json_number_value(json_object_get(t1, "rate")));
		else
			snprintf(t1s, sizeof(t1s), "-");
		pbuf_addf(b, "%sAUC (any teacher) %s, AUC (family) %s, documented teacher ranked first %s\n",
			md ? "\n" : "  ", a1, a2, t1s);
		pbuf_addf(b, "%sindependent suspects: %lld of %lld corrected p-values below 0.05 (%lld below 0.01; raw: %lld)"
			"; histogram (0.1 bins):", md ? "\n" : "  ", (long long)json_integer_value(json_object_get(cal, "below_0_05")),
			(long long)json_integer_value(json_object_get(cal, "p_values")),
			(long long)json_integer_value(json_object_get(cal, "below_0_01")),
			(long long)json_integer_value(json_object_get(cal, "raw_below_0_05")));
		json_array_foreach(json_object_get(cal, "histogram"), j, row)
			pbuf_addf(b, " %lld", (long long)json_integer_value(row));
		pbuf_addc(b, '\n');
	}
	pbuf_addf(b, md ? "\n## Per suspect\n\n| suspect | truth | whole file | top teacher | slices: strong / moderate / weak / none / inconclusive |\n|---|---|---|---|---|\n" :
		"\nper suspect\n  %-34s %-22s %-22s %-26s %s\n", "SUSPECT", "TRUTH", "WHOLE FILE", "TOP TEACHER",
		"SLICES strong/moderate/weak/none/inconclusive");
	json_array_foreach(json_object_get(doc, "suspects"), i, s) {
		struct pbuf truth = PBUF_INIT(0), whole = PBUF_INIT(0), sl = PBUF_INIT(0);
		const json_t *c;

		pbuf_addf(&truth, "%s%s%s", json_string_value(json_object_get(s, "family")),
			json_is_string(json_object_get(s, "teacher")) ? "/" : "",
			json_is_string(json_object_get(s, "teacher")) ? json_string_value(json_object_get(s, "teacher")) : "");
		pbuf_addf(&whole, "%s %s", json_is_string(json_object_get(s, "conclusion_family")) ?
			json_string_value(json_object_get(s, "conclusion_family")) : "-",
			json_string_value(json_object_get(s, "verdict")) ? json_string_value(json_object_get(s, "verdict")) : "?");
		json_array_foreach(json_object_get(s, "slices"), j, c)
			pbuf_addf(&sl, "%s%lld: %lld/%lld/%lld/%lld/%lld", j ? "; " : "",
				(long long)json_integer_value(json_object_get(c, "slice")),
				(long long)json_integer_value(json_object_get(c, "strong")),
				(long long)json_integer_value(json_object_get(c, "moderate")),
				(long long)json_integer_value(json_object_get(c, "weak")),
				(long long)json_integer_value(json_object_get(c, "none")),
				(long long)json_integer_value(json_object_get(c, "inconclusive")));
		if (md)
			pbuf_addf(b, "| %s | %s | %s | %s | %s |\n", json_string_value(json_object_get(s, "model")), truth.data,
				whole.data, json_string_value(json_object_get(s, "top_teacher")) ?
				json_string_value(json_object_get(s, "top_teacher")) : "-", sl.data ? sl.data : "-");
		else
			pbuf_addf(b, "  %-34.34s %-22.22s %-22.22s %-26.26s %s\n", json_string_value(json_object_get(s, "model")),
				truth.data, whole.data, json_string_value(json_object_get(s, "top_teacher")) ?
				json_string_value(json_object_get(s, "top_teacher")) : "-", sl.data ? sl.data : "-");
		pbuf_release(&truth);
		pbuf_release(&whole);
		pbuf_release(&sl);
	}
	if (json_object_get(doc, "calibration"))
		render_calibration(b, json_object_get(doc, "calibration"), md);
	return 0;
}

/* ------------------------------------------------------------------ --calibrate */

/*
 * One calibration row: a labelled scan against one teacher family F. y = 1
 * when the scan's model is derived from F (a positive for F), 0 otherwise.
 */
struct calrow {
	size_t sample, fam;
	int y;
	double x[LR_MAX_INPUTS];   /* every candidate input: position, identity claims, refusal templates */
	const char *lineage;       /* the cross-validation unit */
	double cv;                 /* the cross-validated ln LR, bounded */
	double cv_raw;             /* before the bound */
	enum lr_bound bound;
};

/* The candidate inputs, in the order of calrow.x; index 0 is always used. */
static const char *const cal_input_name[LR_MAX_INPUTS] = { "position", "identity_claims", "refusal_templates" };

/* Counts per 100 answers, log-compressed: ln(1 + 100 c / n). */
static double per100(double c, double n)
{
	return n > 0 ? log1p(100.0 * c / n) : 0;
}

/* The lineage of a label: its maker; without one, the maker of its first left-out sibling; else its own name. */
static const char *lineage_of(const struct run *r, const struct label *l)
{
	size_t i;

	if (l->maker[0])
		return l->maker;
	if (l->excluded) {
		size_t len = strcspn(l->excluded, ",");

		for (i = 0; i < r->nmakers; i++)
			if (strlen(r->makers[i].model) == len && !strncmp(r->makers[i].model, l->excluded, len) &&
			    r->makers[i].maker[0])
				return r->makers[i].maker;
	}
	return l->model;
}

/*
 * The rows of one level (0: whole files, k: slices of r->slices[k - 1]): each
 * labelled suspect's standard scans, or its leave-siblings-out scans when it
 * has some (the honest negative), and each reference's leave-one-out scans.
 * A family whose teachers are all inconclusive for a scan gives no row.
 */
static int calib_rows(const struct run *r, int level, struct calrow **out, size_t *n)
{
	struct calrow *rows = NULL;
	size_t i, k, nr = 0, cap = 0;

	for (i = 0; i < r->ns; i++) {
		const struct sample *s = &r->s[i];
		const struct label *l = &r->lab[s->lab];
		int want = l->reference ? GROUP_LOO + level : l->excluded ? GROUP_SIBLINGS + level : level;

		if (s->group != want)
			continue;
		for (k = 0; k < r->nfam; k++) {
			struct calrow *c;

			if (isnan(s->fam_pos[k]))
				continue;
			if (prov_grow(&rows, &cap, nr, sizeof(*rows), 64)) {
				free(rows);
				return PROV_ENOMEM;
			}
			c = &rows[nr++];
			memset(c, 0, sizeof(*c));
			c->sample = i;
			c->fam = k;
			c->y = !l->reference && l->positive && !strcmp(l->family, r->fam[k]);
			c->x[0] = s->fam_pos[k];
			c->x[1] = per100(s->fam_claims[k], (double)s->count);
			c->x[2] = per100(s->fam_tmpl[k], (double)s->count);
			c->lineage = lineage_of(r, l);
		}
	}
	*out = rows;
	*n = nr;
	return 0;
}

/* The design matrix of the chosen inputs (mask bit k: input k) for the rows with skip_lineage != lineage. */
static size_t design(double *X, int *y, const struct calrow *rows, size_t n, unsigned mask, const char *skip,
	int keep)
{
	size_t i, k, m = 0, d = 0;

	for (i = 0; i < n; i++) {
		int same = skip && !strcmp(rows[i].lineage, skip);

		if (skip && same != keep)
			continue;
		d = 0;
		for (k = 0; k < LR_MAX_INPUTS; k++)
			if (mask & (1u << k))
				X[m * LR_MAX_INPUTS + d++] = rows[i].x[k];
		y[m++] = rows[i].y;
	}
	(void)d;
	return m;
}

static size_t mask_inputs(unsigned mask)
{
	size_t k, d = 0;

	for (k = 0; k < LR_MAX_INPUTS; k++)
		d += (mask >> k) & 1u;
	return d;
}

/* Pack rows of stride LR_MAX_INPUTS into stride d in place. */
static void pack(double *X, size_t m, size_t d)
{
	size_t i, k;

	for (i = 0; i < m; i++)
		for (k = 0; k < d; k++)
			X[i * d + k] = X[i * LR_MAX_INPUTS + k];
}

/*
 * A fit on the rows (all, or all but one lineage) and its bounds: the ELUB of
 * the fit's own LRs on the rows it was fitted on.
 */
static int fit_bounded(struct lr_fit *f, struct lr_bounds *b, const struct calrow *rows, size_t n, unsigned mask,
	const char *leave_out, double *X, int *y, double *llr)
{
	size_t m, d = mask_inputs(mask), i;
	int rc;

	if (leave_out)
		m = design(X, y, rows, n, mask, leave_out, 0);
	else
		m = design(X, y, rows, n, mask, NULL, 0);
	pack(X, m, d);
	if ((rc = lr_fit(f, X, y, m, d)))
		return rc;
	for (i = 0; i < m; i++)
		llr[i] = lr_apply(f, &X[i * d]);
	lr_elub(b, llr, y, m);
	return 0;
}

/*
 * Leave one lineage out: every row's ln LR from a calibration fitted (and
 * bounded) without its lineage. A lineage whose removal leaves no positive or
 * no negative gets LR 1 (ln 0) for its rows, counted in *neutral.
 */
static int cross_validate(struct calrow *rows, size_t n, unsigned mask, size_t *folds, size_t *neutral)
{
	double *X = prov_calloc(n * LR_MAX_INPUTS + 1, sizeof(double)), *llr = prov_calloc(n + 1, sizeof(double));
	int *y = prov_calloc(n + 1, sizeof(int)), rc = 0;
	size_t i, j, d = mask_inputs(mask);

	*folds = *neutral = 0;
	if (!X || !llr || !y) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++)
		rows[i].cv = NAN;
	for (i = 0; i < n && !rc; i++) {
		struct lr_fit f;
		struct lr_bounds b;
		size_t np = 0, nn = 0;

		if (!isnan(rows[i].cv))
			continue;   /* its lineage's fold is done */
		(*folds)++;
		for (j = 0; j < n; j++)
			if (strcmp(rows[j].lineage, rows[i].lineage))
				rows[j].y ? np++ : nn++;
		if (!np || !nn) {
			for (j = 0; j < n; j++)
				if (!strcmp(rows[j].lineage, rows[i].lineage)) {
					rows[j].cv = rows[j].cv_raw = 0;
					rows[j].bound = LR_BOUND_NONE;
					(*neutral)++;
				}
			continue;
		}
		if ((rc = fit_bounded(&f, &b, rows, n, mask, rows[i].lineage, X, y, llr)))
			break;
		for (j = 0; j < n; j++) {
			double x[LR_MAX_INPUTS];
			size_t k, m = 0;

			if (strcmp(rows[j].lineage, rows[i].lineage))
				continue;
			for (k = 0; k < LR_MAX_INPUTS; k++)
				if (mask & (1u << k))
					x[m++] = rows[j].x[k];
			(void)d;
			rows[j].cv_raw = lr_apply(&f, x);
			rows[j].cv = lr_clamp(rows[j].cv_raw, &b, &rows[j].bound);
		}
	}
done:
	free(X);
	free(llr);
	free(y);
	return rc;
}

static json_t *jfull(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *misleading_json(const double *llr, const int *y, size_t n)
{
	struct lr_misleading m;
	json_t *o = json_object();

	lr_misleading(&m, llr, y, n);
#define RATE(name, k, of) do { \
		json_object_set_new(o, name, json_integer((json_int_t)(k))); \
		json_object_set_new(o, name "_rate", (of) ? jr((double)(k) / (double)(of)) : json_null()); \
	} while (0)
	RATE("negatives_above_1", m.neg_above_1, m.negatives);
	RATE("negatives_above_10", m.neg_above_10, m.negatives);
	RATE("negatives_above_100", m.neg_above_100, m.negatives);
	RATE("positives_below_1", m.pos_below_1, m.positives);
	RATE("positives_below_0_1", m.pos_below_tenth, m.positives);
#undef RATE
	return o;
}

/*
 * The calibration of one level, cross-validated: the object stored in the
 * validation (whole files: "calibration"; slices: "calibration.slices[]").
 * *lrs (whole files only, may be NULL) gets the per-model cross-validated LRs.
 */
static int calibrate_level(json_t **out, json_t **lrs, const struct run *r, int level)
{
	struct calrow *rows = NULL;
	size_t n = 0, i, folds = 0, neutral = 0, models = 0, P = 0, N = 0;
	double *X = NULL, *llr = NULL, *cv = NULL, *t = NULL, cllr_one = NAN, best_cllr = NAN, sum_prompts = 0;
	int *y = NULL, rc;
	unsigned mask, best = 1;
	json_t *o = NULL, *tested = json_array(), *w, *b, *tp;
	struct lr_fit f;
	struct lr_bounds bounds;

	*out = NULL;
	if ((rc = calib_rows(r, level, &rows, &n)))
		goto done;
	X = prov_calloc(n * LR_MAX_INPUTS + 1, sizeof(double));
	llr = prov_calloc(n + 1, sizeof(double));
	cv = prov_calloc(n + 1, sizeof(double));
	t = prov_calloc(n + 1, sizeof(double));
	y = prov_calloc(n + 1, sizeof(int));
	if (!X || !llr || !cv || !t || !y) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		rows[i].y ? P++ : N++;
		y[i] = rows[i].y;
	}
	o = json_object();
	json_object_set_new(o, "name", json_string(level ? "slices" : "whole files"));
	json_object_set_new(o, "slice", json_integer(level ? r->slices[level - 1] : 0));
	if (!P || !N) {
		json_object_set_new(o, "status", json_string("none"));
		json_object_set_new(o, "reason", json_string("no positive or no negative scan with a calibrated statistic"));
		json_object_set_new(o, "positives", json_integer((json_int_t)P));
		json_object_set_new(o, "negatives", json_integer((json_int_t)N));
		goto done;
	}
	/* which inputs: the position alone, unless another input lowers the cross-validated Cllr by 0.01 bits */
	for (mask = 1; mask < (1u << LR_MAX_INPUTS); mask += 2) {
		json_t *e = json_object(), *names = json_array();
		double c;
		size_t k;

		if ((rc = cross_validate(rows, n, mask, &folds, &neutral)))
			goto done;
		for (i = 0; i < n; i++)
			cv[i] = rows[i].cv;
		c = lr_cllr(cv, y, n);
		for (k = 0; k < LR_MAX_INPUTS; k++)
			if (mask & (1u << k))
				json_array_append_new(names, json_string(cal_input_name[k]));
		json_object_set_new(e, "inputs", names);
		json_object_set_new(e, "cllr", jr(c));
		json_array_append_new(tested, e);
		if (mask == 1) {
			cllr_one = best_cllr = c;
		} else if (c < best_cllr && c <= cllr_one - 0.01) {
			best_cllr = c;
			best = mask;
		}
	}
	/* the chosen inputs, cross-validated once more for the reported numbers */
	if ((rc = cross_validate(rows, n, best, &folds, &neutral)))
		goto done;
	if ((rc = fit_bounded(&f, &bounds, rows, n, best, NULL, X, y, llr)))
		goto done;
	for (i = 0; i < n; i++) {
		cv[i] = rows[i].cv;
		y[i] = rows[i].y;   /* fit_bounded reorders nothing, but keep y the rows' labels */
	}
	{
		size_t j;

		for (i = 0; i < r->ns; i++) {
			int seen = 0;

			for (j = 0; j < n && !seen; j++)
				seen = rows[j].sample == i;
			if (seen) {
				models++;
				sum_prompts += (double)r->s[i].count;
			}
		}
	}
	json_object_set_new(o, "status", json_string("available"));
	json_object_set_new(o, "models", json_integer((json_int_t)models));
	json_object_set_new(o, "mean_prompts", jr(models ? sum_prompts / (double)models : 0));
	json_object_set_new(o, "positives", json_integer((json_int_t)P));
	json_object_set_new(o, "negatives", json_integer((json_int_t)N));
	json_object_set_new(o, "folds", json_integer((json_int_t)folds));
	json_object_set_new(o, "neutral_rows", json_integer((json_int_t)neutral));
	json_object_set_new(o, "cllr", jr(lr_cllr(cv, y, n)));
	{
		double *raw = prov_calloc(n + 1, sizeof(double));

		if (!raw) {
			rc = PROV_ENOMEM;
			goto done;
		}
		for (i = 0; i < n; i++)
			raw[i] = rows[i].cv_raw;
		json_object_set_new(o, "cllr_min", jr(lr_cllr_min(raw, y, n)));
		json_object_set_new(o, "cllr_unbounded", jr(lr_cllr(raw, y, n)));
		free(raw);
	}
	json_object_set_new(o, "misleading", misleading_json(cv, y, n));
	b = json_object();
	json_object_set_new(b, "lower", jfull(bounds.lower));
	json_object_set_new(b, "upper", jfull(bounds.upper));
	json_object_set_new(b, "rule", json_string("ELUB: the widest LR range in which the fitted LRs, with one"
		" misleading case added at the bound, still beat an LR of 1 at every threshold (docs/method.md)"));
	json_object_set_new(o, "bound", b);
	w = json_object();
	json_object_set_new(w, "intercept", json_real(f.w[0]));
	{
		json_t *names = json_array();
		size_t k, d = 0;

		for (k = 0; k < LR_MAX_INPUTS; k++)
			if (best & (1u << k)) {
				json_object_set_new(w, cal_input_name[k], json_real(f.w[++d]));
				json_array_append_new(names, json_string(cal_input_name[k]));
			}
		json_object_set_new(o, "inputs", names);
	}
	json_object_set_new(o, "weights", w);
	json_object_set_new(o, "inputs_tested", tested);
	tested = NULL;
	tp = json_object();
	{
		size_t k, m;
		json_t *a;

		for (k = 0; k < 2; k++) {
			m = lr_tippett(t, cv, y, n, k == 0);
			a = json_array();
			for (i = 0; i < m; i++)
				json_array_append_new(a, jr(t[i]));
			json_object_set_new(tp, k == 0 ? "positives" : "negatives", a);
		}
	}
	json_object_set_new(o, "tippett", tp);
	if (lrs) {
		json_t *a = json_array();

		for (i = 0; i < n; i++) {
			const struct sample *s = &r->s[rows[i].sample];
			const struct label *l = &r->lab[s->lab];
			json_t *e = json_object();

			json_object_set_new(e, "model", json_string(l->model));
			if (level)
				json_object_set_new(e, "first", json_integer(s->first));
			json_object_set_new(e, "scan", json_string(s->group >= GROUP_LOO ? "leave-one-reference-out" :
				s->group >= GROUP_SIBLINGS ? "leave-siblings-out" : "standard"));
			json_object_set_new(e, "family", json_string(r->fam[rows[i].fam]));
			json_object_set_new(e, "truth", json_string(rows[i].y ? "Hp" : "Hd"));
			json_object_set_new(e, "lineage", json_string(rows[i].lineage));
			json_object_set_new(e, "position", jr(rows[i].x[0]));
			json_object_set_new(e, "identity_claims", jr(rows[i].x[1]));
			json_object_set_new(e, "refusal_templates", jr(rows[i].x[2]));
			json_object_set_new(e, "lr", jr(exp(rows[i].cv)));
			json_object_set_new(e, "log10_lr", jr(rows[i].cv / M_LN10));
			json_object_set_new(e, "bound", json_string(lr_bound_name(rows[i].bound)));
			json_array_append_new(a, e);
		}
		*lrs = a;
	}
done:
	json_decref(tested);
	free(rows);
	free(X);
	free(llr);
	free(cv);
	free(t);
	free(y);
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* The "calibration" member of the validation: whole files, and a calibration per slice size. */
static int calibration_json(json_t **out, const struct run *r, const char *labels_sha)
{
	json_t *o = NULL, *lrs = NULL, *sl = json_array(), *pr = json_object(), *x;
	size_t k;
	int rc;

	*out = NULL;
	if ((rc = calibrate_level(&o, &lrs, r, 0)))
		goto fail;
	for (k = 0; k < r->nslices; k++) {
		json_t *sl_lrs = NULL;

		if ((rc = calibrate_level(&x, &sl_lrs, r, (int)k + 1)))
			goto fail;
		json_object_set_new(x, "lrs", sl_lrs ? sl_lrs : json_array());
		json_array_append_new(sl, x);
	}
	json_object_set_new(o, "method", json_string("logistic regression from the calibrated position of the family's"
		" best teacher (null standard deviations above the null mean) to the natural log of the LR, positives and"
		" negatives weighted to an effective prior of 0.5 (Brummer & du Preez), cross-validated leaving one"
		" lineage (maker) out, each fold's LRs bounded by the ELUB of its own fit"));
	json_object_set_new(pr, "hp", json_string("the suspect's training included outputs of the family's models"));
	json_object_set_new(pr, "hd", json_string("it did not, as for the background's negative models"));
	json_object_set_new(o, "propositions", pr);
	pr = NULL;
	json_object_set_new(o, "labels_sha256", json_string(labels_sha));
	json_object_set_new(o, "tool_version", json_string(PROV_VERSION));
	json_object_set_new(o, "slices", sl);
	sl = NULL;
	json_object_set_new(o, "lrs", lrs ? lrs : json_array());
	*out = o;
	return 0;
fail:
	json_decref(o);
	json_decref(lrs);
	json_decref(sl);
	json_decref(pr);
	return rc;
}

static int parse_slices(struct run *r, const char *arg)
{
	const char *p = arg;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v < 2 || r->nslices == MAX_SLICES)
			return -1;
		r->slices[r->nslices++] = v;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return r->nslices ? 0 : -1;
}

int cmd_validate(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "slices", required_argument, NULL, 's' },
		{ "siblings", required_argument, NULL, 'S' },
		{ "leave-one-out", no_argument, NULL, 'L' },
		{ "calibrate", no_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "table", *output = NULL, *patterns = NULL, *siblings = NULL, *sign_key = NULL;
	struct case_key *key = NULL;
	struct run r;
	struct session *se = NULL;
	struct progress pg;
	char labels_sha[PROV_SHA256_HEX], slices_text[128] = "whole", idtext[64];
	json_t *doc = NULL, *groups;
	struct pbuf out = PBUF_INIT(0);
	char *result = NULL;
	size_t i, j;
	int64_t vid = 0;
	int c, rc = 0;

	memset(&r, 0, sizeof(r));
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":s:f:o:p:h", longopts, "validate")) != -1) {
		switch (c) {
		case 'S':
			siblings = optarg;
			break;
		case 'L':
			r.want_refs = 1;
			break;
		case 'C':
			r.calibrate = 1;
			break;
		case 's':
			if (parse_slices(&r, optarg))
				return cmd_usage_error("validate", "--slices takes sizes of at least 2, comma-separated"
					" (e.g. 100,25), at most %d", MAX_SLICES);
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			patterns = optarg;
			break;
		case 'k':
			sign_key = optarg;
			break;
		case 'h':
			fputs(validate_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (strcmp(format, "table") && strcmp(format, "md") && strcmp(format, "json"))
		return cmd_usage_error("validate", "--format must be table, md or json, not '%s'", format);
	if ((rc = cmd_check_output(output, ctx->db_path)))
		return cmd_fail(rc);
	if (optind + 1 != argc)
		return cmd_usage_error("validate", "give one labels file");
	if ((sign_key && (rc = case_key_load(&key, sign_key, 1))) ||
	    (rc = parse_labels(&r, argv[optind], labels_sha)) || (siblings && (rc = parse_siblings(&r, siblings))) ||
	    (rc = session_open(&se, ctx->db_path, patterns, 0)) || (rc = session_keep_answers(se)))
		goto done;
	if (!se->prep) {
		rc = prov_error(PROV_EDATA, "the corpus has no teacher: import teachers and references before validating");
		goto done;
	}
	/* the families of the corpus teachers */
	for (i = 0; i < se->snap->nmodels; i++) {
		const char *f = eng_family(&se->models[i]);

		if (!se->models[i].teacher)
			continue;
		for (j = 0; j < r.nfam && strcmp(r.fam[j], f); j++)
			;
		if (j == r.nfam) {
			char **g = prov_reallocarray(r.fam, r.nfam + 1, sizeof(*g));

			if (!g) {
				rc = PROV_ENOMEM;
				goto done;
			}
			r.fam = g;
			if (!(r.fam[r.nfam] = prov_strdup(f))) {
				rc = PROV_ENOMEM;
				goto done;
			}
			r.nfam++;
		}
	}
	progress_init(&pg);
	for (i = 0; i < r.nlab; i++) {
		struct suspect *sus = NULL;
		size_t k;

		progress_update(&pg, "validating %zu/%zu: %s", i + 1, r.nlab, r.lab[i].model);
		rc = suspect_load(&sus, r.lab[i].path, se->lib);
		if (rc) {
			/* a labelled file that cannot be read is an error in the labels, not a measurement */
			char msg[600];

			snprintf(msg, sizeof(msg), "%s", prov_error_msg());
			rc = prov_error(rc, "%s:%ld: %s", argv[optind], r.lab[i].line, msg);
			goto done;
		}
		if (r.lab[i].reference) {
			/* --leave-one-out: a reference of the corpus, scanned against the corpus without it */
			const char *name = r.lab[i].model;
			struct session *sub = NULL;

			for (k = 0; k < se->snap->nmodels; k++)
				if (!strcmp(se->models[k].name, name) && !se->models[k].teacher)
					break;
			if (k < se->snap->nmodels) {
				if (!(rc = session_without(&sub, se, &name, 1)))
					rc = measure(&r, sub, sus, i, GROUP_LOO);
				session_close(sub);
			}
		} else {
			rc = measure(&r, se, sus, i, 0);
			if (!rc && r.lab[i].excluded) {
				/* --siblings: the same suspect without its own lineage in the panel */
				char *list = prov_strdup(r.lab[i].excluded);
				const char *names[256];
				struct session *sub = NULL;
				size_t nn;

				if (!list) {
					rc = PROV_ENOMEM;
				} else {
					nn = split_commas(list, names, 256);
					if (!(rc = session_without(&sub, se, names, nn)))
						rc = measure(&r, sub, sus, i, GROUP_SIBLINGS);
					session_close(sub);
					free(list);
				}
			}
		}
		suspect_free(sus);
		if (rc)
			goto done;
	}
	progress_done(&pg);
	/* the validation document */
	doc = json_object();
	json_object_set_new(doc, "schema", json_string("provenance.validation/1"));
	{
		json_t *t = json_object(), *co = json_object(), *lb = json_object();
		long P = 0, N = 0;

		json_object_set_new(t, "version", json_string(PROV_VERSION));
		json_object_set_new(t, "engine", json_string(ENG_VERSION));
		json_object_set_new(t, "patterns_sha256", json_string(pat_lib_sha256(se->lib)));
		json_object_set_new(doc, "tool", t);
		json_object_set_new(co, "snapshot_sha256", json_string(se->snap->sha256));
		json_object_set_new(co, "models", json_integer((json_int_t)se->snap->nmodels));
		json_object_set_new(co, "prompts", json_integer((json_int_t)se->snap->nprompts));
		json_object_set_new(doc, "corpus", co);
		long R = 0;

		for (i = 0; i < r.nlab; i++)
			r.lab[i].reference ? R++ : r.lab[i].positive ? P++ : N++;
		json_object_set_new(lb, "path", json_string(argv[optind]));
		json_object_set_new(lb, "sha256", json_string(labels_sha));
		json_object_set_new(lb, "suspects", json_integer((json_int_t)r.nlab - R));
		json_object_set_new(lb, "references_left_out", json_integer(R));
		json_object_set_new(lb, "positives", json_integer(P));
		json_object_set_new(lb, "negatives", json_integer(N));
		json_object_set_new(doc, "labels", lb);
	}
	groups = json_array();
	json_array_append_new(groups, group_json(&r, 0, "whole files", 0));
	for (i = 0; i < r.nslices; i++) {
		char name[64];
		size_t off = strlen(slices_text);

		snprintf(name, sizeof(name), "slices of %ld prompts", r.slices[i]);
		json_array_append_new(groups, group_json(&r, (int)i + 1, name, r.slices[i]));
		snprintf(slices_text + off, sizeof(slices_text) - off, ",%ld", r.slices[i]);
	}
	{
		static const struct { int base; const char *what; } extra[] = {
			{ GROUP_SIBLINGS, "leave-siblings-out" }, { GROUP_LOO, "leave-one-reference-out" },
		};
		size_t e;

		for (e = 0; e < 2; e++) {
			int any = 0;

			for (j = 0; j < r.ns; j++)
				any |= r.s[j].group == extra[e].base;
			if (!any)
				continue;
			{
				char name[96];

				snprintf(name, sizeof(name), "%s, whole files", extra[e].what);
				json_array_append_new(groups, group_json(&r, extra[e].base, name, 0));
			}
			for (i = 0; i < r.nslices; i++) {
				char name[96];

				snprintf(name, sizeof(name), "%s, slices of %ld prompts", extra[e].what, r.slices[i]);
				json_array_append_new(groups, group_json(&r, extra[e].base + (int)i + 1, name, r.slices[i]));
			}
		}
	}
	json_object_set_new(doc, "groups", groups);
	json_object_set_new(doc, "suspects", suspects_json(&r));
	if (r.calibrate) {
		json_t *cal = NULL;

		if ((rc = calibration_json(&cal, &r, labels_sha)))
			goto done;
		json_object_set_new(cal, "snapshot_sha256", json_string(se->snap->sha256));
		json_object_set_new(doc, "calibration", cal);
	}
	result = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
	if (!result) {
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto done;
	}
	{
		struct store_validation v;

		v.labels_path = argv[optind];
		v.labels_sha256 = labels_sha;
		v.snapshot_sha256 = se->snap->sha256;
		v.tool_version = PROV_VERSION;
		v.engine_version = ENG_VERSION;
		v.patterns_sha256 = pat_lib_sha256(se->lib);
		v.slices = slices_text;
		v.result = result;
		case_use_signer(se->store, key);   /* validations are evidence: signed like cases */
		if ((rc = store_validation_add(se->store, &v, &vid)))
			goto done;
	}
	snprintf(idtext, sizeof(idtext), "%lld", (long long)vid);
	json_object_set_new(doc, "id", json_integer(vid));
	json_object_set_new(doc, "id_text", json_string(idtext));
	if (!strcmp(format, "json")) {
		json_object_del(doc, "id_text");
		rc = render_json(&out, doc);
	} else {
		rc = render_text(&out, doc, !strcmp(format, "md"));
	}
	if (!rc)
		rc = cmd_write_output(output, out.data, out.len);
	if (!rc)
		fprintf(stderr, "provenance: validation %lld stored; reports on this corpus and tool version cite it\n",
			(long long)vid);
done:
	json_decref(doc);
	free(result);
	pbuf_release(&out);
	session_close(se);
	case_key_free(key);
	run_free(&r);
	return rc ? cmd_fail(rc) : EXIT_OK;
}
