/*
 * prep.c: eng_prepare, the corpus-only work, and its cache codec.
 *
 * For every prompt q, every teacher t that answered it and every model y that
 * answered it from outside t's family, the null table holds y's differences
 * x(y, t) - mean over y's panel of x(y, C) (the panel: the answers to q from
 * outside t's family and outside y's family). The panel means come from
 * per-prompt sums (the sum of all unit TF-IDF vectors, of all unit style
 * vectors, counts of openers, closers, refusals and claims, sums of phrase
 * rates per model group) minus the members of t's family and of y's family,
 * so a prompt costs (answers) x (teacher-family members + own family), not
 * (answers)^2. eng_prepare_naive computes the same table pair by pair.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine_int.h"
#include "detect/lexical.h"

/* ---------------------------------------------------------------- layout */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int prep_layout(struct eng_prep *pr, const struct eng_corpus *c)
{
	size_t nm = c->nmodels, m, k, nf = 0;
	const char **names = prov_calloc(nm + 1, sizeof(*names));
	uint8_t *tfam = NULL;
	int rc = 0;

	pr->fam = prov_calloc(nm + 1, sizeof(*pr->fam));
	pr->group = prov_calloc(nm + 1, sizeof(*pr->group));
	pr->col = prov_calloc(nm + 1, sizeof(*pr->col));
	pr->teach = prov_calloc(nm + 1, sizeof(*pr->teach));
	pr->tix = prov_calloc(nm + 1, sizeof(*pr->tix));
	if (!names || !pr->fam || !pr->group || !pr->col || !pr->teach || !pr->tix) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (m = 0; m < nm; m++)
		names[m] = eng_family(&c->models[m]);
	qsort(names, nm, sizeof(*names), cmp_str);
	for (m = 0; m < nm; m++)
		if (!nf || strcmp(names[nf - 1], names[m]))
			names[nf++] = names[m];
	pr->nfam = nf;
	tfam = prov_calloc(nf + 1, sizeof(*tfam));
	if (!tfam) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (m = 0; m < nm; m++) {
		const char *f = eng_family(&c->models[m]);
		const char **hit = bsearch(&f, names, nf, sizeof(*names), cmp_str);

		pr->fam[m] = (int)(hit - names);
		pr->group[m] = phr_group_of(f);
		pr->tix[m] = -1;
		if (c->models[m].teacher) {
			tfam[pr->fam[m]] = 1;
			pr->tix[m] = (int)pr->nteach;
			pr->teach[pr->nteach++] = (int)m;
		}
	}
	for (m = 0, k = 0; m < nm; m++)
		pr->col[m] = tfam[pr->fam[m]] ? (int)k++ : -1;
	pr->ncols = k;
done:
	free(names);
	free(tfam);
	return rc;
}

/* ---------------------------------------------------------------- style */

void prep_zscore(float *out, const float *raw, const struct eng_prep *pr)
{
	size_t i;

	for (i = 0; i < FEAT_STYLE_DIM; i++)
		out[i] = pr->style_sd[i] > 0 ? (raw[i] - pr->style_mean[i]) / pr->style_sd[i] : 0.0f;
}

/* ---------------------------------------------------------------- the marker index */

void mk_index_release(struct mk_index *mi)
{
	hmap_release(&mi->map);
	free(mi->bits);
	memset(mi, 0, sizeof(*mi));
}

int mk_index_build(struct mk_index *mi, const struct markers *mk, size_t nsets)
{
	size_t s, i, slot;
	int rc;

	memset(mi, 0, sizeof(*mi));
	if ((rc = hmap_init(&mi->map, 4096)))
		return rc;
	for (s = 0; s < nsets; s++)
		for (i = 0; i < mk[s].n; i++) {
			int ins = hmap_put(&mi->map, mk[s].gram[i], (uint32_t)mi->nuid, &slot);

			if (ins < 0)
				return ins;
			if (ins)
				mi->nuid++;
		}
	mi->words = (mi->nuid + 63) / 64 + 1;
	mi->bits = prov_calloc(nsets * mi->words + 1, sizeof(*mi->bits));
	if (!mi->bits)
		return PROV_ENOMEM;
	for (s = 0; s < nsets; s++)
		for (i = 0; i < mk[s].n; i++) {
			uint32_t u;

			if (hmap_get(&mi->map, mk[s].gram[i], &u))
				mi->bits[s * mi->words + (u >> 6)] |= 1ULL << (u & 63);
		}
	return 0;
}

int mk_lookup(const struct mk_index *mi, const uint64_t *grams, size_t ng, uint32_t **uid, uint16_t **cnt,
	size_t *cap, size_t *n)
{
	size_t k, i;

	*n = 0;
	for (k = 0; k < ng; k++) {
		uint32_t u;

		if (!hmap_get(&mi->map, grams[k], &u))
			continue;
		for (i = 0; i < *n; i++)
			if ((*uid)[i] == u)
				break;
		if (i < *n) {
			if ((*cnt)[i] < UINT16_MAX)
				(*cnt)[i]++;
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			uint32_t *a = prov_reallocarray(*uid, nc, sizeof(*a));
			uint16_t *b;

			if (!a)
				return PROV_ENOMEM;
			*uid = a;
			b = prov_reallocarray(*cnt, nc, sizeof(*b));
			if (!b)
				return PROV_ENOMEM;
			*cnt = b;
			*cap = nc;
		}
		(*uid)[*n] = u;
		(*cnt)[*n] = 1;
		(*n)++;
	}
	return 0;
}

