#!/bin/sh
# docs/case-study.sh: re-run the DeepSeek case study (docs/case-study.md) end to end.
#
#   sh docs/case-study.sh            print every number and excerpt of docs/case-study.md, as Markdown
#   sh docs/case-study.sh --check    the same, then compare it with the sections pasted in the document
#
# What it does: builds the corpora from the public model outputs in ../shared/data (next to this
# repository; or $PROVENANCE_SHARED/data) in a temporary directory, runs `provenance scan
# --format json` for every suspect, and turns the JSON into the Markdown sections that
# docs/case-study.md pastes between "<!-- case-study.sh: NAME -->" and "<!-- /case-study.sh -->".
# Apart from building ./provenance when it is missing, nothing is written outside the temporary
# directory, which is removed at the end (KEEP=1 keeps it and prints where it is).
#
# Needs: python3 (standard library only: it reads the JSON reports and the data files), a POSIX
# shell, and the provenance binary: $PROVENANCE_BIN, else ./provenance in the repository (built
# with `make` when it is missing). The data are never part of the repository.
set -eu

CHECK=0
case "${1:-}" in
--check) CHECK=1 ;;
'') ;;
-h | --help)
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
*)
	echo "usage: sh docs/case-study.sh [--check]" >&2
	exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${PROVENANCE_SHARED:-$ROOT/../shared}
DATA=$SHARED/data
DOC=$ROOT/docs/case-study.md

if ! command -v python3 >/dev/null 2>&1; then
	echo "case-study.sh: python3 is required (it parses the JSON reports); install it (Debian: apt-get install python3)" >&2
	exit 2
fi
for d in arena_hard_el arena_hard_en alpaca_eval; do
	if [ ! -d "$DATA/$d" ]; then
		echo "case-study.sh: the model outputs are missing: $DATA/$d is not a directory." >&2
		echo "case-study.sh: the data are never committed; put them in ../shared/data next to the repository, or set PROVENANCE_SHARED to the folder that holds data/." >&2
		exit 2
	fi
done
if [ ! -f "$DATA/labels.tsv" ]; then
	echo "case-study.sh: $DATA/labels.tsv is missing (see ../shared/data/README.md)" >&2
	exit 2
fi

PROV=${PROVENANCE_BIN:-$ROOT/provenance}
if [ ! -x "$PROV" ]; then
	echo "case-study.sh: $PROV not found; building it with make" >&2
	make -C "$ROOT" >&2
fi
if [ ! -x "$PROV" ]; then
	echo "case-study.sh: no provenance binary at $PROV" >&2
	exit 2
fi

START=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/case-study.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "case-study.sh: keeping $WORK" >&2
else
	trap 'rm -rf "$WORK"' EXIT
	trap 'exit 130' INT TERM
fi

# Fixed clock and no progress line: the same inputs give the same reports.
export SOURCE_DATE_EPOCH=1700000000 PROVENANCE_PROGRESS=0
unset PROVENANCE_DB

# ---- corpora: one database per panel --------------------------------------------------------

# add DB ROLE FAMILY FILE: import one data file (the model is named after the file).
add() {
	m=$(basename "$4" .jsonl.gz)
	"$PROV" --db "$WORK/$1.db" corpus import --model "$m" --role "$2" --family "$3" "$DATA/$4" >/dev/null
}
# scan KEY DB FILE: scan one suspect file; the JSON report goes to $WORK/KEY.json.
scan() {
	"$PROV" --db "$WORK/$2.db" scan --format json --name "$1" -o "$WORK/$1.json" "$3" 2>>"$WORK/scan.log"
}
# family of a model that is not a teacher: its maker.
maker() {
	case $1 in
	llama*) echo meta ;;
	qwen* | Qwen*) echo qwen ;;
	deepseek*) echo deepseek ;;
	*) echo "$1" ;;
	esac
}

EL=arena_hard_el
EN=arena_hard_en
el_teachers() {
	add "$1" teacher openai $EL/gpt-4o.jsonl.gz
	add "$1" teacher openai $EL/gpt-4o-mini.jsonl.gz
	add "$1" teacher anthropic $EL/claude-3.5-sonnet-v2.jsonl.gz
}
en_teachers() {
	add "$1" teacher openai $EN/gpt-4o-2024-05-13.jsonl.gz
	add "$1" teacher openai $EN/gpt-4o-2024-08-06.jsonl.gz
	add "$1" teacher openai $EN/gpt-4-turbo-2024-04-09.jsonl.gz
	add "$1" teacher anthropic $EN/claude-3-5-sonnet-20240620.jsonl.gz
	add "$1" teacher anthropic $EN/claude-3-5-sonnet-20241022.jsonl.gz
}
# refs DB SET MODEL...: the other non-teacher models of the set, as references of their maker's family.
refs() {
	db=$1
	set_=$2
	shift 2
	for m in "$@"; do
		add "$db" reference "$(maker "$m")" "$set_/$m.jsonl.gz"
	done
}

echo "case-study.sh: building the corpora and scanning (about 40 seconds)" >&2

