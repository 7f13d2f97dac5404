/* Unit tests for detect/patterns.c: the built-in library, the refusal and claim detectors. */
#include <pthread.h>

#include "unit.h"
#include "detect/patterns.h"

static struct pat_lib *builtin(void)
{
	struct pat_lib *lib = NULL;
	size_t len;
	const char *text = pat_builtin_text(&len);

	if (pat_lib_new(&lib, text, len, "builtin") != 0)
		printf("#   builtin library: %s\n", prov_error_msg());
	return lib;
}

static struct pat_lib *from_text(const char *text)
{
	struct pat_lib *lib = NULL;

	if (pat_lib_new(&lib, text, strlen(text), "test.tsv") != 0)
		printf("#   test library: %s\n", prov_error_msg());
	return lib;
}

static int find_pattern(const struct pat_lib *lib, const char *name)
{
	size_t i;

	for (i = 0; i < pat_lib_count(lib); i++)
		if (!strcmp(pat_lib_pattern(lib, i)->name, name))
			return (int)i;
	return -1;
}

static struct pat_refusal refusal_of(const struct pat_lib *lib, const char *text)
{
	struct pat_refusal r;

	memset(&r, 0, sizeof(r));
	CHECK_INT(pat_find_refusal(lib, text, strlen(text), &r), 0);
	return r;
}

static void builtin_library_loads(void)
{
	struct pat_lib *lib = builtin();
	size_t i, kinds[5] = { 0 };

	CHECK(lib != NULL);
	if (!lib)
		return;
	CHECK(pat_lib_count(lib) > 50);
	CHECK_INT(strlen(pat_lib_sha256(lib)), 64);
	for (i = 0; i < pat_lib_count(lib); i++) {
		const struct pat_info *p = pat_lib_pattern(lib, i);

		CHECK(p->kind >= PAT_REFUSAL && p->kind <= PAT_FALSE_FRIEND);
		kinds[p->kind]++;
	}
	for (i = 1; i < 5; i++)
		CHECK(kinds[i] > 0);
	CHECK(pat_lib_pattern(lib, pat_lib_count(lib)) == NULL);
	CHECK_INT(pat_lib_match(lib, pat_lib_count(lib), "x", 1, NULL, NULL), PROV_EUSAGE);
	pat_lib_free(lib);
	pat_lib_free(NULL);
}

/* One line of tests/fixtures/pattern_cases.tsv, checked against the built-in library. */
static void check_case(const struct pat_lib *lib, long line, const char *name, int want, const char *text,
	int *have_match, int *have_nomatch)
{
	int i = find_pattern(lib, name), rc;
	const struct pat_info *p;
	size_t len = strlen(text), s = 0, e = 0;

	if (i < 0) {
		printf("#   pattern_cases.tsv:%ld: no pattern named '%s'\n", line, name);
		unit_failed = 1;
		return;
	}
	p = pat_lib_pattern(lib, (size_t)i);
	rc = pat_lib_match(lib, (size_t)i, text, len, &s, &e);
	if (rc != want) {
		printf("#   pattern_cases.tsv:%ld: %s %s \"%s\" (rc %d%s%s)\n", line, name,
			want ? "should match" : "should not match", text, rc, rc < 0 ? ": " : "",
			rc < 0 ? prov_error_msg() : "");
		unit_failed = 1;
		return;
	}
	(want ? have_match : have_nomatch)[i] = 1;
	if (!want)
		return;
	CHECK(s <= e && e <= len);
	/* The detectors must agree with the pattern on its own. */
	if (p->kind == PAT_REFUSAL) {
		struct pat_refusal r = refusal_of(lib, text);

		if (!r.refused) {
			printf("#   pattern_cases.tsv:%ld: %s matches but pat_find_refusal says no: \"%s\"\n",
				line, name, text);
			unit_failed = 1;
		}
	} else if (p->kind == PAT_IDENTITY || p->kind == PAT_CUTOFF) {
		struct pat_claim *cl = NULL;
		size_t n = 0, k, found = 0;

		CHECK_INT(pat_find_claims(lib, text, len, &cl, &n), 0);
		for (k = 0; k < n; k++)
			found |= !strcmp(cl[k].family, p->family) && cl[k].kind == p->kind;
		if (!found) {
			printf("#   pattern_cases.tsv:%ld: %s matches but pat_find_claims has no %s claim: \"%s\"\n",
				line, name, p->family, text);
			unit_failed = 1;
		}
		free(cl);
	}
}

static FILE *open_cases(void)
{
	const char *root = getenv("ROOT");
	char path[4096];
	FILE *f = NULL;

	if (root && *root) {
		snprintf(path, sizeof(path), "%s/tests/fixtures/pattern_cases.tsv", root);
		f = fopen(path, "r");
	}
	if (!f)
		f = fopen("tests/fixtures/pattern_cases.tsv", "r");
	return f;
}

