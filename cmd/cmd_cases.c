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

/* --format text|json (--json as its alias): 1 for json, 0 for text, -1 (after the message) otherwise. */
static int format_json(const char *cmd, const char *format)
{
	if (!strcmp(format, "json"))
		return 1;
	if (!strcmp(format, "text"))
		return 0;
	cmd_usage_error(cmd, "--format must be text or json, not '%s'", format);
	return -1;
}

/* Print a JSON document (indented, with a final newline) and release it. */
static int print_json(json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	json_decref(doc);
	if (!s)
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	printf("%s\n", s);
	free(s);
	return EXIT_OK;
}

static json_t *case_json(const struct case_info *c)
{
	json_t *o = json_object(), *concl = json_object();

	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "created_at", json_string(c->created_at));
	json_object_set_new(o, "verdict", json_string(c->verdict));
	json_object_set_new(concl, "teacher", c->conclusion_teacher[0] ? json_string(c->conclusion_teacher) : json_null());
	json_object_set_new(concl, "family", c->conclusion_family[0] ? json_string(c->conclusion_family) : json_null());
	json_object_set_new(o, "conclusion", concl);
	json_object_set_new(o, "suspect_path", json_string(c->suspect_path));
	json_object_set_new(o, "suspect_sha256", json_string(c->suspect_sha256));
	json_object_set_new(o, "hash", json_string(c->hash));
	json_object_set_new(o, "previous_hash", c->prev_hash[0] ? json_string(c->prev_hash) : json_null());
	return o;
}

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
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	struct case_info *v = NULL;
	size_t n = 0, i;
	int c, rc, as_json = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":f:h", longopts, "cases")) != -1) {
		if (c == 'f' && (as_json = format_json("cases", optarg)) >= 0)
			continue;
		if (c == 'j') {
			as_json = 1;
			continue;
		}
		if (c == 'h') {
			fputs("usage: provenance cases [--format text|json]\n"
			      "Lists every stored case: id, name, time, verdict and conclusion, suspect SHA-256.\n"
			      "\n"
			      "  --format FORMAT  text (default) or json (an array: id, name, created_at, verdict,\n"
			      "                   conclusion, suspect_path, suspect_sha256, hash, previous_hash)\n", stdout);
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
	if (as_json) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(arr, case_json(&v[i]));
		free(v);
		return print_json(arr);
	}
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

/* Verify one case; with `json`, append {"case", "intact", "items"} to it instead of printing. */
static int verify_one(struct store *st, int64_t id, int quiet, json_t *json)
{
	struct verify_item *v = NULL;
	size_t n = 0, i;
	int rc = case_verify(st, id, &v, &n);

	if (rc && rc != PROV_ETAMPER) {
		free(v);
		return rc;
	}
	if (json) {
		json_t *o = json_object(), *items = json_array();

		json_object_set_new(o, "case", json_integer(id));
		json_object_set_new(o, "intact", json_boolean(!rc));
		for (i = 0; i < n; i++) {
			json_t *it = json_object();

			json_object_set_new(it, "ok", json_boolean(v[i].ok));
			json_object_set_new(it, "what", json_string(v[i].what));
			json_array_append_new(items, it);
		}
		json_object_set_new(o, "items", items);
		json_array_append_new(json, o);
		free(v);
		return rc;
	}
	if (!cmd_quiet || rc)
		printf("case %lld: %s\n", (long long)id, rc ? "ALTERED: the stored evidence does not match its hashes" :
		"intact");
	for (i = 0; i < n; i++)
		if ((!quiet && !cmd_quiet) || !v[i].ok)
			printf("  %s %s\n", v[i].ok ? "ok  " : "FAIL", v[i].what);
	free(v);
	return rc;
}

int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	json_t *json = NULL;
	int64_t id = 0;
	int c, rc, all = 0, altered = 0, as_json = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":af:h", longopts, "verify")) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'f':
			if ((as_json = format_json("verify", optarg)) < 0)
				return EXIT_USAGE;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			fputs("usage: provenance verify CASE | --all [--format text|json]\n"
			      "Recomputes the answers' hashes, the report hash, the result and evidence rows, the case\n"
			      "hash, the link to the previous case, and the corpus hashes. Exit 0 if intact, 1 if\n"
			      "anything was altered (the lines marked FAIL name what differs).\n"
			      "\n"
			      "  --all            every case of the database (only the FAIL lines are listed)\n"
			      "  --format FORMAT  text (default) or json (an array of {case, intact, items: [{ok, what}]})\n"
			      "  -q, --quiet      only the cases that do not verify, with their FAIL lines\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (all ? optind != argc : (optind + 1 != argc || parse_case_id(argv[optind], &id)))
		return cmd_usage_error("verify", "give one case id or --all (see: provenance cases)");
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		return cmd_fail(rc);
	if (as_json && !(json = json_array())) {
		store_close(st);
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	}
	if (all) {
		struct case_info *v = NULL;
		size_t n = 0, i;

		if ((rc = case_list(st, &v, &n))) {
			store_close(st);
			return cmd_fail(rc);
		}
		for (i = 0; i < n && (!rc || rc == PROV_ETAMPER); i++) {
			rc = verify_one(st, v[i].id, 1, json);
			altered |= rc == PROV_ETAMPER;
		}
		free(v);
		if (!n && !json && !cmd_quiet)
			printf("no cases to verify\n");
	} else {
		rc = verify_one(st, id, 0, json);
		altered = rc == PROV_ETAMPER;
	}
	store_close(st);
	if (rc && rc != PROV_ETAMPER) {
		json_decref(json);
		return cmd_fail(rc);
	}
	if (json && print_json(json) != EXIT_OK)
		return EXIT_INTERNAL;
	return altered ? EXIT_TAMPERED : EXIT_OK;
}
