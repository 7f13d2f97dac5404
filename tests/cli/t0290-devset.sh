#!/bin/sh
# The dev-set checks of "Verdicts that hold up" on the real AlpacaEval outputs (skipped when
# ../shared/data is absent). Corpus: the 8 teachers and 15 references of labels.tsv, each
# reference imported with its maker as family. What must hold: no derived suspect attributed
# to the wrong family, the clearest documented cases found, no human-data suspect at moderate
# or stronger (whole, in slices of 100, and without its own siblings in the panel), every
# report carrying robustness, prompts_needed and identical, a suspect with no shared prompts
# inconclusive, and the fast preparation giving the same report bytes as the plain one.
. "$(dirname "$0")/lib.sh"

build_dev_corpus() {
	need_shared alpaca_eval
	[ -z "${PROVENANCE_WRAP:-}" ] || skip_because "too slow under $PROVENANCE_WRAP"
	A=$SHARED/data/alpaca_eval
	awk -F'\t' 'NR > 1 && $3 == "alpaca_eval" && ($4 == "teacher" || $4 == "reference") {
		print $1 "\t" $4 "\t" ($4 == "teacher" ? $5 : $8) }' "$SHARED/data/labels.tsv" >panel.tsv
	check_eq "$(wc -l <panel.tsv | tr -d ' ')" 23 || return 1
	while IFS="$(printf '\t')" read -r f role fam; do
		prov corpus import --role "$role" --family "$fam" "$SHARED/data/$f" >/dev/null || return 1
	done <panel.tsv
}

# status_of MODEL: the status column of labels.tsv (D, D*, L, S, ...)
status_of() {
	awk -F'\t' -v m="$1" '$2 == m { print $7; exit }' "$SHARED/data/labels.tsv"
}

# verdict FILE: "family verdict" of a report's conclusion
conclusion() {
	sed -n '/"conclusion": {/,/}/p' "$1" | tr -d ' ",' | awk -F: '/^family/{f=$2} /^verdict/{v=$2} END{print f, v}'
}

test_expect "derived suspects: never the wrong family; the clearest documented cases found; every report states robustness" '
	build_dev_corpus &&
	awk -F"\t" "NR > 1 && \$3 == \"alpaca_eval\" && \$4 == \"suspect\" && (\$5 == \"openai\" || \$5 == \"anthropic\" || \$5 == \"google\") { print \$2 \" \" \$5 }" \
		"$SHARED/data/labels.tsv" >derived.txt &&
	check_eq "$(wc -l <derived.txt | tr -d " ")" 29 &&
	found=0 &&
	while read -r m fam; do
		prov scan -o "$m.json" "$A/$m.jsonl.gz" 2>/dev/null || exit 1
		c=$(conclusion "$m.json")
		echo "$m: $c"
		# A wrong family is never allowed at moderate or stronger. At weak it is allowed only for
		# a version of a teacher'"'"'s own family (status S; measured: gpt35_turbo_instruct, a
		# completion model, is weak for google; docs/validation.md), never for a student.
		case "$c" in *" strong"|*" moderate") [ "${c% *}" = "$fam" ] || { echo "FAIL wrong family: $m: $c"; exit 1; } ;; esac
		case "$c" in *" weak") [ "${c% *}" = "$fam" ] || [ "$(status_of "$m")" = S ] || { echo "FAIL wrong family: $m: $c"; exit 1; } ;; esac
		case "$c" in *" strong"|*" moderate") found=$((found + 1)) ;; esac
		for key in "\"robustness\": {" "\"stable\":" "\"prompts_needed\": {" "\"identical\": {" "\"calibration\": {"; do
			check_contains "$m.json" "$key" || exit 1
		done
	done <derived.txt &&
	for m in aligner-2b_gpt-4-turbo-2024-04-09:openai claude2-alpaca-13b:anthropic; do
		case "$(conclusion "${m%%:*}.json")" in "${m#*:} strong"|"${m#*:} moderate") ;; *) echo "FAIL not found: $m"; exit 1 ;; esac
	done &&
	case "$(conclusion alpaca-7b.json)" in "openai strong"|"openai moderate"|"openai weak") ;; *) echo "FAIL alpaca-7b"; exit 1 ;; esac &&
	echo "moderate or stronger: $found of 29"
'

