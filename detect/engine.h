/*
 * engine.h: the detection engine. Given a corpus (teachers and references,
 * their features per prompt) and a suspect's features, it says for every
 * teacher whether the suspect's answers are closer to that teacher's than
 * the panel's own models are, with a calibrated p-value, an effect size, a
 * verdict and how robust that verdict is to the choice of controls.
 *
 * Method (docs/method.md):
 *  - Six per-prompt channels compare an answer A_i with each panel answer
 *    X_i: lexical (IDF-weighted cosine of word 1-2-grams, IDF over the answers
 *    to that prompt), style (cosine of z-scored stylometric vectors),
 *    opener/closer agreement, phrases (rate of the teacher's characteristic
 *    n-grams, cross-fitted over prompts and over models), refusal agreement,
 *    identity claims of the teacher's family.
 *  - The statistic of a model A against teacher T: the mean over prompts of
 *    D_i = sum over channels of (x(A_i, T_i) - mean over the panel of
 *    x(A_i, C_i)) / scale, the panel being every model outside T's family and
 *    outside A's own family.
 *  - Calibration with models: the same statistic for every panel model Y
 *    (against the panel without Y's family) on the suspect's own prompts is
 *    the null; the suspect's position in it is a single-case test (Crawford
 *    and Howell's t) and an exact rank. Holm across teachers.
 *  - Verdict levels from the calibrated, corrected p (and, for moderate and
 *    strong, a suspect above every null model); robustness with each
 *    control and each family of controls left out; the prompts that would
 *    settle an unclear case.
 *  - Per-control prompt-level sign-flip tests stay as descriptive
 *    attribution (which control is closest, which signals carry it).
 * Pure: no I/O, no SQLite, no printing. Deterministic for any thread count.
 */
#ifndef PROV_ENGINE_H
#define PROV_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "detect/features.h"
#include "detect/util.h"

/* Bump when any number the engine produces can change for the same inputs. */
#define ENG_VERSION "4"

enum eng_signal { SIG_LEXICAL, SIG_PHRASES, SIG_STYLE, SIG_REFUSAL, SIG_IDENTITY, SIG_COUNT };

enum eng_verdict { V_NONE = 0, V_WEAK = 1, V_MODERATE = 2, V_STRONG = 3, V_INCONCLUSIVE = 4 };

struct eng_params {
	int lex_max_n;            /* lexical n-grams: 1..lex_max_n (2) */
	int phrase_max_n;         /* phrase n-grams: 1..phrase_max_n (3) */
	int phrase_markers;       /* characteristic phrases kept per teacher, fold and model group (300) */
	double phrase_min_z;      /* minimum log-odds z of a characteristic phrase (2.0) */
	double phrase_prior;      /* Dirichlet prior strength, in answers (20) */
	int phrase_min_docs;      /* a phrase must appear in this many teacher answers (3) */
	int min_prompts;          /* fewer prompts paired with the teacher: inconclusive (20) */
	double min_tokens;        /* median suspect answer shorter than this: inconclusive (5) */
	int min_null;             /* fewer null models: inconclusive (4) */
	double strong_p;          /* calibrated, Holm-corrected p for strong (1e-4) */
	double moderate_p;        /* (1e-3) */
	double weak_p;            /* (0.05) */
	double outlier_p;         /* a null model this far out (Holm over the null) is a suspected contaminated control (0.01) */
	double corroborate_p;     /* descriptive: a signal corroborates at this prompt-level p (0.05) */
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
	/*
	 * [prompt * nmodels + model], NULL if missing. eng_prepare needs every
	 * answer; eng_scan reads only the suspect's prompts; eng_build reads
	 * none (resp may be NULL, with `has` set).
	 */
	const struct feat *const *resp;
	const uint8_t *has;                  /* [prompt * nmodels + model]: 1 if answered; NULL: from resp */
};

