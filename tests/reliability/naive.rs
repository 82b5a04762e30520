//! A brute-force pattern matcher to check the engine's answers against.
//!
//! From a byte string it builds a small random graph (labels `A B C`, types `R S`,
//! an optional integer property `v` on nodes and `w` on relationships, self-loops
//! and parallel edges allowed) and a random well-formed query of one family:
//!
//! ```text
//! MATCH (x0:L {v: c})-[r0:T]->(x1)<-[:T*a..b]-(x2)-[r2]-(x0)
//! WHERE <comparisons of x.v, r.w and constants under AND, OR, NOT, IS NULL>
//! OPTIONAL MATCH (x1)-[r3:T]-(x3:L)
//! RETURN id(..), .. | count(*) | DISTINCT id(..) | x.v, count(*)
//! ```
//!
//! The evaluator enumerates every binding by brute force with openCypher's
//! semantics (no relationship twice in one match, a variable-length step is a
//! trail, three-valued logic in WHERE, an undirected self-loop matches once, an
//! OPTIONAL MATCH without a match gives one row of nulls) and
//! the results are compared with the engine's as multisets.
//!
//! Shared by the proptest in `tests/reliability_props.rs` and the cargo-fuzz
//! target `fuzz/fuzz_targets/execute.rs`; it uses only the `lodestone` crate.

use lodestone::{Database, EdgeRecord, NodeRecord, Params, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const LABELS: [&str; 3] = ["A", "B", "C"];
const TYPES: [&str; 2] = ["R", "S"];

/// Reads choices from a byte string; past its end every choice is 0.
pub struct Src<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Src<'a> {
    /// Choices from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Src { data, pos: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 { 0 } else { self.byte() as usize % n }
    }

    fn chance(&mut self, of_256: u8) -> bool {
        self.byte() < of_256
    }
}

/// A node of the test graph.
#[derive(Debug, Clone)]
pub struct GNode {
    /// Labels, a subset of `A B C`.
    pub labels: Vec<&'static str>,
    /// Property `v`, when present.
    pub v: Option<i64>,
}

/// A relationship of the test graph.
#[derive(Debug, Clone)]
pub struct GEdge {
    /// `R` or `S`.
    pub ty: &'static str,
    /// Start node (index).
    pub start: usize,
    /// End node (index).
    pub end: usize,
    /// Property `w`, when present.
    pub w: Option<i64>,
}

/// The test graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Nodes by index.
    pub nodes: Vec<GNode>,
    /// Relationships by index.
    pub edges: Vec<GEdge>,
}

fn gen_graph(src: &mut Src) -> Graph {
    let n = 1 + src.below(7);
    let mut g = Graph::default();
    for _ in 0..n {
        let mask = src.byte();
        let labels = LABELS
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, l)| *l)
            .collect();
        let v = (!src.chance(40)).then(|| src.below(4) as i64);
        g.nodes.push(GNode { labels, v });
    }
    let m = src.below(11);
    for _ in 0..m {
        let ty = TYPES[src.below(2)];
        let start = src.below(n);
        let end = src.below(n);
        let w = (!src.chance(60)).then(|| src.below(3) as i64);
        g.edges.push(GEdge { ty, start, end, w });
    }
    g
}

/// Direction of a hop as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `-[]->`
    Out,
    /// `<-[]-`
    In,
    /// `-[]-`
    Both,
}

/// A node pattern: its variable and, on first use, a label and a `v` filter.
#[derive(Debug, Clone)]
pub struct NodePat {
    /// Variable number (`x{var}`).
    pub var: usize,
    /// Label filter.
    pub label: Option<&'static str>,
    /// Inline `{v: c}` filter.
    pub v: Option<i64>,
}

/// One relationship pattern and the node after it.
#[derive(Debug, Clone)]
pub struct Hop {
    /// Direction.
    pub dir: Dir,
    /// Allowed types (any when empty).
    pub types: Vec<&'static str>,
    /// Relationship variable number (`r{n}`), single hops only.
    pub rel: Option<usize>,
    /// Variable length `*min..max`.
    pub range: Option<(usize, usize)>,
    /// The node pattern reached.
    pub to: NodePat,
}

