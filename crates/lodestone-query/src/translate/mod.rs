//! Semantic analysis: scopes, variable kinds, aggregates and clause order, turning
//! the syntax tree into a plan (the planner in [`crate::plan`] picks access paths).

mod clauses;
mod expr;
mod functions;
mod projection;

pub(crate) use functions::func_name;

use crate::api::Params;
use crate::ast::{Clause, Query, SingleQuery, Span};
use crate::plan::{AggSpec, Op, OpKind};
use crate::{QueryError, QueryResult};
use lodestone_model::ValueKind;
use lodestone_store::{GraphRead, Stats};
use std::collections::HashSet;

/// What a variable holds, as far as the translator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarKind {
    Node,
    Rel,
    RelList,
    Path,
    Value,
}

impl VarKind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            VarKind::Node => "a node",
            VarKind::Rel => "a relationship",
            VarKind::RelList => "a list of relationships",
            VarKind::Path => "a path",
            VarKind::Value => "a value",
        }
    }
}

/// A variable in scope.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub name: String,
    pub slot: usize,
    pub kind: VarKind,
}

/// Aggregates found while compiling the items of an aggregating projection.
#[derive(Debug, Default)]
pub(crate) struct AggCollect {
    pub specs: Vec<AggSpec>,
    /// Canonical text of each spec, to share equal aggregates.
    pub canon: Vec<String>,
}

/// One part of a UNION, compiled.
pub(crate) struct CompiledPart {
    pub root: Op,
    pub columns: Vec<String>,
    pub slots: Vec<usize>,
}

/// A compiled query.
pub(crate) struct CompiledQuery {
    pub parts: Vec<CompiledPart>,
    pub union_distinct: bool,
    pub nslots: usize,
    pub nops: usize,
    pub as_of: Option<crate::plan::CExpr>,
    pub slot_names: Vec<String>,
}

/// Builds a semantic error.
pub(crate) fn semantic(code: &'static str, message: impl Into<String>, span: Span) -> QueryError {
    QueryError::Semantic {
        code,
        message: message.into(),
        span,
    }
}

/// Translator state for one statement.
pub(crate) struct Compiler<'a> {
    pub graph: &'a dyn GraphRead,
    pub params: &'a Params,
    pub max_hops: u32,
    pub scope: Vec<Var>,
    pub slot_names: Vec<String>,
    /// What each slot is known to hold, when that is known before running.
    pub slot_kinds: Vec<Option<ValueKind>>,
    pub next_op: usize,
    /// Slots of variables local to an expression (comprehensions, sub-patterns).
    pub local_slots: HashSet<usize>,
    /// Slots read by the expression being compiled (locals excluded).
    pub refs: Vec<usize>,
    pub agg: Option<AggCollect>,
    pub agg_context: &'static str,
    pub in_agg: bool,
    /// Whether a pattern may stand as an expression here (a predicate in WHERE or exists()).
    pub pattern_ok: bool,
    stats: Option<Stats>,
    indexes: Option<Vec<(String, String)>>,
}

/// The most operators one statement part may nest.
pub(crate) const MAX_PIPELINE_DEPTH: usize = 400;

/// How deeply a plan's operators nest, sub-plans included.
fn pipeline_depth(op: &Op) -> usize {
    let mut depth = 0;
    let mut cur = Some(op);
    let mut deepest_sub = 0;
    while let Some(o) = cur {
        depth += 1;
        if let OpKind::Optional { sub, .. } | OpKind::Merge { sub, .. } = &o.kind {
            deepest_sub = deepest_sub.max(depth + pipeline_depth(sub));
        }
        cur = o.input.as_deref();
    }
    depth.max(deepest_sub)
}

/// Whether a clause changes the graph.
pub(crate) fn is_update(c: &Clause) -> bool {
    matches!(
        c,
        Clause::Create { .. }
            | Clause::Merge { .. }
            | Clause::Set { .. }
            | Clause::Remove { .. }
            | Clause::Delete { .. }
            | Clause::Cite { .. }
    )
}

/// Whether a query changes the graph.
pub(crate) fn query_writes(q: &Query) -> bool {
    std::iter::once(&q.first)
        .chain(q.unions.iter().map(|(_, p)| p))
        .any(|p| p.clauses.iter().any(is_update))
}

fn clause_span(c: &Clause) -> Span {
    match c {
        Clause::Match { span, .. }
        | Clause::Unwind { span, .. }
        | Clause::Create { span, .. }
        | Clause::Merge { span, .. }
        | Clause::Set { span, .. }
        | Clause::Remove { span, .. }
        | Clause::Delete { span, .. }
        | Clause::Cite { span, .. } => *span,
        Clause::With(p) | Clause::Return(p) => p.span,
    }
}

