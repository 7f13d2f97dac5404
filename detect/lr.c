/*
 * lr.c: see lr.h. The linear algebra of the Newton steps is GSL's Cholesky.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "detect/lr.h"
#include "detect/util.h"

#define FIT_MAX_ITER 100

/* ln(1 + e^x) without overflow. */
static double softplus(double x)
{
	if (x == INFINITY)
		return INFINITY;
	if (x == -INFINITY)
		return 0;
	return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double sigmoid(double x)
{
	return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* The penalised objective at beta (standardised inputs z, n * d). */
static double objective(const double *beta, const double *z, const int *y, size_t n, size_t d, double wp, double wn)
{
	double J = 0;
	size_t i, k;

	for (i = 0; i < n; i++) {
		double s = beta[0];

		for (k = 0; k < d; k++)
			s += beta[k + 1] * z[i * d + k];
		J += y[i] ? wp * softplus(-s) : wn * softplus(s);
	}
	for (k = 0; k < d; k++)
		J += 0.5 * LR_RIDGE * beta[k + 1] * beta[k + 1];
	return J;
}

int lr_fit(struct lr_fit *out, const double *x, const int *y, size_t n, size_t d)
{
	double mean[LR_MAX_INPUTS], sd[LR_MAX_INPUTS], beta[LR_MAX_INPUTS + 1], wp, wn, J;
	double H[(LR_MAX_INPUTS + 1) * (LR_MAX_INPUTS + 1)], g[LR_MAX_INPUTS + 1], step[LR_MAX_INPUTS + 1];
	size_t np = 0, nn = 0, i, k, l, m = d + 1;
	double *z = NULL;
	int it, rc = 0;
	gsl_error_handler_t *old;

	memset(out, 0, sizeof(*out));
	if (d < 1 || d > LR_MAX_INPUTS)
		return prov_error(PROV_EUSAGE, "calibration: %zu inputs (1 to %d)", d, LR_MAX_INPUTS);
	for (i = 0; i < n; i++) {
		y[i] ? np++ : nn++;
		for (k = 0; k < d; k++)
			if (!isfinite(x[i * d + k]))
				return prov_error(PROV_EUSAGE, "calibration: input %zu of row %zu is not a finite number", k, i);
	}
	if (!np || !nn)
		return prov_error(PROV_EUSAGE, "calibration needs at least one positive and one negative (%zu and %zu)",
			np, nn);
	z = prov_calloc(n * d + 1, sizeof(*z));
	if (!z)
		return PROV_ENOMEM;
	wp = 0.5 / (double)np;
	wn = 0.5 / (double)nn;
	/*
	 * standardise each input with the class-weighted mean and spread (each class
	 * half the weight, as in the objective), so that the ridge penalty depends
	 * neither on the input's unit nor on the class proportions
	 */
	for (k = 0; k < d; k++) {
		double s = 0, ss = 0;

		for (i = 0; i < n; i++)
			s += (y[i] ? wp : wn) * x[i * d + k];
		mean[k] = s;
		for (i = 0; i < n; i++)
			ss += (y[i] ? wp : wn) * (x[i * d + k] - mean[k]) * (x[i * d + k] - mean[k]);
		sd[k] = sqrt(ss);
		if (!(sd[k] > 1e-300))
			sd[k] = 1;
		for (i = 0; i < n; i++)
			z[i * d + k] = (x[i * d + k] - mean[k]) / sd[k];
	}
	memset(beta, 0, sizeof(beta));
	J = objective(beta, z, y, n, d, wp, wn);
	old = gsl_set_error_handler_off();
	for (it = 0; it < FIT_MAX_ITER; it++) {
		gsl_matrix_view Hv;
		gsl_vector_view gv, sv;
		double gnorm = 0, t = 1, Jn = J, trial[LR_MAX_INPUTS + 1];

		memset(H, 0, sizeof(H));
		memset(g, 0, sizeof(g));
		for (i = 0; i < n; i++) {
			double s = beta[0], p, w = y[i] ? wp : wn, r, v, zi[LR_MAX_INPUTS + 1];

			zi[0] = 1;
			for (k = 0; k < d; k++) {
				zi[k + 1] = z[i * d + k];
				s += beta[k + 1] * zi[k + 1];
			}
			p = sigmoid(s);
			r = w * (p - (y[i] ? 1.0 : 0.0));   /* d/ds of the weighted loss */
			v = w * p * (1 - p);
			for (k = 0; k < m; k++) {
				g[k] += r * zi[k];
				for (l = 0; l < m; l++)
					H[k * m + l] += v * zi[k] * zi[l];
			}
		}
		for (k = 1; k < m; k++) {
			g[k] += LR_RIDGE * beta[k];
			H[k * m + k] += LR_RIDGE;
		}
		H[0] += 1e-12;   /* the intercept's curvature vanishes only on separated data at infinity */
		for (k = 0; k < m; k++)
			gnorm += g[k] * g[k];
		if (sqrt(gnorm) < 1e-10) {
			out->converged = 1;
			break;
		}
		Hv = gsl_matrix_view_array(H, m, m);
		gv = gsl_vector_view_array(g, m);
		sv = gsl_vector_view_array(step, m);
		if (gsl_linalg_cholesky_decomp1(&Hv.matrix) || gsl_linalg_cholesky_solve(&Hv.matrix, &gv.vector, &sv.vector)) {
			rc = prov_error(PROV_EINTERNAL, "calibration: the Newton system is singular");
			break;
		}
		/* step halving until the objective does not increase */
		for (l = 0; l < 60; l++) {
			for (k = 0; k < m; k++)
				trial[k] = beta[k] - t * step[k];
			Jn = objective(trial, z, y, n, d, wp, wn);
			if (Jn <= J)
				break;
			t *= 0.5;
		}
		if (l == 60) {
			out->converged = 1;   /* no descent left at machine precision */
			break;
		}
		memcpy(beta, trial, sizeof(beta[0]) * m);
		if (J - Jn < 1e-15) {
			J = Jn;
			out->converged = 1;
			it++;
			break;
		}
		J = Jn;
	}
	gsl_set_error_handler(old);
	out->iterations = it;
	out->d = d;
	/* back to the inputs' own units */
	out->w[0] = beta[0];
	for (k = 0; k < d; k++) {
		out->w[k + 1] = beta[k + 1] / sd[k];
		out->w[0] -= beta[k + 1] * mean[k] / sd[k];
	}
	free(z);
	return rc;
}

double lr_apply(const struct lr_fit *f, const double *x)
{
	double s = f->w[0];
	size_t k;

	for (k = 0; k < f->d; k++)
		s += f->w[k + 1] * x[k];
	return s;
}

double lr_cllr(const double *llr, const int *y, size_t n)
{
	double sp = 0, sn = 0;
	size_t np = 0, nn = 0, i;

	for (i = 0; i < n; i++) {
		if (y[i]) {
			sp += softplus(-llr[i]);
			np++;
		} else {
			sn += softplus(llr[i]);
			nn++;
		}
	}
	if (!np || !nn)
		return NAN;
	return 0.5 * (sp / (double)np + sn / (double)nn) / M_LN2;
}

struct scored {
	double s;
	size_t i;
};

static int cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int lr_pav(double *out, const double *score, const int *y, size_t n)
{
	struct scored *o = NULL;
	double *bp = NULL, *bn = NULL;   /* per block: positives, negatives */
	size_t *bstart = NULL, nb = 0, i, j, np = 0, nn = 0;

	for (i = 0; i < n; i++)
		y[i] ? np++ : nn++;
	if (!np || !nn)
		return prov_error(PROV_EUSAGE, "PAV needs at least one positive and one negative");
	o = prov_calloc(n, sizeof(*o));
	bp = prov_calloc(n, sizeof(*bp));
	bn = prov_calloc(n, sizeof(*bn));
	bstart = prov_calloc(n + 1, sizeof(*bstart));
	if (!o || !bp || !bn || !bstart) {
		free(o);
		free(bp);
		free(bn);
		free(bstart);
		return PROV_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		o[i].s = score[i];
		o[i].i = i;
	}
	qsort(o, n, sizeof(*o), cmp_scored);
	/* ties first: one block per distinct score */
	for (i = 0; i < n; i++) {
		if (i == 0 || o[i].s != o[i - 1].s) {
			bstart[nb] = i;
			bp[nb] = bn[nb] = 0;
			nb++;
		}
		if (y[o[i].i])
			bp[nb - 1]++;
		else
			bn[nb - 1]++;
	}
	/* then pool adjacent violators: a block whose positive rate is below its predecessor's joins it */
	{
		size_t top = 0;

		for (j = 0; j < nb; j++) {
			bp[top] = bp[j];
			bn[top] = bn[j];
			bstart[top] = bstart[j];
			top++;
			while (top > 1 && bp[top - 2] * (bp[top - 1] + bn[top - 1]) > bp[top - 1] * (bp[top - 2] + bn[top - 2])) {
				bp[top - 2] += bp[top - 1];
				bn[top - 2] += bn[top - 1];
				top--;
			}
		}
		nb = top;
	}
	bstart[nb] = n;
	for (j = 0; j < nb; j++) {
		double v;

		if (bn[j] == 0)
			v = INFINITY;
		else if (bp[j] == 0)
			v = -INFINITY;
		else
			v = log((bp[j] / (double)np) / (bn[j] / (double)nn));
		for (i = bstart[j]; i < bstart[j + 1]; i++)
			out[o[i].i] = v;
	}
	free(o);
	free(bp);
	free(bn);
	free(bstart);
	return 0;
}

double lr_cllr_min(const double *score, const int *y, size_t n)
{
	double *t = prov_calloc(n + 1, sizeof(*t)), c;

	if (!t || lr_pav(t, score, y, n)) {
		free(t);
		return NAN;
	}
	c = lr_cllr(t, y, n);
	free(t);
	return c;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The upper ELUB in ln LR for positives pos[0..np) and negatives neg[0..nn),
 * both sorted ascending: the first t >= 0 at which
 * nbe(t) = e^t (#{neg >= t} + 1) / (nn + 1) + #{pos < t} / np reaches 1.
 */
static double elub_upper(const double *pos, size_t np, const double *neg, size_t nn)
{
	size_t ip = 0, in = 0;   /* ip: positives < current t; in: negatives < current t */
	double a = 0;

	/* at t = 0 */
	while (ip < np && pos[ip] < 0)
		ip++;
	while (in < nn && neg[in] < 0)
		in++;
	if ((double)(nn - in + 1) / (double)(nn + 1) + (double)ip / (double)np >= 1)
		return 0;
	for (;;) {
		/* the next breakpoint b > a among the data */
		double b = INFINITY, C, M, v0, ts;
		size_t jp = ip, jn = in;

		while (jp < np && pos[jp] <= a)
			jp++;
		while (jn < nn && neg[jn] <= a)
			jn++;
		if (jp < np)
			b = pos[jp];
		if (jn < nn && neg[jn] < b)
			b = neg[jn];
		/* on (a, b]: negatives >= b count, positives <= a are below */
		C = (double)(nn - jn);
		M = (double)jp;
		v0 = exp(a) * (C + 1) / (double)(nn + 1) + M / (double)np;
		if (v0 >= 1)
			return a;
		ts = log((1 - M / (double)np) * (double)(nn + 1) / (C + 1));
		if (ts <= b)
			return ts;
		a = b;
		ip = jp;
		in = jn;
	}
}

void lr_elub(struct lr_bounds *out, const double *llr, const int *y, size_t n)
{
	double *pos = prov_calloc(n + 1, sizeof(double)), *neg = prov_calloc(n + 1, sizeof(double));
	size_t np = 0, nn = 0, i;

	out->lower = out->upper = 1;
	if (!pos || !neg)
		goto done;
	for (i = 0; i < n; i++) {
		if (isnan(llr[i]))
			continue;
		if (y[i])
			pos[np++] = llr[i];
		else
			neg[nn++] = llr[i];
	}
	if (!np || !nn)
		goto done;
	qsort(pos, np, sizeof(double), cmp_double);
	qsort(neg, nn, sizeof(double), cmp_double);
	out->upper = exp(elub_upper(pos, np, neg, nn));
	/* the lower bound: the same with the classes swapped and the LRs inverted */
	for (i = 0; i < np; i++)
		pos[i] = -pos[i];
	for (i = 0; i < nn; i++)
		neg[i] = -neg[i];
	qsort(pos, np, sizeof(double), cmp_double);
	qsort(neg, nn, sizeof(double), cmp_double);
	out->lower = exp(-elub_upper(neg, nn, pos, np));
done:
	free(pos);
	free(neg);
}

double lr_clamp(double llr, const struct lr_bounds *b, enum lr_bound *which)
{
	double lo = log(b->lower), hi = log(b->upper);

	if (which)
		*which = LR_BOUND_NONE;
	if (llr > hi) {
		if (which)
			*which = LR_BOUND_UPPER;
		return hi;
	}
	if (llr < lo) {
		if (which)
			*which = LR_BOUND_LOWER;
		return lo;
	}
	return llr;
}

const char *lr_bound_name(enum lr_bound b)
{
	return b == LR_BOUND_UPPER ? "upper" : b == LR_BOUND_LOWER ? "lower" : "none";
}

void lr_misleading(struct lr_misleading *out, const double *llr, const int *y, size_t n)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (y[i]) {
			out->positives++;
			out->pos_below_1 += llr[i] < 0;
			out->pos_below_tenth += llr[i] < -M_LN10;
		} else {
			out->negatives++;
			out->neg_above_1 += llr[i] > 0;
			out->neg_above_10 += llr[i] > M_LN10;
			out->neg_above_100 += llr[i] > 2 * M_LN10;
		}
	}
}

const char *lr_verbal(double lr, int *for_hd)
{
	double v = lr >= 1 ? lr : 1 / lr;

	if (for_hd)
		*for_hd = lr < 1;
	if (isnan(lr) || fabs(log(v)) < 1e-9) {
		if (for_hd)
			*for_hd = 0;
		return "neutral";
	}
	if (v <= 10)
		return "weak support";
	if (v <= 100)
		return "moderate support";
	if (v <= 1000)
		return "moderately strong support";
	if (v <= 1e4)
		return "strong support";
	if (v <= 1e6)
		return "very strong support";
	return "extremely strong support";
}

size_t lr_tippett(double *out, const double *llr, const int *y, size_t n, int cls)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if ((y[i] != 0) == (cls != 0))
			out[k++] = llr[i] / M_LN10;
	qsort(out, k, sizeof(*out), cmp_double);
	return k;
}
