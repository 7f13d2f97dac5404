/* Unit tests for corpus/collect.c (URLs, backoff, reading replies) and corpus/probes.c. */
#include "unit.h"
#include "corpus/collect.h"
#include "corpus/probes.h"

static void url_of_endpoint(void)
{
	char *u = NULL;

	CHECK_INT(collect_url(&u, "http://127.0.0.1:8000"), 0);
	CHECK_STR(u, "http://127.0.0.1:8000/v1/chat/completions");
	free(u);
	CHECK_INT(collect_url(&u, "http://localhost:8080/v1/"), 0);
	CHECK_STR(u, "http://localhost:8080/v1/chat/completions");
	free(u);
	CHECK_INT(collect_url(&u, "https://api.example.com/openai/v1/chat/completions"), 0);
	CHECK_STR(u, "https://api.example.com/openai/v1/chat/completions");
	free(u);
	CHECK_INT(collect_url(&u, "https://api.example.com/"), 0);
	CHECK_STR(u, "https://api.example.com/v1/chat/completions");
	free(u);
	CHECK_INT(collect_url(&u, "ftp://x/v1"), PROV_EUSAGE);
	CHECK(u == NULL);
	CHECK_INT(collect_url(&u, "127.0.0.1:8000"), PROV_EUSAGE);
}

static void backoff_doubles_with_jitter_and_honours_retry_after(void)
{
	/* u = 0 gives half the delay, u -> 1 the whole */
	CHECK_NEAR(collect_backoff(1, 1.0, -1, 0.0), 0.5, 1e-9);
	CHECK_NEAR(collect_backoff(1, 1.0, -1, 0.999999), 1.0, 1e-5);
	CHECK_NEAR(collect_backoff(2, 1.0, -1, 0.0), 1.0, 1e-9);
	CHECK_NEAR(collect_backoff(4, 1.0, -1, 0.0), 4.0, 1e-9);
	CHECK_NEAR(collect_backoff(30, 1.0, -1, 0.999999), 120.0, 1e-3);   /* capped */
	CHECK_NEAR(collect_backoff(1, 0.5, 7, 0.0), 7.0, 1e-9);            /* Retry-After wins */
	CHECK(collect_backoff(1, 0.5, 7, 0.5) >= 7.0 && collect_backoff(1, 0.5, 7, 0.5) < 7.1);
	CHECK_NEAR(collect_backoff(1, 0.5, 100000, 0.0), 120.0, 1e-9);
}

static void fake_reply(struct http_reply *r, long status, const char *ctype, const char *body)
{
	memset(r, 0, sizeof(*r));
	r->transport_ok = 1;
	r->status = status;
	r->retry_after = -1;
	snprintf(r->content_type, sizeof(r->content_type), "%s", ctype);
	pbuf_init(&r->body, 0);
	pbuf_adds(&r->body, body);
}

static int verdict_of(long status, const char *ctype, const char *body, struct collect_answer *a)
{
	struct http_reply r;
	int v;

	fake_reply(&r, status, ctype, body);
	v = collect_read_reply(a, &r);
	http_reply_release(&r);
	return v;
}

static void replies_are_classified(void)
{
	struct collect_answer a;
	struct http_reply r;

	CHECK_INT(verdict_of(200, "application/json", "{\"model\": \"srv\", \"choices\": [{\"message\": {\"role\": "
		"\"assistant\", \"content\": \"<think>x</think>Yes.\"}, \"finish_reason\": \"stop\"}]}", &a), COLLECT_OK);
	CHECK_STR(a.response, "Yes.");
	CHECK_STR(a.reasoning, "x");
	CHECK_STR(a.served_model, "srv");
	CHECK_STR(a.finish_reason, "stop");
	collect_answer_release(&a);
	CHECK_INT(verdict_of(429, "application/json", "{\"error\": {\"message\": \"slow down\"}}", &a), COLLECT_RETRY);
	CHECK_STR(a.error, "HTTP 429: slow down");
	CHECK_INT(verdict_of(503, "text/plain", "overloaded", &a), COLLECT_RETRY);
	CHECK_STR(a.error, "HTTP 503: overloaded");
	CHECK_INT(verdict_of(401, "application/json", "{\"error\": \"bad key\"}", &a), COLLECT_FAIL);
	CHECK_STR(a.error, "HTTP 401: bad key");
	CHECK_INT(verdict_of(404, "application/json", "{\"detail\": \"Not Found\"}", &a), COLLECT_FAIL);
	CHECK_STR(a.error, "HTTP 404: Not Found");
	CHECK_INT(verdict_of(200, "text/html", "<html>", &a), COLLECT_RETRY);
	CHECK_STR(a.error, "the reply is 'text/html', not JSON");
	CHECK_INT(verdict_of(200, "", "{}", &a), COLLECT_RETRY);
	CHECK_STR(a.error, "the reply has no content type (JSON expected)");
	CHECK_INT(verdict_of(200, "application/problem+json", "{\"choices\": [{\"message\": {\"content\": \"ok\"}}]}",
		&a), COLLECT_OK);
	CHECK_STR(a.response, "ok");
	CHECK(a.reasoning == NULL && a.served_model == NULL && a.finish_reason == NULL);
	collect_answer_release(&a);
	CHECK_INT(verdict_of(200, "application/json", "{\"choices\": [{\"mess", &a), COLLECT_RETRY);
	CHECK(strstr(a.error, "malformed JSON reply (19 bytes)") != NULL);
	CHECK_INT(verdict_of(200, "application/json", "{\"object\": \"list\"}", &a), COLLECT_FAIL);
	CHECK(strstr(a.error, "no choices[0].message") != NULL);
	CHECK_INT(verdict_of(200, "application/json", "{\"choices\": [{\"message\": {\"content\": null}}]}", &a),
		COLLECT_FAIL);
	CHECK(strstr(a.error, "no text answer") != NULL);
	/* a transport failure (timeout, dropped connection) is worth another try */
	memset(&r, 0, sizeof(r));
	snprintf(r.error, sizeof(r.error), "Operation timed out after 1000 milliseconds");
	r.timed_out = 1;
	CHECK_INT(collect_read_reply(&a, &r), COLLECT_RETRY);
	CHECK_STR(a.error, "timed out: Operation timed out after 1000 milliseconds");
}