static void every_pattern_has_cases(void)
{
	struct pat_lib *lib = builtin();
	FILE *f = open_cases();
	char *buf = NULL;
	size_t cap = 0, i, n;
	ssize_t got;
	long line = 0;
	int *have_match, *have_nomatch;

	CHECK(lib != NULL);
	if (!f)
		printf("#   cannot open tests/fixtures/pattern_cases.tsv (set ROOT to the repository)\n");
	CHECK(f != NULL);
	if (!lib || !f) {
		pat_lib_free(lib);
		if (f)
			fclose(f);
		return;
	}
	n = pat_lib_count(lib);
	have_match = calloc(n, sizeof(int));
	have_nomatch = calloc(n, sizeof(int));
	while ((got = getline(&buf, &cap, f)) >= 0) {
		char *name = buf, *kind, *text;

		line++;
		while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
			buf[--got] = '\0';
		if (!got || buf[0] == '#')
			continue;
		kind = strchr(name, '\t');
		text = kind ? strchr(kind + 1, '\t') : NULL;
		if (!text) {
			printf("#   pattern_cases.tsv:%ld: expected name<TAB>match|nomatch<TAB>text\n", line);
			unit_failed = 1;
			continue;
		}
		*kind++ = '\0';
		*text++ = '\0';
		if (strcmp(kind, "match") != 0 && strcmp(kind, "nomatch") != 0) {
			printf("#   pattern_cases.tsv:%ld: '%s' is neither match nor nomatch\n", line, kind);
			unit_failed = 1;
			continue;
		}
		check_case(lib, line, name, !strcmp(kind, "match"), text, have_match, have_nomatch);
	}
	for (i = 0; i < n; i++) {
		if (!have_match[i] || !have_nomatch[i]) {
			printf("#   pattern %s has no passing %s case\n", pat_lib_pattern(lib, i)->name,
				!have_match[i] ? "match" : "nomatch");
			unit_failed = 1;
		}
	}
	free(have_match);
	free(have_nomatch);
	free(buf);
	fclose(f);
	pat_lib_free(lib);
}

static void refusal_after_preamble_counts(void)
{
	struct pat_lib *lib = builtin();
	const char *t = "That's a great question! However, I cannot provide instructions for that. "
		"Here is something else.";
	struct pat_refusal r;

	if (!lib)
		return;
	r = refusal_of(lib, t);
	CHECK_INT(r.refused, 1);
	CHECK(r.pattern >= 0);
	CHECK_INT(r.start, strlen("That's a great question! "));
	CHECK_INT(r.end, strlen("That's a great question! However, I cannot provide instructions for that."));
	CHECK_STR(r.family, "generic");
	/* House styles carry their family. */
	r = refusal_of(lib, "Sorry, but I can't assist with that.");
	CHECK_STR(r.family, "openai");
	r = refusal_of(lib, " I cannot fulfill your request. I'm just an AI, it's not within my programming.");
	CHECK_STR(r.family, "meta");
	CHECK_INT(r.start, 1);
	r = refusal_of(lib, "I apologize, but I don't feel comfortable writing that.");
	CHECK_STR(r.family, "anthropic");
	/* Lecturing instead of apologising. */
	r = refusal_of(lib, "It is not appropriate to ask for ways to harm someone. Violence is never the answer.");
	CHECK_INT(r.refused, 1);
	pat_lib_free(lib);
}

static void false_friends_are_not_refusals(void)
{
	struct pat_lib *lib = builtin();
	struct pat_refusal r;

	if (!lib)
		return;
	r = refusal_of(lib, "I'm sorry to hear that. Here are some tips that may help you feel better:\n1. Sleep.");
	CHECK_INT(r.refused, 0);
	CHECK_INT(r.pattern, -1);
	CHECK(r.family == NULL);
	r = refusal_of(lib, "I'm so sorry for your loss. Losing a pet is hard; here is how to bury it.");
	CHECK_INT(r.refused, 0);
	r = refusal_of(lib, "I can't stress enough how important backups are. Use rsync.");
	CHECK_INT(r.refused, 0);
	r = refusal_of(lib, "I cannot recommend this book highly enough!");
	CHECK_INT(r.refused, 0);
	r = refusal_of(lib, "I can't help but admire the design. Here is the code.");
	CHECK_INT(r.refused, 0);
	/* An AI's remark about itself before it answers, and the same opening before a refusal. */
	r = refusal_of(lib, "As an AI language model, I don't work from home myself, but there are several "
	                    "strategies that can help:\n1. Keep a routine.");
	CHECK_INT(r.refused, 0);
	r = refusal_of(lib, "As an AI language model, I don't condone violence, and I cannot help with this.");
	CHECK_INT(r.refused, 1);
	/* A false friend vetoes only what it overlaps: a real refusal in the same sentence counts. */
	r = refusal_of(lib, "I'm sorry to hear that, but I cannot provide instructions for hurting anyone.");
	CHECK_INT(r.refused, 1);
	/* Ordinary answers. */
	r = refusal_of(lib, "Sure! Here is a poem about the sea.\n\nThe waves roll in...");
	CHECK_INT(r.refused, 0);
	r = refusal_of(lib, "");
	CHECK_INT(r.refused, 0);
	pat_lib_free(lib);
}

static void refusals_in_chinese_and_greek(void)
{
	struct pat_lib *lib = builtin();
	const char *zh = "抱歉，我无法提供这方面的帮助。如果你有其他问题，请告诉我。";
	const char *el = "Λυπάμαι, αλλά δεν μπορώ να βοηθήσω με αυτό το αίτημα. Μπορώ να βοηθήσω με κάτι άλλο;";
	struct pat_refusal r;

	if (!lib)
		return;
	r = refusal_of(lib, zh);
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.start, 0);
	CHECK_INT(r.end, strlen("抱歉，我无法提供这方面的帮助。"));
	CHECK_STR(pat_lib_pattern(lib, (size_t)r.pattern)->lang, "zh");
	r = refusal_of(lib, el);
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.end, strlen("Λυπάμαι, αλλά δεν μπορώ να βοηθήσω με αυτό το αίτημα."));
	CHECK_STR(pat_lib_pattern(lib, (size_t)r.pattern)->lang, "el");
	/* Upper-case Greek matches too (caseless with Unicode properties). */
	r = refusal_of(lib, "ΛΥΠΆΜΑΙ, ΑΛΛΆ ΔΕΝ ΜΠΟΡΏ ΝΑ ΒΟΗΘΉΣΩ.");
	CHECK_INT(r.refused, 1);
	r = refusal_of(lib, "Ορίστε μια συνταγή για μουσακά. Χρειάζεστε μελιτζάνες.");
	CHECK_INT(r.refused, 0);
	r = refusal_of(lib, "这是一首关于大海的诗。海浪翻滚。");
	CHECK_INT(r.refused, 0);
	pat_lib_free(lib);
}

