#!/bin/sh
# tests/report-check.sh: render reports, check what a machine can check, and print them with
# headless Chromium (PNG and PDF) for a person to look at. `make report-check` runs it; it is not
# part of `make test` (it needs chromium and poppler-utils: apt-get install -y chromium
# poppler-utils; cmark-gfm, when installed, renders the Markdown too).
#
#   sh tests/report-check.sh [OUTDIR]          (default: build/report-check)
#
# Two reports: the fixture (tests/fixtures/report-sample.json, every field the renderers know)
# through TEST_RENDER (default: build/tests/test_render), and a real case: a corpus and a suspect
# from ../shared/data/alpaca_eval when present (else the bundled example), scanned by
# PROVENANCE_BIN (default: ./provenance) and rendered in each format.
# Checks: both renderings succeed; rendering twice gives the same bytes; the numbers do not
# change under a comma-decimal locale (built with localedef when none is installed); the HTML
# has no script, no external resource, and every section; the Markdown's fences balance (and
# cmark-gfm renders it without raw HTML); each PDF has its summary and table on page 1, the case
# id, short case hash and "page x of y" on every page, and no near-empty page but the last.
# Exit status 1 on any failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
out=${1:-$ROOT/build/report-check}
bin=${TEST_RENDER:-$ROOT/build/tests/test_render}
prov=${PROVENANCE_BIN:-$ROOT/provenance}
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - report-check: $1"; }
bad() { echo "not ok - report-check: $1"; fail=1; }

if [ ! -x "$bin" ] || [ ! -x "$prov" ]; then
	echo "report-check: $bin or $prov not found; build them with: make all unit" >&2
	exit 1
fi
mkdir -p "$out" || exit 1

# 1. render, twice
if "$bin" --write-html "$out/report.html" && "$bin" --write-md "$out/report.md" &&
   "$bin" --write-html "$tmp/again.html" && "$bin" --write-md "$tmp/again.md" &&
   "$bin" --write-html16 "$out/report16.html"; then
	ok "rendered $out/report.html, $out/report16.html (16 teachers) and $out/report.md"
else
	bad "rendering failed"
	exit 1
fi
if cmp -s "$out/report.html" "$tmp/again.html" && cmp -s "$out/report.md" "$tmp/again.md"; then
	ok "rendering twice gives the same bytes"
else
	bad "rendering twice gives different bytes"
fi

# 1b. a real case, rendered by the binary in each format
shared=${PROVENANCE_SHARED:-$ROOT/../shared}
db=$tmp/dev.db
(
	export PROVENANCE_DB=$db PROVENANCE_PROGRESS=0 SOURCE_DATE_EPOCH=1764000000
	if [ -d "$shared/data/alpaca_eval" ]; then
		d=$shared/data/alpaca_eval
		"$prov" -q corpus import --role teacher --family openai "$d/gpt-3.5-turbo-0301.jsonl.gz" \
			"$d/gpt4_0314.jsonl.gz" "$d/text_davinci_003.jsonl.gz" &&
		"$prov" -q corpus import --role teacher --family anthropic "$d/claude-2.jsonl.gz" &&
		"$prov" -q corpus import --role reference --family none "$d/guanaco-65b.jsonl.gz" \
			"$d/llama-2-70b-chat-hf.jsonl.gz" "$d/humpback-llama2-70b.jsonl.gz" &&
		"$prov" -q scan --format json -o "$tmp/dev.json" "$d/vicuna-13b.jsonl.gz"
	else
		e=$ROOT/examples
		"$prov" -q corpus import --role teacher --family openai "$e/corpus/example-gpt.jsonl" &&
		"$prov" -q corpus import --role teacher --family anthropic "$e/corpus/example-claude.jsonl" &&
		"$prov" -q corpus import --role reference --family none "$e/corpus/example-human-a.jsonl" \
			"$e/corpus/example-human-b.jsonl" &&
		"$prov" -q scan --format json -o "$tmp/dev.json" "$e/suspect-distilled.jsonl"
	fi &&
	"$prov" report 1 --format md -o "$out/case.md" &&
	"$prov" report 1 --format html -o "$out/case.html" &&
	"$prov" report 1 --format json -o "$out/case.json"
) >"$out/case.log" 2>&1
if [ $? -eq 0 ]; then
	ok "a real case rendered: $out/case.md, $out/case.html, $out/case.json"
