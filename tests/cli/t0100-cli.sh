#!/bin/sh
# The command line itself: help, version, usage errors, the --db option.
. "$(dirname "$0")/lib.sh"

test_expect "--version and --help at the top level" '
	expect_code 0 prov --version &&
	check_contains out "provenance 0." &&
	expect_code 0 prov --help &&
	check_contains out "usage: provenance [--db FILE] COMMAND" &&
	check_contains out "corpus"
'

test_expect "--help and --version on every level" '
	for c in "corpus" "corpus import" "corpus list" "corpus remove" "corpus prompts"; do
		expect_code 0 prov $c --help && check_contains out "usage: provenance" || exit 1
	done
	expect_code 0 prov corpus --version && check_contains out "provenance 0."
'

test_expect "no command and unknown commands are usage errors (exit 2)" '
	expect_code 2 prov &&
	check_contains err "usage:" &&
	expect_code 2 prov frobnicate &&
	check_contains err "unknown command" &&
	expect_code 2 prov corpus frobnicate &&
	check_contains err "unknown command" &&
	expect_code 2 prov corpus &&
	expect_code 2 prov --bogus corpus list &&
	check_contains err "unknown option"
'

test_expect "unknown options and missing values are usage errors" '
	expect_code 2 prov corpus list --bogus &&
	check_contains err "unknown option" &&
	check_contains err "provenance corpus list --help" &&
	expect_code 2 prov corpus import --model &&
	check_contains err "needs a value" &&
	expect_code 2 prov corpus import &&
	check_contains err "no input file" &&
	expect_code 2 prov corpus import --role judge "$FIXTURES/import/plain.jsonl" &&
	check_contains err "--role must be" &&
	expect_code 2 prov corpus remove &&
	check_contains err "--model NAME is required" &&
	expect_code 2 prov --db &&
	test ! -e provenance.db
'

test_expect "--db chooses the file, else PROVENANCE_DB, else ./provenance.db" '
	expect_code 0 prov --db a.db corpus import "$FIXTURES/import/plain.jsonl" &&
	test -f a.db && test ! -e provenance.db &&
	expect_code 0 prov --db=b.db corpus import "$FIXTURES/import/plain.jsonl" &&
	test -f b.db &&
	PROVENANCE_DB=c.db expect_code 0 prov corpus import "$FIXTURES/import/plain.jsonl" &&
	test -f c.db && test ! -e provenance.db &&
	unset PROVENANCE_DB &&
	expect_code 0 prov corpus import "$FIXTURES/import/plain.jsonl" &&
	test -f provenance.db
'

test_expect "a write error on stdout is a failure, not a silent success" '
	test -w /dev/full || skip_because "no /dev/full"
	set +e
	prov --help >/dev/full 2>err
	rc=$?
	set -e
	check_eq "$rc" 4 "exit code" &&
	check_contains err "write error"
'

test_expect "README and .ci/run install the same Debian packages and run make test" '
	readme=$(grep -m1 "apt-get install" "$ROOT/README.md" | sed "s/.*install -y//; s/&&.*//" | tr " " "\n" | grep . | sort)
	ci=$(grep -m1 "^PACKAGES=" "$ROOT/.ci/run" | sed "s/^PACKAGES=//; s/\"//g" | tr " " "\n" | grep . | sort)
	check_eq "$ci" "$readme" "packages" &&
	grep -q "^make test$" "$ROOT/.ci/run" &&
	grep -q "^make test$" "$ROOT/README.md"
'
