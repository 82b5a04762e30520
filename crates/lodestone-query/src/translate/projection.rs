//! WITH and RETURN: projection, grouping, DISTINCT, ORDER BY, SKIP, LIMIT and WITH ... WHERE.

use super::expr::{contains_aggregate, walk};
use super::functions::aggregate;
use super::{AggCollect, Compiler, Var, VarKind, semantic};
use crate::QueryResult;
use crate::api::{CancelToken, Limits};
use crate::ast::{Expr, ExprKind, Projection, Span};
use crate::execute::eval::eval_const;
use crate::execute::{Ctx, Graph};
use crate::plan::{AggFunc, CExpr, Op, OpKind, render_expr};
use lodestone_model::Value;
use std::borrow::Cow;
use std::collections::HashSet;

/// Whether repeating a row before this projection cannot change its result.
pub(crate) fn duplicate_insensitive(p: &Projection) -> bool {
    let mut has_agg = false;
    let mut all_ok = true;
    for item in &p.items {
        walk(&item.expr, &mut |e| match &e.kind {
            ExprKind::CountStar => {
                has_agg = true;
                all_ok = false;
            }
            ExprKind::Call { name, distinct, .. } => {
                if let Some(f) = aggregate(&name.name.to_ascii_lowercase()) {
                    has_agg = true;
                    if !(*distinct || matches!(f, AggFunc::Min | AggFunc::Max)) {
                        all_ok = false;
                    }
                }
            }
            _ => {}
        });
    }
    for s in &p.order_by {
        if contains_aggregate(&s.expr) {
            return false;
        }
    }
    (p.distinct && !has_agg) || (has_agg && all_ok)
}

struct Item<'e> {
    name: String,
    expr: Cow<'e, Expr>,
    span: Span,
}

fn canon(e: &CExpr) -> Option<String> {
    if e.has_subplan() {
        None
    } else {
        Some(render_expr(e, None))
    }
}

/// Whether a grouping key is simple enough to appear next to an aggregate.
fn simple_key(e: &CExpr) -> bool {
    match e {
        CExpr::Slot(_) => true,
        CExpr::Prop(t, _) => matches!(**t, CExpr::Slot(_)),
        _ => false,
    }
}

fn free_slots(e: &CExpr, allowed: &HashSet<usize>, locals: &HashSet<usize>) -> Vec<usize> {
    let mut out = Vec::new();
    e.visit_slots(&mut |s| {
        if !allowed.contains(&s) && !locals.contains(&s) {
            out.push(s);
        }
    });
    out
}

