/*
 * cmd_collect.c: `provenance collect`: ask a model server (the OpenAI-compatible
 * chat completions API) the prompts of files and probe sets, write the answers.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "corpus/collect.h"
#include "corpus/jsonl.h"
#include "corpus/probes.h"

static const char collect_usage[] =
	"usage: provenance collect --endpoint URL --model NAME (--prompts FILE | --probe NAME)... -o FILE\n"
	"                          [--system TEXT] [--temperature T] [--top-p P] [--max-tokens N]\n"
	"                          [--seed N] [--samples K] [-j N] [--timeout S] [--retries N]\n"
	"                          [--backoff S] [--api-key-env VAR]\n"
	"\n"
	"Asks a model server (OpenAI-compatible /v1/chat/completions: vLLM, llama.cpp, Ollama, OpenAI)\n"
	"every prompt of the files and probe sets given and appends the answers to FILE, one JSON\n"
	"object per line ({\"id\", \"prompt\", \"response\", \"model\", \"served_model\", \"sampling\",\n"
	"\"finish_reason\", \"reasoning\", \"exchange_sha256\"}), the shape import and scan read. The exact\n"
	"request and reply bytes go to FILE.exchanges.jsonl.gz, line for line. Re-running the same\n"
	"command skips the ids already answered and asks the rest. See docs/collecting.md.\n"
	"\n"
	"  --endpoint URL       http(s)://HOST:PORT[/v1] (/chat/completions is added) or the full URL\n"
	"  --model NAME         the model to ask (sent as \"model\", written as \"model\")\n"
	"  --prompts FILE       JSONL prompts (`corpus prompts`, `probe show --format jsonl`, or any\n"
	"                       input file: its prompts and ids are used, its answers ignored)\n"
	"  --probe NAME         a built-in probe set (see: provenance probe list)\n"
	"  -o FILE              the output (appended to; created if missing)\n"
	"  --system TEXT        a system message before each prompt\n"
	"  --temperature T, --top-p P, --max-tokens N, --seed N\n"
	"                       sampling settings, sent only when given; sample k gets seed N+k-1\n"
	"  --samples K          K answers per prompt, ids suffixed #1..#K (default 1)\n"
	"  -j N                 requests in flight (default 4)\n"
	"  --timeout S          seconds per request (default 300)\n"
	"  --retries N          retries of a request on 429, 5xx, timeouts, dropped connections and\n"
	"                       malformed replies (default 5); other 4xx fail at once\n"
	"  --backoff S          first retry delay, doubled each retry, jittered (default 1); a\n"
	"                       Retry-After header takes precedence\n"
	"  --api-key-env VAR    the environment variable holding the API key (default OPENAI_API_KEY;\n"
	"                       none if unset). The key is sent, never written anywhere.\n"
	"\n"
	"Exit codes: 0 all answered; 2 usage; 3 a bad prompts file or a broken earlier output;\n"
	"4 some requests failed or the output cannot be written (re-run to retry); 130 interrupted.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct plist {
	struct collect_prompt *items;
	char **where;      /* per item: "FILE:LINE" or "probe NAME", for messages */
	size_t n, cap, capwhere;
	char **owned;      /* strings to free */
	size_t nowned, capowned;
};

static int own(struct plist *l, char *s)
{
	if (!s)
		return PROV_ENOMEM;
	if (prov_grow(&l->owned, &l->capowned, l->nowned, sizeof(*l->owned), 256)) {
		free(s);
		return PROV_ENOMEM;
	}
	l->owned[l->nowned++] = s;
	return 0;
}

