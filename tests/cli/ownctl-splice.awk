# tests/cli/ownctl-splice.awk: build a constructed suspect for the own-control test
# (docs/validation.md): a model's answers with a share of another model's (the "logged"
# teacher's) sentences spliced in.
#
#   awk -v share=PERCENT -v seed=N [-v skip=N] [-v limit=N] -f ownctl-splice.awk LOGGED.jsonl BASE.jsonl
#
# Both files are uncompressed JSONL with the fields in the order of ../shared/data
# ({"id": ..., "prompt": ..., "response": ..., "model": ...}). For each of the `limit` BASE
# lines whose id LOGGED also has, after the first `skip` such lines, each sentence of the logged answer (a piece ending in
# ". ", "! ", "? " or a line break, with at least 4 words) is copied with probability
# share/100 (Park-Miller generator seeded with `seed`) into the base answer at the same
# relative position. Prints the BASE lines with the new answers, model "constructed".
function rnd() {
	state = (state * 16807) % 2147483647
	return state / 2147483647
}
function field_response(line,    a, b) {
	a = index(line, "\", \"response\": \"")
	b = 0
	for (i = length(line) - 12; i > a; i--)
		if (substr(line, i, 13) == "\", \"model\": \"") {
			b = i
			break
		}
	if (!a || !b) {
		print "ownctl-splice.awk: " FILENAME ":" FNR ": not the expected field order" > "/dev/stderr"
		exit 2
	}
	return substr(line, a + 16, b - a - 16)
}
function split_sentences(s, arr,    n) {
	n = 0
	while (length(s) && match(s, /[.!?] |\\n/)) {
		arr[++n] = substr(s, 1, RSTART + RLENGTH - 1)
		s = substr(s, RSTART + RLENGTH)
	}
	if (length(s))
		arr[++n] = s " "
	return n
}
function words(s,    t) {
	t = s
	gsub(/\\n/, " ", t)
	return split(t, _w, / +/)
}
BEGIN {
	state = (seed > 0 ? seed : 1) % 2147483647
	if (!limit)
		limit = 1e9
}
FNR == NR {
	match($0, /^\{"id": "[^"]*"/)
	id = substr($0, 9, RLENGTH - 9)
	logged[id] = field_response($0)
	next
}
{
	match($0, /^\{"id": "[^"]*"/)
	id = substr($0, 9, RLENGTH - 9)
	if (!(id in logged) || done >= limit || seen++ < skip)
		next
	done++
	base = field_response($0)
	nb = split_sentences(base, B)
	nl = split_sentences(logged[id], L)
	for (k = 0; k <= nb; k++)
		ins[k] = ""
	for (j = 1; j <= nl; j++)
		if (words(L[j]) >= 4 && rnd() < share / 100)
			ins[int((j - 1) * nb / nl)] = ins[int((j - 1) * nb / nl)] L[j]
	out = ins[0]
	for (k = 1; k <= nb; k++)
		out = out B[k] ins[k]
	a = index($0, "\", \"response\": \"")
	print substr($0, 1, a + 15) out "\", \"model\": \"constructed\"}"
}
