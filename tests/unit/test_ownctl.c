/* Unit tests for detect/ownctl.c: the suspect as its own control. */
#include "unit.h"
#include "detect/ownctl.h"
#include "detect/stats.h"
#include "cmd/render.h"

static int tok(struct tokens *t, const char *s)
{
	return text_tokenize(t, s, strlen(s));
}

static void similarity_counts_only_what_one_candidate_has(void)
{
	/* "alpha .. eta" (7 words) is in S and L only: 7 - 6 + 1 = 2 six-grams;
	   "one .. eight" (8 words) is in S, L and F1: shared by two candidates, counts for nobody;
	   "red .. violet" (6 words) is in S and F2 only: 1 six-gram for F2. */
	const char *s = "alpha beta gamma delta epsilon zeta eta. one two three four five six seven eight. "
		"red orange yellow green blue violet.";
	const char *l = "intro words here. alpha beta gamma delta epsilon zeta eta and one two three four five six seven eight.";
	const char *f1 = "other text entirely: one two three four five six seven eight, as said.";
	const char *f2 = "and red orange yellow green blue violet is a rainbow.";
	struct tokens ts = TOKENS_INIT, ta[3] = { TOKENS_INIT, TOKENS_INIT, TOKENS_INIT };
	struct ownctl_prompt p;
	size_t i;

	CHECK_INT(tok(&ts, s), 0);
	CHECK_INT(tok(&ta[0], l), 0);
	CHECK_INT(tok(&ta[1], f1), 0);
	CHECK_INT(tok(&ta[2], f2), 0);
	CHECK_INT(ownctl_prompt_score(&p, &ts, ta, 2, 6, 4), 0);
	CHECK_INT(p.m, 2);
	CHECK_INT(p.sim[0], 2);
	CHECK_INT(p.sim[1], 0);
	CHECK_INT(p.sim[2], 1);
	/* the evidence: the passage of S and L that runs through no fresh six-gram */
	CHECK_INT(p.nspans, 1);
	if (p.nspans) {
		CHECK_INT(p.spans[0].ntok, 7);
		CHECK(!strncmp(s + p.spans[0].a_start, "alpha beta", 10));
		CHECK(!strncmp(l + p.spans[0].b_start, "alpha beta", 10));
		CHECK(!strncmp(s + p.spans[0].a_end - 3, "eta", 3));
	}
	ownctl_prompt_release(&p);
	CHECK(ownctl_prompt_score(&p, &ts, ta, 0, 6, 4) == PROV_EUSAGE);
	tokens_release(&ts);
	for (i = 0; i < 3; i++)
		tokens_release(&ta[i]);
}

/* prompts with the given similarities (m + 1 per prompt), for the test alone */
static struct ownctl_prompt *from_table(const uint32_t *sim, size_t n, size_t m)
{
	struct ownctl_prompt *p = calloc(n, sizeof(*p));
	size_t i;

	for (i = 0; p && i < n; i++) {
		p[i].m = m;
		p[i].sim = calloc(m + 1, sizeof(uint32_t));
		if (p[i].sim)
			memcpy(p[i].sim, sim + i * (m + 1), (m + 1) * sizeof(uint32_t));
	}
	return p;
}

static void free_prompts(struct ownctl_prompt *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		ownctl_prompt_release(&p[i]);
	free(p);
}

static void exact_matches_enumeration(void)
{
	/* 6 prompts, 3 candidates each: all 729 relabellings enumerated here */
	static const uint32_t sim[] = { 5, 0, 1, 3, 3, 0, 7, 2, 2, 0, 0, 4, 9, 1, 0, 2, 6, 1 };
	struct ownctl_prompt *p = from_table(sim, 6, 2);
	struct ownctl_result r, mc;
	long ge = 0, code, total = 729;
	uint32_t t = 5 + 3 + 7 + 0 + 9 + 2;

	for (code = 0; code < total; code++) {
		long x = code;
		uint32_t s = 0;
		int i;

		for (i = 0; i < 6; i++, x /= 3)
			s += sim[i * 3 + x % 3];
		ge += s >= t;
	}
	CHECK_INT(ownctl_test(&r, p, 6, 0, 1), 0);
	CHECK_INT(r.exact, 1);
	CHECK_INT(r.draws, 0);
	CHECK_NEAR(r.statistic, t, 0);
	CHECK_NEAR(r.p, (double)ge / total, 1e-12);
	CHECK_INT(r.prompts, 6);
	CHECK_INT(r.fresh_min, 2);
	CHECK_INT(r.fresh_max, 2);
	CHECK_NEAR(r.mean_logged, 26.0 / 6, 1e-12);
	CHECK(r.z > 0 && r.effect > 0);
	/* Monte Carlo agrees, and is the same for the same seed */
	CHECK_INT(ownctl_test(&mc, p, 6, 200000, 42), 0);
	CHECK_INT(mc.exact, 0);
	CHECK_INT(mc.draws, 200000);
	CHECK_NEAR(mc.p, r.p, 0.005);
	CHECK_NEAR(mc.p, (1.0 + mc.at_least) / 200001.0, 1e-15);
	{
		struct ownctl_result again, other;

		CHECK_INT(ownctl_test(&again, p, 6, 200000, 42), 0);
		CHECK_INT(ownctl_test(&other, p, 6, 200000, 43), 0);
		CHECK_INT(again.at_least, mc.at_least);
		CHECK(other.at_least != mc.at_least);
	}
	free_prompts(p, 6);
	CHECK_INT(ownctl_test(&r, NULL, 0, 0, 1), 0);
	CHECK_NEAR(r.p, 1.0, 0);
}

