#!/bin/sh
# The command line as git and curl users expect it: help, suggestions, --version everywhere,
# --, - for standard input, -q, --format json, scan on a terminal and --no-store, family names,
# import notices and --labels, audit --reports, the man page, completions and make install.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

load_example() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null 2>&1 &&
	prov corpus import --role teacher --family anthropic "$EX/corpus/example-claude.jsonl" >/dev/null 2>&1 &&
	prov corpus import --role reference --family none "$EX/corpus/example-human-a.jsonl" \
		"$EX/corpus/example-human-b.jsonl" >/dev/null 2>&1
}

# text as the man page writes it: "-" as "\-"
roff_esc() {
	sed 's/-/\\-/g'
}

# every command path: "scan", "corpus import", ... (help itself excluded)
command_paths() {
	for c in $(prov help --commands); do
		[ "$c" = help ] && continue
		if verbs=$(prov "$c" --commands 2>/dev/null); then
			for v in $verbs; do echo "$c $v"; done
		else
			echo "$c"
		fi
	done
}

test_expect "help, help COMMAND and help COMMAND VERB print the --help texts" '
	expect_code 0 prov help && check_contains out "usage: provenance [--db FILE] COMMAND" &&
	expect_code 0 prov help scan && cp out a &&
	expect_code 0 prov scan --help && check_same a out &&
	expect_code 0 prov help corpus import && cp out b &&
	expect_code 0 prov corpus import --help && check_same b out &&
	check_contains b "--labels FILE" &&
	expect_code 0 prov help help && check_contains out "Commands:" &&
	expect_code 0 prov corpus help import && check_same b out &&
	expect_code 0 prov help --commands && check_contains out "scan" && check_contains out "corpus" &&
	expect_code 0 prov corpus --commands && check_eq "$(tr "\n" " " <out)" "import list prompts remove " &&
	expect_code 2 prov help frobnicate && check_contains err "unknown command" &&
	expect_code 2 prov help scan extra words
'

test_expect "did you mean: near-miss commands, verbs and options" '
	expect_code 2 prov scna && check_contains err "unknown command '\''scna'\''; did you mean '\''scan'\''?" &&
	expect_code 2 prov verfiy && check_contains err "did you mean '\''verify'\''?" &&
	expect_code 2 prov help caess && check_contains err "did you mean '\''cases'\''?" &&
	expect_code 2 prov corpus lst && check_contains err "did you mean '\''list'\''?" &&
	expect_code 2 prov scan --fromat md x.jsonl && check_contains err "did you mean '\''--format'\''?" &&
	expect_code 2 prov --dbb x.db cases && check_contains err "did you mean '\''--db'\''?" &&
	expect_code 2 prov xyzzy && check_not_contains err "did you mean"
'

test_expect "--version on every command and sub-command: tool, engine, pattern library, SQLite" '
	expect_code 0 prov --version && cp out top &&
	check_contains top "provenance 0." && check_contains top "engine " &&
	grep -Eq "^pattern library sha256:[0-9a-f]{64} \(built-in\)$" top &&
	grep -Eq "^SQLite 3\.[0-9]+" top &&
	command_paths >paths && test "$(wc -l <paths)" -ge 10 &&
	while read -r p; do
		expect_code 0 prov $p --version || exit 1
		check_same out top || { echo "for: $p"; exit 1; }
	done <paths &&
	expect_code 0 prov corpus --version && check_same out top &&
	expect_code 0 prov help --version && check_same out top
'

test_expect "-- ends the options: a suspect file whose name starts with a dash" '
	load_example &&
	cp "$EX/suspect-distilled.jsonl" ./-odd.jsonl &&
	expect_code 2 prov scan --format json -odd.jsonl &&
	expect_code 0 prov scan --format json -- -odd.jsonl &&
	check_contains out "\"path\": \"-odd.jsonl\"" &&
	expect_code 0 prov inspect -- -odd.jsonl && check_contains out "WORDS" &&
	expect_code 0 prov -- cases && check_contains out "example-student"
'

