//! Query benchmarks: the engine's own statements over the comparison harness's generated
//! supply-chain graph.
//!
//! `cargo bench --bench queries` generates a 100K-node graph with `lodestone-gen` (seed 42;
//! `LODESTONE_BENCH_NODES` overrides the size), imports it with the CLI importer into a
//! temporary database with an index on `id` for every label, and measures: a name lookup,
//! 1-hop over OWNS from the top owner and from a typical owner, who-funds over deals, the
//! `*1..4` reachability count, a shortest path of at most 8 hops and the top-10 funder
//! aggregation (written with `WHERE f:A OR f:B` and with the label disjunction
//! `(f:A|B)`). Parameters come from the generator's `params.json`. Each statement runs
//! through `Database::query`, so repeated runs reuse the parsed statement.

use criterion::Criterion;
use lodestone::{Database, Params, Value};
use serde_json::Value as Json;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[path = "support/mod.rs"]
mod support;

/// Generates the graph into `dir` and imports it into a database at `dir/db`.
fn setup(dir: &Path, nodes: u64) -> (Database, Json) {
    let status = Command::new(env!("CARGO_BIN_EXE_lodestone-gen"))
        .arg("--nodes")
        .arg(nodes.to_string())
        .arg("--seed")
        .arg("42")
        .arg("--out")
        .arg(dir)
        .status()
        .expect("run lodestone-gen");
    assert!(status.success(), "lodestone-gen failed");
    let db = Database::open(dir.join("db")).expect("open database");
    support::import_generated(&db, dir).expect("import");
    let params = std::fs::read_to_string(dir.join("params.json")).expect("read params.json");
    (db, serde_json::from_str(&params).expect("parse params.json"))
}

fn first<'a>(params: &'a Json, key: &str) -> &'a Json {
    &params["queries"][key][0]
}

fn id_param(key: &str, node: &Json) -> Params {
    let mut p = Params::new();
    p.insert(key.to_string(), Value::Int(node["id"].as_i64().expect("integer id")));
    p
}

fn main() {
    let nodes = std::env::var("LODESTONE_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000u64);
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, params) = setup(dir.path(), nodes);

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let mut g = c.benchmark_group(format!("queries_{nodes}"));
    let mut bench = |name: &str, text: &str, p: Params| {
        g.bench_function(name, |b| {
            b.iter(|| black_box(db.query(text, &p).expect("query").rows.len()));
        });
    };

    let mut name = Params::new();
    let company = first(&params, "lookup_name");
    name.insert(
        "name".into(),
        Value::String(company["name"].as_str().expect("name").to_string()),
    );
    bench("lookup_name", "MATCH (c:Company {name: $name}) RETURN c.id AS id", name);

    let hop1 = "MATCH (:Company {id: $id})-[:OWNS]->(c:Company) RETURN c.id AS id, c.name AS name";
    bench("hop1_hub", hop1, id_param("id", first(&params, "hop1_hub")));
    bench("hop1_typical", hop1, id_param("id", first(&params, "hop1_typical")));

    let who = "MATCH (:Company {id: $id})<-[:OWNS|DEVELOPS|OPERATES]-(:Company)<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) \
               RETURN f.name AS name UNION \
               MATCH (:Company {id: $id})<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) RETURN f.name AS name";
    bench(
        "who_funds_company",
        who,
        id_param("id", first(&params, "who_funds_company")),
    );

    let reach = "MATCH (:Company {id: $id})-[:OWNS*1..4]->(c:Company) RETURN count(DISTINCT c) AS n";
    bench("reach_typical", reach, id_param("id", first(&params, "reach_typical")));
    bench("reach_hub", reach, id_param("id", first(&params, "reach_hub")));

    let pair = first(&params, "shortest_path");
    let mut sp = id_param("a", &pair["a"]);
    sp.extend(id_param("b", &pair["b"]));
    bench(
        "shortest_path",
        "MATCH p = shortestPath((:Company {id: $a})-[*..8]-(:Company {id: $b})) RETURN length(p) AS n",
        sp,
    );

    bench(
        "top10_funders",
        "MATCH (f)-[r:FUNDS]->() WHERE f:Government OR f:Agency \
         RETURN f.name AS name, sum(r.amount) AS total ORDER BY total DESC, name LIMIT 10",
        Params::new(),
    );
    bench(
        "top10_funders_label_disjunction",
        "MATCH (f:Government|Agency)-[r:FUNDS]->() \
         RETURN f.name AS name, sum(r.amount) AS total ORDER BY total DESC, name LIMIT 10",
        Params::new(),
    );
    g.finish();
    c.final_summary();
}
