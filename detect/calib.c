/*
 * calib.c: see calib.h. The Student t tail comes from GSL.
 */
#include <math.h>
#include <gsl/gsl_cdf.h>

#include "detect/calib.h"

void cal_test(struct cal_result *out, double stat, const double *null, size_t k, long skip, int holm_factor)
{
	double sum = 0, ss = 0;
	size_t i, n = 0;

	out->rank = 1;
	for (i = 0; i < k; i++) {
		if ((long)i == skip)
			continue;
		sum += null[i];
		n++;
		if (null[i] >= stat)
			out->rank++;
	}
	out->k = n;
	out->mean = n ? sum / (double)n : NAN;
	for (i = 0; i < k; i++)
		if ((long)i != skip)
			ss += (null[i] - out->mean) * (null[i] - out->mean);
	out->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
	out->rank_p = (double)out->rank / (double)(n + 1);
	out->df = n > 1 ? (double)(n - 1) : NAN;
	if (n < 2 || !(out->sd > 0)) {
		out->t = out->p = out->p_holm = out->position = NAN;
		return;
	}
	out->position = (stat - out->mean) / out->sd;
	out->t = (stat - out->mean) / (out->sd * sqrt((double)(n + 1) / (double)n));
	out->p = gsl_cdf_tdist_Q(out->t, out->df);
	out->p_holm = fmin(1.0, out->p * (holm_factor > 0 ? holm_factor : 1));
}

enum eng_verdict cal_level(const struct cal_result *r, double stat, const struct eng_params *p)
{
	if (isnan(r->p_holm) || !(stat > 0))
		return V_NONE;
	if (r->p_holm <= p->strong_p && r->rank == 1)
		return V_STRONG;
	if (r->p_holm <= p->moderate_p && r->rank == 1)
		return V_MODERATE;
	if (r->p_holm <= p->weak_p)
		return V_WEAK;
	return V_NONE;
}

static double p_at(const struct cal_result *r, double stat, double tau2, double sigma2, double n, int factor)
{
	double sd = sqrt(tau2 + sigma2 / n);
	double t = (stat - r->mean) / (sd * sqrt((double)(r->k + 1) / (double)r->k));

	return fmin(1.0, gsl_cdf_tdist_Q(t, r->df) * (factor > 0 ? factor : 1));
}

long cal_prompts_needed(const struct cal_result *r, double stat, double sigma2, double nbar, int holm_factor,
	double alpha)
{
	double tau2;
	long lo = 1, hi = 1000000;

	if (isnan(r->p) || !(stat > r->mean) || !(stat > 0) || !(sigma2 >= 0) || !(nbar > 0))
		return -1;
	tau2 = r->sd * r->sd - sigma2 / nbar;
	if (tau2 < 0)
		tau2 = 0;
	if (p_at(r, stat, tau2, sigma2, (double)hi, holm_factor) > alpha)
		return -1;
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (p_at(r, stat, tau2, sigma2, (double)mid, holm_factor) <= alpha)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