# Greek. DeepSeek-R1 against GPT-4o, GPT-4o-mini, Claude 3.5 Sonnet; the control is Llama 3.1 70B.
el_teachers el_ds
refs el_ds $EL llama-3.1-70b
scan deepseek-reasoner el_ds "$DATA/$EL/deepseek-reasoner.jsonl.gz"
# The same, on the answers DeepSeek-R1 wrote in Greek only (it answered some prompts in English).
python3 - "$DATA/$EL/deepseek-reasoner.jsonl.gz" "$WORK/deepseek-reasoner-greek.jsonl" <<'EOF'
import gzip, json, re, sys
FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        o = json.loads(line)
        text = FENCE.sub("", o["response"])
        greek = len(re.findall(r"[\u0370-\u03ff\u1f00-\u1fff]", text))
        latin = len(re.findall(r"[A-Za-z]", text))
        if greek + latin and greek >= latin:
            out.write(line if line.endswith("\n") else line + "\n")
EOF
scan deepseek-reasoner-greek-only el_ds "$WORK/deepseek-reasoner-greek.jsonl"
# Llama 3.1 70B in DeepSeek-R1's place: same teachers, DeepSeek-R1 is the control.
el_teachers el_llama
refs el_llama $EL deepseek-reasoner
scan llama-3.1-70b-el el_llama "$DATA/$EL/llama-3.1-70b.jsonl.gz"

# English. DeepSeek-Coder-V2 against two GPT-4o snapshots, GPT-4 Turbo, two Claude 3.5 Sonnets;
# the controls are every other non-teacher model of the set.
en_teachers en_ds
refs en_ds $EN llama-3.1-8b-instruct llama-3.1-70b-instruct llama-3.1-405b-instruct-fp8 qwen2.5-72b-instruct
scan deepseek-coder-v2 en_ds "$DATA/$EN/deepseek-coder-v2.jsonl.gz"
# Qwen2.5 72B in its place (controls: the Llamas and DeepSeek-Coder-V2).
en_teachers en_qwen
refs en_qwen $EN llama-3.1-8b-instruct llama-3.1-70b-instruct llama-3.1-405b-instruct-fp8 deepseek-coder-v2
scan qwen2.5-72b-instruct en_qwen "$DATA/$EN/qwen2.5-72b-instruct.jsonl.gz"
# Llama 3.1 70B in its place (its own siblings 8B and 405B left out of the panel).
en_teachers en_llama
refs en_llama $EN qwen2.5-72b-instruct deepseek-coder-v2
scan llama-3.1-70b-instruct en_llama "$DATA/$EN/llama-3.1-70b-instruct.jsonl.gz"
# Sensitivity: DeepSeek-Coder-V2 and Qwen2.5 against the same panel, the Llamas only.
en_teachers en_llamas
refs en_llamas $EN llama-3.1-8b-instruct llama-3.1-70b-instruct llama-3.1-405b-instruct-fp8
scan deepseek-coder-v2-llama-panel en_llamas "$DATA/$EN/deepseek-coder-v2.jsonl.gz"
scan qwen2.5-72b-instruct-llama-panel en_llamas "$DATA/$EN/qwen2.5-72b-instruct.jsonl.gz"

# AlpacaEval: the labelled corpus of labels.tsv (its teachers and references); a teacher's family
# is its family column, a reference's its maker (the lineage that makes two models siblings).
awk -F '\t' '$3 == "alpaca_eval" && $4 == "teacher" { print $4, $5, $1 }
	$3 == "alpaca_eval" && $4 == "reference" { print $4, ($8 != "" ? $8 : $5), $1 }' "$DATA/labels.tsv" |
	while read -r role family file; do
		add ae "$role" "$family" "$file"
	done
for m in deepseek-llm-67b-chat Qwen1.5-72B-Chat Mixtral-8x7B-Instruct-v0.1 vicuna-13b claude2-alpaca-13b; do
	scan "$m" ae "$DATA/alpaca_eval/$m.jsonl.gz"
done

# One rendered report, to quote: the DeepSeek-Coder-V2 case is case 1 of its database.
"$PROV" --db "$WORK/en_ds.db" report 1 --format md -o "$WORK/deepseek-coder-v2.md"
"$PROV" --version >"$WORK/version.txt"

# ---- the Markdown sections ------------------------------------------------------------------

pyrc=0
python3 - "$WORK" "$DATA" "$DOC" "$CHECK" >"$WORK/sections.md" <<'EOF' || pyrc=$?
import glob, gzip, hashlib, json, os, re, sys

WORK, DATA, DOC, CHECK = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"

def load(key):
    with open(os.path.join(WORK, key + ".json"), encoding="utf-8") as f:
        return json.load(f)

def read_data(rel):
    with gzip.open(os.path.join(DATA, rel), "rt", encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]

# Numbers as the report prints them (docs/report-format.md, "Rendering rules").
def fp(p):
    if p is None:
        return "—"
    if p == 0:
        return "0"
    if p < 0.001:
        m, e = ("%.1e" % p).split("e")
        return "%se%d" % (m, int(e))
    if p < 0.1:
        s = "%.2g" % p
        return s
    s = ("%.3f" % p).rstrip("0").rstrip(".")
    return s

def fe(x):
    return "—" if x is None else "%.2f" % x

