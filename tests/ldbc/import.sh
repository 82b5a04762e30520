#!/usr/bin/env bash
# Imports the LDBC SNB sample data into a database with the mapping in import.args,
# then applies labels.lq. Usage: tests/ldbc/import.sh DB_DIR [LDBC_DATA_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
db="${1:?usage: import.sh DB_DIR [LDBC_DATA_DIR]}"
data="${2:-$here/../../../shared/ldbc/data}"
lode="${LODE:-lode}"
args=()
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  line="${line//\{here\}/$here}"
  line="${line//\{data\}/$data}"
  args+=("$line")
done < "$here/import.args"
"$lode" --db "$db" import "${args[@]}"
"$lode" --db "$db" run "$here/labels.lq"
