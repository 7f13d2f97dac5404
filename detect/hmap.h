/*
 * hmap.h: the engine's small containers: an open-addressing hash map from
 * 64-bit keys to 32-bit values, and an LSD radix sort of 64-bit keys.
 * Pure, no I/O.
 */
#ifndef PROV_HMAP_H
#define PROV_HMAP_H

#include <stddef.h>
#include <stdint.h>

/* Linear probing, power-of-two capacity. Any key may be stored (0 is remapped internally). */
struct hmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

/* Room for about `expect` keys; 0 or PROV_ENOMEM. */
int hmap_init(struct hmap *m, size_t expect);
/* Frees the arrays; NULL-safe and idempotent. */
void hmap_release(struct hmap *m);
/* Empties the map, keeping its capacity. */
void hmap_clear(struct hmap *m);
/*
 * Inserts key with val if absent; *slot_out receives its slot (m->vals[slot]).
 * Returns 1 if inserted, 0 if present, PROV_ENOMEM.
 */
int hmap_put(struct hmap *m, uint64_t key, uint32_t val, size_t *slot_out);
/* 1 and *val if present, else 0. */
int hmap_get(const struct hmap *m, uint64_t key, uint32_t *val);

/* Sorts a[0..n) ascending; tmp must hold n keys. */
void radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t n);
/* Sorts and removes duplicates in place; returns the new length. */
size_t sort_unique(uint64_t *a, uint64_t *tmp, size_t n);

#endif