size_t mk_hits(const struct mk_index *mi, size_t set, const uint32_t *uid, const uint16_t *cnt, size_t n)
{
	const uint64_t *b = mi->bits + set * mi->words;
	size_t i, hits = 0;

	for (i = 0; i < n; i++)
		if (b[uid[i] >> 6] >> (uid[i] & 63) & 1)
			hits += cnt[i];
	return hits;
}

double prep_entry_d(const struct eng_prep *pr, size_t ti, const struct eng_entry *e)
{
	const float *s = pr->scale + ti * 3;
	double d;

	if (isnan(e->lex) && isnan(e->sty) && isnan(e->cnt))
		return NAN;
	d = isnan(e->cnt) ? 0 : e->cnt;
	if (s[0] > 0 && !isnan(e->lex))
		d += e->lex / s[0];
	if (s[1] > 0 && !isnan(e->sty))
		d += e->sty / s[1];
	if (s[2] > 0 && !isnan(e->phr))
		d += e->phr / s[2];
	return d;
}

/* ---------------------------------------------------------------- the per-prompt pass */

/* Per-thread workspace. */
struct pws {
	struct lexws lex;
	double *V;                  /* sum of unit TF-IDF vectors */
	size_t capV;
	size_t *A;                  /* answering models */
	float *zu;                  /* na * DIM unit style vectors (z-scored) */
	double *dotV, *dotS;        /* per answer: its unit vector . the sums */
	double *openall, *refall;   /* per answer: sum over all answers of open / refusal agreement */
	double *own_lex, *own_sty, *own_open, *own_ref;   /* over its own family's answers */
	size_t *nown;
	double *rate;               /* per answer, under the current teacher's markers */
	double *cl;                 /* per answer: claims the current teacher's family */
	size_t *byfam;              /* answer slots sorted by family */
	uint32_t **uid;             /* per answer: marker uids and counts */
	uint16_t **ucnt;
	size_t *un, *ucap;
	uint64_t *grams;
	size_t capg;
	uint64_t *okeys;            /* opener / closer sort scratch */
	size_t na_cap;
};

static void pws_release(struct pws *w)
{
	size_t i;

	lexws_release(&w->lex);
	free(w->V);
	free(w->A);
	free(w->zu);
	free(w->dotV);
	free(w->dotS);
	free(w->openall);
	free(w->refall);
	free(w->own_lex);
	free(w->own_sty);
	free(w->own_open);
	free(w->own_ref);
	free(w->nown);
	free(w->rate);
	free(w->cl);
	free(w->byfam);
	if (w->uid)
		for (i = 0; i < w->na_cap; i++) {
			free(w->uid[i]);
			free(w->ucnt[i]);
		}
	free(w->uid);
	free(w->ucnt);
	free(w->un);
	free(w->ucap);
	free(w->grams);
	free(w->okeys);
	memset(w, 0, sizeof(*w));
}

static int pws_init(struct pws *w, size_t nm)
{
	size_t n = nm + 1;

	memset(w, 0, sizeof(*w));
	w->na_cap = n;
	w->A = prov_calloc(n, sizeof(*w->A));
	w->zu = prov_calloc(n * FEAT_STYLE_DIM, sizeof(*w->zu));
	w->dotV = prov_calloc(n, sizeof(double));
	w->dotS = prov_calloc(n, sizeof(double));
	w->openall = prov_calloc(n, sizeof(double));
	w->refall = prov_calloc(n, sizeof(double));
	w->own_lex = prov_calloc(n, sizeof(double));
	w->own_sty = prov_calloc(n, sizeof(double));
	w->own_open = prov_calloc(n, sizeof(double));
	w->own_ref = prov_calloc(n, sizeof(double));
	w->nown = prov_calloc(n, sizeof(size_t));
	w->rate = prov_calloc(n, sizeof(double));
	w->cl = prov_calloc(n, sizeof(double));
	w->byfam = prov_calloc(n, sizeof(size_t));
	w->uid = prov_calloc(n, sizeof(*w->uid));
	w->ucnt = prov_calloc(n, sizeof(*w->ucnt));
	w->un = prov_calloc(n, sizeof(size_t));
	w->ucap = prov_calloc(n, sizeof(size_t));
	w->okeys = prov_calloc(2 * n, sizeof(uint64_t));
	if (!w->A || !w->zu || !w->dotV || !w->dotS || !w->openall || !w->refall || !w->own_lex || !w->own_sty ||
	    !w->own_open || !w->own_ref || !w->nown || !w->rate || !w->cl || !w->byfam || !w->uid || !w->ucnt ||
	    !w->un || !w->ucap || !w->okeys)
		return PROV_ENOMEM;
	return lexws_init(&w->lex, n);
}

static double style_dot(const float *a, const float *b)
{
	double d = 0;
	size_t i;

	for (i = 0; i < FEAT_STYLE_DIM; i++)
		d += (double)a[i] * b[i];
	return d;
}

void prep_unit_style(float *out, const float *raw, const struct eng_prep *pr)
{
	double n = 0;
	size_t i;

	prep_zscore(out, raw, pr);
	for (i = 0; i < FEAT_STYLE_DIM; i++)
		n += (double)out[i] * out[i];
	n = sqrt(n);
	for (i = 0; i < FEAT_STYLE_DIM; i++)
		out[i] = n > 0 ? (float)(out[i] / n) : 0.0f;
}

#define open_match eng_open_match

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* How many of the sorted keys equal k. */
static size_t count_eq(const uint64_t *keys, size_t n, uint64_t k)
{
	size_t lo = 0, hi = n, a, b;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	a = lo;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid] <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	b = lo;
	return b - a;
}

