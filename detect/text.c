/*
 * text.c: normalisation and tokenisation.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#include <xxhash.h>

#include "detect/text.h"

#define TOKEN_SEED 0x70726f76u   /* "prov" */
#define MAX_TOKEN_BYTES 256      /* longer runs are cut into pieces of this size */

static int is_space_cp(utf8proc_int32_t cp)
{
	utf8proc_category_t c;

	if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v')
		return 1;
	if (cp < 0x80)
		return 0;
	c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

int text_prompt_key(char out[PROV_SHA256_HEX], const char *s, size_t len)
{
	utf8proc_uint8_t *norm = NULL;
	utf8proc_ssize_t n, i = 0;
	struct pbuf b = PBUF_INIT(0);
	int rc, pending_space = 0;

	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &norm,
		UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	if (n < 0)
		return prov_error(PROV_EDATA, "prompt: %s", utf8proc_errmsg(n));
	rc = pbuf_grow(&b, (size_t)n);
	while (!rc && i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(norm + i, n - i, &cp);

		if (k <= 0) {
			rc = prov_error(PROV_EINTERNAL, "utf8proc produced invalid UTF-8");
			break;
		}
		if (is_space_cp(cp)) {
			pending_space = b.len > 0;
		} else {
			if (pending_space)
				rc = pbuf_addc(&b, ' ');
			pending_space = 0;
			if (!rc)
				rc = pbuf_add(&b, norm + i, (size_t)k);
		}
		i += k;
	}
	if (!rc)
		rc = prov_sha256_hex(out, b.data ? b.data : "", b.len);
	pbuf_release(&b);
	free(norm);
	return rc;
}

static int is_cjk(utf8proc_int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) ||   /* Hiragana, Katakana */
	       (cp >= 0x3400 && cp <= 0x4dbf) ||   /* CJK Extension A */
	       (cp >= 0x4e00 && cp <= 0x9fff) ||   /* CJK Unified Ideographs */
	       (cp >= 0xf900 && cp <= 0xfaff) ||   /* CJK Compatibility Ideographs */
	       (cp >= 0x20000 && cp <= 0x3134f);   /* Extensions B-G */
}

/* 1: part of a word (letter, mark, digit), 2: digit, 0: separator. */
static int word_class(utf8proc_int32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_')
			return 1;
		if (cp >= '0' && cp <= '9')
			return 2;
		return 0;
	}
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		return 1;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 2;
	default:
		return 0;
	}
}

static int is_apostrophe(utf8proc_int32_t cp)
{
	return cp == '\'' || cp == 0x2019;
}