else
	bad "the real case failed (see $out/case.log)"
fi

# 1c. Markdown: fences balance; cmark-gfm (if installed) makes no raw HTML of the values
for md in "$out/report.md" "$out/case.md"; do
	[ -s "$md" ] || continue
	if [ $(($(grep -c '^```' "$md") % 2)) -eq 0 ]; then
		ok "$(basename "$md"): the code fences balance"
	else
		bad "$(basename "$md"): an unclosed code fence"
	fi
	if command -v cmark-gfm >/dev/null 2>&1; then
		cmark-gfm -e table "$md" >"$md.html" 2>/dev/null
		if grep -q '<script' "$md.html"; then
			bad "$(basename "$md"): cmark-gfm renders a raw <script> tag"
		else
			ok "$(basename "$md"): cmark-gfm renders it ($md.html), no raw HTML from the values"
		fi
	fi
done

# 2. a comma-decimal locale must not change a byte
loc=
if locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
	loc=system
elif command -v localedef >/dev/null 2>&1 &&
     localedef -i de_DE -f UTF-8 "$tmp/de_DE.UTF-8" >/dev/null 2>&1; then
	loc=$tmp
fi
if [ -z "$loc" ]; then
	echo "skip - report-check: locale (no de_DE locale and no localedef)"
else
	if [ "$loc" != system ]; then
		LOCPATH=$loc
		export LOCPATH
	fi
	r=$("$bin" numbers_ignore_the_locale)
	case $r in
	ok*) ok "a comma-decimal locale changes nothing" ;;
	*) bad "locale: $r" ;;
	esac
	unset LOCPATH
fi

# 3. what the HTML must and must not contain
html=$out/report.html
if grep -qi '<script' "$html" || grep -qiE '(src|href)="(https?:|//)' "$html" ||
   grep -qi '@import' "$html"; then
	bad "the HTML has a script or an external resource"
else
	ok "the HTML is self-contained and has no script"
fi
n=$(grep -c '<section id="s[1-6]"' "$html")
[ "$n" -eq 6 ] && ok "the HTML has six sections" || bad "the HTML has $n sections, not 6"
grep -q '<figure class="tippett">' "$html" && ok "the HTML has the Tippett plot of the evidence strength" ||
	bad "the HTML has no Tippett plot (evidence_calibration.tippett)"

# 4. for a person: PNG and PDF through headless Chromium, and the PDF's pages checked
chromium=
for c in /usr/bin/chromium /usr/bin/chromium-browser; do
	[ -x "$c" ] && chromium=$c && break
