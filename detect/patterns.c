/*
 * patterns.c: the PCRE2 pattern library (see patterns.h for the contract).
 *
 * Every regex is compiled once, with PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS,
 * and JIT-compiled where the platform allows (pcre2_match falls back to the
 * interpreter by itself when it is not). Nothing in a library is written after
 * pat_lib_new returns and every call creates its own match data, so one
 * library serves any number of threads.
 *
 * Speed. PCRE2 is fast on a pattern that starts with a rare literal and slow
 * (about 6 ns a byte per pattern) on one that starts with "\b(?:I|As|my ...)";
 * an alternation of all patterns is no faster than running them one by one.
 * So each regex is analysed once for its literal factors: a small set of
 * strings such that every match contains at least one of them ("sorry",
 * "openai", "cannot", "knowledge" ...). One pass over the text, hashing every
 * three bytes, finds the factors present; a regex runs only where one of its
 * factors occurs. Most responses contain none, so most regexes never run.
 * The analysis is conservative: a construct it does not understand gives the
 * regex no factors, and the regex then always runs (slower, never wrong).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "detect/patterns.h"

/* The Makefile compiles detect/patterns.tsv into these (build/gen/patterns_data.c). */
extern const char pat_builtin_data[];
extern const size_t pat_builtin_size;

/* A library with more lines than this is not a pattern library. */
#define PAT_MAX_LINES 20000

/*
 * The refusal window. Models refuse up front: the refusal is the first
 * sentence, or the second after a one-line preamble ("I'm happy to help!
 * However, I must point out ...", "I'm sorry to hear that. ..."). A declining
 * or moralising sentence deep inside an answer is a caveat of a compliant
 * answer ("... it is not appropriate to make assumptions about ..."), not a
 * refusal. So only sentences among the first PAT_WINDOW_SENTENCES that hold
 * a letter and start within the first PAT_WINDOW_CHARS characters are
 * examined (300 characters is two or three ordinary sentences; on XSTest, 600
 * finds one more refusal and two more false alarms, 200 misses five
 * refusals). Characters, not bytes: a Greek or Chinese character takes two or
 * three bytes. A sentence is examined up to PAT_SENTENCE_MAX bytes.
 */
/* Compile with PCRE2's JIT (pat_use_jit). */
static int jit_enabled = 1;

void pat_use_jit(int on)
{
	jit_enabled = on;
}

#define PAT_WINDOW_SENTENCES 4
#define PAT_WINDOW_CHARS 300
#define PAT_SENTENCE_MAX 1024

/*
 * A lecture counts only among the first PAT_LECTURE_SENTENCES sentences: a
 * model that refuses by moralising does it up front ("I'm happy to help!
 * However, I must point out ..."), while a moral remark in the fourth
 * sentence follows an answer already under way ("In other cases it may mean
 * ... It is important to note that violence is illegal").
 */
#define PAT_LECTURE_SENTENCES 3

/*
 * Past the opening window, list items are still examined for declines and
 * partial refusals (a refusal in the middle of a list: "3. I can't help with
 * the part about ..."), among the first PAT_LIST_CHARS characters and at
 * most PAT_MAX_SENTENCES sentences.
 */
#define PAT_LIST_CHARS 4000
#define PAT_MAX_SENTENCES 256

/* At most this many false-friend matches are remembered per sentence. */
#define PAT_MAX_VETOES 32

/* Literal-factor analysis limits (see "literal factors" below). */
#define FAC_MAX_SET 64      /* strings in one exact or factor set */
#define FAC_MAX_LEN 40      /* bytes in one string */
#define FAC_MIN_LEN 3       /* a shorter factor gates nothing useful */
#define FAC_MAX_DEPTH 32    /* group nesting the analysis follows */
#define FAC_HASH_BITS 15

struct pat_entry {
	struct pat_info info;
	char *folded;             /* the regex with its marks folded away (fold_marks), NULL if the same */
	pcre2_code *code;
	size_t fac_first, fac_count; /* its factors: lib->pfac[fac_first .. +fac_count); none = always run */
};

struct pat_lib {
	char *text;               /* private copy of the library text, fields cut at tabs */
	struct pat_entry *pats;
	size_t n;
	/* Literal factors: distinct strings (ASCII lowercased), hashed on their rarest three bytes. */
	char **fac;
	size_t *fac_len;
	size_t nfac, fac_cap;
	uint32_t *pfac;           /* factor ids of every pattern, concatenated */
	size_t npfac, pfac_cap;
	uint32_t *fac_key;        /* factor id -> its rarest three bytes (folded), the hash key */
	size_t *fac_keyoff;       /* factor id -> where in the factor those bytes are */
	uint64_t *fac_bits;       /* hash bucket -> 1 if any factor lives there */
	int32_t *fac_head;        /* hash bucket -> first factor id, -1 if empty */
	int32_t *fac_next;        /* factor id -> next id in its bucket */
	uint32_t *fp_first;       /* factor id -> its patterns: fp_pat[fp_first[f] .. fp_first[f + 1]) */
	uint32_t *fp_pat;
	uint64_t *always;         /* bitset of the patterns without factors: they always run */
	size_t pwords;            /* 64-bit words in a pattern bitset */
	size_t fwords;            /* 64-bit words in a factor bitset */
	char sha256[PROV_SHA256_HEX];
};

const char *pat_builtin_text(size_t *len_out)
{
	if (len_out)
		*len_out = pat_builtin_size;
	return pat_builtin_data;
}

static const struct {
	const char *name;
	enum pat_kind kind;
} kinds[] = {
	{ "refusal", PAT_REFUSAL },
	{ "identity", PAT_IDENTITY },
	{ "cutoff", PAT_CUTOFF },
	{ "false_friend", PAT_FALSE_FRIEND },
};

static const char *const shape_names[] = { NULL, "decline", "lecture", "redirect", "partial", "premise" };
static const char *const strength_names[] = { NULL, "weak", "strong" };
static const char *const scope_names[] = { "overlap", "moot", "comply" };

const char *pat_shape_name(enum pat_shape shape)
{
	return (unsigned)shape < sizeof(shape_names) / sizeof(shape_names[0]) ? shape_names[shape] : NULL;
}

const char *pat_strength_name(enum pat_strength strength)
{
	return (unsigned)strength < sizeof(strength_names) / sizeof(strength_names[0]) ?
		strength_names[strength] : NULL;
}

/* Index of `q` in names[0..n) (NULL entries skipped), or -1. */
static int name_index(const char *const *names, size_t n, const char *q)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], q))
			return (int)i;
	return -1;
}

/*
 * The kind field "kind[:qualifier]" into e->info (kind, shape, strength,
 * scope); 0, or PROV_EDATA naming origin:line.
 */
static int parse_kind(struct pat_entry *e, char *field, const char *origin, long line)
{
	char *q = strchr(field, ':');
	size_t i;
	int k;

	if (q)
		*q++ = '\0';
	e->info.kind = 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(field, kinds[i].name))
			e->info.kind = kinds[i].kind;
	if (!e->info.kind)
		return prov_error(PROV_EDATA, "%s:%ld: bad kind '%s' (refusal, identity, cutoff or false_friend)",
			origin, line, field);
	e->info.shape = e->info.kind == PAT_REFUSAL ? PAT_SHAPE_DECLINE : PAT_SHAPE_NONE;
	e->info.strength = e->info.kind == PAT_IDENTITY ? PAT_STRONG : e->info.kind == PAT_CUTOFF ? PAT_WEAK :
		PAT_STRENGTH_NONE;
	e->info.scope = PAT_SCOPE_OVERLAP;
	if (!q)
		return 0;
	switch (e->info.kind) {
	case PAT_REFUSAL:
		k = name_index(shape_names, sizeof(shape_names) / sizeof(shape_names[0]), q);
		if (k < 0)
			return prov_error(PROV_EDATA, "%s:%ld: bad refusal shape '%s' "
				"(decline, lecture, redirect, partial or premise)", origin, line, q);
		e->info.shape = (enum pat_shape)k;
		return 0;
	case PAT_IDENTITY:
	case PAT_CUTOFF:
		k = name_index(strength_names, sizeof(strength_names) / sizeof(strength_names[0]), q);
		if (k < 0)
			return prov_error(PROV_EDATA, "%s:%ld: bad claim strength '%s' (strong or weak)", origin, line, q);
		e->info.strength = (enum pat_strength)k;
		return 0;
	default:
		k = name_index(scope_names, sizeof(scope_names) / sizeof(scope_names[0]), q);
		if (k < 0)
			return prov_error(PROV_EDATA, "%s:%ld: bad false-friend scope '%s' (overlap, moot or comply)",
				origin, line, q);
		e->info.scope = (enum pat_scope)k;
		return 0;
	}
}

static int is_claim_kind(enum pat_kind k)
{
	return k == PAT_IDENTITY || k == PAT_CUTOFF;
}

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ---- literal factors ---- */

/*
 * What the analysis knows about a piece of regex. `exact`, when exact_ok, is
 * every string the piece can match (ASCII folded to lowercase). `fac`, when
 * fac_ok, is a set of which every match contains at least one. Both are small
 * and only ever shrink in precision: dropping knowledge is always safe.
 */
struct strset {
	size_t n;
	unsigned char len[FAC_MAX_SET];
	char s[FAC_MAX_SET][FAC_MAX_LEN];
};

struct finfo {
	int exact_ok, fac_ok;
	struct strset exact, fac;
};

struct fparser {
	const char *p;
	int fail;      /* a construct the analysis does not follow: no factors at all */
	int depth;
};

