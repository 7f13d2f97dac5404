/*
 * store.c: the SQLite store: opening, migrations, import, listing, removal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <zlib.h>

#include "corpus/store.h"
#include "corpus/store_internal.h"
#include "corpus/zpack.h"

#define ZLEVEL ZPACK_LEVEL
#define SNAPSHOT_HEAD3 "provenance-snapshot/3\n"

/*
 * Migrations: migrations[k] takes the schema from version k to k + 1.
 * Never edit a released entry; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the corpus */
	"CREATE TABLE models("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  family TEXT,"
	"  role TEXT NOT NULL CHECK (role IN ('teacher', 'reference')),"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE sources("
	"  id INTEGER PRIMARY KEY,"
	"  path TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  lines INTEGER NOT NULL DEFAULT 0,"
	"  records INTEGER NOT NULL DEFAULT 0,"
	"  params TEXT NOT NULL,"
	"  imported_at TEXT NOT NULL,"
	"  tool_version TEXT NOT NULL,"
	"  UNIQUE (sha256, params));"
	"CREATE TABLE model_sources("
	"  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
	"  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
	"  responses INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (model_id, source_id));"
	"CREATE TABLE prompts("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  ext_id TEXT,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  text BLOB NOT NULL);"
	"CREATE INDEX prompts_ext_id ON prompts(ext_id);"
	"CREATE TABLE responses("
	"  id INTEGER PRIMARY KEY,"
	"  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
	"  prompt_id INTEGER NOT NULL REFERENCES prompts(id),"
	"  source_id INTEGER NOT NULL REFERENCES sources(id),"
	"  line INTEGER NOT NULL,"
	"  ext_id TEXT,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  text BLOB NOT NULL,"
	"  UNIQUE (model_id, prompt_id));"
	"CREATE INDEX responses_prompt ON responses(prompt_id);"
	"CREATE INDEX responses_source ON responses(source_id);",
	/* 1 -> 2: engine features per response, and a cache of corpus-derived data */
	"CREATE TABLE features("
	"  response_id INTEGER PRIMARY KEY REFERENCES responses(id) ON DELETE CASCADE,"
	"  version TEXT NOT NULL,"
	"  blob BLOB NOT NULL);"
	"CREATE TABLE cache("
	"  key TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  value BLOB NOT NULL);",
	/* 2 -> 3: cases and the evidence chain */
	"CREATE TABLE cases("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  suspect_path TEXT NOT NULL,"
	"  suspect_sha256 TEXT NOT NULL,"
	"  suspect_size INTEGER NOT NULL,"
	"  suspect_lines INTEGER NOT NULL,"
	"  snapshot_sha256 TEXT NOT NULL,"
	"  tool_version TEXT NOT NULL,"
	"  patterns_sha256 TEXT NOT NULL,"
	"  params TEXT NOT NULL,"
	"  conclusion_teacher TEXT,"
	"  conclusion_family TEXT,"
	"  verdict TEXT NOT NULL,"
	"  report BLOB NOT NULL,"
	"  report_size INTEGER NOT NULL,"
	"  report_sha256 TEXT NOT NULL,"
	"  answers INTEGER NOT NULL,"
	"  answers_sha256 TEXT NOT NULL,"
	"  origin TEXT,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE);"
	"CREATE TABLE case_answers("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED,"
	"  seq INTEGER NOT NULL,"
	"  ext_id TEXT,"
	"  line INTEGER NOT NULL,"
	"  prompt_sha256 TEXT NOT NULL,"
	"  prompt_size INTEGER NOT NULL,"
	"  prompt BLOB NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  text BLOB NOT NULL,"
	"  PRIMARY KEY (case_id, seq));"
	"CREATE TABLE case_results("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED,"
	"  teacher TEXT NOT NULL,"
	"  family TEXT,"
	"  rank INTEGER NOT NULL,"
	"  score REAL,"
	"  p_value REAL,"
	"  effect REAL,"
	"  verdict TEXT NOT NULL,"
	"  signals TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, teacher));"
	"CREATE TABLE case_evidence("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED,"
	"  seq INTEGER NOT NULL,"
	"  teacher TEXT,"
	"  kind TEXT NOT NULL,"
	"  prompt_id TEXT,"
	"  data TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, seq));"
	/* append-only: a guard against accidents (verify catches deliberate edits) */
	"CREATE TRIGGER cases_append_only_u BEFORE UPDATE ON cases BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER cases_append_only_d BEFORE DELETE ON cases BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER case_answers_append_only_u BEFORE UPDATE ON case_answers BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER case_answers_append_only_d BEFORE DELETE ON case_answers BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER case_results_append_only_u BEFORE UPDATE ON case_results BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER case_results_append_only_d BEFORE DELETE ON case_results BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER case_evidence_append_only_u BEFORE UPDATE ON case_evidence BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;"
	"CREATE TRIGGER case_evidence_append_only_d BEFORE DELETE ON case_evidence BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END;",
	/* 3 -> 4: validation runs (known error rates) */
	"CREATE TABLE validations("
	"  id INTEGER PRIMARY KEY,"
	"  created_at TEXT NOT NULL,"
	"  labels_path TEXT NOT NULL,"
	"  labels_sha256 TEXT NOT NULL,"
	"  snapshot_sha256 TEXT NOT NULL,"
	"  tool_version TEXT NOT NULL,"
	"  engine_version TEXT NOT NULL,"
	"  patterns_sha256 TEXT NOT NULL,"
	"  slices TEXT NOT NULL,"
	"  result TEXT NOT NULL,"
	"  result_sha256 TEXT NOT NULL);"
	"CREATE INDEX validations_match ON validations(snapshot_sha256, tool_version, patterns_sha256);",
	/*
	 * 4 -> 5: evidence that survives whoever holds the file. The case's
	 * canonical header is stored (verify names the column that differs from
	 * it); signatures and trusted timestamps of case hashes; features keyed by
	 * (response, version) and bound to the answer they were computed from.
	 */
	"ALTER TABLE cases ADD COLUMN header TEXT;"
	"CREATE TABLE case_signatures("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED,"
	"  hash TEXT NOT NULL,"
	"  key_sha256 TEXT NOT NULL,"
	"  public_key BLOB NOT NULL,"
	"  signature BLOB NOT NULL,"
	"  PRIMARY KEY (case_id, key_sha256));"
	"CREATE TABLE case_timestamps("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) DEFERRABLE INITIALLY DEFERRED,"
	"  hash TEXT NOT NULL,"
	"  gen_time TEXT NOT NULL,"
	"  reply BLOB NOT NULL,"
	"  reply_sha256 TEXT NOT NULL,"
	"  attached_at TEXT NOT NULL);"
	"CREATE TABLE features_v5("
	"  response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,"
	"  version TEXT NOT NULL,"
	"  answer_sha256 TEXT NOT NULL,"
	"  blob BLOB NOT NULL,"
	"  PRIMARY KEY (response_id, version));"
	"INSERT INTO features_v5(response_id, version, answer_sha256, blob)"
	"  SELECT f.response_id, f.version, r.sha256, f.blob FROM features f JOIN responses r ON r.id = f.response_id;"
	"DROP TABLE features;"
	"ALTER TABLE features_v5 RENAME TO features;",
	/*
	 * 5 -> 6: validations become evidence like cases: a canonical header,
	 * its hash, a chain of their own (prev_hash), signatures, append-only.
	 * Rows written before stay unchained (no header, no hash): not quoted.
	 */
	"ALTER TABLE validations ADD COLUMN origin TEXT;"
	"ALTER TABLE validations ADD COLUMN prev_hash TEXT;"
	"ALTER TABLE validations ADD COLUMN header TEXT;"
	"ALTER TABLE validations ADD COLUMN hash TEXT;"
	"CREATE UNIQUE INDEX validations_hash ON validations(hash);"
	"CREATE TABLE validation_signatures("
	"  validation_id INTEGER NOT NULL REFERENCES validations(id) DEFERRABLE INITIALLY DEFERRED,"
	"  hash TEXT NOT NULL,"
	"  key_sha256 TEXT NOT NULL,"
	"  public_key BLOB NOT NULL,"
	"  signature BLOB NOT NULL,"
	"  PRIMARY KEY (validation_id, key_sha256));"
	"CREATE TRIGGER validations_append_only_u BEFORE UPDATE ON validations BEGIN SELECT RAISE(ABORT, 'validations are append-only'); END;"
	"CREATE TRIGGER validations_append_only_d BEFORE DELETE ON validations BEGIN SELECT RAISE(ABORT, 'validations are append-only'); END;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct model_slot {
	char *name;
	int64_t id;
};

struct store {
	sqlite3 *db;
	char *path;
	char *copy_dir;          /* a private copy of a read-only database and its -wal, removed on close */
	const void *signer;      /* cases.c: the key that signs appended cases, or NULL */
	int schema;              /* the schema version of the open file */
	int readonly;
	int in_tx;
	/* the import in progress */
	int64_t source_id;
	char *source_path;
	struct model_slot *models;
	size_t nmodels;
	struct pbuf z;
	struct zpacker *zp;
	sqlite3_stmt *st_model_get, *st_model_new, *st_model_upd, *st_prompt_get, *st_prompt_new,
		*st_resp_get, *st_resp_new, *st_link, *st_feat_put;
};

static int db_error(struct store *s, const char *what)
{
	if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_NOMEM)
		return prov_error(PROV_ENOMEM, "%s: %s: out of memory", s->path, what);
	return prov_error(PROV_EDB, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		prov_error(PROV_EDB, "%s: %s", s->path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return PROV_EDB;
	}
	return 0;
}

/*
 * Bind a blob of any size_t length: past SQLite's limit (or on any bind
 * failure) a clear error instead of a NULL that a NOT NULL constraint
 * reports later.
 */
