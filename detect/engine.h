/*
 * engine.h: the detection engine. Given a corpus (teachers and references,
 * their features per prompt) and a suspect's features, it says for every
 * teacher how much closer the suspect's answers are to that teacher's than to
 * the controls', with a p-value, an effect size and a verdict.
 *
 * Method (docs/method.md):
 *  - Six per-prompt channels compare the suspect's answer S_i with each panel
 *    answer X_i: lexical (IDF-weighted cosine of word 1-2-grams, IDF over the
 *    answers to that prompt), style (cosine of z-scored stylometric vectors),
 *    opener/closer agreement, phrases (rate of the teacher's characteristic
 *    n-grams, cross-fitted), refusal agreement, identity claims of the
 *    teacher's family. d_i = x(S,T) - x(S,C) per channel.
 *  - Per control C: each channel's d_i is divided by its root mean square and
 *    the channels are summed per prompt (Stouffer at the prompt level); a
 *    one-sided sign-flip test gives z and p.
 *  - Intersection-union over the control panel (every reference, every
 *    teacher of another family): the teacher's p is the largest per-control
 *    p, its effect the smallest per-control effect ("closest control").
 *  - Holm across the teachers tested.
 *  - Verdicts need both p and effect; the effect is compared with what the
 *    panel's own independent models show when each is scanned in turn
 *    against the rest (the null effects, computed in eng_prepare): strong
 *    above the largest, moderate above the median; both also need at least
 *    two signals significant on their own (corroboration).
 * Pure: no I/O, no SQLite, no printing. Deterministic.
 */
#ifndef PROV_ENGINE_H
#define PROV_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "detect/features.h"
#include "detect/util.h"

/* Bump when any number the engine produces can change for the same inputs. */
#define ENG_VERSION "2"

enum eng_signal { SIG_LEXICAL, SIG_PHRASES, SIG_STYLE, SIG_REFUSAL, SIG_IDENTITY, SIG_COUNT };

enum eng_verdict { V_NONE = 0, V_WEAK = 1, V_MODERATE = 2, V_STRONG = 3, V_INCONCLUSIVE = 4 };

struct eng_params {
	int lex_max_n;            /* lexical n-grams: 1..lex_max_n (2) */
	int phrase_max_n;         /* phrase n-grams: 1..phrase_max_n (3) */
	int phrase_markers;       /* characteristic phrases kept per teacher and fold (300) */
	double phrase_min_z;      /* minimum log-odds z of a characteristic phrase (2.0) */
	double phrase_prior;      /* Dirichlet prior strength, in answers (20) */
	int phrase_min_docs;      /* a phrase must appear in this many teacher answers (3) */
	int min_prompts;          /* fewer paired prompts: inconclusive (20) */
	double min_tokens;        /* median suspect answer shorter than this: inconclusive (5) */
	double strong_p;          /* Holm-corrected p for strong (1e-6) */
	double moderate_p;        /* (1e-3) */
	double weak_p;            /* (0.05) */
	double strong_effect;     /* effect floor for strong (0.2) */
	double moderate_effect;   /* effect floor for moderate (0.1) */
	int corroborate;          /* strong and moderate need this many signals significant on their own (2) */
	double corroborate_p;     /* ... at this p against their closest control (0.05) */
	uint64_t seed;            /* Monte Carlo seed for small samples */
};

void eng_params_default(struct eng_params *p);

struct eng_model {
	const char *name;
	const char *family;       /* NULL or "": the model is its own family */
	int teacher;              /* 1 teacher, 0 reference */
};

struct eng_corpus {
	size_t nmodels;
	const struct eng_model *models;
	size_t nprompts;
	const uint8_t *fold;                 /* per prompt: 0 or 1 (from the prompt key) */
	const struct feat *const *resp;      /* [prompt * nmodels + model], NULL if missing */
};

