#!/bin/sh
# Smaller faults: an import that stops at a database error says which files it did not try;
# a failed write to standard output is reported once.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

test_expect "an import stopped by a database error names the files it did not try" '
	prov corpus import --model alpha "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	sqlite3 provenance.db "CREATE TRIGGER boom BEFORE INSERT ON models WHEN NEW.name = '"'"'beta'"'"' BEGIN SELECT RAISE(ABORT, '"'"'disk full'"'"'); END" &&
	expect_code 5 prov corpus import --model beta "$EX/corpus/example-claude.jsonl" "$EX/corpus/example-human-a.jsonl" "$EX/corpus/example-human-b.jsonl" &&
	check_contains err "example-claude.jsonl: not imported" &&
	check_contains err "example-human-a.jsonl: not tried (the import stopped at the error above)" &&
	check_contains err "example-human-b.jsonl: not tried" &&
	check_contains err "3 of 3 files failed" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM models")" 1
'

test_expect "a failed write to standard output is reported once, exit 4" '
	need_cmd sqlite3 && test -w /dev/full || skip_because "no /dev/full"
	prov corpus import --role teacher "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov scan -o c.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	set +e; prov report 1 --format md >/dev/full 2>err; rc=$?; set -e &&
	check_eq "$rc" 4 && check_eq "$(grep -c "write error on standard output" err)" 1 &&
	set +e; prov cases >/dev/full 2>err; rc=$?; set -e &&
	check_eq "$rc" 4 && check_eq "$(grep -c "write error on standard output" err)" 1
'
