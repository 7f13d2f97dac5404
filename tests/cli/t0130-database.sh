#!/bin/sh
# Database trouble: read-only, corrupt, foreign, newer, missing.
. "$(dirname "$0")/lib.sh"

F=$FIXTURES/import

test_expect "a read-only database: clear message, exit 5, nothing changed" '
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	db_dump provenance.db >before &&
	expect_code 5 prov --db "file:provenance.db?mode=ro" corpus import "$F/alpaca.jsonl" &&
	check_contains err "readonly database" &&
	db_dump provenance.db >after &&
	check_same before after &&
	expect_code 0 prov --db "file:provenance.db?mode=ro" corpus list &&
	check_contains out "alpha"
'

test_expect "a database file the user cannot write (non-root only)" '
	[ "$(id -u)" != 0 ] || skip_because "root ignores file permissions"
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	chmod 444 provenance.db && chmod 555 . &&
	expect_code 5 prov corpus import "$F/alpaca.jsonl"; rc=$?
	chmod 755 .
	return $rc
'

test_expect "a corrupt database: clear message, exit 5, no crash" '
	head -c 8192 /dev/urandom >provenance.db &&
	expect_code 5 prov corpus list &&
	check_contains err "provenance.db: not a usable database" &&
	expect_code 5 prov corpus import "$F/plain.jsonl"
'

test_expect "a truncated database file" '
	expect_code 0 prov corpus import "$F/plain.jsonl" "$F/alpaca.jsonl" &&
	rm -f provenance.db-wal provenance.db-shm &&
	head -c 3000 provenance.db >cut.db &&
	expect_code 5 prov --db cut.db corpus list
'

test_expect "an SQLite database of some other program" '
	sqlite3 other.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);" &&
	expect_code 5 prov --db other.db corpus import "$F/plain.jsonl" &&
	check_contains err "not a provenance database" &&
	check_eq "$(sqlite3 other.db "SELECT count(*) FROM sqlite_master")" 1
'

test_expect "a database from a newer provenance" '
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	sqlite3 provenance.db "PRAGMA user_version = 999" &&
	expect_code 5 prov corpus list &&
	check_contains err "newer than this provenance understands"
'

test_expect "reading commands never create a database" '
	expect_code 6 prov corpus list &&
	check_contains err "provenance.db: no such database" &&
	expect_code 6 prov corpus remove --model x &&
	test ! -e provenance.db
'
