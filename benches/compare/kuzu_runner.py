"""Runs the comparison workload on Kùzu or on LadybugDB (its maintained fork, same API).

    python kuzu_runner.py --engine kuzu|ladybug --data DIR --params DIR/params.json --db PATH

Loads DIR/kuzu/ (per-table CSV written by `lodestone-gen --kuzu`) with schema.cypher and
COPY, then reopens the database in a fresh process and runs the workload. Prints one JSON
document on stdout.
"""

import importlib
import os
import shutil
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


def remove_db(path):
    """Deletes a database file or directory and its write-ahead log."""
    for p in (path, path + ".wal", path + ".lock", path + ".shadow"):
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)


def statements(text):
    """Splits a Cypher script on `;`."""
    return [s.strip() for s in text.split(";") if s.strip()]


def du_mb(path):
    """Size of a file or directory tree in MiB."""
    if os.path.isfile(path):
        return os.path.getsize(path) / 2**20
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total / 2**20


class KuzuEngine:
    """Kùzu-family engine: `kuzu` or `ladybug`."""

    def __init__(self, module_name, buffer_pool_mb):
        self.name = module_name
        self.mod = importlib.import_module(module_name)
        self.buffer_pool = buffer_pool_mb * 2**20
        self.db = None
        self.conn = None
        self.timeout_ms = 0

    def version(self):
        return str(self.mod.__version__)

    def load(self, opts):
        kdir = os.path.join(opts.data, "kuzu")
        remove_db(opts.db)
        t0 = time.perf_counter()
        db = self.mod.Database(opts.db, buffer_pool_size=self.buffer_pool)
        conn = self.mod.Connection(db)
        with open(os.path.join(kdir, "schema.cypher")) as f:
            for stmt in statements(f.read()):
                conn.execute(stmt)
        with open(os.path.join(kdir, "copy.cypher")) as f:
            for stmt in statements(f.read()):
                # COPY paths in copy.cypher are relative to the kuzu/ directory.
                conn.execute(stmt.replace(" FROM '", " FROM '" + os.path.abspath(kdir) + "/", 1))
        conn.close()
        db.close()
        load_s = time.perf_counter() - t0
        return {"load_s": load_s, "db_size_mb": du_mb(opts.db), "buffer_pool_mb": self.buffer_pool // 2**20}

    def open(self, opts):
        self.db = self.mod.Database(opts.db, buffer_pool_size=self.buffer_pool)
        self.conn = self.mod.Connection(self.db)
        self.conn.execute("RETURN 1").get_all()
        self.timeout_ms = int(opts.timeout * 1000)
        self.conn.set_query_timeout(self.timeout_ms)

    def close(self):
        self.conn.close()
        self.db.close()

    def rows(self, query, params=None):
        """Runs a query and returns all rows; an interrupted query raises QueryTimeout."""
        try:
            return self.conn.execute(query, params or {}).get_all()
        except RuntimeError as e:
            msg = str(e).lower()
            if "interrupt" in msg or "timeout" in msg:
                raise QueryTimeout() from e
            raise

    # The workload. Anchored queries use the primary key `id`; only lookup_name goes by name.

    def lookup_name(self, p):
        return self.rows("MATCH (c:Company) WHERE c.name = $name RETURN c.id", {"name": p["name"]})

    def hop1(self, p):
        return self.rows("MATCH (a:Company)-[:OWNS]->(b:Company) WHERE a.id = $id RETURN b.id, b.name", {"id": p["id"]})

    def who_funds(self, p):
        # Funder -> deal -> a company that owns, develops or operates X, or X itself. Naming the
        # funder labels (the only ones with FUNDS into a deal) lets the planner start from X.
        label = p["label"]
        query = (
            "MATCH (f:Government:Agency:Company)-[:FUNDS]->(:Deal)-[:FUNDS]->(c:Company)-[:OWNS|DEVELOPS|OPERATES]->(x:%s) "
            "WHERE x.id = $id RETURN f.name AS name" % label
        )
        if label == "Company":
            query += (
                " UNION MATCH (f:Government:Agency:Company)-[:FUNDS]->(:Deal)-[:FUNDS]->(x:Company) "
                "WHERE x.id = $id RETURN f.name AS name"
            )
        else:
            query = query.replace("RETURN f.name", "RETURN DISTINCT f.name")
        return self.rows(query, {"id": p["id"]})

    def reach(self, p):
        return self.rows(
            "MATCH (a:Company)-[:OWNS*1..4]->(b:Company) WHERE a.id = $id RETURN count(DISTINCT b.id)", {"id": p["id"]}
        )

    def reach_shortest_mode(self, p):
        # Same answer as reach(): each reachable company once, found by Kùzu's shortest-path mode.
        return self.rows(
            "MATCH (a:Company)-[:OWNS* SHORTEST 1..4]->(b:Company) WHERE a.id = $id RETURN count(DISTINCT b.id)",
            {"id": p["id"]},
        )

    def shortest_path(self, p):
        # Any relationship type, either direction, at most 8 hops.
        return self.rows(
            "MATCH q = (a:Company)-[* SHORTEST 1..8]-(b:Company) WHERE a.id = $a AND b.id = $b RETURN length(q)",
            {"a": p["a"]["id"], "b": p["b"]["id"]},
        )

    def top10_funders(self, _p):
        return self.rows(
            "MATCH (f:Government:Agency)-[e:FUNDS]->(:Deal) "
            "RETURN f.name AS name, sum(e.amount) AS total ORDER BY total DESC, name LIMIT 10"
        )

    def write_mix(self, p):
        deal, funder, owns = p["deal"], p["funder"], p["owns"]
        money = {"amount": p["amount"], "date": p["date"]}
        self.rows("BEGIN TRANSACTION")
        try:
            self.rows(
                "CREATE (:Deal {id: $id, name: $name, kind: 'grant', status: 'announced', "
                "amount: $amount, currency: 'USD', date: $date})",
                {"id": deal["id"], "name": deal["name"], **money},
            )
            self.rows(
                "MATCH (f:%s), (d:Deal) WHERE f.id = $f AND d.id = $d "
                "CREATE (f)-[:FUNDS {amount: $amount, currency: 'USD', date: $date}]->(d)" % funder["label"],
                {"f": funder["id"], "d": deal["id"], **money},
            )
            self.rows(
                "MATCH (d:Deal), (c:Company) WHERE d.id = $d AND c.id = $c "
                "CREATE (d)-[:FUNDS {amount: $amount, currency: 'USD', date: $date}]->(c)",
                {"d": deal["id"], "c": p["recipient"]["id"], **money},
            )
            self.rows(
                "MATCH (a:Company)-[o:OWNS]->(b:Company) WHERE a.id = $a AND b.id = $b SET o.share = $share",
                {"a": owns["src"]["id"], "b": owns["dst"]["id"], "share": float(owns["share"])},
            )
            self.rows("COMMIT")
        except BaseException:
            try:
                self.conn.execute("ROLLBACK")
            except RuntimeError:
                pass  # The engine already ended the transaction.
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
            "reach_hub_shortest_mode": ("reach_hub", self.reach_shortest_mode, canon_scalar),
            "reach_typical_shortest_mode": ("reach_typical", self.reach_shortest_mode, canon_scalar),
            "shortest_path": ("shortest_path", self.shortest_path, canon_scalar),
            "top10_funders": ("top10_funders", self.top10_funders, canon_top10),
            "write_mix": ("write_mix", self.write_mix, canon_nothing),
        }


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--engine", choices=["kuzu", "ladybug"], required=True)
    ap.add_argument("--buffer-pool-mb", type=int, default=4096, help="buffer pool size in MiB")
    opts = ap.parse_args()
    run_phases(opts, KuzuEngine(opts.engine, opts.buffer_pool_mb))


if __name__ == "__main__":
    main()
