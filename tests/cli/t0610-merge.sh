#!/bin/sh
# merge: shard evidence databases united in one chain, the same conclusions and report bodies as
# one run, every merged case verifying; idempotence; tampered inputs refused.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

corpus() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

# Seven suspects: the examples, a gzip copy, and slices of them.
suspects() {
	mkdir -p sus/more &&
	cp "$EX/suspect-distilled.jsonl" sus/distilled.jsonl &&
	cp "$EX/suspect-independent.jsonl" sus/independent.jsonl &&
	gzip -c "$EX/suspect-independent.jsonl" >sus/more/independent.jsonl.gz &&
	head -n 15 "$EX/suspect-distilled.jsonl" >sus/more/d15.jsonl &&
	tail -n 20 "$EX/suspect-distilled.jsonl" >sus/more/d20.jsonl &&
	head -n 25 "$EX/suspect-independent.jsonl" >sus/more/i25.jsonl &&
	sed -n "2~3p" "$EX/suspect-distilled.jsonl" >sus/more/thirds.jsonl
}

# Three shards of sus/ and one run over all of it.
shards() {
	for k in 0 1 2; do
		prov audit -j 2 --shard $k/3 --evidence "s$k.db" sus >/dev/null 2>&1 || return 1
	done &&
	prov audit -j 2 --evidence one.db sus >/dev/null 2>&1
}

# What must not change between one run and merged shards: per suspect file, the report body
# and the answers (hashes), the conclusion and the verdict.
conclusions() {
	db_query "$1" "SELECT suspect_path, report_sha256, answers_sha256, answers, verdict,
		coalesce(conclusion_teacher, '-'), coalesce(conclusion_family, '-') FROM cases ORDER BY suspect_path"
}

test_expect "shards merged give the same cases, conclusions and report bodies as one run" '
	corpus && suspects && shards &&
	expect_code 0 prov merge all.db s0.db s1.db s2.db &&
	check_contains out "merged s0.db#1 (" &&
	check_contains out "7 cases merged into all.db from 3 databases (7 cases in all); 0 already there, skipped" &&
	conclusions one.db >want && conclusions all.db >got && check_same got want &&
	check_eq "$(db_query all.db "SELECT count(*) FROM cases")" 7 &&
	check_eq "$(db_query all.db "SELECT count(*) FROM case_results")" "$(db_query one.db "SELECT count(*) FROM case_results")" &&
	check_eq "$(db_query all.db "SELECT count(*) FROM case_evidence")" "$(db_query one.db "SELECT count(*) FROM case_evidence")" &&
	expect_code 0 prov --db all.db verify --all &&
	check_eq "$(grep -c ": intact" out)" 7 &&
	expect_code 0 prov --db all.db verify 7 &&
	check_contains out "ok   note: the corpus is not in this database; its snapshot was not checked"
'

test_expect "merged cases: inputs in the order given, cases in id order, new ids, origin IN#id:hash, report bytes unchanged" '
	corpus && suspects && shards &&
	expect_code 0 prov merge all.db s2.db s0.db &&
	db_query s2.db "SELECT suspect_path FROM cases ORDER BY id" >want &&
	db_query s0.db "SELECT suspect_path FROM cases ORDER BY id" >>want &&
	db_query all.db "SELECT suspect_path FROM cases ORDER BY id" >got &&
	check_same got want &&
	check_eq "$(db_query all.db "SELECT origin FROM cases WHERE id = 1")" "s2.db#1:$(db_query s2.db "SELECT hash FROM cases WHERE id = 1")" &&
	check_eq "$(db_query all.db "SELECT origin FROM cases WHERE id = 3")" "s0.db#1:$(db_query s0.db "SELECT hash FROM cases WHERE id = 1")" &&
	check_eq "$(db_query all.db "SELECT created_at || name || report_sha256 || hex(report) FROM cases WHERE id = 3")" \
		"$(db_query s0.db "SELECT created_at || name || report_sha256 || hex(report) FROM cases WHERE id = 1")" &&
	check_eq "$(db_query all.db "SELECT prev_hash FROM cases WHERE id = 2")" "$(db_query all.db "SELECT hash FROM cases WHERE id = 1")" &&
	expect_code 0 prov --db all.db report 3 --format json -o merged.json &&
	expect_code 0 prov --db s0.db report 1 --format json -o shard.json &&
	grep -v -E "\"(id|hash|previous_hash)\":" merged.json >m && grep -v -E "\"(id|hash|previous_hash)\":" shard.json >s &&
	check_same m s
