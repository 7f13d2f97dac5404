/*
 * lexical.c: see lexical.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/lexical.h"
#include "detect/text.h"

#define BOS_TOKEN 0x5eed0b05u

int grams_all(uint64_t **out, size_t *cap, size_t *nout, const struct feat *f, int maxn, int bos)
{
	size_t ntok = f->ntok, need = ntok * (size_t)maxn + 2, i, k = 0;
	int n;

	if (need > *cap) {
		uint64_t *g = prov_reallocarray(*out, need, sizeof(*g));

		if (!g)
			return PROV_ENOMEM;
		*out = g;
		*cap = need;
	}
	for (n = 1; n <= maxn; n++)
		for (i = 0; i + (size_t)n <= ntok; i++)
			(*out)[k++] = text_ngram_hash(f->tok + i, (size_t)n);
	if (bos && ntok) {
		uint32_t b[3] = { BOS_TOKEN, f->tok[0], ntok > 1 ? f->tok[1] : 0 };

		(*out)[k++] = text_ngram_hash(b, 2) ^ 0xb0b0b0b0b0b0b0b0ULL;
		if (ntok > 1)
			(*out)[k++] = text_ngram_hash(b, 3) ^ 0xb0b0b0b0b0b0b0b0ULL;
	}
	*nout = k;
	return 0;
}

/*
 * The lexical n-grams of an answer. Unigrams and bigrams need no hashing: a
 * token hash, or two packed into 64 bits, is already a key unique to the
 * n-gram (longer ones are hashed).
 */
static int lex_grams(uint64_t **out, size_t *cap, size_t *nout, const struct feat *f, int maxn)
{
	size_t ntok = f->ntok, need = ntok * (size_t)maxn + 1, i, k = 0;
	int n;

	if (need > *cap) {
		uint64_t *g = prov_reallocarray(*out, need, sizeof(*g));

		if (!g)
			return PROV_ENOMEM;
		*out = g;
		*cap = need;
	}
	for (i = 0; i < ntok; i++)
		(*out)[k++] = f->tok[i];
	if (maxn >= 2)
		for (i = 0; i + 1 < ntok; i++)
			(*out)[k++] = (uint64_t)f->tok[i] << 32 | f->tok[i + 1] | (f->tok[i] ? 0 : 1ULL << 63);
	for (n = 3; n <= maxn; n++)
		for (i = 0; i + (size_t)n <= ntok; i++)
			(*out)[k++] = text_ngram_hash(f->tok + i, (size_t)n);
	*nout = k;
	return 0;
}

void lexws_release(struct lexws *ws)
{
	size_t i;

	hmap_release(&ws->map);
	free(ws->df);
	free(ws->last);
	free(ws->pos);
	for (i = 0; i < ws->nslots; i++) {
		free(ws->v[i].idx);
		free(ws->v[i].w);
	}
	free(ws->v);
	free(ws->dense);
	free(ws->grams);
	memset(ws, 0, sizeof(*ws));
}

int lexws_init(struct lexws *ws, size_t nslots)
{
	memset(ws, 0, sizeof(*ws));
	ws->v = prov_calloc(nslots, sizeof(*ws->v));
	if (!ws->v)
		return PROV_ENOMEM;
	ws->nslots = nslots;
	return hmap_init(&ws->map, 4096);
}

static int grow_u32(uint32_t **p, size_t need)
{
	uint32_t *q = prov_reallocarray(*p, need, sizeof(*q));

	if (!q)
		return PROV_ENOMEM;
	*p = q;
	return 0;
}

/* Add answer `slot`'s grams to the table (counts into its vector). */
int lexws_add(struct lexws *ws, size_t slot, const struct feat *f, int maxn)
{
	struct wvec *v = &ws->v[slot];
	size_t ng = 0, i;
	int rc;

	v->n = 0;
	v->norm = 0;
	if (!f)
		return 0;
	if ((rc = lex_grams(&ws->grams, &ws->capgrams, &ng, f, maxn)))
		return rc;
	for (i = 0; i < ng; i++) {
		size_t s;
		uint32_t e;
		int ins = hmap_put(&ws->map, ws->grams[i], (uint32_t)ws->nent, &s);

		if (ins < 0)
			return ins;
		if (ins) {
			if (ws->nent == ws->capent) {
				size_t nc = ws->capent ? ws->capent * 2 : 4096;

				if (grow_u32(&ws->df, nc) || grow_u32(&ws->last, nc) || grow_u32(&ws->pos, nc))
					return PROV_ENOMEM;
				ws->capent = nc;
			}
			e = (uint32_t)ws->nent++;
			ws->df[e] = 0;
			ws->last[e] = UINT32_MAX;
		} else {
			e = ws->map.vals[s];
		}
		if (ws->last[e] != (uint32_t)slot) {
			ws->last[e] = (uint32_t)slot;
			ws->df[e]++;
			if (v->n == v->cap) {
				size_t nc = v->cap ? v->cap * 2 : 256;
				uint32_t *ix = prov_reallocarray(v->idx, nc, sizeof(*ix));
				float *w;

				if (!ix)
					return PROV_ENOMEM;
				v->idx = ix;
				w = prov_reallocarray(v->w, nc, sizeof(*w));
				if (!w)
					return PROV_ENOMEM;
				v->w = w;
				v->cap = nc;
			}
			ws->pos[e] = (uint32_t)v->n;
			v->idx[v->n] = e;
			v->w[v->n] = 1.0f;
			v->n++;
		} else {
			v->w[ws->pos[e]] += 1.0f;
		}
	}
	return 0;
}

