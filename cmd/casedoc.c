/*
 * casedoc.c: from a stored case to the document people read, and storing a
 * scan as a case. Shared by scan, report and audit so that a case renders to
 * the same bytes whichever command renders it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/casedoc.h"
#include "cmd/render.h"
#include "cmd/cmd.h"
#include "corpus/pdf.h"

int casedoc_build(json_t **out, const char *stored, size_t len, const struct case_info *ci)
{
	json_error_t err;
	json_t *body = json_loadb(stored, len, 0, &err), *doc, *c;
	const char *key;
	json_t *val;

	*out = NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		return prov_error(PROV_ETAMPER, "case %lld: the stored report is not a JSON document (%s)",
			(long long)ci->id, err.text);
	}
	doc = json_object();
	c = json_object();
	json_object_set(doc, "schema", json_object_get(body, "schema"));
	json_object_set_new(c, "id", json_integer(ci->id));
	json_object_set_new(c, "name", json_string(ci->name));
	json_object_set_new(c, "created_at", json_string(ci->created_at));
	json_object_set_new(c, "hash", json_string(ci->hash));
	json_object_set_new(c, "previous_hash", json_string(ci->prev_hash));
	json_object_set_new(doc, "case", c);
	json_object_foreach(body, key, val)
		if (strcmp(key, "schema"))
			json_object_set(doc, key, val);
	json_decref(body);
	*out = doc;
	return 0;
}

int casedoc_render(struct pbuf *out, const json_t *doc, const char *format)
{
	pbuf_reset(out);
	if (!strcmp(format, "md"))
		return render_md(out, doc);
	if (!strcmp(format, "html"))
		return render_html(out, doc);
	if (!strcmp(format, "pdf")) {
		struct pbuf html = PBUF_INIT(0);
		char renderer[4096];
		int rc;

		if (!pdf_find_renderer(renderer, sizeof(renderer)))
			return prov_error(PROV_EIO, "--format pdf: no PDF renderer found (%s)", PDF_PACKAGE_HINT);
		if (!(rc = render_html(&html, doc)))
			rc = pdf_print(out, renderer, html.data, html.len, PDF_TIMEOUT_S);
		pbuf_release(&html);
		return rc;
	}
	return render_json(out, doc);
}

int casedoc_format_ok(const char *format)
{
	return !strcmp(format, "json") || !strcmp(format, "md") || !strcmp(format, "html") || !strcmp(format, "pdf");
}

int casedoc_pdf_check(const char *cmd, const char *format)
{
	char renderer[4096];

	if (strcmp(format, "pdf") || pdf_find_renderer(renderer, sizeof(renderer)))
		return 0;
	fprintf(stderr, "provenance %s: --format pdf needs a PDF renderer (headless Chromium: chromium,\n"
		"chromium-browser or google-chrome in $PATH) and none is installed; install one with:\n"
		"  %s\n"
		"or write --format html and print it to PDF from a browser.\n", cmd, PDF_PACKAGE_HINT);
	return EXIT_UNAVAILABLE;
}

struct casedoc_pending {
	json_t *report;             /* held: the case header points into it */
	char *compact, *params, *name, *origin;
	struct case_answer *ans;
	struct case_new cn;
	struct case_packed *packed;
};

void casedoc_pending_free(struct casedoc_pending *pd)
{
	if (!pd)
		return;
	case_packed_free(pd->packed);
	json_decref(pd->report);
	free(pd->compact);
	free(pd->params);
	free(pd->name);
	free(pd->origin);
	free(pd->ans);
	free(pd);
}

int casedoc_prepare(struct casedoc_pending **out, json_t *report, const struct suspect *s, size_t first,
	size_t count, const char *name, const char *origin)
{
	struct casedoc_pending *pd;
	const json_t *concl = json_object_get(report, "conclusion"), *tool = json_object_get(report, "tool");
	struct case_new *cn;
	size_t i;
	int rc;

	*out = NULL;
	pd = prov_calloc(1, sizeof(*pd));
	if (!pd)
		return prov_error(PROV_ENOMEM, "out of memory");
	pd->report = json_incref(report);
	pd->compact = json_dumps(report, JSON_COMPACT | JSON_REAL_PRECISION(10));
	pd->params = json_dumps(json_object_get(report, "parameters"), JSON_COMPACT | JSON_SORT_KEYS |
		JSON_REAL_PRECISION(10));
	pd->name = prov_strdup(name);
	pd->origin = origin ? prov_strdup(origin) : NULL;
	pd->ans = prov_calloc(count + 1, sizeof(*pd->ans));
	if (!pd->compact || !pd->params || !pd->name || (origin && !pd->origin) || !pd->ans) {
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < count; i++) {
		const struct srec *r = &s->recs[first + i];

		pd->ans[i].ext_id = r->id;
		pd->ans[i].line = r->line;
		pd->ans[i].prompt = r->prompt;
		pd->ans[i].prompt_len = r->prompt_len;
		pd->ans[i].text = r->response;
		pd->ans[i].len = r->response_len;
	}
	cn = &pd->cn;
	cn->name = pd->name;
	cn->suspect_path = s->path;
	cn->suspect_sha256 = s->sha256;
	cn->suspect_size = s->size;
	cn->suspect_lines = s->lines;
	cn->snapshot_sha256 = json_string_value(json_object_get(json_object_get(report, "corpus"), "snapshot_sha256"));
	cn->tool_version = json_string_value(json_object_get(tool, "version"));
	cn->patterns_sha256 = json_string_value(json_object_get(tool, "patterns_sha256"));
	cn->params = pd->params;
	cn->conclusion_teacher = json_string_value(json_object_get(concl, "teacher"));
	cn->conclusion_family = json_string_value(json_object_get(concl, "family"));
	cn->verdict = json_string_value(json_object_get(concl, "verdict"));
	cn->report = pd->compact;
	cn->report_len = strlen(pd->compact);
	cn->nanswers = count;
	cn->answers = pd->ans;
	cn->origin = pd->origin;
	if (!cn->snapshot_sha256 || !cn->tool_version || !cn->patterns_sha256 || !cn->verdict) {
		rc = prov_error(PROV_EINTERNAL, "the report lacks its header fields");
		goto fail;
	}
	if ((rc = case_pack(&pd->packed, cn)))
		goto fail;
	*out = pd;
	return 0;
fail:
	casedoc_pending_free(pd);
	return rc;
}

int casedoc_commit(struct case_info *info, struct pbuf *stored, struct store *st, const struct casedoc_pending *pd)
{
	int rc = case_append_packed(st, &pd->cn, pd->packed, NULL, info);

	if (!rc) {
		pbuf_reset(stored);
		rc = pbuf_add(stored, pd->compact, pd->cn.report_len);
	}
	return rc;
}

int casedoc_store(struct case_info *info, struct pbuf *stored, struct store *st, json_t *report,
	const struct suspect *s, size_t first, size_t count, const char *name, const char *origin)
{
	struct casedoc_pending *pd;
	int rc = casedoc_prepare(&pd, report, s, first, count, name, origin);

	if (rc)
		return rc;
	rc = casedoc_commit(info, stored, st, pd);
	casedoc_pending_free(pd);
	return rc;
}
