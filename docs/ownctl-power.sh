#!/bin/sh
# docs/ownctl-power.sh: the power curve of the own-control test (scan --logged --fresh) in
# docs/validation.md, from ../shared/data.
#
#   sh docs/ownctl-power.sh [PROVENANCE-BINARY] > /tmp/ownctl-power.md
#
# A constructed suspect (no public data set has a real student's answers to its own training
# prompts). Logged and fresh answers exchangeable by construction: for each prompt one of
# GPT-4-0314, -0613 and -1106-preview (AlpacaEval), drawn at random, plays "logged" and the other
# two "fresh" (tests/cli/ownctl-mix.awk). Suspect: another model's answers with a share of the
# logged answers' sentences spliced in (tests/cli/ownctl-splice.awk).
# 1. The null: unmodified suspects (4 models x 10 draws of the roles, 805 prompts): p-values.
# 2. The power curve: shares 0, 5, 10, 20, 40 % x 25, 50, 100, 200 prompts, 8 replicates each
#    (4 base models x 2 disjoint prompt blocks, each with its own draw of the roles).
# 3. What breaks it: fixed roles (one version always "logged"), unmodified suspects.
# 4. A real post-editor (Aligner-2B on GPT-4 Turbo). Prints Markdown; about 10 minutes.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROV=${1:-$ROOT/provenance}
case $PROV in /*) ;; *) PROV=$(pwd)/$PROV ;; esac
SHARED=${PROVENANCE_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
A=$SHARED/data/alpaca_eval
if [ ! -d "$A" ]; then
	echo "docs/ownctl-power.sh: $A not found (the real data is read from ../shared/data, never committed)" >&2
	exit 1
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/provenance-ownctl.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
export PROVENANCE_DB=$W/none.db PROVENANCE_PROGRESS=0
for v in gpt4_0314 gpt4_0613 gpt4_1106_preview; do gzip -dc "$A/$v.jsonl.gz" >$v.jsonl; done
mix() {
	awk -v seed="$1" -v out=mix -f "$ROOT/tests/cli/ownctl-mix.awk" gpt4_0314.jsonl gpt4_0613.jsonl gpt4_1106_preview.jsonl
}
run() {
	# run SUSPECT: the own-control test against the current mix; prints "p<TAB>z"
	"$PROV" -q scan "$1" --logged mix-logged.jsonl --fresh mix-fresh1.jsonl --fresh mix-fresh2.jsonl --format json >r.json
	printf '%s\t%s\n' "$(grep -m1 '"p_value":' r.json | sed 's/.*: *//; s/,//')" \
		"$(grep -m1 '"z":' r.json | sed 's/.*: *//; s/,//')"
}
BASES="Mixtral-8x7B-Instruct-v0.1 Meta-Llama-3-70B-Instruct Qwen1.5-72B-Chat claude-3-opus-20240229"
: >null.tsv
for b in $BASES; do
	for seed in 1 2 3 4 5 6 7 8 9 10; do
		mix "$seed"
		printf '%s\t%s\t%s\n' "$b" "$seed" "$(run "$A/$b.jsonl.gz")" >>null.tsv
	done
done
echo "### The null: unmodified suspects, roles drawn at random (805 prompts)"
echo
awk -F'\t' '{ p[++n] = $3; a += ($3 < 0.05); b += ($3 < 0.01); if (n == 1 || $3 < mn) mn = $3 }
	END {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (p[j] < p[i]) { t = p[i]; p[i] = p[j]; p[j] = t }
		for (i = 1; i <= n; i++) { lo = p[i] - (i - 1) / n; hi = i / n - p[i]; if (lo > d) d = lo; if (hi > d) d = hi }
		printf "%d runs (4 suspects x 10 draws of the roles): %d with p < 0.05, %d with p < 0.01, smallest p %.3g;\n", n, a, b, mn
		printf "Kolmogorov-Smirnov distance from the uniform %.3f (1%% critical value %.3f).\n", d, 1.628 / sqrt(n) }' null.tsv