static void finfo_any(struct finfo *x)
{
	x->exact_ok = 0;
	x->fac_ok = 0;
	x->exact.n = 0;
	x->fac.n = 0;
}

static void finfo_empty(struct finfo *x)
{
	finfo_any(x);
	x->exact_ok = 1;
	x->exact.n = 1;
	x->exact.len[0] = 0;
}

static void finfo_bytes(struct finfo *x, const char *b, size_t n)
{
	size_t i;

	finfo_any(x);
	if (n > FAC_MAX_LEN)
		return;
	x->exact_ok = 1;
	x->exact.n = 1;
	x->exact.len[0] = (unsigned char)n;
	for (i = 0; i < n; i++)
		x->exact.s[0][i] = (char)fold((unsigned char)b[i]);
}

static int set_has(const struct strset *a, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->len[i] == n && !memcmp(a->s[i], s, n))
			return 1;
	return 0;
}

/* Add s to a; 0 if it does not fit. */
static int set_add(struct strset *a, const char *s, size_t n)
{
	if (set_has(a, s, n))
		return 1;
	if (a->n == FAC_MAX_SET || n > FAC_MAX_LEN)
		return 0;
	memcpy(a->s[a->n], s, n);
	a->len[a->n++] = (unsigned char)n;
	return 1;
}

/* The factors of x: its own, else its exact strings if all are long enough. 0 if none. */
static int factors_of(const struct finfo *x, const struct strset **out)
{
	size_t i;

	if (x->fac_ok) {
		*out = &x->fac;
		return 1;
	}
	if (!x->exact_ok || !x->exact.n)
		return 0;
	for (i = 0; i < x->exact.n; i++)
		if (x->exact.len[i] < FAC_MIN_LEN)
			return 0;
	*out = &x->exact;
	return 1;
}

/*
 * How rare the strings of a set are likely to be: the fewest letters, digits
 * or non-ASCII bytes in any of them ("i'm " has 2, "chatgpt" 7).
 */
static size_t rarity(const struct strset *a)
{
	size_t i, k, best = SIZE_MAX;

	for (i = 0; i < a->n; i++) {
		size_t r = 0;

		for (k = 0; k < a->len[i]; k++) {
			unsigned char c = (unsigned char)a->s[i][k];

			r += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
		}
		best = r < best ? r : best;
	}
	return best;
}

/* 1 if a is the better gate: rarer strings, then fewer of them. */
static int better(const struct strset *a, const struct strset *b)
{
	size_t ra = rarity(a), rb = rarity(b);

	return ra != rb ? ra > rb : a->n < b->n;
}

/* x := x followed by y. */
static void finfo_concat(struct finfo *x, const struct finfo *y)
{
	struct finfo r;
	const struct strset *fx = NULL, *fy = NULL, *best = NULL;
	size_t i, j;

	/* The common case, a literal character after literal text: append in place. */
	if (x->exact_ok && y->exact_ok && y->exact.n == 1) {
		size_t add = y->exact.len[0];

		for (i = 0; i < x->exact.n && x->exact.len[i] + add <= FAC_MAX_LEN; i++)
			;
		if (i == x->exact.n) {
			for (i = 0; i < x->exact.n; i++) {
				memcpy(x->exact.s[i] + x->exact.len[i], y->exact.s[0], add);
				x->exact.len[i] = (unsigned char)(x->exact.len[i] + add);
			}
			return;   /* x's factors, if any, still hold */
		}
	}
	finfo_any(&r);
	if (x->exact_ok && y->exact_ok && x->exact.n * y->exact.n <= FAC_MAX_SET) {
		r.exact_ok = 1;
		for (i = 0; i < x->exact.n && r.exact_ok; i++)
			for (j = 0; j < y->exact.n && r.exact_ok; j++) {
				char buf[2 * FAC_MAX_LEN];
				size_t n = x->exact.len[i] + y->exact.len[j];

				memcpy(buf, x->exact.s[i], x->exact.len[i]);
				memcpy(buf + x->exact.len[i], y->exact.s[j], y->exact.len[j]);
				r.exact_ok = set_add(&r.exact, buf, n);
			}
		if (!r.exact_ok)
			r.exact.n = 0;
	}
	if (r.exact_ok && factors_of(&r, &best))
		best = NULL;    /* the exact strings themselves are the factors */
	else {
		if (factors_of(x, &fx))
			best = fx;
		if (factors_of(y, &fy) && (!best || better(fy, best)))
			best = fy;
		if (best) {
			r.fac = *best;
			r.fac_ok = 1;
		}
	}
	*x = r;
}

/*
 * a := a or b as factor sets. When the union is too large, every string is
 * cut to its first L bytes (a prefix of a factor is a factor too), with the
 * largest L that makes the distinct prefixes fit. 0 if even that fails.
 */
static int factor_union(struct strset *a, const struct strset *b)
{
	struct strset all;
	const struct strset *src[2] = { a, b };
	size_t L, i, k;

	/* a may take some of b before it fills up: the union is still a together with b. */
	for (i = 0; i < b->n; i++)
		if (!set_add(a, b->s[i], b->len[i]))
			break;
	if (i == b->n)
		return 1;
	for (L = FAC_MAX_LEN; L >= FAC_MIN_LEN; L--) {
		all.n = 0;
		for (k = 0; k < 2; k++)
			for (i = 0; i < src[k]->n; i++)
				if (!set_add(&all, src[k]->s[i], src[k]->len[i] < L ? src[k]->len[i] : L))
					goto next;
		*a = all;
		return 1;
next:
		;
	}
	return 0;
}

/* x := x or y. */
static void finfo_alt(struct finfo *x, const struct finfo *y)
{
	struct finfo r;
	const struct strset *fx, *fy;
	size_t i;

	finfo_any(&r);
	if (x->exact_ok && y->exact_ok) {
		r.exact = x->exact;
		r.exact_ok = 1;
		for (i = 0; i < y->exact.n && r.exact_ok; i++)
			r.exact_ok = set_add(&r.exact, y->exact.s[i], y->exact.len[i]);
		if (!r.exact_ok)
			r.exact.n = 0;
	}
	if (!(r.exact_ok && factors_of(&r, &fx)) && factors_of(x, &fx) && factors_of(y, &fy)) {
		r.fac = *fx;
		r.fac_ok = factor_union(&r.fac, fy);
	}
	*x = r;
}

/* x := x repeated min..max times (max < 0: unbounded). */
static void finfo_repeat(struct finfo *x, long min, long max)
{
	const struct strset *f;

	if (min == 1 && max == 1)
		return;
	if (min == 0) {
		if (max == 1 && x->exact_ok && set_add(&x->exact, "", 0)) {
			x->fac_ok = 0;
			return;
		}
		finfo_any(x);
		return;
	}
	/* At least one copy: its factors still hold, its exact strings do not. */
	if (!x->fac_ok && factors_of(x, &f)) {
		x->fac = *f;
		x->fac_ok = 1;
	}
	x->exact_ok = 0;
	x->exact.n = 0;
}

/* Decode one UTF-8 character at p (assumed valid: the regex compiled). */
static size_t utf8_char(const char *p, int32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, 4, &c);

	if (n <= 0) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return (size_t)n;
}

/*
 * 1 if a factor can hold the character: ASCII (compared with letters folded)
 * or a character that caseless matching cannot change (CJK, punctuation).
 * Greek and other cased non-ASCII letters break a factor. (The two non-ASCII
 * characters that caseless UTF matching equates with ASCII letters, KELVIN
 * SIGN and LONG S, are not followed: a text spelled with them to dodge the
 * library is not gated in.)
 */
static int factor_char(int32_t cp)
{
	if (cp < 0x80)
		return cp > 0;
	return utf8proc_tolower(cp) == cp && utf8proc_toupper(cp) == cp && utf8proc_totitle(cp) == cp;
}

/* One literal character at ps->p (ASCII or UTF-8) into x; ASCII letters fold to lowercase. */
static void literal_char(struct fparser *ps, struct finfo *x)
{
	int32_t cp;
	size_t n = utf8_char(ps->p, &cp);

	if (cp < 0 || !factor_char(cp))
		finfo_any(x);
	else
		finfo_bytes(x, ps->p, n);
	ps->p += n;
}

static void parse_alt(struct fparser *ps, struct finfo *out);

/* Skip the argument of \x, \p, \P, \g, \k ("{...}", "<...>", "'...'" or one character). */
static const char *skip_escape_arg(const char *p)
{
	char close = *p == '{' ? '}' : *p == '<' ? '>' : *p == '\'' ? '\'' : 0;

	if (!close)
		return *p ? p + 1 : p;
	while (*p && *p != close)
		p++;
	return *p ? p + 1 : p;
}

/* A character class "[...]": exact when it is at most four plain characters ("['’]"). */
static void parse_class(struct fparser *ps, struct finfo *x)
{
	const char *p = ps->p + 1;
	int negated = 0, plain = 1, first = 1;
	struct finfo set, one;

	finfo_any(x);
	set.exact_ok = 0;
	if (*p == '^') {
		negated = 1;
		p++;
	}
	for (;; first = 0) {
		if (!*p) {
			ps->fail = 1;
			ps->p = p;
			return;
		}
		if (*p == ']' && !first) {
			p++;
			break;
		}
		if (p[0] == '[' && p[1] == ':') {
			const char *e = strstr(p + 2, ":]");

			if (!e) {
				ps->fail = 1;
				return;
			}
			p = e + 2;
			plain = 0;
			continue;
		}
		if (*p == '-' && !first && p[1] != ']') {
			plain = 0;      /* a range */
			p++;
			continue;
		}
		if (*p == '\\') {
			char c = p[1];

			if (!c) {
				ps->fail = 1;
				return;
			}
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
				plain = 0;
				p += 2;
				if (c == 'x' || c == 'p' || c == 'P')
					p = skip_escape_arg(p);
				continue;
			}
			finfo_bytes(&one, p + 1, 1);
			p += 2;
		} else {
			struct fparser sub = { p, 0, ps->depth };

			literal_char(&sub, &one);
			p = sub.p;
		}
		if (!one.exact_ok)
			plain = 0;
		else if (!set.exact_ok)
			set = one;
		else
			finfo_alt(&set, &one);
	}
	ps->p = p;
	if (!negated && plain && set.exact_ok && set.exact.n <= 4)
		*x = set;
}

