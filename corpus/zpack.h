/*
 * zpack.h: zlib compression of stored text (responses, prompts, blobs).
 */
#ifndef PROV_ZPACK_H
#define PROV_ZPACK_H

#include <stddef.h>
#include "detect/util.h"

/* Compress `len` bytes into *out (replacing its content). 0 or PROV_ENOMEM. */
int zpack(struct pbuf *out, const void *in, size_t len, int level);

/*
 * Decompress into *out (replacing its content, NUL-terminated). `expected`
 * is the stored uncompressed size; a mismatch or corrupt data is PROV_ETAMPER
 * (stored evidence no longer decodes to what was recorded).
 */
int zunpack(struct pbuf *out, const void *in, size_t len, size_t expected);

#endif
