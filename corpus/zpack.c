/*
 * zpack.c: one-shot zlib compression for text kept in the store.
 */
#include <zlib.h>

#include "corpus/zpack.h"

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
