/*
 * report_model.c: what every renderer of the report document shares (report_model.h):
 * the schema check, the typed JSON lookups, the number formatting, the fixed
 * wording and the plain-text sentences both renderers print.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/render.h"
#include "detect/stats.h"
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
	"teacher model's answers than to the answers of the control models given the same prompts, "
	"and how unlikely that closeness would be by chance.",
	"What it does not show: it is not proof that outputs were copied. It measures similarity of "
	"outputs; shared training data, a shared base model or similar fine-tuning can also make "
	"outputs similar.",
	"Identity claims (a model saying that it is, or was made by, another maker's model) are a "
	"signal, never proof on their own: models also pick up such sentences from public web text.",
	"A p-value is not the probability that the suspect was distilled: it says how rarely "
	"control models would show at least this much closeness. Read it together with the "
	"effect size and the known error rates (section 4).",
};

const char *const render_glossary[4] = {
	"Score: the calibrated test statistic for one teacher (Crawford and Howell's single-case t): how "
	"far the suspect's closeness to that teacher lies above the control models' own, each scanned "
	"the same way; the larger, the stronger the evidence; 0 or below means none.",
	"p-value (corrected): how likely a model drawn from the same population as the control models "
	"would be at least this far out, corrected for testing several teachers (Holm); the smaller, "
	"the stronger the evidence. Rank: the suspect's place among the control models scanned in its "
	"place and itself (1 of 16: closer to the teacher than all 15 of them).",
	"Effect: the size of the suspect's per-prompt difference in standard units (its mean divided "
	"by its standard deviation); unlike the p-value it does not shrink as more prompts are "
	"tested.",
	"Verdict: strong, moderate or weak evidence, inconclusive (too few usable prompts or control "
	"models) or none, decided by the calibrated p-value, and for moderate and strong also by the "
	"suspect standing above every control model, with the thresholds listed below.",
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
	{ "phrase_prior_answers", "Prior weight in a phrase's rate (answers)" },
	{ "phrase_min_answers", "Fewest answers a characteristic phrase must appear in" },
	{ "span_min_tokens", "Shortest shared passage kept (words)" },
	{ "min_prompts", "Fewest usable prompts for a verdict" },
	{ "min_tokens", "Shortest usable answer (words)" },
	{ "min_median_words", "Shortest median answer for a verdict (words)" },
	{ "null", "Null models (control models in the suspect's place)" },
	{ "corroboration", "Corroboration by single signals" },
	{ "seed", "Random seed" },
};
const size_t render_nparams = sizeof(render_params) / sizeof(render_params[0]);

const char *render_unstored_notice(const json_t *doc)
{
	if (!json_is_false(rj_get(rj_obj(doc, "case"), "stored")))
		return NULL;
	return "Not a stored case: this exploratory scan (scan --no-store) was not recorded in the evidence "
		"database, so it has no case id, no case hash and no chain of custody. Scan again without "
		"--no-store for a report that can be verified.";
}

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
		return "not established";
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
	{ "previous_hash", RT_STR, RT_ANY, NULL }, { "stored", RT_BOOL, RT_ANY, NULL },
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
	{ "median_tokens", RT_NUM, RT_ANY, NULL }, { "repeated_prompts", RT_INT, RT_ANY, NULL },
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
	{ "phrase", RT_STR, RT_ANY, NULL }, { "surface", RT_STR, RT_ANY, NULL },
	{ "suspect_per_1000", RT_NUM, RT_ANY, NULL },
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
	{ "end", RT_INT, RT_ANY, NULL }, { "before_truncated", RT_BOOL, RT_ANY, NULL },
	{ "after_truncated", RT_BOOL, RT_ANY, NULL },
};
static const struct rschema s_side = SCHEMA(f_side, NULL);
static const struct rfield f_span[] = {
	{ "prompt_id", RT_SCALAR, RT_ANY, NULL }, { "tokens", RT_INT, RT_ANY, NULL },
	{ "prompt", RT_STR, RT_ANY, NULL }, { "suspect", RT_OBJ, RT_ANY, &s_side }, { "teacher", RT_OBJ, RT_ANY, &s_side },
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
static const struct rfield f_thresholds[] = {
	{ "weak", RT_NUM, RT_ANY, NULL }, { "moderate", RT_NUM, RT_ANY, NULL },
	{ "strong", RT_NUM, RT_ANY, NULL },
};
static const struct rschema s_thresholds = SCHEMA(f_thresholds, NULL);
static const struct rfield f_null_model[] = {
	{ "model", RT_STR, RT_ANY, NULL }, { "statistic", RT_NUM, RT_ANY, NULL },
	{ "outlier", RT_BOOL, RT_ANY, NULL },
};
static const struct rschema s_null_model = SCHEMA(f_null_model, NULL);
static const struct rfield f_calibration[] = {
	{ "method", RT_STR, RT_ANY, NULL }, { "statistic", RT_NUM, RT_ANY, NULL },
	{ "null_models", RT_INT, RT_ANY, NULL }, { "null_mean", RT_NUM, RT_ANY, NULL },
	{ "null_sd", RT_NUM, RT_ANY, NULL }, { "t", RT_NUM, RT_ANY, NULL },
	{ "df", RT_NUM, RT_ANY, NULL }, { "p_value", RT_NUM, RT_ANY, NULL },
	{ "p_holm", RT_NUM, RT_ANY, NULL }, { "holm_factor", RT_NUM, RT_ANY, NULL },
	{ "rank", RT_INT, RT_ANY, NULL },
	{ "rank_p", RT_NUM, RT_ANY, NULL }, { "position", RT_NUM, RT_ANY, NULL },
	{ "thresholds", RT_OBJ, RT_ANY, &s_thresholds }, { "null", RT_ARR, RT_OBJ, &s_null_model },
};
static const struct rschema s_calibration = SCHEMA(f_calibration, NULL);
static const struct rfield f_without[] = {
	{ "control", RT_STR, RT_ANY, NULL }, { "kind", RT_STR, RT_ANY, NULL },
	{ "verdict", RT_STR, RT_ANY, NULL },
};
static const struct rschema s_without = SCHEMA(f_without, NULL);
static const struct rfield f_robustness[] = {
	{ "stable", RT_BOOL, RT_ANY, NULL }, { "without", RT_ARR, RT_OBJ, &s_without },
	{ "sentence", RT_STR, RT_ANY, NULL },
};
static const struct rschema s_robustness = SCHEMA(f_robustness, NULL);
static const struct rfield f_contaminated[] = {
	{ "model", RT_STR, RT_ANY, NULL }, { "statistic", RT_NUM, RT_ANY, NULL },
	{ "t", RT_NUM, RT_ANY, NULL }, { "p_value", RT_NUM, RT_ANY, NULL },
};
static const struct rschema s_contaminated = SCHEMA(f_contaminated, NULL);
static const struct rfield f_identical[] = {
	{ "count", RT_INT, RT_ANY, NULL }, { "of", RT_INT, RT_ANY, NULL },
};
static const struct rschema s_identical = SCHEMA(f_identical, NULL);
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
	{ "calibration", RT_OBJ, RT_ANY, &s_calibration },
	{ "robustness", RT_OBJ, RT_ANY, &s_robustness },
	{ "contaminated_controls", RT_ARR, RT_OBJ, &s_contaminated },
	{ "prompts_needed", RT_OBJ, RT_ANY, &s_thresholds },
	{ "identical", RT_OBJ, RT_ANY, &s_identical },
};
static const struct rfield f_conclusion[] = {
	{ "teacher", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
	{ "verdict", RT_STR, RT_ANY, NULL }, { "statement", RT_STR, RT_ANY, NULL },
};
static const struct rfield f_labelled[] = {
	{ "model", RT_STR, RT_ANY, NULL }, { "family", RT_STR, RT_ANY, NULL },
	{ "derived", RT_BOOL, RT_ANY, NULL }, { "matched_by", RT_STR, RT_ANY, NULL },
};
static const struct rschema s_labelled = SCHEMA(f_labelled, NULL);
static const struct rfield f_error_rates[] = {
	{ "status", RT_STR, RT_ANY, NULL }, { "statement", RT_STR, RT_ANY, NULL },
	{ "rows", RT_ARR, RT_OBJ, NULL }, { "suspect_labelled", RT_OBJ, RT_ANY, &s_labelled },
};
/* "sample_specific": the own-control test (scan --logged --fresh) */
static const struct rfield f_oc_file[] = {
	{ "path", RT_STR, RT_ANY, NULL }, { "sha256", RT_STR, RT_ANY, NULL },
	{ "lines", RT_INT, RT_ANY, NULL }, { "answers", RT_INT, RT_ANY, NULL },
};
static const struct rschema s_oc_file = SCHEMA(f_oc_file, NULL);
static const struct rfield f_oc_span[] = {
	{ "tokens", RT_INT, RT_ANY, NULL }, { "suspect", RT_OBJ, RT_ANY, &s_side },
	{ "logged", RT_OBJ, RT_ANY, &s_side },
};
static const struct rschema s_oc_span = SCHEMA(f_oc_span, NULL);
static const struct rfield f_oc_excerpt[] = {
	{ "prompt_id", RT_SCALAR, RT_ANY, NULL }, { "prompt", RT_STR, RT_ANY, NULL },
	{ "logged_similarity", RT_NUM, RT_ANY, NULL }, { "fresh_similarity", RT_NUM, RT_ANY, NULL },
	{ "spans", RT_ARR, RT_OBJ, &s_oc_span },
};
static const struct rschema s_oc_excerpt = SCHEMA(f_oc_excerpt, NULL);
static const struct rfield f_sample_specific[] = {
	{ "test", RT_STR, RT_ANY, NULL }, { "method", RT_STR, RT_ANY, NULL },
	{ "ngram", RT_INT, RT_ANY, NULL }, { "p_value", RT_NUM, RT_ANY, NULL },
	{ "effect", RT_NUM, RT_ANY, NULL }, { "z", RT_NUM, RT_ANY, NULL },
	{ "statistic", RT_NUM, RT_ANY, NULL }, { "null_mean", RT_NUM, RT_ANY, NULL },
	{ "null_sd", RT_NUM, RT_ANY, NULL }, { "mean_logged", RT_NUM, RT_ANY, NULL },
	{ "mean_fresh", RT_NUM, RT_ANY, NULL }, { "prompts", RT_INT, RT_ANY, NULL },
	{ "fresh_per_prompt", RT_INT, RT_ANY, NULL }, { "fresh_per_prompt_max", RT_INT, RT_ANY, NULL },
	{ "draws", RT_INT, RT_ANY, NULL }, { "seed", RT_INT, RT_ANY, NULL },
	{ "logged_without_suspect", RT_INT, RT_ANY, NULL }, { "logged_without_fresh", RT_INT, RT_ANY, NULL },
	{ "logged", RT_OBJ, RT_ANY, &s_oc_file }, { "fresh", RT_ARR, RT_OBJ, &s_oc_file },
	{ "excerpts", RT_ARR, RT_OBJ, &s_oc_excerpt },
};
static const struct rschema s_sample_specific = SCHEMA(f_sample_specific, NULL);
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
	{ "warnings", RT_ARR, RT_STR, NULL },
	{ "sample_specific", RT_OBJ, RT_ANY, &s_sample_specific },
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

