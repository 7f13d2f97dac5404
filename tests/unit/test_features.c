/* Unit tests for detect/features.c and detect/text.c tokens. */
#include "unit.h"
#include "detect/features.h"

static struct pat_lib *builtin(void)
{
	struct pat_lib *lib = NULL;
	size_t len = 0;
	const char *t = pat_builtin_text(&len);

	CHECK_INT(pat_lib_new(&lib, t, len, "builtin"), 0);
	return lib;
}

static void tokens_words_cjk_and_offsets(void)
{
	struct tokens t = TOKENS_INIT;
	const char *s = "Don't STOP, café — 北京大学 42!";

	CHECK_INT(text_tokenize(&t, s, strlen(s)), 0);
	/* don't | stop | café | 北 | 京 | 大 | 学 | 42 */
	CHECK_INT(t.n, 8);
	CHECK_INT(t.v[0].start, 0);
	CHECK_INT(t.v[0].end, 5);
	CHECK_INT(t.v[3].kind, TOK_CJK);
	CHECK_INT(t.v[7].kind, TOK_NUM);
	CHECK(t.v[1].hash == text_token_hash("stop", 4));   /* case folded */
	tokens_release(&t);
}

static void tokens_normalise_width_and_accents(void)
{
	struct tokens a = TOKENS_INIT, b = TOKENS_INIT;
	const char *x = "caf\xc3\xa9 \xef\xbc\xa1\xef\xbc\xa9", *y = "CAFE\xcc\x81 ai";

	CHECK_INT(text_tokenize(&a, x, strlen(x)), 0);
	CHECK_INT(text_tokenize(&b, y, strlen(y)), 0);
	CHECK_INT(a.n, 2);
	CHECK_INT(b.n, 2);
	CHECK(a.v[0].hash == b.v[0].hash);
	CHECK(a.v[1].hash == b.v[1].hash);
	CHECK_INT(text_tokenize(&a, "a\xff", 2), PROV_EDATA);
	tokens_release(&a);
	tokens_release(&b);
}

static void greek_words_are_words(void)
{
	struct tokens t = TOKENS_INIT;
	const char *s = "Ακολουθεί ένα βήμα-πρόβλημα; ΕΊΝΑΙ";

	CHECK_INT(text_tokenize(&t, s, strlen(s)), 0);
	CHECK_INT(t.n, 5);
	CHECK_INT(t.v[0].kind, TOK_WORD);
	tokens_release(&t);
}

static void style_vector_sees_markdown(void)
{
	struct feat plain, md;
	const char *a = "A short plain answer. It has two sentences.";
	const char *b = "Certainly! Here are the steps:\n\n1. **First** do this.\n2. **Then** that.\n\n- a bullet\n\n"
		"```\ncode\n```\n\nI hope this helps!";

	memset(&plain, 0, sizeof(plain));
	memset(&md, 0, sizeof(md));
	CHECK_INT(feat_compute(&plain, a, strlen(a), NULL, NULL), 0);
	CHECK_INT(feat_compute(&md, b, strlen(b), NULL, NULL), 0);
	CHECK(md.style[3] > plain.style[3]);     /* numbered lines */
	CHECK(md.style[4] > plain.style[4]);     /* bullets */
	CHECK(md.style[6] > plain.style[6]);     /* bold */
	CHECK_NEAR(md.style[7], 1, 0);           /* one code block */
	CHECK_NEAR(md.style[24], 1, 0);          /* exclamatory opener */
	CHECK_STR(feat_style_name(6), "bold markers per 100 words");
	CHECK(md.opener != plain.opener);
	feat_release(&plain);
	feat_release(&md);
}

static void refusal_and_claims_from_the_pattern_library(void)
{
	struct pat_lib *lib = builtin();
	struct feat f;
	const char *r = "I'm sorry, but I can't assist with that request.";
	const char *c = "Sure. As an AI language model developed by OpenAI, I don't have opinions.";

	memset(&f, 0, sizeof(f));
	CHECK_INT(feat_compute(&f, r, strlen(r), lib, NULL), 0);
	CHECK_INT(f.refused, 1);
	CHECK_STR(f.refusal_family, "openai");
	CHECK_INT(feat_compute(&f, c, strlen(c), lib, NULL), 0);
	CHECK_INT(f.refused, 0);
	CHECK(feat_claims_family(&f, "openai"));
	CHECK(!feat_claims_family(&f, "anthropic"));
	feat_release(&f);
	pat_lib_free(lib);
}

