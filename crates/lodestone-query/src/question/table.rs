//! Turns the rows of a compiled question query into the question's table: readable
//! paths (`via`), `file:line` sources, shares along ownership chains, differing
//! values of conflicting claims, one row per fact, in a fixed order.

use crate::QueryResult;
use crate::api::Output;
use crate::ast::QuestionKind;
use lodestone_model::{Citation, Decimal, EdgeId, EdgeValue, NodeId, NodeValue, PathValue, Props, Value};
use lodestone_store::GraphRead;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::resolve::record_name;

/// Most shortest paths `path from X to Y` lists.
pub const MAX_PATHS: usize = 5;

/// Properties not compared between claims: the claim key itself and free-text commentary.
const NOT_COMPARED: [&str; 3] = ["key", "description", "note"];

/// What a question's table reads besides the query's rows: the citations of the
/// elements it shows and the names of nodes it only knows by id.
pub trait Facts {
    /// The citations of a node (none when it does not exist).
    fn node_citations(&self, id: NodeId) -> QueryResult<Vec<Citation>>;
    /// The citations of a relationship (none when it does not exist).
    fn edge_citations(&self, id: EdgeId) -> QueryResult<Vec<Citation>>;
    /// A node's display name, or `None` when it does not exist.
    fn node_name(&self, id: NodeId) -> QueryResult<Option<String>>;
}

/// The facts of a read view of the store.
pub(crate) struct GraphFacts<'g>(pub &'g dyn GraphRead);

impl Facts for GraphFacts<'_> {
    fn node_citations(&self, id: NodeId) -> QueryResult<Vec<Citation>> {
        Ok(self.0.node(id)?.map(|r| r.citations.clone()).unwrap_or_default())
    }

    fn edge_citations(&self, id: EdgeId) -> QueryResult<Vec<Citation>> {
        Ok(self.0.edge(id)?.map(|r| r.citations.clone()).unwrap_or_default())
    }

    fn node_name(&self, id: NodeId) -> QueryResult<Option<String>> {
        Ok(self.0.node(id)?.map(|r| record_name(id, &r)))
    }
}

/// A question's table.
pub(crate) struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Reads the compiled query's rows by column name.
struct Rows<'o> {
    index: HashMap<&'o str, usize>,
    out: &'o Output,
}

impl<'o> Rows<'o> {
    fn new(out: &'o Output) -> Self {
        let index = out.columns.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        Rows { index, out }
    }

    fn iter(&self) -> impl Iterator<Item = Row<'_, 'o>> {
        self.out.rows.iter().map(move |values| Row { rows: self, values })
    }
}

struct Row<'r, 'o> {
    rows: &'r Rows<'o>,
    values: &'o [Value],
}

const NULL: Value = Value::Null;

impl<'o> Row<'_, 'o> {
    fn get(&self, name: &str) -> &'o Value {
        self.rows
            .index
            .get(name)
            .and_then(|&i| self.values.get(i))
            .unwrap_or(&NULL)
    }

    fn node(&self, name: &str) -> Option<&'o NodeValue> {
        match self.get(name) {
            Value::Node(n) => Some(n),
            _ => None,
        }
    }

    fn edge(&self, name: &str) -> Option<&'o EdgeValue> {
        match self.get(name) {
            Value::Edge(e) => Some(e),
            _ => None,
        }
    }

    fn path(&self, name: &str) -> Option<&'o PathValue> {
        match self.get(name) {
            Value::Path(p) => Some(p),
            _ => None,
        }
    }
}

/// The properties a table reads from the nodes of a path (`node_name`).
pub(crate) const PATH_NODE_PROPS: [&str; 1] = ["name"];
/// The properties a table reads from the relationships of a path (`edge_label`, shares).
pub(crate) const PATH_EDGE_PROPS: [&str; 2] = ["role", "share"];

/// The display name of a node in a result.
pub(crate) fn node_name(n: &NodeValue) -> String {
    match n.props.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => match n.labels.first() {
            Some(label) => format!("{label} #{}", n.id),
            None => format!("node #{}", n.id),
        },
    }
}

