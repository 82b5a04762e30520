//! `lodestone-floor`: the traversal floor for the comparison benchmarks.
//!
//! ```text
//! lodestone-floor --data DIR --params DIR/params.json [--warmup 5] [--runs 30] [--budget 20]
//! ```
//!
//! Loads `nodes.csv` and `edges.csv` (the importer's format, as written by `lodestone-gen`)
//! into petgraph graphs held in memory and times hand-written traversals: 1-hop over OWNS,
//! `*1..4` reachability over OWNS (breadth-first, counting distinct nodes) and a
//! bidirectional breadth-first shortest path (any edge, either direction, at most 8 hops).
//! Prints one JSON document in the shape the comparison runners print.
//!
//! Two graphs share node indices: `all` holds every edge, `owns` only OWNS edges, so that
//! OWNS traversals read OWNS adjacency alone.

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[path = "../support/mod.rs"]
mod support;
use support::{loadavg, peak_rss_mb};

/// Errors of the floor benchmark.
#[derive(Debug, thiserror::Error)]
enum FloorError {
    /// The command line could not be understood.
    #[error("{0}\nusage: lodestone-floor --data DIR --params FILE [--warmup N] [--runs N] [--budget SECONDS]")]
    Usage(String),
    /// A file could not be read.
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A CSV line or the params file is malformed.
    #[error("{0}")]
    Format(String),
}

/// Parsed command line.
struct Args {
    data: PathBuf,
    params: PathBuf,
    warmup: usize,
    runs: usize,
    budget: f64,
}

fn parse_args() -> Result<Args, FloorError> {
    let mut data = None;
    let mut params = None;
    let (mut warmup, mut runs, mut budget) = (5usize, 30usize, 20.0f64);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| FloorError::Usage(format!("{name} needs a value")))
        };
        let bad = |name: &str| FloorError::Usage(format!("bad value for {name}"));
        match arg.as_str() {
            "--data" => data = Some(PathBuf::from(value("--data")?)),
            "--params" => params = Some(PathBuf::from(value("--params")?)),
            "--warmup" => warmup = value("--warmup")?.parse().map_err(|_| bad("--warmup"))?,
            "--runs" => runs = value("--runs")?.parse().map_err(|_| bad("--runs"))?,
            "--budget" => budget = value("--budget")?.parse().map_err(|_| bad("--budget"))?,
            // Accepted for a uniform command line across engines; the floor needs no limit.
            "--timeout" | "--db" => {
                value(&arg)?;
            }
            other => return Err(FloorError::Usage(format!("unknown argument '{other}'"))),
        }
    }
    Ok(Args {
        data: data.ok_or_else(|| FloorError::Usage(String::from("--data is required")))?,
        params: params.ok_or_else(|| FloorError::Usage(String::from("--params is required")))?,
        warmup,
        runs: runs.max(1),
        budget,
    })
}

/// The in-memory graphs.
struct Graphs {
    /// Every edge; node weight is the external id.
    all: DiGraph<u64, u8>,
    /// OWNS edges only, same node indices as `all`.
    owns: DiGraph<(), ()>,
    /// External id to node index.
    index: HashMap<u64, NodeIndex>,
}

fn lines(path: &Path) -> Result<impl Iterator<Item = Result<String, FloorError>> + use<>, FloorError> {
    let file = File::open(path).map_err(|e| FloorError::Io(path.to_path_buf(), e))?;
    let p = path.to_path_buf();
    Ok(BufReader::with_capacity(1 << 20, file)
        .lines()
        .map(move |l| l.map_err(|e| FloorError::Io(p.clone(), e))))
}

