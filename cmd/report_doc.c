/*
 * report_doc.c: the report document (report_doc.h) from a session's scan.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/report_doc.h"
#include "cmd/cmd.h"
#include "cmd/report_model.h"
#include "cmd/lr_evidence.h"
#include "corpus/cases.h"
#include "corpus/jsonl.h"
#include "detect/spans.h"
#include "detect/stats.h"
#include "detect/text.h"

#define SPAN_MIN_TOKENS 8
#define EXCERPT_CONTEXT 90
#define MAX_LISTED 50

static json_t *jnum(double x)
{
	if (!isfinite(x))
		return json_null();
	return json_real(x);
}

double report_sig(double x, int digits)
{
	char buf[64];

	if (!isfinite(x) || x == 0)
		return x;
	snprintf(buf, sizeof(buf), "%.*g", digits, x);
	return strtod(buf, NULL);
}

json_t *report_jsig(double x, int digits)
{
	return jnum(report_sig(x, digits));
}

json_t *report_excerpt(const char *text, size_t len, size_t start, size_t end)
{
	size_t a = start > EXCERPT_CONTEXT ? start - EXCERPT_CONTEXT : 0, b = end + EXCERPT_CONTEXT;
	json_t *o = json_object();

	if (b > len)
		b = len;
	while (a > 0 && a < start && ((unsigned char)text[a] & 0xc0) == 0x80)
		a--;
	if (a > 0)
		while (a < start && text[a - 1] != ' ' && text[a - 1] != '\n')
			a++;
	while (b < len && ((unsigned char)text[b] & 0xc0) == 0x80)
		b++;
	if (b < len)
		while (b > end && text[b] != ' ' && text[b] != '\n')
			b--;
	json_object_set_new(o, "before", json_stringn(text + a, start - a));
	json_object_set_new(o, "match", json_stringn(text + start, end - start));
	json_object_set_new(o, "after", json_stringn(text + end, b - end));
	json_object_set_new(o, "before_truncated", json_boolean(a > 0));
	json_object_set_new(o, "after_truncated", json_boolean(b < len));
	json_object_set_new(o, "start", json_integer((json_int_t)start));   /* byte offsets into the answer */
	json_object_set_new(o, "end", json_integer((json_int_t)end));
	return o;
}

/* The sentence (or up to 300 bytes) of text around [start, end). */
static json_t *quote(const char *text, size_t len, size_t start, size_t end)
{
	if (end > len)
		end = len;
	if (end - start > 300) {
		end = start + 300;
		while (end > start && ((unsigned char)text[end] & 0xc0) == 0x80)
			end--;
	}
	return json_stringn(text + start, end - start);
}

static const char *rec_id(const struct srec *r, char *buf, size_t n)
{
	if (r->id)
		return r->id;
	snprintf(buf, n, "line %ld", r->line);
	return buf;
}

struct ctx {
	struct session *se;
	struct store *reader;            /* where teacher answers are read (se->store, or a worker's own) */
	const struct suspect *s;
	size_t first, count;
	long *pidx;
	uint8_t *fold;
	const struct feat **fp;
	const struct feat *const *resp;  /* the corpus answers the scan reads: se->resp, or the teachers' to its prompts */
	const struct feat **rowbuf;      /* one prompt's answers, read for an excerpt (streamed corpus) */
	long by_id_and_text, by_id, by_text;
};

