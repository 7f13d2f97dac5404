/*
 * ownctl.c: the suspect as its own control (logged versus fresh teacher
 * answers): per-prompt sample-specific similarities and the exact
 * within-prompt permutation test.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/ownctl.h"
#include "detect/stats.h"
#include "detect/util.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sorted unique k-grams of a tokenised text (*out NULL-free even when empty). */
static int kgrams(uint64_t **out, size_t *nout, const struct tokens *t, size_t k)
{
	uint32_t *h = prov_calloc(t->n ? t->n : 1, sizeof(*h));
	size_t i;
	int rc;

	*out = NULL;
	*nout = 0;
	if (!h)
		return PROV_ENOMEM;
	for (i = 0; i < t->n; i++)
		h[i] = t->v[i].hash;
	rc = spans_ngrams(out, nout, h, t->n, k);
	free(h);
	return rc;
}

static int has(const uint64_t *v, size_t n, uint64_t x)
{
	return n && bsearch(&x, v, n, sizeof(*v), cmp_u64) != NULL;
}

int ownctl_prompt_score(struct ownctl_prompt *out, const struct tokens *suspect, const struct tokens *ans,
	size_t m, size_t k, size_t max_spans)
{
	uint64_t *sg = NULL, **ag = NULL, *fresh = NULL;
	size_t nsg = 0, *nag = NULL, nfresh = 0, i, c;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!m || m > OWNCTL_MAX_FRESH || !k)
		return prov_error(PROV_EUSAGE, "own-control test: %zu fresh answers (1 to %d) with %zu-grams", m,
			OWNCTL_MAX_FRESH, k);
	out->m = m;
	out->sim = prov_calloc(m + 1, sizeof(*out->sim));
	ag = prov_calloc(m + 1, sizeof(*ag));
	nag = prov_calloc(m + 1, sizeof(*nag));
	if (!out->sim || !ag || !nag) {
		rc = PROV_ENOMEM;
		goto done;
	}
	if ((rc = kgrams(&sg, &nsg, suspect, k)))
		goto done;
	for (c = 0; c <= m; c++)
		if ((rc = kgrams(&ag[c], &nag[c], &ans[c], k)))
			goto done;
	for (i = 0; i < nsg; i++) {
		size_t hits = 0, who = 0;

		for (c = 0; c <= m && hits < 2; c++)
			if (has(ag[c], nag[c], sg[i])) {
				hits++;
				who = c;
			}
		if (hits == 1)
			out->sim[who]++;
	}
	/* the evidence: passages of S and L that run through no k-gram of any fresh answer */
	for (c = 1; c <= m; c++)
		nfresh += nag[c];
	fresh = prov_calloc(nfresh ? nfresh : 1, sizeof(*fresh));
	if (!fresh) {
		rc = PROV_ENOMEM;
		goto done;
	}
	nfresh = 0;
	for (c = 1; c <= m; c++) {
		if (nag[c])
			memcpy(fresh + nfresh, ag[c], nag[c] * sizeof(*fresh));
		nfresh += nag[c];
	}
	qsort(fresh, nfresh, sizeof(*fresh), cmp_u64);
	if (max_spans)
		rc = spans_find(&out->spans, &out->nspans, suspect, &ans[0], k, fresh, nfresh, max_spans);
done:
	free(sg);
	if (ag)
		for (c = 0; c <= m; c++)
			free(ag[c]);
	free(ag);
	free(nag);
	free(fresh);
	if (rc)
		ownctl_prompt_release(out);
	return rc;
}

void ownctl_prompt_release(struct ownctl_prompt *p)
{
	if (!p)
		return;
	free(p->sim);
	free(p->spans);
	memset(p, 0, sizeof(*p));
}

/* A uniform integer in [0, k) (rejection sampling: no modulo bias). */
static size_t uniform(uint64_t *state, size_t k)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)k, r;

	do
		r = stat_rand(state);
	while (r >= limit);
	return (size_t)(r % (uint64_t)k);
}

/*
 * P(T* >= t) by convolving the per-prompt uniform distributions over their
 * m_i + 1 similarities (long double: the smallest atom, prod 1/(m_i + 1),
 * stays representable far beyond double's range).
 */
