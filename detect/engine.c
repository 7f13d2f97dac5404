/*
 * engine.c: eng_scan, one suspect against a prepared corpus (see engine.h
 * and docs/method.md).
 *
 *   (1. parameters and names: params.c, shared with the preparation)
 *   (2. the descriptive prompt-level tests against each control: attrib.c)
 *   3. the suspect's similarities to every panel answer
 *   4. per teacher: the calibrated statistic, the null, robustness
 *   5. descriptive numbers for the report (overlap, phrases, style)
 *   6. eng_scan
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/attrib.h"
#include "detect/calib.h"
#include "detect/engine_int.h"
#include "detect/lexical.h"
#include "detect/stats.h"
#include "detect/text.h"

/* Which channels make up each reported signal. */
static const unsigned signal_channels[SIG_COUNT] = {
	[SIG_LEXICAL] = 1u << CH_LEX,
	[SIG_PHRASES] = 1u << CH_PHR,
	[SIG_STYLE] = (1u << CH_STY) | (1u << CH_OPEN),
	[SIG_REFUSAL] = 1u << CH_REF,
	[SIG_IDENTITY] = 1u << CH_IDN,
};
#define ALL_CHANNELS ((1u << CH_COUNT) - 1)

static int cmp_double_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------- 3. the suspect's similarities */

/*
 * Per suspect answer and panel model: the paired channels, the containment,
 * whether the model answered that prompt and which corpus families its answer
 * claims; per teacher the phrase rates. Everything the scan needs of the
 * panel's answers, so that they can be read a chunk of prompts at a time
 * (eng_sims_add) and let go.
 */
struct eng_sims {
	size_t n, nm, nt;
	float *lex, *sty, *open, *ref, *cont;   /* n * nm, NAN where the model did not answer */
	uint8_t *has;                           /* n * nm: the model answered the answer's prompt */
	int16_t *cl;                            /* n * nm * FEAT_CLAIMS_MAX: family ids claimed, -1 none */
	uint8_t *done;                          /* per answer: its prompt's answers were added */
	const char **fname;                     /* per family id (alphabetical): its name */
	size_t nfam;
	float *rate;                            /* n * nt * 2: under mk_slot(ti, fold, g) for g = 0, 1 */
	uint32_t **gu;                          /* per answer: each n-gram's marker uid (UINT32_MAX: none) */
	size_t *ng;                             /* per answer: n-grams */
};

void eng_sims_free(struct eng_sims *ss)
{
	if (!ss)
		return;
	free(ss->lex);
	free(ss->sty);
	free(ss->open);
	free(ss->ref);
	free(ss->cont);
	free(ss->has);
	free(ss->cl);
	free(ss->done);
	free(ss->fname);
	free(ss->rate);
	if (ss->gu)
		for (size_t r = 0; r < ss->n; r++)
			free(ss->gu[r]);
	free(ss->gu);
	free(ss->ng);
	free(ss);
}

