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
#include <math.h>
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

/* md with the excerpts' wrapped lines joined again ("\n  " -> " "); free() it. */
static char *unwrapped(const char *md)
{
	char *out = malloc(strlen(md) + 1), *w = out;
	const char *r;

	if (!out)
		return NULL;
	for (r = md; *r; r++) {
		if (r[0] == '\n' && r[1] == ' ' && r[2] == ' ' && r > md && r[-1] != ':' && r[-1] != '\n') {
			*w++ = ' ';
			r += 2;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return out;
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
	"I hope this helps", "bold markers per 100 words", "0.31",
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
		CHECK(strstr(md, "### 3.2 example-claude (anthropic): not established") != NULL);
		CHECK(strstr(md, "| example-gpt | openai | strong evidence | 5.84 | 5.2e-9 | 1 of 15 | 0.92 | 40 |")
			!= NULL);
		/* the excerpts: fenced text under the prompt, the shared words between [[ ]] on both sides */
		{
			char *flat = unwrapped(md);

			CHECK_INT(count(flat, "[[It's important to note that consistency matters more than "
				"intensity]]"), 2);
			CHECK(strstr(flat, "```text\nPrompt:\n  How should a beginner start exercising?") != NULL);
			CHECK(strstr(flat, "Suspect (example-student):\n  Here are a few tips. [[It's") != NULL);
			CHECK(strstr(flat, "when you start. \xe2\x80\xa6\n") != NULL);
			free(flat);
		}
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
		/* charts: the calibration (summary and teacher 1), one histogram per teacher, the Tippett plot */
		CHECK_INT(count(html, "<svg "), 5);
		CHECK_INT(count(html, "</svg>"), 5);
		CHECK(strstr(html, "<figure class=\"tippett\">") != NULL);
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
	"teachers.0.signals.phrases.top.0.phrase", "teachers.0.signals.phrases.top.0.surface",
	"teachers.0.signals.style.features.0.name", "teachers.0.evidence.spans.0.prompt",
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

/* Paths the renderers do not show because the document has better words next to them (surface forms). */
static int shadowed(size_t i)
{
	return i < N_PATHS && !strcmp(evil_paths[i], "teachers.0.signals.phrases.top.0.phrase");
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
			if (overwritten(i) || shadowed(i))
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
		/* '<', '|', '`' and '*' escaped wherever the value lands (text, cell, quote); in the
		 * excerpts' fenced blocks the text is shown as it is (a fence shows it literally) */
		char *flat = unwrapped(md);

		for (i = 0; i < N_EVIL; i++) {
			if (overwritten(i) || shadowed(i))
				continue;
			if (i < N_PATHS && strstr(evil_paths[i], ".evidence.spans.0.") &&
			    strcmp(evil_paths[i], "teachers.0.evidence.spans.0.prompt_id"))
				snprintf(want, sizeof(want), EVIL, (int)i);
			else
				snprintf(want, sizeof(want), "\\<script>alert(%zu)\\</script> \"quotes\" & "
					"ampersands 'single' \\| \\`tick\\` \\*star\\*", i);
			if (!strstr(flat, want)) {
				printf("#   not rendered escaped: %s\n",
					i < N_PATHS ? evil_paths[i] : "(extra)");
				unit_failed = 1;
			}
		}
		CHECK(!md_has_raw_tag(md, "<script"));
		free(flat);
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
		/* the passage in the excerpt stays inside its fence, line breaks kept, nothing escaped */
		set(doc, "teachers.0.evidence.spans.0.suspect.match", json_string("one\n\n# two ``` x"));
		free(md);
		md = render(render_md, doc, &rc);
		CHECK(md && strstr(md, "````text\nPrompt:") != NULL);
		CHECK(md && strstr(md, "[[one\n  \n  # two ``` x]] when") != NULL);
		CHECK(md && md_tables_ok(md));
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
	CHECK_STR(rf_p(1e-12).s, "< 1e-10");   /* floored for display; the JSON keeps 1e-12 */
	CHECK_STR(rf_p(6.3e-71).s, "< 1e-10");
	CHECK_STR(rf_p(1e-10).s, "1e-10");
	CHECK_STR(rf_p(1.2e-10).s, "1.2e-10");
	CHECK_STR(rf_p(2.64e-9).s, "2.6e-9");
	CHECK_STR(rf_p(0.00099).s, "9.9e-4");
	CHECK_STR(rf_p(0.0012).s, "0.0012");
	CHECK_STR(rf_p(0.023).s, "0.023");
	CHECK_STR(rf_p(0.05).s, "0.05");
	CHECK_STR(rf_p(0.88).s, "0.88");
	CHECK_STR(rf_p(0.999).s, "0.999");
	CHECK_STR(rf_p(1).s, "1");
	CHECK_STR(rf_p(0).s, "< 1e-10");
	CHECK_STR(rf_rate(5.55e-17).s, "0");
	CHECK_STR(rf_rate(-5.55e-17).s, "0");
	CHECK_STR(rf_rate(0.9999999999999999).s, "1");
	CHECK_STR(rf_rate(0.0626).s, "0.063");
	CHECK_STR(rf_rate(0.5).s, "0.5");
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
		" \"fpr\": 0.01, \"fpr_low\": 5.551115123125783e-17, \"fpr_high\": 0.05, \"positives\": 40, \"negatives\": 80},"
		" {\"verdict\": \"moderate\", \"tpr\": 0.95, \"fpr\": 0.04, \"fpr_ci\": [0.01, 0.1],"
		" \"note\": \"x\"}], \"dataset\": \"labels v1\"}"));
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && html);
	if (md && html) {
		CHECK(strstr(md, "| Verdict level | True-positive rate | TPR 95% low | TPR 95% high | "
			"False-positive rate | FPR 95% low | FPR 95% high | Derived models (n) | "
			"Control (not derived) models (n) | FPR 95% interval | note |") != NULL);
		CHECK(strstr(md, "| strong | 0.9 | 0.8 | 0.95 | 0.01 | 0 | 0.05 | 40 | 80 | "
			RENDER_ABSENT " | " RENDER_ABSENT " |") != NULL);
		CHECK(strstr(md, "| 0.01, 0.1 | x |") != NULL);
		CHECK(strstr(md, "| dataset | labels v1 |") != NULL);
		/* no floating-point noise anywhere in the section */
		CHECK(!strstr(md, "e-17") && !strstr(html, "e-17"));
		/* the validation status in words, in the conclusion box */
		/* the rates of the verdict's level (strong), both errors */
		CHECK(strstr(md, "**Validation:** Validated on 120 labelled models (40 derived, 80 not derived); "
			"at the strong level (this verdict's), false positives 1/80 (95% interval 0 to 0.05), misses "
			"4/40 (95% interval 0.05 to 0.2).") != NULL);
		CHECK(strstr(html, "<strong>Validation.</strong> Validated on 120 labelled models") != NULL);
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
		CHECK(strstr(md, "| Phrase | Where | Suspect (share of answers) | Teacher | Controls |") != NULL);
		CHECK(strstr(md, "| i hope | " RENDER_ABSENT " | 0.625 | 0.85 | 0 |") != NULL);
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

/*
 * The fixture with 16 teachers (copies of its two, renamed, strongest first): the page-1
 * claim of docs/report-format.md must hold for at least this many (tests/report-check.sh).
 */
static json_t *sixteen_teachers(void)
{
	static const char *const names[16] = { "gpt-4-turbo-2024-04-09", "gpt-3.5-turbo-0301",
		"gpt4_0314", "text_davinci_003", "gpt-4o-2024-05-13", "gpt-4o-mini-2024-07-18",
		"claude-3-opus-20240229", "claude-3-sonnet-20240229", "claude-2", "claude-2.1",
		"gemini-pro", "gemini-1.5-pro-exp-0801", "mistral-large-2402", "Mixtral-8x7B-Instruct-v0.1",
		"Meta-Llama-3-70B-Instruct", "Qwen1.5-72B-Chat" };
	static const char *const families[16] = { "openai", "openai", "openai", "openai", "openai", "openai",
		"anthropic", "anthropic", "anthropic", "anthropic", "google", "google", "mistral", "mistral",
		"meta", "alibaba" };
	json_t *doc = load_fixture(), *arr, *t;
	size_t i;

	if (!doc)
		return NULL;
	arr = json_array();
	for (i = 0; i < 16; i++) {
		t = json_deep_copy(at(doc, i ? "teachers.1" : "teachers.0"));
		json_object_set_new(t, "model", json_string(names[i]));
		json_object_set_new(t, "family", json_string(families[i]));
		json_object_set_new(t, "rank", json_integer((json_int_t)i + 1));
		json_array_append_new(arr, t);
	}
	json_object_set_new(doc, "teachers", arr);
	set(doc, "conclusion.teacher", json_string(names[0]));
	return doc;
}

/*
 * --write-html FILE / --write-md FILE: the fixture rendered, for tests/report-check.sh;
 * --write-html16 FILE: the fixture with 16 teachers (sixteen_teachers).
 */
static int write_fixture(const char *what, const char *file)
{
	json_t *doc = !strcmp(what, "--write-html16") ? sixteen_teachers() : load_fixture();
	char *out;
	FILE *fp;
	int rc, ok;

	if (!doc)
		return 1;
	out = render(strncmp(what, "--write-html", 12) ? render_md : render_html, doc, &rc);
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

/* The text between two markers (exclusive), as a new string; "" when a marker is missing. */
static char *between(const char *s, const char *from, const char *to)
{
	const char *a = strstr(s, from), *b;
	char *out;

	if (!a)
		return strdup("");
	a += strlen(from);
	b = to ? strstr(a, to) : NULL;
	if (!b)
		b = a + strlen(a);
	out = malloc((size_t)(b - a) + 1);
	if (out) {
		memcpy(out, a, (size_t)(b - a));
		out[b - a] = '\0';
	}
	return out;
}

static void conclusion_box_says_what_a_lawyer_quotes(void)
{
	json_t *doc = load_fixture();
	char *md, *html, *box;

	if (!doc)
		SKIP("fixture not found");
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && html);
	if (md && html) {
		box = between(md, "## 1. Summary\n\n", "\n\n**Warnings**");
		/* the likelihood ratio leads, then the calibrated test's verdict */
		CHECK(!strncmp(box, "> **Evidence strength:** The outputs are about 8.3 times more likely if the suspect"
			" was trained on outputs of the openai family than if it was not: weak support.", 120));
		CHECK(strstr(box, ">\n> **Strong evidence that the suspect's outputs derive from the openai family "
			"(closest teacher example-gpt).**\n") != NULL);
		CHECK(strstr(box, "> **Validation:** No error rate has been established for this corpus") != NULL);
		CHECK(strstr(box, "> **Robustness:** The verdict is the same with each control and each family of "
			"controls left out.") != NULL);
		CHECK(strstr(box, "> **Basis:** The comparison rests on 40 prompts matched between the suspect and "
			"example-gpt (of 40 answers by the suspect); 3 of 40 answers identical to the teacher's") != NULL);
		free(box);
		box = between(html, "<div class=\"conclusion", "</div>");
		CHECK(strstr(box, "<p class=\"head\">Strong evidence that the suspect&#39;s outputs derive from the "
			"openai family (closest teacher example-gpt).</p>") != NULL);
		CHECK(strstr(box, "<strong>Robustness.</strong> The verdict is the same") != NULL);
		CHECK(strstr(box, "<strong>Basis.</strong> The comparison rests on 40 prompts") != NULL);
		free(box);
		/* the warnings, after the box and the table */
		CHECK(strstr(md, "**Warnings**\n\n- The panel has 2 references; at least 5 are advised.") != NULL);
		CHECK(strstr(html, "<li>The panel has 2 references; at least 5 are advised.</li>") != NULL);
	}
	free(md);
	free(html);
	/* other verdicts name their subject too */
	set(doc, "conclusion.verdict", json_string("none"));
	set(doc, "conclusion.teacher", json_null());
	md = render(render_md, doc, NULL);
	CHECK(md && strstr(md, "> **Not established: the suspect's outputs were not shown to derive from a "
		"teacher in the corpus at any level the tool states (weak, moderate or strong); how often this "
		"test misses documented distillations is unknown (no validation recorded for this corpus).**") != NULL);
	CHECK(md && !strstr(md, "No evidence that"));
	/* the robustness sentence whatever the verdict, when recorded */
	CHECK(md && strstr(md, "**Robustness:** The verdict is the same") != NULL);
	free(md);
	set(doc, "conclusion.verdict", json_string("moderate"));
	set(doc, "conclusion.teacher", json_string("example-gpt"));
	set(doc, "conclusion.family", json_string("none"));
	md = render(render_md, doc, NULL);
	CHECK(md && strstr(md, "> **Moderate evidence that the suspect's outputs derive from example-gpt.**") != NULL);
	free(md);
	json_decref(doc);
}

static void new_fields_render_and_may_be_absent(void)
{
	json_t *doc = load_fixture(), *old;
	char *md, *html, *t1, *t2;
	size_t i;
	static const char *const fields[] = { "calibration", "robustness", "contaminated_controls",
		"prompts_needed", "identical" };

	if (!doc)
		SKIP("fixture not found");
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && html);
	if (md && html) {
		t1 = between(md, "### 3.1 ", "### 3.2 ");
		t2 = between(md, "### 3.2 ", "### 3.3 ");
		CHECK(strstr(t1, "#### Calibration against the null models\n\nAgainst 14 null models (control "
			"models scanned in the suspect's place on its prompts): score 7.90 (t, df 13); p-value 1.2e-6, "
			"2.4e-6 after Holm's correction; rank 1 of 15 (the null models and the suspect, 1 the closest "
			"to the teacher; rank p-value 0.067, exact). The suspect's statistic is 0.41, 8.0 null standard "
			"deviations above the null models' mean 0.01 (the chart's axis).") != NULL);
		CHECK(strstr(t1, "| ctrl-e | 0.31 | yes |") != NULL);
		CHECK(strstr(t1, "#### Contaminated controls") != NULL && strstr(t1, "| ctrl-e | 0.31 | 5.10 | 1e-4 |"));
		CHECK(strstr(t1, "3 of 40 answers identical to the teacher's") != NULL);
		/* the second teacher has no calibration; its robustness is made from "without" */
		CHECK(!strstr(t2, "Calibration") && !strstr(t2, "Contaminated"));
		CHECK(strstr(t2, "| Robustness | With the control example-human-b left out, the verdict is weak. |") != NULL);
		CHECK(strstr(t2, "about 240 prompts would be needed for a weak verdict; a moderate verdict is not "
			"reachable by collecting more prompts of this kind.") != NULL);
		CHECK(strstr(t2, "a moderate or strong") == NULL);
		CHECK(strstr(t2, "0 of 40 answers identical") != NULL);
		free(t1);
		free(t2);
		CHECK(strstr(html, "<h4>Calibration against the null models</h4>") != NULL);
		CHECK(strstr(html, "<h4>Contaminated controls</h4>") != NULL);
		CHECK(strstr(html, "<tr><td>ctrl-e</td><td class=\"n\">0.31</td><td>yes</td></tr>") != NULL);
	}
	free(md);
	free(html);
	/* levels out of reach are named together */
	{
		struct pbuf b = PBUF_INIT(0);
		json_t *t = json_deep_copy(at(doc, "teachers.0"));

		set(t, "verdict", json_string("none"));
		CHECK(render_basis_line(&b, doc, t) == 0 && b.data && strstr(b.data, "; a moderate or strong verdict is "
			"not reachable by collecting more prompts of this kind.") != NULL);
		pbuf_release(&b);
		json_decref(t);
	}
	/* every new field missing (an old stored case): renders, and says nothing about them */
	old = json_deep_copy(doc);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_object_del(at(old, "teachers.0"), fields[i]);
		json_object_del(at(old, "teachers.1"), fields[i]);
	}
	json_object_del(old, "warnings");
	json_object_del(old, "evidence_strength");
	json_object_del(old, "evidence_strength_statement");
	json_object_del(old, "evidence_calibration");
	md = render(render_md, old, NULL);
	html = render(render_html, old, NULL);
	CHECK(md && html);
	CHECK(md && !strstr(md, "Calibration") && !strstr(md, "Robustness") && !strstr(md, "Warnings"));
	CHECK(md && strstr(md, "> **Basis:** The comparison rests on 40 prompts") != NULL);
	CHECK(html && !strstr(html, "Calibration against") && !strstr(html, "class=\"warnings\""));
	/* without calibration the summary chart is the score per teacher */
	CHECK(html && strstr(html, "Score per teacher") != NULL);
	CHECK(md && !strstr(md, "(null)") && html && !strstr(html, "(null)"));
	free(md);
	free(html);
	json_decref(old);
	json_decref(doc);
}

