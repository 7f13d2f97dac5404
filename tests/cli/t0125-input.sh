#!/bin/sh
# Input users actually have, and input that tries to hurt: JSON arrays, pipes and devices,
# bounded work, labels files as spreadsheets write them, output paths that name the database,
# failed imports that leave nothing behind.
. "$(dirname "$0")/lib.sh"

F=$FIXTURES/import
E=$ROOT/examples

# to_array FILE.jsonl: the same records as one pretty-printed JSON array (AlpacaEval's model_outputs.json)
to_array() {
	python3 -c 'import json, sys; json.dump([json.loads(l) for l in open(sys.argv[1]) if l.strip()], sys.stdout, indent=2)' "$1"
}

test_expect "a JSON array imports like its JSONL twin" '
	need_cmd python3
	to_array "$E/corpus/example-gpt.jsonl" >gpt.json &&
	expect_code 0 prov --db a.db corpus import --model gpt --role teacher "$E/corpus/example-gpt.jsonl" &&
	expect_code 0 prov --db b.db corpus import --model gpt --role teacher gpt.json &&
	check_contains out "gpt.json: 40 responses imported" &&
	for db in a b; do
		db_query $db.db "SELECT m.name, p.key, r.sha256, r.ext_id, hex(f.blob) FROM responses r JOIN models m ON
			m.id = r.model_id JOIN prompts p ON p.id = r.prompt_id JOIN features f ON f.response_id = r.id
			ORDER BY p.key" >$db.txt; done &&
	check_eq "$(wc -l <a.txt)" 40 &&
	check_same a.txt b.txt
'