test_expect "- reads standard input: scan, inspect and corpus import" '
	load_example &&
	prov scan --format json - <"$EX/suspect-distilled.jsonl" >from-stdin.json &&
	prov scan --format json "$EX/suspect-distilled.jsonl" >from-file.json &&
	check_contains from-stdin.json "\"path\": \"-\"" &&
	grep "\"sha256\"" from-stdin.json | head -1 >s1 && grep "\"sha256\"" from-file.json | head -1 >s2 &&
	check_same s1 s2 &&
	grep -A3 "\"conclusion\": {" from-stdin.json | grep -v "\"case\"" >c1 &&
	grep -A3 "\"conclusion\": {" from-file.json | grep -v "\"case\"" >c2 && check_same c1 c2 &&
	prov inspect - <"$EX/suspect-distilled.jsonl" >i1 && prov inspect "$EX/suspect-distilled.jsonl" >i2 &&
	check_same i1 i2 &&
	prov audit - <"$EX/suspect-distilled.jsonl" >a.md 2>/dev/null &&
	check_contains a.md "| - | example-student |" &&
	expect_code 0 prov --db other.db corpus import --model stdin-model --family openai - \
		<"$EX/corpus/example-gpt.jsonl" &&
	check_contains out "-: 40 responses imported" &&
	db_query other.db "SELECT path FROM sources" >paths && check_eq "$(cat paths)" "-" &&
	printf "{\"prompt\": 1}\n" | prov --db other.db corpus import --model x - >out 2>err || true &&
	check_contains err "(standard input):1:"
'

test_expect "-q/--quiet: no informational lines, results and errors still" '
	expect_code 0 prov -q corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" &&
	test ! -s out && test ! -s err &&
	expect_code 0 prov corpus import --quiet --role reference --family none "$EX/corpus/example-human-a.jsonl" &&
	test ! -s out &&
	expect_code 0 prov scan -q --format md -o r.md "$EX/suspect-distilled.jsonl" &&
	test ! -s err && test -s r.md &&
	expect_code 0 prov scan --format md -o r2.md "$EX/suspect-distilled.jsonl" &&
	check_contains err "report written to r2.md" &&
	expect_code 0 prov verify -q 1 && test ! -s out &&
	expect_code 0 prov merge -q m.db provenance.db && test ! -s out && test ! -s err &&
	expect_code 0 prov merge m2.db provenance.db && check_contains out "merged provenance.db#1" &&
	expect_code 0 prov verify 1 && check_contains out "intact" &&
	expect_code 3 prov -q scan "$FIXTURES/report-sample.json" && test -s err
'

test_expect "--format json for cases, verify, corpus list and corpus prompts (--json kept)" '
	load_example &&
	prov -q scan --format md -o r.md "$EX/suspect-distilled.jsonl" &&
	expect_code 0 prov cases --format json &&
	check_contains out "\"id\": 1" && check_contains out "\"verdict\":" && check_contains out "\"suspect_sha256\":" &&
	db_query :memory: "SELECT json_valid(CAST(readfile('\''out'\'') AS TEXT))" >v && check_eq "$(cat v)" 1 &&
	expect_code 0 prov cases --json && check_contains out "\"id\": 1" &&
	expect_code 0 prov verify 1 --format json && cp out vj &&
	check_contains vj "\"intact\": true" && check_contains vj "\"what\":" &&
	expect_code 0 prov verify --all --format json && check_contains out "\"case\": 1" &&
	expect_code 0 prov corpus list --format json && cp out l1 &&
	expect_code 0 prov corpus list --json && check_same out l1 &&
	check_contains l1 "\"model\": \"example-gpt\"" &&
	expect_code 0 prov corpus prompts --format json && check_contains out "\"prompt\":" &&
	head -c 1 out >first && check_eq "$(cat first)" "[" &&
	expect_code 0 prov corpus prompts && head -c 1 out >first && check_eq "$(cat first)" "{" &&
	expect_code 2 prov cases --format yaml && check_contains err "--format must be" &&
	expect_code 2 prov verify 1 --format xml &&
	expect_code 2 prov corpus list --format csv &&
	expect_code 2 prov corpus prompts --format md
'

test_expect "scan without -o: Markdown on a terminal, JSON into a pipe" '
	load_example &&
	prov scan "$EX/suspect-distilled.jsonl" >piped &&
	check_contains piped "\"schema\": \"provenance.report/1\"" &&
	script -qec "$PROVENANCE_BIN scan $EX/suspect-distilled.jsonl" /dev/null >tty 2>&1 </dev/null &&
	check_contains tty "# Provenance report" && check_not_contains tty "\"schema\"" &&
	script -qec "$PROVENANCE_BIN scan --format json $EX/suspect-distilled.jsonl" /dev/null >tty2 </dev/null &&
	check_contains tty2 "\"schema\""
