/*
 * fuzz_reply: collect's reading of a server's reply (collect_read_reply in corpus/collect.c),
 * the bytes a hostile or broken model server controls. The first byte picks the HTTP status
 * and content type; the rest is the body. The verdict must be one of the three, an answer
 * must come with a response, and a refusal with an error message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/collect.h"
#include "corpus/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[8] = { 200, 200, 200, 200, 429, 500, 400, 401 };
static const char *const types[4] = { "application/json", "application/json; charset=utf-8",
	"text/html", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_reply rep;
	struct collect_answer a;
	int v;

	if (size < 1)
		return 0;
	memset(&rep, 0, sizeof(rep));
	rep.transport_ok = !(data[0] & 0x80);
	rep.timed_out = !!(data[0] & 0x40);
	rep.status = statuses[data[0] & 7];
	snprintf(rep.content_type, sizeof(rep.content_type), "%s", types[(data[0] >> 3) & 3]);
	if (!rep.transport_ok)
		snprintf(rep.error, sizeof(rep.error), "connection reset");
	rep.retry_after = -1;
	pbuf_init(&rep.body, HTTP_MAX_BODY);
	if (pbuf_add(&rep.body, data + 1, size - 1) != 0)
		abort();

	v = collect_read_reply(&a, &rep);
	if (v == COLLECT_OK) {
		if (!a.response)
			abort();
		(void)strlen(a.response);
		if (a.reasoning)
			(void)strlen(a.reasoning);
	} else if (v == COLLECT_RETRY || v == COLLECT_FAIL) {
		if (!a.error[0] || a.response)
			abort();
	} else {
		abort();
	}
	collect_answer_release(&a);
	http_reply_release(&rep);
	prov_error_clear();
	return 0;
}
