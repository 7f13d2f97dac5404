/*
 * engine.c: the detection engine (see engine.h and docs/method.md).
 *
 * Layout of this file:
 *   1. small containers: u64 radix sort, an open-addressing hash map
 *   2. n-gram generation from token hashes
 *   3. per-prompt similarity: lexical cosine with prompt-local IDF, style, openers, refusals
 *   4. phrases: cross-fitted characteristic n-grams (log-odds, informative Dirichlet prior)
 *   5. the composite test against each control, intersection-union, panel mean
 *   6. eng_prepare: corpus-only work, including the null effects of the panel's own models
 *   7. eng_scan: one suspect
 *   8. encoding of the preparation (the cache)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine.h"
#include "detect/stats.h"
#include "detect/text.h"

enum { CH_LEX, CH_STY, CH_OPEN, CH_PHR, CH_REF, CH_IDN, CH_COUNT };
enum { PAIR_LEX, PAIR_STY, PAIR_OPEN, PAIR_REF, PAIR_COUNT };

/* Which channels make up each reported signal. */
static const unsigned signal_channels[SIG_COUNT] = {
	[SIG_LEXICAL] = 1u << CH_LEX,
	[SIG_PHRASES] = 1u << CH_PHR,
	[SIG_STYLE] = (1u << CH_STY) | (1u << CH_OPEN),
	[SIG_REFUSAL] = 1u << CH_REF,
	[SIG_IDENTITY] = 1u << CH_IDN,
};
#define ALL_CHANNELS ((1u << CH_COUNT) - 1)

#define BOS_TOKEN 0x5eed0b05u
#define RATE_SMOOTH 50.0

void eng_params_default(struct eng_params *p)
{
	memset(p, 0, sizeof(*p));
	p->lex_max_n = 2;
	p->phrase_max_n = 3;
	p->phrase_markers = 300;
	p->phrase_min_z = 2.0;
	p->phrase_prior = 20.0;
	p->phrase_min_docs = 3;
	p->min_prompts = 20;
	p->min_tokens = 5;
	p->strong_p = 1e-6;
	p->moderate_p = 1e-3;
	p->weak_p = 0.05;
	p->strong_effect = 0.2;
	p->moderate_effect = 0.1;
	p->corroborate = 2;
	p->corroborate_p = 0.05;
	p->seed = 20261128;
}

const char *eng_verdict_name(enum eng_verdict v)
{
	switch (v) {
	case V_STRONG: return "strong";
	case V_MODERATE: return "moderate";
	case V_WEAK: return "weak";
	case V_INCONCLUSIVE: return "inconclusive";
	default: return "none";
	}
}

const char *eng_signal_name(enum eng_signal s)
{
	static const char *const names[SIG_COUNT] = { "lexical", "phrases", "style", "refusal", "identity" };

	return (unsigned)s < SIG_COUNT ? names[s] : "?";
}

const char *eng_family(const struct eng_model *m)
{
	return m->family && m->family[0] ? m->family : m->name;
}

static int same_family(const struct eng_corpus *c, size_t a, size_t b)
{
	return !strcmp(eng_family(&c->models[a]), eng_family(&c->models[b]));
}

/* ---------------------------------------------------------------- 1. containers */

static void radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t count[256], pass, i;

	for (pass = 0; pass < 8; pass++) {
		unsigned shift = (unsigned)pass * 8;
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(a[i] >> shift) & 255]++;
		for (i = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 255]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}

/* Open addressing, linear probing, power-of-two capacity; key 0 is "empty". */
struct hmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

static uint64_t hkey(uint64_t k)
{
	return k ? k : 1;
}

static int hmap_init(struct hmap *m, size_t expect)
{
	size_t cap = 16;

	while (cap < expect * 2)
		cap *= 2;
	m->keys = prov_calloc(cap, sizeof(*m->keys));
	m->vals = prov_calloc(cap, sizeof(*m->vals));
	m->cap = cap;
	m->n = 0;
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		m->keys = NULL;
		m->vals = NULL;
		return PROV_ENOMEM;
	}
	return 0;
}

static void hmap_release(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

static void hmap_clear(struct hmap *m)
{
	memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->n = 0;
}

/* Find the slot of key; *found says whether it is occupied by key. */
static size_t hmap_slot(const struct hmap *m, uint64_t key, int *found)
{
	size_t mask = m->cap - 1, i = (size_t)(key ^ (key >> 29)) & mask;

	key = hkey(key);
	while (m->keys[i]) {
		if (m->keys[i] == key) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = 0;
	return i;
}

static int hmap_grow(struct hmap *m)
{
	struct hmap bigger;
	size_t i;
	int rc;

	if ((rc = hmap_init(&bigger, m->cap)))
		return rc;
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			int f;
			size_t s = hmap_slot(&bigger, m->keys[i], &f);

			bigger.keys[s] = m->keys[i];
			bigger.vals[s] = m->vals[i];
			bigger.n++;
		}
	}
	hmap_release(m);
	*m = bigger;
	return 0;
}

/* Insert key if absent; *slot_out receives its slot. 1 if inserted, 0 if present, <0 error. */
static int hmap_put(struct hmap *m, uint64_t key, uint32_t val, size_t *slot_out)
{
	int found, rc;
	size_t s;

	if ((m->n + 1) * 2 > m->cap && (rc = hmap_grow(m)))
		return rc;
	s = hmap_slot(m, key, &found);
	*slot_out = s;
	if (found)
		return 0;
	m->keys[s] = hkey(key);
	m->vals[s] = val;
	m->n++;
	return 1;
}

static int hmap_get(const struct hmap *m, uint64_t key, uint32_t *val)
{
	int found;
	size_t s;

	if (!m->cap)
		return 0;
	s = hmap_slot(m, key, &found);
	if (found)
		*val = m->vals[s];
	return found;
}

/* ---------------------------------------------------------------- 2. n-grams */

/*
 * All n-grams of lengths 1..maxn of a token sequence, plus (bos) the first one
 * and two tokens marked as the opening of the answer. *out is grown as needed.
 */
static int make_grams(uint64_t **out, size_t *cap, size_t *nout, const struct feat *f, int maxn, int bos)
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
static int make_lex_grams(uint64_t **out, size_t *cap, size_t *nout, const struct feat *f, int maxn)
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

/* Sort and deduplicate in place; returns the new length. */
static size_t sort_unique(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t i, k = 0;

	radix_sort_u64(a, tmp, n);
	for (i = 0; i < n; i++)
		if (k == 0 || a[i] != a[k - 1])
			a[k++] = a[i];
	return k;
}

/* ---------------------------------------------------------------- 3. per-prompt similarity */

/* A weighted sparse vector over the entries of a per-prompt gram table. */
struct wvec {
	uint32_t *idx;
	float *w;
	size_t n, cap;
	double norm;
};

/* The lexical workspace for one prompt: up to nslots answers. */
struct lexws {
	struct hmap map;            /* gram -> entry */
	uint32_t *df;               /* per entry: answers containing it */
	uint32_t *last;             /* per entry: last answer that counted it */
	uint32_t *pos;              /* per entry: position in that answer's vector */
	size_t nent, capent;
	struct wvec *v;
	size_t nslots;
	float *dense;               /* scratch: per entry weight of one answer */
	size_t capdense;
	uint64_t *grams;
	size_t capgrams;
};

static void lexws_release(struct lexws *ws)
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