/// `TYPE role` for an edge in a readable path.
fn edge_label(e: &EdgeValue) -> String {
    match e.props.get("role") {
        Some(Value::String(role)) => format!("{} {role}", e.rel_type),
        _ => e.rel_type.clone(),
    }
}

/// `-[TYPE role]->` when walked from its start, `<-[TYPE role]-` otherwise.
fn hop_text(e: &EdgeValue, from: NodeId) -> String {
    if e.start == from {
        format!("-[{}]->", edge_label(e))
    } else {
        format!("<-[{}]-", edge_label(e))
    }
}

/// A walk through the graph: nodes with the edges between them, in walking order.
#[derive(Default)]
struct Walk<'v> {
    nodes: Vec<&'v NodeValue>,
    edges: Vec<&'v EdgeValue>,
}

impl<'v> Walk<'v> {
    fn node(&mut self, n: Option<&'v NodeValue>) {
        if let Some(n) = n {
            self.nodes.push(n);
        }
    }

    fn edge(&mut self, e: Option<&'v EdgeValue>) {
        if let Some(e) = e {
            self.edges.push(e);
        }
    }

    /// Appends a path that starts where the walk ends (its first node is not repeated).
    fn path(&mut self, p: Option<&'v PathValue>) {
        let Some(p) = p else { return };
        let mut nodes = p.nodes.iter();
        if let (Some(last), Some(first)) = (self.nodes.last(), p.nodes.first())
            && last.id == first.id
        {
            nodes.next();
        }
        self.nodes.extend(nodes);
        self.edges.extend(p.edges.iter());
    }

    /// `A -[TYPE role]-> B <-[TYPE]- C`.
    fn text(&self) -> String {
        let mut out = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                match self.edges.get(i - 1) {
                    Some(e) => {
                        out.push(' ');
                        out.push_str(&hop_text(e, self.nodes[i - 1].id));
                        out.push(' ');
                    }
                    None => out.push_str(" ... "),
                }
            }
            out.push_str(&node_name(n));
        }
        out
    }
}

/// Citations gathered from elements, rendered as sorted `file:line` strings.
struct Sources<'g> {
    graph: &'g dyn Facts,
    seen_nodes: BTreeSet<NodeId>,
    seen_edges: BTreeSet<EdgeId>,
    cites: BTreeSet<(String, Option<u32>)>,
}

impl<'g> Sources<'g> {
    fn new(graph: &'g dyn Facts) -> Self {
        Sources {
            graph,
            seen_nodes: BTreeSet::new(),
            seen_edges: BTreeSet::new(),
            cites: BTreeSet::new(),
        }
    }

    fn add(&mut self, citations: &[Citation]) {
        for c in citations {
            self.cites.insert((c.source.clone(), c.line));
        }
    }

    fn node(&mut self, n: Option<&NodeValue>) -> QueryResult<()> {
        if let Some(n) = n
            && self.seen_nodes.insert(n.id)
        {
            let cites = self.graph.node_citations(n.id)?;
            self.add(&cites);
        }
        Ok(())
    }

    fn edge(&mut self, e: Option<&EdgeValue>) -> QueryResult<()> {
        if let Some(e) = e
            && self.seen_edges.insert(e.id)
        {
            let cites = self.graph.edge_citations(e.id)?;
            self.add(&cites);
        }
        Ok(())
    }

    fn edges<'e>(&mut self, edges: impl IntoIterator<Item = &'e EdgeValue>) -> QueryResult<()> {
        for e in edges {
            self.edge(Some(e))?;
        }
        Ok(())
    }

    fn value(self) -> Value {
        Value::List(
            self.cites
                .into_iter()
                .map(|(source, line)| match line {
                    Some(line) => Value::String(format!("{source}:{line}")),
                    None => Value::String(source),
                })
                .collect(),
        )
    }
}

fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

fn name_or_null(n: Option<&NodeValue>) -> Value {
    n.map_or(Value::Null, |n| string(node_name(n)))
}

