//! The synthetic supply-chain graph: node blocks per label and edges per type.
//!
//! Node ids are dense, `0..n`, one contiguous block per label in the order of [`Label::ALL`].
//! Degrees are skewed by preferential attachment ([`Pref`]); ownership is acyclic because an
//! owner company always has a smaller company index than the company it owns.

use crate::rng::{Pref, Rng};
use std::collections::HashSet;

/// Node labels, in id-block order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// A country, state or bloc.
    Government,
    /// A department, bank or programme of a government.
    Agency,
    /// A company.
    Company,
    /// An investment event; money flows funder → deal → recipient.
    Deal,
    /// A refinery, separation, magnet or recycling plant.
    Facility,
    /// A mineral deposit.
    Deposit,
    /// A material such as NdPr oxide.
    Material,
}

impl Label {
    /// All labels in id-block order.
    pub const ALL: [Label; 7] = [
        Label::Government,
        Label::Agency,
        Label::Company,
        Label::Deal,
        Label::Facility,
        Label::Deposit,
        Label::Material,
    ];

    /// The label as written in the CSV files and schemas.
    pub fn name(self) -> &'static str {
        match self {
            Label::Government => "Government",
            Label::Agency => "Agency",
            Label::Company => "Company",
            Label::Deal => "Deal",
            Label::Facility => "Facility",
            Label::Deposit => "Deposit",
            Label::Material => "Material",
        }
    }
}

/// Edge types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeType {
    /// Owner → company, with a share.
    Owns,
    /// Funder → deal and deal → recipient, with an amount and a date.
    Funds,
    /// Supplier → customer company.
    Supplies,
    /// Company — company partnership (direction carries no meaning).
    PartnersWith,
    /// Company → facility.
    Operates,
    /// Company → deposit.
    Develops,
    /// Facility → material.
    Produces,
}

impl EdgeType {
    /// All edge types in file order.
    pub const ALL: [EdgeType; 7] = [
        EdgeType::Owns,
        EdgeType::Funds,
        EdgeType::Supplies,
        EdgeType::PartnersWith,
        EdgeType::Operates,
        EdgeType::Develops,
        EdgeType::Produces,
    ];

    /// The type as written in the CSV files and schemas.
    pub fn name(self) -> &'static str {
        match self {
            EdgeType::Owns => "OWNS",
            EdgeType::Funds => "FUNDS",
            EdgeType::Supplies => "SUPPLIES",
            EdgeType::PartnersWith => "PARTNERS_WITH",
            EdgeType::Operates => "OPERATES",
            EdgeType::Develops => "DEVELOPS",
            EdgeType::Produces => "PRODUCES",
        }
    }
}

/// A date with year, month or day precision, packed as `yyyy`, `mm` (0 = absent), `dd` (0 = absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month 1..=12, or 0 for year precision.
    pub month: u8,
    /// Day 1..=28, or 0 for month or year precision.
    pub day: u8,
}

impl Date {
    /// A random date in 2015..=2026: 20% year, 40% month, 40% day precision.
    fn random(rng: &mut Rng) -> Date {
        let year = rng.range(2015, 2026) as u16;
        let precision = rng.below(10);
        let month = if precision < 2 { 0 } else { rng.range(1, 12) as u8 };
        let day = if precision < 6 { 0 } else { rng.range(1, 28) as u8 };
        Date { year, month, day }
    }

    /// Renders `2025`, `2025-09` or `2025-09-14`.
    pub fn render(self) -> String {
        match (self.month, self.day) {
            (0, _) => format!("{:04}", self.year),
            (m, 0) => format!("{:04}-{:02}", self.year, m),
            (m, d) => format!("{:04}-{:02}-{:02}", self.year, m, d),
        }
    }
}

/// One edge with its typed properties; unused properties are zero.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    /// Start node id.
    pub src: u32,
    /// End node id.
    pub dst: u32,
    /// Edge type.
    pub kind: EdgeType,
    /// OWNS: share in tenths of a percent (1..=1000).
    pub share_tenths: u16,
    /// PARTNERS_WITH: strength score in hundredths (0..=100).
    pub score_hundredths: u16,
    /// SUPPLIES and PARTNERS_WITH: the year the relation started.
    pub year: u16,
    /// FUNDS: the date.
    pub date: Date,
    /// FUNDS: amount in whole US dollars.
    pub amount: u64,
}

