/*
 * report_model.h: the report document ("provenance.report/1") as every renderer
 * reads it: the schema check, typed lookups, number formatting by fixed rules
 * ('.' as the decimal separator whatever the locale), the labels and fixed
 * wording, and the plain-text sentences that both renderers print (escaped by
 * the caller). Implemented in cmd/report_model.c; render_md.c and render_html.c
 * hold only their markup. Pure: no I/O, no clock, no environment.
 */
#ifndef PROV_REPORT_MODEL_H
#define PROV_REPORT_MODEL_H

#include <stddef.h>
#include <jansson.h>

#include "detect/util.h"

#define RENDER_SCHEMA "provenance.report/1"


/* Check every known field's type (and the histogram's shape). 0 or PROV_EDATA. */
int render_validate(const json_t *report);

/* Any value o[key] (NULL when absent or null); borrowed. */
const json_t *rj_get(const json_t *o, const char *key);

/*
 * Lookups on a validated document. A missing key, a JSON null and (defensively)
 * a value of another type all read as absent. Borrowed pointers.
 */
const json_t *rj_obj(const json_t *o, const char *key);
const json_t *rj_arr(const json_t *o, const char *key);
const json_t *rj_strv(const json_t *o, const char *key);     /* a JSON string, or NULL */
const char *rj_str(const json_t *o, const char *key);        /* NUL-terminated, or NULL */
int rj_num(const json_t *o, const char *key, double *out);   /* 1 present, 0 absent */
/* The n-th element of an array if it is an object, else NULL. */
const json_t *rj_at(const json_t *arr, size_t i);

/* A formatted number: a small value, used as `rf_p(x).s` inside one expression. */
struct rfmt {
	char s[48];
};

/*
 * p-values: "5.2e-9", "0.023", "0.88", "1"; below RENDER_P_FLOOR "< 1e-10" (a tail that far
 * out of an approximation over dependent prompts is not a number to quote; the JSON keeps it).
 */
#define RENDER_P_FLOOR 1e-10
struct rfmt rf_p(double p);
/* Rates and proportions (error-rate tables): at most 3 decimals, so 5.55e-17 reads "0". */
struct rfmt rf_rate(double x);
struct rfmt rf_fix(double x, int dec); /* fixed decimals: rf_fix(0.918, 2) = "0.92" */
struct rfmt rf_num(double x);          /* general: "40", "0.31", "18.4", "2.5e-6" */

enum rf_kind {
	RF_P,      /* rf_p */
	RF_FIX2,   /* rf_fix(x, 2) */
	RF_NUM     /* rf_num; JSON integers exactly */
};

/* o[key] formatted by `kind`, or RENDER_ABSENT when it is missing. */
struct rfmt rf_get(const json_t *o, const char *key, enum rf_kind kind);
/* A scalar (string or number) as text: a string's bytes, a number per rf_num; NULL if absent. */
const char *rf_text(const json_t *v, struct rfmt *tmp, size_t *len);

#define RENDER_ABSENT "\xe2\x80\x94"   /* an em dash: "not recorded" in tables */

/*
 * Any JSON value as one line of plain (unescaped) text, appended to *out:
 * strings as they are, numbers per rf_num, arrays "a, b", objects "k: v; k: v".
 */
int render_plain(struct pbuf *out, const json_t *v);
/* As render_plain, with every real number as a rate (rf_rate): the error-rate tables. */
int render_plain_rates(struct pbuf *out, const json_t *v);

#define RENDER_PLAIN_MAX (1 << 16)   /* cap for one value or sentence built as plain text */

/*
 * Sentences both renderers print, as plain (unescaped) text appended to *out;
 * parts whose fields are missing are left out. 0 or PROV_E*.
 */
/* The signal-specific numbers of signals[key] ("similarity to the teacher 0.41, ..."). */
int render_signal_detail(struct pbuf *out, const char *key, const json_t *sig);
/* Prompts in the corpus and how the suspect's responses matched them. */
int render_suspect_line(struct pbuf *out, const json_t *doc);
/* A teacher against the panel mean: "z 6.10, effect 1.10, p-value 5.3e-10". */
int render_panel_line(struct pbuf *out, const json_t *teacher);
/* The null: independent models tested in the suspect's place ("3 independent models, ..."). */
int render_null_line(struct pbuf *out, const json_t *teacher);