def fr(x):
    return "—" if x is None else ("%.3f" % x).rstrip("0").rstrip(".")

def cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")

def fence(text):
    n = 3
    for run in re.findall(r"`+", text):
        n = max(n, len(run) + 1)
    return "`" * n

out = []
def w(s=""):
    out.append(s)

sections = []
def begin(name):
    sections.append((name, len(out)))
    w("<!-- case-study.sh: %s -->" % name)
def end():
    w("<!-- /case-study.sh -->")
    w()

WORDS = re.compile(r"\w+", re.U)
def triples(text):
    t = [x.lower() for x in WORDS.findall(text)]
    return {tuple(t[i:i + 3]) for i in range(len(t) - 2)}

def prompt_share(match, prompt):
    m = triples(match)
    if not m:
        return 0.0
    return len(m & triples(prompt)) / len(m)

def clip(s, n, left=False):
    if len(s) <= n:
        return s
    return ("…" + s[-n:]) if left else (s[:n] + "…")

LABEL = {
    "deepseek-reasoner": ("DeepSeek-R1 (`deepseek-reasoner`)", "Arena-Hard, Greek", "accused"),
    "deepseek-reasoner-greek-only": ("DeepSeek-R1, answers written in Greek only", "Arena-Hard, Greek", "accused"),
    "llama-3.1-70b-el": ("Llama 3.1 70B", "Arena-Hard, Greek", "not accused"),
    "deepseek-coder-v2": ("DeepSeek-Coder-V2", "Arena-Hard, English", "accused"),
    "qwen2.5-72b-instruct": ("Qwen2.5 72B", "Arena-Hard, English", "not accused"),
    "llama-3.1-70b-instruct": ("Llama 3.1 70B", "Arena-Hard, English", "not accused"),
    "deepseek-coder-v2-llama-panel": ("DeepSeek-Coder-V2, Llama-only controls", "Arena-Hard, English", "accused"),
    "qwen2.5-72b-instruct-llama-panel": ("Qwen2.5 72B, Llama-only controls", "Arena-Hard, English", "not accused"),
    "deepseek-llm-67b-chat": ("DeepSeek LLM 67B Chat", "AlpacaEval, English", "accused"),
    "Qwen1.5-72B-Chat": ("Qwen1.5 72B Chat", "AlpacaEval, English", "not accused"),
    "Mixtral-8x7B-Instruct-v0.1": ("Mixtral 8x7B Instruct", "AlpacaEval, English", "not accused"),
    "vicuna-13b": ("Vicuna 13B (known: ChatGPT conversations)", "AlpacaEval, English", "documented distillation"),
    "claude2-alpaca-13b": ("claude2-alpaca 13B (known: Claude 2 answers)", "AlpacaEval, English", "documented distillation"),
}

def refs_of(d):
    return [m["model"] for m in d["corpus"]["models"] if m["role"] == "reference"]

# ---- versions ----
d0 = load("deepseek-coder-v2")
begin("versions")
with open(os.path.join(WORK, "version.txt"), encoding="utf-8") as f:
    version = f.read().strip()
w("| | |")
w("|---|---|")
w("| Tool | `%s` (engine %s) |" % (version, d0["tool"].get("engine", "—")))
w("| Pattern library SHA-256 | `%s` |" % d0["tool"]["patterns_sha256"])
seen = []
for key, name in [("deepseek-reasoner", "Greek corpus (DeepSeek-R1 scans)"),
                  ("llama-3.1-70b-el", "Greek corpus (Llama 3.1 70B scan)"),
                  ("deepseek-coder-v2", "English corpus (DeepSeek-Coder-V2 scan)"),
                  ("qwen2.5-72b-instruct", "English corpus (Qwen2.5 scan)"),
                  ("llama-3.1-70b-instruct", "English corpus (Llama 3.1 70B scan)"),
                  ("deepseek-coder-v2-llama-panel", "English corpus, Llama-only controls"),
                  ("deepseek-llm-67b-chat", "AlpacaEval corpus (labels.tsv)")]:
    w("| %s: snapshot SHA-256 | `%s` |" % (name, load(key)["corpus"]["snapshot_sha256"]))
w()
w("Every input file, with the SHA-256 of its bytes (`sha256sum` prints the same):")
w()
w("| File in ../shared/data | SHA-256 | Answers |")
w("|---|---|---:|")
files = sorted(glob.glob(os.path.join(DATA, "arena_hard_el", "*.jsonl.gz")) +
               glob.glob(os.path.join(DATA, "arena_hard_en", "*.jsonl.gz")))
with open(os.path.join(DATA, "labels.tsv"), encoding="utf-8") as f:
    labels = [l.rstrip("\n").split("\t") for l in f if l.strip()]
ae_used = {"deepseek-llm-67b-chat", "Qwen1.5-72B-Chat", "Mixtral-8x7B-Instruct-v0.1", "vicuna-13b",
           "claude2-alpaca-13b"}
for row in labels[1:]:
    if row[2] == "alpaca_eval" and (row[3] in ("teacher", "reference") or row[1] in ae_used):
        files.append(os.path.join(DATA, row[0]))