static int bind_blob(struct store *s, sqlite3_stmt *st, int i, const void *p, size_t n, const char *what)
{
	int rc = sqlite3_bind_blob64(st, i, n ? p : "", (sqlite3_uint64)n, SQLITE_STATIC);

	if (rc == SQLITE_TOOBIG)
		return prov_error(PROV_EDATA, "%s: %s is too large for the database (%zu bytes)", s->path, what, n);
	if (rc != SQLITE_OK)
		return db_error(s, what);
	return 0;
}


static int query_int(struct store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "cannot read the database");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_error(s, "cannot read the database");
	}
	sqlite3_finalize(st);
	return rc;
}

void store_now(char out[32])
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;

	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);

		if (!*end && v >= 0)
			t = (time_t)v;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int migrate(struct store *s, int from, int to)
{
	int v;
	char sql[64];

	if (exec(s, "BEGIN IMMEDIATE"))
		return PROV_EDB;
	for (v = from; v < to; v++) {
		if (exec(s, migrations[v]))
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", to);
	if (exec(s, sql))
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
	if (exec(s, sql))
		goto fail;
	if (exec(s, "COMMIT"))
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return prov_error(PROV_EDB, "%s: cannot create or upgrade the schema: %s", s->path, prov_error_msg());
}

static int is_uri(const char *path)
{
	return strncmp(path, "file:", 5) == 0;
}

/*
 * When SQLite could not open or create a file for writing: the folder the
 * database lies in, if it cannot be written (a read-only file system or
 * folder): 1 and the message set, else 0.
 */
static int folder_not_writable(struct store *s)
{
	int e = s->db ? sqlite3_extended_errcode(s->db) & 0xff : SQLITE_CANTOPEN;
	char dir[4096], *slash;

	if (s->readonly || is_uri(s->path) || (e != SQLITE_CANTOPEN && e != SQLITE_READONLY))
		return 0;
	snprintf(dir, sizeof(dir), "%s", s->path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (access(dir, W_OK) == 0)
		return 0;
	prov_error(PROV_EDB, "%s: cannot write here: the folder %s is read-only or not writable (%s); the database "
		"and its -wal and -shm files need a writable folder (copy it elsewhere to add to it; reading "
		"commands such as cases, verify and report work where it is)", s->path, dir, strerror(errno));
	return 1;
}

static int open_db(struct store *s, const char *path, int oflags)
{
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		if (!s->db)
			return PROV_ENOMEM;
		if (folder_not_writable(s))
			return PROV_EDB;
		return prov_error(PROV_EDB, "%s: cannot open database: %s", s->path,
			sqlite3_errmsg(s->db));
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);
	return 0;
}

static int read_header(struct store *s, int64_t *appid, int64_t *uv, int64_t *ntables)
{
	return query_int(s, "PRAGMA application_id", appid) || query_int(s, "PRAGMA user_version", uv) ||
		query_int(s, "SELECT count(*) FROM sqlite_master", ntables) ? PROV_EDB : 0;
}

/* Did the last read fail because SQLite could not create or write what a WAL reader needs? */
static int needs_immutable(struct store *s)
{
	int e = s->db ? sqlite3_extended_errcode(s->db) : 0;

	return (e & 0xff) == SQLITE_READONLY || (e & 0xff) == SQLITE_CANTOPEN;
}

/* The path as an SQLite URI that opens it immutable (read-only, no locks, no -wal or -shm). */
static char *immutable_uri(const char *path)
{
	struct pbuf b = PBUF_INIT(0);
	const char *p;
	size_t len;

	if (is_uri(path)) {
		if (pbuf_addf(&b, "%s%simmutable=1", path, strchr(path, '?') ? "&" : "?"))
			goto fail;
		return pbuf_detach(&b, &len);
	}
	if (pbuf_adds(&b, "file:"))
		goto fail;
	for (p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%' || c == '?' || c == '#' || c <= 0x20 || c >= 0x7f) {
			if (pbuf_addf(&b, "%%%02X", c))
				goto fail;
		} else if (pbuf_addc(&b, (char)c)) {
			goto fail;
		}
	}
	if (pbuf_adds(&b, "?immutable=1"))
		goto fail;
	return pbuf_detach(&b, &len);
fail:
	pbuf_release(&b);
	return NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The file an SQLite path or file: URI names (percent-decoded), or NULL (out of memory, or not a local file). */
static char *file_of(const char *path)
{
	struct pbuf b = PBUF_INIT(0);
	const char *p = path;
	size_t len;

	if (!is_uri(path))
		return prov_strdup(path);
	p += 5;
	if (!strncmp(p, "//", 2)) {   /* file://[localhost]/path */
		p += 2;
		if (!strncmp(p, "localhost", 9))
			p += 9;
		if (*p != '/')
			return NULL;
	}
	for (; *p && *p != '?' && *p != '#'; p++) {
		int hi, lo;

		if (*p == '%' && p[1] && p[2] && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			if (pbuf_addc(&b, (char)(hi * 16 + lo)))
				goto fail;
			p += 2;
		} else if (pbuf_addc(&b, *p)) {
			goto fail;
		}
	}
	if (!b.len)
		goto fail;
	return pbuf_detach(&b, &len);
fail:
	pbuf_release(&b);
	return NULL;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char buf[1 << 16];
	size_t n;
	int bad = !in || !out;

	while (!bad && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		bad = fwrite(buf, 1, n, out) != n;
	bad |= in && ferror(in);
	if (in)
		fclose(in);
	if (out && fclose(out))
		bad = 1;
	return bad ? -1 : 0;
}

/*
 * A WAL database that cannot be opened for writing, whose -wal file holds
 * changes: copy both to a private temporary directory (s->copy_dir) and open
 * the copy, so that what is read is the whole database, never the stale main
 * file alone. 1 when there is no such -wal (the caller reads the file as
 * immutable), 0 when the copy is open, <0 (with a message) when it cannot be.
 */
static int open_wal_copy(struct store *s, const char *path, int oflags)
{
	char *file = file_of(path), *wal = NULL, db[4200], dbwal[4200];
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int rc = 1;

	if (!file)
		return 1;
	wal = prov_calloc(strlen(file) + 5, 1);
	if (!wal) {
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(wal, file, strlen(file));
	memcpy(wal + strlen(file), "-wal", 5);
	if (stat(wal, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		goto done;   /* nothing beside the file: immutable reads it whole */
	snprintf(db, sizeof(db), "%s/provenance-ro.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(db)) {
		rc = prov_error(PROV_EIO, "%s: the newest changes of this database are in %s, which a read-only open cannot"
			" apply here, and no private copy could be made (%s: %s); copy the database with its -wal file to a"
			" writable place and open the copy", path, wal, db, strerror(errno));
		goto done;
	}
	s->copy_dir = prov_strdup(db);
	if (!s->copy_dir) {
		rmdir(db);
		rc = prov_error(PROV_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(db, sizeof(db), "%s/db", s->copy_dir);
	snprintf(dbwal, sizeof(dbwal), "%s/db-wal", s->copy_dir);
	if (copy_file(file, db) || copy_file(wal, dbwal)) {
		rc = prov_error(PROV_EIO, "%s: the newest changes of this database are in %s, which a read-only open cannot"
			" apply here, and copying both to %s failed (%s); copy the database with its -wal file to a writable"
			" place and open the copy", path, wal, s->copy_dir, strerror(errno));
		goto done;
	}
	/* the private copy: written by nobody else, read-write so that SQLite may apply its WAL */
	rc = open_db(s, db, (oflags & ~(SQLITE_OPEN_READONLY | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READWRITE);
done:
	free(file);
	free(wal);
	return rc;
}

int store_open_at_version(struct store **out, const char *path, int flags, int version)
{
	struct store *s;
	struct stat st;
	int64_t appid = 0, uv = 0, ntables = 0;
	int oflags, rc;

	*out = NULL;
	if (!is_uri(path) && stat(path, &st) != 0) {
		if (flags & (STORE_MUST_EXIST | STORE_RDONLY))
			return prov_error(PROV_ENOTFOUND,
				"%s: no such database (import a corpus first: provenance corpus import FILE)", path);
	} else if (!is_uri(path) && S_ISDIR(st.st_mode)) {
		return prov_error(PROV_EIO, "%s: is a directory, not a database file", path);
	}
	s = prov_calloc(1, sizeof(*s));
	if (!s)
		return PROV_ENOMEM;
	pbuf_init(&s->z, 0);
	s->path = prov_strdup(path);
	if (!s->path) {
		free(s);
		return PROV_ENOMEM;
	}
	s->readonly = !!(flags & STORE_RDONLY);
	oflags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
		(s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if ((rc = open_db(s, path, oflags))) {
		store_close(s);
		return rc == PROV_ENOMEM ? prov_error(PROV_ENOMEM, "out of memory") : rc;
	}
	if ((rc = read_header(s, &appid, &uv, &ntables)) && s->readonly && needs_immutable(s)) {
		/*
		 * A WAL database on read-only media (or in a directory we may not
		 * write) cannot create its -shm file. When its -wal file holds
		 * changes, read a private copy of both (never the stale main file
		 * alone); else read it as immutable, which touches nothing (the file
		 * must not change while we read).
		 */
		char *uri = NULL;

		sqlite3_close_v2(s->db);
		s->db = NULL;
		if ((rc = open_wal_copy(s, path, oflags)) < 0) {
			store_close(s);
			return rc;
		}
		if (rc == 0) {
			rc = read_header(s, &appid, &uv, &ntables);
			goto opened;
		}
		uri = immutable_uri(path);
		if (!uri || (rc = open_db(s, uri, oflags))) {
			free(uri);
			store_close(s);
			return !uri || rc == PROV_ENOMEM ? prov_error(PROV_ENOMEM, "out of memory") : rc;
		}
		free(uri);
		rc = read_header(s, &appid, &uv, &ntables);
	}
opened:
	if (rc && folder_not_writable(s)) {
		store_close(s);
		return PROV_EDB;
	}
	if (rc) {
		rc = prov_error(PROV_EDB, "%s: not a usable database (corrupt or not SQLite): %s", path,
			sqlite3_errmsg(s->db));
		store_close(s);
		return rc;
	}
	if (appid != STORE_APPLICATION_ID && (appid != 0 || ntables != 0)) {
		rc = prov_error(PROV_EDB, "%s: not a provenance database (it holds other tables)", path);
		store_close(s);
		return rc;
	}
	if (uv > NMIGRATIONS) {
		rc = prov_error(PROV_EDB,
			"%s: schema version %lld is newer than this provenance understands (%d); upgrade provenance",
			path, (long long)uv, NMIGRATIONS);
		store_close(s);
		return rc;
	}
	if (version > NMIGRATIONS)
		version = NMIGRATIONS;
	s->schema = (int)uv;
	if (uv < version) {
		/*
		 * A read-only open never migrates. Evidence from the schema before
		 * (4: cases without stored headers, signatures or timestamps) is
		 * still read as it is, so that it can be verified where it lies.
		 */
		if (s->readonly && !(uv == 4 && ntables > 0)) {
			rc = prov_error(PROV_EDB, "%s: schema version %lld needs an upgrade; open it writable once",
				path, (long long)uv);
			store_close(s);
			return rc;
		}
		if (!s->readonly && (rc = migrate(s, (int)uv, version))) {
			store_close(s);
			return rc;
		}
		if (!s->readonly)
			s->schema = version;
	}
	if (exec(s, "PRAGMA foreign_keys = ON")) {
		store_close(s);
		return PROV_EDB;
	}
	if (!s->readonly && exec(s, "PRAGMA journal_mode = WAL")) {
		store_close(s);
		return PROV_EDB;
	}
	*out = s;
	return 0;
}

int store_open(struct store **out, const char *path, int flags)
{
	return store_open_at_version(out, path, flags, NMIGRATIONS);
}

static void finalize_import_stmts(struct store *s)
{
	sqlite3_stmt **sts[] = { &s->st_model_get, &s->st_model_new, &s->st_model_upd, &s->st_prompt_get,
		&s->st_prompt_new, &s->st_resp_get, &s->st_resp_new, &s->st_link, &s->st_feat_put };
	size_t i;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		sqlite3_finalize(*sts[i]);
		*sts[i] = NULL;
	}
}

static void clear_import(struct store *s)
{
	size_t i;

	for (i = 0; i < s->nmodels; i++)
		free(s->models[i].name);
	free(s->models);
	s->models = NULL;
	s->nmodels = 0;
	free(s->source_path);
	s->source_path = NULL;
	s->source_id = 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	store_import_rollback(s);
	finalize_import_stmts(s);
	if (s->db)
		sqlite3_close_v2(s->db);
	pbuf_release(&s->z);
	zpacker_free(s->zp);
	if (s->copy_dir) {
		static const char *const names[] = { "db", "db-wal", "db-shm", "db-journal" };
		char f[4200];
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(f, sizeof(f), "%s/%s", s->copy_dir, names[i]);
			unlink(f);
		}
		rmdir(s->copy_dir);
		free(s->copy_dir);
	}
	free(s->path);
	free(s);
}

const char *store_path(const struct store *s)
{
	return s->path;
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

void store_set_signer(struct store *s, const void *signer)
{
	s->signer = signer;
}

const void *store_signer(const struct store *s)
{
	return s->signer;
}

int store_is_readonly(const struct store *s)
{
	return s->readonly;
}

int store_version(const struct store *s)
{
	return s->schema;
}

int store_schema_version(struct store *s)
{
	int64_t v = -1;

	if (query_int(s, "PRAGMA user_version", &v))
		return -1;
	return (int)v;
}

int store_source_seen(struct store *s, const char *sha256, const char *params, char when_out[32])
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT imported_at FROM sources WHERE sha256 = ?1 AND params = ?2", -1,
		&st, NULL) != SQLITE_OK)
		return db_error(s, "cannot look up sources");
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, params, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (when_out)
			snprintf(when_out, 32, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = db_error(s, "cannot look up sources");
	}
	sqlite3_finalize(st);
	return rc;
}

static int prepare(struct store *s, sqlite3_stmt **st, const char *sql)
{
	if (*st)
		return 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(s, "cannot prepare a statement");
	return 0;
}

static int prepare_import(struct store *s)
{
	if (prepare(s, &s->st_model_get, "SELECT id, family, role FROM models WHERE name = ?1") ||
	    prepare(s, &s->st_model_new,
		"INSERT INTO models(name, family, role, created_at) VALUES (?1, ?2, ?3, ?4)") ||
	    prepare(s, &s->st_model_upd, "UPDATE models SET family = ?2, role = ?3 WHERE id = ?1") ||
	    prepare(s, &s->st_prompt_get, "SELECT id FROM prompts WHERE key = ?1") ||
	    prepare(s, &s->st_prompt_new,
		"INSERT INTO prompts(key, ext_id, sha256, size, text) VALUES (?1, ?2, ?3, ?4, ?5)") ||
	    prepare(s, &s->st_resp_get,
		"SELECT r.sha256, r.line, r.source_id, so.path FROM responses r JOIN sources so ON so.id = r.source_id"
		" WHERE r.model_id = ?1 AND r.prompt_id = ?2") ||
	    prepare(s, &s->st_resp_new,
		"INSERT INTO responses(model_id, prompt_id, source_id, line, ext_id, sha256, size, text)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") ||
	    prepare(s, &s->st_link,
		"INSERT INTO model_sources(model_id, source_id, responses) VALUES (?1, ?2, 1)"
		" ON CONFLICT(model_id, source_id) DO UPDATE SET responses = responses + 1") ||
	    prepare(s, &s->st_feat_put,
		"INSERT OR REPLACE INTO features(response_id, version, answer_sha256, blob)"
		" VALUES (?1, ?2, (SELECT sha256 FROM responses WHERE id = ?1), ?3)"))
		return PROV_EDB;
	return 0;
}

int store_import_begin(struct store *s, const char *path, const char *sha256, uint64_t size,
	const char *params)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	if (s->readonly)
		return prov_error(PROV_EDB, "%s: opened read-only", s->path);
	if (s->in_tx)
		return prov_error(PROV_EINTERNAL, "an import is already in progress");
	if ((rc = prepare_import(s)))
		return rc;
	if (exec(s, "BEGIN IMMEDIATE"))
		return prov_error(PROV_EDB, "%s: cannot write: %s", s->path, sqlite3_errmsg(s->db));
	s->in_tx = 1;
	store_now(now);
	if (sqlite3_prepare_v2(s->db,
		"INSERT INTO sources(path, sha256, size, params, imported_at, tool_version)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(s, "cannot record the source file");
		goto fail;
	}
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_text(st, 4, params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, PROV_VERSION, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(s, "cannot record the source file");
		goto fail;
	}
	sqlite3_finalize(st);
	s->source_id = sqlite3_last_insert_rowid(s->db);
	s->source_path = prov_strdup(path);
	if (!s->source_path) {
		store_import_rollback(s);
		return PROV_ENOMEM;
	}
	return 0;
fail:
	sqlite3_finalize(st);
	store_import_rollback(s);
	return rc;
}

int store_import_source(struct store *s, const char *sha256, uint64_t size, const char *params,
	char when_out[32])
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!s->in_tx)
		return prov_error(PROV_EINTERNAL, "store_import_source outside an import");
	if (sqlite3_prepare_v2(s->db, "SELECT imported_at FROM sources WHERE sha256 = ?1 AND params = ?2 AND id <> ?3",
		-1, &st, NULL) != SQLITE_OK)
		return db_error(s, "cannot look up sources");
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, s->source_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (when_out)
			snprintf(when_out, 32, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot look up sources");
	if (sqlite3_prepare_v2(s->db, "UPDATE sources SET sha256 = ?2, size = ?3 WHERE id = ?1", -1, &st, NULL) !=
		SQLITE_OK)
		return db_error(s, "cannot record the source file");
	sqlite3_bind_int64(st, 1, s->source_id);
	sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, "cannot record the source file");
	sqlite3_finalize(st);
	return rc;
}

void store_import_rollback(struct store *s)
{
	if (!s || !s->in_tx)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	clear_import(s);
}

static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, what);
	return 0;
}

static int bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int eq_opt(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Find or create the model, applying family and role when given. */
static int resolve_model(struct store *s, const struct store_item *it, int64_t *id_out,
	struct store_import_stats *stats)
{
	struct model_slot *grown;
	sqlite3_stmt *st = s->st_model_get;
	size_t i;
	int rc;

	for (i = 0; i < s->nmodels; i++) {
		if (strcmp(s->models[i].name, it->model) == 0) {
			*id_out = s->models[i].id;
			return 0;
		}
	}
	sqlite3_bind_text(st, 1, it->model, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *fam = (const char *)sqlite3_column_text(st, 1);
		const char *role = (const char *)sqlite3_column_text(st, 2);
		int64_t id = sqlite3_column_int64(st, 0);
		int change = (it->family && !eq_opt(fam, it->family)) || (it->role && !eq_opt(role, it->role));
		char *keep_fam = fam ? prov_strdup(fam) : NULL;
		char *keep_role = role ? prov_strdup(role) : NULL;

		sqlite3_reset(st);
		*id_out = id;
		if (change) {
			sqlite3_bind_int64(s->st_model_upd, 1, id);
			bind_opt_text(s->st_model_upd, 2, it->family ? it->family : keep_fam);
			bind_opt_text(s->st_model_upd, 3, it->role ? it->role : keep_role);
			rc = step_done(s, s->st_model_upd, "cannot update the model");
			if (!rc && stats)
				stats->models_updated++;
		} else {
			rc = 0;
		}
		free(keep_fam);
		free(keep_role);
		if (rc)
			return rc;
	} else if (rc == SQLITE_DONE) {
		char now[32];

		sqlite3_reset(st);
		store_now(now);
		sqlite3_bind_text(s->st_model_new, 1, it->model, -1, SQLITE_STATIC);
		bind_opt_text(s->st_model_new, 2, it->family);
		sqlite3_bind_text(s->st_model_new, 3, it->role ? it->role : "teacher", -1, SQLITE_STATIC);
		sqlite3_bind_text(s->st_model_new, 4, now, -1, SQLITE_TRANSIENT);
		if ((rc = step_done(s, s->st_model_new, "cannot add the model")))
			return rc;
		*id_out = sqlite3_last_insert_rowid(s->db);
		if (stats)
			stats->models_created++;
	} else {
		sqlite3_reset(st);
		return db_error(s, "cannot look up the model");
	}
	grown = prov_reallocarray(s->models, s->nmodels + 1, sizeof(*grown));
	if (!grown)
		return PROV_ENOMEM;
	s->models = grown;
	s->models[s->nmodels].name = prov_strdup(it->model);
	if (!s->models[s->nmodels].name)
		return PROV_ENOMEM;
	s->models[s->nmodels].id = *id_out;
	s->nmodels++;
	return 0;
}

static int resolve_prompt(struct store *s, const struct store_item *it, int64_t *id_out,
	struct store_import_stats *stats)
{
	sqlite3_stmt *st = s->st_prompt_get;
	char sha[PROV_SHA256_HEX];
	int rc;

	sqlite3_bind_text(st, 1, it->prompt_key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot look up the prompt");
	if ((rc = prov_sha256_hex(sha, it->prompt, it->prompt_len)))
		return rc;
	if (!s->zp && (rc = zpacker_new(&s->zp, ZLEVEL)))
		return rc;
	if ((rc = zpacker_pack(s->zp, &s->z, it->prompt, it->prompt_len)))
		return rc;
	st = s->st_prompt_new;
	sqlite3_bind_text(st, 1, it->prompt_key, -1, SQLITE_STATIC);
	bind_opt_text(st, 2, it->ext_id);
	sqlite3_bind_text(st, 3, sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)it->prompt_len);
	if ((rc = bind_blob(s, st, 5, s->z.data, s->z.len, "the prompt")) ||
	    (rc = step_done(s, st, "cannot store the prompt")))
		return rc;
	*id_out = sqlite3_last_insert_rowid(s->db);
	if (stats)
		stats->prompts_added++;
	return 0;
}

int store_import_add(struct store *s, const struct store_item *it, struct store_import_stats *stats)
{
	sqlite3_stmt *st;
	int64_t model_id = 0, prompt_id = 0;
	char sha[PROV_SHA256_HEX];
	int rc;

	if (!s->in_tx)
		return prov_error(PROV_EINTERNAL, "store_import_add outside an import");
	if ((rc = resolve_model(s, it, &model_id, stats)) || (rc = resolve_prompt(s, it, &prompt_id, stats)))
		return rc;
	if (it->response_sha256)
		snprintf(sha, sizeof(sha), "%s", it->response_sha256);
	else if ((rc = prov_sha256_hex(sha, it->response, it->response_len)))
		return rc;
	st = s->st_resp_get;
	sqlite3_bind_int64(st, 1, model_id);
	sqlite3_bind_int64(st, 2, prompt_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int same = strcmp((const char *)sqlite3_column_text(st, 0), sha) == 0;

		if (!same) {
			rc = prov_error(PROV_EDATA,
				"%s:%ld: model \"%s\" already has a different response to this prompt (%s:%lld)",
				s->source_path, it->line, it->model, (const char *)sqlite3_column_text(st, 3),
				(long long)sqlite3_column_int64(st, 1));
			sqlite3_reset(st);
			return rc;
		}
		sqlite3_reset(st);
		if (stats)
			stats->responses_present++;
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot look up the response");
	if (!it->response_z && !s->zp && (rc = zpacker_new(&s->zp, ZLEVEL)))
		return rc;
	if (!it->response_z && (rc = zpacker_pack(s->zp, &s->z, it->response, it->response_len)))
		return rc;
	st = s->st_resp_new;
	sqlite3_bind_int64(st, 1, model_id);
	sqlite3_bind_int64(st, 2, prompt_id);
	sqlite3_bind_int64(st, 3, s->source_id);
	sqlite3_bind_int64(st, 4, it->line);
	bind_opt_text(st, 5, it->ext_id);
	sqlite3_bind_text(st, 6, sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)it->response_len);
	if ((rc = it->response_z ? bind_blob(s, st, 8, it->response_z, it->response_zlen, "the response") :
		   bind_blob(s, st, 8, s->z.data, s->z.len, "the response")) ||
	    (rc = step_done(s, st, "cannot store the response")))
		return rc;
	if (it->features && it->features_version) {
		st = s->st_feat_put;
		sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(s->db));
		sqlite3_bind_text(st, 2, it->features_version, -1, SQLITE_STATIC);
		if ((rc = bind_blob(s, st, 3, it->features, it->features_len, "the features")) ||
		    (rc = step_done(s, st, "cannot store the features")))
			return rc;
	}
	st = s->st_link;
	sqlite3_bind_int64(st, 1, model_id);
	sqlite3_bind_int64(st, 2, s->source_id);
	if ((rc = step_done(s, st, "cannot link the model to its source")))
		return rc;
	if (stats)
		stats->responses_added++;
	return 0;
}

int store_import_commit(struct store *s, long lines, long records)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (!s->in_tx)
		return prov_error(PROV_EINTERNAL, "store_import_commit outside an import");
	if (sqlite3_prepare_v2(s->db, "UPDATE sources SET lines = ?2, records = ?3 WHERE id = ?1", -1, &st,
		NULL) != SQLITE_OK)
		rc = db_error(s, "cannot finish the source record");
	if (!rc) {
		sqlite3_bind_int64(st, 1, s->source_id);
		sqlite3_bind_int64(st, 2, lines);
		sqlite3_bind_int64(st, 3, records);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_error(s, "cannot finish the source record");
	}
	sqlite3_finalize(st);
	/* A file that added nothing to any model leaves no source record behind. */
	if (!rc && exec(s, "DELETE FROM sources WHERE id NOT IN (SELECT source_id FROM model_sources)"
		" AND id NOT IN (SELECT source_id FROM responses)"))
		rc = PROV_EDB;
	if (!rc && exec(s, "COMMIT"))
		rc = PROV_EDB;
	if (rc) {
		store_import_rollback(s);
		return rc;
	}
	s->in_tx = 0;
	clear_import(s);
	return 0;
}

void store_models_free(struct store_model_info *m, size_t n)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].family);
		free(m[i].role);
		for (j = 0; j < m[i].nsources; j++) {
			free(m[i].sources[j].path);
			free(m[i].sources[j].tool_version);
		}
		free(m[i].sources);
	}
	free(m);
}

