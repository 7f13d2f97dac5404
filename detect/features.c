/*
 * features.c: per-response features and their blob encoding.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/features.h"

/* Function words: the most frequent English words, per 100 words (Burrows). */
static const char *const function_words[] = {
	"the", "of", "and", "to", "a", "in", "is", "that", "it", "for", "as", "with", "on", "be",
	"this", "are", "can", "or", "by", "an", "not", "from", "at", "have", "will", "which", "but",
	"their", "more", "they", "these", "if", "also", "may", "such", "there", "would", "when",
	"however", "here",
};
#define NFW (sizeof(function_words) / sizeof(function_words[0]))

enum {
	S_LOG_WORDS, S_LOG_PARAS, S_WORDS_PER_SENT, S_NUMBERED, S_BULLETS, S_HEADINGS, S_BOLD,
	S_CODE_BLOCKS, S_INLINE_CODE, S_TABLE, S_COLON_LINES, S_COMMA, S_SEMICOLON, S_COLON,
	S_EXCLAIM, S_QUESTION, S_PAREN, S_DQUOTE, S_DASH, S_ELLIPSIS, S_DIGITS, S_CAPITALISED,
	S_WORD_LEN, S_TTR, S_EXCLAIM_OPENER, S_ENDS_QUESTION, S_FIRST_PERSON, S_SECOND_PERSON,
	S_FUNCTION0
};

static const char *const style_names[S_FUNCTION0] = {
	"answer length (log words)", "paragraphs (log)", "words per sentence", "numbered-list lines (share)",
	"bullet lines (share)", "heading lines (share)", "bold markers per 100 words", "code blocks",
	"inline code per 100 words", "table lines (share)", "lines ending with a colon (share)",
	"commas per 100 words", "semicolons per 100 words", "colons per 100 words",
	"exclamation marks per 100 words", "question marks per 100 words", "parentheses per 100 words",
	"double quotes per 100 words", "dashes per 100 words", "ellipses per 100 words",
	"digits per 100 words", "capitalised words (share)", "mean word length (bytes)",
	"distinct words in the first 200 (share)", "exclamatory opener (\"Certainly!\")",
	"ends with a question", "first person (I, me, my) per 100 words", "second person (you, your) per 100 words",
};

_Static_assert(S_FUNCTION0 + NFW == FEAT_STYLE_DIM, "FEAT_STYLE_DIM must match the feature list");

const char *feat_style_name(size_t i)
{
	static _Thread_local char buf[64];

	if (i < S_FUNCTION0)
		return style_names[i];
	if (i < FEAT_STYLE_DIM) {
		snprintf(buf, sizeof(buf), "\"%s\" per 100 words", function_words[i - S_FUNCTION0]);
		return buf;
	}
	return "?";
}

static uint32_t word_hash(const char *w)
{
	return text_token_hash(w, strlen(w));
}