files.append(os.path.join(DATA, "labels.tsv"))
for path in files:
    with open(path, "rb") as f:
        raw = f.read()
    rel = os.path.relpath(path, DATA)
    n = "—"
    if rel.endswith(".gz"):
        n = str(sum(1 for l in gzip.decompress(raw).split(b"\n") if l.strip()))
    w("| %s | `%s` | %s |" % (rel, hashlib.sha256(raw).hexdigest(), n))
end()

# ---- helpers for the calibrated test (docs/method.md) ----
WORDS_V = {"strong": "strong evidence", "moderate": "moderate evidence", "weak": "weak evidence",
           "none": "no evidence", "inconclusive": "inconclusive"}

def ft(x):
    return "—" if x is None else "%.2f" % x

def top(d):
    # The teacher the report ranks first: the conclusion's teacher, else the first listed.
    name = d["conclusion"].get("teacher")
    for t in d["teachers"]:
        if t["model"] == name:
            return t
    return d["teachers"][0]

def cal(t):
    return t.get("calibration") or {}

def rank_s(t):
    c = cal(t)
    if c.get("rank") is None:
        return "—"
    return "%d of %d" % (c["rank"], c["null_models"] + 1)

def above(t):
    # The null models whose statistic is above the suspect's.
    c = cal(t)
    return [n["model"] for n in sorted(c.get("null") or [], key=lambda n: -n["statistic"])
            if n["statistic"] > c["statistic"]]

def above_s(t):
    ab = above(t)
    if len(ab) > 4:
        return "%d of the %d" % (len(ab), cal(t).get("null_models", 0))
    return ", ".join(ab) or "none"

def needed(t):
    pn = t.get("prompts_needed") or {}
    def one(x):
        return "no number" if x is None else str(x)
    return "%s / %s" % (one(pn.get("moderate")), one(pn.get("strong")))

def identical_s(t):
    i = t.get("identical") or {}
    return "%d of %d" % (i.get("count", 0), i.get("of", 0))

def changes(t):
    # The controls and families whose removal changes the verdict: "without X: weak (p 0.01)".
    r = t.get("robustness") or {}
    return ["without %s%s: %s (p = %s)" % ("the family " if w_["kind"] == "family" else "", w_["control"],
                                           w_["verdict"], fp(w_["p_value"]))
            for w_ in r.get("without") or [] if w_["verdict"] != t["verdict"]]

def stable_s(t):
    r = t.get("robustness") or {}
    if r.get("stable"):
        return "stable (%d controls tested)" % r.get("controls_tested", 0)
    return "; ".join(changes(t)) or "—"

def contaminated_s(t):
    cc = t.get("contaminated_controls") or []
    return "; ".join("%s (statistic %s, t = %s, p = %s)" % (c["model"], ft(c["statistic"]), ft(c["t"]), fp(c["p_value"]))
                     for c in cc)

# ---- the headlines, in words ----
def headline(key):
    d = load(key)
    name, data, status = LABEL[key]
    t = top(d)
    c = cal(t)
    v = d["conclusion"]["verdict"]
    if v in ("strong", "moderate", "weak"):
        s = "%s, %s: **%s** of resemblance to %s (%s) beyond the control models: t = %s, calibrated p = %s" % (
            name, data, WORDS_V[v], t["model"], t["family"], ft(t["score"]), fp(t["p_value"]))
    elif v == "inconclusive":
        s = "%s, %s: **inconclusive**: %s (%d null models against %s; t = %s, p = %s)" % (
            name, data, t.get("reason") or "—", c.get("null_models", 0), t["model"], ft(t["score"]), fp(t["p_value"]))
    else:
        s = "%s, %s: **no evidence**; the closest teacher, %s, gives t = %s, calibrated p = %s" % (
            name, data, t["model"], ft(t["score"]), fp(t["p_value"]))
    if v != "inconclusive":
        s += "; the suspect ranks %s among the null models" % rank_s(t)
        if above(t):
            s += " (below %s)" % above_s(t)
    ch = changes(t)
    if ch:
        s += "; the verdict depends on the panel: " + "; ".join(ch)
    return s + "."
begin("headlines")
w("The three DeepSeek models:")
w()
for key in ("deepseek-reasoner", "deepseek-coder-v2", "deepseek-llm-67b-chat"):
    w("- " + headline(key))
w()
w("The same test on models nobody accuses of distillation, and on two whose distillation is documented:")
w()
for key in ("llama-3.1-70b-el", "qwen2.5-72b-instruct", "llama-3.1-70b-instruct", "Qwen1.5-72B-Chat",
            "Mixtral-8x7B-Instruct-v0.1", "vicuna-13b", "claude2-alpaca-13b"):
    w("- " + headline(key))
end()

# ---- the summary table ----
begin("summary")
w("| Suspect | Data | Status | Controls (references) | Conclusion | Closest teacher | t | p (calibrated, corrected) | Rank among the null models | Identical answers | Without one control or family |")
w("|---|---|---|---|---|---|---:|---:|---:|---:|---|")
SUMMARY_KEYS = ["deepseek-reasoner", "deepseek-reasoner-greek-only", "llama-3.1-70b-el",
                "deepseek-coder-v2", "qwen2.5-72b-instruct", "llama-3.1-70b-instruct",
                "deepseek-coder-v2-llama-panel", "qwen2.5-72b-instruct-llama-panel",
                "deepseek-llm-67b-chat", "Qwen1.5-72B-Chat", "Mixtral-8x7B-Instruct-v0.1",
                "vicuna-13b", "claude2-alpaca-13b"]