#define PROMPT_BLOCK 8

/* The answers in slots [0, na) sorted by family (then slot), for walking a family's members. */
static void sort_by_family(size_t *byfam, size_t na, const size_t *A, const int *fam)
{
	size_t i, j;

	/* insertion sort: answers arrive in model order and families are short runs */
	for (i = 0; i < na; i++)
		byfam[i] = i;
	for (i = 1; i < na; i++) {
		size_t v = byfam[i];

		for (j = i; j > 0 && (fam[A[byfam[j - 1]]] > fam[A[v]] ||
				      (fam[A[byfam[j - 1]]] == fam[A[v]] && byfam[j - 1] > v)); j--)
			byfam[j] = byfam[j - 1];
		byfam[j] = v;
	}
}

/* The run of family f in byfam: [*lo, *hi). */
static void family_run(const size_t *byfam, size_t na, const size_t *A, const int *fam, int f, size_t *lo,
	size_t *hi)
{
	size_t a = 0, b = na;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (fam[A[byfam[mid]]] < f)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	b = na;
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (fam[A[byfam[mid]]] <= f)
			a = mid + 1;
		else
			b = mid;
	}
	*hi = a;
}

static int prep_prompt(struct pws *w, struct eng_prep *pr, const struct eng_corpus *c, const struct feat *const *row,
	size_t q)
{
	size_t nm = c->nmodels, na = 0, s, i, ti, lo, hi;
	int rc, any = 0;
	double VS[FEAT_STYLE_DIM];

	for (s = 0; s < nm; s++)
		if (row[s]) {
			w->A[na++] = s;
			any |= c->models[s].teacher;
		}
	if (!any)
		return 0;
	/* lexical vectors and their sum */
	lexws_reset(&w->lex);
	for (s = 0; s < na; s++)
		if ((rc = lexws_add(&w->lex, s, row[w->A[s]], pr->params.lex_max_n)))
			return rc;
	for (s = na; s < w->lex.nslots; s++)
		w->lex.v[s].n = 0;
	if ((rc = lexws_weigh(&w->lex, na)))
		return rc;
	if (w->lex.nent > w->capV) {
		double *v = prov_reallocarray(w->V, w->lex.nent, sizeof(*v));

		if (!v)
			return PROV_ENOMEM;
		w->V = v;
		w->capV = w->lex.nent;
	}
	memset(w->V, 0, w->lex.nent * sizeof(*w->V));
	memset(VS, 0, sizeof(VS));
	for (s = 0; s < na; s++) {
		float *u = w->zu + s * FEAT_STYLE_DIM;

		lexws_accumulate(&w->lex, s, w->V);
		prep_unit_style(u, row[w->A[s]]->style, pr);
		for (i = 0; i < FEAT_STYLE_DIM; i++)
			VS[i] += u[i];
	}
	/* openers and closers */
	for (s = 0; s < na; s++) {
		w->okeys[s] = row[w->A[s]]->opener;
		w->okeys[na + s] = row[w->A[s]]->closer;
	}
	qsort(w->okeys, na, sizeof(uint64_t), cmp_u64);
	qsort(w->okeys + na, na, sizeof(uint64_t), cmp_u64);
	for (s = 0; s < na; s++) {
		const struct feat *f = row[w->A[s]];
		double d = 0;

		w->dotV[s] = lexws_dot(&w->lex, s, w->V);
		for (i = 0; i < FEAT_STYLE_DIM; i++)
			d += (double)w->zu[s * FEAT_STYLE_DIM + i] * VS[i];
		w->dotS[s] = d;
		w->openall[s] = f->ntok ? (double)(count_eq(w->okeys, na, f->opener) +
			count_eq(w->okeys + na, na, f->closer)) : 0;
		w->refall[s] = 0;
		if (f->refused)
			for (i = 0; i < na; i++)
				if (row[w->A[i]]->refused)
					w->refall[s] += feat_refusal_agreement(f, row[w->A[i]]);
	}
	/* own-family sums */
	sort_by_family(w->byfam, na, w->A, pr->fam);
	for (s = 0; s < na; s++) {
		size_t k;

		family_run(w->byfam, na, w->A, pr->fam, pr->fam[w->A[s]], &lo, &hi);
		w->own_lex[s] = w->own_sty[s] = w->own_open[s] = w->own_ref[s] = 0;
		w->nown[s] = hi - lo;
		for (k = lo; k < hi; k++) {
			size_t o = w->byfam[k];

			w->own_lex[s] += lexws_cos(&w->lex, s, o);
			w->own_sty[s] += style_dot(w->zu + s * FEAT_STYLE_DIM, w->zu + o * FEAT_STYLE_DIM);
			w->own_open[s] += open_match(row[w->A[s]], row[w->A[o]]);
			w->own_ref[s] += feat_refusal_agreement(row[w->A[s]], row[w->A[o]]);
		}
	}
	/* phrase grams, looked up once */
	for (s = 0; s < na; s++) {
		size_t ng = 0;

		if ((rc = grams_all(&w->grams, &w->capg, &ng, row[w->A[s]], pr->params.phrase_max_n, 1)) ||
		    (rc = mk_lookup(&pr->mi, w->grams, ng, &w->uid[s], &w->ucnt[s], &w->ucap[s], &w->un[s])))
			return rc;
		w->cl[s] = (double)ng;    /* n-gram count, kept until the rates are computed */
		w->rate[s] = 0;
	}
	{
		size_t ngram[512], *ngp = na <= 512 ? ngram : prov_calloc(na, sizeof(size_t));

		if (!ngp)
			return PROV_ENOMEM;
		for (s = 0; s < na; s++)
			ngp[s] = (size_t)w->cl[s];
		for (ti = 0; ti < pr->nteach && !rc; ti++) {
			size_t t = (size_t)pr->teach[ti], st, F, nF, k, flo, fhi;
			const char *fname = eng_family(&c->models[t]);
			double Sg[2] = { 0, 0 }, CL = 0;
			size_t Ng[2] = { 0, 0 };
			struct eng_entry *e;

			if (!row[t])
				continue;
			for (st = 0; st < na && w->A[st] != t; st++)
				;
			F = (size_t)pr->fam[t];
			family_run(w->byfam, na, w->A, pr->fam, (int)F, &flo, &fhi);
			nF = fhi - flo;
			for (s = 0; s < na; s++) {
				size_t y = w->A[s];

				w->cl[s] = feat_claims_family(row[y], fname);
				if ((size_t)pr->fam[y] == F)
					continue;
				w->rate[s] = markers_rate_hits(mk_hits(&pr->mi, mk_slot(ti, c->fold[q], pr->group[y]), w->uid[s],
					w->ucnt[s], w->un[s]), ngp[s]);
				Sg[pr->group[y]] += w->rate[s];
				Ng[pr->group[y]]++;
				CL += w->cl[s];
			}
			e = pr->ent + pr->off[q * pr->nteach + ti];
			for (s = 0; s < na; s++) {
				size_t y = w->A[s], nC, h = pr->group[y];
				double fl = 0, fs = 0, fo = 0, fr = 0, ocl = 0, orate = 0, lex, sty, opn, ref, idn;

				if ((size_t)pr->fam[y] == F)
					continue;
				for (k = flo; k < fhi; k++) {
					size_t o = w->byfam[k];

					fl += lexws_cos(&w->lex, s, o);
					fs += style_dot(w->zu + s * FEAT_STYLE_DIM, w->zu + o * FEAT_STYLE_DIM);
					fo += open_match(row[y], row[w->A[o]]);
					fr += feat_refusal_agreement(row[y], row[w->A[o]]);
				}
				family_run(w->byfam, na, w->A, pr->fam, pr->fam[y], &lo, &hi);
				for (k = lo; k < hi; k++) {
					ocl += w->cl[w->byfam[k]];
					orate += w->rate[w->byfam[k]];
				}
				e->y = (uint32_t)y;
				e->rate = (float)w->rate[s];
				nC = na - nF - w->nown[s];
				if (!nC) {
					e->lex = e->sty = e->phr = e->cnt = NAN;
					e++;
					continue;
				}
				lex = lexws_cos(&w->lex, s, st) - (w->dotV[s] - fl - w->own_lex[s]) / (double)nC;
				sty = style_dot(w->zu + s * FEAT_STYLE_DIM, w->zu + st * FEAT_STYLE_DIM) -
					(w->dotS[s] - fs - w->own_sty[s]) / (double)nC;
				opn = open_match(row[y], row[t]) - (w->openall[s] - fo - w->own_open[s]) / (double)nC;
				ref = feat_refusal_agreement(row[y], row[t]) - (w->refall[s] - fr - w->own_ref[s]) / (double)nC;
				idn = w->cl[s] - (CL - ocl) / (double)nC;
				e->lex = (float)lex;
				e->sty = (float)sty;
				e->cnt = (float)(opn + ref + idn);
				e->phr = Ng[h] > w->nown[s] ? (float)(w->rate[s] - (Sg[h] - orate) / (double)(Ng[h] - w->nown[s])) :
					NAN;
				e++;
			}
		}
		if (ngp != ngram)
			free(ngp);
	}
	return rc;
}