impl Edge {
    fn plain(src: u32, dst: u32, kind: EdgeType) -> Edge {
        Edge {
            src,
            dst,
            kind,
            share_tenths: 0,
            score_hundredths: 0,
            year: 0,
            date: Date::default(),
            amount: 0,
        }
    }
}

/// Deal node properties (the only nodes whose properties depend on edges).
#[derive(Clone, Debug)]
pub struct DealInfo {
    /// Deal kind, such as `grant`.
    pub kind: &'static str,
    /// Lifecycle status.
    pub status: &'static str,
    /// Total amount in whole US dollars: the sum of its incoming FUNDS amounts.
    pub amount: u64,
    /// The deal date.
    pub date: Date,
}

/// Materials, by decreasing popularity.
pub const MATERIALS: [&str; 12] = [
    "NdPr oxide",
    "dysprosium",
    "terbium",
    "lithium carbonate",
    "graphite",
    "cobalt",
    "gallium",
    "germanium",
    "tungsten",
    "antimony",
    "tellurium",
    "scandium",
];

/// Country codes, by decreasing frequency.
pub const COUNTRIES: [&str; 24] = [
    "US", "CN", "AU", "CA", "JP", "DE", "GB", "KR", "FR", "BR", "IN", "ZA", "CL", "AR", "ID", "VN", "MY", "NO", "SE",
    "FI", "KZ", "MN", "CD", "TZ",
];

const DEAL_KINDS: [&str; 7] = [
    "grant",
    "loan",
    "equity",
    "preferred stock",
    "offtake",
    "acquisition",
    "joint venture",
];
const DEAL_STATUS: [&str; 5] = ["announced", "signed", "completed", "pending", "proposed"];
const FACILITY_KINDS: [&str; 4] = ["refinery", "separation plant", "magnet plant", "recycling plant"];

/// Share of OWNS end draws that repeat an earlier draw (the rest are uniform); higher makes
/// the large owners larger and more entangled.
const OWNS_POOL_PERCENT: u64 = 75;

/// Node counts per label.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// Count per label, in [`Label::ALL`] order.
    pub per_label: [u32; 7],
}

impl Counts {
    /// The node mix for `n` nodes: governments and agencies 2% (a quarter governments),
    /// deals 15%, facilities 13%, deposits 10%, 12 materials, companies the rest (about 60%).
    pub fn for_nodes(n: u32) -> Counts {
        let pct = |p: u64| ((u64::from(n) * p) / 100) as u32;
        let gov_and_agency = pct(2).max(2);
        let governments = (gov_and_agency / 4).max(1);
        let agencies = gov_and_agency - governments;
        let deals = pct(15);
        let facilities = pct(13);
        let deposits = pct(10);
        let materials = MATERIALS.len() as u32;
        let companies = n - governments - agencies - deals - facilities - deposits - materials;
        Counts {
            per_label: [governments, agencies, companies, deals, facilities, deposits, materials],
        }
    }

    /// Nodes of one label.
    pub fn count(&self, label: Label) -> u32 {
        self.per_label[label as usize]
    }

    /// The first id of a label's block.
    pub fn base(&self, label: Label) -> u32 {
        self.per_label[..label as usize].iter().sum()
    }

    /// Total nodes.
    pub fn total(&self) -> u32 {
        self.per_label.iter().sum()
    }

    /// The label of a node id.
    pub fn label_of(&self, id: u32) -> Label {
        let mut start = 0;
        for label in Label::ALL {
            start += self.count(label);
            if id < start {
                return label;
            }
        }
        Label::Material
    }

    /// The node's index inside its label block.
    pub fn local(&self, id: u32) -> u32 {
        id - self.base(self.label_of(id))
    }
}

/// The whole generated graph.
pub struct Graph {
    /// Node counts per label.
    pub counts: Counts,
    /// Seed the graph was generated from.
    pub seed: u64,
    /// All edges, grouped by type in [`EdgeType::ALL`] order.
    pub edges: Vec<Edge>,
    /// Deal properties, indexed by local deal index.
    pub deals: Vec<DealInfo>,
}

