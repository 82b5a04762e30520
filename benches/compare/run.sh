#!/usr/bin/env bash
# Comparison harness: the same synthetic supply-chain graph and workload on Lodestone,
# Kùzu, LadybugDB, SQLite and a petgraph floor, one engine per process.
#
#   bash benches/compare/run.sh [--nodes N] [--seed S] [--timeout SECONDS] [--runs N]
#                               [--budget SECONDS] [--engines "lodestone kuzu ladybug sqlite floor"]
#                               [--no-build]
#
# Writes benches/out/data-N/ (CSV and params.json), benches/out/db-N/ (databases),
# benches/out/results-N/*.json (one document per engine) and benches/out/report.md.
set -euo pipefail

NODES=100000
SEED=42
TIMEOUT=60
RUNS=30
BUDGET=20
ENGINES="lodestone kuzu ladybug sqlite floor"
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes) NODES="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --budget) BUDGET="$2"; shift 2 ;;
        --engines) ENGINES="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/benches/compare"
OUT="$ROOT/benches/out"
DATA="$OUT/data-$NODES"
DB="$OUT/db-$NODES"
RESULTS="$OUT/results-$NODES"
VENV="$ROOT/benches/.venv"
# Versions the harness was written against; override to try others.
PIP_PACKAGES="${PIP_PACKAGES:-kuzu==0.11.3 ladybug==0.22.0}"
COMMON=(--data "$DATA" --params "$DATA/params.json" --timeout "$TIMEOUT" --runs "$RUNS" --budget "$BUDGET")

has() { case " $ENGINES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
say() { echo "== $*" >&2; }

cd "$ROOT"
if [ "$BUILD" = 1 ]; then
    say "building release binaries"
    cargo build --release --bin lodestone-gen --bin lodestone-floor
    # The Lodestone side plugs in as a `lodestone-bench` binary; build it when it exists.
    if has lodestone; then
        cargo build --release --bin lodestone-bench 2>/dev/null || true
    fi
fi

say "generating $NODES nodes (seed $SEED) into $DATA"
mkdir -p "$OUT"
target/release/lodestone-gen --nodes "$NODES" --seed "$SEED" --out "$DATA" --kuzu

if has kuzu || has ladybug; then
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import kuzu" 2>/dev/null \
        || ! "$VENV/bin/python" -c "import ladybug" 2>/dev/null; then
        say "creating $VENV with $PIP_PACKAGES"
        python3 -m venv "$VENV"
        # shellcheck disable=SC2086
        "$VENV/bin/pip" install --quiet $PIP_PACKAGES
    fi
fi
PY="$VENV/bin/python"
[ -x "$PY" ] || PY=python3

rm -rf "$RESULTS" "$DB"
mkdir -p "$RESULTS" "$DB"

if has lodestone; then
    if [ -x target/release/lodestone-bench ]; then
        say "lodestone"
        target/release/lodestone-bench "${COMMON[@]}" --db "$DB/lodestone" > "$RESULTS/lodestone.json" \
            || say "lodestone-bench failed (exit $?)"
    else
        say "lodestone: skipped, target/release/lodestone-bench does not exist yet (see benches/compare/README.md)"
    fi
fi
for engine in kuzu ladybug; do
    if has "$engine"; then
        say "$engine"
        "$PY" "$HERE/kuzu_runner.py" --engine "$engine" "${COMMON[@]}" --db "$DB/$engine.db" > "$RESULTS/$engine.json" \
            || say "$engine runner failed (exit $?)"
    fi
done
if has sqlite; then
    say "sqlite"
    "$PY" "$HERE/sqlite_runner.py" "${COMMON[@]}" --db "$DB/sqlite.db" > "$RESULTS/sqlite.json" \
        || say "sqlite runner failed (exit $?)"
fi
if has floor; then
    say "petgraph floor"
    target/release/lodestone-floor "${COMMON[@]}" > "$RESULTS/floor.json" || say "floor failed (exit $?)"
fi

say "report"
shopt -s nullglob
"$PY" "$HERE/report.py" --params "$DATA/params.json" --out "$OUT/report.md" "$RESULTS"/*.json
cp "$OUT/report.md" "$OUT/report-$NODES.md"
say "wrote $OUT/report.md"