const json_t *rj_get(const json_t *o, const char *key)
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
	if (p < RENDER_P_FLOOR) {
		/* a tail this far out of a normal approximation is not a number to quote */
		snprintf(f.s, sizeof(f.s), "< %.40s", rf_sci(RENDER_P_FLOOR, 1).s);
		return f;
	}
	if (p < 0.001)
		return rf_sci(p, 2);
	/* two significant digits below 0.1; three decimals above (0.999 stays 0.999) */
	f = rf_fix(p, p < 0.01 ? 4 : 3);
	strip_zeros(f.s);
	return f;
}

struct rfmt rf_rate(double x)
{
	struct rfmt f;

	if (!isfinite(x) || fabs(x) >= 1e6)
		return rf_num(x);
	f = rf_fix(x, 3);
	strip_zeros(f.s);
	drop_negative_zero(f.s);
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

static int plain_value(struct pbuf *out, const json_t *v, int depth, int rates)
{
	struct rfmt tmp;
	const char *s, *key;
	const json_t *e;
	size_t len, i;
	int rc = 0;

	if (rates && json_is_real(v))
		return pbuf_adds(out, rf_rate(json_real_value(v)).s);
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
			if ((rc = plain_value(out, e, depth + 1, rates)))
				return rc;
		}
		return 0;
	}
	i = 0;
	json_object_foreach((json_t *)v, key, e) {
		if ((i++ && (rc = pbuf_adds(out, "; "))) || (rc = pbuf_addf(out, "%s: ", key)) ||
		    (rc = plain_value(out, e, depth + 1, rates)))
			return rc;
	}
	return 0;
}

