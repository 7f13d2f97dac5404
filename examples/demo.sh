#!/bin/sh
# make demo: build a corpus from the bundled example, scan the two example suspects,
# show the report of the distilled one, and verify the evidence chain.
set -eu
PROV=${1:-./provenance}
cd "$(dirname "$0")"
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm" demo-report.md demo-report.html
export PROVENANCE_DB=$DB
echo "== 1. the corpus: two teachers (may have been copied) and six reference (control) models, each of its own maker"
"$PROV" corpus import --role teacher --family openai corpus/example-gpt.jsonl
"$PROV" corpus import --role teacher --family anthropic corpus/example-claude.jsonl
"$PROV" corpus import --role reference --family human-a corpus/example-human-a.jsonl
"$PROV" corpus import --role reference --family human-b corpus/example-human-b.jsonl
"$PROV" corpus import --role reference --family example-labs-a corpus/example-terse.jsonl
"$PROV" corpus import --role reference --family example-labs-b corpus/example-encyclo.jsonl
"$PROV" corpus import --role reference --family example-labs-c corpus/example-chatty.jsonl
"$PROV" corpus import --role reference --family example-labs-d corpus/example-plain.jsonl
"$PROV" corpus list
echo
echo "== 2. scan two suspects (each scan is stored as a case)"
"$PROV" scan --format md -o demo-report.md suspect-distilled.jsonl
"$PROV" scan --format html -o demo-report.html suspect-independent.jsonl
"$PROV" cases
echo
echo "== 3. the report on the distilled suspect (examples/demo-report.md; the HTML one is examples/demo-report.html)"
sed -n '1,/^## 2\./p' demo-report.md | sed '$d'
echo "== 4. verify the evidence chain"
"$PROV" verify --all