/* A column title for a key of an error-rate row ("fpr": "False-positive rate"); NULL if unknown. */
const char *render_rate_label(const char *key);
/*
 * The columns of the error-rate table: the keys of every row in the order they
 * first appear, as a new JSON array of strings (the caller decrefs it); NULL
 * (and PROV_ENOMEM set) when out of memory.
 */
json_t *render_rate_columns(const json_t *rows);

/*
 * Which rates a list of characteristic phrases (signals.phrases.top) carries:
 * 0 per 1,000 words ("suspect_per_1000" ...), 1 shares of answers
 * ("suspect_share" ...); render_phrase_fields[unit] names the three fields.
 */
int render_phrase_unit(const json_t *top);
extern const char *const render_phrase_fields[2][3];
/*
 * Where a characteristic phrase was counted (its "opening" field): "opens the answer", "within
 * the answer", or RENDER_ABSENT; the same words may be listed once for each.
 */
const char *render_phrase_where(const json_t *phrase);

/* The five signals in report order, with the plain-words line that explains each. */
struct render_signal {
	const char *key;     /* "lexical" */
	const char *label;   /* "Word overlap" */
	const char *plain;   /* one sentence for a reader without statistics */
};
extern const struct render_signal render_signals[5];
/* The label for a signal key, or NULL for a key the renderer does not know. */
const struct render_signal *render_signal_find(const char *key);

/* The engine parameters both renderers name, in report order, with their labels. */
struct render_param {
	const char *key;     /* "phrase_min_z" */
	const char *label;   /* "Minimum distinctiveness of a phrase (z)" */
};
extern const struct render_param render_params[];
extern const size_t render_nparams;
/*
 * For a document whose case header says "stored": false (scan --no-store):
 * the sentence that opens the report; NULL for a stored case.
 */
const char *render_unstored_notice(const json_t *doc);

/* Whether the renderers have words for a parameter key (render_params or a verdict level). */
int render_param_known(const char *key);

/* Verdict levels in decreasing strength; RV_OTHER for a word outside the vocabulary. */
enum render_verdict { RV_STRONG, RV_MODERATE, RV_WEAK, RV_INCONCLUSIVE, RV_NONE, RV_OTHER };
enum render_verdict render_verdict_of(const char *s);
/* "strong evidence", ..., "no evidence"; NULL for RV_OTHER. */
const char *render_verdict_words(enum render_verdict v);

/* What the control panel is and why, in one paragraph both renderers print. */
#define RENDER_PANEL_WHY "The control models are every reference model (models of other makers, " \
	"believed not to derive from the teachers) and every teacher of another family. They show how " \
	"similar models that did not copy a teacher look on the same prompts; their independence from " \
	"the teacher is assumed, not proven, and a control that itself derives from the teacher makes " \
	"the test more cautious, not less."

/* Section titles (1 to 6) and fixed paragraphs both renderers print word for word. */
extern const char *const render_sections[6];
extern const char *const render_scope[4];     /* what the report shows and does not show */
extern const char *const render_glossary[4];  /* score, p-value, effect, verdict */

/*
 * If `s` starts with a bidirectional embedding, override or isolate control
 * (U+202A..U+202E, U+2066..U+2069), its length in bytes (3) and *cp; else 0.
 * The renderers show these as "[U+202E]" so that quoted evidence cannot be
 * visually reordered.
 */
size_t render_bidi_control(const char *s, size_t len, unsigned *cp);

