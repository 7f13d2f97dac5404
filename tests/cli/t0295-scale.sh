#!/bin/sh
# A panel larger than one cache row can hold: 40 generated models (4 teachers) answering 2,415
# prompt variants (tests/bench/gencorpus). It scans, its preparation round-trips through the
# chunked cache to the same report bytes, the thread count changes nothing, and past the
# --memory limit the answers are read in chunks with the same bytes in less memory.
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

# the default limit in MB: half the machine's memory, or of the control group's limit when lower
default_limit_mb() {
	phys=$(( $(getconf _PHYS_PAGES) * $(getconf PAGE_SIZE) ))
	cg=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max)
	case $cg in *[!0-9]*|"") ;; *) [ "$cg" -gt 0 ] && [ "$cg" -lt "$phys" ] && phys=$cg ;; esac
	echo $(( phys / 2 / 1048576 ))
}

# peak MB from a PROVENANCE_TIMING line
peak_of() { sed -n "s/.*, peak \([0-9]*\) MB.*/\1/p" "$1"; }

test_expect "past the --memory limit the preparation reads the answers in chunks: the same bytes, less memory" '
	build_panel &&
	cp provenance.db whole.db && cp provenance.db capped.db &&
	PROVENANCE_TIMING=1 "$PROVENANCE_BIN" --db whole.db scan --no-store --format json -o whole.json suspect.jsonl 2>whole.err &&
	check_contains whole.err "preparation computed with every answer in memory" &&
	check_contains whole.err "memory limit $(default_limit_mb) MB" &&
	PROVENANCE_TIMING=1 "$PROVENANCE_BIN" --memory 16M --db capped.db scan --no-store --format json -o capped.json suspect.jsonl 2>capped.err &&
	check_contains capped.err "preparation computed in " &&
	check_contains capped.err "chunks of prompts" &&
	check_contains capped.err "memory limit 16 MB" &&
	check_contains capped.err "a memory limit of 16 MB is below what this corpus needs besides its answers" &&
	check_same whole.json capped.json &&
	w=$(peak_of whole.err) && c=$(peak_of capped.err) &&
	[ -n "$w" ] && [ -n "$c" ] &&
	{ [ "$c" -lt "$w" ] || { echo "capped peak $c MB, whole $w MB"; exit 1; }; } &&
	check_eq "$(db_query capped.db "SELECT count(*) FROM cache")" 0 &&
	PROVENANCE_MEMORY=16M "$PROVENANCE_BIN" --db capped.db scan -q --format json -o /dev/null suspect.jsonl 2>/dev/null &&
	PROVENANCE_TIMING=1 PROVENANCE_MEMORY=16M "$PROVENANCE_BIN" --db capped.db scan --no-store --format json -o cached.json suspect.jsonl 2>cached.err &&
	check_contains cached.err "preparation cached" &&
	check_same whole.json cached.json
'

test_expect "under the --memory limit: leaving a control out, and an audit on two workers, give the same bytes" '
	build_panel &&
	cp provenance.db whole.db && cp provenance.db capped.db &&
	"$PROVENANCE_BIN" --db whole.db scan --no-store --format json --exclude-control gen0010 -o whole.json suspect.jsonl 2>/dev/null &&
	"$PROVENANCE_BIN" --memory 16M --db capped.db scan --no-store --format json --exclude-control gen0010 -o capped.json suspect.jsonl 2>/dev/null &&
	check_contains whole.json "gen0010" &&
	check_same whole.json capped.json &&
	mkdir sus && cp suspect.jsonl sus/a.jsonl && head -300 gen/m0021.jsonl | sed "s/gen0021/other/" >sus/b.jsonl &&
	cp provenance.db whole.db && cp provenance.db capped.db &&
	SOURCE_DATE_EPOCH=1700000000 "$PROVENANCE_BIN" --db whole.db audit -j 1 --evidence ew.db --reports rw --report-format json -o /dev/null sus 2>/dev/null &&
	SOURCE_DATE_EPOCH=1700000000 "$PROVENANCE_BIN" --memory 16M --db capped.db audit -j 2 --evidence ec.db --reports rc --report-format json -o /dev/null sus 2>/dev/null &&
	check_eq "$(ls rw | wc -l | tr -d " ")" 2 &&
	for f in $(ls rw); do check_same "rw/$f" "rc/$f" || exit 1; done
'

test_expect "--memory and PROVENANCE_MEMORY take a size; anything else is a usage error" '
	expect_code 2 prov --memory 0 corpus list &&
	check_contains err "option '"'"'--memory'"'"' needs a size such as 512M or 4G" &&
	expect_code 2 prov --memory lots corpus list &&
	expect_code 2 prov --memory 12Q corpus list &&
	expect_code 2 prov --memory &&
	PROVENANCE_MEMORY=-5 expect_code 2 prov corpus list &&
	check_contains err "PROVENANCE_MEMORY needs a size" &&
	expect_code 0 prov --memory 512M --version &&
	expect_code 0 prov --memory=2GiB --version &&
	PROVENANCE_MEMORY=300000000 expect_code 0 prov --version
'