static void probe_sets_are_well_formed(void)
{
	static const char *const langs[] = { "en", "zh", "ru", "el", "ar", "es", "fr", "de", "ja", "ko" };
	const char *const *names;
	struct probe_set *s = NULL;
	size_t n, i, k, harm = 0, safe = 0;

	names = probe_names(&n);
	CHECK_INT(n, 3);
	for (i = 0; i < n; i++) {
		CHECK_INT(probe_set_load(&s, names[i]), 0);   /* ids unique, fields present */
		CHECK(s && s->n >= 30 && s->summary[0]);
		probe_set_free(s);
		s = NULL;
	}
	CHECK_INT(probe_set_load(&s, "identity"), 0);
	CHECK(s->nlang >= 10);
	for (k = 0; k < sizeof(langs) / sizeof(langs[0]); k++) {
		size_t c = 0;

		for (i = 0; i < s->n; i++)
			c += !strcmp(s->items[i].lang, langs[k]);
		if (c < 20)
			printf("#   identity has %zu prompts in %s\n", c, langs[k]), unit_failed = 1;
	}
	CHECK_STR(s->items[0].id, "identity-en-01");   /* ids are stable */
	probe_set_free(s);
	CHECK_INT(probe_set_load(&s, "refusal"), 0);
	for (i = 0; i < s->n; i++) {
		const struct probe *p = &s->items[i];

		CHECK(p->pair != NULL && p->harmful >= 0);
		harm += p->harmful == 1;
		safe += p->harmful == 0;
		/* each pair: the harmful request, then its look-alike */
		if (i % 2 == 1)
			CHECK(p->pair && s->items[i - 1].pair && !strcmp(p->pair, s->items[i - 1].pair) &&
				s->items[i - 1].harmful == 1 && p->harmful == 0);
	}
	CHECK_INT(harm, safe);
	CHECK(harm >= 30);
	probe_set_free(s);
	CHECK_INT(probe_set_load(&s, "nosuch"), PROV_ENOTFOUND);
	CHECK(s == NULL);
	probe_set_free(NULL);
}

static void credentials_in_urls_are_masked(void)
{
	static const char *const cases[][2] = {
		{ "http://127.0.0.1:8000/v1/chat/completions", "http://127.0.0.1:8000/v1/chat/completions" },
		{ "https://alice:s3cret@host/v1/chat/completions", "https://***@host/v1/chat/completions" },
		{ "https://host/v1/chat/completions?api_key=XYZ&version=2", "https://host/v1/chat/completions?api_key=***&version=2" },
		{ "https://u@host/x?Token=a&sig=b&keep=c#frag", "https://***@host/x?Token=***&sig=***&keep=c#frag" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = NULL;

		CHECK_INT(collect_url_masked(&m, cases[i][0]), 0);
		CHECK_STR(m, cases[i][1]);
		free(m);
	}
}

UNIT_MAIN(
	UNIT_TEST(url_of_endpoint),
	UNIT_TEST(credentials_in_urls_are_masked),
	UNIT_TEST(backoff_doubles_with_jitter_and_honours_retry_after),
	UNIT_TEST(replies_are_classified),
	UNIT_TEST(probe_sets_are_well_formed)
)
