/*
 * fuzz_render: the report renderers (cmd/render_md.c, cmd/render_html.c through
 * cmd/report_model.c) on any JSON document. A document that fails the schema check must be
 * refused with PROV_EDATA before anything is written; a valid one must render the same bytes
 * twice, and the HTML must never carry a script element (every string is escaped).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (8u << 20)

typedef int (*render_fn)(struct pbuf *, const json_t *);

static void one(render_fn fn, const json_t *doc, int valid, int html)
{
	struct pbuf a, b;
	int ra, rb;

	pbuf_init(&a, OUT_MAX);
	pbuf_init(&b, OUT_MAX);
	ra = fn(&a, doc);
	if (!valid && (ra != PROV_EDATA || a.len != 0))
		abort();
	if (ra != 0 && ra != PROV_EDATA && ra != PROV_ENOMEM)
		abort();
	if (ra == 0) {
		rb = fn(&b, doc);
		if (rb != 0 || a.len != b.len || memcmp(a.data, b.data, a.len))
			abort();
		if (html && (memmem(a.data, a.len, "<script", 7) || memmem(a.data, a.len, "<SCRIPT", 7)))
			abort();
	}
	pbuf_release(&a);
	pbuf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *doc;
	int valid;

	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, &err);
	if (!doc)
		return 0;
	valid = render_validate(doc) == 0;
	prov_error_clear();
	one(render_md, doc, valid, 0);
	one(render_html, doc, valid, 1);
	json_decref(doc);
	prov_error_clear();
	return 0;
}
