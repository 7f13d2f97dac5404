#!/bin/sh
# The evidence against an adversary who holds the database file (sqlite3 on a copy, the
# append-only triggers dropped first): every column edit named, chain rewrites and
# truncations caught by anchors outside the file, a corpus that binds who answered what.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
ZERO=0000000000000000000000000000000000000000000000000000000000000000

corpus() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	prov corpus import --role reference --family none "$EX/corpus/example-human-a.jsonl" "$EX/corpus/example-human-b.jsonl" >/dev/null
}

# three cases, with any extra scan options ($1)
three_cases() {
	corpus &&
	prov scan $1 -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan $1 --name indie -o c2.json "$EX/suspect-independent.jsonl" 2>/dev/null &&
	prov scan $1 --name again -o c3.json "$EX/suspect-distilled.jsonl" 2>/dev/null
}

# restore SRC DST: a fresh copy of a database (no stale -wal or -shm of the file it replaces)
restore() {
	rm -f "$2-wal" "$2-shm" && cp "$1" "$2"
}

drop_triggers() {
	sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'trigger'" | while read -r t; do
		sqlite3 "$1" "DROP TRIGGER $t"
	done
}

test_expect "every column of every case table, edited alone, is detected and named by verify" '
	three_cases &&
	drop_triggers provenance.db &&
	expect_code 0 prov verify --all &&
	cp provenance.db pristine.db &&
	fails=0 &&
	while IFS=";" read -r table column value where; do
		[ -n "$table" ] || continue
		restore pristine.db t.db
		sqlite3 t.db "UPDATE $table SET $column = $value WHERE $where"
		set +e; prov --db t.db verify --all >out 2>err; rc=$?; set -e
		if [ "$rc" -ne 1 ] || ! grep -q "FAIL.*$table\.$column" out; then
			echo "not detected or not named: $table.$column (exit $rc)"; cat out err; fails=$((fails + 1))
		fi
	done <<EOF
cases;id;99;id = 1
cases;name;'\''renamed'\'';id = 1
cases;created_at;'\''2020-01-01T00:00:00Z'\'';id = 1
cases;suspect_path;'\''other.jsonl'\'';id = 1
cases;suspect_sha256;'\''$ZERO'\'';id = 1
cases;suspect_size;suspect_size + 1;id = 1
cases;suspect_lines;suspect_lines + 1;id = 1
cases;snapshot_sha256;'\''$ZERO'\'';id = 1
cases;tool_version;'\''9.9.9'\'';id = 1
cases;patterns_sha256;'\''$ZERO'\'';id = 1
cases;params;'\''{}'\'';id = 1
cases;conclusion_teacher;'\''example-claude'\'';id = 1
cases;conclusion_family;'\''anthropic'\'';id = 1
cases;verdict;'\''none'\'';id = 1
cases;report;(SELECT report FROM cases WHERE id = 2);id = 1
cases;report_size;report_size + 1;id = 1
cases;report_sha256;'\''$ZERO'\'';id = 1
cases;answers;answers + 1;id = 1
cases;answers_sha256;'\''$ZERO'\'';id = 1
cases;origin;'\''elsewhere.db#1:$ZERO'\'';id = 1
cases;prev_hash;'\''$ZERO'\'';id = 2
cases;hash;'\''$ZERO'\'';id = 1
cases;header;header || '\''x'\'';id = 1
case_answers;case_id;77;case_id = 1 AND seq = 0
case_answers;seq;1000;case_id = 1 AND seq = 0
case_answers;ext_id;'\''forged'\'';case_id = 1 AND seq = 0
case_answers;line;line + 100;case_id = 1 AND seq = 0
case_answers;prompt_sha256;'\''$ZERO'\'';case_id = 1 AND seq = 0
case_answers;prompt_size;prompt_size + 1;case_id = 1 AND seq = 0
case_answers;prompt;(SELECT prompt FROM case_answers WHERE case_id = 1 AND seq = 1);case_id = 1 AND seq = 0
case_answers;sha256;'\''$ZERO'\'';case_id = 1 AND seq = 0
case_answers;size;size + 1;case_id = 1 AND seq = 0
case_answers;text;(SELECT text FROM case_answers WHERE case_id = 1 AND seq = 1);case_id = 1 AND seq = 0
case_results;case_id;77;case_id = 1 AND rank = 1
case_results;teacher;'\''forged'\'';case_id = 1 AND rank = 1
case_results;family;'\''forged'\'';case_id = 1 AND rank = 1
case_results;rank;7;case_id = 1 AND rank = 1
case_results;score;score + 1;case_id = 1 AND rank = 1
case_results;p_value;0.5;case_id = 1 AND rank = 1
case_results;effect;effect + 1;case_id = 1 AND rank = 1
case_results;verdict;'\''none'\'';case_id = 1 AND rank = 1
case_results;signals;'\''{}'\'';case_id = 1 AND rank = 1
case_evidence;case_id;77;case_id = 1 AND seq = 0
case_evidence;seq;1000;case_id = 1 AND seq = 0
case_evidence;teacher;'\''forged'\'';case_id = 1 AND seq = 0
case_evidence;kind;'\''forged'\'';case_id = 1 AND seq = 0
case_evidence;prompt_id;'\''forged'\'';case_id = 1 AND seq = 0
case_evidence;data;'\''{}'\'';case_id = 1 AND seq = 0
EOF
	test "$fails" -eq 0
