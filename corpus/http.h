/*
 * http.h: concurrent HTTP POSTs with libcurl's multi interface, one thread.
 * The only network code of provenance.
 *
 * A pool runs up to `max_parallel` transfers at once; the caller adds POSTs
 * (each with an opaque tag) and collects finished ones with http_pool_next.
 * The bearer token, when given, is sent as an Authorization header and kept
 * nowhere else: it is not in any reply, message or file.
 */
#ifndef PROV_HTTP_H
#define PROV_HTTP_H

#include <stddef.h>
#include "detect/util.h"

#define HTTP_MAX_BODY ((size_t)64 << 20)   /* a reply body larger than this is refused */

struct http_opts {
	int max_parallel;          /* transfers at once (>= 1) */
	long timeout_ms;           /* whole transfer; 0: none */
	long connect_timeout_ms;   /* 0: libcurl's default */
	const char *bearer;        /* borrowed; NULL or "": no Authorization header */
};

struct http_reply {
	void *tag;
	int transport_ok;          /* 1: an HTTP reply arrived in full */
	int timed_out;
	int no_connection;         /* the server could not be reached at all */
	char error[256];           /* the transport error when !transport_ok */
	long status;               /* HTTP status (0 without a reply) */
	char content_type[128];    /* "" if none */
	double retry_after;        /* Retry-After in seconds, -1 if absent */
	double seconds;            /* time the transfer took */
	struct pbuf body;          /* the reply's bytes (owned: http_reply_release) */
};

struct http_pool;

/* Set up libcurl (once per process, before any thread starts). */
int http_global_init(void);

int http_pool_new(struct http_pool **out, const struct http_opts *opts);
void http_pool_free(struct http_pool *p);

/* Transfers added and not yet collected. */
int http_pool_active(const struct http_pool *p);

/*
 * Start a POST of `len` bytes (copied) with Content-Type: application/json.
 * PROV_EUSAGE when the pool is full (http_pool_active == max_parallel).
 */
int http_pool_post(struct http_pool *p, const char *url, const char *body, size_t len, void *tag);

/*
 * Drive the transfers for at most `wait_ms` and hand over one finished
 * transfer in *out: 1 when *out was filled (release it with
 * http_reply_release), 0 when none finished in that time, <0 on a libcurl
 * failure. When nothing is active it sleeps wait_ms and returns 0 (a caller
 * waiting to retry never spins).
 */
int http_pool_next(struct http_pool *p, struct http_reply *out, int wait_ms);

/* Abandon every active transfer (their tags are handed back through nothing). */
void http_pool_abort(struct http_pool *p);

void http_reply_release(struct http_reply *r);

#endif
