/*
 * lexical.h: word n-grams of an answer and the per-prompt TF-IDF workspace.
 *
 * The lexical channel compares two answers to the same prompt by the cosine
 * of their TF-IDF vectors over word 1..n-grams, with the IDF computed over the
 * answers to that prompt (so what every model writes on the prompt weighs
 * little). A workspace holds the vectors of up to `nslots` answers to one
 * prompt; after lexws_weigh() every vector has its weights and its norm.
 * Pure, no I/O.
 */
#ifndef PROV_LEXICAL_H
#define PROV_LEXICAL_H

#include <stddef.h>
#include <stdint.h>
#include "detect/features.h"
#include "detect/hmap.h"

/*
 * All n-grams of lengths 1..maxn of an answer's tokens, in that order (all
 * unigrams, then all bigrams, ...), plus (bos) the opening one- and two-token
 * phrases marked as openings. *out (capacity *cap) is grown as needed; *nout
 * receives the count. 0 or PROV_ENOMEM.
 */
int grams_all(uint64_t **out, size_t *cap, size_t *nout, const struct feat *f, int maxn, int bos);

struct wvec {
	uint32_t *idx;
	float *w;
	size_t n, cap;
	double norm;
};

struct lexws {
	struct hmap map;            /* gram -> entry */
	uint32_t *df;               /* per entry: answers containing it */
	uint32_t *last;             /* per entry: last slot that counted it */
	uint32_t *pos;              /* per entry: position in that slot's vector */
	size_t nent, capent;
	struct wvec *v;
	size_t nslots;
	float *dense;               /* scratch, all zero between calls */
	size_t capdense;
	uint64_t *grams;
	size_t capgrams;
};

/* A workspace for nslots answers; 0 or PROV_ENOMEM. Release with lexws_release. */
int lexws_init(struct lexws *ws, size_t nslots);
void lexws_release(struct lexws *ws);
/* Forget the previous prompt's entries (slots are refilled by lexws_add). */
void lexws_reset(struct lexws *ws);
/* Count answer f's grams into slot (f NULL: the slot is empty). */
int lexws_add(struct lexws *ws, size_t slot, const struct feat *f, int maxn);
/* Turn counts into weights, IDF = log(1 + K / df) over k_answers; sets each norm. */
int lexws_weigh(struct lexws *ws, size_t k_answers);
/* Cosine of two slots (0 if either is empty). */
double lexws_cos(struct lexws *ws, size_t a, size_t b);
/* Share of slot a's weight whose grams slot b also has. */
double lexws_containment(struct lexws *ws, size_t a, size_t b);
/* acc[entry] += unit vector of slot a (acc has ws->nent entries). */
void lexws_accumulate(const struct lexws *ws, size_t a, double *acc);
/* Dot product of slot a's unit vector with acc. */
double lexws_dot(const struct lexws *ws, size_t a, const double *acc);

#endif