int render_plain(struct pbuf *out, const json_t *v)
{
	int rc = plain_value(out, v, 0, 0);

	if (rc == PROV_EDATA)
		return prov_error(rc, "report: a value is longer than %zu bytes", out->max);
	return rc;
}

int render_plain_rates(struct pbuf *out, const json_t *v)
{
	int rc = plain_value(out, v, 0, 1);

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
	if (rj_num(sus, "repeated_prompts", &x) &&
	    (rc = pbuf_addf(out, " (%s more record%s asked a prompt already answered: the first answer stands, the"
		    " repeats are counted here and not scanned)", rf_get(sus, "repeated_prompts", RF_NUM).s,
		    x == 1 ? "" : "s")))
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
	if ((rc = pbuf_addf(out, "%s control models, each tested as if it were the suspect: "
		    "mean effect %s, largest %s", rf_get(nul, "models", RF_NUM).s,
		    rf_get(nul, "mean_effect", RF_FIX2).s, rf_get(nul, "max_effect", RF_FIX2).s)))
		return rc;
	if (who && (rc = pbuf_addf(out, " (%s)", who)))
		return rc;
	return 0;
}

int render_phrase_unit(const json_t *top)
{
	size_t i;

	for (i = 0; i < json_array_size(top); i++)
		if (rj_get(rj_at(top, i), "suspect_per_1000") || rj_get(rj_at(top, i), "teacher_per_1000"))
			return 0;
	return 1;
}

const char *render_phrase_where(const json_t *phrase)
{
	const json_t *o = rj_get(phrase, "opening");

	return json_is_true(o) ? "opens the answer" : json_is_false(o) ? "within the answer" : RENDER_ABSENT;
}

const char *const render_phrase_fields[2][3] = {
	{ "suspect_per_1000", "teacher_per_1000", "controls_per_1000" },
	{ "suspect_share", "teacher_share", "controls_share" },
};

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
		{ "negatives", "Control (not derived) models (n)" },
		{ "misattributed", "Wrong family (n)" },
		{ "validation", "Validation" },
		{ "validated_at", "Validated at (UTC)" },
		{ "group", "Sample size group" },
		{ "auc_family", "AUC over family scores" },
		{ "auc_any_teacher", "AUC over any-teacher scores" },
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

/* ------------------------------------------------------------------ */
/* The conclusion box                                                   */