/* An escape sequence outside a class. */
static void parse_escape(struct fparser *ps, struct finfo *x)
{
	const char *p = ps->p + 1;
	char c = *p;

	finfo_any(x);
	if (!c) {
		ps->fail = 1;
		return;
	}
	ps->p = p + 1;
	switch (c) {
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K': case 'E':
		finfo_empty(x);
		return;
	case 'w': case 'W': case 's': case 'S': case 'd': case 'D': case 'h': case 'H':
	case 'v': case 'V': case 'R': case 'X': case 'C':
		return;
	case 'N':
		if (*ps->p == '{')
			ps->fail = 1;
		return;
	case 'p': case 'P': case 'x': case 'g': case 'k':
		ps->p = skip_escape_arg(ps->p);
		if (c == 'x' && p[1] != '{' && *ps->p)
			ps->p++;    /* \xHH: two hex digits */
		return;
	case 'n': finfo_bytes(x, "\n", 1); return;
	case 't': finfo_bytes(x, "\t", 1); return;
	case 'r': finfo_bytes(x, "\r", 1); return;
	case 'f': finfo_bytes(x, "\f", 1); return;
	case 'Q': {
		struct finfo one;

		finfo_empty(x);
		while (*ps->p && !(ps->p[0] == '\\' && ps->p[1] == 'E')) {
			literal_char(ps, &one);
			finfo_concat(x, &one);
		}
		if (*ps->p)
			ps->p += 2;
		return;
	}
	default:
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			if (!(c >= '0' && c <= '9'))
				ps->fail = 1;   /* \c, \o, \u ...: not followed */
			while (*ps->p >= '0' && *ps->p <= '9')
				ps->p++;
			return;
		}
		finfo_bytes(x, p, 1);   /* an escaped punctuation character */
	}
}

/* A group "(...)"; lookarounds contribute nothing (they may be negative). */
static void parse_group(struct fparser *ps, struct finfo *x)
{
	const char *p = ps->p + 1;
	int zero_width = 0;

	finfo_any(x);
	if (++ps->depth > FAC_MAX_DEPTH) {
		ps->fail = 1;
		return;
	}
	if (*p == '*') {
		ps->fail = 1;   /* (*VERB) */
		return;
	}
	if (*p == '?') {
		p++;
		if (*p == ':' || *p == '>' || *p == '|') {
			p++;
		} else if (*p == '=' || *p == '!') {
			zero_width = 1;
			p++;
		} else if (*p == '<' && (p[1] == '=' || p[1] == '!')) {
			zero_width = 1;
			p += 2;
		} else if (*p == '<' || *p == '\'' || (*p == 'P' && p[1] == '<')) {
			char close = *p == '\'' ? '\'' : '>';

			while (*p && *p != close)
				p++;
			if (!*p) {
				ps->fail = 1;
				return;
			}
			p++;
		} else {
			const char *o = p;

			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '^')
				p++;
			if (memchr(o, 'x', (size_t)(p - o)) || (*p != ')' && *p != ':')) {
				ps->fail = 1;   /* extended mode, comments, recursion, conditions */
				return;
			}
			if (*p == ')') {
				ps->p = p + 1;
				ps->depth--;
				finfo_empty(x);   /* an option setting such as (?i) */
				return;
			}
			p++;
		}
	}
	ps->p = p;
	parse_alt(ps, x);
	if (ps->fail)
		return;
	if (*ps->p != ')') {
		ps->fail = 1;
		return;
	}
	ps->p++;
	ps->depth--;
	if (zero_width)
		finfo_empty(x);
}

/* A quantifier after an atom, if any: sets *min, *max (-1: unbounded); 0 if none. */
static int parse_quantifier(struct fparser *ps, long *min, long *max)
{
	const char *p = ps->p;
	char *end;

	if (*p == '?' || *p == '*' || *p == '+') {
		*min = *p == '+';
		*max = *p == '?' ? 1 : -1;
		p++;
	} else if (*p == '{' && p[1] >= '0' && p[1] <= '9') {
		*min = strtol(p + 1, &end, 10);
		*max = *min;
		if (*end == ',') {
			if (end[1] == '}') {
				*max = -1;
				end++;
			} else if (end[1] >= '0' && end[1] <= '9') {
				*max = strtol(end + 1, &end, 10);
			} else {
				return 0;
			}
		}
		if (*end != '}')
			return 0;     /* not a quantifier: a literal '{' */
		p = end + 1;
	} else {
		return 0;
	}
	if (*p == '?' || *p == '+')
		p++;              /* lazy or possessive */
	ps->p = p;
	return 1;
}

static void parse_seq(struct fparser *ps, struct finfo *out)
{
	struct finfo *a = malloc(sizeof(*a));  /* sets are large: keep them off the stack */

	finfo_empty(out);
	if (!a) {
		ps->fail = 1;
		return;
	}
	while (!ps->fail && *ps->p && *ps->p != '|' && *ps->p != ')') {
		long min, max;

		switch (*ps->p) {
		case '^': case '$':
			finfo_empty(a);
			ps->p++;
			break;
		case '.':
			finfo_any(a);
			ps->p++;
			break;
		case '[':
			parse_class(ps, a);
			break;
		case '\\':
			parse_escape(ps, a);
			break;
		case '(':
			parse_group(ps, a);
			break;
		case '?': case '*': case '+':
			ps->fail = 1;
			break;
		default:
			literal_char(ps, a);
		}
		while (!ps->fail && parse_quantifier(ps, &min, &max))
			finfo_repeat(a, min, max);
		finfo_concat(out, a);
	}
	free(a);
}

static void parse_alt(struct fparser *ps, struct finfo *out)
{
	struct finfo *b = NULL;

	parse_seq(ps, out);
	while (!ps->fail && *ps->p == '|') {
		if (!b && !(b = malloc(sizeof(*b)))) {
			ps->fail = 1;
			break;
		}
		ps->p++;
		parse_seq(ps, b);
		finfo_alt(out, b);
	}
	free(b);
}

/*
 * The literal factors of a regex into *out: 1 if every match contains one of
 * out's strings (ASCII folded to lowercase), 0 if the analysis found none.
 */
static int regex_factors(const char *re, struct strset *out)
{
	struct fparser ps = { re, 0, 0 };
	struct finfo *x = malloc(sizeof(*x));
	const struct strset *f;
	int ok = 0;

	if (!x)
		return 0;
	parse_alt(&ps, x);
	if (!ps.fail && !*ps.p && factors_of(x, &f)) {
		*out = *f;
		ok = 1;
	}
	free(x);
	return ok;
}

/* Three bytes of s, letters folded, as one little-endian word. */
static uint32_t word3(const unsigned char *s)
{
	return (uint32_t)fold(s[0]) | (uint32_t)fold(s[1]) << 8 | (uint32_t)fold(s[2]) << 16;
}

/* The hash bucket of a three-byte word. */
static uint32_t key3(uint32_t w)
{
	return (w * 2654435761u) >> (32 - FAC_HASH_BITS);
}

/*
 * How rare a byte is in English text: letters by their frequency rank ("e"
 * is 0, "z" is 25), white space 0, other characters in between. A factor is
 * hashed on its rarest three bytes, so that the scan rarely stops.
 */
static unsigned byte_rarity(unsigned char c)
{
	static const char order[] = "etaoinshrdlcumwfgypbvkjxqz";
	const char *p;

	c = fold(c);
	if (c >= 'a' && c <= 'z') {
		p = strchr(order, c);
		return (unsigned)(p - order);
	}
	if (c == ' ' || c == '\n' || c == '\t')
		return 0;
	if (c >= 0x80 || (c >= '0' && c <= '9'))
		return 20;
	return 8;
}

/* Offset of the rarest three-byte window of s[0..n), n >= 3. */
static size_t rarest_window(const unsigned char *s, size_t n)
{
	size_t i, best = 0;
	unsigned score, top = 0;

	for (i = 0; i + 3 <= n; i++) {
		score = byte_rarity(s[i]) + byte_rarity(s[i + 1]) + byte_rarity(s[i + 2]);
		if (score > top) {
			top = score;
			best = i;
		}
	}
	return best;
}

/* Drop the strings of a factor set that contain another of its strings: they add nothing. */
static void drop_superstrings(struct strset *a)
{
	size_t i, j, k = 0;

	for (i = 0; i < a->n; i++) {
		for (j = 0; j < a->n; j++)
			if (j != i && a->len[j] <= a->len[i] && (a->len[j] < a->len[i] || j < i) &&
			    memmem(a->s[i], a->len[i], a->s[j], a->len[j]))
				break;
		if (j == a->n) {
			if (k != i) {
				memcpy(a->s[k], a->s[i], a->len[i]);
				a->len[k] = a->len[i];
			}
			k++;
		}
	}
	a->n = k;
}

