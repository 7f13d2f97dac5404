/*
 * params.c: the engine's parameters and names (engine.h), the one thing the
 * preparation (prep.c, prep_cache.c) and the scan (engine.c) both use from the
 * engine's public contract. Dependencies run one way: engine.c uses prep.c
 * (engine_int.h), and both use this file; prep.c never calls engine.c.
 */
#include <string.h>

#include "detect/engine.h"

void eng_params_default(struct eng_params *p)
{
	memset(p, 0, sizeof(*p));
	p->lex_max_n = 2;
	p->phrase_max_n = 3;
	p->phrase_markers = 300;
	p->phrase_min_z = 2.0;
	p->phrase_prior = 20.0;
	p->phrase_min_docs = 3;
	p->min_prompts = 20;
	p->min_tokens = 5;
	p->min_null = 4;
	p->strong_p = 1e-4;
	p->moderate_p = 1e-3;
	p->weak_p = 0.05;
	p->outlier_p = 0.01;
	p->corroborate_p = 0.05;
	p->seed = 20261128;
}

const char *eng_verdict_name(enum eng_verdict v)
{
	switch (v) {
	case V_STRONG: return "strong";
	case V_MODERATE: return "moderate";
	case V_WEAK: return "weak";
	case V_INCONCLUSIVE: return "inconclusive";
	default: return "none";
	}
}

const char *eng_signal_name(enum eng_signal s)
{
	static const char *const names[SIG_COUNT] = { "lexical", "phrases", "style", "refusal", "identity" };

	return (unsigned)s < SIG_COUNT ? names[s] : "?";
}

const char *eng_family(const struct eng_model *m)
{
	return m->family && m->family[0] ? m->family : m->name;
}
