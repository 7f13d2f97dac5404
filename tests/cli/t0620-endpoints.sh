#!/bin/sh
# audit --endpoints: suspects behind model servers (the loopback fake server, tests/fakeserver.c):
# collected, audited, ranked; a failing server reported as not audited while the others go on;
# a rate-limiting server and one killed and restarted midway audited; resumed without asking or
# storing anything twice; bad manifest lines named by file and line.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
FAKESERVER=${UNIT_DIR:-$ROOT/build/tests}/fakeserver

corpus() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs
}

# server NAME ARGS...: start a fake server (it exits by itself after 90 s at most), wait for its
# port; NAME.port and NAME.pid hold them, NAME.stats its counts. `--port P` restarts one where it was.
server() {
	sname=$1
	shift
	[ -x "$FAKESERVER" ] || { echo "no $FAKESERVER (make builds it)"; return 1; }
	rm -f "$sname.port"
	"$FAKESERVER" --port-file "$sname.port" --lifetime 90 --stats "$sname.stats" --log "$sname.log" "$@" &
	echo $! >"$sname.pid"
	n=0
	while [ ! -s "$sname.port" ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "the fake server $sname did not start"; return 1; }
		sleep 0.05
	done
}

stop_servers() {
	for f in *.pid; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}

url() {
	echo "http://127.0.0.1:$(cat "$1.port")/v1"
}

stat_of() {
	sed -n "s/^$2 //p" "$1.stats"
}

