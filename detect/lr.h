/*
 * lr.h: likelihood ratios from scores, and how good they are. Pure and
 * deterministic: no I/O. Everything is in natural-log LR ("llr") unless the
 * name says log10.
 *
 * - lr_fit: logistic-regression calibration from one to LR_MAX_INPUTS scores
 *   to ln LR, with prior-independent weighting (Brümmer & du Preez 2006):
 *   positives and negatives each carry half the weight, so the fitted log
 *   odds are a log likelihood ratio and the objective is Cllr itself.
 * - lr_cllr, lr_pav, lr_cllr_min: the log-likelihood-ratio cost, the
 *   pool-adjacent-violators transform, and Cllr after it (the best any
 *   monotone calibration of the same scores could reach).
 * - lr_elub: empirical lower and upper bounds on the LR (Vergeer et al. 2016,
 *   after Ishihara): the widest range in which the LRs still beat a system
 *   that always says LR = 1, with one misleading case added at the bound.
 * - lr_misleading, lr_verbal: rates of misleading evidence, and the ENFSI 2015
 *   verbal scale.
 */
#ifndef PROV_LR_H
#define PROV_LR_H

#include <stddef.h>

#define LR_MAX_INPUTS 3
/* The ridge penalty on the standardised input weights (not the intercept): keeps separable data finite. */
#define LR_RIDGE 1e-3

struct lr_fit {
	size_t d;                        /* inputs */
	double w[LR_MAX_INPUTS + 1];     /* ln LR = w[0] + sum over k of w[k + 1] * x[k] */
	int iterations;                  /* Newton steps taken */
	int converged;                   /* 1: the gradient vanished within the iteration limit */
};

/*
 * Fit ln LR = w0 + w . x to n labelled rows: x is n * d doubles, row-major;
 * y[i] is 1 for a positive (Hp true), 0 for a negative. Minimises
 *   (1/2Np) sum_pos ln(1 + e^-llr) + (1/2Nn) sum_neg ln(1 + e^llr)
 *   + LR_RIDGE/2 * |w on standardised inputs|^2
 * by Newton's method with step halving (Cholesky from GSL), from zero.
 * Returns 0, or PROV_EUSAGE (no positive or no negative, d out of range, a
 * non-finite input), PROV_ENOMEM.
 */
int lr_fit(struct lr_fit *out, const double *x, const int *y, size_t n, size_t d);

/* ln LR of one row of d inputs under a fit. */
double lr_apply(const struct lr_fit *f, const double *x);

/*
 * Cllr in bits: (1/2Np) sum_pos log2(1 + 1/LR) + (1/2Nn) sum_neg log2(1 + LR).
 * 0 is perfect, 1 is a system that always says LR = 1. llr may be +-inf.
 * NAN without a positive or a negative.
 */
double lr_cllr(const double *llr, const int *y, size_t n);

/*
 * The PAV transform: out[i] = the ln LR of score[i] under the monotone
 * (non-decreasing) step function that is optimal on these labels: blocks of
 * tied scores are pooled first; a block with p positives of Np and q
 * negatives of Nn gets ln((p/Np) / (q/Nn)) (+-inf when p or q is 0).
 * Returns 0, PROV_ENOMEM or PROV_EUSAGE (no positive or no negative).
 */
int lr_pav(double *out, const double *score, const int *y, size_t n);

/* lr_cllr(lr_pav(score)): Cllr_min. NAN on error. */
double lr_cllr_min(const double *score, const int *y, size_t n);

struct lr_bounds {
	double lower, upper;   /* as LRs: lower <= 1 <= upper */
};

/*
 * Empirical lower and upper bound (ELUB). For a threshold LR theta >= 1,
 * add one negative at LR = theta and compute the normalised Bayes error
 *   nbe(theta) = theta * #{negatives with LR >= theta} / (Nn + 1)
 *              + #{positives with LR < theta} / Np;
 * a system always saying LR = 1 has nbe = 1 there. The upper bound is the
 * largest theta such that nbe < 1 at every threshold in [1, theta] (computed
 * exactly: nbe is linear in theta between the data's LRs). The lower bound is
 * the same with the roles swapped (one positive added at theta <= 1, nbe =
 * #{pos <= theta}/(theta (Np + 1)) + #{neg > theta}/Nn). Perfectly separated
 * data give [1/(Np + 1), Nn + 1]. Without a positive or a negative: [1, 1].
 */
void lr_elub(struct lr_bounds *out, const double *llr, const int *y, size_t n);

enum lr_bound { LR_BOUND_NONE = 0, LR_BOUND_LOWER, LR_BOUND_UPPER };

/* llr clamped into the bounds; *which (may be NULL) says which bound applied. */
double lr_clamp(double llr, const struct lr_bounds *b, enum lr_bound *which);
const char *lr_bound_name(enum lr_bound b);   /* "none", "lower", "upper" */

struct lr_misleading {
	size_t positives, negatives;
	size_t neg_above_1, neg_above_10, neg_above_100;   /* negatives with LR > 1, 10, 100 */
	size_t pos_below_1, pos_below_tenth;              /* positives with LR < 1, 1/10 */
};

void lr_misleading(struct lr_misleading *out, const double *llr, const int *y, size_t n);

/*
 * The ENFSI (2015) verbal scale for an LR: "neutral" at LR = 1 (within
 * 1e-9), else the band of max(LR, 1/LR): up to 10 "weak", 100 "moderate",
 * 1000 "moderately strong", 10^4 "strong", 10^6 "very strong", above
 * "extremely strong"; each followed by " support". *for_hd (may be NULL) is 1
 * when LR < 1 (the support is for Hd), else 0. Static strings.
 */
const char *lr_verbal(double lr, int *for_hd);

/* Sort a copy of the log10 LRs of one class (y == cls) ascending into out; returns how many. */
size_t lr_tippett(double *out, const double *llr, const int *y, size_t n, int cls);

#endif
