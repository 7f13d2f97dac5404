/*
 * cmd_corpus.c: `provenance corpus import|list|remove|prompts`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/importer.h"
#include "corpus/jsonl.h"
#include "corpus/store.h"
#include "detect/features.h"
#include "detect/patterns.h"
#include "detect/text.h"


static const char corpus_usage[] =
	"usage: provenance [--db FILE] corpus VERB [ARGS]\n"
	"\n"
	"  import [--model NAME] [--family NAME] [--role teacher|reference] FILE...\n"
	"             load responses (JSONL or JSONL.gz) into the corpus\n"
	"  list [--json]\n"
	"             models, families, roles, counts and source files with their SHA-256\n"
	"  remove --model NAME\n"
	"             remove one model and what only it referenced\n"
	"  prompts [--model NAME]\n"
	"             write the stored prompts as JSONL ({\"id\", \"prompt\"})\n";

static const char import_usage[] =
	"usage: provenance corpus import [--model NAME] [--family NAME] [--role teacher|reference] [-j N] FILE...\n"
	"\n"
	"Each FILE is JSONL, plain or gzip-compressed, one response per line:\n"
	"  {\"id\", \"prompt\", \"response\", \"model\"}, {\"instruction\", \"output\", \"generator\"}\n"
	"  or {\"messages\": [{\"role\": \"user\", ...}, {\"role\": \"assistant\", ...}]}.\n"
	"\n"
	"  --model NAME    store every line under NAME (default: the line's model/generator)\n"
	"  --family NAME   the model's family, e.g. openai, anthropic; `none` for human-data models\n"
	"  --role ROLE     teacher (may have been copied; default) or reference (independent control)\n"
	"  -j, --jobs N    worker threads for feature extraction (default: all cores)\n"
	"\n"
	"Each file is one transaction: a malformed line aborts that file and leaves the\n"
	"database as it was. Importing the same file again changes nothing.\n";

struct import_opts {
	const char *model, *family, *role;
	const struct pat_lib *lib;
	char fver[80];
	int threads;
};

static char *import_params(const struct import_opts *o)
{
	json_t *j = json_object();
	char *s;

	if (!j)
		return NULL;
	json_object_set_new(j, "family", o->family ? json_string(o->family) : json_null());
	json_object_set_new(j, "model", o->model ? json_string(o->model) : json_null());
	json_object_set_new(j, "role", o->role ? json_string(o->role) : json_null());
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* Import one file in one transaction. Returns 0 or a PROV_E* code (message set). */
static int import_file(struct store *st, const char *path, const struct import_opts *o,
	const char *params, struct progress *pg)
{
	struct jl_reader *r = NULL;
	struct store_import_stats stats;
	struct import_job job;
	char sha[PROV_SHA256_HEX], when[32];
	uint64_t size = 0;
	int rc;

	memset(&stats, 0, sizeof(stats));
	if ((rc = jl_hash_file(sha, &size, path)))
		return rc;
	rc = store_source_seen(st, sha, params, when);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		printf("%s: unchanged (already imported %s)\n", cmd_esc(path), when);
		return 0;
	}
	if ((rc = jl_open(&r, path, NULL)))
		return rc;
	if ((rc = store_import_begin(st, path, sha, size, params)))
		goto done;
	memset(&job, 0, sizeof(job));
	job.model = o->model;
	job.family = o->family;
	job.role = o->role;
	job.lib = o->lib;
	job.fver = o->fver;
	job.threads = o->threads;
	job.pg = pg;
	if ((rc = import_records(st, r, &job, &stats)))
		goto done;
	if (strcmp(jl_sha256(r), sha) != 0) {
		rc = prov_error(PROV_EIO, "%s: the file changed while it was being imported", path);
		goto done;
	}
	rc = store_import_commit(st, jl_lines(r), jl_records(r));
	if (!rc) {
		progress_done(pg);
		printf("%s: %ld responses imported", cmd_esc(path), stats.responses_added);
		if (stats.responses_present)
			printf(", %ld already present", stats.responses_present);
		printf(" (%ld new prompts, %ld new models)\n", stats.prompts_added, stats.models_created);
	}
done:
	progress_done(pg);
	if (rc)
		store_import_rollback(st);
	jl_free(r);
	return rc;
}