/* Grow the factor table by one slot; 0 or PROV_ENOMEM. */
static int fac_grow(struct pat_lib *lib)
{
	size_t ncap;
	void *p;

	if (lib->nfac < lib->fac_cap)
		return 0;
	ncap = lib->fac_cap ? 2 * lib->fac_cap : 256;
	if (!(p = prov_reallocarray(lib->fac, ncap, sizeof(*lib->fac))))
		return PROV_ENOMEM;
	lib->fac = p;
	if (!(p = prov_reallocarray(lib->fac_len, ncap, sizeof(*lib->fac_len))))
		return PROV_ENOMEM;
	lib->fac_len = p;
	if (!(p = prov_reallocarray(lib->fac_next, ncap, sizeof(*lib->fac_next))))
		return PROV_ENOMEM;
	lib->fac_next = p;
	if (!(p = prov_reallocarray(lib->fac_key, ncap, sizeof(*lib->fac_key))))
		return PROV_ENOMEM;
	lib->fac_key = p;
	if (!(p = prov_reallocarray(lib->fac_keyoff, ncap, sizeof(*lib->fac_keyoff))))
		return PROV_ENOMEM;
	lib->fac_keyoff = p;
	lib->fac_cap = ncap;
	return 0;
}

/* The id of factor s[0..n), added to the table if new; negative PROV_ENOMEM on failure. */
static int32_t fac_intern(struct pat_lib *lib, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t off = rarest_window(u, n);
	uint32_t w = word3(u + off), k = key3(w);
	int32_t f;

	for (f = lib->fac_head[k]; f >= 0; f = lib->fac_next[f])
		if (lib->fac_len[f] == n && !memcmp(lib->fac[f], s, n))
			return f;
	if (fac_grow(lib))
		return PROV_ENOMEM;
	f = (int32_t)lib->nfac;
	lib->fac[f] = prov_strndup(s, n);
	if (!lib->fac[f])
		return PROV_ENOMEM;
	lib->fac_len[f] = n;
	lib->fac_key[f] = w;
	lib->fac_keyoff[f] = off;
	lib->fac_next[f] = lib->fac_head[k];
	lib->fac_head[k] = f;
	lib->fac_bits[k >> 6] |= (uint64_t)1 << (k & 63);
	lib->nfac++;
	return f;
}

/* Register pattern e's factors in the library's table (none: e always runs). */
static int add_factors(struct pat_lib *lib, struct pat_entry *e)
{
	struct strset set;
	size_t i;

	e->fac_first = lib->npfac;
	e->fac_count = 0;
	if (!regex_factors(e->folded ? e->folded : e->info.regex, &set))
		return 0;
	drop_superstrings(&set);
	for (i = 0; i < set.n; i++) {
		int32_t f = fac_intern(lib, set.s[i], set.len[i]);

		if (f < 0)
			return (int)f;
		if (prov_grow(&lib->pfac, &lib->pfac_cap, lib->npfac, sizeof(*lib->pfac), 512))
			return PROV_ENOMEM;
		lib->pfac[lib->npfac++] = (uint32_t)f;
		e->fac_count++;
	}
	return 0;
}

/* After the last pattern: the factor -> patterns index and the always-run set. */
static int index_factors(struct pat_lib *lib)
{
	uint32_t *cur;
	size_t i, k;

	lib->pwords = lib->n / 64 + 1;
	lib->fwords = lib->nfac / 64 + 1;
	lib->always = prov_calloc(lib->pwords, sizeof(*lib->always));
	lib->fp_first = prov_calloc(lib->nfac + 1, sizeof(*lib->fp_first));
	lib->fp_pat = prov_calloc(lib->npfac + 1, sizeof(*lib->fp_pat));
	if (!lib->always || !lib->fp_first || !lib->fp_pat)
		return PROV_ENOMEM;
	for (i = 0; i < lib->npfac; i++)
		lib->fp_first[lib->pfac[i] + 1]++;
	for (i = 0; i < lib->nfac; i++)
		lib->fp_first[i + 1] += lib->fp_first[i];
	cur = prov_calloc(lib->nfac + 1, sizeof(*cur));
	if (!cur)
		return PROV_ENOMEM;
	memcpy(cur, lib->fp_first, (lib->nfac + 1) * sizeof(*cur));
	for (i = 0; i < lib->n; i++) {
		const struct pat_entry *e = &lib->pats[i];

		if (!e->fac_count)
			lib->always[i / 64] |= (uint64_t)1 << (i % 64);
		for (k = 0; k < e->fac_count; k++)
			lib->fp_pat[cur[lib->pfac[e->fac_first + k]]++] = (uint32_t)i;
	}
	free(cur);
	return 0;
}

/*
 * What one call knows about the text it examines: the factors found in it
 * and the patterns they let through (plus those that always run).
 */
struct gate {
	uint64_t *fac;
	uint64_t *pat;
};

static int gate_new(const struct pat_lib *lib, struct gate *g)
{
	g->fac = prov_calloc(lib->fwords + lib->pwords, sizeof(*g->fac));
	g->pat = g->fac ? g->fac + lib->fwords : NULL;
	return g->fac ? 0 : prov_error(PROV_ENOMEM, "out of memory (pattern gate)");
}

/* Scan s[0..n) for factors and open the gate for the patterns they belong to. */
static void gate_scan(const struct pat_lib *lib, struct gate *g, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t w;
	size_t i, k;

	memset(g->fac, 0, (lib->fwords + lib->pwords) * sizeof(*g->fac));
	memcpy(g->pat, lib->always, lib->pwords * sizeof(*g->pat));
	if (n < FAC_MIN_LEN)
		return;
	w = word3(u) << 8;
	for (i = 0; i + 3 <= n; i++) {
		uint32_t h;
		int32_t f;

		w = w >> 8 | (uint32_t)fold(u[i + 2]) << 16;
		h = key3(w);
		if (!(lib->fac_bits[h >> 6] >> (h & 63) & 1))
			continue;
		for (f = lib->fac_head[h]; f >= 0; f = lib->fac_next[f]) {
			const unsigned char *t = (const unsigned char *)lib->fac[f];
			size_t len = lib->fac_len[f], off = lib->fac_keyoff[f], at;
			uint32_t j;

			if (lib->fac_key[f] != w || off > i || len > n - (i - off) ||
			    (g->fac[(uint32_t)f >> 6] >> ((uint32_t)f & 63) & 1))
				continue;
			at = i - off;
			for (k = 0; k < len && fold(u[at + k]) == t[k]; k++)
				;
			if (k < len)
				continue;
			g->fac[(uint32_t)f >> 6] |= (uint64_t)1 << ((uint32_t)f & 63);
			for (j = lib->fp_first[f]; j < lib->fp_first[f + 1]; j++)
				g->pat[lib->fp_pat[j] >> 6] |= (uint64_t)1 << (lib->fp_pat[j] & 63);
		}
	}
}

/* 1 if pattern i may match the scanned text. */
static int gate_open(const struct gate *g, size_t i)
{
	return g->pat[i / 64] >> (i % 64) & 1;
}

/* ---- mark folding ---- */

/*
 * Scripts whose letters a reader takes for the same with or without their
 * marks: Greek written in capitals drops its accents ("ΛΥΠΑΜΑΙ" is
 * "Λυπάμαι"), Arabic is written with or without its short vowels ("عذرًا",
 * "عذرا"), Russian writes "е" for "ё", French and Spanish lose accents on
 * keyboards without them. So patterns and texts are both matched with their
 * combining marks removed (canonical decomposition, marks dropped). Kana and
 * Hangul are left whole: their marks and jamo are part of the letter.
 */
static int fold_keeps(utf8proc_int32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3130 && cp <= 0x318F) ||
		(cp >= 0xAC00 && cp <= 0xD7A3);
}

/*
 * Fold s[0..len) (valid UTF-8): 0 and *out NULL when nothing changes (the
 * common case: no byte at or above 0xC3, so no mark and no letter that
 * decomposes); else *out a NUL-terminated folded copy of *out_len bytes and,
 * when map is not NULL, *map[k] the offset in s of the character that gave
 * byte k of the copy, with (*map)[*out_len] = len. The caller frees both.
 */
static int fold_marks(const char *s, size_t len, char **out, size_t *out_len, size_t **map)
{
	const unsigned char *u = (const unsigned char *)s;
	char *buf = NULL;
	size_t *mp = NULL, i = 0, n = 0, cap;
	int changed = 0;

	*out = NULL;
	*out_len = len;
	if (map)
		*map = NULL;
	/* Find the first character that folding changes; most texts have none (a curly quote does not). */
	for (i = 0; i < len; i++) {
		utf8proc_int32_t cp, d[16];
		utf8proc_ssize_t k, nd;
		int bc = 0;
		size_t at = i;

		if (u[i] < 0xC3)   /* ASCII, continuation bytes, and U+0000..U+00BF: nothing decomposes */
			continue;
		k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0)
			continue;
		i += (size_t)k - 1;
		if (fold_keeps(cp))
			continue;
		nd = utf8proc_decompose_char(cp, d, 16, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK, &bc);
		if (nd >= 0 && nd <= 16 && !(nd == 1 && d[0] == cp)) {
			i = at;
			break;
		}
	}
	if (i >= len)
		return 0;
	cap = len + 1;   /* folding never lengthens: a base letter is never longer than what it came from */
	buf = malloc(cap);
	mp = map ? malloc(cap * sizeof(*mp)) : NULL;
	if (!buf || (map && !mp)) {
		free(buf);
		free(mp);
		return prov_error(PROV_ENOMEM, "out of memory (folding)");
	}
	i = 0;
	while (i < len) {
		utf8proc_int32_t cp, d[16];
		utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp), nd, j;
		int bc = 0;

		if (k <= 0)
			k = 1, cp = -1;
		nd = cp < 0xC0 || fold_keeps(cp) ? -1 :
			utf8proc_decompose_char(cp, d, 16, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK, &bc);
		if (nd < 0 || nd > 16 || (nd == 1 && d[0] == cp)) {
			memcpy(buf + n, s + i, (size_t)k);
			for (j = 0; mp && j < k; j++)
				mp[n + (size_t)j] = i;
			n += (size_t)k;
		} else {
			utf8proc_uint8_t enc[4 * 16];
			size_t e = 0;

			for (j = 0; j < nd; j++)
				e += (size_t)utf8proc_encode_char(d[j], enc + e);
			if (n + e > cap - 1) {
				/* cannot happen for canonical decompositions; refuse rather than overflow */
				free(buf);
				free(mp);
				return prov_error(PROV_EDATA, "mark folding would lengthen the text");
			}
			memcpy(buf + n, enc, e);
			for (j = 0; mp && (size_t)j < e; j++)
				mp[n + (size_t)j] = i;
			n += e;
			changed = 1;
		}
		i += (size_t)k;
	}
	if (!changed) {
		free(buf);
		free(mp);
		return 0;
	}
	buf[n] = '\0';
	if (mp)
		mp[n] = len;
	*out = buf;
	*out_len = n;
	if (map)
		*map = mp;
	return 0;
}

