//! Reading and updating clauses other than WITH/RETURN.

use super::{Compiler, VarKind, semantic};
use crate::ast::{Expr, ExprKind, Ident, NodePattern, PathMode, PatternPart, RelDirection, RemoveItem, SetItem};
use crate::plan::{CExpr, CreateNode, CreateRel, CreateSpec, Op, OpKind, PathStep, RemoveOp, SetOp};
use crate::{QueryError, QueryResult};
use lodestone_model::Direction;
use std::collections::HashSet;

impl Compiler<'_> {
    /// `[OPTIONAL] MATCH`.
    pub(crate) fn compile_match(
        &mut self,
        input: Op,
        optional: bool,
        pattern: &[PatternPart],
        where_: Option<&Expr>,
        dup_ok: bool,
    ) -> QueryResult<Op> {
        let outer = self.scope_slots();
        let depth = self.scope.len();
        let ir = self.declare_pattern(pattern, false)?;
        if optional {
            let start = self.start();
            let sub = self.plan_pattern(start, ir, where_, outer, dup_ok)?;
            let nulls = self.scope[depth..].iter().map(|v| v.slot).collect();
            Ok(self.op(
                Some(input),
                OpKind::Optional {
                    sub: Box::new(sub),
                    nulls,
                },
            ))
        } else {
            self.plan_pattern(input, ir, where_, outer, dup_ok)
        }
    }

    /// `UNWIND expr AS var`.
    pub(crate) fn compile_unwind(&mut self, input: Op, expr: &Expr, alias: &Ident) -> QueryResult<Op> {
        let e = self.expr_in(expr, "UNWIND")?;
        if self.lookup(&alias.name).is_some() {
            return Err(semantic(
                "VariableAlreadyBound",
                format!("variable `{}` is already defined", alias.name),
                alias.span,
            ));
        }
        let slot = self.declare(&alias.name, VarKind::Value);
        Ok(self.op(Some(input), OpKind::Unwind { expr: e, slot }))
    }

    fn var_target(&mut self, var: &Ident, allowed: &[VarKind], what: &str) -> QueryResult<CExpr> {
        let Some(v) = self.lookup(&var.name) else {
            return Err(semantic(
                "UndefinedVariable",
                format!("variable `{}` is not defined", var.name),
                var.span,
            ));
        };
        if !allowed.contains(&v.kind) {
            return Err(semantic(
                "VariableTypeConflict",
                format!(
                    "{what} needs {}, but `{}` is {}",
                    describe_kinds(allowed),
                    var.name,
                    v.kind.describe()
                ),
                var.span,
            ));
        }
        let slot = v.slot;
        self.note_ref(slot);
        Ok(CExpr::Slot(slot))
    }

    fn create_node(
        &mut self,
        np: &NodePattern,
        alone: bool,
        spec: &mut CreateSpec,
        outer: &HashSet<usize>,
        clause: &str,
    ) -> QueryResult<usize> {
        no_label_disjunction(np, clause)?;
        let decorated = !np.labels.is_empty() || np.props.is_some();
        if let Some(v) = &np.var
            && let Some(var) = self.lookup(&v.name)
        {
            if !matches!(var.kind, VarKind::Node | VarKind::Value) {
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
            if decorated || (alone && outer.contains(&slot)) {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!(
                        "variable `{}` is already bound; {clause} cannot create it again",
                        v.name
                    ),
                    v.span,
                ));
            }
            self.note_ref(slot);
            return Ok(slot);
        }
        let props = match &np.props {
            Some(p) => Some(self.expr_in(p, clause_name(clause))?),
            None => None,
        };
        let slot = match &np.var {
            Some(v) => self.declare(&v.name, VarKind::Node),
            None => self.anon_slot(),
        };
        spec.nodes.push(CreateNode {
            slot,
            labels: np.labels.iter().map(|l| l.name.clone()).collect(),
            props,
        });
        Ok(slot)
    }

    /// `CREATE pattern`.
    pub(crate) fn compile_create(&mut self, input: Op, pattern: &[PatternPart]) -> QueryResult<Op> {
        let outer = self.scope_slots();
        let mut spec = CreateSpec::default();
        for part in pattern {
            if part.mode != PathMode::All {
                return Err(semantic(
                    "InvalidClauseComposition",
                    "shortestPath cannot be used in CREATE",
                    part.span,
                ));
            }
            if let Some(v) = &part.var
                && self.lookup(&v.name).is_some()
            {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("variable `{}` is already defined", v.name),
                    v.span,
                ));
            }
            let alone = part.element.chain.is_empty();
            let start = self.create_node(&part.element.start, alone, &mut spec, &outer, "CREATE")?;
            let mut left = start;
            let mut steps = Vec::new();
            for (rp, np) in &part.element.chain {
                let right = self.create_node(np, false, &mut spec, &outer, "CREATE")?;
                let rel = self.create_rel(rp, left, right, "CREATE", false)?;
                steps.push(PathStep::Edge {
                    rel: rel.slot,
                    to: right,
                });
                spec.rels.push(rel);
                left = right;
            }
            if let Some(v) = &part.var {
                let slot = self.declare(&v.name, VarKind::Path);
                spec.paths.push((slot, start, steps));
            }
        }
        // Consecutive CREATE clauses run as one operator: the same per-row work in
        // order, without one pipeline level (and stack frames) per clause.
        let mut input = input;
        if let OpKind::Create { specs } = &mut input.kind {
            specs.push(spec);
            return Ok(input);
        }
        Ok(self.op(Some(input), OpKind::Create { specs: vec![spec] }))
    }

    fn create_rel(
        &mut self,
        rp: &crate::ast::RelPattern,
        left: usize,
        right: usize,
        clause: &str,
        any_direction: bool,
    ) -> QueryResult<CreateRel> {
        if let Some(v) = &rp.var
            && self.lookup(&v.name).is_some()
        {
            return Err(semantic(
                "VariableAlreadyBound",
                format!(
                    "variable `{}` is already bound; {clause} cannot create it again",
                    v.name
                ),
                v.span,
            ));
        }
        if rp.length.is_some() {
            return Err(semantic(
                "CreatingVarLength",
                format!("{clause} cannot create a variable-length relationship"),
                rp.span,
            ));
        }
        if rp.types.len() != 1 {
            return Err(semantic(
                "NoSingleRelationshipType",
                format!("{clause} needs exactly one type for each relationship, as in -[:TYPE]->"),
                rp.span,
            ));
        }
        let (start, end) = match rp.direction {
            RelDirection::Right => (left, right),
            RelDirection::Left => (right, left),
            RelDirection::Either if any_direction => (left, right),
            RelDirection::Either => {
                return Err(semantic(
                    "RequiresDirectedRelationship",
                    format!("{clause} needs a direction for each relationship, as in -[:TYPE]->"),
                    rp.span,
                ));
            }
        };
        let slot = match &rp.var {
            Some(v) => {
                if self.lookup(&v.name).is_some() {
                    return Err(semantic(
                        "VariableAlreadyBound",
                        format!(
                            "variable `{}` is already bound; {clause} cannot create it again",
                            v.name
                        ),
                        v.span,
                    ));
                }
                self.declare(&v.name, VarKind::Rel)
            }
            None => self.anon_slot(),
        };
        let props = match &rp.props {
            Some(p) => Some(self.expr_in(p, clause_name(clause))?),
            None => None,
        };
        Ok(CreateRel {
            slot,
            rel_type: rp.types[0].name.clone(),
            start,
            end,
            props,
        })
    }

    /// `MERGE part [ON CREATE SET ...] [ON MATCH SET ...]`.
    pub(crate) fn compile_merge(
        &mut self,
        input: Op,
        part: &PatternPart,
        on_create: &[SetItem],
        on_match: &[SetItem],
    ) -> QueryResult<Op> {
        if part.mode != PathMode::All {
            return Err(semantic(
                "InvalidClauseComposition",
                "shortestPath cannot be used in MERGE",
                part.span,
            ));
        }
        no_label_disjunction(&part.element.start, "MERGE")?;
        for (rp, np) in &part.element.chain {
            no_label_disjunction(np, "MERGE")?;
            if let Some(v) = &rp.var
                && self.lookup(&v.name).is_some()
            {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("variable `{}` is already bound; MERGE cannot create it again", v.name),
                    v.span,
                ));
            }
            if rp.length.is_some() {
                return Err(semantic(
                    "CreatingVarLength",
                    "MERGE cannot create a variable-length relationship",
                    rp.span,
                ));
            }
            if rp.types.len() != 1 {
                return Err(semantic(
                    "NoSingleRelationshipType",
                    "MERGE needs exactly one type for each relationship, as in -[:TYPE]->",
                    rp.span,
                ));
            }
        }
        if part.element.chain.is_empty()
            && let Some(v) = &part.element.start.var
            && self.lookup(&v.name).is_some()
        {
            return Err(semantic(
                "VariableAlreadyBound",
                format!("variable `{}` is already bound; MERGE cannot create it again", v.name),
                v.span,
            ));
        }
        // A node bound before MERGE can be used, but not given new labels or properties.
        let el = &part.element;
        for np in std::iter::once(&el.start).chain(el.chain.iter().map(|(_, n)| n)) {
            if let Some(v) = &np.var
                && self.lookup(&v.name).is_some()
                && (!np.labels.is_empty() || np.props.is_some())
            {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!(
                        "variable `{}` is already bound; MERGE cannot add labels or properties to it",
                        v.name
                    ),
                    v.span,
                ));
            }
        }
        let outer = self.scope_slots();
        let ir = self.declare_pattern(std::slice::from_ref(part), false)?;
        for r in &ir.rels {
            if r.bound {
                return Err(semantic(
                    "VariableAlreadyBound",
                    "MERGE cannot use a relationship variable bound earlier",
                    r.span,
                ));
            }
        }
        let start = self.start();
        let sub = self.plan_pattern(start, ir.clone(), None, outer.clone(), false)?;
        let mut spec = CreateSpec::default();
        let mut null_checks = Vec::new();
        let mut bind = Vec::new();
        for n in &ir.nodes {
            if n.bound {
                continue;
            }
            spec.nodes.push(CreateNode {
                slot: n.slot,
                labels: n.labels.clone(),
                props: n.create_props(),
            });
            for (k, v) in &n.props {
                null_checks.push((k.clone(), v.clone()));
            }
            bind.push(n.slot);
        }
        for r in &ir.rels {
            let (l, rn) = (ir.nodes[r.left].slot, ir.nodes[r.right].slot);
            let (s, e) = match r.dir {
                Direction::Incoming => (rn, l),
                _ => (l, rn),
            };
            spec.rels.push(CreateRel {
                slot: r.slot,
                rel_type: r.types.first().cloned().unwrap_or_default(),
                start: s,
                end: e,
                props: r.create_props(),
            });
            for (k, v) in &r.props {
                null_checks.push((k.clone(), v.clone()));
            }
            bind.push(r.slot);
        }
        if let Some(p) = ir.parts.first().and_then(|p| p.path) {
            let part0 = &ir.parts[0];
            let steps = part0
                .rels
                .iter()
                .map(|ri| PathStep::Edge {
                    rel: ir.rels[*ri].slot,
                    to: ir.nodes[ir.rels[*ri].right].slot,
                })
                .collect();
            spec.paths.push((p, ir.nodes[part0.nodes[0]].slot, steps));
            bind.push(p);
        }
        let on_create = self.set_items(on_create)?;
        let on_match = self.set_items(on_match)?;
        Ok(self.op(
            Some(input),
            OpKind::Merge {
                sub: Box::new(sub),
                bind,
                spec,
                on_create,
                on_match,
                null_checks,
            },
        ))
    }

    fn set_items(&mut self, items: &[SetItem]) -> QueryResult<Vec<SetOp>> {
        let elems = [VarKind::Node, VarKind::Rel, VarKind::Value];
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(match item {
                SetItem::Property { target, key, value } => SetOp::Prop {
                    target: self.expr_in(target, "SET")?,
                    key: key.name.clone(),
                    value: self.expr_in(value, "SET")?,
                },
                SetItem::Replace { var, value } => SetOp::Replace {
                    target: self.var_target(var, &elems, "SET")?,
                    value: self.expr_in(value, "SET")?,
                },
                SetItem::Merge { var, value } => SetOp::Merge {
                    target: self.var_target(var, &elems, "SET")?,
                    value: self.expr_in(value, "SET")?,
                },
                SetItem::Labels { var, labels } => SetOp::Labels {
                    target: self.var_target(var, &[VarKind::Node, VarKind::Value], "SET of labels")?,
                    labels: labels.iter().map(|l| l.name.clone()).collect(),
                },
            });
        }
        Ok(out)
    }

    /// `SET item, ...`.
    pub(crate) fn compile_set(&mut self, input: Op, items: &[SetItem]) -> QueryResult<Op> {
        let items = self.set_items(items)?;
        Ok(self.op(Some(input), OpKind::Set { items }))
    }

    /// `REMOVE item, ...`.
    pub(crate) fn compile_remove(&mut self, input: Op, items: &[RemoveItem]) -> QueryResult<Op> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(match item {
                RemoveItem::Property { target, key } => RemoveOp::Prop {
                    target: self.expr_in(target, "REMOVE")?,
                    key: key.name.clone(),
                },
                RemoveItem::Labels { var, labels } => RemoveOp::Labels {
                    target: self.var_target(var, &[VarKind::Node, VarKind::Value], "REMOVE of labels")?,
                    labels: labels.iter().map(|l| l.name.clone()).collect(),
                },
            });
        }
        Ok(self.op(Some(input), OpKind::Remove { items: out }))
    }

    /// `[DETACH] DELETE expr, ...`.
    pub(crate) fn compile_delete(&mut self, input: Op, detach: bool, exprs: &[Expr]) -> QueryResult<Op> {
        let mut out = Vec::with_capacity(exprs.len());
        for e in exprs {
            let not_element = match &e.kind {
                ExprKind::Literal(_) => Some("a literal"),
                // `map.key` may hold an element; `n.key` of a node or relationship never does.
                ExprKind::Property(target, _)
                    if matches!(&target.kind, ExprKind::Variable(v)
                        if self.lookup(v).is_some_and(|x| matches!(x.kind, VarKind::Node | VarKind::Rel))) =>
                {
                    Some("a property value")
                }
                ExprKind::Binary(..) | ExprKind::Unary(..) => Some("the result of an operator"),
                ExprKind::Map(_) => Some("a map"),
                ExprKind::IsNull(..) | ExprKind::HasLabels(..) | ExprKind::Quantified { .. } | ExprKind::Pattern(_) => {
                    Some("a boolean")
                }
                ExprKind::CountStar => Some("a count"),
                _ => None,
            };
            if let Some(what) = not_element {
                return Err(semantic(
                    "InvalidArgumentType",
                    format!("DELETE expects a node, relationship or path, not {what}"),
                    e.span,
                ));
            }
            out.push(self.expr_in(e, "DELETE")?);
        }
        Ok(self.op(Some(input), OpKind::Delete { exprs: out, detach }))
    }

    /// `CITE var, ... SOURCE s [LINE n] [NOTE t]`.
    pub(crate) fn compile_cite(
        &mut self,
        input: Op,
        targets: &[Ident],
        source: &Expr,
        line: Option<&Expr>,
        note: Option<&Expr>,
    ) -> QueryResult<Op> {
        let mut slots = Vec::with_capacity(targets.len());
        for t in targets {
            let allowed = [VarKind::Node, VarKind::Rel, VarKind::Path, VarKind::Value];
            match self.var_target(t, &allowed, "CITE")? {
                CExpr::Slot(s) => slots.push(s),
                _ => {
                    return Err(QueryError::Unsupported {
                        what: "CITE target".into(),
                        span: Some(t.span),
                    });
                }
            }
        }
        let source = self.expr_in(source, "CITE")?;
        let line = match line {
            Some(l) => Some(self.expr_in(l, "CITE")?),
            None => None,
        };
        let note = match note {
            Some(n) => Some(self.expr_in(n, "CITE")?),
            None => None,
        };
        Ok(self.op(
            Some(input),
            OpKind::Cite {
                targets: slots,
                source,
                line,
                note,
            },
        ))
    }
}

fn clause_name(c: &str) -> &'static str {
    match c {
        "CREATE" => "CREATE",
        "MERGE" => "MERGE",
        _ => "this clause",
    }
}

fn describe_kinds(kinds: &[VarKind]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .filter(|k| **k != VarKind::Value)
        .map(|k| k.describe())
        .collect();
    names.join(" or ")
}

/// A label disjunction matches; it cannot say which labels a new node gets.
fn no_label_disjunction(np: &NodePattern, clause: &str) -> QueryResult<()> {
    match np.any_labels.first() {
        Some(first) => Err(semantic(
            "InvalidLabelDisjunction",
            format!("{clause} cannot create a node from a label disjunction such as (n:A|B); write (n:A) or (n:A:B)"),
            first.span,
        )),
        None => Ok(()),
    }
}
