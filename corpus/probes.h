/*
 * probes.h: the built-in probe sets (corpus/probes/NAME.jsonl, built into the
 * binary by the Makefile): prompts written for this project that elicit what
 * distillation leaves behind: how a model names itself (identity), how it
 * refuses and whether it over-refuses (refusal), its formatting habits (style).
 *
 * Each line of a set is {"id", "prompt", "lang", "kind"} plus, in the refusal
 * set, "pair" (the id shared by a harmful request and its harmless look-alike)
 * and "harmful" (true or false). Ids are stable: a prompt keeps its id forever.
 */
#ifndef PROV_PROBES_H
#define PROV_PROBES_H

#include <stddef.h>
#include "detect/util.h"

/* One set as built into the binary (generated table). */
struct probe_blob {
	const char *name;
	const char *data;   /* the JSONL text */
	size_t size;
};
extern const struct probe_blob probe_builtin[];
extern const size_t probe_builtin_count;

struct probe {
	char *id;
	char *prompt;
	char *lang;         /* ISO 639-1 */
	char *kind;         /* what the prompt asks about (maker, cutoff, list, ...) */
	char *pair;         /* refusal set: the pair id; else NULL */
	int harmful;        /* refusal set: 1 harmful, 0 the harmless look-alike; else -1 */
	char *line;         /* the set's JSONL line as written */
};

struct probe_set {
	char *name;
	char *summary;      /* what the set is for (one sentence) */
	size_t n;
	struct probe *items;
	size_t nlang;       /* distinct languages */
};

/* The names of the built-in sets, in order; *n_out gets their number. */
const char *const *probe_names(size_t *n_out);

/*
 * Parse the built-in set `name` into *out (caller frees with probe_set_free).
 * PROV_ENOTFOUND for an unknown name; PROV_EINTERNAL when the built-in data
 * is malformed (a duplicate id, a missing field: a bug caught by the tests).
 */
int probe_set_load(struct probe_set **out, const char *name);
void probe_set_free(struct probe_set *s);

#endif
