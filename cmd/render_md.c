/*
 * render_md.c: the report document as Markdown (the shared report model is in
 * report_model.c).
 *
 * Markdown rules: GitHub-flavoured tables; in a cell, '|' is "\|", a line break
 * is "<br>", and Markdown punctuation is backslash-escaped so that a value can
 * neither break the table nor turn into a link, an emphasis or raw HTML.
 * Excerpts are block quotes with the shared words in **bold**.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/render.h"

/* ------------------------------------------------------------------ */
/* Markdown escaping                                                    */

enum md_ctx {
	MD_TEXT,    /* a paragraph or list item: a line break stays a line break */
	MD_CELL,    /* a table cell: '|' escaped, line breaks as <br> */
	MD_QUOTE    /* a block quote: each new line starts with "> " */
};

/* Characters that could start Markdown syntax anywhere in a line. */
static int md_special(unsigned char c)
{
	return c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' ||
		c == '<' || c == '|' || c == '~';
}

/* *bol after a line break in a quote: the line so far is ">", text needs a space first. */
#define BOL_QUOTE 2

/*
 * Append `len` bytes of untrusted text escaped for `ctx`. `*bol` says whether
 * the next byte starts a line (where '#', '-', '+', '=', '>' and "1." start
 * blocks); it is updated. Control characters other than line breaks and tabs become
 * U+FFFD so that nothing invisible reaches the reader.
 */
static int md_escape(struct pbuf *out, const char *s, size_t len, enum md_ctx ctx, int *bol)
{
	size_t i, k;
	unsigned cp;
	int rc = 0;

	for (i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r') {
			if (ctx == MD_CELL)
				rc = pbuf_adds(out, "<br>");
			else if (ctx == MD_QUOTE)
				rc = pbuf_adds(out, "\n>");   /* the space comes with the line's text */
			else
				rc = pbuf_adds(out, "  \n");
			*bol = ctx == MD_QUOTE ? BOL_QUOTE : ctx != MD_CELL;
			continue;
		}
		if (*bol == BOL_QUOTE) {
			if ((rc = pbuf_addc(out, ' ')))
				break;
			*bol = 1;
		}
		if (c == '\t') {
			rc = pbuf_addc(out, ' ');
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			rc = pbuf_adds(out, "\xef\xbf\xbd");
			*bol = 0;
			continue;
		}
		if ((k = render_bidi_control(s + i, len - i, &cp))) {
			/* an invisible reordering of the text: shown, not obeyed */
			rc = pbuf_addf(out, "[U+%04X]", cp);
			i += k - 1;
			*bol = 0;
			continue;
		}
		if (*bol && (c == '#' || c == '-' || c == '+' || c == '=' || c == '>'))
			rc = pbuf_addc(out, '\\');
		else if (*bol && c >= '0' && c <= '9') {
			/* "1. " or "1) " at a line start is a list: escape what follows the digits */
			size_t j = i;

			while (j < len && s[j] >= '0' && s[j] <= '9')
				j++;
			if (j < len && (s[j] == '.' || s[j] == ')')) {
				if ((rc = pbuf_add(out, s + i, j - i)) || (rc = pbuf_addc(out, '\\')) ||
				    (rc = pbuf_addc(out, s[j])))
					break;
				i = j;
				*bol = 0;
				continue;
			}
		} else if (md_special(c))
			rc = pbuf_addc(out, '\\');
		else if (c == '&' && i + 1 < len && (s[i + 1] == '#' ||
			 (s[i + 1] >= 'a' && s[i + 1] <= 'z') || (s[i + 1] >= 'A' && s[i + 1] <= 'Z')))
			rc = pbuf_addc(out, '\\');   /* "&amp;" would turn into "&" */
		if (!rc && c != ' ')
			*bol = 0;
		if (!rc)
			rc = pbuf_addc(out, (char)c);
	}
	return rc;
}

struct md {
	struct pbuf *out;
	const json_t *doc;
	struct pbuf tmp;   /* plain text being built, see md_plain */
	int rc;            /* the first error; later calls do nothing */
};

/* Fixed text (ours) or formatted numbers: appended as they are. */
static void md_raw(struct md *m, const char *s)
{
	if (!m->rc)
		m->rc = pbuf_adds(m->out, s);
}