test_expect "a JSON array suspect scans like its JSONL twin" '
	need_cmd python3
	prov corpus import -q --labels "$E/labels.tsv" 2>/dev/null &&
	to_array "$E/suspect-distilled.jsonl" >suspect.json &&
	cp "$E/suspect-distilled.jsonl" suspect.jsonl &&
	expect_code 0 prov scan --no-store --format json -o a.json suspect.jsonl &&
	expect_code 0 prov scan --no-store --format json -o b.json suspect.json &&
	python3 -c "import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in (a, b):
    for k in (\"path\", \"sha256\", \"size\", \"lines\"): d[\"suspect\"].pop(k, None)
    d.pop(\"timing\", None)
sys.exit(0 if a[\"teachers\"] == b[\"teachers\"] and a[\"suspect\"] == b[\"suspect\"] else 1)" a.json b.json &&
	expect_code 0 prov inspect suspect.json &&
	check_contains out "40"
'

test_expect "a JSON array with a bad element names the file and the element line" '
	printf "[\n  {\"prompt\": \"a\", \"response\": \"b\", \"model\": \"m\"},\n  {\"prompt\": \"c\",\n   \"model\": \"m\"}\n]\n" >bad.json &&
	expect_code 3 prov corpus import bad.json &&
	check_contains err "bad.json:3: missing \"response\"" &&
	printf "[{\"prompt\": \"a\", \"response\": \"b\", \"model\": \"m\"}\n" >open.json &&
	expect_code 3 prov corpus import open.json &&
	check_contains err "open.json:2: the JSON array is not closed"
'

test_expect "a pipe, a FIFO and standard input are read once; /dev/zero stops at the bound" '
	gzip -c "$F/plain.jsonl" >plain.jsonl.gz &&
	expect_code 0 sh -c "exec \"\$PROVENANCE_BIN\" corpus import --model piped /dev/stdin < plain.jsonl.gz" &&
	check_contains out "3 responses imported" &&
	mkfifo fifo && { cat "$F/alpaca.jsonl" >fifo & } &&
	expect_code 0 timeout 20 "$PROVENANCE_BIN" corpus import fifo &&
	check_contains out "fifo: 3 responses imported" &&
	expect_code 0 sh -c "\"\$PROVENANCE_BIN\" corpus import --model stdin - < \"$F/chat.jsonl\"" &&
	check_eq "$(db_query provenance.db "SELECT path FROM sources WHERE path = \"-\"")" "-" &&
	check_eq "$(db_query provenance.db "SELECT sha256 FROM sources WHERE path = \"-\"")" \
		"$(sha256sum <"$F/chat.jsonl" | cut -d" " -f1)" &&
	expect_code 3 timeout 20 "$PROVENANCE_BIN" corpus import --model zero /dev/zero &&
	check_contains err "/dev/zero:1: line longer than the limit" &&
	expect_code 3 timeout 20 "$PROVENANCE_BIN" corpus import --model random /dev/urandom
'

test_expect "<(zcat f.gz) imports (bash process substitution)" '
	need_cmd bash
	gzip -c "$F/plain.jsonl" >plain.jsonl.gz &&
	expect_code 0 bash -c "\"\$PROVENANCE_BIN\" corpus import --model sub <(zcat plain.jsonl.gz)" &&
	check_contains out "3 responses imported"
'

# bomb FILE N: a gzip of N identical records
bomb() {
	awk -v n="$2" "BEGIN { for (i = 0; i < n; i++) print \"{\\\"prompt\\\": \\\"What is the capital of France?\\\", \\\"response\\\": \\\"Paris is the capital of France.\\\", \\\"model\\\": \\\"x\\\"}\" }" | gzip -9 >"$1"
}

test_expect "a 200 KB gzip bomb of identical records: exit 3 under 200 MB and a second of CPU" '
	[ -x /usr/bin/time ] || skip_because "/usr/bin/time not installed"
	prov corpus import -q --labels "$E/labels.tsv" 2>/dev/null &&
	bomb bomb.jsonl.gz 560000 &&
	size=$(wc -c <bomb.jsonl.gz) && [ "$size" -le 220000 ] &&
	expect_code 3 /usr/bin/time -f "%U %S %M" -o usage "$PROVENANCE_BIN" scan bomb.jsonl.gz &&
	check_contains err "bomb.jsonl.gz:50001: more than 50000 records" &&
	check_contains err "PROVENANCE_MAX_RECORDS" &&
	tail -n 1 usage >usage1 && read -r user sys rss <usage1 &&
	# the bounds are for the real binary; a sanitizer build (make check-asan) is slower and bigger
	k=1 && [ -z "${PROVENANCE_SANITIZED:-}" ] || k=10
	echo "bomb: $user s user, $sys s system, $rss KB (bounds x$k)" &&
	awk -v u="$user" -v s="$sys" -v m="$rss" -v k="$k" "BEGIN { exit !(u + s < 1.0 * k && m < 200 * 1024 * k) }" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0 &&
	expect_code 3 prov corpus import --model bomb bomb.jsonl.gz &&
	check_contains err "more than 50000 records" &&
	PROVENANCE_MAX_INPUT=1M expect_code 3 prov scan bomb.jsonl.gz &&
	check_contains err "more than 1048576 bytes (decompressed)"
'

test_expect "a suspect that asks a prompt twice is scanned once, and the repeat is counted and reported" '
	prov corpus import -q --labels "$E/labels.tsv" 2>/dev/null &&
	{ cat "$E/suspect-distilled.jsonl"; head -5 "$E/suspect-distilled.jsonl"; } >twice.jsonl &&
	expect_code 0 prov scan --no-store --format json -o twice.json twice.jsonl &&
	expect_code 0 prov scan --no-store --format json -o once.json "$E/suspect-distilled.jsonl" &&
	grep -q "\"responses\": 40" twice.json && grep -q "\"responses\": 40" once.json &&
	check_contains twice.json "\"repeated_prompts\": 5" &&
	check_not_contains once.json "repeated_prompts" &&
	expect_code 0 prov scan --no-store --format md twice.jsonl &&
	check_contains out "(5 more records asked a prompt already answered: the first answer stands, the repeats are counted here and not scanned)"
'

test_expect "a failed import leaves no new database file behind; a missing file is shown resolved" '
	expect_code 4 prov --db new.db corpus import --model x no/such.jsonl &&
	check_contains err "looked for $(pwd)/no/such.jsonl" &&
	[ ! -e new.db ] && [ ! -e new.db-wal ] && [ ! -e new.db-shm ] &&
	printf "{\"prompt\": \"a\"}\n" >bad.jsonl &&
	expect_code 3 prov --db new.db corpus import --model x bad.jsonl &&
	[ ! -e new.db ] &&
	expect_code 0 prov --db old.db corpus import "$F/plain.jsonl" &&
	expect_code 3 prov --db old.db corpus import --model x bad.jsonl &&
	[ -e old.db ]
'

labels_head="file	model	source	role	family	maker"

test_expect "--labels: --select by source or glob; an unknown role is an error with its line" '
	mkdir -p d/a d/b &&
	cp "$F/plain.jsonl" d/a/one.jsonl && cp "$F/alpaca.jsonl" d/b/two.jsonl &&
	{ echo "$labels_head"
	  printf "a/one.jsonl\tone\tsetA\tteacher\topenai\topenai\n"
	  printf "b/two.jsonl\ttwo\tsetB\treference\tmeta\tmeta\n"; } >d/labels.tsv &&
	expect_code 0 prov corpus import --labels d/labels.tsv --select source=setA &&
	check_contains err "1 row not selected by --select" &&
	check_eq "$(db_query provenance.db "SELECT group_concat(name) FROM models")" "one" &&
	expect_code 0 prov --db g.db corpus import --labels d/labels.tsv --select "b/*" &&
	check_eq "$(db_query g.db "SELECT group_concat(name) FROM models")" "two" &&
	expect_code 3 prov --db h.db corpus import --labels d/labels.tsv --select source=none &&
	check_contains err "no row of role teacher or reference among the selected rows" &&
	expect_code 2 prov corpus import --select source=setA "$F/plain.jsonl" &&
	printf "b/two.jsonl\ttwo\tsetB\tteachr\tmeta\tmeta\n" >>d/labels.tsv &&
	expect_code 3 prov --db i.db corpus import --labels d/labels.tsv &&
	check_contains err "labels.tsv:4: unknown role '"'"'teachr'"'"'" &&
	[ ! -e i.db ]
'

test_expect "--labels accepts a byte-order mark and CRLF line ends" '
	mkdir -p d && cp "$F/plain.jsonl" d/one.jsonl &&
	{ printf "\357\273\277%s\r\n" "$labels_head"
	  printf "one.jsonl\tone\tsetA\tteacher\topenai\topenai\r\n"; } >d/labels.tsv &&
	expect_code 0 prov corpus import --labels d/labels.tsv &&
	check_eq "$(db_query provenance.db "SELECT name || \" \" || role || \" \" || family FROM models")" "one teacher openai"
'

test_expect "a model given a second prompt set, and a corpus of disjoint prompt sets, are warned about" '
	printf "{\"prompt\": \"Another benchmark, question one\", \"response\": \"x\"}\n" >other.jsonl &&
	expect_code 0 prov corpus import --model alpha --role teacher "$F/plain.jsonl" &&
	check_not_contains err "warning" &&
	expect_code 0 prov corpus import --model alpha other.jsonl &&
	check_contains err "warning: model alpha: other.jsonl adds 1 answers to prompts it had not answered; it already had 3" &&
	printf "{\"prompt\": \"A third set entirely\", \"response\": \"y\"}\n" >third.jsonl &&
	expect_code 0 prov corpus import --model omega third.jsonl &&
	check_contains err "warning: the corpus holds 2 prompt sets that share no prompt" &&
	check_contains err "1 prompts answered by omega"
'

test_expect "two processes importing the same file: one imports it, the other says unchanged" '
	awk "BEGIN { for (i = 1; i <= 3000; i++) printf \"{\\\"prompt\\\": \\\"Question %d about rivers\\\", \\\"response\\\": \\\"Answer %d.\\\", \\\"model\\\": \\\"m\\\"}\\n\", i, i }" >big.jsonl &&
	prov corpus import "$F/plain.jsonl" >/dev/null
	{ "$PROVENANCE_BIN" corpus import big.jsonl >o1 2>e1; echo $? >c1; } &
	{ "$PROVENANCE_BIN" corpus import big.jsonl >o2 2>e2; echo $? >c2; } &
	wait
	check_eq "$(cat c1) $(cat c2)" "0 0" &&
	cat o1 o2 >o && check_contains o "3000 responses imported" &&
	check_not_contains e1 "UNIQUE" && check_not_contains e2 "UNIQUE" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM sources")" 2
'

test_expect "no -o may name the evidence database or its -wal/-shm" '
	prov corpus import -q --labels "$E/labels.tsv" 2>/dev/null &&
	expect_code 0 prov scan -q --format json -o r.json "$E/suspect-distilled.jsonl" &&
	cp provenance.db keep.db &&
	expect_code 2 prov scan -o provenance.db "$E/suspect-distilled.jsonl" &&
	check_contains err "-o provenance.db is the evidence database" &&
	ln -s provenance.db link.db &&
	expect_code 2 prov scan -o link.db "$E/suspect-distilled.jsonl" &&
	expect_code 2 prov scan -o ./provenance.db-wal "$E/suspect-distilled.jsonl" &&
	expect_code 2 prov report 1 -o "$(pwd)/provenance.db" &&
	expect_code 2 prov timestamp 1 -o provenance.db &&
	expect_code 2 prov audit -o provenance.db "$E/suspect-distilled.jsonl" &&
	expect_code 2 prov validate -o provenance.db-shm "$E/labels.tsv" &&
	check_contains err "evidence database" &&
	check_same provenance.db keep.db &&
	expect_code 0 prov report 1 --format md -o elsewhere.md
'

test_expect "a disk-full import leaves nothing of the file and says disk full" '
	[ "$(id -u)" -eq 0 ] || skip_because "mounting a small tmpfs needs root"
	mkdir small &&
	mount -t tmpfs -o size=400k tmpfs small 2>/dev/null || skip_because "cannot mount a tmpfs here"
	trap "umount \"$(pwd)/small\" 2>/dev/null" EXIT
	expect_code 0 prov --db small/e.db corpus import "$F/plain.jsonl" &&
	before=$(db_query small/e.db "SELECT count(*) FROM prompts") &&
	awk "BEGIN { srand(7); for (i = 1; i <= 4000; i++) { s = \"\"; for (k = 0; k < 40; k++) s = s sprintf(\"%x\", int(rand() * 1e9)); printf \"{\\\"prompt\\\": \\\"Q%d %s\\\", \\\"response\\\": \\\"%s\\\", \\\"model\\\": \\\"big\\\"}\\n\", i, s, s } }" >big.jsonl &&
	expect_code 5 prov --db small/e.db corpus import -j 2 big.jsonl &&
	check_contains err "disk full" &&
	check_contains err "not imported; the database is unchanged" &&
	check_not_contains err "FOREIGN KEY" &&
	check_eq "$(db_query small/e.db "SELECT count(*) FROM prompts")" "$before" &&
	check_eq "$(db_query small/e.db "SELECT count(*) FROM models WHERE name = \"big\"")" 0
