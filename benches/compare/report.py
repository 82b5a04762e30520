"""Assembles the runners' JSON documents into a markdown table.

    python report.py --params DIR/params.json --out report.md result1.json result2.json ...

Each cell of a query row is `median / p95`, followed by the ratio of its median to the
baseline engine's median (Lodestone when present, else SQLite). Results of every engine
are compared parameter by parameter with the baseline's (the other engines' where the
baseline has none); a cell whose results differ is marked.
"""

import argparse
import json
import os
import platform

ENGINE_TITLES = {
    "lodestone": "Lodestone",
    "kuzu": "Kùzu",
    "ladybug": "LadybugDB",
    "sqlite": "SQLite",
    "petgraph-floor": "petgraph floor",
}
ENGINE_ORDER = ["lodestone", "kuzu", "ladybug", "sqlite", "petgraph-floor"]
QUERY_TITLES = [
    ("lookup_name", "find a company by exact name"),
    ("hop1_hub", "1-hop: what the top owner OWNS"),
    ("hop1_typical", "1-hop: what a typical owner OWNS"),
    ("who_funds_deposit", "who funds X (X a deposit)"),
    ("who_funds_company", "who funds X (X a company)"),
    ("reach_hub", "OWNS *1..4 reachable companies, top owner"),
    ("reach_typical", "OWNS *1..4 reachable companies, typical owner"),
    ("reach_hub_shortest_mode", "same, top owner, Kùzu SHORTEST mode"),
    ("reach_typical_shortest_mode", "same, typical owner, Kùzu SHORTEST mode"),
    ("shortest_path", "shortest path ≤ 8 hops, two companies"),
    ("top10_funders", "top-10 governments/agencies by FUNDS total"),
    ("write_mix", "write txn: deal + 2 FUNDS + OWNS share update"),
]
# Shortest-mode rows answer the same question as the plain reach rows.
SAME_ANSWER = {"reach_hub_shortest_mode": "reach_hub", "reach_typical_shortest_mode": "reach_typical"}


def fmt_time(ms):
    if ms is None:
        return "—"
    if ms < 1.0:
        return f"{ms * 1000:.3g} µs"
    if ms < 1000.0:
        return f"{ms:.3g} ms"
    return f"{ms / 1000:.3g} s"


def fmt_ratio(value, base):
    if value is None or not base:
        return ""
    r = value / base
    if r >= 100:
        return f" (×{r:,.0f})"
    if r >= 0.01:
        return f" (×{r:.2g})"
    return f" (×1/{1 / r:,.0f})"


def title(doc):
    name = ENGINE_TITLES.get(doc.get("engine"), doc.get("engine", "?"))
    version = doc.get("version")
    return f"{name} {version}" if version and doc.get("engine") != "petgraph-floor" else name


def results_of(doc, query):
    q = doc.get("queries", {}).get(query) or doc.get("queries", {}).get(SAME_ANSWER.get(query, ""), {})
    return q.get("results") if q and q.get("status") == "ok" else None


