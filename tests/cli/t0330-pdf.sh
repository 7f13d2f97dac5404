#!/bin/sh
# report/scan --format pdf: the HTML printed by a renderer found in $PATH (headless Chromium), a
# clear error naming the package when there is none (exit 9), and nothing stored in that case.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples

one_case() {
	prov corpus import --role teacher --family openai "$EX/corpus/example-gpt.jsonl" >/dev/null &&
	import_example_refs &&
	prov scan -o c1.json "$EX/suspect-distilled.jsonl" 2>/dev/null
}

# fake_renderer DIR [fail]: a stand-in "chromium" that records its arguments and writes a tiny
# PDF where --print-to-pdf says (or fails with a message, like a renderer that cannot start).
fake_renderer() {
	mkdir -p "$1"
	cat >"$1/chromium" <<SH
#!/bin/sh
echo "\$@" >"$PWD/renderer.args"
[ "${2:-}" = fail ] && { echo "[1:1:ERROR:zygote_host_impl_linux.cc] Running as root without --no-sandbox is not supported" >&2; exit 1; }
for a in "\$@"; do
	case \$a in
	--print-to-pdf=*) printf '%%PDF-1.4\n%% fake\n' >"\${a#--print-to-pdf=}" ;;
	esac
done
exit 0
SH
	chmod +x "$1/chromium"
}

test_expect "report --format pdf without a renderer: exit 9, names the package, writes nothing" '
	one_case &&
	mkdir nobin &&
	expect_code 9 env PATH="$PWD/nobin" "$PROVENANCE_BIN" report 1 --format pdf -o r.pdf &&
	check_contains err "--format pdf needs a PDF renderer" &&
	check_contains err "apt-get install -y chromium" &&
	test ! -e r.pdf
'

test_expect "scan --format pdf without a renderer refuses before storing a case" '
	one_case &&
	mkdir nobin &&
	expect_code 9 env PATH="$PWD/nobin" "$PROVENANCE_BIN" scan --format pdf -o s.pdf "$EX/suspect-distilled.jsonl" &&
	check_contains err "apt-get install -y chromium" &&
	check_eq "$(db_query provenance.db "SELECT count(*) FROM cases")" 1
'

test_expect "report --format pdf prints the case HTML through the renderer found in PATH" '
	one_case &&
	fake_renderer bin &&
	expect_code 0 env PATH="$PWD/bin:$PATH" "$PROVENANCE_BIN" report 1 --format pdf -o r.pdf &&
	check_eq "$(head -c 8 r.pdf)" "%PDF-1.4" &&
	check_contains renderer.args "--headless" &&
	check_contains renderer.args "--print-to-pdf=" &&
	check_contains renderer.args "--user-data-dir=" &&
	check_contains renderer.args "file://" &&
	if [ "$(id -u)" = 0 ]; then check_contains renderer.args "--no-sandbox"; fi &&
	test ! -e "$(sed "s/.*--print-to-pdf=\([^ ]*\).*/\1/" renderer.args)"
'

test_expect "a renderer that fails: exit 4 with its first error line; --format pdf to a terminal needs -o" '
	one_case &&
	fake_renderer bin fail &&
	expect_code 4 env PATH="$PWD/bin:$PATH" "$PROVENANCE_BIN" report 1 --format pdf -o r.pdf &&
	check_contains err "failed (exit status 1)" &&
	check_contains err "Running as root without --no-sandbox" &&
	test ! -e r.pdf &&
	expect_code 2 prov report 1 --format docx &&
	check_contains err "json, md, html or pdf"
'