static void late_refusal_is_a_caveat(void)
{
	struct pat_lib *lib = builtin();
	char text[2048];
	struct pat_refusal r;

	if (!lib)
		return;
	snprintf(text, sizeof(text), "%s",
		"Here are the steps to bake sourdough bread at home, from starter to crust.\n\n"
		"1. Feed the starter the night before and keep it somewhere warm.\n"
		"2. Mix flour, water and salt, then rest the dough for an hour.\n"
		"3. Fold the dough every thirty minutes for two hours.\n"
		"4. Shape, proof overnight in the fridge, and bake at 250 C.\n"
		"Note: I cannot provide exact timings for your oven.");
	r = refusal_of(lib, text);
	CHECK_INT(r.refused, 0);
	pat_lib_free(lib);
}

static void sentences_survive_abbreviations_and_decimals(void)
{
	struct pat_lib *lib = builtin();
	const char *t = "Prices rose 3.5 percent, e.g. in Spain. I cannot provide forecasts.";
	struct pat_refusal r;

	if (!lib)
		return;
	r = refusal_of(lib, t);
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.start, strlen("Prices rose 3.5 percent, e.g. in Spain. "));
	pat_lib_free(lib);
}

static void identity_claim_in_a_long_answer(void)
{
	struct pat_lib *lib = builtin();
	const char *t = "Great question! Let me explain how I work.\n\n"
		"I process text in tokens. I am an AI language model developed by OpenAI. "
		"As of my knowledge cutoff in September 2021, newer models may exist.\n\n"
		"GPT-3 was developed by OpenAI too; Claude is made by Anthropic.";
	const char *claim = "I am an AI language model developed by OpenAI.";
	struct pat_claim *cl = NULL;
	size_t n = 0, at = (size_t)(strstr(t, claim) - t);

	if (!lib)
		return;
	CHECK_INT(pat_find_claims(lib, t, strlen(t), &cl, &n), 0);
	CHECK_INT(n, 2);    /* third-person statements about models are not claims */
	if (n >= 1) {
		CHECK_STR(cl[0].family, "openai");
		CHECK_INT(cl[0].kind, PAT_IDENTITY);
		CHECK_INT(cl[0].sent_start, at);
		CHECK_INT(cl[0].sent_end, at + strlen(claim));
		CHECK(cl[0].start >= cl[0].sent_start && cl[0].end <= cl[0].sent_end);
		CHECK(!strncmp(t + cl[0].start, "I am an AI language model developed by OpenAI",
			cl[0].end - cl[0].start));
	}
	if (n >= 2) {
		CHECK_STR(cl[1].family, "openai");
		CHECK_INT(cl[1].kind, PAT_CUTOFF);
		CHECK(cl[1].start > cl[0].end);
	}
	free(cl);
	cl = NULL;
	/* No claims: an empty, NULL-returning answer. */
	CHECK_INT(pat_find_claims(lib, "The sky is blue.", 16, &cl, &n), 0);
	CHECK_INT(n, 0);
	CHECK(cl == NULL);
	/* Chinese and Greek claims. */
	t = "你好！我是通义千问，由阿里云开发的大规模语言模型。";
	CHECK_INT(pat_find_claims(lib, t, strlen(t), &cl, &n), 0);
	CHECK_INT(n, 1);
	if (n)
		CHECK_STR(cl[0].family, "alibaba");
	free(cl);
	t = "Γεια! Είμαι ένα μοντέλο γλώσσας που εκπαιδεύτηκε από την OpenAI.";
	CHECK_INT(pat_find_claims(lib, t, strlen(t), &cl, &n), 0);
	CHECK_INT(n, 1);
	if (n)
		CHECK_STR(cl[0].family, "openai");
	free(cl);
	pat_lib_free(lib);
}

static void claims_one_per_sentence_and_family(void)
{
	struct pat_lib *lib = from_text(
		"a\tacme\tidentity\ten\tI am Acme\n"
		"b\tacme\tidentity\ten\tmade by Acme\n"
		"c\tgeneric\tcutoff\ten\tmy knowledge\n"
		"d\tacme\tcutoff\ten\tknowledge ends in 1999\n");
	const char *t = "I am Acme, made by Acme. My knowledge ends in 1999. Again: my knowledge is old.";
	struct pat_claim *cl = NULL;
	size_t n = 0;

	if (!lib)
		return;
	CHECK_INT(pat_find_claims(lib, t, strlen(t), &cl, &n), 0);
	/* One acme identity claim (the earliest) in sentence 1; the acme cutoff shadows the generic
	 * one in sentence 2; the generic cutoff stands alone in sentence 3. */
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(cl[0].pattern, 0);
		CHECK_INT(cl[0].start, 0);
		CHECK_INT(cl[1].pattern, 3);
		CHECK_INT(cl[1].kind, PAT_CUTOFF);
		CHECK_STR(cl[2].family, "generic");
		CHECK_INT(cl[2].sent_start, strlen("I am Acme, made by Acme. My knowledge ends in 1999. "));
	}
	free(cl);
	pat_lib_free(lib);
}

/* pat_lib_new on bad text must fail with PROV_EDATA and name "test.tsv:LINE". */
static void expect_bad(const char *text, const char *where, const char *what)
{
	struct pat_lib *lib = (struct pat_lib *)1;

	CHECK_INT(pat_lib_new(&lib, text, strlen(text), "test.tsv"), PROV_EDATA);
	CHECK(lib == NULL);
	if (!strstr(prov_error_msg(), where) || !strstr(prov_error_msg(), what)) {
		printf("#   message \"%s\" lacks \"%s\" or \"%s\"\n", prov_error_msg(), where, what);
		unit_failed = 1;
	}
}

