#!/usr/bin/env bash
# Measures the who-funds and top-10-funders queries on the synthetic graph with
# Spark in local mode against the embedded engine.
#
#   benches/spark/run.sh [NODES] [RUNS]      (defaults: 1000000 5)
#
# Needs: target/release/lode (cargo build --release -p lodestone-cli), the generated
# graph and its database (benches/out/data-NODES, benches/out/db-NODES/lodestone; see
# benches/compare/README.md), pyspark and Java 17. The tables are exported once to
# target/spark-tables/bench-NODES and converted to Parquet on first use.
# Each query runs RUNS times embedded (in one process, database already open) and
# RUNS times in one Spark session; the medians are printed. Spark's first run
# includes planning and reading the tables into its cache, the later ones do not.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES="${1:-1000000}"
RUNS="${2:-5}"
LODE="${LODE:-target/release/lode}"
DB="benches/out/db-$NODES/lodestone"
DATA="benches/out/data-$NODES"
TABLES="target/spark-tables/bench-$NODES"
# Local mode runs executors inside the driver: give it room for the cached tables.
export LODE_SPARK_DRIVER_MEMORY="${LODE_SPARK_DRIVER_MEMORY:-6g}"
export PYSPARK_SUBMIT_ARGS="--driver-memory $LODE_SPARK_DRIVER_MEMORY pyspark-shell"

if [ ! -x "$LODE" ]; then echo "missing $LODE: cargo build --release -p lodestone-cli" >&2; exit 2; fi
if [ ! -d "$DB" ]; then echo "missing $DB: generate and load the graph first" >&2; exit 2; fi

# A benchmark process may hold the database: read a copy then.
if ! "$LODE" --db "$DB" --read-only query "RETURN 1" >/dev/null 2>&1; then
  COPY="target/spark-tables/db-$NODES-copy"
  if [ ! -f "$COPY/COMMIT" ]; then rm -rf "$COPY"; mkdir -p "$COPY"; cp -r "$DB"/. "$COPY"/; fi
  DB="$COPY"
fi

if [ ! -f "$TABLES/schema.json" ]; then
  start=$(date +%s.%N)
  "$LODE" --db "$DB" --read-only spark --tables "$TABLES" --export --sql "RETURN 1" >/dev/null
  echo "export: $(echo "$(date +%s.%N) - $start" | bc) s to $TABLES ($(du -sh "$TABLES" | cut -f1))"
fi

company=$(python3 -c "import json;print(json.load(open('$DATA/params.json'))['queries']['who_funds_company'][0]['id'])")
deposit=$(python3 -c "import json;print(json.load(open('$DATA/params.json'))['queries']['who_funds_deposit'][0]['id'])")

who_funds() {
  echo "MATCH (:$1 {id: $2})<-[:OWNS|DEVELOPS|OPERATES]-(:Company)<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) RETURN f.name AS name UNION MATCH (:Company {id: $2})<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) RETURN f.name AS name"
}
TOP10="MATCH (f)-[r:FUNDS]->() WHERE f:Government OR f:Agency RETURN f.name AS name, sum(r.amount) AS total ORDER BY total DESC, name LIMIT 10"

run() {
  echo "== $1"
  "$LODE" --db "$DB" --read-only --timeout 0 -f csv spark --tables "$TABLES" --repeat "$RUNS" "$2" 2>&1 >/dev/null |
    grep -E '^(embedded|spark):'
}
run "who funds X (X a company, id $company)" "$(who_funds Company "$company")"
run "who funds X (X a deposit, id $deposit)" "$(who_funds Deposit "$deposit")"
run "top-10 governments/agencies by FUNDS total" "$TOP10"
# The question form: the same walk, with paths, citations and the answer table.
name=$("$LODE" --db "$DB" --read-only -f csv query "MATCH (c:Company {id: $company}) RETURN c.name AS n" | tail -n 1)
run "who funds '$name' (the question)" "who funds '$name'"