static void md_f(struct md *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_f(struct md *m, const char *fmt, ...)
{
	va_list ap;

	if (m->rc)
		return;
	va_start(ap, fmt);
	m->rc = pbuf_vaddf(m->out, fmt, ap);
	va_end(ap);
}

/* Untrusted text inside a line (a paragraph, a list item) or a table cell. */
static void md_text(struct md *m, const char *s, size_t len, enum md_ctx ctx)
{
	int bol = 0;

	if (!m->rc && s)
		m->rc = md_escape(m->out, s, len, ctx, &bol);
}

/*
 * Escape and append the plain text a render_*_line() call built in m->tmp
 * (`rc` is that call's result), then empty m->tmp.
 */
static void md_plain(struct md *m, int rc, enum md_ctx ctx)
{
	if (!m->rc)
		m->rc = rc;
	if (m->tmp.len)
		md_text(m, m->tmp.data, m->tmp.len, ctx);
	pbuf_reset(&m->tmp);
}

static void md_s(struct md *m, const char *s, enum md_ctx ctx)
{
	if (s)
		md_text(m, s, strlen(s), ctx);
}

/* A JSON string o[key] as text, or `absent` (ours, unescaped) when missing. */
static void md_field(struct md *m, const json_t *o, const char *key, enum md_ctx ctx,
	const char *absent)
{
	struct rfmt tmp;
	const char *s;
	size_t len;

	s = rf_text(rj_get(o, key), &tmp, &len);
	if (s)
		md_text(m, s, len, ctx);
	else
		md_raw(m, absent);
}

/*
 * A hash, a path or a name as code: `value`, when it is safe in a code span
 * inside a table (no backtick, '|', control character or bidirectional
 * control); otherwise as escaped text.
 */
static void md_code_n(struct md *m, const char *s, size_t len, const char *absent)
{
	size_t i;
	unsigned cp;

	if (!s) {
		md_raw(m, absent);
		return;
	}
	for (i = 0; i < len; i++)
		if (s[i] == '`' || s[i] == '|' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    render_bidi_control(s + i, len - i, &cp))
			break;
	if (i < len || !len) {
		md_text(m, s, len, MD_CELL);
		return;
	}
	md_raw(m, "`");
	if (!m->rc)
		m->rc = pbuf_add(m->out, s, len);
	md_raw(m, "`");
}

/* A JSON string (or NULL: `absent`) as code. */
static void md_code(struct md *m, const json_t *v, const char *absent)
{
	md_code_n(m, v ? json_string_value(v) : NULL, v ? json_string_length(v) : 0, absent);
}

/* The verdict as words, from our vocabulary only. */
static void md_verdict(struct md *m, const char *v)
{
	const char *w = render_verdict_words(render_verdict_of(v));

	if (w)
		md_raw(m, w);
	else if (v)
		md_s(m, v, MD_CELL);
	else
		md_raw(m, RENDER_ABSENT);
}

static size_t arr_size(const json_t *a)
{
	return a ? json_array_size(a) : 0;
}

/* ------------------------------------------------------------------ */
/* Sections                                                             */

static void md_heading(struct md *m, int level, const char *num, const char *title)
{
	md_f(m, "\n%.*s %s%s%s\n\n", level, "######", num ? num : "", num ? " " : "", title);
}

static void md_header(struct md *m)
{
	const json_t *cs = rj_obj(m->doc, "case"), *tool = rj_obj(m->doc, "tool");
	const json_t *sus = rj_obj(m->doc, "suspect");
	size_t i;

	if (render_unstored_notice(m->doc))
		md_f(m, "**%s**\n\n", render_unstored_notice(m->doc));
	md_raw(m, "# Provenance report");
	if (rj_get(cs, "id")) {
		md_raw(m, ": case ");
		md_field(m, cs, "id", MD_TEXT, "");
	}
	if (rj_str(cs, "name")) {
		md_raw(m, " (");
		md_field(m, cs, "name", MD_TEXT, "");
		md_raw(m, ")");
	}
	md_raw(m, "\n\nForensic comparison of language-model outputs: is the suspect model's output "
		"closer to a teacher model's than the control models' output is?\n\n");
	md_raw(m, "| | |\n|---|---|\n| Case | ");
	md_field(m, cs, "id", MD_CELL, RENDER_ABSENT);
	if (rj_str(cs, "name")) {
		md_raw(m, ", ");
		md_field(m, cs, "name", MD_CELL, "");
	}
	md_raw(m, " |\n| Created | ");
	md_field(m, cs, "created_at", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n| Suspect | ");
	md_field(m, sus, "name", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n| Tool | ");
	md_field(m, tool, "name", MD_CELL, "provenance");
	md_raw(m, " ");
	md_field(m, tool, "version", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n| Case hash | ");
	md_code(m, rj_strv(cs, "hash"), RENDER_ABSENT);
	md_raw(m, " |\n\nContents: ");
	for (i = 0; i < 6; i++)
		md_f(m, "%s%zu. %s", i ? " \xc2\xb7 " : "", i + 1, render_sections[i]);
	if (rj_obj(m->doc, "sample_specific"))
		md_f(m, " \xc2\xb7 7. %s", render_ownctl_title);
	md_raw(m, "\n");
}

/* ------------------------------------------------------------------ */
/* Evidence strength: the likelihood ratios (validate --calibrate)      */

/* The conclusion box's lead: the likelihood-ratio sentence, or that there is none. */
static void md_lr_lead(struct md *m)
{
	const char *s = rj_str(m->doc, "evidence_strength_statement");
	int bol = 1;

	if (!s || m->rc)
		return;
	md_raw(m, "> **Evidence strength:** ");
	m->rc = md_escape(m->out, s, strlen(s), MD_QUOTE, &bol);
	md_raw(m, "\n>\n");
}

/* The likelihood ratio per family, after the conclusion box. */
static void md_evidence_strength(struct md *m)
{
	const json_t *es = rj_arr(m->doc, "evidence_strength"), *cal = rj_obj(m->doc, "evidence_calibration");
	size_t i;

	if (!arr_size(es) || m->rc)
		return;
	md_raw(m, "**Evidence strength per teacher family** (likelihood ratio LR = P(outputs | Hp) / P(outputs | Hd);"
		" Hp: ");
	md_field(m, rj_obj(cal, "propositions"), "hp", MD_TEXT, RENDER_ABSENT);
	md_raw(m, "; Hd: ");
	md_field(m, rj_obj(cal, "propositions"), "hd", MD_TEXT, RENDER_ABSENT);
	md_raw(m, ")\n\n| Family | LR | log10 LR | Verbal (ENFSI 2015) | Supports | Bound applied | Calibration |\n"
		"|---|---:|---:|---|---|---|---|\n");
	for (i = 0; i < json_array_size(es); i++) {
		const json_t *e = rj_at(es, i), *c = rj_obj(e, "calibration");

		md_raw(m, "| ");
		md_field(m, e, "family", MD_CELL, RENDER_ABSENT);
		md_f(m, " | %s | %s | ", rf_get(e, "lr", RF_NUM).s, rf_get(e, "log10_lr", RF_FIX2).s);
		md_field(m, e, "verbal", MD_CELL, RENDER_ABSENT);
		md_raw(m, " | ");
		md_field(m, e, "supports", MD_CELL, "-");
		md_raw(m, " | ");
		md_field(m, e, "bound", MD_CELL, "-");
		md_f(m, " | validation %s: Cllr %s, Cllr_min %s, %s positive and %s negative comparisons |\n",
			rf_get(c, "id", RF_NUM).s, rf_get(c, "cllr", RF_FIX2).s, rf_get(c, "cllr_min", RF_FIX2).s,
			rf_get(c, "positives", RF_NUM).s, rf_get(c, "negatives", RF_NUM).s);
	}
	md_f(m, "\nThe calibration (%s, %s labelled models) was fitted on models whose training data is documented and"
		" measured by cross-validation leaving one maker out: Cllr %s (0 is perfect, 1 is an LR that always says 1),"
		" Cllr_min %s (the best any calibration of this statistic could do); LRs are kept within %s to %s, what"
		" that background can support. An LR is the strength of the evidence, not the probability that the"
		" suspect was distilled: that also depends on everything else the court knows.\n\n",
		rj_str(cal, "group") ? rj_str(cal, "group") : RENDER_ABSENT, rf_get(cal, "models", RF_NUM).s,
		rf_get(cal, "cllr", RF_FIX2).s, rf_get(cal, "cllr_min", RF_FIX2).s,
		rf_get(rj_obj(cal, "bound"), "lower", RF_NUM).s, rf_get(rj_obj(cal, "bound"), "upper", RF_NUM).s);
}

/* One paragraph of the conclusion box (a block quote): plain text from a render_* call. */
static void md_box_para(struct md *m, const char *label, int rc)
{
	int bol = 1;

	if (!m->rc)
		m->rc = rc;
	if (!m->tmp.len || m->rc) {
		pbuf_reset(&m->tmp);
		return;
	}
	md_raw(m, ">\n> ");
	if (label)
		md_f(m, "**%s** ", label);
	m->rc = md_escape(m->out, m->tmp.data, m->tmp.len, MD_QUOTE, &bol);
	md_raw(m, "\n");
	pbuf_reset(&m->tmp);
}

/*
 * The conclusion box: the headline naming its subject, the producer's statement, the
 * validation status in words, the robustness sentence and the prompts the verdict rests on.
 */
static void md_conclusion_box(struct md *m)
{
	const json_t *concl = rj_obj(m->doc, "conclusion"), *t = render_concluded_teacher(m->doc);
	int bol = 1;

	if (m->rc)
		return;
	md_lr_lead(m);
	m->rc = render_headline(&m->tmp, m->doc);
	if (m->tmp.len) {
		md_raw(m, "> **");
		md_text(m, m->tmp.data, m->tmp.len, MD_TEXT);
		md_raw(m, ".**\n");
	} else {
		md_raw(m, "> **The report records no conclusion.**\n");
	}
	pbuf_reset(&m->tmp);
	if (rj_str(concl, "statement")) {
		md_raw(m, ">\n> ");
		if (!m->rc)
			m->rc = md_escape(m->out, rj_str(concl, "statement"), json_string_length(rj_strv(concl,
				"statement")), MD_QUOTE, &bol);
		md_raw(m, "\n");
	}
	md_box_para(m, "Validation:", render_validation_words(&m->tmp, m->doc));
	md_box_para(m, "Descriptive signals:", render_descriptive_line(&m->tmp, m->doc));
	md_box_para(m, "Robustness:", render_robustness_line(&m->tmp, t));
	md_box_para(m, "Basis:", render_basis_line(&m->tmp, m->doc, t));
	md_raw(m, "\n");
}

/* The producer's warnings about this scan (a small panel ...), before anything else. */
static void md_warnings(struct md *m)
{
	const json_t *w = rj_arr(m->doc, "warnings");
	size_t i;

	if (!arr_size(w))
		return;
	md_raw(m, "**Warnings**\n\n");
	for (i = 0; i < json_array_size(w); i++) {
		md_raw(m, "- ");
		md_text(m, json_string_value(json_array_get(w, i)), json_string_length(json_array_get(w, i)), MD_TEXT);
		md_raw(m, "\n");
	}
	md_raw(m, "\n");
}

static void md_summary(struct md *m)
{
	const json_t *teachers = rj_arr(m->doc, "teachers");
	const json_t *notes = rj_arr(m->doc, "notes");
	size_t i, n = arr_size(teachers);

	md_heading(m, 2, "1.", render_sections[0]);
	md_conclusion_box(m);
	md_evidence_strength(m);
	if (n == 0)
		md_raw(m, "No teacher was tested, so the report makes no comparison.\n\n");
	if (n) {
		md_raw(m, "| Teacher | Family | Verdict | Score | p-value (corrected) | Rank | Effect | Prompts |\n"
			"|---|---|---|---:|---:|---:|---:|---:|\n");
		for (i = 0; i < n; i++) {
			const json_t *t = rj_at(teachers, i);

			if (!t)
				continue;
			md_raw(m, "| ");
			md_field(m, t, "model", MD_CELL, RENDER_ABSENT);
			md_raw(m, " | ");
			md_field(m, t, "family", MD_CELL, RENDER_ABSENT);
			md_raw(m, " | ");
			md_verdict(m, rj_str(t, "verdict"));
			md_f(m, " | %s | %s | ", rf_get(t, "score", RF_FIX2).s, rf_get(t, "p_value", RF_P).s);
			if (!m->rc)
				m->rc = render_rank_words(&m->tmp, t);
			if (!m->tmp.len)
				md_raw(m, RENDER_ABSENT);
			md_plain(m, 0, MD_CELL);
			md_f(m, " | %s | %s |\n", rf_get(t, "effect", RF_FIX2).s, rf_get(t, "n", RF_NUM).s);
		}
	}
	if (n)
		md_raw(m, "\n");
	{
		/* the models that took no part: once, with their reason */
		const json_t *nt = rj_arr(m->doc, "not_tested");

		for (i = 0; i < arr_size(nt); i++) {
			const json_t *x = rj_at(nt, i);

			md_raw(m, i ? "; " : "Not tested: ");
			md_field(m, x, "model", MD_TEXT, RENDER_ABSENT);
			md_raw(m, " (");
			md_field(m, x, "role", MD_TEXT, RENDER_ABSENT);
			md_f(m, ", %s prompts shared)", rf_get(x, "shared_prompts", RF_NUM).s);
		}
		if (arr_size(nt))
			md_f(m, ". A model that shares fewer than %s of the suspect's prompts takes no part in the test.\n\n",
				rf_get(rj_obj(m->doc, "parameters"), "min_prompts", RF_NUM).s);
	}
	md_warnings(m);
	for (i = 0; i < n; i++) {
		const json_t *t = rj_at(teachers, i);

		if (!t)
			continue;
		md_raw(m, "- **");
		md_field(m, t, "model", MD_TEXT, "(unnamed teacher)");
		md_raw(m, "**: ");
		md_field(m, t, "summary", MD_TEXT, "no summary recorded.");
		md_raw(m, "\n");
	}
	if (arr_size(notes)) {
		md_raw(m, n ? "\n**Notes**\n\n" : "**Notes**\n\n");
		for (i = 0; i < json_array_size(notes); i++) {
			md_raw(m, "- ");
			md_text(m, json_string_value(json_array_get(notes, i)),
				json_string_length(json_array_get(notes, i)), MD_TEXT);
			md_raw(m, "\n");
		}
	}
	md_raw(m, "\n### What this report does and does not show\n\n");
	for (i = 0; i < 4; i++)
		md_f(m, "- %s\n", render_scope[i]);
}

/* Any JSON value as escaped one-line text in a table cell. */
static void md_value(struct md *m, const json_t *v)
{
	struct pbuf tmp = PBUF_INIT(RENDER_PLAIN_MAX);

	if (!m->rc && !(m->rc = render_plain(&tmp, v)))
		md_text(m, tmp.data ? tmp.data : "", tmp.len, MD_CELL);
	pbuf_release(&tmp);
}

/* A value of an error-rate table: reals as rates (no floating-point noise). */
static void md_rate_value(struct md *m, const json_t *v)
{
	struct pbuf tmp = PBUF_INIT(RENDER_PLAIN_MAX);

	if (!m->rc && !(m->rc = render_plain_rates(&tmp, v)))
		md_text(m, tmp.data ? tmp.data : "", tmp.len, MD_CELL);
	pbuf_release(&tmp);
}

/* A row "| label | value |" of a two-column table for o[key], if present. */
static void md_kv(struct md *m, const char *label, const json_t *o, const char *key)
{
	const json_t *v = rj_get(o, key);

	if (!v)
		return;
	md_f(m, "| %s | ", label);
	md_value(m, v);
	md_raw(m, " |\n");
}


/* The tool that made the report, as a table cell: "provenance 0.4.0, engine 3". */
static void md_tool(struct md *m, const json_t *tool)
{
	md_field(m, tool, "name", MD_CELL, "provenance");
	md_raw(m, " ");
	md_field(m, tool, "version", MD_CELL, RENDER_ABSENT);
	md_raw(m, ", engine ");
	md_field(m, tool, "engine", MD_CELL, RENDER_ABSENT);
}

static void md_method(struct md *m)
{
	const json_t *params = rj_obj(m->doc, "parameters"), *corpus = rj_obj(m->doc, "corpus");
	const json_t *models = rj_arr(corpus, "models");
	const json_t *tool = rj_obj(m->doc, "tool"), *v;
	static const char *const levels[] = { "strong", "moderate", "weak" };
	const char *key;
	size_t i;

	md_heading(m, 2, "2.", render_sections[1]);
	md_raw(m, "### Signals\n\nFive separate kinds of evidence are measured for each teacher:\n\n");
	for (i = 0; i < 5; i++)
		md_f(m, "- **%s** (`%s`): %s\n", render_signals[i].label, render_signals[i].key,
			render_signals[i].plain);
	md_raw(m, "\n### Reading the numbers\n\n");
	for (i = 0; i < 4; i++)
		md_f(m, "- %s\n", render_glossary[i]);

	md_raw(m, "\n### Control panel\n\n");
	md_plain(m, render_suspect_line(&m->tmp, m->doc), MD_TEXT);
	md_raw(m, "\n\n");
	if (arr_size(models)) {
		md_raw(m, "| Model | Family | Role | Responses |\n|---|---|---|---:|\n");
		for (i = 0; i < json_array_size(models); i++) {
			const json_t *mo = rj_at(models, i);

			md_raw(m, "| ");
			md_field(m, mo, "model", MD_CELL, RENDER_ABSENT);
			md_raw(m, " | ");
			md_field(m, mo, "family", MD_CELL, RENDER_ABSENT);
			md_raw(m, " | ");
			md_field(m, mo, "role", MD_CELL, RENDER_ABSENT);
			md_f(m, " | %s |\n", rf_get(mo, "responses", RF_NUM).s);
		}
		md_raw(m, "\n" RENDER_PANEL_WHY "\n");
	} else {
		md_raw(m, "The corpus lists no models.\n");
	}

	md_raw(m, "\n### Test and thresholds\n\n");
	if (!params)
		md_raw(m, "The report records no parameters.\n\n");
	md_raw(m, "| Parameter | Value |\n|---|---|\n");
	if (params) {
		for (i = 0; i < render_nparams; i++)
			md_kv(m, render_params[i].label, params, render_params[i].key);
		for (i = 0; i < 3; i++) {
			const json_t *lv = rj_obj(params, levels[i]);

			if (!lv)
				continue;
			md_f(m, "| Verdict \"%s\" | p-value (corrected) at most %s", levels[i],
				rf_get(lv, "p", RF_P).s);
			if (rj_get(lv, "effect")) {
				md_raw(m, "; effect ");
				md_field(m, lv, "effect", MD_CELL, "");
			}
			md_raw(m, " |\n");
		}
		json_object_foreach((json_t *)params, key, v) {
			/* the rest, as recorded: keys this renderer has no words for */
			if (render_param_known(key) || json_is_null(v))
				continue;
			md_raw(m, "| ");
			md_s(m, key, MD_CELL);
			md_raw(m, " | ");
			md_value(m, v);
			md_raw(m, " |\n");
		}
	}
	md_raw(m, "| Tool | ");
	md_tool(m, tool);
	md_raw(m, " |\n| Pattern library SHA-256 | ");
	md_code(m, rj_strv(tool, "patterns_sha256"), RENDER_ABSENT);
	md_raw(m, " |\n");
}

/* "prompt ex07" with the id escaped for text. */
static void md_prompt(struct md *m, const json_t *o, enum md_ctx ctx)
{
	md_field(m, o, "prompt_id", ctx, "(no id)");
}

static void md_signal_row(struct md *m, const char *key, const json_t *sig)
{
	const struct render_signal *rs = render_signal_find(key);

	md_raw(m, "| ");
	if (rs)
		md_raw(m, rs->label);
	else
		md_s(m, key, MD_CELL);
	if (json_is_false(rj_get(sig, "available")))   /* numbers of a signal not measured mean nothing */
		md_raw(m, " | " RENDER_ABSENT " | " RENDER_ABSENT " | " RENDER_ABSENT " | ");
	else
		md_f(m, " | %s | %s | %s | ", rf_get(sig, "statistic", RF_FIX2).s,
			rf_get(sig, "effect", RF_FIX2).s, rf_get(sig, "p_value", RF_P).s);
	md_f(m, "%s | ", rf_get(sig, "n", RF_NUM).s);
	md_field(m, sig, "closest_control", MD_CELL, RENDER_ABSENT);
	md_raw(m, " | ");
	md_plain(m, render_signal_detail(&m->tmp, key, sig), MD_CELL);
	md_raw(m, " |\n");
}

static void md_signals(struct md *m, const json_t *t)
{
	const json_t *signals = rj_obj(t, "signals"), *sig;
	const char *key;
	size_t i;

	if (!signals || !json_object_size(signals)) {
		md_raw(m, "No signal was recorded for this teacher.\n");
		return;
	}
	md_raw(m, "| Signal | Statistic | Effect | p-value | Prompts | Closest control | Detail |\n"
		"|---|---:|---:|---:|---:|---|---|\n");
	/* the known signals in report order, then any others in document order */
	for (i = 0; i < 5; i++)
		if ((sig = rj_obj(signals, render_signals[i].key)))
			md_signal_row(m, render_signals[i].key, sig);
	json_object_foreach((json_t *)signals, key, sig)
		if (json_is_object(sig) && !render_signal_find(key))
			md_signal_row(m, key, sig);
}

#define HIST_WIDTH 40

/* The per-prompt differences as a text histogram in a code block. */
static void md_histogram(struct md *m, const json_t *dist)
{
	const json_t *edges = rj_arr(dist, "edges"), *counts = rj_arr(dist, "counts");
	double top = 0, c;
	size_t i, k, n = arr_size(counts);

	if (!edges || !n || json_array_size(edges) != n + 1) {
		md_raw(m, "No distribution was recorded.\n");
		return;
	}
	for (i = 0; i < n; i++)
		if ((c = json_number_value(json_array_get(counts, i))) > top)
			top = c;
	md_raw(m, "```text\n     from        to   prompts\n");
	for (i = 0; i < n; i++) {
		c = json_number_value(json_array_get(counts, i));
		md_f(m, "%9s %9s %9s  ", rf_num(json_number_value(json_array_get(edges, i))).s,
			rf_num(json_number_value(json_array_get(edges, i + 1))).s, rf_num(c).s);
		k = top > 0 ? (size_t)(c / top * HIST_WIDTH + 0.5) : 0;
		if (c > 0 && k == 0)
			k = 1;
		while (k--)
			md_raw(m, "#");
		md_raw(m, "\n");
	}
	md_raw(m, "```\n\nEach row counts the prompts whose difference falls in [from, to): how much "
		"closer the suspect's answer is to the teacher's than to the closest control's. Mass "
		"right of 0 means closer to the teacher.\n");
}

static void md_code_block(struct md *m, const char *lang, struct pbuf *body);

#define EXCERPT_COLS 88      /* wrap excerpt lines at this many characters (code points) */
#define PROMPT_MAX_CPS 400   /* a longer prompt is cut (on a word boundary, with an ellipsis) */

/*
 * Untrusted text for a fenced code block, appended to *out: control characters
 * other than line breaks become U+FFFD, tabs spaces, bidirectional controls
 * "[U+202E]", CR LF one line break. At most `max_cps` code points (0: all):
 * a longer text is cut at the last space before the limit and gets " …";
 * *cut says whether it was cut.
 */
static int fence_clean(struct pbuf *out, const char *s, size_t len, size_t max_cps, int *cut)
{
	size_t i, cps = 0, last_space = 0, start = out->len;
	unsigned cp;
	int rc = 0;

	if (cut)
		*cut = 0;
	for (i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if ((c & 0xc0) != 0x80 && max_cps && cps++ == max_cps) {
			if (last_space > start)
				out->len = last_space;
			if (cut)
				*cut = 1;
			return pbuf_adds(out, " \xe2\x80\xa6");
		}
		if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			last_space = out->len;
		if (c == '\t')
			rc = pbuf_addc(out, ' ');
		else if (c == '\r')
			rc = pbuf_addc(out, '\n');
		else if ((c < 0x20 && c != '\n') || c == 0x7f)
			rc = pbuf_adds(out, "\xef\xbf\xbd");
		else if ((k = render_bidi_control(s + i, len - i, &cp))) {
			rc = pbuf_addf(out, "[U+%04X]", cp);
			i += k - 1;
		} else
			rc = pbuf_addc(out, (char)c);
	}
	return rc;
}

/*
 * Append `text` to *out wrapped at EXCERPT_COLS, each line indented by two
 * spaces; breaks only at spaces (a word longer than a line stays whole) and
 * at the text's own line breaks.
 */
static int fence_wrap(struct pbuf *out, const char *text, size_t len)
{
	size_t i = 0, col = 0;
	int rc = pbuf_adds(out, "  ");

	while (i < len && !rc) {
		size_t j = i, w = 0;

		if (text[i] == '\n') {
			rc = pbuf_adds(out, "\n  ");
			col = 0;
			i++;
			continue;
		}
		if (text[i] == ' ') {
			i++;
			if (col && i < len && text[i] != ' ' && text[i] != '\n') {
				/* the space before the next word: kept unless the word starts a new line */
				size_t k = i, ww = 0;

				while (k < len && text[k] != ' ' && text[k] != '\n')
					ww += ((unsigned char)text[k++] & 0xc0) != 0x80;
				if (col + 1 + ww > EXCERPT_COLS) {
					rc = pbuf_adds(out, "\n  ");
					col = 0;
				} else {
					rc = pbuf_addc(out, ' ');
					col++;
				}
			} else if (!col || i >= len || text[i] == ' ') {
				rc = pbuf_addc(out, ' ');
				col++;
			}
			continue;
		}
		while (j < len && text[j] != ' ' && text[j] != '\n')
			w += ((unsigned char)text[j++] & 0xc0) != 0x80;
		rc = pbuf_add(out, text + i, j - i);
		col += w;
		i = j;
	}
	return rc ? rc : pbuf_addc(out, '\n');
}

/* One side of a shared passage as fenced text: "Suspect (name):", then the excerpt with [[ ]] marks. */
static int fence_side(struct pbuf *out, const char *who, const json_t *name, const json_t *side)
{
	struct pbuf raw = PBUF_INIT(RENDER_PLAIN_MAX);
	const json_t *v;
	int rc;

	if ((rc = pbuf_addf(out, "%s", who)))
		return rc;
	if (name && ((rc = pbuf_adds(out, " (")) ||
		     (rc = fence_clean(out, json_string_value(name), json_string_length(name), 0, NULL)) ||
		     (rc = pbuf_adds(out, ")"))))
		return rc;
	if ((rc = pbuf_adds(out, ":\n")))
		return rc;
	if (!side) {
		rc = pbuf_adds(out, "  (not recorded)\n");
		goto done;
	}
	if (json_is_true(rj_get(side, "before_truncated")) && (rc = pbuf_adds(&raw, "\xe2\x80\xa6 ")))
		goto done;
	if ((v = rj_strv(side, "before")) &&
	    (rc = fence_clean(&raw, json_string_value(v), json_string_length(v), 0, NULL)))
		goto done;
	if ((v = rj_strv(side, "match")) &&
	    ((rc = pbuf_adds(&raw, "[[")) ||
	     (rc = fence_clean(&raw, json_string_value(v), json_string_length(v), 0, NULL)) ||
	     (rc = pbuf_adds(&raw, "]]"))))
		goto done;
	if ((v = rj_strv(side, "after")) &&
	    (rc = fence_clean(&raw, json_string_value(v), json_string_length(v), 0, NULL)))
		goto done;
	if (json_is_true(rj_get(side, "after_truncated")) && (rc = pbuf_adds(&raw, " \xe2\x80\xa6")))
		goto done;
	rc = fence_wrap(out, raw.data ? raw.data : "", raw.len);
done:
	pbuf_release(&raw);
	return rc;
}

/* One shared passage as a fenced text block: the prompt, then the suspect's and the teacher's excerpt. */
static int fence_span(struct pbuf *out, const json_t *sp, const json_t *sname, const json_t *tname)
{
	struct pbuf raw = PBUF_INIT(RENDER_PLAIN_MAX);
	const json_t *prompt = rj_strv(sp, "prompt");
	int rc = 0;

	if (prompt) {
		if (!(rc = pbuf_adds(out, "Prompt:\n")) &&
		    !(rc = fence_clean(&raw, json_string_value(prompt), json_string_length(prompt), PROMPT_MAX_CPS,
			    NULL)))
			rc = fence_wrap(out, raw.data ? raw.data : "", raw.len);
		if (!rc)
			rc = pbuf_addc(out, '\n');
	}
	if (!rc)
		rc = fence_side(out, "Suspect", sname, rj_obj(sp, "suspect"));
	if (!rc)
		rc = pbuf_addc(out, '\n');
	if (!rc)
		rc = fence_side(out, "Teacher", tname, rj_obj(sp, "teacher"));
	pbuf_release(&raw);
	return rc;
}

static void md_spans(struct md *m, const json_t *t, const json_t *spans)
{
	const json_t *sname = rj_strv(rj_obj(m->doc, "suspect"), "name");
	size_t i;

	for (i = 0; i < arr_size(spans); i++) {
		const json_t *sp = rj_at(spans, i), *su = rj_obj(sp, "suspect"), *te = rj_obj(sp, "teacher");

		md_f(m, "**%zu. Prompt ", i + 1);
		md_prompt(m, sp, MD_TEXT);
		md_raw(m, "**");
		if (rj_get(sp, "tokens"))
			md_f(m, ": %s words shared verbatim", rf_get(sp, "tokens", RF_NUM).s);
		if (rj_get(su, "start") || rj_get(te, "start"))
			md_f(m, " (suspect characters %s to %s; teacher characters %s to %s)",
				rf_get(su, "start", RF_NUM).s, rf_get(su, "end", RF_NUM).s,
				rf_get(te, "start", RF_NUM).s, rf_get(te, "end", RF_NUM).s);
		md_raw(m, "\n\n");
		if (!m->rc) {
			int rc = fence_span(&m->tmp, sp, sname, rj_strv(t, "model"));

			if (rc)
				m->rc = rc;
			else
				md_code_block(m, "text", &m->tmp);
			pbuf_reset(&m->tmp);
		}
		if (i + 1 < arr_size(spans))
			md_raw(m, "\n");
	}
}

static void md_refusals(struct md *m, const json_t *refusals)
{
	size_t i;

	md_raw(m, "| Prompt | Template family | Suspect's answer | Teacher's answer |\n"
		"|---|---|---|---|\n");
	for (i = 0; i < arr_size(refusals); i++) {
		const json_t *r = rj_at(refusals, i);

		md_raw(m, "| ");
		md_prompt(m, r, MD_CELL);
		md_raw(m, " | ");
		md_field(m, r, "family", MD_CELL, RENDER_ABSENT);
		md_raw(m, " | ");
		md_field(m, r, "suspect", MD_CELL, RENDER_ABSENT);
		md_raw(m, " | ");
		md_field(m, r, "teacher", MD_CELL, RENDER_ABSENT);
		md_raw(m, " |\n");
	}
}

/* Each claim as a list item: prompt id, what it claims, the quotation. */
static void md_claims(struct md *m, const json_t *claims)
{
	size_t i;

	for (i = 0; i < arr_size(claims); i++) {
		const json_t *c = rj_at(claims, i);

		md_raw(m, "- Prompt **");
		md_prompt(m, c, MD_TEXT);
		md_raw(m, "**");
		if (rj_str(c, "claims")) {
			md_raw(m, ", claims ");
			md_field(m, c, "claims", MD_TEXT, "");
		}
		if (rj_str(c, "family")) {
			md_raw(m, ", template family ");
			md_field(m, c, "family", MD_TEXT, "");
		}
		if (rj_str(c, "kind")) {
			md_raw(m, " (");
			md_field(m, c, "kind", MD_TEXT, "");
			md_raw(m, ")");
		}
		if (rj_str(c, "pattern")) {
			md_raw(m, ", pattern ");
			md_code(m, rj_strv(c, "pattern"), "");
		}
		md_raw(m, ": \xe2\x80\x9c");
		md_field(m, c, "text", MD_CELL, "(no text recorded)");
		md_raw(m, "\xe2\x80\x9d\n");
	}
}

static void md_phrases(struct md *m, const json_t *top)
{
	const char *const *f = render_phrase_fields[render_phrase_unit(top)];
	size_t i;

	md_f(m, "| Phrase | Where | Suspect (%s) | Teacher | Controls |\n|---|---|---:|---:|---:|\n",
		render_phrase_unit(top) ? "share of answers" : "per 1,000 words");
	for (i = 0; i < arr_size(top); i++) {
		const json_t *p = rj_at(top, i);

		md_raw(m, "| ");
		/* the surface form the models wrote (accents, final sigma), else the normalised tokens */
		md_field(m, p, rj_str(p, "surface") ? "surface" : "phrase", MD_CELL, RENDER_ABSENT);
		md_f(m, " | %s | %s | %s | %s |\n", render_phrase_where(p), rf_get(p, f[0], RF_NUM).s, rf_get(p, f[1], RF_NUM).s,
			rf_get(p, f[2], RF_NUM).s);
	}
}

static void md_features(struct md *m, const json_t *features)
{
	size_t i;

	md_raw(m, "| Feature | Suspect | Teacher | Controls (mean) |\n|---|---:|---:|---:|\n");
	for (i = 0; i < arr_size(features); i++) {
		const json_t *f = rj_at(features, i);

		md_raw(m, "| ");
		md_field(m, f, "name", MD_CELL, RENDER_ABSENT);
		md_f(m, " | %s | %s | %s |\n", rf_get(f, "suspect", RF_NUM).s,
			rf_get(f, "teacher", RF_NUM).s, rf_get(f, "controls", RF_NUM).s);
	}
}

#define STRIP_COLS 61   /* the text chart: one column per third of a null SD from RENDER_AXIS_LO */

static size_t strip_col(double pos)
{
	double c = (pos - RENDER_AXIS_LO) / (RENDER_AXIS_HI - RENDER_AXIS_LO) * (STRIP_COLS - 1);

	if (!(c > 0))
		return 0;
	return c > STRIP_COLS - 1 ? STRIP_COLS - 1 : (size_t)(c + 0.5);
}

/*
 * The calibration: one sentence, then a text chart on the fixed axis (null SDs above the
 * null models' mean): 'o' a null model, 'S' the suspect, 'w' 'm' 's' where the calibrated
 * statistic reaches the weak, moderate and strong thresholds.
 */
static void md_calibration(struct md *m, const json_t *t)
{
	const json_t *cal = rj_obj(t, "calibration"), *nul = rj_arr(cal, "null");
	static const char *const levels[] = { "weak", "moderate", "strong" };
	char line[STRIP_COLS + 1], marks[STRIP_COLS + 1];
	double x, pos;
	size_t i, c;
	int any = 0;

	if (!cal)
		return;
	md_raw(m, "\n#### Calibration against the null models\n\n");
	md_plain(m, render_calibration_line(&m->tmp, t), MD_TEXT);
	md_raw(m, "\n\n");
	if (!rj_num(cal, "statistic", &x) || isnan(render_position(cal, x)))
		return;
	memset(line, '-', STRIP_COLS);
	memset(marks, ' ', STRIP_COLS);
	line[STRIP_COLS] = marks[STRIP_COLS] = '\0';
	for (i = 0; i < STRIP_COLS; i += 12)
		line[i] = '+';   /* ticks under the axis labels */
	for (i = 0; i < arr_size(nul); i++)
		if (rj_num(rj_at(nul, i), "statistic", &pos) && !isnan(render_position(cal, pos)))
			line[strip_col(render_position(cal, pos))] = 'o';
	for (i = 0; i < 3; i++) {
		pos = render_threshold_position(t, levels[i]);
		if (!isnan(pos)) {
			marks[strip_col(pos)] = levels[i][0];
			any = 1;
		}
	}
	c = strip_col(render_position(cal, x));
	line[c] = 'S';
	if (!m->rc) {
		for (i = STRIP_COLS; i > 0 && marks[i - 1] == ' '; i--)
			marks[i - 1] = '\0';
		m->rc = pbuf_addf(&m->tmp, "null SDs above the null mean: %s to %s (fixed axis)\n%s\n%s\n",
			rf_num(RENDER_AXIS_LO).s, rf_num(RENDER_AXIS_HI).s, line, any ? marks : "");
		for (i = 0; i < STRIP_COLS && !m->rc; i += 12)
			m->rc = pbuf_addf(&m->tmp, i + 12 < STRIP_COLS ? "%-12s" : "%s", rf_num(RENDER_AXIS_LO + (double)i /
				(STRIP_COLS - 1) * (RENDER_AXIS_HI - RENDER_AXIS_LO)).s);
		if (!m->rc)
			m->rc = pbuf_addf(&m->tmp, "\no null model   S the suspect (%s)%s\n", rf_fix(render_position(cal,
				x), 1).s, any ? "   w m s: where the weak, moderate, strong thresholds lie" : "");
		if (!m->rc)
			md_code_block(m, "text", &m->tmp);
		pbuf_reset(&m->tmp);
	}
	if (arr_size(nul)) {
		md_raw(m, "\n| Null model | Statistic | Outlier |\n|---|---:|---|\n");
		for (i = 0; i < json_array_size(nul); i++) {
			const json_t *n = rj_at(nul, i);

			md_raw(m, "| ");
			md_field(m, n, "model", MD_CELL, RENDER_ABSENT);
			md_f(m, " | %s | %s |\n", rf_get(n, "statistic", RF_FIX2).s,
				json_is_true(rj_get(n, "outlier")) ? "yes" : json_is_false(rj_get(n, "outlier")) ? "no" :
				RENDER_ABSENT);
		}
	}
}

/* Controls that themselves look derived from this teacher. */
static void md_contaminated(struct md *m, const json_t *t)
{
	const json_t *cc = rj_arr(t, "contaminated_controls");
	size_t i;

	if (!arr_size(cc))
		return;
	md_raw(m, "\n#### Contaminated controls\n\nThese control models are themselves closer to the teacher "
		"than the other controls are; they may derive from it, which makes the comparison more cautious.\n\n"
		"| Control | Statistic | t | p-value |\n|---|---:|---:|---:|\n");
	for (i = 0; i < json_array_size(cc); i++) {
		const json_t *c = rj_at(cc, i);

		md_raw(m, "| ");
		md_field(m, c, "model", MD_CELL, RENDER_ABSENT);
		md_f(m, " | %s | %s | %s |\n", rf_get(c, "statistic", RF_FIX2).s, rf_get(c, "t", RF_FIX2).s,
			rf_get(c, "p_value", RF_P).s);
	}
}

static void md_teacher(struct md *m, const json_t *t, size_t idx)
{
	const json_t *controls = rj_arr(t, "controls"), *ev = rj_obj(t, "evidence");
	const json_t *signals = rj_obj(t, "signals");
	const json_t *top = rj_arr(rj_obj(signals, "phrases"), "top");
	const json_t *features = rj_arr(rj_obj(signals, "style"), "features");
	size_t i;

	md_f(m, "%s### 3.%zu ", idx ? "\n" : "", idx + 1);
	md_field(m, t, "model", MD_TEXT, "(unnamed teacher)");
	if (rj_str(t, "family")) {
		md_raw(m, " (");
		md_field(m, t, "family", MD_TEXT, "");
		md_raw(m, ")");
	}
	md_raw(m, ": ");
	md_verdict(m, rj_str(t, "verdict"));
	md_raw(m, "\n\n| | |\n|---|---|\n");
	md_f(m, "| Score | %s |\n| p-value (corrected) | %s |\n| p-value (before correction) | %s |\n"
		"| Effect | %s |\n| Prompts compared | %s |\n| Closest control | ",
		rf_get(t, "score", RF_FIX2).s, rf_get(t, "p_value", RF_P).s, rf_get(t, "p_raw", RF_P).s,
		rf_get(t, "effect", RF_FIX2).s, rf_get(t, "n", RF_NUM).s);
	md_field(m, t, "closest_control", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n");
	if (rj_obj(t, "panel")) {
		md_raw(m, "| Against the mean of the panel | ");
		md_plain(m, render_panel_line(&m->tmp, t), MD_CELL);
		md_raw(m, " |\n");
	}
	if (rj_obj(t, "null")) {
		md_raw(m, "| Control models in the suspect's place | ");
		md_plain(m, render_null_line(&m->tmp, t), MD_CELL);
		md_raw(m, " |\n");
	}
	if (rj_obj(t, "robustness")) {
		md_raw(m, "| Robustness | ");
		md_plain(m, render_robustness_line(&m->tmp, t), MD_CELL);
		md_raw(m, " |\n");
	}
	if (rj_obj(t, "prompts_needed") || rj_obj(t, "identical")) {
		md_raw(m, "| Basis of the verdict | ");
		md_plain(m, render_basis_line(&m->tmp, m->doc, t), MD_CELL);
		md_raw(m, " |\n");
	}
	md_calibration(m, t);
	md_contaminated(m, t);

	md_raw(m, "\n#### Signals\n\n");
	md_signals(m, t);

	if (arr_size(controls)) {
		md_raw(m, "\n#### Against each control\n\nDescriptive: the suspect's answers against each "
			"control's, prompt by prompt; the closest control is the one with the largest p-value. No "
			"verdict rests on these comparisons (the calibrated test above decides).\n\n"
			"| Control | z | Effect | p-value |\n|---|---:|---:|---:|\n");
		for (i = 0; i < json_array_size(controls); i++) {
			const json_t *c = rj_at(controls, i);

			md_raw(m, "| ");
			md_field(m, c, "model", MD_CELL, RENDER_ABSENT);
			md_f(m, " | %s | %s | %s |\n", rf_get(c, "z", RF_FIX2).s,
				rf_get(c, "effect", RF_FIX2).s, rf_get(c, "p_value", RF_P).s);
		}
	}

	if (rj_obj(t, "distribution")) {
		md_raw(m, "\n#### Per-prompt differences against the closest control\n\n");
		md_histogram(m, rj_obj(t, "distribution"));
	}

	md_raw(m, "\n#### Shared passages\n\n");
	if (arr_size(rj_arr(ev, "spans"))) {
		md_raw(m, "The longest word-for-word passages shared by the suspect's and the teacher's "
			"answers to the same prompt, under the prompt; the shared words are between `[[` and "
			"`]]`, and `\xe2\x80\xa6` marks where the excerpt cuts the answer.\n\n");
		md_spans(m, t, rj_arr(ev, "spans"));
	} else {
		md_raw(m, "None recorded.\n");
	}

	md_raw(m, "\n#### Refusals with the teacher's template\n\n");
	if (arr_size(rj_arr(ev, "refusals")))
		md_refusals(m, rj_arr(ev, "refusals"));
	else
		md_raw(m, "None recorded.\n");

	md_raw(m, "\n#### Identity claims\n\n");
	if (arr_size(rj_arr(ev, "identity"))) {
		md_raw(m, "Quoted from the suspect's answers. A signal, never proof on its own.\n\n");
		md_claims(m, rj_arr(ev, "identity"));
	} else {
		md_raw(m, "None recorded.\n");
	}

	if (arr_size(top)) {
		md_raw(m, "\n#### Characteristic phrases\n\nPhrases typical of the teacher compared "
			"with other assistants, and how often each model uses them.\n\n");
		md_phrases(m, top);
	}
	if (arr_size(features)) {
		md_raw(m, "\n#### Style features\n\n");
		md_features(m, features);
	}
}

static void md_evidence(struct md *m)
{
	const json_t *teachers = rj_arr(m->doc, "teachers");
	const json_t *claims = rj_arr(m->doc, "identity_claims"), *refusals = rj_arr(m->doc, "refusals");
	size_t i, n = arr_size(teachers);

	md_heading(m, 2, "3.", render_sections[2]);
	if (!n)
		md_raw(m, "No teacher was tested, so there is no evidence to show.\n");
	for (i = 0; i < n; i++)
		if (rj_at(teachers, i))
			md_teacher(m, rj_at(teachers, i), i);

	md_f(m, "\n### 3.%zu Identity claims and refusals anywhere in the suspect's answers\n\n", n + 1);
	if (arr_size(claims)) {
		md_raw(m, "Identity claims:\n\n");
		md_claims(m, claims);
	} else {
		md_raw(m, "No identity claim was found.\n");
	}
	if (arr_size(refusals)) {
		md_raw(m, "\nRefusals:\n\n");
		md_claims(m, refusals);
	} else {
		md_raw(m, "\nNo refusal was found.\n");
	}
}

static void md_error_rates(struct md *m)
{
	const json_t *er = rj_obj(m->doc, "error_rates"), *rows = rj_arr(er, "rows"), *v;
	const char *status = rj_str(er, "status"), *key;
	json_t *cols = NULL;
	size_t i, j;

	md_heading(m, 2, "4.", render_sections[3]);
	if (rj_str(er, "statement"))
		md_field(m, er, "statement", MD_TEXT, "");
	else
		md_raw(m, "The report records no error rates.");
	md_raw(m, "\n");
	if (status) {
		md_raw(m, "\nValidation status: ");
		md_s(m, status, MD_TEXT);
		md_raw(m, ".\n");
	}
	if (status && !strcmp(status, "available") && arr_size(rows)) {
		if (!(cols = render_rate_columns(rows))) {
			m->rc = m->rc ? m->rc : PROV_ENOMEM;
			return;
		}
		md_raw(m, "\n|");
		for (j = 0; j < json_array_size(cols); j++) {
			const char *c = json_string_value(json_array_get(cols, j));

			md_raw(m, " ");
			if (render_rate_label(c))
				md_raw(m, render_rate_label(c));
			else
				md_s(m, c, MD_CELL);
			md_raw(m, " |");
		}
		md_raw(m, "\n|");
		for (j = 0; j < json_array_size(cols); j++)
			md_raw(m, "---|");
		md_raw(m, "\n");
		for (i = 0; i < json_array_size(rows); i++) {
			md_raw(m, "|");
			for (j = 0; j < json_array_size(cols); j++) {
				v = rj_get(json_array_get(rows, i), json_string_value(json_array_get(cols, j)));
				md_raw(m, " ");
				if (v)
					md_rate_value(m, v);
				else
					md_raw(m, RENDER_ABSENT);
				md_raw(m, " |");
			}
			md_raw(m, "\n");
		}
		json_decref(cols);
	}
	/* anything else the producer recorded (data set, date, tool version ...) */
	i = 0;
	json_object_foreach((json_t *)er, key, v) {
		if (!strcmp(key, "statement") || !strcmp(key, "rows") || !strcmp(key, "status") ||
		    json_is_null(v))
			continue;
		if (!i++)
			md_raw(m, "\n| | |\n|---|---|\n");
		md_raw(m, "| ");
		if (render_rate_label(key))
			md_raw(m, render_rate_label(key));
		else
			md_s(m, key, MD_CELL);
		md_raw(m, " | ");
		md_rate_value(m, v);
		md_raw(m, " |\n");
	}
}

static void md_limitations(struct md *m)
{
	const json_t *lim = rj_arr(m->doc, "limitations");
	size_t i;

	md_heading(m, 2, "5.", render_sections[4]);
	if (!arr_size(lim))
		md_raw(m, "The report lists no limitations; those of section 1 still apply.\n");
	for (i = 0; i < arr_size(lim); i++) {
		md_raw(m, "- ");
		md_text(m, json_string_value(json_array_get(lim, i)),
			json_string_length(json_array_get(lim, i)), MD_TEXT);
		md_raw(m, "\n");
	}
}

/* Control characters other than a line break would reach a terminal as they are. */
static int code_clean(struct pbuf *b)
{
	struct pbuf c = PBUF_INIT(b->max);
	size_t i;
	int rc = 0;

	for (i = 0; i < b->len && !rc; i++) {
		unsigned char ch = (unsigned char)b->data[i];

		rc = (ch < 0x20 && ch != '\n') || ch == 0x7f ? pbuf_adds(&c, "\xef\xbf\xbd")
			: pbuf_addc(&c, (char)ch);
	}
	if (!rc) {
		pbuf_release(b);
		*b = c;
	} else {
		pbuf_release(&c);
	}
	return rc;
}

/* A fenced code block longer than any run of backticks inside it. */
static void md_code_block(struct md *m, const char *lang, struct pbuf *body)
{
	size_t i, run = 0, longest = 0;

	if (!m->rc)
		m->rc = code_clean(body);
	for (i = 0; i < body->len; i++) {
		run = body->data[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	longest = longest < 3 ? 3 : longest + 1;
	for (i = 0; i < longest; i++)
		md_raw(m, "`");
	md_f(m, "%s\n", lang);
	if (!m->rc && body->len)
		m->rc = pbuf_add(m->out, body->data, body->len);
	for (i = 0; i < longest; i++)
		md_raw(m, "`");
	md_raw(m, "\n");
}

/* The commands that re-verify and re-run this case, as shell text. */
int render_commands(struct pbuf *out, const json_t *doc)
{
	const json_t *cs = rj_obj(doc, "case"), *sus = rj_obj(doc, "suspect");
	const char *path = rj_str(sus, "path"), *sha = rj_str(sus, "sha256");
	const char *name = rj_str(sus, "name"), *hash = rj_str(cs, "hash");
	struct pbuf id = PBUF_INIT(RENDER_PLAIN_MAX);
	int rc;

	if (rj_get(cs, "id"))
		rc = render_plain(&id, rj_get(cs, "id"));
	else
		rc = pbuf_adds(&id, "CASE-ID");
	if (rc)
		goto done;
	if ((rc = pbuf_adds(out, "# 0. the evidence database that holds this case (a copy you control)\n"
		    "export PROVENANCE_DB=EVIDENCE.db\n"
		    "# 1. the suspect file is the one examined: the digest must be\n#    ")) ||
	    (rc = pbuf_adds(out, sha ? sha : "(not recorded)")) ||
	    (rc = pbuf_adds(out, "\nsha256sum ")) ||
	    (rc = render_shell_word(out, path ? path : "SUSPECT.jsonl")) ||
	    (rc = pbuf_adds(out, "\n# 2. the stored evidence still matches its hashes, and the case is the one quoted here\n"
		    "provenance verify ")) ||
	    (rc = render_shell_word(out, id.data)) ||
	    (rc = pbuf_adds(out, " --hash ")) ||
	    (rc = render_shell_word(out, hash ? hash : "CASE-HASH")) ||
	    (rc = pbuf_adds(out, "\n# 3. no case was rewritten or removed since: this case was the chain head when the\n"
		    "#    report was made (add --pubkey KEY.pem if the cases were signed)\n"
		    "provenance verify --all --head ")) ||
	    (rc = render_shell_word(out, hash ? hash : "CASE-HASH")) ||
	    (rc = pbuf_adds(out, "\n# 4. this report, rendered again from the stored case (same bytes)\n"
		    "provenance report ")) ||
	    (rc = render_shell_word(out, id.data)) ||
	    (rc = pbuf_adds(out, " --format html -o report.html\n"
		    "# 5. a new scan with the same corpus and tool version gives the same numbers (not stored)\n"
		    "provenance scan ")) ||
	    (rc = render_shell_word(out, path ? path : "SUSPECT.jsonl")))
		goto done;
	if (name && ((rc = pbuf_adds(out, " --name ")) || (rc = render_shell_word(out, name))))
		goto done;
	/* --no-store: following the block must not append a case to the evidence chain */
	rc = pbuf_adds(out, " --no-store --format json -o rerun.json\n");
done:
	pbuf_release(&id);
	return rc;
}

/* The custody section's opening: what the hashes cover and how to anchor them (docs/report-format.md). */
const char render_custody_text[] =
	"Every input is identified by its SHA-256 digest. The case hash is the SHA-256 of the case's "
	"canonical header, which binds every stored column of the case (name, time, suspect file, corpus "
	"snapshot, tool, parameters, conclusion, the report's hash, and the hashes, prompt ids and lines "
	"of the suspect's answers) and the previous case's hash, so the cases of one database form a "
	"chain that `provenance verify` re-computes. The corpus snapshot hash binds which model, of "
	"which family and role, gave which answer to which prompt, and the stored features. Whoever "
	"holds the database can still rewrite the whole chain consistently: the chain proves nothing "
	"unless its head is also kept outside the database. When this report was made, this case was "
	"the head of the chain: keep its case hash (below) in a ticket, an e-mail or with a notary, "
	"or sign it (`--sign-key`) or time-stamp it (`provenance timestamp`), and check it with "
	"`provenance verify --all --head HASH`.";

static void md_custody(struct md *m)
{
	const json_t *cs = rj_obj(m->doc, "case"), *tool = rj_obj(m->doc, "tool");
	const json_t *sus = rj_obj(m->doc, "suspect"), *corpus = rj_obj(m->doc, "corpus");
	const json_t *params = rj_obj(m->doc, "parameters"), *v;
	const char *key;

	md_heading(m, 2, "6.", render_sections[5]);
	md_raw(m, render_custody_text);
	md_raw(m, "\n\n| Item | Value |\n|---|---|\n| Suspect file | ");
	md_code(m, rj_strv(sus, "path"), RENDER_ABSENT);
	md_raw(m, " |\n| Suspect file SHA-256 | ");
	md_code(m, rj_strv(sus, "sha256"), RENDER_ABSENT);
	md_raw(m, " |\n");
	if (rj_get(sus, "size") || rj_get(sus, "lines"))
		md_f(m, "| Suspect file size | %s bytes, %s lines |\n", rf_get(sus, "size", RF_NUM).s,
			rf_get(sus, "lines", RF_NUM).s);
	md_raw(m, "| Corpus snapshot SHA-256 | ");
	md_code(m, rj_strv(corpus, "snapshot_sha256"), RENDER_ABSENT);
	md_raw(m, " |\n| Case | ");
	md_field(m, cs, "id", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n| Case created (UTC) | ");
	md_field(m, cs, "created_at", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n| Case hash | ");
	md_code(m, rj_strv(cs, "hash"), RENDER_ABSENT);
	md_raw(m, " |\n| Previous case hash | ");
	md_code(m, rj_strv(cs, "previous_hash"), "none (the first case of the chain)");
	md_raw(m, " |\n| Pattern library SHA-256 | ");
	md_code(m, rj_strv(tool, "patterns_sha256"), RENDER_ABSENT);
	md_raw(m, " |\n| Tool | ");
	md_tool(m, tool);
	md_raw(m, " |\n");

	md_raw(m, "\n### Parameters as recorded\n\n");
	if (!params || !json_object_size(params)) {
		md_raw(m, "None recorded.\n");
	} else {
		md_raw(m, "| Name | Value |\n|---|---|\n");
		json_object_foreach((json_t *)params, key, v) {
			md_raw(m, "| ");
			md_code_n(m, key, strlen(key), "");
			md_raw(m, " | ");
			md_value(m, v);
			md_raw(m, " |\n");
		}
	}

	md_raw(m, "\n### Re-verify and re-run\n\n");
	if (!m->rc) {
		int rc = render_commands(&m->tmp, m->doc);

		if (rc)
			m->rc = rc;
		else
			md_code_block(m, "sh", &m->tmp);
		pbuf_reset(&m->tmp);
	}
}

/* ------------------------------------------------------------------ */
/* The own-control test (scan --logged --fresh): section 7, or the whole report without a corpus */

/* One excerpt as a fenced text block: the prompt, then each passage in the suspect's and the logged answer. */
static int fence_ownctl(struct pbuf *out, const json_t *ex, const json_t *sname)
{
	struct pbuf raw = PBUF_INIT(RENDER_PLAIN_MAX);
	const json_t *prompt = rj_strv(ex, "prompt"), *spans = rj_arr(ex, "spans");
	size_t i;
	int rc = 0;

	if (prompt) {
		if (!(rc = pbuf_adds(out, "Prompt:\n")) &&
		    !(rc = fence_clean(&raw, json_string_value(prompt), json_string_length(prompt), PROMPT_MAX_CPS,
			    NULL)))
			rc = fence_wrap(out, raw.data ? raw.data : "", raw.len);
	}
	for (i = 0; !rc && i < arr_size(spans); i++) {
		const json_t *sp = rj_at(spans, i);

		if (!(rc = pbuf_addf(out, "\n--- passage %zu: %s words ---\n", i + 1, rf_get(sp, "tokens", RF_NUM).s)) &&
		    !(rc = fence_side(out, "Suspect", sname, rj_obj(sp, "suspect"))) && !(rc = pbuf_addc(out, '\n')))
			rc = fence_side(out, "Logged teacher answer", NULL, rj_obj(sp, "logged"));
	}
	pbuf_release(&raw);
	return rc;
}

static void md_ownctl_file(struct md *m, const char *label, const json_t *f)
{
	md_f(m, "| %s | ", label);
	md_code(m, rj_strv(f, "path"), RENDER_ABSENT);
	md_raw(m, ", SHA-256 ");
	md_code(m, rj_strv(f, "sha256"), RENDER_ABSENT);
	md_f(m, ", %s answers |\n", rf_get(f, "answers", RF_NUM).s);
}

static void md_own_control(struct md *m, const char *num)
{
	const json_t *ss = rj_obj(m->doc, "sample_specific"), *ex = rj_arr(ss, "excerpts");
	const json_t *sname = rj_strv(rj_obj(m->doc, "suspect"), "name");
	size_t i;

	if (!ss)
		return;
	md_heading(m, 2, num, render_ownctl_title);
	md_plain(m, render_ownctl_result(&m->tmp, ss), MD_TEXT);
	md_raw(m, "\n\n**Assumptions.** ");
	md_raw(m, render_ownctl_assumptions);
	md_raw(m, "\n\n");
	md_raw(m, render_ownctl_breaks);
	md_raw(m, "\n\n| Item | Value |\n|---|---|\n");
	md_f(m, "| Statistic: word %s-grams of the suspect found in the logged answer and in no fresh one, "
		"summed over prompts | %s |\n", rf_get(ss, "ngram", RF_NUM).s, rf_get(ss, "statistic", RF_NUM).s);
	md_f(m, "| Expected by chance (mean \xc2\xb1 SD over the relabellings) | %s \xc2\xb1 %s (z = %s) |\n",
		rf_get(ss, "null_mean", RF_FIX2).s, rf_get(ss, "null_sd", RF_FIX2).s, rf_get(ss, "z", RF_FIX2).s);
	md_f(m, "| Mean per prompt: logged answer / fresh answers | %s / %s |\n", rf_get(ss, "mean_logged", RF_FIX2).s,
		rf_get(ss, "mean_fresh", RF_FIX2).s);
	md_f(m, "| Effect (mean per-prompt excess / its SD) | %s |\n", rf_get(ss, "effect", RF_FIX2).s);
	md_f(m, "| p-value (one-sided) | %s |\n| Computed | ", rf_get(ss, "p_value", RF_P).s);
	md_plain(m, render_ownctl_method(&m->tmp, ss), MD_CELL);
	md_f(m, " |\n| Prompts tested | %s |\n| Fresh answers per prompt | %s", rf_get(ss, "prompts", RF_NUM).s,
		rf_get(ss, "fresh_per_prompt", RF_NUM).s);
	if (rj_get(ss, "fresh_per_prompt_max"))
		md_f(m, " to %s", rf_get(ss, "fresh_per_prompt_max", RF_NUM).s);
	md_f(m, " |\n| Logged prompts left out: no suspect answer / no fresh answer | %s / %s |\n",
		rf_get(ss, "logged_without_suspect", RF_NUM).s, rf_get(ss, "logged_without_fresh", RF_NUM).s);
	md_ownctl_file(m, "Logged answers", rj_obj(ss, "logged"));
	for (i = 0; i < arr_size(rj_arr(ss, "fresh")); i++)
		md_ownctl_file(m, "Fresh answers", rj_at(rj_arr(ss, "fresh"), i));
	md_raw(m, "\n### Passages shared with the logged answer and with no fresh answer\n\n");
	if (!arr_size(ex))
		md_raw(m, "None: no prompt has a passage of the suspect's answer found in the logged answer and in no "
			"fresh one, on a prompt where the logged answer is closer than the fresh ones.\n");
	for (i = 0; i < arr_size(ex); i++) {
		const json_t *e = rj_at(ex, i);

		md_f(m, "**%zu. Prompt ", i + 1);
		md_field(m, e, "prompt_id", MD_TEXT, "(no id)");
		md_f(m, "**: %s word %s-grams shared with the logged answer only; %s on average with each fresh answer "
			"only.\n\n", rf_get(e, "logged_similarity", RF_NUM).s, rf_get(ss, "ngram", RF_NUM).s,
			rf_get(e, "fresh_similarity", RF_FIX2).s);
		if (!m->rc) {
			int rc = fence_ownctl(&m->tmp, e, sname);

			if (rc)
				m->rc = rc;
			else
				md_code_block(m, "text", &m->tmp);
			pbuf_reset(&m->tmp);
		}
		if (i + 1 < arr_size(ex))
			md_raw(m, "\n");
	}
	md_raw(m, "\n### Run the test again\n\n");
	if (!m->rc) {
		int rc = render_ownctl_command(&m->tmp, m->doc);

		if (rc)
			m->rc = rc;
		else
			md_code_block(m, "sh", &m->tmp);
		pbuf_reset(&m->tmp);
	}
}

/* A report that holds the own-control test alone (scan --logged --fresh without a corpus). */
static void md_ownctl_only(struct md *m)
{
	const json_t *sus = rj_obj(m->doc, "suspect"), *tool = rj_obj(m->doc, "tool");

	if (render_unstored_notice(m->doc))
		md_raw(m, "**Not a stored case: there was no evidence database, so this report has no case id, no case "
			"hash and no chain of custody.**\n\n");
	md_raw(m, "# Provenance report: own-control test\n\nWas the suspect model trained on the logged answers "
		"of a teacher model? The suspect is compared with the logged answers and with fresh answers of the "
		"same teacher; no corpus and no control models are used.\n\n| | |\n|---|---|\n| Suspect | ");
	md_field(m, sus, "name", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n| Suspect file | ");
	md_code(m, rj_strv(sus, "path"), RENDER_ABSENT);
	md_raw(m, " |\n| Suspect file SHA-256 | ");
	md_code(m, rj_strv(sus, "sha256"), RENDER_ABSENT);
	md_raw(m, " |\n| Tool | ");
	md_field(m, tool, "name", MD_CELL, "provenance");
	md_raw(m, " ");
	md_field(m, tool, "version", MD_CELL, RENDER_ABSENT);
	md_raw(m, " |\n");
	md_own_control(m, NULL);
}

int render_md(struct pbuf *out, const json_t *report)
{
	struct md m;
	int rc;

	if ((rc = render_validate(report)))
		return rc;
	m.out = out;
	m.doc = report;
	m.rc = 0;
	pbuf_init(&m.tmp, RENDER_PLAIN_MAX);
	if (render_ownctl_only(report)) {
		md_ownctl_only(&m);
		goto done;
	}
	md_header(&m);
	md_summary(&m);
	md_method(&m);
	md_evidence(&m);
	md_error_rates(&m);
	md_limitations(&m);
	md_custody(&m);
	md_own_control(&m, "7.");
done:
	pbuf_release(&m.tmp);
	if (m.rc == PROV_EDATA && prov_error_code() == PROV_EDATA &&
	    strncmp(prov_error_msg(), "report: ", 8) != 0)
		return prov_error(PROV_EDATA, "report: the Markdown would be longer than %zu bytes",
			out->max);
	return m.rc;
}
