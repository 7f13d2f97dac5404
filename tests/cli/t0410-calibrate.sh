#!/bin/sh
# validate --calibrate: a likelihood-ratio calibration stored with the validation; scan reports state
# the evidence as a likelihood ratio when their corpus has one, and say so when it has none.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

# jx FILE PATH: a JSON value of FILE (sqlite3's json_extract; the tests need no other JSON tool)
jx() {
	sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"
}

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

test_expect "scan without a calibration says there is no likelihood ratio; after validate --calibrate it states one" '
	load_example &&
	expect_code 0 prov scan --format json -o before.json "$EX/suspect-distilled.jsonl" &&
	check_contains before.json "\"evidence_strength\": []" &&
	check_contains before.json "\"evidence_strength_statement\": \"no likelihood ratio: this corpus has no calibration (run validate --calibrate)\"" &&
	check_contains before.json "\"evidence_calibration\": null" &&
	expect_code 0 prov scan --format md "$EX/suspect-distilled.jsonl" &&
	check_contains out "> **Evidence strength:** no likelihood ratio: this corpus has no calibration (run validate --calibrate)" &&
	expect_code 0 prov validate "$EX/labels.tsv" &&
	expect_code 0 prov scan --format json -o plain.json "$EX/suspect-distilled.jsonl" &&
	check_contains plain.json "\"evidence_strength\": []" &&
	expect_code 0 prov validate --leave-one-out --calibrate "$EX/labels.tsv" &&
	expect_code 0 prov scan --format json -o after.json "$EX/suspect-distilled.jsonl" &&
	check_eq "$(jx after.json "\$.evidence_strength[0].family")" openai &&
	check_eq "$(jx after.json "\$.evidence_strength[0].lr")" 16.0 &&
	check_eq "$(jx after.json "\$.evidence_strength[0].supports")" Hp &&
	check_eq "$(jx after.json "\$.evidence_strength[0].calibration.id")" 2 &&
	check_eq "$(jx after.json "\$.evidence_strength[0].calibration.positives")" 1 &&
	check_eq "$(jx after.json "\$.evidence_strength[0].calibration.negatives")" 15 &&
	check_eq "$(jx after.json "\$.evidence_strength[1].family")" anthropic &&
	check_eq "$(jx after.json "\$.evidence_strength[1].supports")" Hd &&
	check_contains after.json "\"verbal\": \"moderate support\"" &&
	check_contains after.json "\"bound\": \"upper\"" &&
	check_contains after.json "\"log10_lr\": 1.2" &&
	check_contains after.json "\"cllr_min\":" &&
	check_contains after.json "\"evidence_strength_statement\": \"The outputs are about 16 times more likely if the suspect was trained on outputs of the openai family than if it was not: moderate support. (The upper bound applied" &&
	check_contains after.json "Calibrated on 8 labelled models, Cllr 0.81.\"" &&
	check_contains after.json "\"tippett\": {" &&
	expect_code 0 prov scan --format md "$EX/suspect-distilled.jsonl" &&
	check_contains out "> **Evidence strength:** The outputs are about " &&
	check_contains out "| Family | LR | log10 LR | Verbal (ENFSI 2015) | Supports | Bound applied | Calibration |" &&
	expect_code 0 prov scan --format html -o r.html "$EX/suspect-distilled.jsonl" &&
	check_contains r.html "<figure class=\"tippett\">" &&
	check_contains r.html "Tippett plot of the calibration (validation 2" &&
	check_contains r.html "<strong>Evidence strength.</strong> The outputs are about "
'

test_expect "report CASE re-renders the stored evidence strength byte for byte" '
	load_example &&
	expect_code 0 prov validate --leave-one-out --calibrate "$EX/labels.tsv" &&
	expect_code 0 prov scan --format md -o a.md "$EX/suspect-distilled.jsonl" &&
	expect_code 0 prov report 1 --format md -o b.md &&
	check_same a.md b.md
'

test_expect "a forged calibration (result edited, its SHA-256 recomputed) fails verify and is never quoted by a scan" '
	load_example &&
	expect_code 0 prov validate --leave-one-out --calibrate "$EX/labels.tsv" &&
	expect_code 0 prov scan --no-store --format json -o good.json "$EX/suspect-distilled.jsonl" &&
	check_not_contains good.json "\"evidence_strength\": []" &&
	for t in $(db_query provenance.db "SELECT name FROM sqlite_master WHERE type = '"'"'trigger'"'"'"); do sqlite3 provenance.db "DROP TRIGGER $t"; done &&
	sqlite3 provenance.db "UPDATE validations SET result = json_set(result, '"'"'$.calibration.negatives'"'"', 100000)" &&
	sqlite3 provenance.db "SELECT writefile('"'"'r.txt'"'"', result) FROM validations" >/dev/null &&
	sqlite3 provenance.db "UPDATE validations SET result_sha256 = '"'"'$(sha256sum r.txt | cut -c1-64)'"'"'" &&
	expect_code 1 prov verify --all &&
	check_contains out "validation 1: ALTERED" &&
	expect_code 1 prov scan --no-store --format json -o bad.json "$EX/suspect-distilled.jsonl" &&
	check_contains err "does not verify" &&
	test ! -s bad.json
'
