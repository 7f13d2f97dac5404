#!/bin/sh
# make test-slurm: the Slurm scripts of examples/slurm on a real single-node cluster.
#
# Starts munged, slurmctld and slurmd on this machine (tests/slurm/cluster.sh: a generated
# slurm.conf in a temporary directory, loopback only), submits examples/slurm/audit.sbatch as a
# 4-task array over 10 suspect files and merge.sbatch after it (afterok), waits, and checks that
# the merged evidence holds every case exactly once, that `verify --all` passes, and that the
# summary has the verdicts, the ranking and the report bytes of a single-machine audit of the same
# files. Every daemon it started is stopped (by pid) whatever happens.
#
# Without the packages (slurm-wlm, munge) or the rights to run the daemons it says so and exits 0
# (skipped), unless PROVENANCE_SLURM_REQUIRED=1 (CI), where that is a failure.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROV=${PROVENANCE_BIN:-$ROOT/provenance}
EX=$ROOT/examples
TASKS=4
TIMEOUT=${SLURM_TEST_TIMEOUT:-600}
. "$ROOT/tests/slurm/cluster.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/prov-slurm.XXXXXX")
KEEP=0
cleanup() {
	cluster_stop
	if [ "$KEEP" = 1 ]; then echo "test-slurm: logs kept in $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "test-slurm: FAIL: $*"
	for f in "$T"/work/logs/*.out "$T"/cluster/log/slurmctld.log "$T"/cluster/log/slurmd.log; do
		[ -f "$f" ] || continue
		echo "--- $f"; tail -n 20 "$f"
	done
	KEEP=1
	exit 1
}

skip() {
	if [ "${PROVENANCE_SLURM_REQUIRED:-0}" = 1 ]; then
		fail "cannot run a Slurm cluster here: $*"
	fi
	echo "test-slurm: SKIP: cannot run a Slurm cluster here: $*"
	exit 0
}

[ -x "$PROV" ] || fail "no $PROV (make builds it)"
command -v sqlite3 >/dev/null 2>&1 || fail "sqlite3 is needed"

# ---- the cluster
cluster_start "$T/cluster" 2>"$T/cluster.err"
rc=$?
if [ $rc = 77 ]; then skip "$(cat "$T/cluster.err")"; fi
[ $rc = 0 ] || fail "the cluster did not start: $(cat "$T/cluster.err")"
echo "test-slurm: cluster up (munged, slurmctld, slurmd: pids $CLUSTER_PIDS; $SLURM_CONF)"

# ---- the work directory: a prepared corpus and 10 suspects
W=$T/work
mkdir -p "$W/suspects/more" "$W/logs" || fail "mkdir"
cd "$W" || fail "cd $W"
{
	"$PROV" --db corpus.db corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" &&
	"$PROV" --db corpus.db corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" &&
	awk -F'\t' '$4 == "reference" { print $1 "\t" $5 }' "$EX/labels.tsv" | while IFS="$(printf '\t')" read -r f fam; do
		"$PROV" --db corpus.db corpus import --role reference --family "$fam" "$EX/$f" || exit 1
	done
} >/dev/null || fail "corpus import"
D=$EX/suspect-distilled.jsonl
I=$EX/suspect-independent.jsonl
cp "$D" suspects/distilled.jsonl && cp "$I" suspects/independent.jsonl &&
gzip -c "$I" >suspects/more/independent.jsonl.gz &&
head -n 15 "$D" >suspects/more/d15.jsonl && tail -n 20 "$D" >suspects/more/d20.jsonl &&
head -n 25 "$I" >suspects/more/i25.jsonl && sed -n '2~3p' "$D" >suspects/more/thirds.jsonl &&
sed -n '1~2p' "$I" >suspects/more/i-odd.jsonl && head -n 30 "$D" >suspects/d30.jsonl &&
{ head -n 20 "$D"; tail -n 20 "$I"; } >suspects/mixed.jsonl || fail "suspects"
NFILES=$(find suspects -name '*.jsonl*' | wc -l)
[ "$NFILES" -ge 8 ] || fail "only $NFILES suspect files"
# prepare the corpus once, writable (docs/scaling.md): the tasks then read a cached preparation
"$PROV" --db corpus.db scan --no-store suspects/distilled.jsonl -o /dev/null 2>/dev/null ||
	"$PROV" --db corpus.db scan suspects/distilled.jsonl -o /dev/null 2>/dev/null || fail "prepare the corpus"
sqlite3 corpus.db 'PRAGMA journal_mode = DELETE' >/dev/null || fail "journal mode"

# ---- submit: the array, then the merge after it
export WORK="$W" PROVENANCE="$PROV" SUSPECTS=suspects SHARDS=$TASKS
jid=$(sbatch --parsable --array=0-$((TASKS - 1)) --output="$W/logs/audit-%A_%a.out" \
	"$ROOT/examples/slurm/audit.sbatch") || fail "sbatch audit.sbatch"
jid=${jid%%;*}
mid=$(sbatch --parsable --dependency=afterok:"$jid" --output="$W/logs/merge-%j.out" \
	"$ROOT/examples/slurm/merge.sbatch") || fail "sbatch merge.sbatch"
mid=${mid%%;*}
echo "test-slurm: submitted the array $jid (tasks 0-$((TASKS - 1))) and the merge $mid (afterok:$jid)"

state() {
	scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
t=0
while :; do
	st=$(state "$mid" JobState)
	case $st in
	COMPLETED) break ;;
	FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)
		fail "the merge job ended $st" ;;
	PENDING)
		[ "$(state "$mid" Reason)" != DependencyNeverSatisfied ] || fail "an array task failed: the merge will never run" ;;
	esac
	t=$((t + 1))
	[ $t -lt $((TIMEOUT * 2)) ] || fail "not done after $TIMEOUT s (merge job: ${st:-unknown})"
	sleep 0.5
done
# every array task ran and succeeded
ntask=0
for k in $(seq 0 $((TASKS - 1))); do
	st=$(state "${jid}_$k" JobState)
	[ "$st" = COMPLETED ] || fail "array task $k: ${st:-no record}"
	[ -f "shards/shard-$k.db" ] || fail "no shards/shard-$k.db"
	ntask=$((ntask + 1))
done
echo "test-slurm: $ntask array tasks and the merge job COMPLETED"

# ---- the checks
q() { sqlite3 -batch -noheader "$1" "$2"; }
[ "$(q evidence.db 'SELECT count(*) FROM cases')" = "$NFILES" ] ||
	fail "evidence.db holds $(q evidence.db 'SELECT count(*) FROM cases') cases, not $NFILES"
[ "$(q evidence.db 'SELECT count(DISTINCT suspect_path) FROM cases')" = "$NFILES" ] ||
	fail "a suspect is missing or stored twice"
sum=0
for k in $(seq 0 $((TASKS - 1))); do sum=$((sum + $(q "shards/shard-$k.db" 'SELECT count(*) FROM cases'))); done
[ "$sum" = "$NFILES" ] || fail "the shards hold $sum cases, not $NFILES"
"$PROV" --db evidence.db verify --all >verify2.txt 2>&1 || fail "verify --all: $(tail -n 5 verify2.txt)"
[ "$(grep -c ': intact' verify2.txt)" = "$NFILES" ] || fail "verify --all did not find $NFILES intact cases"
grep -q "^verify --all: $NFILES cases intact" logs/merge-"$mid".out || fail "the merge job did not verify the chain"

# the single-machine audit of the same files, from the same directory
"$PROV" --db corpus.db audit suspects -j 2 --evidence single.db --format json -o single.json 2>/dev/null ||
	fail "the single-machine audit"
"$PROV" --db corpus.db audit suspects --evidence single.db --resume -q -o single.md 2>/dev/null ||
	fail "the single-machine summary"
rows() {
	q :memory: "SELECT json_extract(value, '\$.rank'), json_extract(value, '\$.suspect'), json_extract(value, '\$.name'),
		json_extract(value, '\$.verdict'), json_extract(value, '\$.teacher'), json_extract(value, '\$.family'),
		json_extract(value, '\$.top_teacher'), json_extract(value, '\$.score'), json_extract(value, '\$.p_value'),
		json_extract(value, '\$.matched'), json_extract(value, '\$.responses'), json_extract(value, '\$.status')
		FROM json_each(CAST(readfile('$1') AS TEXT), '\$.suspects') ORDER BY 1"
}
rows single.json >single.rows && rows summary.json >merged.rows || fail "reading the summaries"
[ "$(wc -l <single.rows)" = "$NFILES" ] || fail "the single-machine summary has $(wc -l <single.rows) rows"
cmp -s single.rows merged.rows || fail "the summaries differ: $(diff single.rows merged.rows | head -n 20)"
# the Markdown tables: the same rows but for the case numbers (the merged chain numbers them anew)
table() { grep '^| [0-9]' "$1" | awk -F'|' '{ $5 = ""; print }'; }
table single.md >single.table && table summary.md >merged.table &&
	cmp -s single.table merged.table || fail "the Markdown summaries differ: $(diff single.table merged.table | head)"
# the same report bodies and answers, file by file
cases() { q "$1" "SELECT suspect_path, report_sha256, answers_sha256, verdict FROM cases ORDER BY suspect_path"; }
cases single.db >single.cases && cases evidence.db >merged.cases &&
	cmp -s single.cases merged.cases || fail "the cases differ: $(diff single.cases merged.cases | head)"
echo "test-slurm: ok: $NFILES suspects in $TASKS shards, merged once each, verified, the same summary as one machine"
sed -n '1,12p' summary.md | sed 's/^/  /'
