/*
 * cmd_corpus.c: `provenance corpus import|list|remove|prompts`.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	"  import --labels FILE.tsv [--select source=NAME|GLOB]...\n"
	"             load every teacher and reference of a labels file (or the rows selected)\n"
	"  list [--format text|json]\n"
	"             models, families, roles, counts and source files with their SHA-256\n"
	"  remove --model NAME\n"
	"             remove one model and what only it referenced\n"
	"  prompts [--model NAME] [--format jsonl|json]\n"
	"             write the stored prompts as JSONL ({\"id\", \"prompt\"})\n";

static const char import_usage[] =
	"usage: provenance corpus import [--model NAME] [--family NAME] [--role teacher|reference] [-j N] FILE...\n"
	"       provenance corpus import --labels FILE.tsv [--select source=NAME|GLOB]... [-j N]\n"
	"\n"
	"Each FILE is JSONL, plain or gzip-compressed, one response per line, in one of three shapes:\n"
	"{\"id\", \"prompt\", \"response\", \"model\"}, {\"instruction\", \"output\", \"generator\"} or\n"
	"{\"messages\": [{\"role\": \"user\", ...}, {\"role\": \"assistant\", ...}]}; or one JSON array of\n"
	"such objects (AlpacaEval's model_outputs.json), read one element at a time. `-` reads standard\n"
	"input (recorded as `-`); a pipe or FIFO is read once. A file may hold at most 50000 records\n"
	"and 1 GiB decompressed (raise with PROVENANCE_MAX_RECORDS, PROVENANCE_MAX_INPUT).\n"
	"\n"
	"  --model NAME    store every line under NAME (default: the line's model/generator)\n"
	"  --family NAME   the model's family, e.g. openai, anthropic; `none` for human-data models;\n"
	"                  compared case-insensitively and stored in lower case\n"
	"  --role ROLE     teacher (may have been copied; the default for a new model) or reference\n"
	"                  (a control model)\n"
	"  --labels FILE   a tab-separated labels file (`-`: standard input) with the columns file,\n"
	"                  model, role, family and maker (a header line first; file relative to the\n"
	"                  labels file): every row of role teacher or reference is imported, a\n"
	"                  reference with its maker as its family (its family column when the maker\n"
	"                  is empty); rows of role suspect, showcase or refusal are skipped, any\n"
	"                  other role is an error; the whole file is checked before anything is\n"
	"                  imported\n"
	"  --select SEL    with --labels: only the rows whose source column is NAME (source=NAME) or\n"
	"                  whose file matches the glob SEL (e.g. 'alpaca_eval/*'); repeatable, a row\n"
	"                  any of them selects is imported\n"
	"  -j, --jobs N    worker threads for feature extraction (default: all cores)\n"
	"  -q, --quiet     no line per imported file\n"
	"\n"
	"Each file is one transaction: a malformed line (or a full disk) aborts that file and leaves\n"
	"the database as it was; a database the command created is removed when nothing was\n"
	"imported. Importing the same file again changes nothing. A model whose family or role the\n"
	"import changes is named on standard error with the old and new values, and so is the role\n"
	"a new model was given by default. A warning names a file that adds answers to a model\n"
	"that already had some (a second prompt set?) and a corpus whose prompt sets share no prompt.\n";

/* Family names in one canonical form: ASCII letters in lower case ("OpenAI" -> "openai"). */
static char *canonical_family(const char *f)
{
	char *c = prov_strdup(f), *p;

	for (p = c; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return c;
}

#define MAX_SELECT 16

struct import_opts {
	const char *model, *family, *role;
	const char *select[MAX_SELECT];   /* --select: source=NAME or a glob over the labels' file column */
	int nselect;
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

/* How many answers the model `name` has (0 if there is no such model). */
static int model_answers(struct store *st, const char *name, long *out)
{
	struct store_model_info *m = NULL;
	size_t n = 0, i;
	int rc;

	*out = 0;
	if ((rc = store_models(st, &m, &n)))
		return rc;
	for (i = 0; i < n; i++)
		if (!strcmp(m[i].name, name))
			*out = m[i].responses;
	store_models_free(m, n);
	return 0;
}

/*
 * Import one file in one transaction, read from `path` and recorded as `label`
 * (they differ for standard input). The file is read once, hashed while it is
 * parsed, so a pipe, a FIFO or `<(zcat f.gz)` works; a regular file is hashed
 * first so that one imported before is skipped without parsing it. Sets
 * *added when the file was committed. Returns 0 or a PROV_E* code (message set).
 */
static int import_file(struct store *st, const char *path, const char *label, const struct import_opts *o,
	const char *params, struct progress *pg, int *added)
{
	struct jl_reader *r = NULL;
	struct store_import_stats stats;
	struct import_job job;
	struct stat sb;
	char sha[PROV_SHA256_HEX] = "", when[32];
	uint64_t size = 0;
	long had_answers = 0;
	int rc;

	memset(&stats, 0, sizeof(stats));
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
		if ((rc = jl_hash_file(sha, &size, path)))
			return rc;
		rc = store_source_seen(st, sha, params, when);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (!cmd_quiet)
				printf("%s: unchanged (already imported %s)\n", cmd_esc(label), when);
			return 0;
		}
	}
	if (o->model && (rc = model_answers(st, o->model, &had_answers)))
		return rc;
	if ((rc = jl_open(&r, path, NULL)))
		return rc;
	/* the source's hash is known once it has been read: a placeholder until then */
	if ((rc = store_import_begin(st, label, "pending", size, params)))
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
	if (sha[0] && strcmp(jl_sha256(r), sha) != 0) {
		rc = prov_error(PROV_EIO, "%s: the file changed while it was being imported", label);
		goto done;
	}
	rc = store_import_source(st, jl_sha256(r), jl_size(r), params, when);
	if (rc == 1) {
		/* imported meanwhile by another process (the check above is not inside the transaction) */
		store_import_rollback(st);
		progress_done(pg);
		if (!cmd_quiet)
			printf("%s: unchanged (already imported %s)\n", cmd_esc(label), when);
		rc = 0;
		goto done;
	}
	if (!rc)
		rc = store_import_commit(st, jl_lines(r), jl_records(r));
	if (!rc)
		*added = 1;
	if (!rc && o->model && had_answers > 0 && stats.responses_added > 0)
		fprintf(stderr, "provenance: warning: model %s: %s adds %ld answers to prompts it had not answered; it "
			"already had %ld from other files. If this file is another prompt set (another benchmark), "
			"import it under a model name of its own (e.g. --model %s-2): the scan compares a suspect "
			"with a model on the prompts both answered\n", cmd_esc(o->model), cmd_esc(label),
			stats.responses_added, had_answers, cmd_esc(o->model));
	if (!rc && !cmd_quiet) {
		progress_done(pg);
		printf("%s: %ld responses imported", cmd_esc(label), stats.responses_added);
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

/* One imported file: "-" is standard input, read once like a pipe and recorded as `-`. */
static int import_path(struct store *st, const char *arg, const struct import_opts *o, const char *params,
	struct progress *pg, int *added)
{
	static const char dev[] = "/dev/stdin";
	int rc;

	if (strcmp(arg, "-"))
		return import_file(st, arg, arg, o, params, pg, added);
	rc = import_file(st, dev, "-", o, params, pg, added);
	if (rc && !strncmp(prov_error_msg(), dev, strlen(dev))) {
		/* the message names /dev/stdin: name standard input instead */
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", prov_error_msg() + strlen(dev));
		prov_error(rc, "(standard input)%s", msg);
	}
	return rc;
}

/*
 * Warn when the corpus holds prompt sets that share no prompt: groups of
 * models connected by the prompts they answered (union-find over the rows).
 */
static void warn_prompt_sets(struct store *st, const char *fver)
{
	struct store_snapshot *snap = NULL;
	size_t *parent = NULL, *first = NULL, *nprom = NULL, i, groups = 0;

	if (store_snapshot_load_opt(st, fver, STORE_SNAP_LEAN, &snap) || snap->nmodels < 2)
		goto done;
	parent = prov_calloc(snap->nmodels, sizeof(*parent));
	first = prov_calloc(snap->nprompts, sizeof(*first));   /* first model + 1 that answered each prompt */
	nprom = prov_calloc(snap->nmodels, sizeof(*nprom));
	if (!parent || !first || !nprom)
		goto done;
	for (i = 0; i < snap->nmodels; i++)
		parent[i] = i;
	for (i = 0; i < snap->nrows; i++) {
		size_t m = snap->rows[i].model, p = snap->rows[i].prompt, a, b;

		if (!first[p]) {
			first[p] = m + 1;
			continue;
		}
		for (a = m; parent[a] != a; a = parent[a])
			;
		for (b = first[p] - 1; parent[b] != b; b = parent[b])
			;
		if (a != b)
			parent[a > b ? a : b] = a < b ? a : b;
	}
	for (i = 0; i < snap->nprompts; i++) {
		size_t r = first[i] ? first[i] - 1 : 0;

		if (!first[i])
			continue;
		while (parent[r] != r)
			r = parent[r];
		nprom[r]++;
	}
	for (i = 0; i < snap->nmodels; i++)
		if (parent[i] == i)
			groups++;
	if (groups < 2)
		goto done;
	fprintf(stderr, "provenance: warning: the corpus holds %zu prompt sets that share no prompt:\n", groups);
	for (i = 0; i < snap->nmodels; i++) {
		size_t j, r, k = 0;

		if (parent[i] != i)
			continue;
		fprintf(stderr, "provenance:   %zu prompts answered by", nprom[i]);
		for (j = 0; j < snap->nmodels; j++) {
			for (r = j; parent[r] != r; r = parent[r])
				;
			if (r != i)
				continue;
			if (k < 6)
				fprintf(stderr, "%s %s", k ? "," : "", cmd_esc(snap->models[j].name));
			k++;
		}
		if (k > 6)
			fprintf(stderr, " and %zu more", k - 6);
		fputc('\n', stderr);
	}
	fprintf(stderr, "provenance: a suspect is compared only with the models that answered its prompts; keep one "
		"corpus per prompt set (--db) unless you mean to scan suspects of several\n");
done:
	free(parent);
	free(first);
	free(nprom);
	store_snapshot_free(snap);
}

/* The models before the import, to say afterwards what it changed. */
struct model_snapshot {
	struct store_model_info *m;
	size_t n;
};

static const struct store_model_info *snapshot_find(const struct model_snapshot *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].name, name))
			return &s->m[i];
	return NULL;
}

