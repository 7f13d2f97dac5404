/*
 * stats.h: the statistics the engine and the validation use. Pure, deterministic.
 */
#ifndef PROV_STATS_H
#define PROV_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Upper tail of the standard normal: P(Z >= z). */
double stat_norm_sf(double z);

/* Below this many pairs the sign-flip test is run by Monte Carlo instead of the normal approximation. */
#define STAT_EXACT_BELOW 30
#define STAT_MC_DRAWS 20000

struct stat_test {
	size_t n;        /* values that entered the test */
	double mean;
	double sd;       /* sample standard deviation */
	double effect;   /* mean / sd (Cohen's d_z); 0 when sd == 0 */
	double z;        /* sum / sqrt(sum of squares): the sign-flip statistic, standardised */
	double p;        /* one-sided P(sum >= observed) under random sign flips */
};

/*
 * One-sided sign-flip (randomisation) test of H0: the values d_i are symmetric
 * about 0, against E[d] > 0. For n >= STAT_EXACT_BELOW the randomisation
 * distribution of the sum is approximated by a normal with variance sum(d_i^2);
 * below that, STAT_MC_DRAWS random sign vectors from a generator seeded with
 * `seed` give p = (1 + #{sum* >= sum}) / (1 + draws). n == 0 gives p = 1.
 */
void stat_signflip(struct stat_test *out, const double *d, size_t n, uint64_t seed);

/* Holm's step-down adjustment of n p-values (out may equal p). */
void stat_holm(double *out, const double *p, size_t n);
/* The same, and (factor, may be NULL) the multiplier n - rank applied to each p before the running maximum. */
void stat_holm_factors(double *out, int *factor, const double *p, size_t n);

/* Wilson score interval for k successes in n trials at normal quantile z (1.96 for 95%). */
void stat_wilson(double *lo, double *hi, long k, long n, double z);

/*
 * Area under the ROC curve: the probability that a random positive scores
 * higher than a random negative (ties count one half). NAN if either is empty.
 */
double stat_auc(const double *pos, size_t npos, const double *neg, size_t nneg);

/* Deterministic 64-bit generator (splitmix64) for the Monte Carlo draws. */
uint64_t stat_rand(uint64_t *state);

#endif
