/*
 * Unit tests for cmd/render_md.c and cmd/render_html.c: every section, escaping
 * of every input string, Markdown tables that cannot break, determinism (also
 * under a comma-decimal locale), sparse documents, wrong types.
 *
 *   test_render [TEST]                 run the tests (or one of them)
 *   test_render --write-html FILE      render the fixture to FILE (tests/report-check.sh)
 *   test_render --write-md FILE
 */
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>

#include "unit.h"
#include "cmd/render.h"

#define OUT_MAX (16u << 20)

static json_t *load_fixture(void)
{
	const char *root = getenv("ROOT");
	char path[4096];
	json_error_t e;
	json_t *doc = NULL;

	if (root && *root) {
		snprintf(path, sizeof(path), "%s/tests/fixtures/report-sample.json", root);
		doc = json_load_file(path, 0, &e);
	}
	if (!doc)
		doc = json_load_file("tests/fixtures/report-sample.json", 0, &e);
	if (!doc)
		printf("#   cannot load the fixture: %s (set ROOT to the repository)\n", e.text);
	return doc;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, JSON_DECODE_ANY, &e);

	if (!doc)
		printf("#   bad test JSON: %s\n", e.text);
	return doc;
}

/* Render with `fn` into a fresh string (free()); NULL when it fails, *rc = the code. */
static char *render(int (*fn)(struct pbuf *, const json_t *), const json_t *doc, int *rc)
{
	struct pbuf b = PBUF_INIT(OUT_MAX);
	int r = fn(&b, doc);

	if (rc)
		*rc = r;
	if (r) {
		pbuf_release(&b);
		return NULL;
	}
	return pbuf_detach(&b, NULL);
}

/*
 * The value at a dotted path ("teachers.0.signals.lexical"), creating nothing;
 * numeric parts index arrays. Borrowed; NULL if absent.
 */
static json_t *at(json_t *doc, const char *path)
{
	char buf[256], *p, *dot;
	json_t *v = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; v && p; p = dot) {
		if ((dot = strchr(p, '.')))
			*dot++ = '\0';
		if (json_is_array(v))
			v = json_array_get(v, strtoul(p, NULL, 10));
		else
			v = json_object_get(v, p);
	}
	return v;
}

/* Set the last part of a dotted path (an object key or an array index) to `value` (stolen). */
static void set(json_t *doc, const char *path, json_t *value)
{
	char parent[256];
	const char *last = strrchr(path, '.');
	json_t *p;

	snprintf(parent, sizeof(parent), "%.*s", last ? (int)(last - path) : 0, path);
	p = last ? at(doc, parent) : doc;
	last = last ? last + 1 : path;
	if (json_is_array(p))
		json_array_set_new(p, strtoul(last, NULL, 10), value);
	else if (json_is_object(p))
		json_object_set_new(p, last, value);
	else
		printf("#   set: no parent for %s\n", path), json_decref(value), unit_failed = 1;
}

/* `needles` appear in `hay` in this order. */
static int in_order(const char *hay, const char *const *needles, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = strstr(hay, needles[i]);

		if (!p) {
			printf("#   missing (in order): %s\n", needles[i]);
			return 0;
		}
		hay = p + strlen(needles[i]);
	}
	return 1;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * A '<' starting `tag` that Markdown would read as HTML: not "\<script", and
 * not inside a fenced code block (shown literally).
 */
static int md_has_raw_tag(const char *md, const char *tag)
{
	const char *line = md, *p;
	int in_code = 0;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len >= 3 && !strncmp(line, "```", 3))
			in_code = !in_code;
		for (p = line; !in_code && p + strlen(tag) <= line + len; p++)
			if (!strncmp(p, tag, strlen(tag)) && (p == md || p[-1] != '\\'))
				return 1;
		line = end ? end + 1 : line + len;
	}
	return 0;
}

/*
 * Every GitHub table keeps its shape: each row has as many unescaped '|' as
 * its header row, and a table ends only at a blank line. Code blocks skipped.
 */
static int md_tables_ok(const char *md)
{
	const char *line = md;
	int in_table = 0, in_code = 0;
	size_t pipes = 0, lineno = 1;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line), i, n = 0, bs = 0;

		if (len >= 3 && !strncmp(line, "```", 3))
			in_code = !in_code;
		if (!in_code && len && line[0] == '|') {
			for (i = 0; i < len; i++) {
				if (line[i] == '|' && bs % 2 == 0)
					n++;
				bs = line[i] == '\\' ? bs + 1 : 0;
			}
			if (in_table && n != pipes) {
				printf("#   line %zu: %zu cells separators, the header has %zu: %.*s\n", lineno,
					n, pipes, (int)len, line);
				return 0;
			}
			if (!in_table)
				pipes = n;
			in_table = 1;
		} else if (in_table && len) {
			printf("#   line %zu breaks a table: %.*s\n", lineno, (int)len, line);
			return 0;
		} else {
			in_table = 0;
		}
		lineno++;
		line = end ? end + 1 : line + len;
	}
	return 1;
}

