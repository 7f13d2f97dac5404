#!/bin/sh
# inspect: the engine's view of each response.
. "$(dirname "$0")/lib.sh"

test_expect "inspect shows refusals and identity claims per line" '
	expect_code 0 prov inspect "$ROOT/examples/suspect-distilled.jsonl" &&
	grep -E "^ex09 +[0-9]+ +openai" out &&
	grep -E "^ex37 .*openai \(identity, strong\)" out &&
	check_eq "$(grep -c "^ex" out)" 40 &&
	test ! -e provenance.db
'

test_expect "inspect --format jsonl: one object per line with the contract fields" '
	expect_code 0 prov inspect --format jsonl "$ROOT/examples/suspect-distilled.jsonl" &&
	check_eq "$(wc -l <out)" 40 &&
	grep "\"id\":\"ex09\"" out | grep -q "\"refusal\":true" &&
	grep "\"id\":\"ex09\"" out | grep -q "\"refusal_style\":\"openai\"" &&
	grep "\"id\":\"ex37\"" out | grep -q "\"identity\":\[{\"claims\":\"openai\",\"kind\":\"identity\",\"text\":\"As an AI language model developed by OpenAI" &&
	grep "\"id\":\"ex01\"" out | grep -q "\"refusal\":false,\"refusal_style\":null" &&
	grep -q "\"style\":{\"answer length (log words)\":" out
'

test_expect "inspect handles Chinese and Greek refusals" '
	printf "%s\n" "{\"id\": \"zh\", \"prompt\": \"p\", \"response\": \"抱歉，我无法提供这方面的帮助。\"}" \
		"{\"id\": \"el\", \"prompt\": \"p\", \"response\": \"Λυπάμαι, αλλά δεν μπορώ να βοηθήσω με αυτό.\"}" \
		"{\"id\": \"en\", \"prompt\": \"p\", \"response\": \"I am sorry to hear that. Here is how to fix it.\"}" >x.jsonl &&
	expect_code 0 prov inspect --format jsonl x.jsonl &&
	grep "\"id\":\"zh\"" out | grep -q "\"refusal\":true" &&
	grep "\"id\":\"el\"" out | grep -q "\"refusal\":true" &&
	grep "\"id\":\"en\"" out | grep -q "\"refusal\":false"
'

test_expect "inspect: bad input and usage" '
	printf "not json\n" >bad.jsonl &&
	expect_code 3 prov inspect bad.jsonl &&
	check_contains err "bad.jsonl:1: invalid JSON" &&
	expect_code 2 prov inspect &&
	expect_code 2 prov inspect --format xml "$ROOT/examples/suspect-distilled.jsonl"
'
