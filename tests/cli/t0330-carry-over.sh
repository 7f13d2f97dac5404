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