struct eng_suspect {
	size_t n;
	const struct feat *const *resp;      /* the suspect's answers */
	const long *prompt;                  /* corpus prompt index of each, -1 if unmatched */
	const uint8_t *fold;                 /* fold of each answer's prompt key */
};

struct eng_prep;

/*
 * Everything that depends only on the corpus: the phrase markers, the channel
 * scales, and every panel model's per-prompt values against every teacher
 * (the null table). Cost and memory grow with the answer pairs (teacher,
 * model) per prompt, not with all pairs of models. `threads` (>= 1) share
 * the work; the result is the same for any count. The caller owns *out.
 */
int eng_prepare(struct eng_prep **out, const struct eng_corpus *c, const struct eng_params *p, int threads);
/*
 * The same preparation from a corpus that is not in memory at once, in
 * pieces; the result is the same bytes as eng_prepare's whatever the chunks
 * and the thread count. The corpus `c` needs `has` (or `resp`) and must
 * outlive the build. Order:
 *  1. eng_build_teacher for every teacher model m: its answers, prompt q's at
 *     col[q * stride];
 *  2. eng_build_count for chunks covering every prompt in order;
 *  3. eng_build_table for chunks covering every prompt in order again;
 *  4. eng_build_finish, then eng_build_free.
 * Memory: the counts and the null table, plus whatever one chunk holds.
 * PROV_EINTERNAL when a call comes out of order.
 */
struct eng_chunk {
	size_t q0, q1;                       /* prompts [q0, q1) */
	const struct feat *const *resp;      /* [(q - q0) * nmodels + model], NULL if missing */
};
struct eng_build;
int eng_build_begin(struct eng_build **out, const struct eng_corpus *c, const struct eng_params *p, int threads);
int eng_build_teacher(struct eng_build *b, size_t m, const struct feat *const *col, size_t stride);
int eng_build_count(struct eng_build *b, const struct eng_chunk *k);
int eng_build_table(struct eng_build *b, const struct eng_chunk *k);
int eng_build_finish(struct eng_build *b, struct eng_prep **out);
void eng_build_free(struct eng_build *b);
/*
 * The same preparation computed the plain way (every panel mean summed pair by
 * pair, every phrase rate counted directly): slow, kept to test eng_prepare.
 */
int eng_prepare_naive(struct eng_prep **out, const struct eng_corpus *c, const struct eng_params *p);
/* Largest absolute difference between two preparations' null tables (NAN if their shapes differ). */
double eng_prep_diff(const struct eng_prep *a, const struct eng_prep *b);
void eng_prep_free(struct eng_prep *prep);

/* Serialise / restore a preparation (the cache). Decoding checks it matches `c`. */
int eng_prep_encode(struct pbuf *out, const struct eng_prep *prep);
/* An upper bound on the bytes of a preparation's tables, from which models answered what. */
size_t eng_prep_estimate(const struct eng_corpus *c);
/* Bytes of memory the preparation holds (for the cache and the docs). */
size_t eng_prep_bytes(const struct eng_prep *prep);
int eng_prep_decode(struct eng_prep **out, const void *blob, size_t len, const struct eng_corpus *c,
	const struct eng_params *p);
/* The same, taking blob's buffer (left empty): the null table is read in place, not copied. */
int eng_prep_decode_take(struct eng_prep **out, struct pbuf *blob, const struct eng_corpus *c,
	const struct eng_params *p);

