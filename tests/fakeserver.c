/*
 * fakeserver.c: a loopback OpenAI-compatible chat completions server for the
 * collect tests (not a test itself: the runner only runs build/tests/test_*).
 *
 *   fakeserver --port-file FILE [--lifetime S] [--delay-ms N] [--die-after N]
 *              [--answers FILE] [--require-key KEY] [--stats FILE] [--log FILE]
 *              [--served-model NAME] [--stall-ms N] [--port N] [--always STATUS]
 *              [--rate-limit N]
 *
 * Binds 127.0.0.1 only, on a port the kernel picks, written to --port-file.
 * Exits by itself after --lifetime seconds (default 120), or at once after
 * --die-after successful replies (a server dying mid-run). --stats is
 * rewritten after every request: "requests N", "replies N", "max_concurrent N".
 * --log appends each request body, one per line (never the headers).
 * --answers: JSONL {"prompt", "response"}: the answer to that exact prompt;
 * otherwise the answer is "Fake answer to: PROMPT".
 * --port: bind this port instead of one the kernel picks (a server restarted
 * where it was). --always: every request gets HTTP STATUS (a broken server).
 * --rate-limit: at most N replies in each second of the clock; the requests
 * beyond get HTTP 429 with Retry-After: 1.
 *
 * Misbehaving on request: a prompt containing [[MODE]] or [[MODExN]] gets the
 * misbehaviour on its first attempt (or first N attempts), then a good reply:
 *   429     HTTP 429 with Retry-After: 1        500    HTTP 500
 *   stall   no reply for --stall-ms (3000)       trunc  a JSON body cut in half
 *   ctype   a text/html body                     400    HTTP 400 (a client error)
 *   think   the answer starts with a <think> block
 *   reasoning  the reasoning comes in message.reasoning_content
 *   echokey the answer quotes the request's Authorization header (a server echoing the key)
 * --fail-every N: every Nth request the server sees (counted over all prompts)
 * gets HTTP 500 (a flaky, rate-limited server).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static long delay_ms, die_after = -1, stall_ms = 3000, always_status, rate_limit;
static long rate_second, rate_count;
static long fail_every, n_seen;
static _Thread_local const char *cur_auth;   /* the request's Authorization value, for echokey */
static const char *require_key, *stats_path, *log_path, *served_model;
static json_t *answers;   /* prompt -> response */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long n_requests, n_replies, concurrent, max_concurrent;

struct attempt { char *prompt; int n; struct attempt *next; };
static struct attempt *attempts;

