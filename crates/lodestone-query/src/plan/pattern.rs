//! Planning MATCH patterns: choose where to start (index seek, label scan), which way
//! to expand, and where each predicate can run.

use super::{CExpr, CmpOp, Func, Op, OpKind, PathStep, Walk};
use crate::ast::{BinaryOp, Expr, ExprKind, PathMode, PatternPart, RelDirection, Span};
use crate::execute::ops_reverse;
use crate::translate::{Compiler, VarKind, semantic};
use crate::{QueryError, QueryResult};
use lodestone_model::Direction;
use std::collections::HashSet;

/// A node of a pattern.
#[derive(Debug, Clone)]
pub(crate) struct PNode {
    pub slot: usize,
    pub labels: Vec<String>,
    pub bound: bool,
    /// Inline property entries (also turned into predicates for matching).
    pub props: Vec<(String, CExpr)>,
    /// An inline property map given as a whole (a parameter).
    pub props_expr: Option<CExpr>,
}

/// A relationship of a pattern.
#[derive(Debug, Clone)]
pub(crate) struct PRel {
    pub slot: usize,
    pub types: Vec<String>,
    /// Direction from `left` to `right` as written.
    pub dir: Direction,
    pub left: usize,
    pub right: usize,
    /// Hops for variable-length relationships.
    pub len: Option<(u64, u64)>,
    pub bound: bool,
    pub named: bool,
    pub props: Vec<(String, CExpr)>,
    pub props_expr: Option<CExpr>,
    pub part: usize,
    pub shortest: Option<bool>,
    pub span: Span,
}

/// One comma-separated part of a pattern.
#[derive(Debug, Clone)]
pub(crate) struct PPart {
    pub path: Option<usize>,
    pub mode: PathMode,
    pub nodes: Vec<usize>,
    pub rels: Vec<usize>,
}

/// A predicate with the slots it reads.
#[derive(Debug, Clone)]
pub(crate) struct Pred {
    pub e: CExpr,
    pub deps: Vec<usize>,
}

/// A pattern with its variables declared.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternIr {
    pub nodes: Vec<PNode>,
    pub rels: Vec<PRel>,
    pub parts: Vec<PPart>,
    pub anon_slots: Vec<usize>,
    pub preds: Vec<Pred>,
}

fn direction(d: RelDirection) -> Direction {
    match d {
        RelDirection::Right => Direction::Outgoing,
        RelDirection::Left => Direction::Incoming,
        RelDirection::Either => Direction::Both,
    }
}

/// Splits `a AND b AND c` into its conjuncts.
pub(crate) fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Binary(BinaryOp::And, a, b) => {
            let mut v = conjuncts(a);
            v.extend(conjuncts(b));
            v
        }
        _ => vec![e],
    }
}

fn map_expr(props: &[(String, CExpr)], whole: &Option<CExpr>) -> Option<CExpr> {
    if let Some(w) = whole {
        return Some(w.clone());
    }
    if props.is_empty() {
        None
    } else {
        Some(CExpr::Map(props.to_vec()))
    }
}

impl PNode {
    /// The property map to create the node with.
    pub(crate) fn create_props(&self) -> Option<CExpr> {
        map_expr(&self.props, &self.props_expr)
    }
}

impl PRel {
    /// The property map to create the relationship with.
    pub(crate) fn create_props(&self) -> Option<CExpr> {
        map_expr(&self.props, &self.props_expr)
    }
}

struct State {
    bound: HashSet<usize>,
    op: Op,
    preds: Vec<Pred>,
    placed: Vec<bool>,
    node_done: Vec<bool>,
    rel_done: Vec<bool>,
    planned_rels: Vec<usize>,
}

impl State {
    fn ready(&self, p: &Pred) -> bool {
        p.deps.iter().all(|d| self.bound.contains(d))
    }
}

/// A seek that can bind a node: cost and operator.
struct Seek {
    cost: u64,
    kind: OpKind,
}

/// Stands in for an operator while it is moved under a new parent.
fn placeholder() -> Op {
    Op {
        id: usize::MAX,
        input: None,
        kind: OpKind::Start,
    }
}

fn reads_slot(e: &CExpr, slot: usize) -> bool {
    let mut found = false;
    e.visit_slots(&mut |s| found |= s == slot);
    found || e.has_subplan()
}