impl<'a> Compiler<'a> {
    /// A translator reading counts and indexes from `graph`.
    pub(crate) fn new(graph: &'a dyn GraphRead, params: &'a Params, max_hops: u32) -> Self {
        Compiler {
            graph,
            params,
            max_hops,
            scope: Vec::new(),
            slot_names: Vec::new(),
            slot_kinds: Vec::new(),
            next_op: 0,
            local_slots: HashSet::new(),
            refs: Vec::new(),
            agg: None,
            agg_context: "this clause",
            in_agg: false,
            pattern_ok: false,
            stats: None,
            indexes: None,
        }
    }

    /// A fresh slot.
    pub(crate) fn new_slot(&mut self, name: &str) -> usize {
        self.slot_names.push(name.to_string());
        self.slot_kinds.push(None);
        self.slot_names.len() - 1
    }

    /// A fresh slot for an anonymous element.
    pub(crate) fn anon_slot(&mut self) -> usize {
        let n = self.slot_names.len();
        self.new_slot(&format!("  anon_{n}"))
    }

    /// Wraps an operator kind with a new id.
    pub(crate) fn op(&mut self, input: Option<Op>, kind: OpKind) -> Op {
        let id = self.next_op;
        self.next_op += 1;
        Op {
            id,
            input: input.map(Box::new),
            kind,
        }
    }

    /// A leaf that emits its argument row.
    pub(crate) fn start(&mut self) -> Op {
        self.op(None, OpKind::Start)
    }

    /// The innermost variable called `name`.
    pub(crate) fn lookup(&self, name: &str) -> Option<&Var> {
        self.scope.iter().rev().find(|v| v.name == name)
    }

    /// Declares a variable in the current scope.
    pub(crate) fn declare(&mut self, name: &str, kind: VarKind) -> usize {
        let slot = self.new_slot(name);
        self.slot_kinds[slot] = match kind {
            VarKind::Node => Some(ValueKind::Node),
            VarKind::Rel => Some(ValueKind::Edge),
            VarKind::RelList => Some(ValueKind::List),
            VarKind::Path => Some(ValueKind::Path),
            VarKind::Value => None,
        };
        self.scope.push(Var {
            name: name.to_string(),
            slot,
            kind,
        });
        slot
    }

    /// Records a read of `slot` by the expression being compiled.
    pub(crate) fn note_ref(&mut self, slot: usize) {
        if !self.local_slots.contains(&slot) {
            self.refs.push(slot);
        }
    }

