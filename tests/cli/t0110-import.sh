#!/bin/sh
# corpus import / list / remove / prompts on hand-made fixtures.
. "$(dirname "$0")/lib.sh"

F=$FIXTURES/import

test_expect "each input shape imports; list shows counts" '
	expect_code 0 prov corpus import --family openai "$F/plain.jsonl" &&
	check_contains out "3 responses imported (3 new prompts, 1 new models)" &&
	expect_code 0 prov corpus import --role reference --family none "$F/alpaca.jsonl" &&
	check_contains out "3 responses imported (1 new prompts, 1 new models)" &&
	expect_code 0 prov corpus import "$F/chat.jsonl" &&
	check_contains out "2 responses imported (0 new prompts, 1 new models)" &&
	expect_code 0 prov corpus list &&
	grep -E "^alpha +openai +teacher +3 +3" out &&
	grep -E "^beta +none +reference +3 +3" out &&
	grep -E "^gamma +- +teacher +2 +2" out
'

test_expect "list names every source file with its SHA-256" '
	cp "$F/plain.jsonl" p.jsonl &&
	gzip -k p.jsonl &&
	expect_code 0 prov corpus import --model alpha-gz p.jsonl.gz &&
	expect_code 0 prov corpus list &&
	check_contains out "p.jsonl.gz  sha256:$(sha256sum p.jsonl.gz | cut -d" " -f1)" &&
	expect_code 0 prov corpus list --json &&
	check_contains out "\"sha256\": \"$(sha256sum p.jsonl.gz | cut -d" " -f1)\"" &&
	check_contains out "\"tool_version\"" &&
	check_eq "$(db_query provenance.db "SELECT lines || \" \" || size FROM sources")" "3 $(wc -c <p.jsonl.gz)"
'

test_expect "gzip is recognised by its magic bytes, not its name" '
	gzip -c "$F/plain.jsonl" >disguised.jsonl &&
	cp "$F/plain.jsonl" plain.gz &&
	expect_code 0 prov corpus import --model m1 disguised.jsonl &&
	check_contains out "3 responses imported" &&
	expect_code 0 prov corpus import --model m2 plain.gz &&
	check_contains out "3 responses imported"
'

test_expect "re-importing the same file changes nothing" '
	expect_code 0 prov corpus import "$F/plain.jsonl" "$F/two-models.jsonl" &&
	db_dump provenance.db >before &&
	expect_code 0 prov corpus import "$F/plain.jsonl" "$F/two-models.jsonl" &&
	check_contains out "unchanged (already imported" &&
	db_dump provenance.db >after &&
	check_same before after
'

test_expect "the same answers under another file name add no responses" '
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	cp "$F/plain.jsonl" copy.jsonl && echo >>copy.jsonl &&
	expect_code 0 prov corpus import copy.jsonl &&
	check_contains out "0 responses imported, 3 already present" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM responses")" 3
'

test_expect "a file naming several models imports each under its own name" '
	expect_code 0 prov corpus import "$F/two-models.jsonl" &&
	expect_code 0 prov corpus list &&
	grep -E "^delta .* 2 +2" out && grep -E "^epsilon .* 1 +1" out &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM prompts")" 2
'

test_expect "--model overrides the file, and is needed when lines name no model" '
	expect_code 3 prov corpus import "$F/nomodel.jsonl" &&
	check_contains err "nomodel.jsonl:1: no model name (give --model NAME" &&
	expect_code 0 prov corpus import --model zeta "$F/nomodel.jsonl" &&
	expect_code 3 prov corpus import --model eta "$F/two-models.jsonl" &&
	check_contains err "two-models.jsonl:2: model \"eta\" already has a different response" &&
	expect_code 3 prov corpus import --model zeta "$F/plain.jsonl" &&
	check_contains err "already has a different response"
'