'

test_expect "scan --no-store: nothing stored; the first line says so" '
	load_example &&
	expect_code 0 prov scan --no-store --format md "$EX/suspect-distilled.jsonl" &&
	head -n 1 out >first && check_contains first "Not a stored case" && check_contains first "no chain of custody" &&
	check_contains out "# Provenance report" &&
	expect_code 0 prov scan --no-store --format html "$EX/suspect-distilled.jsonl" &&
	check_contains out "<p class=\"unstored\">Not a stored case" &&
	expect_code 0 prov scan --no-store --format json "$EX/suspect-distilled.jsonl" &&
	check_contains out "\"stored\": false" &&
	expect_code 0 prov cases && check_contains out "No cases yet" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 0
'

test_expect "family names: one canonical form, compared case-insensitively" '
	expect_code 0 prov corpus import --role teacher --family OpenAI "$EX/corpus/example-gpt.jsonl" &&
	expect_code 0 prov corpus import --role teacher --family OPENAI "$EX/corpus/example-claude.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT DISTINCT family FROM models")" "openai" &&
	expect_code 0 prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" &&
	check_not_contains err "family changed"
'

test_expect "an import that changes a model says so on stderr; a new model without --role is told its role" '
	expect_code 0 prov corpus import --family openai "$EX/corpus/example-gpt.jsonl" &&
	check_contains err "new model example-gpt: role teacher (the default" &&
	expect_code 0 prov corpus import --family anthropic --role reference "$EX/corpus/example-gpt.jsonl" &&
	check_contains err "model example-gpt: family changed from openai to anthropic" &&
	check_contains err "model example-gpt: role changed from teacher to reference" &&
	expect_code 0 prov corpus import --role reference "$EX/corpus/example-human-a.jsonl" &&
	check_not_contains err "the default"
'

test_expect "corpus import --labels: the teachers and references of a labels file in one command" '
	mkdir -p data/sub &&
	cp "$EX/corpus/example-gpt.jsonl" "$EX/corpus/example-claude.jsonl" data/sub/ &&
	cp "$EX/corpus/example-human-a.jsonl" "$EX/corpus/example-human-b.jsonl" "$EX/suspect-distilled.jsonl" data/ &&
	printf "file\tmodel\tsource\trole\tfamily\tteacher\tstatus\tmaker\n" >data/labels.tsv &&
	printf "sub/example-gpt.jsonl\texample-gpt\tex\tteacher\tOpenAI\t\tD\topenai\n" >>data/labels.tsv &&
	printf "sub/example-claude.jsonl\texample-claude\tex\tteacher\tanthropic\t\tD\t\n" >>data/labels.tsv &&
	printf "example-human-a.jsonl\thuman-a\tex\treference\tnone\t\tD\tacme\n" >>data/labels.tsv &&
	printf "example-human-b.jsonl\thuman-b\tex\treference\tindependent\t\tI\t\n" >>data/labels.tsv &&
	printf "suspect-distilled.jsonl\tstudent\tex\tsuspect\topenai\texample-gpt\tD\t\n" >>data/labels.tsv &&
	expect_code 0 prov corpus import --labels data/labels.tsv &&
	check_contains err "1 row of another role" &&
	db_query provenance.db "SELECT name, family, role FROM models ORDER BY name" >models &&
	printf "example-claude|anthropic|teacher\nexample-gpt|openai|teacher\nhuman-a|acme|reference\nhuman-b|independent|reference\n" >want &&
	check_same models want &&
	expect_code 0 prov corpus import --labels data/labels.tsv && check_contains out "unchanged" &&
	(cd data && prov --db ../other.db corpus -- import --labels - <labels.tsv >../o2 2>&1) &&
	check_eq "$(db_query other.db "SELECT count(*) FROM models")" 4 &&
	expect_code 2 prov corpus import --labels data/labels.tsv --role teacher &&
	expect_code 2 prov corpus import --labels data/labels.tsv x.jsonl
'

