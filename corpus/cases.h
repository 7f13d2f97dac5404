/*
 * cases.h: cases and the evidence chain.
 *
 * A case is one scan of one suspect: the suspect file's path, SHA-256, size
 * and line count; every suspect answer (compressed, with its own SHA-256);
 * the report document (provenance.report/1, compressed, with its SHA-256),
 * which carries the corpus snapshot hash, tool version, pattern library hash,
 * parameters, per-teacher and per-signal results and the evidence; the same
 * results and evidence items as rows; the time.
 *
 * Cases form an append-only hash chain: a case's hash is the SHA-256 of a
 * canonical header (docs/report-format.md, "What each hash covers"), stored
 * with the case, that binds every column of the case and digests of its
 * answers' hashes, prompt ids and lines, and the previous case's hash. The
 * result and evidence rows are checked against the report, which the header
 * binds. The chain is anchored outside the file by its head (case_head), by
 * Ed25519 signatures of case hashes and by RFC 3161 timestamps of them.
 */
#ifndef PROV_CASES_H
#define PROV_CASES_H

#include <stddef.h>
#include <stdint.h>
#include "corpus/store.h"

#define CASE_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct case_answer {
	const char *ext_id;        /* may be NULL */
	long line;
	const char *prompt;
	size_t prompt_len;
	const char *text;
	size_t len;
};

struct case_new {
	const char *name;
	const char *suspect_path;
	const char *suspect_sha256;
	uint64_t suspect_size;
	long suspect_lines;
	const char *snapshot_sha256;
	const char *tool_version;
	const char *patterns_sha256;
	const char *params;        /* JSON text */
	const char *conclusion_teacher, *conclusion_family, *verdict;
	const char *report;        /* the report document, compact JSON; results and evidence rows come from it */
	size_t report_len;
	size_t nanswers;
	const struct case_answer *answers;
	const char *origin;        /* where a merged case came from, else NULL */
};

struct case_info {
	int64_t id;
	char name[256];
	char created_at[32];
	char suspect_path[1024];
	char suspect_sha256[PROV_SHA256_HEX];
	char snapshot_sha256[PROV_SHA256_HEX];
	char hash[PROV_SHA256_HEX];
	char prev_hash[PROV_SHA256_HEX];
	char verdict[32];
	char conclusion_teacher[256];
	char conclusion_family[64];
	int altered;               /* the row does not match its header and hash (run case_verify) */
};

/*
 * Append a case to the chain in one transaction. created_at: NULL for now
 * (store_now). On success *info_out (may be NULL) describes the stored case.
 */
int case_append(struct store *s, const struct case_new *c, const char *created_at, struct case_info *info_out);

/*
 * case_append in two steps, so that a pool of threads can do the costly part:
 * case_pack hashes and compresses the answers and the report and reads the
 * results and evidence rows out of the report, touching no database (safe to
 * run in any thread); case_append_packed then stores the case with c, the same
 * description given to case_pack, in one transaction.
 */
struct case_packed;
int case_pack(struct case_packed **out, const struct case_new *c);
int case_append_packed(struct store *s, const struct case_new *c, const struct case_packed *p, const char *created_at,
	struct case_info *info_out);
void case_packed_free(struct case_packed *p);

/* The stored report document of a case (exactly the bytes stored) and the case's header. */
int case_report(struct store *s, int64_t id, struct pbuf *report_out, struct case_info *info_out);

/* Every case in chain order. The caller frees *out. */
int case_list(struct store *s, struct case_info **out, size_t *n_out);

struct verify_item {
	int ok;                    /* 1 holds (or a note), 0 FAIL (altered), -1 the corpus changed since the case,
	                              -2 MISSING: an anchor the caller requires is absent (unsigned, untimestamped) */
	char what[600];
};

/* The last case of the chain (PROV_ENOTFOUND when there is none). */
int case_head(struct store *s, int64_t *id_out, char hash_out[PROV_SHA256_HEX]);

/* ---- anchors outside the file: signatures ---- */

/*
 * An Ed25519 key in PEM (openssl genpkey -algorithm ed25519). need_private:
 * the file must hold the private key; else a public key (or a private one,
 * whose public half is used) will do. PROV_EIO (unreadable), PROV_EDATA (not
 * a PEM key, not Ed25519).
 */
struct case_key;
int case_key_load(struct case_key **out, const char *path, int need_private);
void case_key_free(struct case_key *k);
/* SHA-256 (hex) of the raw 32-byte public key: how a key is named. */
const char *case_key_id(const struct case_key *k);

/*
 * Sign every case appended through this store handle from now on, in the
 * same transaction (NULL: stop). The signed message is "provenance-case-hash/1 "
 * followed by the case hash in lower-case hex. The key must outlive its use.
 */
void case_use_signer(struct store *s, const struct case_key *k);

/* Sign an existing case (refused with PROV_ETAMPER when its row does not match its hash). */
int case_sign(struct store *s, int64_t id, const struct case_key *k);

/* ---- anchors outside the file: RFC 3161 timestamps (parsed in cmd/cmd_timestamp.c) ---- */

/* Store an authority's reply (DER) for the case whose hash it stamps. */
int case_timestamp_add(struct store *s, int64_t id, const char *hash, const char *gen_time, const void *reply,
	size_t len);

/*
 * Checks a stored timestamp reply against the case hash: 0 if it holds, 1
 * if not, <0 on error; `why` says what was found either way.
 */
typedef int (*case_ts_check_fn)(void *ctx, const void *der, size_t len, const char *hash, char *why, size_t n);