/* ---- the library ---- */

/* 1 if s is not empty and every byte is in [a-z0-9_-] (plus [A-Z.] unless `lower`). */
static int is_token(const char *s, int lower)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
			continue;
		if (!lower && ((c >= 'A' && c <= 'Z') || c == '.'))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Parse one non-comment line (NUL-terminated, inside lib->text) into
 * lib->pats[lib->n]; `origin` and `line` name it in error messages.
 */
static int parse_line(struct pat_lib *lib, char *s, const char *origin, long line)
{
	char *f[5];
	size_t nf = 0, i;
	struct pat_entry *e = &lib->pats[lib->n];
	int err;
	PCRE2_SIZE erroff;

	f[nf++] = s;
	for (; *s; s++) {
		if (*s != '\t')
			continue;
		if (nf == 5)
			return prov_error(PROV_EDATA, "%s:%ld: more than 5 tab-separated fields", origin, line);
		*s = '\0';
		f[nf++] = s + 1;
	}
	if (nf != 5)
		return prov_error(PROV_EDATA, "%s:%ld: %zu tab-separated field%s, expected 5 "
			"(name, family, kind, language, regex)", origin, line, nf, nf == 1 ? "" : "s");
	if (!is_token(f[0], 0))
		return prov_error(PROV_EDATA, "%s:%ld: bad pattern name '%s' (letters, digits, '_', '-', '.')",
			origin, line, f[0]);
	if (!is_token(f[1], 1))
		return prov_error(PROV_EDATA, "%s:%ld: bad family '%s' (expected [a-z0-9_-]+)", origin, line, f[1]);
	if (!is_token(f[3], 0))
		return prov_error(PROV_EDATA, "%s:%ld: bad language '%s'", origin, line, f[3]);
	if (!*f[4])
		return prov_error(PROV_EDATA, "%s:%ld: empty regex", origin, line);
	if ((err = parse_kind(e, f[2], origin, line)) != 0)
		return err;
	for (i = 0; i < lib->n; i++)
		if (!strcmp(lib->pats[i].info.name, f[0]))
			return prov_error(PROV_EDATA, "%s:%ld: duplicate pattern name '%s'", origin, line, f[0]);
	if ((err = fold_marks(f[4], strlen(f[4]), &e->folded, &i, NULL)) != 0)
		return err;
	e->code = pcre2_compile((PCRE2_SPTR)(e->folded ? e->folded : f[4]), PCRE2_ZERO_TERMINATED,
		PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &err, &erroff, NULL);
	if (!e->code) {
		PCRE2_UCHAR msg[256];

		free(e->folded);
		e->folded = NULL;

		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			msg[0] = '\0';
		return prov_error(PROV_EDATA, "%s:%ld: pattern '%s': bad regex at offset %zu: %s",
			origin, line, f[0], (size_t)erroff, (const char *)msg);
	}
	/* JIT is an optimisation: where it is unavailable (or off) pcre2_match interprets. */
	if (jit_enabled)
		(void)pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE);
	e->info.name = f[0];
	e->info.family = f[1];
	e->info.lang = f[3];
	e->info.regex = f[4];
	lib->n++;
	return add_factors(lib, e);
}

int pat_lib_new(struct pat_lib **out, const char *text, size_t len, const char *origin)
{
	struct pat_lib *lib = NULL;
	size_t i, lines = 1, pos = 0;
	long line = 0;
	int rc;

	*out = NULL;
	if (!origin)
		origin = "patterns";
	if (!text && len)
		return prov_error(PROV_EUSAGE, "pat_lib_new: NULL text");
	if (!text)
		text = "";
	if (memchr(text, '\0', len))
		return prov_error(PROV_EDATA, "%s: the library contains a NUL byte", origin);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (lines > PAT_MAX_LINES)
		return prov_error(PROV_EDATA, "%s: more than %d lines", origin, PAT_MAX_LINES);
	lib = prov_calloc(1, sizeof(*lib));
	if (!lib)
		return PROV_ENOMEM;
	rc = prov_sha256_hex(lib->sha256, text, len);
	if (rc)
		goto done;
	lib->text = prov_strndup(text, len);
	lib->pats = prov_calloc(lines, sizeof(*lib->pats));
	lib->fac_head = prov_calloc((size_t)1 << FAC_HASH_BITS, sizeof(*lib->fac_head));
	lib->fac_bits = prov_calloc(((size_t)1 << FAC_HASH_BITS) / 64, sizeof(*lib->fac_bits));
	if (!lib->text || !lib->pats || !lib->fac_head || !lib->fac_bits) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < (size_t)1 << FAC_HASH_BITS; i++)
		lib->fac_head[i] = -1;
	while (pos < len) {
		char *s = lib->text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		line++;
		pos += n + (nl != NULL);
		s[n] = '\0';
		if (n && s[n - 1] == '\r')
			s[--n] = '\0';
		if (!n || s[0] == '#' || strspn(s, " \t") == n)
			continue;
		rc = parse_line(lib, s, origin, line);
		if (rc)
			goto done;
	}
	if (!lib->n)
		rc = prov_error(PROV_EDATA, "%s: the library holds no patterns", origin);
	else
		rc = index_factors(lib);
done:
	if (rc) {
		pat_lib_free(lib);
		return rc;
	}
	*out = lib;
	return 0;
}

void pat_lib_free(struct pat_lib *lib)
{
	size_t i;

	if (!lib)
		return;
	for (i = 0; i < lib->n; i++) {
		pcre2_code_free(lib->pats[i].code);
		free(lib->pats[i].folded);
	}
	for (i = 0; i < lib->nfac; i++)
		free(lib->fac[i]);
	free(lib->fac);
	free(lib->fac_len);
	free(lib->fac_next);
	free(lib->fac_head);
	free(lib->fac_key);
	free(lib->fac_keyoff);
	free(lib->fac_bits);
	free(lib->fp_first);
	free(lib->fp_pat);
	free(lib->always);
	free(lib->pfac);
	free(lib->pats);
	free(lib->text);
	free(lib);
}

const char *pat_lib_sha256(const struct pat_lib *lib)
{
	return lib->sha256;
}

size_t pat_lib_count(const struct pat_lib *lib)
{
	return lib->n;
}

const struct pat_info *pat_lib_pattern(const struct pat_lib *lib, size_t i)
{
	return i < lib->n ? &lib->pats[i].info : NULL;
}

/*
 * 1 if s[0..n) is valid UTF-8 as PCRE2 defines it (no overlong forms, no
 * surrogates, nothing above U+10FFFF); else 0 and *bad = offset of the fault.
 */
static int utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t k, need;
		uint32_t cp;

		if (c < 0x80) {
			uint64_t w;

			/* Eight ASCII bytes at a time, the common case. */
			while (n - i >= 8 && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080u)))
				i += 8;
			if (i < n && u[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, cp = c & 0x07;
		else
			break;
		if (n - i <= need)
			break;
		for (k = 1; k <= need && (u[i + k] & 0xC0) == 0x80; k++)
			cp = cp << 6 | (u[i + k] & 0x3F);
		if (k <= need || (need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			break;
		i += need + 1;
	}
	*bad = i;
	return i == n;
}
/* ---- sentences ---- */

struct span {
	size_t start, end;
};

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/*
 * Length of the UTF-8 sentence terminator at s[i] ("。", "！", "？", "；", "．",
 * the Greek question mark ";", Arabic "؟" and "؛"), or 0.
 */
static size_t wide_stop(const unsigned char *s, size_t len, size_t i)
{
	if (i + 1 < len && s[i] == 0xCD && s[i + 1] == 0xBE)
		return 2;                                   /* U+037E GREEK QUESTION MARK */
	if (i + 1 < len && s[i] == 0xD8 && (s[i + 1] == 0x9F || s[i + 1] == 0x9B))
		return 2;                                   /* U+061F ARABIC QUESTION MARK, U+061B ARABIC SEMICOLON */
	if (i + 2 < len && s[i] == 0xE3 && s[i + 1] == 0x80 && s[i + 2] == 0x82)
		return 3;                                   /* U+3002 IDEOGRAPHIC FULL STOP */
	if (i + 2 < len && s[i] == 0xEF && s[i + 1] == 0xBC &&
	    (s[i + 2] == 0x81 || s[i + 2] == 0x9F || s[i + 2] == 0x9B || s[i + 2] == 0x8E))
		return 3;                                   /* U+FF01, U+FF1F, U+FF1B, U+FF0E */
	return 0;
}

/* Length of a closing quote or bracket at s[i] (ASCII, ’ ” 」 』 ）), or 0. */
static size_t closer(const unsigned char *s, size_t len, size_t i)
{
	if (s[i] == '"' || s[i] == '\'' || s[i] == ')' || s[i] == ']' || s[i] == '*' || s[i] == '_')
		return 1;
	if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0x99 || s[i + 2] == 0x9D))
		return 3;
	if (i + 2 < len && s[i] == 0xE3 && s[i + 1] == 0x80 && (s[i + 2] == 0x8D || s[i + 2] == 0x8F))
		return 3;
	if (i + 2 < len && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] == 0x89)
		return 3;
	return 0;
}

