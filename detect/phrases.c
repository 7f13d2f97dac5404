/*
 * phrases.c: see phrases.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect/lexical.h"
#include "detect/phrases.h"

#define RATE_SMOOTH 50.0

uint8_t phr_group_of(const char *family)
{
	return (uint8_t)(prov_hash64(family, strlen(family), 0x9a0f) >> 17 & 1);
}

void foldstats_release(struct foldstats *fs)
{
	free(fs->gram);
	free(fs->count);
	free(fs->answers);
	memset(fs, 0, sizeof(*fs));
}

void markers_release(struct markers *mk)
{
	free(mk->gram);
	free(mk->z);
	free(mk->rate_t);
	free(mk->rate_c);
	hmap_release(&mk->set);
	memset(mk, 0, sizeof(*mk));
}

/* The answer-unique grams of one answer, sorted; *n receives the count. */
static int unique_grams(uint64_t **g, size_t *capg, uint64_t **tmp, size_t *captmp, size_t *n,
	const struct feat *f, int maxn)
{
	size_t ng = 0;
	int rc;

	if ((rc = grams_all(g, capg, &ng, f, maxn, 1)))
		return rc;
	if (ng > *captmp) {
		uint64_t *t2 = prov_reallocarray(*tmp, ng, sizeof(*t2));

		if (!t2)
			return PROV_ENOMEM;
		*tmp = t2;
		*captmp = ng;
	}
	*n = ng ? sort_unique(*g, *tmp, ng) : 0;
	return 0;
}

/* Pass 1: the grams teacher answers `col` (prompt q at col[q * stride]) use in >= min_docs answers of each fold. */
int phr_build_teacher(struct phr_build *b, const struct feat *const *col, size_t stride, const uint8_t *fold,
	size_t np, const struct eng_params *p)
{
	uint64_t *list = NULL, *grams = NULL, *tmp = NULL;
	size_t caplist = 0, capg = 0, captmp = 0, q, i;
	int rc = 0, f;

	for (f = 0; f < 2 && !rc; f++) {
		size_t n = 0;

		for (q = 0; q < np; q++) {
			const struct feat *ft = col[q * stride];
			size_t ng = 0;

			if (!ft || fold[q] != f)
				continue;
			if ((rc = unique_grams(&grams, &capg, &tmp, &captmp, &ng, ft, p->phrase_max_n)))
				goto done;
			if ((rc = prov_grow(&list, &caplist, n + ng, sizeof(*list), 65536)))
				goto done;
			memcpy(list + n, grams, ng * sizeof(*grams));
			n += ng;
		}
		if (n > captmp) {
			uint64_t *t2 = prov_reallocarray(tmp, n, sizeof(*t2));

			if (!t2) {
				rc = PROV_ENOMEM;
				goto done;
			}
			tmp = t2;
			captmp = n;
		}
		if (n)
			radix_sort_u64(list, tmp, n);
		for (i = 0; i < n;) {
			size_t j = i;

			while (j < n && list[j] == list[i])
				j++;
			if (j - i >= (size_t)p->phrase_min_docs) {
				if ((rc = prov_grow(&b->cand[f], &b->capcand[f], b->ncand[f] + 1, sizeof(uint64_t), 4096)))
					goto done;
				b->cand[f][b->ncand[f]++] = list[i];
			}
			i = j;
		}
	}
done:
	free(list);
	free(grams);
	free(tmp);
	return rc;
}

int phr_build_ready(struct phr_build *b, const struct phr_layout *lay, int threads)
{
	size_t width = 2 + lay->ncols, i, cells;
	int f, t, rc;

	if (threads < 1)
		threads = 1;
	b->threads = threads;
	b->width = width;
	for (f = 0; f < 2; f++) {
		struct foldstats *fs = &b->fs[f];
		uint64_t *tmp = prov_calloc(b->ncand[f] + 1, sizeof(*tmp));

		if (!tmp)
			return PROV_ENOMEM;
		fs->ncand = b->ncand[f] ? sort_unique(b->cand[f], tmp, b->ncand[f]) : 0;
		free(tmp);
		fs->gram = b->cand[f];
		b->cand[f] = NULL;
		b->ncand[f] = 0;
		fs->answers = prov_calloc(lay->nmodels + 1, sizeof(*fs->answers));
		cells = fs->ncand * width;
		b->count[f] = prov_calloc((size_t)threads, sizeof(*b->count[f]));
		if (!fs->answers || !b->count[f] || (rc = hmap_init(&b->idx[f], fs->ncand + 16)))
			return PROV_ENOMEM;
		for (t = 0; t < threads; t++)
			if (!(b->count[f][t] = prov_calloc(cells + 1, sizeof(uint32_t))))
				return PROV_ENOMEM;
		for (i = 0; i < fs->ncand; i++) {
			size_t s;

			if ((rc = hmap_put(&b->idx[f], fs->gram[i], (uint32_t)i, &s)) < 0)
				return rc;
		}
	}
	return 0;
}