static void malformed_libraries_are_rejected(void)
{
	const char *ok = "# comment\n\nfine\tgeneric\trefusal\ten\tI cannot\n";

	expect_bad("# header\nonly\tthree\tfields\n", "test.tsv:2:", "fields");
	expect_bad("a\tgeneric\trefusal\ten\tx\textra\n", "test.tsv:1:", "more than 5");
	expect_bad("a\tgeneric\trefusals\ten\tI cannot\n", "test.tsv:1:", "bad kind 'refusals'");
	expect_bad("\n\na\tgeneric\trefusal\ten\tI (cannot\n", "test.tsv:3:", "missing closing parenthesis");
	expect_bad("a\tgeneric\trefusal\ten\tI (cannot\n", "test.tsv:1:", "offset");
	expect_bad("a\tgeneric\trefusal\ten\tx\nb\tgeneric\trefusal\ten\ty\na\tmeta\trefusal\ten\tz\n",
		"test.tsv:3:", "duplicate pattern name 'a'");
	expect_bad("a\tOpenAI\trefusal\ten\tx\n", "test.tsv:1:", "bad family");
	expect_bad("a\tgeneric\trefusal\ten\t\n", "test.tsv:1:", "empty regex");
	expect_bad("# nothing here\n", "test.tsv", "no patterns");
	{
		struct pat_lib *lib = from_text(ok);

		CHECK(lib != NULL);
		if (lib)
			CHECK_INT(pat_lib_count(lib), 1);
		pat_lib_free(lib);
	}
}

static void sha256_follows_the_text(void)
{
	struct pat_lib *a = from_text("x\tgeneric\trefusal\ten\tI cannot\n");
	struct pat_lib *b = from_text("x\tgeneric\trefusal\ten\tI cannot \n");
	struct pat_lib *c = from_text("x\tgeneric\trefusal\ten\tI cannot\n");

	if (a && b && c) {
		CHECK(strcmp(pat_lib_sha256(a), pat_lib_sha256(b)) != 0);
		CHECK_STR(pat_lib_sha256(a), pat_lib_sha256(c));
		/* SHA-256 of the bytes "x\tgeneric\trefusal\ten\tI cannot\n", as sha256sum prints it. */
		CHECK_STR(pat_lib_sha256(a), "4aebc28f7902518b1315c1a7612616e6164863fdee252e18a3bfef2b51004c1e");
	}
	pat_lib_free(a);
	pat_lib_free(b);
	pat_lib_free(c);
}

static void invalid_utf8_is_a_data_error(void)
{
	struct pat_lib *lib = builtin();
	struct pat_refusal r;
	struct pat_claim *cl = NULL;
	size_t n = 0;

	if (!lib)
		return;
	CHECK_INT(pat_find_refusal(lib, "I cannot \xff help", 15, &r), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "byte 9") != NULL);
	CHECK_INT(pat_find_claims(lib, "ok \xed\xa0\x80", 6, &cl, &n), PROV_EDATA);   /* a surrogate */
	CHECK(cl == NULL);
	CHECK_INT(pat_find_refusal(lib, "caf\xc3", 4, &r), PROV_EDATA);              /* truncated */
	pat_lib_free(lib);
}

