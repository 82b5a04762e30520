"""Shared pieces of the comparison runners: timing loop, canonical results, phases.

A runner's parent process starts two child processes of the same script:
  1. `--phase load`  builds the database from the CSV files and exits;
  2. `--phase query` opens the existing database (timed), runs the workload and exits.
Children report one JSON object per line on stdout: `{"set": {...}}` (fields of the final
document), `{"start": NAME}` (a query begins) and `{"query": NAME, "result": {...}}`. The
parent merges them into one document and prints it. If the query child crashes or stops
reporting, the running query is recorded as crashed and a new child runs the rest.
"""

import argparse
import json
import math
import os
import queue
import resource
import statistics
import subprocess
import sys
import threading
import time

# The write query runs last because it changes the graph.
WRITE_QUERY = "write_mix"


class QueryTimeout(Exception):
    """A query ran past the per-query time limit and was interrupted."""


def fnv1a64(text):
    """FNV-1a 64-bit hash of the UTF-8 bytes of `text`, as 16 hex digits."""
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def canon_scalar(rows):
    """Canonical form of a one-value result: the value as text, or `none` without rows."""
    return str(rows[0][0]) if rows else "none"


def canon_first_set(rows):
    """canon_set of the first column of `rows`."""
    return canon_set(r[0] for r in rows)


def canon_nothing(_rows):
    """Results of writes are not compared."""
    return ""


def canon_top10(rows):
    """Canonical form of (name, total) rows in their order: `name=total` lines."""
    return canon_list(f"{name}={int(total)}" for name, total in rows)


def canon_set(items):
    """Canonical form of an unordered result: `count:hash` of the sorted items joined by newlines."""
    items = sorted(str(i) for i in items)
    return f"{len(items)}:{fnv1a64(chr(10).join(items))}"


def canon_list(items):
    """Canonical form of an ordered result: `count:hash` of the items joined by newlines."""
    items = [str(i) for i in items]
    return f"{len(items)}:{fnv1a64(chr(10).join(items))}"


def peak_rss_mb():
    """Peak resident set size of this process in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    k = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[k - 1]


def measure(fn, canon, params, opts, max_runs=None):
    """Times `fn(param)` over warm runs, cycling through `params`.

    Warm-up: up to opts.warmup runs, fewer once warm-up time passes half the budget.
    Timed: up to opts.runs runs (or max_runs), fewer once timed time passes the budget;
    at least one. `fn` returns the rows of one run; `canon(rows)`, computed outside the
    timed region, gives the canonical result kept for each parameter from its first run.
    A QueryTimeout ends the query at once.
    """
    results = [None] * len(params)
    runs = opts.runs if max_runs is None else min(opts.runs, max_runs)
    i = 0

    def one():
        nonlocal i
        idx = i % len(params)
        i += 1
        t0 = time.perf_counter()
        rows = fn(params[idx])
        elapsed = time.perf_counter() - t0
        if results[idx] is None:
            results[idx] = canon(rows)
        return elapsed

    try:
        spent = 0.0
        for _ in range(opts.warmup):
            spent += one()
            if spent > opts.budget / 2:
                break
        times = []
        spent = 0.0
        while len(times) < runs:
            t = one()
            times.append(t)
            spent += t
            if spent > opts.budget:
                break
    except QueryTimeout:
        return {"status": "timeout", "timeout_s": opts.timeout}
    except Exception as e:  # noqa: BLE001 - an engine error is reported, not fatal
        return {"status": "error", "error": f"{type(e).__name__}: {e}"[:300]}
    times.sort()
    ms = [t * 1000.0 for t in times]
    return {
        "status": "ok",
        "runs": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 95),
        "mean_ms": statistics.fmean(ms),
        "results": results,
    }


def arg_parser(description):
    """Options shared by every runner."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", required=True, help="directory written by lodestone-gen")
    ap.add_argument("--params", required=True, help="params.json written by lodestone-gen")
    ap.add_argument("--db", required=True, help="database path to create and reopen")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-query time limit in seconds")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up runs per query")
    ap.add_argument("--runs", type=int, default=30, help="timed runs per read query")
    ap.add_argument("--write-runs", type=int, default=100, help="timed write transactions")
    ap.add_argument("--budget", type=float, default=20.0, help="seconds of timed runs per query")
    ap.add_argument("--phase", choices=["all", "load", "query"], default="all", help=argparse.SUPPRESS)
    ap.add_argument("--only", default="", help=argparse.SUPPRESS)
    return ap


