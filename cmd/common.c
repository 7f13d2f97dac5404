/*
 * common.c: helpers shared by the commands: exit codes, error printing,
 * option parsing, nested verbs, the progress line.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <utf8proc.h>

#include "cmd/cmd.h"
#include "corpus/cases.h"
#include "corpus/store.h"
#include "detect/engine.h"
#include "detect/patterns.h"

int cmd_quiet;
const char *cmd_db_path;

void cmd_print_version(FILE *fp)
{
	struct pat_lib *lib = NULL;
	size_t plen = 0;
	const char *ptext = pat_builtin_text(&plen);

	fprintf(fp, "provenance %s\n", PROV_VERSION);
	fprintf(fp, "engine %s\n", ENG_VERSION);
	if (pat_lib_new(&lib, ptext, plen, "built-in patterns") == 0)
		fprintf(fp, "pattern library sha256:%s (built-in)\n", pat_lib_sha256(lib));
	else
		fprintf(fp, "pattern library: cannot be compiled (%s)\n", prov_error_msg());
	pat_lib_free(lib);
	fprintf(fp, "SQLite %s\n", store_sqlite_version());
}

/* Optimal string alignment distance, capped: > cap is returned as cap + 1. */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[3][65], *p2 = d[0], *p1 = d[1], *cur = d[2], *t;

	if (la > 64 || lb > 64)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		p1[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = p1[j - 1] + cost;

			if (p1[j] + 1 < v)
				v = p1[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && p2[j - 2] + 1 < v)
				v = p2[j - 2] + 1;
			cur[j] = v;
		}
		t = p2;
		p2 = p1;
		p1 = cur;
		cur = t;
	}
	return p1[lb] > cap ? cap + 1 : p1[lb];
}

const char *cmd_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t i, best = 3, len = strlen(word), d;
	const char *pick = NULL;

	for (i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		/* a unique prefix of at least 3 characters also counts ("vali" -> "validate") */
		if (len >= 3 && !strncmp(cands[i], word, len))
			d = 1;
		else
			d = edit_distance(word, cands[i], 2);
		if (d < best && d * 2 < (len > 1 ? len : 2)) {
			best = d;
			pick = cands[i];
		}
	}
	return pick;
}

const char *cmd_suggest_spec(const char *word, const struct cmd_spec *table, size_t n)
{
	const char *names[64];
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		names[i] = table[i].name;
	return cmd_suggest(word, names, i);
}

const char *cmd_input_path(const char *arg)
{
	return arg && !strcmp(arg, "-") ? "/dev/stdin" : arg;
}

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
	case PROV_ENOMEM:
		return EXIT_NOMEM;
	default:
		return EXIT_INTERNAL;
	}
}

int cmd_fail(int prov_err)
{
	const char *msg = prov_error_msg();

	if (prov_err == PROV_ENOMEM)
		msg = *msg ? msg : "out of memory";
	if (prov_err == PROV_ENOMEM && !strstr(msg, "out of memory"))
		fprintf(stderr, "provenance: out of memory (%s)\n", cmd_esc_keep(msg, "\n"));
	else if (prov_err == PROV_EINTERNAL || !*msg)
		fprintf(stderr, "provenance: %s%s\n", *msg ? cmd_esc_keep(msg, "\n") : "unexpected error",
			" (a bug in provenance: please report it)");
	else
		fprintf(stderr, "provenance: %s\n", cmd_esc_keep(msg, "\n"));
	return cmd_exit_for(prov_err);
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "provenance %s: %s\n(see: provenance %s --help)\n", cmd, cmd_esc(buf), cmd);
	return EXIT_USAGE;
}

/* ---- text that reaches a terminal ---- */

/* Bidirectional controls: embeddings, overrides, isolates and marks. */
static int is_bidi(utf8proc_int32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
		cp == 0x061c;
}

#define ESC_RING 8
#define ESC_MAX 16384

