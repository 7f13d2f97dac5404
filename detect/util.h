/*
 * util.h: what every module of provenance shares: the error vocabulary, the
 * per-thread last-error slot, a capped growable buffer, hashing helpers.
 *
 * Conventions (see docs/internals.md):
 *  - Library functions (detect/, corpus/) return 0 on success or a negative
 *    PROV_E* code, and leave a human-readable message in the last-error slot.
 *    Only cmd/ prints or exits.
 *  - Out-parameters come first and are named `out`; what comes back through
 *    `**out` belongs to the caller, who frees it with the matching *_free().
 *  - Every *_free() and *_release() accepts NULL.
 */
#ifndef PROV_UTIL_H
#define PROV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define PROV_VERSION "0.1.0"

enum prov_err {
	PROV_OK = 0,
	PROV_ENOMEM = -1,    /* allocation failed */
	PROV_EDATA = -2,     /* bad input data (a malformed line, an empty file) */
	PROV_EIO = -3,       /* a file could not be opened, read or written */
	PROV_EDB = -4,       /* the database refused (corrupt, read-only, too new) */
	PROV_ENOTFOUND = -5, /* a named thing (model, case) does not exist */
	PROV_EUSAGE = -6,    /* a caller passed arguments that make no sense */
	PROV_ETAMPER = -7,   /* stored evidence does not match its hashes */
	PROV_EINTERNAL = -8  /* a bug: an invariant did not hold */
};

/*
 * Record an error for the calling thread and return `code`, so that callers
 * can write `return prov_error(PROV_EDATA, "%s:%ld: ...", ...)`.
 */
int prov_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The calling thread's last message ("" if none); borrowed, valid until the next prov_error. */
const char *prov_error_msg(void);

/* The calling thread's last error code (0 if none). */
int prov_error_code(void);

void prov_error_clear(void);

/*
 * A growable byte buffer with a hard cap. `data` is always NUL-terminated
 * (when non-NULL) so it can be used as a C string. Growing past `max`
 * fails with PROV_EDATA, so untrusted input can never grow it unbounded.
 */
struct pbuf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define PBUF_INIT(max_) { NULL, 0, 0, (max_) }

void pbuf_init(struct pbuf *b, size_t max);
void pbuf_release(struct pbuf *b);
/* Make room for `extra` more bytes; 0 or PROV_ENOMEM / PROV_EDATA (cap). */
int pbuf_grow(struct pbuf *b, size_t extra);
int pbuf_add(struct pbuf *b, const void *data, size_t len);
int pbuf_adds(struct pbuf *b, const char *s);
int pbuf_addc(struct pbuf *b, char c);
int pbuf_addf(struct pbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pbuf_vaddf(struct pbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Reading back, n bytes at a time, a blob written with pbuf_add. */
struct blob_reader {
	const unsigned char *p;
	size_t left;
};
/* Copy the next n bytes to dst: 0, or -1 (nothing read) when fewer than n are left. */
int blob_take(struct blob_reader *r, void *dst, size_t n);
void pbuf_reset(struct pbuf *b);
/* Hand the bytes over: the caller now owns the returned pointer (free()). */
char *pbuf_detach(struct pbuf *b, size_t *len_out);

/* Duplicate a string; NULL on allocation failure (and the error slot set). */
char *prov_strdup(const char *s);
char *prov_strndup(const char *s, size_t n);

/* Multiply-with-overflow-check allocation helpers; NULL (and ENOMEM set) on failure. */
void *prov_calloc(size_t n, size_t size);
void *prov_reallocarray(void *p, size_t n, size_t size);
/*
 * Room for element n of a growing array: arrp is the address of the array
 * pointer (any element type), *cap its capacity in elements of `size` bytes.
 * Nothing happens while n < *cap; otherwise the array doubles (or starts with
 * `first` elements). 0, or PROV_ENOMEM with the array and *cap untouched.
 */
int prov_grow_slow(void *arrp, size_t *cap, size_t size, size_t first);
static inline int prov_grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first)
{
	return n < *cap ? 0 : prov_grow_slow(arrp, cap, size, first);
}

/* SHA-256 of a byte string as 64 lowercase hex digits plus NUL. */
#define PROV_SHA256_HEX 65
int prov_sha256_hex(char out[PROV_SHA256_HEX], const void *data, size_t len);

/* Incremental SHA-256 (a thin wrapper over libcrypto's EVP). */
struct prov_sha256;
int prov_sha256_new(struct prov_sha256 **out);
int prov_sha256_update(struct prov_sha256 *h, const void *data, size_t len);
/* Finish and write the hex digest; the context may be reused after this. */
int prov_sha256_final(struct prov_sha256 *h, char out[PROV_SHA256_HEX]);
void prov_sha256_free(struct prov_sha256 *h);

/* A fast 64-bit non-cryptographic hash (xxHash XXH3). */
uint64_t prov_hash64(const void *data, size_t len, uint64_t seed);

#include "banned.h"

#endif
