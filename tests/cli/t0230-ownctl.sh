#!/bin/sh
# scan --logged --fresh: the own-control test, with and without a corpus; bad input; and a
# constructed suspect from real answers (../shared/data).
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

field() {
	# field FILE KEY: the first "KEY": value in FILE (strings without quotes)
	grep -m1 "\"$2\":" "$1" | sed 's/.*": *//; s/[",]//g; s/ *$//'
}

below() {
	# below X LIMIT: X < LIMIT as numbers
	awk -v x="$1" -v l="$2" 'BEGIN { exit !(x + 0 < l + 0) }' || { echo "$1 is not below $2"; return 1; }
}

own() {
	# own ARGS...: the example suspect against example-gpt's answers as "logged" and two others as "fresh"
	prov scan "$EX/suspect-distilled.jsonl" --logged "$EX/corpus/example-gpt.jsonl" \
		--fresh "$EX/corpus/example-claude.jsonl" --fresh "$EX/corpus/example-chatty.jsonl" "$@"
}

test_expect "without a database: the own-control test alone, not stored, same bytes twice" '
	expect_code 0 own --format json &&
	test ! -e provenance.db &&
	check_contains err "no database at provenance.db: the own-control test only, not stored" &&
	for k in p_value effect prompts fresh_per_prompt draws seed statistic excerpts null_mean; do
		check_contains out "\"$k\"" || exit 1
	done &&
	check_eq "$(field out prompts)" 40 &&
	check_eq "$(field out fresh_per_prompt)" 2 &&
	check_eq "$(field out method)" exact &&
	check_eq "$(field out draws)" 0 &&
	check_contains out "\"stored\": false" &&
	check_not_contains out "\"teachers\"" &&
	cp out a.json && expect_code 0 own --format json && check_same a.json out &&
	expect_code 0 own --format md -o a.md && expect_code 0 own --format md -o b.md && check_same a.md b.md &&
	check_contains a.md "# Provenance report: own-control test" &&
	check_contains a.md "**Assumptions.**" &&
	check_contains a.md "What breaks it:" &&
	check_contains a.md "Logged teacher answer:" &&
	expect_code 0 own --format html -o a.html &&
	check_contains a.html "<h2>Own-control test: logged versus fresh teacher answers</h2>" &&
	check_contains a.html "<mark>"
'

test_expect "Monte Carlo draws are stated, seeded and repeatable" '
	expect_code 0 own --format json --draws 2000 --seed 7 &&
	check_eq "$(field out method)" monte_carlo &&
	check_eq "$(field out draws)" 2000 &&
	check_eq "$(field out seed)" 7 &&
	cp out a.json && expect_code 0 own --format json --draws 2000 --seed 7 && check_same a.json out &&
	expect_code 0 own --format md --draws 2000 --seed 7 &&
	check_contains out "Monte Carlo: 2000 random relabellings (seed 7)"
'

test_expect "with a corpus: stored with the case, re-rendered by report with the same bytes" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs &&
	expect_code 0 own --format md -o a.md &&
	check_contains err "case 1 stored" &&
	check_contains a.md "## 7. Own-control test: logged versus fresh teacher answers" &&
	check_contains a.md "## 1. Summary" &&
	check_contains a.md "Chain of custody · 7. Own-control test: logged versus fresh teacher answers" &&
	expect_code 0 prov report 1 --format md -o b.md && check_same a.md b.md &&
	expect_code 0 own --format html -o a.html &&
	expect_code 0 prov report 2 --format html -o b.html && check_same a.html b.html &&
	expect_code 0 own --format json -o a.json &&
	expect_code 0 prov report 3 --format json && check_same a.json out &&
	check_contains out "\"sample_specific\"" &&
	expect_code 0 prov verify 3 &&
	db_query provenance.db "SELECT count(*) FROM cases" >n && check_eq "$(cat n)" 3
'

