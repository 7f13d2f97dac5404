/*
 * features.h: what the engine keeps of one response. Computed once (at
 * import for the corpus, at scan time for the suspect) and stored as a blob
 * next to the response, so that a scan never re-reads or re-tokenises the
 * corpus text.
 *
 *  - the token hashes (text.h), from which n-gram fingerprints are built;
 *  - a stylometric vector (FEAT_STYLE_DIM numbers, named by feat_style_name);
 *  - opener and closer fingerprints (the first 3 and last 4 tokens);
 *  - the refusal verdict, the template family and the refusal's shape (patterns.h);
 *  - the identity / knowledge-cutoff claims (families claimed, with their strength).
 * Pure: no I/O.
 */
#ifndef PROV_FEATURES_H
#define PROV_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include "detect/util.h"
#include "detect/text.h"
#include "detect/patterns.h"

/* Bump when the blob layout or any computed value changes meaning. */
#define FEAT_VERSION 4

#define FEAT_STYLE_DIM 68
#define FEAT_FAMILY_MAX 24
#define FEAT_CLAIMS_MAX 4

struct feat {
	uint32_t ntok;
	uint32_t *tok;                      /* token hashes, ntok of them */
	float style[FEAT_STYLE_DIM];
	uint64_t opener;                    /* 0 for an empty answer */
	uint64_t closer;
	int8_t refused;                     /* 1: refuses (fully or partly) */
	char refusal_family[FEAT_FAMILY_MAX];   /* "" if none */
	uint8_t nclaims;
	uint8_t claim_kind[FEAT_CLAIMS_MAX];    /* enum pat_kind */
	char claims[FEAT_CLAIMS_MAX][FEAT_FAMILY_MAX];  /* families claimed, distinct */
	uint8_t refusal_kind;                   /* enum pat_shape of the refusal, 0 if none */
	uint8_t claim_strength[FEAT_CLAIMS_MAX];    /* enum pat_strength: the strongest claim of that family */
};

/*
 * Compute the features of `text`. `lib` may be NULL (no refusal or claims).
 * `tokens_out` (may be NULL) receives the tokens with their offsets, for
 * callers that need them (evidence excerpts). Replaces *out's content; the
 * caller releases it with feat_release().
 */
int feat_compute(struct feat *out, const char *text, size_t len, const struct pat_lib *lib,
	struct tokens *tokens_out);
void feat_release(struct feat *f);

/* Serialise to a blob (replacing *out's content) / parse one (PROV_EDATA if malformed). */
int feat_encode(struct pbuf *out, const struct feat *f);
int feat_decode(struct feat *out, const void *blob, size_t len);

/*
 * How two responses agree on refusing: 0 unless both refuse; 1 when both do;
 * 2 when both use the same house template ("generic" templates belong to no
 * one and earn no bonus).
 */
double feat_refusal_agreement(const struct feat *a, const struct feat *b);

/*
 * Does the response claim to be (made by) this family? 1 for any claim, strong
 * ("I am ChatGPT") or weak ("As an AI language model"); feat_claim_strength
 * tells them apart.
 */
int feat_claims_family(const struct feat *f, const char *family);

/* The strongest claim of this family in the response: an enum pat_strength, 0 if none. */
int feat_claim_strength(const struct feat *f, const char *family);

/* The human-readable name of style dimension i. */
const char *feat_style_name(size_t i);

/* The feature version string stored with each blob: "<FEAT_VERSION>:<patterns sha256>". */
void feat_version_string(char out[80], const struct pat_lib *lib);

#endif
