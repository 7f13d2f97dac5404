/*
 * cmd_scan.c: `provenance scan SUSPECT`: compare a suspect's answers with the
 * corpus and report, per teacher, the evidence of derivation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/casedoc.h"
#include "cmd/cmd.h"
#include "cmd/ownctl_doc.h"
#include "cmd/report_doc.h"
#include "corpus/cases.h"

#define MAX_TEACHERS 256

static const char scan_usage[] =
	"usage: provenance scan SUSPECT [--name NAME] [--teacher NAME]... [--format json|md|html|pdf] [-o FILE]\n"
	"                          [--patterns FILE] [--sign-key FILE] [--exclude-control NAME]... [--no-store]\n"
	"                          [--logged LOGGED.jsonl --fresh FRESH.jsonl... [--draws N] [--seed N]]\n"
	"\n"
	"Compares the suspect's answers (JSONL or JSONL.gz, or one JSON array such as AlpacaEval's\n"
	"model_outputs.json; any input shape; `-` reads standard input)\n"
	"with every teacher in the corpus against the control panel, stores the result as a case and\n"
	"writes the report.\n"
	"\n"
	"  --name NAME       the suspect's name in the report (default: the lines' model, else the file name)\n"
	"  --teacher NAME    test only this teacher (repeatable); the control panel stays the whole corpus\n"
	"  --format FORMAT   json, md, html or pdf (default: md on a terminal, else json); pdf\n"
	"                    prints the HTML with headless Chromium (exit code 9 without it)\n"
	"  -o FILE           write the report to FILE instead of standard output\n"
	"  --patterns FILE   use this pattern library instead of the built-in one\n"
	"  --sign-key FILE   sign the case hash with this Ed25519 private key (PEM: openssl genpkey\n"
	"                    -algorithm ed25519 -out FILE); check with: provenance verify --pubkey\n"
	"  --no-store        an exploratory run: nothing is stored, and the report says in its first\n"
	"                    line that it is not a stored case and has no chain of custody\n"
	"  --exclude-control NAME  leave this corpus model out of the control panel and the null\n"
	"                    (repeatable; e.g. a control the report flags as contaminated); recorded in\n"
	"                    the report's parameters\n"
	"  --logged FILE     the teacher answers the suspect is accused of having been trained on (the logged\n"
	"                    API replies); with --fresh, adds the own-control test (docs/method.md): is the\n"
	"                    suspect closer to the logged answer than to fresh answers of the same teacher?\n"
	"  --fresh FILE      fresh answers of the same teacher model and settings to the same prompts, never\n"
	"                    shown to the suspect (repeatable; a file may hold several answers per prompt)\n"
	"  --draws N         Monte Carlo draws of the own-control test (default 0: the exact test, unless it\n"
	"                    is too costly, then 100000 draws)\n"
	"  --seed N          seed of those draws (default 1)\n"
	"  -q, --quiet       no line saying where the case and the report went\n"
	"\n"
	"The database must exist (import a corpus first), except for the own-control test: with --logged\n"
	"and no database, only that test is run and nothing is stored. After storing the case the chain\n"
	"head (the case's id and hash) is printed on standard error: keep it outside the database.\n";

int cmd_write_output(const char *path, const char *data, size_t len)
{
	FILE *fp;
	int rc;

	if (!path || !strcmp(path, "-")) {
		if (fwrite(data, 1, len, stdout) != len)
			return prov_error(PROV_EIO, "write error on standard output");
		return 0;
	}
	if ((rc = cmd_check_output(path, cmd_db_path)))
		return rc;
	fp = fopen(path, "wb");
	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot write: %s", path, strerror(errno));
	if (fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		return prov_error(PROV_EIO, "%s: write error", path);
	return 0;
}

/*
 * The document of an exploratory scan (--no-store): the report with a "case"
 * header that says it is not stored ({"stored": false, "name"}). The caller owns *out.
 */
static int unstored_doc(json_t **out, const json_t *report, const char *name)
{
	json_t *doc = json_object(), *c = json_object(), *val;
	const char *key;

	*out = NULL;
	if (!doc || !c) {
		json_decref(doc);
		json_decref(c);
		return prov_error(PROV_ENOMEM, "out of memory");
	}
	json_object_set(doc, "schema", json_object_get(report, "schema"));
	json_object_set_new(c, "stored", json_false());
	json_object_set_new(c, "name", json_string(name));
	json_object_set_new(doc, "case", c);
	json_object_foreach((json_t *)report, key, val)
		if (strcmp(key, "schema") && strcmp(key, "case"))
			json_object_set(doc, key, val);
	*out = doc;
	return 0;
}

/*
 * scan --logged --fresh without a database: the own-control test alone, as an
 * unstored document (*out, the caller's).
 */