/* Did model m answer prompt q? (from the answers when they are all there, else from c->has) */
static int answered(const struct eng_corpus *c, size_t q, size_t m)
{
	return c->resp ? c->resp[q * c->nmodels + m] != NULL : c->has[q * c->nmodels + m] != 0;
}

/* The per-prompt pass over one chunk: threads take blocks of its prompts; each prompt writes its own entries. */
struct prep_shared {
	struct eng_prep *pr;
	const struct eng_corpus *c;
	const struct eng_chunk *k;
	pthread_mutex_t lock;
	size_t next;                /* next prompt to take */
	int rc;
};

struct prep_job {
	struct prep_shared *sh;
	struct pws *w;
};

static void *prep_run(void *arg)
{
	struct prep_job *j = arg;
	struct prep_shared *sh = j->sh;
	const struct eng_chunk *k = sh->k;
	int rc = 0;

	for (;;) {
		size_t q0, q;

		pthread_mutex_lock(&sh->lock);
		if (rc && !sh->rc)
			sh->rc = rc;
		q0 = sh->next;
		sh->next += PROMPT_BLOCK;
		if (sh->rc)
			q0 = k->q1;
		pthread_mutex_unlock(&sh->lock);
		if (q0 >= k->q1)
			break;
		for (q = q0; q < q0 + PROMPT_BLOCK && q < k->q1 && !rc; q++)
			rc = prep_prompt(j->w, sh->pr, sh->c, k->resp + (q - k->q0) * sh->c->nmodels, q);
	}
	return NULL;
}