'

test_expect "cases marks an altered case, and report refuses to render the altered name" '
	three_cases &&
	drop_triggers provenance.db &&
	sqlite3 provenance.db "UPDATE cases SET name = '"'"'someone-else'"'"', conclusion_teacher = '"'"'example-claude'"'"' WHERE id = 1" &&
	expect_code 0 prov cases &&
	grep -E "^1 +someone-else .* ALTERED " out &&
	check_contains out "1 case marked ALTERED" &&
	expect_code 1 prov report 1 &&
	check_contains err "cases.name differs from the case header: the stored case was altered" &&
	test ! -s out
'

# rewrite_chain DB: backdate case 1 and recompute every header, hash and later link, consistently
rewrite_chain() {
	drop_triggers "$1"
	prev=
	for id in $(sqlite3 "$1" "SELECT id FROM cases ORDER BY id"); do
		sqlite3 "$1" "SELECT writefile('h.txt', header) FROM cases WHERE id = $id" >/dev/null
		if [ -z "$prev" ]; then
			sed 's/^created_at ".*"$/created_at "2020-01-01T00:00:00Z"/' h.txt >h2.txt
			sqlite3 "$1" "UPDATE cases SET created_at = '2020-01-01T00:00:00Z' WHERE id = $id"
		else
			sed "s/^prev_hash \".*\"\$/prev_hash \"$prev\"/" h.txt >h2.txt
			sqlite3 "$1" "UPDATE cases SET prev_hash = '$prev' WHERE id = $id"
		fi
		prev=$(sha256sum h2.txt | cut -c1-64)
		sqlite3 "$1" "UPDATE cases SET header = CAST(readfile('h2.txt') AS TEXT), hash = '$prev' WHERE id = $id"
	done
}

test_expect "a consistent whole-chain rewrite: its stale signatures fail plain verify; with them removed it passes plain verify and is caught by --head and by --pubkey" '
	need_cmd openssl &&
	openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null &&
	openssl pkey -in key.pem -pubout -out pub.pem &&
	three_cases "--sign-key key.pem" &&
	expect_code 0 prov cases --head &&
	head=$(cut -d" " -f2 out) && check_eq "$(cut -d" " -f1 out)" 3 &&
	check_eq "$head" "$(db_query provenance.db "SELECT hash FROM cases WHERE id = 3")" &&
	expect_code 0 prov verify --all --head "$head" --pubkey pub.pem &&
	check_contains out "chain: ok   the chain ends in the anchored head (case 3)" &&
	check_eq "$(grep -c "the case hash is signed by key" out)" 0 &&
	expect_code 0 prov verify 2 --pubkey pub.pem &&
	check_contains out "the case hash is signed by key" &&
	rewrite_chain provenance.db &&
	expect_code 1 prov verify --all &&
	check_eq "$(grep -c ": ALTERED" out)" 3 &&
	check_eq "$(grep -c "FAIL case_signatures.hash: the signature by key" out)" 3 &&
	expect_code 1 prov verify --all --pubkey pub.pem &&
	check_eq "$(grep -c "FAIL case_signatures.hash" out)" 3 &&
	sqlite3 provenance.db "UPDATE case_signatures SET hash = (SELECT hash FROM cases WHERE id = case_id)" &&
	expect_code 1 prov verify --all &&
	check_eq "$(grep -c "FAIL bad signature" out)" 3 &&
	sqlite3 provenance.db "DELETE FROM case_signatures" &&
	expect_code 0 prov verify --all &&
	check_eq "$(grep -c ": intact" out)" 3 &&
	expect_code 1 prov verify --all --head "$head" &&
	check_contains out "chain: FAIL the chain does not hold the anchored head" &&
	expect_code 1 prov verify --all --pubkey pub.pem &&
	check_eq "$(grep -c "case [123]: intact, but UNSIGNED as required" out)" 3 &&
	check_not_contains out ALTERED &&
	expect_code 1 prov verify 1 --hash "$(grep -o "\"hash\": \"[0-9a-f]*\"" c1.json | head -1 | cut -d\" -f4)" &&
	check_contains out "FAIL case 1 has hash"
