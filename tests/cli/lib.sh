# tests/cli/lib.sh: helpers for CLI tests (sourced by tests/cli/tNNNN-*.sh).
#
#   test_expect "name" '
#       expect_code 0 prov corpus import a.jsonl &&
#       check_contains out "imported"
#   '
#
# Each body runs with `set -e` in a subshell inside a fresh empty directory
# (its own database there), and prints "ok - file: name" / "not ok ..." / "skip ...".
# A body that exits 77 is skipped (use need_shared / skip_because).

: "${ROOT:?run through tests/run.sh}"
: "${PROVENANCE_BIN:?}"
FIXTURES=$ROOT/tests/fixtures
SHARED=${PROVENANCE_SHARED:-}
TFILE=$(basename "$0" .sh)
export PROVENANCE_DB=provenance.db
export PROVENANCE_PROGRESS=0
unset SOURCE_DATE_EPOCH

prov() {
	# shellcheck disable=SC2086
	$PROVENANCE_WRAP "$PROVENANCE_BIN" "$@"
}

# expect_code N CMD...: run CMD with stdout in ./out and stderr in ./err, and
# fail unless it exits with N.
expect_code() {
	want=$1
	shift
	set +e
	"$@" >out 2>err
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "expected exit code $want, got $got from: $*"
		echo "--- stdout"; head -c 3000 out; echo "--- stderr"; head -c 3000 err
		return 1
	fi
}

check_contains() {
	if ! grep -F -q -e "$2" "$1"; then
		echo "$1 does not contain: $2"
		echo "--- $1"; head -c 3000 "$1"
		return 1
	fi
}

check_not_contains() {
	if grep -F -q -e "$2" "$1"; then
		echo "$1 unexpectedly contains: $2"
		echo "--- $1"; head -c 3000 "$1"
		return 1
	fi
}

check_same() {
	if ! cmp -s "$1" "$2"; then
		echo "$1 and $2 differ:"
		diff "$1" "$2" | head -40
		return 1
	fi
}

check_eq() {
	if [ "$1" != "$2" ]; then
		echo "expected '$2', got '$1'${3:+ ($3)}"
		return 1
	fi
}

skip_because() {
	echo "$1" >skip-reason
	exit 77
}

need_shared() {
	[ -n "$SHARED" ] && [ -d "$SHARED/data/${1:-}" ] || skip_because "../shared/data/${1:-} not present"
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip_because "$1 not installed"
}

# Dump a database in a stable textual form (schema and rows).
db_dump() {
	sqlite3 "$1" .dump
}

# Query a database with the sqlite3 shell.
db_query() {
	sqlite3 -batch -noheader "$1" "$2"
}

test_expect() {
	name=$1
	body=$2
	dir=$(mktemp -d "${TMPDIR:-/tmp}/prov-cli.XXXXXX")
	(
		cd "$dir" || exit 1
		set -e
		eval "$body"
	) >"$dir.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok - $TFILE: $name"
	elif [ "$rc" -eq 77 ]; then
		echo "skip - $TFILE: $name ($(cat "$dir/skip-reason" 2>/dev/null || echo skipped))"
	else
		echo "not ok - $TFILE: $name"
		sed 's/^/#   /' "$dir.log" | head -80
	fi
	rm -rf "$dir" "$dir.log"
	return 0
}

# import_example_refs: the six reference (control) models of the bundled example, each with its
# maker as family (examples/labels.tsv), so the calibrated test has a panel to stand on.
import_example_refs() {
	awk -F'\t' '$4 == "reference" { print $1 "\t" $5 }' "$ROOT/examples/labels.tsv" | while IFS="$(printf '\t')" read -r f fam; do
		prov corpus import --role reference --family "$fam" "$ROOT/examples/$f" >/dev/null || return 1
	done
}