const json_t *render_concluded_teacher(const json_t *doc)
{
	const json_t *teachers = rj_arr(doc, "teachers");
	const char *name = rj_str(rj_obj(doc, "conclusion"), "teacher");
	size_t i;

	for (i = 0; name && i < json_array_size(teachers); i++)
		if (rj_str(rj_at(teachers, i), "model") && !strcmp(rj_str(rj_at(teachers, i), "model"), name))
			return rj_at(teachers, i);
	return rj_at(teachers, 0);
}

/*
 * The validation row of a verdict level ("weak", ...) when error rates are available, else NULL.
 */
static const json_t *rate_row(const json_t *doc, const char *level)
{
	const json_t *er = rj_obj(doc, "error_rates"), *rows = rj_arr(er, "rows");
	const char *status = rj_str(er, "status");
	size_t i;

	if (!status || strcmp(status, "available"))
		return NULL;
	for (i = 0; level && i < json_array_size(rows); i++) {
		const char *v = rj_str(rj_at(rows, i), "verdict");

		if (v && !strcmp(v, level))
			return rj_at(rows, i);
	}
	return NULL;
}

const char *render_error_level(const json_t *doc)
{
	enum render_verdict rv = render_verdict_of(rj_str(rj_obj(doc, "conclusion"), "verdict"));

	return rv == RV_STRONG ? "strong" : rv == RV_MODERATE ? "moderate" : "weak";
}

/*
 * The misses of a validation row: "7 of 20 documented distillations" (counts) or "35% of
 * documented distillations" (a rate only); 0 with nothing appended when the row has no tpr.
 */
static int miss_words(struct pbuf *out, const json_t *row)
{
	double tpr, pos;

	if (!rj_num(row, "tpr", &tpr))
		return 0;
	if (rj_num(row, "positives", &pos) && pos > 0)
		return pbuf_addf(out, "%s of %s documented distillations", rf_num(floor((1 - tpr) * pos + 0.5)).s,
			rf_num(pos).s);
	return pbuf_addf(out, "a share %s of documented distillations", rf_rate(1 - tpr).s);
}

/* Teachers the scan could not test (not_tested, role teacher). */
static size_t untested_teachers(const json_t *doc)
{
	const json_t *nt = rj_arr(doc, "not_tested");
	size_t i, n = 0;

	for (i = 0; i < json_array_size(nt); i++) {
		const char *role = rj_str(json_array_get(nt, i), "role");

		n += role && !strcmp(role, "teacher");
	}
	return n;
}

int render_headline(struct pbuf *out, const json_t *doc)
{
	const json_t *concl = rj_obj(doc, "conclusion");
	const char *verdict = rj_str(concl, "verdict"), *family = rj_str(concl, "family");
	const char *teacher = rj_str(concl, "teacher");
	enum render_verdict rv = render_verdict_of(verdict);
	int rc;

	switch (rv) {
	case RV_STRONG:
	case RV_MODERATE:
	case RV_WEAK:
		if ((rc = pbuf_addf(out, "%s evidence that the suspect's outputs derive from ",
			    rv == RV_STRONG ? "Strong" : rv == RV_MODERATE ? "Moderate" : "Weak")))
			return rc;
		if (family && strcmp(family, "none"))
			rc = teacher ? pbuf_addf(out, "the %s family (closest teacher %s)", family, teacher)
				: pbuf_addf(out, "the %s family", family);
		else
			rc = pbuf_addf(out, "%s", teacher ? teacher : "a teacher in the corpus");
		return rc;
	case RV_NONE: {
		const json_t *row = rate_row(doc, "weak");
		size_t tested = json_array_size(rj_arr(doc, "teachers")), untested = untested_teachers(doc);
		double tpr;

		/* not a clearance: a test that misses many documented students says so in the headline */
		if (untested)
			rc = pbuf_addf(out, "Not established: the suspect's outputs were not shown to derive from any of "
				"the %zu teacher%s tested (%zu more could not be tested: too few prompts shared with the "
				"suspect) at any level the tool states (weak, moderate or strong); ", tested,
				tested == 1 ? "" : "s", untested);
		else
			rc = pbuf_adds(out, "Not established: the suspect's outputs were not shown to derive from a "
				"teacher in the corpus at any level the tool states (weak, moderate or strong); ");
		if (rc)
			return rc;
		if (!rj_num(row, "tpr", &tpr))
			return pbuf_adds(out, "how often this test misses documented distillations is unknown "
				"(no validation recorded for this corpus)");
		if ((rc = pbuf_adds(out, "at the weak level this test missed ")) || (rc = miss_words(out, row)))
			return rc;
		return pbuf_adds(out, " in validation");
	}
	case RV_INCONCLUSIVE: {
		const char *cause = rj_str(concl, "cause");

		if (cause && !strcmp(cause, "no_controls"))
			return pbuf_adds(out, "Inconclusive: the corpus has too few control (reference) models that answered "
				"the suspect's prompts for a calibrated test");
		if (cause && !strcmp(cause, "no_shared_prompts"))
			return pbuf_adds(out, "Inconclusive: no teacher in the corpus shares enough of the suspect's prompts "
				"to be tested");
		return pbuf_adds(out, "Inconclusive: too little usable data to say whether the suspect's outputs "
			"derive from a teacher in the corpus");
	}
	default:
		return verdict ? pbuf_addf(out, "Conclusion: %s", verdict) : 0;
	}
}

