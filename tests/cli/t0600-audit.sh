#!/bin/sh
# audit: many suspects, one case each, in file order, whatever the number of threads; the summary.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

corpus() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

# sus/: copies of the example suspects and small generated ones, in a tree; names chosen so that
# byte order differs from a locale's order (upper case first, '-' before '.', a comma and a quote).
suspects() {
	mkdir -p sus/deep/er sus/Z &&
	cp "$EX/suspect-distilled.jsonl" sus/distilled.jsonl &&
	cp "$EX/suspect-independent.jsonl" sus/Z/independent.jsonl &&
	gzip -c "$EX/suspect-distilled.jsonl" >sus/deep/distilled-gz.jsonl.gz &&
	head -n 12 "$EX/suspect-distilled.jsonl" | sed "s/example-student/student-12/" >sus/deep/er/head12.jsonl &&
	tail -n 9 "$EX/suspect-independent.jsonl" | sed "s/example-indie/indie-9/" >"sus/odd,name \"q\".jsonl" &&
	sed -n "1~2p" "$EX/suspect-distilled.jsonl" | sed "s/\"model\": \"[^\"]*\"/\"model\": \"odd-lines\"/" >sus/deep/odd-lines.jsonl &&
	echo "not a suspect" >sus/notes.txt &&
	cp "$EX/suspect-distilled.jsonl" sus/deep/ignored.json
}