echo
: >results.tsv
for b in $BASES; do
	gzip -dc "$A/$b.jsonl.gz" >base.jsonl
	for n in 25 50 100 200; do
		for block in 0 1; do
			mix $((100 + block))
			for share in 0 5 10 20 40; do
				seed=$((block * 1000 + n + share + 1))
				awk -v share="$share" -v seed="$seed" -v skip=$((block * 400)) -v limit="$n" \
					-f "$ROOT/tests/cli/ownctl-splice.awk" mix-logged.jsonl base.jsonl >s.jsonl
				printf '%s\t%s\t%s\t%s\t%s\n' "$b" "$n" "$block" "$share" "$(run s.jsonl)" >>results.tsv
			done
		done
	done
done
echo "### The power curve"
echo
echo "Replicates per cell: 8 (4 base models x 2 prompt blocks). Cell: replicates with p < 0.01 / with"
echo "p < 1e-6, and the median z (null standard deviations)."
echo
echo "| share of the logged sentences copied | 25 prompts | 50 prompts | 100 prompts | 200 prompts |"
echo "|---|---|---|---|---|"
for share in 0 5 10 20 40; do
	printf '| %s %% ' "$share"
	for n in 25 50 100 200; do
		awk -F'\t' -v s="$share" -v n="$n" '$4 == s && $2 == n { k++; a += ($5 < 0.01); b += ($5 < 1e-6); z[k] = $6 }
			END {
				for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (z[j] < z[i]) { t = z[i]; z[i] = z[j]; z[j] = t }
				med = k % 2 ? z[(k + 1) / 2] : (z[k / 2] + z[k / 2 + 1]) / 2
				printf "| %d/%d, %d/%d, z %.1f ", a, k, b, k, med }' results.tsv
	done
	echo "|"
done
echo
echo "### What breaks it: logged and fresh answers from different versions"
echo
echo "Each GPT-4 version in turn plays \"logged\" for every prompt and the other two \"fresh\"; the"
echo "suspects are unmodified answers of other models (share 0), on all 805 prompts. A negative z means"
echo "the suspect is closer to the fresh versions."
echo
echo "| logged | fresh | suspect | p | z |"
echo "|---|---|---|---|---|"
for trio in "gpt4_0613 gpt4_0314 gpt4_1106_preview" "gpt4_0314 gpt4_0613 gpt4_1106_preview" \
	"gpt4_1106_preview gpt4_0613 gpt4_0314"; do
	set -- $trio
	for b in $BASES; do
		"$PROV" -q scan "$A/$b.jsonl.gz" --logged "$A/$1.jsonl.gz" --fresh "$A/$2.jsonl.gz" --fresh "$A/$3.jsonl.gz" \
			--format json >r.json
		p=$(grep -m1 '"p_value":' r.json | sed 's/.*: *//; s/,//')
		z=$(grep -m1 '"z":' r.json | sed 's/.*: *//; s/,//')
		printf '| %s | %s, %s | %s | %s | %.2f |\n' "$1" "$2" "$3" "$b" "$p" "$z"
	done
done
echo
echo "### A real post-editor"
echo
echo "Aligner-2B's AlpacaEval answers are GPT-4 Turbo's answers corrected by a small"
echo "model. Logged = GPT-4 Turbo (2024-04-09), fresh = GPT-4-1106-preview and GPT-4-0613 (other"
echo "versions again), all 805 prompts:"
echo
"$PROV" -q scan "$A/aligner-2b_gpt-4-turbo-2024-04-09.jsonl.gz" --logged "$A/gpt-4-turbo-2024-04-09.jsonl.gz" \
	--fresh "$A/gpt4_1106_preview.jsonl.gz" --fresh "$A/gpt4_0613.jsonl.gz" --format json >r.json
p=$(grep -m1 '"p_value":' r.json | sed 's/.*: *//; s/,//')
z=$(grep -m1 '"z":' r.json | sed 's/.*: *//; s/,//')
e=$(grep -m1 '"effect":' r.json | sed 's/.*: *//; s/,//')
printf -- '- p = %s, z = %.2f, effect %.2f\n' "$p" "$z" "$e"