static int scan_own_control_only(json_t **out, const struct ownctl_opts *oc, const char *arg, const char *name,
	const char *patterns)
{
	struct pat_lib *lib = NULL;
	struct suspect *sus = NULL;
	json_t *ss = NULL;
	const char *nm;
	int rc;

	*out = NULL;
	if ((rc = session_load_patterns(&lib, patterns)) || (rc = suspect_load(&sus, cmd_input_path(arg), lib)))
		goto done;
	nm = name ? name : suspect_default_name(sus);
	if (!cmd_valid_name(nm)) {
		rc = prov_error(PROV_EDATA, "%s: the suspect's name \"%s\" (from its model field or file name) is not 1 to"
			" %d printable characters; give --name NAME", sus->path, nm, CMD_MAX_NAME);
		goto done;
	}
	if ((rc = ownctl_build(&ss, sus, oc, lib)))
		goto done;
	rc = ownctl_only_doc(out, sus, nm, ss, lib);
done:
	suspect_free(sus);
	pat_lib_free(lib);
	return rc;
}

int cmd_scan(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "teacher", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "sign-key", required_argument, NULL, 'k' },
		{ "no-store", no_argument, NULL, 'N' },
		{ "exclude-control", required_argument, NULL, 'X' },
		{ "logged", required_argument, NULL, 'L' },
		{ "fresh", required_argument, NULL, 'F' },
		{ "draws", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *format = NULL, *output = NULL, *patterns = NULL, *sign_key = NULL;
	struct case_key *key = NULL;
	struct ownctl_opts oc = { NULL, { NULL }, 0, 0, 1 };
	json_t *ss = NULL;
	int no_store = 0;
	const char *teachers[MAX_TEACHERS], *excluded[MAX_TEACHERS];
	size_t nexcluded = 0;
	struct session *sub = NULL;
	size_t nteachers = 0;
	struct session *se = NULL;
	struct suspect *sus = NULL;
	struct pat_lib *slib = NULL;
	json_t *doc = NULL, *full = NULL;
	struct pbuf stored = PBUF_INIT(0), rendered = PBUF_INIT(0);
	struct case_info ci;
	struct progress pg;
	double t[6] = { 0, 0, 0, 0, 0, 0 };
	const char *nm;
	int c, rc = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":n:t:f:o:p:h", longopts, "scan")) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 't':
			if (nteachers == MAX_TEACHERS)
				return cmd_usage_error("scan", "at most %d --teacher options", MAX_TEACHERS);
			teachers[nteachers++] = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			patterns = optarg;
			break;
		case 'k':
			sign_key = optarg;
			break;
		case 'X':
			if (nexcluded == MAX_TEACHERS)
				return cmd_usage_error("scan", "at most %d --exclude-control options", MAX_TEACHERS);
			excluded[nexcluded++] = optarg;
			break;
		case 'N':
			no_store = 1;
			break;
		case 'L':
			oc.logged = optarg;
			break;
		case 'F':
			if (oc.nfresh == OWNCTL_MAX_FILES)
				return cmd_usage_error("scan", "at most %d --fresh options", OWNCTL_MAX_FILES);
			oc.fresh[oc.nfresh++] = optarg;
			break;
		case 'D':
		case 'S': {
			long v = cmd_parse_long(optarg);

			if (v < 0 || (c == 'D' && v > 1000000000L))
				return cmd_usage_error("scan", "--%s must be %s, not '%s'", c == 'D' ? "draws" : "seed",
					c == 'D' ? "0 to 1000000000" : "a number >= 0", optarg);
			if (c == 'D')
				oc.draws = (uint64_t)v;
			else
				oc.seed = (uint64_t)v;
			break;
		}
		case 'h':
			fputs(scan_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (!format)   /* a person at a terminal reads Markdown; a pipe or a file gets the JSON document */
		format = !output && isatty(STDOUT_FILENO) ? "md" : "json";
	if (!casedoc_format_ok(format))
		return cmd_usage_error("scan", "--format must be json, md, html or pdf, not '%s'", format);
	if (!strcmp(format, "pdf") && !output && isatty(STDOUT_FILENO))
		return cmd_usage_error("scan", "--format pdf writes a binary file: give -o FILE.pdf");
	/* before any work: a scan must not store a case and then fail for want of a renderer */
	if ((rc = casedoc_pdf_check("scan", format)))
		return rc;
	if (optind >= argc)
		return cmd_usage_error("scan", "no suspect file given");
	if ((rc = cmd_check_output(output, ctx->db_path)))
		return cmd_fail(rc);
	if (optind + 1 < argc)
		return cmd_usage_error("scan", "one suspect file at a time (for many, use: provenance audit)");
	if (name && !cmd_valid_name(name))
		return cmd_usage_error("scan", "--name must be 1 to %d printable characters", CMD_MAX_NAME);
	if (!oc.logged != !oc.nfresh)
		return cmd_usage_error("scan", "the own-control test needs both --logged FILE and --fresh FILE");
	progress_init(&pg);
	t[0] = progress_elapsed(&pg);
	if (oc.logged && cmd_need_db(ctx->db_path) == PROV_ENOTFOUND) {
		if ((rc = scan_own_control_only(&full, &oc, argv[optind], name, patterns)) ||
		    (rc = casedoc_render(&rendered, full, format)) ||
		    (rc = cmd_write_output(output, rendered.data, rendered.len)))
			goto done;
		if (!cmd_quiet)
			fprintf(stderr, "provenance: no database at %s: the own-control test only, not stored%s%s\n",
				cmd_esc(ctx->db_path), output ? "; report written to " : "", output ? cmd_esc(output) : "");
		goto done;
	}
	/*
	 * The suspect is read before the corpus is opened: a scan that fails on its input writes
	 * nothing (not even the preparation cache), and --no-store opens the database read-only.
	 */
	if ((sign_key && (rc = case_key_load(&key, sign_key, 1))) || (rc = cmd_need_db(ctx->db_path)) ||
	    (rc = session_load_patterns(&slib, patterns)) ||
	    (rc = suspect_load(&sus, cmd_input_path(argv[optind]), slib)) ||
	    (rc = session_open(&se, ctx->db_path, patterns, no_store)))
		goto done;
	case_use_signer(se->store, key);
	if (nexcluded) {
		size_t k, m;

		for (k = 0; k < nexcluded; k++) {
			for (m = 0; m < se->snap->nmodels && strcmp(se->models[m].name, excluded[k]); m++)
				;
			if (m == se->snap->nmodels) {
				rc = prov_error(PROV_ENOTFOUND, "--exclude-control: no model named \"%s\" in the corpus (see:"
					" provenance corpus list)", cmd_esc(excluded[k]));
				goto done;
			}
		}
		if ((rc = session_without(&sub, se, excluded, nexcluded)))
			goto done;
	}
	t[1] = progress_elapsed(&pg);
	if (!strcmp(argv[optind], "-")) {
		/* recorded as `-`: `sha256sum -` and `provenance scan -` re-check it from standard input */
		char *dash = prov_strdup("-");

		if (!dash) {
			rc = PROV_ENOMEM;
			goto done;
		}
		free(sus->path);
		sus->path = dash;
	}
	t[2] = progress_elapsed(&pg);
	nm = name ? name : suspect_default_name(sus);
	if (!cmd_valid_name(nm)) {
		rc = prov_error(PROV_EDATA, "%s: the suspect's name \"%s\" (from its model field or file name) is not 1 to"
			" %d printable characters; give --name NAME", sus->path, nm, CMD_MAX_NAME);
		goto done;
	}
	if ((rc = analyse(&doc, sub ? sub : se, sus, 0, sus->n, nm, teachers, nteachers)))
		goto done;
	if (!cmd_quiet && json_object_get(json_object_get(doc, "conclusion"), "cause"))
		fprintf(stderr, "provenance: %s\n", json_string_value(json_object_get(json_object_get(doc, "conclusion"),
			"statement")));
	if (oc.logged) {
		if ((rc = ownctl_build(&ss, sus, &oc, se->lib)))
			goto done;
		json_object_set_new(doc, "sample_specific", ss);
	}
	t[3] = progress_elapsed(&pg);
	if (no_store) {
		if ((rc = unstored_doc(&full, doc, nm)))
			goto done;
		t[4] = progress_elapsed(&pg);
		if ((rc = casedoc_render(&rendered, full, format)))
			goto done;
	} else {
		/* store the case, then render what was stored, exactly as `report` will */
		if ((rc = casedoc_store(&ci, &stored, se->store, doc, sus, 0, sus->n, nm, NULL)))
			goto done;
		t[4] = progress_elapsed(&pg);
		if ((rc = casedoc_build(&full, stored.data, stored.len, &ci)) ||
		    (rc = casedoc_render(&rendered, full, format)))
			goto done;
	}
	rc = cmd_write_output(output, rendered.data, rendered.len);
	t[5] = progress_elapsed(&pg);
	if (getenv("PROVENANCE_TIMING")) {
		struct rusage ru;
		char how[96];

		if (se->prep_cached)
			snprintf(how, sizeof(how), "cached");
		else if (se->nchunks)
			snprintf(how, sizeof(how), "computed in %zu chunks of prompts", se->nchunks);
		else
			snprintf(how, sizeof(how), "computed with every answer in memory");
		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "timing: open corpus %.3f s (preparation %s %.3f s), read suspect %.3f s, analyse %.3f s,"
			" store case %.3f s, render %.3f s; %zu answers, %.0f answers/s; memory limit %zu MB, peak %ld MB\n",
			t[1] - t[0], how, se->prep_seconds, t[2] - t[1], t[3] - t[2], t[4] - t[3], t[5] - t[4], sus->n,
			(double)sus->n / (t[5] - t[0]), se->limit >> 20, ru.ru_maxrss / 1024);
	}
	if (!rc && output && !cmd_quiet) {
		if (no_store)
			fprintf(stderr, "provenance: not stored (--no-store); report written to %s\n", cmd_esc(output));
		else
			fprintf(stderr, "provenance: case %lld stored (%s); report written to %s\n", (long long)ci.id,
				ci.verdict, cmd_esc(output));
	}
	if (!rc && !no_store && !cmd_quiet)
		cmd_print_head(se->store);
done:
	pbuf_release(&stored);
	pbuf_release(&rendered);
	json_decref(full);
	json_decref(doc);
	suspect_free(sus);
	pat_lib_free(slib);
	session_close(sub);
	session_close(se);
	case_key_free(key);
	return rc ? cmd_fail(rc) : EXIT_OK;
}
