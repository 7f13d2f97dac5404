/* Unit tests for detect/spans.c. */
#include "unit.h"
#include "detect/spans.h"

static void copied_passage_is_found_with_offsets(void)
{
	const char *a = "Well. It's important to note that consistency matters more than intensity when starting out.";
	const char *b = "Certainly! It's important to note that consistency matters more than intensity for beginners.";
	struct tokens ta = TOKENS_INIT, tb = TOKENS_INIT;
	struct span *sp = NULL;
	size_t n = 0;

	CHECK_INT(text_tokenize(&ta, a, strlen(a)), 0);
	CHECK_INT(text_tokenize(&tb, b, strlen(b)), 0);
	CHECK_INT(spans_find(&sp, &n, &ta, &tb, 8, NULL, 0, 5), 0);
	CHECK_INT(n, 1);
	if (n) {
		CHECK_INT(sp[0].ntok, 10);
		CHECK(!strncmp(a + sp[0].a_start, "It's important", 14));
		CHECK(!strncmp(b + sp[0].b_start, "It's important", 14));
		CHECK(!strncmp(a + sp[0].a_end - 9, "intensity", 9));
	}
	free(sp);
	tokens_release(&ta);
	tokens_release(&tb);
}

static void common_passages_are_not_evidence(void)
{
	const char *a = "the quick brown fox jumps over the lazy dog every single day";
	const char *b = "yes the quick brown fox jumps over the lazy dog every single day";
	struct tokens ta = TOKENS_INIT, tb = TOKENS_INIT;
	struct span *sp = NULL;
	uint64_t *common = NULL;
	size_t n = 0, nc = 0, i;
	uint32_t h[64];

	CHECK_INT(text_tokenize(&ta, a, strlen(a)), 0);
	CHECK_INT(text_tokenize(&tb, b, strlen(b)), 0);
	for (i = 0; i < ta.n; i++)
		h[i] = ta.v[i].hash;
	CHECK_INT(spans_ngrams(&common, &nc, h, ta.n, 8), 0);
	CHECK_INT(spans_find(&sp, &n, &ta, &tb, 8, common, nc, 5), 0);
	CHECK_INT(n, 0);
	free(sp);
	free(common);
	/* an unrelated answer shares nothing */
	CHECK_INT(text_tokenize(&tb, "completely different words here", 31), 0);
	CHECK_INT(spans_find(&sp, &n, &ta, &tb, 8, NULL, 0, 5), 0);
	CHECK_INT(n, 0);
	free(sp);
	tokens_release(&ta);
	tokens_release(&tb);
}

static void passages_stop_where_common_text_begins(void)
{
	/* the shared run continues into a sentence the prompt also contains: it must stop before it */
	const char *a = "alpha beta gamma delta epsilon zeta eta theta iota kappa and then the prompt says one two three four five six seven eight nine";
	const char *b = "here alpha beta gamma delta epsilon zeta eta theta iota kappa and then the prompt says one two three four five six seven eight nine";
	const char *p = "the prompt says one two three four five six seven eight nine";
	struct tokens ta = TOKENS_INIT, tb = TOKENS_INIT, tp = TOKENS_INIT;
	struct span *sp = NULL;
	uint64_t *common = NULL;
	size_t n = 0, nc = 0, i;
	uint32_t h[64];

	CHECK_INT(text_tokenize(&ta, a, strlen(a)), 0);
	CHECK_INT(text_tokenize(&tb, b, strlen(b)), 0);
	CHECK_INT(text_tokenize(&tp, p, strlen(p)), 0);
	for (i = 0; i < tp.n; i++)
		h[i] = tp.v[i].hash;
	CHECK_INT(spans_ngrams(&common, &nc, h, tp.n, 8), 0);
	CHECK_INT(spans_find(&sp, &n, &ta, &tb, 8, common, nc, 5), 0);
	CHECK_INT(n, 1);
	if (n) {
		/* alpha .. prompt says one two three four: the 8-gram "the prompt says one two three four five" is common */
		CHECK(sp[0].ntok < 20);
		CHECK(strstr(a + sp[0].a_end, "five six seven eight nine") != NULL);
	}
	free(sp);
	free(common);
	tokens_release(&ta);
	tokens_release(&tb);
	tokens_release(&tp);
}

UNIT_MAIN(
	UNIT_TEST(passages_stop_where_common_text_begins),
	UNIT_TEST(copied_passage_is_found_with_offsets),
	UNIT_TEST(common_passages_are_not_evidence)
)