# Slices: never strong; at most one of the 24 slices at moderate. Measured with the panel of 15
# references (2026-12-08): oasst-sft-pythia-12b lines 501-600 reach moderate for text_davinci_003
# (4.8 null SDs, calibrated p 7.7e-4), and 4 more of its slices are weak for openai: the
# Crawford-Howell tail with a tight null of 19 models. docs/validation.md states it; a second
# moderate slice is a regression.
test_expect "human-data suspects: never strong or moderate whole or without their siblings; in slices of 100 never strong, at most 1 of 24 moderate" '
	build_dev_corpus &&
	moderate=0 &&
	for m in guanaco-33b llama-2-13b-chat-hf oasst-sft-pythia-12b; do
		zcat "$A/$m.jsonl.gz" >all.jsonl
		prov scan -o "$m.json" all.jsonl 2>/dev/null || exit 1
		case "$(conclusion "$m.json")" in *" strong"|*" moderate") echo "FAIL $m: $(conclusion "$m.json")"; exit 1 ;; esac
		split -l 100 all.jsonl part.
		for p in part.*; do
			[ "$(wc -l <"$p")" -ge 50 ] || continue
			prov scan -o slice.json "$p" 2>/dev/null || exit 1
			case "$(conclusion slice.json)" in
			*" strong") echo "FAIL $m $p: $(conclusion slice.json)"; exit 1 ;;
			*" moderate") echo "moderate: $m $p: $(conclusion slice.json)"; moderate=$((moderate + 1)) ;;
			esac
		done
		rm -f part.*
	done &&
	echo "slices at moderate: $moderate of 24" &&
	[ "$moderate" -le 1 ] &&
	awk -F"\t" "NR == 1 || \$1 ~ /guanaco-33b|llama-2-13b|oasst-sft-pythia/" "$SHARED/data/labels.tsv" >labels.tsv &&
	sed "s#\talpaca_eval/#\t$A/#; s#^alpaca_eval/#$A/#" labels.tsv >labels-abs.tsv &&
	awk -F"\t" "NR == 1 || \$1 ~ /guanaco-33b|llama-2-13b|oasst-sft-pythia/" "$SHARED/data/siblings.tsv" >siblings.tsv &&
	prov validate labels-abs.tsv --siblings siblings.tsv -o val.txt 2>/dev/null &&
	for g in "leave-siblings-out, whole files" "whole files"; do
		line=$(awk -v g="$g" "index(\$0, g) == 1 { on = 1 } on && /moderate or stronger/ { print; exit }" val.txt)
		echo "$g: $line"
		case "$line" in *" 0/3 = 0.00"*) ;; *) echo "FAIL: $g"; exit 1 ;; esac
	done
'

test_expect "a suspect that shares no prompt with the corpus is inconclusive for every teacher" '
	build_dev_corpus &&
	need_shared arena_hard_en &&
	prov scan -o arena.json "$SHARED/data/arena_hard_en/deepseek-coder-v2.jsonl.gz" 2>/dev/null &&
	check_eq "$(conclusion arena.json)" "null inconclusive" &&
	check_not_contains arena.json "\"verdict\": \"none\"" &&
	check_contains arena.json "\"matched\": 0"
'

test_expect "the fast preparation gives the same report bytes as the plain one, with 1 or 2 threads, and in chunks" '
	build_dev_corpus &&
	cp provenance.db base.db &&
	for mode in naive 1 2 chunks; do
		cp base.db "run-$mode.db"
		if [ "$mode" = naive ]; then
			PROVENANCE_NAIVE_PREP=1 SOURCE_DATE_EPOCH=1700000000 "$PROVENANCE_BIN" --db "run-$mode.db" scan -o "r-$mode.json" "$A/vicuna-13b.jsonl.gz" 2>/dev/null || exit 1
		elif [ "$mode" = chunks ]; then
			PROVENANCE_TIMING=1 SOURCE_DATE_EPOCH=1700000000 "$PROVENANCE_BIN" --memory 16M --db "run-$mode.db" scan -o "r-$mode.json" "$A/vicuna-13b.jsonl.gz" 2>chunks.err || exit 1
		else
			PROVENANCE_THREADS=$mode SOURCE_DATE_EPOCH=1700000000 "$PROVENANCE_BIN" --db "run-$mode.db" scan -o "r-$mode.json" "$A/vicuna-13b.jsonl.gz" 2>/dev/null || exit 1
		fi
	done &&
	check_contains chunks.err "chunks of prompts" &&
	check_same r-naive.json r-1.json &&
	check_same r-1.json r-2.json &&
	check_same r-1.json r-chunks.json
'