'

test_expect "a truncated chain (the last case removed) is caught by --head only" '
	three_cases &&
	head=$(prov cases --head | cut -d" " -f2) &&
	drop_triggers provenance.db &&
	sqlite3 provenance.db "DELETE FROM case_answers WHERE case_id = 3; DELETE FROM case_results WHERE case_id = 3; DELETE FROM case_evidence WHERE case_id = 3; DELETE FROM cases WHERE id = 3" &&
	expect_code 0 prov verify --all &&
	expect_code 1 prov verify --all --head "$head" &&
	check_contains out "chain: FAIL the chain does not hold the anchored head" &&
	expect_code 0 prov verify --all --head "$(db_query provenance.db "SELECT hash FROM cases WHERE id = 1")" &&
	check_contains out "the anchored head is case 1; 1 case was appended after it"
'

test_expect "unsigned and wrongly signed cases are named by verify --pubkey; keys are checked" '
	need_cmd openssl &&
	openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null &&
	corpus &&
	prov scan --sign-key key.pem -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	prov scan -o c2.json "$EX/suspect-independent.jsonl" 2>/dev/null &&
	expect_code 1 prov verify --all --pubkey key.pem &&
	check_contains out "case 1: intact" &&
	check_contains out "case 2: intact, but UNSIGNED as required" &&
	check_contains out "MISSING unsigned: case 2 has no signature by key" &&
	check_not_contains out ALTERED &&
	expect_code 1 prov verify 1 --pubkey other.pem &&
	check_contains out "MISSING unsigned: case 1 has no signature by key" &&
	check_contains out "(signed by key " &&
	check_not_contains out ALTERED &&
	expect_code 0 prov verify --all &&
	check_contains out "case 2: intact" &&
	sqlite3 provenance.db "UPDATE case_signatures SET signature = zeroblob(64)" &&
	expect_code 1 prov verify 1 --pubkey key.pem &&
	check_contains out "FAIL bad signature" &&
	openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out ec.pem 2>/dev/null &&
	expect_code 3 prov scan --sign-key ec.pem "$EX/suspect-distilled.jsonl" &&
	check_contains err "ec.pem: not an Ed25519 key" &&
	expect_code 4 prov scan --sign-key missing.pem "$EX/suspect-distilled.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 2
'

test_expect "merge and audit sign the cases they store" '
	need_cmd openssl &&
	openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null &&
	corpus &&
	mkdir sus && cp "$EX/suspect-distilled.jsonl" "$EX/suspect-independent.jsonl" sus/ &&
	expect_code 0 prov audit --evidence ev.db --sign-key key.pem sus &&
	check_contains err "chain head: case 2" &&
	expect_code 0 prov --db ev.db verify --all --pubkey key.pem &&
	expect_code 0 prov merge --sign-key key.pem all.db ev.db &&
	expect_code 0 prov --db all.db verify --all --pubkey key.pem
'