for key in SUMMARY_KEYS:
    d = load(key)
    name, data, status = LABEL[key]
    t = top(d)
    conc = d["conclusion"]["verdict"]
    refs = refs_of(d)
    refs_s = ", ".join(refs) if len(refs) <= 4 else "the %d references of labels.tsv" % len(refs)
    w("| %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | %s |" % (
        name, data, status, cell(refs_s), conc, t["model"], ft(t["score"]), fp(t["p_value"]),
        rank_s(t), identical_s(t), cell(stable_s(t))))
w()
w("The calibration behind each row: the closest teacher's null models, where the suspect stands among them, how many prompts would settle it, the controls that look derived from the teacher themselves, and the report's robustness sentence:")
w()
w("| Suspect | Closest teacher | Null models: number, mean (sd) | Suspect's statistic | Null models above the suspect | Prompts for moderate / strong | Contaminated controls | Robustness |")
w("|---|---|---|---:|---|---|---|---|")
for key in SUMMARY_KEYS:
    d = load(key)
    t = top(d)
    c = cal(t)
    w("| %s | %s | %d, %s (%s) | %s | %s | %s | %s | %s |" % (
        LABEL[key][0], t["model"], c.get("null_models", 0), ft(c.get("null_mean")), ft(c.get("null_sd")),
        ft(c.get("statistic")), cell(above_s(t)), needed(t), cell(contaminated_s(t) or "none"),
        cell((t.get("robustness") or {}).get("sentence", "—"))))
end()