static void blob_round_trip_and_damage(void)
{
	struct pat_lib *lib = builtin();
	struct feat a, b;
	struct pbuf blob = PBUF_INIT(0);
	const char *t = "I apologize, but I don't feel comfortable helping with that. I'm Claude, made by Anthropic.";

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CHECK_INT(feat_compute(&a, t, strlen(t), lib, NULL), 0);
	CHECK_INT(feat_encode(&blob, &a), 0);
	CHECK_INT(feat_decode(&b, blob.data, blob.len), 0);
	CHECK_INT(b.ntok, a.ntok);
	CHECK(!memcmp(a.tok, b.tok, a.ntok * 4));
	CHECK(!memcmp(a.style, b.style, sizeof(a.style)));
	CHECK(a.opener == b.opener && a.closer == b.closer);
	CHECK_INT(b.refused, a.refused);
	CHECK_STR(b.refusal_family, a.refusal_family);
	CHECK_INT(b.nclaims, a.nclaims);
	CHECK(feat_claims_family(&b, "anthropic"));
	feat_release(&b);
	CHECK_INT(feat_decode(&b, blob.data, blob.len - 1), PROV_EDATA);
	blob.data[2] = 99;   /* another version */
	CHECK_INT(feat_decode(&b, blob.data, blob.len), PROV_EDATA);
	feat_release(&a);
	pbuf_release(&blob);
	pat_lib_free(lib);
}

static void greek_questions_capitals_and_word_length(void)
{
	struct feat f;
	const char *q = "\xce\xa0\xce\xbf\xce\xb9\xce\xbf \xce\xb5\xce\xaf\xce\xbd\xce\xb1\xce\xb9 \xcf\x84\xce\xbf"
		" \xcf\x83\xcf\x89\xcf\x83\xcf\x84\xcf\x8c; \xce\x98\xce\xad\xce\xbb\xce\xb5\xcf\x84\xce\xb5 \xce\xbd\xce\xb1"
		" \xcf\x83\xcf\x85\xce\xbd\xce\xb5\xcf\x87\xce\xaf\xcf\x83\xcf\x89;";   /* "Ποιο είναι το σωστό; Θέλετε να συνεχίσω;" */

	memset(&f, 0, sizeof(f));
	CHECK_INT(feat_compute(&f, q, strlen(q), NULL, NULL), 0);
	CHECK_NEAR(f.style[15], 2.0 * 100.0 / 7.0, 1e-4);   /* question marks per 100 words */
	CHECK_NEAR(f.style[12], 0, 0);                      /* no semicolons */
	CHECK_NEAR(f.style[25], 1, 0);                      /* ends with a question */
	CHECK_NEAR(f.style[2], 3.5, 1e-6);                  /* two sentences of 7 words */
	CHECK_NEAR(f.style[21], 2.0 / 7.0, 1e-6);           /* Π and Θ are capitals */
	CHECK(f.style[22] < 6.0);                           /* word length counts characters, not bytes */
	CHECK_STR(feat_style_name(22), "mean word length (characters)");
	feat_release(&f);
}

static void refusal_agreement_rewards_house_templates_only(void)
{
	struct feat a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CHECK_NEAR(feat_refusal_agreement(&a, &b), 0, 0);
	a.refused = b.refused = 1;
	snprintf(a.refusal_family, sizeof(a.refusal_family), "openai");
	snprintf(b.refusal_family, sizeof(b.refusal_family), "openai");
	CHECK_NEAR(feat_refusal_agreement(&a, &b), 2, 0);
	snprintf(b.refusal_family, sizeof(b.refusal_family), "anthropic");
	CHECK_NEAR(feat_refusal_agreement(&a, &b), 1, 0);
	snprintf(a.refusal_family, sizeof(a.refusal_family), "generic");
	snprintf(b.refusal_family, sizeof(b.refusal_family), "generic");
	CHECK_NEAR(feat_refusal_agreement(&a, &b), 1, 0);
	b.refused = 0;
	CHECK_NEAR(feat_refusal_agreement(&a, &b), 0, 0);
}

UNIT_MAIN(
	UNIT_TEST(greek_questions_capitals_and_word_length),
	UNIT_TEST(refusal_agreement_rewards_house_templates_only),
	UNIT_TEST(tokens_words_cjk_and_offsets),
	UNIT_TEST(tokens_normalise_width_and_accents),
	UNIT_TEST(greek_words_are_words),
	UNIT_TEST(style_vector_sees_markdown),
	UNIT_TEST(refusal_and_claims_from_the_pattern_library),
	UNIT_TEST(blob_round_trip_and_damage)
)