static void calibration_chart_has_a_fixed_axis_and_thresholds(void)
{
	json_t *doc = load_fixture();
	char *md, *html, *fig, *fig2;
	double w, m, s;

	if (!doc)
		SKIP("fixture not found");
	/* thresholds: Crawford-Howell t quantiles (df 13) times sqrt(1 + 1/14), Holm factor 2 */
	w = render_threshold_position(at(doc, "teachers.0"), "weak");
	m = render_threshold_position(at(doc, "teachers.0"), "moderate");
	s = render_threshold_position(at(doc, "teachers.0"), "strong");
	/* t_0.975(13) = 2.160 and t_0.9995(13) = 4.221 (tables); t_(1 - 5e-7)(13) is about 8.6 */
	CHECK(fabs(w - 2.160 * sqrt(1 + 1.0 / 14)) < 0.01);
	CHECK(fabs(m - 4.221 * sqrt(1 + 1.0 / 14)) < 0.02);
	CHECK(s / sqrt(1 + 1.0 / 14) > 8.4 && s / sqrt(1 + 1.0 / 14) < 8.8);
	CHECK(isnan(render_threshold_position(at(doc, "teachers.1"), "weak")));
	{
		/* many null models: the t is the normal (one-sided z_0.95 = 1.645), and no Holm factor */
		json_t *big = json_deep_copy(at(doc, "teachers.0"));

		set(big, "calibration.df", json_integer(300));
		set(big, "calibration.null_models", json_integer(301));
		set(big, "calibration.p_holm", json_real(1.2e-6));
		CHECK(fabs(render_threshold_position(big, "weak") - 1.6449 * sqrt(1 + 1.0 / 301)) < 0.002);
		/* a recorded Holm factor is used as it is */
		set(big, "calibration.holm_factor", json_integer(2));
		CHECK(fabs(render_threshold_position(big, "weak") - 1.960 * sqrt(1 + 1.0 / 301)) < 0.002);
		set(big, "calibration.holm_factor", json_integer(1));
		CHECK(fabs(render_threshold_position(big, "weak") - 1.6449 * sqrt(1 + 1.0 / 301)) < 0.002);
		json_decref(big);
	}
	CHECK(fabs(render_position(at(doc, "teachers.0.calibration"), 0.41) - 8.0) < 1e-9);
	html = render(render_html, doc, NULL);
	md = render(render_md, doc, NULL);
	CHECK(html && md);
	if (html && md) {
		fig = between(html, "<figure class=\"calchart\">", "</figure>");
		CHECK(strstr(fig, ">-4</text>") && strstr(fig, ">16</text>") && strstr(fig, ">0</text>"));
		CHECK(strstr(fig, "null standard deviations above the null models' mean") != NULL);
		CHECK(count(fig, "<circle ") == 5);
		CHECK(strstr(fig, ">w</text>") && strstr(fig, ">m</text>") && strstr(fig, ">s</text>"));
		/* a suspect far off the axis sits at its edge, with its value */
		set(doc, "teachers.0.calibration.statistic", json_real(3.01));
		free(html);
		html = render(render_html, doc, NULL);
		fig2 = html ? between(html, "<figure class=\"calchart\">", "</figure>") : strdup("");
		CHECK(strstr(fig2, "\xe2\x86\x92 60.0</text>") != NULL);
		/* the same axis labels whatever the values */
		CHECK(strstr(fig2, ">-4</text>") && strstr(fig2, ">16</text>"));
		free(fig);
		free(fig2);
		CHECK(strstr(md, "null SDs above the null mean: -4 to 16 (fixed axis)\n"
			"+--------o-o+o-o--------+-----o-----S-----------+-----------+\n"
			"                   w     m             s\n") != NULL);
	}
	free(html);
	free(md);
	json_decref(doc);
}

