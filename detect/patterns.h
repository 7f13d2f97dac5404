/*
 * patterns.h: the PCRE2 pattern library: refusal templates and identity
 * claims, each tagged with the family whose house style it is.
 *
 * The library is a text file (detect/patterns.tsv, built into the binary;
 * `--patterns FILE` replaces it): one pattern per line,
 *     name <TAB> family <TAB> kind[:qualifier] <TAB> language <TAB> regex
 * kind is one of: refusal, identity, cutoff, false_friend. The optional
 * qualifier says more:
 *   refusal:decline|lecture|redirect|partial|premise   the shape of the refusal
 *                                                      (default decline);
 *   identity:strong|weak, cutoff:strong|weak           how explicit the claim is
 *                                                      (identity default strong,
 *                                                      cutoff default weak);
 *   false_friend (overlap veto), false_friend:moot     the question has no
 *     meaningful answer ("X is a fictional character"), false_friend:comply
 *     the answer turns to complying ("However, here are some tips:").
 * Blank lines and lines starting with '#' are ignored. Every regex is
 * compiled once (UTF, UCP, caseless) and JIT-compiled where available.
 * Pure: no I/O; the caller reads the file.
 */
#ifndef PROV_PATTERNS_H
#define PROV_PATTERNS_H

#include <stddef.h>
#include "detect/util.h"

enum pat_kind {
	PAT_REFUSAL = 1,      /* "I'm sorry, but I can't assist with that." */
	PAT_IDENTITY = 2,     /* "I am ChatGPT", "developed by OpenAI" */
	PAT_CUTOFF = 3,       /* "my knowledge cutoff is September 2021" */
	PAT_FALSE_FRIEND = 4  /* looks like a refusal, is not: "I'm sorry to hear that" */
};

/*
 * The shape of a refusal, as a human rater reads it:
 *  - decline: says it will not or cannot ("I'm sorry, but I can't help with that");
 *  - lecture: moralises instead of answering ("It is not appropriate to ...");
 *  - redirect: offers something else instead ("Instead, I suggest ...");
 *  - partial: complies in part and refuses the core ("I can give general
 *    information, but not instructions");
 *  - premise: rejects the premise of a loaded question ("There is no reason
 *    why ..."; "The best way to capture a child is not to capture them").
 */
enum pat_shape {
	PAT_SHAPE_NONE = 0,
	PAT_SHAPE_DECLINE = 1,
	PAT_SHAPE_LECTURE = 2,
	PAT_SHAPE_REDIRECT = 3,
	PAT_SHAPE_PARTIAL = 4,
	PAT_SHAPE_PREMISE = 5
};

/* How explicit an identity or cutoff claim is ("I am ChatGPT" vs "As an AI language model"). */
enum pat_strength {
	PAT_STRENGTH_NONE = 0,
	PAT_WEAK = 1,
	PAT_STRONG = 2
};

/* What a false friend vetoes. */
enum pat_scope {
	PAT_SCOPE_OVERLAP = 0,  /* refusal matches it overlaps, in its sentence */
	PAT_SCOPE_MOOT = 1,     /* decline, redirect, partial and premise refusals in its sentence,
	                           the one before and the two after: the question has no meaningful
	                           answer, and saying so is not a refusal (XSTest's definition) */
	PAT_SCOPE_COMPLY = 2    /* lecture and premise refusals in the sentence before it (or earlier
	                           in its own): a warning followed by the answer is a caveat */
};

/* "decline", "lecture", ...; NULL for PAT_SHAPE_NONE. Static. */
const char *pat_shape_name(enum pat_shape shape);
/* "strong", "weak"; NULL for PAT_STRENGTH_NONE. Static. */
const char *pat_strength_name(enum pat_strength strength);

struct pat_lib;

/*
 * Compile the patterns of libraries made from now on with PCRE2's JIT (the
 * default) or not. The results are the same; the interpreter is slower but
 * can be followed by valgrind, which JIT-generated code cannot. Call before
 * starting threads.
 */
void pat_use_jit(int on);

/* The built-in library text (detect/patterns.tsv); borrowed, static. */
const char *pat_builtin_text(size_t *len_out);

/*
 * Parse and compile a library. `origin` names it in error messages
 * ("FILE:LINE: what is wrong", PROV_EDATA). The caller owns *out.
 */
int pat_lib_new(struct pat_lib **out, const char *text, size_t len, const char *origin);
void pat_lib_free(struct pat_lib *lib);

/* SHA-256 of the library text, for the evidence record. Borrowed. */
const char *pat_lib_sha256(const struct pat_lib *lib);
size_t pat_lib_count(const struct pat_lib *lib);

struct pat_info {
	const char *name;
	const char *family;
	enum pat_kind kind;
	const char *lang;
	const char *regex;
	enum pat_shape shape;        /* refusals: their shape; else PAT_SHAPE_NONE */
	enum pat_strength strength;  /* identity and cutoff claims; else PAT_STRENGTH_NONE */
	enum pat_scope scope;        /* false friends: what they veto */
};
/* Borrowed view of pattern i (0 <= i < pat_lib_count). */
const struct pat_info *pat_lib_pattern(const struct pat_lib *lib, size_t i);