/* Append the normalised form of cp (NFKD + casefold) to buf; returns bytes written. */
static size_t norm_cp(utf8proc_int32_t cp, unsigned char *buf, size_t cap)
{
	utf8proc_int32_t dec[16];
	utf8proc_ssize_t n, i;
	size_t w = 0;
	int last;

	if (cp < 0x80) {
		if (cap < 1)
			return 0;
		buf[0] = (unsigned char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		return 1;
	}
	n = utf8proc_decompose_char(cp, dec, 16, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last);
	if (n < 0 || n > 16) {
		dec[0] = cp;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char tmp[4];
		utf8proc_ssize_t k = utf8proc_encode_char(dec[i], tmp);

		if (k <= 0 || w + (size_t)k > cap)
			break;
		memcpy(buf + w, tmp, (size_t)k);
		w += (size_t)k;
	}
	return w;
}

uint32_t text_token_hash(const char *norm, size_t len)
{
	return (uint32_t)XXH3_64bits_withSeed(norm, len, TOKEN_SEED);
}

uint64_t text_ngram_hash(const uint32_t *h, size_t n)
{
	return XXH3_64bits_withSeed(h, n * sizeof(*h), 0x6e6772616dULL + n);
}

static int push_tok(struct tokens *t, const unsigned char *norm, size_t nlen, size_t start, size_t end, int kind)
{
	struct tok *tk;

	if (prov_grow(&t->v, &t->cap, t->n, sizeof(*t->v), 256))
		return PROV_ENOMEM;
	tk = &t->v[t->n++];
	tk->hash = text_token_hash((const char *)norm, nlen);
	tk->start = (uint32_t)start;
	tk->end = (uint32_t)end;
	tk->kind = (uint8_t)kind;
	return 0;
}

int text_tokenize(struct tokens *out, const char *s, size_t len)
{
	unsigned char norm[MAX_TOKEN_BYTES + 64];
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0, nlen = 0, wstart = 0, wend = 0;
	int in_word = 0, all_digits = 1, rc;

	out->n = 0;
	if (len > UINT32_MAX)
		return prov_error(PROV_EDATA, "text longer than 4 GiB");
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		int wc;

		if (p[i] < 0x80) {
			cp = p[i];
			k = 1;
		} else {
			k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
			if (k <= 0)
				return prov_error(PROV_EDATA, "invalid UTF-8 at byte %zu", i + 1);
		}
		if (is_cjk(cp)) {
			if (in_word && (rc = push_tok(out, norm, nlen, wstart, wend, all_digits ? TOK_NUM : TOK_WORD)))
				return rc;
			in_word = 0;
			nlen = norm_cp(cp, norm, sizeof(norm));
			if ((rc = push_tok(out, norm, nlen, i, i + (size_t)k, TOK_CJK)))
				return rc;
			i += (size_t)k;
			continue;
		}
		wc = word_class(cp);
		if (!wc && in_word && is_apostrophe(cp) && i + (size_t)k < len) {
			/* keep an apostrophe between two letters: don't, l'homme */
			utf8proc_int32_t next;
			utf8proc_ssize_t k2 = utf8proc_iterate(p + i + k, (utf8proc_ssize_t)(len - i - (size_t)k), &next);

			if (k2 > 0 && word_class(next) == 1 && !is_cjk(next) && nlen + 1 < MAX_TOKEN_BYTES) {
				norm[nlen++] = '\'';
				wend = i + (size_t)k;
				all_digits = 0;
				i += (size_t)k;
				continue;
			}
		}
		if (wc) {
			if (!in_word) {
				in_word = 1;
				nlen = 0;
				wstart = i;
				all_digits = 1;
			} else if (nlen >= MAX_TOKEN_BYTES) {
				if ((rc = push_tok(out, norm, nlen, wstart, wend, all_digits ? TOK_NUM : TOK_WORD)))
					return rc;
				nlen = 0;
				wstart = i;
				all_digits = 1;
			}
			nlen += norm_cp(cp, norm + nlen, sizeof(norm) - nlen);
			if (wc == 1)
				all_digits = 0;
			wend = i + (size_t)k;
		} else if (in_word) {
			if ((rc = push_tok(out, norm, nlen, wstart, wend, all_digits ? TOK_NUM : TOK_WORD)))
				return rc;
			in_word = 0;
		}
		i += (size_t)k;
	}
	if (in_word && (rc = push_tok(out, norm, nlen, wstart, wend, all_digits ? TOK_NUM : TOK_WORD)))
		return rc;
	return 0;
}

void tokens_release(struct tokens *t)
{
	if (!t)
		return;
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

int text_normalize_phrase(char **out, const char *s, size_t len)
{
	struct tokens t = TOKENS_INIT;
	struct pbuf b = PBUF_INIT(0);
	unsigned char norm[16 * 4];
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = text_tokenize(&t, s, len)))
		goto done;
	for (i = 0; i < t.n && !rc; i++) {
		size_t j = t.v[i].start;

		if (i && (rc = pbuf_addc(&b, ' ')))
			break;
		while (j < t.v[i].end && !rc) {
			utf8proc_int32_t cp;
			utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + j,
				(utf8proc_ssize_t)(t.v[i].end - j), &cp);
			size_t w;

			if (k <= 0)
				break;
			w = norm_cp(cp, norm, sizeof(norm));
			rc = pbuf_add(&b, norm, w);
			j += (size_t)k;
		}
	}
	if (!rc)
		*out = pbuf_detach(&b, NULL);
done:
	pbuf_release(&b);
	tokens_release(&t);
	return rc;
}