    /// Runs `f`, returning what it produced and the outer slots it read.
    pub(crate) fn capture<T>(&mut self, f: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<(T, Vec<usize>)> {
        let saved = std::mem::take(&mut self.refs);
        let r = f(self);
        let mine = std::mem::replace(&mut self.refs, saved);
        let t = r?;
        self.refs.extend(mine.iter().copied());
        Ok((t, mine))
    }

    /// Slots of every variable in scope.
    pub(crate) fn scope_slots(&self) -> HashSet<usize> {
        self.scope.iter().map(|v| v.slot).collect()
    }

    /// Store counts (read once per statement, only when the plan depends on them).
    pub(crate) fn stats(&mut self) -> QueryResult<&Stats> {
        if self.stats.is_none() {
            self.stats = Some(self.graph.stats()?);
        }
        Ok(self.stats.get_or_insert_with(Stats::default))
    }

    /// Declared property indexes.
    pub(crate) fn indexes(&mut self) -> QueryResult<&[(String, String)]> {
        if self.indexes.is_none() {
            self.indexes = Some(self.graph.indexes()?);
        }
        Ok(self.indexes.get_or_insert_with(Vec::new))
    }

    /// Compiles a whole query (all UNION parts).
    pub(crate) fn compile_query(&mut self, q: &Query) -> QueryResult<CompiledQuery> {
        let as_of = match &q.as_of {
            Some(e) => {
                let (c, refs) = self.capture(|s| s.expr(e))?;
                if !refs.is_empty() {
                    return Err(semantic("NonConstantExpression", "AS OF needs a constant date", e.span));
                }
                Some(c)
            }
            None => None,
        };
        let mut parts = vec![self.compile_single(&q.first)?];
        let mut union_distinct = false;
        if let Some((all, _)) = q.unions.first() {
            union_distinct = !*all;
        }
        for (all, part) in &q.unions {
            if *all == union_distinct {
                return Err(semantic(
                    "InvalidClauseComposition",
                    "UNION and UNION ALL cannot be mixed in one query",
                    part.span,
                ));
            }
            let compiled = self.compile_single(part)?;
            if compiled.columns != parts[0].columns {
                return Err(semantic(
                    "DifferentColumnsInUnion",
                    format!(
                        "all parts of a UNION must return the same columns: ({}) vs ({})",
                        parts[0].columns.join(", "),
                        compiled.columns.join(", ")
                    ),
                    part.span,
                ));
            }
            parts.push(compiled);
        }
        if parts.len() > 1 && parts.iter().any(|p| p.columns.is_empty()) {
            return Err(semantic(
                "InvalidClauseComposition",
                "every part of a UNION must end with RETURN",
                q.span,
            ));
        }
        Ok(CompiledQuery {
            parts,
            union_distinct,
            nslots: self.slot_names.len(),
            nops: self.next_op,
            as_of,
            slot_names: std::mem::take(&mut self.slot_names),
        })
    }

    /// Compiles one part: its clauses in order.
    fn compile_single(&mut self, q: &SingleQuery) -> QueryResult<CompiledPart> {
        self.scope.clear();
        let n = q.clauses.len();
        let Some(last) = q.clauses.last() else {
            return Err(semantic("InvalidClauseComposition", "empty query", q.span));
        };
        for (i, c) in q.clauses.iter().enumerate() {
            if matches!(c, Clause::Return(_)) && i + 1 != n {
                return Err(semantic(
                    "InvalidClauseComposition",
                    "RETURN can only be the last clause of a query",
                    clause_span(c),
                ));
            }
        }
        if !matches!(last, Clause::Return(_)) && !is_update(last) {
            return Err(semantic(
                "InvalidClauseComposition",
                "a query must end with RETURN or an updating clause (CREATE, MERGE, SET, REMOVE, DELETE, CITE)",
                clause_span(last),
            ));
        }
        let mut op = self.start();
        let mut columns = Vec::new();
        let mut slots = Vec::new();
        for (i, c) in q.clauses.iter().enumerate() {
            let upd = is_update(c);
            if i > 0 {
                let prev_upd = is_update(&q.clauses[i - 1]);
                // Updates see every row of the clauses before them, and later reads see every update.
                if upd != prev_upd {
                    op = self.op(Some(op), OpKind::Eager);
                }
            }
            op = match c {
                Clause::Match {
                    optional,
                    pattern,
                    where_,
                    ..
                } => {
                    let dup_ok = self.dup_insensitive_after(&q.clauses[i + 1..]);
                    self.compile_match(op, *optional, pattern, where_.as_ref(), dup_ok)?
                }
                Clause::Unwind { expr, alias, .. } => self.compile_unwind(op, expr, alias)?,
                Clause::With(p) => self.compile_projection(op, p, false)?.0,
                Clause::Return(p) => {
                    let (o, cols, s) = self.compile_projection(op, p, true)?;
                    columns = cols;
                    slots = s;
                    o
                }
                Clause::Create { pattern, .. } => self.compile_create(op, pattern)?,
                Clause::Merge {
                    part,
                    on_create,
                    on_match,
                    ..
                } => self.compile_merge(op, part, on_create, on_match)?,
                Clause::Set { items, .. } => self.compile_set(op, items)?,
                Clause::Remove { items, .. } => self.compile_remove(op, items)?,
                Clause::Delete { detach, exprs, .. } => self.compile_delete(op, *detach, exprs)?,
                Clause::Cite {
                    targets,
                    source,
                    line,
                    note,
                    ..
                } => self.compile_cite(op, targets, source, line.as_ref(), note.as_ref())?,
            };
        }
        // Operators run nested (each calls the one below it), so bound the depth.
        let depth = pipeline_depth(&op);
        if depth > MAX_PIPELINE_DEPTH {
            return Err(QueryError::Unsupported {
                what: format!(
                    "a statement this long ({depth} operators deep, at most {MAX_PIPELINE_DEPTH}); split it into several statements"
                ),
                span: Some(q.span),
            });
        }
        Ok(CompiledPart {
            root: op,
            columns,
            slots,
        })
    }

    /// Whether the rows a MATCH produces are only ever seen through DISTINCT (so a
    /// variable-length pattern may yield each endpoint once).
    fn dup_insensitive_after(&self, rest: &[Clause]) -> bool {
        for c in rest {
            match c {
                Clause::Match { .. } | Clause::Unwind { .. } => continue,
                Clause::With(p) | Clause::Return(p) => return projection::duplicate_insensitive(p),
                _ => return false,
            }
        }
        false
    }
}