static void wording_and_labels(void)
{
	json_t *doc = load_fixture();
	char *md, *html, *method;
	static const char *const internal[] = { "phrase_prior_answers", "min_median_words", "auc_family" };
	size_t i;

	if (!doc)
		SKIP("fixture not found");
	set(doc, "error_rates", parse("{\"status\": \"available\", \"statement\": \"x\", \"auc_family\": 0.93,"
		" \"rows\": [{\"verdict\": \"strong\", \"fpr\": 0.1, \"negatives\": 10}]}"));
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && html);
	if (md && html) {
		/* models in the panel are control models, never "independent models" */
		CHECK(!strstr(md, "ndependent models") || strstr(md, "than to any independent model in the panel"));
		CHECK(strstr(md, RENDER_PANEL_WHY) != NULL && strstr(html, RENDER_PANEL_WHY) != NULL);
		/* internal names only in the chain of custody's "as recorded" table */
		method = between(md, "## 1. Summary", "## 6. Chain of custody");
		for (i = 0; i < 3; i++)
			if (strstr(method, internal[i]) || strstr(method, "phrase\\_prior")) {
				printf("#   internal name in the prose: %s\n", internal[i]);
				unit_failed = 1;
			}
		CHECK(strstr(method, "| Prior weight in a phrase's rate (answers) | 2 |") != NULL);
		CHECK(strstr(method, "| Shortest median answer for a verdict (words) | 20 |") != NULL);
		CHECK(strstr(method, "| AUC over family scores | 0.93 |") != NULL);
		CHECK(strstr(md, "this bounds little with so few models known not to be derived") != NULL);
		free(method);
		method = between(html, "<section id=\"s1\"", "<section id=\"s6\"");
		for (i = 0; i < 3; i++)
			CHECK(!strstr(method, internal[i]));
		free(method);
		/* p-values beyond the floor: shown floored, never as a raw normal tail */
		CHECK(strstr(md, "| p-value (before correction) | < 1e-10 |") != NULL);
		CHECK(!strstr(md, "6.3e-71") && !strstr(html, "6.3e-71"));
		CHECK(strstr(html, "&lt; 1e-10") != NULL);
		/* characteristic phrases in the surface form the models wrote */
		CHECK(strstr(md, "| It\xe2\x80\x99s important to note |") != NULL);
	}
	free(md);
	free(html);
	json_decref(doc);
}