static int add_prompt(struct plist *l, const char *id, const char *prompt, size_t plen, char *where)
{
	char *pid, *ptext;
	char sha[PROV_SHA256_HEX];
	int rc;

	if (id) {
		pid = prov_strdup(id);
	} else {
		/* no id: a stable one from the text */
		if ((rc = prov_sha256_hex(sha, prompt, plen)))
			return rc;
		pid = prov_strndup(sha, 16);
	}
	if ((rc = own(l, pid)) || (rc = own(l, ptext = prov_strndup(prompt, plen))))
		return rc;
	if ((rc = own(l, where)))
		return rc;
	if (prov_grow(&l->items, &l->cap, l->n, sizeof(*l->items), 256) ||
	    prov_grow(&l->where, &l->capwhere, l->n, sizeof(*l->where), 256))
		return PROV_ENOMEM;
	l->where[l->n] = where;
	l->items[l->n].id = pid;
	l->items[l->n].prompt = ptext;
	l->n++;
	return 0;
}

static int load_file(struct plist *l, const char *path)
{
	struct jl_opts o = { 0, 1, 0, 0 };
	struct jl_reader *r = NULL;
	struct jl_record rec;
	int rc, got;

	if ((rc = jl_open(&r, path, &o)))
		return rc;
	while ((got = jl_next(r, &rec)) == 1) {
		if (rec.no_prompt || !rec.prompt_len) {
			jl_free(r);
			return prov_error(PROV_EDATA, "%s:%ld: no prompt to ask", path, rec.line);
		}
		struct pbuf w = PBUF_INIT(0);

		if (pbuf_addf(&w, "%s:%ld", path, rec.line)) {
			jl_free(r);
			return PROV_ENOMEM;
		}
		if ((rc = add_prompt(l, rec.id, rec.prompt, rec.prompt_len, pbuf_detach(&w, NULL)))) {
			jl_free(r);
			return rc;
		}
	}
	jl_free(r);
	return got < 0 ? got : 0;
}

static int load_probe(struct plist *l, const char *name)
{
	struct probe_set *s = NULL;
	size_t i;
	int rc;

	if ((rc = probe_set_load(&s, name))) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", prov_error_msg());
		return rc == PROV_ENOTFOUND ? prov_error(PROV_EUSAGE, "%s", msg) : rc;
	}
	for (i = 0; i < s->n && !rc; i++) {
		struct pbuf w = PBUF_INIT(0);

		rc = pbuf_addf(&w, "probe set %s", name) ? PROV_ENOMEM :
			add_prompt(l, s->items[i].id, s->items[i].prompt, strlen(s->items[i].prompt), pbuf_detach(&w, NULL));
	}
	probe_set_free(s);
	return rc;
}

static void plist_release(struct plist *l)
{
	size_t i;

	for (i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->items);
	free(l->where);
}

static const struct plist *cmp_list;

static int cmp_by_id(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(cmp_list->items[i].id, cmp_list->items[j].id);

	return c ? c : (i > j) - (i < j);
}

/* A prompt id given twice: PROV_EDATA naming both places (the second one first). */
static int check_unique_ids(const struct plist *l)
{
	size_t *ix = prov_calloc(l->n + 1, sizeof(*ix)), k;
	int rc = 0;

	if (!ix)
		return PROV_ENOMEM;
	for (k = 0; k < l->n; k++)
		ix[k] = k;
	cmp_list = l;
	qsort(ix, l->n, sizeof(*ix), cmp_by_id);
	for (k = 1; k < l->n && !rc; k++)
		if (!strcmp(l->items[ix[k - 1]].id, l->items[ix[k]].id))
			rc = prov_error(PROV_EDATA, "%s: prompt id '%s' appears twice (first at %s); each prompt needs its "
				"own id", l->where[ix[k]], l->items[ix[k]].id, l->where[ix[k - 1]]);
	free(ix);
	return rc;
}

struct ui {
	struct progress pg;
	size_t todo;
};