/// Reads `nodes.csv` and `edges.csv`. Fields never contain commas or quotes in generated
/// data, so a line splits on commas.
fn load(dir: &Path) -> Result<Graphs, FloorError> {
    let mut all = DiGraph::<u64, u8>::new();
    let mut owns = DiGraph::<(), ()>::new();
    let mut index = HashMap::new();
    let mut it = lines(&dir.join("nodes.csv"))?;
    it.next();
    for line in it {
        let line = line?;
        let id_text = line.split(',').next().unwrap_or("");
        let id: u64 = id_text
            .parse()
            .map_err(|_| FloorError::Format(format!("bad node id '{id_text}'")))?;
        let n = all.add_node(id);
        owns.add_node(());
        index.insert(id, n);
    }
    let mut types: HashMap<String, u8> = HashMap::new();
    let mut it = lines(&dir.join("edges.csv"))?;
    it.next();
    for line in it {
        let line = line?;
        let mut f = line.splitn(4, ',');
        let (s, d, t) = (f.next().unwrap_or(""), f.next().unwrap_or(""), f.next().unwrap_or(""));
        let node = |text: &str| -> Result<NodeIndex, FloorError> {
            text.parse::<u64>()
                .ok()
                .and_then(|id| index.get(&id).copied())
                .ok_or_else(|| FloorError::Format(format!("edge names an unknown node '{text}'")))
        };
        let (s, d) = (node(s)?, node(d)?);
        let next = types.len() as u8;
        let kind = *types.entry(t.to_string()).or_insert(next);
        all.add_edge(s, d, kind);
        if t == "OWNS" {
            owns.add_edge(s, d, ());
        }
    }
    Ok(Graphs { all, owns, index })
}

/// Reusable visit marks: a node is visited in the current traversal when its stamp equals
/// the current generation, so nothing is cleared between traversals.
struct Marks {
    stamp: Vec<u32>,
    side: Vec<u8>,
    dist: Vec<u8>,
    generation: u32,
}

impl Marks {
    fn new(n: usize) -> Self {
        Marks {
            stamp: vec![0; n],
            side: vec![0; n],
            dist: vec![0; n],
            generation: 0,
        }
    }

    fn next(&mut self) {
        self.generation += 1;
    }

    fn seen(&self, n: NodeIndex) -> bool {
        self.stamp[n.index()] == self.generation
    }

    fn mark(&mut self, n: NodeIndex, side: u8, dist: u8) {
        self.stamp[n.index()] = self.generation;
        self.side[n.index()] = side;
        self.dist[n.index()] = dist;
    }
}

/// What a company owns: the OWNS targets, as external ids.
fn hop1(g: &Graphs, start: NodeIndex) -> Vec<u64> {
    g.owns
        .neighbors_directed(start, Direction::Outgoing)
        .map(|n| g.all[n])
        .collect()
}

/// Distinct nodes reachable over OWNS in 1..=4 hops, breadth-first.
fn reach(g: &Graphs, marks: &mut Marks, start: NodeIndex) -> usize {
    marks.next();
    marks.mark(start, 0, 0);
    let mut frontier = vec![start];
    let mut next = Vec::new();
    let mut count = 0;
    for depth in 1..=4u8 {
        for &u in &frontier {
            for v in g.owns.neighbors_directed(u, Direction::Outgoing) {
                if !marks.seen(v) {
                    marks.mark(v, 0, depth);
                    next.push(v);
                    count += 1;
                }
            }
        }
        if next.is_empty() {
            break;
        }
        std::mem::swap(&mut frontier, &mut next);
        next.clear();
    }
    count
}

/// Hop count of a shortest path between `a` and `b` over any edge in either direction, at
/// most `max` hops; bidirectional breadth-first search expanding the smaller frontier a whole
/// level at a time.
fn shortest(g: &Graphs, marks: &mut Marks, a: NodeIndex, b: NodeIndex, max: u8) -> Option<u8> {
    if a == b {
        return Some(0);
    }
    marks.next();
    marks.mark(a, 0, 0);
    marks.mark(b, 1, 0);
    let mut fronts = [vec![a], vec![b]];
    let mut depth = [0u8, 0u8];
    let mut next = Vec::new();
    while !fronts[0].is_empty() && !fronts[1].is_empty() && depth[0] + depth[1] < max {
        let side = usize::from(fronts[1].len() < fronts[0].len());
        let d = depth[side] + 1;
        let mut best: Option<u8> = None;
        for &u in &fronts[side] {
            for v in g.all.neighbors_undirected(u) {
                if marks.seen(v) {
                    if usize::from(marks.side[v.index()]) != side {
                        let len = d + marks.dist[v.index()];
                        best = Some(best.map_or(len, |b| b.min(len)));
                    }
                } else {
                    marks.mark(v, side as u8, d);
                    next.push(v);
                }
            }
        }
        if let Some(len) = best {
            return (len <= max).then_some(len);
        }
        std::mem::swap(&mut fronts[side], &mut next);
        next.clear();
        depth[side] = d;
    }
    None
}

