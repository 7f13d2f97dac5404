#!/bin/sh
# tests/report-check.sh: render the fixture report (tests/fixtures/report-sample.json) to
# Markdown and HTML, check what a machine can check, and, when Chromium is installed, print the
# HTML to PNG and PDF for a person to look at.
#
#   sh tests/report-check.sh [OUTDIR]          (default: build/report-check)
#
# TEST_RENDER names the renderer binary (default: build/tests/test_render, from `make unit`).
# Checks: both renderings succeed; rendering twice gives the same bytes; the numbers do not
# change under a comma-decimal locale (built with localedef when none is installed); the HTML
# has no script, no external resource, and every section. Exit status 1 on any failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
out=${1:-$ROOT/build/report-check}
bin=${TEST_RENDER:-$ROOT/build/tests/test_render}
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - report-check: $1"; }
bad() { echo "not ok - report-check: $1"; fail=1; }

if [ ! -x "$bin" ]; then
	echo "report-check: $bin not found; build it with: make unit" >&2
	exit 1
fi
mkdir -p "$out" || exit 1

# 1. render, twice
if "$bin" --write-html "$out/report.html" && "$bin" --write-md "$out/report.md" &&
   "$bin" --write-html "$tmp/again.html" && "$bin" --write-md "$tmp/again.md"; then
	ok "rendered $out/report.html and $out/report.md"
else
	bad "rendering failed"
	exit 1
fi
if cmp -s "$out/report.html" "$tmp/again.html" && cmp -s "$out/report.md" "$tmp/again.md"; then
	ok "rendering twice gives the same bytes"
else
	bad "rendering twice gives different bytes"
fi

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

# 4. for a person: PNG and PDF through headless Chromium
chromium=
for c in /usr/bin/chromium /usr/bin/chromium-browser; do
	[ -x "$c" ] && chromium=$c && break
done
if [ -z "$chromium" ]; then
	echo "skip - report-check: chromium (install it with: apt-get install -y chromium)"
else
	to=
	command -v timeout >/dev/null 2>&1 && to="timeout 120"
	run_chromium() {
		$to "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$(mktemp -d "$tmp/profile.XXXXXX")" "$@" "file://$html" \
			>>"$out/chromium.log" 2>&1
	}
	: >"$out/chromium.log"
	if run_chromium --screenshot="$out/report.png" --window-size=1200,3000 &&
	   [ -s "$out/report.png" ]; then
		ok "screenshot: $out/report.png"
	else
		bad "chromium could not take a screenshot (see $out/chromium.log)"
	fi
	if run_chromium --no-pdf-header-footer --print-to-pdf="$out/report.pdf" &&
	   [ -s "$out/report.pdf" ]; then
		pages=
		command -v pdfinfo >/dev/null 2>&1 &&
			pages=$(pdfinfo "$out/report.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
		ok "PDF: $out/report.pdf${pages:+ ($pages pages)}"
		if command -v pdftoppm >/dev/null 2>&1; then
			rm -f "$out"/page-*.png
			pdftoppm -r 60 -png "$out/report.pdf" "$out/page" &&
				ok "one PNG per PDF page: $out/page-*.png"
		fi
	else
		bad "chromium could not print to PDF (see $out/chromium.log)"
	fi
fi
exit $fail