test_expect "swapped answers give another snapshot hash, and verify exits with the corpus-changed code" '
	corpus &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	snap1=$(grep -o "\"snapshot_sha256\": \"[0-9a-f]*\"" c1.json | cut -d\" -f4) &&
	gpt=$(db_query provenance.db "SELECT id FROM models WHERE name = '"'"'example-gpt'"'"'") &&
	cl=$(db_query provenance.db "SELECT id FROM models WHERE name = '"'"'example-claude'"'"'") &&
	sqlite3 provenance.db "UPDATE responses SET model_id = -1 WHERE model_id = $gpt; UPDATE responses SET model_id = $gpt WHERE model_id = $cl; UPDATE responses SET model_id = $cl WHERE model_id = -1" &&
	expect_code 7 prov verify 1 &&
	check_contains out "case 1: intact, but the corpus CHANGED since the case" &&
	check_contains out "CHANGED the corpus changed since the case" &&
	expect_code 7 prov verify --all &&
	check_contains out "CHANGED the corpus changed since the case" &&
	prov scan -o c2.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	snap2=$(grep -o "\"snapshot_sha256\": \"[0-9a-f]*\"" c2.json | cut -d\" -f4) &&
	test -n "$snap1" && test "$snap1" != "$snap2"
'

test_expect "a grown corpus is a note (exit 0, shown by --all); a changed family or feature is a change (exit 7); where and when a file was imported is not" '
	corpus &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	cp provenance.db pristine.db &&
	prov corpus import --model extra --role reference "$EX/suspect-independent.jsonl" >/dev/null &&
	expect_code 0 prov verify --all &&
	check_contains out "note: the corpus grew since the case" &&
	prov corpus import --role teacher --family other "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	expect_code 7 prov verify 1 &&
	restore pristine.db provenance.db &&
	sqlite3 provenance.db "UPDATE features SET blob = blob || x'"'"'00'"'"' WHERE response_id = 1" &&
	expect_code 7 prov verify 1 &&
	restore pristine.db provenance.db &&
	sqlite3 provenance.db "UPDATE prompts SET ext_id = '"'"'moved'"'"' WHERE id = 1" &&
	expect_code 7 prov verify 1 &&
	restore pristine.db provenance.db &&
	sqlite3 provenance.db "UPDATE sources SET path = '"'"'elsewhere.jsonl'"'"', imported_at = '"'"'1999-01-01T00:00:00Z'"'"' WHERE id = 1" &&
	expect_code 0 prov verify 1 &&
	check_contains out "the corpus is the snapshot the case was compared against" &&
	restore pristine.db provenance.db &&
	expect_code 0 prov verify 1
'

test_expect "features computed for another answer are not used; a new scan recomputes them" '
	corpus &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	sqlite3 provenance.db "UPDATE features SET blob = (SELECT blob FROM features WHERE response_id = 2), answer_sha256 = (SELECT answer_sha256 FROM features WHERE response_id = 2) WHERE response_id = 1" &&
	prov scan -o c2.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM features f JOIN responses r ON r.id = f.response_id WHERE f.answer_sha256 != r.sha256")" 0 &&
	expect_code 0 prov verify 2 &&
	check_contains out "the corpus is the snapshot the case was compared against" &&
	printf "sorry\tgeneric\trefusal\ten\tI.m sorry\n" >pat.tsv &&
	prov scan --patterns pat.tsv -o c3.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	expect_code 0 prov verify --all &&
	check_not_contains out "CHANGED" &&
	sed -n "/\"teachers\"/,\$p" c1.json | grep -v "\"case\"\|hash\|created_at\|snapshot" >a &&
	sed -n "/\"teachers\"/,\$p" c2.json | grep -v "\"case\"\|hash\|created_at\|snapshot" >b &&
	check_same a b
'

# make_tsa: a local RFC 3161 authority (CA + TSA certificate, `openssl ts` configuration) in ./tsa
make_tsa() {
	mkdir -p tsa && (cd tsa &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
		-subj "/CN=Test Root" -days 30 -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout tsa.key -out tsa.csr \
		-subj "/CN=Test TSA" 2>/dev/null &&
	printf "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n" >ext.cnf &&
	openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt -days 30 -extfile ext.cnf 2>/dev/null &&
	printf "01\n" >serial &&
	cat >ts.cnf <<EOF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.crt
certs = ./ca.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
	)
}

test_expect "an RFC 3161 reply from a local authority verifies; one for another hash fails" '
	need_cmd openssl &&
	make_tsa &&
	three_cases &&
	expect_code 0 prov timestamp 1 -o c1.tsq &&
	expect_code 0 prov timestamp 2 -o c2.tsq &&
	(cd tsa && openssl ts -reply -config ts.cnf -queryfile ../c1.tsq -out ../c1.tsr 2>/dev/null &&
		openssl ts -reply -config ts.cnf -queryfile ../c2.tsq -out ../c2.tsr 2>/dev/null) &&
	h1=$(db_query provenance.db "SELECT hash FROM cases WHERE id = 1") &&
	openssl ts -verify -digest "$h1" -in c1.tsr -CAfile tsa/ca.crt >/dev/null 2>&1 &&
	expect_code 0 prov timestamp 1 --attach c1.tsr &&
	check_contains out "timestamp of case 1" &&
	expect_code 0 prov verify 1 --tsa-cert tsa/ca.crt &&
	check_contains out "ok   timestamp 1: time " &&
	check_contains out "signed by an authority certified by tsa/ca.crt" &&
	expect_code 0 prov verify 1 &&
	check_contains out "the authority'"'"'s signature was not checked" &&
	expect_code 3 prov timestamp 1 --attach c2.tsr &&
	check_contains err "c2.tsr: the reply" && check_contains err "stamps another hash" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM case_timestamps")" 1 &&
	sqlite3 provenance.db "INSERT INTO case_timestamps(case_id, hash, gen_time, reply, reply_sha256, attached_at) VALUES (1, '"'"'$h1'"'"', '"'"'x'"'"', readfile('"'"'c2.tsr'"'"'), '"'"'$(sha256sum c2.tsr | cut -c1-64)'"'"', '"'"'x'"'"')" &&
	expect_code 1 prov verify 1 --tsa-cert tsa/ca.crt &&
	check_contains out "FAIL timestamp 2: the reply" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout o.key -out other.crt -subj "/CN=Other" -days 3 2>/dev/null &&
	expect_code 1 prov verify 1 --tsa-cert other.crt &&
	check_contains out "FAIL timestamp 1: time " && check_contains out "does not verify against other.crt" &&
	expect_code 2 prov timestamp 1 &&
	expect_code 6 prov timestamp 9 -o x.tsq &&
	printf "junk" >junk.tsr && expect_code 3 prov timestamp 1 --attach junk.tsr
'

# as_reader CMD...: run CMD as a user who may not write here (nobody when we are root)
as_reader() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

test_expect "read-only evidence: verify, cases, report, corpus list leave the file as it was, also on read-only media" '
	three_cases &&
	sum=$(sha256sum provenance.db) && when=$(stat -c %y provenance.db) &&
	for db in provenance.db "file:provenance.db?mode=ro" "file:provenance.db?immutable=1"; do
		expect_code 0 prov --db "$db" verify --all &&
		expect_code 0 prov --db "$db" cases && check_contains out "again" &&
		expect_code 0 prov --db "$db" report 2 --format md &&
		expect_code 0 prov --db "$db" corpus list && check_contains out "example-gpt"
	done &&
	check_eq "$(sha256sum provenance.db)" "$sum" && check_eq "$(stat -c %y provenance.db)" "$when" &&
	if [ "$(id -u)" -eq 0 ]; then need_cmd setpriv; fi &&
	rm -f provenance.db-wal provenance.db-shm && chmod a-w provenance.db . && chmod a+rx . &&
	for db in provenance.db "file:provenance.db?mode=ro"; do
		for c in "verify --all" "cases" "report 1" "corpus list"; do
			set +e; as_reader "$PROVENANCE_BIN" --db "$db" $c >out 2>err; rc=$?; set -e
			if [ "$rc" -ne 0 ]; then echo "read-only $db $c: exit $rc"; cat err; chmod u+w .; exit 1; fi
		done
	done &&
	chmod u+w . provenance.db &&
	check_eq "$(sha256sum provenance.db)" "$sum"
'

test_expect "scan and audit refuse a --db that does not exist (exit 6) and create nothing" '
	corpus &&
	expect_code 6 prov --db typo.db scan "$EX/suspect-distilled.jsonl" &&
	check_contains err "typo.db: no such database" &&
	test ! -e typo.db &&
	expect_code 6 prov --db typo.db audit "$EX/suspect-distilled.jsonl" &&
	test ! -e typo.db &&
	expect_code 6 prov --db typo.db verify --all && test ! -e typo.db &&
	expect_code 0 prov scan "$EX/suspect-distilled.jsonl"
'

test_expect "names are validated (length in characters), and nothing hostile reaches the terminal" '
	corpus &&
	expect_code 2 prov scan --name "$(printf "evil\033[2Jname")" "$EX/suspect-distilled.jsonl" &&
	check_not_contains err "$(printf "\033")" &&
	expect_code 2 prov scan --name "$(printf "abc\342\200\256cba")" "$EX/suspect-distilled.jsonl" &&
	long=$(awk "BEGIN { for (i = 0; i < 200; i++) printf \"\\303\\251\" }") &&
	expect_code 0 prov scan --name "$long" "$EX/suspect-distilled.jsonl" &&
	expect_code 2 prov scan --name "${long}x" "$EX/suspect-distilled.jsonl" &&
	sed "s/\"model\": \"[^\"]*\"/\"model\": \"evil\\\\u001b[31m\"/" "$EX/suspect-distilled.jsonl" >evil.jsonl &&
	grep -q "u001b" evil.jsonl &&
	expect_code 3 prov scan evil.jsonl &&
	check_contains err "the suspect" && check_not_contains err "$(printf "\033")" &&
	drop_triggers provenance.db &&
	sqlite3 provenance.db "UPDATE cases SET name = CAST(x'"'"'1b5b33316d726564e280ae'"'"' AS TEXT) WHERE id = 1; UPDATE models SET name = CAST(x'"'"'1b5d303b7469746c6507'"'"' AS TEXT) WHERE id = 1" &&
	prov cases | cat -v >listing &&
	check_not_contains listing "^[" && check_contains listing "\\x1b[31mred[U+202E]" &&
	prov corpus list | cat -v >models &&
	check_not_contains models "^[" && check_not_contains models "^G" && check_contains models "\\x1b]0;title\\x07" &&
	expect_code 6 prov --db "$(printf "no\033[2Jsuch.db")" cases &&
	check_not_contains err "$(printf "\033")" && check_contains err "no\\x1b[2Jsuch.db"
'

test_expect "a UTF-8 byte-order mark at the start of a JSONL file is accepted" '
	printf "\357\273\277{\"prompt\": \"Why is the sky blue?\", \"response\": \"Rayleigh scattering.\", \"model\": \"bom\"}\n" >bom.jsonl &&
	expect_code 0 prov corpus import bom.jsonl &&
	check_contains out "1 responses imported" &&
	printf "\357\273\277{\"prompt\": \"Why is the sky blue?\", \"response\": \"Rayleigh scattering.\"}\n" >sus.jsonl &&
	expect_code 0 prov scan sus.jsonl
'

test_expect "the audit summary escapes names and paths as the reports do; its messages are terminal-safe" '
	corpus &&
	mkdir sus &&
	cp "$EX/suspect-distilled.jsonl" "sus/a_*b*[c]<d>.jsonl" &&
	printf "{oops\n" >"sus/$(printf "bad\033[2Jname").jsonl" &&
	expect_code 3 prov audit sus &&
	check_contains out "a\\_\\*b\\*\\[c\\]\\<d>.jsonl" &&
	check_not_contains out "$(printf "\033")" &&
	check_not_contains err "$(printf "\033")" &&
	check_contains err "bad\\x1b[2Jname.jsonl"
'

test_expect "verify --features recomputes every stored feature blob and names a forged one" '
	corpus &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	expect_code 0 prov verify --all --features &&
	check_contains out "features: ok   160 stored feature blobs" &&
	sqlite3 provenance.db "UPDATE features SET blob = (SELECT blob FROM features WHERE response_id = 7) WHERE response_id = 5" &&
	expect_code 1 prov verify --all --features &&
	check_contains out "features: FAIL features.blob of response 5 (model example-gpt, prompt ex05) differs" &&
	check_contains out "CHANGED the corpus changed since the case" &&
	expect_code 2 prov verify --all --patterns x.tsv
'

test_expect "a case of format 1 (before schema 5, no stored header) still verifies, and its hash still binds it" '
	corpus &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	drop_triggers provenance.db &&
	q() { db_query provenance.db "SELECT $1 FROM cases WHERE id = 1"; } &&
	db_query provenance.db "SELECT params FROM cases WHERE id = 1" | tr -d "\n" >params &&
	printf "provenance-case/1\nid 1\nname %s\ncreated_at %s\nsuspect %s %s %s %s\ncorpus %s\ntool %s\npatterns %s\nparams %s\nreport %s\nanswers %s %s\norigin -\nprev %s\n" \
		"$(q name)" "$(q created_at)" "$(q suspect_sha256)" "$(q suspect_size)" "$(q suspect_lines)" "$(q suspect_path)" \
		"$(q snapshot_sha256)" "$(q tool_version)" "$(q patterns_sha256)" "$(sha256sum params | cut -c1-64)" \
		"$(q report_sha256)" "$(q answers)" "$(q answers_sha256)" "$(q prev_hash)" >h1.txt &&
	sqlite3 provenance.db "UPDATE cases SET header = NULL, hash = '"'"'$(sha256sum h1.txt | cut -c1-64)'"'"' WHERE id = 1" &&
	expect_code 0 prov verify 1 &&
	check_contains out "matches its content (format 1, from before schema 5" &&
	expect_code 0 prov cases && check_not_contains out "ALTERED" &&
	sqlite3 provenance.db "UPDATE cases SET created_at = '"'"'2020-01-01T00:00:00Z'"'"' WHERE id = 1" &&
	expect_code 1 prov verify 1 &&
	check_contains out "FAIL the case hash does not match its recorded content"
'

test_expect "a stored signature, its public key or its signed hash flipped in place fails plain verify, which names the key" '
	need_cmd openssl &&
	openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null &&
	openssl pkey -in other.pem -pubout -outform DER -out other.der &&
	corpus &&
	prov scan --sign-key key.pem -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null &&
	fp=$(db_query provenance.db "SELECT key_sha256 FROM case_signatures") &&
	expect_code 0 prov verify 1 &&
	check_contains out "ok   the case hash is signed by key $fp (Ed25519" &&
	check_contains out "give --pubkey FILE to check it is the key you trust" &&
	cp provenance.db pristine.db &&
	drop_triggers provenance.db &&
	sqlite3 provenance.db "UPDATE case_signatures SET signature = substr(signature, 1, 10) || x'"'"'ff'"'"' || substr(signature, 12)" &&
	expect_code 1 prov verify --all &&
	check_contains out "case 1: ALTERED" && check_contains out "FAIL bad signature: the signature by key $(echo "$fp" | cut -c1-16)..." &&
	restore pristine.db provenance.db &&
	sqlite3 provenance.db "UPDATE case_signatures SET public_key = substr(readfile('"'"'other.der'"'"'), -32, 32)" &&
	expect_code 1 prov verify --all &&
	check_contains out "FAIL case_signatures.public_key or case_signatures.key_sha256" &&
	restore pristine.db provenance.db &&
	sqlite3 provenance.db "UPDATE case_signatures SET hash = '"'"'$ZERO'"'"'" &&
	expect_code 1 prov verify --all &&
	check_contains out "FAIL case_signatures.hash" &&
	restore pristine.db provenance.db &&
	expect_code 0 prov verify --all --require-signature &&
	prov scan -o c2.json "$EX/suspect-independent.jsonl" 2>/dev/null &&
	expect_code 1 prov verify --all --require-signature &&
	check_contains out "case 2: intact, but UNSIGNED as required" &&
	check_contains out "MISSING unsigned: case 2 carries no signature that holds (--require-signature)" &&
	check_not_contains out "case 1: intact, but" &&
	expect_code 1 prov verify 2 --require-signature --format json &&
	check_contains out "\"anchors_missing\": true" && check_contains out "\"status\": \"missing\""
'

test_expect "verify --require-timestamp names each case without a timestamp that holds, also after one is deleted" '
	need_cmd openssl &&
	make_tsa &&
	three_cases &&
	expect_code 0 prov timestamp 1 -o c1.tsq &&
	(cd tsa && openssl ts -reply -config ts.cnf -queryfile ../c1.tsq -out ../c1.tsr 2>/dev/null) &&
	expect_code 0 prov timestamp 1 --attach c1.tsr &&
	expect_code 0 prov verify 1 --require-timestamp --tsa-cert tsa/ca.crt &&
	expect_code 1 prov verify --all --require-timestamp &&
	check_contains out "case 2: intact, but NOT TIMESTAMPED as required" &&
	check_contains out "MISSING untimestamped: case 3 carries no RFC 3161 timestamp that holds (--require-timestamp)" &&
	check_not_contains out "case 1: intact, but" &&
	check_not_contains out ALTERED &&
	drop_triggers provenance.db &&
	sqlite3 provenance.db "DELETE FROM case_timestamps WHERE case_id = 1" &&
	expect_code 0 prov verify 1 --tsa-cert tsa/ca.crt &&
	expect_code 1 prov verify 1 --require-timestamp --tsa-cert tsa/ca.crt &&
	check_contains out "case 1: intact, but NOT TIMESTAMPED as required" &&
	expect_code 1 prov verify 1 --require-timestamp --require-signature &&
	check_contains out "case 1: intact, but UNSIGNED and NOT TIMESTAMPED as required"
'
