/* Unit tests for corpus/store.c: schema, import transactions, listing, removal. */
#include <sqlite3.h>
#include <unistd.h>

#include "unit.h"
#include "corpus/store.h"
#include "detect/text.h"

static char dbpath[256];

static const char *fresh_db(const char *name)
{
	char cmd[1024];

	snprintf(dbpath, sizeof(dbpath), "/tmp/prov-unit-store-%ld-%s.db", (long)getpid(), name);
	snprintf(cmd, sizeof(cmd), "rm -f '%s' '%s-wal' '%s-shm'", dbpath, dbpath, dbpath);
	CHECK(system(cmd) == 0);
	return dbpath;
}

static void drop_db(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -f '%s' '%s-wal' '%s-shm'", dbpath, dbpath, dbpath);
	CHECK(system(cmd) == 0);
}

static long count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void run_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

static int add(struct store *s, const char *model, const char *prompt, const char *response, long line,
	struct store_import_stats *st)
{
	struct store_item it;
	char key[PROV_SHA256_HEX];

	memset(&it, 0, sizeof(it));
	CHECK_INT(text_prompt_key(key, prompt, strlen(prompt)), 0);
	it.model = model;
	it.prompt = prompt;
	it.prompt_len = strlen(prompt);
	it.prompt_key = key;
	it.response = response;
	it.response_len = strlen(response);
	it.line = line;
	return store_import_add(s, &it, st);
}

static void new_store_has_current_schema(void)
{
	struct store *s = NULL;
	const char *p = fresh_db("schema");

	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
	CHECK_INT(count(p, "PRAGMA application_id"), STORE_APPLICATION_ID);
	CHECK_INT(count(p, "SELECT count(*) FROM sqlite_master WHERE name = 'responses'"), 1);
	/* reopening does not migrate again */
	CHECK_INT(store_open(&s, p, STORE_RDONLY), 0);
	store_close(s);
	store_close(NULL);
	drop_db();
}

static void import_commit_and_idempotence(void)
{
	struct store *s = NULL;
	struct store_import_stats st;
	const char *p = fresh_db("import");
	char when[32];

	memset(&st, 0, sizeof(st));
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_source_seen(s, "aa", "{}", when), 0);
	CHECK_INT(store_import_begin(s, "f.jsonl", "aa", 10, "{}"), 0);
	CHECK_INT(add(s, "m1", "Hello?", "Hi.", 1, &st), 0);
	CHECK_INT(add(s, "m1", "  hello? ", "Hi.", 2, &st), 0);   /* same prompt, same answer */
	CHECK_INT(add(s, "m2", "Hello?", "Hey.", 3, &st), 0);
	CHECK_INT(store_import_commit(s, 3, 3), 0);
	CHECK_INT(st.responses_added, 2);
	CHECK_INT(st.responses_present, 1);
	CHECK_INT(st.prompts_added, 1);
	CHECK_INT(st.models_created, 2);
	CHECK_INT(store_source_seen(s, "aa", "{}", when), 1);
	CHECK_INT(store_source_seen(s, "aa", "{\"model\":\"x\"}", when), 0);
	store_close(s);
	CHECK_INT(count(p, "SELECT count(*) FROM responses"), 2);
	CHECK_INT(count(p, "SELECT count(*) FROM prompts"), 1);
	CHECK_INT(count(p, "SELECT count(*) FROM sources"), 1);
	CHECK_INT(count(p, "SELECT lines FROM sources"), 3);
	drop_db();
}

static void conflict_rolls_back_the_whole_file(void)
{
	struct store *s = NULL;
	const char *p = fresh_db("conflict");

	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_import_begin(s, "g.jsonl", "bb", 10, "{}"), 0);
	CHECK_INT(add(s, "m1", "Q1", "A1", 1, NULL), 0);
	CHECK_INT(add(s, "m1", "Q1", "A different answer", 2, NULL), PROV_EDATA);
	CHECK(strstr(prov_error_msg(), "g.jsonl:2: model \"m1\" already has a different response") != NULL);
	store_import_rollback(s);
	store_close(s);
	CHECK_INT(count(p, "SELECT count(*) FROM responses"), 0);
	CHECK_INT(count(p, "SELECT count(*) FROM models"), 0);
	CHECK_INT(count(p, "SELECT count(*) FROM sources"), 0);
	drop_db();
}