static void unstored_scan_says_so_first(void)
{
	json_t *doc = load_fixture();
	char *md, *html;

	if (!doc)
		SKIP("fixture not found");
	set(doc, "case", parse("{\"stored\": false, \"name\": \"x\"}"));
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && !strncmp(md, "**Not a stored case: ", 21));
	CHECK(md && strstr(md, "no chain of custody") != NULL);
	CHECK(html && strstr(html, "<body>\n<p class=\"unstored\">Not a stored case: ") != NULL);
	CHECK(html && strstr(html, "@top-left{content:\"Provenance report \\00b7  not a stored case\"") != NULL);
	free(md);
	free(html);
	set(doc, "case", parse("{\"id\": 7, \"hash\": \"0123456789abcdef0123\\\"}\"}"));
	html = render(render_html, doc, NULL);
	/* the page margins: case id, short hash (CSS-safe), page x of y */
	CHECK(html && strstr(html, "@top-left{content:\"Provenance report \\00b7  case 7\"") != NULL);
	CHECK(html && strstr(html, "@top-right{content:\"case hash 0123456789ab\"") != NULL);
	CHECK(html && strstr(html, "content:\"page \" counter(page) \" of \" counter(pages)") != NULL);
	free(html);
	json_decref(doc);
}

/* Issue 20: every sentence says what the numbers support, no more. */
static void words_match_the_numbers(void)
{
	json_t *doc = load_fixture();
	struct pbuf b = PBUF_INIT(0);
	char *md, *html;

	if (!doc)
		SKIP("fixture not found");
	json_object_set_new(doc, "error_rates", parse(
		"{\"status\": \"available\", \"rows\": ["
		" {\"verdict\": \"strong\", \"tpr\": 0.3, \"fpr\": 0, \"positives\": 20, \"negatives\": 30},"
		" {\"verdict\": \"moderate\", \"tpr\": 0.35, \"tpr_low\": 0.18, \"tpr_high\": 0.57, \"fpr\": 0.0333,"
		"  \"fpr_low\": 0.006, \"fpr_high\": 0.167, \"positives\": 20, \"negatives\": 30},"
		" {\"verdict\": \"weak\", \"tpr\": 0.4, \"fpr\": 0.1, \"positives\": 20, \"negatives\": 30}],"
		" \"suspect_labelled\": {\"model\": \"suspect-x\", \"family\": \"openai\", \"derived\": true,"
		" \"matched_by\": \"name\"}}"));
	/* the validation line quotes the rates of the verdict's own level, both errors */
	set(doc, "conclusion.verdict", json_string("moderate"));
	CHECK(render_validation_words(&b, doc) == 0);
	CHECK(b.data && strstr(b.data, "at the moderate level (this verdict's), false positives 1/30 (95% interval "
		"0.006 to 0.167), misses 13/20 (95% interval 0.43 to 0.82)") != NULL);
	CHECK(b.data && !strstr(b.data, "strong level"));
	/* and says when the suspect is one of the validation's labelled models */
	CHECK(b.data && strstr(b.data, "The suspect (suspect-x) is itself one of the labelled models of this "
		"validation, labelled derived from the openai family (matched by name): these rates include its own "
		"result") != NULL);
	pbuf_reset(&b);
	/* none is not a clearance: not established, with the weak level's miss rate */
	set(doc, "conclusion.verdict", json_string("none"));
	set(doc, "conclusion.teacher", json_null());
	CHECK(render_headline(&b, doc) == 0);
	CHECK_STR(b.data, "Not established: the suspect's outputs were not shown to derive from a teacher in the "
		"corpus at any level the tool states (weak, moderate or strong); at the weak level this test missed "
		"12 of 20 documented distillations in validation");
	pbuf_reset(&b);
	CHECK(render_validation_words(&b, doc) == 0);
	CHECK(b.data && strstr(b.data, "at the weak level (the lowest the tool states), false positives 3/30") != NULL);
	pbuf_reset(&b);
	/* the descriptive signals that point to a family, named without a verdict */
	CHECK(render_descriptive_line(&b, doc) == 0);
	CHECK(b.data && !strncmp(b.data, "2 identity traces name openai; 1 refusal uses the template of openai "
		"(section 3). These point to a family but are descriptive, not a verdict", 140));
	pbuf_reset(&b);
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && strstr(md, "> **Descriptive signals:** 2 identity traces name openai") != NULL);
	CHECK(html && strstr(html, "<strong>Descriptive signals.</strong> 2 identity traces name openai") != NULL);
	/* the rank beside the p-value in the summary table */
	CHECK(md && strstr(md, "| Score | p-value (corrected) | Rank | Effect | Prompts |") != NULL);
	CHECK(html && strstr(html, "<td class=\"n\">5.2e-9</td><td class=\"n\">1 of 15</td>") != NULL);
	free(md);
	free(html);
	/* prompts needed beyond 20 times the prompts compared is not advice */
	set(doc, "teachers.1.prompts_needed.weak", json_integer(69884));
	CHECK(render_basis_line(&b, doc, at(doc, "teachers.1")) == 0);
	CHECK(b.data && !strstr(b.data, "69") && strstr(b.data, "a weak or moderate verdict is not reachable by "
		"collecting more prompts of this kind") != NULL);
	pbuf_reset(&b);
	set(doc, "teachers.1.prompts_needed.weak", json_integer(800));
	CHECK(render_basis_line(&b, doc, at(doc, "teachers.1")) == 0);
	CHECK(b.data && strstr(b.data, "about 800 prompts would be needed for a weak verdict") != NULL);
	pbuf_release(&b);
	json_decref(doc);
}