struct eng_suspect {
	size_t n;
	const struct feat *const *resp;      /* the suspect's answers */
	const long *prompt;                  /* corpus prompt index of each, -1 if unmatched */
	const uint8_t *fold;                 /* fold of each answer's prompt key */
};

struct eng_prep;

/* Everything that depends only on the corpus. The caller owns *out. */
int eng_prepare(struct eng_prep **out, const struct eng_corpus *c, const struct eng_params *p);
void eng_prep_free(struct eng_prep *prep);

/* Serialise / restore a preparation (the cache). Decoding checks it matches `c`. */
int eng_prep_encode(struct pbuf *out, const struct eng_prep *prep);
int eng_prep_decode(struct eng_prep **out, const void *blob, size_t len, const struct eng_corpus *c,
	const struct eng_params *p);

struct eng_sigres {
	int available;            /* 0: no data for this signal (e.g. no refusals anywhere) */
	double z, effect, p;      /* against the closest control (intersection-union) */
	long n;
	int closest;              /* model index */
	double panel_z, panel_effect, panel_p;   /* against the panel mean */
};

struct eng_ctrl {
	int model;
	double z, effect, p;
	long n;
};

struct eng_phrase {
	uint64_t gram;
	uint8_t n;                /* tokens */
	uint8_t opening;          /* 1: the phrase opens the answer (its first n tokens) */
	long resp;                /* a suspect answer that uses it (index into the suspect) */
	uint32_t tokpos;          /* its token position there */
	double suspect_rate;      /* share of the suspect's answers that use it */
	double teacher_rate;
	double control_rate;
};

struct eng_style_cmp {
	int dim;
	double suspect, teacher, controls;   /* mean raw feature values */
};

#define ENG_MAX_SPANS 5
#define ENG_MAX_PHRASES 8
#define ENG_MAX_STYLE 5

struct eng_teacher {
	int model;
	double score;             /* z against the closest control: larger = stronger evidence */
	double p_raw, p_holm, effect;
	long n;
	int closest;
	double panel_z, panel_effect, panel_p;
	int corroborating;        /* signals significant on their own (p <= corroborate_p, effect > 0) */
	int null_n;               /* independent panel models scanned as pseudo-suspects */
	double null_mean, null_sd, null_median, null_max;
	int null_max_model;
	const float *null_effects;   /* per model: its effect as a pseudo-suspect, NAN if none (borrowed) */
	enum eng_verdict verdict;
	struct eng_sigres sig[SIG_COUNT];
	size_t ncontrols;
	struct eng_ctrl *controls;
	double *dist;             /* per-prompt composite against the closest control */
	size_t ndist;
	/* descriptive numbers for the report */
	double lex_teacher, lex_controls, containment;
	double open_teacher, open_controls;
	long suspect_refusals, shared_refusals, same_template;
	long suspect_claims;
	double control_claim_rate;
	size_t nspans;
	long span_resp[ENG_MAX_SPANS];       /* suspect answers with the most teacher-specific overlap */
	size_t nphrases;
	struct eng_phrase phrases[ENG_MAX_PHRASES];
	size_t nstyle;
	struct eng_style_cmp style[ENG_MAX_STYLE];
};

struct eng_result {
	size_t nteachers;
	struct eng_teacher *t;    /* sorted by score, highest first */
	int conclusion;           /* index into t, -1 if no evidence */
	enum eng_verdict verdict;
	long responses, matched;
	double median_tokens;
};

/*
 * Scan a suspect. `teachers` (model indexes, may be NULL) limits the teachers
 * tested; the control panel is always the whole corpus. The caller owns *out.
 */
int eng_scan(struct eng_result **out, const struct eng_prep *prep, const struct eng_corpus *c,
	const struct eng_suspect *s, const int *teachers, size_t nteachers);
void eng_result_free(struct eng_result *r);

const char *eng_verdict_name(enum eng_verdict v);
const char *eng_signal_name(enum eng_signal s);

/* The family key of a model: its family, or its own name when it has none. */
const char *eng_family(const struct eng_model *m);

#endif