/* Offsets of every (prompt, teacher) run of entries, from which models answered what. */
static int prep_offsets(struct eng_prep *pr, const struct eng_corpus *c)
{
	size_t nm = c->nmodels, q, ti, m;
	uint64_t total = 0;

	pr->off = prov_calloc(c->nprompts * pr->nteach + 1, sizeof(*pr->off));
	if (!pr->off)
		return PROV_ENOMEM;
	for (q = 0; q < c->nprompts; q++)
		for (ti = 0; ti < pr->nteach; ti++) {
			size_t t = (size_t)pr->teach[ti];

			pr->off[q * pr->nteach + ti] = total;
			if (!answered(c, q, t))
				continue;
			for (m = 0; m < nm; m++)
				if (pr->fam[m] != pr->fam[t] && answered(c, q, m))
					total++;
		}
	pr->off[c->nprompts * pr->nteach] = total;
	pr->nent = (size_t)total;
	if (total > SIZE_MAX / sizeof(*pr->ent))
		return PROV_ENOMEM;
	pr->ent = prov_calloc(pr->nent + 1, sizeof(*pr->ent));
	return pr->ent ? 0 : PROV_ENOMEM;
}

/* Channel scales (root mean square over the table) and every model's mean phrase rate per teacher and fold. */
static int prep_finish(struct eng_prep *pr, const struct eng_corpus *c)
{
	size_t ti, q, nt = pr->nteach, nm = c->nmodels;
	double *cnt = prov_calloc(nm * nt * 2 + 1, sizeof(*cnt)), *sum = prov_calloc(nm * nt * 2 + 1, sizeof(*sum));

	pr->scale = prov_calloc(nt * 3 + 1, sizeof(*pr->scale));
	pr->mean_rate = prov_calloc(nm * nt * 2 + 1, sizeof(*pr->mean_rate));
	if (!cnt || !sum || !pr->scale || !pr->mean_rate) {
		free(cnt);
		free(sum);
		return PROV_ENOMEM;
	}
	for (ti = 0; ti < nt; ti++) {
		double ss[3] = { 0, 0, 0 };
		size_t n[3] = { 0, 0, 0 }, k;

		for (q = 0; q < c->nprompts; q++) {
			const struct eng_entry *e = pr->ent + pr->off[q * nt + ti], *end = pr->ent + pr->off[q * nt + ti + 1];

			for (; e < end; e++) {
				float v[3] = { e->lex, e->sty, e->phr };
				size_t i = ((size_t)e->y * nt + ti) * 2 + c->fold[q];

				sum[i] += e->rate;
				cnt[i]++;
				for (k = 0; k < 3; k++)
					if (!isnan(v[k])) {
						ss[k] += (double)v[k] * v[k];
						n[k]++;
					}
			}
		}
		for (k = 0; k < 3; k++)
			pr->scale[ti * 3 + k] = n[k] && ss[k] > 0 ? (float)sqrt(ss[k] / (double)n[k]) : 0.0f;
	}
	for (q = 0; q < nm * nt * 2; q++)
		pr->mean_rate[q] = cnt[q] ? (float)(sum[q] / cnt[q]) : 0.0f;
	free(cnt);
	free(sum);
	return 0;
}

/* ---------------------------------------------------------------- the preparation in pieces */

enum { B_TEACHERS, B_COUNT, B_TABLE, B_DONE };

struct eng_build {
	const struct eng_corpus *c;
	struct eng_prep *pr;
	struct phr_layout lay;
	struct phr_build pb;
	int threads, phase;
	size_t next;                /* the next prompt the current pass expects */
	uint8_t *seen;              /* per teacher index: eng_build_teacher done */
	double sum[FEAT_STYLE_DIM], ss[FEAT_STYLE_DIM];
	double *acc;                /* nmodels * DIM: style sums per model */
	size_t *nper;               /* answers per model */
	size_t n;
	size_t *claims;             /* nteach * nmodels: answers of model m claiming teacher ti's family */
	struct pws *ws;             /* per thread, for the table */
	int nws;
};

void eng_build_free(struct eng_build *b)
{
	int t;

	if (!b)
		return;
	eng_prep_free(b->pr);
	phr_build_release(&b->pb);
	free(b->seen);
	free(b->acc);
	free(b->nper);
	free(b->claims);
	if (b->ws)
		for (t = 0; t < b->nws; t++)
			pws_release(&b->ws[t]);
	free(b->ws);
	free(b);
}

int eng_build_begin(struct eng_build **out, const struct eng_corpus *c, const struct eng_params *p, int threads)
{
	struct eng_build *b;
	struct eng_prep *pr;
	size_t nm = c->nmodels;
	int rc;

	*out = NULL;
	if (!c->resp && !c->has)
		return prov_error(PROV_EINTERNAL, "engine: a corpus needs its answers or their presence");
	b = prov_calloc(1, sizeof(*b));
	pr = prov_calloc(1, sizeof(*pr));
	if (!b || !pr) {
		free(b);
		free(pr);
		return PROV_ENOMEM;
	}
	b->c = c;
	b->pr = pr;
	b->threads = threads < 1 ? 1 : threads;
	pr->nmodels = nm;
	pr->nprompts = c->nprompts;
	if (p)
		pr->params = *p;
	else
		eng_params_default(&pr->params);
	if ((rc = prep_layout(pr, c)))
		goto fail;
	b->seen = prov_calloc(pr->nteach + 1, 1);
	b->acc = prov_calloc(nm * FEAT_STYLE_DIM + 1, sizeof(*b->acc));
	b->nper = prov_calloc(nm + 1, sizeof(*b->nper));
	b->claims = prov_calloc(pr->nteach * nm + 1, sizeof(*b->claims));
	pr->model_style = prov_calloc(nm * FEAT_STYLE_DIM + 1, sizeof(*pr->model_style));
	pr->claim_rate = prov_calloc(pr->nteach * nm + 1, sizeof(*pr->claim_rate));
	pr->mk = prov_calloc(pr->nteach * 4 + 1, sizeof(*pr->mk));
	if (!b->seen || !b->acc || !b->nper || !b->claims || !pr->model_style || !pr->claim_rate || !pr->mk) {
		rc = PROV_ENOMEM;
		goto fail;
	}
	b->lay.nmodels = nm;
	b->lay.fam = pr->fam;
	b->lay.group = pr->group;
	b->lay.col = pr->col;
	b->lay.ncols = pr->ncols;
	*out = b;
	return 0;
fail:
	eng_build_free(b);
	return rc;
}