static int count_prompt(void *ctx, const char *ext_id, const char *text, size_t len)
{
	(void)ext_id;
	(void)text;
	(void)len;
	(*(int *)ctx)++;
	return 0;
}

static void list_and_remove(void)
{
	struct store *s = NULL;
	struct store_model_info *m = NULL;
	size_t n = 0;
	long removed = 0;
	int np = 0;
	const char *p = fresh_db("remove");

	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_import_begin(s, "h.jsonl", "cc", 10, "{}"), 0);
	CHECK_INT(add(s, "keep", "Shared", "a", 1, NULL), 0);
	CHECK_INT(add(s, "gone", "Shared", "b", 2, NULL), 0);
	CHECK_INT(add(s, "gone", "Only gone", "c", 3, NULL), 0);
	CHECK_INT(store_import_commit(s, 3, 3), 0);
	CHECK_INT(store_models(s, &m, &n), 0);
	CHECK_INT(n, 2);
	CHECK_STR(m[0].name, "gone");
	CHECK_INT(m[0].responses, 2);
	CHECK_INT(m[0].nsources, 1);
	CHECK_STR(m[0].sources[0].sha256, "cc");
	CHECK_STR(m[1].role, "teacher");
	CHECK(m[1].family == NULL);
	store_models_free(m, n);
	CHECK_INT(store_each_prompt(s, "gone", count_prompt, &np), 0);
	CHECK_INT(np, 2);
	CHECK_INT(store_remove_model(s, "gone", &removed), 0);
	CHECK_INT(removed, 2);
	CHECK_INT(store_remove_model(s, "gone", &removed), PROV_ENOTFOUND);
	np = 0;
	CHECK_INT(store_each_prompt(s, NULL, count_prompt, &np), 0);
	CHECK_INT(np, 1);   /* the prompt only "gone" answered went with it */
	CHECK_INT(store_each_prompt(s, "gone", count_prompt, &np), PROV_ENOTFOUND);
	store_close(s);
	CHECK_INT(count(p, "SELECT count(*) FROM sources"), 1);   /* still used by "keep" */
	drop_db();
}

static void refuses_foreign_newer_and_corrupt_databases(void)
{
	struct store *s = NULL;
	const char *p = fresh_db("foreign");
	FILE *fp;

	run_sql(p, "CREATE TABLE other(x)");
	CHECK_INT(store_open(&s, p, 0), PROV_EDB);
	CHECK(strstr(prov_error_msg(), "not a provenance database") != NULL);
	p = fresh_db("newer");
	CHECK_INT(store_open(&s, p, 0), 0);
	store_close(s);
	run_sql(p, "PRAGMA user_version = 99");
	CHECK_INT(store_open(&s, p, 0), PROV_EDB);
	CHECK(strstr(prov_error_msg(), "newer than this provenance understands") != NULL);
	p = fresh_db("garbage");
	fp = fopen(p, "wb");
	fputs("this is not an SQLite database, just some text that is long enough to be a header......\n", fp);
	fclose(fp);
	CHECK_INT(store_open(&s, p, 0), PROV_EDB);
	CHECK(s == NULL);
	p = fresh_db("missing");
	CHECK_INT(store_open(&s, p, STORE_RDONLY), PROV_ENOTFOUND);
	CHECK(access(p, F_OK) != 0);   /* a read-only open never creates the file */
	drop_db();
}

static void migration_from_an_empty_file(void)
{
	struct store *s = NULL;
	const char *p = fresh_db("migrate");

	CHECK_INT(store_open_at_version(&s, p, 0, 0), 0);
	CHECK_INT(store_schema_version(s), 0);
	store_close(s);
	CHECK_INT(store_open(&s, p, STORE_RDONLY), PROV_EDB);   /* read-only cannot upgrade */
	CHECK(strstr(prov_error_msg(), "needs an upgrade") != NULL);
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
	drop_db();
}