struct count_job {
	struct phr_build *b;
	const struct eng_corpus *c;
	const struct phr_layout *lay;
	const struct eng_params *p;
	const struct eng_chunk *k;
	int t;                      /* this job's count arrays */
	size_t m0, m1;              /* models [m0, m1) */
	int rc;
};

static void *count_run(void *arg)
{
	struct count_job *j = arg;
	const struct eng_corpus *c = j->c;
	const struct eng_chunk *ch = j->k;
	size_t nm = c->nmodels, width = j->b->width, m, q, k, capg = 0, captmp = 0;
	uint64_t *grams = NULL, *tmp = NULL;

	for (m = j->m0; m < j->m1 && !j->rc; m++) {
		int col = j->lay->col[m];
		size_t g = j->lay->group[m];

		for (q = ch->q0; q < ch->q1 && !j->rc; q++) {
			const struct feat *ft = ch->resp[(q - ch->q0) * nm + m];
			int f = c->fold[q];
			uint32_t *count = j->b->count[f][j->t];
			size_t ng = 0;

			if (!ft)
				continue;
			if ((j->rc = unique_grams(&grams, &capg, &tmp, &captmp, &ng, ft, j->p->phrase_max_n)))
				break;
			for (k = 0; k < ng; k++) {
				uint32_t ci;

				if (!hmap_get(&j->b->idx[f], grams[k], &ci))
					continue;
				count[(size_t)ci * width + g]++;
				if (col >= 0)
					count[(size_t)ci * width + 2 + (size_t)col]++;
			}
		}
	}
	free(grams);
	free(tmp);
	return NULL;
}

int phr_build_count(struct phr_build *b, const struct eng_corpus *c, const struct phr_layout *lay,
	const struct eng_params *p, const struct eng_chunk *k)
{
	size_t nm = c->nmodels, q, m;
	int threads = b->threads, t, started = 0, rc = 0;
	struct count_job *jobs;
	pthread_t *tid;

	if ((size_t)threads > nm)
		threads = nm ? (int)nm : 1;
	for (q = k->q0; q < k->q1; q++)
		for (m = 0; m < nm; m++)
			b->fs[c->fold[q]].answers[m] += k->resp[(q - k->q0) * nm + m] != NULL;
	jobs = prov_calloc((size_t)threads, sizeof(*jobs));
	tid = prov_calloc((size_t)threads, sizeof(*tid));
	if (!jobs || !tid) {
		free(jobs);
		free(tid);
		return PROV_ENOMEM;
	}
	for (t = 0; t < threads; t++) {
		struct count_job *j = &jobs[t];

		j->b = b;
		j->c = c;
		j->lay = lay;
		j->p = p;
		j->k = k;
		j->t = t;
		j->m0 = nm * (size_t)t / (size_t)threads;
		j->m1 = nm * (size_t)(t + 1) / (size_t)threads;
	}
	for (t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, count_run, &jobs[t])) {
			rc = prov_error(PROV_EINTERNAL, "cannot start a thread");
			break;
		}
		started = t;
	}
	count_run(&jobs[0]);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	for (t = 0; t < threads && !rc; t++)
		if (jobs[t].rc)
			rc = jobs[t].rc;
	free(jobs);
	free(tid);
	return rc;
}

void phr_build_counted(struct phr_build *b)
{
	size_t i;
	int f, t;

	/* integer sums: the same whatever the split into threads and chunks */
	for (f = 0; f < 2; f++) {
		size_t cells = b->fs[f].ncand * b->width;

		if (!b->count[f])
			continue;
		b->fs[f].count = b->count[f][0];
		b->count[f][0] = NULL;
		for (t = 1; t < b->threads; t++) {
			for (i = 0; i < cells; i++)
				b->fs[f].count[i] += b->count[f][t][i];
			free(b->count[f][t]);
			b->count[f][t] = NULL;
		}
		hmap_release(&b->idx[f]);
	}
}

