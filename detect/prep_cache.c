/*
 * prep_cache.c: the preparation as bytes (the cache in the store) and back.
 *
 * Layout: magic, engine version, (models, prompts, teachers, entries), the
 * parameters, style statistics, per-model styles, channel scales, mean
 * rates, claim rates, the entry offsets, the entries, then each marker set (count, grams,
 * z, teacher and control rates). Decoding checks everything it can against
 * the corpus (shape, offsets, model indexes) and rebuilds the hash sets and
 * the marker index; anything else is "stale or damaged" and the caller
 * recomputes.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/engine_int.h"

#define PREP_MAGIC "PPREP008"

int eng_prep_encode(struct pbuf *out, const struct eng_prep *pr)
{
	size_t nm = pr->nmodels, np = pr->nprompts, nt = pr->nteach, i;
	uint64_t hdr[4] = { nm, np, nt, pr->nent };
	int rc;

	pbuf_reset(out);
	rc = pbuf_add(out, PREP_MAGIC, 8) || pbuf_add(out, ENG_VERSION "\0\0\0\0\0\0\0", 8) ||
	     pbuf_add(out, hdr, sizeof(hdr)) || pbuf_add(out, &pr->params, sizeof(pr->params)) ||
	     pbuf_add(out, pr->style_mean, sizeof(pr->style_mean)) || pbuf_add(out, pr->style_sd, sizeof(pr->style_sd)) ||
	     pbuf_add(out, pr->model_style, nm * FEAT_STYLE_DIM * sizeof(float)) ||
	     pbuf_add(out, pr->scale, nt * 3 * sizeof(float)) ||
	     pbuf_add(out, pr->mean_rate, nm * nt * 2 * sizeof(float)) ||
	     pbuf_add(out, pr->claim_rate, nm * nt * sizeof(double)) ||
	     pbuf_add(out, pr->off, (np * nt + 1) * sizeof(uint64_t)) ||
	     pbuf_add(out, pr->ent, pr->nent * sizeof(struct eng_entry));
	for (i = 0; !rc && i < nt * 4; i++) {
		const struct markers *mk = &pr->mk[i];
		uint64_t n = mk->n;

		rc = pbuf_add(out, &n, 8) || pbuf_add(out, mk->gram, mk->n * 8) || pbuf_add(out, mk->z, mk->n * 4) ||
		     pbuf_add(out, mk->rate_t, mk->n * 4) || pbuf_add(out, mk->rate_c, mk->n * 4);
	}
	if (rc)
		return out->max && out->len + 1 > out->max ? prov_error(PROV_EDATA, "the preparation is larger than the"
			" cache allows") : PROV_ENOMEM;
	return 0;
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

/* The entries of the table, copied out of the blob, or (owned: the blob's own buffer) read where they are. */
static struct eng_entry *take_entries(struct blob_reader *r, size_t n, struct eng_prep *pr, void *owned)
{
	const unsigned char *at = r->p;

	if (!owned || (uintptr_t)at % _Alignof(struct eng_entry))
		return take_alloc(r, n * sizeof(struct eng_entry));
	if (r->left < n * sizeof(struct eng_entry))
		return NULL;
	r->p += n * sizeof(struct eng_entry);
	r->left -= n * sizeof(struct eng_entry);
	pr->backing = owned;
	return (struct eng_entry *)(uintptr_t)at;
}

static int decode(struct eng_prep **out, const void *blob, size_t len, const struct eng_corpus *c,
	const struct eng_params *p, void *owned)
{
	struct blob_reader r = { blob, len };
	struct eng_prep *pr;
	struct eng_params want;
	char magic[8], ver[8];
	uint64_t hdr[4];
	size_t nm, np, nt, i;

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
	if (prep_layout(pr, c) || hdr[2] != pr->nteach || hdr[3] > len / sizeof(struct eng_entry))
		goto stale;
	nt = pr->nteach;
	pr->nent = (size_t)hdr[3];
	if (blob_take(&r, &pr->params, sizeof(pr->params)) || memcmp(&pr->params, &want, sizeof(want)) ||
	    blob_take(&r, pr->style_mean, sizeof(pr->style_mean)) || blob_take(&r, pr->style_sd, sizeof(pr->style_sd)) ||
	    !(pr->model_style = take_alloc(&r, nm * FEAT_STYLE_DIM * sizeof(float))) ||
	    !(pr->scale = take_alloc(&r, nt * 3 * sizeof(float))) ||
	    !(pr->mean_rate = take_alloc(&r, nm * nt * 2 * sizeof(float))) ||
	    !(pr->claim_rate = take_alloc(&r, nm * nt * sizeof(double))) ||
	    !(pr->off = take_alloc(&r, (np * nt + 1) * sizeof(uint64_t))) ||
	    !(pr->ent = take_entries(&r, pr->nent, pr, owned)) ||
	    !(pr->mk = prov_calloc(nt * 4 + 1, sizeof(*pr->mk))))
		goto stale;
	if (pr->off[np * nt] != pr->nent)
		goto stale;
	for (i = 0; i < np * nt; i++)
		if (pr->off[i] > pr->off[i + 1])
			goto stale;
	for (i = 0; i < pr->nent; i++)
		if (pr->ent[i].y >= nm)
			goto stale;
	for (i = 0; i < nt * 4; i++) {
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
	if (r.left || mk_index_build(&pr->mi, pr->mk, nt * 4))
		goto stale;
	*out = pr;
	return 0;
stale:
	if (pr->backing) {      /* the blob stays the caller's */
		pr->ent = NULL;
		pr->backing = NULL;
	}
	eng_prep_free(pr);
	return prov_error(PROV_ENOTFOUND, "cached preparation is stale or damaged");
}

int eng_prep_decode(struct eng_prep **out, const void *blob, size_t len, const struct eng_corpus *c,
	const struct eng_params *p)
{
	return decode(out, blob, len, c, p, NULL);
}

int eng_prep_decode_take(struct eng_prep **out, struct pbuf *blob, const struct eng_corpus *c,
	const struct eng_params *p)
{
	void *buf = blob->data;
	size_t len = blob->len;
	int rc;

	blob->data = NULL;
	blob->len = blob->cap = 0;
	rc = decode(out, buf ? buf : "", len, c, p, buf);
	if (rc || !(*out)->backing)
		free(buf);
	return rc;
}