impl Compiler<'_> {
    /// Evaluates SKIP or LIMIT: a constant, non-negative integer.
    fn count_arg(&mut self, e: &Expr, what: &str) -> QueryResult<u64> {
        let (c, refs) = self.capture(|s| s.expr_in(e, what_static(what)))?;
        if !refs.is_empty() || c.has_subplan() {
            return Err(semantic(
                "NonConstantExpression",
                format!("{what} must be a constant expression (it cannot use variables)"),
                e.span,
            ));
        }
        let v = {
            let mut ctx = Ctx::new(
                Graph::Read(self.graph),
                &Limits::default(),
                &CancelToken::new(),
                0,
                false,
            );
            eval_const(&c, &mut ctx)?
        };
        match v {
            Value::Int(i) if i >= 0 => Ok(i as u64),
            Value::Int(i) => Err(semantic(
                "NegativeIntegerArgument",
                format!("{what} must be a non-negative integer, got {i}"),
                e.span,
            )),
            other => Err(semantic(
                "InvalidArgumentType",
                format!("{what} must be a non-negative integer, got {other}"),
                e.span,
            )),
        }
    }

    /// Compiles a WITH or RETURN; returns the plan, column names and their slots.
    pub(crate) fn compile_projection(
        &mut self,
        input: Op,
        p: &Projection,
        is_return: bool,
    ) -> QueryResult<(Op, Vec<String>, Vec<usize>)> {
        let clause = if is_return { "RETURN" } else { "WITH" };
        let mut items: Vec<Item> = Vec::new();
        if p.star {
            let mut vars: Vec<Var> = Vec::new();
            for v in self.scope.iter().rev() {
                if !vars.iter().any(|x| x.name == v.name) {
                    vars.push(v.clone());
                }
            }
            vars.sort_by(|a, b| a.name.cmp(&b.name));
            // `WITH *` over nothing is allowed (it passes the rows on); `RETURN *` is not.
            if vars.is_empty() && p.items.is_empty() && is_return {
                return Err(semantic(
                    "NoVariablesInScope",
                    format!("{clause} * is not allowed when there are no variables in scope"),
                    p.span,
                ));
            }
            for v in vars {
                items.push(Item {
                    name: v.name.clone(),
                    expr: Cow::Owned(Expr {
                        kind: ExprKind::Variable(v.name.clone()),
                        span: p.span,
                    }),
                    span: p.span,
                });
            }
        }
        for it in &p.items {
            if !is_return && it.alias.is_none() && !matches!(it.expr.kind, ExprKind::Variable(_)) {
                return Err(semantic(
                    "NoExpressionAlias",
                    format!("expression `{}` in WITH must be aliased (use AS)", it.text),
                    it.span,
                ));
            }
            let name = match &it.alias {
                Some(a) => a.name.clone(),
                None => it.text.clone(),
            };
            items.push(Item {
                name,
                expr: Cow::Borrowed(&it.expr),
                span: it.span,
            });
        }
        for (i, it) in items.iter().enumerate() {
            if items[..i].iter().any(|o| o.name == it.name) {
                return Err(semantic(
                    "ColumnNameConflict",
                    format!(
                        "multiple result columns are named `{}`; use AS to give each a distinct name",
                        it.name
                    ),
                    it.span,
                ));
            }
        }
        let has_agg = items.iter().any(|i| contains_aggregate(&i.expr));
        let old_scope = if p.order_by.is_empty() && p.where_.is_none() {
            Vec::new()
        } else {
            self.scope.clone()
        };
        let saved_ctx = std::mem::replace(&mut self.agg_context, clause_ctx(is_return));
        self.agg = if has_agg { Some(AggCollect::default()) } else { None };
        let result = self.projection_body(input, p, &items, has_agg, old_scope, clause);
        self.agg = None;
        self.agg_context = saved_ctx;
        result
    }

    fn projection_body(
        &mut self,
        input: Op,
        p: &Projection,
        items: &[Item<'_>],
        has_agg: bool,
        old_scope: Vec<Var>,
        clause: &str,
    ) -> QueryResult<(Op, Vec<String>, Vec<usize>)> {
        let mut compiled = Vec::with_capacity(items.len());
        let mut kinds = Vec::with_capacity(items.len());
        let mut is_key = Vec::with_capacity(items.len());
        for it in items {
            let c = self.expr(&it.expr)?;
            let kind = match &it.expr.kind {
                ExprKind::Variable(n) => self.lookup(n).map_or(VarKind::Value, |v| v.kind),
                _ => match self.static_kind(&c) {
                    Some(lodestone_model::ValueKind::Node) => VarKind::Node,
                    Some(lodestone_model::ValueKind::Edge) => VarKind::Rel,
                    Some(lodestone_model::ValueKind::Path) => VarKind::Path,
                    _ => VarKind::Value,
                },
            };
            is_key.push(!contains_aggregate(&it.expr));
            compiled.push(c);
            kinds.push(kind);
        }
        let agg_slots: HashSet<usize> = self
            .agg
            .as_ref()
            .map(|a| a.specs.iter().map(|s| s.slot).collect())
            .unwrap_or_default();
        // Item slots: a plain variable keeps its slot; other items get a fresh one.
        let mut slots = Vec::with_capacity(items.len());
        for (i, c) in compiled.iter().enumerate() {
            let known = self.static_kind(c);
            let slot = match c {
                CExpr::Slot(s) if agg_slots.contains(s) => {
                    // The aggregate's result is the column: name it after the column.
                    self.slot_names[*s] = items[i].name.clone();
                    *s
                }
                CExpr::Slot(s) if !has_agg || is_key[i] => *s,
                _ => {
                    let s = self.new_slot(&items[i].name);
                    self.slot_kinds[s] = known;
                    s
                }
            };
            slots.push(slot);
        }
        let item_canon: Vec<Option<String>> = if has_agg || !p.order_by.is_empty() || p.where_.is_some() {
            compiled.iter().map(canon).collect()
        } else {
            Vec::new()
        };
        // Aggregated items may use grouping keys outside their aggregates, and nothing else.
        let mut post: Vec<(usize, CExpr)> = Vec::new();
        let mut keys: Vec<(usize, CExpr)> = Vec::new();
        if has_agg {
            let key_slots: HashSet<usize> = (0..items.len()).filter(|&i| is_key[i]).map(|i| slots[i]).collect();
            // Only simple keys (a variable or one of its properties) may appear next to an aggregate.
            let key_canon: Vec<(String, usize)> = (0..items.len())
                .filter(|&i| is_key[i] && simple_key(&compiled[i]))
                .filter_map(|i| item_canon[i].clone().map(|c| (c, slots[i])))
                .collect();
            for i in 0..items.len() {
                if is_key[i] {
                    keys.push((slots[i], compiled[i].clone()));
                    continue;
                }
                let rewritten = compiled[i].clone().rewrite(&mut |e| {
                    let c = canon(e)?;
                    key_canon.iter().find(|(k, _)| *k == c).map(|(_, s)| CExpr::Slot(*s))
                });
                let mut allowed = key_slots.clone();
                allowed.extend(agg_slots.iter().copied());
                let free = free_slots(&rewritten, &allowed, &self.local_slots);
                if let Some(s) = free.first() {
                    return Err(semantic(
                        "AmbiguousAggregationExpression",
                        format!(
                            "`{}` mixes an aggregate with `{}`, which is not a grouping key; return it as its own column or aggregate it",
                            items[i].name,
                            self.slot_names.get(*s).cloned().unwrap_or_default()
                        ),
                        items[i].span,
                    ));
                }
                if !matches!(rewritten, CExpr::Slot(s) if s == slots[i]) {
                    post.push((slots[i], rewritten));
                }
            }
        }
        let new_vars: Vec<Var> = items
            .iter()
            .zip(&slots)
            .zip(&kinds)
            .map(|((it, s), k)| Var {
                name: it.name.clone(),
                slot: *s,
                kind: *k,
            })
            .collect();
        // ORDER BY sees the new columns and, without DISTINCT or aggregation, the old variables.
        let mut sort_keys = Vec::with_capacity(p.order_by.len());
        if !p.order_by.is_empty() {
            let mut scope = old_scope.clone();
            scope.extend(new_vars.iter().cloned());
            self.scope = scope;
            self.agg_context = "ORDER BY unless the projection aggregates";
            let restricted = has_agg || p.distinct;
            let mut allowed: HashSet<usize> = slots.iter().copied().collect();
            // Variables projected as themselves keep their slot, so aggregates over them work.
            let plain: HashSet<usize> = compiled
                .iter()
                .filter_map(|c| match c {
                    CExpr::Slot(s) if !agg_slots.contains(s) => Some(*s),
                    _ => None,
                })
                .collect();
            for s in &p.order_by {
                let before = self.agg.as_ref().map_or(0, |a| a.specs.len());
                let c = self.expr(&s.expr)?;
                if let Some(a) = &self.agg {
                    for spec in &a.specs[before..] {
                        let Some(arg) = &spec.arg else { continue };
                        if let Some(f) = free_slots(arg, &plain, &self.local_slots).first() {
                            return Err(semantic(
                                "UndefinedVariable",
                                format!(
                                    "ORDER BY after aggregation can only aggregate projected variables; `{}` is not one",
                                    self.slot_names.get(*f).cloned().unwrap_or_default()
                                ),
                                s.expr.span,
                            ));
                        }
                    }
                }
                let aggregating = contains_aggregate(&s.expr);
                let rewritten = c.rewrite(&mut |e| {
                    let ce = canon(e)?;
                    item_canon
                        .iter()
                        .position(|x| x.as_deref() == Some(ce.as_str()))
                        .filter(|i| !aggregating || !is_key[*i] || simple_key(&compiled[*i]))
                        .map(|i| CExpr::Slot(slots[i]))
                });
                if restricted {
                    if let Some(a) = &self.agg {
                        allowed.extend(a.specs.iter().map(|s| s.slot));
                    }
                    let free = free_slots(&rewritten, &allowed, &self.local_slots);
                    if let Some(f) = free.first() {
                        return Err(semantic(
                            "UndefinedVariable",
                            format!(
                                "ORDER BY after {} can only use the projected columns; `{}` is not one",
                                if has_agg { "aggregation" } else { "DISTINCT" },
                                self.slot_names.get(*f).cloned().unwrap_or_default()
                            ),
                            s.expr.span,
                        ));
                    }
                }
                sort_keys.push((rewritten, s.descending));
            }
        }
        let aggs = self.agg.take().map(|a| a.specs).unwrap_or_default();
        let skip = match &p.skip {
            Some(e) => Some(self.count_arg(e, "SKIP")?),
            None => None,
        };
        let limit = match &p.limit {
            Some(e) => Some(self.count_arg(e, "LIMIT")?),
            None => None,
        };
        let mut op = input;
        if has_agg {
            op = self.op(Some(op), OpKind::Aggregate { keys, aggs });
            if !post.is_empty() {
                op = self.op(Some(op), OpKind::Project { items: post });
            }
        } else {
            let proj: Vec<(usize, CExpr)> = compiled
                .iter()
                .zip(&slots)
                .filter(|(c, s)| !matches!(c, CExpr::Slot(x) if x == *s))
                .map(|(c, s)| (*s, c.clone()))
                .collect();
            if !proj.is_empty() {
                op = self.op(Some(op), OpKind::Project { items: proj });
            }
        }
        if p.distinct {
            op = self.op(Some(op), OpKind::Distinct { slots: slots.clone() });
        }
        if !sort_keys.is_empty() {
            if let Some(l) = limit {
                op = self.op(
                    Some(op),
                    OpKind::TopK {
                        keys: sort_keys,
                        skip: skip.unwrap_or(0),
                        limit: l,
                    },
                );
            } else {
                op = self.op(Some(op), OpKind::Sort { keys: sort_keys });
                if let Some(s) = skip {
                    op = self.op(Some(op), OpKind::Skip { count: s });
                }
            }
        } else {
            if let Some(s) = skip {
                op = self.op(Some(op), OpKind::Skip { count: s });
            }
            if let Some(l) = limit {
                op = self.op(Some(op), OpKind::Limit { count: l });
            }
        }
        // WITH ... WHERE sees the new columns and, without DISTINCT or aggregation,
        // the variables from before the WITH (their slots are still in the row).
        if let Some(w) = &p.where_ {
            let restricted = has_agg || p.distinct;
            let mut scope = old_scope;
            scope.extend(new_vars.iter().cloned());
            self.scope = scope;
            let mut pred = self.predicate(w, "WHERE")?;
            if restricted {
                // After DISTINCT or aggregation only the columns remain: an expression
                // equal to a column reads the column, anything else is undefined.
                pred = pred.rewrite(&mut |e| {
                    let ce = canon(e)?;
                    item_canon
                        .iter()
                        .position(|x| x.as_deref() == Some(ce.as_str()))
                        .map(|i| CExpr::Slot(slots[i]))
                });
                let allowed: HashSet<usize> = slots.iter().copied().collect();
                if let Some(f) = free_slots(&pred, &allowed, &self.local_slots).first() {
                    return Err(semantic(
                        "UndefinedVariable",
                        format!(
                            "variable `{}` is not defined (after {} only the projected columns remain)",
                            self.slot_names.get(*f).cloned().unwrap_or_default(),
                            if has_agg { "aggregation" } else { "DISTINCT" }
                        ),
                        w.span,
                    ));
                }
            }
            op = self.op(Some(op), OpKind::Filter { pred });
        }
        self.scope = new_vars;
        let _ = clause;
        let names = items.iter().map(|i| i.name.clone()).collect();
        Ok((op, names, slots))
    }
}

fn clause_ctx(is_return: bool) -> &'static str {
    if is_return { "RETURN" } else { "WITH" }
}

fn what_static(what: &str) -> &'static str {
    match what {
        "SKIP" => "SKIP",
        _ => "LIMIT",
    }
}
