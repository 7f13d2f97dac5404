#!/bin/sh
# collect and probe against the loopback OpenAI-compatible server (tests/fakeserver.c).
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
FAKESERVER=${UNIT_DIR:-$ROOT/build/tests}/fakeserver

# start_server [ARGS]: run the fake server in the background (it exits by itself
# after 60 s at most); sets URL and SERVER_PID. stop_server ends it.
start_server() {
	[ -x "$FAKESERVER" ] || { echo "no $FAKESERVER (make builds it)"; return 1; }
	rm -f port
	"$FAKESERVER" --port-file port --lifetime 60 "$@" &
	SERVER_PID=$!
	n=0
	while [ ! -s port ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "the fake server did not start"; return 1; }
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat port)/v1
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
}

stat_of() {
	sed -n "s/^$2 //p" "$1"
}

# prompts N FILE: N prompts q1..qN
prompts() {
	i=1
	while [ $i -le "$1" ]; do
		printf '{"id": "q%d", "prompt": "Question number %d?"}\n' $i $i
		i=$((i + 1))
	done >"$2"
}

# check_sidecar OUT: the sidecar has, line for line, the exchange whose SHA-256 the output line names
check_sidecar() {
	zcat "$1.exchanges.jsonl.gz" >side.txt
	while IFS= read -r l; do printf '%s' "$l" | sha256sum | cut -c1-64; done <side.txt >side.sha
	sed 's/.*"exchange_sha256":"\([0-9a-f]*\)".*/\1/' "$1" >out.sha
	check_same out.sha side.sha &&
	sed 's/^{"id":"\([^"]*\)".*/\1/' "$1" >out.ids &&
	sed 's/^{"id":"\([^"]*\)".*/\1/' side.txt >side.ids &&
	check_same out.ids side.ids
}

test_expect "probe list and show: three sets, identity in 10 languages with 20 prompts each" '
	expect_code 0 prov probe list &&
	check_contains out "identity" && check_contains out "refusal" && check_contains out "style" &&
	expect_code 0 prov probe show identity --format jsonl &&
	for l in en zh ru el ar es fr de ja ko; do
		n=$(grep -c "\"lang\": \"$l\"" out) &&
		[ "$n" -ge 20 ] || { echo "language $l has $n prompts"; exit 1; }
	done &&
	sed "s/.*\"id\": \"\([^\"]*\)\".*/\1/" out | sort | uniq -d >dups &&
	check_same dups /dev/null &&
	expect_code 0 prov probe show refusal --format jsonl &&
	grep -c "\"harmful\": true" out >harm && grep -c "\"harmful\": false" out >safe &&
	check_same harm safe &&
	sed -n "s/.*\"id\": \"\(refusal-[a-z]*-[0-9]*\)-harm\".*/\1/p" out >h &&
	sed -n "s/.*\"id\": \"\(refusal-[a-z]*-[0-9]*\)-safe\".*/\1/p" out >s &&
	check_same h s &&
	expect_code 0 prov probe show style &&
	check_contains out "style-en-01" &&
	expect_code 6 prov probe show nosuch &&
	check_contains err "no probe set named" &&
	expect_code 2 prov probe show
'

test_expect "a full collection (-j 4) writes answers that import and scan like the original" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
	import_example_refs &&
	prov corpus prompts >prompts.jsonl &&
	start_server --answers "$EX/suspect-distilled.jsonl" --served-model distilled-7b-q4 --stats stats --delay-ms 30 &&
	expect_code 0 prov collect --endpoint "$URL" --model suspect-x --prompts prompts.jsonl -o got.jsonl -j 4 &&
	stop_server &&
	check_contains out "collected 40 answers" &&
	check_eq "$(wc -l <got.jsonl)" 40 &&
	check_eq "$(stat_of stats requests)" 40 &&
	check_eq "$(stat_of stats max_concurrent)" 4 "requests in flight at once, seen by the server" &&
	check_contains out "at most 4 in flight" &&
	check_contains got.jsonl "\"served_model\":\"distilled-7b-q4\"" &&
	check_contains got.jsonl "\"finish_reason\":\"stop\"" &&
	check_sidecar got.jsonl &&
	sed "s/.*\"id\": *\"\([^\"]*\)\".*/\1/" prompts.jsonl >want.ids &&
	check_same out.ids want.ids &&
	expect_code 0 prov scan got.jsonl &&
	sed -n "/\"conclusion\": {/,/}/p" out >concl &&
	check_contains concl "\"teacher\": \"example-gpt\"" &&
	expect_code 0 prov scan "$EX/suspect-distilled.jsonl" &&
	sed -n "/\"conclusion\": {/,/}/p" out >concl2 &&
	check_same concl concl2 &&
	expect_code 0 prov corpus import --role reference --family test got.jsonl &&
	expect_code 0 prov corpus list &&
	check_contains out "suspect-x"