/// A value in WHERE.
#[derive(Debug, Clone)]
pub enum Operand {
    /// `x{n}.v`
    NodeV(usize),
    /// `r{n}.w`
    RelW(usize),
    /// A constant.
    Const(i64),
}

/// A WHERE condition.
#[derive(Debug, Clone)]
pub enum Cond {
    /// A comparison; the operator is one of `= <> < <= > >=`.
    Cmp(Operand, &'static str, Operand),
    /// `IS NULL` (true) or `IS NOT NULL` (false).
    IsNull(Operand, bool),
    /// `AND`
    And(Box<Cond>, Box<Cond>),
    /// `OR`
    Or(Box<Cond>, Box<Cond>),
    /// `NOT`
    Not(Box<Cond>),
}

/// A returned expression.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// `id(x{n})`
    NodeId(usize),
    /// `id(r{n})`
    RelId(usize),
    /// `x{n}.v`
    NodeV(usize),
}

/// What the query returns.
#[derive(Debug, Clone)]
pub enum Ret {
    /// One row per match.
    Items(Vec<Item>),
    /// One row per distinct value tuple.
    Distinct(Vec<Item>),
    /// `count(*)`.
    Count,
    /// `item, count(*)`, grouped.
    Group(Item),
}

/// A generated query.
#[derive(Debug, Clone)]
pub struct Query {
    /// First node pattern.
    pub start: NodePat,
    /// Hops after it.
    pub hops: Vec<Hop>,
    /// WHERE, if any.
    pub cond: Option<Cond>,
    /// `OPTIONAL MATCH (x{from})<hop>(x{new})` after the WHERE, if any.
    pub optional: Option<(usize, Hop)>,
    /// RETURN.
    pub ret: Ret,
}

fn gen_node(src: &mut Src, var: usize) -> NodePat {
    let label = src.chance(60).then(|| LABELS[src.below(3)]);
    let v = src.chance(30).then(|| src.below(4) as i64);
    NodePat { var, label, v }
}

fn gen_operand(src: &mut Src, nvars: usize, rels: &[usize]) -> Operand {
    match src.below(3) {
        0 => Operand::Const(src.below(4) as i64),
        1 if !rels.is_empty() => Operand::RelW(rels[src.below(rels.len())]),
        _ => Operand::NodeV(src.below(nvars)),
    }
}

fn gen_cond(src: &mut Src, nvars: usize, rels: &[usize], depth: usize) -> Cond {
    let pick = if depth >= 2 { src.below(2) } else { src.below(5) };
    match pick {
        0 => {
            const OPS: [&str; 6] = ["=", "<>", "<", "<=", ">", ">="];
            let a = gen_operand(src, nvars, rels);
            let op = OPS[src.below(6)];
            let b = gen_operand(src, nvars, rels);
            Cond::Cmp(a, op, b)
        }
        1 => Cond::IsNull(gen_operand(src, nvars, rels), src.chance(128)),
        2 => Cond::And(
            Box::new(gen_cond(src, nvars, rels, depth + 1)),
            Box::new(gen_cond(src, nvars, rels, depth + 1)),
        ),
        3 => Cond::Or(
            Box::new(gen_cond(src, nvars, rels, depth + 1)),
            Box::new(gen_cond(src, nvars, rels, depth + 1)),
        ),
        _ => Cond::Not(Box::new(gen_cond(src, nvars, rels, depth + 1))),
    }
}

fn gen_item(src: &mut Src, nvars: usize, rels: &[usize]) -> Item {
    match src.below(3) {
        0 if !rels.is_empty() => Item::RelId(rels[src.below(rels.len())]),
        1 => Item::NodeV(src.below(nvars)),
        _ => Item::NodeId(src.below(nvars)),
    }
}

