/*
 * common.c: helpers shared by the commands: exit codes, error printing,
 * option parsing, nested verbs, the progress line.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"

int cmd_exit_for(int prov_err)
{
	switch (prov_err) {
	case PROV_OK:
		return EXIT_OK;
	case PROV_EDATA:
		return EXIT_DATA;
	case PROV_EIO:
		return EXIT_IO;
	case PROV_EDB:
		return EXIT_DB;
	case PROV_ENOTFOUND:
		return EXIT_NOTFOUND;
	case PROV_EUSAGE:
		return EXIT_USAGE;
	case PROV_ETAMPER:
		return EXIT_TAMPERED;
	default:
		return EXIT_INTERNAL;
	}
}

int cmd_fail(int prov_err)
{
	const char *msg = prov_error_msg();

	if (prov_err == PROV_ENOMEM && !*msg)
		msg = "out of memory";
	fprintf(stderr, "provenance: %s\n", *msg ? msg : "unexpected error");
	return cmd_exit_for(prov_err);
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "provenance %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see: provenance %s --help)\n", cmd);
	return EXIT_USAGE;
}

void cmd_getopt_reset(void)
{
	optind = 0;   /* glibc: 0 re-initialises getopt completely */
	opterr = 0;
}

int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	const char *cmd)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == '?') {
		if (optopt)
			cmd_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			cmd_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	} else if (c == ':') {
		cmd_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		c = '?';
	}
	return c;
}

int cmd_dispatch(const struct cmd_spec *table, size_t n, const char *parent, const char *usage,
	int argc, char **argv, struct cmd_ctx *ctx)
{
	size_t i;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("provenance %s\n", PROV_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, argv[1]))
			return table[i].fn(argc - 1, argv + 1, ctx);
	return cmd_usage_error(parent, "unknown command '%s'", argv[1]);
}

int cmd_valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CMD_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

int cmd_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

long cmd_parse_long(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0)
		return -1;
	return v;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p)
{
	const char *e = getenv("PROVENANCE_PROGRESS");

	p->enabled = e ? strcmp(e, "0") != 0 : isatty(STDERR_FILENO);
	p->start = now_seconds();
	p->last = 0;
	p->shown = 0;
}

double progress_elapsed(const struct progress *p)
{
	return now_seconds() - p->start;
}

void progress_update(struct progress *p, const char *fmt, ...)
{
	va_list ap;
	double t;

	if (!p->enabled)
		return;
	t = now_seconds();
	if (t - p->last < 0.2)
		return;
	p->last = t;
	fputs("\r", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	p->shown = 1;
}

void progress_done(struct progress *p)
{
	if (p->enabled && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = 0;
}