/// The labels of `a:X OR a:Y OR ...` over `slot` alone, one label per test.
fn label_alternatives(e: &CExpr, slot: usize, out: &mut Vec<String>) -> bool {
    match e {
        CExpr::HasLabels(target, labels) if matches!(**target, CExpr::Slot(s) if s == slot) && labels.len() == 1 => {
            if !out.contains(&labels[0]) {
                out.push(labels[0].clone());
            }
            true
        }
        CExpr::Or(a, b) => label_alternatives(a, slot, out) && label_alternatives(b, slot, out),
        _ => false,
    }
}

/// An unplaced predicate that is a disjunction of single labels of the node in `slot`:
/// its index and the labels.
fn label_union(st: &State, slot: usize) -> Option<(usize, Vec<String>)> {
    st.preds.iter().enumerate().find_map(|(i, p)| {
        if st.placed[i] || p.deps.iter().any(|d| *d != slot) {
            return None;
        }
        let mut any = Vec::new();
        (label_alternatives(&p.e, slot, &mut any) && any.len() > 1).then_some((i, any))
    })
}

impl Compiler<'_> {
    fn pattern_node(
        &mut self,
        np: &crate::ast::NodePattern,
        ir: &mut PatternIr,
        outer: &HashSet<usize>,
    ) -> QueryResult<usize> {
        let slot = match &np.var {
            Some(v) => match self.lookup(&v.name) {
                Some(var) => {
                    let known = self.slot_kinds.get(var.slot).copied().flatten();
                    if !matches!(var.kind, VarKind::Node | VarKind::Value)
                        || known.is_some_and(|k| k != lodestone_model::ValueKind::Node)
                    {
                        return Err(semantic(
                            "VariableTypeConflict",
                            format!(
                                "variable `{}` is already bound to {}, not a node",
                                v.name,
                                var.kind.describe()
                            ),
                            v.span,
                        ));
                    }
                    let slot = var.slot;
                    self.note_ref(slot);
                    slot
                }
                None => self.declare(&v.name, VarKind::Node),
            },
            None => {
                let s = self.anon_slot();
                ir.anon_slots.push(s);
                s
            }
        };
        let idx = match ir.nodes.iter().position(|n| n.slot == slot) {
            Some(i) => i,
            None => {
                ir.nodes.push(PNode {
                    slot,
                    labels: Vec::new(),
                    bound: outer.contains(&slot),
                    props: Vec::new(),
                    props_expr: None,
                });
                ir.nodes.len() - 1
            }
        };
        for l in &np.labels {
            if !ir.nodes[idx].labels.contains(&l.name) {
                ir.nodes[idx].labels.push(l.name.clone());
            }
        }
        // `(n:A|B)`: a predicate the planner may turn into a union of label scans.
        let mut any = np
            .any_labels
            .iter()
            .map(|l| CExpr::HasLabels(Box::new(CExpr::Slot(slot)), vec![l.name.clone()]));
        if let Some(first) = any.next() {
            let e = any.fold(first, |a, b| CExpr::Or(Box::new(a), Box::new(b)));
            ir.preds.push(Pred { e, deps: vec![slot] });
        }
        if let Some(p) = &np.props {
            let (entries, whole) = self.pattern_props(p)?;
            for (k, v, deps) in entries {
                let mut d = deps;
                d.push(slot);
                ir.preds.push(Pred {
                    e: CExpr::Cmp(
                        CmpOp::Eq,
                        Box::new(CExpr::Prop(Box::new(CExpr::Slot(slot)), k.clone())),
                        Box::new(v.clone()),
                    ),
                    deps: d,
                });
                ir.nodes[idx].props.push((k, v));
            }
            if let Some((w, deps)) = whole {
                let mut d = deps;
                d.push(slot);
                ir.preds.push(Pred {
                    e: CExpr::PropsMatch(Box::new(CExpr::Slot(slot)), Box::new(w.clone())),
                    deps: d,
                });
                ir.nodes[idx].props_expr = Some(w);
            }
        }
        Ok(idx)
    }

    /// Inline properties: per-key entries for a map literal, or the whole expression.
    #[allow(clippy::type_complexity)]
    fn pattern_props(
        &mut self,
        p: &Expr,
    ) -> QueryResult<(Vec<(String, CExpr, Vec<usize>)>, Option<(CExpr, Vec<usize>)>)> {
        match &p.kind {
            ExprKind::Map(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (k, v) in items {
                    let (c, deps) = self.capture(|s| s.expr_in(v, "a pattern"))?;
                    out.push((k.name.clone(), c, deps));
                }
                Ok((out, None))
            }
            ExprKind::Param(name) => Err(semantic(
                "InvalidParameterUse",
                format!(
                    "a parameter cannot stand for the property map of a pattern to match; write {{key: ${name}.key}}"
                ),
                p.span,
            )),
            _ => {
                let (c, deps) = self.capture(|s| s.expr_in(p, "a pattern"))?;
                Ok((Vec::new(), Some((c, deps))))
            }
        }
    }

    /// Declares the variables of a MATCH (or MERGE, or expression) pattern.
    pub(crate) fn declare_pattern(&mut self, parts: &[PatternPart], in_expr: bool) -> QueryResult<PatternIr> {
        let outer = self.scope_slots();
        let mut ir = PatternIr::default();
        let mut rel_vars: Vec<String> = Vec::new();
        for (pi, part) in parts.iter().enumerate() {
            let path = match &part.var {
                Some(v) => {
                    if let Some(var) = self.lookup(&v.name) {
                        let what = if var.kind == VarKind::Path {
                            "a path".to_string()
                        } else {
                            var.kind.describe().to_string()
                        };
                        return Err(semantic(
                            "VariableAlreadyBound",
                            format!("variable `{}` is already bound to {what}", v.name),
                            v.span,
                        ));
                    }
                    Some(v)
                }
                None => None,
            };
            let first = self.pattern_node(&part.element.start, &mut ir, &outer)?;
            let mut nodes = vec![first];
            let mut rels = Vec::new();
            if part.mode != PathMode::All && part.element.chain.len() != 1 {
                return Err(semantic(
                    "InvalidShortestPath",
                    "shortestPath and allShortestPaths need a pattern with exactly one relationship",
                    part.span,
                ));
            }
            let mut left = first;
            for (rp, np) in &part.element.chain {
                let (slot, named, bound) = match &rp.var {
                    Some(v) => {
                        if rel_vars.contains(&v.name) {
                            return Err(semantic(
                                "RelationshipUniquenessViolation",
                                format!(
                                    "relationship variable `{}` is used more than once in one pattern",
                                    v.name
                                ),
                                v.span,
                            ));
                        }
                        rel_vars.push(v.name.clone());
                        match self.lookup(&v.name) {
                            Some(var) => {
                                let known = self.slot_kinds.get(var.slot).copied().flatten();
                                // A variable-length relationship may be given as a list bound earlier.
                                let want = if rp.length.is_some() {
                                    lodestone_model::ValueKind::List
                                } else {
                                    lodestone_model::ValueKind::Edge
                                };
                                let ok = match var.kind {
                                    VarKind::Rel => rp.length.is_none(),
                                    VarKind::Value => known.is_none_or(|k| k == want),
                                    VarKind::RelList => rp.length.is_some(),
                                    _ => false,
                                };
                                if !ok {
                                    if rp.length.is_some() && matches!(var.kind, VarKind::RelList | VarKind::Rel) {
                                        return Err(QueryError::Unsupported {
                                            what: "a variable-length relationship bound by an earlier clause".into(),
                                            span: Some(v.span),
                                        });
                                    }
                                    return Err(semantic(
                                        "VariableTypeConflict",
                                        format!(
                                            "variable `{}` is already bound to {}, not a relationship",
                                            v.name,
                                            var.kind.describe()
                                        ),
                                        v.span,
                                    ));
                                }
                                let s = var.slot;
                                self.note_ref(s);
                                (s, true, outer.contains(&s))
                            }
                            None => {
                                let kind = if rp.length.is_some() || part.mode != PathMode::All {
                                    VarKind::RelList
                                } else {
                                    VarKind::Rel
                                };
                                (self.declare(&v.name, kind), true, false)
                            }
                        }
                    }
                    None => {
                        let s = self.anon_slot();
                        ir.anon_slots.push(s);
                        (s, false, false)
                    }
                };
                let right = self.pattern_node(np, &mut ir, &outer)?;
                let len = match (rp.length, part.mode) {
                    (Some(l), _) => {
                        let min = l.min.unwrap_or(1);
                        let max = l.max.unwrap_or(self.max_hops as u64);
                        Some((min, max))
                    }
                    (None, PathMode::All) => None,
                    (None, _) => Some((1, 1)),
                };
                let shortest = match part.mode {
                    PathMode::All => None,
                    PathMode::Shortest => Some(false),
                    PathMode::AllShortest => Some(true),
                };
                if let (Some(_), Some((min, _))) = (shortest, len)
                    && min > 1
                {
                    return Err(semantic(
                        "InvalidShortestPath",
                        "shortestPath and allShortestPaths need a minimum length of 0 or 1",
                        rp.span,
                    ));
                }
                let mut rel = PRel {
                    slot,
                    types: rp.types.iter().map(|t| t.name.clone()).collect(),
                    dir: direction(rp.direction),
                    left,
                    right,
                    len,
                    bound,
                    named,
                    props: Vec::new(),
                    props_expr: None,
                    part: pi,
                    shortest,
                    span: rp.span,
                };
                if let Some(p) = &rp.props {
                    let (entries, whole) = self.pattern_props(p)?;
                    let var_len = rel.len.is_some();
                    for (k, v, deps) in entries {
                        if !var_len {
                            let mut d = deps;
                            d.push(slot);
                            ir.preds.push(Pred {
                                e: CExpr::Cmp(
                                    CmpOp::Eq,
                                    Box::new(CExpr::Prop(Box::new(CExpr::Slot(slot)), k.clone())),
                                    Box::new(v.clone()),
                                ),
                                deps: d,
                            });
                        }
                        rel.props.push((k, v));
                    }
                    if let Some((w, deps)) = whole {
                        if !var_len {
                            let mut d = deps;
                            d.push(slot);
                            ir.preds.push(Pred {
                                e: CExpr::PropsMatch(Box::new(CExpr::Slot(slot)), Box::new(w.clone())),
                                deps: d,
                            });
                        }
                        rel.props_expr = Some(w);
                    }
                }
                rels.push(ir.rels.len());
                ir.rels.push(rel);
                nodes.push(right);
                left = right;
            }
            let path_slot = match path {
                Some(v) => {
                    // The pattern itself may not use the path's name for a node or relationship.
                    if let Some(var) = self.lookup(&v.name) {
                        return Err(semantic(
                            "VariableAlreadyBound",
                            format!("variable `{}` is already bound to {}", v.name, var.kind.describe()),
                            v.span,
                        ));
                    }
                    Some(self.declare(&v.name, VarKind::Path))
                }
                None => None,
            };
            ir.parts.push(PPart {
                path: path_slot,
                mode: part.mode,
                nodes,
                rels,
            });
        }
        // Labels on nodes bound before this pattern become predicates.
        for n in &ir.nodes {
            if n.bound && !n.labels.is_empty() {
                ir.preds.push(Pred {
                    e: CExpr::HasLabels(Box::new(CExpr::Slot(n.slot)), n.labels.clone()),
                    deps: vec![n.slot],
                });
            }
        }
        let _ = in_expr;
        Ok(ir)
    }

    /// Plans a declared pattern on top of `input`; `outer` holds the slots already bound.
    pub(crate) fn plan_pattern(
        &mut self,
        input: Op,
        mut ir: PatternIr,
        where_: Option<&Expr>,
        outer: HashSet<usize>,
        dup_ok: bool,
    ) -> QueryResult<Op> {
        let mut preds = std::mem::take(&mut ir.preds);
        if let Some(w) = where_ {
            for c in conjuncts(w) {
                let (e, deps) = self.capture(|s| s.predicate(c, "WHERE"))?;
                preds.push(Pred { e, deps });
            }
        }
        let mut st = State {
            bound: outer,
            op: input,
            placed: vec![false; preds.len()],
            preds,
            node_done: ir.nodes.iter().map(|n| n.bound).collect(),
            rel_done: vec![false; ir.rels.len()],
            planned_rels: Vec::new(),
        };
        self.place(&mut st);
        loop {
            // A relationship bound by an earlier clause: check it, bind its ends.
            if let Some(ri) = (0..ir.rels.len()).find(|&i| !st.rel_done[i] && ir.rels[i].bound) {
                self.plan_bound_rel(&mut st, &ir, ri);
                continue;
            }
            // Both ends bound: expand into.
            if let Some(ri) = (0..ir.rels.len()).find(|&i| {
                let r = &ir.rels[i];
                !st.rel_done[i] && r.shortest.is_none() && st.node_done[r.left] && st.node_done[r.right]
            }) {
                self.plan_expand(&mut st, &ir, ri, ir.rels[ri].left, dup_ok)?;
                continue;
            }
            // A node with an index seek: bind it early, it is cheap.
            if let Some((ni, seek)) = self.best_seek(&st, &ir)? {
                self.bind_node(&mut st, &ir, ni, seek);
                continue;
            }
            // One end bound: expand from it (single hops before variable-length ones).
            let mut candidates: Vec<(usize, usize)> = Vec::new();
            for (i, r) in ir.rels.iter().enumerate() {
                if st.rel_done[i] || r.shortest.is_some() {
                    continue;
                }
                match (st.node_done[r.left], st.node_done[r.right]) {
                    (true, false) => candidates.push((i, r.left)),
                    (false, true) => candidates.push((i, r.right)),
                    _ => {}
                }
            }
            candidates.sort_by_key(|(i, _)| ir.rels[*i].len.is_some());
            if let Some(&(ri, from)) = candidates.first() {
                self.plan_expand(&mut st, &ir, ri, from, dup_ok)?;
                continue;
            }
            // Nothing connects to what is bound: start a new component with a scan.
            if let Some(ni) = self.best_scan(&st, &ir)? {
                let n = &ir.nodes[ni];
                let kind = self.scan_kind(n, &mut st)?;
                self.bind_node(&mut st, &ir, ni, Seek { cost: 0, kind });
                continue;
            }
            break;
        }
        // Paths, then shortest paths, once every node is bound.
        for part in &ir.parts {
            if part.mode != PathMode::All {
                let r = &ir.rels[part.rels[0]];
                let (min, max) = r.len.unwrap_or((1, 1));
                let walk = Walk {
                    dir: r.dir,
                    types: r.types.clone(),
                    to_labels: Vec::new(),
                    edge_props: r.create_props(),
                };
                let kind = OpKind::Shortest {
                    from: ir.nodes[r.left].slot,
                    to: ir.nodes[r.right].slot,
                    rel: r.slot,
                    path: part.path,
                    walk,
                    min,
                    max,
                    all: r.shortest == Some(true),
                };
                let prev = std::mem::replace(&mut st.op, placeholder());
                st.op = self.op(Some(prev), kind);
                st.bound.insert(r.slot);
                if let Some(p) = part.path {
                    st.bound.insert(p);
                }
                self.place(&mut st);
                continue;
            }
            if let Some(p) = part.path {
                let start = ir.nodes[part.nodes[0]].slot;
                let steps = part
                    .rels
                    .iter()
                    .map(|ri| {
                        let r = &ir.rels[*ri];
                        if r.len.is_some() {
                            PathStep::Edges {
                                rel: r.slot,
                                to: ir.nodes[r.right].slot,
                            }
                        } else {
                            PathStep::Edge {
                                rel: r.slot,
                                to: ir.nodes[r.right].slot,
                            }
                        }
                    })
                    .collect();
                let prev = std::mem::replace(&mut st.op, placeholder());
                st.op = self.op(Some(prev), OpKind::BindPath { slot: p, start, steps });
                st.bound.insert(p);
                self.place(&mut st);
            }
        }
        // Anything left (should not happen) runs last.
        for i in 0..st.preds.len() {
            if !st.placed[i] {
                st.placed[i] = true;
                let pred = std::mem::replace(&mut st.preds[i].e, CExpr::Const(lodestone_model::Value::Null));
                let prev = std::mem::replace(&mut st.op, placeholder());
                st.op = self.op(Some(prev), OpKind::Filter { pred });
            }
        }
        Ok(st.op)
    }

    /// Adds a filter for every predicate whose slots are all bound.
    fn place(&mut self, st: &mut State) {
        let mut ready: Vec<CExpr> = Vec::new();
        for i in 0..st.preds.len() {
            if !st.placed[i] && st.ready(&st.preds[i]) {
                st.placed[i] = true;
                // A placed predicate is never read again.
                ready.push(std::mem::replace(
                    &mut st.preds[i].e,
                    CExpr::Const(lodestone_model::Value::Null),
                ));
            }
        }
        // Cheap predicates first, sub-plans last.
        ready.sort_by_key(|e| e.has_subplan());
        let mut it = ready.into_iter();
        if let Some(first) = it.next() {
            let pred = it.fold(first, |a, b| CExpr::And(Box::new(a), Box::new(b)));
            let prev = std::mem::replace(&mut st.op, placeholder());
            st.op = self.op(Some(prev), OpKind::Filter { pred });
        }
    }

    fn bind_node(&mut self, st: &mut State, ir: &PatternIr, ni: usize, seek: Seek) {
        let _ = seek.cost;
        let prev = std::mem::replace(&mut st.op, placeholder());
        st.op = self.op(Some(prev), seek.kind);
        st.node_done[ni] = true;
        st.bound.insert(ir.nodes[ni].slot);
        self.place(st);
    }

    /// The cheapest index seek for some unbound node.
    fn best_seek(&mut self, st: &State, ir: &PatternIr) -> QueryResult<Option<(usize, Seek)>> {
        let mut best: Option<(usize, Seek)> = None;
        for (ni, n) in ir.nodes.iter().enumerate() {
            if st.node_done[ni] {
                continue;
            }
            for (pi, p) in st.preds.iter().enumerate() {
                if st.placed[pi] || !p.deps.iter().all(|d| *d == n.slot || st.bound.contains(d)) {
                    continue;
                }
                if let Some(seek) = self.seek_from(&p.e, n)?
                    && best.as_ref().is_none_or(|(_, b)| seek.cost < b.cost)
                {
                    best = Some((ni, seek));
                }
            }
        }
        Ok(best)
    }

    fn seek_from(&mut self, e: &CExpr, n: &PNode) -> QueryResult<Option<Seek>> {
        let labels = n.labels.clone();
        let slot = n.slot;
        let (list, l, r) = match e {
            CExpr::Cmp(CmpOp::Eq, l, r) => (false, l, r),
            CExpr::In(l, r) => (true, l, r),
            _ => return Ok(None),
        };
        let sides: Vec<(&CExpr, &CExpr)> = if list { vec![(l, r)] } else { vec![(l, r), (r, l)] };
        for (key_side, value) in sides {
            if reads_slot(value, slot) {
                continue;
            }
            match key_side {
                CExpr::Func(Func::Id, args) if matches!(args.as_slice(), [CExpr::Slot(s)] if *s == slot) => {
                    return Ok(Some(Seek {
                        cost: 1,
                        kind: OpKind::IdSeek {
                            slot,
                            value: value.clone(),
                            labels,
                        },
                    }));
                }
                CExpr::Prop(target, key) if matches!(**target, CExpr::Slot(s) if s == slot) => {
                    if key == "name" {
                        return Ok(Some(Seek {
                            cost: 2,
                            kind: OpKind::NameSeek {
                                slot,
                                value: value.clone(),
                                labels,
                            },
                        }));
                    }
                    if list || labels.is_empty() {
                        continue;
                    }
                    let indexed = self
                        .indexes()?
                        .iter()
                        .find(|(l, k)| k == key && labels.contains(l))
                        .map(|(l, _)| l.clone());
                    if let Some(label) = indexed {
                        let rest = labels.iter().filter(|l| **l != label).cloned().collect();
                        return Ok(Some(Seek {
                            cost: 3,
                            kind: OpKind::PropSeek {
                                slot,
                                label,
                                key: key.clone(),
                                value: value.clone(),
                                labels: rest,
                            },
                        }));
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// The unbound node cheapest to scan.
    fn best_scan(&mut self, st: &State, ir: &PatternIr) -> QueryResult<Option<usize>> {
        let open: Vec<usize> = (0..ir.nodes.len()).filter(|&i| !st.node_done[i]).collect();
        if open.len() <= 1 {
            return Ok(open.first().copied());
        }
        let mut best: Option<(u64, usize)> = None;
        for i in open {
            let cost = self.scan_cost(&ir.nodes[i], st)?;
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, i));
            }
        }
        Ok(best.map(|(_, i)| i))
    }

    fn scan_cost(&mut self, n: &PNode, st: &State) -> QueryResult<u64> {
        let stats = self.stats()?;
        Ok(if n.labels.is_empty() {
            match label_union(st, n.slot) {
                Some((_, any)) => any.iter().map(|l| stats.labels.get(l).copied().unwrap_or(0)).sum(),
                None => stats.nodes,
            }
        } else {
            n.labels
                .iter()
                .map(|l| stats.labels.get(l).copied().unwrap_or(0))
                .min()
                .unwrap_or(stats.nodes)
        })
    }

    fn scan_kind(&mut self, n: &PNode, st: &mut State) -> QueryResult<OpKind> {
        if n.labels.is_empty() {
            if let Some((pi, any)) = label_union(st, n.slot) {
                // The scan does the predicate's work.
                st.placed[pi] = true;
                return Ok(OpKind::LabelUnionScan {
                    slot: n.slot,
                    any,
                    labels: Vec::new(),
                });
            }
            return Ok(OpKind::AllNodes {
                slot: n.slot,
                labels: Vec::new(),
            });
        }
        let label = if n.labels.len() == 1 {
            n.labels[0].clone()
        } else {
            let stats = self.stats()?;
            n.labels
                .iter()
                .min_by_key(|l| stats.labels.get(*l).copied().unwrap_or(0))
                .cloned()
                .unwrap_or_default()
        };
        let rest = n.labels.iter().filter(|l| **l != label).cloned().collect();
        Ok(OpKind::LabelScan {
            slot: n.slot,
            label,
            labels: rest,
        })
    }

    fn plan_bound_rel(&mut self, st: &mut State, ir: &PatternIr, ri: usize) {
        let r = &ir.rels[ri];
        let (l, rn) = (&ir.nodes[r.left], &ir.nodes[r.right]);
        let kind = OpKind::BoundRel {
            rel: r.slot,
            left: l.slot,
            right: rn.slot,
            left_bound: st.node_done[r.left],
            right_bound: st.node_done[r.right],
            dir: r.dir,
            types: r.types.clone(),
            left_labels: if st.node_done[r.left] {
                Vec::new()
            } else {
                l.labels.clone()
            },
            right_labels: if st.node_done[r.right] {
                Vec::new()
            } else {
                rn.labels.clone()
            },
            hops: r.len,
        };
        let prev = std::mem::replace(&mut st.op, placeholder());
        st.op = self.op(Some(prev), kind);
        st.rel_done[ri] = true;
        st.node_done[r.left] = true;
        st.node_done[r.right] = true;
        st.bound.insert(l.slot);
        st.bound.insert(rn.slot);
        st.bound.insert(r.slot);
        st.planned_rels.push(r.slot);
        self.place(st);
    }

    fn plan_expand(&mut self, st: &mut State, ir: &PatternIr, ri: usize, from: usize, dup_ok: bool) -> QueryResult<()> {
        let r = &ir.rels[ri];
        let forward = from == r.left;
        let to = if forward { r.right } else { r.left };
        let into = st.node_done[to];
        let dir = if forward { r.dir } else { ops_reverse(r.dir) };
        let walk = Walk {
            dir,
            types: r.types.clone(),
            to_labels: if into { Vec::new() } else { ir.nodes[to].labels.clone() },
            edge_props: if r.len.is_some() { r.create_props() } else { None },
        };
        let (fs, ts) = (ir.nodes[from].slot, ir.nodes[to].slot);
        let unique = st.planned_rels.clone();
        let kind = match r.len {
            None => OpKind::Expand {
                from: fs,
                rel: r.slot,
                to: ts,
                walk,
                into,
                unique,
            },
            Some((min, max)) => {
                let part = &ir.parts[r.part];
                let reach = dup_ok && ir.rels.len() == 1 && !r.named && part.path.is_none() && min <= 1;
                if reach {
                    OpKind::Reach {
                        from: fs,
                        to: ts,
                        walk,
                        min,
                        max,
                        into,
                    }
                } else {
                    OpKind::VarExpand {
                        from: fs,
                        rel: r.slot,
                        to: ts,
                        walk,
                        min,
                        max,
                        into,
                        unique,
                        reverse: !forward,
                    }
                }
            }
        };
        let prev = std::mem::replace(&mut st.op, placeholder());
        st.op = self.op(Some(prev), kind);
        st.rel_done[ri] = true;
        st.node_done[to] = true;
        st.bound.insert(ts);
        st.bound.insert(r.slot);
        st.planned_rels.push(r.slot);
        self.place(st);
        Ok(())
    }
}
