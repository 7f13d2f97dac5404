/*
 * calib.h: the calibrated test. The suspect's statistic against a teacher is
 * compared with the same statistic of every null model (panel models scanned
 * as pseudo-suspects on the suspect's prompts). Pure arithmetic on arrays.
 */
#ifndef PROV_CALIB_H
#define PROV_CALIB_H

#include <stddef.h>
#include "detect/engine.h"

struct cal_result {
	size_t k;                 /* null models */
	double mean, sd;          /* of the null statistics */
	double t, df, p;          /* Crawford-Howell single-case t, one-sided p (NAN if undefined) */
	double p_holm;            /* p times the Holm factor, at most 1 */
	double position;          /* (stat - mean) / sd */
	int rank;                 /* 1 + null statistics at or above stat */
	double rank_p;            /* rank / (k + 1) */
};

/*
 * Crawford and Howell (1998): t = (x - mean) / (sd * sqrt((k + 1) / k)) with
 * k - 1 degrees of freedom tests whether x comes from the population the k
 * null values were drawn from. `skip` (-1 for none) leaves one null value out.
 */
void cal_test(struct cal_result *out, double stat, const double *null, size_t k, long skip, int holm_factor);

/* The level the calibrated result reaches (never inconclusive; the caller decides that). */
enum eng_verdict cal_level(const struct cal_result *r, double stat, const struct eng_params *p);

/*
 * The number of prompts at which the same effect would reach p_holm <= alpha:
 * the null spread is modelled as between-model variance tau^2 plus per-prompt
 * variance sigma2 / n (tau^2 = sd^2 - sigma2 / nbar, at least 0). -1 when no
 * number of prompts reaches it (the effect is not above the null mean, or
 * the models differ by more than the effect even with endless prompts).
 */
long cal_prompts_needed(const struct cal_result *r, double stat, double sigma2, double nbar, int holm_factor,
	double alpha);

#endif
