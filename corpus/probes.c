/*
 * probes.c: the built-in probe sets, parsed from the JSONL text the Makefile
 * builds into the binary (corpus/probes/NAME.jsonl).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus/probes.h"

#define MAX_SETS 16

static const struct { const char *name, *summary; } summaries[] = {
	{ "identity", "self-description, maker, model name, version and training cutoff, asked directly and "
		"indirectly, in 10 languages" },
	{ "refusal", "requests a careful assistant refuses, each paired with a harmless look-alike, for refusal "
		"style and over-refusal" },
	{ "style", "short open tasks whose answers show formatting habits: lists, headings, bold, openers and "
		"closers" },
};

const char *const *probe_names(size_t *n_out)
{
	static const char *names[MAX_SETS];
	size_t i, n = probe_builtin_count < MAX_SETS ? probe_builtin_count : MAX_SETS;

	for (i = 0; i < n; i++)
		names[i] = probe_builtin[i].name;
	*n_out = n;
	return names;
}

void probe_set_free(struct probe_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->items[i].id);
		free(s->items[i].prompt);
		free(s->items[i].lang);
		free(s->items[i].kind);
		free(s->items[i].pair);
		free(s->items[i].line);
	}
	free(s->items);
	free(s->name);
	free(s->summary);
	free(s);
}

/* A required string member of line `lineno` of set `set`; NULL (and the error set) if missing. */
static const char *need(json_t *o, const char *key, const char *set, long lineno)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || !json_string_length(v)) {
		prov_error(PROV_EINTERNAL, "built-in probe set %s, line %ld: no \"%s\" string", set, lineno, key);
		return NULL;
	}
	return json_string_value(v);
}

static int parse_line(struct probe *p, const char *text, size_t len, const char *set, long lineno)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *h;
	const char *id, *prompt, *lang, *kind;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->harmful = -1;
	if (!json_is_object(o)) {
		json_decref(o);
		return prov_error(PROV_EINTERNAL, "built-in probe set %s, line %ld: invalid JSON: %s", set, lineno,
			jerr.text);
	}
	if (!(id = need(o, "id", set, lineno)) || !(prompt = need(o, "prompt", set, lineno)) ||
	    !(lang = need(o, "lang", set, lineno)) || !(kind = need(o, "kind", set, lineno))) {
		json_decref(o);
		return PROV_EINTERNAL;
	}
	p->id = prov_strdup(id);
	p->prompt = prov_strdup(prompt);
	p->lang = prov_strdup(lang);
	p->kind = prov_strdup(kind);
	p->line = prov_strndup(text, len);
	if (json_is_string(json_object_get(o, "pair")))
		p->pair = prov_strdup(json_string_value(json_object_get(o, "pair")));
	h = json_object_get(o, "harmful");
	if (h)
		p->harmful = json_is_true(h);
	if (!p->id || !p->prompt || !p->lang || !p->kind || !p->line ||
	    (json_object_get(o, "pair") && !p->pair))
		rc = PROV_ENOMEM;
	json_decref(o);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int probe_set_load(struct probe_set **out, const char *name)
{
	const struct probe_blob *b = NULL;
	struct probe_set *s;
	const char *p, *end, **sorted = NULL;
	size_t i, cap = 0;
	long lineno = 0;
	int rc = 0;

	*out = NULL;
	for (i = 0; i < probe_builtin_count; i++)
		if (!strcmp(probe_builtin[i].name, name))
			b = &probe_builtin[i];
	if (!b)
		return prov_error(PROV_ENOTFOUND, "no probe set named '%s' (see: provenance probe list)", name);
	s = prov_calloc(1, sizeof(*s));
	if (!s)
		return PROV_ENOMEM;
	s->name = prov_strdup(name);
	s->summary = prov_strdup("");
	for (i = 0; i < sizeof(summaries) / sizeof(summaries[0]); i++)
		if (!strcmp(summaries[i].name, name)) {
			free(s->summary);
			s->summary = prov_strdup(summaries[i].summary);
		}
	if (!s->name || !s->summary) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (p = b->data, end = b->data + b->size; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (len) {
			if ((rc = prov_grow(&s->items, &cap, s->n, sizeof(*s->items), 64)))
				goto done;
			if ((rc = parse_line(&s->items[s->n++], p, len, name, lineno)))
				goto done;
		}
		p += len + 1;
	}
	/* ids unique, and the number of languages */
	sorted = prov_calloc(s->n + 1, sizeof(*sorted));
	if (!sorted) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->n; i++)
		sorted[i] = s->items[i].id;
	qsort(sorted, s->n, sizeof(*sorted), cmp_str);
	for (i = 1; i < s->n; i++)
		if (!strcmp(sorted[i - 1], sorted[i])) {
			rc = prov_error(PROV_EINTERNAL, "built-in probe set %s: id '%s' appears twice", name, sorted[i]);
			goto done;
		}
	for (i = 0; i < s->n; i++)
		sorted[i] = s->items[i].lang;
	qsort(sorted, s->n, sizeof(*sorted), cmp_str);
	for (i = 0; i < s->n; i++)
		if (i == 0 || strcmp(sorted[i - 1], sorted[i]))
			s->nlang++;
done:
	free(sorted);
	if (rc) {
		probe_set_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
