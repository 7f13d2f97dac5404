#!/bin/sh
# tests/run.sh: run the unit test binaries and the CLI test scripts, then print
# one summary line "N passed, N failed[, N skipped]". Exit status 1 on any failure.
# While it runs, each test group (a unit binary, a CLI script) prints one line
# as it finishes: "test_jsonl: 48 ok (0 s)", with its failures and skips counted.
#
#   UNIT_DIR=build/tests PROVENANCE_BIN=./provenance sh tests/run.sh [PATTERN]
#
# PATTERN limits the run to unit binaries / CLI scripts whose name contains it.
# VERBOSE=1 prints every result line; otherwise only failures, skips and the summary.
# PROVENANCE_WRAP (e.g. "valgrind ...") is put in front of every CLI invocation.
# PROVENANCE_SHARED points at the shared data (default: ../shared next to the repo).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${UNIT_DIR:=$ROOT/build/tests}"
: "${PROVENANCE_BIN:=$ROOT/provenance}"
: "${PROVENANCE_SHARED:=$(cd "$ROOT/.." && pwd)/shared}"
export ROOT PROVENANCE_BIN PROVENANCE_SHARED
pattern=${1:-}
log=$(mktemp "${TMPDIR:-/tmp}/provenance-tests.XXXXXX")
# The preparation cache's HMAC key (corpus/store.c) lives outside the databases; the tests use
# a key of their own, made for this run, and leave the user's state directory alone.
keydir=
if [ -z "${PROVENANCE_CACHE_KEY:-}" ]; then
	keydir=$(mktemp -d "${TMPDIR:-/tmp}/provenance-key.XXXXXX")
	PROVENANCE_CACHE_KEY=$keydir/cache.key
	export PROVENANCE_CACHE_KEY
fi
trap 'rm -f "$log" "$log.one" "$log.tail"; [ -z "$keydir" ] || rm -rf "$keydir"' EXIT

run_one() {
	# $1: label, rest: command. Records a failure if it exits non-zero without saying why,
	# then prints the group's line (on standard error when VERBOSE=1 keeps stdout for the log).
	label=$1
	shift
	t0=$(date +%s)
	"$@" >"$log.one" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$log.one"; then
		tail -n 20 "$log.one" | sed 's/^/#   /' >"$log.tail"
		echo "not ok - $label: exited with status $rc" >>"$log.one"
		cat "$log.tail" >>"$log.one"
	fi
	cat "$log.one" >>"$log"
	g_ok=$(grep -c '^ok ' "$log.one")
	g_fail=$(grep -c '^not ok ' "$log.one")
	g_skip=$(grep -c '^skip ' "$log.one")
	line="$label: $g_ok ok"
	[ "$g_fail" -gt 0 ] && line="$line, $g_fail NOT OK"
	[ "$g_skip" -gt 0 ] && line="$line, $g_skip skipped"
	echo "$line ($(( $(date +%s) - t0 )) s)"
}

if [ -d "$UNIT_DIR" ]; then
	for t in "$UNIT_DIR"/test_*; do
		[ -x "$t" ] || continue
		case $(basename "$t") in *.d|*.o) continue ;; esac
		[ -n "$pattern" ] && case $(basename "$t") in *"$pattern"*) ;; *) continue ;; esac
		run_one "$(basename "$t")" "$t"
	done
fi
for t in "$ROOT"/tests/cli/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	[ -n "$pattern" ] && case $(basename "$t") in *"$pattern"*) ;; *) continue ;; esac
	run_one "$(basename "$t")" sh "$t"
done

if [ -n "${VERBOSE:-}" ]; then
	cat "$log"
else
	awk '/^not ok /{show=1; print; next} /^(ok|skip) /{show=0} /^skip /{print; next} /^#/{if (show) print}' "$log"
fi
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
skip=$(grep -c '^skip ' "$log")
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