/* Does model m's answer to suspect answer r's prompt claim family f? */
static int ssims_claims(const struct eng_sims *ss, size_t r, size_t m, int f)
{
	const int16_t *cl = ss->cl + (r * ss->nm + m) * FEAT_CLAIMS_MAX;
	size_t k;

	for (k = 0; k < FEAT_CLAIMS_MAX; k++)
		if (cl[k] == f)
			return 1;
	return 0;
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

int eng_sims_begin(struct eng_sims **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s)
{
	size_t nm = c->nmodels, n = s->n, nt = pr->nteach, r, m, total = n * nm + 1;
	uint64_t *grams = NULL;
	uint32_t *uid = NULL;
	uint16_t *ucnt = NULL;
	size_t capg = 0, capu = 0, nu = 0;
	struct eng_sims *ss;
	int rc = 0;

	*out = NULL;
	if (pr->nmodels != nm || pr->nprompts != c->nprompts)
		return prov_error(PROV_EINTERNAL, "engine preparation does not match the corpus");
	ss = prov_calloc(1, sizeof(*ss));
	if (!ss)
		return PROV_ENOMEM;
	ss->n = n;
	ss->nm = nm;
	ss->nt = nt;
	ss->nfam = pr->nfam;
	ss->lex = prov_calloc(total, sizeof(float));
	ss->sty = prov_calloc(total, sizeof(float));
	ss->open = prov_calloc(total, sizeof(float));
	ss->ref = prov_calloc(total, sizeof(float));
	ss->cont = prov_calloc(total, sizeof(float));
	ss->has = prov_calloc(total, 1);
	ss->cl = prov_calloc(total * FEAT_CLAIMS_MAX, sizeof(int16_t));
	ss->done = prov_calloc(n + 1, 1);
	ss->fname = prov_calloc(pr->nfam + 1, sizeof(*ss->fname));
	ss->rate = prov_calloc(n * nt * 2 + 1, sizeof(float));
	ss->gu = prov_calloc(n + 1, sizeof(*ss->gu));
	ss->ng = prov_calloc(n + 1, sizeof(*ss->ng));
	if (!ss->lex || !ss->sty || !ss->open || !ss->ref || !ss->cont || !ss->has || !ss->cl || !ss->done ||
	    !ss->fname || !ss->rate || !ss->gu || !ss->ng) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (m = 0; m < nm; m++)
		ss->fname[pr->fam[m]] = eng_family(&c->models[m]);
	for (r = 0; r < n * nm; r++) {
		ss->lex[r] = ss->sty[r] = ss->open[r] = ss->ref[r] = ss->cont[r] = NAN;
		for (m = 0; m < FEAT_CLAIMS_MAX; m++)
			ss->cl[r * FEAT_CLAIMS_MAX + m] = -1;
	}
	/* phrase rates under every teacher's markers (fold-crossed, one set per model group): no corpus answer needed */
	for (r = 0; r < n; r++) {
		const struct feat *fs = s->resp[r];
		size_t k, ng = 0, ti;

		if ((rc = grams_all(&grams, &capg, &ng, fs, pr->params.phrase_max_n, 1)) ||
		    (rc = mk_lookup(&pr->mi, grams, ng, &uid, &ucnt, &capu, &nu)))
			goto done;
		ss->ng[r] = ng;
		ss->gu[r] = prov_calloc(ng + 1, sizeof(**ss->gu));
		if (!ss->gu[r]) {
			rc = PROV_ENOMEM;
			goto done;
		}
		for (k = 0; k < ng; k++) {
			uint32_t u;

			ss->gu[r][k] = hmap_get(&pr->mi.map, grams[k], &u) ? u : UINT32_MAX;
		}
		for (ti = 0; ti < nt; ti++) {
			int g;

			for (g = 0; g < 2; g++)
				ss->rate[(r * nt + ti) * 2 + (size_t)g] = (float)markers_rate_hits(mk_hits(&pr->mi,
					mk_slot(ti, s->fold[r], g), uid, ucnt, nu), ng);
		}
	}
done:
	free(grams);
	free(uid);
	free(ucnt);
	if (rc) {
		eng_sims_free(ss);
		return rc;
	}
	*out = ss;
	return 0;
}

int eng_sims_add(struct eng_sims *ss, const struct eng_prep *pr, const struct eng_suspect *s,
	const struct eng_chunk *k)
{
	size_t nm = ss->nm, n = ss->n, r, m;
	float *zs = NULL, *zx = NULL;
	struct lexws ws;
	int rc;

	memset(&ws, 0, sizeof(ws));
	zs = prov_calloc(FEAT_STYLE_DIM, sizeof(float));
	zx = prov_calloc(FEAT_STYLE_DIM, sizeof(float));
	if (!zs || !zx || (rc = lexws_init(&ws, nm + 1))) {
		free(zs);
		free(zx);
		return PROV_ENOMEM;
	}
	for (r = 0; r < n; r++) {
		const struct feat *fs = s->resp[r];
		const struct feat *const *row;
		long q = s->prompt[r];
		size_t cnt = 1;

		if (q < 0 || (size_t)q < k->q0 || (size_t)q >= k->q1)
			continue;
		if (ss->done[r]) {
			rc = prov_error(PROV_EINTERNAL, "engine: the answers to a prompt were added twice");
			goto done;
		}
		ss->done[r] = 1;
		row = k->resp + ((size_t)q - k->q0) * nm;
		lexws_reset(&ws);
		if ((rc = lexws_add(&ws, nm, fs, pr->params.lex_max_n)))
			goto done;
		for (m = 0; m < nm; m++) {
			if ((rc = lexws_add(&ws, m, row[m], pr->params.lex_max_n)))
				goto done;
			if (row[m])
				cnt++;
		}
		if ((rc = lexws_weigh(&ws, cnt)))
			goto done;
		prep_unit_style(zs, fs->style, pr);
		for (m = 0; m < nm; m++) {
			const struct feat *fx = row[m];
			size_t i = r * nm + m, d, j;
			double dot = 0;

			if (!fx)
				continue;
			prep_unit_style(zx, fx->style, pr);
			for (d = 0; d < FEAT_STYLE_DIM; d++)
				dot += (double)zs[d] * zx[d];
			ss->has[i] = 1;
			ss->lex[i] = (float)lexws_cos(&ws, nm, m);
			ss->cont[i] = (float)lexws_containment(&ws, nm, m);
			ss->sty[i] = (float)dot;
			ss->open[i] = (float)eng_open_match(fs, fx);
			ss->ref[i] = (float)feat_refusal_agreement(fs, fx);
			for (j = 0; j < fx->nclaims && j < FEAT_CLAIMS_MAX; j++) {
				const char **hit = bsearch(fx->claims[j], ss->fname, ss->nfam, sizeof(*ss->fname), cmp_name);

				ss->cl[i * FEAT_CLAIMS_MAX + j] = hit ? (int16_t)(hit - ss->fname) : -1;
			}
		}
	}
	rc = 0;
done:
	lexws_release(&ws);
	free(zs);
	free(zx);
	return rc;
}

/* ---------------------------------------------------------------- 4. the calibrated statistic */

/* Sums over the panel of one suspect answer (and their parts) for one teacher. */
struct psum {
	double n, lex, sty, open, ref, idn, rate[2], nr[2];
};

static void psum_add(struct psum *a, const struct psum *b, double sign)
{
	a->n += sign * b->n;
	a->lex += sign * b->lex;
	a->sty += sign * b->sty;
	a->open += sign * b->open;
	a->ref += sign * b->ref;
	a->idn += sign * b->idn;
	a->rate[0] += sign * b->rate[0];
	a->rate[1] += sign * b->rate[1];
	a->nr[0] += sign * b->nr[0];
	a->nr[1] += sign * b->nr[1];
}

/* One control's part of a suspect answer's panel sums (answer r, control entry e on prompt q). */
static void control_psum(struct psum *one, const struct eng_prep *pr, const struct eng_sims *ss, size_t r,
	const struct eng_entry *e, int tfam)
{
	size_t y = e->y, i = r * ss->nm + y;

	memset(one, 0, sizeof(*one));
	one->n = 1;
	one->lex = ss->lex[i];
	one->sty = ss->sty[i];
	one->open = ss->open[i];
	one->ref = ss->ref[i];
	one->idn = ssims_claims(ss, r, y, tfam);
	one->rate[pr->group[y]] = e->rate;
	one->nr[pr->group[y]] = 1;
}

/* What the suspect's answer has against the teacher itself. */
struct tval {
	double lex, sty, open, ref, idn;
	double srate[2];            /* its phrase rate under the set each group is scored with */
};

/* D of one suspect answer from its panel sums; NAN with no panel. */
static double suspect_d(const struct eng_prep *pr, size_t ti, const struct tval *tv, const struct psum *ps)
{
	const float *sc = pr->scale + ti * 3;
	double d, phr = 0;
	int h, nh = 0;

	if (ps->n < 0.5)
		return NAN;
	d = (tv->open - ps->open / ps->n) + (tv->ref - ps->ref / ps->n) + (tv->idn - ps->idn / ps->n);
	if (sc[0] > 0)
		d += (tv->lex - ps->lex / ps->n) / sc[0];
	if (sc[1] > 0)
		d += (tv->sty - ps->sty / ps->n) / sc[1];
	for (h = 0; h < 2; h++)
		if (ps->nr[h] > 0.5) {
			phr += tv->srate[h] - ps->rate[h] / ps->nr[h];
			nh++;
		}
	if (nh && sc[2] > 0)
		d += phr / nh / sc[2];
	return d;
}

/* Everything about one teacher that the verdict needs, before Holm. */
struct tstate {
	double *D;                  /* per suspect answer, NAN outside the teacher's prompts */
	long nq;                    /* answers with a D */
	double stat;
	size_t k;
	double *nullv;              /* k null statistics */
	int *nullm;                 /* their models */
	long *nulln;
	double sigma2, nbar;        /* pooled per-prompt variance of the null models, their mean prompt count */
	double *dX;                 /* per model: sum over answers of D without it minus D */
	double *dF;                 /* per family */
	uint8_t *inpanel;           /* per model: a control on some prompt of the suspect's */
	uint8_t *famin;             /* per family */
	struct cal_result cal;
};

static void tstate_release(struct tstate *ts)
{
	free(ts->D);
	free(ts->nullv);
	free(ts->nullm);
	free(ts->nulln);
	free(ts->dX);
	free(ts->dF);
	free(ts->inpanel);
	free(ts->famin);
	memset(ts, 0, sizeof(*ts));
}

/* Scratch shared by the teachers of one scan. */
struct scratch {
	double *nsum, *nss;         /* per model */
	long *nn;
	uint32_t *qstamp;           /* per prompt */
	uint32_t stamp;
	struct psum *fam;           /* per family */
	double *rate_c;             /* per model: phrase rate on the current prompt */
};

static int teacher_state(struct tstate *ts, struct scratch *sc, const struct eng_prep *pr,
	const struct eng_corpus *c, const struct eng_suspect *s, const struct eng_sims *ss, size_t ti)
{
	size_t nm = c->nmodels, nt = pr->nteach, t = (size_t)pr->teach[ti], r, m, k;
	const char *fname = eng_family(&c->models[t]);
	double sum = 0;

	memset(ts, 0, sizeof(*ts));
	ts->D = prov_calloc(s->n + 1, sizeof(*ts->D));
	ts->nullv = prov_calloc(nm + 1, sizeof(*ts->nullv));
	ts->nullm = prov_calloc(nm + 1, sizeof(*ts->nullm));
	ts->nulln = prov_calloc(nm + 1, sizeof(*ts->nulln));
	ts->dX = prov_calloc(nm + 1, sizeof(*ts->dX));
	ts->dF = prov_calloc(pr->nfam + 1, sizeof(*ts->dF));
	ts->inpanel = prov_calloc(nm + 1, 1);
	ts->famin = prov_calloc(pr->nfam + 1, 1);
	if (!ts->D || !ts->nullv || !ts->nullm || !ts->nulln || !ts->dX || !ts->dF || !ts->inpanel || !ts->famin)
		return PROV_ENOMEM;
	memset(sc->nsum, 0, nm * sizeof(*sc->nsum));
	memset(sc->nss, 0, nm * sizeof(*sc->nss));
	memset(sc->nn, 0, nm * sizeof(*sc->nn));
	sc->stamp++;
	for (r = 0; r < s->n; r++) {
		long q = s->prompt[r];
		const struct eng_entry *e, *e0, *e1;
		struct psum all;
		struct tval tv;
		double d;

		ts->D[r] = NAN;
		if (q < 0 || !ss->has[r * nm + t])
			continue;
		e0 = pr->ent + pr->off[(size_t)q * nt + ti];
		e1 = pr->ent + pr->off[(size_t)q * nt + ti + 1];
		memset(&all, 0, sizeof(all));
		for (e = e0; e < e1; e++) {
			struct psum one;

			control_psum(&one, pr, ss, r, e, pr->fam[t]);
			psum_add(&all, &one, 1);
			psum_add(&sc->fam[pr->fam[e->y]], &one, 1);
		}
		{
			size_t i = r * nm + t;

			tv.lex = ss->lex[i];
			tv.sty = ss->sty[i];
			tv.open = ss->open[i];
			tv.ref = ss->ref[i];
			tv.idn = feat_claims_family(s->resp[r], fname);
			tv.srate[0] = ss->rate[(r * nt + ti) * 2 + 0];
			tv.srate[1] = ss->rate[(r * nt + ti) * 2 + 1];
		}
		d = suspect_d(pr, ti, &tv, &all);
		if (isnan(d)) {
			for (e = e0; e < e1; e++)
				memset(&sc->fam[pr->fam[e->y]], 0, sizeof(struct psum));
			continue;
		}
		ts->D[r] = d;
		ts->nq++;
		sum += d;
		/* robustness: this answer's D with each control, and each family, left out */
		for (e = e0; e < e1; e++) {
			size_t y = e->y;
			struct psum one, rest = all;
			double dx;
			int f = pr->fam[y];

			control_psum(&one, pr, ss, r, e, pr->fam[t]);
			psum_add(&rest, &one, -1);
			dx = suspect_d(pr, ti, &tv, &rest);
			if (!isnan(dx))
				ts->dX[y] += dx - d;
			ts->inpanel[y] = 1;
			if (sc->fam[f].n > 0.5) {   /* each family once per answer */
				rest = all;
				psum_add(&rest, &sc->fam[f], -1);
				dx = suspect_d(pr, ti, &tv, &rest);
				if (!isnan(dx))
					ts->dF[f] += dx - d;
				ts->famin[f] = 1;
				memset(&sc->fam[f], 0, sizeof(sc->fam[f]));
			}
		}
		for (e = e0; e < e1; e++)
			memset(&sc->fam[pr->fam[e->y]], 0, sizeof(struct psum));
		/* the null models on this prompt (each prompt once) */
		if (sc->qstamp[q] != sc->stamp) {
			sc->qstamp[q] = sc->stamp;
			for (e = e0; e < e1; e++) {
				double v = prep_entry_d(pr, ti, e);

				if (isnan(v))
					continue;
				sc->nsum[e->y] += v;
				sc->nss[e->y] += v * v;
				sc->nn[e->y]++;
			}
		}
	}
	ts->stat = ts->nq ? sum / (double)ts->nq : NAN;
	{
		double within = 0, wdf = 0, nsum = 0;

		for (m = 0; m < nm; m++) {
			if (sc->nn[m] < pr->params.min_prompts || pr->fam[m] == pr->fam[t])
				continue;
			k = ts->k++;
			ts->nullm[k] = (int)m;
			ts->nulln[k] = sc->nn[m];
			ts->nullv[k] = sc->nsum[m] / (double)sc->nn[m];
			if (sc->nn[m] > 1) {
				within += sc->nss[m] - sc->nsum[m] * sc->nsum[m] / (double)sc->nn[m];
				wdf += (double)(sc->nn[m] - 1);
			}
			nsum += (double)sc->nn[m];
		}
		ts->sigma2 = wdf > 0 ? within / wdf : 0;
		ts->nbar = ts->k ? nsum / (double)ts->k : 0;
	}
	cal_test(&ts->cal, ts->stat, ts->nullv, ts->k, -1, 1);
	return 0;
}

/* The verdict a calibrated result gives, with the inconclusive rules. */
static enum eng_verdict verdict_of(const struct cal_result *cr, double stat, long nq, size_t k, double median_tokens,
	const struct eng_params *p, const char **reason)
{
	if (nq < p->min_prompts) {
		if (reason)
			*reason = nq ? "too few of the suspect's answers are paired with this teacher's" :
				"none of the suspect's prompts was answered by this teacher";
		return V_INCONCLUSIVE;
	}
	if (median_tokens < p->min_tokens) {
		if (reason)
			*reason = "the suspect's answers are too short";
		return V_INCONCLUSIVE;
	}
	if (k < (size_t)p->min_null || isnan(cr->p)) {
		if (reason)
			*reason = "the panel has too few null models (control models that answered enough of the"
				" suspect's prompts) for a calibrated test";
		return V_INCONCLUSIVE;
	}
	return cal_level(cr, stat, p);
}

/* Robustness and prompts needed, once the Holm factor is known. */
static int teacher_finish(struct eng_teacher *et, struct tstate *ts, const struct eng_prep *pr,
	const struct eng_corpus *c, double median_tokens)
{
	const struct eng_params *p = &pr->params;
	size_t nm = c->nmodels, m, f, i, nw = 0, k;
	double *tmp = prov_calloc(ts->k + 1, sizeof(*tmp));
	struct cal_result cr;
	int factor = et->holm_factor;

	if (!tmp)
		return PROV_ENOMEM;
	et->without = prov_calloc(nm + pr->nfam + 1, sizeof(*et->without));
	if (!et->without) {
		free(tmp);
		return PROV_ENOMEM;
	}
	et->stable = 1;
	/* each control left out */
	for (m = 0; m < nm; m++) {
		long skip = -1;
		struct eng_without *w;

		if (!ts->inpanel[m])
			continue;
		for (i = 0; i < ts->k; i++)
			if (ts->nullm[i] == (int)m)
				skip = (long)i;
		cal_test(&cr, ts->stat + ts->dX[m] / (double)ts->nq, ts->nullv, ts->k, skip, factor);
		w = &et->without[nw++];
		w->model = (int)m;
		w->kind = 0;
		w->p_holm = cr.p_holm;
		w->verdict = verdict_of(&cr, ts->stat + ts->dX[m] / (double)ts->nq, ts->nq, cr.k, median_tokens, p, NULL);
		if (w->verdict != et->verdict)
			et->stable = 0;
	}
	/* each family of controls left out */
	for (f = 0; f < pr->nfam; f++) {
		struct eng_without *w;
		double st;

		if (!ts->famin[f])
			continue;
		for (i = 0, k = 0; i < ts->k; i++)
			if (pr->fam[ts->nullm[i]] != (int)f)
				tmp[k++] = ts->nullv[i];
		st = ts->stat + ts->dF[f] / (double)ts->nq;
		cal_test(&cr, st, tmp, k, -1, factor);
		w = &et->without[nw++];
		for (m = 0; m < nm; m++)
			if (pr->fam[m] == (int)f) {
				w->model = (int)m;
				break;
			}
		w->kind = 1;
		w->p_holm = cr.p_holm;
		w->verdict = verdict_of(&cr, st, ts->nq, cr.k, median_tokens, p, NULL);
		if (w->verdict != et->verdict)
			et->stable = 0;
	}
	et->nwithout = nw;
	/* how many prompts would settle it */
	et->needed_moderate = et->needed_strong = -1;
	if (et->verdict != V_INCONCLUSIVE || (ts->nq >= p->min_prompts && !isnan(ts->cal.p))) {
		et->needed_moderate = et->verdict == V_STRONG || et->verdict == V_MODERATE ? ts->nq :
			cal_prompts_needed(&ts->cal, ts->stat, ts->sigma2, ts->nbar, factor, p->moderate_p);
		et->needed_strong = et->verdict == V_STRONG ? ts->nq :
			cal_prompts_needed(&ts->cal, ts->stat, ts->sigma2, ts->nbar, factor, p->strong_p);
		if (et->needed_moderate >= 0 && et->needed_moderate < p->min_prompts)
			et->needed_moderate = p->min_prompts;
		if (et->needed_strong >= 0 && et->needed_strong < p->min_prompts)
			et->needed_strong = p->min_prompts;
	}
	/* the null models, and the ones that look derived from the teacher themselves */
	et->nulls = prov_calloc(ts->k + 1, sizeof(*et->nulls));
	if (!et->nulls) {
		free(tmp);
		return PROV_ENOMEM;
	}
	et->nnulls = ts->k;
	for (i = 0; i < ts->k; i++) {
		struct eng_null *nl = &et->nulls[i];

		nl->model = ts->nullm[i];
		nl->stat = ts->nullv[i];
		nl->n = ts->nulln[i];
		cal_test(&cr, ts->nullv[i], ts->nullv, ts->k, (long)i, 1);
		nl->t = cr.t;
		nl->p = cr.p;
		tmp[i] = isnan(cr.p) ? 1 : cr.p;
	}
	if (ts->k >= (size_t)p->min_null) {
		double *adj = prov_calloc(ts->k + 1, sizeof(*adj));

		if (!adj) {
			free(tmp);
			return PROV_ENOMEM;
		}
		stat_holm(adj, tmp, ts->k);
		for (i = 0; i < ts->k; i++)
			if (adj[i] <= p->outlier_p && et->nulls[i].stat > ts->cal.mean) {
				et->nulls[i].outlier = 1;
				et->contaminated++;
			}
		free(adj);
	}
	free(tmp);
	return 0;
}

/* ---------------------------------------------------------------- 5. descriptive numbers */

static void describe(struct eng_teacher *et, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const struct eng_sims *ss, size_t t, const size_t *ctrl, size_t nctrl,
	const double *ctrl_claims)
{
	size_t nm = c->nmodels, r, j, d;
	double lt = 0, lc = 0, cont = 0, ot = 0, oc = 0, best[ENG_MAX_SPANS];
	long nt = 0, ncc = 0;
	const char *ft = eng_family(&c->models[t]);
	double sraw[FEAT_STYLE_DIM], cmean[FEAT_STYLE_DIM];
	long ns = 0;

	memset(sraw, 0, sizeof(sraw));
	memset(cmean, 0, sizeof(cmean));
	for (j = 0; j < ENG_MAX_SPANS; j++)
		best[j] = -INFINITY;
	for (r = 0; r < s->n; r++) {
		long q = s->prompt[r];
		const struct feat *fs = s->resp[r];
		double maxc = -INFINITY, uniq;

		if (feat_claims_family(fs, ft))
			et->suspect_claims++;
		if (fs->refused)
			et->suspect_refusals++;
		for (d = 0; d < FEAT_STYLE_DIM; d++)
			sraw[d] += fs->style[d];
		ns++;
		if (q < 0 || isnan(ss->lex[r * nm + t]))
			continue;
		{
			const struct feat *fteach = c->resp[(size_t)q * nm + t];

			if (fs->refused && fteach->refused) {
				et->shared_refusals++;
				if (fs->refusal_family[0] && !strcmp(fs->refusal_family, fteach->refusal_family))
					et->same_template++;
			}
		}
		lt += ss->lex[r * nm + t];
		cont += ss->cont[r * nm + t];
		ot += ss->open[r * nm + t];
		nt++;
		for (j = 0; j < nctrl; j++) {
			double v = ss->lex[r * nm + ctrl[j]];

			if (isnan(v))
				continue;
			lc += v;
			oc += ss->open[r * nm + ctrl[j]];
			ncc++;
			if (v > maxc)
				maxc = v;
		}
		/* answers whose overlap with the teacher most exceeds any control's: excerpt candidates */
		uniq = ss->lex[r * nm + t] - (isinf(maxc) ? 0 : maxc);
		if (uniq > 0) {
			size_t k = ENG_MAX_SPANS;

			while (k > 0 && uniq > best[k - 1])
				k--;
			if (k < ENG_MAX_SPANS) {
				memmove(best + k + 1, best + k, (ENG_MAX_SPANS - 1 - k) * sizeof(*best));
				memmove(et->span_resp + k + 1, et->span_resp + k, (ENG_MAX_SPANS - 1 - k) * sizeof(long));
				best[k] = uniq;
				et->span_resp[k] = (long)r;
				if (et->nspans < ENG_MAX_SPANS)
					et->nspans++;
			}
		}
	}
	et->lex_teacher = nt ? lt / (double)nt : 0;
	et->containment = nt ? cont / (double)nt : 0;
	et->open_teacher = nt ? ot / (double)nt : 0;
	et->lex_controls = ncc ? lc / (double)ncc : 0;
	et->open_controls = ncc ? oc / (double)ncc : 0;
	et->control_claim_rate = 0;
	for (j = 0; j < nctrl; j++)
		et->control_claim_rate += ctrl_claims[j] / (double)nctrl;
	/* style: features where the suspect departs from the controls in the teacher's direction */
	for (j = 0; j < nctrl; j++)
		for (d = 0; d < FEAT_STYLE_DIM; d++)
			cmean[d] += pr->model_style[ctrl[j] * FEAT_STYLE_DIM + d] / (double)nctrl;
	if (ns) {
		double score[FEAT_STYLE_DIM];

		for (d = 0; d < FEAT_STYLE_DIM; d++) {
			double sd = pr->style_sd[d] > 0 ? pr->style_sd[d] : 1, sv = sraw[d] / (double)ns;
			double ds = (sv - cmean[d]) / sd, dt = (pr->model_style[t * FEAT_STYLE_DIM + d] - cmean[d]) / sd;

			score[d] = (ds > 0) == (dt > 0) ? fmin(fabs(ds), fabs(dt)) : 0;
		}
		while (et->nstyle < ENG_MAX_STYLE) {
			size_t bi = FEAT_STYLE_DIM;

			for (d = 0; d < FEAT_STYLE_DIM; d++)
				if (score[d] > 0.05 && (bi == FEAT_STYLE_DIM || score[d] > score[bi]))
					bi = d;
			if (bi == FEAT_STYLE_DIM)
				break;
			et->style[et->nstyle].dim = (int)bi;
			et->style[et->nstyle].suspect = sraw[bi] / (double)ns;
			et->style[et->nstyle].teacher = pr->model_style[t * FEAT_STYLE_DIM + bi];
			et->style[et->nstyle].controls = cmean[bi];
			et->nstyle++;
			score[bi] = 0;
		}
	}
}

/* The teacher's characteristic phrases the suspect uses most, beyond the controls' rate. */
static int describe_phrases(struct eng_teacher *et, const struct eng_prep *pr, const struct eng_suspect *s,
	const struct eng_sims *ss, size_t ti)
{
	const struct markers *mk = &pr->mk[ti * 4];
	size_t base[5], f, i, r, total, nuid = pr->mi.nuid;
	uint32_t *used = NULL, *setidx = NULL;
	long *first = NULL, *last = NULL;
	uint32_t *firstk = NULL;
	int rc = 0;

	base[0] = 0;
	for (f = 0; f < 4; f++)
		base[f + 1] = base[f] + mk[f].n;
	total = base[4];
	if (!total || !s->n)
		return 0;
	used = prov_calloc(total, sizeof(*used));
	first = prov_calloc(total, sizeof(*first));
	last = prov_calloc(total, sizeof(*last));
	firstk = prov_calloc(total, sizeof(*firstk));
	setidx = prov_calloc(4 * nuid + 1, sizeof(*setidx));   /* per set and uid: 1 + its rank there, 0 absent */
	if (!used || !first || !last || !firstk || !setidx) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (f = 0; f < 4; f++)
		for (i = 0; i < mk[f].n; i++) {
			uint32_t u;

			if (hmap_get(&pr->mi.map, mk[f].gram[i], &u))
				setidx[f * nuid + u] = (uint32_t)i + 1;
		}
	for (r = 0; r < s->n; r++) {
		size_t k;

		for (k = 0; k < ss->ng[r]; k++) {
			uint32_t u = ss->gu[r][k];

			if (u == UINT32_MAX)
				continue;
			for (f = 0; f < 4; f++) {
				uint32_t idx = setidx[f * nuid + u];

				if (!idx)
					continue;
				idx--;
				if (!used[base[f] + idx] || last[base[f] + idx] != (long)r) {
					if (!used[base[f] + idx]) {
						first[base[f] + idx] = (long)r;
						firstk[base[f] + idx] = (uint32_t)k;
					}
					last[base[f] + idx] = (long)r;
					used[base[f] + idx]++;
				}
			}
		}
	}
	for (;;) {
		size_t best = total, bf = 0;
		double bs = 0;

		for (i = 0; i < total; i++) {
			const struct markers *m;
			size_t ii, e;
			double sr, sc;
			int dup = 0;

			for (f = 0; f < 3 && i >= base[f + 1]; f++)
				;
			m = &mk[f];
			ii = i - base[f];
			sr = (double)used[i] / (double)s->n;
			sc = sr - m->rate_c[ii];
			if (!used[i] || sc <= bs || firstk[i] < s->resp[first[i]]->ntok)
				continue;   /* single words make poor exhibits: show phrases */
			for (e = 0; e < et->nphrases; e++)
				if (et->phrases[e].gram == m->gram[ii])
					dup = 1;
			if (dup)
				continue;
			bs = sc;
			best = i;
			bf = f;
		}
		if (best == total || et->nphrases == ENG_MAX_PHRASES)
			break;
		{
			const struct markers *m = &mk[bf];
			size_t ii = best - base[bf];
			struct eng_phrase *ph = &et->phrases[et->nphrases++];
			const struct feat *fr = s->resp[first[best]];
			size_t ntok = fr->ntok, k = firstk[best];

			ph->gram = m->gram[ii];
			ph->resp = first[best];
			ph->suspect_rate = (double)used[best] / (double)s->n;
			ph->teacher_rate = m->rate_t[ii];
			ph->control_rate = m->rate_c[ii];
			/* recover length and position from the order grams_all uses */
			if (k < ntok) {
				ph->n = 1;
				ph->tokpos = (uint32_t)k;
			} else if (pr->params.phrase_max_n >= 2 && k < ntok + (ntok - 1)) {
				ph->n = 2;
				ph->tokpos = (uint32_t)(k - ntok);
			} else if (pr->params.phrase_max_n >= 3 && ntok >= 2 && k < 3 * ntok - 3) {
				ph->n = 3;
				ph->tokpos = (uint32_t)(k - (2 * ntok - 1));
			} else {
				/* an opening phrase: grams_all puts the first-token one, then the two-token one */
				ph->n = (uint8_t)(k == (size_t)pr->params.phrase_max_n * ntok -
					(size_t)(pr->params.phrase_max_n * (pr->params.phrase_max_n - 1) / 2) ? 1 : 2);
				ph->tokpos = 0;
				ph->opening = 1;
			}
			used[best] = 0;
		}
	}
done:
	free(used);
	free(first);
	free(last);
	free(firstk);
	free(setidx);
	return rc;
}

/* The descriptive per-control channels of the suspect against teacher ti. */
static int scan_channels(struct chan *ch, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const struct eng_sims *ss, size_t ti, const size_t *ctrl, size_t nctrl,
	const double *ctrl_claims, double *rate_c)
{
	size_t nm = c->nmodels, nt = pr->nteach, t = (size_t)pr->teach[ti], r, j;
	const char *ft = eng_family(&c->models[t]);
	int rc;

	if ((rc = chan_reset(ch, s->n, nctrl)))
		return rc;
	for (r = 0; r < s->n; r++) {
		long q = s->prompt[r];
		size_t u = chan_unit(ch);
		const float *sr = ss->rate + (r * nt + ti) * 2;
		const struct eng_entry *e, *e1;

		/* phrases: d = (suspect's rate under the control's set) - (control's rate) */
		VT(ch, u, CH_PHR) = 0;
		VT(ch, u, CH_IDN) = (float)feat_claims_family(s->resp[r], ft);
		if (q < 0 || !ss->has[r * nm + t]) {
			for (j = 0; j < nctrl; j++) {
				size_t m = ctrl[j];

				if (q < 0 || !ss->has[r * nm + m])
					continue;    /* a control is compared on the prompts it answered */
				VC(ch, u, j, CH_PHR) = pr->mean_rate[(m * nt + ti) * 2 + s->fold[r]] - sr[pr->group[m]];
				VC(ch, u, j, CH_IDN) = (float)ctrl_claims[j];
			}
			continue;
		}
		VT(ch, u, CH_LEX) = ss->lex[r * nm + t];
		VT(ch, u, CH_STY) = ss->sty[r * nm + t];
		VT(ch, u, CH_OPEN) = ss->open[r * nm + t];
		VT(ch, u, CH_REF) = ss->ref[r * nm + t];
		e1 = pr->ent + pr->off[(size_t)q * nt + ti + 1];
		for (e = pr->ent + pr->off[(size_t)q * nt + ti]; e < e1; e++)
			rate_c[e->y] = e->rate;
		for (j = 0; j < nctrl; j++) {
			size_t m = ctrl[j];

			if (!ss->has[r * nm + m])
				continue;    /* a control is compared on the prompts it answered: its n is theirs */
			VC(ch, u, j, CH_LEX) = ss->lex[r * nm + m];
			VC(ch, u, j, CH_STY) = ss->sty[r * nm + m];
			VC(ch, u, j, CH_OPEN) = ss->open[r * nm + m];
			VC(ch, u, j, CH_REF) = ss->ref[r * nm + m];
			VC(ch, u, j, CH_PHR) = (float)(rate_c[m] - sr[pr->group[m]]);
			VC(ch, u, j, CH_IDN) = (float)ssims_claims(ss, r, m, pr->fam[t]);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- 6. eng_scan */

void eng_result_free(struct eng_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nteachers; i++) {
		free(r->t[i].controls);
		free(r->t[i].dist);
		free(r->t[i].nulls);
		free(r->t[i].without);
	}
	free(r->t);
	free(r);
}

static int verdict_rank(enum eng_verdict v)
{
	return v == V_INCONCLUSIVE ? -1 : (int)v;
}

static int cmp_teacher(const void *a, const void *b)
{
	const struct eng_teacher *x = a, *y = b;
	double sx = isnan(x->score) ? -INFINITY : x->score, sy = isnan(y->score) ? -INFINITY : y->score;

	if (verdict_rank(x->verdict) != verdict_rank(y->verdict))
		return verdict_rank(x->verdict) > verdict_rank(y->verdict) ? -1 : 1;
	if (sx > sy)
		return -1;
	if (sx < sy)
		return 1;
	return x->model < y->model ? -1 : x->model > y->model;
}

/* The descriptive per-control and per-signal tests of one teacher. */
static int describe_tests(struct eng_teacher *et, const struct eng_prep *pr, const struct chan *ch,
	struct tests *ts, const size_t *ctrl, size_t nctrl, double *work)
{
	size_t j, sg, b;
	int rc;

	if ((rc = composite(ts, ch, ALL_CHANNELS, pr->params.seed, (size_t)pr->params.min_prompts, work, NULL, NULL)))
		return rc;
	b = ts->closest;
	et->closest = ts->any ? (int)ctrl[b] : -1;
	et->closest_z = ts->ctrl[b].z;
	et->closest_effect = ts->ctrl[b].effect;
	et->closest_p = ts->any ? ts->ctrl[b].p : 1;
	et->controls = prov_calloc(nctrl + 1, sizeof(*et->controls));
	if (!et->controls)
		return PROV_ENOMEM;
	et->ncontrols = nctrl;
	for (j = 0; j < nctrl; j++) {
		et->controls[j].model = (int)ctrl[j];
		et->controls[j].z = ts->ctrl[j].z;
		et->controls[j].effect = ts->ctrl[j].effect;
		et->controls[j].p = ts->ctrl[j].p;
		et->controls[j].n = (long)ts->ctrl[j].n;
	}
	for (sg = 0; sg < SIG_COUNT; sg++) {
		struct eng_sigres *sr = &et->sig[sg];
		size_t bb;

		if (!chan_varies(ch, signal_channels[sg]))
			continue;
		if ((rc = composite(ts, ch, signal_channels[sg], pr->params.seed, (size_t)pr->params.min_prompts, work, NULL, NULL)))
			return rc;
		if (!ts->any)
			continue;
		bb = ts->closest;
		sr->available = 1;
		sr->z = ts->ctrl[bb].z;
		sr->effect = ts->ctrl[bb].effect;
		sr->p = ts->ctrl[bb].p;
		sr->n = (long)ts->ctrl[bb].n;
		sr->closest = (int)ctrl[bb];
		sr->panel_z = ts->panel.z;
		sr->panel_effect = ts->panel.effect;
		sr->panel_p = ts->panel.p;
		if (sr->p <= pr->params.corroborate_p && sr->effect > 0)
			et->corroborating++;
	}
	return 0;
}

/* One thread's buffers for scanning teachers. */
struct scan_ws {
	size_t *ctrl;
	double *claims, *work;
	struct chan ch;
	struct tests tst;
	struct scratch sc;
};

static void scan_ws_release(struct scan_ws *w)
{
	free(w->ctrl);
	free(w->claims);
	free(w->work);
	chan_release(&w->ch);
	free(w->tst.ctrl);
	free(w->sc.nsum);
	free(w->sc.nss);
	free(w->sc.nn);
	free(w->sc.qstamp);
	free(w->sc.fam);
	free(w->sc.rate_c);
	memset(w, 0, sizeof(*w));
}

static int scan_ws_init(struct scan_ws *w, const struct eng_prep *pr, const struct eng_corpus *c, size_t n)
{
	size_t nm = c->nmodels;

	memset(w, 0, sizeof(*w));
	w->ctrl = prov_calloc(nm + 1, sizeof(*w->ctrl));
	w->claims = prov_calloc(nm + 1, sizeof(*w->claims));
	w->work = prov_calloc(n + 1, sizeof(*w->work));
	w->tst.ctrl = prov_calloc(nm + 1, sizeof(*w->tst.ctrl));
	w->sc.nsum = prov_calloc(nm + 1, sizeof(double));
	w->sc.nss = prov_calloc(nm + 1, sizeof(double));
	w->sc.nn = prov_calloc(nm + 1, sizeof(long));
	w->sc.qstamp = prov_calloc(c->nprompts + 1, sizeof(uint32_t));
	w->sc.fam = prov_calloc(pr->nfam + 1, sizeof(struct psum));
	w->sc.rate_c = prov_calloc(nm + 1, sizeof(double));
	if (!w->ctrl || !w->claims || !w->work || !w->tst.ctrl || !w->sc.nsum || !w->sc.nss || !w->sc.nn ||
	    !w->sc.qstamp || !w->sc.fam || !w->sc.rate_c)
		return PROV_ENOMEM;
	return 0;
}

/* Everything about teacher et that does not depend on the other teachers (all but Holm). */
static int scan_teacher(struct scan_ws *w, struct eng_teacher *et, struct tstate *ts, const struct eng_prep *pr,
	const struct eng_corpus *c, const struct eng_suspect *s, const struct eng_sims *ss, const double *const *fam_claims)
{
	size_t nm = c->nmodels, t = (size_t)et->model, ti = (size_t)pr->tix[t], nctrl = 0, r, j;
	size_t *ctrl = w->ctrl;
	double *claims = w->claims;
	int rc;

	/* the controls: outside the teacher's family, answering at least min_prompts of the suspect's prompts */
	for (j = 0; j < nm; j++) {
		long shared = 0;

		if (pr->fam[j] == pr->fam[t])
			continue;
		for (r = 0; r < s->n; r++)
			shared += ss->has[r * nm + j];
		if (shared >= pr->params.min_prompts)
			ctrl[nctrl++] = j;
	}
	for (j = 0; j < nctrl; j++)
		claims[j] = fam_claims[pr->fam[t]][ctrl[j]];
	et->closest = -1;
	et->p_raw = et->p_holm = 1;
	describe(et, pr, c, s, ss, t, ctrl, nctrl, claims);
	if ((rc = describe_phrases(et, pr, s, ss, ti)) || (rc = teacher_state(ts, &w->sc, pr, c, s, ss, ti)))
		return rc;
	et->stat = ts->stat;
	et->n = ts->nq;
	et->null_k = (int)ts->k;
	et->null_mean = ts->cal.mean;
	et->null_sd = ts->cal.sd;
	et->score = ts->cal.t;
	et->df = ts->cal.df;
	et->p_raw = isnan(ts->cal.p) ? 1 : ts->cal.p;
	et->position = ts->cal.position;
	et->rank = ts->cal.rank;
	et->rank_p = ts->cal.rank_p;
	/* the suspect's per-prompt D: its distribution and the prompt-level test */
	et->dist = prov_calloc(s->n + 1, sizeof(*et->dist));
	if (!et->dist)
		return PROV_ENOMEM;
	for (r = 0; r < s->n; r++) {
		long q = s->prompt[r];
		const struct feat *ft;

		if (isnan(ts->D[r]))
			continue;
		et->dist[et->ndist++] = ts->D[r];
		ft = c->resp[(size_t)q * nm + t];
		if (ft->ntok && ft->ntok == s->resp[r]->ntok &&
		    !memcmp(ft->tok, s->resp[r]->tok, ft->ntok * sizeof(*ft->tok)))
			et->identical++;
	}
	{
		struct stat_test st;

		stat_signflip(&st, et->dist, et->ndist, pr->params.seed);
		et->panel_z = st.z;
		et->panel_p = st.p;
		et->panel_effect = st.effect;
		et->effect = st.effect;
	}
	if (nctrl && ((rc = scan_channels(&w->ch, pr, c, s, ss, ti, ctrl, nctrl, claims, w->sc.rate_c)) ||
		      (rc = describe_tests(et, pr, &w->ch, &w->tst, ctrl, nctrl, w->work))))
		return rc;
	return 0;
}

struct scan_job {
	struct eng_result *res;
	struct tstate *tsa;
	const struct eng_prep *pr;
	const struct eng_corpus *c;
	const struct eng_suspect *s;
	const struct eng_sims *ss;
	const double *const *fam_claims;
	size_t first, step;
	int rc;
};

static void *scan_run(void *arg)
{
	struct scan_job *j = arg;
	struct scan_ws w;
	size_t i;

	if ((j->rc = scan_ws_init(&w, j->pr, j->c, j->s->n)) == 0)
		for (i = j->first; i < j->res->nteachers && !j->rc; i += j->step)
			j->rc = scan_teacher(&w, &j->res->t[i], &j->tsa[i], j->pr, j->c, j->s, j->ss, j->fam_claims);
	scan_ws_release(&w);
	return NULL;
}

/* Every teacher, spread over `threads` threads (teacher i on thread i mod threads): the same result for any count. */
static int scan_teachers(struct eng_result *res, struct tstate *tsa, const struct eng_prep *pr,
	const struct eng_corpus *c, const struct eng_suspect *s, const struct eng_sims *ss, const double *const *fam_claims,
	int threads)
{
	struct scan_job jobs[16];
	pthread_t tid[16];
	int t, started = 0, rc = 0;

	if (threads < 1)
		threads = 1;
	if (threads > 16)
		threads = 16;
	if ((size_t)threads > res->nteachers)
		threads = res->nteachers ? (int)res->nteachers : 1;
	for (t = 0; t < threads; t++) {
		jobs[t].res = res;
		jobs[t].tsa = tsa;
		jobs[t].pr = pr;
		jobs[t].c = c;
		jobs[t].s = s;
		jobs[t].ss = ss;
		jobs[t].fam_claims = fam_claims;
		jobs[t].first = (size_t)t;
		jobs[t].step = (size_t)threads;
		jobs[t].rc = 0;
	}
	for (t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, scan_run, &jobs[t])) {
			jobs[t].rc = prov_error(PROV_EINTERNAL, "cannot start a thread");
			break;
		}
		started = t;
	}
	scan_run(&jobs[0]);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	for (t = 0; t < threads && !rc; t++)
		rc = jobs[t].rc;
	return rc;
}

int eng_scan(struct eng_result **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const int *teachers, size_t nteachers)
{
	return eng_scan_mt(out, pr, c, s, teachers, nteachers, 1);
}

int eng_scan_mt(struct eng_result **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const int *teachers, size_t nteachers, int threads)
{
	struct eng_chunk k = { 0, c->nprompts, c->resp };
	struct eng_sims *ss = NULL;
	int rc;

	*out = NULL;
	if (!(rc = eng_sims_begin(&ss, pr, c, s)) && !(rc = eng_sims_add(ss, pr, s, &k)))
		rc = eng_scan_sims(out, pr, c, s, ss, teachers, nteachers, threads);
	eng_sims_free(ss);
	return rc;
}

int eng_scan_sims(struct eng_result **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const struct eng_sims *ss, const int *teachers, size_t nteachers, int threads)
{
	struct eng_result *res = NULL;
	struct tstate *tsa = NULL;
	int *factor = NULL;
	size_t nm = c->nmodels, i, k, nt = 0;
	double *toks = NULL, *praw = NULL, *padj = NULL;
	const double **fam_claims = NULL;
	uint8_t *seenfam = NULL;
	int rc = 0;

	*out = NULL;
	if (pr->nmodels != nm || pr->nprompts != c->nprompts || ss->n != s->n || ss->nm != nm)
		return prov_error(PROV_EINTERNAL, "engine preparation does not match the corpus");
	for (i = 0; i < s->n; i++)
		if (s->prompt[i] >= 0 && !ss->done[i])
			return prov_error(PROV_EINTERNAL, "engine: the answers to a suspect's prompt were not added");
	res = prov_calloc(1, sizeof(*res));
	fam_claims = prov_calloc(pr->nfam + 1, sizeof(*fam_claims));
	toks = prov_calloc(s->n + 1, sizeof(*toks));
	seenfam = prov_calloc(pr->nfam + 1, 1);
	if (!res || !fam_claims || !toks || !seenfam) {
		rc = PROV_ENOMEM;
		goto done;
	}
	res->conclusion = -1;
	res->responses = (long)s->n;
	for (i = 0; i < s->n; i++) {
		toks[i] = s->resp[i]->ntok;
		if (s->prompt[i] >= 0)
			res->matched++;
	}
	if (s->n) {
		qsort(toks, s->n, sizeof(*toks), cmp_double_asc);
		res->median_tokens = s->n % 2 ? toks[s->n / 2] : 0.5 * (toks[s->n / 2 - 1] + toks[s->n / 2]);
	}
	/* the references that take part: those that answered at least min_prompts of the suspect's prompts */
	for (i = 0; i < nm; i++)
		if (!c->models[i].teacher) {
			long shared = 0;

			for (k = 0; k < s->n; k++)
				shared += ss->has[k * nm + i];
			if (shared < pr->params.min_prompts)
				continue;
			res->references++;
			if (!seenfam[pr->fam[i]]) {
				seenfam[pr->fam[i]] = 1;
				res->makers++;
			}
		}
	/* which teachers */
	res->t = prov_calloc(nm + 1, sizeof(*res->t));
	if (!res->t) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < nm; i++) {
		int want = c->models[i].teacher;

		if (teachers && nteachers) {
			want = 0;
			for (k = 0; k < nteachers; k++)
				if (teachers[k] == (int)i)
					want = c->models[i].teacher;
		}
		if (want)
			res->t[nt++].model = (int)i;
	}
	res->nteachers = nt;
	tsa = prov_calloc(nt + 1, sizeof(*tsa));
	praw = prov_calloc(nt + 1, sizeof(*praw));
	padj = prov_calloc(nt + 1, sizeof(*padj));
	factor = prov_calloc(nt + 1, sizeof(*factor));
	if (!tsa || !praw || !padj || !factor) {
		rc = PROV_ENOMEM;
		goto done;
	}
	if (!nt || !s->n)
		goto finish;
	/* every model's rate of claims of each teacher family (from the preparation) */
	for (i = 0; i < nt; i++) {
		size_t t = (size_t)res->t[i].model;

		fam_claims[pr->fam[t]] = pr->claim_rate + (size_t)pr->tix[t] * nm;
	}
	if ((rc = scan_teachers(res, tsa, pr, c, s, ss, fam_claims, threads)))
		goto done;
finish:
	/* Holm across the teachers, on the calibrated p */
	for (i = 0; i < nt; i++)
		praw[i] = res->t[i].p_raw;
	stat_holm_factors(padj, factor, praw, nt);
	for (i = 0; i < nt; i++)
		res->t[i].holm_factor = factor[i];
	for (i = 0; i < nt; i++) {
		struct eng_teacher *et = &res->t[i];

		et->p_holm = padj[i];
		if (!s->n || !tsa[i].D) {
			et->verdict = V_INCONCLUSIVE;
			et->reason = "the suspect has no answers";
			et->needed_moderate = et->needed_strong = -1;
			continue;
		}
		tsa[i].cal.p_holm = isnan(tsa[i].cal.p) ? NAN : padj[i];
		et->verdict = verdict_of(&tsa[i].cal, tsa[i].stat, tsa[i].nq, tsa[i].k, res->median_tokens, &pr->params,
			&et->reason);
		if (et->verdict != V_INCONCLUSIVE)
			et->reason = NULL;
		if ((rc = teacher_finish(et, &tsa[i], pr, c, res->median_tokens)))
			goto done;
	}
	qsort(res->t, nt, sizeof(*res->t), cmp_teacher);
	res->verdict = nt ? V_INCONCLUSIVE : V_NONE;
	for (i = 0; i < nt; i++) {
		enum eng_verdict v = res->t[i].verdict;

		if (v != V_INCONCLUSIVE && res->verdict == V_INCONCLUSIVE)
			res->verdict = V_NONE;
		if ((v == V_STRONG || v == V_MODERATE || v == V_WEAK) && res->conclusion < 0)
			res->conclusion = (int)i;
	}
	if (res->conclusion >= 0)
		res->verdict = res->t[res->conclusion].verdict;
done:
	if (tsa)
		for (i = 0; i < nt; i++)
			tstate_release(&tsa[i]);
	free(tsa);
	free(fam_claims);
	free(toks);
	free(praw);
	free(padj);
	free(factor);
	free(seenfam);
	if (rc) {
		eng_result_free(res);
		return rc;
	}
	*out = res;
	return 0;
}