/* Response row of model m to prompt q, or NULL. */
static const struct store_row *row_of(const struct session *se, size_t q, size_t m)
{
	size_t i = q * se->snap->nmodels + m;

	return se->has[i] ? &se->snap->rows[se->cell[i] - 1] : NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The prompt above an excerpt: whole, or cut at a word boundary before PROMPT_SHOWN bytes with an ellipsis. */
#define PROMPT_SHOWN 400

static json_t *prompt_text(const char *p, size_t len)
{
	size_t n = len;
	json_t *o;
	char *buf;

	if (len <= PROMPT_SHOWN)
		return json_stringn(p, len);
	n = PROMPT_SHOWN;
	while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	{
		size_t sp = n;

		while (sp > PROMPT_SHOWN / 2 && p[sp] != ' ' && p[sp] != '\n')
			sp--;
		if (sp > PROMPT_SHOWN / 2)
			n = sp;
	}
	buf = malloc(n + 4);
	if (!buf)
		return json_null();
	memcpy(buf, p, n);
	memcpy(buf + n, "\xe2\x80\xa6", 3);
	o = json_stringn(buf, n + 3);
	free(buf);
	return o ? o : json_null();
}

/*
 * A passage restates the prompt when most of its words are the prompt's own
 * (in any order: a proposition echoed in LaTeX or reworded still shares its
 * words): such a passage is what every model writes, not evidence of copying.
 */
#define RESTATE_SHARE 0.6

static int restates_prompt(const struct tokens *ts, const struct span *sp, const struct tokens *tp)
{
	size_t i, k, in = 0;

	if (!sp->ntok || !tp->n)
		return 0;
	for (i = sp->a_tok; i < sp->a_tok + sp->ntok && i < ts->n; i++)
		for (k = 0; k < tp->n; k++)
			if (tp->v[k].hash == ts->v[i].hash) {
				in++;
				break;
			}
	return (double)in >= RESTATE_SHARE * (double)sp->ntok;
}

/*
 * Every model's answer to prompt q: the session's, or (a streamed corpus,
 * where a scan keeps only the teachers') read into *L, released by the caller.
 */
static int prompt_row(struct ctx *cx, size_t q, const struct feat *const **row, struct loaded *L)
{
	struct session *se = cx->se;
	size_t nm = se->snap->nmodels;

	memset(L, 0, sizeof(*L));
	if (se->resp) {
		*row = se->resp + q * nm;
		return 0;
	}
	free(cx->rowbuf);
	cx->rowbuf = prov_calloc(nm + 1, sizeof(*cx->rowbuf));
	if (!cx->rowbuf)
		return PROV_ENOMEM;
	*row = cx->rowbuf;
	return session_load_answers(L, se, cx->reader, q, q + 1, -1, cx->rowbuf);
}

static int add_spans(json_t *arr, struct ctx *cx, const struct eng_teacher *et)
{
	struct session *se = cx->se;
	size_t nm = se->snap->nmodels, k, j;
	struct pbuf ttext = PBUF_INIT(0);
	struct tokens ts = TOKENS_INIT, tt = TOKENS_INIT, tp = TOKENS_INIT;
	int rc = 0;

	for (k = 0; k < et->nspans && !rc; k++) {
		long r = et->span_resp[k];
		const struct srec *sr = &cx->s->recs[cx->first + (size_t)r];
		long q = cx->pidx[r];
		const struct store_row *trow;
		uint64_t *common = NULL, *more = NULL;
		size_t ncommon = 0, nmore = 0;
		struct span *sp = NULL;
		size_t nsp = 0;
		char idbuf[32];
		const struct feat *const *row = NULL;
		struct loaded L;

		memset(&L, 0, sizeof(L));
		if (q < 0 || !(trow = row_of(se, (size_t)q, (size_t)et->model)))
			continue;
		if ((rc = store_response_text(cx->reader, trow->response_id, &ttext)) ||
		    (rc = text_tokenize(&ts, sr->response, sr->response_len)) ||
		    (rc = text_tokenize(&tt, ttext.data, ttext.len)) ||
		    (rc = text_tokenize(&tp, sr->prompt, sr->prompt_len)))
			break;
		/* passages the controls or the prompt also contain are not evidence of copying */
		{
			uint32_t *ph = prov_calloc(tp.n + 1, sizeof(*ph));
			size_t i, total = 0;

			if (!ph) {
				rc = PROV_ENOMEM;
				break;
			}
			for (i = 0; i < tp.n; i++)
				ph[i] = tp.v[i].hash;
			rc = spans_ngrams(&common, &ncommon, ph, tp.n, SPAN_MIN_TOKENS);
			free(ph);
			total = ncommon;
			if (!rc)
				rc = prompt_row(cx, (size_t)q, &row, &L);
			for (j = 0; !rc && j < nm; j++) {
				const struct feat *fc = row[j];
				uint64_t *g;

				if (!fc || (int)j == et->model || !strcmp(eng_family(&se->models[j]),
					eng_family(&se->models[et->model])))
					continue;
				if ((rc = spans_ngrams(&more, &nmore, fc->tok, fc->ntok, SPAN_MIN_TOKENS)))
					break;
				g = prov_reallocarray(common, total + nmore + 1, sizeof(*g));
				if (!g) {
					rc = PROV_ENOMEM;
					break;
				}
				common = g;
				memcpy(common + total, more, nmore * sizeof(*more));
				total += nmore;
				free(more);
				more = NULL;
			}
			session_loaded_release(&L);
			if (!rc) {
				qsort(common, total, sizeof(*common), cmp_u64);
				ncommon = total;
			}
		}
		if (!rc)
			rc = spans_find(&sp, &nsp, &ts, &tt, SPAN_MIN_TOKENS, common, ncommon, 4);
		/* the longest passage that does not restate the prompt, verbatim or not */
		for (j = 0; !rc && j < nsp; j++) {
			json_t *o;

			if (restates_prompt(&ts, &sp[j], &tp))
				continue;
			o = json_object();
			json_object_set_new(o, "prompt_id", json_string(rec_id(sr, idbuf, sizeof(idbuf))));
			json_object_set_new(o, "prompt", prompt_text(sr->prompt, sr->prompt_len));
			json_object_set_new(o, "tokens", json_integer((json_int_t)sp[j].ntok));
			json_object_set_new(o, "suspect", report_excerpt(sr->response, sr->response_len, sp[j].a_start, sp[j].a_end));
			json_object_set_new(o, "teacher", report_excerpt(ttext.data, ttext.len, sp[j].b_start, sp[j].b_end));
			json_array_append_new(arr, o);
			break;
		}
		free(sp);
		free(common);
		free(more);
	}
	pbuf_release(&ttext);
	tokens_release(&ts);
	tokens_release(&tt);
	tokens_release(&tp);
	return rc;
}

/* A text as the pattern library sees it (NFC): the text itself, or a normalised copy. */
struct nfcv {
	const char *text;
	size_t len;
	char *buf;
};

static int nfc_view(struct nfcv *v, const char *text, size_t len)
{
	int rc;

	free(v->buf);
	v->buf = NULL;
	if ((rc = pat_nfc(text, len, &v->buf, &v->len)))
		return rc;
	v->text = v->buf ? v->buf : text;
	return 0;
}

static int add_refusal_pairs(json_t *arr, struct ctx *cx, const struct eng_teacher *et)
{
	struct session *se = cx->se;
	struct pbuf ttext = PBUF_INIT(0);
	struct nfcv sv = { NULL, 0, NULL }, tv = { NULL, 0, NULL };
	size_t r;
	int rc = 0;

	for (r = 0; r < cx->count && json_array_size(arr) < 5; r++) {
		const struct srec *sr = &cx->s->recs[cx->first + r];
		const struct feat *fs = cx->fp[r];
		long q = cx->pidx[r];
		const struct store_row *trow;
		struct pat_refusal a, b;
		char idbuf[32];
		json_t *o;

		if (!fs->refused || q < 0 || !(trow = row_of(se, (size_t)q, (size_t)et->model)) ||
		    !cx->resp[(size_t)q * se->snap->nmodels + (size_t)et->model]->refused)
			continue;
		if ((rc = store_response_text(cx->reader, trow->response_id, &ttext)) ||
		    (rc = nfc_view(&sv, sr->response, sr->response_len)) || (rc = nfc_view(&tv, ttext.data, ttext.len)) ||
		    (rc = pat_find_refusal(se->lib, sv.text, sv.len, &a)) ||
		    (rc = pat_find_refusal(se->lib, tv.text, tv.len, &b)))
			break;
		o = json_object();
		json_object_set_new(o, "prompt_id", json_string(rec_id(sr, idbuf, sizeof(idbuf))));
		json_object_set_new(o, "suspect", quote(sv.text, sv.len, a.start, a.end));
		json_object_set_new(o, "teacher", quote(tv.text, tv.len, b.start, b.end));
		json_object_set_new(o, "family", a.family ? json_string(a.family) : json_null());
		json_object_set_new(o, "same_template", json_boolean(a.family && b.family && strcmp(a.family, "generic") &&
			!strcmp(a.family, b.family)));
		json_array_append_new(arr, o);
	}
	pbuf_release(&ttext);
	free(sv.buf);
	free(tv.buf);
	return rc;
}

/* Every identity claim and refusal of the suspect, with quotes (at most MAX_LISTED each). */
static int add_claims_and_refusals(json_t *doc, struct ctx *cx)
{
	json_t *claims = json_array(), *refs = json_array();
	struct nfcv sv = { NULL, 0, NULL };
	size_t r, k;
	int rc = 0;

	json_object_set_new(doc, "identity_claims", claims);
	json_object_set_new(doc, "refusals", refs);
	for (r = 0; r < cx->count && !rc; r++) {
		const struct srec *sr = &cx->s->recs[cx->first + r];
		const struct feat *fs = cx->fp[r];
		char idbuf[32];

		if ((fs->nclaims || fs->refused) && (rc = nfc_view(&sv, sr->response, sr->response_len)))
			break;
		if (fs->nclaims && json_array_size(claims) < MAX_LISTED) {
			struct pat_claim *cl = NULL;
			size_t n = 0;

			if ((rc = pat_find_claims(cx->se->lib, sv.text, sv.len, &cl, &n)))
				break;
			for (k = 0; k < n && json_array_size(claims) < MAX_LISTED; k++) {
				json_t *o = json_object();
				const struct pat_info *pi = pat_lib_pattern(cx->se->lib, (size_t)cl[k].pattern);

				json_object_set_new(o, "prompt_id", json_string(rec_id(sr, idbuf, sizeof(idbuf))));
				json_object_set_new(o, "claims", json_string(cl[k].family));
				json_object_set_new(o, "kind", json_string(cl[k].kind == PAT_CUTOFF ? "cutoff" : "identity"));
				json_object_set_new(o, "strength", json_string(pat_strength_name(cl[k].strength)));
				json_object_set_new(o, "pattern", json_string(pi ? pi->name : "?"));
				json_object_set_new(o, "text", quote(sv.text, sv.len, cl[k].sent_start, cl[k].sent_end));
				json_array_append_new(claims, o);
			}
			free(cl);
		}
		if (fs->refused && json_array_size(refs) < MAX_LISTED) {
			struct pat_refusal a;
			json_t *o;
			const struct pat_info *pi;

			if ((rc = pat_find_refusal(cx->se->lib, sv.text, sv.len, &a)))
				break;
			pi = a.pattern >= 0 ? pat_lib_pattern(cx->se->lib, (size_t)a.pattern) : NULL;
			o = json_object();
			json_object_set_new(o, "prompt_id", json_string(rec_id(sr, idbuf, sizeof(idbuf))));
			json_object_set_new(o, "family", a.family ? json_string(a.family) : json_null());
			json_object_set_new(o, "kind", json_string(pat_shape_name(a.shape)));
			json_object_set_new(o, "pattern", pi ? json_string(pi->name) : json_null());
			json_object_set_new(o, "text", quote(sv.text, sv.len, a.start, a.end));
			json_array_append_new(refs, o);
		}
	}
	free(sv.buf);
	return rc;
}

static int add_identity_evidence(json_t *arr, const json_t *claims, const char *family)
{
	size_t i;
	json_t *c;

	json_array_foreach(claims, i, c) {
		if (json_array_size(arr) >= 5)
			break;
		if (!strcmp(json_string_value(json_object_get(c, "claims")), family))
			json_array_append(arr, c);
	}
	return 0;
}

static json_t *signal_json(const struct eng_sigres *sr, const struct session *se)
{
	json_t *o = json_object();

	json_object_set_new(o, "available", json_boolean(sr->available));
	json_object_set_new(o, "statistic", sr->available ? report_jsig(sr->z, 4) : json_null());
	json_object_set_new(o, "effect", sr->available ? report_jsig(sr->effect, 4) : json_null());
	json_object_set_new(o, "p_value", sr->available ? report_jsig(sr->p, 3) : json_null());
	json_object_set_new(o, "n", json_integer(sr->n));
	json_object_set_new(o, "closest_control", sr->available && sr->closest >= 0 ?
		json_string(se->models[sr->closest].name) : json_null());
	json_object_set_new(o, "panel_statistic", sr->available ? report_jsig(sr->panel_z, 4) : json_null());
	json_object_set_new(o, "panel_effect", sr->available ? report_jsig(sr->panel_effect, 4) : json_null());
	json_object_set_new(o, "panel_p_value", sr->available ? report_jsig(sr->panel_p, 3) : json_null());
	return o;
}

static json_t *distribution(const double *d, size_t n)
{
	json_t *o = json_object(), *edges = json_array(), *counts = json_array();
	long c[12];
	size_t i;
	int k;

	memset(c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		int b = (int)floor(d[i]) + 6;

		c[b < 0 ? 0 : b > 11 ? 11 : b]++;
	}
	for (k = 0; k <= 12; k++)
		json_array_append_new(edges, json_integer(k - 6));
	for (k = 0; k < 12; k++)
		json_array_append_new(counts, json_integer(c[k]));
	json_object_set_new(o, "edges", edges);
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "note", json_string("the suspect's per-prompt statistic D (closer to the teacher than"
		" to the panel, summed over the channels); the first and last bins also hold everything beyond them"));
	return o;
}