static char *col_strdup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v ? prov_strdup(v) : NULL;
}

int store_models(struct store *s, struct store_model_info **out, size_t *n_out)
{
	sqlite3_stmt *st = NULL, *ss = NULL;
	struct store_model_info *m = NULL;
	size_t n = 0;
	int rc = 0, step;

	*out = NULL;
	*n_out = 0;
	if (sqlite3_prepare_v2(s->db,
		"SELECT m.id, m.name, m.family, m.role,"
		" (SELECT count(*) FROM responses r WHERE r.model_id = m.id),"
		" (SELECT count(DISTINCT prompt_id) FROM responses r WHERE r.model_id = m.id)"
		" FROM models m ORDER BY m.name", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
		"SELECT so.path, so.sha256, so.size, so.lines, ms.responses, so.imported_at, so.tool_version"
		" FROM model_sources ms JOIN sources so ON so.id = ms.source_id"
		" WHERE ms.model_id = ?1 ORDER BY so.id", -1, &ss, NULL) != SQLITE_OK) {
		rc = db_error(s, "cannot list models");
		goto done;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_model_info *grown = prov_reallocarray(m, n + 1, sizeof(*m)), *cur;

		if (!grown) {
			rc = PROV_ENOMEM;
			goto done;
		}
		m = grown;
		cur = &m[n++];
		memset(cur, 0, sizeof(*cur));
		cur->id = sqlite3_column_int64(st, 0);
		cur->name = col_strdup(st, 1);
		cur->family = col_strdup(st, 2);
		cur->role = col_strdup(st, 3);
		cur->responses = (long)sqlite3_column_int64(st, 4);
		cur->prompts = (long)sqlite3_column_int64(st, 5);
		if (!cur->name || !cur->role) {
			rc = PROV_ENOMEM;
			goto done;
		}
		sqlite3_bind_int64(ss, 1, cur->id);
		while ((step = sqlite3_step(ss)) == SQLITE_ROW) {
			struct store_source_info *sg = prov_reallocarray(cur->sources, cur->nsources + 1,
				sizeof(*sg)), *src;

			if (!sg) {
				rc = PROV_ENOMEM;
				goto done;
			}
			cur->sources = sg;
			src = &sg[cur->nsources++];
			memset(src, 0, sizeof(*src));
			src->path = col_strdup(ss, 0);
			snprintf(src->sha256, sizeof(src->sha256), "%s", (const char *)sqlite3_column_text(ss, 1));
			src->size = (uint64_t)sqlite3_column_int64(ss, 2);
			src->lines = (long)sqlite3_column_int64(ss, 3);
			src->responses = (long)sqlite3_column_int64(ss, 4);
			snprintf(src->imported_at, sizeof(src->imported_at), "%s",
				(const char *)sqlite3_column_text(ss, 5));
			src->tool_version = col_strdup(ss, 6);
			if (!src->path || !src->tool_version) {
				rc = PROV_ENOMEM;
				goto done;
			}
		}
		sqlite3_reset(ss);
		if (step != SQLITE_DONE) {
			rc = db_error(s, "cannot list sources");
			goto done;
		}
	}
	if (step != SQLITE_DONE)
		rc = db_error(s, "cannot list models");
done:
	sqlite3_finalize(st);
	sqlite3_finalize(ss);
	if (rc) {
		store_models_free(m, n);
		return rc;
	}
	*out = m;
	*n_out = n;
	return 0;
}