# ---- one section per DeepSeek case ----
def case_section(key, suspect_file, nspans=3):
    d = load(key)
    susp = {str(o.get("id")): o for o in read_data(suspect_file)}
    s = d["suspect"]
    begin("case-" + key)
    w("Suspect file `%s`: %d answers, %d matched to the corpus's prompts (SHA-256 `%s`)." % (
        os.path.relpath(s["path"], DATA) if s["path"].startswith(DATA) else os.path.basename(s["path"]),
        s["responses"], s["matched"], s["sha256"]))
    w()
    w("| Model in the corpus | Family | Role | Answers |")
    w("|---|---|---|---:|")
    for m in d["corpus"]["models"]:
        w("| %s | %s | %s | %d |" % (m["model"], m["family"], m["role"], m["responses"]))
    w()
    w("| Teacher | Verdict | Statistic | Null models | Null mean (sd) | t | p (calibrated, corrected) | Rank | Identical answers | Prompts for moderate / strong | Closest control (descriptive) |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for t in d["teachers"]:
        c = cal(t)
        w("| %s (%s) | %s | %s | %d | %s (%s) | %s | %s | %s | %s | %s | %s |" % (
            t["model"], t["family"], t["verdict"], ft(c.get("statistic")), c.get("null_models", 0),
            ft(c.get("null_mean")), ft(c.get("null_sd")), ft(t["score"]), fp(t["p_value"]), rank_s(t),
            identical_s(t), needed(t), t.get("closest_control") or "—"))
    w()
    reasons = sorted({t["reason"] for t in d["teachers"] if t.get("reason")})
    for r in reasons:
        w("Why inconclusive: %s." % r)
        w()
    t = top(d)
    c = cal(t)
    w("The null models against %s (each a control model scanned as the suspect, on the suspect's prompts), with the suspect among them:" % t["model"])
    w()
    w("| Model | Statistic | Prompts | Looks derived from %s |" % t["model"])
    w("|---|---:|---:|---|")
    rows = [(n["statistic"], n["model"], str(n["prompts"]), "yes" if n.get("outlier") else "no") for n in c.get("null") or []]
    rows.append((c["statistic"], "**%s (suspect)**" % d["suspect"]["name"], str(t["n"]), "—"))
    for st, m, n, o in sorted(rows, key=lambda r: -r[0]):
        w("| %s | %s | %s | %s |" % (m, ft(st), n, o))
    w()
    r = t.get("robustness") or {}
    w("Robustness: %s" % r.get("sentence", "—"))
    w()
    wo = r.get("without") or []
    if wo:
        w("Verdict with each control and family left out in turn: %s." % "; ".join(
            "%s%s %s (p = %s)" % ("family " if x["kind"] == "family" else "", x["control"], x["verdict"], fp(x["p_value"]))
            for x in wo))
        w()
    cs = contaminated_s(t)
    w("Contaminated controls for %s: %s." % (t["model"], cs or "none"))
    w()
    if d.get("warnings"):
        w("The report's warnings:")
        w()
        for x in d["warnings"]:
            w("- " + cell(x))
        w()
    w("Signals for %s (descriptive: effect and p-value of the prompt-level test against each signal's closest control):" % t["model"])
    w()
    w("| Signal | Effect | p-value | Closest control | Detail |")
    w("|---|---:|---:|---|---|")
    for k, v in t["signals"].items():
        if not v.get("available", True):
            eff, p = "—", "not measurable"
        else:
            eff, p = fe(v.get("effect")), fp(v.get("p_value"))
        det = ""
        if k == "lexical":
            det = "similarity to the teacher %s, to the controls %s" % (fr(v.get("similarity_teacher")), fr(v.get("similarity_controls")))
        elif k == "style":
            det = "opens like the teacher in %s of answers (controls %s)" % (fr(v.get("opener_agreement")), fr(v.get("opener_agreement_controls")))
        elif k == "refusal":
            det = "%d refusals; %d on prompts the teacher also refused; %d of those with the teacher's template" % (
                v.get("suspect_refusals", 0), v.get("shared_with_teacher", 0), v.get("same_template", 0))
        elif k == "identity":
            det = "%d claims of the teacher's family; controls' rate %s" % (v.get("suspect_claims", 0), fr(v.get("control_rate")))
        elif k == "phrases":
            tops = v.get("top") or []
            det = ", ".join("%s\"%s\" %s / %s / %s" % ("opening " if p_.get("opening") else "", p_["phrase"], fr(p_.get("suspect_share")), fr(p_.get("teacher_share")), fr(p_.get("controls_share"))) for p_ in tops[:3])
            if det:
                det = "share of answers using it (suspect / teacher / controls): " + det
        w("| %s | %s | %s | %s | %s |" % (k, eff, p, v.get("closest_control") or "—", cell(det)))
    w()
    # shared passages with the top teacher
    shown, skipped = [], 0
    for sp in t["evidence"]["spans"]:
        pid = str(sp["prompt_id"])
        prompt = susp.get(pid, {}).get("prompt", "")
        share = prompt_share(sp["suspect"]["match"], prompt)
        if share >= 0.5:
            skipped += 1
            continue
        shown.append((sp, share))
    w("Longest passages shared word for word with %s (the tool's excerpts; passages mostly copied from the prompt are left out: %d):" % (t["model"], skipped))
    w()
    if not shown:
        w("None.")
        w()
    for sp, share in shown[:nspans]:
        w("Prompt `%s`: %d words shared; %d%% of the passage's word triples also occur in the prompt." % (
            sp["prompt_id"], sp["tokens"], round(100 * share)))
        w()
        for who, side in ((d["suspect"]["name"], sp["suspect"]), (t["model"], sp["teacher"])):
            text = clip(side["before"], 80, left=True) + "⟦" + clip(side["match"], 500) + "⟧" + clip(side["after"], 60)
            fz = fence(text)
            w("%s:" % who)
            w()
            w(fz + "text")
            w(text)
            w(fz)
            w()
    # refusals and identity claims, anywhere in the suspect's answers
    refs_ = d.get("refusals") or []
    fams, kinds = {}, {}
    for r_ in refs_:
        fams[r_.get("family") or "?"] = fams.get(r_.get("family") or "?", 0) + 1
        kinds[r_.get("kind") or "?"] = kinds.get(r_.get("kind") or "?", 0) + 1
    w("Refusals found in the suspect's answers: %d%s." % (len(refs_),
      (" (template family: " + ", ".join("%s %d" % (k, v) for k, v in sorted(fams.items())) +
       "; kind: " + ", ".join("%s %d" % (k, v) for k, v in sorted(kinds.items())) + ")") if fams else ""))
    texts = {}
    for r_ in refs_:
        texts.setdefault((r_.get("family"), r_.get("kind"), r_["text"]), []).append(str(r_["prompt_id"]))
    if texts:
        w()
        w("| Refusal sentence | Template family | Kind | Answers |")
        w("|---|---|---|---:|")
        for (fam, kind, tx), ids in sorted(texts.items(), key=lambda x: (-len(x[1]), x[0][2]))[:6]:
            w("| %s | %s | %s | %d |" % (cell(clip(tx, 120)), fam, kind, len(ids)))
    w()
    claims = d.get("identity_claims") or []
    strong = sum(1 for c_ in claims if c_.get("strength") == "strong")
    w("Identity and knowledge-cutoff claims found in the suspect's answers: %d (%d strong, %d weak)." % (
        len(claims), strong, len(claims) - strong))
    if claims:
        cnt = {}
        for c_ in claims:
            k_ = "%s %s %s" % (c_.get("claims"), c_.get("kind"), c_.get("strength"))
            cnt[k_] = cnt.get(k_, 0) + 1
        w()
        w("By family claimed, kind and strength: %s. Strong claims first, then knowledge cutoffs:" % "; ".join(
            "%s %d" % (k_, n_) for k_, n_ in sorted(cnt.items(), key=lambda x: (-x[1], x[0]))))
        w()
        w("| Prompt | Claims | Kind | Strength | Sentence |")
        w("|---|---|---|---|---|")
        order = sorted(range(len(claims)), key=lambda i_: (claims[i_].get("strength") != "strong",
                                                          claims[i_].get("kind") != "cutoff", i_))
        for c_ in [claims[i_] for i_ in order][:12]:
            w("| %s | %s | %s | %s | %s |" % (c_["prompt_id"], c_.get("claims"), c_.get("kind"), c_.get("strength"), cell(clip(c_["text"], 200))))
    end()

case_section("deepseek-reasoner", "arena_hard_el/deepseek-reasoner.jsonl.gz")
case_section("deepseek-coder-v2", "arena_hard_en/deepseek-coder-v2.jsonl.gz")
case_section("deepseek-llm-67b-chat", "alpaca_eval/deepseek-llm-67b-chat.jsonl.gz")
case_section("llama-3.1-70b-el", "arena_hard_el/llama-3.1-70b.jsonl.gz", nspans=1)

# ---- the one-reference flip: DeepSeek-Coder-V2 and Qwen2.5, with and without each other ----
begin("flip")
w("| Suspect | Controls (references) | Verdict | Closest teacher | t | p (calibrated, corrected) | Rank among the null models | Null models above the suspect | Stable | Without the other Chinese model (robustness) |")
w("|---|---|---|---|---:|---:|---:|---|---|---|")
for key, other in (("deepseek-coder-v2", "qwen2.5-72b-instruct"), ("deepseek-coder-v2-llama-panel", None),
                   ("qwen2.5-72b-instruct", "deepseek-coder-v2"), ("qwen2.5-72b-instruct-llama-panel", None)):
    d = load(key)
    t = top(d)
    r = t.get("robustness") or {}
    wo = "—"
    for x in r.get("without") or []:
        if other and x["control"] == other:
            wo = "%s (p = %s)" % (x["verdict"], fp(x["p_value"]))
    w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        LABEL[key][0], cell(", ".join(refs_of(d))), d["conclusion"]["verdict"], t["model"], ft(t["score"]),
        fp(t["p_value"]), rank_s(t), above_s(t), "yes" if r.get("stable") else "no", wo))
