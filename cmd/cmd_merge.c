/*
 * cmd_merge.c: `provenance merge OUT.db IN.db...`: unite the cases of several
 * evidence databases (the shards of an audit) in one chain.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "corpus/cases.h"
#include "corpus/merge.h"

static const char merge_usage[] =
	"usage: provenance merge OUT.db IN.db...\n"
	"\n"
	"Appends the cases of each IN database (inputs in the order given, cases in id order) to OUT's\n"
	"evidence chain (OUT is created if missing and may already hold cases). Every input case is\n"
	"verified first; a case that does not verify stops the merge before anything is written (exit 3).\n"
	"A copied case gets a new id and chain hashes; its report, answers, suspect record and time are\n"
	"copied unchanged and its origin records IN.db#ID:HASH. A case already in OUT (merged before)\n"
	"is skipped. --db is not used. -q: nothing is printed but errors.\n"
	"\n"
	"  --sign-key FILE   sign every merged case's new hash with this Ed25519 private key (PEM)\n";

struct merge_out {
	const char *dst;
	size_t merged, skipped;
};

static int on_case(void *ctx, const struct merge_event *ev)
{
	struct merge_out *m = ctx;

	if (cmd_quiet) {   /* -q: only the counts are kept */
		if (ev->skipped)
			m->skipped++;
		else
			m->merged++;
		return 0;
	}
	if (ev->skipped) {
		printf("skipped %s#%lld (%s): already in %s as case %lld\n", cmd_esc(ev->label), (long long)ev->src_id,
			cmd_esc(ev->name), cmd_esc(m->dst), (long long)ev->dst_id);
		m->skipped++;
	} else {
		printf("merged %s#%lld (%s) as case %lld\n", cmd_esc(ev->label), (long long)ev->src_id, cmd_esc(ev->name),
			(long long)ev->dst_id);
		m->merged++;
	}
	return 0;
}

int cmd_merge(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "sign-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store **in = NULL, *out = NULL;
	struct merge_seen *seen = NULL;
	struct merge_out mo;
	struct case_key *key = NULL;
	const char *sign_key = NULL;
	size_t nin, i, total = 0;
	int c, rc = 0;

	(void)ctx;
	cmd_getopt_reset();
	while ((c = cmd_getopt(argc, argv, ":h", longopts, "merge")) != -1) {
		if (c == 'k') {
			sign_key = optarg;
			continue;
		}
		if (c == 'h') {
			fputs(merge_usage, stdout);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind >= argc)
		return cmd_usage_error("merge", "no output database given");
	if (optind + 1 >= argc)
		return cmd_usage_error("merge", "no input database given");
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (!*argv[i])
			return cmd_usage_error("merge", "an empty database name");
	nin = (size_t)(argc - optind - 1);
	in = prov_calloc(nin, sizeof(*in));
	if (!in)
		return cmd_fail(PROV_ENOMEM);
	memset(&mo, 0, sizeof(mo));
	mo.dst = argv[optind];
	/* every input case verifies, or nothing is written */
	for (i = 0; i < nin && !rc; i++) {
		const char *label = argv[optind + 1 + i];
		size_t n = 0;

		if (!(rc = store_open(&in[i], label, STORE_RDONLY | STORE_MUST_EXIST)) &&
		    !(rc = merge_check(in[i], label, &n)))
			total += n;
	}
	if (rc)
		goto done;
	if ((sign_key && (rc = case_key_load(&key, sign_key, 1))) || (rc = store_open(&out, mo.dst, 0)) ||
	    (rc = merge_seen_load(&seen, out)))
		goto done;
	case_use_signer(out, key);
	for (i = 0; i < nin && !rc; i++)
		rc = merge_cases(out, seen, in[i], argv[optind + 1 + i], on_case, &mo);
	if (!rc && !cmd_quiet)
		printf("%zu case%s merged into %s from %zu database%s (%zu case%s in all); %zu already there, skipped\n",
			mo.merged, mo.merged == 1 ? "" : "s", cmd_esc(mo.dst), nin, nin == 1 ? "" : "s", total,
			total == 1 ? "" : "s", mo.skipped);
	if (!rc && mo.merged)
		cmd_print_head(out);
done:
	merge_seen_free(seen);
	store_close(out);
	case_key_free(key);
	for (i = 0; in && i < nin; i++)
		store_close(in[i]);
	free(in);
	return rc ? cmd_fail(rc) : EXIT_OK;
}