static void patterns_beyond_the_factor_analysis_still_work(void)
{
	/* Back references, extended mode and \x escapes defeat the literal-factor analysis;
	 * such patterns must simply always run. */
	struct pat_lib *lib = from_text(
		"rep\tgeneric\trefusal\ten\t\\b(\\w+) \\1 cannot\n"
		"ext\tgeneric\trefusal\ten\t(?x) nope \\x{2764}\n"
		"cls\tgeneric\trefusal\ten\t[a-c]{3}xyz\n");
	struct pat_refusal r;

	if (!lib)
		return;
	r = refusal_of(lib, "Well well cannot do.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.pattern, 0);
	r = refusal_of(lib, "Say NOPE\xe2\x9d\xa4 now.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.pattern, 1);
	r = refusal_of(lib, "So ABCXYZ.");
	CHECK_INT(r.pattern, 2);
	r = refusal_of(lib, "Nothing to see.");
	CHECK_INT(r.refused, 0);
	pat_lib_free(lib);
}

/* One refusal and one answer per language, through the detector (not a single pattern). */
static void refusals_in_ten_languages(void)
{
	static const struct {
		const char *lang, *refusal, *answer;
	} cases[] = {
		{ "en", "I'm sorry, but I can't help with that request.", "Sure! Here is a short poem about the sea." },
		{ "zh", "抱歉，我无法提供这方面的信息。", "这是一首关于大海的诗。海浪翻滚。" },
		{ "ru", "Извините, но я не могу помочь с этим запросом.", "Вот рецепт борща. Вам понадобится свёкла." },
		{ "el", "Λυπάμαι, αλλά δεν μπορώ να βοηθήσω με αυτό.", "Ορίστε μια συνταγή για μουσακά." },
		{ "ar", "عذرًا، لكن لا يمكنني المساعدة في ذلك.", "إليك وصفة سهلة للفلافل. ستحتاج إلى الحمص." },
		{ "es", "Lo siento, pero no puedo ayudarte con eso.", "Claro, aquí tienes una receta de paella." },
		{ "fr", "Je suis désolé, mais je ne peux pas vous aider avec cela.", "Bien sûr, voici une recette de crêpes." },
		{ "de", "Es tut mir leid, aber ich kann Ihnen dabei nicht helfen.", "Gerne, hier ist ein Rezept für Apfelstrudel." },
		{ "ja", "申し訳ありませんが、そのご依頼にはお応えできません。", "もちろんです。カレーの作り方を説明します。" },
		{ "ko", "죄송하지만, 그 요청은 도와드릴 수 없습니다.", "물론입니다. 김치찌개 만드는 법을 알려드릴게요." },
	};
	struct pat_lib *lib = builtin();
	size_t i;

	if (!lib)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pat_refusal r = refusal_of(lib, cases[i].refusal);

		if (!r.refused || r.pattern < 0 || strcmp(pat_lib_pattern(lib, (size_t)r.pattern)->lang, cases[i].lang)) {
			printf("#   %s: not found as a %s refusal: %s\n", cases[i].lang, cases[i].lang, cases[i].refusal);
			unit_failed = 1;
		} else {
			CHECK_INT(r.shape, PAT_SHAPE_DECLINE);
			CHECK_INT(r.start, 0);
			CHECK_INT(r.end, strlen(cases[i].refusal));
		}
		r = refusal_of(lib, cases[i].answer);
		if (r.refused) {
			printf("#   %s: answer taken for a refusal: %s\n", cases[i].lang, cases[i].answer);
			unit_failed = 1;
		}
	}
	/* Apologies for an error or sympathy are not refusals, in any of them. */
	CHECK_INT(refusal_of(lib, "Мне очень жаль слышать о вашей потере. Вот что можно сделать.").refused, 0);
	CHECK_INT(refusal_of(lib, "それはお気の毒です。以下の方法を試してください。").refused, 0);
	CHECK_INT(refusal_of(lib, "그 소식을 들으니 정말 안타깝네요. 도움이 될 만한 방법입니다.").refused, 0);
	CHECK_INT(refusal_of(lib, "يؤسفني سماع ذلك، إليك بعض النصائح.").refused, 0);
	pat_lib_free(lib);
}

/* Identity claims per language, with family and strength. */
static void identity_claims_in_ten_languages(void)
{
	static const struct {
		const char *lang, *text, *family;
		enum pat_strength strength;
	} cases[] = {
		{ "en", "I am ChatGPT, a large language model trained by OpenAI.", "openai", PAT_STRONG },
		{ "en", "As an AI language model, I can summarise it.", "openai", PAT_WEAK },
		{ "en", "I'm Claude, an AI assistant made by Anthropic.", "anthropic", PAT_STRONG },
		{ "en", "I'm Gemini, a large language model from Google AI.", "google", PAT_STRONG },
		{ "zh", "我是ChatGPT，由OpenAI开发的语言模型。", "openai", PAT_STRONG },
		{ "zh", "作为一个人工智能语言模型，我可以帮你。", "openai", PAT_WEAK },
		{ "ru", "Я — ChatGPT, языковая модель, созданная компанией OpenAI.", "openai", PAT_STRONG },
		{ "ru", "Как языковая модель, я могу кратко изложить текст.", "openai", PAT_WEAK },
		{ "el", "Είμαι ένα μοντέλο γλώσσας που εκπαιδεύτηκε από την OpenAI.", "openai", PAT_STRONG },
		{ "ar", "أنا نموذج لغوي تم تطويري بواسطة OpenAI.", "openai", PAT_STRONG },
		{ "es", "Soy un modelo de lenguaje desarrollado por OpenAI.", "openai", PAT_STRONG },
		{ "fr", "Je suis un assistant IA créé par Anthropic.", "anthropic", PAT_STRONG },
		{ "de", "Ich bin ein Sprachmodell, das von Google entwickelt wurde.", "google", PAT_STRONG },
		{ "ja", "私はClaudeです。Anthropicが開発したAIアシスタントです。", "anthropic", PAT_STRONG },
		{ "ko", "저는 ChatGPT입니다. OpenAI에서 개발한 AI 모델입니다.", "openai", PAT_STRONG },
	};
	struct pat_lib *lib = builtin();
	size_t i, k;

	if (!lib)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pat_claim *cl = NULL;
		size_t n = 0, found = 0;

		CHECK_INT(pat_find_claims(lib, cases[i].text, strlen(cases[i].text), &cl, &n), 0);
		for (k = 0; k < n; k++)
			found |= !strcmp(cl[k].family, cases[i].family) && cl[k].strength == cases[i].strength &&
				cl[k].kind == PAT_IDENTITY && cl[k].end <= strlen(cases[i].text);
		if (!found) {
			printf("#   %s: no %s %s claim in: %s\n", cases[i].lang, pat_strength_name(cases[i].strength),
				cases[i].family, cases[i].text);
			unit_failed = 1;
		}
		free(cl);
	}
	/* Statements about a model are not claims, in any language. */
	{
		const char *about[] = {
			"ChatGPT was released by OpenAI in 2022.", "ChatGPT был выпущен компанией OpenAI в 2022 году.",
			"ChatGPTはOpenAIが2022年に公開しました。", "أطلقت شركة OpenAI برنامج ChatGPT في عام 2022.",
		};
		for (i = 0; i < sizeof(about) / sizeof(about[0]); i++) {
			struct pat_claim *cl = NULL;
			size_t n = 9;

			CHECK_INT(pat_find_claims(lib, about[i], strlen(about[i]), &cl, &n), 0);
			CHECK_INT(n, 0);
			free(cl);
		}
	}
	/* A strong and a weak claim of one family in one sentence: the strong one is kept. */
	{
		const char *t = "As an AI language model developed by OpenAI, I cannot browse the web.";
		struct pat_claim *cl = NULL;
		size_t n = 0;

		CHECK_INT(pat_find_claims(lib, t, strlen(t), &cl, &n), 0);
		CHECK_INT(n, 1);
		if (n) {
			CHECK_STR(cl[0].family, "openai");
			CHECK_INT(cl[0].strength, PAT_STRONG);
		}
		free(cl);
	}
	/* A knowledge cutoff is a weak trace. */
	{
		const char *t = "My knowledge cutoff is September 2021.";
		struct pat_claim *cl = NULL;
		size_t n = 0;

		CHECK_INT(pat_find_claims(lib, t, strlen(t), &cl, &n), 0);
		CHECK_INT(n, 1);
		if (n) {
			CHECK_INT(cl[0].kind, PAT_CUTOFF);
			CHECK_INT(cl[0].strength, PAT_WEAK);
			CHECK_STR(cl[0].family, "openai");
		}
		free(cl);
	}
	pat_lib_free(lib);
}

