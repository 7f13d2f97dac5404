/*
 * ownctl_doc.c: the own-control test on files (scan --logged/--fresh), as the
 * report's "sample_specific" member.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/ownctl_doc.h"
#include "cmd/report_doc.h"
#include "detect/ownctl.h"
#include "detect/text.h"


struct keyed {
	const char *k;
	size_t i;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* The records of s (file index f) sorted by prompt key (by_id: by id, records without one left out). */
static int index_of(struct keyed **out, size_t *n, const struct suspect *const *s, size_t nfiles, int by_id)
{
	size_t f, r, k = 0, total = 0;
	struct keyed *v;

	for (f = 0; f < nfiles; f++)
		total += s[f]->n;
	*out = v = prov_calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return PROV_ENOMEM;
	for (f = 0, total = 0; f < nfiles; total += s[f]->n, f++)
		for (r = 0; r < s[f]->n; r++) {
			const char *key = by_id ? s[f]->recs[r].id : s[f]->recs[r].key;

			if (key) {
				v[k].k = key;
				v[k++].i = total + r;
			}
		}
	qsort(v, k, sizeof(*v), cmp_keyed);
	*n = k;
	return 0;
}

/* The first entry with this key, or n. */
static size_t lower(const struct keyed *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].k, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(v[lo].k, key) ? lo : n;
}

/* Record number g of the concatenated files. */
static const struct srec *rec_at(const struct suspect *const *s, size_t g)
{
	size_t f = 0;

	while (g >= s[f]->n)
		g -= s[f++]->n;
	return &s[f]->recs[g];
}

static json_t *file_json(const struct suspect *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "sha256", json_string(s->sha256));
	json_object_set_new(o, "lines", json_integer(s->lines));
	json_object_set_new(o, "answers", json_integer((json_int_t)s->n));
	return o;
}

struct unit {
	const struct srec *sus, *logged;
	const struct srec *fresh[OWNCTL_MAX_FRESH];
	size_t m;
	double d;       /* sim_0 - mean fresh sim, for ranking the excerpts */
	size_t at;      /* position in the logged file */
};