/* On stderr: each existing model whose family or role changed, each new model given the default role. */
static void report_model_changes(struct store *st, const struct model_snapshot *before, int role_given)
{
	struct model_snapshot after = { NULL, 0 };
	size_t i;

	if (store_models(st, &after.m, &after.n))
		return;
	for (i = 0; i < after.n; i++) {
		const struct store_model_info *a = &after.m[i], *b = snapshot_find(before, a->name);
		const char *fa = a->family ? a->family : "(none)";

		if (!b) {
			if (!role_given && !cmd_quiet)
				fprintf(stderr, "provenance: new model %s: role %s (the default; give --role reference for a "
					"control model), family %s\n", a->name, a->role, fa);
			continue;
		}
		if (strcmp(b->family ? b->family : "(none)", fa))
			fprintf(stderr, "provenance: model %s: family changed from %s to %s\n", a->name,
				b->family ? b->family : "(none)", fa);
		if (strcmp(b->role, a->role))
			fprintf(stderr, "provenance: model %s: role changed from %s to %s\n", a->name, b->role, a->role);
	}
	store_models_free(after.m, after.n);
}

/* A failed file: its message, the note that nothing of it was stored, and the worst exit code so far. */
static int note_failure(const char *label, int rc, int *worst)
{
	int code = cmd_exit_for(rc);
	const char *msg = prov_error_msg();

	if (strstr(msg, "database or disk is full") || strstr(msg, "SQLITE_FULL"))
		fprintf(stderr, "provenance: disk full: %s (free space on the database's file system and import "
			"the file again)\n", cmd_esc_keep(msg, "\n"));
	else if (strstr(msg, "UNIQUE constraint failed"))
		fprintf(stderr, "provenance: %s: another process changed the corpus while this file was imported "
			"(import it again) (%s)\n", cmd_esc(label), cmd_esc_keep(msg, "\n"));
	else
		fprintf(stderr, "provenance: %s\n", cmd_esc_keep(msg, "\n"));
	fprintf(stderr, "provenance: %s: not imported; the database is unchanged by this file\n", cmd_esc(label));
	if (!*worst || code == EXIT_INTERNAL || (*worst != EXIT_INTERNAL && code > *worst))
		*worst = code;
	return rc == PROV_EDB || rc == PROV_ENOMEM || rc == PROV_EINTERNAL;   /* the store itself is in trouble: stop */
}

