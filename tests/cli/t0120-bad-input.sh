#!/bin/sh
# Bad input: a clear FILE:LINE message, exit code 3, and the database exactly as it was.
. "$(dirname "$0")/lib.sh"

F=$FIXTURES/import

# bad_import NAME EXPECTED-MESSAGE: import ./NAME into a store that already holds
# plain.jsonl; expect exit 3, the message, and an unchanged dump.
bad_import() {
	prov corpus import "$F/plain.jsonl" >/dev/null
	db_dump provenance.db >before
	expect_code 3 prov corpus import "$1"
	check_contains err "$2"
	check_contains err "$1: not imported; the database is unchanged"
	db_dump provenance.db >after
	check_same before after
}

good_line='{"id": "n1", "prompt": "A new prompt", "response": "A new answer", "model": "alpha"}'

test_expect "broken JSON after good lines" '
	{ echo "$good_line"; echo "{\"prompt\": \"x\", \"response\": "; } >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:2: invalid JSON at column"
'

test_expect "missing prompt" '
	{ echo "$good_line"; echo "{\"response\": \"x\", \"model\": \"alpha\"}"; } >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:2: missing \"prompt\""
'

test_expect "missing response" '
	{ echo "$good_line"; echo "$good_line" | sed "s/n1/n2/; s/\"response\": \"A new answer\", //"; } >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:2: missing \"response\""
'

test_expect "a field of the wrong type" '
	{ echo "$good_line"; echo "{\"prompt\": [\"x\"], \"response\": \"y\", \"model\": \"alpha\"}"; } >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:2: \"prompt\" must be a string"
'

test_expect "invalid UTF-8" '
	{ echo "$good_line"; echo "$good_line"; printf "{\"prompt\": \"caf\\351\", \"response\": \"y\", \"model\": \"a\"}\n"; } >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:3: invalid UTF-8 at byte 16 of the line"
'

test_expect "a line over the 16 MiB cap" '
	{ echo "$good_line"
	  printf "{\"prompt\": \"x\", \"model\": \"alpha\", \"response\": \""
	  head -c 16777216 /dev/zero | tr "\0" a
	  echo "\"}"; } >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:2: line longer than the limit of 16777216 bytes"
'

test_expect "an empty file" '
	: >empty.jsonl &&
	bad_import empty.jsonl "empty.jsonl:0: no records (empty file)" &&
	printf "\n\n" >blank.jsonl &&
	bad_import blank.jsonl "blank.jsonl:2: no records (empty file)"
'

test_expect "a truncated gzip stream" '
	for i in $(seq 1 300); do echo "{\"id\": \"t$i\", \"prompt\": \"prompt $i\", \"response\": \"answer $i $i $i\", \"model\": \"alpha\"}"; done | gzip -c >full.gz &&
	head -c $(( $(wc -c <full.gz) - 100 )) full.gz >cut.jsonl.gz &&
	bad_import cut.jsonl.gz "truncated gzip stream"
'

test_expect "a different answer to a stored prompt by the same model" '
	echo "{\"id\": \"q1\", \"prompt\": \"What is the capital of France?\", \"response\": \"Lyon.\", \"model\": \"alpha\"}" >bad.jsonl &&
	bad_import bad.jsonl "bad.jsonl:1: model \"alpha\" already has a different response"
'

test_expect "one bad file among several: the others import, exit code 3" '
	echo "not json" >bad.jsonl &&
	expect_code 3 prov corpus import "$F/plain.jsonl" bad.jsonl "$F/alpaca.jsonl" &&
	check_contains err "bad.jsonl:1: invalid JSON" &&
	check_contains err "1 of 3 files failed" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM models")" 2
'

test_expect "a missing or unreadable input file is an I/O error (exit 4)" '
	expect_code 4 prov corpus import nowhere.jsonl &&
	check_contains err "nowhere.jsonl: cannot open: No such file or directory" &&
	mkdir adir &&
	expect_code 4 prov corpus import adir &&
	check_contains err "adir: is a directory" &&
	if [ "$(id -u)" != 0 ]; then
		cp "$F/plain.jsonl" secret.jsonl && chmod 000 secret.jsonl &&
		expect_code 4 prov corpus import secret.jsonl &&
		check_contains err "secret.jsonl: cannot open: Permission denied"
	fi
'
