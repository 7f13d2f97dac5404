#!/bin/sh
# The dev-set check of issue 3 on the real AlpacaEval outputs (skipped when ../shared/data is absent):
# corpus = the 8 teachers and 4 references of labels.tsv; every distilled suspect gets its family
# with strong or moderate and its documented teacher ranks first; the human-data suspects are never
# strong or moderate, whole or in slices of 100 prompts.
. "$(dirname "$0")/lib.sh"

build_dev_corpus() {
	need_shared alpaca_eval
	[ -z "${PROVENANCE_WRAP:-}" ] || skip_because "too slow under $PROVENANCE_WRAP"
	A=$SHARED/data/alpaca_eval
	prov corpus import --role teacher --family openai $A/gpt4_0314.jsonl.gz $A/gpt-3.5-turbo-0301.jsonl.gz \
		$A/text_davinci_003.jsonl.gz $A/gpt-4-turbo-2024-04-09.jsonl.gz >/dev/null &&
	prov corpus import --role teacher --family anthropic $A/claude.jsonl.gz $A/claude-2.jsonl.gz \
		$A/claude-3-opus-20240229.jsonl.gz >/dev/null &&
	prov corpus import --role teacher --family google $A/gemini-pro.jsonl.gz >/dev/null &&
	prov corpus import --role reference --family none $A/guanaco-65b.jsonl.gz $A/llama-2-70b-chat-hf.jsonl.gz \
		$A/oasst-sft-llama-33b.jsonl.gz $A/humpback-llama2-70b.jsonl.gz >/dev/null
}

# conclusion FILE: "family verdict" of a report
conclusion() {
	sed -n '/"conclusion": {/,/}/p' "$1" | tr -d ' ",' | awk -F: '/^family/{f=$2} /^verdict/{v=$2} END{print f, v}'
}

first_teacher() {
	grep -m1 '"model":' "$1" >/dev/null
	sed -n '/"teachers": \[/,$p' "$1" | grep -m1 '"model":' | sed 's/.*": "//; s/",*$//'
}

test_expect "distilled suspects: documented family, strong or moderate, documented teacher first" '
	build_dev_corpus &&
	for pair in alpaca-7b:openai:text_davinci_003 vicuna-13b:openai:gpt-3.5-turbo-0301 \
		wizardlm-13b:openai:gpt-3.5-turbo-0301 openchat-13b:openai:gpt4_0314 \
		claude2-alpaca-13b:anthropic:claude-2 \
		aligner-2b_gpt-4-turbo-2024-04-09:openai:gpt-4-turbo-2024-04-09 gpt4_0613:openai:gpt4_0314; do
		m=${pair%%:*}; rest=${pair#*:}; fam=${rest%%:*}; teacher=${rest#*:}
		prov scan -o "$m.json" "$A/$m.jsonl.gz" || exit 1
		c=$(conclusion "$m.json")
		echo "$m: $c, first: $(first_teacher "$m.json")"
		case "$c" in "$fam strong"|"$fam moderate") ;; *) echo "FAIL $m: $c"; exit 1 ;; esac
		check_eq "$(first_teacher "$m.json")" "$teacher" "top teacher of $m" || exit 1
	done
'

test_expect "human-data suspects: never strong or moderate, whole or in slices of 100" '
	build_dev_corpus &&
	for m in guanaco-33b llama-2-13b-chat-hf oasst-sft-pythia-12b; do
		zcat "$A/$m.jsonl.gz" >all.jsonl
		prov scan -o "$m.json" all.jsonl || exit 1
		check_not_contains "$m.json" "\"verdict\": \"strong\"" || exit 1
		check_not_contains "$m.json" "\"verdict\": \"moderate\"" || exit 1
		split -l 100 all.jsonl part.
		for p in part.*; do
			[ "$(wc -l <"$p")" -ge 50 ] || continue
			prov scan -o slice.json "$p" || exit 1
			check_not_contains slice.json "\"verdict\": \"strong\"" || exit 1
			check_not_contains slice.json "\"verdict\": \"moderate\"" || exit 1
		done
		rm -f part.*
	done
'