/* Issue 20, section 5: what the rendering dropped or broke. */
static void rendering_keeps_what_the_numbers_distinguish(void)
{
	json_t *doc = load_fixture();
	struct pbuf b = PBUF_INIT(0);
	char *md, *html, *nav;

	if (!doc)
		SKIP("fixture not found");
	/* the same words as an opening and within answers are two phrases: the table says which */
	set(doc, "teachers.0.signals.phrases.top", parse(
		"[{\"phrase\": \"sure here\", \"surface\": \"Sure! Here\", \"opening\": true, \"suspect_share\": 0.3,"
		"  \"teacher_share\": 0.4, \"controls_share\": 0.01},"
		" {\"phrase\": \"sure here\", \"surface\": \"Sure! Here\", \"opening\": false, \"suspect_share\": 0.05,"
		"  \"teacher_share\": 0.06, \"controls_share\": 0.02}]"));
	md = render(render_md, doc, NULL);
	html = render(render_html, doc, NULL);
	CHECK(md && strstr(md, "| Sure! Here | opens the answer | 0.3 |") != NULL);
	CHECK(md && strstr(md, "| Sure! Here | within the answer | 0.05 |") != NULL);
	CHECK(html && strstr(html, "Sure! Here\xe2\x80\x9d</td><td>opens the answer</td>") != NULL);
	CHECK(html && strstr(html, "Sure! Here\xe2\x80\x9d</td><td>within the answer</td>") != NULL);
	/* the contents box keeps each model name whole: no columns, names unbreakable */
	nav = html ? between(html, "<nav>", "</nav>") : NULL;
	CHECK(html && !strstr(html, "nav ol{margin:.2rem 0;padding-left:1.4rem;columns:2}") &&
		!strstr(html, "nav ol{columns:2}"));
	CHECK(nav && strstr(nav, "<a class=\"tn\" href=\"#t1\">example-gpt</a>") != NULL);
	CHECK(html && strstr(html, "nav .tn{white-space:nowrap") != NULL);
	free(nav);
	/* following the re-run block literally appends no case */
	CHECK(render_commands(&b, doc) == 0);
	CHECK(b.data && strstr(b.data, "provenance scan ") && strstr(b.data, " --no-store ") != NULL);
	CHECK(md && strstr(md, "--no-store --format json -o rerun.json\n") != NULL);
	pbuf_release(&b);
	free(md);
	free(html);
	json_decref(doc);
}

