/*
 * phrases.h: a teacher's characteristic phrases (word 1..3-grams and the
 * answer's opening words) and how often an answer uses them.
 *
 * Selection is cross-fitted twice over (docs/method.md, "Phrases"): over
 * prompts, by the fold of each prompt's key (phrases selected on one fold are
 * counted on the other), and over models, by the group of each control's
 * family (phrases selected against the controls of one group are counted for
 * models of the other group). No answer is ever scored with phrases chosen
 * with its own help, so the suspect and every panel model are treated alike.
 * Pure, no I/O.
 */
#ifndef PROV_PHRASES_H
#define PROV_PHRASES_H

#include <stddef.h>
#include <stdint.h>
#include "detect/engine.h"
#include "detect/hmap.h"

/* How the models of a corpus enter the counts. */
struct phr_layout {
	size_t nmodels;
	const int *fam;             /* per model: family id */
	const uint8_t *group;       /* per model: 0 or 1 */
	const int *col;             /* per model: its own count column, -1 if untracked */
	size_t ncols;               /* every member of a teacher's family is tracked */
};

/* Per fold: every candidate phrase (one some teacher uses in >= min_docs answers) and its counts. */
struct foldstats {
	size_t ncand;
	uint64_t *gram;             /* sorted */
	uint32_t *count;            /* ncand * (2 + ncols): answers using it in group 0, group 1, each tracked model */
	uint32_t *answers;          /* per model: answers in this fold */
};

/*
 * Both folds' counts, built from the corpus in pieces so that a corpus need
 * not be in memory at once: phr_build_teacher for every teacher (its answers
 * give the candidates), phr_build_ready, phr_build_count for every chunk of
 * prompts (each prompt once), phr_build_counted; then b->fs[0] and b->fs[1]
 * hold the counts. Memory is the candidates' counts, not the corpus's n-grams.
 * The counts depend neither on the thread count nor on the chunks.
 */
struct phr_build {
	uint64_t *cand[2];          /* candidates per fold, appended per teacher */
	size_t ncand[2], capcand[2];
	struct hmap idx[2];         /* gram -> candidate */
	int threads;
	size_t width;               /* 2 + ncols */
	uint32_t **count[2];        /* per fold, per thread */
	struct foldstats fs[2];
};

int phr_build_teacher(struct phr_build *b, const struct feat *const *col, size_t stride, const uint8_t *fold,
	size_t np, const struct eng_params *p);
int phr_build_ready(struct phr_build *b, const struct phr_layout *lay, int threads);
int phr_build_count(struct phr_build *b, const struct eng_corpus *c, const struct phr_layout *lay,
	const struct eng_params *p, const struct eng_chunk *k);
void phr_build_counted(struct phr_build *b);
void phr_build_release(struct phr_build *b);
void foldstats_release(struct foldstats *fs);

struct markers {
	size_t n;
	uint64_t *gram;             /* the characteristic phrases, best first */
	float *z;
	float *rate_t, *rate_c;     /* share of teacher / control answers using it */
	struct hmap set;            /* gram -> rank */
};

/*
 * The characteristic phrases of teacher t against the controls of group g
 * (models of that group outside t's family), by the log-odds ratio with an
 * informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) on answer
 * frequencies. Empty when either side has no answers. 0 or PROV_ENOMEM.
 */
int markers_select(struct markers *out, const struct foldstats *fs, const struct phr_layout *lay, size_t t,
	int g, const struct eng_params *p);
void markers_release(struct markers *mk);

/* Occurrences of the markers per 1000 n-grams of an answer (smoothed for short answers). */
double markers_rate(const struct markers *mk, const uint64_t *grams, size_t ng);
double markers_rate_hits(size_t hits, size_t ng);

/* The group (0 or 1) of a family name: a fixed hash, so adding a family moves no other. */
uint8_t phr_group_of(const char *family);

#endif