int render_validation_words(struct pbuf *out, const json_t *doc)
{
	const json_t *er = rj_obj(doc, "error_rates"), *rows = rj_arr(er, "rows"), *row;
	const json_t *lab = rj_obj(er, "suspect_labelled");
	const char *status = rj_str(er, "status"), *level = render_error_level(doc);
	enum render_verdict rv = render_verdict_of(rj_str(rj_obj(doc, "conclusion"), "verdict"));
	double fpr, tpr, lo, hi, neg = -1, pos = -1;
	int rc;

	if (!status || strcmp(status, "available") || !json_array_size(rows))
		return pbuf_adds(out, "No error rate has been established for this corpus: the tool has not been "
			"validated on labelled models with this corpus and version (section 4); how often it gives a "
			"false positive or misses a distillation is unknown.");
	row = rate_row(doc, level);
	rj_num(row, "negatives", &neg);
	rj_num(row, "positives", &pos);
	if ((rc = pbuf_adds(out, "Validated on ")))
		return rc;
	if (neg >= 0 && pos >= 0)
		rc = pbuf_addf(out, "%s labelled models (%s derived, %s not derived)", rf_num(pos + neg).s,
			rf_num(pos).s, rf_num(neg).s);
	else
		rc = pbuf_adds(out, "labelled models");
	if (rc)
		return rc;
	if (!row)
		rc = pbuf_addf(out, "; no rate is recorded for the %s level", level);
	else
		rc = pbuf_addf(out, "; at the %s level%s", level, rv == RV_STRONG || rv == RV_MODERATE ||
			rv == RV_WEAK ? " (this verdict's)" : " (the lowest the tool states)");
	if (!rc && rj_num(row, "fpr", &fpr)) {
		if (neg >= 0)
			rc = pbuf_addf(out, ", false positives %s/%s", rf_num(floor(fpr * neg + 0.5)).s, rf_num(neg).s);
		else
			rc = pbuf_addf(out, ", false-positive rate %s", rf_rate(fpr).s);
		if (!rc && rj_num(row, "fpr_low", &lo) && rj_num(row, "fpr_high", &hi))
			rc = pbuf_addf(out, " (95%% interval %s to %s)", rf_rate(lo).s, rf_rate(hi).s);
	}
	if (!rc && rj_num(row, "tpr", &tpr)) {
		if (pos >= 0)
			rc = pbuf_addf(out, ", misses %s/%s", rf_num(floor((1 - tpr) * pos + 0.5)).s, rf_num(pos).s);
		else
			rc = pbuf_addf(out, ", miss rate %s", rf_rate(1 - tpr).s);
		if (!rc && rj_num(row, "tpr_low", &lo) && rj_num(row, "tpr_high", &hi))
			rc = pbuf_addf(out, " (95%% interval %s to %s)", rf_rate(1 - hi).s, rf_rate(1 - lo).s);
	}
	if (!rc && neg >= 0 && neg < 20)
		rc = pbuf_adds(out, "; this bounds little with so few models known not to be derived");
	if (!rc)
		rc = pbuf_adds(out, ".");
	if (!rc && lab) {
		const char *m = rj_str(lab, "model"), *fam = rj_str(lab, "family");
		const json_t *derived = rj_get(lab, "derived");

		rc = pbuf_addf(out, " The suspect%s%s%s is itself one of the labelled models of this validation",
			m ? " (" : "", m ? m : "", m ? ")" : "");
		if (!rc && json_is_true(derived))
			rc = fam ? pbuf_addf(out, ", labelled derived from the %s family", fam) :
				pbuf_adds(out, ", labelled derived");
		else if (!rc && json_is_false(derived))
			rc = pbuf_adds(out, ", labelled not derived");
		if (!rc && rj_str(lab, "matched_by"))
			rc = pbuf_addf(out, " (matched by %s)", rj_str(lab, "matched_by"));
		if (!rc)
			rc = pbuf_adds(out, ": these rates include its own result and are not an independent check of it.");
	}
	return rc;
}

int render_rank_words(struct pbuf *out, const json_t *teacher)
{
	const json_t *cal = rj_obj(teacher, "calibration");
	double r, k;

	if (!rj_num(cal, "rank", &r))
		return 0;
	if (rj_num(cal, "null_models", &k))
		return pbuf_addf(out, "%s of %s", rf_num(r).s, rf_num(k + 1).s);
	return pbuf_adds(out, rf_num(r).s);
}

/* Count, in a top-level array of claims or refusals, the entries whose `key` is each distinct value. */
static int tally(struct pbuf *out, const json_t *arr, const char *key, const char *what_one,
	const char *what_many, int *any)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < json_array_size(arr) && !rc; i++) {
		const char *f = rj_str(rj_at(arr, i), key);
		size_t n = 0;

		if (!f || !strcmp(f, "none") || !strcmp(f, "generic"))
			continue;   /* no maker: a template every assistant uses */
		for (j = 0; j < i; j++)
			if (rj_str(rj_at(arr, j), key) && !strcmp(rj_str(rj_at(arr, j), key), f))
				break;
		if (j < i)
			continue;   /* counted at its first occurrence */
		for (j = i; j < json_array_size(arr); j++)
			if (rj_str(rj_at(arr, j), key) && !strcmp(rj_str(rj_at(arr, j), key), f))
				n++;
		rc = pbuf_addf(out, "%s%zu %s %s", (*any)++ ? "; " : "", n, n == 1 ? what_one : what_many, f);
	}
	return rc;
}