static const char *const md_sections[] = {
	"\n## 1. Summary\n", "\n## 2. Method and parameters\n", "\n## 3. Evidence per teacher\n",
	"\n## 4. Known error rates\n", "\n## 5. Limitations\n", "\n## 6. Chain of custody\n",
};
static const char *const html_sections[] = {
	"<section id=\"s1\"", ">Summary</h2>", "<section id=\"s2\"", ">Method and parameters</h2>",
	"<section id=\"s3\"", ">Evidence per teacher</h2>", "<section id=\"s4\"",
	">Known error rates</h2>", "<section id=\"s5\"", ">Limitations</h2>", "<section id=\"s6\"",
	">Chain of custody</h2>",
};

/* What the fixture's reader must find, in both formats (plain ASCII, nothing to escape). */
static const char *const fixture_facts[] = {
	"strong evidence that its outputs derive from example-gpt", /* conclusion */
	"example-claude", "anthropic", "5.84", "5.2e-9", "0.92",      /* summary table */
	"not proof that outputs were copied", "signal, never proof",  /* scope */
	"Word overlap", "Characteristic phrases", "Writing style", "Refusals", "Identity claims",
	"Holm across teachers", "20261128", "1e-6",                   /* parameters */
	"example-human-a", "reference",                               /* panel */
	"0d4c0f2b5e8a9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d", /* patterns */
	"2.6e-9", "5.3e-10", "1e-7", "0.023", "0.079",                /* evidence */
	"ex07", "ex09", "ex13", "ex37", "sorry_cant_assist", "ai_lm_by_openai",
	"i hope this helps", "bold markers per 100 words", "0.31",
	"No validation of this tool version",                          /* error rates */
	"shared base model or convergent fine-tuning",                 /* limitations */
	"8d1e5c0a9b7f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
	"b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4",
	"4f7c0e5d2a6b8c1e9f0a3b5d7c9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e",
	"9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
	"2026-11-28T18:00:00Z", "0.1.0", "31337",
	"sha256sum examples/suspect-distilled.jsonl", "provenance verify 3",
	"provenance report 3 --format html -o report.html",
	"provenance scan examples/suspect-distilled.jsonl --name example-student",
};

static void check_facts(const char *out)
{
	size_t i;

	for (i = 0; i < sizeof(fixture_facts) / sizeof(fixture_facts[0]); i++)
		if (!strstr(out, fixture_facts[i])) {
			printf("#   missing: %s\n", fixture_facts[i]);
			unit_failed = 1;
		}
	CHECK(!strstr(out, "(null)"));
}

static void md_has_every_section(void)
{
	json_t *doc = load_fixture();
	char *md;
	int rc;

	if (!doc)
		SKIP("fixture not found");
	md = render(render_md, doc, &rc);
	CHECK_INT(rc, 0);
	if (md) {
		CHECK(in_order(md, md_sections, 6));
		check_facts(md);
		CHECK(strstr(md, "### 3.1 example-gpt (openai): strong evidence") != NULL);
		CHECK(strstr(md, "### 3.2 example-claude (anthropic): no evidence") != NULL);
		CHECK(strstr(md, "| example-gpt | openai | strong evidence | 5.84 | 5.2e-9 | 0.92 | 40 |")
			!= NULL);
		/* the shared words in bold inside the quoted excerpts, on both sides */
		CHECK_INT(count(md, "**It's important to note that consistency matters more than "
			"intensity**"), 2);
		CHECK(strstr(md, "> Here are a few tips. **It's") != NULL);
		/* the histogram as text */
		CHECK(strstr(md, "        1         2        12  ######") != NULL);
		CHECK(md_tables_ok(md));
		CHECK(!md_has_raw_tag(md, "<script"));
		CHECK(strstr(md, "\\<script>alert(1)\\</script>") != NULL);
	}
	free(md);
	json_decref(doc);
}

