/*
 * features.c: per-response features and their blob encoding.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

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
	"digits per 100 words", "capitalised words (share)", "mean word length (characters)",
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

/*
 * Punctuation and markup counts in one pass over the bytes: ASCII marks, and
 * the typographic and full-width forms counted with their ASCII cousins.
 */
static void char_features(const char *text, size_t len, float *v, double per100, int greek)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t comma = 0, semi = 0, colon = 0, excl = 0, quest = 0, paren = 0, dq = 0, digits = 0, backtick = 0;
	size_t dash = 0, ellipsis = 0, bold = 0, i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		switch (c) {
		case ',': comma++; break;
		case ';':
			/* in Greek, ';' is the question mark (U+037E folds to it) */
			if (greek)
				quest++;
			else
				semi++;
			break;
		case 0xcd:   /* U+037E GREEK QUESTION MARK */
			if (i + 1 < len && s[i + 1] == 0xbe)
				quest++;
			break;
		case ':': colon++; break;
		case '!': excl++; break;
		case '?': quest++; break;
		case '(': paren++; break;
		case '"': dq++; break;
		case '`': backtick++; break;
		case '*':
			if (i + 1 < len && s[i + 1] == '*') {
				bold++;
				i++;
			}
			break;
		case '.':
			if (i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
				ellipsis++;
				i += 2;
			}
			break;
		case '-':
			if (i > 0 && i + 1 < len && s[i - 1] == ' ' && s[i + 1] == ' ')
				dash++;
			break;
		case 0xe2:   /* general punctuation: U+2014, U+2013, U+2026, U+201C */
			if (i + 2 < len && s[i + 1] == 0x80) {
				unsigned char d = s[i + 2];

				if (d == 0x94 || d == 0x93)
					dash++;
				else if (d == 0xa6)
					ellipsis++;
				else if (d == 0x9c)
					dq++;
			}
			break;
		case 0xef:   /* full-width forms: ， ！ ？ */
			if (i + 2 < len && s[i + 1] == 0xbc) {
				unsigned char d = s[i + 2];

				if (d == 0x8c)
					comma++;
				else if (d == 0x81)
					excl++;
				else if (d == 0x9f)
					quest++;
			}
			break;
		case 0xe3:   /* ideographic comma 、 */
			if (i + 2 < len && s[i + 1] == 0x80 && s[i + 2] == 0x81)
				comma++;
			break;
		case 0xc2:   /* « */
			if (i + 1 < len && s[i + 1] == 0xab)
				dq++;
			break;
		default:
			if (c >= '0' && c <= '9')
				digits++;
		}
	}
	v[S_COMMA] = (float)(comma * per100);
	v[S_SEMICOLON] = (float)(semi * per100);
	v[S_COLON] = (float)(colon * per100);
	v[S_EXCLAIM] = (float)(excl * per100);
	v[S_QUESTION] = (float)(quest * per100);
	v[S_PAREN] = (float)(paren * per100);
	v[S_DQUOTE] = (float)(dq * per100);
	v[S_DASH] = (float)(dash * per100);
	v[S_ELLIPSIS] = (float)(ellipsis * per100);
	v[S_DIGITS] = (float)(digits * per100);
	v[S_BOLD] = (float)(bold / 2 * per100);
	v[S_INLINE_CODE] = (float)((backtick > 6 * v[S_CODE_BLOCKS] ? backtick - (size_t)(6 * v[S_CODE_BLOCKS]) : 0) / 2 * per100);
}

/* Sentences end at . ! ? (and their CJK and Greek forms) followed by space or end; paragraphs at blank lines. */
static void sentence_features(const char *s, size_t len, float *v, size_t words, int greek)
{
	size_t i, sentences = 0, paras = 0;
	int in_para = 0, blank_run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c == '.' || c == '!' || c == '?' || (greek && c == ';')) &&
		    (i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\n'))
			sentences++;
		else if (c == 0xcd && i + 1 < len && (unsigned char)s[i + 1] == 0xbe)
			sentences++;   /* U+037E */
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

/* Mostly Greek? (Greek and Coptic letters, two bytes each, outnumber the ASCII letters.) */
static int is_greek(const char *text, size_t len)
{
	size_t i, greek = 0, latin = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c == 0xce || c == 0xcf) && i + 1 < len)
			greek++;
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			latin++;
	}
	return greek > latin;
}

static void opener_closer(struct feat *f)
{
	size_t n = f->ntok;

	f->opener = n ? text_ngram_hash(f->tok, n < 3 ? n : 3) : 0;
	f->closer = n ? text_ngram_hash(f->tok + (n > 4 ? n - 4 : 0), n < 4 ? n : 4) : 0;
}