int eng_build_teacher(struct eng_build *b, size_t m, const struct feat *const *col, size_t stride)
{
	int ti = m < b->c->nmodels ? b->pr->tix[m] : -1;

	if (b->phase != B_TEACHERS || ti < 0 || b->seen[ti])
		return prov_error(PROV_EINTERNAL, "engine: eng_build_teacher out of order");
	b->seen[ti] = 1;
	return phr_build_teacher(&b->pb, col, stride, b->c->fold, b->c->nprompts, &b->pr->params);
}

/* A chunk must continue the pass where the last one ended. */
static int build_chunk_ok(struct eng_build *b, const struct eng_chunk *k)
{
	if (k->q0 != b->next || k->q1 < k->q0 || k->q1 > b->c->nprompts)
		return prov_error(PROV_EINTERNAL, "engine: chunk [%zu, %zu) out of order (expected %zu)", k->q0, k->q1,
			b->next);
	b->next = k->q1;
	return 0;
}

int eng_build_count(struct eng_build *b, const struct eng_chunk *k)
{
	const struct eng_corpus *c = b->c;
	struct eng_prep *pr = b->pr;
	size_t nm = c->nmodels, q, m, i, ti;
	int rc;

	if (b->phase == B_TEACHERS) {
		for (ti = 0; ti < pr->nteach; ti++)
			if (!b->seen[ti])
				return prov_error(PROV_EINTERNAL, "engine: a teacher's answers are missing");
		if ((rc = phr_build_ready(&b->pb, &b->lay, b->threads)))
			return rc;
		b->phase = B_COUNT;
		b->next = 0;
	}
	if (b->phase != B_COUNT || (rc = build_chunk_ok(b, k)))
		return b->phase != B_COUNT ? prov_error(PROV_EINTERNAL, "engine: eng_build_count out of order") : rc;
	/* style sums in prompt, then model order: the same sums however the prompts are chunked */
	for (q = k->q0; q < k->q1; q++)
		for (m = 0; m < nm; m++) {
			const struct feat *f = k->resp[(q - k->q0) * nm + m];

			if (!f)
				continue;
			b->n++;
			b->nper[m]++;
			for (i = 0; i < FEAT_STYLE_DIM; i++) {
				b->sum[i] += f->style[i];
				b->ss[i] += (double)f->style[i] * f->style[i];
				b->acc[m * FEAT_STYLE_DIM + i] += f->style[i];
			}
			if (f->nclaims)
				for (ti = 0; ti < pr->nteach; ti++)
					b->claims[ti * nm + m] += (size_t)feat_claims_family(f,
						eng_family(&c->models[pr->teach[ti]]));
		}
	return phr_build_count(&b->pb, c, &b->lay, &pr->params, k);
}

/* After the counts: style statistics, claim rates, the marker sets, their index, the table's offsets. */
static int build_markers(struct eng_build *b)
{
	const struct eng_corpus *c = b->c;
	struct eng_prep *pr = b->pr;
	size_t nm = c->nmodels, m, i, ti;
	int rc = 0, f, g;

	if (b->phase != B_COUNT || b->next != c->nprompts)
		return prov_error(PROV_EINTERNAL, "engine: the counting pass is not complete");
	for (i = 0; i < FEAT_STYLE_DIM; i++) {
		double n = (double)b->n, mean = b->n ? b->sum[i] / n : 0, var = b->n ? b->ss[i] / n - mean * mean : 0;

		pr->style_mean[i] = (float)mean;
		pr->style_sd[i] = var > 1e-12 ? (float)sqrt(var) : 0.0f;
	}
	for (m = 0; m < nm; m++)
		for (i = 0; i < FEAT_STYLE_DIM; i++)
			if (b->nper[m])
				pr->model_style[m * FEAT_STYLE_DIM + i] = (float)(b->acc[m * FEAT_STYLE_DIM + i] /
					(double)b->nper[m]);
	for (ti = 0; ti < pr->nteach; ti++)
		for (m = 0; m < nm; m++)
			pr->claim_rate[ti * nm + m] = b->nper[m] ? (double)b->claims[ti * nm + m] / (double)b->nper[m] : 0;
	phr_build_counted(&b->pb);
	for (f = 0; f < 2 && !rc; f++)
		for (ti = 0; ti < pr->nteach && !rc; ti++)
			for (g = 0; g < 2 && !rc; g++)
				rc = markers_select(&pr->mk[ti * 4 + (size_t)f * 2 + (size_t)g], &b->pb.fs[f], &b->lay,
					(size_t)pr->teach[ti], g, &pr->params);
	phr_build_release(&b->pb);
	if (rc || (rc = mk_index_build(&pr->mi, pr->mk, pr->nteach * 4)) || (rc = prep_offsets(pr, c)))
		return rc;
	b->phase = B_TABLE;
	b->next = 0;
	return 0;
}

