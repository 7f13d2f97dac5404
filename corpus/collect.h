/*
 * collect.h: asking a model server (the OpenAI-compatible chat completions
 * API) a list of prompts, with retries, resumable output and an evidence
 * sidecar. Network through corpus/http.c.
 *
 * Output FILE: one JSON object per answered request, the shape import and
 * scan read: {"id", "prompt", "response", "model", "served_model",
 * "sampling", "finish_reason", "reasoning", "exchange_sha256"}. The sidecar
 * FILE.exchanges.jsonl.gz holds, line for line, the exact request and reply
 * bytes; exchange_sha256 is the SHA-256 of that sidecar line (without its
 * newline). Lines are appended as answers arrive (an interrupted run loses at
 * most the requests in flight); when the run ends both files are rewritten in
 * prompt order. Re-running the same settings skips the ids already answered.
 */
#ifndef PROV_COLLECT_H
#define PROV_COLLECT_H

#include <signal.h>
#include <stddef.h>
#include "detect/util.h"
#include "corpus/http.h"

#define COLLECT_SIDECAR_SUFFIX ".exchanges.jsonl.gz"

struct collect_prompt {
	const char *id;            /* unique among the prompts */
	const char *prompt;
};

struct collect_settings {
	const char *endpoint;      /* base URL (see collect_url) */
	const char *model;         /* sent as "model", written as "model" */
	const char *system;        /* NULL: no system message */
	int has_temperature;
	double temperature;
	int has_top_p;
	double top_p;
	long max_tokens;           /* < 0: not sent */
	int has_seed;
	long long seed;            /* sample k (from 1) is sent seed + k - 1 */
	int samples;               /* answers per prompt (>= 1); ids get "#k" when > 1 */
	int jobs;                  /* requests in flight */
	double timeout;            /* seconds per request, 0: none */
	int retries;               /* retries per request after the first attempt */
	double backoff;            /* first retry delay in seconds (doubles each time) */
	const char *api_key;       /* borrowed; NULL: none. Never written anywhere (masked if echoed). */
	const char *api_key_env;   /* the environment variable it was read from, for messages */
};

struct collect_stats {
	size_t requests;           /* prompts x samples */
	size_t skipped;            /* already in the output */
	size_t done;               /* answered by this run */
	size_t failed;             /* given up on */
	size_t not_tried;          /* left when the run stopped */
	size_t retried;            /* attempts that were retries */
	int in_flight;
	int max_in_flight;
	double elapsed;            /* seconds */
	int interrupted;           /* the stop flag ended the run */
};

struct collect_hooks {
	void *arg;
	/* called often (the callee throttles) */
	void (*progress)(void *arg, const struct collect_stats *st);
	/* a message for the user: a failed prompt, a dropped partial line */
	void (*note)(void *arg, const char *msg);
	volatile sig_atomic_t *stop;   /* set: finish the current step and stop */
};

/*
 * Ask every prompt (x samples) that `out_path` does not hold yet. Returns 0
 * when all are answered (or the run was stopped: stats->interrupted), or:
 * PROV_EIO when some requests failed or the output cannot be written
 * ("N of M requests failed"), PROV_EDATA when the existing output or its
 * sidecar is broken, PROV_EUSAGE when the output holds answers collected with
 * other settings or prompt ids repeat.
 */
int collect_run(struct collect_stats *stats, const struct collect_settings *s,
	const struct collect_prompt *prompts, size_t n, const char *out_path, const struct collect_hooks *hooks);

/* The chat completions URL for an endpoint (*out: caller frees). PROV_EUSAGE if not http(s). */
int collect_url(char **out, const char *endpoint);

/* The delay before retry `attempt` (1 = first retry): base*2^(attempt-1), capped, jittered by u in [0,1). */
double collect_backoff(int attempt, double base, double retry_after, double u);

enum collect_verdict { COLLECT_OK = 0, COLLECT_RETRY = 1, COLLECT_FAIL = 2 };

struct collect_answer {
	char *response;            /* the answer without the reasoning */
	char *reasoning;           /* NULL if none */
	char *finish_reason;       /* NULL if none */
	char *served_model;        /* NULL if none */
	char error[400];           /* why not, for RETRY and FAIL */
};

/*
 * The URL as it may be written and shown: credentials (user:password@) and
 * the values of query parameters named like a secret (key, token, secret,
 * sig, password, auth) replaced by "***". The caller frees *out.
 */
int collect_url_masked(char **out, const char *url);

/* Read a finished transfer: COLLECT_OK (answer filled), COLLECT_RETRY or COLLECT_FAIL (error filled). */
int collect_read_reply(struct collect_answer *out, const struct http_reply *r);
void collect_answer_release(struct collect_answer *a);

#endif