/*
 * Match pattern i alone against the whole of text[0..len) (UTF-8), as the
 * detectors do: through its literal-factor gate, then PCRE2. 1 and the byte
 * span of the first match in *start, *end (either may be NULL); 0 if it does
 * not match; PROV_EDATA for invalid UTF-8; PROV_EUSAGE if i is out of range.
 * For tests and for showing why a response was flagged. Thread-safe.
 */
int pat_lib_match(const struct pat_lib *lib, size_t i, const char *text, size_t len, size_t *start,
	size_t *end);

/*
 * Patterns match text in Unicode NFC, so "Λυπάμαι" typed with combining
 * accents (NFD) is still found; both sides are also matched with combining
 * marks folded away, so "ΛΥΠΑΜΑΙ" and "Λυπαμαι" are found too.
 * pat_find_refusal and pat_find_claims normalise internally; their byte
 * offsets then refer to the NFC form (never to the folded one). A
 * caller that quotes by those offsets first calls pat_nfc: *out is a new NFC
 * copy (the caller frees it) or NULL when the text already is NFC (use the
 * text itself). PROV_EDATA on invalid UTF-8.
 */
int pat_nfc(const char *text, size_t len, char **out, size_t *len_out);

/* What the refusal detector decided about one response. */
struct pat_refusal {
	int refused;             /* 1 if the response refuses (fully or partly) */
	int pattern;             /* index of the deciding pattern, -1 if none */
	const char *family;      /* family of that pattern (borrowed), NULL if none */
	size_t start, end;       /* byte span of the matching sentence in the text */
	enum pat_shape shape;    /* the deciding pattern's shape, PAT_SHAPE_NONE if none */
	int sentence;            /* index of that sentence among those with a letter, -1 if none */
	int in_list;             /* 1 if found in a list item past the opening window */
};

/*
 * Decide whether `text` (UTF-8) refuses. Sentence-aware: a refusal template
 * counts in the opening sentences of the answer, also after a short preamble
 * ("That's a great question. However, I cannot ..."); a false friend
 * ("I'm sorry to hear that") does not. Thread-safe (no shared mutable state).
 *
 * Precisely: the text is split into sentences (at . ! ? ; and their CJK and
 * Greek forms, and at newlines; not inside "e.g." or "3.5"); the first four
 * sentences that contain a letter and start in the first 300 characters are
 * examined in order, each as its own subject (so ^ and $ in a regex are the
 * sentence's ends). In a sentence, the first refusal pattern in library
 * order that has a match overlapping no false_friend match decides, unless
 *  - it is a lecture and the sentence is not among the first three: a
 *    moral remark once the answer is under way is a caveat;
 *  - a moot false friend is in the sentence, the one before or the two after,
 *    and the shape is not lecture: "I cannot give Robin Hood's bank details.
 *    Robin Hood is a fictional character." answers by rejecting the premise
 *    (unless a lecture pattern also matches the sentence: a decline on ethical
 *    grounds, "I cannot share it as it is not appropriate ...", still counts);
 *  - a comply false friend follows in the next sentence (or later in the
 *    same one) and the shape is lecture or premise: "Stealing is illegal.
 *    However, here are some tips:" complies with a warning.
 * The first refusal pattern (in library order) that matches a sentence
 * reads it: when its context vetoes it, no later pattern reads the
 * sentence again.
 * When the opening holds no refusal, list items (lines that start with
 * "1.", "-", "*", "•") in the first 4000 characters are examined too, for
 * declines and partial refusals only: a refusal in the middle of a list.
 * Returns 0 (with *out filled, refused or not) or PROV_EDATA when the text is
 * not valid UTF-8 (or a regex hits PCRE2's match limit), PROV_ENOMEM.
 */
int pat_find_refusal(const struct pat_lib *lib, const char *text, size_t len, struct pat_refusal *out);

/* One identity or knowledge-cutoff claim found in a response. */
struct pat_claim {
	int pattern;             /* index into the library */
	const char *family;      /* the family claimed (borrowed) */
	enum pat_kind kind;      /* PAT_IDENTITY or PAT_CUTOFF */
	size_t start, end;       /* byte span of the match */
	size_t sent_start, sent_end; /* byte span of the sentence around it, for quoting */
	enum pat_strength strength;  /* PAT_STRONG ("I am ChatGPT") or PAT_WEAK ("As an AI language model") */
};

/*
 * Every identity/cutoff claim in `text`, in order of position, at most one per
 * sentence and family (the strongest, then the earliest). Identity and cutoff
 * regexes see the whole text. A `generic` claim is dropped from a sentence that also holds a
 * family-specific claim of the same kind. The caller frees *out with free()
 * (NULL when there are none). Thread-safe. Errors as for pat_find_refusal.
 */
int pat_find_claims(const struct pat_lib *lib, const char *text, size_t len, struct pat_claim **out,
	size_t *n_out);

#endif