int store_remove_model(struct store *s, const char *name, long *responses_out)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0, nresp = 0;
	int rc = 0, step;

	if (responses_out)
		*responses_out = 0;
	if (exec(s, "BEGIN IMMEDIATE"))
		return prov_error(PROV_EDB, "%s: cannot write: %s", s->path, sqlite3_errmsg(s->db));
	if (sqlite3_prepare_v2(s->db,
		"SELECT id, (SELECT count(*) FROM responses WHERE model_id = models.id) FROM models WHERE name = ?1",
		-1, &st, NULL) != SQLITE_OK) {
		rc = db_error(s, "cannot look up the model");
		goto done;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		nresp = sqlite3_column_int64(st, 1);
	} else if (step == SQLITE_DONE) {
		rc = prov_error(PROV_ENOTFOUND, "no model named \"%s\" in %s (see: provenance corpus list)", name,
			s->path);
		goto done;
	} else {
		rc = db_error(s, "cannot look up the model");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM models WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(s, "cannot remove the model");
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(s, "cannot remove the model");
		goto done;
	}
	if (exec(s, "DELETE FROM prompts WHERE id NOT IN (SELECT prompt_id FROM responses)") ||
	    exec(s, "DELETE FROM sources WHERE id NOT IN (SELECT source_id FROM model_sources)"
		" AND id NOT IN (SELECT source_id FROM responses)"))
		rc = PROV_EDB;