static int cmp_unit(const void *a, const void *b)
{
	const struct unit *x = *(const struct unit *const *)a, *y = *(const struct unit *const *)b;

	if (x->d != y->d)
		return x->d > y->d ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static json_t *excerpts_json(struct unit *u, const struct ownctl_prompt *p, size_t n)
{
	json_t *arr = json_array();
	struct unit **order = prov_calloc(n ? n : 1, sizeof(*order));
	size_t i, j, shown = 0;

	if (!arr || !order) {
		free(order);
		json_decref(arr);
		return NULL;
	}
	for (i = 0; i < n; i++)
		order[i] = &u[i];
	qsort(order, n, sizeof(*order), cmp_unit);
	for (i = 0; i < n && shown < OWNCTL_EXCERPT_PROMPTS; i++) {
		const struct unit *x = order[i];
		const struct ownctl_prompt *q = &p[x->at];
		json_t *o, *spans;
		double fr = 0;
		char line[32];

		if (!q->nspans || x->d <= 0)
			continue;
		for (j = 1; j <= q->m; j++)
			fr += q->sim[j];
		o = json_object();
		snprintf(line, sizeof(line), "line %ld", x->logged->line);
		json_object_set_new(o, "prompt_id", json_string(x->logged->id ? x->logged->id : line));
		json_object_set_new(o, "prompt", json_stringn(x->logged->prompt, x->logged->prompt_len));
		json_object_set_new(o, "logged_similarity", json_integer(q->sim[0]));
		json_object_set_new(o, "fresh_similarity", json_real(fr / (double)q->m));
		spans = json_array();
		for (j = 0; j < q->nspans && j < OWNCTL_EXCERPT_SPANS; j++) {
			const struct span *sp = &q->spans[j];
			json_t *so = json_object();

			json_object_set_new(so, "tokens", json_integer((json_int_t)sp->ntok));
			json_object_set_new(so, "suspect", report_excerpt(x->sus->response, x->sus->response_len, sp->a_start,
				sp->a_end));
			json_object_set_new(so, "logged", report_excerpt(x->logged->response, x->logged->response_len, sp->b_start,
				sp->b_end));
			json_array_append_new(spans, so);
		}
		json_object_set_new(o, "spans", spans);
		json_array_append_new(arr, o);
		shown++;
	}
	free(order);
	return arr;
}

int ownctl_build(json_t **out, const struct suspect *s, const struct ownctl_opts *o, const struct pat_lib *lib)
{
	struct suspect *logged = NULL, *fresh[OWNCTL_MAX_FILES] = { NULL };
	struct keyed *lk = NULL, *sk = NULL, *si = NULL, *fk = NULL, *fi = NULL;
	size_t nlk = 0, nsk = 0, nsi = 0, nfk = 0, nfi = 0, i, j, n = 0, no_sus = 0, no_fresh = 0;
	struct unit *u = NULL;
	struct ownctl_prompt *p = NULL;
	struct tokens ts = TOKENS_INIT, ta[OWNCTL_MAX_FRESH + 1];
	struct ownctl_result r;
	const struct suspect *one = s;
	json_t *doc = NULL, *arr;
	int rc;

	*out = NULL;
	for (i = 0; i <= OWNCTL_MAX_FRESH; i++)
		ta[i] = (struct tokens)TOKENS_INIT;
	if ((rc = suspect_load_opt(&logged, cmd_input_path(o->logged), lib, SUSPECT_KEEP_DUPLICATES)))
		goto done;
	if (logged->duplicates) {   /* suspect_load keeps the first answer to a prompt: a repeat is an error here */
		rc = prov_error(PROV_EDATA, "%s:%ld: the prompt of line %ld is logged again (one logged answer per"
			" prompt)", logged->path, logged->dup_line, logged->dup_of_line);
		goto done;
	}
	for (i = 0; i < o->nfresh; i++)
		if ((rc = suspect_load_opt(&fresh[i], cmd_input_path(o->fresh[i]), lib, SUSPECT_KEEP_DUPLICATES)))
			goto done;
	if ((rc = index_of(&lk, &nlk, (const struct suspect *const *)&logged, 1, 0)) ||
	    (rc = index_of(&sk, &nsk, &one, 1, 0)) || (rc = index_of(&si, &nsi, &one, 1, 1)) ||
	    (rc = index_of(&fk, &nfk, (const struct suspect *const *)fresh, o->nfresh, 0)) ||
	    (rc = index_of(&fi, &nfi, (const struct suspect *const *)fresh, o->nfresh, 1)))
		goto done;
	for (i = 1; i < nlk; i++)
		if (!strcmp(lk[i].k, lk[i - 1].k)) {
			rc = prov_error(PROV_EDATA, "%s:%ld: the prompt of line %ld is logged again (one logged answer per"
				" prompt)", logged->path, logged->recs[lk[i].i].line, logged->recs[lk[i - 1].i].line);
			goto done;
		}
	u = prov_calloc(logged->n ? logged->n : 1, sizeof(*u));
	p = prov_calloc(logged->n ? logged->n : 1, sizeof(*p));
	if (!u || !p) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < logged->n; i++) {
		const struct srec *l = &logged->recs[i];
		struct unit *x = &u[n];
		const struct keyed *fv = fk;
		size_t nf = nfk, at;

		memset(x, 0, sizeof(*x));
		at = lower(sk, nsk, l->key);

		if (at == nsk && l->id && (at = lower(si, nsi, l->id)) < nsi)
			x->sus = &s->recs[si[at].i];
		else if (at < nsk)
			x->sus = &s->recs[sk[at].i];
		at = lower(fk, nfk, l->key);
		if (at == nfk && l->id) {
			fv = fi;
			nf = nfi;
			at = lower(fi, nfi, l->id);
		}
		for (j = at; j < nf && !strcmp(fv[j].k, fv[at].k); j++) {
			if (x->m == OWNCTL_MAX_FRESH) {
				rc = prov_error(PROV_EDATA, "%s:%ld: more than %d fresh answers to this prompt", logged->path,
					l->line, OWNCTL_MAX_FRESH);
				goto done;
			}
			x->fresh[x->m++] = rec_at((const struct suspect *const *)fresh, fv[j].i);
		}
		if (!x->sus) {
			no_sus++;
			continue;
		}
		if (!x->m) {
			no_fresh++;
			continue;
		}
		x->logged = l;
		x->at = n;
		if ((rc = text_tokenize(&ts, x->sus->response, x->sus->response_len)) ||
		    (rc = text_tokenize(&ta[0], l->response, l->response_len)))
			goto done;
		for (j = 0; j < x->m; j++)
			if ((rc = text_tokenize(&ta[j + 1], x->fresh[j]->response, x->fresh[j]->response_len)))
				goto done;
		if ((rc = ownctl_prompt_score(&p[n], &ts, ta, x->m, OWNCTL_NGRAM, OWNCTL_EXCERPT_SPANS)))
			goto done;
		x->d = p[n].sim[0];
		for (j = 1; j <= x->m; j++)
			x->d -= (double)p[n].sim[j] / (double)x->m;
		n++;
	}
	if (!n) {
		rc = prov_error(PROV_EDATA, "%s: no prompt has a suspect answer (%s), a logged answer and a fresh answer"
			" (prompts are paired by their normalised text, else by id)", logged->path, s->path);
		goto done;
	}
	if ((rc = ownctl_test(&r, p, n, o->draws, o->seed)))
		goto done;
	doc = json_object();
	json_object_set_new(doc, "test", json_string("within-prompt permutation of the logged and fresh answers"));
	json_object_set_new(doc, "method", json_string(r.exact ? "exact" : "monte_carlo"));
	json_object_set_new(doc, "ngram", json_integer(OWNCTL_NGRAM));
	json_object_set_new(doc, "p_value", json_real(r.p));
	json_object_set_new(doc, "effect", json_real(r.effect));
	json_object_set_new(doc, "z", json_real(r.z));
	json_object_set_new(doc, "statistic", json_real(r.statistic));
	json_object_set_new(doc, "null_mean", json_real(r.null_mean));
	json_object_set_new(doc, "null_sd", json_real(r.null_sd));
	json_object_set_new(doc, "mean_logged", json_real(r.mean_logged));
	json_object_set_new(doc, "mean_fresh", json_real(r.mean_fresh));
	json_object_set_new(doc, "prompts", json_integer((json_int_t)n));
	json_object_set_new(doc, "fresh_per_prompt", json_integer((json_int_t)r.fresh_min));
	if (r.fresh_max != r.fresh_min)
		json_object_set_new(doc, "fresh_per_prompt_max", json_integer((json_int_t)r.fresh_max));
	json_object_set_new(doc, "draws", json_integer((json_int_t)r.draws));
	json_object_set_new(doc, "seed", json_integer((json_int_t)r.seed));
	json_object_set_new(doc, "logged_without_suspect", json_integer((json_int_t)no_sus));
	json_object_set_new(doc, "logged_without_fresh", json_integer((json_int_t)no_fresh));
	json_object_set_new(doc, "logged", file_json(logged));
	arr = json_array();
	for (i = 0; i < o->nfresh; i++)
		json_array_append_new(arr, file_json(fresh[i]));
	json_object_set_new(doc, "fresh", arr);
	if (!(arr = excerpts_json(u, p, n))) {
		rc = PROV_ENOMEM;
		goto done;
	}
	json_object_set_new(doc, "excerpts", arr);
	*out = doc;
	doc = NULL;
done:
	json_decref(doc);
	if (p)
		for (i = 0; i < n; i++)
			ownctl_prompt_release(&p[i]);
	free(p);
	free(u);
	free(lk);
	free(sk);
	free(si);
	free(fk);
	free(fi);
	tokens_release(&ts);
	for (i = 0; i <= OWNCTL_MAX_FRESH; i++)
		tokens_release(&ta[i]);
	suspect_free(logged);
	for (i = 0; i < o->nfresh; i++)
		suspect_free(fresh[i]);
	return rc;
}

int ownctl_only_doc(json_t **out, const struct suspect *s, const char *name, json_t *sample_specific,
	const struct pat_lib *lib)
{
	json_t *doc = json_object(), *o;

	*out = NULL;
	if (!doc) {
		json_decref(sample_specific);
		return prov_error(PROV_ENOMEM, "out of memory");
	}
	json_object_set_new(doc, "schema", json_string("provenance.report/1"));
	o = json_object();
	json_object_set_new(o, "stored", json_false());
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(doc, "case", o);
	o = json_object();
	json_object_set_new(o, "name", json_string("provenance"));
	json_object_set_new(o, "version", json_string(PROV_VERSION));
	json_object_set_new(o, "patterns_sha256", json_string(pat_lib_sha256(lib)));
	json_object_set_new(doc, "tool", o);
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "sha256", json_string(s->sha256));
	json_object_set_new(o, "size", json_integer((json_int_t)s->size));
	json_object_set_new(o, "lines", json_integer(s->lines));
	json_object_set_new(o, "responses", json_integer((json_int_t)s->n));
	json_object_set_new(doc, "suspect", o);
	json_object_set_new(doc, "sample_specific", sample_specific);
	*out = doc;
	return 0;
}