fn gen_hop(src: &mut Src, index: usize, nvars: &mut usize, rels: &mut Vec<usize>, may_close: bool) -> Hop {
    let dir = [Dir::Out, Dir::In, Dir::Both][src.below(3)];
    let types = match src.below(4) {
        0 => vec!["R"],
        1 => vec!["S"],
        2 => vec!["R", "S"],
        _ => vec![],
    };
    let (rel, range) = if src.chance(70) {
        let min = src.below(3);
        let max = (min + src.below(3)).max(1);
        (None, Some((min, max)))
    } else if src.chance(200) {
        rels.push(index);
        (Some(index), None)
    } else {
        (None, None)
    };
    // Now and then close a cycle onto an earlier variable.
    let to = if may_close && src.chance(50) {
        NodePat {
            var: src.below(*nvars),
            label: None,
            v: None,
        }
    } else {
        *nvars += 1;
        gen_node(src, *nvars - 1)
    };
    Hop {
        dir,
        types,
        rel,
        range,
        to,
    }
}

fn gen_query(src: &mut Src) -> Query {
    let start = gen_node(src, 0);
    let mut nvars = 1;
    let mut rels = Vec::new();
    let mut hops = Vec::new();
    let n = 1 + src.below(3);
    for h in 0..n {
        hops.push(gen_hop(src, h, &mut nvars, &mut rels, true));
    }
    let cond = src.chance(100).then(|| gen_cond(src, nvars, &rels, 0));
    let optional = src.chance(70).then(|| {
        let from = src.below(nvars);
        (from, gen_hop(src, n, &mut nvars, &mut rels, false))
    });
    let ret = match src.below(4) {
        0 => Ret::Count,
        1 => Ret::Group(gen_item(src, nvars, &rels)),
        2 => Ret::Distinct((0..1 + src.below(2)).map(|_| gen_item(src, nvars, &rels)).collect()),
        _ => Ret::Items((0..1 + src.below(3)).map(|_| gen_item(src, nvars, &rels)).collect()),
    };
    Query {
        start,
        hops,
        cond,
        optional,
        ret,
    }
}

// ---- text -----------------------------------------------------------------

fn node_text(out: &mut String, p: &NodePat) {
    let _ = write!(out, "(x{}", p.var);
    if let Some(l) = p.label {
        let _ = write!(out, ":{l}");
    }
    if let Some(v) = p.v {
        let _ = write!(out, " {{v: {v}}}");
    }
    out.push(')');
}

fn operand_text(o: &Operand) -> String {
    match o {
        Operand::NodeV(n) => format!("x{n}.v"),
        Operand::RelW(n) => format!("r{n}.w"),
        Operand::Const(c) => c.to_string(),
    }
}

fn cond_text(c: &Cond) -> String {
    match c {
        Cond::Cmp(a, op, b) => format!("{} {op} {}", operand_text(a), operand_text(b)),
        Cond::IsNull(a, true) => format!("{} IS NULL", operand_text(a)),
        Cond::IsNull(a, false) => format!("{} IS NOT NULL", operand_text(a)),
        Cond::And(a, b) => format!("({} AND {})", cond_text(a), cond_text(b)),
        Cond::Or(a, b) => format!("({} OR {})", cond_text(a), cond_text(b)),
        Cond::Not(a) => format!("(NOT {})", cond_text(a)),
    }
}

fn item_text(i: Item) -> String {
    match i {
        Item::NodeId(n) => format!("id(x{n})"),
        Item::RelId(n) => format!("id(r{n})"),
        Item::NodeV(n) => format!("x{n}.v"),
    }
}