test_expect "prompts are stored once and shared across models" '
	expect_code 0 prov corpus import "$F/plain.jsonl" "$F/alpaca.jsonl" "$F/chat.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM prompts")" 4 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM responses")" 8
'

test_expect "stored text is compressed and carries its SHA-256" '
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT sha256 FROM responses WHERE ext_id = \"q1\"")" \
		"$(printf "%s" "The capital of France is Paris." | sha256sum | cut -d" " -f1)" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM responses WHERE text LIKE \"%Paris%\"")" 0
'

test_expect "corpus prompts writes the prompts as JSONL, by model when asked" '
	expect_code 0 prov corpus import "$F/plain.jsonl" "$F/chat.jsonl" &&
	expect_code 0 prov corpus prompts &&
	check_eq "$(wc -l <out)" 3 &&
	check_contains out "{\"id\":\"q1\",\"prompt\":\"What is the capital of France?\"}" &&
	expect_code 0 prov corpus prompts --model gamma &&
	check_eq "$(wc -l <out)" 2 &&
	expect_code 6 prov corpus prompts --model nobody &&
	check_contains err "no model named \"nobody\""
'

test_expect "corpus remove removes one model and nothing else" '
	expect_code 0 prov corpus import "$F/plain.jsonl" "$F/alpaca.jsonl" &&
	db_query provenance.db "SELECT name FROM models ORDER BY name" >models-before &&
	expect_code 0 prov corpus remove --model beta &&
	check_contains out "removed model beta (3 responses)" &&
	expect_code 0 prov corpus list &&
	grep -E "^alpha .* 3 +3" out && check_not_contains out "beta" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM prompts")" 3 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM sources")" 1 &&
	expect_code 6 prov corpus remove --model beta &&
	check_contains err "no model named \"beta\""
'

test_expect "an empty corpus lists as empty with a hint" '
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	expect_code 0 prov corpus remove --model alpha &&
	expect_code 0 prov corpus list &&
	check_contains out "The corpus is empty" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM sources")" 0
'

# many_lines N FILE: N lines of one model, long enough to fill several of the importer's batches
many_lines() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"id\": \"q%d\", \"prompt\": \"Question %d: how do rivers %d form?\", \"response\": \"Rivers form where water %d gathers; answer %d of %d.\", \"model\": \"many\"}\n", i, i, i % 7, i * 3, i, n }' >"$2"
}
stored() {
	db_query "$1" "SELECT m.name, p.key, p.sha256, hex(p.text), r.line, r.ext_id, r.sha256, r.size, hex(r.text),
		f.version, hex(f.blob) FROM responses r JOIN models m ON m.id = r.model_id
		JOIN prompts p ON p.id = r.prompt_id JOIN features f ON f.response_id = r.id ORDER BY p.key, m.name"
}

test_expect "the number of import threads changes nothing that is stored" '
	many_lines 1500 many.jsonl &&
	expect_code 0 prov --db one.db corpus import -j 1 many.jsonl &&
	expect_code 0 prov --db three.db corpus import -j 3 many.jsonl &&
	check_eq "$(db_query three.db "SELECT count(*) FROM responses")" 1500 &&
	stored one.db >one.txt && stored three.db >three.txt &&
	check_eq "$(wc -l <one.txt)" 1500 &&
	check_same one.txt three.txt
'

test_expect "a bad line deep in a long file: its number, and nothing stored, with any thread count" '
	many_lines 1500 many.jsonl &&
	awk "NR == 1400 { print \"{\\\"prompt\\\": \\\"p\\\", \\\"response\\\": 7}\"; next } { print }" many.jsonl >late.jsonl &&
	expect_code 0 prov corpus import "$F/plain.jsonl" &&
	db_dump provenance.db >before &&
	for j in 1 3; do
		expect_code 3 prov corpus import -j $j late.jsonl &&
		check_contains err "late.jsonl:1400:" &&
		db_dump provenance.db >after &&
		check_same before after || exit 1
	done
'