static void show_progress(void *arg, const struct collect_stats *st)
{
	struct ui *u = arg;
	size_t fin = st->done + st->failed, width = 24, fill, i;
	double rate = st->elapsed > 0 ? (double)fin / st->elapsed : 0;
	char bar[32];

	if (!u->pg.enabled)
		return;
	fill = u->todo ? fin * width / u->todo : width;
	for (i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = '\0';
	if (rate > 0 && u->todo > fin)
		progress_update(&u->pg, "[%s] %zu/%zu done, %zu failed, %d in flight, %.1f/s, %.0fs left", bar,
			st->done, u->todo, st->failed, st->in_flight, rate, (double)(u->todo - fin) / rate);
	else
		progress_update(&u->pg, "[%s] %zu/%zu done, %zu failed, %d in flight", bar, st->done, u->todo,
			st->failed, st->in_flight);
}

static void show_note(void *arg, const char *msg)
{
	struct ui *u = arg;

	progress_done(&u->pg);
	fprintf(stderr, "provenance collect: %s\n", msg);
}

/* A usage error whose words are in the library's error slot. */
static int usage_from_error(void)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", prov_error_msg());
	return cmd_usage_error("collect", "%s", msg);
}

static int parse_real(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int cmd_collect(int argc, char **argv, struct cmd_ctx *ctx)
{
	enum { O_ENDPOINT = 256, O_MODEL, O_PROMPTS, O_PROBE, O_SYSTEM, O_TEMP, O_TOPP, O_MAXTOK, O_SEED,
		O_SAMPLES, O_TIMEOUT, O_RETRIES, O_BACKOFF, O_KEYENV };
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "model", required_argument, NULL, O_MODEL },
		{ "prompts", required_argument, NULL, O_PROMPTS },
		{ "probe", required_argument, NULL, O_PROBE },
		{ "output", required_argument, NULL, 'o' },
		{ "system", required_argument, NULL, O_SYSTEM },
		{ "temperature", required_argument, NULL, O_TEMP },
		{ "top-p", required_argument, NULL, O_TOPP },
		{ "max-tokens", required_argument, NULL, O_MAXTOK },
		{ "seed", required_argument, NULL, O_SEED },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "jobs", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "backoff", required_argument, NULL, O_BACKOFF },
		{ "api-key-env", required_argument, NULL, O_KEYENV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct collect_settings s;
	struct collect_stats st;
	struct collect_hooks hooks;
	struct plist l;
	struct ui u;
	struct sigaction sa, old_int, old_term;
	const char *out = NULL, *keyenv = "OPENAI_API_KEY", *key;
	int keyenv_given = 0, nsources = 0, c, rc = 0;
	long v;
	char *end;

	(void)ctx;
	memset(&s, 0, sizeof(s));
	memset(&l, 0, sizeof(l));
	s.max_tokens = -1;
	s.samples = 1;
	s.jobs = 4;
	s.timeout = 300;
	s.retries = 5;
	s.backoff = 1;
	cmd_getopt_reset();
	/* first pass: options; the prompt sources are read afterwards, in order */
	while ((c = cmd_getopt(argc, argv, ":o:j:h", longopts, "collect")) != -1) {
		switch (c) {
		case O_ENDPOINT:
			s.endpoint = optarg;
			break;
		case O_MODEL:
			if (!cmd_valid_name(optarg))
				return cmd_usage_error("collect", "--model must be 1 to %d characters without control "
					"characters", CMD_MAX_NAME);
			s.model = optarg;
			break;
		case O_PROMPTS:
		case O_PROBE:
			nsources++;
			break;
		case 'o':
			out = optarg;
			break;
		case O_SYSTEM:
			s.system = optarg;
			break;
		case O_TEMP:
			if (parse_real(optarg, 0, 10, &s.temperature))
				return cmd_usage_error("collect", "--temperature must be a number from 0 to 10, not '%s'", optarg);
			s.has_temperature = 1;
			break;
		case O_TOPP:
			if (parse_real(optarg, 0, 1, &s.top_p))
				return cmd_usage_error("collect", "--top-p must be a number from 0 to 1, not '%s'", optarg);
			s.has_top_p = 1;
			break;
		case O_MAXTOK:
			if ((s.max_tokens = cmd_parse_long(optarg)) < 1)
				return cmd_usage_error("collect", "--max-tokens must be a positive integer, not '%s'", optarg);
			break;
		case O_SEED:
			errno = 0;
			s.seed = strtoll(optarg, &end, 10);
			if (!*optarg || *end || errno)
				return cmd_usage_error("collect", "--seed must be an integer, not '%s'", optarg);
			s.has_seed = 1;
			break;
		case O_SAMPLES:
			if ((v = cmd_parse_long(optarg)) < 1 || v > 1000)
				return cmd_usage_error("collect", "--samples must be from 1 to 1000, not '%s'", optarg);
			s.samples = (int)v;
			break;
		case 'j':
			if ((v = cmd_parse_long(optarg)) < 1 || v > 256)
				return cmd_usage_error("collect", "-j must be from 1 to 256, not '%s'", optarg);
			s.jobs = (int)v;
			break;
		case O_TIMEOUT:
			if (parse_real(optarg, 0.001, 86400, &s.timeout))
				return cmd_usage_error("collect", "--timeout must be a number of seconds, not '%s'", optarg);
			break;
		case O_RETRIES:
			if ((v = cmd_parse_long(optarg)) < 0 || v > 100)
				return cmd_usage_error("collect", "--retries must be from 0 to 100, not '%s'", optarg);
			s.retries = (int)v;
			break;
		case O_BACKOFF:
			if (parse_real(optarg, 0, 3600, &s.backoff))
				return cmd_usage_error("collect", "--backoff must be a number of seconds, not '%s'", optarg);
			break;
		case O_KEYENV:
			keyenv = optarg;
			keyenv_given = 1;
			break;
		case 'h':
			fputs(collect_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("collect", "unexpected argument '%s'", argv[optind]);
	if (!s.endpoint)
		return cmd_usage_error("collect", "--endpoint URL is needed");
	if (!s.model)
		return cmd_usage_error("collect", "--model NAME is needed");
	if (!nsources)
		return cmd_usage_error("collect", "no prompts: give --prompts FILE or --probe NAME");
	if (!out || !out[0] || !strcmp(out, "-"))
		return cmd_usage_error("collect", "-o FILE is needed (the output is appended to, line by line)");
	key = getenv(keyenv);
	if (keyenv_given && (!key || !key[0]))
		return cmd_usage_error("collect", "the environment variable %s (--api-key-env) is not set", keyenv);
	s.api_key = key && key[0] ? key : NULL;
	s.api_key_env = keyenv;
	/* second pass: the prompt sources in the order given */
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":o:j:h", longopts, "collect")) != -1) {
		if (c == O_PROMPTS)
			rc = load_file(&l, optarg);
		else if (c == O_PROBE)
			rc = load_probe(&l, optarg);
		if (rc)
			break;
	}
	if (!rc)
		rc = check_unique_ids(&l);
	if (rc) {
		plist_release(&l);
		return rc == PROV_EUSAGE ? usage_from_error() : cmd_fail(rc);
	}
	memset(&u, 0, sizeof(u));
	progress_init(&u.pg);
	u.todo = l.n * (size_t)s.samples;
	memset(&hooks, 0, sizeof(hooks));
	hooks.arg = &u;
	hooks.progress = show_progress;
	hooks.note = show_note;
	hooks.stop = &stop_flag;
	stop_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = collect_run(&st, &s, l.items, l.n, out, &hooks);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	progress_done(&u.pg);
	if (st.requests) {
		printf("collected %zu answers from %s in %.1f s (%.1f requests/s, at most %d in flight): "
			"%zu already in %s, %zu failed, %zu not tried, %zu retries\n",
			st.done, s.model, st.elapsed, st.elapsed > 0 ? (double)(st.done + st.failed) / st.elapsed : 0.0,
			st.max_in_flight, st.skipped, out, st.failed, st.not_tried, st.retried);
	}
	plist_release(&l);
	if (rc)
		return rc == PROV_EUSAGE ? usage_from_error() : cmd_fail(rc);
	if (st.interrupted) {
		fprintf(stderr, "provenance collect: interrupted; %zu of %zu requests answered; re-run the same "
			"command to finish\n", st.skipped + st.done, st.requests);
		return 130;
	}
	return EXIT_OK;
}