/* Line-level structure: lists, headings, tables, colons, code fences. */
static void line_features(const char *s, size_t len, float *v)
{
	size_t i = 0, lines = 0, numbered = 0, bullets = 0, headings = 0, table = 0, colon = 0, fences = 0;

	while (i < len) {
		size_t j = i, k, e;

		while (j < len && s[j] != '\n')
			j++;
		k = i;
		while (k < j && (s[k] == ' ' || s[k] == '\t'))
			k++;
		e = j;
		while (e > k && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
			e--;
		if (e > k) {
			lines++;
			if (s[k] >= '0' && s[k] <= '9') {
				size_t d = k;

				while (d < e && s[d] >= '0' && s[d] <= '9')
					d++;
				if (d < e && (s[d] == '.' || s[d] == ')') && d + 1 < e && s[d + 1] == ' ')
					numbered++;
			} else if ((s[k] == '-' || s[k] == '*' || s[k] == '+') && k + 1 < e && s[k + 1] == ' ') {
				bullets++;
			} else if (e - k >= 3 && (unsigned char)s[k] == 0xe2 && (unsigned char)s[k + 1] == 0x80 &&
				   (unsigned char)s[k + 2] == 0xa2) {
				bullets++;   /* U+2022 bullet */
			} else if (s[k] == '#') {
				headings++;
			} else if (s[k] == '|') {
				table++;
			}
			if (e - k >= 3 && !strncmp(s + k, "```", 3))
				fences++;
			if (s[e - 1] == ':')
				colon++;
		}
		i = j + 1;
	}
	if (lines) {
		v[S_NUMBERED] = (float)numbered / (float)lines;
		v[S_BULLETS] = (float)bullets / (float)lines;
		v[S_HEADINGS] = (float)headings / (float)lines;
		v[S_TABLE] = (float)table / (float)lines;
		v[S_COLON_LINES] = (float)colon / (float)lines;
	}
	v[S_CODE_BLOCKS] = (float)(fences / 2 > 5 ? 5 : fences / 2);
}

static size_t count_str(const char *s, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	const char *p = s, *end = s + len;

	while (p + k <= end && (p = memmem(p, (size_t)(end - p), needle, k)) != NULL) {
		n++;
		p += k;
	}
	return n;
}

static void char_features(const char *s, size_t len, float *v, double per100)
{
	size_t comma = 0, semi = 0, colon = 0, excl = 0, quest = 0, paren = 0, dq = 0, digits = 0, backtick = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case ',': comma++; break;
		case ';': semi++; break;
		case ':': colon++; break;
		case '!': excl++; break;
		case '?': quest++; break;
		case '(': paren++; break;
		case '"': dq++; break;
		case '`': backtick++; break;
		default:
			if (s[i] >= '0' && s[i] <= '9')
				digits++;
		}
	}
	/* full-width and typographic forms count with their ASCII cousins */
	comma += count_str(s, len, "\xef\xbc\x8c") + count_str(s, len, "\xe3\x80\x81");   /* ， 、 */
	excl += count_str(s, len, "\xef\xbc\x81");                                        /* ！ */
	quest += count_str(s, len, "\xef\xbc\x9f");                                       /* ？ */
	dq += count_str(s, len, "\xe2\x80\x9c") + count_str(s, len, "\xc2\xab");          /* “ « */
	v[S_COMMA] = (float)(comma * per100);
	v[S_SEMICOLON] = (float)(semi * per100);
	v[S_COLON] = (float)(colon * per100);
	v[S_EXCLAIM] = (float)(excl * per100);
	v[S_QUESTION] = (float)(quest * per100);
	v[S_PAREN] = (float)(paren * per100);
	v[S_DQUOTE] = (float)(dq * per100);
	v[S_DASH] = (float)((count_str(s, len, " - ") + count_str(s, len, "\xe2\x80\x94") +
		count_str(s, len, "\xe2\x80\x93")) * per100);                            /* - — – */
	v[S_ELLIPSIS] = (float)((count_str(s, len, "...") + count_str(s, len, "\xe2\x80\xa6")) * per100);
	v[S_DIGITS] = (float)(digits * per100);
	v[S_BOLD] = (float)(count_str(s, len, "**") / 2 * per100);
	v[S_INLINE_CODE] = (float)((backtick > 6 * v[S_CODE_BLOCKS] ? backtick - (size_t)(6 * v[S_CODE_BLOCKS]) : 0) / 2 * per100);
}

/* Sentences end at . ! ? (and their CJK forms) followed by space or end; paragraphs at blank lines. */
static void sentence_features(const char *s, size_t len, float *v, size_t words)
{
	size_t i, sentences = 0, paras = 0;
	int in_para = 0, blank_run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c == '.' || c == '!' || c == '?') && (i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\n'))
			sentences++;
		else if (c == 0xe3 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x82)
			sentences++;   /* 。 */
		if (c == '\n') {
			blank_run++;
			if (blank_run >= 2)
				in_para = 0;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			blank_run = 0;
			if (!in_para) {
				paras++;
				in_para = 1;
			}
		}
	}
	if (!sentences && words)
		sentences = 1;
	v[S_LOG_PARAS] = (float)log1p((double)paras);
	v[S_WORDS_PER_SENT] = sentences ? (float)fmin(60.0, (double)words / (double)sentences) : 0.0f;
}

