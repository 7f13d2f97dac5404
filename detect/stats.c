/*
 * stats.c: sign-flip test, Holm, Wilson, AUC.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/stats.h"
#include "detect/util.h"

double stat_norm_sf(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

uint64_t stat_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void stat_signflip(struct stat_test *out, const double *d, size_t n, uint64_t seed)
{
	double sum = 0, ss = 0, var = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->p = 1.0;
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		sum += d[i];
		ss += d[i] * d[i];
	}
	out->mean = sum / (double)n;
	for (i = 0; i < n; i++)
		var += (d[i] - out->mean) * (d[i] - out->mean);
	out->sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0.0;
	out->effect = out->sd > 0 ? out->mean / out->sd : 0.0;
	if (ss <= 0) {
		out->z = 0;
		out->p = 1.0;
		return;
	}
	out->z = sum / sqrt(ss);
	if (n >= STAT_EXACT_BELOW) {
		out->p = stat_norm_sf(out->z);
	} else {
		uint64_t state = seed ? seed : 1;
		long ge = 0, draw;
		/* compare with a small tolerance so that ties in floating point count as ties */
		double eps = 1e-12 * sqrt(ss);

		for (draw = 0; draw < STAT_MC_DRAWS; draw++) {
			double s = 0;
			uint64_t bits = 0;

			for (i = 0; i < n; i++) {
				if (i % 64 == 0)
					bits = stat_rand(&state);
				s += (bits & 1) ? d[i] : -d[i];
				bits >>= 1;
			}
			if (s >= sum - eps)
				ge++;
		}
		out->p = (1.0 + (double)ge) / (1.0 + STAT_MC_DRAWS);
	}
}

struct pidx {
	double p;
	size_t i;
};

static int cmp_pidx(const void *a, const void *b)
{
	const struct pidx *x = a, *y = b;

	if (x->p < y->p)
		return -1;
	if (x->p > y->p)
		return 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

void stat_holm_factors(double *out, int *factor, const double *p, size_t n)
{
	struct pidx *v;
	double run = 0;
	size_t k;

	if (n == 0)
		return;
	v = malloc(n * sizeof(*v));
	if (!v) {
		/* cannot sort: Bonferroni is a valid (more conservative) fallback */
		for (k = 0; k < n; k++) {
			out[k] = fmin(1.0, p[k] * (double)n);
			if (factor)
				factor[k] = (int)n;
		}
		return;
	}
	for (k = 0; k < n; k++) {
		v[k].p = p[k];
		v[k].i = k;
	}
	qsort(v, n, sizeof(*v), cmp_pidx);
	for (k = 0; k < n; k++) {
		double adj = fmin(1.0, (double)(n - k) * v[k].p);

		if (adj > run)
			run = adj;
		out[v[k].i] = run;
		if (factor)
			factor[v[k].i] = (int)(n - k);
	}
	free(v);
}

void stat_holm(double *out, const double *p, size_t n)
{
	stat_holm_factors(out, NULL, p, n);
}

void stat_wilson(double *lo, double *hi, long k, long n, double z)
{
	double p, den, centre, half;

	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)k / (double)n;
	den = 1 + z * z / (double)n;
	centre = (p + z * z / (2.0 * (double)n)) / den;
	half = z * sqrt(p * (1 - p) / (double)n + z * z / (4.0 * (double)n * (double)n)) / den;
	*lo = fmax(0.0, centre - half);
	*hi = fmin(1.0, centre + half);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double stat_auc(const double *pos, size_t npos, const double *neg, size_t nneg)
{
	double *n2, wins = 0;
	size_t i;

	if (!npos || !nneg)
		return NAN;
	n2 = malloc(nneg * sizeof(*n2));
	if (!n2)
		return NAN;
	memcpy(n2, neg, nneg * sizeof(*n2));
	qsort(n2, nneg, sizeof(*n2), cmp_double);
	for (i = 0; i < npos; i++) {
		/* count negatives below and equal to pos[i] by binary search */
		size_t lo = 0, hi = nneg, lt, le;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (n2[mid] < pos[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		lt = lo;
		hi = nneg;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (n2[mid] <= pos[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		le = lo;
		wins += (double)lt + 0.5 * (double)(le - lt);
	}
	free(n2);
	return wins / ((double)npos * (double)nneg);
}