/* a deterministic random text generator for the exchangeable data */
static uint64_t rng;

static size_t pick(size_t k)
{
	return (size_t)(stat_rand(&rng) % k);
}

#define POOL 14
#define SENT 4

struct gen_prompt {
	char pool[POOL][200];
};

static void make_pool(struct gen_prompt *g)
{
	size_t s, w, len;

	for (s = 0; s < POOL; s++) {
		char *out = g->pool[s];
		size_t at = 0;

		len = 5 + pick(11);
		for (w = 0; w < len; w++)   /* words from a vocabulary of 300, so short n-grams recur by chance */
			at += (size_t)snprintf(out + at, 200 - at, "%sw%zu", w ? " " : "", pick(300));
		snprintf(out + at, 200 - at, ".");
	}
}

/* an answer: SENT sentences drawn from the prompt's pool (with logged sentences spliced in when l != NULL) */
static void make_answer(char *out, size_t cap, const struct gen_prompt *g, const size_t *logged, size_t nl)
{
	size_t s, at = 0;

	out[0] = 0;
	for (s = 0; s < SENT; s++)
		at += (size_t)snprintf(out + at, cap - at, "%s ", g->pool[pick(POOL)]);
	for (s = 0; s < nl; s++)
		at += (size_t)snprintf(out + at, cap - at, "%s ", g->pool[logged[s]]);
}

/*
 * One run: n prompts, m fresh answers, every answer (logged, fresh and the
 * suspect's) drawn independently from the prompt's sentence pool; with
 * copy != 0 the suspect also carries `copy` of the logged answer's sentences.
 */
