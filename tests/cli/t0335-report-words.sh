#!/bin/sh
# Issue 20: the report's words match its numbers (rank and "not closer"), the empty-corpus advice
# matches README, following the re-run block stores nothing, and `cases` keeps its columns.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

test_expect "no teacher sentence says 'not closer' for a suspect ranked above a control; rank beside p" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs &&
	expect_code 0 prov scan --format json -o s.json "$EX/suspect-independent.jsonl" &&
	expect_code 0 prov scan --format json -o d.json "$EX/suspect-distilled.jsonl" &&
	for f in s.json d.json; do
		# every summary names the rank; "not closer" only with the last rank (k+1 of k+1)
		grep "\"summary\":" $f >sum &&
		check_contains sum ", rank " &&
		grep "not closer" sum | while read -r line; do
			r=$(echo "$line" | sed -n "s/.*rank \([0-9]*\) of \([0-9]*\).*/\1 \2/p") &&
			set -- $r && [ "$1" = "$2" ] || { echo "not closer at rank $r: $line"; exit 1; }
		done || exit 1
	done &&
	check_not_contains s.json "null standard deviations above their mean;" &&
	expect_code 0 prov report 1 --format md &&
	check_contains out "| Score | p-value (corrected) | Rank |"
'

test_expect "a none verdict reads 'not established' with the miss rate (unknown without validation)" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	expect_code 0 prov scan --format md -o s.md "$EX/suspect-independent.jsonl" &&
	if grep -q "^> \*\*Not established" s.md; then
		check_contains s.md "how often this test misses documented distillations is unknown" &&
		check_not_contains s.md "No evidence that"
	fi
'

test_expect "the empty-corpus advice matches README (reference with its maker) and shows no escaped backticks" '
	prov corpus import --model gone "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus remove --model gone >/dev/null &&
	expect_code 0 prov scan --format md "$EX/suspect-distilled.jsonl" &&
	check_contains out "--role reference --family MAKER FILE" &&
	check_not_contains out "--family none FILE" &&
	check_not_contains out "\\\`"
'

test_expect "the re-run block of a report stores nothing when followed literally" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	expect_code 0 prov scan --format md -o r.md "$EX/suspect-distilled.jsonl" &&
	grep "^provenance scan " r.md >rerun &&
	check_contains rerun "--no-store" &&
	cmd=$(sed "s/^provenance //" rerun) &&
	eval "set -- $cmd" &&
	expect_code 0 prov "$@" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 1 &&
	check_contains rerun.json "\"stored\": false"
'

test_expect "cases: a name over 24 characters does not shift the columns" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	prov scan --name a-rather-long-suspect-name-of-40-chars-x -o 1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan --name short -o 2.json "$EX/suspect-independent.jsonl" 2>/dev/null &&
	expect_code 0 prov cases &&
	awk "NR == 1 { c = index(\$0, \"CREATED\"); v = index(\$0, \"VERDICT\"); s = index(\$0, \"SUSPECT SHA-256\"); next }
	     { if (match(\$0, /[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/) != c) bad = 1;
	       if (length(\$0) != s + 63) bad = 1 }
	     END { exit bad }" out || { cat out; exit 1; }
'

test_expect "the validation line quotes the verdict level's two errors and a suspect that was itself labelled" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs &&
	prov validate "$EX/labels.tsv" >/dev/null 2>&1 &&
	expect_code 0 prov scan --format md -o r.md "$EX/suspect-distilled.jsonl" &&
	grep "^> \*\*Validation:\*\*" r.md >val &&
	verdict=$(sed -n "s/^> \*\*\([A-Z][a-z]*\) evidence.*/\1/p" r.md | tr A-Z a-z) &&
	check_contains val "at the $verdict level (this verdict" &&
	check_contains val "false positives " &&
	check_contains val "misses " &&
	check_contains val "The suspect (example-student) is itself one of the labelled models of this validation, labelled derived from the openai family (matched by name)" &&
	expect_code 0 prov scan --name someone-else --format md -o o.md "$EX/suspect-distilled.jsonl" &&
	check_not_contains o.md "is itself one of the labelled models"
'