struct case_verify_opts {
	int flags;                       /* CASE_VERIFY_CORPUS, CASE_VERIFY_REQUIRE_* */
	const struct case_key *pubkey;   /* a signature by this key is required (none: MISSING, never FAIL) */
	case_ts_check_fn ts_check;       /* check each stored timestamp (NULL: not looked at) */
	void *ts_ctx;
};

/* Returned by case_verify*: intact, but the corpus changed since the case (not just grew). */
#define CASE_CORPUS_CHANGED 1
/* Returned by case_verify_ex: intact, but an anchor the options require is missing (an item with ok == -2). */
#define CASE_UNANCHORED 2

/*
 * Recompute everything that can be recomputed for case `id`: the answers'
 * hashes, the report hash, every column against the case header, the header
 * against the case hash, the columns and rows the report repeats against the
 * report, the link to the previous case, the corpus responses' hashes and
 * snapshot. Fills *out with one line per check (the caller frees it).
 * Returns 0 if intact, PROV_ETAMPER if anything differs, CASE_CORPUS_CHANGED
 * (see case_verify_ex), PROV_ENOTFOUND if there is no such case, another
 * code on failure.
 */
int case_verify(struct store *s, int64_t id, struct verify_item **out, size_t *n_out);

/*
 * As case_verify, choosing the checks: without CASE_VERIFY_CORPUS the corpus
 * responses and snapshot are not looked at, only the case itself and its
 * link in the chain (what merge needs: it copies cases, not the corpus).
 * A database without a corpus (an audit shard's evidence database, a merged
 * one) is not a failure either way: the check notes that the snapshot could
 * not be checked.
 */
enum case_verify_flags {
	CASE_VERIFY_CORPUS = 1,
	CASE_VERIFY_REQUIRE_SIGNATURE = 2,   /* a case without a signature that holds is MISSING */
	CASE_VERIFY_REQUIRE_TIMESTAMP = 4    /* a case without a timestamp that holds is MISSING (needs ts_check) */
};
int case_verify_with(struct store *s, int64_t id, int flags, struct verify_item **out, size_t *n_out);

/*
 * As case_verify_with, with signatures and timestamps. Every stored
 * signature is checked against the public key stored with it (whose
 * fingerprint the item names); o->pubkey adds that one must be by that key.
 * Returns 0 if intact, PROV_ETAMPER if anything was altered (a FAIL item
 * names the column), CASE_UNANCHORED if intact but a required signature or
 * timestamp is missing (an item with ok == -2 names the case),
 * CASE_CORPUS_CHANGED if the case is intact but the corpus is not its
 * snapshot nor that snapshot grown (an item with ok == -1 says so).
 */
int case_verify_ex(struct store *s, int64_t id, const struct case_verify_opts *o, struct verify_item **out,
	size_t *n_out);

/* The answers of a case, decompressed and checked (for merge). The caller frees with case_answers_free. */
struct case_answer_row {
	char *ext_id;
	long line;
	char *prompt;
	size_t prompt_len;
	char *text;
	size_t len;
};
int case_answers(struct store *s, int64_t id, struct case_answer_row **out, size_t *n_out);
void case_answers_free(struct case_answer_row *a, size_t n);

/* ---- validations: evidence like cases, in a chain of their own ---- */

/*
 * A validation (validate's measured error rates) is stored with a canonical
 * header ("provenance-validation/1": id, created_at, labels_path,
 * labels_sha256, snapshot_sha256, tool_version, engine_version,
 * patterns_sha256, slices, result_sha256, origin, prev_hash) whose SHA-256 is
 * its hash; prev_hash links it to the validation before it (64 zeros for the
 * first). The store's signer (case_use_signer) signs its hash, the message
 * "provenance-validation-hash/1 " + hash. The result is an opaque JSON text,
 * bound by its SHA-256. origin: where a merged validation came from, or NULL.
 * created_at: NULL for now. Needs schema 6.
 */
int validation_append(struct store *s, const struct store_validation *v, const char *origin, const char *created_at,
	int64_t *id_out, char hash_out[PROV_SHA256_HEX]);

/*
 * Check validation `id` as case_verify_ex checks a case: its result against
 * its SHA-256, every column against its header, the header against its hash,
 * the link to the validation before it, its signatures (o->pubkey and
 * CASE_VERIFY_REQUIRE_SIGNATURE as for cases; o may be NULL). Returns 0,
 * PROV_ETAMPER, CASE_UNANCHORED, PROV_ENOTFOUND, or another error. A
 * validation stored before schema 6 is not in the chain: a note (and never
 * quoted by a report).
 */
int validation_verify(struct store *s, int64_t id, const struct case_verify_opts *o, struct verify_item **out,
	size_t *n_out);

struct validation_info {
	int64_t id;
	char created_at[32];
	char labels_path[1024];
	char snapshot_sha256[PROV_SHA256_HEX];
	char hash[PROV_SHA256_HEX];       /* "" for one stored before schema 6 */
	char origin[1024];
};

/* Every validation in id order. The caller frees *out. */
int validation_list(struct store *s, struct validation_info **out, size_t *n_out);

/*
 * store_validation_latest, with the quoted validation's hash: only a chained
 * validation that verifies is returned (one that does not is PROV_ETAMPER,
 * naming it and its first failed check).
 */
int store_validation_latest_hash(struct store *s, const char *snapshot, const char *tool_version,
	const char *patterns, int64_t *id_out, char created_out[32], struct pbuf *result_out,
	char hash_out[PROV_SHA256_HEX]);

#endif
