#!/bin/sh
# Import the real AlpacaEval files from ../shared/data (skipped when absent).
. "$(dirname "$0")/lib.sh"

test_expect "all of alpaca_eval imports: 805 prompts, every model's count right" '
	need_shared alpaca_eval
	expect_code 0 prov corpus import "$SHARED"/data/alpaca_eval/*.jsonl.gz &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM prompts")" 805 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM models")" "$(ls "$SHARED"/data/alpaca_eval/*.jsonl.gz | wc -l)" &&
	for f in "$SHARED"/data/alpaca_eval/*.jsonl.gz; do
		m=$(basename "$f" .jsonl.gz)
		n=$(zcat "$f" | wc -l)
		got=$(db_query provenance.db "SELECT count(*) FROM responses r JOIN models m ON m.id = r.model_id WHERE m.name = \"$m\"")
		check_eq "$got" "$n" "responses of $m" || exit 1
	done &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM models m WHERE (SELECT count(DISTINCT prompt_id) FROM responses r WHERE r.model_id = m.id) = 805")" \
		"$(for f in "$SHARED"/data/alpaca_eval/*.jsonl.gz; do zcat "$f" | wc -l; done | grep -c "^805$")" &&
	expect_code 0 prov corpus prompts &&
	check_eq "$(wc -l <out)" 805 &&
	head -1 out | grep -q "\"id\":\"ae000\""
'