int eng_build_table(struct eng_build *b, const struct eng_chunk *k)
{
	struct prep_shared sh;
	struct prep_job *jobs = NULL;
	pthread_t *tid = NULL;
	int rc, t, started = 0;

	if (b->phase == B_COUNT && (rc = build_markers(b)))
		return rc;
	if (b->phase != B_TABLE)
		return prov_error(PROV_EINTERNAL, "engine: eng_build_table out of order");
	if ((rc = build_chunk_ok(b, k)))
		return rc;
	if (!b->ws) {
		b->ws = prov_calloc((size_t)b->threads, sizeof(*b->ws));
		if (!b->ws)
			return PROV_ENOMEM;
		for (t = 0; t < b->threads; t++) {
			rc = pws_init(&b->ws[t], b->c->nmodels);
			b->nws = t + 1;
			if (rc)
				return rc;
		}
	}
	memset(&sh, 0, sizeof(sh));
	sh.pr = b->pr;
	sh.c = b->c;
	sh.k = k;
	sh.next = k->q0;
	pthread_mutex_init(&sh.lock, NULL);
	jobs = prov_calloc((size_t)b->threads, sizeof(*jobs));
	tid = prov_calloc((size_t)b->threads, sizeof(*tid));
	if (!jobs || !tid) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (t = 0; t < b->threads; t++) {
		jobs[t].sh = &sh;
		jobs[t].w = &b->ws[t];
	}
	for (t = 1; t < b->threads; t++) {
		if (pthread_create(&tid[t], NULL, prep_run, &jobs[t]))
			break;
		started = t;
	}
	prep_run(&jobs[0]);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	rc = sh.rc;
done:
	pthread_mutex_destroy(&sh.lock);
	free(jobs);
	free(tid);
	return rc;
}

int eng_build_finish(struct eng_build *b, struct eng_prep **out)
{
	int rc;

	*out = NULL;
	if (b->phase != B_TABLE || b->next != b->c->nprompts)
		return prov_error(PROV_EINTERNAL, "engine: the table pass is not complete");
	if ((rc = prep_finish(b->pr, b->c)))
		return rc;
	b->phase = B_DONE;
	*out = b->pr;
	b->pr = NULL;
	return 0;
}