const char *cmd_esc_keep(const char *s, const char *keep)
{
	static _Thread_local char ring[ESC_RING][ESC_MAX];
	static _Thread_local unsigned next;
	char *out;
	size_t len, i = 0, o = 0;

	if (!s)
		return "(null)";
	out = ring[next++ % ESC_RING];
	len = strlen(s);
	while (i < len && o + 16 < ESC_MAX) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);

		if (k <= 0) {
			o += (size_t)snprintf(out + o, ESC_MAX - o, "\\x%02x", (unsigned char)s[i]);
			i++;
		} else if ((cp < 0x20 || cp == 0x7f) && !(keep && cp && strchr(keep, (int)cp))) {
			o += (size_t)snprintf(out + o, ESC_MAX - o, "\\x%02x", (unsigned)cp);
			i += (size_t)k;
		} else if ((cp >= 0x80 && cp < 0xa0) || is_bidi(cp)) {
			o += (size_t)snprintf(out + o, ESC_MAX - o, "[U+%04X]", (unsigned)cp);
			i += (size_t)k;
		} else {
			memcpy(out + o, s + i, (size_t)k);
			o += (size_t)k;
			i += (size_t)k;
		}
	}
	if (i < len && o + 4 < ESC_MAX)
		o += (size_t)snprintf(out + o, ESC_MAX - o, "...");
	out[o] = '\0';
	return out;
}

const char *cmd_esc(const char *s)
{
	return cmd_esc_keep(s, NULL);
}

int cmd_need_db(const char *path)
{
	struct stat st;

	if (!strncmp(path, "file:", 5) || stat(path, &st) == 0)
		return 0;
	if (errno == ENOENT)
		return prov_error(PROV_ENOTFOUND, "%s: no such database (import a corpus first: provenance --db %s corpus"
			" import FILE; or check the --db name)", path, path);
	return prov_error(PROV_EIO, "%s: %s", path, strerror(errno));
}

void cmd_getopt_reset(void)
{
	optind = 0;   /* glibc: 0 re-initialises getopt completely */
	opterr = 0;
}

/* "unknown option '--fromat'" with "did you mean '--format'?" when one is close. */
static void unknown_long(const char *cmd, const char *tok, const struct option *longopts)
{
	const char *names[64], *near;
	char word[80];
	size_t n = 0, k;

	snprintf(word, sizeof(word), "%s", tok + 2);
	k = strcspn(word, "=");
	word[k] = '\0';
	for (n = 0; longopts && longopts[n].name && n < 63; n++)
		names[n] = longopts[n].name;
	names[n++] = "version";
	near = cmd_suggest(word, names, n);
	if (near)
		cmd_usage_error(cmd, "unknown option '%s'; did you mean '--%s'?", tok, near);
	else
		cmd_usage_error(cmd, "unknown option '%s'", tok);
}

int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	const char *cmd)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c != '?')
			break;
		/* what every command understands without listing it */
		if (!optopt && !strcmp(argv[optind - 1], "--version")) {
			cmd_print_version(stdout);
			fflush(stdout);
			exit(ferror(stdout) ? EXIT_IO : EXIT_OK);
		}
		if ((!optopt && !strcmp(argv[optind - 1], "--quiet")) || optopt == 'q') {
			cmd_quiet = 1;
			continue;
		}
		break;
	}
	if (c == '?') {
		if (optopt)
			cmd_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			unknown_long(cmd, argv[optind - 1], longopts);
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
	if (!strcmp(argv[1], "help") && argc > 2) {
		/* `corpus help import` is `corpus import --help` */
		char *av[3], help[] = "--help";

		for (i = 0; i < n; i++)
			if (!strcmp(table[i].name, argv[2])) {
				av[0] = argv[2];
				av[1] = help;
				av[2] = NULL;
				return table[i].fn(2, av, ctx);
			}
		return cmd_dispatch(table, n, parent, usage, argc - 1, argv + 1, ctx);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		cmd_print_version(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--quiet") || !strcmp(argv[1], "-q") || !strcmp(argv[1], "--")) {
		if (strcmp(argv[1], "--"))
			cmd_quiet = 1;
		return cmd_dispatch(table, n, parent, usage, argc - 1, argv + 1, ctx);
	}
	if (!strcmp(argv[1], "--commands")) {
		/* for the shell completions and the man page generator */
		for (i = 0; i < n; i++)
			printf("%s\n", table[i].name);
		return EXIT_OK;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, argv[1]))
			return table[i].fn(argc - 1, argv + 1, ctx);
	if (cmd_suggest_spec(argv[1], table, n))
		return cmd_usage_error(parent, "unknown command '%s'; did you mean '%s'?", argv[1],
			cmd_suggest_spec(argv[1], table, n));
	return cmd_usage_error(parent, "unknown command '%s'", argv[1]);
}