static json_t *calibration_json(const struct eng_teacher *et, const struct session *se)
{
	const struct eng_params *p = &se->params;
	json_t *o = json_object(), *a = json_array(), *th = json_object();
	size_t k;

	json_object_set_new(o, "method", json_string("Crawford-Howell single-case t: the suspect's statistic against"
		" the same statistic of each null model (a control model scanned as a suspect on the suspect's prompts,"
		" against the panel without its own family)"));
	json_object_set_new(o, "statistic", report_jsig(et->stat, 4));
	json_object_set_new(o, "null_models", json_integer(et->null_k));
	json_object_set_new(o, "null_mean", report_jsig(et->null_mean, 4));
	json_object_set_new(o, "null_sd", report_jsig(et->null_sd, 4));
	json_object_set_new(o, "t", report_jsig(et->score, 4));
	json_object_set_new(o, "df", jnum(et->df));
	json_object_set_new(o, "p_value", report_jsig(et->p_raw, 3));
	json_object_set_new(o, "p_holm", report_jsig(et->p_holm, 3));
	json_object_set_new(o, "holm_factor", json_integer(et->holm_factor));
	json_object_set_new(o, "rank", json_integer(et->rank));
	json_object_set_new(o, "rank_p", report_jsig(et->rank_p, 3));
	json_object_set_new(o, "position", report_jsig(et->position, 4));
	json_object_set_new(th, "weak", jnum(p->weak_p));
	json_object_set_new(th, "moderate", jnum(p->moderate_p));
	json_object_set_new(th, "strong", jnum(p->strong_p));
	json_object_set_new(o, "thresholds", th);
	for (k = 0; k < et->nnulls; k++) {
		json_t *n = json_object();

		json_object_set_new(n, "model", json_string(se->models[et->nulls[k].model].name));
		json_object_set_new(n, "statistic", report_jsig(et->nulls[k].stat, 4));
		json_object_set_new(n, "prompts", json_integer(et->nulls[k].n));
		json_object_set_new(n, "outlier", json_boolean(et->nulls[k].outlier));
		json_array_append_new(a, n);
	}
	json_object_set_new(o, "null", a);
	return o;
}

/* With a large panel only the controls whose absence changes the verdict are listed. */
#define ROBUST_LIST_ALL 64

static json_t *robustness_json(const struct eng_teacher *et, const struct session *se)
{
	json_t *o = json_object(), *a = json_array();
	size_t k, nmodels = 0, changed = 0;
	char buf[1024];
	int listed_all;

	for (k = 0; k < et->nwithout; k++) {
		nmodels += et->without[k].kind == 0;
		changed += et->without[k].verdict != et->verdict;
	}
	listed_all = nmodels <= ROBUST_LIST_ALL;
	for (k = 0; k < et->nwithout; k++) {
		const struct eng_without *w = &et->without[k];
		json_t *x;

		if (!listed_all && w->kind == 0 && w->verdict == et->verdict)
			continue;
		x = json_object();
		json_object_set_new(x, "control", json_string(w->kind ? eng_family(&se->models[w->model]) :
			se->models[w->model].name));
		json_object_set_new(x, "kind", json_string(w->kind ? "family" : "model"));
		json_object_set_new(x, "verdict", json_string(eng_verdict_name(w->verdict)));
		json_object_set_new(x, "p_value", report_jsig(w->p_holm, 3));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "stable", json_boolean(et->stable));
	json_object_set_new(o, "controls_tested", json_integer((json_int_t)nmodels));
	json_object_set_new(o, "listed", json_string(listed_all ? "all" : "changes only"));
	json_object_set_new(o, "without", a);
	if (!et->nwithout) {
		snprintf(buf, sizeof(buf), "No control could be left out: the verdict has no panel to test.");
	} else if (et->stable) {
		snprintf(buf, sizeof(buf), "The verdict (%s) is the same with each of the %zu control models and each"
			" family of control models left out in turn.", eng_verdict_name(et->verdict), nmodels);
	} else {
		size_t off = 0, shown = 0;

		off += (size_t)snprintf(buf, sizeof(buf), "The verdict (%s) depends on the control panel: ",
			eng_verdict_name(et->verdict));
		for (k = 0; k < et->nwithout && off < sizeof(buf) - 200; k++) {
			const struct eng_without *w = &et->without[k];

			if (w->verdict == et->verdict)
				continue;
			if (shown++ == 4) {
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, "; and %zu more", changed - 4);
				break;
			}
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%swithout %s%s it is %s", shown > 1 ? "; " : "",
				w->kind ? "the family " : "", w->kind ? eng_family(&se->models[w->model]) :
				se->models[w->model].name, eng_verdict_name(w->verdict));
		}
		if (off < sizeof(buf) - 2)
			snprintf(buf + off, sizeof(buf) - off, ".");
	}
	json_object_set_new(o, "sentence", json_string(buf));
	return o;
}

/*
 * Where the suspect stands among the null models for one teacher, in words that match its rank:
 * "closer to T's than all 15 control models", "closer to T's than 9 of the 15 control models",
 * "not closer to T's than any of the 15 control models".
 */