fn items_text(items: &[Item]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, it)| format!("{} AS c{i}", item_text(*it)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn hop_text(s: &mut String, h: &Hop) {
    s.push_str(if h.dir == Dir::In { "<-[" } else { "-[" });
    if let Some(r) = h.rel {
        let _ = write!(s, "r{r}");
    }
    if !h.types.is_empty() {
        let _ = write!(s, ":{}", h.types.join("|"));
    }
    if let Some((min, max)) = h.range {
        let _ = write!(s, "*{min}..{max}");
    }
    s.push_str(if h.dir == Dir::Out { "]->" } else { "]-" });
    node_text(s, &h.to);
}

impl Query {
    /// The query in the Lodestone language.
    pub fn text(&self) -> String {
        let mut s = String::from("MATCH ");
        node_text(&mut s, &self.start);
        for h in &self.hops {
            hop_text(&mut s, h);
        }
        if let Some(c) = &self.cond {
            let _ = write!(s, " WHERE {}", cond_text(c));
        }
        if let Some((from, h)) = &self.optional {
            let _ = write!(s, " OPTIONAL MATCH (x{from})");
            hop_text(&mut s, h);
        }
        match &self.ret {
            Ret::Items(items) => {
                let _ = write!(s, " RETURN {}", items_text(items));
            }
            Ret::Distinct(items) => {
                let _ = write!(s, " RETURN DISTINCT {}", items_text(items));
            }
            Ret::Count => s.push_str(" RETURN count(*) AS n"),
            Ret::Group(i) => {
                let _ = write!(s, " RETURN {} AS g, count(*) AS n", item_text(*i));
            }
        }
        s
    }
}

// ---- evaluation -------------------------------------------------------------

/// One result cell: an integer or null.
pub type Cell = Option<i64>;

struct Eval<'a> {
    g: &'a Graph,
    q: &'a Query,
    node_ids: &'a [u64],
    edge_ids: &'a [u64],
    rows: Vec<Vec<Cell>>,
    /// Search steps left; past zero the case is too big to check and is skipped.
    budget: i64,
}

#[derive(Clone)]
struct Binding {
    nodes: Vec<Option<usize>>,
    rels: Vec<Option<usize>>,
    used: Vec<usize>,
}

