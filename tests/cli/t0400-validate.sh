#!/bin/sh
# validate: error rates on labelled suspects, stored and cited by reports.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

load_example() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

test_expect "validate on the example: counts and rates of a known outcome" '
	load_example &&
	expect_code 0 prov validate --slices 20 "$EX/labels.tsv" &&
	check_contains out "2 labelled suspects: 1 derived from a teacher family, 1 independent" &&
	check_contains out "whole files (2 samples, 40 prompts on average)" &&
	grep -E "moderate or stronger +1/1 = 1.00 \(0.21-1.00\) +0/1 = 0.00 \(0.00-0.79\) +0" out &&
	check_contains out "slices of 20 prompts (4 samples, 20 prompts on average)" &&
	check_contains out "documented teacher ranked first 1/1 = 1.00" &&
	grep -E "^  example-student +openai/example-gpt +openai (strong|moderate)" out &&
	grep -E "^  example-indie +none +- none" out &&
	check_contains err "validation 1 stored" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM validations")" 1
'

test_expect "validate --format json and md" '
	load_example &&
	expect_code 0 prov validate --format json -o v.json "$EX/labels.tsv" &&
	check_contains v.json "\"schema\": \"provenance.validation/1\"" &&
	check_contains v.json "\"auc_any_teacher\": 1.0" &&
	check_contains v.json "\"tpr_low\":" &&
	expect_code 0 prov validate --format md "$EX/labels.tsv" &&
	check_contains out "| verdict | true-positive rate (95% CI) | false-positive rate (95% CI) | wrong family |" &&
	check_contains out "# Validation 2"
'

test_expect "reports cite the latest validation of their corpus and tool version" '
	load_example &&
	expect_code 0 prov scan --format json -o before.json "$EX/suspect-distilled.jsonl" &&
	sed -n "/\"error_rates\": {/,/}/p" before.json | grep -q "\"status\": \"none\"" &&
	expect_code 0 prov validate "$EX/labels.tsv" &&
	expect_code 0 prov scan --format json -o after.json "$EX/suspect-distilled.jsonl" &&
	check_contains after.json "\"status\": \"available\"" &&
	check_contains after.json "\"validation\": 1" &&
	check_contains after.json "\"verdict\": \"moderate or stronger\"" &&
	prov corpus import --model extra --role reference --family none "$EX/suspect-independent.jsonl" >/dev/null &&
	expect_code 0 prov scan --format json -o changed.json "$EX/suspect-distilled.jsonl" &&
	sed -n "/\"error_rates\": {/,/}/p" changed.json | grep -q "\"status\": \"none\""
'

test_expect "validate: bad labels files and usage" '
	load_example &&
	printf "file\tmodel\nx\ty\n" >nohdr.tsv &&
	expect_code 3 prov validate nohdr.tsv &&
	check_contains err "nohdr.tsv:1: the header must name the columns file, model, role and family" &&
	printf "file\tmodel\trole\tfamily\nmissing.jsonl\tm\tsuspect\topenai\n" >miss.tsv &&
	expect_code 4 prov validate miss.tsv &&
	check_contains err "miss.tsv:2:" &&
	printf "file\tmodel\trole\tfamily\nx.jsonl\tm\tteacher\topenai\n" >none.tsv &&
	expect_code 3 prov validate none.tsv &&
	check_contains err "no labelled suspect" &&
	expect_code 2 prov validate &&
	expect_code 2 prov validate --slices 1 "$EX/labels.tsv" &&
	expect_code 2 prov validate --format xml "$EX/labels.tsv"
'

test_expect "validate needs a corpus with teachers" '
	expect_code 3 prov validate "$EX/labels.tsv" &&
	check_contains err "the corpus has no teacher"
'

test_expect "validate --siblings and --leave-one-out: groups of their own; a bad siblings file names its line (exit 3)" '
	load_example &&
	printf "model\texcluded_controls\nexample-indie\texample-human-a,example-human-b\n" >sib.tsv &&
	expect_code 0 prov validate --siblings sib.tsv --leave-one-out --format json -o v.json "$EX/labels.tsv" &&
	check_contains v.json "\"name\": \"leave-siblings-out, whole files\"" &&
	check_contains v.json "\"name\": \"leave-one-reference-out, whole files\"" &&
	check_contains v.json "\"references_left_out\": 6" &&
	check_contains v.json "\"test\": \"leave-one-reference-out\"" &&
	printf "model\texcluded_controls\nnobody\texample-human-a\n" >bad.tsv &&
	expect_code 3 prov validate --siblings bad.tsv "$EX/labels.tsv" &&
	check_contains err "bad.tsv:2: nobody is not a labelled suspect" &&
	printf "example-indie\n" >bad2.tsv &&
	expect_code 3 prov validate --siblings bad2.tsv "$EX/labels.tsv" &&
	check_contains err "bad2.tsv:1: expected two tab-separated fields"
'
