#!/bin/sh
# scan on the bundled example: distilled vs independent suspect, empty corpus, errors.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

load_example() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

# jq-free JSON access through python3 is not allowed to be a dependency: use the tool's own fields via grep.
field() {
	# field FILE KEY: the first "KEY": value in FILE (strings without quotes)
	grep -m1 "\"$2\":" "$1" | sed 's/.*": *//; s/[",]//g; s/ *$//'
}

test_expect "the distilled example suspect is attributed to example-gpt (openai)" '
	load_example &&
	expect_code 0 prov scan "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"schema\": \"provenance.report/1\"" &&
	sed -n "/\"conclusion\": {/,/}/p" out >concl &&
	check_contains concl "\"teacher\": \"example-gpt\"" &&
	check_contains concl "\"family\": \"openai\"" &&
	{ grep -q "\"verdict\": \"strong\"" concl || grep -q "\"verdict\": \"moderate\"" concl; }
'

test_expect "the independent example suspect shows no evidence" '
	load_example &&
	expect_code 0 prov scan "$EX/suspect-independent.jsonl" &&
	sed -n "/\"conclusion\": {/,/}/p" out >concl &&
	check_contains concl "\"teacher\": null" &&
	check_contains concl "\"verdict\": \"none\"" &&
	check_not_contains out "\"verdict\": \"strong\"" &&
	check_not_contains out "\"verdict\": \"moderate\""
'

test_expect "the report carries every teacher, signal, hash and the evidence" '
	load_example &&
	expect_code 0 prov scan --name student -o report.json "$EX/suspect-distilled.jsonl" &&
	test ! -s out &&
	for k in lexical phrases style refusal identity p_value effect closest_control snapshot_sha256 \
		patterns_sha256 identity_claims refusals limitations error_rates spans null; do
		check_contains report.json "\"$k\"" || exit 1
	done &&
	check_contains report.json "\"name\": \"student\"" &&
	check_contains report.json "\"sha256\": \"$(sha256sum "$EX/suspect-distilled.jsonl" | cut -d" " -f1)\"" &&
	check_contains report.json "As an AI language model developed by OpenAI" &&
	check_contains report.json "\"model\": \"example-claude\""
'

test_expect "same inputs, same bytes (two databases built alike; two scans in one differ only in the case header)" '
	export SOURCE_DATE_EPOCH=1700000000 &&
	mkdir one two &&
	(cd one && load_example && prov scan --format md -o ../a.md "$EX/suspect-distilled.jsonl" 2>/dev/null) &&
	(cd two && load_example && prov scan --format md -o ../b.md "$EX/suspect-distilled.jsonl" 2>/dev/null) &&
	check_same a.md b.md &&
	(cd one && prov scan -o ../c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
		prov scan -o ../c2.json "$EX/suspect-distilled.jsonl" 2>/dev/null) &&
	sed "/\"case\": {/,/}/d" c1.json >c1.body && sed "/\"case\": {/,/}/d" c2.json >c2.body &&
	check_same c1.body c2.body &&
	check_contains c1.json "\"created_at\": \"2023-11-14T22:13:20Z\""
'

test_expect "--teacher limits the teachers tested; an unknown one is not found (exit 6)" '
	load_example &&
	expect_code 0 prov scan --teacher example-claude "$EX/suspect-distilled.jsonl" &&
	check_eq "$(grep -c "\"holm_factor\":" out)" 1 &&
	expect_code 6 prov scan --teacher nobody "$EX/suspect-distilled.jsonl" &&
	check_contains err "no teacher named \"nobody\""
'

test_expect "an empty corpus still reports identity claims and refusals, and says what is missing" '
	prov corpus import --model gone "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus remove --model gone >/dev/null &&
	expect_code 0 prov scan "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"teachers\": []" &&
	check_contains out "Teacher comparison needs a corpus" &&
	check_contains out "provenance corpus import" &&
	check_contains out "\"claims\": \"openai\"" &&
	check_contains out "I'"'"'m sorry, but I can'"'"'t assist with that" &&
	sed -n "/\"conclusion\": {/,/}/p" out >concl &&
	check_contains concl "\"verdict\": \"inconclusive\""
'

test_expect "bad suspect input: FILE:LINE message and exit 3; usage errors exit 2" '
	load_example &&
	printf "{\"prompt\": \"a\", \"response\": \"b\"}\n{oops\n" >bad.jsonl &&
	expect_code 3 prov scan bad.jsonl &&
	check_contains err "bad.jsonl:2: invalid JSON" &&
	expect_code 4 prov scan missing.jsonl &&
	expect_code 2 prov scan &&
	expect_code 2 prov scan --format docx "$EX/suspect-distilled.jsonl" &&
	expect_code 2 prov scan a.jsonl b.jsonl
'

test_expect "a broken --patterns file is a data error naming its line" '
	load_example &&
	printf "# ok\nname\tfamily\trefusal\ten\t(unclosed\n" >pat.tsv &&
	expect_code 3 prov scan --patterns pat.tsv "$EX/suspect-distilled.jsonl" &&
	check_contains err "pat.tsv:2:"
'

test_expect "features are cached at import; a scan with another pattern library recomputes them" '
	load_example &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM features")" 320 &&
	expect_code 0 prov scan "$EX/suspect-distilled.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cache WHERE instr(key, char(35)) = 0")" 1 &&
	printf "sorry\tgeneric\trefusal\ten\tI.m sorry\n" >pat.tsv &&
	expect_code 0 prov scan --patterns pat.tsv "$EX/suspect-distilled.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT count(DISTINCT version) FROM features")" 2 &&
	check_not_contains out "\"claims\": \"openai\""
'

test_expect "a collected suspect's served model and sampling settings reach the report" '
	load_example &&
	sed "s/, \"model\": \"example-student\"}/, \"model\": \"example-student\", \"served_model\": \"student-7b-q4\", \"sampling\": {\"temperature\": 0.7, \"seed\": 5}}/" \
		"$EX/suspect-distilled.jsonl" >collected.jsonl &&
	check_contains collected.jsonl "student-7b-q4" &&
	expect_code 0 prov scan --format json collected.jsonl &&
	check_contains out "\"served_models\": [" &&
	check_contains out "\"student-7b-q4\"" &&
	check_contains out "\"temperature\": 0.7"
'

test_expect "identity claims are quoted with their strength and refusals with their kind; the limits say many models misname themselves" '
	load_example &&
	expect_code 0 prov scan --format json "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"strength\": \"strong\"" &&
	sed -n "/\"refusals\": \[/,/\]/p" out >refs &&
	check_contains refs "\"kind\": \"decline\"" &&
	check_contains out "many models misname themselves"
'

test_expect "characteristic phrases carry the surface form the suspect wrote beside the normalised one" '
	load_example &&
	expect_code 0 prov scan --format json "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"surface\": \"" &&
	grep -o "\"surface\": \"[^\"]*\"" out | head -3
'

test_expect "--exclude-control leaves a control out of the panel and the null, and the report records it" '
	load_example &&
	expect_code 0 prov scan --no-store --format json "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"null_models\": 7" &&
	expect_code 0 prov scan --no-store --format json --exclude-control example-terse "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"excluded_controls\": [" &&
	check_contains out "\"null_models\": 6" &&
	check_not_contains out "\"model\": \"example-terse\", \"statistic\"" &&
	expect_code 6 prov scan --no-store --exclude-control nobody "$EX/suspect-distilled.jsonl" &&
	check_contains err "no model named \"nobody\""
'