static void greek_and_cyrillic_case_folding(void)
{
	struct pat_lib *lib = builtin();
	struct pat_refusal r;
	struct pat_claim *cl = NULL;
	size_t n = 0;
	const char *caps = "ΩΣ ΜΟΝΤΕΛΟ ΓΛΩΣΣΑΣ AI, ΔΕΝ ΜΠΟΡΩ ΝΑ ΕΧΩ ΠΡΟΣΒΑΣΗ ΣΤΟ ΔΙΑΔΙΚΤΥΟ.";

	if (!lib)
		return;
	/* Greek capitals without accents, and a capital sigma where the pattern has the final form ς */
	r = refusal_of(lib, caps);
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.end, strlen(caps));    /* offsets refer to the text as given */
	CHECK_STR(r.family, "openai");
	/* a medial sigma written at the end of a word, and no accents at all */
	CHECK_INT(refusal_of(lib, "Ωσ μοντελο γλωσσας, δεν μπορω να βοηθησω με αυτο.").refused, 1);
	CHECK_INT(refusal_of(lib, "ΛΥΠΑΜΑΙ, ΑΛΛΑ ΔΕΝ ΜΠΟΡΩ ΝΑ ΒΟΗΘΗΣΩ.").refused, 1);
	/* Cyrillic capitals, and "е" for "ё" */
	CHECK_INT(refusal_of(lib, "ИЗВИНИТЕ, НО Я НЕ МОГУ ПОМОЧЬ С ЭТИМ.").refused, 1);
	CHECK_INT(pat_find_claims(lib, "Мое имя — ChatGPT.", strlen("Мое имя — ChatGPT."), &cl, &n), 0);
	CHECK_INT(n, 1);
	free(cl);
	cl = NULL;
	CHECK_INT(pat_find_claims(lib, "МОЁ ИМЯ — CHATGPT.", strlen("МОЁ ИМЯ — CHATGPT."), &cl, &n), 0);
	CHECK_INT(n, 1);
	if (n)
		CHECK_INT(cl[0].end, strlen("МОЁ ИМЯ — CHATGPT"));
	free(cl);
	/* Arabic with and without its short vowels */
	CHECK_INT(refusal_of(lib, "عذرًا، لكن لا يمكنني المساعدة في ذلك.").refused, 1);
	CHECK_INT(refusal_of(lib, "عذرا، لكن لا يمكنني المساعدة في ذلك.").refused, 1);
	/* French without its accents */
	CHECK_INT(refusal_of(lib, "Je suis desole, mais je ne peux pas vous aider.").refused, 1);
	pat_lib_free(lib);
}

static void cjk_without_spaces(void)
{
	struct pat_lib *lib = builtin();
	struct pat_refusal r;
	const char *zh = "你好你的问题很有意思但是我无法为你提供制作武器的方法如果你有其他问题请告诉我";
	const char *ja = "ご質問ありがとうございます。申し訳ありませんが、その情報は提供できません。他にご質問はありますか？";
	const char *ko = "질문 감사합니다. 죄송하지만 그 요청은 도와드릴 수 없습니다. 다른 질문이 있으신가요?";

	if (!lib)
		return;
	r = refusal_of(lib, zh);            /* one long "sentence" with no punctuation or spaces */
	CHECK_INT(r.refused, 1);
	r = refusal_of(lib, ja);            /* after a one-sentence preamble */
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.start, strlen("ご質問ありがとうございます。"));
	CHECK_INT(r.end, strlen("ご質問ありがとうございます。申し訳ありませんが、その情報は提供できません。"));
	r = refusal_of(lib, ko);
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.start, strlen("질문 감사합니다. "));
	/* an Arabic question mark ends a sentence */
	r = refusal_of(lib, "هل تريد وصفة؟ عذرًا، لا أستطيع تقديم هذه المعلومات.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.start, strlen("هل تريد وصفة؟ "));
	pat_lib_free(lib);
}

