/*
 * main.c: global options and the command table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/session.h"
#include "detect/patterns.h"

static int cmd_help(int argc, char **argv, struct cmd_ctx *ctx);

/* The command table, sorted by name. */
static const struct cmd_spec commands[] = {
	{ "audit", cmd_audit, "scan many suspects in parallel (one case each) and summarise" },
	{ "cases", cmd_cases, "list the stored cases" },
	{ "collect", cmd_collect, "ask a model server (OpenAI-compatible API) prompts, write its answers" },
	{ "corpus", cmd_corpus, "import, list, remove teacher and reference responses" },
	{ "help", cmd_help, "the help of a command: provenance help COMMAND [VERB]" },
	{ "inspect", cmd_inspect, "what the engine sees in each response of a file" },
	{ "merge", cmd_merge, "unite the cases of evidence databases (audit shards) in one" },
	{ "probe", cmd_probe, "the built-in probe sets (identity, refusal, style)" },
	{ "report", cmd_report, "re-render a stored case (md, html, json)" },
	{ "scan", cmd_scan, "compare a suspect's answers with the corpus, store the case, report" },
	{ "timestamp", cmd_timestamp, "RFC 3161: a time-stamp request for a case hash, or attach the reply" },
	{ "validate", cmd_validate, "measure the tool's error rates on labelled suspects" },
	{ "verify", cmd_verify, "check a case against its hashes and the evidence chain" },
};

static void usage(FILE *fp)
{
	size_t i;

	fputs("usage: provenance [--db FILE] COMMAND [ARGS]\n"
	      "\n"
	      "Finds out whether a language model's answers were distilled from another model's,\n"
	      "keeps the evidence in an SQLite database and writes a report for legal review.\n"
	      "\n"
	      "Commands:\n", fp);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  --db FILE      the evidence database (default: $PROVENANCE_DB, else ./provenance.db)\n"
	      "  --memory SIZE  the memory a corpus may take (512M, 4G; default: $PROVENANCE_MEMORY, else\n"
	      "                 half the machine's or the container's); a larger corpus is read in\n"
	      "                 chunks, with the same results\n"
	      "  -q, --quiet    no informational lines or progress line (results and errors still)\n"
	      "  --help         this text; `provenance help COMMAND` or `provenance COMMAND --help` for one\n"
	      "  --version      the tool, engine, pattern library and SQLite versions\n"
	      "\n"
	      "Every command and sub-command answers --help, --version and -q; `--` ends the options;\n"
	      "`-` names standard input wherever a suspect or input file is named.\n"
	      "Exit codes: 0 success, 1 altered evidence (verify), 2 usage error, 3 malformed input,\n"
	      "4 I/O error, 5 database error, 6 not found, 7 corpus changed since the case (verify),\n"
	      "8 out of memory, 70 internal error, 130 interrupted (collect) (docs/usage.md).\n"
	      "Environment: PROVENANCE_DB, PROVENANCE_MEMORY, PROVENANCE_THREADS (the preparation's\n"
	      "threads), PROVENANCE_MAX_RECORDS and PROVENANCE_MAX_INPUT (the bounds of one input file:\n"
	      "50000 records, 1G decompressed), OPENAI_API_KEY (collect; --api-key-env names another),\n"
	      "PROVENANCE_PROGRESS (0 hides the progress line).\n", fp);
}

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cmd_spec *find_command(const char *name)
{
	size_t k;

	for (k = 0; k < NCOMMANDS; k++)
		if (!strcmp(commands[k].name, name))
			return &commands[k];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *near = cmd_suggest_spec(name, commands, NCOMMANDS);

	if (near)
		fprintf(stderr, "provenance: unknown command '%s'; did you mean '%s'?\n", name, near);
	else
		fprintf(stderr, "provenance: unknown command '%s' (see: provenance --help)\n", name);
	return EXIT_USAGE;
}

/*
 * `provenance help [COMMAND [VERB]]`: the same text as `COMMAND [VERB] --help`.
 * `help --commands` lists the command names, one per line (completions, man page).
 */
static int cmd_help(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd_spec *c;
	char *av[4];
	char help[] = "--help";
	size_t k;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--commands")) {
		for (k = 0; k < NCOMMANDS; k++)
			printf("%s\n", commands[k].name);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		cmd_print_version(stdout);
		return EXIT_OK;
	}
	if (argc > 3)
		return cmd_usage_error("help", "give one command (and a verb of it), for example: provenance help corpus import");
	if (!(c = find_command(argv[1])))
		return unknown_command(argv[1]);
	if (c->fn == cmd_help) {
		usage(stdout);
		return EXIT_OK;
	}
	av[0] = argv[1];
	av[1] = argc == 3 ? argv[2] : help;
	av[2] = argc == 3 ? help : NULL;
	av[3] = NULL;
	return c->fn(argc == 3 ? 3 : 2, av, ctx);
}

/* A write error on stdout (a full disk, a closed pipe) is a failure, not a silent success. */
static int finish_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* once: a command that failed has said why (its own write error included) */
		if (!code)
			fprintf(stderr, "provenance: write error on standard output: %s\n", strerror(errno));
		return code ? code : EXIT_IO;
	}
	return code;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const char *env = getenv("PROVENANCE_DB");
	int i = 1;
	size_t k;

	ctx.db_path = env && *env ? env : "provenance.db";
	env = getenv("PROVENANCE_MEMORY");
	if (env && *env && cmd_parse_size(env, &session_memory)) {
		fprintf(stderr, "provenance: PROVENANCE_MEMORY needs a size such as 512M or 4G, not '%s'\n", cmd_esc(env));
		return EXIT_USAGE;
	}
	/* PROVENANCE_NO_JIT=1: match patterns without PCRE2's JIT (for valgrind; same results) */
	if (getenv("PROVENANCE_NO_JIT") && strcmp(getenv("PROVENANCE_NO_JIT"), "0"))
		pat_use_jit(0);
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return finish_stdout(EXIT_OK);
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			cmd_print_version(stdout);
			return finish_stdout(EXIT_OK);
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			cmd_quiet = 1;
		} else if (!strcmp(a, "--db")) {
			if (i + 1 >= argc || !argv[i + 1][0]) {
				fprintf(stderr, "provenance: option '--db' needs a file name\n");
				return EXIT_USAGE;
			}
			ctx.db_path = argv[++i];
		} else if (!strcmp(a, "--memory") || !strncmp(a, "--memory=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;

			if (cmd_parse_size(v, &session_memory)) {
				fprintf(stderr, "provenance: option '--memory' needs a size such as 512M or 4G, not '%s'\n",
					v ? cmd_esc(v) : "");
				return EXIT_USAGE;
			}
		} else if (!strncmp(a, "--db=", 5)) {
			if (!a[5]) {
				fprintf(stderr, "provenance: option '--db' needs a file name\n");
				return EXIT_USAGE;
			}
			ctx.db_path = a + 5;
		} else {
			static const char *const globals[] = { "db", "memory", "quiet", "help", "version" };
			const char *near = a[1] == '-' ? cmd_suggest(a + 2, globals, 5) : NULL;

			if (near)
				fprintf(stderr, "provenance: unknown option '%s'; did you mean '--%s'?\n", a, near);
			else
				fprintf(stderr, "provenance: unknown option '%s' (see: provenance --help)\n", a);
			return EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd_db_path = ctx.db_path;
	for (k = 0; k < NCOMMANDS; k++)
		if (!strcmp(commands[k].name, argv[i]))
			return finish_stdout(commands[k].fn(argc - i, argv + i, &ctx));
	return unknown_command(argv[i]);
}