end()

# ---- identical answers: which ones ----
begin("identical")
IDW = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.U)
def idnorm(s):
    import unicodedata
    return IDW.findall(unicodedata.normalize("NFKD", s).casefold())
w("Answers identical to the teacher's answer to the same prompt, word for word (the report's count, and the answers themselves as this script finds them: the same word tokens, case, punctuation and markup ignored):")
w()
w("| Suspect | Teacher | Report's count | Prompt | Prompt text (start) | Answer |")
w("|---|---|---:|---|---|---|")
for key, sf, tf in (("deepseek-coder-v2", "arena_hard_en/deepseek-coder-v2.jsonl.gz", "arena_hard_en/gpt-4o-2024-08-06.jsonl.gz"),
                    ("qwen2.5-72b-instruct", "arena_hard_en/qwen2.5-72b-instruct.jsonl.gz", "arena_hard_en/gpt-4o-2024-05-13.jsonl.gz"),
                    ("deepseek-llm-67b-chat", "alpaca_eval/deepseek-llm-67b-chat.jsonl.gz", "alpaca_eval/gpt-3.5-turbo-0301.jsonl.gz"),
                    ("vicuna-13b", "alpaca_eval/vicuna-13b.jsonl.gz", "alpaca_eval/gpt-3.5-turbo-0301.jsonl.gz"),
                    ("Qwen1.5-72B-Chat", "alpaca_eval/Qwen1.5-72B-Chat.jsonl.gz", "alpaca_eval/gpt4_0314.jsonl.gz")):
    d = load(key)
    tm = os.path.basename(tf)[:-len(".jsonl.gz")]
    t = next(x for x in d["teachers"] if x["model"] == tm)
    S = {str(o["id"]): o for o in read_data(sf)}
    T = {str(o["id"]): o for o in read_data(tf)}
    hits = [i for i in sorted(S) if i in T and idnorm(S[i]["response"]) and idnorm(S[i]["response"]) == idnorm(T[i]["response"])]
    if not hits:
        w("| %s | %s | %s | — | — | — |" % (LABEL[key][0], tm, identical_s(t)))
    for n, i in enumerate(hits):
        w("| %s | %s | %s | %s | %s | %s |" % (LABEL[key][0] if n == 0 else "", tm if n == 0 else "",
          identical_s(t) if n == 0 else "", i[:8], cell(clip(S[i]["prompt"].strip(), 50)), cell(clip(S[i]["response"].strip(), 60)).replace("`", "\\`")))
end()

# ---- GPT's refusal sentence in the English set ----
begin("refusal-template")
SENT = "I'm sorry, but I can't assist with that request."
en = {}
for path in sorted(glob.glob(os.path.join(DATA, "arena_hard_en", "*.jsonl.gz"))):
    m = os.path.basename(path)[:-len(".jsonl.gz")]
    en[m] = {str(o["id"]): o for o in read_data(os.path.relpath(path, DATA))}
w("Answers in the English set that are exactly, or open with, GPT's one-line refusal \"%s\":" % SENT)
w()
w("| Model | Answers | With the sentence |")
w("|---|---:|---:|")
for m, rows in en.items():
    n = sum(1 for o in rows.values() if o["response"].strip().startswith(SENT))
    w("| %s | %d | %d |" % (m, len(rows), n))
w()
ds = en["deepseek-coder-v2"]
hits = [i for i, o in ds.items() if o["response"].strip().startswith(SENT)]
answered = {m: sum(1 for i in hits if not en[m][i]["response"].strip().startswith("I'm sorry")) for m in
            ("gpt-4o-2024-05-13", "gpt-4o-2024-08-06")}
