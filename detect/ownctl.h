/*
 * ownctl.h: the suspect as its own control (docs/method.md, "Logged versus
 * fresh teacher answers").
 *
 * For each prompt the investigator holds the suspect's answer S, the logged
 * teacher answer L (what the accounts received) and m fresh answers F_1..F_m
 * of the same teacher model with the same settings. Call the m + 1 teacher
 * answers A_0 = L, A_1..A_m = F_j. The similarity of S to candidate c is
 *
 *     sim_c = #{ distinct word k-grams of S that occur in A_c and in no other A_j }
 *
 * (a shared passage of t >= k tokens found only in A_c counts t - k + 1, so
 * long passages count most). The statistic is T = sum over prompts of sim_0.
 * Under H0 (the suspect was not trained on the logged answers) A_0..A_m are
 * exchangeable within each prompt, and sim is defined the same way for every
 * candidate, so calling a uniformly chosen candidate "logged" in each prompt,
 * independently, gives T's exact null distribution. Pure, deterministic, no I/O.
 */
#ifndef PROV_OWNCTL_H
#define PROV_OWNCTL_H

#include <stddef.h>
#include <stdint.h>
#include "detect/spans.h"
#include "detect/text.h"

#define OWNCTL_NGRAM 6            /* k: the n-gram length in words */
#define OWNCTL_MAX_FRESH 64       /* fresh answers per prompt at most */
#define OWNCTL_DRAWS 100000       /* Monte Carlo draws when the exact distribution is too costly */
/* The exact distribution is computed when it takes at most this many multiply-adds. */
#define OWNCTL_EXACT_COST 400000000.0
/* ... and when T* ranges over at most this many values (its table takes 32 bytes a value). */
#define OWNCTL_EXACT_RANGE 4000000

/* One prompt: the similarities of the suspect to each candidate, and the evidence. */
struct ownctl_prompt {
	size_t m;                 /* fresh answers (1..OWNCTL_MAX_FRESH) */
	uint32_t *sim;            /* m + 1 similarities: [0] the logged answer, [1..m] the fresh ones */
	struct span *spans;       /* passages of S shared with L that contain no k-gram of any fresh answer
				     (a = the suspect, b = the logged answer), longest first */
	size_t nspans;
};

/*
 * Score one prompt: `suspect` against the m + 1 tokenised teacher answers
 * ans[0] (logged), ans[1..m] (fresh), with k-grams of length `k` (>= 1).
 * Keeps the `max_spans` longest evidence passages. 0, PROV_EUSAGE (m == 0 or
 * m > OWNCTL_MAX_FRESH, k == 0) or PROV_ENOMEM. Release with ownctl_prompt_release.
 */
int ownctl_prompt_score(struct ownctl_prompt *out, const struct tokens *suspect, const struct tokens *ans,
	size_t m, size_t k, size_t max_spans);
void ownctl_prompt_release(struct ownctl_prompt *p);

struct ownctl_result {
	size_t prompts;           /* prompts in the test */
	size_t fresh_min, fresh_max;   /* fresh answers per prompt */
	double statistic;         /* T = sum of sim_0 */
	double null_mean, null_sd;     /* of T under the permutations */
	double z;                 /* (T - null_mean) / null_sd; 0 when null_sd == 0 */
	double mean_logged;       /* mean over prompts of sim_0 */
	double mean_fresh;        /* mean over prompts of the mean of sim_1..sim_m */
	double effect;            /* d_i = sim_0 - mean fresh sim; mean(d) / sd(d) (0 when sd == 0) */
	double p;                 /* one-sided P(T* >= T) */
	int exact;                /* 1: the full permutation distribution; 0: Monte Carlo */
	uint64_t draws;           /* Monte Carlo draws (0 when exact) */
	uint64_t seed;
	uint64_t at_least;        /* Monte Carlo draws with T* >= T */
};

/*
 * The within-prompt permutation test of the n prompts. draws == 0: the exact
 * distribution of T* (every one of the prod (m_i + 1) relabellings, by
 * convolving the per-prompt distributions) when that costs at most
 * OWNCTL_EXACT_COST and T* takes at most OWNCTL_EXACT_RANGE values, else
 * OWNCTL_DRAWS Monte Carlo draws; draws > 0: that many
 * Monte Carlo draws, p = (1 + #{T* >= T}) / (1 + draws), the relabellings
 * drawn with stat_rand seeded with `seed`. n == 0 gives p = 1.
 * 0 or PROV_ENOMEM.
 */
int ownctl_test(struct ownctl_result *out, const struct ownctl_prompt *p, size_t n, uint64_t draws, uint64_t seed);

#endif
