"""Runs Spark SQL compiled by `lode spark` over tables exported by it.

Reads one JSON request on standard input:
  {"tables": DIR, "master": "local[*]", "queries": [SQL or {"sql": SQL, "tables": DIR}, ...],
   "repeat": 1, "cache": true, "parquet": true}
and writes one JSON line per query on standard output:
  {"ok": true, "rows": [[cell, ...], ...], "seconds": [run, ...]}  or  {"ok": false, "error": TEXT}
Cells are null, booleans, integers, floats, or text (decimals written exactly, dates as ISO).

The exported JSON Lines tables are converted to Parquet (DIR/parquet/) on first use
and whenever the JSON Lines files are newer; tables under 1 MiB, or all when
"parquet" is false, are read from the JSON Lines files directly.
"""

import datetime
import decimal
import json
import math
import os
import sys
import time


def cell(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        raise ValueError("a non-finite float in a result")
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [cell(x) for x in v]
    return str(v)


# Shuffle partitions for tables that are not small (set from the request).
PARTITIONS = 8

# Tables smaller than this (bytes of JSON Lines) are read directly, not converted.
SMALL = 1 << 20


def stale(src, done):
    if not os.path.exists(done):
        return True
    return os.path.getmtime(src) > os.path.getmtime(done)


def register(spark, tables, cache, parquet=True):
    """Registers the views over the tables in a directory, converting them to Parquet when needed."""
    with open(os.path.join(tables, "schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    size = sum(os.path.getsize(os.path.join(tables, t + ".jsonl")) for t in ("nodes", "edges"))
    parquet = parquet and size >= SMALL
    # Few shuffle partitions for small tables: each one is a task per stage.
    spark.conf.set("spark.sql.shuffle.partitions", "1" if size < SMALL else str(PARTITIONS))
    for table in ("nodes", "edges"):
        src = os.path.join(tables, table + ".jsonl")
        out = os.path.join(tables, "parquet", table)
        ddl = ", ".join("`%s` %s" % (c["name"], c["type"]) for c in schema[table])
        if not parquet:
            df = spark.read.schema(ddl).option("mode", "FAILFAST").json(src)
        else:
            if stale(src, os.path.join(out, "_SUCCESS")):
                df = spark.read.schema(ddl).option("mode", "FAILFAST").json(src)
                df.write.mode("overwrite").parquet(out)
            df = spark.read.parquet(out)
        if cache:
            df = df.cache()
            df.count()
        df.createOrReplaceTempView(table)
    spark.sql("SELECT *, src AS efrom, dst AS eto FROM edges").createOrReplaceTempView("edges_out")
    spark.sql("SELECT *, dst AS efrom, src AS eto FROM edges").createOrReplaceTempView("edges_in")
    spark.sql(
        "SELECT * FROM edges_out UNION ALL SELECT * FROM edges_in WHERE src <> dst"
    ).createOrReplaceTempView("edges_both")


def message(e):
    """The first line of a Spark error, without the Py4J wrapper."""
    java = getattr(e, "java_exception", None)
    if java is not None:
        try:
            text = str(java.getMessage() or java.toString())
        except Exception:  # the JVM may be gone
            text = str(e)
    else:
        text = str(e)
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[0] if lines else type(e).__name__


def main():
    global PARTITIONS
    req = json.load(sys.stdin)
    PARTITIONS = int(req.get("partitions") or 8)
    tables = req.get("tables")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("lodestone")
        .master(req.get("master") or "local[*]")
        .config("spark.sql.ansi.enabled", "true")
        # Constraint propagation grows exponentially with the many aliased columns
        # of compiled graph patterns; it only adds inferred filters.
        .config("spark.sql.constraintPropagation.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(req.get("partitions") or 8))
        .config("spark.driver.memory", os.environ.get("LODE_SPARK_DRIVER_MEMORY", "4g"))
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    current = None
    if tables:
        register(spark, tables, req.get("cache", True), req.get("parquet", True))
        current = tables
    print(json.dumps({"ready": True}), flush=True)
    repeat = max(1, int(req.get("repeat") or 1))
    for item in req["queries"]:
        sql = item["sql"] if isinstance(item, dict) else item
        try:
            want = item.get("tables") if isinstance(item, dict) else None
            if want and want != current:
                register(spark, want, req.get("cache", True), req.get("parquet", True))
                current = want
            seconds = []
            rows = None
            for _ in range(repeat):
                t0 = time.perf_counter()
                rows = spark.sql(sql).collect()
                seconds.append(time.perf_counter() - t0)
            result = {"ok": True, "rows": [[cell(v) for v in r] for r in rows], "seconds": seconds}
        except Exception as e:  # a failing query is reported, the others still run
            result = {"ok": False, "error": message(e)}
        print(json.dumps(result), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