static void write_stats(void)
{
	char tmp[4096];
	FILE *fp;

	if (!stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	fp = fopen(tmp, "w");
	if (!fp)
		return;
	fprintf(fp, "requests %ld\nreplies %ld\nmax_concurrent %ld\n", n_requests, n_replies, max_concurrent);
	fclose(fp);
	rename(tmp, stats_path);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int reply(int fd, int status, const char *reason, const char *ctype, const char *extra,
	const char *body, size_t len)
{
	char head[1024], *msg;
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
		status, reason, ctype, len, extra ? extra : "");
	int rc;

	/* one send: headers and body in separate segments would meet Nagle and delayed ACKs */
	msg = malloc((size_t)n + len);
	if (!msg)
		return -1;
	memcpy(msg, head, (size_t)n);
	memcpy(msg + n, body, len);
	rc = send_all(fd, msg, (size_t)n + len);
	free(msg);
	return rc;
}

/* How many times this prompt was asked before (counting this one). */
static int attempt_no(const char *prompt)
{
	struct attempt *a;
	int n;

	pthread_mutex_lock(&mu);
	for (a = attempts; a && strcmp(a->prompt, prompt); a = a->next)
		;
	if (!a) {
		a = calloc(1, sizeof(*a));
		a->prompt = strdup(prompt);
		a->next = attempts;
		attempts = a;
	}
	n = ++a->n;
	pthread_mutex_unlock(&mu);
	return n;
}

/* [[MODE]] or [[MODExN]] in the prompt: misbehave on the first N attempts. */
static int wants(const char *prompt, const char *mode, int attempt)
{
	char pat[64];
	const char *p;
	size_t ml;
	int times = 1;

	snprintf(pat, sizeof(pat), "[[%s", mode);
	ml = strlen(pat);
	for (p = strstr(prompt, pat); p; p = strstr(p + 1, pat)) {
		if (p[ml] == ']' && p[ml + 1] == ']')
			break;
		if (p[ml] == 'x' && sscanf(p + ml + 1, "%d", &times) == 1)
			break;
	}
	return p && attempt <= times;
}

static int respond(int fd, const char *prompt, const char *model);

static int handle(int fd, const char *body, size_t blen, const char *auth)
{
	json_t *req = json_loadb(body, blen, 0, NULL), *msgs;
	const char *prompt = NULL, *model;
	char *p, *m;
	size_t i;
	int rc;

	if (log_path) {
		FILE *lf;

		pthread_mutex_lock(&mu);
		if ((lf = fopen(log_path, "a"))) {
			fwrite(body, 1, blen, lf);
			fputc('\n', lf);
			fclose(lf);
		}
		pthread_mutex_unlock(&mu);
	}
	if (require_key && (!auth || strncmp(auth, "Bearer ", 7) || strcmp(auth + 7, require_key))) {
		static const char e[] = "{\"error\": {\"message\": \"invalid API key\", \"type\": \"auth\"}}";

		json_decref(req);
		return reply(fd, 401, "Unauthorized", "application/json", NULL, e, sizeof(e) - 1);
	}
	if (fail_every > 0) {
		long k;

		pthread_mutex_lock(&mu);
		k = ++n_seen;
		pthread_mutex_unlock(&mu);
		if (k % fail_every == 0) {
			static const char e[] = "{\"error\": {\"message\": \"internal error (every Nth request)\"}}";

			json_decref(req);
			return reply(fd, 500, "Internal Server Error", "application/json", NULL, e, sizeof(e) - 1);
		}
	}
	cur_auth = auth;
	msgs = json_object_get(req, "messages");
	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *turn = json_array_get(msgs, i);

		if (json_is_string(json_object_get(turn, "role")) &&
		    !strcmp(json_string_value(json_object_get(turn, "role")), "user"))
			prompt = json_string_value(json_object_get(turn, "content"));
	}
	model = json_string_value(json_object_get(req, "model"));
	if (!prompt || !model) {
		static const char e[] = "{\"error\": {\"message\": \"messages with a user turn and a model are required\"}}";

		json_decref(req);
		return reply(fd, 400, "Bad Request", "application/json", NULL, e, sizeof(e) - 1);
	}
	p = strdup(prompt);
	m = strdup(model);
	json_decref(req);
	rc = respond(fd, p, m);
	free(p);
	free(m);
	return rc;
}