int render_descriptive_line(struct pbuf *out, const json_t *doc)
{
	size_t start = out->len;
	int any = 0, rc;

	if ((rc = tally(out, rj_arr(doc, "identity_claims"), "claims", "identity trace names",
		    "identity traces name", &any)) ||
	    (rc = tally(out, rj_arr(doc, "refusals"), "family", "refusal uses the template of",
		    "refusals use the template of", &any)))
		return rc;
	if (out->len == start)
		return 0;
	return pbuf_adds(out, " (section 3). These point to a family but are descriptive, not a verdict: "
		"models also pick up such sentences from public text, and the test above does not count them.");
}

int render_identical_line(struct pbuf *out, const json_t *teacher)
{
	const json_t *id = rj_obj(teacher, "identical");
	double c, of;

	if (!rj_num(id, "count", &c) || !rj_num(id, "of", &of))
		return 0;
	return pbuf_addf(out, "%s of %s answers identical to the teacher's (after normalisation)", rf_num(c).s,
		rf_num(of).s);
}

int render_basis_line(struct pbuf *out, const json_t *doc, const json_t *teacher)
{
	const json_t *sus = rj_obj(doc, "suspect"), *need = rj_obj(teacher, "prompts_needed");
	static const char *const levels[] = { "weak", "moderate", "strong" };
	enum render_verdict rv = render_verdict_of(rj_str(teacher, "verdict"));
	double n, x;
	size_t start = out->len, i;
	int rc = 0;

	if (!teacher)
		return 0;
	if (rj_num(teacher, "n", &n)) {
		rc = pbuf_addf(out, "The comparison rests on %s prompt%s matched between the suspect and %s", rf_num(n).s,
			n == 1 ? "" : "s", rj_str(teacher, "model") ? rj_str(teacher, "model") : "the teacher");
		if (!rc && rj_num(sus, "responses", &x))
			rc = pbuf_addf(out, " (of %s answers by the suspect)", rf_num(x).s);
	}
	if (!rc && rj_obj(teacher, "identical")) {
		rc = pbuf_adds(out, out->len > start ? "; " : "");
		if (!rc)
			rc = render_identical_line(out, teacher);
	}
	{
		const char *unreachable[3];
		size_t nu = 0;

		for (i = 0; i < 3 && !rc && need; i++) {
			enum render_verdict lv = render_verdict_of(levels[i]);

			if (rv != RV_OTHER && rv <= lv)
				continue;   /* reached already */
			/* beyond the ceiling a number of prompts is not advice: more of the same will not do */
			if (rj_num(need, levels[i], &x) && !(rj_num(teacher, "n", &n) && n > 0 &&
				    x > RENDER_NEEDED_CEILING * n))
				rc = pbuf_addf(out, "%sabout %s prompts would be needed for a %s verdict", out->len > start ?
					"; " : "", rf_num(x).s, levels[i]);
			else if (rj_num(need, levels[i], &x) || json_is_null(json_object_get(need, levels[i])))
				unreachable[nu++] = levels[i];
		}
		if (!rc && nu)
			rc = pbuf_addf(out, "%sa %s%s%s verdict is not reachable by collecting more prompts of this kind",
				out->len > start ? "; " : "", unreachable[0], nu > 1 ? " or " : "", nu > 1 ?
				unreachable[nu - 1] : "");
	}
	if (!rc && out->len > start)
		rc = pbuf_adds(out, ".");
	return rc;
}

int render_robustness_line(struct pbuf *out, const json_t *teacher)
{
	const json_t *rob = rj_obj(teacher, "robustness"), *wo = rj_arr(rob, "without");
	size_t i, changed = 0;
	int rc = 0;

	if (!rob)
		return 0;
	if (rj_str(rob, "sentence"))
		return pbuf_adds(out, rj_str(rob, "sentence"));
	for (i = 0; i < json_array_size(wo) && !rc; i++) {
		const json_t *w = rj_at(wo, i);

		if (rj_str(w, "verdict") && rj_str(teacher, "verdict") && strcmp(rj_str(w, "verdict"), rj_str(teacher, "verdict")))
			rc = pbuf_addf(out, "%s%s %s left out, the verdict is %s", changed++ ? "; with " : "With ",
				rj_str(w, "kind") && !strcmp(rj_str(w, "kind"), "family") ? "the family" : "the control",
				rj_str(w, "control") ? rj_str(w, "control") : "?", rj_str(w, "verdict"));
	}
	if (!rc && changed)
		return pbuf_adds(out, ".");
	if (!rc && json_is_true(json_object_get(rob, "stable")))
		rc = pbuf_adds(out, "The verdict is the same with each control and each family of controls left out.");
	return rc;
}