def agrees(a, b):
    """True unless two result lists differ at a parameter both ran."""
    if a is None or b is None:
        return True
    return all(x == y for x, y in zip(a, b) if x is not None and y is not None)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("results", nargs="+")
    opts = ap.parse_args()
    with open(opts.params) as f:
        params = json.load(f)
    docs = []
    for path in opts.results:
        try:
            with open(path) as f:
                docs.append(json.load(f))
        except (OSError, ValueError) as e:
            print(f"report: skipping {path}: {e}")
    docs.sort(key=lambda d: ENGINE_ORDER.index(d["engine"]) if d.get("engine") in ENGINE_ORDER else 99)
    by_engine = {d.get("engine"): d for d in docs}
    base = by_engine.get("lodestone") or by_engine.get("sqlite")
    base_name = title(base) if base else "none"

    lines = []
    stats = params.get("stats", {})
    lines.append(f"# Comparison at {params['nodes']:,} nodes, {params['edges']:,} edges (seed {params['seed']})")
    lines.append("")
    lines.append(
        "Nodes: "
        + ", ".join(f"{k} {v:,}" for k, v in stats.get("nodes_per_label", {}).items())
        + ". Edges: "
        + ", ".join(f"{k} {v:,}" for k, v in stats.get("edges_per_type", {}).items())
        + f". Max degree {stats.get('max_degree', '?'):,}; top owner owns {stats.get('hub_owns_out_degree', '?'):,}"
        f" companies; longest ownership chain {stats.get('max_ownership_depth', '?')}."
    )
    lines.append("")
    lines.append(
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}."
        f" Cells: median / p95 over warm runs; (×r) = median ÷ {base_name}'s median. "
        "'≠' marks results that differ from the baseline's (or, where it has none, the other engines')."
    )
    lines.append("")
    header = "| work | " + " | ".join(title(d) for d in docs) + " |"
    lines.append(header)
    lines.append("|---" * (len(docs) + 1) + "|")

    def row(label, cells):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def scalar(key, fmt, ratio=True):
        bval = base.get(key) if base else None
        cells = []
        for d in docs:
            v = d.get(key)
            cells.append("—" if v is None else fmt(v) + (fmt_ratio(v, bval) if ratio else ""))
        return cells

    row("bulk load from CSV", scalar("load_s", lambda s: fmt_time(s * 1000)))
    row("open an existing database", scalar("open_ms", fmt_time))
    row("peak RSS, load process", scalar("peak_rss_load_mb", lambda m: f"{m:,.0f} MiB", ratio=False))
    row("peak RSS, query process", scalar("peak_rss_query_mb", lambda m: f"{m:,.0f} MiB", ratio=False))
    row("database size on disk", scalar("db_size_mb", lambda m: f"{m:,.0f} MiB", ratio=False))
    row(
        "machine load average, queries start → end",
        [
            f"{d['loadavg_start']:.1f} → {d['loadavg_end']:.1f}" if "loadavg_start" in d and "loadavg_end" in d else "—"
            for d in docs
        ],
    )

    notes = []
    for key, label in QUERY_TITLES:
        if not any(key in d.get("queries", {}) for d in docs):
            continue
        bq = base.get("queries", {}).get(key, {}) if base else {}
        bmed = bq.get("median_ms") if bq.get("status") == "ok" else None
        # Reference results: the baseline's where it has them, else the first engine's that does.
        bres = None
        for d in ([base] if base else []) + docs:
            r = results_of(d, key)
            if r is not None:
                bres = [x if x is not None else y for x, y in zip(bres, r)] if bres else list(r)
        cells = []
        for d in docs:
            q = d.get("queries", {}).get(key)
            if q is None:
                cells.append("—")
            elif q.get("status") == "ok":
                cell = f"{fmt_time(q['median_ms'])} / {fmt_time(q['p95_ms'])}{fmt_ratio(q['median_ms'], bmed)}"
                if q.get("runs", 0) < 5:
                    cell += f" [{q['runs']} run{'s' if q['runs'] != 1 else ''}]"
                if not agrees(results_of(d, key), bres):
                    cell += " ≠"
                    notes.append(f"- {label}: {title(d)} returned {results_of(d, key)}, reference {bres}")
                cells.append(cell)
            elif q.get("status") == "timeout":
                cells.append(f"did not finish in {q.get('timeout_s', '?'):g} s")
            else:
                cells.append(q.get("status", "?"))
                notes.append(f"- {label}: {title(d)} {q.get('status')}: {q.get('error', '')}")
        row(label, cells)
    for d in docs:
        for k in ("load_error", "query_error", "errors", "note"):
            if d.get(k):
                notes.append(f"- {title(d)}: {k}: {d[k]}")
    if notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(notes)
    text = "\n".join(lines) + "\n"
    with open(opts.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
