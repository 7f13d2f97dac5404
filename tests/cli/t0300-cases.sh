#!/bin/sh
# Cases, the evidence chain, report re-rendering and verification against tampering.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

three_cases() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan --name indie -o c2.json "$EX/suspect-independent.jsonl" 2>/dev/null &&
	prov scan --name again -o c3.json "$EX/suspect-distilled.jsonl" 2>/dev/null
}

test_expect "every scan is a case; cases lists id, name, time, verdict, conclusion, suspect SHA-256" '
	three_cases &&
	expect_code 0 prov cases &&
	check_eq "$(grep -c "^[0-9]" out)" 3 &&
	grep -E "^1 +example-student +[0-9T:-]+Z +(strong|moderate) +example-gpt \(openai\) +$(sha256sum "$EX/suspect-distilled.jsonl" | cut -d" " -f1)" out &&
	grep -E "^2 +indie .* none " out &&
	check_contains c1.json "\"case\": {" &&
	check_contains c1.json "\"previous_hash\": \"0000000000000000000000000000000000000000000000000000000000000000\""
'

test_expect "report re-renders a case to the very same bytes, in every format" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	prov scan --format md -o a.md "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan --format html -o a.html "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan --format json -o a.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	expect_code 0 prov report 1 --format md -o b.md && check_same a.md b.md &&
	expect_code 0 prov report 2 --format html -o b.html && check_same a.html b.html &&
	expect_code 0 prov report 3 --format json && check_same a.json out &&
	check_contains b.md "## 6. Chain of custody" &&
	expect_code 6 prov report 99 &&
	check_contains err "no case 99" &&
	expect_code 2 prov report x
'

test_expect "verify passes on intact cases, with and without --all" '
	three_cases &&
	expect_code 0 prov verify 2 &&
	check_contains out "case 2: intact" &&
	check_contains out "the chain link to the previous case holds" &&
	expect_code 0 prov verify --all &&
	check_eq "$(grep -c ": intact" out)" 3
'

test_expect "the append-only guard refuses casual edits" '
	three_cases &&
	set +e; sqlite3 provenance.db "UPDATE case_results SET verdict = '"'"'none'"'"'" 2>err2; rc=$?; set -e
	test $rc -ne 0 && check_contains err2 "append-only"
'

test_expect "verify names an altered answer (exit 1)" '
	three_cases &&
	sqlite3 provenance.db "DROP TRIGGER case_answers_append_only_u; UPDATE case_answers SET text = (SELECT text FROM case_answers WHERE case_id = 1 AND seq = 1) WHERE case_id = 1 AND seq = 0" &&
	expect_code 1 prov verify 1 &&
	check_contains out "case 1: ALTERED" &&
	check_contains out "FAIL answer 0 (prompt id ex01, suspect line 1) does not match its SHA-256" &&
	expect_code 0 prov verify 2
'

test_expect "verify names an altered result (exit 1)" '
	three_cases &&
	sqlite3 provenance.db "DROP TRIGGER case_results_append_only_u; UPDATE case_results SET verdict = '"'"'none'"'"', p_value = 0.5 WHERE case_id = 1 AND teacher = '"'"'example-gpt'"'"'" &&
	expect_code 1 prov verify 1 &&
	check_contains out "FAIL the result row for teacher example-gpt differs from the signed report"
'

test_expect "verify catches an altered report, and report refuses to render it" '
	three_cases &&
	sqlite3 provenance.db "DROP TRIGGER cases_append_only_u; UPDATE cases SET report = (SELECT report FROM cases WHERE id = 2), report_size = (SELECT report_size FROM cases WHERE id = 2) WHERE id = 1" &&
	expect_code 1 prov verify 1 &&
	check_contains out "FAIL the stored report does not match its SHA-256" &&
	expect_code 1 prov report 1 &&
	check_contains err "does not match its SHA-256"
'

test_expect "verify catches a changed case field (the case hash)" '
	three_cases &&
	sqlite3 provenance.db "DROP TRIGGER cases_append_only_u; UPDATE cases SET created_at = '"'"'2020-01-01T00:00:00Z'"'"' WHERE id = 2" &&
	expect_code 1 prov verify 2 &&
	check_contains out "FAIL the case hash does not match its recorded content"
'

test_expect "verify catches a case deleted from the middle of the chain" '
	three_cases &&
	sqlite3 provenance.db "DROP TRIGGER cases_append_only_d; DROP TRIGGER case_answers_append_only_d; DROP TRIGGER case_results_append_only_d; DROP TRIGGER case_evidence_append_only_d; PRAGMA foreign_keys = ON; DELETE FROM case_answers WHERE case_id = 2; DELETE FROM case_results WHERE case_id = 2; DELETE FROM case_evidence WHERE case_id = 2; DELETE FROM cases WHERE id = 2" &&
	expect_code 1 prov verify 3 &&
	check_contains out "FAIL chain broken" &&
	expect_code 1 prov verify --all &&
	check_contains out "case 3: ALTERED"
'

test_expect "verify flags a tampered corpus response; notes a grown corpus without failing" '
	three_cases &&
	prov corpus import --model extra --role reference "$EX/suspect-independent.jsonl" >/dev/null &&
	expect_code 0 prov verify 1 &&
	check_contains out "note: the corpus has changed since the case" &&
	sqlite3 provenance.db "UPDATE responses SET sha256 = '"'"'00'"'"' WHERE id = 1" &&
	expect_code 1 prov verify 1 &&
	check_contains out "FAIL corpus response of example-gpt to prompt ex01 does not match its SHA-256"
'

test_expect "cases, report, verify on a missing database or case" '
	expect_code 6 prov cases &&
	expect_code 6 prov verify 1 &&
	three_cases &&
	expect_code 6 prov verify 42 &&
	expect_code 2 prov verify &&
	expect_code 2 prov verify 1 2
'