impl Eval<'_> {
    fn node_ok(&self, p: &NodePat, n: usize) -> bool {
        let node = &self.g.nodes[n];
        p.label.is_none_or(|l| node.labels.contains(&l)) && p.v.is_none_or(|v| node.v == Some(v))
    }

    fn bind(&self, b: &Binding, p: &NodePat, n: usize) -> Option<Binding> {
        match b.nodes[p.var] {
            Some(m) if m == n => Some(b.clone()),
            Some(_) => None,
            None if self.node_ok(p, n) => {
                let mut b = b.clone();
                b.nodes[p.var] = Some(n);
                Some(b)
            }
            None => None,
        }
    }

    /// The edges leaving `at` along `h` that are not used yet, with where they lead.
    fn steps(&self, h: &Hop, at: usize, used: &[usize]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, e) in self.g.edges.iter().enumerate() {
            if used.contains(&i) || !(h.types.is_empty() || h.types.contains(&e.ty)) {
                continue;
            }
            let next = match h.dir {
                Dir::Out => (e.start == at).then_some(e.end),
                Dir::In => (e.end == at).then_some(e.start),
                Dir::Both if e.start == at => Some(e.end),
                Dir::Both => (e.end == at).then_some(e.start),
            };
            if let Some(n) = next {
                out.push((i, n));
            }
        }
        out
    }

    fn trails(&mut self, h: &Hop, at: usize, len: usize, used: &mut Vec<usize>, found: &mut Vec<(usize, Vec<usize>)>) {
        self.budget -= 1;
        if self.budget < 0 {
            return;
        }
        let (min, max) = h.range.unwrap_or((1, 1));
        if len >= min {
            found.push((at, used.clone()));
        }
        if len == max {
            return;
        }
        for (e, next) in self.steps(h, at, used) {
            used.push(e);
            self.trails(h, next, len + 1, used, found);
            used.pop();
        }
    }

    fn walk(&mut self, hop: usize, at: usize, b: Binding) {
        self.budget -= 1;
        if self.budget < 0 {
            return;
        }
        let q = self.q;
        let Some(h) = q.hops.get(hop) else {
            self.emit(&b);
            return;
        };
        if h.range.is_some() {
            let mut used = b.used.clone();
            let mut found = Vec::new();
            self.trails(h, at, 0, &mut used, &mut found);
            for (end, used) in found {
                if let Some(mut nb) = self.bind(&b, &h.to, end) {
                    nb.used = used;
                    self.walk(hop + 1, end, nb);
                }
            }
        } else {
            for (e, next) in self.steps(h, at, &b.used) {
                if let Some(mut nb) = self.bind(&b, &h.to, next) {
                    nb.used.push(e);
                    if let Some(r) = h.rel {
                        nb.rels[r] = Some(e);
                    }
                    self.walk(hop + 1, next, nb);
                }
            }
        }
    }

    fn operand(&self, b: &Binding, o: &Operand) -> Cell {
        match o {
            Operand::NodeV(n) => b.nodes[*n].and_then(|i| self.g.nodes[i].v),
            Operand::RelW(r) => b.rels[*r].and_then(|i| self.g.edges[i].w),
            Operand::Const(c) => Some(*c),
        }
    }

    /// Three-valued: `None` is null.
    fn cond(&self, b: &Binding, c: &Cond) -> Option<bool> {
        match c {
            Cond::Cmp(x, op, y) => {
                let (x, y) = (self.operand(b, x)?, self.operand(b, y)?);
                Some(match *op {
                    "=" => x == y,
                    "<>" => x != y,
                    "<" => x < y,
                    "<=" => x <= y,
                    ">" => x > y,
                    _ => x >= y,
                })
            }
            Cond::IsNull(x, is) => Some(self.operand(b, x).is_none() == *is),
            Cond::And(x, y) => match (self.cond(b, x), self.cond(b, y)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Cond::Or(x, y) => match (self.cond(b, x), self.cond(b, y)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Cond::Not(x) => self.cond(b, x).map(|v| !v),
        }
    }

    fn item(&self, b: &Binding, i: Item) -> Cell {
        match i {
            Item::NodeId(n) => b.nodes[n].map(|i| self.node_ids[i] as i64),
            Item::RelId(r) => b.rels[r].map(|i| self.edge_ids[i] as i64),
            Item::NodeV(n) => b.nodes[n].and_then(|i| self.g.nodes[i].v),
        }
    }

    fn emit(&mut self, b: &Binding) {
        if let Some(c) = &self.q.cond
            && self.cond(b, c) != Some(true)
        {
            return;
        }
        let q = self.q;
        let Some((from, h)) = &q.optional else {
            self.row(b);
            return;
        };
        // OPTIONAL MATCH is a clause of its own: relationships used by the first
        // MATCH may be used again; no extension gives one row with nulls.
        let Some(at) = b.nodes[*from] else {
            self.row(b);
            return;
        };
        let mut extended = Vec::new();
        if h.range.is_some() {
            let mut used = Vec::new();
            let mut found = Vec::new();
            self.trails(h, at, 0, &mut used, &mut found);
            for (end, _) in found {
                if let Some(nb) = self.bind(b, &h.to, end) {
                    extended.push(nb);
                }
            }
        } else {
            for (e, next) in self.steps(h, at, &[]) {
                if let Some(mut nb) = self.bind(b, &h.to, next) {
                    if let Some(r) = h.rel {
                        nb.rels[r] = Some(e);
                    }
                    extended.push(nb);
                }
            }
        }
        if extended.is_empty() {
            self.row(b);
        }
        for nb in extended {
            self.row(&nb);
        }
    }

    fn row(&mut self, b: &Binding) {
        let row = match &self.q.ret {
            Ret::Items(items) | Ret::Distinct(items) => items.iter().map(|i| self.item(b, *i)).collect(),
            Ret::Count => vec![],
            Ret::Group(i) => vec![self.item(b, *i)],
        };
        self.rows.push(row);
    }
}

/// Search steps the evaluator may take before it gives up on a case.
pub const BUDGET: i64 = 200_000;

/// The expected rows of `q` on `g`, with ids as the database assigned them;
/// `None` when the search would take more than [`BUDGET`] steps.
pub fn evaluate(g: &Graph, q: &Query, node_ids: &[u64], edge_ids: &[u64]) -> Option<Vec<Vec<Cell>>> {
    let last = q.optional.iter().map(|(_, h)| h.to.var);
    let nvars = 1 + q
        .hops
        .iter()
        .map(|h| h.to.var)
        .chain(last)
        .max()
        .unwrap_or(0)
        .max(q.start.var);
    let nrels = q.hops.len() + 1;
    let mut ev = Eval {
        g,
        q,
        node_ids,
        edge_ids,
        rows: Vec::new(),
        budget: BUDGET,
    };
    for n in 0..g.nodes.len() {
        let empty = Binding {
            nodes: vec![None; nvars],
            rels: vec![None; nrels],
            used: Vec::new(),
        };
        if let Some(b) = ev.bind(&empty, &q.start, n) {
            ev.walk(0, n, b);
        }
    }
    if ev.budget < 0 {
        return None;
    }
    let rows = std::mem::take(&mut ev.rows);
    Some(match &q.ret {
        Ret::Items(_) => rows,
        Ret::Distinct(_) => {
            let mut rows = rows;
            rows.sort();
            rows.dedup();
            rows
        }
        Ret::Count => vec![vec![Some(rows.len() as i64)]],
        Ret::Group(_) => {
            let mut groups: BTreeMap<Cell, i64> = BTreeMap::new();
            for r in rows {
                *groups.entry(r[0]).or_default() += 1;
            }
            groups.into_iter().map(|(k, n)| vec![k, Some(n)]).collect()
        }
    })
}

/// Loads `g` into a new in-memory database; returns it with the node and edge ids.
pub fn load(g: &Graph) -> (Database, Vec<u64>, Vec<u64>) {
    let db = Database::in_memory();
    let ids = db
        .write(|tx| {
            let mut nodes = Vec::new();
            for n in &g.nodes {
                let mut rec = NodeRecord {
                    labels: n.labels.iter().map(|l| l.to_string()).collect(),
                    ..NodeRecord::default()
                };
                if let Some(v) = n.v {
                    rec.props.insert("v".into(), Value::Int(v));
                }
                nodes.push(tx.create_node(rec)?);
            }
            let mut edges = Vec::new();
            for e in &g.edges {
                let mut rec = EdgeRecord {
                    rel_type: e.ty.to_string(),
                    start: nodes[e.start],
                    end: nodes[e.end],
                    props: Default::default(),
                    citations: Vec::new(),
                };
                if let Some(w) = e.w {
                    rec.props.insert("w".into(), Value::Int(w));
                }
                edges.push(tx.create_edge(rec)?);
            }
            Ok((nodes.iter().map(|n| n.0).collect(), edges.iter().map(|e| e.0).collect()))
        })
        .map_err(|e| e.render());
    match ids {
        Ok((n, e)) => (db, n, e),
        Err(e) => panic!("loading the test graph failed: {e}"),
    }
}

/// A generated case: the graph and the query.
#[derive(Debug, Clone)]
pub struct Case {
    /// The graph.
    pub graph: Graph,
    /// The query.
    pub query: Query,
}

/// Builds a case from bytes.
pub fn case(data: &[u8]) -> Case {
    let mut src = Src::new(data);
    let graph = gen_graph(&mut src);
    let query = gen_query(&mut src);
    Case { graph, query }
}

fn cell(v: &Value) -> Result<Cell, String> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        other => Err(format!("unexpected value {other:?}")),
    }
}

/// How a checked case went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Engine and evaluator agree on this many rows.
    Agree(usize),
    /// Too big for the evaluator's budget; not compared.
    Skipped,
}

/// Runs the case from `data` on the engine and on the evaluator; `Err` describes
/// any difference (or an engine error) with the graph and the query text.
pub fn check(data: &[u8]) -> Result<Checked, String> {
    let c = case(data);
    let (db, node_ids, edge_ids) = load(&c.graph);
    let text = c.query.text();
    let Some(mut expected) = evaluate(&c.graph, &c.query, &node_ids, &edge_ids) else {
        return Ok(Checked::Skipped);
    };
    let out = db
        .query(&text, &Params::new())
        .map_err(|e| format!("engine error: {}\nquery: {text}\ngraph: {:?}", e.render(), c.graph))?;
    let mut actual = Vec::new();
    for row in &out.rows {
        actual.push(row.iter().map(cell).collect::<Result<Vec<_>, _>>()?);
    }
    expected.sort();
    actual.sort();
    if expected != actual {
        return Err(format!(
            "results differ\nquery: {text}\ngraph: {:?}\nexpected: {expected:?}\nactual:   {actual:?}",
            c.graph
        ));
    }
    Ok(Checked::Agree(actual.len()))
}