'

test_expect "retries: 429 with Retry-After, 500, a stalled reply, a truncated body; clear errors otherwise" '
	{
		echo "{\"id\": \"ok\", \"prompt\": \"plain\"}"
		echo "{\"id\": \"r429\", \"prompt\": \"slow down [[429]]\"}"
		echo "{\"id\": \"r500\", \"prompt\": \"crash twice [[500x2]]\"}"
		echo "{\"id\": \"stall\", \"prompt\": \"hang [[stall]]\"}"
		echo "{\"id\": \"trunc\", \"prompt\": \"cut [[trunc]]\"}"
		echo "{\"id\": \"html\", \"prompt\": \"proxy page [[ctypex99]]\"}"
		echo "{\"id\": \"bad\", \"prompt\": \"refused [[400x99]]\"}"
	} >p.jsonl &&
	start_server --stats stats --stall-ms 2500 &&
	expect_code 4 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 3 \
		--timeout 1 --retries 2 --backoff 0.05 &&
	stop_server &&
	check_eq "$(wc -l <o.jsonl)" 5 &&
	check_contains err "id '\''html'\'': the reply is '\''text/html'\'', not JSON" &&
	check_contains err "id '\''html'\'': gave up after 3 attempts" &&
	check_contains err "id '\''bad'\'': HTTP 400: this prompt is not allowed" &&
	check_not_contains err "id '\''bad'\'': gave up" &&
	check_contains err "2 of 7 requests failed" &&
	check_contains out "5 answers" &&
	zcat o.jsonl.exchanges.jsonl.gz >side &&
	grep "^{\"id\":\"r429\"" side | grep -q "\"attempts\":2" &&
	grep "^{\"id\":\"r500\"" side | grep -q "\"attempts\":3" &&
	grep "^{\"id\":\"stall\"" side | grep -q "\"attempts\":2" &&
	grep "^{\"id\":\"trunc\"" side | grep -q "\"attempts\":2" &&
	grep "^{\"id\":\"ok\"" side | grep -q "\"attempts\":1" &&
	check_eq "$(stat_of stats requests)" 14 &&
	check_sidecar o.jsonl
'

test_expect "Retry-After is honoured: the retry of a 429 waits a second" '
	echo "{\"id\": \"r\", \"prompt\": \"wait [[429]]\"}" >p.jsonl &&
	start_server &&
	t0=$(date +%s.%N) &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl --backoff 0.01 &&
	t1=$(date +%s.%N) &&
	stop_server &&
	awk -v a="$t0" -v b="$t1" "BEGIN { exit !(b - a >= 0.95) }"
'

test_expect "resume after the server dies mid-run: the re-run asks only the rest" '
	prompts 100 p.jsonl &&
	start_server --die-after 30 --delay-ms 5 &&
	expect_code 4 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 4 \
		--retries 2 --backoff 0.05 &&
	stop_server &&
	check_contains err "stopped answering" &&
	check_contains err "re-run the same command" &&
	first=$(wc -l <o.jsonl) &&
	{ [ "$first" -ge 10 ] && [ "$first" -le 34 ] || { echo "$first answers before the server died"; false; }; } &&
	check_sidecar o.jsonl &&
	start_server --stats stats &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 4 &&
	stop_server &&
	check_contains out "already in o.jsonl" &&
	check_eq "$(stat_of stats requests)" $((100 - first)) &&
	check_eq "$(wc -l <o.jsonl)" 100 &&
	check_sidecar o.jsonl &&
	sed "s/.*\"id\": \"\([^\"]*\)\".*/\1/" p.jsonl >want.ids &&
	check_same out.ids want.ids &&
	start_server --stats stats2 &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 4 &&
	stop_server &&
	check_eq "$(stat_of stats2 requests)" 0 &&
	check_contains out "collected 0 answers"
'

