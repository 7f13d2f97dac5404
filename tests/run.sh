#!/bin/sh
# tests/run.sh: run the unit test binaries and the CLI test scripts, then print
# one summary line "N passed, N failed[, N skipped]". Exit status 1 on any failure.
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
trap 'rm -f "$log" "$log.one"' EXIT

run_one() {
	# $1: label, rest: command. Records a failure if it exits non-zero without saying why.
	label=$1
	shift
	"$@" >"$log.one" 2>&1
	rc=$?
	cat "$log.one" >>"$log"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$log.one"; then
		echo "not ok - $label: exited with status $rc" >>"$log"
		tail -n 20 "$log.one" | sed 's/^/#   /' >>"$log"
	fi
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
