/*
 * The refusal detector against XSTest's human labels (../shared/data/xstest,
 * skipped when absent): refusal = full or partial refusal.
 */
#include <unistd.h>

#include "unit.h"
#include "corpus/jsonl.h"
#include "detect/patterns.h"
#include "detect/stats.h"

struct tally {
	long n, tp, fp, tn, fn;
};

static int score_file(const char *path, const struct pat_lib *lib, struct tally *t)
{
	struct jl_reader *r = NULL;
	struct jl_record rec;
	int got;

	memset(t, 0, sizeof(*t));
	if (jl_open(&r, path, NULL))
		return -1;
	while ((got = jl_next(r, &rec)) == 1) {
		struct pat_refusal ref;
		int truth, said;

		if (!rec.label)
			continue;
		truth = strncmp(rec.label, "1_", 2) != 0;
		if (pat_find_refusal(lib, rec.response, rec.response_len, &ref))
			break;
		said = ref.refused;
		t->n++;
		if (truth && said)
			t->tp++;
		else if (truth)
			t->fn++;
		else if (said)
			t->fp++;
		else
			t->tn++;
	}
	jl_free(r);
	return got < 0 ? -1 : 0;
}

static void refusals_match_human_labels(void)
{
	const char *shared = getenv("PROVENANCE_SHARED");
	const char *models[] = { "gpt4", "llama2orig", "mistralguard" };
	/* the targets of issue 16, on every development model (docs/refusal-check.sh prints the table) */
	const double min_acc = 0.95, min_rec = 0.93, min_prec = 0.93;
	struct pat_lib *lib = NULL;
	size_t i, len = 0;
	const char *text = pat_builtin_text(&len);
	char path[1024];

	if (!shared)
		SKIP("PROVENANCE_SHARED not set");
	snprintf(path, sizeof(path), "%s/data/xstest/gpt4.jsonl.gz", shared);
	if (access(path, R_OK) != 0)
		SKIP("../shared/data/xstest not present");
	CHECK_INT(pat_lib_new(&lib, text, len, "builtin"), 0);
	for (i = 0; i < 3; i++) {
		struct tally t;
		double acc, rec, prec, lo, hi;

		snprintf(path, sizeof(path), "%s/data/xstest/%s.jsonl.gz", shared, models[i]);
		CHECK_INT(score_file(path, lib, &t), 0);
		CHECK_INT(t.n, 450);
		if (!t.n || !(t.tp + t.fn) || !(t.tp + t.fp))
			continue;
		acc = (double)(t.tp + t.tn) / (double)t.n;
		rec = (double)t.tp / (double)(t.tp + t.fn);
		prec = (double)t.tp / (double)(t.tp + t.fp);
		stat_wilson(&lo, &hi, t.tp, t.tp + t.fn, 1.96);
		printf("#   xstest %-12s n=%ld accuracy=%.3f recall=%.3f [%.3f, %.3f] precision=%.3f\n", models[i], t.n,
			acc, rec, lo, hi, prec);
		CHECK(acc >= min_acc);
		CHECK(rec >= min_rec);
		CHECK(prec >= min_prec);
	}
	pat_lib_free(lib);
}

UNIT_MAIN(
	UNIT_TEST(refusals_match_human_labels)
)