int cmd_valid_name(const char *s)
{
	size_t len = strlen(s), i = 0, chars = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);

		if (k <= 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || is_bidi(cp) || ++chars > CMD_MAX_NAME)
			return 0;
		i += (size_t)k;
	}
	return chars > 0;
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

int cmd_parse_size(const char *s, size_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mul = 1;
	const char *u;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end && (u = strchr(units, *end >= 'a' ? *end - 32 : *end)) && *u) {
		int k;

		for (k = 0; k <= u - units; k++)
			mul *= 1024;
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end || !v || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
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

	p->enabled = cmd_quiet ? 0 : e ? strcmp(e, "0") != 0 : isatty(STDERR_FILENO);
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

void cmd_print_head(struct store *s)
{
	char hash[PROV_SHA256_HEX];
	int64_t id;

	if (cmd_quiet)
		return;   /* -q: informational lines are not printed (cases --head prints the head on demand) */
	if (case_head(s, &id, hash))
		return;
	fprintf(stderr, "provenance: chain head: case %lld %s\n"
		"provenance: keep this head outside the database (a ticket, an e-mail, a notary); later,\n"
		"provenance: `provenance --db %s verify --all --head %s` proves no case was rewritten or removed\n",
		(long long)id, hash, cmd_esc(store_path(s)), hash);
}

const char *cmd_resolved(const char *path)
{
	static _Thread_local char buf[PATH_MAX + 8];
	char cwd[PATH_MAX], *dir, *base, *slash, *real;

	if (!path || !strcmp(path, "-"))
		return path;
	if ((real = realpath(path, NULL))) {
		snprintf(buf, sizeof(buf), "%s", real);
		free(real);
		return buf;
	}
	/* the file is missing: resolve the folder it would be in */
	dir = prov_strdup(path);
	if (!dir)
		return path;
	slash = strrchr(dir, '/');
	base = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	real = slash ? realpath(dir[0] ? dir : "/", NULL) : NULL;
	if (real)
		snprintf(buf, sizeof(buf), "%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
	else if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(buf, sizeof(buf), "%s/%s", cwd, path);
	else
		snprintf(buf, sizeof(buf), "%s", path);
	free(real);
	free(dir);
	return buf;
}

/* Whether a and b name the same file: by device and inode where both exist, else by resolved path. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char ra[PATH_MAX + 8];

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	snprintf(ra, sizeof(ra), "%s", cmd_resolved(a));
	return !strcmp(ra, cmd_resolved(b));
}

int cmd_check_output(const char *out, const char *db_path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char f[PATH_MAX + 16];
	const char *db = db_path;
	size_t k;

	if (!out || !strcmp(out, "-") || !db)
		return 0;
	if (!strncmp(db, "file:", 5)) {   /* an SQLite URI: the path part */
		static _Thread_local char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s", db + 5);
		path[strcspn(path, "?#")] = '\0';
		db = path;
	}
	for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		snprintf(f, sizeof(f), "%s%s", db, sfx[k]);
		if (same_file(out, f))
			return prov_error(PROV_EUSAGE, "-o %s is the evidence database%s%s (%s): write the output "
				"elsewhere", out, k ? "'s " : "", k ? sfx[k] + 1 : "", cmd_resolved(f));
	}
	return 0;
}
