#!/bin/sh
# make bench: how fast each stage is, compared with just reading the text (`zcat | wc -w` on the
# same bytes, in the same run). Uses ../shared/data/alpaca_eval when present, else generated data.
#
#   sh tests/bench.sh ./provenance
#
# Prints one line per figure; every time is the best of 3 runs (wall clock, seconds).
set -eu
PROV=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${PROVENANCE_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
W=$(mktemp -d "${TMPDIR:-/tmp}/provenance-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export PROVENANCE_PROGRESS=0

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
# best TIME-OF-3 CMD...: the smallest wall time of three runs
best() {
	b=""
	for _ in 1 2 3; do
		t0=$(now)
		"$@" >/dev/null 2>&1
		t1=$(now)
		t=$(calc "$t1 - $t0")
		if [ -z "$b" ] || [ "$(awk "BEGIN { print ($t < $b) }")" = 1 ]; then b=$t; fi
	done
	printf '%.3f' "$b"
}
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

if [ -d "$SHARED/data/alpaca_eval" ]; then
	A=$SHARED/data/alpaca_eval
	SRC="real AlpacaEval outputs (../shared/data/alpaca_eval)"
	TEACH="$A/gpt4_0314.jsonl.gz $A/gpt-3.5-turbo-0301.jsonl.gz $A/text_davinci_003.jsonl.gz $A/gpt-4-turbo-2024-04-09.jsonl.gz $A/claude.jsonl.gz $A/claude-2.jsonl.gz $A/claude-3-opus-20240229.jsonl.gz $A/gemini-pro.jsonl.gz"
	REFS="$A/guanaco-65b.jsonl.gz $A/llama-2-70b-chat-hf.jsonl.gz $A/humpback-llama2-70b.jsonl.gz $A/Meta-Llama-3-70B-Instruct.jsonl.gz $A/Mistral-7B-Instruct-v0.2.jsonl.gz $A/cohere.jsonl.gz $A/dbrx-instruct.jsonl.gz $A/Yi-34B-Chat.jsonl.gz $A/chatglm2-6b.jsonl.gz $A/baichuan-13b-chat.jsonl.gz $A/internlm2-chat-20b-ppo.jsonl.gz"
	SUSPECTS="$A/alpaca-7b.jsonl.gz $A/vicuna-13b.jsonl.gz $A/wizardlm-13b.jsonl.gz $A/openchat-13b.jsonl.gz $A/claude2-alpaca-13b.jsonl.gz $A/aligner-2b_gpt-4-turbo-2024-04-09.jsonl.gz $A/gpt4_0613.jsonl.gz $A/guanaco-33b.jsonl.gz $A/llama-2-13b-chat-hf.jsonl.gz $A/oasst-sft-pythia-12b.jsonl.gz $A/deepseek-llm-67b-chat.jsonl.gz $A/Qwen1.5-72B-Chat.jsonl.gz $A/Mixtral-8x7B-Instruct-v0.1.jsonl.gz"
	ALL=$(ls "$A"/*.jsonl.gz | tr "\n" " ")
else
	SRC="generated data (../shared/data absent): 25 models x 800 prompts"
	mkdir -p "$W/gen"
	for m in $(seq 1 25); do
		awk -v m="$m" 'BEGIN { srand(m); split("the a model answer river stone light garden market winter signal forest engine letter bridge harbor circle ladder mirror pocket silver thunder velvet window anchor candle desert feather glacier island", v, " ");
			for (p = 0; p < 800; p++) { r = ""; n = 60 + int(rand() * 240); for (k = 0; k < n; k++) r = r " " v[1 + int(rand() * 30)];
				printf "{\"id\": \"g%03d\", \"prompt\": \"Question number %d about %s\", \"response\": \"%s.\", \"model\": \"gen%02d\"}\n", p, p, v[1 + p % 30], r, m } }' | gzip -c >"$W/gen/m$m.jsonl.gz"
	done
	G=$W/gen
	TEACH="$G/m1.jsonl.gz $G/m2.jsonl.gz $G/m3.jsonl.gz $G/m4.jsonl.gz $G/m5.jsonl.gz $G/m6.jsonl.gz $G/m7.jsonl.gz $G/m8.jsonl.gz"
	REFS="$G/m9.jsonl.gz $G/m10.jsonl.gz $G/m11.jsonl.gz $G/m12.jsonl.gz"
	SUSPECTS=$(for m in $(seq 13 25); do printf "%s " "$G/m$m.jsonl.gz"; done)
	ALL=$(ls "$G"/*.jsonl.gz | tr "\n" " ")
fi
echo "provenance bench on $SRC; $(nproc) cores; $(uname -m)"

# 1. reading the text: the yardstick
BYTES=$(zcat $ALL | wc -c)
T_WC=$(best sh -c "zcat $ALL | wc -w")
MB=$(calc "$BYTES / 1000000")
printf 'read:    zcat | wc -w       %6.2f s  %6.1f MB/s of uncompressed JSON (%.1f MB)\n' "$T_WC" "$(calc "$MB / $T_WC")" "$MB"

# 2. import everything (one transaction per file), with 1 thread and with all cores
imp() { rm -f "$W/i.db" "$W/i.db-wal" "$W/i.db-shm"; "$PROV" --db "$W/i.db" corpus import -j "$1" $ALL; }
for j in 1 $(nproc); do
	T=$(best imp "$j")
	printf 'import:  -j %-2s              %6.2f s  %6.1f MB/s  = %.2f x the wc -w rate; %.1f x the wc -w time\n' "$j" "$T" \
		"$(calc "$MB / $T")" "$(calc "$T_WC / $T")" "$(calc "$T / $T_WC")"
done
printf 'import:  database size      %6.1f MB for %s responses\n' "$(calc "$(stat -c %s "$W/i.db") / 1000000")" "$(sqlite3 "$W/i.db" 'SELECT count(*) FROM responses' 2>/dev/null || echo '?')"

# 3. the dev corpus (8 teachers, 11 references; each reference its own family here), its preparation
#    (once per corpus), one suspect's scan
DB=$W/c.db
for f in $TEACH; do
	case $f in *claude*) fam=anthropic ;; *gemini*) fam=google ;; *) fam=openai ;; esac
	"$PROV" --db "$DB" corpus import --role teacher --family "$fam" "$f" >/dev/null
done
for f in $REFS; do
	"$PROV" --db "$DB" corpus import --role reference --family "$(basename "$f" .jsonl.gz)" "$f" >/dev/null
done
FIRST=$(echo $SUSPECTS | cut -d" " -f1)
cp "$DB" "$W/fresh.db"
prep() { cp "$W/fresh.db" "$W/p.db"; "$PROV" --db "$W/p.db" scan -o /dev/null "$FIRST"; }
T_PREP=$(best prep)
printf 'prepare: first scan of a new corpus snapshot %6.2f s (corpus-only work, then cached)\n' "$T_PREP"
"$PROV" --db "$DB" scan -o /dev/null "$FIRST" >/dev/null 2>&1
N=$(zcat "$FIRST" | wc -l)
SB=$(zcat "$FIRST" | wc -c)
T_SCAN=$(best "$PROV" --db "$DB" scan -o /dev/null "$FIRST")
T_SWC=$(best sh -c "zcat $FIRST | wc -w")
printf 'scan:    one suspect         %6.3f s  %6.0f answers/s (%s answers against 19 models) = %.2f x the wc -w rate\n' \
	"$T_SCAN" "$(calc "$N / $T_SCAN")" "$N" "$(calc "$T_SWC / $T_SCAN")"
PROVENANCE_TIMING=1 "$PROV" --db "$DB" scan -o /dev/null "$FIRST" 2>&1 | grep timing | sed 's/^/         /'
printf 'memory:  peak RSS: import %s KB, first scan %s KB, scan %s KB\n' \
	"$(rm -f "$W/m.db"*; peak_kb "$PROV" --db "$W/m.db" corpus import $ALL)" \
	"$(cp "$W/fresh.db" "$W/p.db"; peak_kb "$PROV" --db "$W/p.db" scan -o /dev/null "$FIRST")" \
	"$(peak_kb "$PROV" --db "$DB" scan -o /dev/null "$FIRST")"

# 4. audit of all suspects, 1 thread and all cores (the corpus preparation is cached in $DB by now)
if "$PROV" audit --help >/dev/null 2>&1; then
	mkdir -p "$W/sus"
	for f in $SUSPECTS; do ln -sf "$f" "$W/sus/"; done
	NS=$(echo $SUSPECTS | wc -w)
	ALLB=$(zcat $SUSPECTS | wc -c)
	T_AWC=$(best sh -c "zcat $SUSPECTS | wc -w")
	aud() { rm -f "$W/e.db"*; "$PROV" --db "$DB" audit -j "$1" --evidence "$W/e.db" -o /dev/null "$W/sus"; }
	T1=$(best aud 1)
	TN=$(best aud "$(nproc)")
	printf 'audit:   %s suspects -j 1   %6.2f s  %5.2f files/s = %.2f x the wc -w rate\n' "$NS" "$T1" "$(calc "$NS / $T1")" "$(calc "$T_AWC / $T1")"
	printf 'audit:   %s suspects -j %s   %6.2f s  %5.2f files/s = %.2f x the wc -w rate; speed-up %.2f\n' "$NS" "$(nproc)" "$TN" "$(calc "$NS / $TN")" "$(calc "$T_AWC / $TN")" "$(calc "$T1 / $TN")"
	printf 'memory:  peak RSS: audit -j %s %s KB\n' "$(nproc)" "$(rm -f "$W/e.db"*; peak_kb "$PROV" --db "$DB" audit --evidence "$W/e.db" -o /dev/null "$W/sus")"
fi

# 5. growth with the panel: generated corpora of 1x, 4x and 16x (tests/bench/gencorpus: 25, 100, 400
#    models, a tenth of them teachers, 805 / 2,415 / 7,245 prompts, 805 answers per model), without
#    and with a memory limit ($BENCH_MEMORY, default 128M)
if [ -n "${GENCORPUS:-}" ] && [ -x "$GENCORPUS" ] && [ "${BENCH_GROWTH:-1}" != 0 ]; then
	CAP=${BENCH_MEMORY:-128M}
	echo "growth: generated corpora (first scan = corpus preparation + scan; cached = preparation from the cache;"
	echo "        capped = the same with --memory $CAP: answers read in chunks when they do not fit)"
	printf '  %-5s %7s %7s %8s %12s %8s %12s %8s %13s %8s %13s %8s\n' scale models prompts answers "first scan" "peak MB" \
		"cached scan" "peak MB" "capped first" "peak MB" "capped cached" "peak MB"
	rows=""
	for s in 1 4 16; do
		G=$W/g$s
		mkdir -p "$G"
		"$GENCORPUS" "$s" "$G"
		DBG=$W/g$s.db
		tail -n +2 "$G/roles.tsv" | awk -F'\t' -v d="$G" '{ k = $3 " " $4; a[k] = a[k] " " d "/" $1 } END { for (k in a) print k a[k] }' |
			sort | while read -r role fam files; do
				# shellcheck disable=SC2086
				"$PROV" --db "$DBG" corpus import -j "$(nproc)" --role "$role" --family "$fam" $files >/dev/null
			done
		head -805 "$G/m0003.jsonl" | sed 's/gen0003/suspect/' >"$W/sus$s.jsonl"
		np=$(sqlite3 "$DBG" 'SELECT count(*) FROM prompts' 2>/dev/null || echo '?')
		na=$(sqlite3 "$DBG" 'SELECT count(*) FROM responses' 2>/dev/null || echo '?')
		nm=$(ls "$G"/*.jsonl | wc -l)
		cp "$DBG" "$W/cold.db"
		t0=$(now)
		m1=$(/usr/bin/time -f %M "$PROV" --db "$W/cold.db" scan -o /dev/null "$W/sus$s.jsonl" 2>&1 >/dev/null | tail -1)
		t1=$(now)
		tf=$(calc "$t1 - $t0")
		t0=$(now)
		m2=$(/usr/bin/time -f %M "$PROV" --db "$W/cold.db" scan -o /dev/null "$W/sus$s.jsonl" 2>&1 >/dev/null | tail -1)
		t1=$(now)
		tc=$(calc "$t1 - $t0")
		cp "$DBG" "$W/cap.db"
		t0=$(now)
		m3=$(/usr/bin/time -f %M "$PROV" --memory "$CAP" --db "$W/cap.db" scan -o /dev/null "$W/sus$s.jsonl" 2>&1 >/dev/null | tail -1)
		t1=$(now)
		tk=$(calc "$t1 - $t0")
		t0=$(now)
		m4=$(/usr/bin/time -f %M "$PROV" --memory "$CAP" --db "$W/cap.db" scan -o /dev/null "$W/sus$s.jsonl" 2>&1 >/dev/null | tail -1)
		t1=$(now)
		tq=$(calc "$t1 - $t0")
		printf '  %-5s %7s %7s %8s %10.2f s %8.0f %10.2f s %8.0f %11.2f s %8.0f %11.2f s %8.0f\n' "${s}x" "$nm" "$np" "$na" \
			"$tf" "$(calc "$m1 / 1024")" "$tc" "$(calc "$m2 / 1024")" "$tk" "$(calc "$m3 / 1024")" "$tq" "$(calc "$m4 / 1024")"
		rm -f "$W/cap.db"*
		rows="$rows $na:$tf:$tc"
		# audit throughput against this corpus (its preparation cached): 4 suspects of 805 answers
		if [ "$s" = 16 ]; then
			mkdir -p "$W/asus"
			for k in 4 5 6 7; do
				head -805 "$G/m000$k.jsonl" | sed "s/gen000$k/suspect$k/" >"$W/asus/s$k.jsonl"
			done
			t0=$(now)
			"$PROV" --db "$W/cold.db" audit -j "$(nproc)" --evidence "$W/ae.db" -o /dev/null "$W/asus" >/dev/null 2>&1
			t1=$(now)
			ta=$(calc "$t1 - $t0")
			audit_line=$(printf '  audit against the 16x corpus (cached): 4 suspects of 805 answers, -j %s: %.2f s = %.0f suspects an hour' \
				"$(nproc)" "$ta" "$(calc "4 * 3600 / $ta")")
			rm -rf "$W/asus" "$W/ae.db"*
		fi
		rm -f "$W/cold.db"* "$DBG"* ; rm -rf "$G"
	done
	# the growth exponent: slope of log(time) against log(answers) from 1x to 16x
	set -- $rows
	a1=${1%%:*}; r1=${1#*:}; f1=${r1%%:*}; c1=${r1#*:}
	a3=${3%%:*}; r3=${3#*:}; f3=${r3%%:*}; c3=${r3#*:}
	printf '  growth exponent in answers, 1x to 16x: first scan %.2f, cached scan %.2f (1.0 = linear)\n' \
		"$(calc "log($f3 / $f1) / log($a3 / $a1)")" "$(calc "log($c3 / $c1) / log($a3 / $a1)")"
	[ -z "${audit_line:-}" ] || echo "$audit_line"
fi
