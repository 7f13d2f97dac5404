/*
 * cmd_inspect.c: `provenance inspect FILE`: what the engine sees in each response.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/session.h"

static const char inspect_usage[] =
	"usage: provenance inspect FILE [--format text|jsonl] [--patterns FILE]\n"
	"\n"
	"For every line of FILE (JSONL or JSONL.gz, any input shape; `-` reads standard input): the\n"
	"refusal verdict, its template family and its kind (decline, lecture, redirect, partial,\n"
	"premise), identity and knowledge-cutoff claims with their strength (strong, weak) and the\n"
	"quoted sentence, and the stylometric numbers. Needs no database.\n"
	"\n"
	"  --format text    one line per response (default)\n"
	"  --format jsonl   one JSON object per response:\n"
	"                   {\"id\", \"line\", \"words\", \"refusal\", \"refusal_style\", \"refusal_kind\",\n"
	"                    \"refusal_text\", \"identity\": [{\"claims\", \"kind\", \"text\", \"strength\"}],\n"
	"                    \"style\": {...}}\n";

static json_t *record_json(const struct srec *r, const struct feat *f, const struct pat_lib *lib)
{
	json_t *o = json_object(), *ids = json_array(), *st = json_object();
	struct pat_refusal ref;
	struct pat_claim *cl = NULL;
	size_t n = 0, k, tlen = r->response_len;
	char *nfc = NULL;
	const char *text = r->response;

	/* the pattern library's offsets refer to the NFC form of the text */
	if (pat_nfc(r->response, r->response_len, &nfc, &tlen) == 0 && nfc)
		text = nfc;

	json_object_set_new(o, "id", r->id ? json_string(r->id) : json_null());
	json_object_set_new(o, "line", json_integer(r->line));
	json_object_set_new(o, "words", json_integer(f->ntok));
	json_object_set_new(o, "refusal", json_boolean(f->refused));
	json_object_set_new(o, "refusal_style", f->refused && f->refusal_family[0] ?
		json_string(f->refusal_family) : json_null());
	json_object_set_new(o, "refusal_kind", f->refused && pat_shape_name(f->refusal_kind) ?
		json_string(pat_shape_name(f->refusal_kind)) : json_null());
	if (f->refused && pat_find_refusal(lib, text, tlen, &ref) == 0 && ref.refused)
		json_object_set_new(o, "refusal_text", json_stringn(text + ref.start, ref.end - ref.start));
	else
		json_object_set_new(o, "refusal_text", json_null());
	if (f->nclaims && pat_find_claims(lib, text, tlen, &cl, &n) == 0) {
		for (k = 0; k < n; k++) {
			json_t *c = json_object();

			json_object_set_new(c, "claims", json_string(cl[k].family));
			json_object_set_new(c, "kind", json_string(cl[k].kind == PAT_CUTOFF ? "cutoff" : "identity"));
			json_object_set_new(c, "text", json_stringn(text + cl[k].sent_start,
				cl[k].sent_end - cl[k].sent_start));
			json_object_set_new(c, "strength", pat_strength_name(cl[k].strength) ?
				json_string(pat_strength_name(cl[k].strength)) : json_null());
			json_array_append_new(ids, c);
		}
		free(cl);
	}
	json_object_set_new(o, "identity", ids);
	for (k = 0; k < FEAT_STYLE_DIM; k++)
		json_object_set_new(st, feat_style_name(k), json_real((double)f->style[k]));
	json_object_set_new(o, "style", st);
	free(nfc);
	return o;
}

int cmd_inspect(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "text", *patterns = NULL;
	struct pat_lib *lib = NULL;
	struct suspect *s = NULL;
	size_t i;
	int c, rc = 0;

	(void)ctx;
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":f:p:h", longopts, "inspect")) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'p':
			patterns = optarg;
			break;
		case 'h':
			fputs(inspect_usage, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "jsonl"))
		return cmd_usage_error("inspect", "--format must be text or jsonl, not '%s'", format);
	if (optind + 1 != argc)
		return cmd_usage_error("inspect", optind >= argc ? "no input file given" : "one file at a time");
	if ((rc = session_load_patterns(&lib, patterns)) || (rc = suspect_load_opt(&s, cmd_input_path(argv[optind]), lib, SUSPECT_KEEP_DUPLICATES)))
		goto done;
	if (!strcmp(format, "text"))
		printf("%-12s %6s  %-22s %s\n", "ID", "WORDS", "REFUSAL", "IDENTITY CLAIMS");
	for (i = 0; i < s->n; i++) {
		const struct srec *r = &s->recs[i];
		const struct feat *f = &s->feats[i];

		if (!strcmp(format, "jsonl")) {
			json_t *o = record_json(r, f, lib);
			char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));

			json_decref(o);
			if (!line) {
				rc = prov_error(PROV_ENOMEM, "out of memory");
				goto done;
			}
			puts(line);
			free(line);
		} else {
			char idbuf[32], claims[160] = "", refusal[64];
			size_t k, off = 0;
			const char *shape = pat_shape_name(f->refusal_kind), *strength;

			if (!r->id)
				snprintf(idbuf, sizeof(idbuf), "line %ld", r->line);
			for (k = 0; k < f->nclaims && off < sizeof(claims) - 48; k++) {
				strength = pat_strength_name(f->claim_strength[k]);
				off += (size_t)snprintf(claims + off, sizeof(claims) - off, "%s%s (%s%s%s)", k ? ", " : "",
					f->claims[k], f->claim_kind[k] == PAT_CUTOFF ? "cutoff" : "identity",
					strength ? ", " : "", strength ? strength : "");
			}
			snprintf(refusal, sizeof(refusal), "%s%s%s%s", f->refusal_family[0] ? f->refusal_family : "yes",
				shape ? " (" : "", shape ? shape : "", shape ? ")" : "");
			/* ids and matched text come from the file: escaped for the terminal */
			printf("%-12.12s %6u  %-22s %s\n", r->id ? cmd_esc(r->id) : idbuf, f->ntok,
				f->refused ? cmd_esc(refusal) : "-", off ? cmd_esc(claims) : "-");
		}
		if (ferror(stdout)) {
			rc = prov_error(PROV_EIO, "write error on standard output");
			goto done;
		}
	}
done:
	suspect_free(s);
	pat_lib_free(lib);
	return rc ? cmd_fail(rc) : EXIT_OK;
}