int render_calibration_line(struct pbuf *out, const json_t *teacher)
{
	const json_t *cal = rj_obj(teacher, "calibration");
	double x;
	int rc;

	if (!cal)
		return 0;
	if ((rc = pbuf_addf(out, "Against %s null models (control models scanned in the suspect's place on its "
		    "prompts)", rf_get(cal, "null_models", RF_NUM).s)))
		return rc;
	/* the score of the summary table is this t: one number for one idea */
	if (rj_num(cal, "t", &x))
		rc = pbuf_addf(out, ": score %s (t, df %s); p-value %s, %s after Holm's correction", rf_fix(x, 2).s,
			rf_get(cal, "df", RF_NUM).s, rf_get(cal, "p_value", RF_P).s, rf_get(cal, "p_holm", RF_P).s);
	if (!rc && rj_num(cal, "rank", &x)) {
		double k;

		if (rj_num(cal, "null_models", &k))
			rc = pbuf_addf(out, "; rank %s of %s (the null models and the suspect, 1 the closest to the "
				"teacher; rank p-value %s, exact)", rf_num(x).s, rf_num(k + 1).s, rf_get(cal, "rank_p", RF_P).s);
		else
			rc = pbuf_addf(out, "; rank %s among the null models and the suspect (rank p-value %s, exact)",
				rf_num(x).s, rf_get(cal, "rank_p", RF_P).s);
	}
	if (!rc)
		rc = pbuf_addf(out, ". The suspect's statistic is %s", rf_get(cal, "statistic", RF_FIX2).s);
	if (!rc && rj_num(cal, "position", &x))
		rc = pbuf_addf(out, ", %s null standard deviations above the null models' mean %s (the chart's axis)",
			rf_fix(x, 1).s, rf_get(cal, "null_mean", RF_FIX2).s);
	return rc ? rc : pbuf_adds(out, ".");
}

/* ------------------------------------------------------------------ */
/* The calibration chart's geometry                                     */

/*
 * Upper tail of Student's t with df degrees of freedom, P(T >= t), t >= 0: with t = sqrt(df)
 * tan(a), the tail is c * integral from a to pi/2 of cos(u)^(df - 1) du, whose integrand is
 * smooth; Simpson's rule on 1,000 intervals is far more exact than a chart needs.
 */
static double t_sf(double t, double df)
{
	double a = atan(t / sqrt(df)), b = M_PI / 2, h, sum, c;
	int i, n = 1000;

	if (df > 200)   /* the integrand gets too peaked to sample; the normal is as good here */
		return stat_norm_sf(t);

	c = exp(lgamma((df + 1) / 2) - lgamma(df / 2)) / sqrt(M_PI);
	h = (b - a) / n;
	sum = pow(cos(a), df - 1) + 0;   /* cos(pi/2)^(df-1) is 0 for df > 1 */
	if (df <= 1)
		sum += 1;
	for (i = 1; i < n; i++)
		sum += (i % 2 ? 4 : 2) * pow(cos(a + i * h), df - 1);
	return c * sum * h / 3;
}

double render_position(const json_t *cal, double statistic)
{
	double mean, sd;

	if (!rj_num(cal, "null_mean", &mean) || !rj_num(cal, "null_sd", &sd) || !(sd > 0))
		return NAN;
	return (statistic - mean) / sd;
}

