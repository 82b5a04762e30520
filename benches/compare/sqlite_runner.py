"""Runs the comparison workload on SQLite: indexed tables, recursive CTEs for paths.

    python sqlite_runner.py --data DIR --params DIR/params.json --db PATH

Loads DIR/nodes.csv and DIR/edges.csv (the importer's format) into two tables, then
reopens the database in a fresh process and runs the workload. Prints one JSON document.
"""

import csv
import os
import sqlite3
import time

from common import (
    QueryTimeout,
    arg_parser,
    canon_first_set,
    canon_nothing,
    canon_scalar,
    canon_top10,
    run_phases,
)

SCHEMA = """
CREATE TABLE nodes(
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, name TEXT NOT NULL, country TEXT, kind TEXT,
    status TEXT, amount INTEGER, currency TEXT, date TEXT, year INTEGER, score REAL);
CREATE TABLE edges(
    src INTEGER NOT NULL, dst INTEGER NOT NULL, type TEXT NOT NULL, share REAL,
    amount INTEGER, currency TEXT, date TEXT, year INTEGER, score REAL);
"""
INDEXES = """
CREATE INDEX nodes_name ON nodes(name, label);
CREATE INDEX nodes_label ON nodes(label);
CREATE INDEX edges_out ON edges(src, type, dst);
CREATE INDEX edges_in ON edges(dst, type, src);
"""

# Companies reachable from :id over OWNS in 1..4 hops. UNION keeps each (node, depth) once,
# so the walk is breadth-first with at most four visits per node.
REACH = """
WITH RECURSIVE r(node, depth) AS (
    SELECT dst, 1 FROM edges WHERE src = :id AND type = 'OWNS'
    UNION
    SELECT e.dst, r.depth + 1 FROM r JOIN edges e ON e.src = r.node AND e.type = 'OWNS' WHERE r.depth < 4
)
SELECT count(DISTINCT r.node) FROM r JOIN nodes n ON n.id = r.node WHERE n.label = 'Company'
"""

# Hop count of a shortest path from :a to :b over any edge in either direction, at most 8.
# ORDER BY depth makes the recursive queue breadth-first, so LIMIT 1 stops at the first hit.
SHORTEST = """
WITH RECURSIVE bfs(node, depth) AS (
    SELECT :a, 0
    UNION
    SELECT e.dst, bfs.depth + 1 FROM bfs JOIN edges e ON e.src = bfs.node WHERE bfs.depth < 8
    UNION
    SELECT e.src, bfs.depth + 1 FROM bfs JOIN edges e ON e.dst = bfs.node WHERE bfs.depth < 8
    ORDER BY 2
)
SELECT depth FROM bfs WHERE node = :b AND depth > 0 LIMIT 1
"""

# Funder -> deal -> a company that owns, develops or operates X, or X itself.
WHO_FUNDS = """
WITH targets(c) AS (
    SELECT e.src FROM edges e JOIN nodes n ON n.id = e.src
    WHERE e.dst = :id AND e.type IN ('OWNS', 'DEVELOPS', 'OPERATES') AND n.label = 'Company'
    UNION
    SELECT id FROM nodes WHERE id = :id AND label = 'Company'
)
SELECT DISTINCT f.name
FROM targets t
JOIN edges r ON r.dst = t.c AND r.type = 'FUNDS'
JOIN nodes d ON d.id = r.src AND d.label = 'Deal'
JOIN edges e ON e.dst = d.id AND e.type = 'FUNDS'
JOIN nodes f ON f.id = e.src
"""

TOP10 = """
SELECT f.name, sum(e.amount) AS total
FROM nodes f JOIN edges e ON e.src = f.id AND e.type = 'FUNDS'
WHERE f.label IN ('Government', 'Agency')
GROUP BY f.id ORDER BY total DESC, f.name LIMIT 10
"""


def money(text):
    """`USD 1500000` -> (1500000, 'USD'); empty -> (None, None)."""
    if not text:
        return None, None
    currency, amount = text.split(" ", 1)
    return int(amount), currency


def opt(conv, text):
    return conv(text) if text else None