test_expect "kill -9 mid-run leaves whole lines only; a partial line is dropped and asked again" '
	prompts 300 p.jsonl &&
	start_server --delay-ms 20 || exit 1
	( exec "$PROVENANCE_BIN" collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 2 >/dev/null 2>&1 ) &
	pid=$! &&
	n=0 && while [ "$(cat o.jsonl 2>/dev/null | wc -l)" -lt 20 ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done &&
	kill -9 $pid &&
	{ wait $pid 2>/dev/null || true; } &&
	got=$(wc -l <o.jsonl) &&
	{ [ "$got" -ge 20 ] && [ "$got" -lt 300 ] || { echo "$got answers when killed"; false; }; } &&
	expect_code 0 prov inspect o.jsonl &&
	printf "{\"id\": \"q300\", \"prompt\": \"Quest" >>o.jsonl &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 8 &&
	stop_server &&
	check_contains err "dropped a partial last line" &&
	check_eq "$(wc -l <o.jsonl)" 300 &&
	check_sidecar o.jsonl
'

test_expect "the API key is sent but never written to any file" '
	prompts 5 p.jsonl &&
	export MY_TEST_KEY=sk-test-SECRET-4f9a2c &&
	start_server --require-key sk-test-SECRET-4f9a2c --log requests.log &&
	expect_code 4 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o nokey.jsonl --retries 0 &&
	check_contains err "HTTP 401: invalid API key" &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl --api-key-env MY_TEST_KEY &&
	stop_server &&
	check_eq "$(wc -l <o.jsonl)" 5 &&
	expect_code 0 prov corpus import --role reference o.jsonl &&
	expect_code 0 prov scan o.jsonl -o report.json &&
	ls -A >files && [ "$(wc -l <files)" -ge 6 ] &&
	! grep -r -l -a "SECRET-4f9a2c" . &&
	! zcat o.jsonl.exchanges.jsonl.gz | grep -q "SECRET-4f9a2c" &&
	! zcat nokey.jsonl.exchanges.jsonl.gz | grep -q "SECRET-4f9a2c" &&
	! sqlite3 provenance.db .dump | grep -q "SECRET-4f9a2c" &&
	expect_code 2 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl --api-key-env NO_SUCH_VAR_XYZ &&
	check_contains err "NO_SUCH_VAR_XYZ"
'

test_expect "sampling settings are sent and recorded; samples get suffixed ids; other settings are refused" '
	prompts 2 p.jsonl &&
	start_server --log requests.log &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl --samples 2 \
		--temperature 0.3 --top-p 0.9 --max-tokens 50 --seed 7 --system "Be brief." &&
	check_eq "$(wc -l <o.jsonl)" 4 &&
	check_contains o.jsonl "{\"id\":\"q1#1\"" && check_contains o.jsonl "{\"id\":\"q2#2\"" &&
	check_contains o.jsonl "\"sampling\":{\"system\":\"Be brief.\",\"temperature\":0.3,\"top_p\":0.9,\"max_tokens\":50,\"seed\":8,\"sample\":2}" &&
	check_contains requests.log "{\"role\":\"system\",\"content\":\"Be brief.\"}" &&
	check_contains requests.log "\"seed\":7" && check_contains requests.log "\"seed\":8" &&
	check_contains requests.log "\"max_tokens\":50" &&
	expect_code 2 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl --samples 2 --temperature 0.5 &&
	check_contains err "collected with other settings" &&
	expect_code 2 prov collect --endpoint "$URL" --model other --prompts p.jsonl -o o.jsonl &&
	stop_server
'

test_expect "reasoning is kept apart: a <think> block or reasoning_content" '
	{
		echo "{\"id\": \"t\", \"prompt\": \"think first [[think]]\"}"
		echo "{\"id\": \"r\", \"prompt\": \"reason first [[reasoning]]\"}"
		echo "{\"id\": \"n\", \"prompt\": \"no reasoning\"}"
	} >p.jsonl &&
	start_server &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl &&
	stop_server &&
	grep "^{\"id\":\"t\"" o.jsonl | grep -q "\"response\":\"Fake answer to: think first \[\[think\]\]\"" &&
	grep "^{\"id\":\"t\"" o.jsonl | grep -q "\"reasoning\":\"The user asks something; answer briefly.\"" &&
	grep "^{\"id\":\"r\"" o.jsonl | grep -q "\"reasoning\":\"Thinking about it first.\"" &&
	grep "^{\"id\":\"n\"" o.jsonl | grep -q "\"reasoning\":null"
'

test_expect "probe sets are collected with their ids" '
	start_server &&
	expect_code 0 prov collect --endpoint "$URL" --model m --probe style --probe refusal -o o.jsonl -j 8 &&
	stop_server &&
	check_eq "$(wc -l <o.jsonl)" $(( $(prov probe show style | wc -l) + $(prov probe show refusal | wc -l) )) &&
	check_contains o.jsonl "{\"id\":\"style-en-01\"" &&
	check_contains o.jsonl "{\"id\":\"refusal-en-01-safe\""
'

test_expect "bad command lines and bad files" '
	prompts 2 p.jsonl &&
	expect_code 2 prov collect --model m --prompts p.jsonl -o o.jsonl &&
	check_contains err "--endpoint" &&
	expect_code 2 prov collect --endpoint ftp://x --model m --prompts p.jsonl -o o.jsonl &&
	check_contains err "http://" &&
	expect_code 2 prov collect --endpoint http://127.0.0.1:9 --prompts p.jsonl -o o.jsonl &&
	expect_code 2 prov collect --endpoint http://127.0.0.1:9 --model m -o o.jsonl &&
	expect_code 2 prov collect --endpoint http://127.0.0.1:9 --model m --prompts p.jsonl &&
	expect_code 2 prov collect --endpoint http://127.0.0.1:9 --model m --probe nosuch -o o.jsonl &&
	check_contains err "no probe set named" &&
	expect_code 2 prov collect --endpoint http://127.0.0.1:9 --model m --prompts p.jsonl -o o.jsonl -j 0 &&
	expect_code 2 prov collect --endpoint http://127.0.0.1:9 --model m --prompts p.jsonl -o o.jsonl --top-p 2 &&
	cat p.jsonl p.jsonl >twice.jsonl &&
	expect_code 3 prov collect --endpoint http://127.0.0.1:9 --model m --prompts twice.jsonl -o o.jsonl &&
	check_contains err "twice.jsonl:3: prompt id" && check_contains err "appears twice (first at twice.jsonl:1)" &&
	echo "{\"id\": 1}" >noprompt.jsonl &&
	expect_code 3 prov collect --endpoint http://127.0.0.1:9 --model m --prompts noprompt.jsonl -o o.jsonl &&
	check_contains err "noprompt.jsonl:1:" &&
	cp "$EX/suspect-distilled.jsonl" foreign.jsonl &&
	expect_code 3 prov collect --endpoint http://127.0.0.1:9 --model m --prompts p.jsonl -o foreign.jsonl &&
	check_contains err "foreign.jsonl:1: not a line written by provenance collect" &&
	check_same foreign.jsonl "$EX/suspect-distilled.jsonl" &&
	expect_code 4 prov collect --endpoint http://127.0.0.1:9 --model m --prompts p.jsonl -o o.jsonl \
		--retries 1 --backoff 0.01 &&
	check_contains err "cannot be reached" &&
	expect_code 0 prov collect --help &&
	check_contains out "--api-key-env"
'

test_expect "SIGTERM (or Ctrl-C) stops cleanly: exit 130, whole lines in prompt order, the re-run finishes" '
	prompts 300 p.jsonl &&
	start_server --delay-ms 20 || exit 1
	( exec "$PROVENANCE_BIN" collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 4 >cout 2>cerr ) &
	pid=$! &&
	n=0 && while [ "$(cat o.jsonl 2>/dev/null | wc -l)" -lt 20 ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done &&
	kill -TERM $pid &&
	{ wait $pid; code=$?; } || true
	check_eq "$code" 130 &&
	check_contains cerr "interrupted" &&
	got=$(wc -l <o.jsonl) &&
	{ [ "$got" -ge 20 ] && [ "$got" -lt 300 ] || { echo "$got answers when stopped"; false; }; } &&
	check_sidecar o.jsonl &&
	sort -t q -k 2 -n out.ids >sorted.ids &&
	check_same out.ids sorted.ids &&
	expect_code 0 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 8 &&
	stop_server &&
	check_eq "$(wc -l <o.jsonl)" 300 &&
	check_sidecar o.jsonl
'

test_expect "Batch API output and chat.completion lines: scan reads them, import needs the prompt" '
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	printf "%s\n" \
		"{\"id\": \"batch_req_1\", \"custom_id\": \"ex01\", \"response\": {\"status_code\": 200, \"body\": {\"object\": \"chat.completion\", \"model\": \"gpt-x\", \"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"As an AI language model developed by OpenAI, I can explain.\"}, \"finish_reason\": \"stop\"}]}}, \"error\": null}" \
		"{\"id\": \"batch_req_2\", \"custom_id\": \"ex02\", \"response\": {\"status_code\": 200, \"body\": {\"object\": \"chat.completion\", \"model\": \"gpt-x\", \"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"<think>short</think>Sure.\"}, \"finish_reason\": \"stop\"}]}}, \"error\": null}" \
		>batch.jsonl &&
	expect_code 0 prov scan batch.jsonl &&
	check_contains out "\"matched_by_id_only\": 2" &&
	expect_code 0 prov inspect batch.jsonl --format jsonl &&
	check_contains out "\"id\":\"ex01\"" &&
	check_contains out "\"claims\":\"openai\"" &&
	expect_code 3 prov corpus import --model gpt-x batch.jsonl &&
	check_contains err "batch.jsonl:1: the line holds an answer but no prompt" &&
	printf "%s\n" "{\"object\": \"chat.completion\", \"model\": \"m1\", \"prompt\": \"Explain photosynthesis in simple terms.\", \"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"Plants make food from light.\"}}]}" >reply.jsonl &&
	expect_code 0 prov corpus import --role reference reply.jsonl &&
	check_contains out "1 responses imported"
'

test_expect "without an API key: one HTTP 401 line, then a stop that names the variable" '
	prompts 200 p.jsonl &&
	start_server --require-key sk-test-KEY-1234 --stats stats &&
	unset OPENAI_API_KEY || true
	expect_code 4 prov collect --endpoint "$URL" --model m --prompts p.jsonl -o o.jsonl -j 4 &&
	stop_server &&
	check_eq "$(grep -c "HTTP 401" err)" 2 &&
	check_contains err "id '"'"'q1'"'"': HTTP 401" &&
	check_contains err "no API key was sent, as none is set in \$OPENAI_API_KEY" &&
	check_contains err "not tried" &&
	[ "$(stat_of stats requests)" -le 4 ] &&
	MY_KEY=wrong-key-5678 expect_code 4 env MY_KEY=wrong-key-5678 "$PROVENANCE_BIN" collect --endpoint "$URL" \
		--model m --prompts p.jsonl -o o2.jsonl --api-key-env MY_KEY 2>/dev/null || true
'

test_expect "a rate-limited collection sleeps while it waits: CPU time far below wall time" '
	[ -x /usr/bin/time ] || skip_because "/usr/bin/time not installed"
	prompts 42 p.jsonl &&
	start_server --fail-every 7 --stats stats &&
	/usr/bin/time -f "%e %U %S" -o usage "$PROVENANCE_BIN" collect --endpoint "$URL" --model m --prompts p.jsonl \
		-o o.jsonl -j 2 --backoff 0.5 >out 2>err &&
	stop_server &&
	check_eq "$(wc -l <o.jsonl)" 42 &&
	tail -n 1 usage >u1 && read -r wall user sys <u1 &&
	awk -v w="$wall" -v u="$user" -v s="$sys" "BEGIN { exit !(w >= 0.25 && u + s < 0.5 && u + s < w / 3) }" ||
	{ echo "wall $wall user $user sys $sys"; exit 1; }
'

test_expect "a key echoed in a 200 reply and credentials in --endpoint are masked in every file" '
	printf "{\"id\": \"e\", \"prompt\": \"please [[echokey]]\"}\n{\"id\": \"n\", \"prompt\": \"plain\"}\n" >p.jsonl &&
	start_server &&
	port=$(cat port) &&
	MY_TEST_KEY=sk-test-ECHOED-77aa expect_code 0 env MY_TEST_KEY=sk-test-ECHOED-77aa "$PROVENANCE_BIN" collect \
		--endpoint "http://alice:pa55w0rd-XYZ@127.0.0.1:$port/v1?api_key=QS-SECRET-99&mode=x" \
		--model m --prompts p.jsonl -o o.jsonl --api-key-env MY_TEST_KEY &&
	stop_server &&
	check_eq "$(wc -l <o.jsonl)" 2 &&
	check_contains o.jsonl "Authorization: Bearer ******" &&
	! grep -q "ECHOED-77aa" o.jsonl && ! zcat o.jsonl.exchanges.jsonl.gz | grep -q "ECHOED-77aa" &&
	! grep -q "pa55w0rd" o.jsonl && ! zcat o.jsonl.exchanges.jsonl.gz | grep -q "pa55w0rd" &&
	! zcat o.jsonl.exchanges.jsonl.gz | grep -q "QS-SECRET-99" &&
	zcat o.jsonl.exchanges.jsonl.gz | grep -q "\"url\":\"http://\*\*\*@127.0.0.1:$port/v1?api_key=\*\*\*&mode=x" &&
	! grep -q "pa55w0rd\|QS-SECRET\|ECHOED" out err &&
	check_sidecar o.jsonl
'

test_expect "a prompt id given twice names the file and both lines" '
	printf "{\"id\": \"a\", \"prompt\": \"one\"}\n{\"id\": \"b\", \"prompt\": \"two\"}\n{\"id\": \"a\", \"prompt\": \"three\"}\n" >p.jsonl &&
	expect_code 3 prov collect --endpoint http://127.0.0.1:9/v1 --model m --prompts p.jsonl -o o.jsonl &&
	check_contains err "p.jsonl:3: prompt id '"'"'a'"'"' appears twice (first at p.jsonl:1)" &&
	[ ! -s o.jsonl ]
'
