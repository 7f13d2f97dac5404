/*
 * cmd_probe.c: `provenance probe list | show NAME`: the built-in probe sets.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "corpus/probes.h"

static const char probe_usage[] =
	"usage: provenance probe list\n"
	"       provenance probe show NAME [--format text|jsonl]\n"
	"\n"
	"The built-in probe sets: prompts written for provenance that elicit what distillation leaves\n"
	"behind (docs/collecting.md). Ask a suspect (and the teachers) with\n"
	"`provenance collect --probe NAME`, or write them out with `probe show NAME --format jsonl`.\n"
	"\n"
	"  list         each set: name, prompts, languages, what it is for\n"
	"  show NAME    the prompts of a set: id, language, kind and text (text), or the set's JSONL\n"
	"               lines ({\"id\", \"prompt\", \"lang\", \"kind\"[, \"pair\", \"harmful\"]}), which\n"
	"               `collect --prompts` reads (`corpus import` reads the answers `collect` writes,\n"
	"               not these prompts)\n";

static int probe_list(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *const *names;
	size_t n, i;
	int c;

	(void)ctx;
	cmd_getopt_reset();   /* also answers --version and -q, as every command does */
	while ((c = cmd_getopt(argc, argv, ":h", longopts, "probe list")) != -1) {
		if (c == 'h') {
			fputs(probe_usage, stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind < argc)
		return cmd_usage_error("probe list", "unexpected argument '%s'", argv[optind]);
	names = probe_names(&n);
	printf("%-10s %7s %5s  %s\n", "SET", "PROMPTS", "LANGS", "FOR");
	for (i = 0; i < n; i++) {
		struct probe_set *s = NULL;
		int rc = probe_set_load(&s, names[i]);

		if (rc)
			return cmd_fail(rc);
		printf("%-10s %7zu %5zu  %s\n", s->name, s->n, s->nlang, s->summary);
		probe_set_free(s);
	}
	return EXIT_OK;
}

static int probe_show(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "text";
	struct probe_set *s = NULL;
	size_t i;
	int c, rc;

	(void)ctx;
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":f:h", longopts, "probe show")) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			fputs(probe_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "jsonl"))
		return cmd_usage_error("probe show", "--format must be text or jsonl, not '%s'", format);
	if (optind + 1 != argc)
		return cmd_usage_error("probe show", optind >= argc ? "no probe set named (see: provenance probe list)" :
			"one set at a time");
	if ((rc = probe_set_load(&s, argv[optind])))
		return cmd_fail(rc);
	for (i = 0; i < s->n; i++) {
		const struct probe *p = &s->items[i];

		if (!strcmp(format, "jsonl"))
			puts(p->line);
		else
			printf("%-22s %-3s %-12s %s\n", p->id, p->lang, p->kind, p->prompt);
	}
	probe_set_free(s);
	return EXIT_OK;
}

static const struct cmd_spec probe_verbs[] = {
	{ "list", probe_list, "the built-in probe sets" },
	{ "show", probe_show, "the prompts of one set" },
};

int cmd_probe(int argc, char **argv, struct cmd_ctx *ctx)
{
	return cmd_dispatch(probe_verbs, sizeof(probe_verbs) / sizeof(probe_verbs[0]), "probe", probe_usage,
		argc, argv, ctx);
}
