#!/bin/sh
# verify --rederive: every number of a case is recomputed from the stored corpus and the stored
# answers without any cache; a case made from a poisoned preparation (sealed by whoever holds
# the cache key) or quoting a rewritten validation is named, though every hash holds.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

load() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

# poison OFFSET: change one byte of the cached preparation and reseal it with the cache key
poison() {
	k=$(db_query provenance.db "SELECT key FROM cache WHERE kind = 'prep' AND instr(key, char(35)) = 0") &&
	test "$(db_query provenance.db "SELECT count(*) FROM cache WHERE kind = 'prep'")" -eq 2 &&
	sqlite3 provenance.db "UPDATE cache SET value = substr(value, 1, $1) || x'40' || substr(value, $1 + 2) WHERE key = '$k#000000'" &&
	sqlite3 provenance.db "SELECT writefile('v.bin', value) FROM cache WHERE key = '$k#000000'" >/dev/null &&
	mac=$(printf "%s\n%s" "$k" "$(sha256sum v.bin | cut -c1-64)" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(od -An -tx1 "$PROVENANCE_CACHE_KEY" | tr -d " \n")" | sed "s/.*= //") &&
	sqlite3 provenance.db "UPDATE cache SET value = substr(value, 1, 41) || CAST('$mac' AS BLOB) || substr(value, 106) WHERE key = '$k'"
}

test_expect "verify --rederive passes on honest cases (whole, --teacher, --exclude-control) and names a case made from a poisoned cache" '
	need_cmd openssl && need_cmd od &&
	export PROVENANCE_CACHE_KEY=$PWD/cache.key &&
	load &&
	expect_code 0 prov validate "$EX/labels.tsv" &&
	prov scan -o /dev/null "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan --teacher example-gpt -o /dev/null "$EX/suspect-independent.jsonl" 2>/dev/null &&
	prov scan --exclude-control example-terse -o /dev/null "$EX/suspect-independent.jsonl" 2>/dev/null &&
	expect_code 0 prov verify --all --rederive &&
	expect_code 0 prov verify 2 --rederive &&
	check_contains out "ok   re-derived: every number of case 2 is what the stored corpus and answers give without any cache" &&
	expect_code 0 prov scan --no-store --format json -o honest.json "$EX/suspect-independent.jsonl" &&
	poison 25000 &&
	PROVENANCE_TIMING=1 prov scan --format json -o poisoned.json "$EX/suspect-independent.jsonl" 2>err &&
	check_contains err "preparation cached" &&
	! cmp -s honest.json poisoned.json &&
	expect_code 0 prov verify --all &&
	expect_code 1 prov verify --all --rederive &&
	check_contains out "case 4: its hashes hold, but its numbers DIFFER from their recomputation (--rederive)" &&
	check_contains out "FAIL re-derived: case 4 differs from its recomputation from the stored corpus and answers (no cache) in: teachers" &&
	check_not_contains out "case 1: its" && check_not_contains out "case 3: its" &&
	expect_code 1 prov verify 4 --rederive --format json &&
	check_contains out "\"rederived\": false"
'

test_expect "verify --rederive names a case whose validation was rewritten (result, header and hash recomputed)" '
	load &&
	expect_code 0 prov validate "$EX/labels.tsv" &&
	prov scan -o /dev/null "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	expect_code 0 prov verify 1 --rederive &&
	for t in $(db_query provenance.db "SELECT name FROM sqlite_master WHERE type = '"'"'trigger'"'"'"); do sqlite3 provenance.db "DROP TRIGGER $t"; done &&
	sqlite3 provenance.db "UPDATE validations SET result = replace(result, '"'"'\"suspects\":2'"'"', '"'"'\"suspects\":100000'"'"')" &&
	sqlite3 provenance.db "SELECT writefile('"'"'r.txt'"'"', result), writefile('"'"'h.txt'"'"', header) FROM validations" >/dev/null &&
	r=$(sha256sum r.txt | cut -c1-64) &&
	sed "s/^result_sha256 \".*\"\$/result_sha256 \"$r\"/" h.txt >h2.txt &&
	sqlite3 provenance.db "UPDATE validations SET result_sha256 = '"'"'$r'"'"', header = CAST(readfile('"'"'h2.txt'"'"') AS TEXT), hash = '"'"'$(sha256sum h2.txt | cut -c1-64)'"'"'" &&
	expect_code 0 prov verify --all &&
	check_contains out "validation 1: intact" &&
	expect_code 1 prov verify --all --rederive &&
	check_contains out "FAIL re-derived: case 1 differs" &&
	check_contains out "error_rates (validation" && check_contains out "it quotes is not in the validation chain"
'