/*
 * The conclusion box, as plain text appended to *out (0 or PROV_E*):
 * render_headline: "Strong evidence that the suspect's outputs derive from the openai family
 *   (closest teacher gpt-4o)", "No evidence that ..." ...; nothing without a conclusion.
 * render_headline for none: "Not established: ... at any level the tool states ...; at the weak
 *   level this test missed 12 of 20 documented distillations in validation" (or "unknown").
 * render_validation_words: "No error rate has been established for this corpus ..." or
 *   "Validated on N labelled models (...); at the moderate level (this verdict's), false positives
 *   a/b (95% interval ...), misses c/d (95% interval ...)." with the rates of render_error_level,
 *   and a sentence when error_rates.suspect_labelled says the suspect is a labelled model itself.
 * render_basis_line: the prompts the verdict rests on ("805 prompts matched to gpt-4o's ...")
 *   and, when recorded, how many answers are identical to the teacher's and how many prompts
 *   a stronger verdict would need (beyond RENDER_NEEDED_CEILING times the prompts compared:
 *   "not reachable by collecting more prompts of this kind").
 * render_robustness_line: the robustness sentence (recorded, or made from "without").
 * The teacher the conclusion names (else the first): render_concluded_teacher, or NULL.
 */
int render_headline(struct pbuf *out, const json_t *doc);
int render_validation_words(struct pbuf *out, const json_t *doc);
/*
 * The verdict level whose validated error rates the report quotes: the conclusion's level, or
 * "weak" (the lowest the tool states) for none, inconclusive and unknown verdicts.
 */
const char *render_error_level(const json_t *doc);
/* A teacher's calibrated rank: "1 of 16" (the null models and the suspect); nothing if not recorded. */
int render_rank_words(struct pbuf *out, const json_t *teacher);
/*
 * The descriptive signals that name a family, whatever the verdict: "18 identity traces name
 * openai; 3 refusals use the template of openai (section 3). These point ... not a verdict";
 * nothing when the suspect has none.
 */
int render_descriptive_line(struct pbuf *out, const json_t *doc);
/* Prompts needed beyond this many times the prompts compared are "not reachable" (render_basis_line). */
#define RENDER_NEEDED_CEILING 20
const json_t *render_concluded_teacher(const json_t *doc);
int render_basis_line(struct pbuf *out, const json_t *doc, const json_t *teacher);
int render_robustness_line(struct pbuf *out, const json_t *teacher);
/* The calibration against the null models in one sentence (nothing if not recorded). */
int render_calibration_line(struct pbuf *out, const json_t *teacher);
/* "N of M answers identical to the teacher's (after normalisation)"; nothing if not recorded. */
int render_identical_line(struct pbuf *out, const json_t *teacher);

/*
 * The calibration chart's fixed axis: positions in null standard deviations above the null
 * models' mean, from RENDER_AXIS_LO to RENDER_AXIS_HI whatever the report, so that two
 * reports can be compared. render_position(cal, stat): a statistic's position (NAN if the
 * calibration lacks the null mean or SD); render_threshold_position(teacher, level): where the
 * calibrated statistic reaches the level's corrected p-value threshold (NAN if not computable).
 */
#define RENDER_AXIS_LO (-4.0)
#define RENDER_AXIS_HI 16.0
double render_position(const json_t *cal, double statistic);
double render_threshold_position(const json_t *teacher, const char *level);

/*
 * The own-control test ("sample_specific", scan --logged --fresh): the section's title,
 * its assumptions and what breaks them (fixed text); render_ownctl_only: the document holds
 * that test alone (a scan without a corpus); render_ownctl_result: the result in words, with
 * "Evidence of training ..." when p <= RENDER_OWNCTL_ALPHA; render_ownctl_method: how the
 * p-value was computed. Plain text appended to *out: 0 or PROV_E*.
 */
#define RENDER_OWNCTL_ALPHA 0.01
extern const char render_ownctl_title[];
extern const char render_ownctl_assumptions[];
extern const char render_ownctl_breaks[];
int render_ownctl_only(const json_t *doc);
int render_ownctl_result(struct pbuf *out, const json_t *ss);
int render_ownctl_method(struct pbuf *out, const json_t *ss);
/* The command that runs the own-control test again (sh, one line continued with a backslash). */
int render_ownctl_command(struct pbuf *out, const json_t *doc);

/* Shell-quote a value for a command line shown to the reader ('...' only when needed). */
int render_shell_word(struct pbuf *out, const char *s);

#endif