done
# pdf_pages PDF CASEID HASH12 TEACHERS: page 1 holds the summary and its table (all TEACHERS rows);
# every page the header and
# "page i of n"; no page but the last is near-empty
pdf_pages() {
	n=$(pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p')
	[ -n "$n" ] || { bad "$(basename "$1"): pdfinfo cannot read it"; return; }
	ok "$(basename "$1"): $n pages"
	pdftotext -f 1 -l 1 -layout "$1" - >"$tmp/p1.txt"
	rows=$(grep -Ec '(strong|moderate|weak|no) evidence +-?[0-9.]+ |inconclusive +-?[0-9.]+ ' "$tmp/p1.txt")
	if grep -q 'Summary' "$tmp/p1.txt" && grep -qi 'Conclusion' "$tmp/p1.txt" &&
	   grep -Eq 'Teacher +Family +Verdict' "$tmp/p1.txt" && [ "$rows" -ge "$4" ]; then
		ok "$(basename "$1"): the summary and its table are on page 1"
	else
		bad "$(basename "$1"): page 1 lacks the summary or its table ($rows of $4 rows)"
	fi
	i=1
	missing=
	sparse=
	while [ "$i" -le "$n" ]; do
		pdftotext -f "$i" -l "$i" -layout "$1" - >"$tmp/p.txt"
		grep -q "Provenance report .* case $2" "$tmp/p.txt" && grep -q "case hash $3" "$tmp/p.txt" &&
			grep -q "page $i of $n" "$tmp/p.txt" || missing="$missing $i"
		[ "$i" -lt "$n" ] && [ "$(grep -c . "$tmp/p.txt")" -lt 15 ] && sparse="$sparse $i"
		i=$((i + 1))
	done
	if [ -z "$missing" ]; then
		ok "$(basename "$1"): every page carries case $2, hash $3 and page x of $n"
	else
		bad "$(basename "$1"): pages without the running header or page number:$missing"
	fi
	if [ -z "$sparse" ]; then
		ok "$(basename "$1"): no near-empty page"
	else
		bad "$(basename "$1"): near-empty pages:$sparse"
	fi
}
if [ -z "$chromium" ]; then
	echo "skip - report-check: chromium (install it with: apt-get install -y chromium poppler-utils)"
else
	to=
	command -v timeout >/dev/null 2>&1 && to="timeout 120"
	run_chromium() {
		page=$1
		shift
		$to "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$(mktemp -d "$tmp/profile.XXXXXX")" "$@" "file://$page" \
			>>"$out/chromium.log" 2>&1
	}
	: >"$out/chromium.log"
	for name in report report16 case; do
		html=$out/$name.html
		[ -s "$html" ] || continue
		if run_chromium "$html" --screenshot="$out/$name.png" --window-size=1200,3000 &&
		   [ -s "$out/$name.png" ]; then
			ok "screenshot: $out/$name.png"
		else
			bad "chromium could not take a screenshot of $name.html (see $out/chromium.log)"
		fi
		if run_chromium "$html" --no-pdf-header-footer --print-to-pdf="$out/$name.pdf" &&
		   [ -s "$out/$name.pdf" ]; then
			ok "PDF: $out/$name.pdf"
			if command -v pdftotext >/dev/null 2>&1; then
				nt=$(grep -c '"summary":' "$out/$name.json" 2>/dev/null)
				if [ "$name" = report ]; then
					cid=3 hash=4f7c0e5d2a6b nt=$(grep -c '"summary":' "$ROOT/tests/fixtures/report-sample.json")
				elif [ "$name" = report16 ]; then
					cid=3 hash=4f7c0e5d2a6b nt=16   # the docs' page-1 claim holds for 16 teachers
				else
					cid=1
					hash=$(sed -n 's/.*"hash": "\([0-9a-f]\{12\}\).*/\1/p' "$out/case.json" | head -n 1)
				fi
				pdf_pages "$out/$name.pdf" "$cid" "$hash" "${nt:-1}"
			else
				echo "skip - report-check: PDF pages (install poppler-utils)"
			fi
			if command -v pdftoppm >/dev/null 2>&1; then
				rm -f "$out/$name"-page-*.png
				pdftoppm -r 60 -png "$out/$name.pdf" "$out/$name-page" &&
					ok "one PNG per PDF page: $out/$name-page-*.png"
			fi
		else
			bad "chromium could not print $name.html to PDF (see $out/chromium.log)"
		fi
	done
fi
# 5. the supported way: provenance report CASE --format pdf (the renderer found in PATH)
if [ -n "$chromium" ] && [ -s "$out/case.json" ]; then
	if PROVENANCE_DB=$db PROVENANCE_PROGRESS=0 "$prov" report 1 --format pdf -o "$out/case-cli.pdf" \
		>>"$out/case.log" 2>&1 && [ "$(head -c 5 "$out/case-cli.pdf")" = "%PDF-" ]; then
		ok "provenance report 1 --format pdf: $out/case-cli.pdf"
		if command -v pdftotext >/dev/null 2>&1; then
			hash=$(sed -n 's/.*"hash": "\([0-9a-f]\{12\}\).*/\1/p' "$out/case.json" | head -n 1)
			pdf_pages "$out/case-cli.pdf" 1 "$hash" "$(grep -c '"summary":' "$out/case.json")"
		fi
	else
		bad "provenance report 1 --format pdf failed (see $out/case.log)"
	fi
fi
exit $fail
