/*
 * util.c: the last-error slot, the capped buffer, hashing helpers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "util.h"

static _Thread_local char err_msg[1024];
static _Thread_local int err_code;

int prov_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	err_code = code;
	return code;
}

const char *prov_error_msg(void)
{
	return err_msg;
}

int prov_error_code(void)
{
	return err_code;
}

void prov_error_clear(void)
{
	err_msg[0] = '\0';
	err_code = 0;
}

void pbuf_init(struct pbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void pbuf_release(struct pbuf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void pbuf_reset(struct pbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int pbuf_grow(struct pbuf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return prov_error(PROV_EDATA, "buffer size overflow");
	need = b->len + extra + 1;
	if (b->max && need > b->max + 1)
		return prov_error(PROV_EDATA, "more than %zu bytes", b->max);
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (b->max && ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (!p)
		return prov_error(PROV_ENOMEM, "out of memory (%zu bytes)", ncap);
	b->data = p;
	b->cap = ncap;
	return 0;
}

int pbuf_add(struct pbuf *b, const void *data, size_t len)
{
	int rc = pbuf_grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int pbuf_adds(struct pbuf *b, const char *s)
{
	return pbuf_add(b, s, strlen(s));
}

int blob_take(struct blob_reader *r, void *dst, size_t n)
{
	if (r->left < n)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

int pbuf_addc(struct pbuf *b, char c)
{
	return pbuf_add(b, &c, 1);
}

int pbuf_vaddf(struct pbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return prov_error(PROV_EINTERNAL, "bad format string");
	rc = pbuf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int pbuf_addf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pbuf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *pbuf_detach(struct pbuf *b, size_t *len_out)
{
	char *p = b->data;

	if (!p && pbuf_grow(b, 0) == 0)
		p = b->data, p[0] = '\0';
	if (len_out)
		*len_out = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

char *prov_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p) {
		prov_error(PROV_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *prov_strdup(const char *s)
{
	return prov_strndup(s, strlen(s));
}

void *prov_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		prov_error(PROV_ENOMEM, "out of memory");
	return p;
}

int prov_grow_slow(void *arrp, size_t *cap, size_t size, size_t first)
{
	void *v, *g;
	size_t nc;

	nc = *cap ? *cap * 2 : first;
	memcpy(&v, arrp, sizeof(v));
	if (!(g = prov_reallocarray(v, nc, size)))
		return PROV_ENOMEM;
	memcpy(arrp, &g, sizeof(g));
	*cap = nc;
	return 0;
}

void *prov_reallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size && n > SIZE_MAX / size) {
		prov_error(PROV_ENOMEM, "allocation size overflow");
		return NULL;
	}
	q = realloc(p, n && size ? n * size : 1);
	if (!q)
		prov_error(PROV_ENOMEM, "out of memory");
	return q;
}

struct prov_sha256 {
	EVP_MD_CTX *ctx;
};

int prov_sha256_new(struct prov_sha256 **out)
{
	struct prov_sha256 *h = prov_calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return PROV_ENOMEM;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		prov_sha256_free(h);
		return prov_error(PROV_EINTERNAL, "libcrypto: cannot start SHA-256");
	}
	*out = h;
	return 0;
}

int prov_sha256_update(struct prov_sha256 *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 update failed");
	return 0;
}

static void hex_encode(char *out, const unsigned char *md, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

int prov_sha256_final(struct prov_sha256 *h, char out[PROV_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		return prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 final failed");
	hex_encode(out, md, n);
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		return prov_error(PROV_EINTERNAL, "libcrypto: cannot restart SHA-256");
	return 0;
}

void prov_sha256_free(struct prov_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int prov_sha256_hex(char out[PROV_SHA256_HEX], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 failed");
	hex_encode(out, md, n);
	return 0;
}

uint64_t prov_hash64(const void *data, size_t len, uint64_t seed)
{
	return XXH3_64bits_withSeed(data, len, seed);
}
