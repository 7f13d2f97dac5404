/*
 * hmap.c: see hmap.h.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/hmap.h"
#include "detect/util.h"

void radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t count[256], pass, i;

	for (pass = 0; pass < 8; pass++) {
		unsigned shift = (unsigned)pass * 8;
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(a[i] >> shift) & 255]++;
		for (i = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 255]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}


static uint64_t hkey(uint64_t k)
{
	return k ? k : 1;
}

int hmap_init(struct hmap *m, size_t expect)
{
	size_t cap = 16;

	while (cap < expect * 2)
		cap *= 2;
	m->keys = prov_calloc(cap, sizeof(*m->keys));
	m->vals = prov_calloc(cap, sizeof(*m->vals));
	m->cap = cap;
	m->n = 0;
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		m->keys = NULL;
		m->vals = NULL;
		return PROV_ENOMEM;
	}
	return 0;
}

void hmap_release(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

void hmap_clear(struct hmap *m)
{
	memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->n = 0;
}

/* Find the slot of key; *found says whether it is occupied by key. */
static size_t hmap_slot(const struct hmap *m, uint64_t key, int *found)
{
	size_t mask = m->cap - 1, i = (size_t)(key ^ (key >> 29)) & mask;

	key = hkey(key);
	while (m->keys[i]) {
		if (m->keys[i] == key) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = 0;
	return i;
}

static int hmap_grow(struct hmap *m)
{
	struct hmap bigger;
	size_t i;
	int rc;

	if ((rc = hmap_init(&bigger, m->cap)))
		return rc;
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			int f;
			size_t s = hmap_slot(&bigger, m->keys[i], &f);

			bigger.keys[s] = m->keys[i];
			bigger.vals[s] = m->vals[i];
			bigger.n++;
		}
	}
	hmap_release(m);
	*m = bigger;
	return 0;
}

/* Insert key if absent; *slot_out receives its slot. 1 if inserted, 0 if present, <0 error. */
int hmap_put(struct hmap *m, uint64_t key, uint32_t val, size_t *slot_out)
{
	int found, rc;
	size_t s;

	if ((m->n + 1) * 2 > m->cap && (rc = hmap_grow(m)))
		return rc;
	s = hmap_slot(m, key, &found);
	*slot_out = s;
	if (found)
		return 0;
	m->keys[s] = hkey(key);
	m->vals[s] = val;
	m->n++;
	return 1;
}

int hmap_get(const struct hmap *m, uint64_t key, uint32_t *val)
{
	int found;
	size_t s;

	if (!m->cap)
		return 0;
	s = hmap_slot(m, key, &found);
	if (found)
		*val = m->vals[s];
	return found;
}

/* Sort and deduplicate in place; returns the new length. */
size_t sort_unique(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t i, k = 0;

	radix_sort_u64(a, tmp, n);
	for (i = 0; i < n; i++)
		if (k == 0 || a[i] != a[k - 1])
			a[k++] = a[i];
	return k;
}
