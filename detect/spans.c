/*
 * spans.c: shared verbatim passages.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/spans.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int spans_ngrams(uint64_t **out, size_t *n_out, const uint32_t *tok, size_t ntok, size_t min_tok)
{
	size_t n = ntok >= min_tok ? ntok - min_tok + 1 : 0, i, k = 0;
	uint64_t *g;

	*out = NULL;
	*n_out = 0;
	g = prov_calloc(n ? n : 1, sizeof(*g));
	if (!g)
		return PROV_ENOMEM;
	for (i = 0; i < n; i++)
		g[i] = text_ngram_hash(tok + i, min_tok);
	qsort(g, n, sizeof(*g), cmp_u64);
	for (i = 0; i < n; i++)
		if (!k || g[i] != g[k - 1])
			g[k++] = g[i];
	*out = g;
	*n_out = k;
	return 0;
}

struct anchor {
	uint64_t h;
	size_t pos;
};

static int cmp_anchor(const void *a, const void *b)
{
	const struct anchor *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_span_len(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->ntok != y->ntok)
		return x->ntok > y->ntok ? -1 : 1;
	return x->a_tok < y->a_tok ? -1 : x->a_tok > y->a_tok;
}

int spans_find(struct span **out, size_t *n_out, const struct tokens *a, const struct tokens *b, size_t min_tok,
	const uint64_t *common, size_t ncommon, size_t max_spans)
{
	size_t nb = b->n >= min_tok ? b->n - min_tok + 1 : 0, i, nsp = 0, cap = 0;
	struct anchor *idx = NULL;
	struct span *sp = NULL;
	uint32_t *ha = NULL, *hb = NULL;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	if (!min_tok || a->n < min_tok || b->n < min_tok)
		return 0;
	idx = prov_calloc(nb, sizeof(*idx));
	ha = prov_calloc(a->n, sizeof(*ha));
	hb = prov_calloc(b->n, sizeof(*hb));
	if (!idx || !ha || !hb) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < a->n; i++)
		ha[i] = a->v[i].hash;
	for (i = 0; i < b->n; i++)
		hb[i] = b->v[i].hash;
	for (i = 0; i < nb; i++) {
		idx[i].h = text_ngram_hash(hb + i, min_tok);
		idx[i].pos = i;
	}
	qsort(idx, nb, sizeof(*idx), cmp_anchor);
	i = 0;
	while (i + min_tok <= a->n) {
		struct anchor key, *hit;
		size_t best_len = 0, best_b = 0;

		key.h = text_ngram_hash(ha + i, min_tok);
		key.pos = 0;
		if (common && bsearch(&key.h, common, ncommon, sizeof(*common), cmp_u64)) {
			i++;
			continue;
		}
		/* first anchor with this hash */
		{
			size_t lo = 0, hi = nb;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (idx[mid].h < key.h)
					lo = mid + 1;
				else
					hi = mid;
			}
			hit = lo < nb && idx[lo].h == key.h ? &idx[lo] : NULL;
		}
		for (; hit && hit < idx + nb && hit->h == key.h; hit++) {
			size_t len = 0;

			while (i + len < a->n && hit->pos + len < b->n && ha[i + len] == hb[hit->pos + len]) {
				/* stop where the passage runs into text the controls or the prompt share */
				if (common && len + 1 > min_tok) {
					uint64_t g = text_ngram_hash(ha + i + len + 1 - min_tok, min_tok);

					if (bsearch(&g, common, ncommon, sizeof(*common), cmp_u64))
						break;
				}
				len++;
			}
			if (len > best_len) {
				best_len = len;
				best_b = hit->pos;
			}
		}
		if (best_len < min_tok) {
			i++;
			continue;
		}
		if ((rc = prov_grow(&sp, &cap, nsp, sizeof(*sp), 16)))
			goto done;
		sp[nsp].a_tok = i;
		sp[nsp].b_tok = best_b;
		sp[nsp].ntok = best_len;
		sp[nsp].a_start = a->v[i].start;
		sp[nsp].a_end = a->v[i + best_len - 1].end;
		sp[nsp].b_start = b->v[best_b].start;
		sp[nsp].b_end = b->v[best_b + best_len - 1].end;
		nsp++;
		i += best_len;
	}
	if (nsp)
		qsort(sp, nsp, sizeof(*sp), cmp_span_len);
	if (nsp > max_spans)
		nsp = max_spans;
	*out = sp;
	*n_out = nsp;
	sp = NULL;
done:
	free(idx);
	free(ha);
	free(hb);
	free(sp);
	return rc;
}
