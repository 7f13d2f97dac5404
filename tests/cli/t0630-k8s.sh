#!/bin/sh
# examples/k8s, rendered and run: the fields the shard arithmetic depends on (an Indexed Job,
# completions = parallelism = SHARDS, --shard "$JOB_COMPLETION_INDEX/$SHARDS", the merge Job's
# SHARDS), then each pod's script run here, once per index, with the volumes as local directories:
# every suspect audited exactly once, the merge verified, and the summary that of one machine.
# (make test-k8s also checks the manifests against the Kubernetes schemas.)
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
AUDIT=$ROOT/examples/k8s/audit-job.yaml
MERGE=$ROOT/examples/k8s/merge-job.yaml

# field FILE KEY: the value of "  KEY: VALUE" under spec (the first one)
field() {
	sed -n "s/^  $2: *\\([^ #]*\\).*/\\1/p" "$1" | head -n 1
}

# shards FILE: the value of the SHARDS variable of the container
shards() {
	awk '/- name: SHARDS/ { getline; sub(/.*value: */, ""); gsub(/"/, ""); print; exit }' "$1"
}

# script FILE: the container's shell script (the block after "args:" / "- |"), with the volumes
# and the pod's /tmp mapped to directories here
script() {
	awk '/^ *- \|$/ { on = 1; ind = -1; next }
	     on { if ($0 !~ /^ *$/) { match($0, /^ */); if (ind < 0) ind = RLENGTH; else if (RLENGTH < ind) exit }
	          print substr($0, ind + 1) }' "$1" |
	sed -e "s#/corpus/#@C@/#g" -e "s#/data#@D@#g" -e "s#/out#@O@#g" -e "s#/tmp/#@T@/#g" |
	sed -e "s#@C@#$PWD/corpus#g" -e "s#@D@#$PWD/data#g" -e "s#@O@#$PWD/shared#g" -e "s#@T@#$PWD/scratch#g"
}

corpus_db() {
	mkdir -p corpus && (
		cd corpus &&
		prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
		prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null &&
		import_example_refs &&
		mv provenance.db corpus.db
	)
}

suspects() {
	mkdir -p data/suspects/more &&
	cp "$EX/suspect-distilled.jsonl" data/suspects/distilled.jsonl &&
	cp "$EX/suspect-independent.jsonl" data/suspects/independent.jsonl &&
	gzip -c "$EX/suspect-independent.jsonl" >data/suspects/more/independent.jsonl.gz &&
	head -n 15 "$EX/suspect-distilled.jsonl" >data/suspects/more/d15.jsonl &&
	tail -n 20 "$EX/suspect-distilled.jsonl" >data/suspects/more/d20.jsonl &&
	head -n 25 "$EX/suspect-independent.jsonl" >data/suspects/more/i25.jsonl &&
	sed -n "2~3p" "$EX/suspect-distilled.jsonl" >data/suspects/more/thirds.jsonl &&
	sed -n "1~2p" "$EX/suspect-independent.jsonl" >data/suspects/i-odd.jsonl &&
	head -n 30 "$EX/suspect-distilled.jsonl" >data/suspects/d30.jsonl
}

test_expect "the Indexed Job: completions = parallelism = SHARDS, --shard from JOB_COMPLETION_INDEX; the merge Job the same SHARDS" '
	check_eq "$(field "$AUDIT" completionMode)" Indexed &&
	n=$(field "$AUDIT" completions) &&
	[ "$n" -ge 1 ] &&
	check_eq "$(field "$AUDIT" parallelism)" "$n" &&
	check_eq "$(shards "$AUDIT")" "$n" &&
	check_eq "$(shards "$MERGE")" "$n" &&
	check_eq "$(grep -c "^kind: Job$" "$AUDIT")" 1 && check_eq "$(grep -c "^kind: Job$" "$MERGE")" 1 &&
	check_eq "$(field "$AUDIT" restartPolicy)" "" &&
	grep -q "restartPolicy: Never" "$AUDIT" &&
	script "$AUDIT" >audit.sh &&
	grep -q "^K=\$JOB_COMPLETION_INDEX$" audit.sh &&
	grep -q "^N=\$SHARDS$" audit.sh &&
	grep -q -- "--shard \"\$K/\$N\"" audit.sh &&
	grep -q -- "--evidence $PWD/scratch/shard-\$K.db" audit.sh &&
	script "$MERGE" >merge.sh &&
	grep -q "seq -f .shard-%g.db. 0 \$((N - 1))" merge.sh &&
	sh -n audit.sh && sh -n merge.sh
'

test_expect "each pod run here (the indices in any order, one twice): every suspect once, merged, verified, the single-machine summary" '
	corpus_db && suspects && mkdir -p shared scratch &&
	(cd corpus && prov --db corpus.db scan --no-store ../data/suspects/distilled.jsonl >/dev/null 2>&1) &&
	n=$(field "$AUDIT" completions) && script "$AUDIT" >audit.sh && script "$MERGE" >merge.sh &&
	mkdir bin && printf "#!/bin/sh\nexec \"%s\" \"\$@\"\n" "$PROVENANCE_BIN" >bin/provenance && chmod +x bin/provenance &&
	order=$(seq 0 $((n - 1)) | sort -r) &&
	for k in $order 2; do
		PATH=$PWD/bin:$PATH JOB_COMPLETION_INDEX=$k SHARDS=$n sh audit.sh >pod-$k.out 2>&1 ||
			{ echo "pod $k failed:"; cat pod-$k.out; exit 1; }
	done &&
	PATH=$PWD/bin:$PATH SHARDS=$n sh merge.sh >merge.out 2>&1 || { cat merge.out; exit 1; } &&
	nf=$(find data/suspects -name "*.jsonl*" | wc -l) &&
	check_eq "$(db_query shared/evidence.db "SELECT count(*) FROM cases")" "$nf" &&
	check_eq "$(db_query shared/evidence.db "SELECT count(DISTINCT suspect_path) FROM cases")" "$nf" &&
	check_contains merge.out "verify --all: $nf cases intact" &&
	expect_code 0 prov --db shared/evidence.db verify --all &&
	(cd data && prov --db ../corpus/corpus.db audit suspects --evidence ../one.db --format json -o ../one.json 2>/dev/null) &&
	grep -v "\"\\(case\\|corpus\\|evidence\\|already_stored\\)\"" one.json >a && grep -v "\"\\(case\\|corpus\\|evidence\\|already_stored\\)\"" shared/summary.json >b &&
	check_same a b &&
	check_contains shared/summary.md "$nf suspect files, $nf cases stored"
'