static int respond(int fd, const char *prompt, const char *model)
{
	json_t *res, *choice, *msg;
	char *out, text[8192];
	int a, rc;

	a = attempt_no(prompt);
	if (delay_ms)
		sleep_ms(delay_ms);
	if (always_status) {
		static const char e[] = "{\"error\": {\"message\": \"the server is broken\"}}";

		return reply(fd, (int)always_status, "Broken", "application/json", NULL, e, sizeof(e) - 1);
	}
	if (rate_limit) {
		long now = (long)time(NULL);
		int over;

		pthread_mutex_lock(&mu);
		if (now != rate_second) {
			rate_second = now;
			rate_count = 0;
		}
		over = ++rate_count > rate_limit;
		pthread_mutex_unlock(&mu);
		if (over) {
			static const char e[] = "{\"error\": {\"message\": \"rate limited\"}}";

			return reply(fd, 429, "Too Many Requests", "application/json", "Retry-After: 1\r\n", e,
				sizeof(e) - 1);
		}
	}
	if (wants(prompt, "429", a)) {
		static const char e[] = "{\"error\": {\"message\": \"rate limited\"}}";

		return reply(fd, 429, "Too Many Requests", "application/json", "Retry-After: 1\r\n", e, sizeof(e) - 1);
	}
	if (wants(prompt, "500", a)) {
		static const char e[] = "{\"error\": {\"message\": \"internal error\"}}";

		return reply(fd, 500, "Internal Server Error", "application/json", NULL, e, sizeof(e) - 1);
	}
	if (wants(prompt, "400", a)) {
		static const char e[] = "{\"error\": {\"message\": \"this prompt is not allowed\"}}";

		return reply(fd, 400, "Bad Request", "application/json", NULL, e, sizeof(e) - 1);
	}
	if (wants(prompt, "stall", a)) {
		sleep_ms(stall_ms);
		return -1;   /* and close: the client has long given up */
	}
	if (wants(prompt, "ctype", a)) {
		static const char e[] = "<html><body>Bad gateway</body></html>";

		return reply(fd, 200, "OK", "text/html", NULL, e, sizeof(e) - 1);
	}
	if (wants(prompt, "echokey", 1))
		snprintf(text, sizeof(text), "You sent the header Authorization: %s", cur_auth ? cur_auth : "(none)");
	else if (json_is_string(json_object_get(answers, prompt)))
		snprintf(text, sizeof(text), "%s", json_string_value(json_object_get(answers, prompt)));
	else
		snprintf(text, sizeof(text), "Fake answer to: %s", prompt);
	msg = json_object();
	json_object_set_new(msg, "role", json_string("assistant"));
	if (wants(prompt, "think", 1)) {
		char t[8400];

		snprintf(t, sizeof(t), "<think>\nThe user asks something; answer briefly.\n</think>\n\n%s", text);
		json_object_set_new(msg, "content", json_string(t));
	} else {
		json_object_set_new(msg, "content", json_string(text));
	}
	if (wants(prompt, "reasoning", 1))
		json_object_set_new(msg, "reasoning_content", json_string("Thinking about it first."));
	choice = json_object();
	json_object_set_new(choice, "index", json_integer(0));
	json_object_set_new(choice, "message", msg);
	json_object_set_new(choice, "finish_reason", json_string("stop"));
	res = json_object();
	json_object_set_new(res, "id", json_string("chatcmpl-fake"));
	json_object_set_new(res, "object", json_string("chat.completion"));
	json_object_set_new(res, "created", json_integer(1700000000));
	if (served_model)
		json_object_set_new(res, "model", json_string(served_model));
	else
		json_object_set_new(res, "model", json_string(model));
	json_object_set_new(res, "choices", json_array());
	json_array_append_new(json_object_get(res, "choices"), choice);
	out = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	if (wants(prompt, "trunc", a))
		rc = reply(fd, 200, "OK", "application/json", NULL, out, strlen(out) / 2);
	else
		rc = reply(fd, 200, "OK", "application/json; charset=utf-8", NULL, out, strlen(out));
	free(out);
	if (rc == 0) {
		pthread_mutex_lock(&mu);
		n_replies++;
		if (die_after >= 0 && n_replies >= die_after) {
			write_stats();
			_exit(0);
		}
		pthread_mutex_unlock(&mu);
	}
	return rc;
}