# jget FILE PATH: a value from a JSON file (the sqlite3 shell's JSON functions).
jget() {
	db_query :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

test_expect "a failing server is not audited, the rate-limited and the restarted ones are; a re-run resumes without duplicates" '
	trap stop_servers EXIT
	corpus &&
	server alpha --answers "$EX/suspect-distilled.jsonl" &&
	server gamma --answers "$EX/suspect-independent.jsonl" --rate-limit 4 &&
	server broken --always 500 &&
	server phoenix --answers "$EX/suspect-distilled.jsonl" --die-after 15 &&
	P=$(cat phoenix.port) || exit 1
	# the watcher: once phoenix has died, start it again on the same port (as a supervisor would)
	( n=0; while [ "$(stat_of phoenix replies)" != 15 ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
	  n=0
	  until [ -s phoenix2.port ] || [ $n -ge 100 ]; do
		"$FAKESERVER" --port-file phoenix2.port --port "$P" --lifetime 90 --stats phoenix2.stats \
			--answers "$EX/suspect-distilled.jsonl" 2>/dev/null &
		echo $! >phoenix2.pid
		sleep 0.1; n=$((n + 1))
	  done ) &
	{
		printf "# name\tendpoint\tmodel\tkey\tsampling\n"
		printf "alpha\t%s\tstudent-a\n" "$(url alpha)"
		printf "broken\t%s\tstudent-b\t-\ttemperature=0,max_tokens=64\n" "$(url broken)"
		printf "\n"
		printf "{\"name\": \"gamma\", \"endpoint\": \"%s\", \"model\": \"indie\", \"temperature\": 0.5, \"seed\": 7}\n" "$(url gamma)"
		printf "phoenix\t%s\tstudent-p\n" "$(url phoenix)"
	} >suspects.tsv &&
	expect_code 4 prov audit --endpoints suspects.tsv --answers ans --requests 2 --retries 8 --backoff 0.2 \
		--format json -o s1.json &&
	check_eq "$(db_query provenance.db "SELECT name FROM cases ORDER BY id" | tr "\n" " ")" "alpha gamma phoenix " &&
	check_eq "$(db_query provenance.db "SELECT suspect_path FROM cases ORDER BY id" | tr "\n" " ")" \
		"ans/alpha.jsonl ans/gamma.jsonl ans/phoenix.jsonl " &&
	check_eq "$(jget s1.json "\$.stored")" 3 &&
	check_eq "$(jget s1.json "\$.not_audited")" 1 &&
	check_eq "$(jget s1.json "\$.suspects[1].suspect")" ans/broken.jsonl &&
	check_eq "$(jget s1.json "\$.suspects[1].status")" "not audited" &&
	check_eq "$(jget s1.json "\$.suspects[1].rank")" 4 &&
	check_eq "$(jget s1.json "\$.suspects[1].exit_code")" 4 &&
	jget s1.json "\$.suspects[1].error" | grep -q "^not audited: 40 of 40 requests failed.*HTTP 500" &&
	check_eq "$(jget s1.json "\$.suspects[0].verdict")" strong &&
	check_eq "$(jget s1.json "\$.suspects[0].top_teacher")" example-gpt &&
	check_eq "$(jget s1.json "\$.suspects[3].verdict")" strong &&
	check_eq "$(jget s1.json "\$.suspects[3].matched")" 40 &&
	check_eq "$(jget s1.json "\$.suspects[2].verdict")" none &&
	check_contains err "broken: id " &&
	check_contains err "ans/broken.jsonl: not audited: " &&
	# the rate limit was met and waited out; phoenix died after 15 answers and its second life gave the rest
	[ "$(stat_of gamma requests)" -gt 40 ] && check_eq "$(stat_of gamma replies)" 40 &&
	# (phoenix2 may be started more than once by the watcher before one binds the port, and each
	# writes the same stats file: what it answered is at least one and at most the 25 left)
	check_eq "$(stat_of phoenix replies)" 15 && r2=$(stat_of phoenix2 replies) &&
	{ [ "$r2" -ge 1 ] && [ "$r2" -le 25 ] || { echo "phoenix2 replies: $r2"; exit 1; }; } &&
	check_eq "$(wc -l <ans/phoenix.jsonl)" 40 &&
	check_eq "$(grep -c "\"served_model\":\"student-p\"" ans/phoenix.jsonl)" 40 &&
	check_eq "$(grep -c "\"sampling\":{[^}]*\"seed\":7" ans/gamma.jsonl)" 40 &&
	check_eq "$(grep -c "\"sampling\":{[^}]*\"temperature\":0.5" ans/gamma.jsonl)" 40 &&
	expect_code 0 prov verify --all &&
	# the broken server is mended (on its port); the others are gone: nothing of theirs is asked again
	B=$(cat broken.port) && kill "$(cat broken.pid)" "$(cat alpha.pid)" "$(cat gamma.pid)" "$(cat phoenix2.pid)" &&
	sleep 0.2 &&
	server broken2 --port "$B" --answers "$EX/suspect-independent.jsonl" &&
	expect_code 0 prov audit --endpoints suspects.tsv --answers ans --retries 0 --format json -o s2.json &&
	check_eq "$(stat_of broken2 requests)" 40 &&
	check_eq "$(db_query provenance.db "SELECT name FROM cases ORDER BY id" | tr "\n" " ")" "alpha gamma phoenix broken " &&
	check_eq "$(jget s2.json "\$.stored")" 4 &&
	check_eq "$(jget s2.json "\$.already_stored")" 3 &&
	check_eq "$(jget s2.json "\$.suspects[1].status")" ok &&
	check_eq "$(jget s2.json "\$.suspects[1].case")" 4 &&
	check_eq "$(jget s2.json "\$.suspects[0].case")" 1 &&
	check_eq "$(jget s2.json "\$.suspects[0].rank")" "$(jget s1.json "\$.suspects[0].rank")" &&
	check_eq "$(jget s2.json "\$.suspects[0].score")" "$(jget s1.json "\$.suspects[0].score")" &&
	# a third run asks nothing and stores nothing
	kill "$(cat broken2.pid)" && sleep 0.1 &&
	expect_code 0 prov audit --endpoints suspects.tsv --answers ans --retries 0 -o s3.md &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 4 &&
	check_contains s3.md "4 suspect files, 4 cases stored (4 of them before this run), 0 failed." &&
	expect_code 0 prov verify --all &&
	check_eq "$(grep -c ": intact" out)" 4
'

