#!/bin/sh
# Evidence that carries over: the corpus snapshot binds what the corpus holds (who answered
# what, the answers, their features, roles and families), not where or when it was imported,
# so a validation made on one database applies to the same corpus rebuilt in another.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

# build DB DIR EPOCH: the example corpus imported into DB from copies of its files in DIR, at EPOCH
build() {
	mkdir -p "$2/corpus" &&
	cp "$EX"/corpus/*.jsonl "$2/corpus/" &&
	cp "$EX/labels.tsv" "$EX/suspect-distilled.jsonl" "$EX/suspect-independent.jsonl" "$2/" &&
	(
		export SOURCE_DATE_EPOCH=$3
		prov --db "$1" corpus import --role teacher --family openai "$2/corpus/example-gpt.jsonl" &&
		prov --db "$1" corpus import --role teacher --family anthropic "$2/corpus/example-claude.jsonl" &&
		awk -F'\t' '$4 == "reference" { print $1 "\t" $5 }' "$2/labels.tsv" | while IFS="$(printf '\t')" read -r f fam; do
			prov --db "$1" corpus import --role reference --family "$fam" "$2/$f" || exit 1
		done
	) >/dev/null
}

snapshot_of() {
	grep -o "\"snapshot_sha256\": \"[0-9a-f]*\"" "$1" | head -1 | cut -d\" -f4
}

test_expect "the same files imported into two databases, from other paths at other times, give one snapshot" '
	build one.db here 1000000000 &&
	mkdir -p far/away && build far/away/two.db far/away/files 1700000000 &&
	check_eq "$(db_query one.db "SELECT count(DISTINCT imported_at) FROM sources WHERE imported_at LIKE '"'"'2001-%'"'"'")" 1 &&
	check_eq "$(db_query far/away/two.db "SELECT count(*) FROM sources WHERE path LIKE '"'"'%far/away%'"'"'")" 8 &&
	expect_code 0 prov --db one.db scan --no-store --format json -o a.json "$EX/suspect-distilled.jsonl" &&
	expect_code 0 prov --db far/away/two.db scan --no-store --format json -o b.json "$EX/suspect-distilled.jsonl" &&
	test -n "$(snapshot_of a.json)" &&
	check_eq "$(snapshot_of a.json)" "$(snapshot_of b.json)" &&
	prov --db far/away/two.db corpus import --model extra --role reference --family none "$EX/suspect-independent.jsonl" >/dev/null &&
	expect_code 0 prov --db far/away/two.db scan --no-store --format json -o c.json "$EX/suspect-distilled.jsonl" &&
	test "$(snapshot_of c.json)" != "$(snapshot_of a.json)"
'

test_expect "a validation run on one database is quoted in the reports of the same corpus rebuilt in another" '
	build one.db here 1000000000 &&
	mkdir -p far/away && build far/away/two.db far/away/files 1700000000 &&
	expect_code 0 prov --db one.db validate here/labels.tsv &&
	expect_code 0 prov --db far/away/two.db scan --no-store --format json -o before.json "$EX/suspect-distilled.jsonl" &&
	sed -n "/\"error_rates\": {/,/}/p" before.json | grep -q "\"status\": \"none\"" &&
	expect_code 0 prov merge far/away/two.db one.db &&
	expect_code 0 prov --db far/away/two.db cases &&
	check_contains out "validation 1 " && check_contains out "merged from one.db#v1:" &&
	expect_code 0 prov --db far/away/two.db scan --format json -o after.json "$EX/suspect-distilled.jsonl" &&
	check_contains after.json "\"status\": \"available\"" &&
	check_contains after.json "\"validation_sha256\": \"$(db_query far/away/two.db "SELECT hash FROM validations WHERE id = 1")\"" &&
	expect_code 0 prov --db far/away/two.db verify --all &&
	expect_code 0 prov merge far/away/two.db one.db &&
	check_eq "$(db_query far/away/two.db "SELECT count(*) FROM validations")" 1
'

test_expect "a forged validation (result edited, its SHA-256 recomputed) fails verify and is never quoted" '
	build one.db here 1000000000 &&
	expect_code 0 prov --db one.db validate here/labels.tsv &&
	expect_code 0 prov --db one.db verify --all &&
	check_contains out "validation 1: intact" &&
	for t in $(db_query one.db "SELECT name FROM sqlite_master WHERE type = '"'"'trigger'"'"'"); do sqlite3 one.db "DROP TRIGGER $t"; done &&
	sqlite3 one.db "UPDATE validations SET result = replace(result, '"'"'\"suspects\":2'"'"', '"'"'\"suspects\":100000'"'"')" &&
	sqlite3 one.db "SELECT writefile('"'"'r.txt'"'"', result) FROM validations" >/dev/null &&
	check_contains r.txt "\"suspects\":100000" &&
	sqlite3 one.db "UPDATE validations SET result_sha256 = '"'"'$(sha256sum r.txt | cut -c1-64)'"'"'" &&
	expect_code 1 prov --db one.db verify --all &&
	check_contains out "validation 1: ALTERED" &&
	check_contains out "FAIL validations.result_sha256 differs from the validation header" &&
	expect_code 1 prov --db one.db scan --format json -o r.json "$EX/suspect-distilled.jsonl" &&
	check_contains err "validation 1 does not verify" &&
	test ! -s r.json &&
	expect_code 3 prov merge m.db one.db &&
	check_contains err "one.db: validation 1 does not verify"
'

test_expect "a validation is signable: verify checks its signature with the stored key, --pubkey with the trusted one" '
	need_cmd openssl &&
	openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null &&
	build one.db here 1000000000 &&
	expect_code 0 prov --db one.db validate --sign-key key.pem here/labels.tsv &&
	expect_code 0 prov --db one.db verify --all --pubkey key.pem &&
	check_contains out "validation 1: intact" &&
	expect_code 0 prov --db one.db verify --all --format json &&
	check_contains out "the validation hash is signed by key" &&
	expect_code 1 prov --db one.db verify --all --pubkey other.pem &&
	check_contains out "validation 1: intact, but UNSIGNED as required" &&
	check_contains out "MISSING unsigned: validation 1 has no signature by key" &&
	for t in $(db_query one.db "SELECT name FROM sqlite_master WHERE type = '"'"'trigger'"'"'"); do sqlite3 one.db "DROP TRIGGER $t"; done &&
	sqlite3 one.db "UPDATE validation_signatures SET signature = zeroblob(64)" &&
	expect_code 1 prov --db one.db verify --all &&
	check_contains out "validation 1: ALTERED" && check_contains out "FAIL bad signature: the signature by key"
'