# jget FILE PATH: a value from a JSON file (the sqlite3 shell's JSON functions).
jget() {
	db_query :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

# The suspect files audit must find, in byte order.
expected_list() {
	printf '%s\n' sus/Z/independent.jsonl sus/deep/distilled-gz.jsonl.gz sus/deep/er/head12.jsonl \
		sus/deep/odd-lines.jsonl sus/distilled.jsonl "sus/odd,name \"q\".jsonl"
}

test_expect "audit of a directory: every suspect file, in byte order, one case each" '
	corpus && suspects &&
	expect_code 0 prov audit -j 2 sus &&
	expected_list >want &&
	db_query provenance.db "SELECT suspect_path FROM cases ORDER BY id" >got &&
	check_same got want &&
	check_eq "$(db_query provenance.db "SELECT count(DISTINCT suspect_sha256) FROM cases")" 6 &&
	check_eq "$(db_query provenance.db "SELECT name FROM cases ORDER BY id" | tr "\n" " ")" \
		"example-indie example-student student-12 odd-lines example-student indie-9 " &&
	check_contains err "6 files, 6 cases stored in provenance.db, 0 failed" &&
	expect_code 0 prov verify --all &&
	check_eq "$(grep -c ": intact" out)" 6
'

test_expect "the Markdown summary (default): one row per file, conclusion, top teacher, numbers" '
	corpus && suspects &&
	expect_code 0 prov audit sus &&
	check_contains out "# Audit summary" &&
	check_contains out "6 suspect files, 6 cases stored, 0 failed. Corpus: provenance.db; evidence: provenance.db." &&
	check_contains out "| rank | suspect | name | case | teacher | family | verdict | top teacher | score | p-value | matched | error |" &&
	grep -E "^\| [0-9] \| sus/distilled.jsonl \| example-student \| 5 \| example-gpt \| openai \| (strong|moderate) \| example-gpt \| [0-9.]+ \| [0-9.e<-]+ \| 40/40 \| \|$" out &&
	grep -E "^\| [0-9] \| sus/Z/independent.jsonl \| example-indie \| 1 \| — \| — \| none \| " out &&
	check_contains out "| sus/deep/er/head12.jsonl | student-12 | 3 |" &&
	check_contains out "| 12/12 |" &&
	check_eq "$(grep -c "^| [0-9] | sus/" out)" 6
'

test_expect "the CSV summary quotes by RFC 4180 and ends lines with CRLF" '
	corpus && suspects &&
	expect_code 0 prov audit --format csv -o summary.csv sus &&
	test ! -s out &&
	check_eq "$(head -n 1 summary.csv)" "$(printf "suspect,name,case,teacher,family,verdict,top_teacher,score,p_value,matched,responses,status,exit_code,error\r")" &&
	check_eq "$(grep -c "$(printf "\r")\$" summary.csv)" 7 &&
	check_contains summary.csv "\"sus/odd,name \"\"q\"\".jsonl\",indie-9,6," &&
	grep -E "^sus/distilled.jsonl,example-student,5,example-gpt,openai,[a-z]+,example-gpt,[0-9.]+,[0-9.e-]+,40,40,ok,," summary.csv
'

test_expect "the JSON summary" '
	corpus && suspects &&
	expect_code 0 prov audit --format json -o s.json sus &&
	check_eq "$(jget s.json "\$.schema")" provenance.audit/1 &&
	check_eq "$(jget s.json "\$.files")" 6 &&
	check_eq "$(jget s.json "\$.stored")" 6 &&
	check_eq "$(jget s.json "\$.suspects[4].suspect")" sus/distilled.jsonl &&
	check_eq "$(jget s.json "\$.suspects[4].case")" 5 &&
	check_eq "$(jget s.json "\$.suspects[4].top_teacher")" example-gpt &&
	check_eq "$(jget s.json "\$.suspects[4].matched")" 40 &&
	check_eq "$(jget s.json "\$.suspects[5].suspect")" "sus/odd,name \"q\".jsonl" &&
	check_eq "$(jget s.json "\$.suspects[6]")" "" &&
	check_contains s.json "\"shard\": null" &&
	check_contains s.json "\"exit_code\": 0"
'

test_expect "an audit case holds the same report as a scan of the same file" '
	corpus && suspects &&
	prov scan -o scan.json sus/distilled.jsonl 2>/dev/null &&
	expect_code 0 prov audit sus/distilled.jsonl sus/Z &&
	check_eq "$(db_query provenance.db "SELECT count(DISTINCT report_sha256) FROM cases WHERE suspect_path = '"'"'sus/distilled.jsonl'"'"'")" 1 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 3
'

test_expect "a bad file in the middle is reported, the others are stored; exit code of the first failure" '
	corpus && suspects &&
	printf "{\"prompt\": \"p\", \"response\": 7}\n" >sus/deep/er/bad.jsonl &&
	ln -s /nonexistent/gone.jsonl sus/deep/gone.jsonl &&
	expect_code 3 prov audit sus &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 6 &&
	check_contains out "| sus/deep/er/bad.jsonl | — |" &&
	check_contains out "sus/deep/er/bad.jsonl:1: \"response\" must be a string |" &&
	check_contains out "| sus/deep/gone.jsonl | — |" &&
	check_contains out "8 suspect files, 6 cases stored, 2 failed" &&
	check_contains err "provenance audit: sus/deep/er/bad.jsonl:1: \"response\" must be a string" &&
	check_contains err "sus/deep/gone.jsonl: cannot open" &&
	expect_code 0 prov verify --all &&
	expect_code 4 prov audit --format json --evidence e2.db sus/deep/er/bad.jsonl nowhere.jsonl sus/distilled.jsonl &&
	check_contains out "\"exit_code\": 4" &&
	check_contains out "\"failed\": 2" &&
	check_eq "$(db_query e2.db "SELECT suspect_path FROM cases")" sus/distilled.jsonl
'

test_expect "a case that cannot be stored stops the audit; the rest is listed as not stored" '
	corpus && suspects &&
	for i in 1 2 3 4 5 6; do cp sus/distilled.jsonl "sus/deep/er/more$i.jsonl"; done &&
	prov audit --evidence ev.db sus/distilled.jsonl >/dev/null 2>&1 &&
	sqlite3 ev.db "CREATE TRIGGER boom BEFORE INSERT ON cases WHEN NEW.suspect_path LIKE '"'"'%head12%'"'"' BEGIN SELECT RAISE(ABORT, '"'"'no room'"'"'); END" &&
	expect_code 5 prov audit -j 2 --evidence ev.db --format csv sus &&
	check_contains err "sus/deep/er/head12.jsonl: " &&
	check_contains err "no room" &&
	check_eq "$(db_query ev.db "SELECT count(*) FROM cases")" 3 &&
	check_eq "$(grep -c ",failed,5,.*not stored: the audit stopped at an earlier error" out)" 9 &&
	check_eq "$(grep -c ",ok,," out)" 2 &&
	expect_code 0 prov --db ev.db verify --all
'

test_expect "-j 1 and -j 2 give identical evidence and summaries" '
	corpus && suspects &&
	for i in 1 2 3 4; do cp sus/distilled.jsonl "sus/copy$i.jsonl"; done &&
	mkdir r1 r2 &&
	(cd r1 && SOURCE_DATE_EPOCH=1700000000 prov --db ../provenance.db audit -j 1 --evidence ev.db -o sum.md ../sus 2>/dev/null) &&
	(cd r2 && SOURCE_DATE_EPOCH=1700000000 prov --db ../provenance.db audit -j 2 --evidence ev.db -o sum.md ../sus 2>/dev/null) &&
	(cd r1 && prov --db ../provenance.db audit -j 1 --evidence ev.db --format json -o sum.json ../sus 2>/dev/null) &&
	(cd r2 && prov --db ../provenance.db audit -j 3 --evidence ev.db --format json -o sum.json ../sus 2>/dev/null) &&
	check_same r1/sum.md r2/sum.md &&
	check_same r1/sum.json r2/sum.json &&
	check_eq "$(db_query r1/ev.db "SELECT count(*) FROM cases")" 20 &&
	db_query r1/ev.db "SELECT id, suspect_path, report_sha256, answers_sha256 FROM cases ORDER BY id" >c1 &&
	db_query r2/ev.db "SELECT id, suspect_path, report_sha256, answers_sha256 FROM cases ORDER BY id" >c2 &&
	check_same c1 c2 &&
	db_query r1/ev.db "SELECT id, hash FROM cases WHERE id <= 10 ORDER BY id" >h1 &&
	db_query r2/ev.db "SELECT id, hash FROM cases WHERE id <= 10 ORDER BY id" >h2 &&
	check_same h1 h2 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0
'

test_expect "--shard K/N: round-robin slices of the sorted list cover every file exactly once" '
	corpus && suspects &&
	expected_list >all &&
	for k in 0 1 2 3; do
		expect_code 0 prov audit --shard $k/4 --evidence "s$k.db" sus &&
		check_contains out "Shard $k/4: " &&
		db_query "s$k.db" "SELECT suspect_path FROM cases ORDER BY id" >"got$k" &&
		awk -v k=$k "(NR - 1) % 4 == k" all >"want$k" &&
		check_same "got$k" "want$k" || exit 1
	done &&
	cat got0 got1 got2 got3 | sort >union && sort all >all.sorted && check_same union all.sorted &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0 &&
	expect_code 0 prov audit --shard 7/8 --evidence s7.db sus &&
	check_contains err "shard 7/8 holds none of the 6 files" &&
	check_contains out "Shard 7/8: 0 suspect files" &&
	expect_code 0 prov audit --shard 6/8 --evidence s6.db --format csv sus &&
	check_eq "$(wc -l <out)" 1
'

test_expect "a shard evidence database holds cases only; verify notes the corpus is elsewhere" '
	corpus && suspects &&
	expect_code 0 prov audit --shard 0/2 --evidence s0.db sus &&
	check_eq "$(db_query s0.db "SELECT count(*) FROM responses")" 0 &&
	expect_code 0 prov --db s0.db verify 1 &&
	check_contains out "case 1: intact" &&
	check_contains out "ok   note: the corpus is not in this database; its snapshot was not checked" &&
	expect_code 0 prov --db s0.db verify --all &&
	check_eq "$(grep -c ": intact" out)" 3
'

test_expect "the corpus may be a read-only (immutable) SQLite URI when the evidence goes elsewhere" '
	corpus && suspects &&
	prov scan sus/distilled.jsonl >/dev/null 2>&1 &&
	expect_code 0 prov --db "file:$PWD/provenance.db?immutable=1" audit -j 2 --evidence ev.db sus &&
	check_eq "$(db_query ev.db "SELECT count(*) FROM cases")" 6 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 1 &&
	expect_code 6 prov --db missing.db audit --evidence ev2.db sus &&
	check_contains err "missing.db: no such database"
'

test_expect "the progress line: files, answers per second, ETA" '
	corpus && suspects &&
	(export PROVENANCE_PROGRESS=1; expect_code 0 prov audit -j 1 --evidence ev.db sus) &&
	check_contains err "audit: " &&
	check_contains err "/6 files, " &&
	check_contains err " answers/s, ETA " &&
	expect_code 0 prov audit -j 1 --evidence ev2.db sus &&
	check_not_contains err "answers/s"
'

test_expect "nothing to audit" '
	corpus && mkdir empty && echo x >empty/a.txt &&
	expect_code 3 prov audit empty &&
	check_contains err "no suspect files (*.jsonl, *.jsonl.gz) under the paths given" &&
	expect_code 4 prov audit --evidence ev.db missing.jsonl &&
	check_contains out "| missing.jsonl | — |" &&
	check_contains err "missing.jsonl: cannot open"
'

test_expect "usage errors" '
	corpus && suspects &&
	expect_code 2 prov audit &&
	check_contains err "no suspect file or directory given" &&
	for bad in 2/2 3/2 1/0 0/0 -1/2 +1/2 " 1/2" "1 /2" 1/ /2 / 1 a/b 1/2x 1.0/2 "1/2/3" 99999999999999999999/2; do
		expect_code 2 prov audit --shard "$bad" sus &&
		check_contains err "--shard needs K/N with 0 <= K < N" || exit 1
	done &&
	expect_code 2 prov audit -j 0 sus &&
	expect_code 2 prov audit -j x sus &&
	expect_code 2 prov audit -j 100000 sus &&
	expect_code 2 prov audit --format html sus &&
	expect_code 2 prov audit --shard &&
	expect_code 2 prov audit --evidence "" sus &&
	expect_code 2 prov audit --bogus sus &&
	expect_code 0 prov audit --help &&
	check_contains out "--shard K/N" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0
'

test_expect "--resume: files whose case is stored are not analysed again; the same rows, no new case" '
	corpus && suspects &&
	expect_code 0 prov audit -j 2 --evidence ev.db --format json -o s1.json sus &&
	expect_code 0 prov audit -j 2 --evidence ev.db --resume --format json -o s2.json sus &&
	check_eq "$(db_query ev.db "SELECT count(*) FROM cases")" 6 &&
	check_eq "$(jget s2.json "\$.already_stored")" 6 &&
	grep -v "\"already_stored\"" s1.json >r1 && grep -v "\"already_stored\"" s2.json >r2 && check_same r1 r2 &&
	expect_code 0 prov audit --evidence ev.db --resume -o s2.md sus &&
	check_contains s2.md "6 suspect files, 6 cases stored (6 of them before this run), 0 failed." &&
	# a changed file, a new one: analysed and stored; the rest resumed
	head -n 20 sus/distilled.jsonl >sus/deep/er/head12.jsonl &&
	cp sus/distilled.jsonl sus/new.jsonl &&
	expect_code 0 prov audit --evidence ev.db --resume --format json -o s3.json sus &&
	check_eq "$(jget s3.json "\$.already_stored")" 5 &&
	check_eq "$(db_query ev.db "SELECT suspect_path FROM cases WHERE id > 6 ORDER BY id" | tr "\n" " ")" \
		"sus/deep/er/head12.jsonl sus/new.jsonl " &&
	expect_code 0 prov --db ev.db verify --all &&
	# without --resume every file is a new case, as before
	expect_code 0 prov audit --evidence ev.db sus &&
	check_eq "$(db_query ev.db "SELECT count(*) FROM cases")" 15
'
