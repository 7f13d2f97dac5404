#!/bin/sh
# make demo: build a corpus from the bundled example and show what is in it.
set -eu
PROV=${1:-./provenance}
cd "$(dirname "$0")"
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
export PROVENANCE_DB=$DB
echo "== provenance demo: importing the example corpus into examples/$DB"
"$PROV" corpus import --role teacher --family openai corpus/example-gpt.jsonl
"$PROV" corpus import --role teacher --family anthropic corpus/example-claude.jsonl
"$PROV" corpus import --role reference --family none corpus/example-human-a.jsonl corpus/example-human-b.jsonl
echo
echo "== provenance corpus list"
"$PROV" corpus list