static void opener_closer(struct feat *f)
{
	size_t n = f->ntok;

	f->opener = n ? text_ngram_hash(f->tok, n < 3 ? n : 3) : 0;
	f->closer = n ? text_ngram_hash(f->tok + (n > 4 ? n - 4 : 0), n < 4 ? n : 4) : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void word_features(struct feat *f, const struct tokens *t, const char *s, float *v, double per100)
{
	static _Thread_local uint32_t fw[NFW], first[3], second[2];
	static _Thread_local int ready;
	size_t i, j, caps = 0, words = 0, bytes = 0, fp = 0, sp = 0, window, distinct = 0;
	size_t counts[NFW];

	if (!ready) {
		for (i = 0; i < NFW; i++)
			fw[i] = word_hash(function_words[i]);
		first[0] = word_hash("i");
		first[1] = word_hash("me");
		first[2] = word_hash("my");
		second[0] = word_hash("you");
		second[1] = word_hash("your");
		ready = 1;
	}
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < t->n; i++) {
		const struct tok *k = &t->v[i];
		unsigned char c0 = (unsigned char)s[k->start];

		f->tok[i] = k->hash;
		if (k->kind != TOK_WORD)
			continue;
		words++;
		bytes += k->end - k->start;
		if (c0 >= 'A' && c0 <= 'Z')
			caps++;
		for (j = 0; j < NFW; j++)
			if (k->hash == fw[j]) {
				counts[j]++;
				break;
			}
		if (k->hash == first[0] || k->hash == first[1] || k->hash == first[2])
			fp++;
		else if (k->hash == second[0] || k->hash == second[1])
			sp++;
	}
	for (j = 0; j < NFW; j++)
		v[S_FUNCTION0 + j] = (float)(counts[j] * per100);
	v[S_FIRST_PERSON] = (float)(fp * per100);
	v[S_SECOND_PERSON] = (float)(sp * per100);
	if (words) {
		v[S_CAPITALISED] = (float)caps / (float)words;
		v[S_WORD_LEN] = (float)bytes / (float)words;
	}
	/* distinct tokens among the first 200 (a length-independent type-token ratio) */
	window = t->n < 200 ? t->n : 200;
	{
		uint32_t h[200];

		for (i = 0; i < window; i++)
			h[i] = t->v[i].hash;
		qsort(h, window, sizeof(h[0]), cmp_u32);
		for (i = 0; i < window; i++)
			if (i == 0 || h[i] != h[i - 1])
				distinct++;
	}
	v[S_TTR] = window ? (float)distinct / (float)window : 0.0f;
}

int feat_compute(struct feat *out, const char *text, size_t len, const struct pat_lib *lib,
	struct tokens *tokens_out)
{
	struct tokens local = TOKENS_INIT, *t = tokens_out ? tokens_out : &local;
	float *v = out->style;
	double per100;
	size_t i;
	int rc;

	feat_release(out);
	memset(out, 0, sizeof(*out));
	if ((rc = text_tokenize(t, text, len)))
		goto done;
	out->ntok = (uint32_t)t->n;
	out->tok = prov_calloc(t->n ? t->n : 1, sizeof(*out->tok));
	if (!out->tok) {
		rc = PROV_ENOMEM;
		goto done;
	}
	per100 = t->n ? 100.0 / (double)t->n : 0.0;
	word_features(out, t, text, v, per100);
	v[S_LOG_WORDS] = (float)log1p((double)t->n);
	line_features(text, len, v);
	char_features(text, len, v, per100);
	sentence_features(text, len, v, t->n);
	opener_closer(out);
	/* an exclamatory opener: "Certainly!", "Great question!" within the first 4 words */
	if (t->n) {
		size_t lim = t->n < 4 ? t->n : 4;
		size_t stop = t->v[lim - 1].end + 2 < len ? t->v[lim - 1].end + 2 : len;

		for (i = 0; i < stop; i++)
			if (text[i] == '!' || (i + 2 < len && !memcmp(text + i, "\xef\xbc\x81", 3)))
				v[S_EXCLAIM_OPENER] = 1.0f;
	}
	i = len;
	while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\n' || text[i - 1] == '\r' || text[i - 1] == '\t'))
		i--;
	v[S_ENDS_QUESTION] = i > 0 && text[i - 1] == '?' ? 1.0f : 0.0f;
	if (lib) {
		struct pat_refusal ref;
		struct pat_claim *claims = NULL;
		size_t n = 0, k, j;

		if ((rc = pat_find_refusal(lib, text, len, &ref)))
			goto done;
		out->refused = (int8_t)ref.refused;
		if (ref.refused && ref.family)
			snprintf(out->refusal_family, sizeof(out->refusal_family), "%s", ref.family);
		if ((rc = pat_find_claims(lib, text, len, &claims, &n)))
			goto done;
		for (k = 0; k < n && out->nclaims < FEAT_CLAIMS_MAX; k++) {
			for (j = 0; j < out->nclaims; j++)
				if (!strcmp(out->claims[j], claims[k].family))
					break;
			if (j < out->nclaims)
				continue;
			snprintf(out->claims[out->nclaims], FEAT_FAMILY_MAX, "%s", claims[k].family);
			out->claim_kind[out->nclaims] = (uint8_t)claims[k].kind;
			out->nclaims++;
		}
		free(claims);
	}
done:
	tokens_release(&local);
	if (rc)
		feat_release(out);
	return rc;
}