'

test_expect "inspect escapes terminal control sequences in an id" '
	printf "{\"id\": \"\\\\u001b[31mRED\\\\u001b]0;title\\\\u0007\", \"prompt\": \"p\", \"response\": \"r\"}\n" >esc.jsonl &&
	expect_code 0 prov inspect esc.jsonl &&
	check_contains out "\\x1b[31mRED" &&
	! grep -q "$(printf "\033")" out
'

test_expect "a read-only folder is named as the problem, not a corrupt database" '
	[ "$(id -u)" -eq 0 ] || skip_because "mounting a tmpfs needs root"
	mkdir ro &&
	mount -t tmpfs -o size=2m tmpfs ro 2>/dev/null || skip_because "cannot mount a tmpfs here"
	trap "umount \"$(pwd)/ro\" 2>/dev/null" EXIT
	expect_code 0 prov --db ro/e.db corpus import "$F/plain.jsonl" &&
	mount -o remount,ro ro &&
	expect_code 5 prov --db ro/e.db corpus import "$F/alpaca.jsonl" &&
	check_contains err "the folder ro is read-only or not writable" &&
	check_not_contains err "corrupt" &&
	expect_code 5 prov --db ro/new.db corpus import "$F/alpaca.jsonl" &&
	check_contains err "read-only or not writable" &&
	expect_code 0 prov --db ro/e.db corpus list
