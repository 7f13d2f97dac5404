#!/bin/sh
# make demo: build a corpus from the bundled example, scan the two example suspects,
# show the report of the distilled one, and verify the evidence chain.
set -eu
PROV=${1:-./provenance}
cd "$(dirname "$0")"
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm" demo-report.md demo-report.html
export PROVENANCE_DB=$DB
# each command is shown as the reader would type it (`provenance` once installed, else ./provenance)
run() {
	printf '$ provenance %s\n' "$*"
	"$PROV" "$@"
}
echo "== 1. the corpus: two teachers (may have been copied) and six reference (control) models, each of its own maker"
run corpus import --role teacher --family openai corpus/example-gpt.jsonl
run corpus import --role teacher --family anthropic corpus/example-claude.jsonl
run corpus import --role reference --family human-a corpus/example-human-a.jsonl
run corpus import --role reference --family human-b corpus/example-human-b.jsonl
run corpus import --role reference --family example-labs-a corpus/example-terse.jsonl
run corpus import --role reference --family example-labs-b corpus/example-encyclo.jsonl
run corpus import --role reference --family example-labs-c corpus/example-chatty.jsonl
run corpus import --role reference --family example-labs-d corpus/example-plain.jsonl
run corpus list
echo
echo "== 2. scan two suspects (each scan is stored as a case)"
run scan --format md -o demo-report.md suspect-distilled.jsonl
run scan --format html -o demo-report.html suspect-independent.jsonl
run cases
echo
echo "== 3. the report on the distilled suspect (examples/demo-report.md; the HTML one is examples/demo-report.html)"
sed -n '1,/^## 2\./p' demo-report.md | sed '$d'
echo "== 4. verify the evidence chain"
run verify --all
