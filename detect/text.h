/*
 * text.h: Unicode normalisation and tokens.
 *
 * Text is compared after compatibility decomposition and Unicode case folding
 * (utf8proc: NFKD + casefold per character, which matches exactly when NFKC +
 * casefold matches), so "Ｃａｆé", "CAFE\u0301" and "café" are the same word.
 * Words are runs of letters, marks and digits (an apostrophe between letters
 * stays inside the word: "don't"); Han, Hiragana and Katakana characters are
 * one token each, so a Chinese answer is not one giant token. Pure: no I/O.
 */
#ifndef PROV_TEXT_H
#define PROV_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "detect/util.h"

/*
 * The key under which a prompt is stored and matched: SHA-256 (hex) of the
 * prompt after NFKC, case folding, and collapsing every run of white space
 * to one space (leading and trailing space removed).
 * PROV_EDATA if the text is not valid UTF-8.
 */
int text_prompt_key(char out[PROV_SHA256_HEX], const char *s, size_t len);

enum tok_kind {
	TOK_WORD = 1,   /* letters (and digits, marks) */
	TOK_NUM = 2,    /* digits only */
	TOK_CJK = 3     /* one Han/Kana character */
};

struct tok {
	uint32_t hash;      /* hash of the normalised token */
	uint32_t start;     /* byte offset in the original text */
	uint32_t end;       /* one past the last byte */
	uint8_t kind;       /* enum tok_kind */
};

struct tokens {
	struct tok *v;
	size_t n;
	size_t cap;
};

#define TOKENS_INIT { NULL, 0, 0 }

/*
 * Tokenise `len` bytes of UTF-8 into *out (replacing its content).
 * PROV_EDATA on invalid UTF-8 or a text over 4 GiB; PROV_ENOMEM.
 */
int text_tokenize(struct tokens *out, const char *s, size_t len);
void tokens_release(struct tokens *t);

/* Hash of one already-normalised token string (what text_tokenize computes). */
uint32_t text_token_hash(const char *norm, size_t len);

/* Hash of the n-gram of token hashes h[0..n-1] (order matters). */
uint64_t text_ngram_hash(const uint32_t *h, size_t n);

/*
 * Normalise a short phrase the way tokens are normalised, as space-separated
 * tokens (for showing phrases and for tests). Caller frees *out.
 */
int text_normalize_phrase(char **out, const char *s, size_t len);

#endif
