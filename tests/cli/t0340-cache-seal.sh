#!/bin/sh
# A poisoned preparation cache never changes a verdict: the cache is sealed with a key kept
# outside the database (HMAC-SHA-256), so an entry edited in the database, even with its plain
# SHA-256 recomputed, is refused with an error naming the table; an entry sealed by another key
# (a database copied from elsewhere) is recomputed, giving the same report.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
export PROVENANCE_CACHE_KEY="$PWD/unused"

load() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

test_expect "a cache entry edited in the database (no hash stored in it can reseal it) is refused, naming the table" '
	export PROVENANCE_CACHE_KEY=$PWD/state/cache.key &&
	load &&
	expect_code 0 prov scan -o /dev/null "$EX/suspect-distilled.jsonl" &&
	test -s state/cache.key && check_eq "$(stat -c %a state/cache.key)" 600 &&
	PROVENANCE_CACHE_KEY=$PWD/other.key prov scan --no-store --format json -o fresh.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	PROVENANCE_TIMING=1 prov scan --no-store --format json -o cached.json "$EX/suspect-distilled.jsonl" 2>timing.err &&
	check_contains timing.err "preparation cached" &&
	check_same fresh.json cached.json &&
	cp provenance.db pristine.db &&
	chunk=$(db_query provenance.db "SELECT key FROM cache WHERE kind = '"'"'prep'"'"' AND instr(key, char(35)) > 0 LIMIT 1") &&
	sqlite3 provenance.db "UPDATE cache SET value = substr(value, 1, 200) || x'"'"'7f'"'"' || substr(value, 202) WHERE key = '"'"'$chunk'"'"'" &&
	expect_code 1 prov scan --no-store --format json -o poisoned.json "$EX/suspect-distilled.jsonl" &&
	check_contains err "table cache: the cached entry prep:" &&
	check_contains err "does not match its seal" &&
	test ! -s poisoned.json &&
	cp pristine.db provenance.db &&
	sqlite3 provenance.db "DELETE FROM cache WHERE key = '"'"'$chunk'"'"'" &&
	expect_code 1 prov scan --no-store -o /dev/null "$EX/suspect-distilled.jsonl" &&
	check_contains err "table cache"
'

test_expect "an entry sealed by another key (a copied database) is recomputed: the same report bytes" '
	export PROVENANCE_CACHE_KEY=$PWD/mine.key &&
	load &&
	expect_code 0 prov scan -o /dev/null "$EX/suspect-distilled.jsonl" &&
	expect_code 0 prov scan --no-store --format json -o a.json "$EX/suspect-distilled.jsonl" &&
	PROVENANCE_CACHE_KEY=$PWD/theirs.key PROVENANCE_TIMING=1 prov scan --no-store --format json -o b.json "$EX/suspect-distilled.jsonl" 2>b.err &&
	check_not_contains b.err "preparation cached" &&
	check_same a.json b.json &&
	PROVENANCE_CACHE_KEY=/nonexistent/dir/key prov scan --no-store --format json -o c.json "$EX/suspect-distilled.jsonl" &&
	check_same a.json c.json
'