static void html_has_every_section(void)
{
	json_t *doc = load_fixture();
	char *html;
	int rc;

	if (!doc)
		SKIP("fixture not found");
	html = render(render_html, doc, &rc);
	CHECK_INT(rc, 0);
	if (html) {
		CHECK(!strncmp(html, "<!DOCTYPE html>\n", 16));
		CHECK(strstr(html, "</html>\n") != NULL);
		CHECK(in_order(html, html_sections, 12));
		check_facts(html);
		/* self-contained: no script, no external resource */
		CHECK(!strstr(html, "<script"));
		CHECK(!strstr(html, "src="));
		CHECK(!strstr(html, "<link"));
		CHECK(!strstr(html, "@import"));
		CHECK(strstr(html, "Content-Security-Policy") != NULL);
		/* charts: the bars and one histogram per teacher */
		CHECK_INT(count(html, "<svg "), 3);
		CHECK_INT(count(html, "</svg>"), 3);
		CHECK(strstr(html, "<mark>It&#39;s important to note that consistency matters more than "
			"intensity</mark>") != NULL);
		CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
		CHECK(strstr(html, "@media print") != NULL);
	}
	free(html);
	json_decref(doc);
}

/* ------------------------------------------------------------------ */
/* Hostile strings in every place a string can be                       */

#define EVIL "<script>alert(%d)</script> \"quotes\" & ampersands 'single' | `tick` *star*"

static json_t *evil(int k)
{
	char s[160];

	snprintf(s, sizeof(s), EVIL, k);
	return json_string(s);
}

static const char *const evil_paths[] = {
	"case.name", "case.created_at", "case.hash", "case.previous_hash", "tool.version",
	"tool.engine", "tool.patterns_sha256", "parameters.test", "parameters.correction",
	"parameters.strong.effect", "suspect.name", "suspect.path", "suspect.sha256",
	"corpus.snapshot_sha256", "corpus.models.0.model", "corpus.models.0.family",
	"corpus.models.0.role",
	"teachers.0.model", "teachers.0.family", "teachers.0.summary", "teachers.0.closest_control",
	"teachers.0.null.max_model", "teachers.0.controls.1.model",
	"teachers.0.signals.lexical.closest_control",
	"teachers.0.signals.phrases.top.0.phrase", "teachers.0.signals.style.features.0.name",
	"teachers.0.evidence.spans.0.prompt_id", "teachers.0.evidence.spans.0.suspect.before",
	"teachers.0.evidence.spans.0.suspect.match", "teachers.0.evidence.spans.0.suspect.after",
	"teachers.0.evidence.spans.0.teacher.before", "teachers.0.evidence.spans.0.teacher.match",
	"teachers.0.evidence.spans.0.teacher.after",
	"teachers.0.evidence.refusals.0.prompt_id", "teachers.0.evidence.refusals.0.suspect",
	"teachers.0.evidence.refusals.0.teacher", "teachers.0.evidence.refusals.0.family",
	"teachers.0.evidence.identity.0.prompt_id", "teachers.0.evidence.identity.0.claims",
	"teachers.0.evidence.identity.0.kind", "teachers.0.evidence.identity.0.text",
	"teachers.1.model", "teachers.1.verdict",
	"identity_claims.0.text", "identity_claims.0.pattern", "identity_claims.1.prompt_id",
	"refusals.0.text", "refusals.0.family",
	"conclusion.statement", "conclusion.verdict",
	"error_rates.statement", "error_rates.status",
	"limitations.0", "limitations.2",
};
#define N_PATHS (sizeof(evil_paths) / sizeof(evil_paths[0]))
/* beyond the paths: notes, unknown keys (a parameter, a signal), error-rate rows */
#define N_EVIL (N_PATHS + 6)

static json_t *hostile_document(void)
{
	json_t *doc = load_fixture(), *sig, *row;
	size_t i;
	char key[160];

	if (!doc)
		return NULL;
	for (i = 0; i < N_PATHS; i++)
		set(doc, evil_paths[i], evil((int)i));
	set(doc, "notes", json_array());
	json_array_append_new(at(doc, "notes"), evil((int)N_PATHS));
	snprintf(key, sizeof(key), EVIL, (int)N_PATHS + 1);
	json_object_set_new(at(doc, "parameters"), key, evil((int)N_PATHS + 2));
	snprintf(key, sizeof(key), EVIL, (int)N_PATHS + 3);
	sig = json_deep_copy(at(doc, "teachers.0.signals.refusal"));
	json_object_set_new(at(doc, "teachers.0.signals"), key, sig);
	/* error rates are a table only when available: a row with a hostile value and key */
	row = json_object();
	json_object_set_new(row, "verdict", evil((int)N_PATHS + 4));
	snprintf(key, sizeof(key), EVIL, (int)N_PATHS + 5);
	json_object_set_new(row, key, json_real(0.5));
	set(doc, "error_rates.rows", json_array());
	json_array_append_new(at(doc, "error_rates.rows"), row);
	/* a right-to-left override and an escape character must show, not act */
	set(doc, "teachers.0.evidence.identity.0.claims", json_string("open\xe2\x80\xae" "ia\x1b[31m"));
	return doc;
}

