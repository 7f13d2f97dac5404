/*
 * merge.h: uniting the cases of several evidence databases (the shards of an
 * audit) into one.
 *
 * A merged case is a new case of the destination's chain (new id, new
 * previous hash, new hash) whose report bytes, answers, suspect record,
 * corpus snapshot hash, tool version, parameters and creation time are the
 * source case's, unchanged, and whose `origin` says where it came from:
 * "LABEL#ID:HASH" (the source database as named on the command line, the
 * source case's id and hash), followed by " < " and the source case's own
 * origin when it had one, so that the path back to the first case survives
 * merges of merges.
 *
 * A case is merged once: a source case whose hash, or any hash in its origin,
 * is already the hash or in the origin of a destination case is skipped.
 *
 * The validations (measured error rates, cases.h) are evidence too: each
 * chained validation of a source is verified by merge_check and appended to
 * the destination's validation chain by merge_cases (after its cases), with
 * its result, parameters and time unchanged and origin "LABEL#vID:HASH"; one
 * already there (same rule as cases) is skipped. A report in the destination
 * quotes it when its corpus has the validation's snapshot.
 */
#ifndef PROV_MERGE_H
#define PROV_MERGE_H

#include <stdint.h>
#include "corpus/store.h"

#define MERGE_ORIGIN_MAX 8192   /* bytes of a merged case's origin */

/* The case hashes a destination already holds (its cases' own and those in their origins). */
struct merge_seen;

/* Read them from `dst`. The caller frees *out with merge_seen_free. */
int merge_seen_load(struct merge_seen **out, struct store *dst);
void merge_seen_free(struct merge_seen *m);

/*
 * Verify every case of `src` (the case, its answers, its rows and its chain
 * link; not the corpus). 0 if all hold; PROV_EDATA naming the first case that
 * does not ("LABEL: case 3 (name) does not verify: <the first failed check>");
 * another code if the database cannot be read. *ncases_out (may be NULL)
 * receives the number of cases.
 */
int merge_check(struct store *src, const char *label, size_t *ncases_out);

/* What happened to one source case; passed to the callback, valid during the call only. */
struct merge_event {
	const char *label;       /* the source database */
	int64_t src_id;
	const char *src_hash;
	const char *name;
	int64_t dst_id;          /* the new case, or the one it duplicates when skipped */
	int skipped;             /* 1: already in the destination, not copied */
};
typedef int (*merge_fn)(void *ctx, const struct merge_event *ev);

/*
 * Append every case of `src` that `seen` does not hold to `dst`, in id
 * order, each in its own transaction (a failure leaves the cases merged so
 * far, and merging again skips them), and add it to `seen`. `fn` (may be
 * NULL) is called after each case; a non-zero return stops the merge and is
 * returned. Returns 0 or a PROV_E* code (PROV_ETAMPER if a report no longer
 * matches its hash).
 */
int merge_cases(struct store *dst, struct merge_seen *seen, struct store *src, const char *label, merge_fn fn,
	void *ctx);

#endif