done:
	sqlite3_finalize(st);
	if (rc) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (exec(s, "COMMIT")) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return PROV_EDB;
	}
	if (responses_out)
		*responses_out = (long)nresp;
	return 0;
}

int store_each_prompt(struct store *s, const char *model, store_prompt_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct pbuf text = PBUF_INIT(0);
	int rc = 0, step;

	if (model) {
		int64_t dummy;
		sqlite3_stmt *chk = NULL;

		if (sqlite3_prepare_v2(s->db, "SELECT id FROM models WHERE name = ?1", -1, &chk, NULL) != SQLITE_OK)
			return db_error(s, "cannot look up the model");
		sqlite3_bind_text(chk, 1, model, -1, SQLITE_STATIC);
		step = sqlite3_step(chk);
		dummy = step == SQLITE_ROW;
		sqlite3_finalize(chk);
		if (!dummy)
			return prov_error(PROV_ENOTFOUND, "no model named \"%s\" in %s (see: provenance corpus list)",
				model, s->path);
	}
	if (sqlite3_prepare_v2(s->db, model ?
		"SELECT p.ext_id, p.text, p.size FROM prompts p WHERE p.id IN"
		" (SELECT r.prompt_id FROM responses r JOIN models m ON m.id = r.model_id WHERE m.name = ?1)"
		" ORDER BY p.id" :
		"SELECT p.ext_id, p.text, p.size FROM prompts p ORDER BY p.id", -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "cannot list prompts");
	if (model)
		sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = zunpack(&text, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
			(size_t)sqlite3_column_int64(st, 2));
		if (rc)
			break;
		rc = fn(ctx, (const char *)sqlite3_column_text(st, 0), text.data, text.len);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_error(s, "cannot list prompts");
	sqlite3_finalize(st);
	pbuf_release(&text);
	return rc;
}

/* ---- the corpus as the engine sees it ---- */

void store_snapshot_free(struct store_snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->nmodels; i++) {
		free(snap->models[i].name);
		free(snap->models[i].family);
	}
	for (i = 0; i < snap->nprompts; i++)
		free(snap->prompts[i].ext_id);
	for (i = 0; i < snap->nrows; i++)
		free(snap->rows[i].blob);
	free(snap->models);
	free(snap->prompts);
	free(snap->rows);
	free(snap->by_key);
	free(snap->by_id);
	free(snap);
}

/* qsort has no context argument: the snapshot being indexed. Loading is single-threaded per call. */
static _Thread_local const struct store_snapshot *index_snap;

