#!/bin/sh
# Read-only evidence is read whole: a database that cannot be opened for writing, whose newest
# case is only in its -wal file (a copy taken while a writer had it open, or after a crash), is
# read with that case, never as the stale main file alone.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

# as_reader CMD...: run CMD as a user who may not write here (nobody when we are root)
as_reader() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

test_expect "a read-only copy whose last case is only in the -wal shows that case in cases, --head, verify and report" '
	need_cmd sqlite3 &&
	if [ "$(id -u)" -eq 0 ]; then need_cmd setpriv; fi &&
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	for n in 1 2 3; do prov scan --name "case$n" -o /dev/null "$EX/suspect-distilled.jsonl" 2>/dev/null; done &&
	{ (echo "BEGIN; SELECT count(*) FROM cases;"; sleep 4; echo "COMMIT;") | sqlite3 provenance.db >/dev/null & } &&
	sleep 1 &&
	prov scan --name newest -o /dev/null "$EX/suspect-independent.jsonl" 2>/dev/null &&
	test -s provenance.db-wal &&
	head=$(prov cases --head) &&
	mkdir ro && cp provenance.db ro/e.db && cp provenance.db-wal ro/e.db-wal && wait &&
	check_eq "$(sqlite3 "file:ro/e.db?immutable=1" "SELECT count(*) FROM cases")" 3 "the main file alone is stale" &&
	sum=$(cat ro/e.db ro/e.db-wal | sha256sum) &&
	mkdir tmp && chmod 1777 tmp && chmod a+rx . ro && chmod a-w ro ro/e.db ro/e.db-wal &&
	for db in ro/e.db "file:ro/e.db?mode=ro"; do
		set +e; TMPDIR=$PWD/tmp as_reader "$PROVENANCE_BIN" --db "$db" cases --head >out 2>err; rc=$?; set -e
		check_eq "$rc" 0 "cases --head on $db: $(cat err)" && check_eq "$(cat out)" "$head" &&
		set +e; TMPDIR=$PWD/tmp as_reader "$PROVENANCE_BIN" --db "$db" cases >out 2>err; rc=$?; set -e
		check_eq "$rc" 0 && check_contains out newest &&
		set +e; TMPDIR=$PWD/tmp as_reader "$PROVENANCE_BIN" --db "$db" verify --all >out 2>err; rc=$?; set -e
		check_eq "$rc" 0 && check_eq "$(grep -c ": intact" out)" 4 &&
		set +e; TMPDIR=$PWD/tmp as_reader "$PROVENANCE_BIN" --db "$db" report 4 --format md >out 2>err; rc=$?; set -e
		check_eq "$rc" 0 "report 4: $(cat err)" && check_contains out "newest" || exit 1
	done &&
	check_eq "$(ls -A tmp | wc -l)" 0 "the private copy is removed" &&
	chmod u+w ro ro/e.db ro/e.db-wal &&
	check_eq "$(cat ro/e.db ro/e.db-wal | sha256sum)" "$sum"
'

test_expect "a read-only database whose -wal cannot be copied is refused with the reason, not read stale" '
	need_cmd sqlite3 &&
	if [ "$(id -u)" -eq 0 ]; then need_cmd setpriv; fi &&
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov scan -o /dev/null "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	{ (echo "BEGIN; SELECT count(*) FROM cases;"; sleep 3; echo "COMMIT;") | sqlite3 provenance.db >/dev/null & } &&
	sleep 1 &&
	prov scan --name newest -o /dev/null "$EX/suspect-independent.jsonl" 2>/dev/null &&
	mkdir ro && cp provenance.db ro/e.db && cp provenance.db-wal ro/e.db-wal && wait &&
	chmod a+rx . ro && chmod a-w ro ro/e.db ro/e.db-wal &&
	set +e; TMPDIR=/nonexistent/dir as_reader "$PROVENANCE_BIN" --db ro/e.db cases >out 2>err; rc=$?; set -e &&
	chmod u+w ro &&
	check_eq "$rc" 4 &&
	check_contains err "ro/e.db: the newest changes of this database are in ro/e.db-wal" &&
	check_contains err "copy the database with its -wal file to a writable place"
'