static double run(size_t n, size_t m, size_t copy, uint64_t draws, uint64_t seed, struct ownctl_result *res)
{
	struct ownctl_prompt *p = calloc(n, sizeof(*p));
	struct tokens ts = TOKENS_INIT, ta[8];
	char buf[2048];
	size_t i, c, logged[SENT];
	struct gen_prompt g;
	struct ownctl_result r;

	for (c = 0; c <= m; c++)
		ta[c] = (struct tokens)TOKENS_INIT;
	for (i = 0; p && i < n; i++) {
		make_pool(&g);
		for (c = 0; c <= m; c++) {
			if (c == 0) {
				/* remember which sentences the logged answer used */
				size_t s, at = 0;

				buf[0] = 0;
				for (s = 0; s < SENT; s++) {
					logged[s] = pick(POOL);
					at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s ", g.pool[logged[s]]);
				}
			} else {
				make_answer(buf, sizeof(buf), &g, NULL, 0);
			}
			if (tok(&ta[c], buf))
				unit_failed = 1;
		}
		make_answer(buf, sizeof(buf), &g, logged, copy);
		if (tok(&ts, buf) || ownctl_prompt_score(&p[i], &ts, ta, m, OWNCTL_NGRAM, 0))
			unit_failed = 1;
	}
	if (!p || ownctl_test(&r, p, n, draws, seed))
		unit_failed = 1;
	free_prompts(p, n);
	tokens_release(&ts);
	for (c = 0; c <= m; c++)
		tokens_release(&ta[c]);
	if (res)
		*res = r;
	return r.p;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Kolmogorov-Smirnov distance of the sample from the uniform on [0, 1]. */
static double ks_uniform(double *p, size_t n)
{
	double d = 0;
	size_t i;

	qsort(p, n, sizeof(*p), cmp_d);
	for (i = 0; i < n; i++) {
		double lo = p[i] - (double)i / n, hi = (double)(i + 1) / n - p[i];

		if (lo > d)
			d = lo;
		if (hi > d)
			d = hi;
	}
	return d;
}

#define RUNS 400

static void p_uniform_when_exchangeable(void)
{
	/* the 1% critical value of the KS distance for 400 draws: 1.628 / sqrt(400) */
	double p[RUNS], crit = 1.628 / sqrt(RUNS), d, below05 = 0;
	size_t k;

	rng = 20261208;
	for (k = 0; k < RUNS; k++) {
		p[k] = run(20, 2 + k % 3, 0, 0, 1, NULL);
		below05 += p[k] <= 0.05;
	}
	d = ks_uniform(p, RUNS);
	printf("#   exact test, %d exchangeable runs: KS distance %.4f (1%% critical %.4f), %.1f%% at p <= 0.05\n",
		RUNS, d, crit, 100.0 * below05 / RUNS);
	CHECK(d < crit);
	CHECK(below05 / RUNS <= 0.05 + 2.58 * sqrt(0.05 * 0.95 / RUNS));
}

static void p_uniform_when_exchangeable_monte_carlo(void)
{
	double p[RUNS], crit = 1.628 / sqrt(RUNS), d;
	size_t k;

	rng = 777;
	for (k = 0; k < RUNS; k++)
		p[k] = run(15, 3, 0, 2000, 1000 + k, NULL);
	d = ks_uniform(p, RUNS);
	printf("#   Monte Carlo test (2000 draws), %d exchangeable runs: KS distance %.4f (1%% critical %.4f)\n",
		RUNS, d, crit);
	CHECK(d < crit);
}

static void copied_sentences_are_found(void)
{
	struct ownctl_result r;

	rng = 99;
	CHECK(run(100, 3, 2, 0, 1, &r) < 1e-6);
	printf("#   two of the logged answer's four sentences copied into each of 100 answers: p = %.3g, effect %.2f, z %.1f\n", r.p,
		r.effect, r.z);
	CHECK(r.exact);
	CHECK(r.mean_logged > r.mean_fresh);
}

static void report_section_and_type_check(void)
{
	const char *ok = "{\"schema\": \"provenance.report/1\", \"case\": {\"stored\": false, \"name\": \"s\"},"
		" \"suspect\": {\"name\": \"s\", \"path\": \"s.jsonl\"}, \"sample_specific\": {\"method\": \"exact\","
		" \"ngram\": 6, \"p_value\": 0.0004, \"effect\": 0.5, \"z\": 3.4, \"statistic\": 120, \"prompts\": 40,"
		" \"fresh_per_prompt\": 2, \"draws\": 0, \"seed\": 1, \"logged\": {\"path\": \"l.jsonl\"},"
		" \"fresh\": [{\"path\": \"f.jsonl\"}], \"excerpts\": []}}";
	const char *bad = "{\"schema\": \"provenance.report/1\", \"sample_specific\": {\"p_value\": \"small\"}}";
	struct pbuf md = PBUF_INIT(1 << 20), html = PBUF_INIT(1 << 20);
	json_t *doc = json_loads(ok, 0, NULL), *doc2 = json_loads(bad, 0, NULL);

	CHECK(doc && doc2);
	CHECK_INT(render_md(&md, doc), 0);
	CHECK(md.data && strstr(md.data, "Evidence of training on the logged answers: on 40 prompts with 2 fresh"));
	CHECK(md.data && strstr(md.data, "exact within-prompt permutation test gives p = 4"));
	CHECK(md.data && strstr(md.data, "What breaks it:"));
	CHECK(md.data && strstr(md.data, "provenance scan s.jsonl --name s"));
	CHECK_INT(render_html(&html, doc), 0);
	CHECK(html.data && strstr(html.data, "<h2>Own-control test: logged versus fresh teacher answers</h2>"));
	pbuf_reset(&md);
	CHECK_INT(render_md(&md, doc2), PROV_EDATA);
	CHECK_STR(prov_error_msg(), "report: sample_specific.p_value: expected a number, found a string");
	pbuf_release(&md);
	pbuf_release(&html);
	json_decref(doc);
	json_decref(doc2);
}

UNIT_MAIN(
	UNIT_TEST(similarity_counts_only_what_one_candidate_has),
	UNIT_TEST(exact_matches_enumeration),
	UNIT_TEST(p_uniform_when_exchangeable),
	UNIT_TEST(p_uniform_when_exchangeable_monte_carlo),
	UNIT_TEST(copied_sentences_are_found),
	UNIT_TEST(report_section_and_type_check)
)