static void word_features(struct feat *f, const struct tokens *t, const char *s, float *v, double per100)
{
	/* the function words and pronouns in a small open-addressing table: hash -> index + 1 */
	static _Thread_local uint32_t tkey[256];
	static _Thread_local uint8_t tval[256];
	static _Thread_local int ready;
	enum { FIRST = NFW + 1, SECOND = NFW + 2 };
	size_t i, caps = 0, words = 0, bytes = 0, fp = 0, sp = 0, window, distinct = 0;
	size_t counts[NFW];

	if (!ready) {
		static const char *const pron[] = { "i", "me", "my", "you", "your" };

		for (i = 0; i < NFW + 5; i++) {
			uint32_t h = word_hash(i < NFW ? function_words[i] : pron[i - NFW]), k = h & 255;

			while (tval[k])
				k = (k + 1) & 255;
			tkey[k] = h;
			tval[k] = (uint8_t)(i < NFW ? i + 1 : i - NFW < 3 ? FIRST : SECOND);
		}
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
		{
			/* word length in characters; capitalised by the first character's Unicode category */
			size_t b;
			utf8proc_int32_t cp = c0;

			for (b = k->start; b < k->end; b++)
				bytes += ((unsigned char)s[b] & 0xc0) != 0x80;
			if (c0 >= 0x80)
				utf8proc_iterate((const utf8proc_uint8_t *)s + k->start, (utf8proc_ssize_t)(k->end - k->start),
					&cp);
			if ((c0 >= 'A' && c0 <= 'Z') || (c0 >= 0x80 && cp > 0 &&
				utf8proc_category(cp) == UTF8PROC_CATEGORY_LU))
				caps++;
		}
		{
			uint32_t slot = k->hash & 255;

			while (tval[slot] && tkey[slot] != k->hash)
				slot = (slot + 1) & 255;
			if (tval[slot] == FIRST)
				fp++;
			else if (tval[slot] == SECOND)
				sp++;
			else if (tval[slot])
				counts[tval[slot] - 1]++;
		}
	}
	for (i = 0; i < NFW; i++)
		v[S_FUNCTION0 + i] = (float)(counts[i] * per100);
	v[S_FIRST_PERSON] = (float)(fp * per100);
	v[S_SECOND_PERSON] = (float)(sp * per100);
	if (words) {
		v[S_CAPITALISED] = (float)caps / (float)words;
		v[S_WORD_LEN] = (float)bytes / (float)words;
	}
	/* distinct tokens among the first 200 (a length-independent type-token ratio), by a small hash set */
	window = t->n < 200 ? t->n : 200;
	{
		uint32_t set[512];
		uint8_t used[512];

		memset(used, 0, sizeof(used));
		for (i = 0; i < window; i++) {
			uint32_t h = t->v[i].hash, k = (h ^ (h >> 9)) & 511;

			while (used[k] && set[k] != h)
				k = (k + 1) & 511;
			if (!used[k]) {
				used[k] = 1;
				set[k] = h;
				distinct++;
			}
		}
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
	int rc, greek;

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
	greek = is_greek(text, len);
	word_features(out, t, text, v, per100);
	v[S_LOG_WORDS] = (float)log1p((double)t->n);
	line_features(text, len, v);
	char_features(text, len, v, per100, greek);
	sentence_features(text, len, v, t->n, greek);
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
	v[S_ENDS_QUESTION] = i > 0 && (text[i - 1] == '?' || (greek && text[i - 1] == ';') ||
		(i > 1 && (unsigned char)text[i - 2] == 0xcd && (unsigned char)text[i - 1] == 0xbe) ||
		(i > 2 && !memcmp(text + i - 3, "\xef\xbc\x9f", 3))) ? 1.0f : 0.0f;
	if (lib) {
		struct pat_refusal ref;
		struct pat_claim *claims = NULL;
		size_t n = 0, k, j;

		if ((rc = pat_find_refusal(lib, text, len, &ref)))
			goto done;
		out->refused = (int8_t)ref.refused;
		out->refusal_kind = (uint8_t)(ref.refused ? ref.shape : PAT_SHAPE_NONE);
		if (ref.refused && ref.family)
			snprintf(out->refusal_family, sizeof(out->refusal_family), "%s", ref.family);
		if ((rc = pat_find_claims(lib, text, len, &claims, &n)))
			goto done;
		/* one entry per family: its first claim, raised to the strongest one seen */
		for (k = 0; k < n; k++) {
			for (j = 0; j < out->nclaims; j++)
				if (!strcmp(out->claims[j], claims[k].family))
					break;
			if (j < out->nclaims) {
				if (claims[k].strength > out->claim_strength[j]) {
					out->claim_strength[j] = (uint8_t)claims[k].strength;
					out->claim_kind[j] = (uint8_t)claims[k].kind;
				}
				continue;
			}
			if (out->nclaims == FEAT_CLAIMS_MAX)
				continue;
			snprintf(out->claims[out->nclaims], FEAT_FAMILY_MAX, "%s", claims[k].family);
			out->claim_kind[out->nclaims] = (uint8_t)claims[k].kind;
			out->claim_strength[out->nclaims] = (uint8_t)claims[k].strength;
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

int feat_claim_strength(const struct feat *f, const char *family)
{
	size_t i;

	if (!family)
		return 0;
	for (i = 0; i < f->nclaims; i++)
		if (!strcmp(f->claims[i], family))
			return f->claim_strength[i];
	return 0;
}

double feat_refusal_agreement(const struct feat *a, const struct feat *b)
{
	if (!a->refused || !b->refused)
		return 0;
	return 1.0 + (a->refusal_family[0] && strcmp(a->refusal_family, "generic") &&
		!strcmp(a->refusal_family, b->refusal_family) ? 1.0 : 0.0);
}

void feat_version_string(char out[80], const struct pat_lib *lib)
{
	snprintf(out, 80, "%d:%s", FEAT_VERSION, lib ? pat_lib_sha256(lib) : "none");
}

/*
 * Blob layout (little-endian):
 *   "PF" u8 version u8 dim | u32 ntok | u32 tok[ntok] | f32 style[dim] | u64 opener | u64 closer |
 *   i8 refused | u8 len + family | u8 nclaims | nclaims x (u8 kind, u8 len + family) |
 *   u8 refusal kind | nclaims x u8 strength                       (version 4)
 */
static int put_str(struct pbuf *b, const char *s)
{
	uint8_t n = (uint8_t)strnlen(s, FEAT_FAMILY_MAX - 1);

	return pbuf_add(b, &n, 1) || pbuf_add(b, s, n) ? PROV_ENOMEM : 0;
}

int feat_encode(struct pbuf *out, const struct feat *f)
{
	uint8_t head[4] = { 'P', 'F', FEAT_VERSION, FEAT_STYLE_DIM };
	size_t i;

	pbuf_reset(out);
	if (pbuf_add(out, head, 4) || pbuf_add(out, &f->ntok, 4) || pbuf_add(out, f->tok, (size_t)f->ntok * 4) ||
	    pbuf_add(out, f->style, sizeof(f->style)) || pbuf_add(out, &f->opener, 8) || pbuf_add(out, &f->closer, 8) ||
	    pbuf_add(out, &f->refused, 1) || put_str(out, f->refusal_family) || pbuf_add(out, &f->nclaims, 1))
		return PROV_ENOMEM;
	for (i = 0; i < f->nclaims; i++)
		if (pbuf_add(out, &f->claim_kind[i], 1) || put_str(out, f->claims[i]))
			return PROV_ENOMEM;
	if (pbuf_add(out, &f->refusal_kind, 1) || pbuf_add(out, f->claim_strength, f->nclaims))
		return PROV_ENOMEM;
	return 0;
}

static int get_str(struct blob_reader *r, char *dst)
{
	uint8_t n;

	if (blob_take(r, &n, 1) || n >= FEAT_FAMILY_MAX || blob_take(r, dst, n))
		return -1;
	dst[n] = '\0';
	return 0;
}

int feat_decode(struct feat *out, const void *blob, size_t len)
{
	struct blob_reader r = { blob, len };
	uint8_t head[4];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (blob_take(&r, head, 4) || head[0] != 'P' || head[1] != 'F' || head[2] != FEAT_VERSION ||
	    head[3] != FEAT_STYLE_DIM || blob_take(&r, &out->ntok, 4) || out->ntok > r.left / 4)
		return prov_error(PROV_EDATA, "stored features are malformed or from another version");
	out->tok = prov_calloc(out->ntok ? out->ntok : 1, sizeof(*out->tok));
	if (!out->tok)
		return PROV_ENOMEM;
	if (blob_take(&r, out->tok, (size_t)out->ntok * 4) || blob_take(&r, out->style, sizeof(out->style)) ||
	    blob_take(&r, &out->opener, 8) || blob_take(&r, &out->closer, 8) || blob_take(&r, &out->refused, 1) ||
	    get_str(&r, out->refusal_family) || blob_take(&r, &out->nclaims, 1) || out->nclaims > FEAT_CLAIMS_MAX)
		goto bad;
	for (i = 0; i < out->nclaims; i++)
		if (blob_take(&r, &out->claim_kind[i], 1) || get_str(&r, out->claims[i]))
			goto bad;
	if (blob_take(&r, &out->refusal_kind, 1) || out->refusal_kind > PAT_SHAPE_PREMISE ||
	    blob_take(&r, out->claim_strength, out->nclaims))
		goto bad;
	for (i = 0; i < out->nclaims; i++)
		if (out->claim_strength[i] > PAT_STRONG)
			goto bad;
	if (r.left)
		goto bad;
	return 0;
bad:
	feat_release(out);
	return prov_error(PROV_EDATA, "stored features are malformed");
}
