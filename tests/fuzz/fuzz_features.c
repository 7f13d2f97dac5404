/*
 * fuzz_features: the engine's per-answer features (detect/features.c) with the built-in pattern
 * library, the text normalisation (detect/text.c) and the feature blob decoder, on arbitrary
 * bytes. Invalid UTF-8 must be refused (PROV_EDATA), never read past; a computed feature set
 * must survive encode/decode unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/features.h"
#include "detect/patterns.h"
#include "detect/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pat_lib *lib;

static struct pat_lib *builtin(void)
{
	size_t len;
	const char *text;

	if (!lib) {
		text = pat_builtin_text(&len);
		if (pat_lib_new(&lib, text, len, "built-in patterns") != 0)
			abort();
	}
	return lib;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct feat f, g;
	struct tokens toks = TOKENS_INIT;
	struct pbuf blob;
	char key[PROV_SHA256_HEX];
	char *norm = NULL, *nfc = NULL;
	size_t nfc_len, i;
	int rc;

	/* the blob decoder is fed stored bytes, which may be corrupt */
	memset(&g, 0, sizeof(g));
	if (feat_decode(&g, data, size) == 0)
		feat_release(&g);

	memset(&f, 0, sizeof(f));
	rc = feat_compute(&f, text, size, builtin(), &toks);
	if (rc == 0) {
		if (f.ntok != toks.n)
			abort();
		for (i = 0; i < toks.n; i++)
			if (toks.v[i].start > toks.v[i].end || toks.v[i].end > size)
				abort();
		pbuf_init(&blob, 0);
		if (feat_encode(&blob, &f) != 0)
			abort();
		memset(&g, 0, sizeof(g));
		if (feat_decode(&g, blob.data, blob.len) != 0)
			abort();
		if (g.ntok != f.ntok || (f.ntok && memcmp(g.tok, f.tok, f.ntok * sizeof(*f.tok))) ||
		    g.refused != f.refused || g.nclaims != f.nclaims || g.opener != f.opener ||
		    g.closer != f.closer || strcmp(g.refusal_family, f.refusal_family))
			abort();
		feat_release(&g);
		pbuf_release(&blob);
	} else if (rc != PROV_EDATA) {
		abort();
	}
	feat_release(&f);
	tokens_release(&toks);

	if (text_prompt_key(key, text, size) == 0 && strlen(key) != PROV_SHA256_HEX - 1)
		abort();
	if (text_normalize_phrase(&norm, text, size) == 0)
		free(norm);
	if (pat_nfc(text, size, &nfc, &nfc_len) == 0)
		free(nfc);
	prov_error_clear();
	return 0;
}