'

test_expect "scan --no-store writes nothing to the database; a scan that fails on its input neither" '
	prov corpus import -q --labels "$E/labels.tsv" 2>/dev/null &&
	db_dump provenance.db >before &&
	expect_code 0 prov scan --no-store --format json -o r.json "$E/suspect-distilled.jsonl" &&
	db_dump provenance.db >after &&
	check_same before after &&
	printf "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \n" >bad.jsonl &&
	expect_code 3 prov scan bad.jsonl &&
	check_contains err "bad.jsonl:2: invalid JSON" &&
	db_dump provenance.db >after2 &&
	check_same before after2 &&
	expect_code 0 prov scan -q --format json -o r2.json "$E/suspect-distilled.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 1
'

test_expect "a damaged feature blob is named by model and prompt" '
	prov corpus import -q --labels "$E/labels.tsv" 2>/dev/null &&
	db_query provenance.db "UPDATE features SET blob = X'"'"'00112233'"'"' WHERE response_id = (SELECT r.id FROM responses r
		JOIN models m ON m.id = r.model_id WHERE m.name = '"'"'example-gpt'"'"' AND r.ext_id = '"'"'ex05'"'"')" &&
	expect_code 3 prov scan --no-store -o r.json "$E/suspect-distilled.jsonl" &&
	check_contains err "the stored features of example-gpt'"'"'s answer to prompt ex05" &&
	check_contains err "are damaged"
'

test_expect "real data: gpt-4-turbo's Arena-Hard answers added to its AlpacaEval ones are warned about" '
	need_shared alpaca_eval
	expect_code 0 prov corpus import -q --labels "$SHARED/data/labels.tsv" --select "*/gpt-4-turbo-2024-04-09.jsonl.gz" \
		--select "alpaca_eval/gpt4_0314.jsonl.gz" &&
	check_contains err "warning: model gpt-4-turbo-2024-04-09:" &&
	check_contains err "adds 500 answers to prompts it had not answered; it already had 805"
'