w("Of the %d prompts DeepSeek-Coder-V2 declined with this sentence, GPT-4o answered %d (2024-05-13) and %d (2024-08-06). The first ten, with the opening of GPT-4o's (2024-08-06) answer:" % (
    len(hits), answered["gpt-4o-2024-05-13"], answered["gpt-4o-2024-08-06"]))
w()
w("| Prompt | Prompt text (start) | GPT-4o 2024-08-06 answered |")
w("|---|---|---|")
for i in sorted(hits)[:10]:
    w("| %s | %s | %s |" % (i[:8], cell(clip(ds[i]["prompt"].strip(), 70)), cell(clip(en["gpt-4o-2024-08-06"][i]["response"].strip(), 60))))
end()

# ---- what the Greek data are ----
begin("greek-data")
el = {}
for path in sorted(glob.glob(os.path.join(DATA, "arena_hard_el", "*.jsonl.gz"))):
    m = os.path.basename(path)[:-len(".jsonl.gz")]
    el[m] = {str(o["id"]): o for o in read_data(os.path.relpath(path, DATA))}
FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
def greek_share(text):
    text = FENCE.sub("", text)
    g = len(re.findall(r"[\u0370-\u03ff\u1f00-\u1fff]", text))
    l = len(re.findall(r"[A-Za-z]", text))
    return None if g + l == 0 else g / (g + l)
w("| Model | Answers | Written mostly in Greek | Mostly in English (under 10% Greek letters) | Median length (words) |")
w("|---|---:|---:|---:|---:|")
for m, rows in el.items():
    shares = [greek_share(o["response"]) for o in rows.values()]
    gr = sum(1 for s in shares if s is not None and s >= 0.5)
    enl = sum(1 for s in shares if s is None or s < 0.1)
    lens = sorted(len(o["response"].split()) for o in rows.values())
    w("| %s | %d | %d | %d | %d |" % (m, len(rows), gr, enl, lens[len(lens) // 2]))
w()
w("Three prompts in both languages (same Arena-Hard `question_id`):")
w()
w("| Prompt | English original | Greek version |")
w("|---|---|---|")
for pid in ("01f0684ccac74fdea8f21080cb61d591", "03917c9052f0457c97e6114e810747a9", "3a8183050ec6472aa04dda7f88de483a"):
    w("| %s | %s | %s |" % (pid[:8], cell(en["gpt-4o-2024-08-06"][pid]["prompt"].strip()), cell(el["gpt-4o"][pid]["prompt"].strip())))
end()

# ---- a rendered report, quoted ----
begin("rendered-excerpt")
with open(os.path.join(WORK, "deepseek-coder-v2.md"), encoding="utf-8") as f:
    md = f.read().split("\n")
def between(lines, start, stop):
    i = next(k for k, l in enumerate(lines) if l.startswith(start))
    j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(stop))
    return lines[i:j]
part = between(md, "## 1. Summary", "### What this report does")
part += between(md, "### 3.1 ", "#### Signals")
part += between(md, "#### Refusals with the teacher", "#### Identity claims")
text = "\n".join(l for l in part).rstrip("\n")
fz = fence(text)
w(fz + "markdown")
w(text)
w(fz)
end()

sys.stdout.write("\n".join(out).rstrip("\n") + "\n")

if CHECK:
    # Compare each section with the one pasted in the document.
    gen = {}
    cur = None
    for line in "\n".join(out).split("\n"):
        m = re.match(r"<!-- case-study.sh: (\S+) -->$", line)
        if m:
            cur = m.group(1)
            gen[cur] = []
        elif line == "<!-- /case-study.sh -->":
            cur = None
        elif cur:
            gen[cur].append(line)
    try:
        with open(DOC, encoding="utf-8") as f:
            doc = f.read().split("\n")
    except OSError as e:
        sys.stderr.write("case-study.sh: cannot read %s: %s\n" % (DOC, e))
        sys.exit(1)
    have, cur = {}, None
    for line in doc:
        m = re.match(r"<!-- case-study.sh: (\S+) -->$", line)
        if m:
            cur = m.group(1)
            have[cur] = []
        elif line == "<!-- /case-study.sh -->":
            cur = None
        elif cur:
            have[cur].append(line)
    bad = 0
    for name, lines in gen.items():
        if name not in have:
            sys.stderr.write("case-study.sh: section %s is not in %s\n" % (name, DOC))
            bad += 1
        elif [l.rstrip() for l in have[name]] != [l.rstrip() for l in lines]:
            sys.stderr.write("case-study.sh: section %s differs from %s\n" % (name, DOC))
            bad += 1
    for name in have:
        if name not in gen:
            sys.stderr.write("case-study.sh: %s has a section %s that the script does not print\n" % (DOC, name))
            bad += 1
    sys.stderr.write("case-study.sh: %d of %d sections match the document\n" % (len(gen) - bad if bad <= len(gen) else 0, len(gen)))
    sys.exit(1 if bad else 0)
EOF
cat "$WORK/sections.md"
END=$(date +%s)
echo "case-study.sh: done in $((END - START)) s with $PROV" >&2
exit $pyrc
