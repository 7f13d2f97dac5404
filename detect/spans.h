/*
 * spans.h: the longest verbatim passages two answers share (evidence
 * excerpts), as token runs with byte offsets into both texts. Pure.
 */
#ifndef PROV_SPANS_H
#define PROV_SPANS_H

#include <stddef.h>
#include <stdint.h>
#include "detect/text.h"

struct span {
	size_t a_tok, b_tok;      /* first token in a and in b */
	size_t ntok;              /* length in tokens */
	size_t a_start, a_end;    /* byte offsets in text a */
	size_t b_start, b_end;    /* byte offsets in text b */
};

/*
 * Maximal runs of at least `min_tok` identical tokens shared by a and b,
 * longest first (at most `max_spans`), not overlapping in a. A run is
 * anchored on a min_tok-gram of a that also occurs in b; anchors whose
 * n-gram hash is in `common` (sorted ascending, may be NULL) are skipped, so
 * passages every model writes (boilerplate, the prompt) are not evidence.
 * The caller frees *out.
 */
int spans_find(struct span **out, size_t *n_out, const struct tokens *a, const struct tokens *b, size_t min_tok,
	const uint64_t *common, size_t ncommon, size_t max_spans);

/* The sorted, unique min_tok-gram hashes of a token-hash sequence (for `common`). */
int spans_ngrams(uint64_t **out, size_t *n_out, const uint32_t *tok, size_t ntok, size_t min_tok);

#endif