/// Orders rows by the given columns (total order; null last), then by every column.
fn sort_rows(rows: &mut [Vec<Value>], keys: &[usize]) {
    rows.sort_by(|a, b| {
        for &k in keys {
            let o = a[k].total_cmp(&b[k]);
            if o != Ordering::Equal {
                return o;
            }
        }
        for (x, y) in a.iter().zip(b.iter()) {
            let o = x.total_cmp(y);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Builds the table of a question from the compiled query's output.
pub(crate) fn build(kind: QuestionKind, graph: &dyn Facts, out: &Output) -> QueryResult<Table> {
    let rows = Rows::new(out);
    match kind {
        QuestionKind::WhoFunds => who_funds(&rows, graph),
        QuestionKind::WhatFunds => what_funds(&rows, graph),
        QuestionKind::WhoOwns => ownership(&rows, graph, "owner", true),
        QuestionKind::WhatOwns => ownership(&rows, graph, "owned", false),
        QuestionKind::WhoSupplies => supply(&rows, graph, "supplier", false),
        QuestionKind::WhoBuysFrom => supply(&rows, graph, "buyer", false),
        QuestionKind::WhatSupplies => supply(&rows, graph, "buyer", true),
        QuestionKind::PartnersOf => partners(&rows, graph),
        QuestionKind::WhatOperates => operates(&rows, graph),
        QuestionKind::Path => paths(&rows, graph),
        QuestionKind::Conflicts => conflicts(&rows, graph),
        QuestionKind::Sources => Ok(Table {
            columns: columns(&["source", "line", "note"]),
            rows: rows
                .iter()
                .map(|r| vec![r.get("source").clone(), r.get("line").clone(), r.get("note").clone()])
                .collect(),
        }),
    }
}

/// The money columns shared by `who funds` and `what does X fund`.
fn money_cells(r: &Row<'_, '_>) -> [Value; 5] {
    [
        r.get("instrument").clone(),
        r.get("amount").clone(),
        r.get("bound").clone(),
        r.get("date").clone(),
        r.get("status").clone(),
    ]
}

fn who_funds(rows: &Rows<'_>, graph: &dyn Facts) -> QueryResult<Table> {
    // One row per funding fact (funder, its edge, the deal, the recipient edge); when
    // several walks lead from the recipient to the entity, the shortest one is kept.
    type Fact = (Option<NodeId>, Option<EdgeId>, Option<NodeId>, Option<EdgeId>);
    let mut best: BTreeMap<Fact, ((usize, String), Vec<Value>)> = BTreeMap::new();
    for r in rows.iter() {
        let (f, fin, d, fout, up) = (r.node("f"), r.edge("fin"), r.node("d"), r.edge("fout"), r.path("up"));
        let mut walk = Walk::default();
        walk.node(f);
        walk.edge(fin);
        walk.node(d);
        walk.edge(fout);
        walk.path(up);
        let via = walk.text();
        let mut sources = Sources::new(graph);
        sources.edge(fin)?;
        sources.node(d)?;
        sources.edge(fout)?;
        sources.edges(up.map(|p| p.edges.iter()).into_iter().flatten())?;
        let fact = (f.map(|n| n.id), fin.map(|e| e.id), d.map(|n| n.id), fout.map(|e| e.id));
        let rank = (up.map_or(0, |p| p.edges.len()), via.clone());
        let [instrument, amount, bound, date, status] = money_cells(&r);
        let row = vec![
            name_or_null(f),
            instrument,
            amount,
            bound,
            date,
            status,
            string(via),
            sources.value(),
        ];
        match best.get(&fact) {
            Some((have, _)) if *have <= rank => {}
            _ => {
                best.insert(fact, (rank, row));
            }
        }
    }
    let mut out: Vec<Vec<Value>> = best.into_values().map(|(_, row)| row).collect();
    sort_rows(&mut out, &[0, 4, 1, 2, 6]);
    Ok(Table {
        columns: columns(&[
            "funder",
            "instrument",
            "amount",
            "bound",
            "date",
            "status",
            "via",
            "sources",
        ]),
        rows: out,
    })
}

fn what_funds(rows: &Rows<'_>, graph: &dyn Facts) -> QueryResult<Table> {
    let mut out = Vec::new();
    for r in rows.iter() {
        let (x, fin, d, fout, to) = (r.node("x"), r.edge("fin"), r.node("d"), r.edge("fout"), r.node("r"));
        let mut walk = Walk::default();
        walk.node(x);
        walk.edge(fin);
        walk.node(d);
        walk.edge(fout);
        if fout.is_some() || d.is_none() {
            walk.node(to);
        }
        let mut sources = Sources::new(graph);
        sources.edge(fin)?;
        sources.node(d)?;
        sources.edge(fout)?;
        let [instrument, amount, bound, date, status] = money_cells(&r);
        out.push(vec![
            name_or_null(to),
            instrument,
            amount,
            bound,
            date,
            status,
            string(walk.text()),
            sources.value(),
        ]);
    }
    sort_rows(&mut out, &[0, 4, 1, 2, 6]);
    Ok(Table {
        columns: columns(&[
            "recipient",
            "instrument",
            "amount",
            "bound",
            "date",
            "status",
            "via",
            "sources",
        ]),
        rows: out,
    })
}

/// The share one party holds through a chain: the product of the shares on every
/// hop, or null when a hop states none.
fn chain_share(chain: &PathValue) -> Value {
    let mut total: Option<Decimal> = None;
    for e in &chain.edges {
        let Some(Value::Percent(p)) = e.props.get("share") else {
            return Value::Null;
        };
        total = Some(match total {
            None => *p,
            Some(t) => t * *p / Decimal::ONE_HUNDRED,
        });
    }
    total.map_or(Value::Null, |t| Value::Percent(t.normalize()))
}

fn ownership(rows: &Rows<'_>, graph: &dyn Facts, column: &str, inbound: bool) -> QueryResult<Table> {
    let mut out: Vec<(usize, Vec<Value>)> = Vec::new();
    for r in rows.iter() {
        let Some(chain) = r.path("chain") else { continue };
        let mut walk = Walk::default();
        walk.path(Some(chain));
        let other = if inbound {
            chain.nodes.first()
        } else {
            chain.nodes.last()
        };
        let mut sources = Sources::new(graph);
        sources.edges(chain.edges.iter())?;
        out.push((
            chain.edges.len(),
            vec![
                name_or_null(other),
                chain_share(chain),
                string(walk.text()),
                sources.value(),
            ],
        ));
    }
    out.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1[0].total_cmp(&b.1[0]))
            .then_with(|| a.1[2].total_cmp(&b.1[2]))
    });
    Ok(Table {
        columns: columns(&[column, "share", "via", "sources"]),
        rows: out.into_iter().map(|(_, row)| row).collect(),
    })
}

fn supply(rows: &Rows<'_>, graph: &dyn Facts, party: &str, material_first: bool) -> QueryResult<Table> {
    let mut out = Vec::new();
    for r in rows.iter() {
        let mut sources = Sources::new(graph);
        sources.edge(r.edge("ein"))?;
        sources.node(r.node("d"))?;
        sources.edge(r.edge("eout"))?;
        let who = r.get(party).clone();
        let material = r.get("material").clone();
        let (a, b) = if material_first {
            (material, who)
        } else {
            (who, material)
        };
        out.push(vec![
            a,
            b,
            r.get("deal").clone(),
            r.get("status").clone(),
            sources.value(),
        ]);
    }
    sort_rows(&mut out, &[0, 1, 2]);
    let names = if material_first {
        ["material", party, "deal", "status", "sources"]
    } else {
        [party, "material", "deal", "status", "sources"]
    };
    Ok(Table {
        columns: columns(&names),
        rows: out,
    })
}

fn partners(rows: &Rows<'_>, graph: &dyn Facts) -> QueryResult<Table> {
    let mut out = Vec::new();
    for r in rows.iter() {
        let (x, e, d, e2, p) = (r.node("x"), r.edge("e"), r.node("d"), r.edge("e2"), r.node("p"));
        let mut walk = Walk::default();
        walk.node(x);
        walk.edge(e);
        walk.node(d);
        walk.edge(e2);
        walk.node(p);
        let mut sources = Sources::new(graph);
        sources.edge(e)?;
        sources.node(d)?;
        sources.edge(e2)?;
        out.push(vec![
            name_or_null(p),
            r.get("relation").clone(),
            string(walk.text()),
            sources.value(),
        ]);
    }
    sort_rows(&mut out, &[0, 1, 2]);
    Ok(Table {
        columns: columns(&["partner", "relation", "via", "sources"]),
        rows: out,
    })
}

fn operates(rows: &Rows<'_>, graph: &dyn Facts) -> QueryResult<Table> {
    let mut out = Vec::new();
    for r in rows.iter() {
        let mut sources = Sources::new(graph);
        sources.edge(r.edge("e"))?;
        out.push(vec![
            r.get("asset").clone(),
            r.get("relation").clone(),
            r.get("stage").clone(),
            r.get("date").clone(),
            sources.value(),
        ]);
    }
    sort_rows(&mut out, &[0, 1, 3, 2]);
    Ok(Table {
        columns: columns(&["asset", "relation", "stage", "date", "sources"]),
        rows: out,
    })
}

fn paths(rows: &Rows<'_>, graph: &dyn Facts) -> QueryResult<Table> {
    let mut found: Vec<(String, &PathValue)> = Vec::new();
    for r in rows.iter() {
        if let Some(p) = r.path("p") {
            let mut walk = Walk::default();
            walk.path(Some(p));
            found.push((walk.text(), p));
        }
    }
    // Paths that read the same (parallel relationships of one type) are listed once:
    // the one with the lowest relationship ids, so that the answer does not depend on
    // the order in which the paths were found.
    let ids = |p: &PathValue| p.edges.iter().map(|e| e.id).collect::<Vec<_>>();
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| ids(a.1).cmp(&ids(b.1))));
    found.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::new();
    for (n, (_, p)) in found.iter().take(MAX_PATHS).enumerate() {
        for (i, e) in p.edges.iter().enumerate() {
            let (Some(from), Some(to)) = (p.nodes.get(i), p.nodes.get(i + 1)) else {
                continue;
            };
            let mut sources = Sources::new(graph);
            sources.edge(Some(e))?;
            out.push(vec![
                Value::Int(n as i64 + 1),
                Value::Int(i as i64 + 1),
                string(node_name(from)),
                string(hop_text(e, from.id)),
                string(node_name(to)),
                sources.value(),
            ]);
        }
    }
    Ok(Table {
        columns: columns(&["path", "hop", "from", "relation", "to", "sources"]),
        rows: out,
    })
}

