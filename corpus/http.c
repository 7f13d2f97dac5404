/*
 * http.c: a pool of concurrent POSTs over libcurl's multi interface.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "corpus/http.h"

struct xfer {
	CURL *easy;
	void *tag;
	struct pbuf body;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;
};

struct http_pool {
	CURLM *multi;
	struct curl_slist *headers;
	struct http_opts opts;
	int active;
	struct xfer *xfers;      /* every active transfer */
};

int http_global_init(void)
{
	static int done;
	CURLcode c;

	if (done)
		return 0;
	c = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (c != CURLE_OK)
		return prov_error(PROV_EINTERNAL, "libcurl: cannot start: %s", curl_easy_strerror(c));
	done = 1;
	return 0;
}

int http_pool_new(struct http_pool **out, const struct http_opts *opts)
{
	struct http_pool *p;
	struct pbuf auth = PBUF_INIT(0);
	struct curl_slist *h;
	int rc;

	*out = NULL;
	if ((rc = http_global_init()))
		return rc;
	p = prov_calloc(1, sizeof(*p));
	if (!p)
		return PROV_ENOMEM;
	p->opts = *opts;
	p->opts.bearer = NULL;
	if (p->opts.max_parallel < 1)
		p->opts.max_parallel = 1;
	p->multi = curl_multi_init();
	if (!p->multi) {
		free(p);
		return prov_error(PROV_EINTERNAL, "libcurl: cannot create a multi handle");
	}
	curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)p->opts.max_parallel);
	/* "Expect:" turns off 100-continue: one round trip per request */
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h)
		p->headers = h, h = curl_slist_append(p->headers, "Accept: application/json");
	if (h)
		p->headers = h, h = curl_slist_append(p->headers, "Expect:");
	if (h && opts->bearer && opts->bearer[0]) {
		p->headers = h;
		if (pbuf_addf(&auth, "Authorization: Bearer %s", opts->bearer))
			h = NULL;
		else
			h = curl_slist_append(p->headers, auth.data);
		/* the only copy is in the header list; wipe ours */
		if (auth.data)
			memset(auth.data, 0, auth.len);
		pbuf_release(&auth);
	}
	if (!h) {
		http_pool_free(p);
		return prov_error(PROV_ENOMEM, "out of memory");
	}
	p->headers = h;
	*out = p;
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (x->body.len + n > HTTP_MAX_BODY) {
		x->too_big = 1;
		return 0;   /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	if (pbuf_add(&x->body, data, n))
		return 0;
	return n;
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	pbuf_release(&x->body);
	free(x);
}

int http_pool_active(const struct http_pool *p)
{
	return p->active;
}

int http_pool_post(struct http_pool *p, const char *url, const char *body, size_t len, void *tag)
{
	struct xfer *x;
	CURL *e;

	if (p->active >= p->opts.max_parallel)
		return prov_error(PROV_EUSAGE, "http pool is full");
	x = prov_calloc(1, sizeof(*x));
	if (!x)
		return PROV_ENOMEM;
	pbuf_init(&x->body, HTTP_MAX_BODY + 1);
	x->tag = tag;
	x->easy = e = curl_easy_init();
	if (!e) {
		xfer_free(x);
		return prov_error(PROV_EINTERNAL, "libcurl: cannot create a transfer");
	}
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK) {
		xfer_free(x);
		return prov_error(PROV_EUSAGE, "libcurl refused the URL or the request: %s", url);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "provenance/" PROV_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* no Accept-Encoding: the body kept as evidence is the bytes as sent */
	if (p->opts.timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, p->opts.timeout_ms);
	if (p->opts.connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, p->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
		xfer_free(x);
		return prov_error(PROV_EINTERNAL, "libcurl: cannot start a transfer");
	}
	x->next = p->xfers;
	p->xfers = x;
	p->active++;
	return 0;
}

static void unlink_xfer(struct http_pool *p, struct xfer *x)
{
	struct xfer **pp;

	for (pp = &p->xfers; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	curl_multi_remove_handle(p->multi, x->easy);
	p->active--;
}

/* Move a finished transfer into *out. */
static void finish(struct http_pool *p, struct xfer *x, CURLcode res, struct http_reply *out)
{
	char *ctype = NULL;
	curl_off_t ra = -1;
	double secs = 0;

	memset(out, 0, sizeof(*out));
	out->tag = x->tag;
	out->retry_after = -1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
		snprintf(out->content_type, sizeof(out->content_type), "%s", ctype);
	if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra >= 0 && out->status)
		out->retry_after = (double)ra;
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &secs);
	out->seconds = secs;
	if (res == CURLE_OK) {
		out->transport_ok = 1;
	} else {
		out->timed_out = res == CURLE_OPERATION_TIMEDOUT;
		out->no_connection = res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
			res == CURLE_COULDNT_RESOLVE_PROXY;
		if (x->too_big)
			snprintf(out->error, sizeof(out->error), "the reply is larger than %zu bytes", HTTP_MAX_BODY);
		else
			snprintf(out->error, sizeof(out->error), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
	}
	out->body = x->body;
	pbuf_init(&x->body, 0);
	(void)pbuf_add(&out->body, "", 0);   /* NUL-terminated, even when empty */
	unlink_xfer(p, x);
	xfer_free(x);
}

int http_pool_next(struct http_pool *p, struct http_reply *out, int wait_ms)
{
	int running = 0, waited = 0, q;

	for (;;) {
		CURLMsg *m;
		CURLMcode mc = curl_multi_perform(p->multi, &running);

		if (mc != CURLM_OK)
			return prov_error(PROV_EINTERNAL, "libcurl: %s", curl_multi_strerror(mc));
		while ((m = curl_multi_info_read(p->multi, &q))) {
			struct xfer *x = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			finish(p, x, m->data.result, out);
			return 1;
		}
		if (waited)
			return 0;
		if (p->active == 0) {
			/* nothing in flight (waiting to retry): sleep, never spin */
			struct timespec ts;

			ts.tv_sec = wait_ms / 1000;
			ts.tv_nsec = (long)(wait_ms % 1000) * 1000000L;
			if (wait_ms > 0)
				nanosleep(&ts, NULL);
			return 0;
		}
		mc = curl_multi_poll(p->multi, NULL, 0, wait_ms, NULL);
		if (mc != CURLM_OK)
			return prov_error(PROV_EINTERNAL, "libcurl: %s", curl_multi_strerror(mc));
		waited = 1;
	}
}

void http_pool_abort(struct http_pool *p)
{
	while (p->xfers) {
		struct xfer *x = p->xfers;

		unlink_xfer(p, x);
		xfer_free(x);
	}
}

void http_reply_release(struct http_reply *r)
{
	if (r)
		pbuf_release(&r->body);
}

void http_pool_free(struct http_pool *p)
{
	if (!p)
		return;
	if (p->multi) {
		http_pool_abort(p);
		curl_multi_cleanup(p->multi);
	}
	curl_slist_free_all(p->headers);
	free(p);
}