/* Paths whose hostile value the test replaces afterwards. */
static int overwritten(size_t i)
{
	return i < N_PATHS && (!strcmp(evil_paths[i], "error_rates.status") ||
		!strcmp(evil_paths[i], "teachers.0.evidence.identity.0.claims"));
}

static void html_escapes_every_string(void)
{
	json_t *doc = hostile_document();
	char want[200], *html;
	size_t i;
	int rc;

	if (!doc)
		SKIP("fixture not found");
	/* the status has to say "available" for the rows to show */
	set(doc, "error_rates.status", json_string("available"));
	html = render(render_html, doc, &rc);
	CHECK_INT(rc, 0);
	if (html) {
		CHECK(!strstr(html, "<script"));
		CHECK(!strstr(html, "\xe2\x80\xae"));
		CHECK(!strstr(html, "\x1b"));
		CHECK(strstr(html, "open<span class=\"ctl\">[U+202E]</span>ia\xef\xbf\xbd[31m") != NULL);
		for (i = 0; i < N_EVIL; i++) {
			if (overwritten(i))
				continue;
			snprintf(want, sizeof(want), "&lt;script&gt;alert(%zu)&lt;/script&gt; &quot;quotes&quot; "
				"&amp; ampersands &#39;single&#39; | `tick` *star*", i);
			if (!strstr(html, want)) {
				printf("#   not rendered escaped: %s\n",
					i < N_PATHS ? evil_paths[i] : "(extra)");
				unit_failed = 1;
			}
		}
	}
	free(html);
	json_decref(doc);
}

static void md_escapes_every_string(void)
{
	json_t *doc = hostile_document();
	char want[200], *md;
	size_t i;
	int rc;

	if (!doc)
		SKIP("fixture not found");
	set(doc, "error_rates.status", json_string("available"));
	md = render(render_md, doc, &rc);
	CHECK_INT(rc, 0);
	if (md) {
		CHECK(!md_has_raw_tag(md, "<script"));
		CHECK(!md_has_raw_tag(md, "</script"));
		CHECK(!strstr(md, "\xe2\x80\xae"));
		CHECK(!strstr(md, "\x1b"));
		CHECK(strstr(md, "open[U+202E]ia\xef\xbf\xbd\\[31m") != NULL);
		CHECK(md_tables_ok(md));
		/* '<', '|', '`' and '*' escaped wherever the value lands (text, cell, quote) */
		for (i = 0; i < N_EVIL; i++) {
			if (overwritten(i))
				continue;
			snprintf(want, sizeof(want), "\\<script>alert(%zu)\\</script> \"quotes\" & "
				"ampersands 'single' \\| \\`tick\\` \\*star\\*", i);
			if (!strstr(md, want)) {
				printf("#   not rendered escaped: %s\n",
					i < N_PATHS ? evil_paths[i] : "(extra)");
				unit_failed = 1;
			}
		}
	}
	free(md);
	json_decref(doc);
}

static void md_table_cells_cannot_break(void)
{
	json_t *doc = load_fixture();
	char *md;
	int rc;

	if (!doc)
		SKIP("fixture not found");
	set(doc, "teachers.0.model", json_string("a|b\nc`d\r\ne\\|f"));
	set(doc, "teachers.0.family", json_string("|\n|\n"));
	set(doc, "corpus.models.1.model", json_string("x\n| forged | row |"));
	set(doc, "teachers.0.evidence.refusals.0.suspect", json_string("line1\n\nline2 ``` code"));
	set(doc, "teachers.0.signals.style.features.0.name", json_string("# heading\n- item\n1. list"));
	set(doc, "suspect.path", json_string("dir with space/it's\n```\nrm -rf /"));
	md = render(render_md, doc, &rc);
	CHECK_INT(rc, 0);
	if (md) {
		CHECK(md_tables_ok(md));
		CHECK(strstr(md, "| a\\|b<br>c\\`d<br>e\\\\\\|f | \\|<br>\\|<br> |") != NULL);
		CHECK(strstr(md, "x<br>\\| forged \\| row \\|") != NULL);
		CHECK(strstr(md, "line1<br><br>line2 \\`\\`\\` code") != NULL);
		/* the path in the commands: shell-quoted, inside a fence longer than its backticks */
		CHECK(strstr(md, "````sh\n") != NULL);
		CHECK(strstr(md, "sha256sum 'dir with space/it'\\''s\n```\nrm -rf /'\n") != NULL);
		/* the passage in the excerpt stays inside the quote */
		set(doc, "teachers.0.evidence.spans.0.suspect.match", json_string("one\n\n# two  "));
		free(md);
		md = render(render_md, doc, &rc);
		CHECK(md && strstr(md, "**one**\n>\n> **\\# two**   when") != NULL);
	}
	free(md);
	json_decref(doc);
}