static void *conn(void *arg)
{
	int fd = (int)(long)arg;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);

	for (;;) {
		char *end, *p, auth[512] = "";
		size_t hlen, clen = 0, need;
		int close_after = 0, rc;

		while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
			ssize_t r;

			if (len == cap)
				goto out;   /* headers too long */
			r = recv(fd, buf + len, cap - len, 0);
			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		hlen = (size_t)(end - buf) + 4;
		for (p = buf; p < end; ) {
			char *nl = memmem(p, (size_t)(end - p), "\r\n", 2);
			size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

			if (ll > 15 && !strncasecmp(p, "Content-Length:", 15))
				clen = strtoul(p + 15, NULL, 10);
			else if (ll > 14 && !strncasecmp(p, "Authorization:", 14))
				snprintf(auth, sizeof(auth), "%.*s", (int)(ll - 15 < sizeof(auth) - 1 ? ll - 15 : sizeof(auth) - 1),
					p + 15);
			else if (ll >= 17 && !strncasecmp(p, "Connection: close", 17))
				close_after = 1;
			else if (ll >= 20 && !strncasecmp(p, "Expect: 100-continue", 20))
				send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			p += ll + 2;
		}
		need = hlen + clen;
		if (need > ((size_t)16 << 20))
			goto out;
		if (need > cap) {
			cap = need;
			buf = realloc(buf, cap);
		}
		while (len < need) {
			ssize_t r = recv(fd, buf + len, cap - len, 0);

			if (r <= 0)
				goto out;
			len += (size_t)r;
		}
		pthread_mutex_lock(&mu);
		n_requests++;
		if (++concurrent > max_concurrent)
			max_concurrent = concurrent;
		write_stats();
		pthread_mutex_unlock(&mu);
		rc = handle(fd, buf + hlen, clen, auth[0] ? auth : NULL);
		pthread_mutex_lock(&mu);
		concurrent--;
		write_stats();
		pthread_mutex_unlock(&mu);
		memmove(buf, buf + need, len - need);
		len -= need;
		if (rc || close_after)
			break;
	}
out:
	free(buf);
	close(fd);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *port_file = NULL, *answers_path = NULL;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	long lifetime = 120, port = 0;
	int s, i, one = 1;
	FILE *fp;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port-file"))
			port_file = argv[i + 1];
		else if (!strcmp(argv[i], "--lifetime"))
			lifetime = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--delay-ms"))
			delay_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--stall-ms"))
			stall_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--die-after"))
			die_after = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--answers"))
			answers_path = argv[i + 1];
		else if (!strcmp(argv[i], "--require-key"))
			require_key = argv[i + 1];
		else if (!strcmp(argv[i], "--stats"))
			stats_path = argv[i + 1];
		else if (!strcmp(argv[i], "--log"))
			log_path = argv[i + 1];
		else if (!strcmp(argv[i], "--served-model"))
			served_model = argv[i + 1];
		else if (!strcmp(argv[i], "--port"))
			port = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--always"))
			always_status = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate-limit"))
			rate_limit = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--fail-every"))
			fail_every = atol(argv[i + 1]);
		else {
			fprintf(stderr, "fakeserver: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i != argc || !port_file) {
		fprintf(stderr, "usage: fakeserver --port-file FILE [options] (see tests/fakeserver.c)\n");
		return 2;
	}
	answers = json_object();
	if (answers_path) {
		FILE *af = fopen(answers_path, "r");
		char *line = NULL;
		size_t lcap = 0;

		if (!af) {
			perror(answers_path);
			return 1;
		}
		while (getline(&line, &lcap, af) > 0) {
			json_t *o = json_loads(line, 0, NULL);

			if (json_is_string(json_object_get(o, "prompt")) && json_is_string(json_object_get(o, "response")))
				json_object_set(answers, json_string_value(json_object_get(o, "prompt")),
					json_object_get(o, "response"));
			json_decref(o);
		}
		free(line);
		fclose(af);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)(lifetime > 0 ? lifetime : 120));
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl)) {
		perror("fakeserver");
		return 1;
	}
	write_stats();
	{
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		fp = fopen(tmp, "w");
		if (!fp)
			return 1;
		fprintf(fp, "%d\n", ntohs(sa.sin_port));
		fclose(fp);
		rename(tmp, port_file);
	}
	for (;;) {
		pthread_t th;
		int c = accept(s, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pthread_create(&th, NULL, conn, (void *)(long)c) == 0)
			pthread_detach(th);
		else
			close(c);
	}
	return 0;
}
