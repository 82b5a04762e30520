//! Fixed, seeded query parameters (`params.json`) and graph statistics.

use crate::graph::{Counts, Date, EdgeType, Graph, Label, node_name, ownership_depth};
use crate::rng::Rng;
use serde_json::{Value, json};

fn node(counts: &Counts, id: u32) -> Value {
    json!({"id": id, "name": node_name(counts, id), "label": counts.label_of(id).name()})
}

/// Draws `k` distinct values from `pool` (all of them when it is smaller), in draw order.
fn sample(rng: &mut Rng, pool: &[u32], k: usize) -> Vec<u32> {
    let mut pool = pool.to_vec();
    let mut out = Vec::with_capacity(k.min(pool.len()));
    while out.len() < k && !pool.is_empty() {
        let i = rng.below(pool.len() as u64) as usize;
        out.push(pool.swap_remove(i));
    }
    out
}

/// Builds the parameters document: for every query, a list of parameter objects that the
/// runners cycle through; plus `stats` describing the graph.
pub fn params(graph: &Graph) -> Value {
    let counts = &graph.counts;
    let n = counts.total() as usize;
    let mut rng = Rng::new(graph.seed, 100);
    let cbase = counts.base(Label::Company);
    let companies: Vec<u32> = (cbase..cbase + counts.count(Label::Company)).collect();

    let mut owns_out = vec![0u32; n];
    let mut funded = vec![false; n];
    let mut degree = vec![0u32; n];
    let mut per_type = [0u64; 7];
    let mut company_owns: Vec<(u32, u32)> = Vec::new();
    for e in &graph.edges {
        per_type[EdgeType::ALL.iter().position(|k| *k == e.kind).unwrap_or(0)] += 1;
        degree[e.src as usize] += 1;
        degree[e.dst as usize] += 1;
        match e.kind {
            EdgeType::Owns if counts.label_of(e.src) == Label::Company => {
                owns_out[e.src as usize] += 1;
                company_owns.push((e.src, e.dst));
            }
            EdgeType::Funds if counts.label_of(e.src) == Label::Deal => funded[e.dst as usize] = true,
            _ => {}
        }
    }
    let hub = companies
        .iter()
        .copied()
        .max_by_key(|c| (owns_out[*c as usize], std::cmp::Reverse(*c)))
        .unwrap_or(cbase);
    let owners: Vec<u32> = companies
        .iter()
        .copied()
        .filter(|c| owns_out[*c as usize] > 0)
        .collect();

    // Who-funds targets with a non-empty answer.
    let mut deposit_ok = vec![false; n];
    let mut owner_funded = vec![false; n];
    for e in &graph.edges {
        let s = e.src as usize;
        match e.kind {
            EdgeType::Develops | EdgeType::Operates if funded[s] => deposit_ok[e.dst as usize] = true,
            EdgeType::Owns if funded[s] => owner_funded[e.dst as usize] = true,
            _ => {}
        }
    }
    let pbase = counts.base(Label::Deposit);
    let deposits: Vec<u32> = (pbase..pbase + counts.count(Label::Deposit))
        .filter(|d| deposit_ok[*d as usize])
        .collect();
    let both: Vec<u32> = companies
        .iter()
        .copied()
        .filter(|c| funded[*c as usize] && owner_funded[*c as usize])
        .collect();
    let either: Vec<u32> = companies
        .iter()
        .copied()
        .filter(|c| funded[*c as usize] || owner_funded[*c as usize])
        .collect();
    let fund_companies = if both.len() >= 10 { both } else { either };

    let nodes = |ids: Vec<u32>| -> Value { Value::Array(ids.into_iter().map(|id| node(counts, id)).collect()) };
    let lookup = nodes(sample(&mut rng, &companies, 100));
    let hop1_typical = nodes(sample(&mut rng, &owners, 10));
    let reach_typical = nodes(sample(&mut rng, &owners, 10));
    let who_deposit = nodes(sample(&mut rng, &deposits, 10));
    let who_company = nodes(sample(&mut rng, &fund_companies, 10));
    let mut pairs = Vec::new();
    while pairs.len() < 10 {
        let a = companies[rng.below(companies.len() as u64) as usize];
        let b = companies[rng.below(companies.len() as u64) as usize];
        if a != b {
            pairs.push(json!({"a": node(counts, a), "b": node(counts, b)}));
        }
    }

    let gbase = counts.base(Label::Government);
    let public = counts.count(Label::Government) + counts.count(Label::Agency);
    let mut writes = Vec::new();
    for k in 0..300u32 {
        let funder = if rng.percent(50) {
            gbase + rng.below(u64::from(public)) as u32
        } else {
            companies[rng.below(companies.len() as u64) as usize]
        };
        let recipient = companies[rng.below(companies.len() as u64) as usize];
        let amount = rng.range(10, 999) * 10u64.pow(3 + rng.below(4) as u32);
        let date = Date {
            year: rng.range(2025, 2026) as u16,
            month: rng.range(1, 12) as u8,
            day: 0,
        };
        let (osrc, odst) = company_owns
            .get(rng.below(company_owns.len().max(1) as u64) as usize)
            .copied()
            .unwrap_or((cbase, cbase));
        let share = rng.range(10, 1000);
        let deal_id = counts.total() + k;
        writes.push(json!({
            "deal": {"id": deal_id, "name": format!("Deal {}", counts.count(Label::Deal) + k), "label": "Deal"},
            "funder": node(counts, funder),
            "recipient": node(counts, recipient),
            "amount": amount,
            "date": date.render(),
            "owns": {"src": node(counts, osrc), "dst": node(counts, odst), "share": format!("{}.{}", share / 10, share % 10)},
        }));
    }

    let edge_counts: serde_json::Map<String, Value> = EdgeType::ALL
        .iter()
        .zip(per_type)
        .map(|(k, c)| (k.name().to_string(), json!(c)))
        .collect();
    let node_counts: serde_json::Map<String, Value> = Label::ALL
        .iter()
        .map(|l| (l.name().to_string(), json!(counts.count(*l))))
        .collect();
    json!({
        "seed": graph.seed,
        "nodes": counts.total(),
        "edges": graph.edges.len(),
        "stats": {
            "nodes_per_label": node_counts,
            "edges_per_type": edge_counts,
            "max_degree": degree.iter().max().copied().unwrap_or(0),
            "hub_owns_out_degree": owns_out[hub as usize],
            "max_ownership_depth": ownership_depth(counts, &graph.edges),
        },
        "queries": {
            "lookup_name": lookup,
            "hop1_hub": [node(counts, hub)],
            "hop1_typical": hop1_typical,
            "who_funds_deposit": who_deposit,
            "who_funds_company": who_company,
            "reach_hub": [node(counts, hub)],
            "reach_typical": reach_typical,
            "shortest_path": pairs,
            "top10_funders": [{}],
            "write_mix": writes,
        },
    })
}