static void rendering_is_deterministic(void)
{
	json_t *doc = load_fixture(), *copy = NULL;
	char *a = NULL, *b = NULL, *c = NULL, *dump = NULL;

	if (!doc)
		SKIP("fixture not found");
	a = render(render_md, doc, NULL);
	b = render(render_md, doc, NULL);
	CHECK(a && b && !strcmp(a, b));
	/* the same document after a round trip through its text */
	dump = json_dumps(doc, JSON_INDENT(1));
	copy = dump ? parse(dump) : NULL;
	c = copy ? render(render_md, copy, NULL) : NULL;
	CHECK(a && c && !strcmp(a, c));
	free(a), free(b), free(c);
	a = render(render_html, doc, NULL);
	b = render(render_html, doc, NULL);
	c = copy ? render(render_html, copy, NULL) : NULL;
	CHECK(a && b && c && !strcmp(a, b) && !strcmp(a, c));
	free(a), free(b), free(c), free(dump);
	json_decref(copy);
	json_decref(doc);
}

static void numbers_follow_fixed_rules(void)
{
	CHECK_STR(rf_p(5.2e-9).s, "5.2e-9");
	CHECK_STR(rf_p(1e-12).s, "1e-12");
	CHECK_STR(rf_p(2.64e-9).s, "2.6e-9");
	CHECK_STR(rf_p(0.00099).s, "9.9e-4");
	CHECK_STR(rf_p(0.0012).s, "0.0012");
	CHECK_STR(rf_p(0.023).s, "0.023");
	CHECK_STR(rf_p(0.05).s, "0.05");
	CHECK_STR(rf_p(0.88).s, "0.88");
	CHECK_STR(rf_p(0.999).s, "0.999");
	CHECK_STR(rf_p(1).s, "1");
	CHECK_STR(rf_p(0).s, "0");
	CHECK_STR(rf_p(1.5).s, "1.5");   /* not a probability: shown as it is */
	CHECK_STR(rf_fix(0.918, 2).s, "0.92");
	CHECK_STR(rf_fix(-3.1, 2).s, "-3.10");
	CHECK_STR(rf_fix(-0.001, 2).s, "0.00");
	CHECK_STR(rf_fix(5.2, 2).s, "5.20");
	CHECK_STR(rf_num(40).s, "40");
	CHECK_STR(rf_num(-3).s, "-3");
	CHECK_STR(rf_num(0.31).s, "0.31");
	CHECK_STR(rf_num(18.4).s, "18.4");
	CHECK_STR(rf_num(0.3333333).s, "0.333");
	CHECK_STR(rf_num(2.5e-6).s, "2.5e-6");
	CHECK_STR(rf_num(1e15).s, "1e15");
	CHECK_STR(rf_num(0).s, "0");
}

/* A locale whose decimal separator is a comma, if one is installed (report-check.sh builds one). */
static const char *comma_locale(void)
{
	static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (setlocale(LC_ALL, names[i]))
			return names[i];
	return NULL;
}

static void numbers_ignore_the_locale(void)
{
	json_t *doc = load_fixture();
	char *md_c, *html_c, *md_l = NULL, *html_l = NULL;

	if (!doc)
		SKIP("fixture not found");
	md_c = render(render_md, doc, NULL);
	html_c = render(render_html, doc, NULL);
	if (!comma_locale()) {
		free(md_c), free(html_c);
		json_decref(doc);
		SKIP("no comma-decimal locale installed; tests/report-check.sh builds one");
	}
	CHECK_STR(rf_fix(3.25, 2).s, "3.25");
	CHECK_STR(rf_p(5.2e-9).s, "5.2e-9");
	md_l = render(render_md, doc, NULL);
	html_l = render(render_html, doc, NULL);
	setlocale(LC_ALL, "C");
	CHECK(md_c && md_l && !strcmp(md_c, md_l));
	CHECK(html_c && html_l && !strcmp(html_c, html_l));
	free(md_c), free(html_c), free(md_l), free(html_l);
	json_decref(doc);
}