/* The counting pass and the markers of a corpus whose answers are all in memory. */
static int build_resident(struct eng_build **out, const struct eng_corpus *c, const struct eng_params *p,
	int threads)
{
	struct eng_build *b;
	struct eng_chunk k = { 0, c->nprompts, c->resp };
	size_t ti;
	int rc;

	*out = NULL;
	if (!c->resp)
		return prov_error(PROV_EINTERNAL, "engine: eng_prepare needs every answer in memory");
	if ((rc = eng_build_begin(&b, c, p, threads)))
		return rc;
	for (ti = 0; ti < b->pr->nteach && !rc; ti++)
		rc = eng_build_teacher(b, (size_t)b->pr->teach[ti], c->resp + b->pr->teach[ti], c->nmodels);
	if (rc || (rc = eng_build_count(b, &k)) || (rc = build_markers(b))) {
		eng_build_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int eng_prepare(struct eng_prep **out, const struct eng_corpus *c, const struct eng_params *p, int threads)
{
	struct eng_build *b;
	struct eng_chunk k = { 0, c->nprompts, c->resp };
	int rc;

	*out = NULL;
	if ((rc = build_resident(&b, c, p, threads)))
		return rc;
	if (!(rc = eng_build_table(b, &k)))
		rc = eng_build_finish(b, out);
	eng_build_free(b);
	return rc;
}

/* ---------------------------------------------------------------- the plain way */

/*
 * The null table computed pair by pair: for every entry, the panel mean of
 * every channel is summed over the panel's answers one by one, and every
 * phrase rate is counted from the answer's n-grams and the marker set.
 */
int eng_prepare_naive(struct eng_prep **out, const struct eng_corpus *c, const struct eng_params *p)
{
	struct eng_build *bd;
	struct eng_prep *pr;
	struct lexws ws;
	size_t nm = c->nmodels, q, ti, a, b, capg = 0;
	uint64_t *grams = NULL;
	float *zu = NULL;
	double *rate = NULL;
	int rc;

	*out = NULL;
	if ((rc = build_resident(&bd, c, p, 1)))
		return rc;
	pr = bd->pr;           /* the markers and offsets, as eng_prepare has them; the table is filled here */
	bd->pr = NULL;
	eng_build_free(bd);
	zu = prov_calloc(nm * FEAT_STYLE_DIM + 1, sizeof(*zu));
	rate = prov_calloc(nm + 1, sizeof(*rate));
	if (!zu || !rate || (rc = lexws_init(&ws, nm))) {
		free(zu);
		free(rate);
		eng_prep_free(pr);
		return rc ? rc : PROV_ENOMEM;
	}
	for (q = 0; q < c->nprompts && !rc; q++) {
		const struct feat *const *row = c->resp + q * nm;
		size_t k = 0;

		lexws_reset(&ws);
		for (a = 0; a < nm && !rc; a++) {
			rc = lexws_add(&ws, a, row[a], pr->params.lex_max_n);
			if (row[a]) {
				k++;
				prep_unit_style(zu + a * FEAT_STYLE_DIM, row[a]->style, pr);
			}
		}
		if (rc || (rc = lexws_weigh(&ws, k)))
			break;
		for (ti = 0; ti < pr->nteach && !rc; ti++) {
			size_t t = (size_t)pr->teach[ti];
			const char *fname = eng_family(&c->models[t]);
			struct eng_entry *e = pr->ent + pr->off[q * pr->nteach + ti];

			if (!row[t])
				continue;
			for (a = 0; a < nm; a++) {
				size_t ng = 0;

				if (!row[a] || pr->fam[a] == pr->fam[t])
					continue;
				if ((rc = grams_all(&grams, &capg, &ng, row[a], pr->params.phrase_max_n, 1)))
					break;
				rate[a] = markers_rate(&pr->mk[mk_slot(ti, c->fold[q], pr->group[a])], grams, ng);
			}
			for (a = 0; a < nm && !rc; a++) {
				double sl = 0, ss = 0, so = 0, sr = 0, si = 0, sp = 0;
				size_t n = 0, np = 0;

				if (!row[a] || pr->fam[a] == pr->fam[t])
					continue;
				for (b = 0; b < nm; b++) {
					if (!row[b] || pr->fam[b] == pr->fam[t] || pr->fam[b] == pr->fam[a])
						continue;
					sl += lexws_cos(&ws, a, b);
					ss += style_dot(zu + a * FEAT_STYLE_DIM, zu + b * FEAT_STYLE_DIM);
					so += open_match(row[a], row[b]);
					sr += feat_refusal_agreement(row[a], row[b]);
					si += feat_claims_family(row[b], fname);
					n++;
					if (pr->group[b] == pr->group[a]) {
						sp += rate[b];
						np++;
					}
				}
				e->y = (uint32_t)a;
				e->rate = (float)rate[a];
				if (!n) {
					e->lex = e->sty = e->phr = e->cnt = NAN;
				} else {
					e->lex = (float)(lexws_cos(&ws, a, t) - sl / (double)n);
					e->sty = (float)(style_dot(zu + a * FEAT_STYLE_DIM, zu + t * FEAT_STYLE_DIM) - ss / (double)n);
					e->cnt = (float)((open_match(row[a], row[t]) - so / (double)n) +
						(feat_refusal_agreement(row[a], row[t]) - sr / (double)n) +
						(feat_claims_family(row[a], fname) - si / (double)n));
					e->phr = np ? (float)(rate[a] - sp / (double)np) : NAN;
				}
				e++;
			}
		}
	}
	lexws_release(&ws);
	free(zu);
	free(rate);
	free(grams);
	if (!rc)
		rc = prep_finish(pr, c);
	if (rc) {
		eng_prep_free(pr);
		return rc;
	}
	*out = pr;
	return 0;
}

static double fdiff(float a, float b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) ? 0 : INFINITY;
	return fabs((double)a - (double)b);
}

double eng_prep_diff(const struct eng_prep *a, const struct eng_prep *b)
{
	size_t i;
	double m = 0;

	if (a->nent != b->nent || a->nteach != b->nteach || a->nprompts != b->nprompts)
		return NAN;
	for (i = 0; i < a->nent; i++) {
		const struct eng_entry *x = &a->ent[i], *y = &b->ent[i];

		if (x->y != y->y)
			return NAN;
		m = fmax(m, fdiff(x->lex, y->lex));
		m = fmax(m, fdiff(x->sty, y->sty));
		m = fmax(m, fdiff(x->phr, y->phr));
		m = fmax(m, fdiff(x->cnt, y->cnt));
		m = fmax(m, fdiff(x->rate, y->rate));
	}
	return m;
}

/* ---------------------------------------------------------------- lifetime and the cache */

void eng_prep_free(struct eng_prep *pr)
{
	size_t i;

	if (!pr)
		return;
	if (pr->mk)
		for (i = 0; i < pr->nteach * 4; i++)
			markers_release(&pr->mk[i]);
	free(pr->mk);
	mk_index_release(&pr->mi);
	free(pr->model_style);
	free(pr->fam);
	free(pr->group);
	free(pr->col);
	free(pr->teach);
	free(pr->tix);
	free(pr->scale);
	free(pr->mean_rate);
	free(pr->claim_rate);
	free(pr->off);
	if (pr->backing)
		free(pr->backing);     /* the entries live in the cache value they were read from */
	else
		free(pr->ent);
	free(pr);
}

size_t eng_prep_estimate(const struct eng_corpus *c)
{
	size_t nm = c->nmodels, q, m, ent = 0, nt = 0;

	for (m = 0; m < nm; m++)
		nt += c->models[m].teacher != 0;
	for (q = 0; q < c->nprompts; q++) {
		size_t na = 0, nq = 0;

		for (m = 0; m < nm; m++)
			if (answered(c, q, m)) {
				na++;
				nq += c->models[m].teacher != 0;
			}
		ent += na * nq;   /* at most: every answer against every teacher that answered */
	}
	return ent * sizeof(struct eng_entry) + (c->nprompts * nt + 1) * sizeof(uint64_t) +
		nm * (nt * 3 * sizeof(double) + FEAT_STYLE_DIM * sizeof(float));
}

size_t eng_prep_bytes(const struct eng_prep *pr)
{
	size_t b = sizeof(*pr), i;

	b += pr->nmodels * (FEAT_STYLE_DIM * sizeof(float) + 3 * sizeof(int) + 2);
	b += pr->nteach * 3 * sizeof(float) + pr->nmodels * pr->nteach * 2 * sizeof(float);
	b += pr->nmodels * pr->nteach * sizeof(double);
	b += (pr->nprompts * pr->nteach + 1) * sizeof(uint64_t) + pr->nent * sizeof(struct eng_entry);
	for (i = 0; i < pr->nteach * 4; i++)
		b += pr->mk[i].n * (8 + 12) + pr->mk[i].set.cap * 12;
	b += pr->mi.map.cap * 12 + pr->nteach * 4 * pr->mi.words * 8;
	return b;
}
