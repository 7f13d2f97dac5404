/*
 * render_md.c: the report document as Markdown, plus what both renderers share
 * (validation, typed lookups, number formatting, fixed wording; render.h).
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
/* Fixed wording                                                        */

const char *const render_sections[6] = {
	"Summary",
	"Method and parameters",
	"Evidence per teacher",
	"Known error rates",
	"Limitations",
	"Chain of custody",
};

const char *const render_scope[4] = {
	"What this report shows: whether the suspect model's answers are measurably closer to a "
	"teacher model's answers than to the answers of independent models given the same prompts, "
	"and how unlikely that closeness would be by chance.",
	"What it does not show: it is not proof that outputs were copied. It measures similarity of "
	"outputs; shared training data, a shared base model or similar fine-tuning can also make "
	"outputs similar.",
	"Identity claims (a model saying that it is, or was made by, another maker's model) are a "
	"signal, never proof on their own: models also pick up such sentences from public web text.",
	"A p-value is not the probability that the suspect was distilled: it says how rarely "
	"independent models would show at least this much closeness. Read it together with the "
	"effect size and the known error rates (section 4).",
};

const char *const render_glossary[4] = {
	"Score: the combined test statistic for one teacher (a z-value); the larger, the stronger "
	"the evidence of derivation from that teacher; 0 or below means none.",
	"p-value (corrected): how likely a closeness at least this large would be if the suspect "
	"were independent of the teacher, corrected for testing several teachers; the smaller, the "
	"stronger the evidence.",
	"Effect: the size of the difference in standard units (mean per-prompt difference divided "
	"by its standard deviation); unlike the p-value it does not shrink as more prompts are "
	"tested.",
	"Verdict: strong, moderate or weak evidence, inconclusive (too few usable prompts) or "
	"none, decided by the corrected p-value and the effect size together, with the thresholds "
	"listed below.",
};

const struct render_signal render_signals[5] = {
	{ "lexical", "Word overlap",
	  "how much of the suspect's answer to each prompt appears word for word (as short word "
	  "sequences) in the teacher's answer to the same prompt, beyond what the controls' answers "
	  "share; the longest shared passages are kept as excerpts." },
	{ "phrases", "Characteristic phrases",
	  "expressions the teacher uses far more often than other assistants do across its whole "
	  "corpus, and how often the suspect uses them (needs no pairing of prompts)." },
	{ "style", "Writing style",
	  "measurable habits (function words, sentence and paragraph length, lists, headings, bold "
	  "text, punctuation, how answers open and close), compared as a distance." },
	{ "refusal", "Refusals",
	  "which prompts the suspect declines to answer and with which wording template, compared "
	  "with the teacher's refusals and the controls' agreement." },
	{ "identity", "Identity claims",
	  "the suspect saying it is the teacher or was made by the teacher's maker (\"developed by "
	  "OpenAI\"), against how often the controls say so; a signal, never proof on its own." },
};

const struct render_signal *render_signal_find(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(render_signals) / sizeof(render_signals[0]); i++)
		if (!strcmp(render_signals[i].key, key))
			return &render_signals[i];
	return NULL;
}

const struct render_param render_params[] = {
	{ "test", "Test" },
	{ "combination", "Combination of signals" },
	{ "controls", "Controls" },
	{ "teacher_test", "Test against each control" },
	{ "correction", "Correction for several teachers" },
	{ "lexical_ngrams", "Word-sequence lengths (word overlap)" },
	{ "phrase_ngrams", "Phrase lengths (characteristic phrases)" },
	{ "phrase_markers", "Characteristic phrases kept per teacher" },
	{ "phrase_min_z", "Minimum distinctiveness of a phrase (z)" },
	{ "span_min_tokens", "Shortest shared passage kept (words)" },
	{ "min_prompts", "Fewest usable prompts for a verdict" },
	{ "min_tokens", "Shortest usable answer (words)" },
	{ "seed", "Random seed" },
};
const size_t render_nparams = sizeof(render_params) / sizeof(render_params[0]);

int render_param_known(const char *key)
{
	size_t i;

	for (i = 0; i < render_nparams; i++)
		if (!strcmp(render_params[i].key, key))
			return 1;
	return !strcmp(key, "strong") || !strcmp(key, "moderate") || !strcmp(key, "weak");
}

int render_json(struct pbuf *out, const json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	int rc;

	if (!s)
		return prov_error(PROV_ENOMEM, "out of memory");
	rc = pbuf_adds(out, s);
	if (!rc)
		rc = pbuf_addc(out, '\n');
	free(s);
	return rc;
}

enum render_verdict render_verdict_of(const char *s)
{
	static const char *const words[] = { "strong", "moderate", "weak", "inconclusive", "none" };
	size_t i;

