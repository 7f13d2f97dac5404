/* Unit tests for detect/lr.c: calibration, Cllr, PAV, ELUB, misleading evidence, the verbal scale. */
#include "unit.h"
#include "detect/lr.h"

static void cllr_by_hand(void)
{
	/* positives LR 1 and 3, negatives LR 1 and 1/3:
	 * each class: (log2(2) + log2(4/3)) / 2 = 0.7075187... */
	double llr[4] = { 0, log(3.0), 0, -log(3.0) };
	int y[4] = { 1, 1, 0, 0 };
	double neutral[4] = { 0, 0, 0, 0 };
	double perfect[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };

	CHECK_NEAR(lr_cllr(llr, y, 4), (1.0 + log2(4.0 / 3.0)) / 2, 1e-12);
	CHECK_NEAR(lr_cllr(neutral, y, 4), 1.0, 1e-12);
	CHECK_NEAR(lr_cllr(perfect, y, 4), 0.0, 0);
	CHECK(isnan(lr_cllr(llr, y, 2)));   /* positives only */
}

static void pav_known_input(void)
{
	/* labels along the scores: 0 1 0 0 1 1 -> blocks {1}, {2,3,4}, {5}, {6}; Np = Nn = 3 */
	double s[6] = { 1, 2, 3, 4, 5, 6 }, out[6];
	int y[6] = { 0, 1, 0, 0, 1, 1 };
	double pos, neg;

	CHECK_INT(lr_pav(out, s, y, 6), 0);
	CHECK(out[0] == -INFINITY);
	CHECK_NEAR(out[1], log(0.5), 1e-12);   /* (1/3) / (2/3) */
	CHECK_NEAR(out[2], log(0.5), 1e-12);
	CHECK_NEAR(out[3], log(0.5), 1e-12);
	CHECK(out[4] == INFINITY && out[5] == INFINITY);
	/* Cllr_min: positives (log2 3 + 0 + 0)/3, negatives (0 + 2 log2 1.5)/3 */
	pos = log2(3.0) / 3;
	neg = 2 * log2(1.5) / 3;
	CHECK_NEAR(lr_cllr_min(s, y, 6), (pos + neg) / 2, 1e-12);
	/* tied scores form one block whatever their labels' order */
	{
		double t[4] = { 1, 1, 2, 2 }, o2[4];
		int yt[4] = { 1, 0, 0, 1 };

		CHECK_INT(lr_pav(o2, t, yt, 4), 0);
		CHECK_NEAR(o2[0], 0, 1e-12);
		CHECK_NEAR(o2[3], 0, 1e-12);
	}
	/* scores in the right order everywhere: Cllr_min 0 */
	{
		int ys[6] = { 0, 0, 0, 1, 1, 1 };

		CHECK_NEAR(lr_cllr_min(s, ys, 6), 0, 0);
	}
}

static void separated_data_give_a_bounded_lr(void)
{
	double x[6] = { 0, 1, 2, 3, 4, 5 }, llr[6];
	int y[6] = { 0, 0, 0, 1, 1, 1 };
	struct lr_fit f;
	struct lr_bounds b;
	enum lr_bound which;
	size_t i;

	CHECK_INT(lr_fit(&f, x, y, 6, 1), 0);
	CHECK(f.converged);
	CHECK(isfinite(f.w[0]) && isfinite(f.w[1]) && f.w[1] > 0);
	for (i = 0; i < 6; i++)
		llr[i] = lr_apply(&f, &x[i]);
	CHECK(llr[2] < 0 && llr[3] > 0);
	/* every LR on the right side: the bounds are [1/(Np + 1), Nn + 1] */
	lr_elub(&b, llr, y, 6);
	CHECK_NEAR(b.upper, 4, 1e-9);
	CHECK_NEAR(b.lower, 0.25, 1e-9);
	CHECK_NEAR(lr_clamp(lr_apply(&f, (double[]){ 100 }), &b, &which), log(4.0), 1e-12);
	CHECK_INT(which, LR_BOUND_UPPER);
	CHECK_NEAR(lr_clamp(lr_apply(&f, (double[]){ -100 }), &b, &which), log(0.25), 1e-12);
	CHECK_INT(which, LR_BOUND_LOWER);
	CHECK_NEAR(lr_clamp(0.1, &b, &which), 0.1, 0);
	CHECK_INT(which, LR_BOUND_NONE);
}

static void elub_by_hand(void)
{
	/* positives LR 2 and 20, negatives 0.5 and 5:
	 * upper: nbe(theta) = theta * (1 + 1) / 3 on (1, 2] reaches 1 at 1.5;
	 * lower: nbe(theta) = 1 / (3 theta) + 1/2 on [1/2, 1) reaches 1 at 2/3 */
	double llr[4] = { log(2.0), log(20.0), log(0.5), log(5.0) };
	int y[4] = { 1, 1, 0, 0 };
	struct lr_bounds b;

	lr_elub(&b, llr, y, 4);
	CHECK_NEAR(b.upper, 1.5, 1e-12);
	CHECK_NEAR(b.lower, 2.0 / 3.0, 1e-12);
	/* a useless system: every LR pulled to 1 */
	{
		double bad[4] = { log(0.1), log(0.2), log(10.0), log(5.0) };

		lr_elub(&b, bad, y, 4);
		CHECK_NEAR(b.upper, 1, 1e-12);
		CHECK_NEAR(b.lower, 1, 1e-12);
	}
}

