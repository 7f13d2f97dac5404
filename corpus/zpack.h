/*
 * zpack.h: zlib compression of stored text (responses, prompts, reports).
 */
#ifndef PROV_ZPACK_H
#define PROV_ZPACK_H

#include <stddef.h>
#include "detect/util.h"

/* The compression level of stored text (fast: text is stored often and read rarely). */
#define ZPACK_LEVEL 1

/*
 * A reusable compressor: deflate's state is set up once and reset between
 * texts, which for short texts (answers of a few kilobytes) is several
 * times faster than setting it up for each. One per thread.
 */
struct zpacker;
int zpacker_new(struct zpacker **out, int level);
/* Compress `len` bytes into *out (replacing its content). 0 or PROV_ENOMEM / PROV_EINTERNAL. */
int zpacker_pack(struct zpacker *z, struct pbuf *out, const void *in, size_t len);
void zpacker_free(struct zpacker *z);

/* One-shot compression (for occasional use). */
int zpack(struct pbuf *out, const void *in, size_t len, int level);

/*
 * Decompress into *out (replacing its content, NUL-terminated). `expected`
 * is the stored uncompressed size; a mismatch or corrupt data is PROV_ETAMPER
 * (stored evidence no longer decodes to what was recorded).
 */
int zunpack(struct pbuf *out, const void *in, size_t len, size_t expected);

#endif