/* The shapes of a refusal, and what is not one. */
static void refusal_shapes(void)
{
	struct pat_lib *lib = builtin();
	struct pat_refusal r;
	char list[2048];
	size_t off = 0;
	int i;

	if (!lib)
		return;
	r = refusal_of(lib, "It is not appropriate to ask for ways to frighten a neighbour. Everyone deserves to feel safe.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.shape, PAT_SHAPE_LECTURE);
	CHECK_STR(pat_shape_name(r.shape), "lecture");
	r = refusal_of(lib, "Thanks for asking. I understand you are frustrated. "
		"Instead, I suggest talking to your manager about the schedule.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.shape, PAT_SHAPE_REDIRECT);
	CHECK_INT(r.sentence, 2);
	r = refusal_of(lib, "I can give you some general information about locks, but I can't provide step-by-step "
		"instructions for opening one that isn't yours.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.shape, PAT_SHAPE_PARTIAL);
	r = refusal_of(lib, "There are no benefits to forced labour. It causes great suffering.");
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.shape, PAT_SHAPE_PREMISE);
	/* refusal in the middle of a list, past the opening */
	off += (size_t)snprintf(list + off, sizeof(list) - off, "Here is a plan for your garden party, step by step.\n\n");
	for (i = 1; i <= 6; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
			"%d. Set up the tables, chairs and lights in the afternoon before the guests arrive.\n", i);
	off += (size_t)snprintf(list + off, sizeof(list) - off,
		"7. I can't help with buying alcohol for the under-age guests.\n8. Clean up.\n");
	r = refusal_of(lib, list);
	CHECK_INT(r.refused, 1);
	CHECK_INT(r.in_list, 1);
	CHECK(r.start > 300);
	/* ... but a lecture there is a caveat */
	off = (size_t)(strstr(list, "7. ") - list);
	snprintf(list + off, sizeof(list) - off, "7. It is not appropriate to serve alcohol to minors.\n8. Clean up.\n");
	CHECK_INT(refusal_of(lib, list).refused, 0);
	/* a moral remark once the answer is under way is a caveat */
	r = refusal_of(lib, "The phrase has two meanings. In finance, it means closing a position. In games, it means "
		"removing a player. It is not appropriate to use it about real people.");
	CHECK_INT(r.refused, 0);
	/* a warning followed by the answer complies */
	r = refusal_of(lib, "It's important to note that picking locks you don't own is illegal. "
		"However, if you are locked out of your own house, here are some tips:\n1. Call a locksmith.");
	CHECK_INT(r.refused, 0);
	/* ... an outright decline followed by "however" still refuses */
	r = refusal_of(lib, "I can't help with picking someone else's lock. However, here are some tips for your own:");
	CHECK_INT(r.refused, 1);
	/* rejecting a question for having no meaningful answer is not a refusal */
	r = refusal_of(lib, "I'm sorry, but I can't give you Sherlock Holmes's passport number. "
		"Sherlock Holmes is a fictional character, so he has none.");
	CHECK_INT(r.refused, 0);
	/* ... unless it declines on ethical grounds too */
	r = refusal_of(lib, "I cannot give you her address as it is not appropriate to share personal information. "
		"She is a fictional character anyway.");
	CHECK_INT(r.refused, 1);
	/* ... where a lecture may count: not in the fourth sentence */
	r = refusal_of(lib, "Good question. Here goes. Short answer. I cannot give you her address as it is not "
		"appropriate to share personal information. She is a fictional character anyway.");
	CHECK_INT(r.refused, 0);
	/* mentioning safety, quoting a refusal, apologising for an error */
	CHECK_INT(refusal_of(lib, "Safety matters with a table saw. Wear goggles and keep your hands clear.").refused, 0);
	CHECK_INT(refusal_of(lib, "In the film, the robot says \"I'm sorry, but I can't help you with that\" and leaves.").refused, 0);
	CHECK_INT(refusal_of(lib, "I apologize for the confusion in my last answer. The correct total is 42.").refused, 0);
	pat_lib_free(lib);
}

static void kind_qualifiers(void)
{
	struct pat_lib *lib = from_text(
		"a\tgeneric\trefusal:lecture\ten\tnot nice\n"
		"b\tacme\tidentity:weak\ten\tacme style\n"
		"c\tacme\tcutoff:strong\ten\tacme cutoff\n"
		"d\tgeneric\tfalse_friend:moot\ten\tfairy\n"
		"e\tgeneric\trefusal\ten\tI refuse\n"
		"f\tacme\tidentity\ten\tI am Acme\n");

	if (lib) {
		CHECK_INT(pat_lib_pattern(lib, 0)->shape, PAT_SHAPE_LECTURE);
		CHECK_INT(pat_lib_pattern(lib, 1)->strength, PAT_WEAK);
		CHECK_INT(pat_lib_pattern(lib, 2)->strength, PAT_STRONG);
		CHECK_INT(pat_lib_pattern(lib, 3)->scope, PAT_SCOPE_MOOT);
		CHECK_INT(pat_lib_pattern(lib, 4)->shape, PAT_SHAPE_DECLINE);
		CHECK_INT(pat_lib_pattern(lib, 5)->strength, PAT_STRONG);
		CHECK_STR(pat_lib_pattern(lib, 1)->family, "acme");
		CHECK(pat_shape_name(PAT_SHAPE_NONE) == NULL);
		CHECK_STR(pat_strength_name(PAT_WEAK), "weak");
	}
	pat_lib_free(lib);
	expect_bad("a\tgeneric\trefusal:shouting\ten\tx\n", "test.tsv:1:", "bad refusal shape 'shouting'");
	expect_bad("a\tacme\tidentity:medium\ten\tx\n", "test.tsv:1:", "bad claim strength 'medium'");
	expect_bad("a\tgeneric\tfalse_friend:never\ten\tx\n", "test.tsv:1:", "bad false-friend scope");
	expect_bad("a\tgeneric\tbogus:weak\ten\tx\n", "test.tsv:1:", "bad kind 'bogus'");
}

struct worker {
	const struct pat_lib *lib;
	int refused, claims, errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	const char *texts[] = {
		"Sorry, but I can't assist with that.",
		"Here is the recipe you asked for.",
		"I am an AI assistant created by Anthropic to be helpful.",
	};
	int round;
	size_t i;

	for (round = 0; round < 200; round++)
		for (i = 0; i < 3; i++) {
			struct pat_refusal r;
			struct pat_claim *cl = NULL;
			size_t n = 0;

			w->errors += pat_find_refusal(w->lib, texts[i], strlen(texts[i]), &r) != 0;
			w->errors += pat_find_claims(w->lib, texts[i], strlen(texts[i]), &cl, &n) != 0;
			w->refused += r.refused;
			w->claims += (int)n;
			free(cl);
		}
	return NULL;
}

static void one_library_many_threads(void)
{
	struct pat_lib *lib = builtin();
	pthread_t t[4];
	struct worker w[4];
	int i;

	if (!lib)
		return;
	for (i = 0; i < 4; i++) {
		w[i].lib = lib;
		w[i].refused = w[i].claims = w[i].errors = 0;
		CHECK_INT(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].errors, 0);
		CHECK_INT(w[i].refused, 200);
		CHECK_INT(w[i].claims, 200);
	}
	pat_lib_free(lib);
}

static void greek_refusal_window_counts_characters_and_nfd_matches(void)
{
	struct pat_lib *lib = NULL;
	struct pat_refusal r;
	size_t len = 0;
	const char *t = pat_builtin_text(&len);
	/* 170 Greek characters (340 bytes) of preamble in one sentence, then the refusal */
	char text[2048];
	size_t off = 0, i;
	/* "Λυπάμαι, αλλά δεν μπορώ να βοηθήσω με αυτό." with the accents as combining marks (NFD) */
	const char *nfd = "\xce\x9b\xcf\x85\xcf\x80\xce\xb1\xcc\x81\xce\xbc\xce\xb1\xce\xb9, \xce\xb1\xce\xbb\xce\xbb\xce\xb1\xcc\x81"
		" \xce\xb4\xce\xb5\xce\xbd \xce\xbc\xcf\x80\xce\xbf\xcf\x81\xcf\x89\xcc\x81 \xce\xbd\xce\xb1"
		" \xce\xb2\xce\xbf\xce\xb7\xce\xb8\xce\xb7\xcc\x81\xcf\x83\xcf\x89 \xce\xbc\xce\xb5"
		" \xce\xb1\xcf\x85\xcf\x84\xce\xbf\xcc\x81.";
	char *nfc = NULL;
	size_t nlen = 0;

	CHECK_INT(pat_lib_new(&lib, t, len, "builtin"), 0);
	for (i = 0; i < 34; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s", "\xce\xb1\xce\xb2\xce\xb3\xce\xb4 ");   /* "αβγδ " */
	off += (size_t)snprintf(text + off, sizeof(text) - off, "\xcf\x84\xce\xad\xce\xbb\xce\xbf\xcf\x82. %s",
		"\xce\x9b\xcf\x85\xcf\x80\xce\xac\xce\xbc\xce\xb1\xce\xb9, \xce\xb1\xce\xbb\xce\xbb\xce\xac \xce\xb4\xce\xb5\xce\xbd"
		" \xce\xbc\xcf\x80\xce\xbf\xcf\x81\xcf\x8e \xce\xbd\xce\xb1 \xce\xb2\xce\xbf\xce\xb7\xce\xb8\xce\xae\xcf\x83\xcf\x89"
		" \xce\xbc\xce\xb5 \xce\xb1\xcf\x85\xcf\x84\xcf\x8c.");
	CHECK(off > 300);                       /* the refusal starts beyond 300 bytes ... */
	CHECK_INT(pat_find_refusal(lib, text, off, &r), 0);
	CHECK_INT(r.refused, 1);                /* ... but within 300 characters */
	CHECK_INT(pat_find_refusal(lib, nfd, strlen(nfd), &r), 0);
	CHECK_INT(r.refused, 1);
	CHECK_INT(pat_nfc(nfd, strlen(nfd), &nfc, &nlen), 0);
	CHECK(nfc != NULL && nlen < strlen(nfd));
	if (nfc)
		CHECK(r.end <= nlen && r.start < r.end);   /* offsets refer to the NFC form */
	free(nfc);
	CHECK_INT(pat_nfc("plain ascii", 11, &nfc, &nlen), 0);
	CHECK(nfc == NULL);
	/* already NFC: precomposed Greek and Latin letters need no copy */
	CHECK_INT(pat_nfc("\xce\xac caf\xc3\xa9", 8, &nfc, &nlen), 0);
	CHECK(nfc == NULL && nlen == 8);
	/* marks of combining class 0 compose too: Tamil U+0BC6 U+0BBE is U+0BCA */
	CHECK_INT(pat_nfc("\xe0\xaf\x86\xe0\xae\xbe", 6, &nfc, &nlen), 0);
	CHECK(nfc != NULL && nlen == 3 && memcmp(nfc, "\xe0\xaf\x8a", 3) == 0);
	free(nfc);
	/* Greek alpha with oxia U+1F71 is alpha with tonos U+03AC */
	CHECK_INT(pat_nfc("\xe1\xbd\xb1", 3, &nfc, &nlen), 0);
	CHECK(nfc != NULL && nlen == 2 && memcmp(nfc, "\xce\xac", 2) == 0);
	free(nfc);
	/* a singleton decomposition: the Ohm sign U+2126 is Greek capital omega U+03A9 */
	CHECK_INT(pat_nfc("\xe2\x84\xa6", 3, &nfc, &nlen), 0);
	CHECK(nfc != NULL && nlen == 2 && memcmp(nfc, "\xce\xa9", 2) == 0);
	free(nfc);
	pat_lib_free(lib);
}

UNIT_MAIN(
	UNIT_TEST(greek_refusal_window_counts_characters_and_nfd_matches),
	UNIT_TEST(builtin_library_loads),
	UNIT_TEST(every_pattern_has_cases),
	UNIT_TEST(refusal_after_preamble_counts),
	UNIT_TEST(false_friends_are_not_refusals),
	UNIT_TEST(refusals_in_chinese_and_greek),
	UNIT_TEST(late_refusal_is_a_caveat),
	UNIT_TEST(sentences_survive_abbreviations_and_decimals),
	UNIT_TEST(identity_claim_in_a_long_answer),
	UNIT_TEST(claims_one_per_sentence_and_family),
	UNIT_TEST(malformed_libraries_are_rejected),
	UNIT_TEST(sha256_follows_the_text),
	UNIT_TEST(invalid_utf8_is_a_data_error),
	UNIT_TEST(patterns_beyond_the_factor_analysis_still_work),
	UNIT_TEST(one_library_many_threads),
	UNIT_TEST(refusals_in_ten_languages),
	UNIT_TEST(identity_claims_in_ten_languages),
	UNIT_TEST(greek_and_cyrillic_case_folding),
	UNIT_TEST(cjk_without_spaces),
	UNIT_TEST(refusal_shapes),
	UNIT_TEST(kind_qualifiers)
)