static int exact_tail(double *out, const struct ownctl_prompt *p, size_t n, uint64_t t, uint64_t range)
{
	long double *a = prov_calloc(range + 1, sizeof(*a)), *b = prov_calloc(range + 1, sizeof(*b)), *sw, tail = 0;
	uint64_t top = 0, v, i;
	size_t c;

	if (!a || !b) {
		free(a);
		free(b);
		return PROV_ENOMEM;
	}
	a[0] = 1;
	for (i = 0; i < n; i++) {
		uint32_t mx = 0;
		long double w = 1.0L / (long double)(p[i].m + 1);

		for (c = 0; c <= p[i].m; c++)
			if (p[i].sim[c] > mx)
				mx = p[i].sim[c];
		memset(b, 0, (top + mx + 1) * sizeof(*b));
		for (v = 0; v <= top; v++) {
			if (a[v] == 0)
				continue;
			for (c = 0; c <= p[i].m; c++)
				b[v + p[i].sim[c]] += a[v] * w;
		}
		top += mx;
		sw = a;
		a = b;
		b = sw;
	}
	for (v = t; v <= top; v++)
		tail += a[v];
	free(a);
	free(b);
	*out = tail > 1 ? 1.0 : tail < DBL_MIN ? DBL_MIN : (double)tail;
	return 0;
}

int ownctl_test(struct ownctl_result *out, const struct ownctl_prompt *p, size_t n, uint64_t draws, uint64_t seed)
{
	double sumd = 0, ssd = 0, cost = 0, meand;
	uint64_t t = 0, range = 0, d, state;
	size_t i, c;

	memset(out, 0, sizeof(*out));
	out->prompts = n;
	out->seed = seed;
	out->p = 1.0;
	out->exact = 1;
	if (!n)
		return 0;
	out->fresh_min = SIZE_MAX;
	for (i = 0; i < n; i++) {
		double mean = 0, var = 0, fr = 0;
		uint32_t mx = 0;

		if (p[i].m < out->fresh_min)
			out->fresh_min = p[i].m;
		if (p[i].m > out->fresh_max)
			out->fresh_max = p[i].m;
		for (c = 0; c <= p[i].m; c++) {
			mean += p[i].sim[c];
			if (c)
				fr += p[i].sim[c];
			if (p[i].sim[c] > mx)
				mx = p[i].sim[c];
		}
		mean /= (double)(p[i].m + 1);
		fr /= (double)p[i].m;
		for (c = 0; c <= p[i].m; c++)
			var += (p[i].sim[c] - mean) * (p[i].sim[c] - mean);
		out->null_mean += mean;
		out->null_sd += var / (double)(p[i].m + 1);   /* a variance until the end */
		t += p[i].sim[0];
		out->mean_logged += p[i].sim[0];
		out->mean_fresh += fr;
		sumd += p[i].sim[0] - fr;
		ssd += (p[i].sim[0] - fr) * (p[i].sim[0] - fr);
		range += mx;
		cost += (double)(range + 1) * (double)(p[i].m + 1);
	}
	out->statistic = (double)t;
	out->null_sd = sqrt(out->null_sd);
	out->z = out->null_sd > 0 ? (out->statistic - out->null_mean) / out->null_sd : 0;
	out->mean_logged /= (double)n;
	out->mean_fresh /= (double)n;
	meand = sumd / (double)n;
	if (n > 1) {
		double sd = sqrt((ssd - (double)n * meand * meand) / (double)(n - 1));

		out->effect = sd > 1e-12 * (fabs(meand) + 1) ? meand / sd : 0;
	}
	if (!draws && cost <= OWNCTL_EXACT_COST && range <= OWNCTL_EXACT_RANGE)
		return exact_tail(&out->p, p, n, t, range);
	out->exact = 0;
	out->draws = draws ? draws : OWNCTL_DRAWS;
	state = seed;
	for (d = 0; d < out->draws; d++) {
		uint64_t s = 0;

		for (i = 0; i < n; i++)
			s += p[i].sim[uniform(&state, p[i].m + 1)];
		if (s >= t)
			out->at_least++;
	}
	out->p = (1.0 + (double)out->at_least) / (1.0 + (double)out->draws);
	return 0;
}
