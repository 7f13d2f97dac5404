/*
 * engine_int.h: what the preparation (prep.c) hands the scan (engine.c).
 * Internal to detect/; see engine.h for the contract.
 */
#ifndef PROV_ENGINE_INT_H
#define PROV_ENGINE_INT_H

#include "detect/engine.h"
#include "detect/phrases.h"

/* Channels of the per-prompt comparison. */
enum { CH_LEX, CH_STY, CH_OPEN, CH_PHR, CH_REF, CH_IDN, CH_COUNT };

/*
 * One null-table entry: panel model y's differences on one prompt against one
 * teacher: x(y, T) minus the mean of x(y, C) over y's panel, per channel (the
 * count channels summed in `cnt`), and y's phrase rate under the teacher's
 * markers (what a suspect's phrase rate is compared with). NAN: no panel.
 */
struct eng_entry {
	uint32_t y;
	float lex, sty, phr, cnt;
	float rate;
};

/* The union of every marker set: one lookup per n-gram of an answer serves every teacher. */
struct mk_index {
	struct hmap map;            /* gram -> uid */
	size_t nuid, words;
	uint64_t *bits;             /* per marker set: `words` words */
};

struct eng_prep {
	size_t nmodels, nprompts;
	struct eng_params params;
	float style_mean[FEAT_STYLE_DIM];
	float style_sd[FEAT_STYLE_DIM];
	float *model_style;         /* nmodels * DIM: mean raw style per model */
	int *fam;                   /* per model: family id */
	size_t nfam;
	uint8_t *group;             /* per model: phrase group of its family */
	int *col;                   /* per model: tracked column (teacher-family member) or -1 */
	size_t ncols;
	size_t nteach;
	int *teach;                 /* teacher model indexes, ascending */
	int *tix;                   /* per model: its teacher index, -1 */
	struct markers *mk;         /* nteach * 4: [ti * 4 + fold * 2 + g]: on prompts of fold, against group g */
	struct mk_index mi;
	float *scale;               /* nteach * 3: lex, sty, phr (0: no variation) */
	float *mean_rate;           /* (nmodels * nteach + m... ) [m * nteach * 2 + ti * 2 + fold] */
	double *claim_rate;         /* [ti * nmodels + m]: share of model m's answers claiming teacher ti's family */
	uint64_t *off;              /* nprompts * nteach + 1: entries of (q, ti) start at off[q * nteach + ti] */
	struct eng_entry *ent;
	size_t nent;
	void *backing;              /* set: ent points into this buffer (a cache value taken whole), freed with it */
};

/* The marker set an answer of a model of group g on a prompt of fold f is scored with. */
static inline size_t mk_slot(size_t ti, int fold, int g)
{
	return ti * 4 + (size_t)(1 - fold) * 2 + (size_t)(1 - g);
}

/* Hits of an answer's grams in marker set `set`, through the union index. */
size_t mk_hits(const struct mk_index *mi, size_t set, const uint32_t *uid, const uint16_t *cnt, size_t n);
/* The answer's grams looked up once: *n (uid, count) pairs into the growable arrays. */
int mk_lookup(const struct mk_index *mi, const uint64_t *grams, size_t ng, uint32_t **uid, uint16_t **cnt,
	size_t *cap, size_t *n);
/* Build the union index of pr->mk. */
int mk_index_build(struct mk_index *mi, const struct markers *mk, size_t nsets);
void mk_index_release(struct mk_index *mi);

/* Family layout from the corpus (fam, group, col, teach, tix). */
int prep_layout(struct eng_prep *pr, const struct eng_corpus *c);

/* Style z-score of a raw vector under the preparation's panel statistics. */
void prep_zscore(float *out, const float *raw, const struct eng_prep *pr);

/* A z-scored style vector scaled to unit length (all zero if it has none). */
void prep_unit_style(float *out, const float *raw, const struct eng_prep *pr);

/* 1 if the answers open with the same three tokens, plus 1 if they close with the same four. */
static inline double eng_open_match(const struct feat *a, const struct feat *b)
{
	return (a->ntok && a->opener == b->opener ? 1.0 : 0.0) + (a->ntok && a->closer == b->closer ? 1.0 : 0.0);
}

/* The entry's composite difference D under teacher ti's scales, NAN if it has no panel. */
double prep_entry_d(const struct eng_prep *pr, size_t ti, const struct eng_entry *e);

#endif