test_expect "bad logged or fresh input: file, line, exit 3, nothing stored" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	head -3 "$EX/corpus/example-gpt.jsonl" >bad.jsonl && echo "{not json" >>bad.jsonl &&
	expect_code 3 prov scan "$EX/suspect-distilled.jsonl" --logged bad.jsonl --fresh "$EX/corpus/example-claude.jsonl" &&
	check_contains err "bad.jsonl:4" &&
	expect_code 3 prov scan "$EX/suspect-distilled.jsonl" --logged "$EX/corpus/example-gpt.jsonl" --fresh bad.jsonl &&
	check_contains err "bad.jsonl:4" &&
	head -2 "$EX/corpus/example-gpt.jsonl" >dup.jsonl && head -1 "$EX/corpus/example-gpt.jsonl" >>dup.jsonl &&
	expect_code 3 prov scan "$EX/suspect-distilled.jsonl" --logged dup.jsonl --fresh "$EX/corpus/example-claude.jsonl" &&
	check_contains err "dup.jsonl:3: the prompt of line 1 is logged again" &&
	printf "{\"prompt\": \"nothing like it\", \"response\": \"x\"}\n" >other.jsonl &&
	expect_code 3 prov scan "$EX/suspect-distilled.jsonl" --logged other.jsonl --fresh "$EX/corpus/example-claude.jsonl" &&
	check_contains err "no prompt has a suspect answer" &&
	db_query provenance.db "SELECT count(*) FROM cases" >n && check_eq "$(cat n)" 0 &&
	expect_code 2 prov scan "$EX/suspect-distilled.jsonl" --logged "$EX/corpus/example-gpt.jsonl" &&
	expect_code 2 own --draws -4 &&
	expect_code 2 own --seed x
'

# A constructed suspect (docs/validation.md): no public data set holds a real student's answers to
# its own training prompts. Logged and fresh answers exchangeable by construction: for each prompt
# one of GPT-4-0314, -0613 and -1106-preview, drawn at random, plays "logged" and the other two
# "fresh" (ownctl-mix.awk); the suspect is Mixtral's answers with a share of the logged answers'
# sentences spliced in (ownctl-splice.awk).
test_expect "a constructed suspect carrying 10% of the logged sentences is found at p < 1e-6 on 100 prompts" '
	need_shared alpaca_eval &&
	A=$SHARED/data/alpaca_eval &&
	for v in gpt4_0314 gpt4_0613 gpt4_1106_preview; do gzip -dc "$A/$v.jsonl.gz" >$v.jsonl || exit 1; done &&
	awk -v seed=1 -v out=mix -f "$ROOT/tests/cli/ownctl-mix.awk" gpt4_0314.jsonl gpt4_0613.jsonl \
		gpt4_1106_preview.jsonl &&
	check_eq "$(wc -l <mix-logged.jsonl)" 805 &&
	gzip -dc "$A/Mixtral-8x7B-Instruct-v0.1.jsonl.gz" >base.jsonl &&
	awk -v share=10 -v seed=1 -v limit=100 -f "$ROOT/tests/cli/ownctl-splice.awk" mix-logged.jsonl base.jsonl >s10.jsonl &&
	awk -v share=0 -v seed=1 -v limit=100 -f "$ROOT/tests/cli/ownctl-splice.awk" mix-logged.jsonl base.jsonl >s0.jsonl &&
	check_eq "$(wc -l <s10.jsonl)" 100 &&
	expect_code 0 prov scan s10.jsonl --logged mix-logged.jsonl --fresh mix-fresh1.jsonl --fresh mix-fresh2.jsonl \
		--format json &&
	check_eq "$(field out prompts)" 100 &&
	below "$(field out p_value)" 1e-6 &&
	expect_code 0 prov scan s0.jsonl --logged mix-logged.jsonl --fresh mix-fresh1.jsonl --fresh mix-fresh2.jsonl \
		--format json &&
	below 0.01 "$(field out p_value)"
'