/* The summary table of 16 teachers: one compact table, every row, before the chart and sentences. */
static void sixteen_teachers_summary_table(void)
{
	json_t *doc = sixteen_teachers();
	char *html, *table;

	if (!doc)
		SKIP("fixture not found");
	html = render(render_html, doc, NULL);
	CHECK(html != NULL);
	table = html ? between(html, "<table class=\"data summary\">", "</table>") : NULL;
	CHECK(table && count(table, "<tr><td><a href=\"#t") == 16);
	CHECK(table && strstr(table, "Qwen1.5-72B-Chat") != NULL);
	CHECK(html && strstr(html, "table.summary{font-size:.74rem") != NULL);
	CHECK(html && strstr(html, "<table class=\"data summary\">") < strstr(html, "<ul class=\"summaries\">"));
	free(table);
	free(html);
	json_decref(doc);
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
		UNIT_TEST(conclusion_box_says_what_a_lawyer_quotes),
		UNIT_TEST(new_fields_render_and_may_be_absent),
		UNIT_TEST(calibration_chart_has_a_fixed_axis_and_thresholds),
		UNIT_TEST(wording_and_labels),
		UNIT_TEST(unstored_scan_says_so_first),
		UNIT_TEST(words_match_the_numbers),
		UNIT_TEST(rendering_keeps_what_the_numbers_distinguish),
		UNIT_TEST(sixteen_teachers_summary_table),
	};

	if (argc == 3 && (!strcmp(argv[1], "--write-html") || !strcmp(argv[1], "--write-md") ||
		    !strcmp(argv[1], "--write-html16")))
		return write_fixture(argv[1], argv[2]);
	return unit_run(__FILE__, tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