static void migration_keeps_the_data(void)
{
	struct store *s = NULL;
	struct store_snapshot *sn = NULL;
	const char *p = fresh_db("migrate-data");

	/* a version-1 store with one response, written the way version 1 wrote it */
	CHECK_INT(store_open_at_version(&s, p, 0, 1), 0);
	CHECK_INT(store_schema_version(s), 1);
	store_close(s);
	run_sql(p, "INSERT INTO models(id, name, family, role, created_at) VALUES (1, 'm', 'f', 'teacher', 'now');"
		"INSERT INTO sources(id, path, sha256, size, params, imported_at, tool_version)"
		" VALUES (1, 'x.jsonl', 'aa', 1, '{}', 'now', '0.1.0');"
		"INSERT INTO prompts(id, key, ext_id, sha256, size, text) VALUES (1, 'k', 'q1', 's', 1, x'00');"
		"INSERT INTO responses(id, model_id, prompt_id, source_id, line, sha256, size, text)"
		" VALUES (1, 1, 1, 1, 1, 'r', 1, x'00');");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
	CHECK_INT(store_snapshot_load(s, "2:x", &sn), 0);
	CHECK_INT(sn->nrows, 1);
	CHECK_INT(sn->nmodels, 1);
	CHECK(sn->rows[0].blob == NULL);   /* features are computed on first use */
	store_snapshot_free(sn);
	store_close(s);
	CHECK_INT(count(p, "SELECT count(*) FROM features"), 0);
	drop_db();
}

/* The snapshot binds who answered what: grown is told from changed; features are bound to their answer. */
static void snapshot_binds_who_answered_what(void)
{
	struct store *s = NULL;
	struct store_snapshot *sn = NULL;
	struct store_import_stats st;
	const char *p = fresh_db("snapshot");
	char h0[PROV_SHA256_HEX], h1[PROV_SHA256_HEX], now[PROV_SHA256_HEX];
	long rows = 0, added = 0;

	memset(&st, 0, sizeof(st));
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_import_begin(s, "a.jsonl", "aa", 1, "{}"), 0);
	CHECK_INT(add(s, "gpt", "What is rain?", "Water falling.", 1, &st), 0);
	CHECK_INT(add(s, "claude", "What is rain?", "Drops of water.", 2, &st), 0);
	CHECK_INT(store_import_commit(s, 2, 2), 0);
	CHECK_INT(store_snapshot_hash(s, "v", h0), 0);
	CHECK_INT(store_snapshot_load(s, "v", &sn), 0);
	CHECK_STR(sn->sha256, h0);                          /* one pass or two: the same hash */
	store_snapshot_free(sn);
	CHECK_INT(store_snapshot_compare(s, "v", h0, now, &rows, &added), SNAPSHOT_SAME);
	store_close(s);
	/* where and when the file was imported, and its lines, are not content: the same snapshot */
	run_sql(p, "UPDATE sources SET path = '/elsewhere/a.jsonl', imported_at = '1999-01-01T00:00:00Z';"
		" UPDATE responses SET line = line + 10");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_snapshot_hash(s, "v", now), 0);
	CHECK_STR(now, h0);
	/* features of version v for response 1: the snapshot changes; bound to another answer they are not used */
	CHECK_INT(store_features_put(s, 1, "v", "blob", 4), 0);
	CHECK_INT(store_snapshot_hash(s, "v", h1), 0);
	CHECK(strcmp(h0, h1) != 0);
	CHECK_INT(store_snapshot_hash(s, "other", now), 0);
	CHECK_STR(now, h0);                                 /* features of another version do not count */
	store_close(s);
	run_sql(p, "UPDATE features SET answer_sha256 = 'x'");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_snapshot_load(s, "v", &sn), 0);
	CHECK(sn->rows[0].blob == NULL);
	CHECK_STR(sn->sha256, h0);
	store_snapshot_free(sn);
	/* a grown corpus */
	CHECK_INT(store_import_begin(s, "b.jsonl", "bb", 1, "{}"), 0);
	CHECK_INT(add(s, "llama", "What is rain?", "Rain is water.", 1, &st), 0);
	CHECK_INT(store_import_commit(s, 1, 1), 0);
	CHECK_INT(store_snapshot_compare(s, "v", h0, now, &rows, &added), SNAPSHOT_GREW);
	CHECK_INT(rows, 3);
	CHECK_INT(added, 1);
	store_close(s);
	/* swapped answers: the same set of answer hashes, another snapshot */
	run_sql(p, "UPDATE responses SET model_id = -1 WHERE model_id = 1;"
		" UPDATE responses SET model_id = 1 WHERE model_id = 2; UPDATE responses SET model_id = 2 WHERE model_id = -1");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_snapshot_compare(s, "v", h0, now, &rows, &added), SNAPSHOT_CHANGED);
	store_close(s);
	drop_db();
}