static void standing(char *buf, size_t size, const struct eng_teacher *et, const char *t)
{
	int beaten = et->null_k + 1 - et->rank;

	if (et->null_k <= 0)
		snprintf(buf, size, "compared with %s's without control models", t);
	else if (beaten >= et->null_k)
		snprintf(buf, size, "closer to %s's than those of all %d control models", t, et->null_k);
	else if (beaten > 0)
		snprintf(buf, size, "closer to %s's than those of %d of the %d control models", t, beaten, et->null_k);
	else
		snprintf(buf, size, "not closer to %s's than those of any of the %d control models", t, et->null_k);
}

/*
 * One teacher's sentence for the summary. One statistic throughout the report: the score of the
 * summary table (the calibrated t), the corrected calibrated p-value and, beside it, the rank.
 */
static char *summary_sentence(const struct eng_teacher *et, const struct session *se)
{
	const char *t = se->models[et->model].name;
	char p[48], w[48], pos[384], num[200], buf[1024];

	/* the p-value as the summary table prints it (rf_p), so that the two read the same */
	snprintf(p, sizeof(p), "%s", rf_p(et->p_holm).s);
	snprintf(w, sizeof(w), "%s", rf_p(se->params.weak_p).s);
	standing(pos, sizeof(pos), et, t);
	snprintf(num, sizeof(num), "score %.2f, calibrated p = %s after correction across teachers, rank %d of %d",
		et->score, p, et->rank, et->null_k + 1);
	switch (et->verdict) {
	case V_STRONG:
	case V_MODERATE:
		snprintf(buf, sizeof(buf), "The suspect's answers are %s, each scanned the same way (%s): %s evidence.",
			pos, num, eng_verdict_name(et->verdict));
		break;
	case V_WEAK:
		snprintf(buf, sizeof(buf), "The suspect's answers are %s (%s), but %s: weak evidence.", pos, num,
			et->rank == 1 ? "not by enough for a moderate verdict" : "not closer than every control model");
		break;
	case V_INCONCLUSIVE:
		snprintf(buf, sizeof(buf), "No calibrated verdict for %s: %s (%ld of the suspect's answers paired with"
			" %s's, %d null models; at least %d answers and %d null models are needed): inconclusive.", t,
			et->reason ? et->reason : "too little to compare", et->n, t, et->null_k, se->params.min_prompts,
			se->params.min_null);
		break;
	default:
		/* rank 1 of 16 is closer than every control: "not closer" would contradict the rank */
		if (et->rank < et->null_k + 1)
			snprintf(buf, sizeof(buf), "The suspect's answers are %s (%s), but not significantly so: not by"
				" enough to reach the weak level (corrected p below %s): resemblance not established.", pos, num, w);
		else
			snprintf(buf, sizeof(buf), "The suspect's answers are %s (%s): resemblance not established.", pos, num);
	}
	return prov_strdup(buf);
}

static json_t *parameters_json(const struct session *se)
{
	const struct eng_params *p = &se->params;
	json_t *o = json_object(), *a;

	json_object_set_new(o, "statistic", json_string("mean over the prompts paired with the teacher of D = the"
		" sum over channels of (similarity to the teacher's answer minus the mean similarity to the panel's"
		" answers), each continuous channel divided by its root mean square over the null table"));
	json_object_set_new(o, "controls", json_string("every model outside the teacher's family (for a null model,"
		" also outside its own family)"));
	json_object_set_new(o, "teacher_test", json_string("calibrated with models: the suspect's statistic against"
		" the same statistic of every control model scanned as a suspect on the suspect's prompts"
		" (Crawford-Howell single-case t, one-sided)"));
	json_object_set_new(o, "correction", json_string("Holm across the teachers tested"));
	json_object_set_new(o, "attribution", json_string("descriptive: one-sided sign-flip tests over prompts"
		" against each control (normal approximation for n >= 30, 20000 seeded random sign vectors below);"
		" the closest control is the one with the largest p"));
	a = json_array();
	json_array_append_new(a, json_integer(1));
	json_array_append_new(a, json_integer(p->lex_max_n));
	json_object_set_new(o, "lexical_ngrams", a);
	a = json_array();
	json_array_append_new(a, json_integer(1));
	json_array_append_new(a, json_integer(p->phrase_max_n));
	json_object_set_new(o, "phrase_ngrams", a);
	json_object_set_new(o, "phrase_markers", json_integer(p->phrase_markers));
	json_object_set_new(o, "phrase_min_z", jnum(p->phrase_min_z));
	json_object_set_new(o, "phrase_prior_answers", jnum(p->phrase_prior));
	json_object_set_new(o, "phrase_min_answers", json_integer(p->phrase_min_docs));
	json_object_set_new(o, "span_min_tokens", json_integer(SPAN_MIN_TOKENS));
	json_object_set_new(o, "min_prompts", json_integer(p->min_prompts));
	json_object_set_new(o, "min_median_words", jnum(p->min_tokens));
	json_object_set_new(o, "min_null_models", json_integer(p->min_null));
	a = json_object();
	json_object_set_new(a, "p", jnum(p->strong_p));
	json_object_set_new(a, "rule", json_string("calibrated p after Holm at most this, and the suspect above every"
		" null model"));
	json_object_set_new(o, "strong", a);
	a = json_object();
	json_object_set_new(a, "p", jnum(p->moderate_p));
	json_object_set_new(a, "rule", json_string("calibrated p after Holm at most this, and the suspect above every"
		" null model"));
	json_object_set_new(o, "moderate", a);
	a = json_object();
	json_object_set_new(a, "p", jnum(p->weak_p));
	json_object_set_new(a, "rule", json_string("calibrated p after Holm at most this, statistic above 0"));
	json_object_set_new(o, "weak", a);
	json_object_set_new(o, "outlier_p", jnum(p->outlier_p));
	if (se->nexcluded) {
		size_t k;

		a = json_array();
		for (k = 0; k < se->nexcluded; k++)
			json_array_append_new(a, json_string(se->excluded[k]));
		json_object_set_new(o, "excluded_controls", a);
		json_object_set_new(o, "exclusion", json_string("left out of every panel and of the null by the"
			" investigator (scan --exclude-control); the preparation was computed without them"));
	}
	json_object_set_new(o, "corroborate_p", jnum(p->corroborate_p));
	json_object_set_new(o, "seed", json_integer((json_int_t)p->seed));
	return o;
}

static json_t *limitations_json(void)
{
	json_t *a = json_array();

	json_array_append_new(a, json_string("Similarity of outputs is evidence consistent with derivation, not proof"
		" of copying: shared training data, a shared base model or convergent fine-tuning can also make outputs"
		" similar."));
	json_array_append_new(a, json_string("Identity claims (\"As an AI language model developed by OpenAI\") are a"
		" signal, never proof on their own: many models misname themselves, and models also repeat such claims"
		" from public web text. Each claim is quoted with its prompt and its strength: strong for an explicit"
		" self-identification (\"I am ChatGPT\"), weak for a trace (\"As an AI language model\", \"my knowledge"
		" cutoff is September 2021\")."));
	json_array_append_new(a, json_string("The conclusion is only as good as the control panel: a control that was"
		" itself trained on a teacher's outputs makes the test conservative for that teacher; a panel without"
		" assistants of other families makes it liberal."));
	json_array_append_new(a, json_string("Teachers of one family are not told apart reliably: a model distilled"
		" from one of them usually resembles its siblings too. The family is the more reliable conclusion."));
	json_array_append_new(a, json_string("Sampling settings (temperature, system prompts) of the suspect and of"
		" the corpus models are unknown to the tool and change how similar answers look."));
	return a;
}