	for (i = 0; s && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return (enum render_verdict)i;
	return RV_OTHER;
}

const char *render_verdict_words(enum render_verdict v)
{
	switch (v) {
	case RV_STRONG:
		return "strong evidence";
	case RV_MODERATE:
		return "moderate evidence";
	case RV_WEAK:
		return "weak evidence";
	case RV_INCONCLUSIVE:
		return "inconclusive";
	case RV_NONE:
		return "no evidence";
	default:
		return NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Validation: a declarative description of the document                */

enum rtype {
	RT_ANY,      /* any JSON value */
	RT_STR,
	RT_NUM,      /* integer or real */
	RT_INT,      /* integer (or a real with an integral value) */
	RT_SCALAR,   /* string or number (ids) */
	RT_BOOL,
	RT_OBJ,      /* object; `sub` describes its fields */
	RT_ARR,      /* array of `elem` (objects described by `sub`) */
	RT_MAP       /* object whose every value is `elem` (objects described by `sub`) */
};

struct rschema;

struct rfield {
	const char *key;
	enum rtype type;
	enum rtype elem;
	const struct rschema *sub;
};

struct rschema {
	const struct rfield *f;
	size_t n;
	int (*check)(const json_t *o, const char *path);   /* extra rules, or NULL */
};

#define SCHEMA(fields, check) { fields, sizeof(fields) / sizeof(fields[0]), check }

static int check_root(const json_t *o, const char *path);
static int check_distribution(const json_t *o, const char *path);

static const struct rfield f_case[] = {
	{ "id", RT_SCALAR, RT_ANY, NULL }, { "name", RT_STR, RT_ANY, NULL },
	{ "created_at", RT_STR, RT_ANY, NULL }, { "hash", RT_STR, RT_ANY, NULL },
	{ "previous_hash", RT_STR, RT_ANY, NULL },
};
static const struct rfield f_tool[] = {
	{ "name", RT_STR, RT_ANY, NULL }, { "version", RT_STR, RT_ANY, NULL },
	{ "engine", RT_SCALAR, RT_ANY, NULL }, { "patterns_sha256", RT_STR, RT_ANY, NULL },
};
static const struct rfield f_level[] = {
	{ "p", RT_NUM, RT_ANY, NULL }, { "effect", RT_SCALAR, RT_ANY, NULL },
};
static const struct rschema s_level = SCHEMA(f_level, NULL);
static const struct rfield f_parameters[] = {
	{ "test", RT_STR, RT_ANY, NULL }, { "combination", RT_STR, RT_ANY, NULL },
	{ "controls", RT_STR, RT_ANY, NULL }, { "teacher_test", RT_STR, RT_ANY, NULL },
	{ "correction", RT_STR, RT_ANY, NULL },
	{ "lexical_ngrams", RT_ARR, RT_NUM, NULL }, { "phrase_ngrams", RT_ARR, RT_NUM, NULL },
	{ "phrase_markers", RT_NUM, RT_ANY, NULL }, { "phrase_min_z", RT_NUM, RT_ANY, NULL },
	{ "span_min_tokens", RT_NUM, RT_ANY, NULL }, { "min_prompts", RT_NUM, RT_ANY, NULL },
	{ "min_tokens", RT_NUM, RT_ANY, NULL }, { "seed", RT_NUM, RT_ANY, NULL },
	{ "strong", RT_OBJ, RT_ANY, &s_level }, { "moderate", RT_OBJ, RT_ANY, &s_level },
	{ "weak", RT_OBJ, RT_ANY, &s_level },
};
static const struct rfield f_suspect[] = {
	{ "name", RT_STR, RT_ANY, NULL }, { "path", RT_STR, RT_ANY, NULL },
	{ "sha256", RT_STR, RT_ANY, NULL }, { "size", RT_INT, RT_ANY, NULL },
	{ "lines", RT_INT, RT_ANY, NULL }, { "responses", RT_INT, RT_ANY, NULL },
	{ "matched", RT_INT, RT_ANY, NULL }, { "matched_by_id", RT_INT, RT_ANY, NULL },
	{ "matched_by_text", RT_INT, RT_ANY, NULL }, { "unmatched", RT_INT, RT_ANY, NULL },
	{ "median_tokens", RT_NUM, RT_ANY, NULL },
};
static const struct rfield f_model[] = {
	{ "model", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
	{ "role", RT_STR, RT_ANY, NULL }, { "responses", RT_INT, RT_ANY, NULL },
};
static const struct rschema s_model = SCHEMA(f_model, NULL);
static const struct rfield f_corpus[] = {
	{ "snapshot_sha256", RT_STR, RT_ANY, NULL }, { "prompts", RT_INT, RT_ANY, NULL },
	{ "models", RT_ARR, RT_OBJ, &s_model },
};
static const struct rfield f_panel[] = {
	{ "z", RT_NUM, RT_ANY, NULL }, { "effect", RT_NUM, RT_ANY, NULL },
	{ "p_value", RT_NUM, RT_ANY, NULL },
};
static const struct rfield f_null[] = {
	{ "models", RT_INT, RT_ANY, NULL }, { "mean_effect", RT_NUM, RT_ANY, NULL },
	{ "max_effect", RT_NUM, RT_ANY, NULL }, { "max_model", RT_STR, RT_ANY, NULL },
};
static const struct rfield f_control[] = {
	{ "model", RT_STR, RT_ANY, NULL }, { "z", RT_NUM, RT_ANY, NULL },
	{ "effect", RT_NUM, RT_ANY, NULL }, { "p_value", RT_NUM, RT_ANY, NULL },
};
static const struct rfield f_phrase[] = {
	{ "phrase", RT_STR, RT_ANY, NULL }, { "suspect_per_1000", RT_NUM, RT_ANY, NULL },
	{ "teacher_per_1000", RT_NUM, RT_ANY, NULL }, { "controls_per_1000", RT_NUM, RT_ANY, NULL },
	{ "suspect_share", RT_NUM, RT_ANY, NULL }, { "teacher_share", RT_NUM, RT_ANY, NULL },
	{ "controls_share", RT_NUM, RT_ANY, NULL },
};
static const struct rfield f_feature[] = {
	{ "name", RT_STR, RT_ANY, NULL }, { "suspect", RT_NUM, RT_ANY, NULL },
	{ "teacher", RT_NUM, RT_ANY, NULL }, { "controls", RT_NUM, RT_ANY, NULL },
};
static const struct rschema s_phrase = SCHEMA(f_phrase, NULL);
static const struct rschema s_feature = SCHEMA(f_feature, NULL);
/* One description for every signal: the signal-specific fields have distinct names. */
static const struct rfield f_signal[] = {
	{ "statistic", RT_NUM, RT_ANY, NULL }, { "effect", RT_NUM, RT_ANY, NULL },
	{ "p_value", RT_NUM, RT_ANY, NULL }, { "n", RT_INT, RT_ANY, NULL },
	{ "closest_control", RT_STR, RT_ANY, NULL }, { "panel_statistic", RT_NUM, RT_ANY, NULL },
	{ "panel_effect", RT_NUM, RT_ANY, NULL }, { "panel_p_value", RT_NUM, RT_ANY, NULL },
	{ "available", RT_BOOL, RT_ANY, NULL },
	{ "similarity_teacher", RT_NUM, RT_ANY, NULL }, { "similarity_controls", RT_NUM, RT_ANY, NULL },
	{ "containment", RT_NUM, RT_ANY, NULL },
	{ "top", RT_ARR, RT_OBJ, &s_phrase },
	{ "opener_agreement", RT_NUM, RT_ANY, NULL },
	{ "opener_agreement_controls", RT_NUM, RT_ANY, NULL },
	{ "features", RT_ARR, RT_OBJ, &s_feature },
	{ "suspect_refusals", RT_INT, RT_ANY, NULL }, { "shared_with_teacher", RT_INT, RT_ANY, NULL },
	{ "same_template", RT_INT, RT_ANY, NULL },
	{ "suspect_claims", RT_INT, RT_ANY, NULL }, { "control_rate", RT_NUM, RT_ANY, NULL },
};
static const struct rschema s_signal = SCHEMA(f_signal, NULL);
static const struct rfield f_distribution[] = {
	{ "edges", RT_ARR, RT_NUM, NULL }, { "counts", RT_ARR, RT_NUM, NULL },
};
static const struct rfield f_side[] = {
	{ "before", RT_STR, RT_ANY, NULL }, { "match", RT_STR, RT_ANY, NULL },
	{ "after", RT_STR, RT_ANY, NULL }, { "start", RT_INT, RT_ANY, NULL },
	{ "end", RT_INT, RT_ANY, NULL },
};
static const struct rschema s_side = SCHEMA(f_side, NULL);
static const struct rfield f_span[] = {
	{ "prompt_id", RT_SCALAR, RT_ANY, NULL }, { "tokens", RT_INT, RT_ANY, NULL },
	{ "suspect", RT_OBJ, RT_ANY, &s_side }, { "teacher", RT_OBJ, RT_ANY, &s_side },
};
static const struct rfield f_ev_refusal[] = {
	{ "prompt_id", RT_SCALAR, RT_ANY, NULL }, { "suspect", RT_STR, RT_ANY, NULL },
	{ "teacher", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
};
/* Identity claims and refusals found in the suspect (per teacher and for the whole case). */
static const struct rfield f_claim[] = {
	{ "prompt_id", RT_SCALAR, RT_ANY, NULL }, { "claims", RT_STR, RT_ANY, NULL },
	{ "kind", RT_STR, RT_ANY, NULL }, { "pattern", RT_STR, RT_ANY, NULL },
	{ "text", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
};
static const struct rschema s_span = SCHEMA(f_span, NULL);
static const struct rschema s_ev_refusal = SCHEMA(f_ev_refusal, NULL);
static const struct rschema s_claim = SCHEMA(f_claim, NULL);
static const struct rfield f_evidence[] = {
	{ "spans", RT_ARR, RT_OBJ, &s_span }, { "refusals", RT_ARR, RT_OBJ, &s_ev_refusal },
	{ "identity", RT_ARR, RT_OBJ, &s_claim },
};
static const struct rschema s_panel = SCHEMA(f_panel, NULL);
static const struct rschema s_null = SCHEMA(f_null, NULL);
static const struct rschema s_control = SCHEMA(f_control, NULL);
static const struct rschema s_distribution = SCHEMA(f_distribution, check_distribution);
static const struct rschema s_evidence = SCHEMA(f_evidence, NULL);
static const struct rfield f_teacher[] = {
	{ "model", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
	{ "rank", RT_INT, RT_ANY, NULL }, { "score", RT_NUM, RT_ANY, NULL },
	{ "p_value", RT_NUM, RT_ANY, NULL }, { "p_raw", RT_NUM, RT_ANY, NULL },
	{ "effect", RT_NUM, RT_ANY, NULL }, { "verdict", RT_STR, RT_ANY, NULL },
	{ "n", RT_INT, RT_ANY, NULL }, { "closest_control", RT_STR, RT_ANY, NULL },
	{ "summary", RT_STR, RT_ANY, NULL },
	{ "panel", RT_OBJ, RT_ANY, &s_panel }, { "null", RT_OBJ, RT_ANY, &s_null },
	{ "controls", RT_ARR, RT_OBJ, &s_control },
	{ "signals", RT_MAP, RT_OBJ, &s_signal },
	{ "distribution", RT_OBJ, RT_ANY, &s_distribution },
	{ "evidence", RT_OBJ, RT_ANY, &s_evidence },
};
static const struct rfield f_conclusion[] = {
	{ "teacher", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
	{ "verdict", RT_STR, RT_ANY, NULL }, { "statement", RT_STR, RT_ANY, NULL },
};
static const struct rfield f_error_rates[] = {
	{ "status", RT_STR, RT_ANY, NULL }, { "statement", RT_STR, RT_ANY, NULL },
	{ "rows", RT_ARR, RT_OBJ, NULL },
};
static const struct rschema s_case = SCHEMA(f_case, NULL);
static const struct rschema s_tool = SCHEMA(f_tool, NULL);
static const struct rschema s_parameters = SCHEMA(f_parameters, NULL);
static const struct rschema s_suspect = SCHEMA(f_suspect, NULL);
static const struct rschema s_corpus = SCHEMA(f_corpus, NULL);
static const struct rschema s_teacher = SCHEMA(f_teacher, NULL);
static const struct rschema s_conclusion = SCHEMA(f_conclusion, NULL);
static const struct rschema s_error_rates = SCHEMA(f_error_rates, NULL);
static const struct rfield f_root[] = {
	{ "schema", RT_STR, RT_ANY, NULL },
	{ "case", RT_OBJ, RT_ANY, &s_case }, { "tool", RT_OBJ, RT_ANY, &s_tool },
	{ "parameters", RT_OBJ, RT_ANY, &s_parameters }, { "suspect", RT_OBJ, RT_ANY, &s_suspect },
	{ "corpus", RT_OBJ, RT_ANY, &s_corpus }, { "teachers", RT_ARR, RT_OBJ, &s_teacher },
	{ "identity_claims", RT_ARR, RT_OBJ, &s_claim }, { "refusals", RT_ARR, RT_OBJ, &s_claim },
	{ "conclusion", RT_OBJ, RT_ANY, &s_conclusion },
	{ "error_rates", RT_OBJ, RT_ANY, &s_error_rates },
	{ "limitations", RT_ARR, RT_STR, NULL }, { "notes", RT_ARR, RT_STR, NULL },
};
static const struct rschema s_root = SCHEMA(f_root, check_root);

#define RENDER_MAX_BINS 1000
#define PATH_MAX_LEN 256

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static const char *type_words(enum rtype t)
{
	switch (t) {
	case RT_STR:
		return "a string";
	case RT_NUM:
		return "a number";
	case RT_INT:
		return "an integer";
	case RT_SCALAR:
		return "a string or a number";
	case RT_BOOL:
		return "true or false";
	case RT_OBJ:
	case RT_MAP:
		return "an object";
	case RT_ARR:
		return "an array";
	default:
		return "a value";
	}
}

static int type_ok(const json_t *v, enum rtype t)
{
	double x;

	switch (t) {
	case RT_STR:
		return json_is_string(v);
	case RT_NUM:
		return json_is_number(v);
	case RT_INT:
		if (json_is_integer(v))
			return 1;
		if (!json_is_real(v))
			return 0;
		x = json_real_value(v);
		return x == floor(x) && fabs(x) <= 9007199254740992.0;
	case RT_SCALAR:
		return json_is_string(v) || json_is_number(v);
	case RT_BOOL:
		return json_is_boolean(v);
	case RT_OBJ:
	case RT_MAP:
		return json_is_object(v);
	case RT_ARR:
		return json_is_array(v);
	default:
		return 1;
	}
}

static int check_value(const json_t *v, enum rtype t, enum rtype elem, const struct rschema *sub,
	const char *path);

static int check_object(const json_t *o, const struct rschema *s, const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++) {
		const json_t *v = json_object_get(o, s->f[i].key);

		if (!v || json_is_null(v))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", s->f[i].key);
		if ((rc = check_value(v, s->f[i].type, s->f[i].elem, s->f[i].sub, sub)))
			return rc;
	}
	return s->check ? s->check(o, path) : 0;
}

static int check_value(const json_t *v, enum rtype t, enum rtype elem, const struct rschema *sub,
	const char *path)
{
	char ep[PATH_MAX_LEN];
	const char *key;
	const json_t *e;
	size_t i;
	int rc;

	if (!type_ok(v, t))
		return prov_error(PROV_EDATA, "report: %s: expected %s, found %s", path,
			type_words(t), json_kind(v));
	if (t == RT_OBJ)
		return sub ? check_object(v, sub, path) : 0;
	if (t == RT_ARR) {
		json_array_foreach(v, i, e) {
			snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
			/* null elements are as wrong as any other type: an array holds values */
			if (!type_ok(e, elem) || json_is_null(e))
				return prov_error(PROV_EDATA, "report: %s: expected %s, found %s", ep,
					type_words(elem), json_kind(e));
			if (elem == RT_OBJ && sub && (rc = check_object(e, sub, ep)))
				return rc;
		}
	}
	if (t == RT_MAP) {
		json_object_foreach((json_t *)v, key, e) {
			snprintf(ep, sizeof(ep), "%s.%s", path, key);
			if (json_is_null(e))
				continue;
			if ((rc = check_value(e, elem, RT_ANY, sub, ep)))
				return rc;
		}
	}
	return 0;
}

static int check_root(const json_t *o, const char *path)
{
	const char *schema = rj_str(o, "schema");

	(void)path;
	if (!schema)
		return prov_error(PROV_EDATA, "report: no \"schema\" field (expected \"%s\")", RENDER_SCHEMA);
	if (strcmp(schema, RENDER_SCHEMA) != 0)
		return prov_error(PROV_EDATA, "report: schema is \"%.100s\", this version renders \"%s\"",
			schema, RENDER_SCHEMA);
	return 0;
}

/* A histogram: n counts between n+1 increasing edges, counts not negative. */
static int check_distribution(const json_t *o, const char *path)
{
	const json_t *edges = rj_arr(o, "edges"), *counts = rj_arr(o, "counts");
	size_t i, n;

	if (!edges && !counts)
		return 0;
	if (!edges || !counts)
		return prov_error(PROV_EDATA, "report: %s: needs both \"edges\" and \"counts\"", path);
	n = json_array_size(counts);
	if (json_array_size(edges) != n + 1)
		return prov_error(PROV_EDATA, "report: %s: %zu edges for %zu counts (need one more edge "
			"than counts)", path, json_array_size(edges), n);
	if (n > RENDER_MAX_BINS)
		return prov_error(PROV_EDATA, "report: %s: %zu bins, at most %d", path, n,
			RENDER_MAX_BINS);
	for (i = 0; i < n; i++) {
		if (json_number_value(json_array_get(counts, i)) < 0)
			return prov_error(PROV_EDATA, "report: %s.counts[%zu]: negative count", path, i);
		if (!(json_number_value(json_array_get(edges, i + 1)) >
		      json_number_value(json_array_get(edges, i))))
			return prov_error(PROV_EDATA, "report: %s.edges[%zu]: edges must increase", path,
				i + 1);
	}
	return 0;
}

int render_validate(const json_t *report)
{
	if (!report || !json_is_object(report))
		return prov_error(PROV_EDATA, "report: the document is %s, not an object",
			report ? json_kind(report) : "missing");
	return check_object(report, &s_root, "");
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */

static const json_t *rj_get(const json_t *o, const char *key)
{
	const json_t *v;

	if (!o || !json_is_object(o))
		return NULL;
	v = json_object_get(o, key);
	return v && !json_is_null(v) ? v : NULL;
}

const json_t *rj_obj(const json_t *o, const char *key)
{
	const json_t *v = rj_get(o, key);

	return json_is_object(v) ? v : NULL;
}

const json_t *rj_arr(const json_t *o, const char *key)
{
	const json_t *v = rj_get(o, key);

	return json_is_array(v) ? v : NULL;
}

const json_t *rj_strv(const json_t *o, const char *key)
{
	const json_t *v = rj_get(o, key);

	return json_is_string(v) ? v : NULL;
}

const char *rj_str(const json_t *o, const char *key)
{
	const json_t *v = rj_strv(o, key);

	return v ? json_string_value(v) : NULL;
}

int rj_num(const json_t *o, const char *key, double *out)
{
	const json_t *v = rj_get(o, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return 0;
	*out = json_number_value(v);
	return 1;
}

const json_t *rj_at(const json_t *arr, size_t i)
{
	const json_t *v = json_is_array(arr) ? json_array_get(arr, i) : NULL;

	return json_is_object(v) ? v : NULL;
}

/* ------------------------------------------------------------------ */
/* Numbers: snprintf in whatever locale, then '.' as the separator      */

/*
 * Keep digits, signs and the exponent letter; any other run of bytes (the
 * locale's decimal separator, one or more bytes) becomes one '.'.
 */
static void dot_fix(char *s)
{
	char *w = s;
	const char *r;

	for (r = s; *r; r++) {
		if ((*r >= '0' && *r <= '9') || *r == '-' || *r == '+' || *r == 'e')
			*w++ = *r;
		else if (w == s || w[-1] != '.')
			*w++ = '.';
	}
	*w = '\0';
}

/* "0.2300" -> "0.23", "1.000" -> "1" (only after a '.', never in an exponent). */
static void strip_zeros(char *s)
{
	size_t n = strlen(s);

	if (!strchr(s, '.') || strchr(s, 'e'))
		return;
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
}

/* "-0", "-0.00" -> "0", "0.00" */
static void drop_negative_zero(char *s)
{
	const char *p;

	if (s[0] != '-')
		return;
	for (p = s + 1; *p; p++)
		if (*p != '0' && *p != '.')
			return;
	memmove(s, s + 1, strlen(s));
}

/* Scientific with `sig` significant digits: "5.2e-9", "1e-12", "-3.1e+7" -> "-3.1e7". */
static struct rfmt rf_sci(double x, int sig)
{
	struct rfmt f;
	char mant[sizeof(f.s)], *e;
	long ex;

	snprintf(f.s, sizeof(f.s), "%.*e", sig - 1, x);
	dot_fix(f.s);
	e = strchr(f.s, 'e');
	if (!e)
		return f;
	ex = strtol(e + 1, NULL, 10);
	*e = '\0';
	snprintf(mant, sizeof(mant), "%s", f.s);
	strip_zeros(mant);
	snprintf(f.s, sizeof(f.s), "%.24se%ld", mant, ex);
	return f;
}

struct rfmt rf_fix(double x, int dec)
{
	struct rfmt f;

	if (!isfinite(x))
		return rf_sci(x, 3);
	if (fabs(x) >= 1e12)
		return rf_sci(x, 3);
	snprintf(f.s, sizeof(f.s), "%.*f", dec, x);
	dot_fix(f.s);
	drop_negative_zero(f.s);
	return f;
}

struct rfmt rf_num(double x)
{
	struct rfmt f;

	if (!isfinite(x) || (x != 0 && (fabs(x) >= 1e12 || fabs(x) < 0.001)))
		return rf_sci(x, 3);
	if (x == floor(x)) {
		snprintf(f.s, sizeof(f.s), "%.0f", x);
		dot_fix(f.s);
		drop_negative_zero(f.s);
		return f;
	}
	f = rf_fix(x, 3);
	strip_zeros(f.s);
	drop_negative_zero(f.s);
	return f;
}

struct rfmt rf_p(double p)
{
	struct rfmt f;

	if (!isfinite(p) || p < 0 || p > 1)
		return rf_num(p);
	if (p == 0) {
		snprintf(f.s, sizeof(f.s), "0");
		return f;
	}
	if (p < 0.001)
		return rf_sci(p, 2);
	/* two significant digits below 0.1; three decimals above (0.999 stays 0.999) */
	f = rf_fix(p, p < 0.01 ? 4 : 3);
	strip_zeros(f.s);
	return f;
}

struct rfmt rf_get(const json_t *o, const char *key, enum rf_kind kind)
{
	const json_t *v = rj_get(o, key);
	struct rfmt f;
	double x;

	if (!rj_num(o, key, &x)) {
		snprintf(f.s, sizeof(f.s), "%s", RENDER_ABSENT);
		return f;
	}
	switch (kind) {
	case RF_P:
		return rf_p(x);
	case RF_FIX2:
		return rf_fix(x, 2);
	default:
		if (json_is_integer(v)) {
			snprintf(f.s, sizeof(f.s), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return f;
		}
		return rf_num(x);
	}
}

const char *rf_text(const json_t *v, struct rfmt *tmp, size_t *len)
{
	if (json_is_string(v)) {
		*len = json_string_length(v);
		return json_string_value(v);
	}
	if (json_is_integer(v))
		snprintf(tmp->s, sizeof(tmp->s), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		*tmp = rf_num(json_real_value(v));
	else
		return NULL;
	*len = strlen(tmp->s);
	return tmp->s;
}

#define PLAIN_MAX_DEPTH 4

static int plain_value(struct pbuf *out, const json_t *v, int depth)
{
	struct rfmt tmp;
	const char *s, *key;
	const json_t *e;
	size_t len, i;
	int rc = 0;

	if ((s = rf_text(v, &tmp, &len)))
		return pbuf_add(out, s, len);
	if (json_is_true(v) || json_is_false(v))
		return pbuf_adds(out, json_is_true(v) ? "true" : "false");
	if (!v || json_is_null(v))
		return pbuf_adds(out, "null");
	if (depth >= PLAIN_MAX_DEPTH)
		return pbuf_adds(out, "\xe2\x80\xa6");
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (i && (rc = pbuf_adds(out, ", ")))
				return rc;
			if ((rc = plain_value(out, e, depth + 1)))
				return rc;
		}
		return 0;
	}
	i = 0;
	json_object_foreach((json_t *)v, key, e) {
		if ((i++ && (rc = pbuf_adds(out, "; "))) || (rc = pbuf_addf(out, "%s: ", key)) ||
		    (rc = plain_value(out, e, depth + 1)))
			return rc;
	}
	return 0;
}

int render_plain(struct pbuf *out, const json_t *v)
{
	int rc = plain_value(out, v, 0);

	if (rc == PROV_EDATA)
		return prov_error(rc, "report: a value is longer than %zu bytes", out->max);
	return rc;
}

int render_shell_word(struct pbuf *out, const char *s)
{
	const char *p;
	int plain = *s != '\0';
	int rc;

	for (p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("_./:=@%+,-", *p);
	if (plain)
		return pbuf_adds(out, s);
	if ((rc = pbuf_addc(out, '\'')))
		return rc;
	for (p = s; *p; p++)
		if ((rc = *p == '\'' ? pbuf_adds(out, "'\\''") : pbuf_addc(out, *p)))
			return rc;
	return pbuf_addc(out, '\'');
}

size_t render_bidi_control(const char *s, size_t len, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (len < 3 || u[0] != 0xe2)
		return 0;
	if ((u[1] == 0x80 && u[2] >= 0xaa && u[2] <= 0xae) ||
	    (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9)) {
		*cp = ((unsigned)(u[0] & 0x0f) << 12) | ((unsigned)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
		return 3;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sentences both renderers use: plain text, escaped by the caller      */

/* Append ", " (or nothing before the first item) and then the formatted item. */
static int item(struct pbuf *out, size_t start, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int item(struct pbuf *out, size_t start, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (out->len > start && (rc = pbuf_adds(out, "; ")))
		return rc;
	va_start(ap, fmt);
	rc = pbuf_vaddf(out, fmt, ap);
	va_end(ap);
	return rc;
}

int render_signal_detail(struct pbuf *out, const char *key, const json_t *sig)
{
	size_t start = out->len;
	const json_t *arr, *avail = rj_get(sig, "available");
	double x;
	int rc = 0;

	if (json_is_false(avail) &&
	    (rc = item(out, start, "not available (too little data for this signal)")))
		return rc;
	if (!strcmp(key, "lexical")) {
		if (rj_num(sig, "similarity_teacher", &x) &&
		    (rc = item(out, start, "similarity to the teacher %s, to the controls %s",
			    rf_num(x).s, rf_get(sig, "similarity_controls", RF_NUM).s)))
			return rc;
		if (rj_num(sig, "containment", &x) &&
		    (rc = item(out, start, "containment in the teacher's answers %s", rf_num(x).s)))
			return rc;
	} else if (!strcmp(key, "phrases")) {
		if ((arr = rj_arr(sig, "top")) &&
		    (rc = item(out, start, "%zu characteristic phrase%s listed below",
			    json_array_size(arr), json_array_size(arr) == 1 ? "" : "s")))
			return rc;
	} else if (!strcmp(key, "style")) {
		if (rj_num(sig, "opener_agreement", &x) &&
		    (rc = item(out, start, "answers open like the teacher's %s of the time (controls %s)",
			    rf_num(x).s, rf_get(sig, "opener_agreement_controls", RF_NUM).s)))
			return rc;
	} else if (!strcmp(key, "refusal")) {
		if (rj_num(sig, "suspect_refusals", &x) &&
		    (rc = item(out, start, "%s refusals, %s on prompts the teacher also refused, %s with "
			    "the teacher's template", rf_num(x).s,
			    rf_get(sig, "shared_with_teacher", RF_NUM).s,
			    rf_get(sig, "same_template", RF_NUM).s)))
			return rc;
	} else if (!strcmp(key, "identity")) {
		if (rj_num(sig, "suspect_claims", &x) &&
		    (rc = item(out, start, "%s identity claims by the suspect; controls' rate %s",
			    rf_num(x).s, rf_get(sig, "control_rate", RF_NUM).s)))
			return rc;
	}
	if (rj_num(sig, "panel_statistic", &x) || rj_num(sig, "panel_effect", &x)) {
		if ((rc = item(out, start, "against the panel mean: statistic %s, effect %s",
			    rf_get(sig, "panel_statistic", RF_FIX2).s,
			    rf_get(sig, "panel_effect", RF_FIX2).s)))
			return rc;
		if (rj_num(sig, "panel_p_value", &x) && (rc = pbuf_addf(out, ", p-value %s", rf_p(x).s)))
			return rc;
	}
	return rc;
}

int render_suspect_line(struct pbuf *out, const json_t *doc)
{
	const json_t *sus = rj_obj(doc, "suspect"), *corpus = rj_obj(doc, "corpus");
	int rc = 0;
	double x;

	if (rj_num(corpus, "prompts", &x) &&
	    (rc = pbuf_addf(out, "The corpus holds %s prompts. ", rf_get(corpus, "prompts", RF_NUM).s)))
		return rc;
	if (rj_num(sus, "responses", &x) &&
	    (rc = pbuf_addf(out, "The suspect gave %s responses", rf_get(sus, "responses", RF_NUM).s)))
		return rc;
	if (rj_num(sus, "responses", &x) && rj_num(sus, "matched", &x) &&
	    (rc = pbuf_addf(out, ", %s of them to prompts of the corpus (%s matched by id, %s by the "
		    "prompt's text; %s unmatched)", rf_get(sus, "matched", RF_NUM).s,
		    rf_get(sus, "matched_by_id", RF_NUM).s, rf_get(sus, "matched_by_text", RF_NUM).s,
		    rf_get(sus, "unmatched", RF_NUM).s)))
		return rc;
	if (rj_num(sus, "responses", &x) &&
	    (rc = pbuf_adds(out, rj_num(sus, "median_tokens", &x) ? "; " : ". ")))
		return rc;
	if (rj_num(sus, "median_tokens", &x) &&
	    (rc = pbuf_addf(out, "the median answer is %s words long.", rf_num(x).s)))
		return rc;
	return 0;
}

int render_panel_line(struct pbuf *out, const json_t *teacher)
{
	const json_t *panel = rj_obj(teacher, "panel");

	if (!panel)
		return 0;
	return pbuf_addf(out, "z %s, effect %s, p-value %s", rf_get(panel, "z", RF_FIX2).s,
		rf_get(panel, "effect", RF_FIX2).s, rf_get(panel, "p_value", RF_P).s);
}

int render_null_line(struct pbuf *out, const json_t *teacher)
{
	const json_t *nul = rj_obj(teacher, "null");
	const char *who = rj_str(nul, "max_model");
	int rc;

	if (!nul)
		return 0;
	if ((rc = pbuf_addf(out, "%s independent models, each tested as if it were the suspect: "
		    "mean effect %s, largest %s", rf_get(nul, "models", RF_NUM).s,
		    rf_get(nul, "mean_effect", RF_FIX2).s, rf_get(nul, "max_effect", RF_FIX2).s)))
		return rc;
	if (who && (rc = pbuf_addf(out, " (%s)", who)))
		return rc;
	return 0;
}

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
		"closer to a teacher model's than independent models' output is?\n\n");
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
	md_raw(m, "\n");
}

static void md_summary(struct md *m)
{
	const json_t *concl = rj_obj(m->doc, "conclusion"), *teachers = rj_arr(m->doc, "teachers");
	const json_t *notes = rj_arr(m->doc, "notes");
	const char *verdict = rj_str(concl, "verdict");
	size_t i, n = arr_size(teachers);

	md_heading(m, 2, "1.", render_sections[0]);
	if (verdict) {
		md_raw(m, "**Conclusion: ");
		md_verdict(m, verdict);
		md_raw(m, ".** ");
	}
	if (rj_str(concl, "statement"))
		md_field(m, concl, "statement", MD_TEXT, "");
	else if (!verdict)
		md_raw(m, "The report records no conclusion.");
	md_raw(m, "\n\n");
	if (n == 0)
		md_raw(m, "No teacher was tested, so the report makes no comparison.\n\n");
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
	if (n) {
		md_raw(m, "\n| Teacher | Family | Verdict | Score | p-value (corrected) | Effect | Prompts |\n"
			"|---|---|---|---:|---:|---:|---:|\n");
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
			md_f(m, " | %s | %s | %s | %s |\n", rf_get(t, "score", RF_FIX2).s,
				rf_get(t, "p_value", RF_P).s, rf_get(t, "effect", RF_FIX2).s,
				rf_get(t, "n", RF_NUM).s);
		}
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
	md_raw(m, "### Signals\n\nFive independent kinds of evidence are measured for each teacher:\n\n");
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
		md_raw(m, "\nA teacher is compared with every reference model and every teacher of "
			"another family (its controls).\n");
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

/* Untrusted text in a block quote, from the start of a quote line. */
static void md_quote_text(struct md *m, const char *s, size_t len, int *bol)
{
	if (!m->rc && s)
		m->rc = md_escape(m->out, s, len, MD_QUOTE, bol);
}

/*
 * The shared words in **bold**, line by line (emphasis cannot cross a line),
 * with the white space at either end of a line kept outside the markers.
 */
static void md_quote_bold(struct md *m, const char *s, size_t len, int *bol)
{
	size_t i = 0, j, a, b;

	while (i <= len && !m->rc) {
		for (j = i; j < len && s[j] != '\n'; j++)
			;
		for (a = i; a < j && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r'); a++)
			;
		for (b = j; b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'); b--)
			;
		md_quote_text(m, s + i, a - i, bol);
		if (b > a) {
			if (*bol == BOL_QUOTE) {
				md_raw(m, " ");
				*bol = 1;
			}
			md_raw(m, "**");
			md_quote_text(m, s + a, b - a, bol);
			md_raw(m, "**");
		}
		md_quote_text(m, s + b, j - b, bol);
		if (j < len)
			md_quote_text(m, "\n", 1, bol);
		i = j + 1;
	}
}

/* One side of a shared passage: before, **match**, after. */
static void md_side(struct md *m, const char *who, const json_t *who_name, const json_t *side)
{
	const json_t *v;
	int bol = 0;

	md_f(m, "> *%s", who);
	if (who_name) {
		md_raw(m, " (");
		md_text(m, json_string_value(who_name), json_string_length(who_name), MD_TEXT);
		md_raw(m, ")");
	}
	md_raw(m, ":*\n>\n> ");
	bol = 1;
	if (!side) {
		md_raw(m, "(not recorded)\n");
		return;
	}
	if ((v = rj_strv(side, "before")))
		md_quote_text(m, json_string_value(v), json_string_length(v), &bol);
	if ((v = rj_strv(side, "match")))
		md_quote_bold(m, json_string_value(v), json_string_length(v), &bol);
	if ((v = rj_strv(side, "after")))
		md_quote_text(m, json_string_value(v), json_string_length(v), &bol);
	md_raw(m, "\n");
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
		md_side(m, "Suspect", sname, su);
		md_raw(m, "\n");
		md_side(m, "Teacher", rj_strv(t, "model"), te);
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

int render_phrase_unit(const json_t *top)
{
	size_t i;

	for (i = 0; i < json_array_size(top); i++)
		if (rj_get(rj_at(top, i), "suspect_per_1000") || rj_get(rj_at(top, i), "teacher_per_1000"))
			return 0;
	return 1;
}

const char *const render_phrase_fields[2][3] = {
	{ "suspect_per_1000", "teacher_per_1000", "controls_per_1000" },
	{ "suspect_share", "teacher_share", "controls_share" },
};

static void md_phrases(struct md *m, const json_t *top)
{
	const char *const *f = render_phrase_fields[render_phrase_unit(top)];
	size_t i;

	md_f(m, "| Phrase | Suspect (%s) | Teacher | Controls |\n|---|---:|---:|---:|\n",
		render_phrase_unit(top) ? "share of answers" : "per 1,000 words");
	for (i = 0; i < arr_size(top); i++) {
		const json_t *p = rj_at(top, i);

		md_raw(m, "| ");
		md_field(m, p, "phrase", MD_CELL, RENDER_ABSENT);
		md_f(m, " | %s | %s | %s |\n", rf_get(p, f[0], RF_NUM).s, rf_get(p, f[1], RF_NUM).s,
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
		md_raw(m, "| Independent models in the suspect's place | ");
		md_plain(m, render_null_line(&m->tmp, t), MD_CELL);
		md_raw(m, " |\n");
	}

	md_raw(m, "\n#### Signals\n\n");
	md_signals(m, t);

	if (arr_size(controls)) {
		md_raw(m, "\n#### Against each control\n\nThe suspect must be closer to the teacher than "
			"to every control; the weakest of these comparisons decides.\n\n"
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
			"answers to the same prompt; the shared words are in **bold**.\n\n");
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

const char *render_rate_label(const char *key)
{
	static const struct {
		const char *key, *label;
	} labels[] = {
		{ "verdict", "Verdict level" },
		{ "tpr", "True-positive rate" },
		{ "tpr_low", "TPR 95% low" },
		{ "tpr_high", "TPR 95% high" },
		{ "tpr_ci", "TPR 95% interval" },
		{ "fpr", "False-positive rate" },
		{ "fpr_low", "FPR 95% low" },
		{ "fpr_high", "FPR 95% high" },
		{ "fpr_ci", "FPR 95% interval" },
		{ "n", "n" },
		{ "positives", "Derived models (n)" },
		{ "negatives", "Independent models (n)" },
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcmp(labels[i].key, key))
			return labels[i].label;
	return NULL;
}

json_t *render_rate_columns(const json_t *rows)
{
	json_t *cols = json_array(), *seen = json_object();
	const json_t *v;
	const char *key;
	size_t i;

	if (!cols || !seen)
		goto fail;
	for (i = 0; i < json_array_size(rows); i++) {
		json_object_foreach(json_array_get(rows, i), key, v) {
			(void)v;
			if (json_object_get(seen, key))
				continue;
			if (json_object_set_new(seen, key, json_true()) ||
			    json_array_append_new(cols, json_string(key)))
				goto fail;
		}
	}
	json_decref(seen);
	return cols;
fail:
	json_decref(cols);
	json_decref(seen);
	prov_error(PROV_ENOMEM, "out of memory (error-rate table)");
	return NULL;
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
					md_value(m, v);
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
		md_s(m, key, MD_CELL);
		md_raw(m, " | ");
		md_value(m, v);
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
		    "# 5. a new scan with the same corpus and tool version gives the same numbers\n"
		    "provenance scan ")) ||
	    (rc = render_shell_word(out, path ? path : "SUSPECT.jsonl")))
		goto done;
	if (name && ((rc = pbuf_adds(out, " --name ")) || (rc = render_shell_word(out, name))))
		goto done;
	rc = pbuf_addc(out, '\n');
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
	md_header(&m);
	md_summary(&m);
	md_method(&m);
	md_evidence(&m);
	md_error_rates(&m);
	md_limitations(&m);
	md_custody(&m);
	pbuf_release(&m.tmp);
	if (m.rc == PROV_EDATA && prov_error_code() == PROV_EDATA &&
	    strncmp(prov_error_msg(), "report: ", 8) != 0)
		return prov_error(PROV_EDATA, "report: the Markdown would be longer than %zu bytes",
			out->max);
	return m.rc;
}