def emit(obj):
    """Writes one protocol line from a child phase to the parent."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _child_load(engine, opts):
    doc = engine.load(opts)
    doc["peak_rss_load_mb"] = peak_rss_mb()
    emit({"set": doc})


def _child_query(engine, opts):
    params = load_params(opts.params)["queries"]
    only = set(opts.only.split(",")) if opts.only else None
    emit({"set": {"loadavg_start": os.getloadavg()[0]}})
    t0 = time.perf_counter()
    engine.open(opts)
    emit({"set": {"open_ms": (time.perf_counter() - t0) * 1000.0}})
    for name, (key, fn, canon) in engine.queries().items():
        if only is not None and name not in only:
            continue
        emit({"start": name})
        max_runs = None
        runs_opts = opts
        if name == WRITE_QUERY:
            # Each write transaction creates a new deal: never reuse a parameter set.
            runs_opts = argparse.Namespace(**vars(opts))
            runs_opts.runs = opts.write_runs
            max_runs = max(1, len(params[key]) - opts.warmup)
        emit({"query": name, "result": measure(fn, canon, params[key], runs_opts, max_runs)})
    engine.close()
    emit({"set": {"peak_rss_query_mb": peak_rss_mb(), "loadavg_end": os.getloadavg()[0]}})


def _spawn(phase, opts, only, doc, hang_limit):
    """Runs one child phase; merges what it reports into `doc`.

    Returns (finished cleanly, queries that completed, the query running when it stopped,
    why it stopped)."""
    argv = [sys.executable, sys.argv[0]]
    skip = False
    for a in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if a in ("--phase", "--only"):
            skip = True
            continue
        if a.startswith("--phase=") or a.startswith("--only="):
            continue
        argv.append(a)
    argv += ["--phase", phase]
    if only:
        argv += ["--only", ",".join(only)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    lines = queue.Queue()

    def reader():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    done, current = [], None
    while True:
        try:
            line = lines.get(timeout=hang_limit)
        except queue.Empty:
            proc.kill()
            proc.wait()
            return False, done, current, "killed after %.0f s without progress" % hang_limit
        if line is None:
            break
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if "set" in msg:
            for k, v in msg["set"].items():
                doc.setdefault(k, v)
        elif "start" in msg:
            current = msg["start"]
        elif "query" in msg:
            doc.setdefault("queries", {})[msg["query"]] = msg["result"]
            done.append(msg["query"])
            current = None
    code = proc.wait()
    if code != 0:
        return False, done, current, f"process exited with code {code}"
    return True, done, current, None


def run_phases(opts, engine):
    """Entry point of a runner: a child phase, or the parent that runs both phases and
    prints the merged document. A crashed or hung query is recorded and the query phase
    restarts in a fresh process for the queries still to run."""
    if opts.phase == "load":
        _child_load(engine, opts)
        return
    if opts.phase == "query":
        _child_query(engine, opts)
        return
    doc = {"engine": engine.name, "version": engine.version()}
    hang_limit = 1.5 * opts.budget + 3 * opts.timeout + 120
    ok, _, _, why = _spawn("load", opts, None, doc, max(hang_limit, 3600))
    if not ok:
        doc["load_error"] = why
        print(json.dumps(doc, indent=1))
        return
    remaining = list(engine.queries().keys())
    while remaining:
        ok, done, current, why = _spawn("query", opts, remaining, doc, hang_limit)
        remaining = [q for q in remaining if q not in done]
        if ok:
            break
        if current is None:
            doc["query_error"] = why
            break
        doc.setdefault("queries", {})[current] = {"status": "crashed", "error": why}
        remaining.remove(current)
    print(json.dumps(doc, indent=1))


def load_params(path):
    """The parsed params.json."""
    with open(path) as f:
        return json.load(f)