#define LABELS_MAX_LINE 8192

/* The index of column `name` in a tab-separated header, or -1. */
static int tsv_column(char **cols, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(cols[i], name))
			return i;
	return -1;
}

/* Split a line at tabs in place (at most `max` fields); the number of fields. */
static int tsv_split(char *line, char **cols, int max)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		cols[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* The roles a labels file may give a row; only teacher and reference rows are imported. */
static int known_role(const char *role)
{
	static const char *const roles[] = { "teacher", "reference", "suspect", "showcase", "refusal" };
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(role, roles[i]))
			return 1;
	return 0;
}

/* --select: a row is wanted if no selector is given or one matches (source=NAME, or a glob over file). */
static int row_selected(const struct import_opts *o, const char *file, const char *source)
{
	int i;

	if (!o->nselect)
		return 1;
	for (i = 0; i < o->nselect; i++) {
		const char *sel = o->select[i];

		if (!strncmp(sel, "source=", 7)) {
			if (source && !strcmp(source, sel + 7))
				return 1;
		} else if (fnmatch(sel, file, 0) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * corpus import --labels FILE.tsv: every teacher and reference row (of those
 * --select keeps), each file in its own transaction. The exit code is the
 * worst failure, as for FILE...
 */
static int import_labels(struct store *st, const char *labels, struct import_opts *base, struct progress *pg,
	int *worst, int *failed, int *files, int *added)
{
	FILE *fp = strcmp(labels, "-") ? fopen(labels, "r") : stdin;   /* `-`: paths relative to here */
	char line[LABELS_MAX_LINE], *cols[32], *dir = NULL, *slash;
	int ncol, cfile, cmodel, crole, cfamily, cmaker, csource, rc = 0, skipped = 0, unselected = 0;
	struct lrow { char *path, *model, *role, *family; } *rows = NULL;
	size_t nrows = 0, cap = 0, k;
	long lineno = 1;
	uint64_t max_rows = jl_default_max_records();

	if (!fp)
		return prov_error(PROV_EIO, "%s: cannot open: %s", cmd_resolved(labels), strerror(errno));
	if (!fgets(line, sizeof(line), fp)) {
		if (fp != stdin)
			fclose(fp);
		return prov_error(PROV_EDATA, "%s:1: no header line (empty file)", labels);
	}
	if (!memcmp(line, "\xef\xbb\xbf", 3))   /* a byte-order mark (files saved by spreadsheet programs) */
		memmove(line, line + 3, strlen(line + 3) + 1);
	ncol = tsv_split(line, cols, 32);
	cfile = tsv_column(cols, ncol, "file");
	cmodel = tsv_column(cols, ncol, "model");
	crole = tsv_column(cols, ncol, "role");
	cfamily = tsv_column(cols, ncol, "family");
	cmaker = tsv_column(cols, ncol, "maker");
	csource = tsv_column(cols, ncol, "source");
	if (cfile < 0 || cmodel < 0 || crole < 0 || cfamily < 0) {
		if (fp != stdin)
			fclose(fp);
		return prov_error(PROV_EDATA, "%s:1: the header must name the columns file, model, role and family "
			"(separated by tabs; maker and source optional)%s", labels,
			ncol == 1 ? ": this header has no tab" : "");
	}
	if (csource < 0) {
		int i;

		for (i = 0; i < base->nselect; i++)
			if (!strncmp(base->select[i], "source=", 7)) {
				if (fp != stdin)
					fclose(fp);
				return prov_error(PROV_EDATA, "%s:1: --select %s: the file has no source column", labels,
					base->select[i]);
			}
	}
	dir = prov_strdup(strcmp(labels, "-") ? labels : "");
	if (!dir) {
		if (fp != stdin)
			fclose(fp);
		return PROV_ENOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	/* the whole file is checked before anything is imported: a bad row changes nothing */
	while (fgets(line, sizeof(line), fp)) {
		char path[4096];
		const char *role, *family;
		struct lrow *row;
		int n;

		lineno++;
		if ((uint64_t)lineno > max_rows + 1) {
			rc = prov_error(PROV_EDATA, "%s:%ld: more than %llu rows, the limit for one file (raise it with "
				"PROVENANCE_MAX_RECORDS)", labels, lineno, (unsigned long long)max_rows);
			break;
		}
		if (!strchr(line, '\n') && !feof(fp)) {
			rc = prov_error(PROV_EDATA, "%s:%ld: line longer than %d bytes", labels, lineno, LABELS_MAX_LINE);
			break;
		}
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		n = tsv_split(line, cols, 32);
		if (n <= cfile || n <= cmodel || n <= crole || n <= cfamily) {
			rc = prov_error(PROV_EDATA, "%s:%ld: %d columns, the header has %d", labels, lineno, n, ncol);
			break;
		}
		role = cols[crole];
		if (!known_role(role)) {
			rc = prov_error(PROV_EDATA, "%s:%ld: unknown role '%s' (a row is teacher, reference, suspect, "
				"showcase or refusal; only teacher and reference rows are imported)", labels, lineno, role);
			break;
		}
		if (!row_selected(base, cols[cfile], csource >= 0 && csource < n ? cols[csource] : NULL)) {
			unselected++;
			continue;
		}
		if (strcmp(role, "teacher") && strcmp(role, "reference")) {
			skipped++;
			continue;
		}
		family = cols[cfamily];
		if (!strcmp(role, "reference") && cmaker >= 0 && cmaker < n && cols[cmaker][0])
			family = cols[cmaker];
		if (!cols[cfile][0] || !cmd_valid_name(cols[cmodel]) || (family[0] && !cmd_valid_name(family))) {
			rc = prov_error(PROV_EDATA, "%s:%ld: a %s row needs a file, a model name and a family", labels,
				lineno, role);
			break;
		}
		if ((rc = prov_grow(&rows, &cap, nrows, sizeof(*rows), 16)))
			break;
		row = &rows[nrows++];
		snprintf(path, sizeof(path), "%s%s", cols[cfile][0] == '/' ? "" : dir, cols[cfile]);
		row->path = prov_strdup(path);
		row->model = prov_strdup(cols[cmodel]);
		row->role = prov_strdup(role);
		row->family = family[0] ? canonical_family(family) : NULL;
		if (!row->path || !row->model || !row->role || (family[0] && !row->family)) {
			rc = PROV_ENOMEM;
			break;
		}
	}
	if (!rc && ferror(fp))
		rc = prov_error(PROV_EIO, "%s: read error", labels);
	for (k = 0; !rc && k < nrows; k++) {
		struct import_opts o = *base;
		char *params;

		o.model = rows[k].model;
		o.role = rows[k].role;
		o.family = rows[k].family;
		if (!(params = import_params(&o))) {
			rc = PROV_ENOMEM;
			break;
		}
		(*files)++;
		rc = import_path(st, rows[k].path, &o, params, pg, added);
		free(params);
		if (rc) {
			int stop = note_failure(rows[k].path, rc, worst);

			(*failed)++;
			rc = 0;
			if (stop)
				break;
		}
	}
	for (k = 0; k < nrows; k++) {
		free(rows[k].path);
		free(rows[k].model);
		free(rows[k].role);
		free(rows[k].family);
	}
	free(rows);
	if (fp != stdin)
		fclose(fp);
	free(dir);
	if (!rc && skipped && !cmd_quiet)
		fprintf(stderr, "provenance: %s: %d row%s of another role (suspect, ...) not imported\n", labels, skipped,
			skipped == 1 ? "" : "s");
	if (!rc && unselected && !cmd_quiet)
		fprintf(stderr, "provenance: %s: %d row%s not selected by --select\n", labels, unselected,
			unselected == 1 ? "" : "s");
	if (!rc && *files == 0)
		rc = prov_error(PROV_EDATA, "%s: no row of role teacher or reference%s", labels,
			base->nselect ? " among the selected rows" : "");
	return rc;
}

static int corpus_import(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "family", required_argument, NULL, 'f' },
		{ "role", required_argument, NULL, 'r' },
		{ "labels", required_argument, NULL, 'l' },
		{ "select", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct import_opts o;
	struct pat_lib *lib = NULL;
	struct store *st = NULL;
	struct progress pg;
	struct model_snapshot before = { NULL, 0 };
	const char *labels = NULL;
	char *params = NULL, *family = NULL;
	int c, i, rc = 0, worst = 0, failed = 0, nfiles, added = 0, db_existed = 1;

	memset(&o, 0, sizeof(o));
	o.threads = cmd_default_threads();
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":m:f:r:l:s:j:h", longopts, "corpus import")) != -1) {
		switch (c) {
		case 's':
			if (o.nselect == MAX_SELECT)
				return cmd_usage_error("corpus import", "at most %d --select options", MAX_SELECT);
			if (!optarg[0] || !strcmp(optarg, "source="))
				return cmd_usage_error("corpus import", "--select takes source=NAME or a glob over the "
					"labels file's file column, e.g. 'alpaca_eval/*'");
			o.select[o.nselect++] = optarg;
			break;
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
		case 'l':
			labels = optarg;
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
	if (labels && (nfiles || o.model || o.family || o.role))
		return cmd_usage_error("corpus import", "--labels takes the files, models, roles and families from the "
			"labels file: no FILE, --model, --family or --role with it");
	if (!labels && nfiles < 1)
		return cmd_usage_error("corpus import", "no input file given");
	if (!labels && o.nselect)
		return cmd_usage_error("corpus import", "--select chooses rows of a labels file: give --labels FILE.tsv");
	if (o.family && !(o.family = family = canonical_family(o.family)))
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	params = import_params(&o);
	if (!params) {
		free(family);
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	}
	{
		size_t plen = 0;
		const char *ptext = pat_builtin_text(&plen);

		if ((rc = pat_lib_new(&lib, ptext, plen, "built-in patterns")))
			goto done;
	}
	o.lib = lib;
	feat_version_string(o.fver, lib);
	db_existed = strncmp(ctx->db_path, "file:", 5) == 0 || access(ctx->db_path, F_OK) == 0;
	if ((rc = store_open(&st, ctx->db_path, 0)) || (rc = store_models(st, &before.m, &before.n)))
		goto done;
	progress_init(&pg);
	if (labels) {
		nfiles = 0;
		rc = import_labels(st, labels, &o, &pg, &worst, &failed, &nfiles, &added);
	} else {
		for (i = optind; i < argc; i++) {
			rc = import_path(st, argv[i], &o, params, &pg, &added);
			if (rc) {
				int stop = note_failure(argv[i], rc, &worst);

				failed++;
				rc = 0;
				if (stop) {
					int j;

					/* the store itself is in trouble: say which files were not tried */
					for (j = i + 1; j < argc; j++)
						fprintf(stderr, "provenance: %s: not tried (the import stopped at the error above)\n",
							cmd_esc(argv[j]));
					failed += argc - i - 1;
					break;
				}
			}
		}
	}
	if (failed && nfiles > 1)
		fprintf(stderr, "provenance: %d of %d files failed\n", failed, nfiles);
	report_model_changes(st, &before, o.role != NULL || labels != NULL);
	if (added)
		warn_prompt_sets(st, o.fver);
done:
	store_models_free(before.m, before.n);
	store_close(st);
	if (st && !db_existed && !added && (rc || worst)) {
		/* nothing was imported into a database this command created: leave no empty file behind */
		static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
		char f[4096];
		size_t k;

		for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
			snprintf(f, sizeof(f), "%s%s", ctx->db_path, sfx[k]);
			unlink(f);
		}
	}
	pat_lib_free(lib);
	free(params);
	free(family);
	if (rc)
		return cmd_fail(rc);
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
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	struct store_model_info *m = NULL;
	size_t n = 0, i, j;
	int c, rc, as_json = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":jf:h", longopts, "corpus list")) != -1) {
		switch (c) {
		case 'j':
			as_json = 1;
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return cmd_usage_error("corpus list", "--format must be text or json, not '%s'", optarg);
			as_json = !strcmp(optarg, "json");
			break;
		case 'h':
			fputs("usage: provenance corpus list [--format text|json]\n"
			      "Each model: family, role, responses, distinct prompts, and the files it came from with\n"
			      "their SHA-256.\n"
			      "\n"
			      "  --format FORMAT  text (default) or json (an array: model, family, role, responses,\n"
			      "                   prompts, sources [{path, sha256, size, lines, responses, imported_at,\n"
			      "                   tool_version}]); --json is the same as --format json\n", stdout);
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
		int wm = 34, wf = 12;

		for (i = 0; i < n; i++) {   /* columns as wide as their longest name */
			if ((int)strlen(m[i].name) > wm)
				wm = (int)strlen(m[i].name);
			if (m[i].family && (int)strlen(m[i].family) > wf)
				wf = (int)strlen(m[i].family);
		}
		printf("%-*s %-*s %-10s %9s %8s\n", wm, "MODEL", wf, "FAMILY", "ROLE", "RESPONSES", "PROMPTS");
		for (i = 0; i < n; i++) {
			printf("%-*s %-*s %-10s %9ld %8ld\n", wm, cmd_esc(m[i].name), wf, m[i].family ? cmd_esc(m[i].family) : "-",
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

/* ctx: NULL to print JSONL, else a JSON array to append to (--format json). */
static int print_prompt(void *ctx, const char *ext_id, const char *text, size_t len)
{
	json_t *o = json_object();
	char *s;

	if (ext_id)
		json_object_set_new(o, "id", json_string(ext_id));
	json_object_set_new(o, "prompt", json_stringn(text, len));
	if (ctx)
		return json_array_append_new(ctx, o) ? prov_error(PROV_ENOMEM, "out of memory") : 0;
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
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st = NULL;
	const char *model = NULL;
	json_t *arr = NULL;
	int c, rc, as_json = 0;

	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":m:f:h", longopts, "corpus prompts")) != -1) {
		switch (c) {
		case 'm':
			model = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "jsonl"))
				return cmd_usage_error("corpus prompts", "--format must be jsonl or json, not '%s'", optarg);
			as_json = !strcmp(optarg, "json");
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			fputs("usage: provenance corpus prompts [--model NAME] [--format jsonl|json]\n"
			      "Writes every stored prompt (or those NAME answered) as JSONL {\"id\", \"prompt\"},\n"
			      "in import order, so a suspect can be asked exactly the teachers' prompts.\n"
			      "\n"
			      "  --model NAME     only the prompts NAME answered\n"
			      "  --format FORMAT  jsonl (default: one object per line) or json (one array)\n", stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("corpus prompts", "unexpected argument '%s'", argv[optind]);
	if ((rc = store_open(&st, ctx->db_path, STORE_RDONLY)))
		return cmd_fail(rc);
	if (as_json && !(arr = json_array())) {
		store_close(st);
		return cmd_fail(prov_error(PROV_ENOMEM, "out of memory"));
	}
	rc = store_each_prompt(st, model, print_prompt, arr);
	store_close(st);
	if (!rc && arr) {
		char *txt = json_dumps(arr, JSON_INDENT(2));

		if (txt)
			printf("%s\n", txt);
		else
			rc = prov_error(PROV_ENOMEM, "out of memory");
		free(txt);
	}
	json_decref(arr);
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
