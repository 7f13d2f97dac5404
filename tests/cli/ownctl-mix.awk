# tests/cli/ownctl-mix.awk: logged and fresh answers that are exchangeable by construction, from
# real answers of three versions of one model: for each prompt, one of the three files, drawn
# at random, plays "logged" and the other two "fresh" (docs/validation.md).
#
#   awk -v seed=N -v out=PREFIX -f ownctl-mix.awk A.jsonl B.jsonl C.jsonl
#
# Writes PREFIX-logged.jsonl, PREFIX-fresh1.jsonl and PREFIX-fresh2.jsonl: the lines (matched
# by "id") in the order of A, the choice made with a Park-Miller generator seeded with `seed`.
function rnd() {
	state = (state * 16807) % 2147483647
	return state / 2147483647
}
BEGIN {
	state = (seed > 0 ? seed : 1) % 2147483647
}
FNR == 1 {
	f++
}
{
	match($0, /^\{"id": "[^"]*"/)
	id = substr($0, 9, RLENGTH - 9)
	line[f, id] = $0
	if (f == 1)
		order[++n] = id
}
END {
	for (i = 1; i <= n; i++) {
		id = order[i]
		if (!((2, id) in line) || !((3, id) in line))
			continue
		r = int(rnd() * 3) + 1
		print line[r, id] > (out "-logged.jsonl")
		print line[r == 1 ? 2 : 1, id] > (out "-fresh1.jsonl")
		print line[r == 3 ? 2 : 3, id] > (out "-fresh2.jsonl")
	}
}
