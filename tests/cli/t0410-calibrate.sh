#!/bin/sh
# validate --calibrate: a likelihood-ratio calibration stored with the validation; scan reports state
# the evidence as a likelihood ratio when their corpus has one, and say so when it has none.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

load_example() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

test_expect "validate --calibrate stores a calibration: Cllr, Cllr_min, misleading evidence, sizes, bounds, Tippett" '
	load_example &&
	expect_code 0 prov validate --leave-one-out --calibrate --slices 20 --format json -o v.json "$EX/labels.tsv" &&
	check_contains v.json "\"cllr_min\":" &&
	check_contains v.json "\"negatives_above_10\":" &&
	check_contains v.json "\"positives_below_0_1\":" &&
	check_contains v.json "\"tippett\": {" &&
	check_contains v.json "\"rule\": \"ELUB:" &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.positives'"'"') FROM validations")" 1 &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.negatives'"'"') FROM validations")" 15 &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.models'"'"') FROM validations")" 8 &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.slices[0].slice'"'"') FROM validations")" 20 &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.labels_sha256'"'"') = labels_sha256 FROM validations")" 1 &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.snapshot_sha256'"'"') = snapshot_sha256 FROM validations")" 1 &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration.bound.upper'"'"') FROM validations")" 16.0 &&
	expect_code 0 prov validate --leave-one-out --calibrate --format md "$EX/labels.tsv" &&
	check_contains out "## Likelihood ratios: the calibration" &&
	check_contains out "| whole files | 8 | 1 | 15 |" &&
	grep -E "^\| example-student \| standard \| openai \| Hp \|" out
'

test_expect "validate without --calibrate stores no calibration; one without a positive stores none usable" '
	load_example &&
	expect_code 0 prov validate "$EX/labels.tsv" &&
	check_eq "$(db_query provenance.db "SELECT json_extract(result, '"'"'$.calibration'"'"') IS NULL FROM validations")" 1 &&
	awk -F"\t" "\$2 != \"example-student\"" "$EX/labels.tsv" | sed "s#\tcorpus/#\t#" >neg.tsv &&
	sed "s#^corpus/#$EX/corpus/#; s#^suspect-#$EX/suspect-#" neg.tsv >neg2.tsv &&
	expect_code 0 prov validate --calibrate --format json -o n.json neg2.tsv &&
	check_contains n.json "\"status\": \"none\"" &&
	check_contains n.json "no positive or no negative"
'