void feat_release(struct feat *f)
{
	if (!f)
		return;
	free(f->tok);
	f->tok = NULL;
	f->ntok = 0;
}

int feat_claims_family(const struct feat *f, const char *family)
{
	size_t i;

	if (!family)
		return 0;
	for (i = 0; i < f->nclaims; i++)
		if (!strcmp(f->claims[i], family))
			return 1;
	return 0;
}

void feat_version_string(char out[80], const struct pat_lib *lib)
{
	snprintf(out, 80, "%d:%s", FEAT_VERSION, lib ? pat_lib_sha256(lib) : "none");
}

/*
 * Blob layout (little-endian):
 *   "PF" u8 version u8 dim | u32 ntok | u32 tok[ntok] | f32 style[dim] | u64 opener | u64 closer |
 *   i8 refused | u8 len + family | u8 nclaims | nclaims x (u8 kind, u8 len + family)
 */
static int put(struct pbuf *b, const void *p, size_t n)
{
	return pbuf_add(b, p, n);
}

static int put_str(struct pbuf *b, const char *s)
{
	uint8_t n = (uint8_t)strnlen(s, FEAT_FAMILY_MAX - 1);

	return put(b, &n, 1) || put(b, s, n) ? PROV_ENOMEM : 0;
}

int feat_encode(struct pbuf *out, const struct feat *f)
{
	uint8_t head[4] = { 'P', 'F', FEAT_VERSION, FEAT_STYLE_DIM };
	size_t i;

	pbuf_reset(out);
	if (put(out, head, 4) || put(out, &f->ntok, 4) || put(out, f->tok, (size_t)f->ntok * 4) ||
	    put(out, f->style, sizeof(f->style)) || put(out, &f->opener, 8) || put(out, &f->closer, 8) ||
	    put(out, &f->refused, 1) || put_str(out, f->refusal_family) || put(out, &f->nclaims, 1))
		return PROV_ENOMEM;
	for (i = 0; i < f->nclaims; i++)
		if (put(out, &f->claim_kind[i], 1) || put_str(out, f->claims[i]))
			return PROV_ENOMEM;
	return 0;
}

struct reader {
	const unsigned char *p;
	size_t left;
};

static int get(struct reader *r, void *dst, size_t n)
{
	if (r->left < n)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static int get_str(struct reader *r, char *dst)
{
	uint8_t n;

	if (get(r, &n, 1) || n >= FEAT_FAMILY_MAX || get(r, dst, n))
		return -1;
	dst[n] = '\0';
	return 0;
}

int feat_decode(struct feat *out, const void *blob, size_t len)
{
	struct reader r = { blob, len };
	uint8_t head[4];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (get(&r, head, 4) || head[0] != 'P' || head[1] != 'F' || head[2] != FEAT_VERSION ||
	    head[3] != FEAT_STYLE_DIM || get(&r, &out->ntok, 4) || out->ntok > r.left / 4)
		return prov_error(PROV_EDATA, "stored features are malformed or from another version");
	out->tok = prov_calloc(out->ntok ? out->ntok : 1, sizeof(*out->tok));
	if (!out->tok)
		return PROV_ENOMEM;
	if (get(&r, out->tok, (size_t)out->ntok * 4) || get(&r, out->style, sizeof(out->style)) ||
	    get(&r, &out->opener, 8) || get(&r, &out->closer, 8) || get(&r, &out->refused, 1) ||
	    get_str(&r, out->refusal_family) || get(&r, &out->nclaims, 1) || out->nclaims > FEAT_CLAIMS_MAX)
		goto bad;
	for (i = 0; i < out->nclaims; i++)
		if (get(&r, &out->claim_kind[i], 1) || get_str(&r, out->claims[i]))
			goto bad;
	if (r.left)
		goto bad;
	return 0;
bad:
	feat_release(out);
	return prov_error(PROV_EDATA, "stored features are malformed");
}