static void sparse_document_renders(void)
{
	static const char *const docs[] = {
		"{\"schema\": \"provenance.report/1\"}",
		"{\"schema\": \"provenance.report/1\", \"case\": {\"id\": \"c-1\", \"previous_hash\": null},"
		" \"corpus\": {\"prompts\": 0, \"models\": []}, \"teachers\": [],"
		" \"conclusion\": {\"teacher\": null, \"verdict\": \"inconclusive\","
		" \"statement\": \"No teacher could be tested.\"},"
		" \"identity_claims\": [], \"refusals\": [], \"limitations\": [],"
		" \"notes\": [\"The corpus holds no teacher models: import teachers with"
		" provenance corpus import --role teacher, then scan again.\"]}",
		"{\"schema\": \"provenance.report/1\", \"teachers\": [{\"model\": \"t\", \"p_value\": null,"
		" \"signals\": {}, \"evidence\": {\"spans\": [], \"refusals\": [], \"identity\": []},"
		" \"distribution\": {}}, {}], \"error_rates\": {\"status\": \"available\", \"rows\": []}}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *doc = parse(docs[i]);
		char *md, *html;
		int rc1, rc2;

		if (!doc) {
			unit_failed = 1;
			continue;
		}
		md = render(render_md, doc, &rc1);
		html = render(render_html, doc, &rc2);
		CHECK_INT(rc1, 0);
		CHECK_INT(rc2, 0);
		if (rc1 || rc2)
			printf("#   document %zu: %s\n", i, prov_error_msg());
		if (md && html) {
			CHECK(in_order(md, md_sections, 6));
			CHECK(in_order(html, html_sections, 12));
			CHECK(!strstr(md, "(null)") && !strstr(html, "(null)"));
			CHECK(md_tables_ok(md));
			CHECK(strstr(md, "not proof that outputs were copied") != NULL);
			if (i == 1) {
				CHECK(strstr(md, "No teacher was tested") != NULL);
				CHECK(strstr(html, "No teacher was tested") != NULL);
				CHECK(strstr(md, "- The corpus holds no teacher models") != NULL);
				CHECK(strstr(html, "The corpus holds no teacher models") != NULL);
				CHECK(strstr(md, "none (the first case of the chain)") != NULL);
				CHECK(strstr(md, "provenance verify c-1") != NULL);
				CHECK(!strstr(html, "<svg"));
			}
			if (i == 2) {
				CHECK(strstr(md, "No signal was recorded") != NULL);
				CHECK(strstr(html, "None recorded.") != NULL);
				CHECK(strstr(md, "### 3.2 (unnamed teacher)") != NULL);
				CHECK(strstr(md, "| p-value (corrected) | " RENDER_ABSENT " |") != NULL);
			}
		}
		free(md);
		free(html);
		json_decref(doc);
	}
}

static void error_rates_table_shows_its_rows(void)
{
	json_t *doc = load_fixture();
	char *md, *html;

	if (!doc)
		SKIP("fixture not found");
	json_object_set_new(doc, "error_rates", parse(
		"{\"status\": \"available\", \"statement\": \"Measured on 120 labelled pairs.\","
		" \"rows\": [{\"verdict\": \"strong\", \"tpr\": 0.9, \"tpr_low\": 0.8, \"tpr_high\": 0.95,"
		" \"fpr\": 0.01, \"fpr_low\": 0.0, \"fpr_high\": 0.05, \"positives\": 40, \"negatives\": 80},"
		" {\"verdict\": \"moderate\", \"tpr\": 0.95, \"fpr\": 0.04, \"fpr_ci\": [0.01, 0.1],"
		" \"note\": \"x\"}], \"dataset\": \"labels v1\"}"));
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && html);
	if (md && html) {
		CHECK(strstr(md, "| Verdict level | True-positive rate | TPR 95% low | TPR 95% high | "
			"False-positive rate | FPR 95% low | FPR 95% high | Derived models (n) | "
			"Independent models (n) | FPR 95% interval | note |") != NULL);
		CHECK(strstr(md, "| strong | 0.9 | 0.8 | 0.95 | 0.01 | 0 | 0.05 | 40 | 80 | "
			RENDER_ABSENT " | " RENDER_ABSENT " |") != NULL);
		CHECK(strstr(md, "| 0.01, 0.1 | x |") != NULL);
		CHECK(strstr(md, "| dataset | labels v1 |") != NULL);
		CHECK(md_tables_ok(md));
		CHECK(strstr(html, "<th>False-positive rate</th>") != NULL);
		CHECK(strstr(html, "<td class=\"n\">0.95</td>") != NULL);
		CHECK(strstr(html, "labels v1") != NULL);
	}
	free(md);
	free(html);
	json_decref(doc);
}