/// Generates the graph for `n` nodes and a seed.
pub fn generate(n: u32, seed: u64) -> Graph {
    let counts = Counts::for_nodes(n);
    let mut edges = Vec::with_capacity(n as usize * 5);
    owns(&counts, seed, &mut edges);
    let deals = funds(&counts, seed, &mut edges);
    company_pairs(&counts, seed, EdgeType::Supplies, 22, &mut edges);
    company_pairs(&counts, seed, EdgeType::PartnersWith, 12, &mut edges);
    operates_develops(&counts, seed, &mut edges);
    produces(&counts, seed, &mut edges);
    Graph {
        counts,
        seed,
        edges,
        deals,
    }
}

/// OWNS: about one company-to-company edge per company. Both ends are drawn from one shared
/// preferential-attachment pool, so large owners own other large owners, as conglomerates
/// do, and walks from a large owner multiply. Companies are then put in tiers by their OWNS
/// degree (the top 10, the next 90, the next 900, ...; the last tier holds the rest), and a
/// pair is oriented from the lower tier to the higher; pairs inside one tier are dropped,
/// except in the last tier where the smaller index owns. Ownership is therefore acyclic and
/// chains are at most a few levels deeper than the number of tiers. 5% of companies also
/// get a government owner. Shares of one owned company add up to 30..=100%. Edges come out
/// sorted by owned company, then owner.
fn owns(counts: &Counts, seed: u64, edges: &mut Vec<Edge>) {
    let mut rng = Rng::new(seed, 1);
    let companies = counts.count(Label::Company);
    let cbase = counts.base(Label::Company);
    let gbase = counts.base(Label::Government);
    let mut pool = Pref::new(companies, OWNS_POOL_PERCENT);
    let mut gov_pref = Pref::new(counts.count(Label::Government), 70);
    let mut drawn: Vec<(u32, u32)> = Vec::with_capacity(companies as usize);
    let mut degree = vec![0u32; companies as usize];
    for _ in 0..companies {
        let a = pool.draw(&mut rng);
        let b = pool.draw(&mut rng);
        if a != b {
            drawn.push((a, b));
            degree[a as usize] += 1;
            degree[b as usize] += 1;
        }
    }
    let mut by_rank: Vec<u32> = (0..companies).collect();
    by_rank.sort_unstable_by_key(|c| (std::cmp::Reverse(degree[*c as usize]), *c));
    let mut tier = vec![0u8; companies as usize];
    let last_tier = (companies.max(2) / 2).ilog2() as u8;
    for (rank, c) in by_rank.iter().enumerate() {
        let t = (rank + 1).ilog2() as u8;
        tier[*c as usize] = t.min(last_tier);
    }
    // (owned, owner) pairs of global ids.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(companies as usize * 11 / 10);
    for (a, b) in drawn {
        let key = |c: u32| (tier[c as usize], c);
        let (owner, owned) = if key(a) < key(b) { (a, b) } else { (b, a) };
        if tier[owner as usize] == tier[owned as usize] && tier[owner as usize] != last_tier {
            continue;
        }
        pairs.push((cbase + owned, cbase + owner));
    }
    for i in 0..companies {
        if rng.percent(5) {
            pairs.push((cbase + i, gbase + gov_pref.draw(&mut rng)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut rest = &pairs[..];
    while let Some(&(owned, _)) = rest.first() {
        let len = rest.iter().take_while(|p| p.0 == owned).count();
        let (group, tail) = rest.split_at(len);
        rest = tail;
        let weights: Vec<u64> = group.iter().map(|_| rng.range(1, 100)).collect();
        let sum: u64 = weights.iter().sum();
        let total_tenths = rng.range(300, 1000);
        for (&(_, owner), w) in group.iter().zip(&weights) {
            let mut e = Edge::plain(owner, owned, EdgeType::Owns);
            e.share_tenths = ((total_tenths * w) / sum).max(1) as u16;
            edges.push(e);
        }
    }
}

/// FUNDS through deal nodes: 1..=4 funders (45% governments or agencies, 55% companies) fund
/// each deal, and each deal funds 1 or 2 companies. Money flows funder → deal → recipient.
fn funds(counts: &Counts, seed: u64, edges: &mut Vec<Edge>) -> Vec<DealInfo> {
    let mut rng = Rng::new(seed, 2);
    let gbase = counts.base(Label::Government);
    let public = counts.count(Label::Government) + counts.count(Label::Agency);
    let cbase = counts.base(Label::Company);
    let dbase = counts.base(Label::Deal);
    let mut public_pref = Pref::new(public, 80);
    let mut company_funder_pref = Pref::new(counts.count(Label::Company), 70);
    let mut recipient_pref = Pref::new(counts.count(Label::Company), 60);
    let mut deals = Vec::with_capacity(counts.count(Label::Deal) as usize);
    let mut funders: Vec<u32> = Vec::with_capacity(4);
    for d in 0..counts.count(Label::Deal) {
        let deal = dbase + d;
        let date = Date::random(&mut rng);
        let kind = DEAL_KINDS[rng.weighted(&[30, 20, 20, 8, 10, 7, 5])];
        let status = DEAL_STATUS[rng.weighted(&[35, 20, 25, 12, 8])];
        let nfunders = 1 + rng.weighted(&[55, 25, 12, 8]);
        funders.clear();
        for _ in 0..nfunders {
            let f = if rng.percent(45) {
                gbase + public_pref.draw(&mut rng)
            } else {
                cbase + company_funder_pref.draw(&mut rng)
            };
            if !funders.contains(&f) {
                funders.push(f);
            }
        }
        let mut total = 0u64;
        for f in &funders {
            let mut e = Edge::plain(*f, deal, EdgeType::Funds);
            e.amount = money(&mut rng);
            e.date = date;
            total += e.amount;
            edges.push(e);
        }
        let r1 = recipient_pref.draw(&mut rng);
        let two = rng.percent(20);
        let r2 = if two { recipient_pref.draw(&mut rng) } else { r1 };
        if two && r2 != r1 {
            let first = total * 6 / 10;
            for (r, amount) in [(r1, first), (r2, total - first)] {
                let mut e = Edge::plain(deal, cbase + r, EdgeType::Funds);
                e.amount = amount;
                e.date = date;
                edges.push(e);
            }
        } else {
            let mut e = Edge::plain(deal, cbase + r1, EdgeType::Funds);
            e.amount = total;
            e.date = date;
            edges.push(e);
        }
        deals.push(DealInfo {
            kind,
            status,
            amount: total,
            date,
        });
    }
    deals
}

/// A heavy-tailed amount: 10..=999 times 10^3..10^6 dollars, so $10K..$999M.
fn money(rng: &mut Rng) -> u64 {
    let mantissa = rng.range(10, 999);
    let exponent = 3 + rng.weighted(&[25, 35, 30, 10]) as u32;
    mantissa * 10u64.pow(exponent)
}

/// SUPPLIES or PARTNERS_WITH between distinct companies, `per_ten_nodes` / 10 edges per node of
/// the whole graph, both ends drawn by preferential attachment; no duplicate pairs
/// (PARTNERS_WITH pairs are unordered).
fn company_pairs(counts: &Counts, seed: u64, kind: EdgeType, per_ten_nodes: u64, edges: &mut Vec<Edge>) {
    let stream = if kind == EdgeType::Supplies { 3 } else { 4 };
    let mut rng = Rng::new(seed, stream);
    let companies = counts.count(Label::Company);
    let cbase = counts.base(Label::Company);
    let target = (u64::from(counts.total()) * per_ten_nodes / 10) as usize;
    let mut src_pref = Pref::new(companies, 65);
    let mut dst_pref = Pref::new(companies, 65);
    let mut seen: HashSet<u64> = HashSet::with_capacity(target);
    let mut made = 0usize;
    let mut attempts = 0usize;
    while made < target && attempts < target * 4 {
        attempts += 1;
        let a = src_pref.draw(&mut rng);
        let b = dst_pref.draw(&mut rng);
        if a == b {
            continue;
        }
        let key = if kind == EdgeType::PartnersWith {
            (u64::from(a.min(b)) << 32) | u64::from(a.max(b))
        } else {
            (u64::from(a) << 32) | u64::from(b)
        };
        if !seen.insert(key) {
            continue;
        }
        let mut e = Edge::plain(cbase + a, cbase + b, kind);
        e.year = rng.range(2000, 2026) as u16;
        if kind == EdgeType::PartnersWith {
            e.score_hundredths = rng.range(1, 100) as u16;
        }
        edges.push(e);
        made += 1;
    }
}

/// OPERATES (company → facility; 15% of facilities have a second operator) and DEVELOPS
/// (company → deposit; 30% have a second developer).
fn operates_develops(counts: &Counts, seed: u64, edges: &mut Vec<Edge>) {
    let mut rng = Rng::new(seed, 5);
    let cbase = counts.base(Label::Company);
    let mut operator_pref = Pref::new(counts.count(Label::Company), 60);
    let fbase = counts.base(Label::Facility);
    for f in 0..counts.count(Label::Facility) {
        let a = operator_pref.draw(&mut rng);
        edges.push(Edge::plain(cbase + a, fbase + f, EdgeType::Operates));
        if rng.percent(15) {
            let b = operator_pref.draw(&mut rng);
            if b != a {
                edges.push(Edge::plain(cbase + b, fbase + f, EdgeType::Operates));
            }
        }
    }
    let mut developer_pref = Pref::new(counts.count(Label::Company), 60);
    let pbase = counts.base(Label::Deposit);
    for p in 0..counts.count(Label::Deposit) {
        let a = developer_pref.draw(&mut rng);
        edges.push(Edge::plain(cbase + a, pbase + p, EdgeType::Develops));
        if rng.percent(30) {
            let b = developer_pref.draw(&mut rng);
            if b != a {
                edges.push(Edge::plain(cbase + b, pbase + p, EdgeType::Develops));
            }
        }
    }
}

/// PRODUCES: each facility produces 1..=3 distinct materials, popular materials more often.
fn produces(counts: &Counts, seed: u64, edges: &mut Vec<Edge>) {
    let mut rng = Rng::new(seed, 6);
    let fbase = counts.base(Label::Facility);
    let mbase = counts.base(Label::Material);
    let weights: Vec<u64> = (1..=MATERIALS.len() as u64).rev().map(|w| w * w).collect();
    let mut made: Vec<u32> = Vec::with_capacity(3);
    for f in 0..counts.count(Label::Facility) {
        let k = 1 + rng.weighted(&[50, 40, 10]);
        made.clear();
        for _ in 0..k {
            let m = rng.weighted(&weights) as u32;
            if !made.contains(&m) {
                made.push(m);
                edges.push(Edge::plain(fbase + f, mbase + m, EdgeType::Produces));
            }
        }
    }
}

/// The longest company-to-company OWNS chain (in edges), or `None` if OWNS has a cycle;
/// Kahn's algorithm over the company OWNS edges.
pub fn ownership_depth(counts: &Counts, edges: &[Edge]) -> Option<u32> {
    let n = counts.total() as usize;
    let is_company_owns = |e: &&Edge| {
        e.kind == EdgeType::Owns && counts.label_of(e.src) == Label::Company && counts.label_of(e.dst) == Label::Company
    };
    let mut indegree = vec![0u32; n];
    let mut start = vec![0usize; n + 1];
    for e in edges.iter().filter(is_company_owns) {
        indegree[e.dst as usize] += 1;
        start[e.src as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut targets = vec![0u32; start[n]];
    for e in edges.iter().filter(is_company_owns) {
        targets[fill[e.src as usize]] = e.dst;
        fill[e.src as usize] += 1;
    }
    let mut depth = vec![0u32; n];
    let mut ready: Vec<u32> = (0..n as u32).filter(|v| indegree[*v as usize] == 0).collect();
    let mut done = 0usize;
    while let Some(v) = ready.pop() {
        done += 1;
        for &w in &targets[start[v as usize]..start[v as usize + 1]] {
            depth[w as usize] = depth[w as usize].max(depth[v as usize] + 1);
            indegree[w as usize] -= 1;
            if indegree[w as usize] == 0 {
                ready.push(w);
            }
        }
    }
    (done == n).then(|| depth.iter().copied().max().unwrap_or(0))
}

/// Per-node properties that do not depend on edges, drawn from one stream in id order.
pub struct NodeProps {
    /// Country code, if the label has one.
    pub country: Option<&'static str>,
    /// Facility kind.
    pub kind: Option<&'static str>,
    /// Company founding year or facility commissioning year.
    pub year: Option<u16>,
    /// Company risk score or deposit grade, in hundredths.
    pub score: Option<u16>,
}

/// Draws the properties of every node in id order.
pub fn node_props(counts: &Counts, seed: u64) -> Vec<NodeProps> {
    let mut rng = Rng::new(seed, 7);
    let country_weights: Vec<u64> = (1..=COUNTRIES.len() as u64).rev().map(|w| w * w).collect();
    let mut out = Vec::with_capacity(counts.total() as usize);
    for label in Label::ALL {
        for _ in 0..counts.count(label) {
            let mut p = NodeProps {
                country: None,
                kind: None,
                year: None,
                score: None,
            };
            match label {
                Label::Government | Label::Agency | Label::Deposit | Label::Company | Label::Facility => {
                    p.country = Some(COUNTRIES[rng.weighted(&country_weights)]);
                }
                Label::Deal | Label::Material => {}
            }
            match label {
                Label::Company => {
                    p.year = Some(rng.range(1900, 2025) as u16);
                    p.score = Some(rng.range(0, 100) as u16);
                }
                Label::Facility => {
                    p.kind = Some(FACILITY_KINDS[rng.weighted(&[35, 30, 20, 15])]);
                    p.year = Some(rng.range(1960, 2030) as u16);
                }
                Label::Deposit => p.score = Some(rng.range(1, 900) as u16),
                _ => {}
            }
            out.push(p);
        }
    }
    out
}

/// The node's name: `Company 123`, `Deal 7`, or the material's name.
pub fn node_name(counts: &Counts, id: u32) -> String {
    let label = counts.label_of(id);
    let local = counts.local(id);
    match label {
        Label::Material => MATERIALS[local as usize].to_string(),
        _ => format!("{} {}", label.name(), local),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up() {
        for n in [1000u32, 12345, 100_000] {
            let c = Counts::for_nodes(n);
            assert_eq!(c.total(), n);
            assert_eq!(c.label_of(c.base(Label::Deal)), Label::Deal);
            assert_eq!(c.local(c.base(Label::Deposit) + 3), 3);
        }
    }

    #[test]
    fn ownership_is_acyclic_and_deterministic() {
        let g = generate(20_000, 3);
        let h = generate(20_000, 3);
        assert_eq!(g.edges.len(), h.edges.len());
        assert!(
            g.edges
                .iter()
                .zip(&h.edges)
                .all(|(a, b)| (a.src, a.dst, a.kind) == (b.src, b.dst, b.kind))
        );
        let depth = ownership_depth(&g.counts, &g.edges);
        assert!(
            matches!(depth, Some(d) if d >= 3),
            "ownership must be acyclic and several levels deep: {depth:?}"
        );
        // A cycle is detected.
        let cbase = g.counts.base(Label::Company);
        let mut cyclic = vec![Edge::plain(cbase, cbase + 1, EdgeType::Owns)];
        cyclic.push(Edge::plain(cbase + 1, cbase, EdgeType::Owns));
        assert_eq!(ownership_depth(&g.counts, &cyclic), None);
    }

    #[test]
    fn owners_are_skewed() {
        let g = generate(20_000, 5);
        let mut out = std::collections::HashMap::new();
        for e in g.edges.iter().filter(|e| e.kind == EdgeType::Owns) {
            *out.entry(e.src).or_insert(0u32) += 1;
        }
        let max = out.values().copied().max().unwrap_or(0);
        let owners = out.len() as u32;
        let mean = out.values().sum::<u32>() / owners.max(1);
        assert!(max > 50 * mean.max(1), "top owner {max} vs mean {mean}");
    }
}