static int corpus_import(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "family", required_argument, NULL, 'f' },
		{ "role", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct import_opts o;
	struct pat_lib *lib = NULL;
	struct store *st = NULL;
	struct progress pg;
	char *params = NULL;
	int c, i, rc, worst = 0, failed = 0, nfiles;

	memset(&o, 0, sizeof(o));
	o.threads = cmd_default_threads();
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":m:f:r:j:h", longopts, "corpus import")) != -1) {
		switch (c) {
		case 'j':
			o.threads = (int)cmd_parse_long(optarg);
			if (o.threads < 1 || o.threads > 64)
				return cmd_usage_error("corpus import", "-j takes a number of threads from 1 to 64");
			break;
		case 'm':
			o.model = optarg;
			break;
		case 'f':
			o.family = optarg;
			break;
		case 'r':
			o.role = optarg;
			break;
		case 'h':
			fputs(import_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (o.role && strcmp(o.role, "teacher") && strcmp(o.role, "reference"))
		return cmd_usage_error("corpus import", "--role must be 'teacher' or 'reference', not '%s'", o.role);
	if (o.model && !cmd_valid_name(o.model))
		return cmd_usage_error("corpus import", "--model must be 1 to %d printable characters", CMD_MAX_NAME);
	if (o.family && !cmd_valid_name(o.family))
		return cmd_usage_error("corpus import", "--family must be 1 to %d printable characters", CMD_MAX_NAME);
	nfiles = argc - optind;
	if (nfiles < 1)
		return cmd_usage_error("corpus import", "no input file given");
	params = import_params(&o);
	if (!params)
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	{
		size_t plen = 0;
		const char *ptext = pat_builtin_text(&plen);

		if ((rc = pat_lib_new(&lib, ptext, plen, "built-in patterns"))) {
			free(params);
			return cmd_fail(rc);
		}
	}
	o.lib = lib;
	feat_version_string(o.fver, lib);
	if ((rc = store_open(&st, ctx->db_path, 0))) {
		free(params);
		pat_lib_free(lib);
		return cmd_fail(rc);
	}
	progress_init(&pg);
	for (i = optind; i < argc; i++) {
		rc = import_file(st, argv[i], &o, params, &pg);
		if (rc) {
			int code = cmd_exit_for(rc);

			fprintf(stderr, "provenance: %s\n", cmd_esc_keep(prov_error_msg(), "\n"));
			fprintf(stderr, "provenance: %s: not imported; the database is unchanged by this file\n",
				cmd_esc(argv[i]));
			failed++;
			if (!worst || code == EXIT_INTERNAL || (worst != EXIT_INTERNAL && code > worst))
				worst = code;
			if (rc == PROV_EDB || rc == PROV_ENOMEM || rc == PROV_EINTERNAL) {
				int j;

				/* the store itself is in trouble: stop, and say which files were not tried */
				for (j = i + 1; j < argc; j++)
					fprintf(stderr, "provenance: %s: not tried (the import stopped at the error above)\n",
						cmd_esc(argv[j]));
				failed += argc - i - 1;
				break;
			}
		}
	}
	if (failed && nfiles > 1)
		fprintf(stderr, "provenance: %d of %d files failed\n", failed, nfiles);
	store_close(st);
	pat_lib_free(lib);
	free(params);
	return worst;
}

static void print_json_model(json_t *arr, const struct store_model_info *m)
{
	json_t *o = json_object(), *srcs = json_array();
	size_t j;

	json_object_set_new(o, "model", json_string(m->name));
	json_object_set_new(o, "family", m->family ? json_string(m->family) : json_null());
	json_object_set_new(o, "role", json_string(m->role));
	json_object_set_new(o, "responses", json_integer(m->responses));
	json_object_set_new(o, "prompts", json_integer(m->prompts));
	for (j = 0; j < m->nsources; j++) {
		const struct store_source_info *s = &m->sources[j];
		json_t *so = json_object();

		json_object_set_new(so, "path", json_string(s->path));
		json_object_set_new(so, "sha256", json_string(s->sha256));
		json_object_set_new(so, "size", json_integer((json_int_t)s->size));
		json_object_set_new(so, "lines", json_integer(s->lines));
		json_object_set_new(so, "responses", json_integer(s->responses));
		json_object_set_new(so, "imported_at", json_string(s->imported_at));
		json_object_set_new(so, "tool_version", json_string(s->tool_version));
		json_array_append_new(srcs, so);
	}
	json_object_set_new(o, "sources", srcs);
	json_array_append_new(arr, o);
}

static int corpus_list(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	struct store_model_info *m = NULL;
	size_t n = 0, i, j;
	int c, rc, as_json = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":jh", longopts, "corpus list")) != -1) {
		switch (c) {
		case 'j':
			as_json = 1;
			break;
		case 'h':
			fputs("usage: provenance corpus list [--json]\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("corpus list", "unexpected argument '%s'", argv[optind]);
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		return cmd_fail(rc);
	rc = store_models(st, &m, &n);
	store_close(st);
	if (rc)
		return cmd_fail(rc);
	if (as_json) {
		json_t *arr = json_array();
		char *s;

		for (i = 0; i < n; i++)
			print_json_model(arr, &m[i]);
		s = json_dumps(arr, JSON_INDENT(2));
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(arr);
	} else if (n == 0) {
		printf("The corpus is empty. Import teacher and reference responses with:\n"
		       "  provenance corpus import --model NAME --family FAMILY --role teacher FILE.jsonl\n");
	} else {
		printf("%-34s %-12s %-10s %9s %8s\n", "MODEL", "FAMILY", "ROLE", "RESPONSES", "PROMPTS");
		for (i = 0; i < n; i++) {
			printf("%-34s %-12s %-10s %9ld %8ld\n", cmd_esc(m[i].name), m[i].family ? cmd_esc(m[i].family) : "-",
				cmd_esc(m[i].role), m[i].responses, m[i].prompts);
			for (j = 0; j < m[i].nsources; j++)
				printf("    %s  sha256:%s  %ld responses\n", cmd_esc(m[i].sources[j].path),
					cmd_esc(m[i].sources[j].sha256), m[i].sources[j].responses);
		}
	}
	store_models_free(m, n);
	return EXIT_OK;
}

static int corpus_remove(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	const char *model = NULL;
	long removed = 0;
	int c, rc;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":m:h", longopts, "corpus remove")) != -1) {
		switch (c) {
		case 'm':
			model = optarg;
			break;
		case 'h':
			fputs("usage: provenance corpus remove --model NAME\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("corpus remove", "unexpected argument '%s'", argv[optind]);
	if (!model)
		return cmd_usage_error("corpus remove", "--model NAME is required");
	if ((rc = store_open(&st, ctx->db_path, STORE_MUST_EXIST)))
		return cmd_fail(rc);
	rc = store_remove_model(st, model, &removed);
	store_close(st);
	if (rc)
		return cmd_fail(rc);
	printf("removed model %s (%ld responses)\n", cmd_esc(model), removed);
	return EXIT_OK;
}

static int print_prompt(void *ctx, const char *ext_id, const char *text, size_t len)
{
	json_t *o = json_object();
	char *s;

	(void)ctx;
	if (ext_id)
		json_object_set_new(o, "id", json_string(ext_id));
	json_object_set_new(o, "prompt", json_stringn(text, len));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return prov_error(PROV_ENOMEM, "out of memory");
	puts(s);
	free(s);
	return ferror(stdout) ? prov_error(PROV_EIO, "write error on standard output") : 0;
}

static int corpus_prompts(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	const char *model = NULL;
	int c, rc;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":m:h", longopts, "corpus prompts")) != -1) {
		switch (c) {
		case 'm':
			model = optarg;
			break;
		case 'h':
			fputs("usage: provenance corpus prompts [--model NAME]\n"
			      "Writes every stored prompt (or those NAME answered) as JSONL {\"id\", \"prompt\"},\n"
			      "in import order, so a suspect can be asked exactly the teachers' prompts.\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("corpus prompts", "unexpected argument '%s'", argv[optind]);
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		return cmd_fail(rc);
	rc = store_each_prompt(st, model, print_prompt, NULL);
	store_close(st);
	return rc ? cmd_fail(rc) : EXIT_OK;
}

static const struct cmd_spec verbs[] = {
	{ "import", corpus_import, "load responses" },
	{ "list", corpus_list, "what is in the corpus" },
	{ "prompts", corpus_prompts, "stored prompts as JSONL" },
	{ "remove", corpus_remove, "remove a model" },
};

int cmd_corpus(int argc, char **argv, struct cmd_ctx *ctx)
{
	return cmd_dispatch(verbs, sizeof(verbs) / sizeof(verbs[0]), "corpus", corpus_usage, argc, argv, ctx);
}