/* Shapes the producer may use besides the fixture's: phrase shares, unavailable signals. */
static void producer_variants_render(void)
{
	json_t *doc = load_fixture();
	char *md, *html;

	if (!doc)
		SKIP("fixture not found");
	set(doc, "teachers.0.signals.phrases.top", parse(
		"[{\"phrase\": \"i hope\", \"suspect_share\": 0.625, \"teacher_share\": 0.85,"
		" \"controls_share\": 0}]"));
	set(doc, "teachers.0.signals.identity.available", json_false());
	set(doc, "teachers.0.signals.lexical.panel_p_value", json_real(9.72e-9));
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && html);
	if (md && html) {
		CHECK(strstr(md, "| Phrase | Suspect (share of answers) | Teacher | Controls |") != NULL);
		CHECK(strstr(md, "| i hope | 0.625 | 0.85 | 0 |") != NULL);
		CHECK(strstr(md, "| Identity claims | " RENDER_ABSENT " | " RENDER_ABSENT " | " RENDER_ABSENT
			" | 40 | example-claude | not available (too little data for this signal)") != NULL);
		CHECK(strstr(md, "effect 0.90, p-value 9.7e-9") != NULL);
		CHECK(strstr(html, "Suspect<br>share of answers") != NULL);
		CHECK(strstr(html, "<td class=\"n\">0.625</td>") != NULL);
	}
	free(md);
	free(html);
	json_decref(doc);
}

struct bad_case {
	const char *path;    /* where to put the bad value; NULL: replace the document */
	const char *json;    /* the bad value */
	const char *msg;     /* what the message must contain */
};

static const struct bad_case bad_cases[] = {
	{ NULL, "[]", "not an object" },
	{ "schema", "null", "no \"schema\"" },
	{ "schema", "\"provenance.report/9\"", "provenance.report/9" },
	{ "schema", "1", "schema: expected a string, found an integer" },
	{ "teachers", "{}", "teachers: expected an array, found an object" },
	{ "teachers.0", "\"x\"", "teachers[0]: expected an object, found a string" },
	{ "teachers.0.p_value", "\"small\"", "teachers[0].p_value: expected a number" },
	{ "teachers.1.signals.lexical.p_value", "[]", "teachers[1].signals.lexical.p_value" },
	{ "teachers.0.signals", "[]", "teachers[0].signals: expected an object" },
	{ "teachers.0.signals.style", "3", "teachers[0].signals.style: expected an object" },
	{ "teachers.0.signals.phrases.top.1.phrase", "true", "top[1].phrase: expected a string" },
	{ "teachers.0.evidence.spans.0.suspect.match", "5", "spans[0].suspect.match" },
	{ "teachers.0.evidence.spans.0.tokens", "1.5", "spans[0].tokens: expected an integer" },
	{ "teachers.0.distribution.counts", "[1, 2]", "8 edges for 2 counts" },
	{ "teachers.0.distribution.counts.0", "-1", "counts[0]: negative" },
	{ "teachers.0.distribution.edges.3", "-5", "edges must increase" },
	{ "teachers.0.distribution.edges", "null", "needs both" },
	{ "teachers.0.distribution.edges.2", "\"1\"", "edges[2]: expected a number" },
	{ "limitations.0", "1", "limitations[0]: expected a string" },
	{ "notes", "[null]", "notes[0]: expected a string, found null" },
	{ "case.id", "{}", "case.id: expected a string or a number" },
	{ "case", "\"3\"", "case: expected an object" },
	{ "suspect.size", "31337.5", "suspect.size: expected an integer" },
	{ "corpus.models.2.role", "1", "corpus.models[2].role" },
	{ "error_rates.rows", "[1]", "error_rates.rows[0]: expected an object" },
	{ "parameters.strong.p", "\"1e-6\"", "parameters.strong.p" },
	{ "conclusion.statement", "[]", "conclusion.statement" },
	{ "teachers.0.signals.refusal.available", "\"no\"", "refusal.available: expected true or false" },
};

static void wrong_types_are_data_errors(void)
{
	json_t *base = load_fixture();
	size_t i;

	if (!base)
		SKIP("fixture not found");
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		json_t *doc = bc->path ? json_deep_copy(base) : parse(bc->json);
		struct pbuf b = PBUF_INIT(OUT_MAX);
		int rc;

		if (bc->path)
			set(doc, bc->path, parse(bc->json));
		prov_error_clear();
		rc = render_md(&b, doc);
		if (rc != PROV_EDATA || !strstr(prov_error_msg(), bc->msg)) {
			printf("#   %s = %s: md rc %d, message \"%s\", expected \"%s\"\n",
				bc->path ? bc->path : "(document)", bc->json, rc, prov_error_msg(), bc->msg);
			unit_failed = 1;
		}
		CHECK_INT(b.len, 0);   /* nothing written before the document is known good */
		prov_error_clear();
		rc = render_html(&b, doc);
		if (rc != PROV_EDATA || !strstr(prov_error_msg(), bc->msg)) {
			printf("#   %s = %s: html rc %d, message \"%s\"\n",
				bc->path ? bc->path : "(document)", bc->json, rc, prov_error_msg());
			unit_failed = 1;
		}
		CHECK_INT(b.len, 0);
		pbuf_release(&b);
		json_decref(doc);
	}
	{
		struct pbuf b = PBUF_INIT(0);

		CHECK_INT(render_md(&b, NULL), PROV_EDATA);
		CHECK_INT(render_html(&b, NULL), PROV_EDATA);
		pbuf_release(&b);
	}
	json_decref(base);
}

