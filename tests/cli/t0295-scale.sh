#!/bin/sh
# A panel larger than one cache row can hold: 40 generated models (4 teachers) answering 2,415
# prompt variants (tests/bench/gencorpus). It scans, its preparation round-trips through the
# chunked cache to the same report bytes, and the thread count changes nothing.
. "$(dirname "$0")/lib.sh"

GEN=${UNIT_DIR:-$ROOT/build/tests}/gencorpus

build_panel() {
	[ -x "$GEN" ] || skip_because "no $GEN (make unit builds it)"
	[ -z "${PROVENANCE_WRAP:-}" ] || skip_because "too slow under $PROVENANCE_WRAP"
	mkdir gen && "$GEN" 1.6 gen 3 &&
	check_eq "$(ls gen/*.jsonl | wc -l | tr -d " ")" 40 &&
	tail -n +2 gen/roles.tsv | while IFS="$(printf '\t')" read -r f m role fam; do
		echo "$role $fam gen/$f"
	done | sort >plan.txt &&
	awk '{ k = $1 " " $2; a[k] = a[k] " " $3 } END { for (k in a) print k a[k] }' plan.txt | sort |
	while read -r role fam files; do
		# shellcheck disable=SC2086
		prov corpus import --role "$role" --family "$fam" $files >/dev/null || exit 1
	done &&
	head -805 gen/m0003.jsonl | sed "s/gen0003/suspect/" >suspect.jsonl
}

test_expect "a 40-model, 2,415-prompt panel scans; the cached preparation gives the same report bytes" '
	build_panel &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM prompts")" 2415 &&
	cp provenance.db cold.db &&
	SOURCE_DATE_EPOCH=1700000000 PROVENANCE_TIMING=1 "$PROVENANCE_BIN" --db cold.db scan -o first.json suspect.jsonl 2>first.err &&
	check_contains first.err "preparation computed" &&
	cp provenance.db cached.db &&
	"$PROVENANCE_BIN" --db cached.db scan -o /dev/null suspect.jsonl 2>/dev/null &&
	check_eq "$(db_query cached.db "SELECT count(*) FROM cache WHERE instr(key, char(35)) = 0")" 1 &&
	check_eq "$(db_query cached.db "SELECT count(*) > 1 FROM cache")" 1 &&
	cp provenance.db again.db &&
	sqlite3 again.db "ATTACH '"'"'cached.db'"'"' AS c; INSERT INTO cache SELECT * FROM c.cache" &&
	SOURCE_DATE_EPOCH=1700000000 PROVENANCE_TIMING=1 "$PROVENANCE_BIN" --db again.db scan -o second.json suspect.jsonl 2>second.err &&
	check_contains second.err "preparation cached" &&
	check_same first.json second.json
'

test_expect "the preparation of the large panel does not depend on the thread count" '
	build_panel &&
	for j in 1 3; do
		cp provenance.db "j$j.db"
		SOURCE_DATE_EPOCH=1700000000 PROVENANCE_THREADS=$j "$PROVENANCE_BIN" --db "j$j.db" scan -o "j$j.json" suspect.jsonl 2>/dev/null || exit 1
	done &&
	check_same j1.json j3.json
'
