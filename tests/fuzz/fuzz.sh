#!/bin/sh
# The driver of `make fuzz` (see the Makefile and docs/internals.md, "Tests").
#
#   fuzz.sh check CC                   can CC build a libFuzzer target? else say what to install
#   fuzz.sh run DIR SECONDS NAME...    run DIR/NAME for SECONDS each from tests/fuzz/corpus/NAME
#
# New inputs a run finds go to DIR/corpus/NAME (not committed); a crash is saved as
# DIR/crash-NAME-{crash,leak,timeout,oom}-<sha1> and fails the run. Exit 0 only when every target ran clean.
set -u

case "${1:-}" in
check)
	cc=${2:-clang}
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "make fuzz: $cc not found; install clang (Debian: apt-get install clang-14 libclang-rt-14-dev, then make fuzz FUZZ_CC=clang-14)" >&2
		exit 1
	fi
	tmp=$(mktemp -d) || exit 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
	if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" >"$tmp/log" 2>&1; then
		echo "make fuzz: $cc cannot link a libFuzzer target (-fsanitize=fuzzer,address,undefined):" >&2
		sed 's/^/  /' "$tmp/log" | head -5 >&2
		if "$cc" --version 2>/dev/null | grep -q clang; then
			v=$("$cc" -dumpversion 2>/dev/null | cut -d. -f1)
			echo "make fuzz: the libFuzzer runtime is missing; on Debian/Ubuntu install libclang-rt-${v:-14}-dev" \
				"(older releases: libfuzzer-${v:-14}-dev), e.g. apt-get install -y libclang-rt-${v:-14}-dev" >&2
		else
			echo "make fuzz: libFuzzer needs clang: make fuzz FUZZ_CC=clang" \
				"(Debian: apt-get install -y clang-14 libclang-rt-14-dev)" >&2
		fi
		rm -rf "$tmp"
		exit 1
	fi
	rm -rf "$tmp"
	exit 0
	;;
run)
	dir=$2
	secs=$3
	shift 3
	fail=0
	here=$(dirname "$0")
	for name in "$@"; do
		seeds="$here/corpus/$name"
		work="$dir/corpus/$name"
		log="$dir/$name.log"
		mkdir -p "$work"
		dict=
		[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
		printf '  %-7s %s (%s s, seeds %s)\n' FUZZ "$name" "$secs" "$seeds"
		# shellcheck disable=SC2086
		"$dir/$name" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$dir/crash-$name-" $dict "$work" "$seeds" >"$log" 2>&1
		rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		if [ "$rc" -ne 0 ]; then
			echo "  FAIL    $name: exit $rc after ${runs:-?} runs; log $log; inputs:" >&2
			ls "$dir"/crash-"$name"-* 2>/dev/null | sed 's/^/    /' >&2
			grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 | sed 's/^/    /' >&2
			fail=1
		else
			printf '  %-7s %s: %s runs, %s coverage edges, clean\n' OK "$name" "${runs:-?}" "${cov:-?}"
		fi
	done
	exit $fail
	;;
*)
	echo "usage: fuzz.sh check CC | run DIR SECONDS NAME..." >&2
	exit 2
	;;
esac