/* Every path of the document (dotted, array indexes as numbers), appended to `paths`. */
static void collect_paths(json_t *paths, const json_t *v, const char *prefix)
{
	char p[512];
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			snprintf(p, sizeof(p), "%s%s%s", prefix, *prefix ? "." : "", key);
			json_array_append_new(paths, json_string(p));
			collect_paths(paths, e, p);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			snprintf(p, sizeof(p), "%s.%zu", prefix, i);
			json_array_append_new(paths, json_string(p));
			collect_paths(paths, e, p);
		}
	}
}

/* Any node of the fixture replaced by any other kind of value: rendered or refused, never a crash. */
static void any_field_of_any_type_is_safe(void)
{
	static const char *const values[] = { "null", "true", "-1", "1e308", "\"<b>\"", "[]", "{}",
		"[{}]" };
	json_t *base = load_fixture(), *paths = json_array();
	size_t i, k, rendered = 0, refused = 0;

	if (!base) {
		json_decref(paths);
		SKIP("fixture not found");
	}
	collect_paths(paths, base, "");
	for (i = 0; i < json_array_size(paths); i++) {
		const char *path = json_string_value(json_array_get(paths, i));

		for (k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
			json_t *doc = json_deep_copy(base);
			struct pbuf b = PBUF_INIT(OUT_MAX);
			int rc1, rc2;

			set(doc, path, parse(values[k]));
			rc1 = render_md(&b, doc);
			pbuf_reset(&b);
			rc2 = render_html(&b, doc);
			if (rc1 != rc2 || (rc1 && (rc1 != PROV_EDATA ||
			    strncmp(prov_error_msg(), "report: ", 8)))) {
				printf("#   %s = %s: md %d, html %d: %s\n", path, values[k], rc1, rc2,
					prov_error_msg());
				unit_failed = 1;
			}
			rc1 ? refused++ : rendered++;
			pbuf_release(&b);
			json_decref(doc);
		}
	}
	CHECK(rendered > 100 && refused > 100);
	json_decref(paths);
	json_decref(base);
}

static void output_cap_is_a_data_error(void)
{
	json_t *doc = load_fixture();
	struct pbuf b = PBUF_INIT(2000);

	if (!doc)
		SKIP("fixture not found");
	CHECK_INT(render_html(&b, doc), PROV_EDATA);
	CHECK(b.len <= 2000);
	CHECK_STR(prov_error_msg(), "report: the HTML would be longer than 2000 bytes");
	pbuf_release(&b);
	pbuf_init(&b, 2000);
	CHECK_INT(render_md(&b, doc), PROV_EDATA);
	pbuf_release(&b);
	json_decref(doc);
}

/* --write-html FILE / --write-md FILE: the fixture rendered, for tests/report-check.sh. */
static int write_fixture(const char *what, const char *file)
{
	json_t *doc = load_fixture();
	char *out;
	FILE *fp;
	int rc, ok;

	if (!doc)
		return 1;
	out = render(!strcmp(what, "--write-html") ? render_html : render_md, doc, &rc);
	json_decref(doc);
	if (!out) {
		fprintf(stderr, "test_render: %s\n", prov_error_msg());
		return 1;
	}
	if (!(fp = fopen(file, "w"))) {
		perror(file);
		free(out);
		return 1;
	}
	ok = fputs(out, fp) >= 0;
	ok = (fclose(fp) == 0) && ok;
	free(out);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(md_has_every_section),
		UNIT_TEST(html_has_every_section),
		UNIT_TEST(html_escapes_every_string),
		UNIT_TEST(md_escapes_every_string),
		UNIT_TEST(md_table_cells_cannot_break),
		UNIT_TEST(rendering_is_deterministic),
		UNIT_TEST(numbers_follow_fixed_rules),
		UNIT_TEST(numbers_ignore_the_locale),
		UNIT_TEST(sparse_document_renders),
		UNIT_TEST(error_rates_table_shows_its_rows),
		UNIT_TEST(producer_variants_render),
		UNIT_TEST(wrong_types_are_data_errors),
		UNIT_TEST(any_field_of_any_type_is_safe),
		UNIT_TEST(output_cap_is_a_data_error),
	};

	if (argc == 3 && (!strcmp(argv[1], "--write-html") || !strcmp(argv[1], "--write-md")))
		return write_fixture(argv[1], argv[2]);
	return unit_run(__FILE__, tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