double render_threshold_position(const json_t *teacher, const char *level)
{
	const json_t *cal = rj_obj(teacher, "calibration"), *th = rj_obj(cal, "thresholds");
	double alpha, df, k, p, ph, mult = 1, lo = 0, hi = 1e4, mid;
	int i;

	if (!rj_num(th, level, &alpha) || !rj_num(cal, "df", &df) || !rj_num(cal, "null_models", &k) ||
	    !(df >= 1) || !(k >= 1) || !(alpha > 0 && alpha < 1))
		return NAN;
	/* levels apply to the Holm-corrected p-value: this teacher's factor, recorded or from its own numbers */
	if (rj_num(cal, "holm_factor", &ph) && ph >= 1)
		mult = ph;
	else if (rj_num(cal, "p_value", &p) && rj_num(cal, "p_holm", &ph) && p > 0 && ph >= p && ph < 1)
		mult = ph / p;
	alpha /= mult;
	if (t_sf(0, df) <= alpha)
		return 0;
	for (i = 0; i < 60; i++) {
		mid = (lo + hi) / 2;
		if (t_sf(mid, df) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	/* Crawford-Howell: t = position / sqrt(1 + 1/k) */
	return hi * sqrt(1 + 1 / k);
}


/* ------------------------------------------------------------------ */
/* The own-control test (scan --logged --fresh)                         */

const char render_ownctl_title[] = "Own-control test: logged versus fresh teacher answers";

const char render_ownctl_assumptions[] =
	"The test compares the suspect with itself rather than with other models. For each prompt it "
	"takes the teacher answer that was logged (the answer the suspect is said to have been trained "
	"on) and fresh answers of the same teacher to the same prompt, and counts the word sequences "
	"that the suspect's answer shares with one of these teacher answers and with no other. It "
	"assumes that the logged and the fresh answers come from the same model version with the same "
	"settings (temperature, top-p, system prompt, length limit), so that for each prompt the "
	"logged answer is just one more sample like the fresh ones, and that the fresh answers were "
	"never shown to the suspect (made after its training, never published). Then, if the suspect "
	"was not trained on the logged answers, it cannot be closer to them than to the fresh ones "
	"except by chance, and swapping the logged answer with the fresh ones inside each prompt "
	"gives the exact distribution of the count by chance: the p-value needs no control models.";

const char render_ownctl_breaks[] =
	"What breaks it: fresh answers sampled with other settings or from another model version than "
	"the logged ones (the logged answers then differ from the fresh ones systematically, and the "
	"suspect can be closer to them, or further, for reasons unrelated to training on them); a "
	"suspect that has seen the fresh answers; logged answers that reached the suspect by another "
	"route (a public data set: the test then shows that these answers were used, not how they were "
	"obtained). Prompts that force one answer (a fixed text, a one-word reply) give every teacher "
	"answer the same words: they add nothing either way. A high p-value is no evidence that the "
	"suspect was not trained on the logged answers: a student need not reproduce their wording.";

int render_ownctl_only(const json_t *doc)
{
	return rj_obj(doc, "sample_specific") && !rj_get(doc, "teachers");
}

int render_ownctl_result(struct pbuf *out, const json_t *ss)
{
	double p = 1, m = 0;
	int found = rj_num(ss, "p_value", &p) && p <= RENDER_OWNCTL_ALPHA;
	const char *method = rj_str(ss, "method");

	struct rfmt pf = rf_get(ss, "p_value", RF_P);

	rj_num(ss, "fresh_per_prompt", &m);
	return pbuf_addf(out, "%s: on %s prompts with %s%s fresh teacher answer%s each, the suspect's answers %s: "
		"%s word %s-grams shared with the logged answers and no fresh one, against %s \xc2\xb1 %s "
		"expected if the logged answer were one more fresh sample (z = %s). The %s within-prompt "
		"permutation test gives p %s%s: %s. Effect (the mean per-prompt excess over the fresh answers' "
		"similarity, in standard deviations): %s.",
		found ? "Evidence of training on the logged answers" : "No evidence of training on the logged answers",
		rf_get(ss, "prompts", RF_NUM).s, rj_get(ss, "fresh_per_prompt_max") ? "at least " : "",
		rf_get(ss, "fresh_per_prompt", RF_NUM).s, m == 1 && !rj_get(ss, "fresh_per_prompt_max") ? "" : "s",
		found ? "share more wording with the logged teacher answers, wording that no fresh answer has, "
			"than chance allows" :
			"share no more wording with the logged teacher answers than with the fresh ones, beyond chance",
		rf_get(ss, "statistic", RF_NUM).s, rf_get(ss, "ngram", RF_NUM).s,
		rf_fix(json_number_value(rj_get(ss, "null_mean")), 1).s,
		rf_fix(json_number_value(rj_get(ss, "null_sd")), 1).s, rf_get(ss, "z", RF_FIX2).s,
		method && !strcmp(method, "exact") ? "exact" : "Monte Carlo", pf.s[0] == '<' ? "" : "= ", pf.s,
		found ? "if the suspect had not been trained on the logged answers, a count this large would "
			"arise at most this often" :
			"a count like this is what chance gives when the suspect was not trained on the logged answers",
		rf_get(ss, "effect", RF_FIX2).s);
}

int render_ownctl_method(struct pbuf *out, const json_t *ss)
{
	if (rj_str(ss, "method") && !strcmp(rj_str(ss, "method"), "exact"))
		return pbuf_adds(out, "exact: every relabelling of which teacher answer is the logged one, in "
			"every prompt, counted through the distribution of their sum");
	return pbuf_addf(out, "Monte Carlo: %s random relabellings (seed %s), p = (1 + number at least as "
		"large) / (1 + draws)", rf_get(ss, "draws", RF_NUM).s, rf_get(ss, "seed", RF_NUM).s);
}

int render_ownctl_command(struct pbuf *out, const json_t *doc)
{
	const json_t *ss = rj_obj(doc, "sample_specific"), *sus = rj_obj(doc, "suspect");
	const json_t *fresh = rj_arr(ss, "fresh");
	const char *path = rj_str(sus, "path"), *lp = rj_str(rj_obj(ss, "logged"), "path");
	const char *name = rj_str(sus, "name"), *method = rj_str(ss, "method");
	size_t i;
	int rc;

	if ((rc = pbuf_adds(out, "# the files must still have the SHA-256 digests recorded above\nprovenance scan ")) ||
	    (rc = render_shell_word(out, path ? path : "SUSPECT.jsonl")))
		return rc;
	if (name && ((rc = pbuf_adds(out, " --name ")) || (rc = render_shell_word(out, name))))
		return rc;
	if ((rc = pbuf_adds(out, " \\\n    --logged ")) || (rc = render_shell_word(out, lp ? lp : "LOGGED.jsonl")))
		return rc;
	for (i = 0; i < (fresh ? json_array_size(fresh) : 0); i++) {
		const char *fp = rj_str(rj_at(fresh, i), "path");

		if ((rc = pbuf_adds(out, " --fresh ")) || (rc = render_shell_word(out, fp ? fp : "FRESH.jsonl")))
			return rc;
	}
	if (method && !strcmp(method, "monte_carlo") &&
	    (rc = pbuf_addf(out, " --draws %s --seed %s", rf_get(ss, "draws", RF_NUM).s, rf_get(ss, "seed", RF_NUM).s)))
		return rc;
	return pbuf_addc(out, '\n');
}