static int cmp_by_key(const void *a, const void *b)
{
	const struct store_prompt_ref *x = &index_snap->prompts[*(const size_t *)a];
	const struct store_prompt_ref *y = &index_snap->prompts[*(const size_t *)b];
	int c = strcmp(x->key, y->key);

	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

static int cmp_by_id(const void *a, const void *b)
{
	const struct store_prompt_ref *x = &index_snap->prompts[*(const size_t *)a];
	const struct store_prompt_ref *y = &index_snap->prompts[*(const size_t *)b];
	int c = strcmp(x->ext_id, y->ext_id);

	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

static int index_prompts(struct store_snapshot *sn)
{
	size_t i;

	sn->by_key = prov_calloc(sn->nprompts + 1, sizeof(*sn->by_key));
	sn->by_id = prov_calloc(sn->nprompts + 1, sizeof(*sn->by_id));
	if (!sn->by_key || !sn->by_id)
		return PROV_ENOMEM;
	for (i = 0; i < sn->nprompts; i++) {
		sn->by_key[i] = i;
		if (sn->prompts[i].ext_id)
			sn->by_id[sn->nby_id++] = i;
	}
	index_snap = sn;
	qsort(sn->by_key, sn->nprompts, sizeof(*sn->by_key), cmp_by_key);
	qsort(sn->by_id, sn->nby_id, sizeof(*sn->by_id), cmp_by_id);
	index_snap = NULL;
	return 0;
}

/* Index of id in a sorted-by-id array via binary search; -1 if absent. */
static long find_model(const struct store_snapshot *sn, int64_t id)
{
	size_t i;

	for (i = 0; i < sn->nmodels; i++)
		if (sn->models[i].id == id)
			return (long)i;
	return -1;
}

struct pid {
	int64_t id;
	size_t idx;
};

static int cmp_pid(const void *a, const void *b)
{
	const struct pid *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int snap_line(EVP_MD_CTX *h, sqlite3_stmt *st, int c, char *fsha_out, int format);
static int final_hex(EVP_MD_CTX *h, char out[PROV_SHA256_HEX]);

/* 32 bytes from 64 hex digits. */
static int unhex32(unsigned char out[32], const char *hex)
{
	int i;

	for (i = 0; i < 64; i++) {
		int c = hex[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return prov_error(PROV_EINTERNAL, "a SHA-256 that is not 64 hex digits");
		if (i % 2)
			out[i / 2] |= (unsigned char)v;
		else
			out[i / 2] = (unsigned char)(v << 4);
	}
	return 0;
}

int store_snapshot_load(struct store *s, const char *fver, struct store_snapshot **out)
{
	return store_snapshot_load_opt(s, fver, 0, out);
}

int store_snapshot_load_opt(struct store *s, const char *fver, int flags, struct store_snapshot **out)
{
	static const char head[] = SNAPSHOT_HEAD3;
	char fsha[PROV_SHA256_HEX];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	struct store_snapshot *sn;
	sqlite3_stmt *st = NULL;
	struct pid *pids = NULL;
	int rc = 0, step;
	size_t i;

	*out = NULL;
	sn = prov_calloc(1, sizeof(*sn));
	if (!sn)
		return PROV_ENOMEM;
	/* models, by name */
	if (sqlite3_prepare_v2(s->db, "SELECT id, name, family, role FROM models ORDER BY name", -1, &st, NULL)) {
		rc = db_error(s, "cannot read models");
		goto done;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_model_ref *g = prov_reallocarray(sn->models, sn->nmodels + 1, sizeof(*g)), *m;

		if (!g) {
			rc = PROV_ENOMEM;
			goto done;
		}
		sn->models = g;
		m = &g[sn->nmodels++];
		m->id = sqlite3_column_int64(st, 0);
		m->name = col_strdup(st, 1);
		m->family = col_strdup(st, 2);
		m->teacher = !strcmp((const char *)sqlite3_column_text(st, 3), "teacher");
		if (!m->name) {
			rc = PROV_ENOMEM;
			goto done;
		}
	}
	if (step != SQLITE_DONE) {
		rc = db_error(s, "cannot read models");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* prompts that some model answered, in import order */
	if (sqlite3_prepare_v2(s->db, "SELECT id, key, ext_id FROM prompts ORDER BY id", -1, &st, NULL)) {
		rc = db_error(s, "cannot read prompts");
		goto done;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_prompt_ref *g = prov_reallocarray(sn->prompts, sn->nprompts + 1, sizeof(*g)), *p;

		if (!g) {
			rc = PROV_ENOMEM;
			goto done;
		}
		sn->prompts = g;
		p = &g[sn->nprompts++];
		p->id = sqlite3_column_int64(st, 0);
		snprintf(p->key, sizeof(p->key), "%s", (const char *)sqlite3_column_text(st, 1));
		p->ext_id = col_strdup(st, 2);
	}
	if (step != SQLITE_DONE) {
		rc = db_error(s, "cannot read prompts");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	pids = prov_calloc(sn->nprompts + 1, sizeof(*pids));
	if (!pids) {
		rc = PROV_ENOMEM;
		goto done;
	}
	for (i = 0; i < sn->nprompts; i++) {
		pids[i].id = sn->prompts[i].id;
		pids[i].idx = i;
	}
	qsort(pids, sn->nprompts, sizeof(*pids), cmp_pid);
	/* responses with their features */
	if (sqlite3_prepare_v2(s->db,
		"SELECT r.id, r.model_id, r.prompt_id, m.name, m.family, m.role, p.key, p.sha256, p.ext_id, r.sha256, r.line,"
		" f.answer_sha256, f.blob, so.path, so.sha256, so.size, so.lines, so.imported_at, so.tool_version"
		" FROM responses r LEFT JOIN models m ON m.id = r.model_id"
		" LEFT JOIN prompts p ON p.id = r.prompt_id LEFT JOIN sources so ON so.id = r.source_id"
		" LEFT JOIN features f ON f.response_id = r.id AND f.version = ?1 ORDER BY r.id", -1, &st, NULL)) {
		rc = db_error(s, "cannot read responses");
		goto done;
	}
	/* the snapshot hash in the same pass (as snapshot_fmt computes it, format 3) */
	if (!h || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h, head, sizeof(head) - 1) != 1) {
		rc = prov_error(PROV_EINTERNAL, "libcrypto: cannot start SHA-256");
		goto done;
	}
	sqlite3_bind_text(st, 1, fver ? fver : "", -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row *g, *r;
		struct pid key, *hit;
		long mi = find_model(sn, sqlite3_column_int64(st, 1));
		const char *bound = (const char *)sqlite3_column_text(st, 11);

		key.id = sqlite3_column_int64(st, 2);
		hit = bsearch(&key, pids, sn->nprompts, sizeof(*pids), cmp_pid);
		if (mi < 0 || !hit) {
			rc = prov_error(PROV_EDB, "%s: response %lld refers to a missing model or prompt", s->path,
				(long long)sqlite3_column_int64(st, 0));
			goto done;
		}
		if (sn->nrows % 1024 == 0) {
			g = prov_reallocarray(sn->rows, sn->nrows + 1024, sizeof(*g));
			if (!g) {
				rc = PROV_ENOMEM;
				goto done;
			}
			sn->rows = g;
		}
		r = &sn->rows[sn->nrows++];
		memset(r, 0, sizeof(*r));
		r->response_id = sqlite3_column_int64(st, 0);
		r->model = (size_t)mi;
		r->prompt = hit->idx;
		snprintf(r->sha256, sizeof(r->sha256), "%s", (const char *)sqlite3_column_text(st, 9));
		/* features are used only for the answer they were computed from; others are recomputed */
		if (bound && fver && !strcmp(bound, r->sha256)) {
			size_t n = (size_t)sqlite3_column_bytes(st, 12);

			r->stored = 1;
			r->blob_len = n;
		}
		if (r->stored && !(flags & STORE_SNAP_LEAN)) {
			r->blob = malloc(r->blob_len ? r->blob_len : 1);
			if (!r->blob) {
				rc = prov_error(PROV_ENOMEM, "out of memory");
				goto done;
			}
			memcpy(r->blob, sqlite3_column_blob(st, 12), r->blob_len);
		}
		if ((rc = snap_line(h, st, 3, fsha, 3)))
			goto done;
		if (r->stored && (rc = unhex32(r->feat_sha, fsha)))
			goto done;
	}
	if (step != SQLITE_DONE) {
		rc = db_error(s, "cannot read responses");
		goto done;
	}
	if (!(rc = final_hex(h, sn->sha256)))
		rc = index_prompts(sn);
done:
	sqlite3_finalize(st);
	EVP_MD_CTX_free(h);
	free(pids);
	if (rc) {
		store_snapshot_free(sn);
		return rc;
	}
	*out = sn;
	return 0;
}

static int hash_field(EVP_MD_CTX *h, const char *v, size_t n)
{
	char len[32];
	int k = v ? snprintf(len, sizeof(len), "%zu:", n) : snprintf(len, sizeof(len), "-");

	return EVP_DigestUpdate(h, len, (size_t)k) != 1 || (v && EVP_DigestUpdate(h, v, n) != 1) ||
		EVP_DigestUpdate(h, " ", 1) != 1;
}

static void hex32(char out[PROV_SHA256_HEX], const unsigned char *md)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

static int final_hex(EVP_MD_CTX *h, char out[PROV_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_DigestFinal_ex(h, md, &n) != 1 || n != 32)
		return prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 failed");
	hex32(out, md);
	return 0;
}

/*
 * Hash one snapshot line from the current row of st: columns c..c+6 the
 * model's name, family and role, the prompt's key, SHA-256 and id, the
 * answer's SHA-256; c+7 its line; c+8 the answer SHA-256 the features were
 * computed from; c+9 the features blob; c+10..c+15 the record of the file it
 * was imported from (path, SHA-256, size, lines, time, tool version).
 * Format 3 binds content only: the line and the file's record (where and
 * when the answer was imported) are left out; format 2 (cases written before
 * it) binds them too.
 */
static int snap_line(EVP_MD_CTX *h, sqlite3_stmt *st, int c, char *fsha_out, int format)
{
	const char *asha = (const char *)sqlite3_column_text(st, c + 6);
	const char *bound = (const char *)sqlite3_column_text(st, c + 8);
	char fsha[PROV_SHA256_HEX] = "-", line[40];
	int k, bad = 0, rc;

	if (bound && asha && !strcmp(bound, asha) &&
	    (rc = prov_sha256_hex(fsha, sqlite3_column_blob(st, c + 9), (size_t)sqlite3_column_bytes(st, c + 9))))
		return rc;
	for (k = 0; k < 7 && !bad; k++)
		bad = hash_field(h, (const char *)sqlite3_column_text(st, c + k), (size_t)sqlite3_column_bytes(st, c + k));
	if (format == 2) {
		for (k = 10; k < 16 && !bad; k++)   /* the source file's record */
			bad = hash_field(h, (const char *)sqlite3_column_text(st, c + k), (size_t)sqlite3_column_bytes(st, c + k));
		k = snprintf(line, sizeof(line), "%lld ", (long long)sqlite3_column_int64(st, c + 7));
	} else {
		k = 0;
	}
	if (bad || EVP_DigestUpdate(h, line, (size_t)k) != 1 || EVP_DigestUpdate(h, fsha, strlen(fsha)) != 1 ||
	    EVP_DigestUpdate(h, "\n", 1) != 1)
		return prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 update failed");
	if (fsha_out)
		memcpy(fsha_out, fsha, PROV_SHA256_HEX);
	return 0;
}

/*
 * The snapshot (format 3): SHA-256 over "provenance-snapshot/3\n" and one
 * line per response in id (import) order binding who answered what: the
 * model's name, family and role, the prompt's key, text SHA-256 and id, the
 * answer's SHA-256, and the SHA-256 of the stored features of version fver
 * computed from that answer ("-" when there are none: they are computed from
 * the answer). Not where or when it was imported: the same files imported in
 * the same order give the same snapshot in any database. Format 2 (cases
 * written before format 3) also bound each answer's source line and its
 * file's record. With `want`, also report whether some prefix of the rows
 * hashes to `want` (the corpus grew since then): *prefix_out = the number of
 * rows of that prefix, or -1.
 */
static int snapshot_fmt(struct store *s, const char *fver, int format, const char *want, char out[PROV_SHA256_HEX],
	long *rows_out, long *prefix_out)
{
	static const char head3[] = SNAPSHOT_HEAD3, head2[] = "provenance-snapshot/2\n";
	const char *head = format == 2 ? head2 : head3;
	sqlite3_stmt *st = NULL;
	EVP_MD_CTX *h = EVP_MD_CTX_new(), *t = EVP_MD_CTX_new();
	char now[PROV_SHA256_HEX];
	long n = 0;
	int rc = 0, step;

	if (prefix_out)
		*prefix_out = -1;
	if (!h || !t || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h, head, strlen(head)) != 1) {
		rc = prov_error(PROV_EINTERNAL, "libcrypto: cannot start SHA-256");
		goto done;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT m.name, m.family, m.role, p.key, p.sha256, p.ext_id, r.sha256, r.line,"
		" f.answer_sha256, f.blob, so.path, so.sha256, so.size, so.lines, so.imported_at, so.tool_version"
		" FROM responses r LEFT JOIN models m ON m.id = r.model_id"
		" LEFT JOIN prompts p ON p.id = r.prompt_id LEFT JOIN sources so ON so.id = r.source_id"
		" LEFT JOIN features f ON f.response_id = r.id AND f.version = ?1 ORDER BY r.id", -1, &st, NULL)) {
		rc = db_error(s, "cannot read the corpus");
		goto done;
	}
	sqlite3_bind_text(st, 1, fver ? fver : "", -1, SQLITE_STATIC);
	for (;;) {
		if (want && (EVP_MD_CTX_copy_ex(t, h) != 1 || (rc = final_hex(t, now)) != 0)) {
			rc = rc ? rc : prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 failed");
			goto done;
		}
		if (want && !strcmp(now, want))
			*prefix_out = n;
		if ((step = sqlite3_step(st)) != SQLITE_ROW)
			break;
		if ((rc = snap_line(h, st, 0, NULL, format)))
			goto done;
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = db_error(s, "cannot read the corpus");
		goto done;
	}
	if (!want)
		rc = final_hex(h, now);
	if (!rc)
		memcpy(out, now, PROV_SHA256_HEX);
	if (rows_out)
		*rows_out = n;
done:
	sqlite3_finalize(st);
	EVP_MD_CTX_free(h);
	EVP_MD_CTX_free(t);
	return rc;
}

int store_snapshot_hash(struct store *s, const char *fver, char out[PROV_SHA256_HEX])
{
	return snapshot_fmt(s, fver, 3, NULL, out, NULL, NULL);
}

int store_snapshot_compare(struct store *s, const char *fver, const char *want, char now_out[PROV_SHA256_HEX],
	long *rows_out, long *added_out)
{
	long prefix = -1, rows = 0;
	char old[PROV_SHA256_HEX];
	int rc = snapshot_fmt(s, fver, 3, want, now_out, &rows, &prefix);

	*rows_out = rows;
	*added_out = 0;
	if (rc)
		return rc;
	/* not format 3: perhaps the format 2 snapshot of a case written before it */
	if (prefix < 0 && (rc = snapshot_fmt(s, fver, 2, want, old, &rows, &prefix)))
		return rc;
	if (prefix == rows)
		return SNAPSHOT_SAME;
	if (prefix >= 0) {
		*added_out = rows - prefix;
		return SNAPSHOT_GREW;
	}
	return SNAPSHOT_CHANGED;
}

int store_snapshot_hash_v1(struct store *s, char out[PROV_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	struct prov_sha256 *h = NULL;
	int rc = 0, step;

	if ((rc = prov_sha256_new(&h)))
		return rc;
	/* the response hashes in byte order, then the models by name */
	if (sqlite3_prepare_v2(s->db, "SELECT sha256 FROM responses ORDER BY sha256", -1, &st, NULL)) {
		prov_sha256_free(h);
		return db_error(s, "cannot read responses");
	}
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = prov_sha256_update(h, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0)) ||
		     prov_sha256_update(h, "\n", 1);
	sqlite3_finalize(st);
	st = NULL;
	if (!rc && sqlite3_prepare_v2(s->db, "SELECT name, coalesce(family, ''), role FROM models ORDER BY name", -1,
		&st, NULL))
		rc = db_error(s, "cannot read models");
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t k;

		for (k = 0; k < 3 && !rc; k++)
			rc = prov_sha256_update(h, sqlite3_column_text(st, (int)k), (size_t)sqlite3_column_bytes(st, (int)k)) ||
			     prov_sha256_update(h, k < 2 ? "\t" : "\n", 1);
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = prov_sha256_final(h, out);
	prov_sha256_free(h);
	return rc ? (rc < 0 ? rc : PROV_EINTERNAL) : 0;
}

int store_each_feature(struct store *s, const char *fver, store_feature_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct pbuf text = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX];
	int rc = 0, step;

	if (sqlite3_prepare_v2(s->db, "SELECT f.response_id, m.name, p.ext_id, r.text, r.size, r.sha256, f.blob"
		" FROM features f JOIN responses r ON r.id = f.response_id JOIN models m ON m.id = r.model_id"
		" JOIN prompts p ON p.id = r.prompt_id WHERE f.version = ?1 AND f.answer_sha256 = r.sha256"
		" ORDER BY f.response_id", -1, &st, NULL))
		return db_error(s, "cannot read the features");
	sqlite3_bind_text(st, 1, fver, -1, SQLITE_STATIC);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (zunpack(&text, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
			(size_t)sqlite3_column_int64(st, 4)) || prov_sha256_hex(sha, text.data, text.len) ||
		    strcmp(sha, (const char *)sqlite3_column_text(st, 5)))
			continue;
		rc = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2), text.data ? text.data : "", text.len,
			sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6));
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_error(s, "cannot read the features");
	sqlite3_finalize(st);
	pbuf_release(&text);
	return rc;
}