test_expect "corpus import --labels: bad labels files" '
	printf "path\tmodel\n" >bad.tsv &&
	expect_code 3 prov corpus import --labels bad.tsv && check_contains err "bad.tsv:1: the header must name" &&
	: >empty.tsv &&
	expect_code 3 prov corpus import --labels empty.tsv && check_contains err "empty.tsv:1:" &&
	expect_code 4 prov corpus import --labels missing.tsv && check_contains err "missing.tsv: cannot open" &&
	printf "file\tmodel\trole\tfamily\nnothere.jsonl\tm\tteacher\topenai\n" >gone.tsv &&
	cp "$EX/corpus/example-gpt.jsonl" here.jsonl &&
	printf "here.jsonl\tgpt\tteacher\topenai\n" >>gone.tsv &&
	expect_code 4 prov corpus import --labels gone.tsv && check_contains err "nothere.jsonl" &&
	check_eq "$(db_query provenance.db "SELECT name FROM models")" "gpt" &&
	printf "file\tmodel\trole\tfamily\nx.jsonl\tm\n" >short.tsv &&
	expect_code 3 prov corpus import --labels short.tsv && check_contains err "short.tsv:2:"
'

test_expect "audit --reports DIR: one report per suspect, the bytes of report CASE; the summary ranked" '
	load_example &&
	mkdir sus && cp "$EX/suspect-independent.jsonl" sus/a-indie.jsonl &&
	cp "$EX/suspect-distilled.jsonl" sus/b-distilled.jsonl &&
	expect_code 0 prov audit --reports R sus &&
	test -f R/0001-a-indie.md && test -f R/0002-b-distilled.md &&
	prov report 1 --format md >r1.md && check_same R/0001-a-indie.md r1.md &&
	prov report 2 --format md >r2.md && check_same R/0002-b-distilled.md r2.md &&
	grep "^| 1 |" out | grep -q "b-distilled" && grep "^| 2 |" out | grep -q "a-indie" &&
	check_contains out "Ranked for triage" &&
	expect_code 0 prov audit --evidence e2.db --format json -o s.json --reports R2 --report-format html sus &&
	test -f R2/0002-b-distilled.html && check_contains s.json "\"rank\": 1" &&
	: >afile && expect_code 4 prov audit --reports afile sus &&
	expect_code 2 prov audit --reports R --report-format pdf sus
'

test_expect "the man page is made from the --help texts and names every command and option" '
	sh "$ROOT/docs/mkman.sh" "$PROVENANCE_BIN" >p.1 &&
	check_contains p.1 ".TH PROVENANCE 1" &&
	command_paths >paths &&
	while read -r p; do
		prov $p --help | sed -n "s/^usage: //p" | head -n 1 | roff_esc >u
		grep -qF "$(cat u)" p.1 || { echo "man page lacks the usage of: $p"; cat u; exit 1; }
	done <paths &&
	for o in --no-store --labels --reports --quiet --version --format; do
		grep -qF -- "$(echo "$o" | roff_esc)" p.1 || { echo "no $o"; exit 1; }
	done &&
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man -l p.1 >rendered 2>manerr && check_contains rendered "PROVENANCE SCAN" &&
		check_contains rendered "--no-store" && test ! -s manerr
	fi
'

test_expect "bash completion completes commands, verbs and options from the binary" '
	command -v bash >/dev/null 2>&1 || skip_because "no bash"
	cat >c.sh <<EOF
. "$ROOT/completion/provenance.bash"
complete_words() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); COMPREPLY=(); _provenance; echo "\${COMPREPLY[*]}"; }
complete_words "$PROVENANCE_BIN" sc
complete_words "$PROVENANCE_BIN" corpus im
complete_words "$PROVENANCE_BIN" scan --no-s
complete_words "$PROVENANCE_BIN" corpus import --lab
complete_words "$PROVENANCE_BIN" --db x.db ver
EOF
	bash c.sh >got &&
	printf "scan\nimport\n--no-store\n--labels\nverify\n" >want &&
	check_same got want
'

test_expect "bash completion: each command's own formats, --quiet once, no file names for a probe set or a case" '
	command -v bash >/dev/null 2>&1 || skip_because "no bash"
	cat >c.sh <<EOF
. "$ROOT/completion/provenance.bash"
complete_words() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); COMPREPLY=(); _provenance; echo "\${COMPREPLY[*]}"; }
complete_words "$PROVENANCE_BIN" scan --format ""
complete_words "$PROVENANCE_BIN" audit --report-format ""
complete_words "$PROVENANCE_BIN" corpus prompts --format ""
complete_words "$PROVENANCE_BIN" scan --qu
complete_words "$PROVENANCE_BIN" probe show ""
complete_words "$PROVENANCE_BIN" report ""
EOF
	touch afile &&
	bash c.sh >got &&
	printf "html json md pdf\nhtml json md\njson jsonl\n--quiet\nidentity refusal style\n\n" >want &&
	check_same got want
