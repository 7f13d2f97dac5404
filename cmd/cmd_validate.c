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
#include "detect/stats.h"

#define MAX_SLICES 8
#define MAX_LABELS 10000
#define Z95 1.959963984540054

static const char validate_usage[] =
	"usage: provenance validate LABELS.tsv [--slices N[,N...]] [--siblings FILE] [--leave-one-out]\n"
	"                           [--format table|md|json] [-o FILE] [--sign-key FILE]\n"
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
	}
	for (i = 0; i < r->ns; i++) {
		free(r->s[i].fam_score);
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
		l->reference = !strcmp(role, "reference");
		l->positive = !l->reference && strcmp(f[col_family], "none") != 0;
		if (!l->path || !l->model || !l->family) {
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
	s->np = json_array_size(json_object_get(doc, "teachers"));
	s->p = prov_calloc(s->np + 1, sizeof(*s->p));
	s->p_raw = prov_calloc(s->np + 1, sizeof(*s->p_raw));
	if (!s->fam_score || !s->p || !s->p_raw) {
		free(s->fam_score);
		free(s->p);
		free(s->p_raw);
		return PROV_ENOMEM;
	}
	r->ns++;
	for (k = 0; k < r->nfam; k++)
		s->fam_score[k] = -INFINITY;
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
		for (k = 0; k < r->nfam; k++)
			if (fam && !strcmp(fam, r->fam[k]) && sc > s->fam_score[k])
				s->fam_score[k] = sc;
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
	return 0;
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