/*
 * 1 if the '.' at s[i] belongs to an abbreviation rather than ending a
 * sentence: after a single letter ("e.g.", "U.S.", "J. Smith") or a title
 * or short form that rarely ends a sentence ("Dr.", "vs.").
 */
static int abbreviation_dot(const unsigned char *s, size_t start, size_t i)
{
	static const char *const abbr[] = {
		"mr", "mrs", "ms", "dr", "prof", "st", "vs", "jr", "sr", "fig", "cf", "approx",
	};
	size_t j = i, n, k;

	while (j > start && ((s[j - 1] | 0x20) >= 'a' && (s[j - 1] | 0x20) <= 'z'))
		j--;
	n = i - j;
	if (n == 1)
		return 1;
	for (k = 0; k < sizeof(abbr) / sizeof(abbr[0]); k++)
		if (strlen(abbr[k]) == n && !strncasecmp((const char *)s + j, abbr[k], n))
			return 1;
	return 0;
}

/*
 * Where the sentence starting at `start` ends: sets *end (exclusive, after the
 * terminator and any closing quotes) and returns the offset where scanning for
 * the next sentence resumes. Sentences end at '.', '!', '?' followed by white
 * space or the end (not "3.5", "e.g.", "Dr."), at ';', at the CJK and Greek
 * stops and at every newline.
 */
static size_t sentence_end(const unsigned char *s, size_t len, size_t start, size_t *end)
{
	size_t i, k;

	for (i = start; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\n') {
			*end = i;
			return i + 1;
		}
		if (c == ';') {
			*end = i + 1;
			return i + 1;
		}
		k = wide_stop(s, len, i);
		if (k) {
			i += k;
			while (i < len && (k = closer(s, len, i)) != 0)
				i += k;
			*end = i;
			return i;
		}
		if (c == '.' || c == '!' || c == '?') {
			size_t j = i;

			if (c == '.' && abbreviation_dot(s, start, i))
				continue;
			while (j < len && (s[j] == '.' || s[j] == '!' || s[j] == '?'))
				j++;
			while (j < len && (k = closer(s, len, j)) != 0)
				j += k;
			if (j == len || is_space(s[j]) || s[j] >= 0x80) {
				*end = j;
				return j;
			}
			i = j - 1;
		}
	}
	*end = len;
	return len;
}

/* Skip white space and leading markup ("**", "#", "> ", "- ", "• ", quotes) from `i`. */
static size_t skip_lead(const unsigned char *s, size_t len, size_t i)
{
	while (i < len) {
		if (is_space(s[i]) || s[i] == '*' || s[i] == '_' || s[i] == '#' || s[i] == '>' || s[i] == '"' ||
		    s[i] == '`')
			i++;
		else if (s[i] == '-' && i + 1 < len && s[i + 1] == ' ')
			i += 2;
		else if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA2 || s[i + 2] == 0x9C))
			i += 3;                             /* • and “ */
		else
			break;
	}
	return i;
}

/*
 * The next sentence at or after *pos: 1 and its span (leading white space and
 * markup skipped, trailing white space dropped), or 0 at the end of the text.
 */
static int next_sentence(const char *text, size_t len, size_t *pos, struct span *out)
{
	const unsigned char *s = (const unsigned char *)text;

	for (;;) {
		size_t start = skip_lead(s, len, *pos), end;

		if (start >= len) {
			*pos = len;
			return 0;
		}
		*pos = sentence_end(s, len, start, &end);
		while (end > start && is_space(s[end - 1]))
			end--;
		if (end > start) {
			out->start = start;
			out->end = end;
			return 1;
		}
	}
}

/* 1 if the span holds a letter (ASCII or any non-ASCII character). */
static int has_letter(const char *text, struct span sp)
{
	size_t i;

	for (i = sp.start; i < sp.end; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			return 1;
		if (c >= 0x80)
			return 1;
	}
	return 0;
}


/* ---- matching ---- */

/*
 * Match `code` against s[0..len) (valid UTF-8) from `off`: 1 and the match
 * span, 0 for no match, or PROV_EDATA when PCRE2 gives up (match limit).
 */
static int match(const struct pat_entry *e, const char *s, size_t len, size_t off, pcre2_match_data *md,
	struct span *m)
{
	int rc = pcre2_match(e->code, (PCRE2_SPTR)s, len, off, PCRE2_NO_UTF_CHECK, md, NULL);
	PCRE2_SIZE *ov;

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			msg[0] = '\0';
		return prov_error(PROV_EDATA, "pattern %s: %s", e->info.name, (const char *)msg);
	}
	ov = pcre2_get_ovector_pointer(md);
	m->start = ov[0];
	m->end = ov[1];
	return 1;
}

/* Where to look for the next match after m: past it, and never inside a UTF-8 character. */
static size_t after(const char *s, size_t n, struct span m)
{
	size_t off = m.end > m.start ? m.end : m.end + 1;

	while (off < n && ((unsigned char)s[off] & 0xC0) == 0x80)
		off++;
	return off;
}

/* Cut a sentence to at most PAT_SENTENCE_MAX bytes, at a UTF-8 character boundary. */
static size_t clip_sentence(const char *text, struct span sp)
{
	size_t n = sp.end - sp.start;

	if (n <= PAT_SENTENCE_MAX)
		return n;
	n = PAT_SENTENCE_MAX;
	while (n > 0 && ((unsigned char)text[sp.start + n] & 0xC0) == 0x80)
		n--;
	return n;
}

static int overlaps(struct span a, struct span b)
{
	return a.start < b.end && b.start < a.end;
}

/* One sentence of the text as the refusal detector sees it. */
struct rsent {
	struct span sp;
	size_t n;          /* bytes examined (clip_sentence) */
	size_t chars;      /* characters of the text before it */
	int in_list;       /* it starts a list item */
	int ctx;           /* its false-friend context is known */
	int moot;          /* a moot false friend matches in it */
	long comply;       /* offset of the first comply false friend match in it, -1 if none */
};

/*
 * 1 if the sentence at `start` begins a list item: only a list marker
 * ("12.", "3)", "-", "*", "+", "•") and white space or emphasis precede it on
 * its line.
 */
static int starts_list_item(const char *text, size_t start)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = start, p;

	while (i > 0 && s[i - 1] != '\n')
		i--;
	p = i;
	while (p < start && (s[p] == ' ' || s[p] == '\t'))
		p++;
	if (p < start && s[p] >= '0' && s[p] <= '9') {
		while (p < start && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p >= start || (s[p] != '.' && s[p] != ')'))
			return 0;
		p++;
	} else if (p < start && (s[p] == '-' || s[p] == '*' || s[p] == '+')) {
		p++;
	} else if (p + 2 < start && s[p] == 0xE2 && s[p + 1] == 0x80 && s[p + 2] == 0xA2) {
		p += 3;
	} else {
		return 0;
	}
	if (p >= start || (s[p] != ' ' && s[p] != '\t'))
		return 0;
	while (p < start && (s[p] == ' ' || s[p] == '\t' || s[p] == '*' || s[p] == '_'))
		p++;
	return p == start;
}

/*
 * The moot and comply false friends of sentence r (once): r->moot, r->comply.
 * 0 or a negative code.
 */
static int sentence_context(const struct pat_lib *lib, const char *text, struct rsent *r, struct gate *g,
	pcre2_match_data *md)
{
	const char *s = text + r->sp.start;
	struct span m;
	size_t i;
	int rc;

	if (r->ctx)
		return 0;
	r->ctx = 1;
	r->moot = 0;
	r->comply = -1;
	gate_scan(lib, g, s, r->n);
	for (i = 0; i < lib->n; i++) {
		const struct pat_entry *e = &lib->pats[i];

		if (e->info.kind != PAT_FALSE_FRIEND || e->info.scope == PAT_SCOPE_OVERLAP || !gate_open(g, i))
			continue;
		if (e->info.scope == PAT_SCOPE_MOOT && r->moot)
			continue;
		rc = match(e, s, r->n, 0, md, &m);
		if (rc < 0)
			return rc;
		if (!rc)
			continue;
		if (e->info.scope == PAT_SCOPE_MOOT)
			r->moot = 1;
		else if (r->comply < 0 || (long)m.start < r->comply)
			r->comply = (long)m.start;
	}
	return 0;
}

/* What decides whether a refusal match in sentence k stands. */
struct rctx {
	const struct pat_lib *lib;
	const char *text;
	struct rsent *sent;
	size_t nsent;
	struct gate *cg;         /* a second gate, for the neighbours' context */
	pcre2_match_data *md;
};

/* What the context makes of a refusal match. */
enum verdict {
	V_STANDS = 1,   /* a refusal */
	V_MOOT = 2,     /* a moot false friend nearby: the premise is rejected, unless on ethical grounds */
	V_VETOED = 3    /* a caveat (late lecture, or a warning followed by compliance) */
};