'

test_expect "merging again, or a merged database into another, duplicates nothing" '
	corpus && suspects && shards &&
	expect_code 0 prov merge all.db s0.db s1.db &&
	n=$(db_query all.db "SELECT count(*) FROM cases") &&
	expect_code 0 prov merge all.db s1.db s0.db s1.db s2.db &&
	check_contains out "skipped s1.db#1 (" &&
	check_contains out "already in all.db as case" &&
	check_eq "$(grep -c "^merged " out)" "$(db_query s2.db "SELECT count(*) FROM cases")" &&
	check_eq "$(db_query all.db "SELECT count(*) FROM cases")" 7 &&
	expect_code 0 prov merge all.db all.db s2.db &&
	check_eq "$(grep -c "^merged " out)" 0 &&
	expect_code 0 prov merge top.db all.db &&
	check_eq "$(db_query top.db "SELECT count(*) FROM cases")" 7 &&
	check_contains out "7 cases merged into top.db" &&
	expect_code 0 prov merge top.db s1.db s0.db s2.db &&
	check_eq "$(grep -c "^skipped " out)" 7 &&
	check_eq "$(db_query top.db "SELECT count(*) FROM cases")" 7 &&
	check_eq "$(db_query top.db "SELECT origin FROM cases WHERE id = 1" | sed "s/^all.db#1:[0-9a-f]\{64\} < s0.db#1:[0-9a-f]\{64\}\$/ok/")" ok &&
	expect_code 0 prov --db top.db verify --all &&
	conclusions one.db >want && conclusions top.db >got && check_same got want
'

test_expect "merge into a database that already holds a corpus and cases" '
	corpus && suspects && shards &&
	prov scan --name by-hand sus/distilled.jsonl >/dev/null 2>&1 &&
	expect_code 0 prov merge provenance.db s0.db s1.db s2.db &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 8 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases WHERE origin IS NULL")" 1 &&
	expect_code 0 prov verify --all &&
	check_eq "$(grep -c ": intact" out)" 8
'

test_expect "a tampered input case is refused (data error naming it) and nothing is written" '
	corpus && suspects && shards &&
	sqlite3 s1.db "DROP TRIGGER cases_append_only_u; UPDATE cases SET name = '"'"'renamed'"'"' WHERE id = 2" &&
	expect_code 3 prov merge all.db s0.db s1.db s2.db &&
	check_contains err "s1.db: case 2 (renamed) does not verify: the case hash does not match its recorded content (a recorded field was altered); refusing to merge it (see: provenance --db s1.db verify 2)" &&
	test ! -e all.db &&
	expect_code 0 prov merge all.db s0.db &&
	n=$(db_query all.db "SELECT count(*) FROM cases") &&
	expect_code 3 prov merge all.db s2.db s1.db &&
	check_eq "$(db_query all.db "SELECT count(*) FROM cases")" "$n" &&
	cp s2.db s2b.db &&
	sqlite3 s2b.db "DROP TRIGGER case_answers_append_only_u; UPDATE case_answers SET line = 99 WHERE case_id = 1 AND seq = 0; UPDATE case_answers SET text = (SELECT text FROM case_answers WHERE case_id = 1 AND seq = 1) WHERE case_id = 1 AND seq = 0" &&
	expect_code 3 prov merge all.db s2b.db &&
	check_contains err "s2b.db: case 1 (" &&
	check_contains err "does not match its SHA-256" &&
	expect_code 0 prov --db all.db verify --all
'

test_expect "merge usage errors and missing inputs" '
	expect_code 2 prov merge &&
	check_contains err "no output database given" &&
	expect_code 2 prov merge out.db &&
	check_contains err "no input database given" &&
	expect_code 2 prov merge --bogus out.db in.db &&
	expect_code 6 prov merge out.db missing.db &&
	check_contains err "missing.db: no such database" &&
	test ! -e out.db &&
	echo "not a database" >junk.db &&
	expect_code 5 prov merge out.db junk.db &&
	expect_code 0 prov merge --help &&
	check_contains out "usage: provenance merge OUT.db IN.db..."
'