test_expect "a suspect whose server is killed and stays down is not audited; interrupted and resumed, nothing is asked twice" '
	trap stop_servers EXIT
	corpus &&
	server slow --answers "$EX/suspect-distilled.jsonl" --delay-ms 60 &&
	server dying --die-after 5 &&
	printf "slow\t%s\tm1\ndying\t%s\tm2\n" "$(url slow)" "$(url dying)" >m.tsv || exit 1
	"$PROVENANCE_BIN" audit --endpoints m.tsv --answers ans --requests 1 -o s.md >run1.out 2>run1.err &
	apid=$!
	n=0; while [ "$(cat ans/slow.jsonl 2>/dev/null | wc -l)" -lt 5 ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
	kill -TERM "$apid"
	arc=0; wait "$apid" || arc=$?
	check_eq "$arc" 130 &&
	check_contains run1.err "interrupted while collecting" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0 &&
	got=$(wc -l <ans/slow.jsonl) && [ "$got" -ge 5 ] && [ "$got" -lt 40 ] &&
	expect_code 4 prov audit --endpoints m.tsv --answers ans --requests 1 --retries 1 --backoff 0.05 -o s.md &&
	# at most the one request in flight when it was stopped is asked again
	r=$(stat_of slow requests) && [ "$r" -ge 40 ] && [ "$r" -le 41 ] &&
	[ "$(sort slow.log | uniq -d | wc -l)" -le 1 ] &&
	check_eq "$(wc -l <ans/slow.jsonl)" 40 &&
	check_eq "$(sed "s/^{\"id\":\"\([^\"]*\)\".*/\1/" ans/slow.jsonl | sort -u | wc -l)" 40 &&
	check_eq "$(db_query provenance.db "SELECT name FROM cases")" slow &&
	check_contains s.md "| ans/dying.jsonl | — |" &&
	check_contains s.md "not audited: http://127.0.0.1:" &&
	check_contains s.md "stopped answering (the server cannot be reached): 5 of 40 requests answered" &&
	check_eq "$(wc -l <ans/dying.jsonl)" 5
'

test_expect "the prompts: --prompts, --probe or the corpus; --shard slices the manifest" '
	trap stop_servers EXIT
	corpus &&
	server one &&
	for s in s0 s1 s2 s3 s4; do printf "%s\t%s\tm-%s\n" $s "$(url one)" $s; done >m.tsv &&
	printf "{\"id\": \"a\", \"prompt\": \"Name three colours.\"}\n{\"id\": \"b\", \"prompt\": \"Who are you?\"}\n" >p.jsonl &&
	expect_code 0 prov audit --endpoints m.tsv --answers ans --prompts p.jsonl --shard 1/2 --evidence ev1.db \
		--format csv -o s.csv &&
	check_eq "$(db_query ev1.db "SELECT name FROM cases ORDER BY id" | tr "\n" " ")" "s1 s3 " &&
	check_eq "$(ls ans | grep -c "jsonl$")" 2 &&
	check_eq "$(wc -l <ans/s1.jsonl)" 2 &&
	expect_code 0 prov audit --endpoints m.tsv --answers ans2 --probe identity --shard 4/5 --evidence ev2.db &&
	check_eq "$(db_query ev2.db "SELECT name FROM cases")" s4 &&
	[ "$(wc -l <ans2/s4.jsonl)" -ge 200 ] &&
	expect_code 0 prov audit --endpoints m.tsv --answers ans3 --shard 0/5 --evidence ev3.db &&
	check_eq "$(wc -l <ans3/s0.jsonl)" "$(prov corpus prompts | wc -l)" &&
	check_eq "$(db_query ev3.db "SELECT count(*) FROM cases")" 1 &&
	expect_code 0 prov audit --endpoints m.tsv --answers ans3 --shard 7/8 --evidence ev4.db &&
	check_contains err "shard 7/8 holds none of the 5 suspects"
'

test_expect "bad manifest lines: the file, the line and what is wrong; exit 3, nothing collected or stored" '
	corpus &&
	U=http://127.0.0.1:9/v1 &&
	bad() {
		printf "# a comment\nok\t$U\tm\n$1\n" >bad.tsv &&
		expect_code 3 prov audit --endpoints bad.tsv --answers ans &&
		check_contains err "bad.tsv:3: $2" &&
		test ! -e ans || { echo "ans/ was made"; return 1; }
	} &&
	bad "only-name" "1 field; a suspect needs name, endpoint and model" &&
	bad "n\t$U" "2 fields" &&
	bad "n\t$U\tm\tKEY\ttemperature=0\textra" "more than 5 tab-separated fields" &&
	bad "../evil\t$U\tm" "the name '"'"'../evil'"'"' must be 1 to 100 letters" &&
	bad "ok\t$U\tm" "the name '"'"'ok'"'"' is already used on line 2" &&
	bad "n\tftp://x/\tm" "the endpoint must be an http:// or https:// URL" &&
	bad "n\t$U\tm\tBAD-VAR" "'"'"'BAD-VAR'"'"' is not an environment variable name" &&
	bad "n\t$U\tm\t-\ttemperature=hot" "temperature must be a number from 0 to 10, not '"'"'hot'"'"'" &&
	bad "n\t$U\tm\t-\ttop_p=2" "top_p must be a number from 0 to 1" &&
	bad "n\t$U\tm\t-\tcolour=blue" "unknown sampling setting '"'"'colour'"'"'" &&
	bad "n\t$U\tm\t-\tseed" "sampling setting '"'"'seed'"'"' is not KEY=VALUE" &&
	bad "{\"name\": \"n\", \"endpoint\": \"$U\"}" "\"model\" is missing" &&
	bad "{\"name\": \"n\", \"endpoint\": \"$U\", \"model\": \"m\", \"temp\": 1}" "unknown key \"temp\"" &&
	bad "{\"name\": \"n\", \"endpoint\": \"$U\", \"model\": 7}" "\"model\" must be a string" &&
	bad "{\"name\": \"n\", \"endpoint\": \"$U\", \"model\": \"m\", \"max_tokens\": 1.5}" "\"max_tokens\" must be a number (an integer)" &&
	bad "{\"name\": \"n\", " "not a JSON object" &&
	printf "# nothing\n\n" >empty.tsv &&
	expect_code 3 prov audit --endpoints empty.tsv --answers ans &&
	check_contains err "empty.tsv: no suspect in the manifest" &&
	expect_code 4 prov audit --endpoints missing.tsv --answers ans &&
	check_contains err "missing.tsv: cannot open" &&
	expect_code 2 prov audit --endpoints m.tsv &&
	check_contains err "--endpoints needs --answers DIR" &&
	expect_code 2 prov audit --endpoints m.tsv --answers ans sus &&
	expect_code 2 prov audit --answers ans sus &&
	check_contains err "--answers, --prompts and --probe go with --endpoints" &&
	expect_code 2 prov audit --endpoints bad.tsv --answers ans --requests 0 &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0
'

test_expect "an API key variable that is not set: that suspect is not audited, the others are" '
	trap stop_servers EXIT
	corpus &&
	server keyed --require-key sesame &&
	server open &&
	printf "keyed\t%s\tm\tPROV_TEST_KEY\nopen\t%s\tm\n" "$(url keyed)" "$(url open)" >m.tsv &&
	unset PROV_TEST_KEY &&
	expect_code 3 prov audit --endpoints m.tsv --answers ans -o s.md &&
	check_contains s.md "not audited: the environment variable PROV\\_TEST\\_KEY (its API key) is not set" &&
	check_eq "$(db_query provenance.db "SELECT name FROM cases")" open &&
	PROV_TEST_KEY=sesame expect_code 0 prov audit --endpoints m.tsv --answers ans -o s.md &&
	check_eq "$(db_query provenance.db "SELECT name FROM cases ORDER BY id" | tr "\n" " ")" "open keyed " &&
	check_not_contains ans/keyed.jsonl sesame
'