/*
 * What becomes of a refusal of `shape` whose match ends at `mend` (offset in
 * sentence k): an enum verdict, or a negative code.
 */
static int refusal_stands(struct rctx *c, size_t k, enum pat_shape shape, size_t mend)
{
	size_t j, lo = k ? k - 1 : 0, hi = k + 2 < c->nsent ? k + 2 : c->nsent - 1;
	int rc, moot = 0;

	if (shape == PAT_SHAPE_LECTURE && k >= PAT_LECTURE_SENTENCES)
		return V_VETOED;
	for (j = lo; j <= hi; j++) {
		struct rsent *r = &c->sent[j];

		if ((rc = sentence_context(c->lib, c->text, r, c->cg, c->md)) < 0)
			return rc;
		if (r->moot && shape != PAT_SHAPE_LECTURE)
			moot = 1;
		if (r->comply >= 0 && (shape == PAT_SHAPE_LECTURE || shape == PAT_SHAPE_PREMISE) &&
		    (j == k + 1 || (j == k && (size_t)r->comply >= mend)))
			return V_VETOED;
	}
	return moot ? V_MOOT : V_STANDS;
}

/*
 * Examine sentence k (gate g scanned it). The first refusal pattern in
 * library order with a match that no overlapping false friend vetoes reads
 * the sentence: 1 and *which set if its shape is allowed (bit 1 << shape in
 * `shapes`) and its context lets it stand, 0 if not (a later pattern does not
 * get a second reading), or a negative code.
 */
static int refusal_in_sentence(struct rctx *c, size_t k, const struct gate *g, unsigned shapes, int *which)
{
	const struct pat_lib *lib = c->lib;
	const char *s = c->text + c->sent[k].sp.start;
	size_t n = c->sent[k].n;
	struct span veto[PAT_MAX_VETOES], m;
	size_t nveto = 0, i;
	int rc, any = 0, moot = 0;

	for (i = 0; i < lib->n && !any; i++)
		any = lib->pats[i].info.kind == PAT_REFUSAL && gate_open(g, i);
	if (!any)
		return 0;
	/* The overlap false friends of this sentence: the spans they veto. */
	for (i = 0; i < lib->n && nveto < PAT_MAX_VETOES; i++) {
		const struct pat_entry *e = &lib->pats[i];
		size_t off = 0;

		if (e->info.kind != PAT_FALSE_FRIEND || e->info.scope != PAT_SCOPE_OVERLAP || !gate_open(g, i))
			continue;
		while (off <= n && nveto < PAT_MAX_VETOES) {
			rc = match(e, s, n, off, c->md, &m);
			if (rc <= 0) {
				if (rc < 0)
					return rc;
				break;
			}
			veto[nveto++] = m;
			off = after(s, n, m);
		}
	}
	/*
	 * The first refusal pattern, in library order, with a match no overlapping
	 * false friend vetoes reads the sentence. When a moot premise is nearby,
	 * a lecture in the same sentence still makes it a refusal ("I cannot
	 * answer that as it is not appropriate to ..."): that one decides then.
	 */
	for (i = 0; i < lib->n; i++) {
		const struct pat_entry *e = &lib->pats[i];
		size_t off = 0, v;

		if (e->info.kind != PAT_REFUSAL || !gate_open(g, i) || (moot && e->info.shape != PAT_SHAPE_LECTURE))
			continue;
		while (off <= n) {
			rc = match(e, s, n, off, c->md, &m);
			if (rc <= 0) {
				if (rc < 0)
					return rc;
				break;
			}
			for (v = 0; v < nveto && !overlaps(m, veto[v]); v++)
				;
			if (v < nveto) {
				off = after(s, n, m);
				continue;
			}
			if (moot) {
				/* an ethical reason next to the moot premise, where a lecture may count */
				if (!(shapes >> e->info.shape & 1) || k >= PAT_LECTURE_SENTENCES)
					return 0;
				*which = (int)i;
				return 1;
			}
			if (!(shapes >> e->info.shape & 1))
				return 0;
			rc = refusal_stands(c, k, e->info.shape, m.end);
			if (rc < 0)
				return rc;
			if (rc == V_STANDS) {
				*which = (int)i;
				return 1;
			}
			if (rc == V_VETOED)
				return 0;
			moot = 1;             /* look on for a lecture in this sentence */
			break;
		}
	}
	return 0;
}

/* Is CP, which has a canonical decomposition, its own NFC? ("é" is; U+1F71, U+2126 are not) */
static int composes_back(utf8proc_int32_t cp)
{
	utf8proc_int32_t d[8];
	utf8proc_ssize_t n;
	int boundclass = 0;

	n = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, &boundclass);
	if (n <= 0 || n > 8)
		return 0;
	n = utf8proc_normalize_utf32(d, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	return n == 1 && d[0] == cp;
}

/*
 * Can NFC change this text? Only a mark (which may compose with what precedes
 * it or be reordered; some, like Tamil U+0BBE, compose with combining class 0),
 * a conjoining Hangul jamo, or a character with a canonical decomposition that
 * does not compose back to it (Greek oxia U+1F71, the Ohm sign U+2126, CJK
 * compatibility ideographs...) can; everything else, including precomposed
 * letters such as "é", is already NFC. Much cheaper than normalising and
 * comparing, and most text has none of these.
 */