static int lexws_init(struct lexws *ws, size_t nslots)
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
static int lexws_add(struct lexws *ws, size_t slot, const struct feat *f, int maxn)
{
	struct wvec *v = &ws->v[slot];
	size_t ng = 0, i;
	int rc;

	v->n = 0;
	v->norm = 0;
	if (!f)
		return 0;
	if ((rc = make_lex_grams(&ws->grams, &ws->capgrams, &ng, f, maxn)))
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
static int lexws_weigh(struct lexws *ws, size_t k_answers)
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

static double lexws_cos(struct lexws *ws, size_t a, size_t b)
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
static double lexws_containment(struct lexws *ws, size_t a, size_t b)
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

static void lexws_reset(struct lexws *ws)
{
	hmap_clear(&ws->map);
	ws->nent = 0;
}

static double style_cos(const float *za, const float *zb)
{
	double dot = 0, na = 0, nb = 0;
	size_t i;

	for (i = 0; i < FEAT_STYLE_DIM; i++) {
		dot += (double)za[i] * zb[i];
		na += (double)za[i] * za[i];
		nb += (double)zb[i] * zb[i];
	}
	return na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0;
}

static double open_match(const struct feat *a, const struct feat *b)
{
	return (a->ntok && a->opener == b->opener ? 1.0 : 0.0) + (a->ntok && a->closer == b->closer ? 1.0 : 0.0);
}

static double refusal_agree(const struct feat *a, const struct feat *b)
{
	return feat_refusal_agreement(a, b);
}

/* ---------------------------------------------------------------- 4. phrases */

/* Per fold: for every candidate phrase of any teacher, its answer counts in every model. */
struct cand {
	uint64_t gram;
	uint32_t *count;            /* nmodels */
};

struct foldstats {
	size_t ncand;
	uint64_t *gram;             /* ncand, sorted */
	uint32_t *count;            /* ncand * nmodels */
	uint32_t *answers;          /* nmodels: answers in this fold */
};

struct markers {
	size_t n;
	uint64_t *gram;             /* the characteristic phrases, best first */
	float *z;
	float *rate_t, *rate_c;     /* share of teacher / control answers using it */
	struct hmap set;            /* gram -> rank */
};

static void markers_release(struct markers *mk)
{
	free(mk->gram);
	free(mk->z);
	free(mk->rate_t);
	free(mk->rate_c);
	hmap_release(&mk->set);
	memset(mk, 0, sizeof(*mk));
}

struct zg {
	double z;
	size_t i;
};

static int cmp_zg(const void *a, const void *b)
{
	const struct zg *x = a, *y = b;

	if (x->z > y->z)
		return -1;
	if (x->z < y->z)
		return 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * The characteristic phrases of teacher t against the controls (every model
 * of another family, except `exclude`), by the log-odds ratio with an
 * informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) on answer
 * frequencies: presence in an answer is the event, the prior is the pooled
 * rate of teacher and controls with strength `prior` answers.
 */
static int select_markers(struct markers *out, const struct foldstats *fs, const struct eng_corpus *c,
	size_t t, long exclude, const struct eng_params *p)
{
	size_t nm = c->nmodels, i, m, keep = 0;
	double nt = fs->answers[t], nc = 0;
	struct zg *cand = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (m = 0; m < nm; m++)
		if ((long)m != exclude && !same_family(c, m, t))
			nc += fs->answers[m];
	if (nt < 1 || nc < 1)
		return hmap_init(&out->set, 16);
	cand = prov_calloc(fs->ncand ? fs->ncand : 1, sizeof(*cand));
	if (!cand)
		return PROV_ENOMEM;
	for (i = 0; i < fs->ncand; i++) {
		const uint32_t *cnt = fs->count + i * nm;
		double a = cnt[t], b = 0, pi, a1, a2, delta, var;

		if (a < p->phrase_min_docs)
			continue;
		for (m = 0; m < nm; m++)
			if ((long)m != exclude && !same_family(c, m, t))
				b += cnt[m];
		pi = (a + b) / (nt + nc);
		a1 = p->phrase_prior * pi + 0.5;
		a2 = p->phrase_prior * (1 - pi) + 0.5;
		delta = log((a + a1) / (nt - a + a2)) - log((b + a1) / (nc - b + a2));
		var = 1 / (a + a1) + 1 / (nt - a + a2) + 1 / (b + a1) + 1 / (nc - b + a2);
		cand[keep].z = delta / sqrt(var);
		cand[keep].i = i;
		if (cand[keep].z > p->phrase_min_z)
			keep++;
	}
	qsort(cand, keep, sizeof(*cand), cmp_zg);
	if (keep > (size_t)p->phrase_markers)
		keep = (size_t)p->phrase_markers;
	out->n = keep;
	out->gram = prov_calloc(keep ? keep : 1, sizeof(*out->gram));
	out->z = prov_calloc(keep ? keep : 1, sizeof(*out->z));
	out->rate_t = prov_calloc(keep ? keep : 1, sizeof(*out->rate_t));
	out->rate_c = prov_calloc(keep ? keep : 1, sizeof(*out->rate_c));
	if (!out->gram || !out->z || !out->rate_t || !out->rate_c || hmap_init(&out->set, keep + 8)) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < keep; i++) {
		const uint32_t *cnt = fs->count + cand[i].i * nm;
		double b = 0;
		size_t s;

		for (m = 0; m < nm; m++)
			if ((long)m != exclude && !same_family(c, m, t))
				b += cnt[m];
		out->gram[i] = fs->gram[cand[i].i];
		out->z[i] = (float)cand[i].z;
		out->rate_t[i] = (float)(cnt[t] / nt);
		out->rate_c[i] = (float)(b / nc);
		if (hmap_put(&out->set, out->gram[i], (uint32_t)i, &s) < 0) {
			rc = PROV_ENOMEM;
			goto done;
		}
	}
done:
	free(cand);
	if (rc)
		markers_release(out);
	return rc;
}

/* Occurrences of the markers per 1000 n-grams of an answer (smoothed for short answers). */
static double marker_rate(const struct markers *mk, const uint64_t *grams, size_t ng)
{
	size_t i, hits = 0;
	uint32_t v;

	if (!mk->n)
		return 0;
	for (i = 0; i < ng; i++)
		if (hmap_get(&mk->set, grams[i], &v))
			hits++;
	return 1000.0 * (double)hits / ((double)ng + RATE_SMOOTH);
}

static void foldstats_release(struct foldstats *fs)
{
	free(fs->gram);
	free(fs->count);
	free(fs->answers);
	memset(fs, 0, sizeof(*fs));
}

/*
 * Count, for fold f, in how many answers of each model every phrase appears,
 * keeping only phrases that some teacher uses in at least min_docs answers.
 */
static int build_foldstats(struct foldstats *fs, const struct eng_corpus *c, const struct eng_params *p, int f)
{
	size_t nm = c->nmodels, np = c->nprompts, m, q, i;
	uint64_t **uniq = NULL, *grams = NULL, *tmp = NULL, *cand = NULL;
	size_t *nuniq = NULL, capg = 0, captmp = 0, ncand = 0, capcand = 0;
	int rc = 0;

	memset(fs, 0, sizeof(*fs));
	uniq = prov_calloc(nm, sizeof(*uniq));
	nuniq = prov_calloc(nm, sizeof(*nuniq));
	fs->answers = prov_calloc(nm, sizeof(*fs->answers));
	if (!uniq || !nuniq || !fs->answers) {
		rc = PROV_ENOMEM;
		goto done;
	}
	/* per model: the sorted list of (answer-unique) grams with repetition across answers */
	for (m = 0; m < nm; m++) {
		size_t cap = 0, n = 0;

		for (q = 0; q < np; q++) {
			const struct feat *ft = c->resp[q * nm + m];
			size_t ng = 0, k;

			if (!ft || c->fold[q] != f)
				continue;
			fs->answers[m]++;
			if ((rc = make_grams(&grams, &capg, &ng, ft, p->phrase_max_n, 1)))
				goto done;
			if (ng > captmp) {
				uint64_t *t2 = prov_reallocarray(tmp, ng, sizeof(*t2));

				if (!t2) {
					rc = PROV_ENOMEM;
					goto done;
				}
				tmp = t2;
				captmp = ng;
			}
			ng = sort_unique(grams, tmp, ng);
			if (n + ng > cap) {
				size_t nc = (n + ng) * 2;
				uint64_t *u = prov_reallocarray(uniq[m], nc, sizeof(*u));

				if (!u) {
					rc = PROV_ENOMEM;
					goto done;
				}
				uniq[m] = u;
				cap = nc;
			}
			for (k = 0; k < ng; k++)
				uniq[m][n++] = grams[k];
		}
		nuniq[m] = n;
		if (n > captmp) {
			uint64_t *t2 = prov_reallocarray(tmp, n, sizeof(*t2));

			if (!t2) {
				rc = PROV_ENOMEM;
				goto done;
			}
			tmp = t2;
			captmp = n;
		}
		if (n)
			radix_sort_u64(uniq[m], tmp, n);
		/* a teacher's phrases used in >= min_docs answers are candidates */
		if (c->models[m].teacher) {
			for (i = 0; i < n;) {
				size_t j = i;

				while (j < n && uniq[m][j] == uniq[m][i])
					j++;
				if (j - i >= (size_t)p->phrase_min_docs) {
					if (ncand == capcand) {
						size_t nc = capcand ? capcand * 2 : 4096;
						uint64_t *cc = prov_reallocarray(cand, nc, sizeof(*cc));

						if (!cc) {
							rc = PROV_ENOMEM;
							goto done;
						}
						cand = cc;
						capcand = nc;
					}
					cand[ncand++] = uniq[m][i];
				}
				i = j;
			}
		}
	}
	if (ncand > captmp) {
		uint64_t *t2 = prov_reallocarray(tmp, ncand, sizeof(*t2));

		if (!t2) {
			rc = PROV_ENOMEM;
			goto done;
		}
		tmp = t2;
		captmp = ncand;
	}
	ncand = ncand ? sort_unique(cand, tmp, ncand) : 0;
	fs->ncand = ncand;
	fs->gram = cand;
	cand = NULL;
	fs->count = prov_calloc(ncand ? ncand * nm : 1, sizeof(*fs->count));
	if (!fs->count) {
		rc = PROV_ENOMEM;
		goto done;
	}
	/* merge-walk every model's sorted list against the candidates */
	for (m = 0; m < nm; m++) {
		size_t a = 0, b = 0;

		while (a < ncand && b < nuniq[m]) {
			if (fs->gram[a] < uniq[m][b]) {
				a++;
			} else if (fs->gram[a] > uniq[m][b]) {
				b++;
			} else {
				fs->count[a * nm + m]++;
				b++;
			}
		}
	}
done:
	if (uniq)
		for (m = 0; m < nm; m++)
			free(uniq[m]);
	free(uniq);
	free(nuniq);
	free(grams);
	free(tmp);
	free(cand);
	if (rc)
		foldstats_release(fs);
	return rc;
}

/* ---------------------------------------------------------------- 5. the composite test */

/*
 * Channel values for one (suspect, teacher) pair: per unit (prompt), the value
 * against the teacher and against each control; NAN where not available.
 */
struct chan {
	size_t nunits, nctrl, cap;
	float *vt;                  /* nunits * CH_COUNT */
	float *vc;                  /* nunits * nctrl * CH_COUNT */
};

static int chan_reset(struct chan *ch, size_t nunits, size_t nctrl)
{
	size_t need = nunits * (nctrl ? nctrl : 1) * CH_COUNT;

	if (need > ch->cap) {
		float *a = prov_reallocarray(ch->vt, nunits * CH_COUNT + 1, sizeof(*a)), *b;

		if (!a)
			return PROV_ENOMEM;
		ch->vt = a;
		b = prov_reallocarray(ch->vc, need, sizeof(*b));
		if (!b)
			return PROV_ENOMEM;
		ch->vc = b;
		ch->cap = need;
	}
	ch->nunits = 0;
	ch->nctrl = nctrl;
	return 0;
}

