/* Unit tests for detect/stats.c: sign-flip test, Holm, Wilson, AUC. */
#include "unit.h"
#include "detect/stats.h"

static void signflip_normal_approximation(void)
{
	double d[100];
	struct stat_test t;
	size_t i;

	for (i = 0; i < 100; i++)
		d[i] = i % 4 == 0 ? -1.0 : 1.0;   /* 75 up, 25 down */
	stat_signflip(&t, d, 100, 1);
	CHECK_INT(t.n, 100);
	CHECK_NEAR(t.mean, 0.5, 1e-12);
	CHECK_NEAR(t.z, 5.0, 1e-12);          /* sum 50 / sqrt(100) */
	CHECK_NEAR(t.p, 2.866515718791939e-07, 1e-12);
	CHECK_NEAR(t.effect, 0.5 / sqrt(100.0 * 0.75 / 99.0), 1e-12);
}

static void signflip_small_samples_by_monte_carlo(void)
{
	double up[5] = { 1, 2, 3, 4, 5 }, mixed[6] = { 1, -1, 2, -2, 3, -3 };
	struct stat_test t, t2;

	/* all five positive: exact p = 1/32 */
	stat_signflip(&t, up, 5, 42);
	CHECK_NEAR(t.p, 1.0 / 32.0, 0.005);
	/* deterministic: the same seed gives the same p */
	stat_signflip(&t2, up, 5, 42);
	CHECK(t.p == t2.p);
	/* symmetric data: p is about one half or more */
	stat_signflip(&t, mixed, 6, 7);
	CHECK(t.p > 0.45);
	stat_signflip(&t, NULL, 0, 1);
	CHECK_NEAR(t.p, 1.0, 0);
}

static void holm_known_values(void)
{
	double p[4] = { 0.01, 0.04, 0.03, 0.005 }, out[4];

	stat_holm(out, p, 4);
	/* sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06 */
	CHECK_NEAR(out[3], 0.02, 1e-12);
	CHECK_NEAR(out[0], 0.03, 1e-12);
	CHECK_NEAR(out[2], 0.06, 1e-12);
	CHECK_NEAR(out[1], 0.06, 1e-12);
}

static void wilson_known_values(void)
{
	double lo, hi;

	stat_wilson(&lo, &hi, 5, 10, 1.959963984540054);
	CHECK_NEAR(lo, 0.2365931, 1e-6);
	CHECK_NEAR(hi, 0.7634069, 1e-6);
	stat_wilson(&lo, &hi, 0, 20, 1.959963984540054);
	CHECK_NEAR(lo, 0.0, 1e-12);
	CHECK_NEAR(hi, 0.1611252, 1e-6);
	stat_wilson(&lo, &hi, 0, 0, 1.96);
	CHECK_NEAR(lo, 0, 0);
	CHECK_NEAR(hi, 1, 0);
}

static void auc_counts_ties_as_half(void)
{
	double pos[3] = { 3, 2, 1 }, neg[3] = { 0, 1, 5 };

	/* pairs won: 3>0,3>1 ; 2>0,2>1 ; 1>0, 1=1 (half) -> 5.5 of 9 */
	CHECK_NEAR(stat_auc(pos, 3, neg, 3), 5.5 / 9.0, 1e-12);
	CHECK(isnan(stat_auc(pos, 0, neg, 3)));
}

UNIT_MAIN(
	UNIT_TEST(signflip_normal_approximation),
	UNIT_TEST(signflip_small_samples_by_monte_carlo),
	UNIT_TEST(holm_known_values),
	UNIT_TEST(wilson_known_values),
	UNIT_TEST(auc_counts_ties_as_half)
)