static int may_change_under_nfc(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		const utf8proc_property_t *p;
		uint64_t w;

		/* skip ASCII eight bytes at a time */
		if (i + 8 <= len) {
			memcpy(&w, text + i, 8);
			if (!(w & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		if ((unsigned char)text[i] < 0xcc) {   /* below U+0300: nothing to compose */
			i += (unsigned char)text[i] < 0x80 ? 1 : 2;
			continue;
		}
		k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0)
			return 1;
		p = utf8proc_get_property(cp);
		if (p->combining_class || p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_MC ||
		    p->category == UTF8PROC_CATEGORY_ME || (cp >= 0x1100 && cp <= 0x11ff) ||
		    (p->decomp_seqindex != UINT16_MAX && !p->decomp_type && !composes_back(cp)))
			return 1;
		i += (size_t)k;
	}
	return 0;
}

int pat_nfc(const char *text, size_t len, char **out, size_t *len_out)
{
	utf8proc_uint8_t *buf = NULL;
	utf8proc_ssize_t n;

	*out = NULL;
	*len_out = len;
	if (!may_change_under_nfc(text, len))
		return 0;
	n = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &buf, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return prov_error(PROV_EDATA, "%s", utf8proc_errmsg(n));
	if ((size_t)n == len && !memcmp(buf, text, len)) {
		free(buf);
		return 0;
	}
	*out = (char *)buf;
	*len_out = (size_t)n;
	return 0;
}

/*
 * The sentences the refusal detector may look at: those with a letter that
 * start within the first PAT_LIST_CHARS characters (at most
 * PAT_MAX_SENTENCES). The caller frees *out.
 */
static int refusal_sentences(const char *text, size_t len, struct rsent **out, size_t *n_out)
{
	struct rsent *v = NULL;
	struct span sp;
	size_t n = 0, cap = 0, pos = 0, counted = 0, chars = 0;

	*out = NULL;
	*n_out = 0;
	while (n < PAT_MAX_SENTENCES && next_sentence(text, len, &pos, &sp)) {
		/* characters before the sentence: count the bytes that start a character */
		for (; counted < sp.start && counted < len; counted++)
			chars += ((unsigned char)text[counted] & 0xc0) != 0x80;
		if (chars >= PAT_LIST_CHARS)
			break;
		if (!has_letter(text, sp))
			continue;
		if (prov_grow(&v, &cap, n, sizeof(*v), 16)) {
			free(v);
			return prov_error(PROV_ENOMEM, "out of memory (sentences)");
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].sp = sp;
		v[n].n = clip_sentence(text, sp);
		v[n].chars = chars;
		v[n].in_list = starts_list_item(text, sp.start);
		v[n].comply = -1;
		n++;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int find_refusal(const struct pat_lib *lib, const char *text, size_t len, struct pat_refusal *out);

int pat_find_refusal(const struct pat_lib *lib, const char *text, size_t len, struct pat_refusal *out)
{
	size_t bad;
	int rc;
	char *nfc = NULL;

	out->refused = 0;
	out->pattern = -1;
	out->family = NULL;
	out->start = out->end = 0;
	out->shape = PAT_SHAPE_NONE;
	out->sentence = -1;
	out->in_list = 0;
	if (!text)
		text = "", len = 0;
	if (!utf8_valid(text, len, &bad))
		return prov_error(PROV_EDATA, "invalid UTF-8 at byte %zu", bad);
	if ((rc = pat_nfc(text, len, &nfc, &len)))
		return rc;
	if (nfc) {
		rc = pat_find_refusal(lib, nfc, len, out);
		free(nfc);
		return rc;
	}
	{
		char *folded = NULL;
		size_t flen = 0, *map = NULL;

		if ((rc = fold_marks(text, len, &folded, &flen, &map)) != 0)
			return rc;
		if (folded) {
			rc = find_refusal(lib, folded, flen, out);
			if (!rc && out->refused) {
				out->start = map[out->start];
				out->end = map[out->end];
			}
			free(folded);
			free(map);
			return rc;
		}
	}
	return find_refusal(lib, text, len, out);
}

/* pat_find_refusal on NFC, folded text: offsets refer to it. */
static int find_refusal(const struct pat_lib *lib, const char *text, size_t len, struct pat_refusal *out)
{
	pcre2_match_data *md = NULL;
	struct gate g = { NULL, NULL }, cg = { NULL, NULL };
	struct rsent *sent = NULL;
	struct rctx c;
	size_t nsent = 0, k, window = 0;
	int rc = 0, which = -1, found = 0;
	const unsigned all = ~0u, list_shapes = 1u << PAT_SHAPE_DECLINE | 1u << PAT_SHAPE_PARTIAL;

	if ((rc = refusal_sentences(text, len, &sent, &nsent)) != 0)
		return rc;
	if (!nsent)
		goto done;
	if ((rc = gate_new(lib, &g)) != 0 || (rc = gate_new(lib, &cg)) != 0)
		goto done;
	md = pcre2_match_data_create(1, NULL);
	if (!md) {
		rc = prov_error(PROV_ENOMEM, "out of memory (match data)");
		goto done;
	}
	c.lib = lib;
	c.text = text;
	c.sent = sent;
	c.nsent = nsent;
	c.cg = &cg;
	c.md = md;
	while (window < nsent && window < PAT_WINDOW_SENTENCES && sent[window].chars < PAT_WINDOW_CHARS)
		window++;
	/* The opening: every shape. Then list items further on: declines and partial refusals. */
	for (k = 0; k < nsent && !found; k++) {
		if (k >= window && !sent[k].in_list)
			continue;
		gate_scan(lib, &g, text + sent[k].sp.start, sent[k].n);
		rc = refusal_in_sentence(&c, k, &g, k < window ? all : list_shapes, &which);
		if (rc < 0)
			goto done;
		found = rc;
	}
	rc = 0;
	if (found) {
		k--;
		out->refused = 1;
		out->pattern = which;
		out->family = lib->pats[which].info.family;
		out->shape = lib->pats[which].info.shape;
		out->start = sent[k].sp.start;
		out->end = sent[k].sp.end;
		out->sentence = (int)k;
		out->in_list = k >= window;
	}
done:
	pcre2_match_data_free(md);
	free(g.fac);
	free(cg.fac);
	free(sent);
	return rc;
}
/* ---- claims ---- */

struct claims {
	struct pat_claim *v;
	size_t n, cap;
};

static int claims_add(struct claims *c, const struct pat_claim *cl)
{
	size_t i;

	/* At most one claim per sentence and family: the strongest, then the earliest. */
	for (i = 0; i < c->n; i++) {
		struct pat_claim *o = &c->v[i];

		if (o->sent_start == cl->sent_start && !strcmp(o->family, cl->family)) {
			if (cl->strength > o->strength || (cl->strength == o->strength && cl->start < o->start))
				*o = *cl;
			return 0;
		}
	}
	if (prov_grow(&c->v, &c->cap, c->n, sizeof(*c->v), 8))
		return PROV_ENOMEM;
	c->v[c->n++] = *cl;
	return 0;
}

/*
 * A generic claim adds nothing to a sentence that also holds a family-specific
 * claim of the same kind ("as of my knowledge cutoff in September 2021" is an
 * openai cutoff claim, not also a generic one): drop it.
 */
static void drop_shadowed_generic(struct claims *c)
{
	size_t i, j, k = 0;

	/* Mark (kind 0) first, then compact: marking never touches a family-specific claim. */
	for (i = 0; i < c->n; i++) {
		struct pat_claim *g = &c->v[i];

		if (strcmp(g->family, "generic") != 0)
			continue;
		for (j = 0; j < c->n; j++)
			if (c->v[j].sent_start == g->sent_start && c->v[j].kind == g->kind &&
			    strcmp(c->v[j].family, "generic") != 0) {
				g->kind = 0;
				break;
			}
	}
	for (i = 0; i < c->n; i++)
		if (c->v[i].kind)
			c->v[k++] = c->v[i];
	c->n = k;
}

static int claim_cmp(const void *a, const void *b)
{
	const struct pat_claim *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->pattern > y->pattern) - (x->pattern < y->pattern);
}

/* Index of the sentence holding byte `at`: the last one starting at or before it (0 if none). */
static size_t sentence_at(const struct span *v, size_t n, size_t at)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].start <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Every sentence of text[0..len); the caller frees *out. */
static int all_sentences(const char *text, size_t len, struct span **out, size_t *n_out)
{
	struct span *v = NULL, sp;
	size_t n = 0, cap = 0, pos = 0;

	while (next_sentence(text, len, &pos, &sp)) {
		if (prov_grow(&v, &cap, n, sizeof(*v), 32)) {
			free(v);
			return PROV_ENOMEM;
		}
		v[n++] = sp;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int find_claims(const struct pat_lib *lib, const char *text, size_t len, struct pat_claim **out,
	size_t *n_out);

int pat_find_claims(const struct pat_lib *lib, const char *text, size_t len, struct pat_claim **out,
	size_t *n_out)
{
	size_t bad;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	if (!text)
		text = "", len = 0;
	if (!utf8_valid(text, len, &bad))
		return prov_error(PROV_EDATA, "invalid UTF-8 at byte %zu", bad);
	{
		char *nfc = NULL;

		if ((rc = pat_nfc(text, len, &nfc, &len)))
			return rc;
		if (nfc) {
			rc = pat_find_claims(lib, nfc, len, out, n_out);
			free(nfc);
			return rc;
		}
	}
	{
		char *folded = NULL;
		size_t flen = 0, *map = NULL, k;

		if ((rc = fold_marks(text, len, &folded, &flen, &map)) != 0)
			return rc;
		if (folded) {
			rc = find_claims(lib, folded, flen, out, n_out);
			for (k = 0; !rc && k < *n_out; k++) {
				struct pat_claim *cl = &(*out)[k];

				cl->start = map[cl->start];
				cl->end = map[cl->end];
				cl->sent_start = map[cl->sent_start];
				cl->sent_end = map[cl->sent_end];
			}
			free(folded);
			free(map);
			return rc;
		}
	}
	return find_claims(lib, text, len, out, n_out);
}

/* pat_find_claims on NFC, folded text: offsets refer to it. */
static int find_claims(const struct pat_lib *lib, const char *text, size_t len, struct pat_claim **out,
	size_t *n_out)
{
	pcre2_match_data *md = NULL;
	struct gate g = { NULL, NULL };
	struct claims c = { NULL, 0, 0 };
	struct span *sent = NULL, m;
	size_t nsent = 0, i;
	int rc = 0;

	if ((rc = gate_new(lib, &g)) != 0)
		return rc;
	md = pcre2_match_data_create(1, NULL);
	if (!md) {
		rc = prov_error(PROV_ENOMEM, "out of memory (match data)");
		goto done;
	}
	gate_scan(lib, &g, text, len);
	for (i = 0; i < lib->n; i++) {
		const struct pat_entry *e = &lib->pats[i];
		size_t off = 0;

		if (!is_claim_kind(e->info.kind) || !gate_open(&g, i))
			continue;
		while (off <= len) {
			struct pat_claim cl;

			rc = match(e, text, len, off, md, &m);
			if (rc <= 0)
				break;
			if (!sent) {
				rc = all_sentences(text, len, &sent, &nsent);
				if (rc)
					break;
			}
			cl.pattern = (int)i;
			cl.family = e->info.family;
			cl.kind = e->info.kind;
			cl.strength = e->info.strength;
			cl.start = m.start;
			cl.end = m.end;
			cl.sent_start = cl.start;
			cl.sent_end = cl.end;
			if (nsent) {
				struct span a = sent[sentence_at(sent, nsent, m.start)];
				struct span b = sent[sentence_at(sent, nsent, m.end > m.start ? m.end - 1 : m.start)];

				cl.sent_start = a.start < cl.start ? a.start : cl.start;
				cl.sent_end = b.end > cl.end ? b.end : cl.end;
			}
			rc = claims_add(&c, &cl);
			if (rc)
				break;
			off = after(text, len, m);
		}
		if (rc < 0)
			goto done;
	}
	rc = 0;
	drop_shadowed_generic(&c);
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), claim_cmp);
done:
	pcre2_match_data_free(md);
	free(g.fac);
	free(sent);
	if (rc < 0) {
		free(c.v);
		return rc;
	}
	*out = c.v;
	*n_out = c.n;
	return 0;
}

int pat_lib_match(const struct pat_lib *lib, size_t i, const char *text, size_t len, size_t *start,
	size_t *end)
{
	pcre2_match_data *md = NULL;
	struct gate g = { NULL, NULL };
	struct span m = { 0, 0 };
	size_t bad, flen = 0, *map = NULL;
	char *folded = NULL;
	const char *subject;
	int rc;

	if (i >= lib->n)
		return prov_error(PROV_EUSAGE, "pattern %zu: the library has %zu", i, lib->n);
	if (!text)
		text = "", len = 0;
	if (!utf8_valid(text, len, &bad))
		return prov_error(PROV_EDATA, "invalid UTF-8 at byte %zu", bad);
	if ((rc = fold_marks(text, len, &folded, &flen, &map)) != 0)
		return rc;
	subject = folded ? folded : text;
	if ((rc = gate_new(lib, &g)) != 0)
		goto done;
	gate_scan(lib, &g, subject, flen);
	rc = 0;
	if (gate_open(&g, i)) {
		md = pcre2_match_data_create(1, NULL);
		rc = md ? match(&lib->pats[i], subject, flen, 0, md, &m) :
			prov_error(PROV_ENOMEM, "out of memory (match data)");
	}
	if (rc == 1) {
		if (start)
			*start = map ? map[m.start] : m.start;
		if (end)
			*end = map ? map[m.end] : m.end;
	}
done:
	pcre2_match_data_free(md);
	free(g.fac);
	free(folded);
	free(map);
	return rc;
}