/// FNV-1a 64-bit hash as 16 hex digits (the runners' canonical hash).
fn fnv1a64(text: &str) -> String {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    format!("{h:016x}")
}

/// `count:hash` of the items as text, sorted as strings.
fn canon_set(items: &[u64]) -> String {
    let mut text: Vec<String> = items.iter().map(u64::to_string).collect();
    text.sort();
    format!("{}:{}", text.len(), fnv1a64(&text.join("\n")))
}

/// Times `run` over warm runs cycling through `params`, with the runners' rules: up to
/// `warmup` warm-up runs (fewer once they pass half the budget), then up to `runs` timed runs
/// (fewer once they pass the budget). `run` returns the canonical result, kept per parameter
/// from its first run.
fn measure<P, R>(args: &Args, params: &[P], mut run: impl FnMut(&P) -> R, canon: impl Fn(&R) -> String) -> Value {
    if params.is_empty() {
        return json!({"status": "error", "error": "no parameters"});
    }
    let mut results: Vec<Option<String>> = vec![None; params.len()];
    let mut i = 0usize;
    let mut one = |results: &mut Vec<Option<String>>| -> f64 {
        let idx = i % params.len();
        i += 1;
        let t0 = Instant::now();
        let r = run(&params[idx]);
        let elapsed = t0.elapsed().as_secs_f64();
        if results[idx].is_none() {
            results[idx] = Some(canon(&r));
        }
        elapsed
    };
    let mut spent = 0.0;
    for _ in 0..args.warmup {
        spent += one(&mut results);
        if spent > args.budget / 2.0 {
            break;
        }
    }
    let mut times = Vec::with_capacity(args.runs);
    spent = 0.0;
    while times.len() < args.runs {
        let t = one(&mut results);
        times.push(t * 1000.0);
        spent += t;
        if spent > args.budget {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    };
    let p95 = times[((0.95 * n as f64).ceil() as usize).clamp(1, n) - 1];
    let mean = times.iter().sum::<f64>() / n as f64;
    json!({"status": "ok", "runs": n, "median_ms": median, "p95_ms": p95, "mean_ms": mean, "results": results})
}

/// Node indices of the parameter list `key` (objects with an `id`).
fn starts(g: &Graphs, params: &Value, key: &str) -> Result<Vec<NodeIndex>, FloorError> {
    params["queries"][key]
        .as_array()
        .ok_or_else(|| FloorError::Format(format!("params.json has no '{key}' list")))?
        .iter()
        .map(|p| node_of(g, &p["id"]))
        .collect()
}

fn node_of(g: &Graphs, id: &Value) -> Result<NodeIndex, FloorError> {
    id.as_u64()
        .and_then(|id| g.index.get(&id).copied())
        .ok_or_else(|| FloorError::Format(format!("params.json names an unknown node {id}")))
}

fn run() -> Result<Value, FloorError> {
    let args = parse_args()?;
    let text = std::fs::read_to_string(&args.params).map_err(|e| FloorError::Io(args.params.clone(), e))?;
    let params: Value = serde_json::from_str(&text).map_err(|e| FloorError::Format(format!("params.json: {e}")))?;
    let loadavg_start = loadavg();
    let t0 = Instant::now();
    let g = load(&args.data)?;
    let load_s = t0.elapsed().as_secs_f64();
    let peak_load = peak_rss_mb();
    let mut marks = Marks::new(g.all.node_count());
    let mut queries = serde_json::Map::new();

    for key in ["hop1_hub", "hop1_typical"] {
        let s = starts(&g, &params, key)?;
        queries.insert(key.into(), measure(&args, &s, |n| hop1(&g, *n), |r| canon_set(r)));
    }
    for key in ["reach_hub", "reach_typical"] {
        let s = starts(&g, &params, key)?;
        queries.insert(
            key.into(),
            measure(&args, &s, |n| reach(&g, &mut marks, *n), |r| r.to_string()),
        );
    }
    let pairs: Vec<(NodeIndex, NodeIndex)> = params["queries"]["shortest_path"]
        .as_array()
        .ok_or_else(|| FloorError::Format(String::from("params.json has no 'shortest_path' list")))?
        .iter()
        .map(|p| Ok((node_of(&g, &p["a"]["id"])?, node_of(&g, &p["b"]["id"])?)))
        .collect::<Result<_, FloorError>>()?;
    queries.insert(
        "shortest_path".into(),
        measure(
            &args,
            &pairs,
            |(a, b)| shortest(&g, &mut marks, *a, *b, 8),
            |r| r.map_or_else(|| String::from("none"), |l| l.to_string()),
        ),
    );

    Ok(json!({
        "engine": "petgraph-floor",
        "version": "petgraph 0.8",
        "nodes": g.all.node_count(),
        "edges": g.all.edge_count(),
        "load_s": load_s,
        "peak_rss_load_mb": peak_load,
        "peak_rss_query_mb": peak_rss_mb(),
        "loadavg_start": loadavg_start,
        "loadavg_end": loadavg(),
        "queries": queries,
    }))
}

fn main() -> ExitCode {
    match run() {
        Ok(doc) => match serde_json::to_string_pretty(&doc) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("lodestone-floor: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("lodestone-floor: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graphs(n: u64, edges: &[(u64, u64, &str)]) -> Graphs {
        let mut all = DiGraph::new();
        let mut owns = DiGraph::new();
        let mut index = HashMap::new();
        for id in 0..n {
            index.insert(id, all.add_node(id));
            owns.add_node(());
        }
        for (s, d, t) in edges {
            let (s, d) = (index[s], index[d]);
            all.add_edge(s, d, 0);
            if *t == "OWNS" {
                owns.add_edge(s, d, ());
            }
        }
        Graphs { all, owns, index }
    }

    #[test]
    fn reach_counts_distinct_nodes_within_four_hops() {
        // 0 -> 1 -> 2 -> 3 -> 4 -> 5, plus 0 -> 2 (a second path) and a SUPPLIES edge 0 -> 6.
        let g = graphs(
            7,
            &[
                (0, 1, "OWNS"),
                (1, 2, "OWNS"),
                (2, 3, "OWNS"),
                (3, 4, "OWNS"),
                (4, 5, "OWNS"),
                (0, 2, "OWNS"),
                (0, 6, "SUPPLIES"),
            ],
        );
        let mut m = Marks::new(7);
        // Via 0 -> 2 the node 5 is 4 hops away: 1, 2, 3, 4, 5.
        assert_eq!(reach(&g, &mut m, g.index[&0]), 5);
        assert_eq!(reach(&g, &mut m, g.index[&3]), 2);
        assert_eq!(hop1(&g, g.index[&0]).len(), 2);
    }

    #[test]
    fn bidirectional_shortest_path_ignores_direction_and_respects_limit() {
        let chain: Vec<(u64, u64, &str)> = (0..10).map(|i| (i + 1, i, "SUPPLIES")).collect();
        let g = graphs(11, &chain);
        let mut m = Marks::new(11);
        assert_eq!(shortest(&g, &mut m, g.index[&0], g.index[&3], 8), Some(3));
        assert_eq!(shortest(&g, &mut m, g.index[&0], g.index[&8], 8), Some(8));
        assert_eq!(shortest(&g, &mut m, g.index[&0], g.index[&9], 8), None);
        let g = graphs(4, &[(0, 1, "X"), (1, 3, "X"), (0, 2, "X"), (2, 3, "X"), (0, 3, "X")]);
        let mut m = Marks::new(4);
        assert_eq!(shortest(&g, &mut m, g.index[&0], g.index[&3], 8), Some(1));
    }

    #[test]
    fn canonical_hash_matches_the_runners() {
        // FNV-1a 64 of the empty string is the offset basis.
        assert_eq!(fnv1a64(""), "cbf29ce484222325");
        assert_eq!(canon_set(&[10, 9]), format!("2:{}", fnv1a64("10\n9")));
    }
}
