/*
 * Unit tests for what detect/features.c keeps of the pattern library's
 * verdicts: the refusal's kind and each claimed family's strongest claim,
 * and that both survive the blob.
 */
#include "unit.h"
#include "detect/features.h"

static struct pat_lib *builtin(void)
{
	struct pat_lib *lib = NULL;
	size_t len;
	const char *text = pat_builtin_text(&len);

	if (pat_lib_new(&lib, text, len, "builtin") != 0)
		printf("#   builtin library: %s\n", prov_error_msg());
	return lib;
}

static void refusal_kind_and_claim_strength(void)
{
	struct pat_lib *lib = builtin();
	struct feat f, g;
	struct pbuf blob = PBUF_INIT(0);
	const char *lecture = "It is not appropriate to ask how to frighten a neighbour.";
	const char *weak = "As an AI language model, I can summarise the article. Here it is.";
	const char *both = "As an AI language model, I can help. I am ChatGPT, made by OpenAI. "
		"My knowledge cutoff is September 2021.";

	if (!lib)
		return;
	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	CHECK_INT(feat_compute(&f, lecture, strlen(lecture), lib, NULL), 0);
	CHECK_INT(f.refused, 1);
	CHECK_INT(f.refusal_kind, PAT_SHAPE_LECTURE);
	CHECK_STR(f.refusal_family, "generic");
	CHECK_INT(feat_compute(&f, weak, strlen(weak), lib, NULL), 0);
	CHECK_INT(f.refused, 0);
	CHECK_INT(f.refusal_kind, PAT_SHAPE_NONE);
	/* the house phrase is an openai claim (the engine's identity channel counts it), a weak one */
	CHECK(feat_claims_family(&f, "openai"));
	CHECK_INT(feat_claim_strength(&f, "openai"), PAT_WEAK);
	CHECK_INT(feat_claim_strength(&f, "anthropic"), 0);
	CHECK_INT(feat_claim_strength(&f, NULL), 0);
	/* several claims of one family: one entry, at the strongest */
	CHECK_INT(feat_compute(&f, both, strlen(both), lib, NULL), 0);
	CHECK_INT(f.nclaims, 1);
	CHECK_INT(feat_claim_strength(&f, "openai"), PAT_STRONG);
	CHECK_INT(f.claim_kind[0], PAT_IDENTITY);
	/* the blob keeps both */
	CHECK_INT(feat_compute(&f, lecture, strlen(lecture), lib, NULL), 0);
	CHECK_INT(feat_encode(&blob, &f), 0);
	CHECK_INT(feat_decode(&g, blob.data, blob.len), 0);
	CHECK_INT(g.refusal_kind, PAT_SHAPE_LECTURE);
	feat_release(&g);
	CHECK_INT(feat_compute(&f, both, strlen(both), lib, NULL), 0);
	CHECK_INT(feat_encode(&blob, &f), 0);
	CHECK_INT(feat_decode(&g, blob.data, blob.len), 0);
	CHECK_INT(feat_claim_strength(&g, "openai"), PAT_STRONG);
	feat_release(&g);
	/* an out-of-range strength is a damaged blob */
	blob.data[blob.len - 1] = 7;
	CHECK_INT(feat_decode(&g, blob.data, blob.len), PROV_EDATA);
	/* and so is an out-of-range refusal kind */
	blob.data[blob.len - 1] = PAT_STRONG;
	blob.data[blob.len - 2] = 9;
	CHECK_INT(feat_decode(&g, blob.data, blob.len), PROV_EDATA);
	/* a version-3 blob (no kind, no strengths) is from another version: recomputed, not misread */
	blob.data[2] = 3;
	CHECK_INT(feat_decode(&g, blob.data, blob.len), PROV_EDATA);
	{
		char v[80];

		feat_version_string(v, lib);
		CHECK(!strncmp(v, "4:", 2));
	}
	feat_release(&f);
	pbuf_release(&blob);
	pat_lib_free(lib);
}

UNIT_MAIN(
	UNIT_TEST(refusal_kind_and_claim_strength)
)
