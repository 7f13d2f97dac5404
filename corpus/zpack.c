/*
 * zpack.c: zlib compression for text kept in the store.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "corpus/zpack.h"

struct zpacker {
	z_stream zs;
};

int zpacker_new(struct zpacker **out, int level)
{
	struct zpacker *z = prov_calloc(1, sizeof(*z));

	*out = NULL;
	if (!z)
		return PROV_ENOMEM;
	if (deflateInit(&z->zs, level) != Z_OK) {
		free(z);
		return prov_error(PROV_ENOMEM, "zlib: cannot start a compressor");
	}
	*out = z;
	return 0;
}

void zpacker_free(struct zpacker *z)
{
	if (!z)
		return;
	deflateEnd(&z->zs);
	free(z);
}

int zpacker_pack(struct zpacker *z, struct pbuf *out, const void *in, size_t len)
{
	uLong bound = deflateBound(&z->zs, (uLong)len);
	int rc;

	pbuf_reset(out);
	if ((rc = pbuf_grow(out, bound)))
		return rc;
	if (deflateReset(&z->zs) != Z_OK)
		return prov_error(PROV_EINTERNAL, "zlib: deflateReset failed");
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = (uInt)len;
	z->zs.next_out = (Bytef *)out->data;
	z->zs.avail_out = (uInt)bound;
	if (deflate(&z->zs, Z_FINISH) != Z_STREAM_END)
		return prov_error(PROV_EINTERNAL, "zlib: compress failed");
	out->len = bound - z->zs.avail_out;
	return 0;
}

int zpack(struct pbuf *out, const void *in, size_t len, int level)
{
	uLongf dlen = compressBound((uLong)len);
	int rc;

	pbuf_reset(out);
	if ((rc = pbuf_grow(out, dlen)))
		return rc;
	if (compress2((Bytef *)out->data, &dlen, in, (uLong)len, level) != Z_OK)
		return prov_error(PROV_EINTERNAL, "zlib: compress failed");
	out->len = dlen;
	return 0;
}

int zunpack(struct pbuf *out, const void *in, size_t len, size_t expected)
{
	uLongf dlen = (uLongf)expected;
	int rc, zrc;

	pbuf_reset(out);
	if ((rc = pbuf_grow(out, expected)))
		return rc;
	zrc = uncompress((Bytef *)out->data, &dlen, in, (uLong)len);
	if (zrc != Z_OK || dlen != expected)
		return prov_error(PROV_ETAMPER, "stored text does not decompress to its recorded size (%zu bytes)",
			expected);
	out->len = dlen;
	out->data[dlen] = '\0';
	return 0;
}
