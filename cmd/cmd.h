/*
 * cmd.h: the command layer. cmd/ is the only layer that parses arguments,
 * prints, or decides the exit code.
 *
 * Adding a command:
 *  1. write cmd/cmd_<name>.c with `int cmd_<name>(int argc, char **argv, struct cmd_ctx *ctx)`
 *     (argv[0] is the command name; handle --help; return an exit code below);
 *  2. declare it here and add a row to `commands[]` in cmd/main.c (kept sorted);
 *  3. add CLI tests in tests/cli/ (success, bad input, exit codes);
 *  4. document it in docs/usage.md.
 */
#ifndef PROV_CMD_H
#define PROV_CMD_H

#include <stdio.h>
#include "detect/util.h"

/* Exit codes (docs/usage.md, "Exit codes"). */
enum prov_exit {
	EXIT_OK = 0,
	EXIT_TAMPERED = 1,   /* verify: stored evidence does not match its hashes */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_DATA = 3,       /* bad input data (malformed file, empty file) */
	EXIT_IO = 4,         /* a file could not be read or written */
	EXIT_DB = 5,         /* the database is corrupt, read-only, or too new */
	EXIT_NOTFOUND = 6,   /* no such database, model or case */
	EXIT_CHANGED = 7,    /* verify: the cases are intact but the corpus changed since (not just grew) */
	EXIT_NOMEM = 8,      /* out of memory */
	EXIT_UNAVAILABLE = 9, /* a program the request needs is not installed (--format pdf: a renderer) */
	EXIT_INTERNAL = 70   /* a bug in provenance */
};

struct cmd_ctx {
	const char *db_path;     /* --db, $PROVENANCE_DB, or ./provenance.db */
};

typedef int (*cmd_fn)(int argc, char **argv, struct cmd_ctx *ctx);

struct cmd_spec {
	const char *name;
	cmd_fn fn;
	const char *summary;
};

int cmd_corpus(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_scan(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_inspect(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_cases(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_report(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_audit(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_merge(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_validate(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_collect(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_probe(int argc, char **argv, struct cmd_ctx *ctx);

/* Write data to path ("-" or NULL: standard output). */
int cmd_write_output(const char *path, const char *data, size_t len);

/* Map a library error code (PROV_E*) to an exit code. */
int cmd_exit_for(int prov_err);

/* Print "provenance: <last library error>" and return the matching exit code. */
int cmd_fail(int prov_err);

/* Print "provenance <cmd>: <message>" plus a hint, and return EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Run a nested-verb table: argv[0] is the parent command, argv[1] the verb.
 * Prints `usage` for --help or a missing verb.
 */
int cmd_dispatch(const struct cmd_spec *table, size_t n, const char *parent, const char *usage,
	int argc, char **argv, struct cmd_ctx *ctx);

/*
 * getopt_long wrapper for commands: resets getopt state, reports unknown
 * options and missing arguments in our own words. Returns the option, -1 at
 * the end, or '?' after printing the error.
 */
struct option;
int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	const char *cmd);
void cmd_getopt_reset(void);

/* Progress line on stderr, only when stderr is a terminal. */
struct progress {
	int enabled;
	double last;
	double start;
	int shown;
};
void progress_init(struct progress *p);
void progress_update(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_done(struct progress *p);
double progress_elapsed(const struct progress *p);

/*
 * Names (models, families, cases): valid UTF-8, 1 to CMD_MAX_NAME characters
 * (code points, not bytes), no control characters, no bidirectional controls.
 */
#define CMD_MAX_NAME 200
int cmd_valid_name(const char *s);

/*
 * Text from outside (names, paths, ids, messages that quote them) made safe
 * for a terminal: control characters and invalid bytes as \xHH, C1 controls
 * and bidirectional controls (U+202A-U+202E, U+2066-U+2069, ...) as
 * [U+202E]; cmd_esc_keep leaves the characters in `keep` (e.g. "\n") alone.
 * Returns one of a few per-thread buffers, valid until 8 more calls.
 */
const char *cmd_esc(const char *s);
const char *cmd_esc_keep(const char *s, const char *keep);

/* Print the chain head (last case id and hash) on stderr with the advice to keep it elsewhere. */
struct store;
void cmd_print_head(struct store *s);

/* 0 if the database file exists (or is an SQLite URI); else PROV_ENOTFOUND naming it. */
int cmd_need_db(const char *path);

/* RFC 3161: check a stored reply against a case hash (case_ts_check_fn; ctx: the --tsa-cert path or NULL). */
int cmd_ts_check(void *ctx, const void *der, size_t len, const char *hash, char *why, size_t n);
int cmd_timestamp(int argc, char **argv, struct cmd_ctx *ctx);

/* The number of online CPUs (at least 1): the default for -j. */
int cmd_default_threads(void);

/* Parse a non-negative integer option value; -1 if malformed. */
long cmd_parse_long(const char *s);
/* A size: digits with an optional K, M, G or T (powers of 1024; "MiB", "MB" too). 0, or -1 if malformed or 0. */
int cmd_parse_size(const char *s, size_t *out);

/*
 * -q/--quiet (global, or after any command that parses its options with
 * cmd_getopt): informational lines and the progress line are not printed;
 * results, warnings and errors still are.
 */
extern int cmd_quiet;

/*
 * --version, on every level: the tool version, the engine version, the
 * SHA-256 of the built-in pattern library and the SQLite library's version.
 * cmd_getopt answers --version itself (prints this and exits 0).
 */
void cmd_print_version(FILE *fp);

/*
 * The candidate closest to `word` (at most 2 edits, insertions, deletions,
 * substitutions or swaps of neighbours, and fewer than half its length), or
 * NULL: for "did you mean 'scan'?".
 */
const char *cmd_suggest(const char *word, const char *const *cands, size_t n);
/* The same over the names of a command table. */
const char *cmd_suggest_spec(const char *word, const struct cmd_spec *table, size_t n);

/*
 * `-` names standard input wherever a suspect or input file is named: the
 * path to open for `arg` ("/dev/stdin" for "-"). Single-pass readers only.
 */
const char *cmd_input_path(const char *arg);

/*
 * `path` as an absolute path (symbolic links, "." and ".." resolved; for a
 * missing file, its folder resolved). Returns a per-thread buffer, or path
 * itself for "-" (or when nothing can be resolved).
 */
const char *cmd_resolved(const char *path);

/*
 * Every command's -o goes through this: PROV_EUSAGE (message set) if `out`
 * names the evidence database `db_path` or its -wal, -shm or -journal file
 * (the same device and inode where the file exists, else the same resolved
 * path), 0 otherwise ("-" and NULL are standard output).
 */
int cmd_check_output(const char *out, const char *db_path);
/* The evidence database of this run (main sets it): cmd_write_output refuses to write over it. */
extern const char *cmd_db_path;

#endif