/// One claim of a conflict: a node or an edge sharing a `key` with others.
struct Claim {
    key: Value,
    text: String,
    props: Props,
    sources: Value,
    first_source: Value,
}

fn claim_of(graph: &dyn Facts, key: &Value, v: &Value) -> QueryResult<Option<Claim>> {
    let mut sources = Sources::new(graph);
    let (text, props) = match v {
        Value::Node(n) => {
            sources.node(Some(n))?;
            (node_name(n), n.props.clone())
        }
        Value::Edge(e) => {
            sources.edge(Some(e))?;
            let end_name = |id: NodeId| -> QueryResult<String> {
                Ok(graph.node_name(id)?.unwrap_or_else(|| format!("node #{id}")))
            };
            (
                format!("{} -[{}]-> {}", end_name(e.start)?, e.rel_type, end_name(e.end)?),
                e.props.clone(),
            )
        }
        _ => return Ok(None),
    };
    let sources = sources.value();
    let first_source = match &sources {
        Value::List(items) => items.first().cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    Ok(Some(Claim {
        key: key.clone(),
        text,
        props,
        sources,
        first_source,
    }))
}

fn conflicts(rows: &Rows<'_>, graph: &dyn Facts) -> QueryResult<Table> {
    // Claims grouped by key and by element kind (node claims and edge claims apart).
    let mut groups: BTreeMap<(String, bool), Vec<Claim>> = BTreeMap::new();
    let mut seen: BTreeSet<(bool, u64)> = BTreeSet::new();
    for r in rows.iter() {
        let v = r.get("claim");
        let id = match v {
            Value::Node(n) => (false, n.id.0),
            Value::Edge(e) => (true, e.id.0),
            _ => continue,
        };
        if !seen.insert(id) {
            continue;
        }
        let key = r.get("key");
        if let Some(claim) = claim_of(graph, key, v)? {
            groups.entry((key.to_string(), id.0)).or_default().push(claim);
        }
    }
    let mut out = Vec::new();
    for claims in groups.values() {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for c in claims {
            names.extend(c.props.keys().map(String::as_str).filter(|k| !NOT_COMPARED.contains(k)));
        }
        let differing: Vec<&str> = names
            .into_iter()
            .filter(|k| {
                let first = claims[0].props.get(*k);
                claims.iter().any(|c| c.props.get(*k) != first)
            })
            .collect();
        if differing.is_empty() {
            continue;
        }
        for c in claims {
            let differs: BTreeMap<String, Value> = differing
                .iter()
                .filter(|k| **k != "status")
                .map(|k| (k.to_string(), c.props.get(*k).cloned().unwrap_or(Value::Null)))
                .collect();
            out.push(vec![
                c.key.clone(),
                string(c.text.clone()),
                c.props.get("status").cloned().unwrap_or(Value::Null),
                Value::Map(differs),
                c.sources.clone(),
                c.first_source.clone(),
            ]);
        }
    }
    sort_rows(&mut out, &[0, 5, 1]);
    for row in &mut out {
        row.pop();
    }
    Ok(Table {
        columns: columns(&["key", "claim", "status", "differs", "sources"]),
        rows: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn node(id: u64, name: &str) -> NodeValue {
        NodeValue {
            id: NodeId(id),
            labels: vec!["Company".into()],
            props: Props::from([("name".to_string(), Value::from(name))]),
        }
    }

    fn edge(id: u64, t: &str, start: u64, end: u64, props: &[(&str, Value)]) -> EdgeValue {
        EdgeValue {
            id: EdgeId(id),
            rel_type: t.into(),
            start: NodeId(start),
            end: NodeId(end),
            props: props.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    #[test]
    fn walks_read_in_walking_order_with_roles() {
        let (a, d, b) = (node(1, "Commerce"), node(2, "grant"), node(3, "USAR"));
        let fin = edge(10, "FUNDS", 1, 2, &[("role", Value::from("grantor"))]);
        let fout = edge(11, "FUNDS", 2, 3, &[("role", Value::from("grantee"))]);
        let mut w = Walk::default();
        w.node(Some(&a));
        w.edge(Some(&fin));
        w.node(Some(&d));
        w.edge(Some(&fout));
        let up = PathValue {
            nodes: vec![b.clone(), node(4, "Round Top")],
            edges: vec![edge(12, "DEVELOPS", 3, 4, &[])],
        };
        w.path(Some(&up));
        assert_eq!(
            w.text(),
            "Commerce -[FUNDS grantor]-> grant -[FUNDS grantee]-> USAR -[DEVELOPS]-> Round Top"
        );
        let back = PathValue {
            nodes: vec![b, a],
            edges: vec![edge(13, "OWNS", 1, 3, &[])],
        };
        let mut w = Walk::default();
        w.path(Some(&back));
        assert_eq!(w.text(), "USAR <-[OWNS]- Commerce");
    }

    #[test]
    fn shares_multiply_along_a_chain() {
        let pct = |s: &str| Value::Percent(Decimal::from_str(s).unwrap());
        let chain = PathValue {
            nodes: vec![node(1, "A"), node(2, "B"), node(3, "C")],
            edges: vec![
                edge(10, "OWNS", 1, 2, &[("share", pct("50"))]),
                edge(11, "OWNS", 2, 3, &[("share", pct("30"))]),
            ],
        };
        assert_eq!(chain_share(&chain), pct("15"));
        let gap = PathValue {
            nodes: vec![node(1, "A"), node(2, "B"), node(3, "C")],
            edges: vec![
                edge(10, "OWNS", 1, 2, &[("share", pct("50"))]),
                edge(11, "OWNS", 2, 3, &[]),
            ],
        };
        assert_eq!(chain_share(&gap), Value::Null);
    }
}