/*
 * The "Known error rates" section: the latest validation recorded for this
 * corpus snapshot, tool version and pattern library, from the group (whole
 * files or slices) whose size is closest to the number of answers scanned.
 */
/*
 * The suspect as a labelled model of the validation: the validation's suspects[] entry whose model is
 * the suspect's name (validate stores labelled models by name), as {model, family, derived,
 * matched_by}; NULL when it is not one of them.
 */
static json_t *labelled_suspect(const json_t *vdoc, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(vdoc, "suspects"), i, v) {
		const char *m = json_string_value(json_object_get(v, "model"));
		const char *fam = json_string_value(json_object_get(v, "family"));
		json_t *o;
		int derived;

		if (!m || !name || strcmp(m, name))
			continue;
		/* validate: derived = not a reference left out and a family other than "none" */
		derived = fam && strcmp(fam, "none") && strcmp(fam, "reference (left out)");
		o = json_object();
		json_object_set_new(o, "model", json_string(m));
		if (derived)
			json_object_set_new(o, "family", json_string(fam));
		json_object_set_new(o, "derived", json_boolean(derived));
		json_object_set_new(o, "matched_by", json_string("name"));
		return o;
	}
	return NULL;
}

static int error_rates(json_t **out, struct session *se, struct store *reader, size_t count, const char *name)
{
	struct pbuf res = PBUF_INIT(0);
	char created[32], buf[1024], vhash[PROV_SHA256_HEX] = "";
	int64_t vid = 0;
	json_t *o = json_object(), *doc = NULL, *g, *best = NULL, *rows, *row;
	size_t i;
	double bestd = INFINITY;
	int rc;

	*out = o;
	rc = store_validation_latest_hash(reader, se->snap->sha256, PROV_VERSION, pat_lib_sha256(se->lib), &vid, created,
		&res, vhash);
	if (rc < 0) {
		pbuf_release(&res);
		return rc;
	}
	if (rc == 1) {
		json_error_t err;

		doc = json_loadb(res.data, res.len, 0, &err);
	}
	pbuf_release(&res);
	json_array_foreach(json_object_get(doc, "groups"), i, g) {
		double m = json_number_value(json_object_get(g, "mean_prompts"));
		const char *test = json_string_value(json_object_get(g, "test"));

		if (test && strcmp(test, "standard"))
			continue;   /* the leave-out tests are reported by validate, not cited per verdict */
		double d = m > 0 && count > 0 ? fabs(log(m / (double)count)) : (double)INFINITY;

		if (d < bestd) {
			bestd = d;
			best = g;
		}
	}
	if (!best) {
		json_object_set_new(o, "status", json_string("none"));
		json_object_set_new(o, "statement", json_string("No validation of this tool version against this corpus"
			" snapshot has been recorded (provenance validate LABELS.tsv); no error rate is established for"
			" these verdicts."));
		json_decref(doc);
		return 0;
	}
	json_object_set_new(o, "status", json_string("available"));
	json_object_set_new(o, "validation", json_integer(vid));
	json_object_set_new(o, "validation_sha256", json_string(vhash));   /* its hash in the validation chain */
	json_object_set_new(o, "validated_at", json_string(created));
	json_object_set_new(o, "group", json_copy(json_object_get(best, "name")));
	snprintf(buf, sizeof(buf), "Validation %lld (%s) measured this tool version on this corpus snapshot with %lld"
		" labelled suspects (%lld derived, %lld independent), as %s (%lld samples of about %.0f prompts, the size"
		" closest to this scan's %zu). Rates are per verdict level with Wilson 95%% intervals; \"wrong family\""
		" counts derived suspects attributed to another family.", (long long)vid, created,
		(long long)json_integer_value(json_object_get(json_object_get(doc, "labels"), "suspects")),
		(long long)json_integer_value(json_object_get(json_object_get(doc, "labels"), "positives")),
		(long long)json_integer_value(json_object_get(json_object_get(doc, "labels"), "negatives")),
		json_string_value(json_object_get(best, "name")),
		(long long)json_integer_value(json_object_get(best, "samples")),
		json_number_value(json_object_get(best, "mean_prompts")), count);
	json_object_set_new(o, "statement", json_string(buf));
	rows = json_array();
	json_array_foreach(json_object_get(best, "levels"), i, row) {
		json_t *r = json_object();
		static const char *const keys[] = { "verdict", "tpr", "tpr_low", "tpr_high", "fpr", "fpr_low", "fpr_high",
			"positives", "negatives", "misattributed" };
		size_t k;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			json_object_set(r, keys[k], json_object_get(row, keys[k]) ? json_object_get(row, keys[k]) : json_null());
		json_array_append_new(rows, r);
	}
	json_object_set_new(o, "rows", rows);
	{
		json_t *lab = labelled_suspect(doc, name);

		if (lab)
			json_object_set_new(o, "suspect_labelled", lab);
	}
	json_object_set(o, "auc_family", json_object_get(best, "auc_family") ? json_object_get(best, "auc_family") :
		json_null());
	json_decref(doc);
	return 0;
}

int analyse(json_t **out, struct session *se, const struct suspect *s, size_t first, size_t count,
	const char *name, const char *const *teachers, size_t nteachers)
{
	return analyse_with(out, se, se->store, s, first, count, name, teachers, nteachers);
}
/* collect's evidence, when the input carries it: distinct served models and sampling settings. */
static void suspect_collection_json(json_t *o, const struct suspect *s, size_t first, size_t count)
{
	json_t *models = json_array(), *samp = json_array(), *seen = json_object();
	size_t i;

	for (i = first; i < first + count; i++) {
		const struct srec *r = &s->recs[i];

		if (r->served_model && !json_object_get(seen, r->served_model) && json_array_size(models) < 16) {
			json_array_append_new(models, json_string(r->served_model));
			json_object_set_new(seen, r->served_model, json_true());
		}
		if (r->sampling_json && !json_object_get(seen, r->sampling_json) && json_array_size(samp) < 16) {
			json_array_append_new(samp, json_loads(r->sampling_json, 0, NULL));
			json_object_set_new(seen, r->sampling_json, json_true());
		}
	}
	if (json_array_size(models))
		json_object_set(o, "served_models", models);
	if (json_array_size(samp))
		json_object_set(o, "sampling", samp);
	json_decref(models);
	json_decref(samp);
	json_decref(seen);
}