void phr_build_release(struct phr_build *b)
{
	int f, t;

	for (f = 0; f < 2; f++) {
		free(b->cand[f]);
		if (b->count[f])
			for (t = 0; t < b->threads; t++)
				free(b->count[f][t]);
		free(b->count[f]);
		hmap_release(&b->idx[f]);
		foldstats_release(&b->fs[f]);
	}
	memset(b, 0, sizeof(*b));
}

struct zg {
	double z;
	size_t i;
};

static int cmp_zg(const void *a, const void *b)
{
	const struct zg *x = a, *y = b;

	if (x->z > y->z)
		return -1;
	if (x->z < y->z)
		return 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int markers_select(struct markers *out, const struct foldstats *fs, const struct phr_layout *lay, size_t t,
	int g, const struct eng_params *p)
{
	size_t nm = lay->nmodels, width = 2 + lay->ncols, i, m, keep = 0, nsub = 0;
	size_t *sub = NULL;
	double nt = fs->answers[t], nc = 0;
	struct zg *cand = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	sub = prov_calloc(nm + 1, sizeof(*sub));
	if (!sub)
		return PROV_ENOMEM;
	/* the controls: group g, outside t's family (whose members are all tracked) */
	for (m = 0; m < nm; m++) {
		if (lay->group[m] != g)
			continue;
		if (lay->fam[m] == lay->fam[t]) {
			if (lay->col[m] >= 0)
				sub[nsub++] = 2 + (size_t)lay->col[m];
			continue;
		}
		nc += fs->answers[m];
	}
	if (nt < 1 || nc < 1 || lay->col[t] < 0) {
		free(sub);
		return hmap_init(&out->set, 16);
	}
	cand = prov_calloc(fs->ncand ? fs->ncand : 1, sizeof(*cand));
	if (!cand) {
		free(sub);
		return PROV_ENOMEM;
	}
	for (i = 0; i < fs->ncand; i++) {
		const uint32_t *cnt = fs->count + i * width;
		double a = cnt[2 + lay->col[t]], b = cnt[g], pi, a1, a2, delta, var;
		size_t k;

		if (a < p->phrase_min_docs)
			continue;
		for (k = 0; k < nsub; k++)
			b -= cnt[sub[k]];
		pi = (a + b) / (nt + nc);
		a1 = p->phrase_prior * pi + 0.5;
		a2 = p->phrase_prior * (1 - pi) + 0.5;
		delta = log((a + a1) / (nt - a + a2)) - log((b + a1) / (nc - b + a2));
		var = 1 / (a + a1) + 1 / (nt - a + a2) + 1 / (b + a1) + 1 / (nc - b + a2);
		cand[keep].z = delta / sqrt(var);
		cand[keep].i = i;
		if (cand[keep].z > p->phrase_min_z)
			keep++;
	}
	qsort(cand, keep, sizeof(*cand), cmp_zg);
	if (keep > (size_t)p->phrase_markers)
		keep = (size_t)p->phrase_markers;
	out->n = keep;
	out->gram = prov_calloc(keep ? keep : 1, sizeof(*out->gram));
	out->z = prov_calloc(keep ? keep : 1, sizeof(*out->z));
	out->rate_t = prov_calloc(keep ? keep : 1, sizeof(*out->rate_t));
	out->rate_c = prov_calloc(keep ? keep : 1, sizeof(*out->rate_c));
	if (!out->gram || !out->z || !out->rate_t || !out->rate_c || hmap_init(&out->set, keep + 8)) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < keep; i++) {
		const uint32_t *cnt = fs->count + cand[i].i * width;
		double b = cnt[g];
		size_t s, k;

		for (k = 0; k < nsub; k++)
			b -= cnt[sub[k]];
		out->gram[i] = fs->gram[cand[i].i];
		out->z[i] = (float)cand[i].z;
		out->rate_t[i] = (float)(cnt[2 + lay->col[t]] / nt);
		out->rate_c[i] = (float)(b / nc);
		if (hmap_put(&out->set, out->gram[i], (uint32_t)i, &s) < 0) {
			rc = PROV_ENOMEM;
			goto done;
		}
	}
done:
	free(cand);
	free(sub);
	if (rc)
		markers_release(out);
	return rc;
}

double markers_rate_hits(size_t hits, size_t ng)
{
	return 1000.0 * (double)hits / ((double)ng + RATE_SMOOTH);
}

double markers_rate(const struct markers *mk, const uint64_t *grams, size_t ng)
{
	size_t i, hits = 0;
	uint32_t v;

	if (!mk->n)
		return 0;
	for (i = 0; i < ng; i++)
		if (hmap_get(&mk->set, grams[i], &v))
			hits++;
	return markers_rate_hits(hits, ng);
}