'

test_expect "help and man page: exit codes 7, 8 and 130, the environment, scan options, probe files" '
	sh "$ROOT/docs/mkman.sh" "$PROVENANCE_BIN" >p.1 &&
	expect_code 0 prov --help &&
	for t in "7 corpus changed" "8 out of memory" "130 interrupted (collect)" PROVENANCE_MEMORY PROVENANCE_THREADS \
		OPENAI_API_KEY PROVENANCE_MAX_RECORDS; do check_contains out "$t"; done &&
	for t in "8 out of memory" "130" PROVENANCE_MEMORY PROVENANCE_THREADS OPENAI_API_KEY PROVENANCE_MAX_INPUT; do
		check_contains p.1 "$t"; done &&
	check_contains p.1 "; 7" &&
	expect_code 0 prov scan --help && check_contains out "[--sign-key FILE] [--exclude-control NAME]" &&
	expect_code 0 prov probe --help && check_contains out "import\` reads the answers" &&
	expect_code 0 prov corpus import --help && check_contains out "--select" && check_contains out "JSON array"
'

test_expect "zsh completion completes commands, verbs, options and directories" '
	command -v zsh >/dev/null 2>&1 || skip_because "no zsh"
	cat >c.zsh <<EOF
compadd() { if [[ \$1 == -a ]]; then print -l -- \${(P)2}; else [[ \$1 == -- ]] && shift; print -l -- "\$@"; fi }
_files() { print FILES }
_directories() { print DIRS }
t() { words=("\$@"); CURRENT=\$#; source "$ROOT/completion/_provenance" | grep -E "^\$words[CURRENT]" | tr "\\\\n" " "; print }
t "$PROVENANCE_BIN" sc
t "$PROVENANCE_BIN" corpus im
t "$PROVENANCE_BIN" scan --no-s
t "$PROVENANCE_BIN" audit --reports D
EOF
	zsh c.zsh >got &&
	printf "scan \nimport \n--no-store \nDIRS \n" >want &&
	check_same got want
'

test_expect "make install DESTDIR=...: binary, man page, completions, docs" '
	[ "$PROVENANCE_BIN" = "$ROOT/provenance" ] || skip_because "not the default build"
	command -v make >/dev/null 2>&1 || skip_because "no make"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" install DESTDIR="$PWD/inst" PREFIX=/opt/p >log 2>&1 || { cat log; exit 1; }
	test -x inst/opt/p/bin/provenance &&
	test -s inst/opt/p/share/man/man1/provenance.1 &&
	test -s inst/opt/p/share/bash-completion/completions/provenance &&
	test -s inst/opt/p/share/zsh/site-functions/_provenance &&
	test -s inst/opt/p/share/doc/provenance/usage.md &&
	test -s inst/opt/p/share/doc/provenance/README.md &&
	inst/opt/p/bin/provenance --version >v && check_contains v "engine" &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" uninstall DESTDIR="$PWD/inst" PREFIX=/opt/p >log 2>&1 &&
	test ! -e inst/opt/p/bin/provenance
'

test_expect "quiet build rules: one line per step, V=1 the full command lines" '
	command -v make >/dev/null 2>&1 || skip_because "no make"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" BUILD="$PWD/b" "$PWD/b/cmd/main.o" >quiet 2>&1 &&
	check_eq "$(cat quiet)" "  CC      cmd/main.c" &&
	rm -f b/cmd/main.o &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$ROOT" BUILD="$PWD/b" V=1 "$PWD/b/cmd/main.o" >loud 2>&1 &&
	grep -q -- "-c -o $PWD/b/cmd/main.o cmd/main.c" loud && check_not_contains loud "  CC      "
'

test_expect "make demo shows each command it runs, as the reader would type it" '
	cp -R "$ROOT/examples" ex &&
	sh ex/demo.sh "$PROVENANCE_BIN" >demo.out 2>&1 &&
	check_contains demo.out "$ provenance corpus import --role teacher --family openai corpus/example-gpt.jsonl" &&
	check_contains demo.out "$ provenance scan --format md -o demo-report.md suspect-distilled.jsonl" &&
	check_contains demo.out "$ provenance verify --all" &&
	check_not_contains demo.out "$PROVENANCE_BIN"
'