/* Turn counts into tf-idf weights, IDF = log(1 + K / df) over the K answers present. */
int lexws_weigh(struct lexws *ws, size_t k_answers)
{
	double idf[64];
	size_t s, i;

	for (i = 1; i < 64; i++)
		idf[i] = log(1.0 + (double)k_answers / (double)i);

	if (ws->nent > ws->capdense) {
		float *d = prov_reallocarray(ws->dense, ws->nent, sizeof(*d));

		if (!d)
			return PROV_ENOMEM;
		/* the scratch must start (and is always left) all zero */
		memset(d + ws->capdense, 0, (ws->nent - ws->capdense) * sizeof(*d));
		ws->dense = d;
		ws->capdense = ws->nent;
	}
	for (s = 0; s < ws->nslots; s++) {
		struct wvec *v = &ws->v[s];
		double norm = 0;

		for (i = 0; i < v->n; i++) {
			uint32_t df = ws->df[v->idx[i]];
			double w = (v->w[i] > 1.0f ? 1.0 + log(v->w[i]) : 1.0) *
				(df < 64 ? idf[df] : log(1.0 + (double)k_answers / (double)df));

			v->w[i] = (float)w;
			norm += w * w;
		}
		v->norm = sqrt(norm);
	}
	return 0;
}

double lexws_cos(struct lexws *ws, size_t a, size_t b)
{
	const struct wvec *va = &ws->v[a], *vb = &ws->v[b];
	double dot = 0;
	size_t i;

	if (!va->n || !vb->n || va->norm <= 0 || vb->norm <= 0)
		return 0;
	for (i = 0; i < va->n; i++)
		ws->dense[va->idx[i]] = va->w[i];
	for (i = 0; i < vb->n; i++) {
		dot += (double)vb->w[i] * (double)ws->dense[vb->idx[i]];
	}
	for (i = 0; i < va->n; i++)
		ws->dense[va->idx[i]] = 0;
	return dot / (va->norm * vb->norm);
}

/* Weighted containment of a's grams in b (share of a's IDF weight that b also has). */
double lexws_containment(struct lexws *ws, size_t a, size_t b)
{
	const struct wvec *va = &ws->v[a], *vb = &ws->v[b];
	double tot = 0, in = 0;
	size_t i;

	if (!va->n)
		return 0;
	for (i = 0; i < vb->n; i++)
		ws->dense[vb->idx[i]] = 1;
	for (i = 0; i < va->n; i++) {
		tot += va->w[i];
		if (ws->dense[va->idx[i]] > 0)
			in += va->w[i];
	}
	for (i = 0; i < vb->n; i++)
		ws->dense[vb->idx[i]] = 0;
	return tot > 0 ? in / tot : 0;
}

void lexws_reset(struct lexws *ws)
{
	hmap_clear(&ws->map);
	ws->nent = 0;
}

void lexws_accumulate(const struct lexws *ws, size_t a, double *acc)
{
	const struct wvec *v = &ws->v[a];
	size_t i;

	if (!v->n || v->norm <= 0)
		return;
	for (i = 0; i < v->n; i++)
		acc[v->idx[i]] += (double)v->w[i] / v->norm;
}

double lexws_dot(const struct lexws *ws, size_t a, const double *acc)
{
	const struct wvec *v = &ws->v[a];
	double dot = 0;
	size_t i;

	if (!v->n || v->norm <= 0)
		return 0;
	for (i = 0; i < v->n; i++)
		dot += (double)v->w[i] * acc[v->idx[i]];
	return dot / v->norm;
}
