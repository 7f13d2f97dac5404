/*
 * cmd_cases.c: `provenance cases`, `report CASE`, `verify CASE`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/casedoc.h"
#include "cmd/cmd.h"
#include "corpus/cases.h"

static int parse_case_id(const char *s, int64_t *out)
{
	long v = cmd_parse_long(s);

	if (v <= 0)
		return -1;
	*out = v;
	return 0;
}

int cmd_cases(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	struct case_info *v = NULL;
	size_t n = 0, i;
	int c, rc;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":h", longopts, "cases")) != -1) {
		if (c == 'h') {
			fputs("usage: provenance cases\n"
			      "Lists every stored case: id, name, time, verdict and conclusion, suspect SHA-256.\n", stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind < argc)
		return cmd_usage_error("cases", "unexpected argument '%s'", argv[optind]);
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)) || (rc = case_list(st, &v, &n))) {
		store_close(st);
		return cmd_fail(rc);
	}
	store_close(st);
	if (!n)
		printf("No cases yet. Scan a suspect with: provenance scan SUSPECT.jsonl\n");
	else
		printf("%-5s %-24s %-20s %-13s %-28s %s\n", "ID", "NAME", "CREATED", "VERDICT", "CONCLUSION",
			"SUSPECT SHA-256");
	for (i = 0; i < n; i++) {
		char concl[400];

		if (v[i].conclusion_teacher[0])
			snprintf(concl, sizeof(concl), "%s (%s)", v[i].conclusion_teacher,
				v[i].conclusion_family[0] ? v[i].conclusion_family : "-");
		else
			snprintf(concl, sizeof(concl), "-");
		printf("%-5lld %-24s %-20s %-13s %-28s %s\n", (long long)v[i].id, v[i].name, v[i].created_at,
			v[i].verdict, concl, v[i].suspect_sha256);
	}
	free(v);
	return EXIT_OK;
}

int cmd_report(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "md", *output = NULL;
	struct store *st = NULL;
	struct pbuf stored = PBUF_INIT(0), out = PBUF_INIT(0);
	struct case_info ci;
	json_t *doc = NULL;
	int64_t id;
	int c, rc;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":f:o:h", longopts, "report")) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs("usage: provenance report CASE [--format md|html|json] [-o FILE]\n"
			      "Re-renders a stored case (default: Markdown). The bytes are the same as the\n"
			      "scan that made the case wrote in that format.\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (strcmp(format, "json") && strcmp(format, "md") && strcmp(format, "html"))
		return cmd_usage_error("report", "--format must be json, md or html, not '%s'", format);
	if (optind + 1 != argc || parse_case_id(argv[optind], &id))
		return cmd_usage_error("report", "give one case id (see: provenance cases)");
	if (!(rc = store_open(&st, ctx->db_path, STORE_RDONLY)) && !(rc = case_report(st, id, &stored, &ci)) &&
	    !(rc = casedoc_build(&doc, stored.data, stored.len, &ci)) && !(rc = casedoc_render(&out, doc, format)))
		rc = cmd_write_output(output, out.data, out.len);
	json_decref(doc);
	pbuf_release(&stored);
	pbuf_release(&out);
	store_close(st);
	return rc ? cmd_fail(rc) : EXIT_OK;
}

static int verify_one(struct store *st, int64_t id, int quiet)
{
	struct verify_item *v = NULL;
	size_t n = 0, i;
	int rc = case_verify(st, id, &v, &n);

	if (rc && rc != PROV_ETAMPER) {
		free(v);
		return rc;
	}
	printf("case %lld: %s\n", (long long)id, rc ? "ALTERED: the stored evidence does not match its hashes" :
		"intact");
	for (i = 0; i < n; i++)
		if (!quiet || !v[i].ok)
			printf("  %s %s\n", v[i].ok ? "ok  " : "FAIL", v[i].what);
	free(v);
	return rc;
}

int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	int64_t id = 0;
	int c, rc, all = 0, altered = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":ah", longopts, "verify")) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'h':
			fputs("usage: provenance verify CASE | --all\n"
			      "Recomputes the answers' hashes, the report hash, the result and evidence rows, the case\n"
			      "hash, the link to the previous case, and the corpus hashes. Exit 0 if intact, 1 if\n"
			      "anything was altered (the lines marked FAIL name what differs).\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (all ? optind != argc : (optind + 1 != argc || parse_case_id(argv[optind], &id)))
		return cmd_usage_error("verify", "give one case id or --all (see: provenance cases)");
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		return cmd_fail(rc);
	if (all) {
		struct case_info *v = NULL;
		size_t n = 0, i;

		if ((rc = case_list(st, &v, &n))) {
			store_close(st);
			return cmd_fail(rc);
		}
		for (i = 0; i < n && (!rc || rc == PROV_ETAMPER); i++) {
			rc = verify_one(st, v[i].id, 1);
			altered |= rc == PROV_ETAMPER;
		}
		free(v);
		if (!n)
			printf("no cases to verify\n");
	} else {
		rc = verify_one(st, id, 0);
		altered = rc == PROV_ETAMPER;
	}
	store_close(st);
	if (rc && rc != PROV_ETAMPER)
		return cmd_fail(rc);
	return altered ? EXIT_TAMPERED : EXIT_OK;
}