static void chan_release(struct chan *ch)
{
	free(ch->vt);
	free(ch->vc);
	memset(ch, 0, sizeof(*ch));
}

/* Open a new unit with all values missing; returns its index. */
static size_t chan_unit(struct chan *ch)
{
	size_t u = ch->nunits++, k;

	for (k = 0; k < CH_COUNT; k++)
		ch->vt[u * CH_COUNT + k] = NAN;
	for (k = 0; k < ch->nctrl * CH_COUNT; k++)
		ch->vc[u * ch->nctrl * CH_COUNT + k] = NAN;
	return u;
}

#define VT(ch, u, k) ((ch)->vt[(u) * CH_COUNT + (k)])
#define VC(ch, u, j, k) ((ch)->vc[((u) * (ch)->nctrl + (j)) * CH_COUNT + (k)])

/*
 * The unit each channel's differences are measured in before the channels are
 * summed. Continuous similarities (lexical, style, phrase rates) are divided
 * by their root mean square over the prompts. Counts (a shared opener or
 * closer, a shared refusal template, an identity claim) count in their own
 * unit: one occurrence is one. Dividing a count that is non-zero on one prompt
 * in hundreds by its root mean square would give that single prompt the
 * weight of sqrt(n) standard units.
 */
static const int channel_is_count[CH_COUNT] = {
	[CH_LEX] = 0, [CH_STY] = 0, [CH_PHR] = 0, [CH_OPEN] = 1, [CH_REF] = 1, [CH_IDN] = 1,
};

struct tests {
	struct stat_test *ctrl;     /* per control */
	struct stat_test panel;
	size_t closest;             /* the binding control: largest p, then smallest z */
	int any;
};

/*
 * Channel k of unit u for control j, or (j == nc) the mean over the controls
 * that have it. 0 when there is no value.
 */
static int ctrl_value(const struct chan *ch, size_t u, size_t j, size_t k, double *out)
{
	size_t m, have = 0;
	double c = 0;

	if (j < ch->nctrl) {
		*out = VC(ch, u, j, k);
		return !isnan(*out);
	}
	for (m = 0; m < ch->nctrl; m++)
		if (!isnan(VC(ch, u, m, k))) {
			c += VC(ch, u, m, k);
			have++;
		}
	if (!have)
		return 0;
	*out = c / (double)have;
	return 1;
}

/*
 * Run the composite test over the channels in `mask`: for each control, each
 * channel's differences are divided by their root mean square and summed per
 * unit; the sign-flip test of the sums gives z and p. The same against the
 * mean of the controls gives the panel test. The binding control of the
 * intersection-union test is the one with the largest p. `dist` (may be NULL)
 * receives the per-unit sums against it.
 */