struct eng_sigres {
	int available;            /* 0: no data for this signal (e.g. no refusals anywhere) */
	double z, effect, p;      /* descriptive: against the closest control (largest per-control p) */
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

/* A panel model scanned as a pseudo-suspect against teacher T on the suspect's prompts. */
struct eng_null {
	int model;
	double stat;              /* its statistic */
	long n;                   /* prompts it entered with */
	int outlier;              /* 1: far above the other null models (possibly derived from T) */
	double t, p;              /* its own single-case test against the other null models */
};

/* The verdict with one control (kind 0) or one family of controls (kind 1) left out. */
struct eng_without {
	int model;                /* the control, or a member of the family */
	int kind;
	enum eng_verdict verdict;
	double p_holm;
};

struct eng_teacher {
	int model;
	/* the calibrated test: what the verdict rests on */
	double stat;              /* the suspect's statistic */
	double score;             /* Crawford-Howell t (larger = stronger evidence) */
	double p_raw, p_holm;     /* one-sided calibrated p, before and after Holm */
	double df;
	double null_mean, null_sd;
	double position;          /* (stat - null_mean) / null_sd */
	int null_k;               /* null models */
	int rank;                 /* 1 + null models at or above the suspect */
	double rank_p;            /* rank / (null_k + 1) */
	size_t nnulls;
	struct eng_null *nulls;
	int holm_factor;          /* the Holm multiplier applied to this teacher */
	int contaminated;         /* null models flagged as outliers */
	enum eng_verdict verdict;
	const char *reason;       /* why inconclusive (static text), or NULL */
	long n;                   /* suspect answers paired with the teacher's */
	double effect;            /* prompt-level: mean D / sd D of the suspect (Cohen's d_z) */
	double panel_z, panel_effect, panel_p;   /* prompt-level sign-flip test of D against 0 */
	/* robustness */
	int stable;
	size_t nwithout;
	struct eng_without *without;
	/* prompts at which the same effect would reach moderate / strong; -1 unreachable */
	long needed_moderate, needed_strong;
	long identical;           /* suspect answers identical (after normalisation) to the teacher's */
	/* descriptive attribution: prompt-level tests against each control */
	int closest;              /* the control the suspect is closest to (largest per-control p) */
	double closest_z, closest_effect, closest_p;
	int corroborating;        /* signals significant on their own against their closest control */
	struct eng_sigres sig[SIG_COUNT];
	size_t ncontrols;
	struct eng_ctrl *controls;
	double *dist;             /* per-prompt D of the suspect */
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
	struct eng_teacher *t;    /* sorted by verdict, then score, highest first */
	int conclusion;           /* index into t, -1 if no evidence */
	enum eng_verdict verdict;
	long responses, matched;
	double median_tokens;
	int references, makers;   /* taking part (answered at least min_prompts of the suspect's prompts): references, their families */
};

/*
 * Scan a suspect. `teachers` (model indexes, may be NULL) limits the teachers
 * tested; the control panel is always the whole corpus. The caller owns *out.
 */
int eng_scan(struct eng_result **out, const struct eng_prep *prep, const struct eng_corpus *c,
	const struct eng_suspect *s, const int *teachers, size_t nteachers);
/* The same with the teachers spread over `threads` threads (>= 1): the same result for any count. */
int eng_scan_mt(struct eng_result **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const int *teachers, size_t nteachers, int threads);
void eng_result_free(struct eng_result *r);

/*
 * The same scan with the panel's answers read a chunk of prompts at a time:
 * eng_sims_begin, then eng_sims_add for chunks covering every prompt the
 * suspect matched (each once, in any order; the chunk's answers may be let go
 * afterwards), then eng_scan_sims, whose corpus needs `resp` only for the
 * teachers' answers to the suspect's prompts. The same result as eng_scan_mt.
 * What is kept per suspect answer and panel model is a few numbers (about 30
 * bytes), not the answer.
 */
struct eng_sims;
int eng_sims_begin(struct eng_sims **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s);
int eng_sims_add(struct eng_sims *ss, const struct eng_prep *pr, const struct eng_suspect *s,
	const struct eng_chunk *k);
int eng_scan_sims(struct eng_result **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const struct eng_sims *ss, const int *teachers, size_t nteachers, int threads);
void eng_sims_free(struct eng_sims *ss);

const char *eng_verdict_name(enum eng_verdict v);
const char *eng_signal_name(enum eng_signal s);

/* The family key of a model: its family, or its own name when it has none. */
const char *eng_family(const struct eng_model *m);

#endif