struct got {
	size_t n;
	char blobs[8][8];
	size_t rows[8];
};

static int collect_blob(void *arg, size_t row, const void *blob, size_t len)
{
	struct got *g = arg;

	if (g->n < 8 && len < 8) {
		memcpy(g->blobs[g->n], blob, len);
		g->blobs[g->n][len] = '\0';
		g->rows[g->n] = row;
	}
	g->n++;
	return 0;
}

/* A lean snapshot keeps no features; they are read back by prompts or by model, checked against its hashes. */
static void lean_snapshot_reads_features_in_pieces(void)
{
	struct store *s = NULL;
	struct store_snapshot *sn = NULL, *full = NULL;
	struct store_import_stats st;
	const char *p = fresh_db("lean");
	struct got g;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_import_begin(s, "a.jsonl", "aa", 1, "{}"), 0);
	CHECK_INT(add(s, "gpt", "What is rain?", "Water falling.", 1, &st), 0);
	CHECK_INT(add(s, "claude", "What is rain?", "Drops of water.", 2, &st), 0);
	CHECK_INT(add(s, "gpt", "What is snow?", "Frozen water.", 3, &st), 0);
	CHECK_INT(store_import_commit(s, 3, 3), 0);
	CHECK_INT(store_features_put(s, 1, "v", "f1", 2), 0);
	CHECK_INT(store_features_put(s, 2, "v", "f2", 2), 0);
	CHECK_INT(store_features_put(s, 3, "v", "f3", 2), 0);
	CHECK_INT(store_snapshot_load_opt(s, "v", STORE_SNAP_LEAN, &sn), 0);
	CHECK_INT(store_snapshot_load(s, "v", &full), 0);
	CHECK_STR(sn->sha256, full->sha256);                /* lean or not: the same snapshot */
	CHECK_INT(sn->nrows, 3);
	CHECK(sn->rows[0].blob == NULL && sn->rows[0].stored == 1 && sn->rows[0].blob_len == 2);
	CHECK(full->rows[0].blob != NULL && !memcmp(full->rows[0].feat_sha, sn->rows[0].feat_sha, 32));
	/* the first prompt: two answers; both prompts: three; model gpt (index 1 by name): two */
	memset(&g, 0, sizeof(g));
	CHECK_INT(store_features_each(s, "v", sn, 0, 1, -1, collect_blob, &g, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(g.n, 2);
	CHECK_STR(g.blobs[0], "f1");
	CHECK_STR(g.blobs[1], "f2");
	CHECK_INT(sn->rows[g.rows[1]].prompt, 0);
	memset(&g, 0, sizeof(g));
	CHECK_INT(store_features_each(s, "v", sn, 0, 2, -1, collect_blob, &g, &n), 0);
	CHECK_INT(n, 3);
	memset(&g, 0, sizeof(g));
	CHECK_STR(sn->models[1].name, "gpt");
	CHECK_INT(store_features_each(s, "v", sn, 0, 0, 1, collect_blob, &g, &n), 0);
	CHECK_INT(n, 2);
	CHECK_STR(g.blobs[0], "f1");
	CHECK_STR(g.blobs[1], "f3");
	/* features changed behind the snapshot's back are refused, not used */
	run_sql(p, "UPDATE features SET blob = 'zz' WHERE response_id = 3");
	memset(&g, 0, sizeof(g));
	CHECK_INT(store_features_each(s, "v", sn, 1, 2, -1, collect_blob, &g, &n), PROV_EDB);
	CHECK_INT(g.n, 0);
	CHECK_INT(store_features_each(s, "v", sn, 0, 1, -1, collect_blob, &g, &n), 0);   /* the rest still reads */
	store_snapshot_free(sn);
	store_snapshot_free(full);
	store_close(s);
	drop_db();
}

/* A value larger than one cache row round-trips; a damaged or missing chunk is a miss, never a wrong value. */
static void a_large_cache_value_round_trips_in_chunks(void)
{
	const char *p = fresh_db("cache");
	struct store *s = NULL;
	struct pbuf got = PBUF_INIT(0);
	size_t n = (size_t)70 << 20, i;
	unsigned char *v = malloc(n);

	CHECK(v != NULL);
	for (i = 0; i < n; i++)
		v[i] = (unsigned char)(i * 2654435761u >> 13);
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_cache_put(s, "prep:test", "prep", v, n), 0);
	CHECK_INT(store_cache_get(s, "prep:test", &got), 1);
	CHECK(got.len == n && !memcmp(got.data, v, n));
	CHECK_INT(store_cache_get(s, "prep:other", &got), 0);
	store_close(s);
	s = NULL;
	CHECK_INT(count(p, "SELECT count(*) FROM cache WHERE kind = 'prep'"), 4);   /* header + 3 chunks */
	/* an entry edited behind the seal (a key outside the database) is refused, naming the table */
	run_sql(p, "UPDATE cache SET value = zeroblob(length(value)) WHERE key = 'prep:test#000001'");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_cache_get(s, "prep:test", &got), PROV_ETAMPER);
	CHECK(strstr(prov_error_msg(), "table cache") != NULL);
	CHECK_INT((long)got.len, 0);
	/* a new value of the same kind replaces the old one whole */
	CHECK_INT(store_cache_put(s, "prep:small", "prep", "abc", 3), 0);
	CHECK_INT(store_cache_get(s, "prep:small", &got), 1);
	CHECK(got.len == 3 && !memcmp(got.data, "abc", 3));
	store_close(s);
	CHECK_INT(count(p, "SELECT count(*) FROM cache WHERE kind = 'prep'"), 2);
	run_sql(p, "DELETE FROM cache WHERE key = 'prep:small#000000'");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_cache_get(s, "prep:small", &got), PROV_ETAMPER);   /* a chunk removed: edited too */
	store_close(s);
	/* an entry of the unsealed format (or sealed by another key) is not found: recomputed */
	run_sql(p, "UPDATE cache SET value = CAST('PCACHE01' AS BLOB) || substr(value, 9) WHERE key = 'prep:small'");
	CHECK_INT(store_open(&s, p, 0), 0);
	CHECK_INT(store_cache_get(s, "prep:small", &got), 0);
	store_close(s);
	pbuf_release(&got);
	free(v);
	drop_db();
}

UNIT_MAIN(
	UNIT_TEST(snapshot_binds_who_answered_what),
	UNIT_TEST(lean_snapshot_reads_features_in_pieces),
	UNIT_TEST(a_large_cache_value_round_trips_in_chunks),
	UNIT_TEST(migration_keeps_the_data),
	UNIT_TEST(new_store_has_current_schema),
	UNIT_TEST(import_commit_and_idempotence),
	UNIT_TEST(conflict_rolls_back_the_whole_file),
	UNIT_TEST(list_and_remove),
	UNIT_TEST(refuses_foreign_newer_and_corrupt_databases),
	UNIT_TEST(migration_from_an_empty_file)
)