static int composite(struct tests *out, const struct chan *ch, unsigned mask, uint64_t seed, double *work,
	double **dist, size_t *ndist)
{
	size_t nu = ch->nunits, nc = ch->nctrl, j, u, k;
	double rms[CH_COUNT];
	int have_best = 0;

	out->any = 0;
	out->closest = 0;
	for (j = 0; j <= nc; j++) {
		/* j == nc: the panel mean */
		size_t cnt[CH_COUNT], n = 0;
		struct stat_test *st = j < nc ? &out->ctrl[j] : &out->panel;

		memset(cnt, 0, sizeof(cnt));
		for (k = 0; k < CH_COUNT; k++)
			rms[k] = 0;
		for (u = 0; u < nu; u++) {
			for (k = 0; k < CH_COUNT; k++) {
				double t = VT(ch, u, k), c, d;

				if (!(mask & (1u << k)) || isnan(t) || !ctrl_value(ch, u, j, k, &c))
					continue;
				d = t - c;
				rms[k] += d * d;
				cnt[k]++;
			}
		}
		for (k = 0; k < CH_COUNT; k++)
			rms[k] = !cnt[k] || rms[k] <= 0 ? 0 : channel_is_count[k] ? 1.0 : sqrt(rms[k] / (double)cnt[k]);
		for (u = 0; u < nu; u++) {
			double sum = 0;
			int have = 0;

			for (k = 0; k < CH_COUNT; k++) {
				double t = VT(ch, u, k), c;

				if (!(mask & (1u << k)) || isnan(t) || rms[k] <= 0 || !ctrl_value(ch, u, j, k, &c))
					continue;
				sum += (t - c) / rms[k];
				have = 1;
			}
			if (have)
				work[n++] = sum;
		}
		stat_signflip(st, work, n, seed + j);
		if (n)
			out->any = 1;
		if (j < nc && n && (!have_best || st->p > out->ctrl[out->closest].p ||
				    (st->p == out->ctrl[out->closest].p && st->z < out->ctrl[out->closest].z))) {
			have_best = 1;
			out->closest = j;
			if (dist) {
				double *dd = prov_reallocarray(*dist, n ? n : 1, sizeof(*dd));

				if (!dd)
					return PROV_ENOMEM;
				memcpy(dd, work, n * sizeof(*dd));
				*dist = dd;
				*ndist = n;
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- 6. preparation */

static int cmp_double_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct null_effect {
	int n;
	double mean, sd, median, max;
	int max_model;
};

struct eng_prep {
	size_t nmodels, nprompts;
	struct eng_params params;
	float style_mean[FEAT_STYLE_DIM];
	float style_sd[FEAT_STYLE_DIM];
	float *model_style;         /* nmodels * DIM: mean raw style per model */
	float *pair;                /* nprompts * nmodels * nmodels * PAIR_COUNT */
	struct markers *mk;         /* nmodels * 2: teacher t, fold f (empty for references) */
	float *null_eff;            /* nmodels(teacher) * nmodels(pseudo-suspect): effect, NAN if none */
	float *rate;                /* nprompts * nmodels * nmodels: answer (p,m) under teacher t's markers */
	float *mean_rate;           /* nmodels(answer) * nmodels(teacher) * 2(fold) */
	struct null_effect *null;   /* per teacher model */
};

#define PAIR(pr, q, a, b, k) ((pr)->pair[(((q) * (pr)->nmodels + (a)) * (pr)->nmodels + (b)) * PAIR_COUNT + (k)])
#define RATE(pr, q, m, t) ((pr)->rate[((q) * (pr)->nmodels + (m)) * (pr)->nmodels + (t)])
#define MEANRATE(pr, m, t, f) ((pr)->mean_rate[((m) * (pr)->nmodels + (t)) * 2 + (f)])

void eng_prep_free(struct eng_prep *prep)
{
	size_t i;

	if (!prep)
		return;
	if (prep->mk)
		for (i = 0; i < prep->nmodels * 2; i++)
			markers_release(&prep->mk[i]);
	free(prep->mk);
	free(prep->model_style);
	free(prep->pair);
	free(prep->rate);
	free(prep->mean_rate);
	free(prep->null);
	free(prep->null_eff);
	free(prep);
}

static void zscore(float *out, const float *raw, const struct eng_prep *pr)
{
	size_t i;

	for (i = 0; i < FEAT_STYLE_DIM; i++)
		out[i] = pr->style_sd[i] > 0 ? (raw[i] - pr->style_mean[i]) / pr->style_sd[i] : 0.0f;
}

static int prep_style(struct eng_prep *pr, const struct eng_corpus *c)
{
	double sum[FEAT_STYLE_DIM], ss[FEAT_STYLE_DIM];
	size_t nm = c->nmodels, q, m, i, n = 0;
	size_t *nper;

	memset(sum, 0, sizeof(sum));
	memset(ss, 0, sizeof(ss));
	pr->model_style = prov_calloc(nm * FEAT_STYLE_DIM, sizeof(*pr->model_style));
	nper = prov_calloc(nm, sizeof(*nper));
	if (!pr->model_style || !nper) {
		free(nper);
		return PROV_ENOMEM;
	}
	for (q = 0; q < c->nprompts; q++)
		for (m = 0; m < nm; m++) {
			const struct feat *f = c->resp[q * nm + m];

			if (!f)
				continue;
			n++;
			nper[m]++;
			for (i = 0; i < FEAT_STYLE_DIM; i++) {
				sum[i] += f->style[i];
				ss[i] += (double)f->style[i] * f->style[i];
				pr->model_style[m * FEAT_STYLE_DIM + i] += f->style[i];
			}
		}
	for (i = 0; i < FEAT_STYLE_DIM; i++) {
		double mean = n ? sum[i] / (double)n : 0, var = n ? ss[i] / (double)n - mean * mean : 0;

		pr->style_mean[i] = (float)mean;
		pr->style_sd[i] = var > 1e-12 ? (float)sqrt(var) : 0.0f;
	}
	for (m = 0; m < nm; m++)
		for (i = 0; i < FEAT_STYLE_DIM; i++)
			if (nper[m])
				pr->model_style[m * FEAT_STYLE_DIM + i] /= (float)nper[m];
	free(nper);
	return 0;
}

/* Pairwise channel values among the panel's answers to each prompt. */
static int prep_pairs(struct eng_prep *pr, const struct eng_corpus *c)
{
	size_t nm = c->nmodels, q, a, b, k = 0;
	struct lexws ws;
	float *z = NULL;
	int rc;

	pr->pair = prov_calloc(c->nprompts * nm * nm * PAIR_COUNT + 1, sizeof(*pr->pair));
	z = prov_calloc(nm * FEAT_STYLE_DIM, sizeof(*z));
	if (!pr->pair || !z) {
		free(z);
		return PROV_ENOMEM;
	}
	for (q = 0; q < c->nprompts * nm * nm * PAIR_COUNT; q++)
		pr->pair[q] = NAN;
	if ((rc = lexws_init(&ws, nm))) {
		free(z);
		return rc;
	}
	for (q = 0; q < c->nprompts; q++) {
		const struct feat *const *row = c->resp + q * nm;

		lexws_reset(&ws);
		k = 0;
		for (a = 0; a < nm; a++) {
			if ((rc = lexws_add(&ws, a, row[a], pr->params.lex_max_n)))
				goto done;
			if (row[a]) {
				k++;
				zscore(z + a * FEAT_STYLE_DIM, row[a]->style, pr);
			}
		}
		if ((rc = lexws_weigh(&ws, k)))
			goto done;
		for (a = 0; a < nm; a++) {
			if (!row[a])
				continue;
			for (b = 0; b < nm; b++) {
				if (!row[b] || a == b)
					continue;
				if (b < a) {
					size_t kk;

					for (kk = 0; kk < PAIR_COUNT; kk++)
						PAIR(pr, q, a, b, kk) = PAIR(pr, q, b, a, kk);
					continue;
				}
				PAIR(pr, q, a, b, PAIR_LEX) = (float)lexws_cos(&ws, a, b);
				PAIR(pr, q, a, b, PAIR_STY) = (float)style_cos(z + a * FEAT_STYLE_DIM, z + b * FEAT_STYLE_DIM);
				PAIR(pr, q, a, b, PAIR_OPEN) = (float)open_match(row[a], row[b]);
				PAIR(pr, q, a, b, PAIR_REF) = (float)refusal_agree(row[a], row[b]);
			}
		}
	}
done:
	lexws_release(&ws);
	free(z);
	return rc;
}

/*
 * Every panel answer indexed once against the union of all marker sets (the
 * teachers' own and their leave-one-out variants): per answer, which markers
 * it contains and how often, and how many n-grams it has. A marker set is then
 * a bitset over the union, and an answer's rate a short scan of its list.
 */
struct gramindex {
	struct hmap map;            /* gram -> uid */
	size_t nuid;
	uint32_t *off;              /* nprompts * nmodels + 1: start of each answer's list */
	uint32_t *uid;              /* the lists, concatenated */
	uint16_t *cnt;
	uint32_t *ng;               /* per answer: n-grams */
	size_t words;               /* bitset length in uint64_t */
};

static void gramindex_release(struct gramindex *gi)
{
	hmap_release(&gi->map);
	free(gi->off);
	free(gi->uid);
	free(gi->cnt);
	free(gi->ng);
	memset(gi, 0, sizeof(*gi));
}

static int gramindex_add_set(struct gramindex *gi, const struct markers *mk)
{
	size_t i, slot;

	for (i = 0; i < mk->n; i++) {
		int ins = hmap_put(&gi->map, mk->gram[i], (uint32_t)gi->nuid, &slot);

		if (ins < 0)
			return ins;
		if (ins)
			gi->nuid++;
	}
	return 0;
}

static int gramindex_build(struct gramindex *gi, const struct eng_corpus *c, const struct eng_params *p)
{
	size_t nm = c->nmodels, na = c->nprompts * nm, a, k, total = 0, cap = 0, capg = 0;
	uint64_t *grams = NULL;
	uint32_t *seen = NULL, *pos = NULL;
	int rc = 0;

	gi->words = (gi->nuid + 63) / 64 + 1;
	gi->off = prov_calloc(na + 1, sizeof(*gi->off));
	gi->ng = prov_calloc(na + 1, sizeof(*gi->ng));
	seen = prov_calloc(gi->nuid + 1, sizeof(*seen));
	pos = prov_calloc(gi->nuid + 1, sizeof(*pos));
	if (!gi->off || !gi->ng || !seen || !pos) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (a = 0; a < na; a++) {
		const struct feat *f = c->resp[a];
		size_t ng = 0;

		gi->off[a] = (uint32_t)total;
		if (!f)
			continue;
		if ((rc = make_grams(&grams, &capg, &ng, f, p->phrase_max_n, 1)))
			goto done;
		gi->ng[a] = (uint32_t)ng;
		for (k = 0; k < ng; k++) {
			uint32_t u;

			if (!hmap_get(&gi->map, grams[k], &u))
				continue;
			if (seen[u] == a + 1) {
				if (gi->cnt[pos[u]] < UINT16_MAX)
					gi->cnt[pos[u]]++;
				continue;
			}
			if (total == cap) {
				size_t nc = cap ? cap * 2 : 65536;
				uint32_t *nu = prov_reallocarray(gi->uid, nc, sizeof(*nu));
				uint16_t *ncnt;

				if (!nu) {
					rc = PROV_ENOMEM;
					goto done;
				}
				gi->uid = nu;
				ncnt = prov_reallocarray(gi->cnt, nc, sizeof(*ncnt));
				if (!ncnt) {
					rc = PROV_ENOMEM;
					goto done;
				}
				gi->cnt = ncnt;
				cap = nc;
			}
			seen[u] = (uint32_t)a + 1;
			pos[u] = (uint32_t)total;
			gi->uid[total] = u;
			gi->cnt[total] = 1;
			total++;
		}
	}
	gi->off[na] = (uint32_t)total;
done:
	free(grams);
	free(seen);
	free(pos);
	return rc;
}

static int bitset_of(uint64_t **out, const struct gramindex *gi, const struct markers *mk)
{
	size_t i;
	uint32_t u;

	*out = prov_calloc(gi->words, sizeof(**out));
	if (!*out)
		return PROV_ENOMEM;
	for (i = 0; i < mk->n; i++)
		if (hmap_get(&gi->map, mk->gram[i], &u))
			(*out)[u >> 6] |= 1ULL << (u & 63);
	return 0;
}

/* The rate of panel answer a under a marker set given as a bitset (marker_rate's definition). */
static double indexed_rate(const struct gramindex *gi, size_t a, const uint64_t *bits)
{
	uint32_t i, hits = 0;

	for (i = gi->off[a]; i < gi->off[a + 1]; i++)
		if (bits[gi->uid[i] >> 6] >> (gi->uid[i] & 63) & 1)
			hits += gi->cnt[i];
	return 1000.0 * (double)hits / ((double)gi->ng[a] + RATE_SMOOTH);
}

/* Markers of every teacher; rates of every panel answer under them (fold-crossed). */
static int prep_phrases(struct eng_prep *pr, const struct eng_corpus *c, struct foldstats fs[2])
{
	size_t nm = c->nmodels, t, f;
	int rc = 0;

	pr->mk = prov_calloc(nm * 2, sizeof(*pr->mk));
	pr->rate = prov_calloc(c->nprompts * nm * nm + 1, sizeof(*pr->rate));
	pr->mean_rate = prov_calloc(nm * nm * 2, sizeof(*pr->mean_rate));
	if (!pr->mk || !pr->rate || !pr->mean_rate)
		return PROV_ENOMEM;
	for (t = 0; t < nm; t++)
		for (f = 0; f < 2; f++) {
			if (!c->models[t].teacher)
				rc = hmap_init(&pr->mk[t * 2 + f].set, 16);
			else
				rc = select_markers(&pr->mk[t * 2 + f], &fs[f], c, t, -1, &pr->params);
			if (rc)
				return rc;
		}
	return 0;
}

static int prep_full_rates(struct eng_prep *pr, const struct eng_corpus *c, const struct gramindex *gi)
{
	size_t nm = c->nmodels, t, m, q, f;
	uint64_t *bits[2] = { NULL, NULL };
	int rc = 0;

	for (t = 0; t < nm && !rc; t++) {
		if (!c->models[t].teacher)
			continue;
		if ((rc = bitset_of(&bits[0], gi, &pr->mk[t * 2])) || (rc = bitset_of(&bits[1], gi, &pr->mk[t * 2 + 1])))
			break;
		for (q = 0; q < c->nprompts; q++)
			for (m = 0; m < nm; m++)
				if (c->resp[q * nm + m])
					RATE(pr, q, m, t) = (float)indexed_rate(gi, q * nm + m, bits[1 - c->fold[q]]);
		for (m = 0; m < nm; m++)
			for (f = 0; f < 2; f++) {
				double sum = 0;
				size_t cnt = 0;

				for (q = 0; q < c->nprompts; q++)
					if (c->fold[q] == f && c->resp[q * nm + m]) {
						sum += RATE(pr, q, m, t);
						cnt++;
					}
				MEANRATE(pr, m, t, f) = cnt ? (float)(sum / (double)cnt) : 0.0f;
			}
		free(bits[0]);
		free(bits[1]);
		bits[0] = bits[1] = NULL;
	}
	free(bits[0]);
	free(bits[1]);
	return rc;
}

/* Fill the channels for suspect = panel model y against teacher t (controls: ctrl[]). */
static int null_channels(struct chan *ch, const struct eng_prep *pr, const struct eng_corpus *c, size_t y, size_t t,
	const size_t *ctrl, size_t nctrl, const float *loo_rate /* nprompts * nmodels */)
{
	size_t nm = c->nmodels, q, j;
	const char *ft = eng_family(&c->models[t]);
	int rc;

	if ((rc = chan_reset(ch, c->nprompts, nctrl)))
		return rc;
	for (q = 0; q < c->nprompts; q++) {
		const struct feat *fy = c->resp[q * nm + y], *fteach = c->resp[q * nm + t];
		size_t u;

		if (!fy || !fteach)
			continue;
		u = chan_unit(ch);
		VT(ch, u, CH_LEX) = PAIR(pr, q, y, t, PAIR_LEX);
		VT(ch, u, CH_STY) = PAIR(pr, q, y, t, PAIR_STY);
		VT(ch, u, CH_OPEN) = PAIR(pr, q, y, t, PAIR_OPEN);
		VT(ch, u, CH_REF) = PAIR(pr, q, y, t, PAIR_REF);
		VT(ch, u, CH_PHR) = loo_rate[q * nm + y];
		VT(ch, u, CH_IDN) = (float)feat_claims_family(fy, ft);
		for (j = 0; j < nctrl; j++) {
			const struct feat *fc = c->resp[q * nm + ctrl[j]];

			if (!fc)
				continue;
			VC(ch, u, j, CH_LEX) = PAIR(pr, q, y, ctrl[j], PAIR_LEX);
			VC(ch, u, j, CH_STY) = PAIR(pr, q, y, ctrl[j], PAIR_STY);
			VC(ch, u, j, CH_OPEN) = PAIR(pr, q, y, ctrl[j], PAIR_OPEN);
			VC(ch, u, j, CH_REF) = PAIR(pr, q, y, ctrl[j], PAIR_REF);
			VC(ch, u, j, CH_PHR) = loo_rate[q * nm + ctrl[j]];
			VC(ch, u, j, CH_IDN) = (float)feat_claims_family(fc, ft);
		}
	}
	return 0;
}

/*
 * The null effects: every panel model y outside teacher t's family, scanned
 * as if it were the suspect against the rest of the panel (its phrases
 * re-selected without it), gives the effect an independent model shows.
 * `loo` holds the re-selected marker sets: [(t * nm + y) * 2 + fold].
 */
static int prep_nulls(struct eng_prep *pr, const struct eng_corpus *c, const struct markers *loo,
	const struct gramindex *gi)
{
	size_t nm = c->nmodels, t, y, m, q, nctrl;
	size_t *ctrl = NULL;
	float *rate = NULL;
	double *work = NULL, *eff = NULL;
	uint64_t *bits[2] = { NULL, NULL };
	struct chan ch;
	struct tests ts;
	int rc = 0;

	memset(&ch, 0, sizeof(ch));
	memset(&ts, 0, sizeof(ts));
	pr->null = prov_calloc(nm, sizeof(*pr->null));
	pr->null_eff = prov_calloc(nm * nm, sizeof(*pr->null_eff));
	ctrl = prov_calloc(nm, sizeof(*ctrl));
	rate = prov_calloc(c->nprompts * nm + 1, sizeof(*rate));
	work = prov_calloc(c->nprompts + 1, sizeof(*work));
	eff = prov_calloc(nm, sizeof(*eff));
	ts.ctrl = prov_calloc(nm, sizeof(*ts.ctrl));
	if (!pr->null || !pr->null_eff || !ctrl || !rate || !work || !eff || !ts.ctrl) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (t = 0; t < nm * nm; t++)
		pr->null_eff[t] = NAN;
	for (t = 0; t < nm; t++) {
		struct null_effect *ne = &pr->null[t];
		double sum = 0, ss = 0;
		int n = 0;

		ne->max = -INFINITY;
		ne->max_model = -1;
		if (!c->models[t].teacher)
			continue;
		for (y = 0; y < nm; y++) {
			if (y == t || same_family(c, y, t))
				continue;
			nctrl = 0;
			for (m = 0; m < nm; m++)
				if (m != y && !same_family(c, m, t))
					ctrl[nctrl++] = m;
			if (!nctrl)
				continue;
			if ((rc = bitset_of(&bits[0], gi, &loo[(t * nm + y) * 2])) ||
			    (rc = bitset_of(&bits[1], gi, &loo[(t * nm + y) * 2 + 1])))
				goto done;
			for (q = 0; q < c->nprompts; q++) {
				const uint64_t *b = bits[1 - c->fold[q]];

				if (c->resp[q * nm + y])
					rate[q * nm + y] = (float)indexed_rate(gi, q * nm + y, b);
				for (m = 0; m < nctrl; m++)
					if (c->resp[q * nm + ctrl[m]])
						rate[q * nm + ctrl[m]] = (float)indexed_rate(gi, q * nm + ctrl[m], b);
			}
			free(bits[0]);
			free(bits[1]);
			bits[0] = bits[1] = NULL;
			if ((rc = null_channels(&ch, pr, c, y, t, ctrl, nctrl, rate)))
				goto done;
			if ((rc = composite(&ts, &ch, ALL_CHANNELS, pr->params.seed, work, NULL, NULL)))
				goto done;
			if (!ts.any)
				continue;
			eff[n] = ts.ctrl[ts.closest].effect;
			pr->null_eff[t * nm + y] = (float)eff[n];
			sum += eff[n];
			if (eff[n] > ne->max) {
				ne->max = eff[n];
				ne->max_model = (int)y;
			}
			n++;
		}
		ne->n = n;
		if (n) {
			int k;

			ne->mean = sum / n;
			for (k = 0; k < n; k++)
				ss += (eff[k] - ne->mean) * (eff[k] - ne->mean);
			ne->sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
			qsort(eff, (size_t)n, sizeof(*eff), cmp_double_asc);
			ne->median = n % 2 ? eff[n / 2] : 0.5 * (eff[n / 2 - 1] + eff[n / 2]);
		} else {
			ne->max = 0;
		}
	}
done:
	free(bits[0]);
	free(bits[1]);
	chan_release(&ch);
	free(ts.ctrl);
	free(ctrl);
	free(rate);
	free(work);
	free(eff);
	return rc;
}

/* Leave-one-out marker sets for the nulls, and the index of every answer against all sets. */
static int prep_markers_and_index(struct eng_prep *pr, const struct eng_corpus *c, struct foldstats fs[2],
	struct markers **loo_out, struct gramindex *gi)
{
	size_t nm = c->nmodels, t, y, f;
	struct markers *loo;
	int rc = 0;

	*loo_out = loo = prov_calloc(nm * nm * 2 + 1, sizeof(*loo));
	if (!loo || (rc = hmap_init(&gi->map, 65536)))
		return loo ? rc : PROV_ENOMEM;
	for (t = 0; t < nm && !rc; t++) {
		if (!c->models[t].teacher)
			continue;
		for (f = 0; f < 2 && !rc; f++)
			rc = gramindex_add_set(gi, &pr->mk[t * 2 + f]);
		for (y = 0; y < nm && !rc; y++) {
			if (y == t || same_family(c, y, t))
				continue;
			for (f = 0; f < 2 && !rc; f++)
				if (!(rc = select_markers(&loo[(t * nm + y) * 2 + f], &fs[f], c, t, (long)y, &pr->params)))
					rc = gramindex_add_set(gi, &loo[(t * nm + y) * 2 + f]);
		}
	}
	if (!rc)
		rc = gramindex_build(gi, c, &pr->params);
	return rc;
}

int eng_prepare(struct eng_prep **out, const struct eng_corpus *c, const struct eng_params *p)
{
	struct eng_prep *pr;
	struct foldstats fs[2];
	struct markers *loo = NULL;
	struct gramindex gi;
	int rc;

	*out = NULL;
	memset(fs, 0, sizeof(fs));
	pr = prov_calloc(1, sizeof(*pr));
	if (!pr)
		return PROV_ENOMEM;
	pr->nmodels = c->nmodels;
	pr->nprompts = c->nprompts;
	if (p)
		pr->params = *p;
	else
		eng_params_default(&pr->params);
	memset(&gi, 0, sizeof(gi));
	rc = prep_style(pr, c);
	if (!rc)
		rc = prep_pairs(pr, c);
	if (!rc)
		rc = build_foldstats(&fs[0], c, &pr->params, 0);
	if (!rc)
		rc = build_foldstats(&fs[1], c, &pr->params, 1);
	if (!rc)
		rc = prep_phrases(pr, c, fs);
	if (!rc)
		rc = prep_markers_and_index(pr, c, fs, &loo, &gi);
	foldstats_release(&fs[0]);
	foldstats_release(&fs[1]);
	if (!rc)
		rc = prep_full_rates(pr, c, &gi);
	if (!rc)
		rc = prep_nulls(pr, c, loo, &gi);
	if (loo) {
		size_t i;

		for (i = 0; i < c->nmodels * c->nmodels * 2; i++)
			markers_release(&loo[i]);
		free(loo);
	}
	gramindex_release(&gi);
	if (rc) {
		eng_prep_free(pr);
		return rc;
	}
	*out = pr;
	return 0;
}

/* ---------------------------------------------------------------- 7. scanning */

void eng_result_free(struct eng_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nteachers; i++) {
		free(r->t[i].controls);
		free(r->t[i].dist);
	}
	free(r->t);
	free(r);
}

/* Per suspect answer and panel model: the four paired channels and the containment. */
struct suspect_sims {
	float *lex, *sty, *open, *ref, *cont;   /* n * nmodels, NAN where the model did not answer */
	float *rate;                            /* n * nmodels: under teacher t's markers */
	float *z;                               /* n * DIM: z-scored style */
};

static void sims_release(struct suspect_sims *ss)
{
	free(ss->lex);
	free(ss->sty);
	free(ss->open);
	free(ss->ref);
	free(ss->cont);
	free(ss->rate);
	free(ss->z);
}

static int suspect_sims(struct suspect_sims *ss, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s)
{
	size_t nm = c->nmodels, n = s->n, r, m, total = n * nm + 1;
	float *zx = NULL;
	uint64_t *grams = NULL;
	size_t capg = 0;
	struct lexws ws;
	int rc;

	memset(ss, 0, sizeof(*ss));
	ss->lex = prov_calloc(total, sizeof(float));
	ss->sty = prov_calloc(total, sizeof(float));
	ss->open = prov_calloc(total, sizeof(float));
	ss->ref = prov_calloc(total, sizeof(float));
	ss->cont = prov_calloc(total, sizeof(float));
	ss->rate = prov_calloc(total, sizeof(float));
	ss->z = prov_calloc(n * FEAT_STYLE_DIM + 1, sizeof(float));
	zx = prov_calloc(FEAT_STYLE_DIM, sizeof(float));
	if (!ss->lex || !ss->sty || !ss->open || !ss->ref || !ss->cont || !ss->rate || !ss->z || !zx) {
		free(zx);
		return PROV_ENOMEM;
	}
	if ((rc = lexws_init(&ws, nm + 1))) {
		free(zx);
		return rc;
	}
	for (r = 0; r < n; r++) {
		const struct feat *fs = s->resp[r];
		long q = s->prompt[r];
		size_t k = 1;

		zscore(ss->z + r * FEAT_STYLE_DIM, fs->style, pr);
		for (m = 0; m < nm; m++) {
			size_t i = r * nm + m;

			ss->lex[i] = ss->sty[i] = ss->open[i] = ss->ref[i] = ss->cont[i] = NAN;
		}
		/* phrase rates under every teacher's markers (fold-crossed) */
		{
			size_t ng = 0;

			if ((rc = make_grams(&grams, &capg, &ng, fs, pr->params.phrase_max_n, 1)))
				goto done;
			for (m = 0; m < nm; m++)
				if (c->models[m].teacher)
					ss->rate[r * nm + m] = (float)marker_rate(&pr->mk[m * 2 + (1 - s->fold[r])], grams, ng);
		}
		if (q < 0)
			continue;
		lexws_reset(&ws);
		if ((rc = lexws_add(&ws, nm, fs, pr->params.lex_max_n)))
			goto done;
		for (m = 0; m < nm; m++) {
			const struct feat *fx = c->resp[(size_t)q * nm + m];

			if ((rc = lexws_add(&ws, m, fx, pr->params.lex_max_n)))
				goto done;
			if (fx)
				k++;
		}
		if ((rc = lexws_weigh(&ws, k)))
			goto done;
		for (m = 0; m < nm; m++) {
			const struct feat *fx = c->resp[(size_t)q * nm + m];
			size_t i = r * nm + m;

			if (!fx)
				continue;
			zscore(zx, fx->style, pr);
			ss->lex[i] = (float)lexws_cos(&ws, nm, m);
			ss->cont[i] = (float)lexws_containment(&ws, nm, m);
			ss->sty[i] = (float)style_cos(ss->z + r * FEAT_STYLE_DIM, zx);
			ss->open[i] = (float)open_match(fs, fx);
			ss->ref[i] = (float)refusal_agree(fs, fx);
		}
	}
done:
	lexws_release(&ws);
	free(zx);
	free(grams);
	return rc;
}

/* Share of model m's answers that claim family fam. */
static double claim_rate(const struct eng_corpus *c, size_t m, const char *fam)
{
	size_t q, n = 0, k = 0;

	for (q = 0; q < c->nprompts; q++) {
		const struct feat *f = c->resp[q * c->nmodels + m];

		if (!f)
			continue;
		n++;
		k += (size_t)feat_claims_family(f, fam);
	}
	return n ? (double)k / (double)n : 0;
}

static int scan_channels(struct chan *ch, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const struct suspect_sims *ss, size_t t, const size_t *ctrl, size_t nctrl,
	const double *ctrl_claims)
{
	size_t nm = c->nmodels, r, j;
	const char *ft = eng_family(&c->models[t]);
	int rc;

	if ((rc = chan_reset(ch, s->n, nctrl)))
		return rc;
	for (r = 0; r < s->n; r++) {
		const struct feat *fs = s->resp[r];
		long q = s->prompt[r];
		size_t u = chan_unit(ch);

		VT(ch, u, CH_PHR) = ss->rate[r * nm + t];
		VT(ch, u, CH_IDN) = (float)feat_claims_family(fs, ft);
		if (q < 0) {
			for (j = 0; j < nctrl; j++) {
				VC(ch, u, j, CH_PHR) = MEANRATE(pr, ctrl[j], t, s->fold[r]);
				VC(ch, u, j, CH_IDN) = (float)ctrl_claims[j];
			}
			continue;
		}
		if (c->resp[(size_t)q * nm + t]) {
			VT(ch, u, CH_LEX) = ss->lex[r * nm + t];
			VT(ch, u, CH_STY) = ss->sty[r * nm + t];
			VT(ch, u, CH_OPEN) = ss->open[r * nm + t];
			VT(ch, u, CH_REF) = ss->ref[r * nm + t];
		}
		for (j = 0; j < nctrl; j++) {
			size_t m = ctrl[j];
			const struct feat *fc = c->resp[(size_t)q * nm + m];

			if (!fc) {
				VC(ch, u, j, CH_PHR) = MEANRATE(pr, m, t, s->fold[r]);
				VC(ch, u, j, CH_IDN) = (float)ctrl_claims[j];
				continue;
			}
			VC(ch, u, j, CH_LEX) = ss->lex[r * nm + m];
			VC(ch, u, j, CH_STY) = ss->sty[r * nm + m];
			VC(ch, u, j, CH_OPEN) = ss->open[r * nm + m];
			VC(ch, u, j, CH_REF) = ss->ref[r * nm + m];
			VC(ch, u, j, CH_PHR) = RATE(pr, (size_t)q, m, t);
			VC(ch, u, j, CH_IDN) = (float)feat_claims_family(fc, ft);
		}
	}
	return 0;
}

static double chan_variance(const struct chan *ch, unsigned mask)
{
	size_t u, j, k;
	double first = NAN;

	/* is there any variation at all in these channels? */
	for (u = 0; u < ch->nunits; u++)
		for (k = 0; k < CH_COUNT; k++) {
			if (!(mask & (1u << k)))
				continue;
			if (!isnan(VT(ch, u, k))) {
				if (isnan(first))
					first = VT(ch, u, k);
				else if (VT(ch, u, k) != first)
					return 1;
			}
			for (j = 0; j < ch->nctrl; j++) {
				double v = VC(ch, u, j, k);

				if (isnan(v))
					continue;
				if (isnan(first))
					first = v;
				else if (v != first)
					return 1;
			}
		}
	return 0;
}

static void describe(struct eng_teacher *et, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const struct suspect_sims *ss, size_t t, const size_t *ctrl, size_t nctrl,
	const double *ctrl_claims)
{
	size_t nm = c->nmodels, r, j, d;
	double lt = 0, lc = 0, cont = 0, ot = 0, oc = 0, best[ENG_MAX_SPANS];
	long nt = 0, ncc = 0;
	const char *ft = eng_family(&c->models[t]);
	double sraw[FEAT_STYLE_DIM], cmean[FEAT_STYLE_DIM];
	long ns = 0;

	memset(sraw, 0, sizeof(sraw));
	memset(cmean, 0, sizeof(cmean));
	for (j = 0; j < ENG_MAX_SPANS; j++)
		best[j] = -INFINITY;
	for (r = 0; r < s->n; r++) {
		long q = s->prompt[r];
		const struct feat *fs = s->resp[r];
		double maxc = -INFINITY, uniq;

		if (feat_claims_family(fs, ft))
			et->suspect_claims++;
		if (fs->refused)
			et->suspect_refusals++;
		for (d = 0; d < FEAT_STYLE_DIM; d++)
			sraw[d] += fs->style[d];
		ns++;
		if (q < 0 || isnan(ss->lex[r * nm + t]))
			continue;
		{
			const struct feat *fteach = c->resp[(size_t)q * nm + t];

			if (fs->refused && fteach->refused) {
				et->shared_refusals++;
				if (fs->refusal_family[0] && !strcmp(fs->refusal_family, fteach->refusal_family))
					et->same_template++;
			}
		}
		lt += ss->lex[r * nm + t];
		cont += ss->cont[r * nm + t];
		ot += ss->open[r * nm + t];
		nt++;
		for (j = 0; j < nctrl; j++) {
			double v = ss->lex[r * nm + ctrl[j]];

			if (isnan(v))
				continue;
			lc += v;
			oc += ss->open[r * nm + ctrl[j]];
			ncc++;
			if (v > maxc)
				maxc = v;
		}
		/* answers whose overlap with the teacher most exceeds any control's: excerpt candidates */
		uniq = ss->lex[r * nm + t] - (isinf(maxc) ? 0 : maxc);
		if (uniq > 0) {
			size_t k = ENG_MAX_SPANS;

			while (k > 0 && uniq > best[k - 1])
				k--;
			if (k < ENG_MAX_SPANS) {
				memmove(best + k + 1, best + k, (ENG_MAX_SPANS - 1 - k) * sizeof(*best));
				memmove(et->span_resp + k + 1, et->span_resp + k, (ENG_MAX_SPANS - 1 - k) * sizeof(long));
				best[k] = uniq;
				et->span_resp[k] = (long)r;
				if (et->nspans < ENG_MAX_SPANS)
					et->nspans++;
			}
		}
	}
	et->lex_teacher = nt ? lt / (double)nt : 0;
	et->containment = nt ? cont / (double)nt : 0;
	et->open_teacher = nt ? ot / (double)nt : 0;
	et->lex_controls = ncc ? lc / (double)ncc : 0;
	et->open_controls = ncc ? oc / (double)ncc : 0;
	et->control_claim_rate = 0;
	for (j = 0; j < nctrl; j++)
		et->control_claim_rate += ctrl_claims[j] / (double)nctrl;
	/* style: features where the suspect departs from the controls in the teacher's direction */
	for (j = 0; j < nctrl; j++)
		for (d = 0; d < FEAT_STYLE_DIM; d++)
			cmean[d] += pr->model_style[ctrl[j] * FEAT_STYLE_DIM + d] / (double)nctrl;
	if (ns) {
		double score[FEAT_STYLE_DIM];

		for (d = 0; d < FEAT_STYLE_DIM; d++) {
			double sd = pr->style_sd[d] > 0 ? pr->style_sd[d] : 1, sv = sraw[d] / (double)ns;
			double ds = (sv - cmean[d]) / sd, dt = (pr->model_style[t * FEAT_STYLE_DIM + d] - cmean[d]) / sd;

			score[d] = (ds > 0) == (dt > 0) ? fmin(fabs(ds), fabs(dt)) : 0;
		}
		while (et->nstyle < ENG_MAX_STYLE) {
			size_t bi = FEAT_STYLE_DIM;

			for (d = 0; d < FEAT_STYLE_DIM; d++)
				if (score[d] > 0.05 && (bi == FEAT_STYLE_DIM || score[d] > score[bi]))
					bi = d;
			if (bi == FEAT_STYLE_DIM)
				break;
			et->style[et->nstyle].dim = (int)bi;
			et->style[et->nstyle].suspect = sraw[bi] / (double)ns;
			et->style[et->nstyle].teacher = pr->model_style[t * FEAT_STYLE_DIM + bi];
			et->style[et->nstyle].controls = cmean[bi];
			et->nstyle++;
			score[bi] = 0;
		}
	}
}

/* The teacher's characteristic phrases the suspect uses most, beyond the controls' rate. */
static int describe_phrases(struct eng_teacher *et, const struct eng_prep *pr, const struct eng_suspect *s, size_t t)
{
	const struct markers *mk = &pr->mk[t * 2];
	size_t f, i, r, total = mk[0].n + mk[1].n;
	uint32_t *used = NULL;
	long *first = NULL, *last = NULL;
	uint32_t *firstk = NULL;
	uint64_t *grams = NULL;
	size_t capg = 0;
	int rc = 0;

	if (!total || !s->n)
		return 0;
	used = prov_calloc(total, sizeof(*used));
	first = prov_calloc(total, sizeof(*first));
	last = prov_calloc(total, sizeof(*last));
	firstk = prov_calloc(total, sizeof(*firstk));
	if (!used || !first || !last || !firstk) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (r = 0; r < s->n; r++) {
		size_t ng = 0, k;

		if ((rc = make_grams(&grams, &capg, &ng, s->resp[r], pr->params.phrase_max_n, 1)))
			goto done;
		for (f = 0; f < 2; f++) {
			size_t base = f ? mk[0].n : 0;

			for (k = 0; k < ng; k++) {
				uint32_t idx;

				if (hmap_get(&mk[f].set, grams[k], &idx) &&
				    (!used[base + idx] || last[base + idx] != (long)r)) {
					if (!used[base + idx]) {
						first[base + idx] = (long)r;
						firstk[base + idx] = (uint32_t)k;
					}
					last[base + idx] = (long)r;
					used[base + idx]++;
				}
			}
		}
	}
	for (;;) {
		size_t best = total;
		double bs = 0;

		for (i = 0; i < total; i++) {
			const struct markers *m = i < mk[0].n ? &mk[0] : &mk[1];
			size_t ii = i < mk[0].n ? i : i - mk[0].n;
			double sr = (double)used[i] / (double)s->n, sc = sr - m->rate_c[ii];
			size_t e;
			int dup = 0;

			if (!used[i] || sc <= bs || firstk[i] < s->resp[first[i]]->ntok)
				continue;   /* single words make poor exhibits: show phrases */
			for (e = 0; e < et->nphrases; e++)
				if (et->phrases[e].gram == m->gram[ii])
					dup = 1;
			if (dup)
				continue;
			bs = sc;
			best = i;
		}
		if (best == total || et->nphrases == ENG_MAX_PHRASES)
			break;
		{
			const struct markers *m = best < mk[0].n ? &mk[0] : &mk[1];
			size_t ii = best < mk[0].n ? best : best - mk[0].n;
			struct eng_phrase *ph = &et->phrases[et->nphrases++];
			const struct feat *fr = s->resp[first[best]];
			size_t ntok = fr->ntok, k = firstk[best];

			ph->gram = m->gram[ii];
			ph->resp = first[best];
			ph->suspect_rate = (double)used[best] / (double)s->n;
			ph->teacher_rate = m->rate_t[ii];
			ph->control_rate = m->rate_c[ii];
			/* recover length and position from the order make_grams uses */
			if (k < ntok) {
				ph->n = 1;
				ph->tokpos = (uint32_t)k;
			} else if (pr->params.phrase_max_n >= 2 && k < ntok + (ntok - 1)) {
				ph->n = 2;
				ph->tokpos = (uint32_t)(k - ntok);
			} else if (pr->params.phrase_max_n >= 3 && ntok >= 2 && k < 3 * ntok - 3) {
				ph->n = 3;
				ph->tokpos = (uint32_t)(k - (2 * ntok - 1));
			} else {
				/* an opening phrase: make_grams puts the first-token one, then the two-token one */
				ph->n = (uint8_t)(k == (size_t)pr->params.phrase_max_n * ntok -
					(size_t)(pr->params.phrase_max_n * (pr->params.phrase_max_n - 1) / 2) ? 1 : 2);
				ph->tokpos = 0;
				ph->opening = 1;
			}
			used[best] = 0;
		}
	}
done:
	free(used);
	free(first);
	free(last);
	free(firstk);
	free(grams);
	return rc;
}

/*
 * Verdicts need both the corrected p and the effect: strong when the
 * suspect is closer to the teacher than every independent panel model is
 * (the largest null effect), moderate when closer than the typical one (the
 * median null effect), each with a floor; weak on significance alone.
 * Strong and moderate also need corroboration: at least `corroborate` of the
 * five signals significant on their own against their closest control, so
 * that one systematic difference (a shared register of polite assistant
 * phrases, say) cannot carry the verdict alone.
 */
static void decide(struct eng_teacher *et, const struct eng_prep *pr, double median_tokens)
{
	const struct eng_params *p = &pr->params;
	const struct null_effect *ne = &pr->null[et->model];
	double strong_bar = p->strong_effect, moderate_bar = p->moderate_effect;
	int k, corr = 0;

	for (k = 0; k < SIG_COUNT; k++)
		if (et->sig[k].available && et->sig[k].p <= p->corroborate_p && et->sig[k].effect > 0)
			corr++;
	et->corroborating = corr;
	if (ne->n > 0) {
		strong_bar = fmax(strong_bar, ne->max);
		moderate_bar = fmax(moderate_bar, ne->median);
	}
	if (et->n < p->min_prompts || median_tokens < p->min_tokens)
		et->verdict = V_INCONCLUSIVE;
	else if (et->p_holm <= p->strong_p && et->effect >= strong_bar && corr >= p->corroborate)
		et->verdict = V_STRONG;
	else if (et->p_holm <= p->moderate_p && et->effect >= moderate_bar && corr >= p->corroborate)
		et->verdict = V_MODERATE;
	else if (et->p_holm <= p->weak_p && et->effect > 0)
		et->verdict = V_WEAK;
	else
		et->verdict = V_NONE;
}

static int cmp_teacher(const void *a, const void *b)
{
	const struct eng_teacher *x = a, *y = b;

	if (x->score > y->score)
		return -1;
	if (x->score < y->score)
		return 1;
	return x->model < y->model ? -1 : x->model > y->model;
}

int eng_scan(struct eng_result **out, const struct eng_prep *pr, const struct eng_corpus *c,
	const struct eng_suspect *s, const int *teachers, size_t nteachers)
{
	struct eng_result *res = NULL;
	struct suspect_sims ss;
	struct chan ch;
	struct tests ts;
	size_t nm = c->nmodels, i, j, k, nt = 0, *ctrl = NULL;
	double *work = NULL, *toks = NULL, *praw = NULL, *padj = NULL, *claims = NULL;
	int rc = 0;

	*out = NULL;
	memset(&ss, 0, sizeof(ss));
	memset(&ch, 0, sizeof(ch));
	memset(&ts, 0, sizeof(ts));
	if (pr->nmodels != nm || pr->nprompts != c->nprompts)
		return prov_error(PROV_EINTERNAL, "engine preparation does not match the corpus");
	res = prov_calloc(1, sizeof(*res));
	ctrl = prov_calloc(nm + 1, sizeof(*ctrl));
	claims = prov_calloc(nm + 1, sizeof(*claims));
	work = prov_calloc(s->n + 1, sizeof(*work));
	toks = prov_calloc(s->n + 1, sizeof(*toks));
	ts.ctrl = prov_calloc(nm + 1, sizeof(*ts.ctrl));
	if (!res || !ctrl || !claims || !work || !toks || !ts.ctrl) {
		rc = PROV_ENOMEM;
		goto done;
	}
	res->conclusion = -1;
	res->responses = (long)s->n;
	for (i = 0; i < s->n; i++) {
		toks[i] = s->resp[i]->ntok;
		if (s->prompt[i] >= 0)
			res->matched++;
	}
	if (s->n) {
		qsort(toks, s->n, sizeof(*toks), cmp_double_asc);
		res->median_tokens = s->n % 2 ? toks[s->n / 2] : 0.5 * (toks[s->n / 2 - 1] + toks[s->n / 2]);
	}
	/* which teachers */
	res->t = prov_calloc(nm + 1, sizeof(*res->t));
	if (!res->t) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < nm; i++) {
		int want = c->models[i].teacher;

		if (teachers && nteachers) {
			want = 0;
			for (k = 0; k < nteachers; k++)
				if (teachers[k] == (int)i)
					want = 1;
		}
		if (want)
			res->t[nt++].model = (int)i;
	}
	res->nteachers = nt;
	if (!nt || !s->n)
		goto finish;
	if ((rc = suspect_sims(&ss, pr, c, s)))
		goto done;
	for (i = 0; i < nt; i++) {
		struct eng_teacher *et = &res->t[i];
		size_t t = (size_t)et->model, nctrl = 0, b, sg;

		for (j = 0; j < nm; j++)
			if (j != t && !same_family(c, j, t))
				ctrl[nctrl++] = j;
		for (j = 0; j < nctrl; j++)
			claims[j] = claim_rate(c, ctrl[j], eng_family(&c->models[t]));
		et->null_n = pr->null[t].n;
		et->null_mean = pr->null[t].mean;
		et->null_sd = pr->null[t].sd;
		et->null_median = pr->null[t].median;
		et->null_max = pr->null[t].max;
		et->null_max_model = pr->null[t].max_model;
		et->null_effects = pr->null_eff + t * nm;
		et->p_raw = 1;
		et->panel_p = 1;
		et->closest = -1;
		describe(et, pr, c, s, &ss, t, ctrl, nctrl, claims);
		if ((rc = describe_phrases(et, pr, s, t)))
			goto done;
		if (!nctrl)
			continue;   /* no controls: nothing can be tested */
		if ((rc = scan_channels(&ch, pr, c, s, &ss, t, ctrl, nctrl, claims)))
			goto done;
		if ((rc = composite(&ts, &ch, ALL_CHANNELS, pr->params.seed, work, &et->dist, &et->ndist)))
			goto done;
		b = ts.closest;
		et->score = ts.ctrl[b].z;
		et->p_raw = ts.ctrl[b].p;
		et->effect = ts.ctrl[b].effect;
		et->n = (long)ts.ctrl[b].n;
		et->closest = (int)ctrl[b];
		et->panel_z = ts.panel.z;
		et->panel_effect = ts.panel.effect;
		et->panel_p = ts.panel.p;
		et->controls = prov_calloc(nctrl, sizeof(*et->controls));
		if (!et->controls) {
			rc = PROV_ENOMEM;
			goto done;
		}
		et->ncontrols = nctrl;
		for (j = 0; j < nctrl; j++) {
			et->controls[j].model = (int)ctrl[j];
			et->controls[j].z = ts.ctrl[j].z;
			et->controls[j].effect = ts.ctrl[j].effect;
			et->controls[j].p = ts.ctrl[j].p;
			et->controls[j].n = (long)ts.ctrl[j].n;
		}
		for (sg = 0; sg < SIG_COUNT; sg++) {
			struct eng_sigres *sr = &et->sig[sg];
			size_t bb;

			if (!chan_variance(&ch, signal_channels[sg]))
				continue;
			if ((rc = composite(&ts, &ch, signal_channels[sg], pr->params.seed, work, NULL, NULL)))
				goto done;
			if (!ts.any)
				continue;
			bb = ts.closest;
			sr->available = 1;
			sr->z = ts.ctrl[bb].z;
			sr->effect = ts.ctrl[bb].effect;
			sr->p = ts.ctrl[bb].p;
			sr->n = (long)ts.ctrl[bb].n;
			sr->closest = (int)ctrl[bb];
			sr->panel_z = ts.panel.z;
			sr->panel_effect = ts.panel.effect;
			sr->panel_p = ts.panel.p;
		}
	}
finish:
	praw = prov_calloc(nt + 1, sizeof(*praw));
	padj = prov_calloc(nt + 1, sizeof(*padj));
	if (!praw || !padj) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < nt; i++)
		praw[i] = res->t[i].p_raw;
	stat_holm(padj, praw, nt);
	for (i = 0; i < nt; i++) {
		res->t[i].p_holm = padj[i];
		decide(&res->t[i], pr, res->median_tokens);
	}
	qsort(res->t, nt, sizeof(*res->t), cmp_teacher);
	res->verdict = nt ? V_INCONCLUSIVE : V_NONE;
	for (i = 0; i < nt; i++) {
		enum eng_verdict v = res->t[i].verdict;

		if (v != V_INCONCLUSIVE && res->verdict == V_INCONCLUSIVE)
			res->verdict = V_NONE;
		if (v == V_STRONG || v == V_MODERATE || v == V_WEAK) {
			if (res->conclusion < 0 || v > res->t[res->conclusion].verdict)
				res->conclusion = (int)i;
		}
	}
	if (res->conclusion >= 0)
		res->verdict = res->t[res->conclusion].verdict;
done:
	sims_release(&ss);
	chan_release(&ch);
	free(ts.ctrl);
	free(ctrl);
	free(claims);
	free(work);
	free(toks);
	free(praw);
	free(padj);
	if (rc) {
		eng_result_free(res);
		return rc;
	}
	*out = res;
	return 0;
}

/* ---------------------------------------------------------------- 8. the cache */

#define PREP_MAGIC "PPREP006"

int eng_prep_encode(struct pbuf *out, const struct eng_prep *pr)
{
	size_t nm = pr->nmodels, np = pr->nprompts, i;
	uint64_t hdr[2] = { nm, np };
	int rc = 0;

	pbuf_reset(out);
	rc = pbuf_add(out, PREP_MAGIC, 8) || pbuf_add(out, ENG_VERSION "\0\0\0\0\0\0\0", 8) ||
	     pbuf_add(out, hdr, sizeof(hdr)) || pbuf_add(out, &pr->params, sizeof(pr->params)) ||
	     pbuf_add(out, pr->style_mean, sizeof(pr->style_mean)) || pbuf_add(out, pr->style_sd, sizeof(pr->style_sd)) ||
	     pbuf_add(out, pr->model_style, nm * FEAT_STYLE_DIM * sizeof(float)) ||
	     pbuf_add(out, pr->pair, np * nm * nm * PAIR_COUNT * sizeof(float)) ||
	     pbuf_add(out, pr->rate, np * nm * nm * sizeof(float)) ||
	     pbuf_add(out, pr->mean_rate, nm * nm * 2 * sizeof(float)) ||
	     pbuf_add(out, pr->null, nm * sizeof(*pr->null)) ||
	     pbuf_add(out, pr->null_eff, nm * nm * sizeof(*pr->null_eff));
	for (i = 0; !rc && i < nm * 2; i++) {
		const struct markers *mk = &pr->mk[i];
		uint64_t n = mk->n;

		rc = pbuf_add(out, &n, 8) || pbuf_add(out, mk->gram, mk->n * 8) || pbuf_add(out, mk->z, mk->n * 4) ||
		     pbuf_add(out, mk->rate_t, mk->n * 4) || pbuf_add(out, mk->rate_c, mk->n * 4);
	}
	return rc ? PROV_ENOMEM : 0;
}

static void *take_alloc(struct blob_reader *r, size_t n)
{
	void *p;

	if (r->left < n)
		return NULL;
	p = malloc(n ? n : 1);
	if (p && blob_take(r, p, n)) {
		free(p);
		return NULL;
	}
	return p;
}

int eng_prep_decode(struct eng_prep **out, const void *blob, size_t len, const struct eng_corpus *c,
	const struct eng_params *p)
{
	struct blob_reader r = { blob, len };
	struct eng_prep *pr;
	struct eng_params want;
	char magic[8], ver[8];
	uint64_t hdr[2];
	size_t nm, np, i;

	*out = NULL;
	if (p)
		want = *p;
	else
		eng_params_default(&want);
	if (blob_take(&r, magic, 8) || memcmp(magic, PREP_MAGIC, 8) || blob_take(&r, ver, 8) ||
	    strncmp(ver, ENG_VERSION, 8) || blob_take(&r, hdr, sizeof(hdr)) || hdr[0] != c->nmodels ||
	    hdr[1] != c->nprompts)
		return prov_error(PROV_ENOTFOUND, "cached preparation is stale");
	pr = prov_calloc(1, sizeof(*pr));
	if (!pr)
		return PROV_ENOMEM;
	nm = pr->nmodels = c->nmodels;
	np = pr->nprompts = c->nprompts;
	if (blob_take(&r, &pr->params, sizeof(pr->params)) || memcmp(&pr->params, &want, sizeof(want)) ||
	    blob_take(&r, pr->style_mean, sizeof(pr->style_mean)) || blob_take(&r, pr->style_sd, sizeof(pr->style_sd)) ||
	    !(pr->model_style = take_alloc(&r, nm * FEAT_STYLE_DIM * sizeof(float))) ||
	    !(pr->pair = take_alloc(&r, np * nm * nm * PAIR_COUNT * sizeof(float))) ||
	    !(pr->rate = take_alloc(&r, np * nm * nm * sizeof(float))) ||
	    !(pr->mean_rate = take_alloc(&r, nm * nm * 2 * sizeof(float))) ||
	    !(pr->null = take_alloc(&r, nm * sizeof(*pr->null))) ||
	    !(pr->null_eff = take_alloc(&r, nm * nm * sizeof(*pr->null_eff))) ||
	    !(pr->mk = prov_calloc(nm * 2, sizeof(*pr->mk))))
		goto stale;
	for (i = 0; i < nm * 2; i++) {
		struct markers *mk = &pr->mk[i];
		uint64_t n, k;

		if (blob_take(&r, &n, 8) || n > r.left / 20)
			goto stale;
		mk->n = (size_t)n;
		if (!(mk->gram = take_alloc(&r, mk->n * 8)) || !(mk->z = take_alloc(&r, mk->n * 4)) ||
		    !(mk->rate_t = take_alloc(&r, mk->n * 4)) || !(mk->rate_c = take_alloc(&r, mk->n * 4)) ||
		    hmap_init(&mk->set, mk->n + 8))
			goto stale;
		for (k = 0; k < n; k++) {
			size_t s;

			if (hmap_put(&mk->set, mk->gram[k], (uint32_t)k, &s) < 0)
				goto stale;
		}
	}
	if (r.left)
		goto stale;
	*out = pr;
	return 0;
stale:
	eng_prep_free(pr);
	return prov_error(PROV_ENOTFOUND, "cached preparation is stale or damaged");
}