int analyse_with(json_t **out, struct session *se, struct store *reader, const struct suspect *s, size_t first,
	size_t count, const char *name, const char *const *teachers, size_t nteachers)
{
	struct ctx cx;
	struct eng_suspect es;
	struct eng_corpus corp;
	struct loaded held;
	const struct feat **local = NULL;
	struct eng_result *res = NULL;
	json_t *doc = NULL, *tarr, *o, *models;
	int *tidx = NULL, *ttested = NULL, rc = 0;
	size_t i, j, nm = se->snap->nmodels, ntested = 0, nuntested = 0, nhidden = 0, most = 0;
	long *shared = NULL;
	uint8_t *hide = NULL;
	struct session *base = se;
	char buf[1024];

	*out = NULL;
	memset(&cx, 0, sizeof(cx));
	memset(&held, 0, sizeof(held));
	cx.se = se;
	cx.reader = reader;
	cx.s = s;
	cx.first = first;
	cx.count = count;
	cx.pidx = prov_calloc(count + 1, sizeof(*cx.pidx));
	cx.fold = prov_calloc(count + 1, sizeof(*cx.fold));
	cx.fp = prov_calloc(count + 1, sizeof(*cx.fp));
	tidx = prov_calloc(nteachers + 1, sizeof(*tidx));
	ttested = prov_calloc(nm + 1, sizeof(*ttested));
	shared = prov_calloc(nm + 1, sizeof(*shared));
	hide = prov_calloc(nm + 1, 1);
	if (!cx.pidx || !cx.fold || !cx.fp || !tidx || !ttested || !shared || !hide) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < nteachers; i++) {
		tidx[i] = -1;
		for (j = 0; j < nm; j++)
			if (!strcmp(se->models[j].name, teachers[i]))
				tidx[i] = (int)j;
		if (tidx[i] < 0 || !se->models[tidx[i]].teacher) {
			rc = prov_error(PROV_ENOTFOUND, "no teacher named \"%s\" in the corpus (see: provenance corpus list)",
				teachers[i]);
			goto done;
		}
	}
	for (i = 0; i < count; i++) {
		const struct srec *sr = &s->recs[first + i];
		enum store_match how;

		cx.fp[i] = &s->feats[first + i];
		cx.pidx[i] = store_snapshot_match(se->snap, sr->id, sr->key, &how);
		cx.fold[i] = session_fold(sr->key);
		if (how == MATCH_ID_AND_TEXT)
			cx.by_id_and_text++;
		else if (how == MATCH_ID)
			cx.by_id++;
		else if (how == MATCH_TEXT)
			cx.by_text++;
	}
	/*
	 * A model that answered fewer than min_prompts of the suspect's prompts
	 * takes no part in this scan: not tested as a teacher, no control, no null
	 * model, hidden from the preparation (session_hiding), listed once in
	 * "not_tested" (docs/method.md, "Models that share too few prompts").
	 */
	for (i = 0; i < count; i++)
		if (cx.pidx[i] >= 0)
			for (j = 0; j < nm; j++)
				shared[j] += se->has[(size_t)cx.pidx[i] * nm + j];
	for (j = 0; j < nm; j++) {
		int wanted = se->models[j].teacher;

		if (nteachers) {
			wanted = 0;
			for (i = 0; i < nteachers; i++)
				wanted |= tidx[i] == (int)j;
		}
		hide[j] = shared[j] < se->params.min_prompts;
		nhidden += hide[j];
		if (wanted && hide[j])
			nuntested++;
		else if (wanted)
			ttested[ntested++] = (int)j;
		if (wanted && (size_t)shared[j] > most)
			most = (size_t)shared[j];
	}
	if (se->prep && ntested && nhidden && (rc = session_hiding(&se, base, reader, hide)))
		goto done;
	cx.se = se;
	corp = se->corpus;
	cx.resp = se->resp;
	doc = json_object();
	json_object_set_new(doc, "schema", json_string("provenance.report/1"));
	o = json_object();
	json_object_set_new(o, "name", json_string("provenance"));
	json_object_set_new(o, "version", json_string(PROV_VERSION));
	json_object_set_new(o, "engine", json_string(ENG_VERSION));
	json_object_set_new(o, "patterns_sha256", json_string(pat_lib_sha256(se->lib)));
	json_object_set_new(doc, "tool", o);
	json_object_set_new(doc, "parameters", parameters_json(se));
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "sha256", json_string(s->sha256));
	json_object_set_new(o, "size", json_integer((json_int_t)s->size));
	json_object_set_new(o, "lines", json_integer(s->lines));
	if (first != 0 || count != s->n) {
		json_object_set_new(o, "slice_first", json_integer((json_int_t)first));
		json_object_set_new(o, "slice_count", json_integer((json_int_t)count));
	}
	json_object_set_new(o, "responses", json_integer((json_int_t)count));
	json_object_set_new(o, "matched", json_integer(cx.by_id_and_text + cx.by_id + cx.by_text));
	json_object_set_new(o, "matched_by_id", json_integer(cx.by_id_and_text + cx.by_id));
	json_object_set_new(o, "matched_by_id_only", json_integer(cx.by_id));
	json_object_set_new(o, "matched_by_text", json_integer(cx.by_text));
	json_object_set_new(o, "unmatched", json_integer((json_int_t)count - cx.by_id_and_text - cx.by_id - cx.by_text));
	if (s->duplicates > 0)   /* records that asked a prompt again: counted, never scanned twice */
		json_object_set_new(o, "repeated_prompts", json_integer((json_int_t)s->duplicates));
	suspect_collection_json(o, s, first, count);
	json_object_set_new(doc, "suspect", o);
	o = json_object();
	json_object_set_new(o, "snapshot_sha256", json_string(se->snap->sha256));
	json_object_set_new(o, "prompts", json_integer((json_int_t)se->snap->nprompts));
	models = json_array();
	for (j = 0; j < nm; j++) {
		json_t *m = json_object();
		size_t q, cnt = 0;

		for (q = 0; q < base->snap->nprompts; q++)
			cnt += base->has[q * nm + j];
		json_object_set_new(m, "model", json_string(se->models[j].name));
		json_object_set_new(m, "family", se->models[j].family ? json_string(se->models[j].family) : json_null());
		json_object_set_new(m, "role", json_string(se->models[j].teacher ? "teacher" : "reference"));
		json_object_set_new(m, "responses", json_integer((json_int_t)cnt));
		json_array_append_new(models, m);
	}
	json_object_set_new(o, "models", models);
	json_object_set_new(doc, "corpus", o);
	if (se->prep) {
		json_t *nt = json_array();

		for (j = 0; j < nm; j++) {
			json_t *m;

			if (!hide[j])
				continue;
			m = json_object();
			json_object_set_new(m, "model", json_string(se->models[j].name));
			json_object_set_new(m, "family", se->models[j].family ? json_string(se->models[j].family) :
				json_null());
			json_object_set_new(m, "role", json_string(se->models[j].teacher ? "teacher" : "reference"));
			json_object_set_new(m, "shared_prompts", json_integer(shared[j]));
			snprintf(buf, sizeof(buf), "not tested: shares %ld prompt%s with the suspect (at least %d are needed"
				" to take part)", shared[j], shared[j] == 1 ? "" : "s", se->params.min_prompts);
			json_object_set_new(m, "reason", json_string(buf));
			json_array_append_new(nt, m);
		}
		json_object_set_new(doc, "not_tested", nt);
	}
	if ((rc = add_claims_and_refusals(doc, &cx)))
		goto done;
	tarr = json_array();
	json_object_set_new(doc, "teachers", tarr);
	es.n = count;
	es.resp = (const struct feat *const *)cx.fp;
	es.prompt = cx.pidx;
	es.fold = cx.fold;
	if (se->prep && ntested) {
		/* a streamed corpus: the answers to the suspect's prompts, read through this worker's connection */
		if ((rc = session_scan(&res, se, cx.reader, &corp, &es, &held, &local, ttested, ntested)))
			goto done;
		if (local)
			cx.resp = local;
		json_object_set_new(o, "median_words", jnum(res->median_tokens));
		for (i = 0; i < res->nteachers; i++) {
			const struct eng_teacher *et = &res->t[i];
			const struct eng_model *tm = &se->models[et->model];
			json_t *t = json_object(), *sg = json_object(), *ev = json_object(), *ctrls = json_array(), *x, *arr;
			char *sum = summary_sentence(et, se);
			size_t k;

			json_object_set_new(t, "model", json_string(tm->name));
			json_object_set_new(t, "family", tm->family ? json_string(tm->family) : json_null());
			json_object_set_new(t, "rank", json_integer((json_int_t)i + 1));
			json_object_set_new(t, "score", report_jsig(et->score, 4));
			json_object_set_new(t, "p_value", report_jsig(et->p_holm, 3));
			json_object_set_new(t, "p_raw", report_jsig(et->p_raw, 3));
			json_object_set_new(t, "effect", report_jsig(et->effect, 4));
			json_object_set_new(t, "verdict", json_string(eng_verdict_name(et->verdict)));
			json_object_set_new(t, "reason", et->reason ? json_string(et->reason) : json_null());
			json_object_set_new(t, "n", json_integer(et->n));
			x = json_object();
			json_object_set_new(x, "count", json_integer(et->identical));
			json_object_set_new(x, "of", json_integer(et->n));
			json_object_set_new(t, "identical", x);
			json_object_set_new(t, "corroborating_signals", json_integer(et->corroborating));
			json_object_set_new(t, "closest_control", et->closest >= 0 ?
				json_string(se->models[et->closest].name) : json_null());
			json_object_set_new(t, "summary", sum ? json_string(sum) : json_null());
			free(sum);
			json_object_set_new(t, "calibration", calibration_json(et, se));
			json_object_set_new(t, "robustness", robustness_json(et, se));
			x = json_array();
			for (k = 0; k < et->nnulls; k++) {
				json_t *c;

				if (!et->nulls[k].outlier)
					continue;
				c = json_object();
				json_object_set_new(c, "model", json_string(se->models[et->nulls[k].model].name));
				json_object_set_new(c, "statistic", report_jsig(et->nulls[k].stat, 4));
				json_object_set_new(c, "t", report_jsig(et->nulls[k].t, 4));
				json_object_set_new(c, "p_value", report_jsig(et->nulls[k].p, 3));
				json_array_append_new(x, c);
			}
			json_object_set_new(t, "contaminated_controls", x);
			x = json_object();
			json_object_set_new(x, "moderate", et->needed_moderate >= 0 ? json_integer(et->needed_moderate) :
				json_null());
			json_object_set_new(x, "strong", et->needed_strong >= 0 ? json_integer(et->needed_strong) : json_null());
			json_object_set_new(t, "prompts_needed", x);
			x = json_object();
			json_object_set_new(x, "z", report_jsig(et->panel_z, 4));
			json_object_set_new(x, "effect", report_jsig(et->panel_effect, 4));
			json_object_set_new(x, "p_value", report_jsig(et->panel_p, 3));
			json_object_set_new(t, "panel", x);
			for (k = 0; k < et->ncontrols; k++) {
				json_t *c = json_object();

				json_object_set_new(c, "model", json_string(se->models[et->controls[k].model].name));
				json_object_set_new(c, "z", report_jsig(et->controls[k].z, 4));
				json_object_set_new(c, "effect", report_jsig(et->controls[k].effect, 4));
				json_object_set_new(c, "p_value", report_jsig(et->controls[k].p, 3));
				json_object_set_new(c, "n", json_integer(et->controls[k].n));
				json_array_append_new(ctrls, c);
			}
			json_object_set_new(t, "controls", ctrls);
			for (k = 0; k < SIG_COUNT; k++)
				json_object_set_new(sg, eng_signal_name((enum eng_signal)k), signal_json(&et->sig[k], se));
			x = json_object_get(sg, "lexical");
			json_object_set_new(x, "similarity_teacher", report_jsig(et->lex_teacher, 4));
			json_object_set_new(x, "similarity_controls", report_jsig(et->lex_controls, 4));
			json_object_set_new(x, "containment", report_jsig(et->containment, 4));
			x = json_object_get(sg, "phrases");
			arr = json_array();
			for (k = 0; k < et->nphrases; k++) {
				const struct eng_phrase *ph = &et->phrases[k];
				const struct srec *sr = &s->recs[first + (size_t)ph->resp];
				struct tokens tk = TOKENS_INIT;
				json_t *po = json_object();

				if ((rc = text_tokenize(&tk, sr->response, sr->response_len))) {
					json_decref(po);
					json_decref(t);
					json_decref(sg);
					json_decref(ev);
					goto done;
				}
				if (ph->tokpos + ph->n <= tk.n && ph->n) {
					char *norm = NULL;
					size_t a = tk.v[ph->tokpos].start, b = tk.v[ph->tokpos + ph->n - 1].end;

					if (!text_normalize_phrase(&norm, sr->response + a, b - a))
						json_object_set_new(po, "phrase", json_string(norm));
					free(norm);
					/* as the suspect wrote it (accents, final sigma, capitals), for the reader */
					json_object_set_new(po, "surface", json_stringn(sr->response + a, b - a));
				}
				tokens_release(&tk);
				json_object_set_new(po, "opening", json_boolean(ph->opening));
				json_object_set_new(po, "suspect_share", report_jsig(ph->suspect_rate, 3));
				json_object_set_new(po, "teacher_share", report_jsig(ph->teacher_rate, 3));
				json_object_set_new(po, "controls_share", report_jsig(ph->control_rate, 3));
				json_array_append_new(arr, po);
			}
			json_object_set_new(x, "top", arr);
			x = json_object_get(sg, "style");
			json_object_set_new(x, "opener_agreement", report_jsig(et->open_teacher, 4));
			json_object_set_new(x, "opener_agreement_controls", report_jsig(et->open_controls, 4));
			arr = json_array();
			for (k = 0; k < et->nstyle; k++) {
				json_t *so = json_object();

				json_object_set_new(so, "name", json_string(feat_style_name((size_t)et->style[k].dim)));
				json_object_set_new(so, "suspect", report_jsig(et->style[k].suspect, 3));
				json_object_set_new(so, "teacher", report_jsig(et->style[k].teacher, 3));
				json_object_set_new(so, "controls", report_jsig(et->style[k].controls, 3));
				json_array_append_new(arr, so);
			}
			json_object_set_new(x, "features", arr);
			x = json_object_get(sg, "refusal");
			json_object_set_new(x, "suspect_refusals", json_integer(et->suspect_refusals));
			json_object_set_new(x, "shared_with_teacher", json_integer(et->shared_refusals));
			json_object_set_new(x, "same_template", json_integer(et->same_template));
			x = json_object_get(sg, "identity");
			json_object_set_new(x, "suspect_claims", json_integer(et->suspect_claims));
			json_object_set_new(x, "control_rate", report_jsig(et->control_claim_rate, 3));
			json_object_set_new(t, "signals", sg);
			json_object_set_new(t, "distribution", distribution(et->dist, et->ndist));
			arr = json_array();
			json_object_set_new(ev, "spans", arr);
			if (i < 3 || et->verdict == V_STRONG || et->verdict == V_MODERATE || et->verdict == V_WEAK)
				rc = add_spans(arr, &cx, et);
			arr = json_array();
			json_object_set_new(ev, "refusals", arr);
			if (!rc)
				rc = add_refusal_pairs(arr, &cx, et);
			arr = json_array();
			json_object_set_new(ev, "identity", arr);
			if (!rc)
				rc = add_identity_evidence(arr, json_object_get(doc, "identity_claims"), eng_family(tm));
			json_object_set_new(t, "evidence", ev);
			json_array_append_new(tarr, t);
			if (rc)
				goto done;
		}
	}
	o = json_object();
	if (res && res->conclusion >= 0) {
		const struct eng_teacher *et = &res->t[res->conclusion];
		const struct eng_model *tm = &se->models[et->model];

		json_object_set_new(o, "teacher", json_string(tm->name));
		json_object_set_new(o, "family", tm->family ? json_string(tm->family) : json_null());
		json_object_set_new(o, "verdict", json_string(eng_verdict_name(et->verdict)));
		snprintf(buf, sizeof(buf), "Of the teachers in the corpus, the suspect's answers resemble %s's (family %s)"
			" beyond what the %d control models, each scanned the same way, show (score %.2f, calibrated p = %s"
			" after correction across teachers, rank %d of %d): %s evidence that the suspect's outputs derive"
			" from that family. This is a statement about similarity of outputs, not proof of copying.",
			tm->name, eng_family(tm), et->null_k, et->score, rf_p(et->p_holm).s, et->rank,
			et->null_k + 1, eng_verdict_name(et->verdict));
		if (nuntested) {
			size_t l = strlen(buf);

			snprintf(buf + l, sizeof(buf) - l, " %zu of the corpus's %zu teachers were tested; %zu share%s fewer"
				" than %d prompts with the suspect and take no part (see \"Not tested\").", ntested,
				ntested + nuntested, nuntested, nuntested == 1 ? "s" : "", se->params.min_prompts);
		}
	} else {
		enum eng_verdict v = res ? res->verdict : V_INCONCLUSIVE;
		int null_short = 0;

		/* every teacher tested but none with enough null models: the panel, not the suspect, is short */
		for (i = 0; res && i < res->nteachers; i++)
			if (res->t[i].n >= se->params.min_prompts && res->t[i].null_k < se->params.min_null)
				null_short++;
		json_object_set_new(o, "teacher", json_null());
		json_object_set_new(o, "family", json_null());
		json_object_set_new(o, "verdict", json_string(eng_verdict_name(v)));
		if (!se->prep)
			snprintf(buf, sizeof(buf), "No teacher comparison was possible: the corpus holds no teacher. The"
				" identity claims and refusal templates below need no corpus.");
		else if (!ntested) {
			json_object_set_new(o, "cause", json_string("no_shared_prompts"));
			snprintf(buf, sizeof(buf), "No teacher could be tested: none of the %zu teacher%s shares at least %d"
				" of the suspect's prompts (the most any shares: %zu): inconclusive. Ask the suspect the corpus"
				" prompts (provenance corpus prompts).", nuntested, nuntested == 1 ? "" : "s",
				se->params.min_prompts, most);
		} else if (v == V_INCONCLUSIVE && res && null_short && null_short == (int)res->nteachers) {
			json_object_set_new(o, "cause", json_string("no_controls"));
			if (!res->references)
				snprintf(buf, sizeof(buf), "No calibrated test was possible: the corpus holds no control"
					" (reference) models that answered the suspect's prompts, and the teachers of other"
					" families are too few to stand in for them (at least %d null models are needed):"
					" inconclusive. Import reference models, each with its maker as family (provenance"
					" corpus import --role reference --family MAKER FILE).", se->params.min_null);
			else
				snprintf(buf, sizeof(buf), "No calibrated test was possible: too few control models answered"
					" the suspect's prompts (%d reference model%s; at least %d null models are needed):"
					" inconclusive. Import more reference models, each with its maker as family (provenance"
					" corpus import --role reference --family MAKER FILE).", res->references,
					res->references == 1 ? "" : "s", se->params.min_null);
		} else if (v == V_INCONCLUSIVE)
			snprintf(buf, sizeof(buf), "Too few of the suspect's answers could be compared with the corpus:"
				" inconclusive. Ask the suspect the corpus prompts (provenance corpus prompts).");
		else if (nuntested)
			snprintf(buf, sizeof(buf), "The resemblance of the suspect's answers to those of the %zu teacher%s"
				" tested was not established: no calibrated p-value reaches the weak level (below %g after"
				" correction across teachers). This is not a finding that the suspect is independent of them:"
				" the test can miss distillations (see the validation line), and the descriptive signals in"
				" section 3 are not part of it. %zu other teacher%s could not be tested: %s fewer than %d"
				" prompts with the suspect (see \"Not tested\").", ntested, ntested == 1 ? "" : "s",
				se->params.weak_p, nuntested, nuntested == 1 ? "" : "s",
				nuntested == 1 ? "it shares" : "they share", se->params.min_prompts);
		else
			snprintf(buf, sizeof(buf), "The resemblance of the suspect's answers to any teacher's in this corpus"
				" was not established: no teacher's calibrated p-value reaches the weak level (below %g after"
				" correction across teachers). This is not a finding that the suspect is independent of them:"
				" the test can miss distillations (see the validation line), and the descriptive signals in"
				" section 3 are not part of it.", se->params.weak_p);
	}
	json_object_set_new(o, "statement", json_string(buf));
	json_object_set_new(doc, "conclusion", o);
	if ((rc = error_rates(&o, se, cx.reader, count, name)))
		goto done;
	json_object_set_new(doc, "error_rates", o);
	if ((rc = lr_evidence_add(doc, cx.reader, se->snap->sha256, PROV_VERSION, pat_lib_sha256(se->lib), count)))
		goto done;
	json_object_set_new(doc, "limitations", limitations_json());
	o = json_array();
	if (!se->prep)
		/* as README says: every model, teacher or reference, with its maker as family; plain text (no
		   backticks: a note is untrusted-text escaped, and a code span would show its backslashes) */
		json_array_append_new(o, json_string(nm ? "The corpus holds no teacher, only references: import at least one"
			" teacher with: provenance corpus import --role teacher --family MAKER FILE (MAKER: the teacher's"
			" maker, for example openai)." :
			"Teacher comparison needs a corpus: import teachers and reference (control) models that answered the"
			" same prompts, each with its maker as family: provenance corpus import --role teacher --family"
			" MAKER FILE, and provenance corpus import --role reference --family MAKER FILE (for example"
			" --family meta for a Llama model); then scan again."));
	if (cx.by_id)
		json_array_append_new(o, json_string("Some prompts were matched by id although their text differs from the"
			" stored prompt (suspect.matched_by_id_only)."));
	json_object_set_new(doc, "notes", o);
	o = json_array();
	if (res && se->prep) {
		if (res->references < 5) {
			snprintf(buf, sizeof(buf), "The panel holds %d reference model%s; at least 5 are advised: with few"
				" controls the calibrated test has little power and its null is poorly estimated.",
				res->references, res->references == 1 ? "" : "s");
			json_array_append_new(o, json_string(buf));
		}
		if (res->makers < 3) {
			snprintf(buf, sizeof(buf), "The references come from %d maker%s (families); at least 3 are advised, so"
				" that no single lineage sets the null.", res->makers, res->makers == 1 ? "" : "s");
			json_array_append_new(o, json_string(buf));
		}
		for (i = 0; i < res->nteachers; i++) {
			const struct eng_teacher *et = &res->t[i];
			size_t k;

			for (k = 0; k < et->nnulls; k++)
				if (et->nulls[k].outlier) {
					snprintf(buf, sizeof(buf), "Control model %s looks derived from teacher %s itself (scanned as"
						" a suspect against the other %d null models: t = %.1f, p = %.2g): a contaminated control"
						" makes the test conservative for that teacher.", se->models[et->nulls[k].model].name,
						se->models[et->model].name, et->null_k - 1, et->nulls[k].t, et->nulls[k].p);
					json_array_append_new(o, json_string(buf));
				}
		}
	}
	json_object_set_new(doc, "warnings", o);
done:
	eng_result_free(res);
	session_loaded_release(&held);
	free(local);
	free(cx.pidx);
	free(cx.fold);
	free(cx.fp);
	free(cx.rowbuf);
	free(tidx);
	free(ttested);
	free(shared);
	free(hide);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