static void weighting_makes_the_fit_prior_free(void)
{
	/* overlapping classes; the same data with every negative repeated three times fits the same LRs */
	double x[8] = { 0.5, 1.5, 2.0, 3.1, 1.0, 2.2, 2.9, 4.0 }, x3[20];
	int y[8] = { 0, 0, 0, 0, 1, 1, 1, 1 }, y3[20];
	struct lr_fit f, g;
	size_t i, k, n = 0;

	for (i = 0; i < 8; i++)
		for (k = 0; k < (y[i] ? 1u : 4u); k++) {
			x3[n] = x[i];
			y3[n++] = y[i];
		}
	CHECK_INT(n, 20);
	CHECK_INT(lr_fit(&f, x, y, 8, 1), 0);
	CHECK_INT(lr_fit(&g, x3, y3, n, 1), 0);
	CHECK_NEAR(f.w[0], g.w[0], 1e-9);
	CHECK_NEAR(f.w[1], g.w[1], 1e-9);
	/* the fitted LRs beat a system that always says 1 on the data they were fitted on */
	{
		double llr[8];

		for (i = 0; i < 8; i++)
			llr[i] = lr_apply(&f, &x[i]);
		CHECK(lr_cllr(llr, y, 8) < 1);
		CHECK(lr_cllr_min(x, y, 8) <= lr_cllr(llr, y, 8) + 1e-12);
	}
}

static void two_inputs_and_bad_input(void)
{
	/* the second input carries the labels (overlapping), the first is balanced noise within each class */
	double x[16] = { 0, 0, 1, 1, 1, 2, 0, 3, 0, 1.5, 1, 2.5, 1, 3.5, 0, 4.5 };
	int y[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
	struct lr_fit f;

	CHECK_INT(lr_fit(&f, x, y, 8, 2), 0);
	CHECK(f.w[2] > 0.5);
	CHECK(fabs(f.w[1]) < 1e-6);
	x[3] = NAN;
	CHECK(lr_fit(&f, x, y, 8, 2) < 0);
	CHECK(lr_fit(&f, x, y, 8, 0) < 0);
	{
		int allpos[3] = { 1, 1, 1 };

		CHECK(lr_fit(&f, (double[]){ 1, 2, 3 }, allpos, 3, 1) < 0);
	}
}

static void misleading_and_tippett(void)
{
	double llr[7] = { log(0.05), log(0.5), log(3.0), log(200.0), log(50.0), log(0.2), log(2.0) };
	int y[7] = { 1, 1, 1, 0, 0, 0, 0 };
	struct lr_misleading m;
	double t[7];

	lr_misleading(&m, llr, y, 7);
	CHECK_INT(m.positives, 3);
	CHECK_INT(m.negatives, 4);
	CHECK_INT(m.pos_below_1, 2);
	CHECK_INT(m.pos_below_tenth, 1);
	CHECK_INT(m.neg_above_1, 3);
	CHECK_INT(m.neg_above_10, 2);
	CHECK_INT(m.neg_above_100, 1);
	CHECK_INT(lr_tippett(t, llr, y, 7, 0), 4);
	CHECK_NEAR(t[0], log10(0.2), 1e-12);
	CHECK_NEAR(t[3], log10(200.0), 1e-12);
	CHECK_INT(lr_tippett(t, llr, y, 7, 1), 3);
	CHECK_NEAR(t[0], log10(0.05), 1e-12);
}

static void verbal_scale(void)
{
	int hd = -1;

	CHECK_STR(lr_verbal(8, &hd), "weak support");
	CHECK_INT(hd, 0);
	CHECK_STR(lr_verbal(10, &hd), "weak support");
	CHECK_STR(lr_verbal(50, &hd), "moderate support");
	CHECK_STR(lr_verbal(500, &hd), "moderately strong support");
	CHECK_STR(lr_verbal(5000, &hd), "strong support");
	CHECK_STR(lr_verbal(5e5, &hd), "very strong support");
	CHECK_STR(lr_verbal(2e6, &hd), "extremely strong support");
	CHECK_STR(lr_verbal(1.0 / 8, &hd), "weak support");
	CHECK_INT(hd, 1);
	CHECK_STR(lr_verbal(1.0 / 300, &hd), "moderately strong support");
	CHECK_INT(hd, 1);
	CHECK_STR(lr_verbal(1, &hd), "neutral");
	CHECK_INT(hd, 0);
	CHECK_STR(lr_bound_name(LR_BOUND_UPPER), "upper");
}

UNIT_MAIN(
	UNIT_TEST(cllr_by_hand),
	UNIT_TEST(pav_known_input),
	UNIT_TEST(separated_data_give_a_bounded_lr),
	UNIT_TEST(elub_by_hand),
	UNIT_TEST(weighting_makes_the_fit_prior_free),
	UNIT_TEST(two_inputs_and_bad_input),
	UNIT_TEST(misleading_and_tippett),
	UNIT_TEST(verbal_scale)
)