def read_nodes(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        assert header[:3] == ["id:ID", ":LABEL", "name"], header
        for r in rows:
            amount, currency = money(r[6])
            yield (int(r[0]), r[1], r[2], r[3] or None, r[4] or None, r[5] or None, amount, currency,
                   r[7] or None, opt(int, r[8]), opt(float, r[9]))


def read_edges(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        assert header[:3] == [":START_ID", ":END_ID", ":TYPE"], header
        for r in rows:
            amount, currency = money(r[4])
            yield (int(r[0]), int(r[1]), r[2], opt(float, r[3]), amount, currency, r[5] or None,
                   opt(int, r[6]), opt(float, r[7]))


class SqliteEngine:
    """SQLite through Python's sqlite3 module."""

    name = "sqlite"

    def __init__(self):
        self.conn = None
        self.deadline = None

    def version(self):
        return sqlite3.sqlite_version

    def load(self, opts):
        for p in (opts.db, opts.db + "-wal", opts.db + "-shm", opts.db + "-journal"):
            if os.path.exists(p):
                os.remove(p)
        t0 = time.perf_counter()
        conn = sqlite3.connect(opts.db, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA cache_size=-1048576")
        conn.executescript(SCHEMA)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO nodes VALUES (?,?,?,?,?,?,?,?,?,?,?)", read_nodes(os.path.join(opts.data, "nodes.csv")))
        conn.executemany("INSERT INTO edges VALUES (?,?,?,?,?,?,?,?,?)", read_edges(os.path.join(opts.data, "edges.csv")))
        conn.executescript(INDEXES)  # executescript commits the open transaction first.
        # No ANALYZE: with its statistics the planner builds a Bloom filter over `edges` on
        # every recursive step, which makes small reachability queries 1000x slower.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        load_s = time.perf_counter() - t0
        return {"load_s": load_s, "db_size_mb": os.path.getsize(opts.db) / 2**20}

    def open(self, opts):
        self.conn = sqlite3.connect(opts.db, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA cache_size=-1048576")
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        self.timeout = opts.timeout
        # The progress handler aborts a statement that runs past its deadline.
        self.conn.set_progress_handler(self._check_deadline, 10000)

    def _check_deadline(self):
        return 1 if self.deadline is not None and time.perf_counter() > self.deadline else 0

    def close(self):
        self.conn.close()

    def rows(self, sql, params=()):
        self.deadline = time.perf_counter() + self.timeout
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            if "interrupted" in str(e):
                raise QueryTimeout() from e
            raise
        finally:
            self.deadline = None

    # The workload. Anchored queries use the primary key `id`; only lookup_name goes by name.

    def lookup_name(self, p):
        return self.rows("SELECT id FROM nodes WHERE name = ? AND label = 'Company'", (p["name"],))

    def hop1(self, p):
        return self.rows(
            "SELECT n.id, n.name FROM edges e JOIN nodes n ON n.id = e.dst "
            "WHERE e.src = ? AND e.type = 'OWNS' AND n.label = 'Company'",
            (p["id"],),
        )

    def who_funds(self, p):
        return self.rows(WHO_FUNDS, {"id": p["id"]})

    def reach(self, p):
        return self.rows(REACH, {"id": p["id"]})

    def shortest_path(self, p):
        return self.rows(SHORTEST, {"a": p["a"]["id"], "b": p["b"]["id"]})

    def top10_funders(self, _p):
        return self.rows(TOP10)

    def write_mix(self, p):
        deal, funder, owns = p["deal"], p["funder"], p["owns"]
        amount, date = p["amount"], p["date"]
        c = self.conn
        c.execute("BEGIN")
        try:
            c.execute(
                "INSERT INTO nodes(id, label, name, kind, status, amount, currency, date) "
                "VALUES (?, 'Deal', ?, 'grant', 'announced', ?, 'USD', ?)",
                (deal["id"], deal["name"], amount, date),
            )
            c.execute(
                "INSERT INTO edges(src, dst, type, amount, currency, date) VALUES (?, ?, 'FUNDS', ?, 'USD', ?)",
                (funder["id"], deal["id"], amount, date),
            )
            c.execute(
                "INSERT INTO edges(src, dst, type, amount, currency, date) VALUES (?, ?, 'FUNDS', ?, 'USD', ?)",
                (deal["id"], p["recipient"]["id"], amount, date),
            )
            c.execute(
                "UPDATE edges SET share = ? WHERE src = ? AND dst = ? AND type = 'OWNS'",
                (float(owns["share"]), owns["src"]["id"], owns["dst"]["id"]),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return []

    def queries(self):
        """Query name -> (params.json key, function of one parameter set, canonical form of
        its rows), in run order."""
        return {
            "lookup_name": ("lookup_name", self.lookup_name, canon_first_set),
            "hop1_hub": ("hop1_hub", self.hop1, canon_first_set),
            "hop1_typical": ("hop1_typical", self.hop1, canon_first_set),
            "who_funds_deposit": ("who_funds_deposit", self.who_funds, canon_first_set),
            "who_funds_company": ("who_funds_company", self.who_funds, canon_first_set),
            "reach_hub": ("reach_hub", self.reach, canon_scalar),
            "reach_typical": ("reach_typical", self.reach, canon_scalar),
            "shortest_path": ("shortest_path", self.shortest_path, canon_scalar),
            "top10_funders": ("top10_funders", self.top10_funders, canon_top10),
            "write_mix": ("write_mix", self.write_mix, canon_nothing),
        }


def main():
    opts = arg_parser(__doc__).parse_args()
    run_phases(opts, SqliteEngine())


if __name__ == "__main__":
    main()