/* First position in a sorted index whose string is >= want. */
static size_t lower_bound(const struct store_snapshot *sn, const size_t *idx, size_t n, const char *want, int by_key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct store_prompt_ref *p = &sn->prompts[idx[mid]];

		if (strcmp(by_key ? p->key : p->ext_id, want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long store_snapshot_match(const struct store_snapshot *snap, const char *ext_id, const char *key,
	enum store_match *how)
{
	size_t i, nid = 0;
	long by_id = -1;

	*how = MATCH_NONE;
	if (ext_id) {
		for (i = lower_bound(snap, snap->by_id, snap->nby_id, ext_id, 0);
		     i < snap->nby_id && !strcmp(snap->prompts[snap->by_id[i]].ext_id, ext_id); i++) {
			const struct store_prompt_ref *p = &snap->prompts[snap->by_id[i]];

			if (key && !strcmp(p->key, key)) {
				*how = MATCH_ID_AND_TEXT;
				return (long)snap->by_id[i];
			}
			if (by_id < 0)
				by_id = (long)snap->by_id[i];
			nid++;
		}
		if (nid == 1) {
			*how = MATCH_ID;
			return by_id;
		}
	}
	if (key) {
		i = lower_bound(snap, snap->by_key, snap->nprompts, key, 1);
		if (i < snap->nprompts && !strcmp(snap->prompts[snap->by_key[i]].key, key)) {
			*how = MATCH_TEXT;
			return (long)snap->by_key[i];
		}
	}
	return -1;
}

int store_response_text(struct store *s, int64_t response_id, struct pbuf *out)
{
	sqlite3_stmt *st = NULL;
	char sha[PROV_SHA256_HEX];
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT text, size, sha256 FROM responses WHERE id = ?1", -1, &st, NULL))
		return db_error(s, "cannot read a response");
	sqlite3_bind_int64(st, 1, response_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? prov_error(PROV_ENOTFOUND, "no response %lld", (long long)response_id) :
			db_error(s, "cannot read a response");
	}
	rc = zunpack(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		(size_t)sqlite3_column_int64(st, 1));
	if (!rc && !(rc = prov_sha256_hex(sha, out->data, out->len)) &&
	    strcmp(sha, (const char *)sqlite3_column_text(st, 2)) != 0)
		rc = prov_error(PROV_ETAMPER, "%s: response %lld does not match its SHA-256", s->path,
			(long long)response_id);
	sqlite3_finalize(st);
	return rc;
}

int store_begin(struct store *s)
{
	if (exec(s, "BEGIN IMMEDIATE"))
		return prov_error(PROV_EDB, "%s: cannot write: %s", s->path, sqlite3_errmsg(s->db));
	return 0;
}

int store_commit(struct store *s)
{
	if (exec(s, "COMMIT")) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return PROV_EDB;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_features_put(struct store *s, int64_t response_id, const char *fver, const void *blob, size_t len)
{
	int rc;

	if ((rc = prepare(s, &s->st_feat_put,
		"INSERT OR REPLACE INTO features(response_id, version, answer_sha256, blob)"
		" VALUES (?1, ?2, (SELECT sha256 FROM responses WHERE id = ?1), ?3)")))
		return rc;
	sqlite3_bind_int64(s->st_feat_put, 1, response_id);
	sqlite3_bind_text(s->st_feat_put, 2, fver, -1, SQLITE_STATIC);
	if ((rc = bind_blob(s, s->st_feat_put, 3, blob, len, "the features")))
		return rc;
	return step_done(s, s->st_feat_put, "cannot store features");
}

/*
 * The cache holds values of any size in chunks: row `key` holds a header
 * ("PCACHE02", the chunk count, the total length, the id of the key that
 * sealed it and the seal), rows `key#000000`... the chunks.
 *
 * Whoever edits the database can recompute any hash stored in it, so the
 * seal is keyed with a secret kept outside the database: HMAC-SHA-256, under
 * a 32-byte key read from $PROVENANCE_CACHE_KEY, else
 * $XDG_STATE_HOME/provenance/cache.key, else ~/.local/state/provenance/
 * cache.key (created on first use, mode 0600), of the cache key and the
 * value's SHA-256. An entry sealed by another key (a database copied from
 * another user or machine, an entry of format PCACHE01) is not found, and so
 * recomputed; an entry sealed by this key whose value no longer matches its
 * seal, or whose chunks are missing, was edited: PROV_ETAMPER naming the
 * table, never used. Without a usable key file nothing is cached.
 */
#define CACHE_MAGIC "PCACHE02"
#define CACHE_CHUNK ((size_t)32 << 20)

struct cache_hdr {
	char magic[8];
	uint64_t chunks, len;
	char key_id[17];
	char mac[PROV_SHA256_HEX];
};

struct cache_key {
	int state;                 /* 0 not read yet, 1 usable, -1 none */
	unsigned char k[32];
	char id[17];
};
static struct cache_key cache_secret;   /* read once per process */

/* Make the directories of `path` (mode 0700); errors are left to the open that follows. */
static void mkdirs_for(char *path)
{
	char *p;

	for (p = path + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
}

static const struct cache_key *cache_key_get(void)
{
	const char *env = getenv("PROVENANCE_CACHE_KEY"), *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char path[4200], id[PROV_SHA256_HEX];
	FILE *f;
	int fd;

	if (cache_secret.state)
		return cache_secret.state > 0 ? &cache_secret : NULL;
	cache_secret.state = -1;
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else if (st && *st == '/')
		snprintf(path, sizeof(path), "%s/provenance/cache.key", st);
	else if (home && *home == '/')
		snprintf(path, sizeof(path), "%s/.local/state/provenance/cache.key", home);
	else
		return NULL;
	f = fopen(path, "rb");
	if (!f) {
		unsigned char k[32];

		mkdirs_for(path);
		if (RAND_bytes(k, sizeof(k)) != 1 || (fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
			goto reopen;
		if (write(fd, k, sizeof(k)) != (ssize_t)sizeof(k)) {
			close(fd);
			unlink(path);
			return NULL;
		}
		close(fd);
reopen:
		f = fopen(path, "rb");   /* ours, or the one another process made first */
		if (!f)
			return NULL;
	}
	if (fread(cache_secret.k, 1, sizeof(cache_secret.k), f) != sizeof(cache_secret.k)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	if (prov_sha256_hex(id, cache_secret.k, sizeof(cache_secret.k)))
		return NULL;
	snprintf(cache_secret.id, sizeof(cache_secret.id), "%.16s", id);
	cache_secret.state = 1;
	return &cache_secret;
}

/* The seal of a cache value: HMAC-SHA-256 under k of "key\n" + SHA-256(value), in hex. */
static int cache_seal(char out[PROV_SHA256_HEX], const struct cache_key *k, const char *key, const void *v, size_t n)
{
	struct pbuf msg = PBUF_INIT(0);
	char sha[PROV_SHA256_HEX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc;

	if ((rc = prov_sha256_hex(sha, n ? v : "", n)) || (rc = pbuf_addf(&msg, "%s\n%s", key, sha)))
		goto done;
	if (!HMAC(EVP_sha256(), k->k, (int)sizeof(k->k), (const unsigned char *)msg.data, msg.len, md, &mdlen) ||
	    mdlen != 32) {
		rc = prov_error(PROV_EINTERNAL, "libcrypto: HMAC-SHA-256 failed");
		goto done;
	}
	hex32(out, md);
done:
	pbuf_release(&msg);
	return rc;
}

static void chunk_key(char *out, size_t n, const char *key, uint64_t i)
{
	snprintf(out, n, "%s#%06llu", key, (unsigned long long)i);
}

/* One row's value into *out (appended). 1 found, 0 not, <0 error. */
static int cache_row(struct store *s, sqlite3_stmt *st, const char *key, struct pbuf *out)
{
	int rc;

	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
		return db_error(s, "cannot read the cache");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		if (n < 0)
			return 0;
		rc = n ? pbuf_add(out, v, (size_t)n) : 0;
		return rc ? rc : 1;
	}
	return rc == SQLITE_DONE ? 0 : db_error(s, "cannot read the cache");
}

int store_cache_get(struct store *s, const char *key, struct pbuf *out)
{
	sqlite3_stmt *st = NULL;
	struct pbuf hb = PBUF_INIT(0);
	struct cache_hdr h;
	const struct cache_key *k = cache_key_get();
	char ck[600], mac[PROV_SHA256_HEX];
	uint64_t i;
	int rc;

	if (strlen(key) > 500)
		return prov_error(PROV_EINTERNAL, "cache key too long");
	pbuf_reset(out);
	if (!k)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM cache WHERE key = ?1", -1, &st, NULL))
		return db_error(s, "cannot read the cache");
	rc = cache_row(s, st, key, &hb);
	if (rc != 1)
		goto done;
	rc = 0;
	if (hb.len != sizeof(h))
		goto done;
	memcpy(&h, hb.data, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, 8) || h.key_id[16] || h.mac[PROV_SHA256_HEX - 1] || strcmp(h.key_id, k->id))
		goto done;   /* another format, or sealed by another key: recomputed */
	if (h.len > (uint64_t)SIZE_MAX / 2 || h.chunks > h.len / CACHE_CHUNK + 1 || (out->max && h.len > out->max))
		goto forged;
	for (i = 0; i < h.chunks; i++) {
		chunk_key(ck, sizeof(ck), key, i);
		rc = cache_row(s, st, ck, out);
		if (rc != 1)
			break;
		rc = 0;
	}
	if (rc < 0)
		goto done;
	if (i < h.chunks || out->len != h.len)
		goto forged;
	if ((rc = cache_seal(mac, k, key, out->data, out->len)))
		goto done;
	if (strcmp(mac, h.mac))
		goto forged;
	rc = 1;
	goto done;
forged:
	rc = prov_error(PROV_ETAMPER, "%s: table cache: the cached entry %.80s does not match its seal (keyed with %.16s...,"
		" a secret outside the database): it was edited, and is not used. Remove it to recompute: sqlite3 %s"
		" \"DELETE FROM cache\"", s->path, key, k->id, s->path);
done:
	if (rc != 1)
		pbuf_reset(out);
	sqlite3_finalize(st);
	pbuf_release(&hb);
	return rc;
}

static int cache_insert(struct store *s, sqlite3_stmt *st, const char *key, const char *kind, const char *now,
	const void *v, size_t n)
{
	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob64(st, 4, n ? v : "", (sqlite3_uint64)n, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot write the cache");
	return 0;
}

int store_cache_put(struct store *s, const char *key, const char *kind, const void *value, size_t len)
{
	sqlite3_stmt *st = NULL;
	struct cache_hdr h;
	const struct cache_key *k = cache_key_get();
	char now[32], ck[600];
	uint64_t i;
	int rc = 0;

	if (strlen(key) > 500)
		return prov_error(PROV_EINTERNAL, "cache key too long");
	if (!k)
		return 0;   /* no key outside the database: nothing is cached */
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_MAGIC, 8);
	h.len = len;
	h.chunks = (len + CACHE_CHUNK - 1) / CACHE_CHUNK;
	memcpy(h.key_id, k->id, sizeof(h.key_id));
	if ((rc = cache_seal(h.mac, k, key, value, len)))
		return rc;
	if (exec(s, "SAVEPOINT cache_put"))
		return db_error(s, "cannot write the cache");
	if (sqlite3_prepare_v2(s->db, "DELETE FROM cache WHERE kind = ?1", -1, &st, NULL) ||
	    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(s, "cannot write the cache");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	store_now(now);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO cache(key, kind, created_at, value) VALUES (?1, ?2, ?3, ?4)", -1,
		&st, NULL)) {
		rc = db_error(s, "cannot write the cache");
		goto done;
	}
	if ((rc = cache_insert(s, st, key, kind, now, &h, sizeof(h))))
		goto done;
	for (i = 0; i < h.chunks && !rc; i++) {
		size_t off = (size_t)i * CACHE_CHUNK, n = len - off < CACHE_CHUNK ? len - off : CACHE_CHUNK;

		chunk_key(ck, sizeof(ck), key, i);
		rc = cache_insert(s, st, ck, kind, now, (const char *)value + off, n);
	}
done:
	sqlite3_finalize(st);
	if (rc) {
		exec(s, "ROLLBACK TO cache_put");
		exec(s, "RELEASE cache_put");
		return rc;
	}
	if (exec(s, "RELEASE cache_put"))
		return db_error(s, "cannot write the cache");
	return 0;
}

const char *store_sqlite_version(void)
{
	return sqlite3_libversion();
}

/* The snapshot row of response `id` (rows are in response-id order), or -1. */
static long row_of_response(const struct store_snapshot *snap, int64_t id)
{
	size_t lo = 0, hi = snap->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (snap->rows[mid].response_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < snap->nrows && snap->rows[lo].response_id == id ? (long)lo : -1;
}

int store_features_each(struct store *s, const char *fver, const struct store_snapshot *snap, size_t q0,
	size_t q1, long model, int (*fn)(void *arg, size_t row, const void *blob, size_t len), void *arg,
	size_t *delivered)
{
	static const char by_prompt[] = "SELECT r.id, f.answer_sha256, f.blob FROM responses r JOIN features f"
		" ON f.response_id = r.id AND f.version = ?1 WHERE r.prompt_id BETWEEN ?2 AND ?3";
	static const char by_model[] = "SELECT r.id, f.answer_sha256, f.blob FROM responses r JOIN features f"
		" ON f.response_id = r.id AND f.version = ?1 WHERE r.model_id = ?2";
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc = 0, step;

	if (delivered)
		*delivered = 0;
	if (model < 0 && (q0 >= q1 || q1 > snap->nprompts))
		return 0;
	if (model >= (long)snap->nmodels)
		return prov_error(PROV_EINTERNAL, "store_features_each: no model %ld", model);
	if (sqlite3_prepare_v2(s->db, model >= 0 ? by_model : by_prompt, -1, &st, NULL))
		return db_error(s, "cannot read features");
	if (sqlite3_bind_text(st, 1, fver, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (model >= 0 ? sqlite3_bind_int64(st, 2, snap->models[model].id) != SQLITE_OK :
	     sqlite3_bind_int64(st, 2, snap->prompts[q0].id) != SQLITE_OK ||
	     sqlite3_bind_int64(st, 3, snap->prompts[q1 - 1].id) != SQLITE_OK)) {
		rc = db_error(s, "cannot read features");
		goto done;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		long row = row_of_response(snap, id);
		const char *bound = (const char *)sqlite3_column_text(st, 1);
		const void *blob = sqlite3_column_blob(st, 2);
		size_t len = (size_t)sqlite3_column_bytes(st, 2);
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdn = 0;
		const struct store_row *r;

		if (row < 0) {
			rc = prov_error(PROV_EDB, "%s: response %lld was added after the corpus was read; run the command"
				" again", s->path, (long long)id);
			goto done;
		}
		r = &snap->rows[row];
		if (!r->stored || !bound || strcmp(bound, r->sha256))
			continue;     /* features of another answer: the caller computes this row's */
		if (EVP_Digest(blob ? blob : "", len, md, &mdn, EVP_sha256(), NULL) != 1 || mdn != 32) {
			rc = prov_error(PROV_EINTERNAL, "libcrypto: SHA-256 failed");
			goto done;
		}
		if (len != r->blob_len || memcmp(md, r->feat_sha, 32)) {
			rc = prov_error(PROV_EDB, "%s: the features of response %lld changed after the corpus was read; run"
				" the command again", s->path, (long long)id);
			goto done;
		}
		if ((rc = fn(arg, (size_t)row, blob ? blob : "", len)))
			goto done;
		n++;
	}
	if (step != SQLITE_DONE)
		rc = db_error(s, "cannot read features");
done:
	sqlite3_finalize(st);
	if (delivered)
		*delivered = n;
	return rc;
}

