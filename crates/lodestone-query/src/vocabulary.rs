//! Labels and relationship types under a declared schema.
//!
//! Declaring node kinds closes the set of labels, and declaring edge kinds closes the
//! set of relationship types. A query that writes a name outside the set is refused,
//! and so is a pattern that reads a name neither declared nor carried by any stored
//! element (a typo would otherwise just match nothing). Labels that elements stored
//! before the schema already carry stay readable. The store refuses the same writes
//! at commit; this pass finds them before running, with the span of the name.

use crate::ast::{Clause, Expr, ExprKind, Ident, NodePattern, PatternElement, Query, RelPattern, SetItem};
use crate::error::{QueryError, QueryResult};
use lodestone_model::{Schema, SchemaViolation};
use lodestone_store::{GraphRead, Stats};

/// Whether a name is written (must be declared) or only read (declared or present).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Read,
    Write,
}

struct Checker<'a> {
    graph: &'a dyn GraphRead,
    schema: Schema,
    stats: Option<Stats>,
}

impl Checker<'_> {
    fn present(&mut self, label: bool, name: &str) -> QueryResult<bool> {
        if self.stats.is_none() {
            self.stats = Some(self.graph.stats()?);
        }
        let stats = self.stats.as_ref().map(|s| if label { &s.labels } else { &s.types });
        Ok(stats.is_some_and(|m| m.get(name).is_some_and(|&n| n > 0)))
    }

    fn label(&mut self, ident: &Ident, how: Use) -> QueryResult<()> {
        let Err(violation) = self.schema.check_label(&ident.name) else {
            return Ok(());
        };
        if how == Use::Read && self.present(true, &ident.name)? {
            return Ok(());
        }
        Err(refusal(violation, ident))
    }

    fn rel_type(&mut self, ident: &Ident, how: Use) -> QueryResult<()> {
        let Err(violation) = self.schema.check_type(&ident.name) else {
            return Ok(());
        };
        if how == Use::Read && self.present(false, &ident.name)? {
            return Ok(());
        }
        Err(refusal(violation, ident))
    }

    fn node(&mut self, n: &NodePattern, how: Use) -> QueryResult<()> {
        for l in n.labels.iter().chain(&n.any_labels) {
            self.label(l, how)?;
        }
        if let Some(p) = &n.props {
            self.expr(p)?;
        }
        Ok(())
    }

    fn rel(&mut self, r: &RelPattern, how: Use) -> QueryResult<()> {
        for t in &r.types {
            self.rel_type(t, how)?;
        }
        if let Some(p) = &r.props {
            self.expr(p)?;
        }
        Ok(())
    }

    fn element(&mut self, e: &PatternElement, how: Use) -> QueryResult<()> {
        self.node(&e.start, how)?;
        for (r, n) in &e.chain {
            self.rel(r, how)?;
            self.node(n, how)?;
        }
        Ok(())
    }

    fn set_item(&mut self, item: &SetItem) -> QueryResult<()> {
        match item {
            SetItem::Labels { labels, .. } => labels.iter().try_for_each(|l| self.label(l, Use::Write)),
            SetItem::Property { target, value, .. } => {
                self.expr(target)?;
                self.expr(value)
            }
            SetItem::Replace { value, .. } | SetItem::Merge { value, .. } => self.expr(value),
        }
    }

    fn clause(&mut self, c: &Clause) -> QueryResult<()> {
        match c {
            Clause::Match { pattern, where_, .. } => {
                for part in pattern {
                    self.element(&part.element, Use::Read)?;
                }
                where_.as_ref().map_or(Ok(()), |w| self.expr(w))
            }
            Clause::Create { pattern, .. } => {
                for part in pattern {
                    self.element(&part.element, Use::Write)?;
                }
                Ok(())
            }
            Clause::Merge {
                part,
                on_create,
                on_match,
                ..
            } => {
                self.element(&part.element, Use::Write)?;
                on_create.iter().chain(on_match).try_for_each(|i| self.set_item(i))
            }
            Clause::Set { items, .. } => items.iter().try_for_each(|i| self.set_item(i)),
            Clause::Unwind { expr, .. } => self.expr(expr),
            Clause::With(p) | Clause::Return(p) => {
                for item in &p.items {
                    self.expr(&item.expr)?;
                }
                p.where_.as_ref().map_or(Ok(()), |w| self.expr(w))
            }
            Clause::Remove { .. } | Clause::Delete { .. } | Clause::Cite { .. } => Ok(()),
        }
    }

    /// Label tests and pattern predicates inside expressions read names.
    fn expr(&mut self, e: &Expr) -> QueryResult<()> {
        match &e.kind {
            ExprKind::HasLabels(inner, labels) => {
                self.expr(inner)?;
                labels.iter().try_for_each(|l| self.label(l, Use::Read))
            }
            ExprKind::Pattern(element) => self.element(element, Use::Read),
            ExprKind::PatternComprehension {
                pattern, filter, map, ..
            } => {
                self.element(&pattern.element, Use::Read)?;
                if let Some(f) = filter {
                    self.expr(f)?;
                }
                self.expr(map)
            }
            ExprKind::Property(inner, _) | ExprKind::Unary(_, inner) | ExprKind::IsNull(inner, _) => self.expr(inner),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                self.expr(a)?;
                self.expr(b)
            }
            ExprKind::List(items) => items.iter().try_for_each(|x| self.expr(x)),
            ExprKind::Call { args, .. } => args.iter().try_for_each(|x| self.expr(x)),
            ExprKind::Map(items) => items.iter().try_for_each(|(_, x)| self.expr(x)),
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                if let Some(s) = subject {
                    self.expr(s)?;
                }
                for (w, t) in whens {
                    self.expr(w)?;
                    self.expr(t)?;
                }
                otherwise.as_ref().map_or(Ok(()), |o| self.expr(o))
            }
            ExprKind::ListComprehension { list, filter, map, .. } => {
                self.expr(list)?;
                if let Some(f) = filter {
                    self.expr(f)?;
                }
                map.as_ref().map_or(Ok(()), |m| self.expr(m))
            }
            ExprKind::Quantified { list, predicate, .. } => {
                self.expr(list)?;
                self.expr(predicate)
            }
            ExprKind::Reduce { init, list, step, .. } => {
                self.expr(init)?;
                self.expr(list)?;
                self.expr(step)
            }
            _ => Ok(()),
        }
    }
}

fn refusal(violation: SchemaViolation, ident: &Ident) -> QueryError {
    let code = match violation {
        SchemaViolation::UnknownType { .. } => "UnknownRelationshipType",
        _ => "UnknownLabel",
    };
    QueryError::Semantic {
        code,
        message: violation.to_string(),
        span: ident.span,
    }
}

/// Refuses labels and relationship types outside a declared schema (see the module docs).
pub(crate) fn check(graph: &dyn GraphRead, query: &Query) -> QueryResult<()> {
    let schema = graph.schema()?;
    if !schema.closes_labels() && !schema.closes_types() {
        return Ok(());
    }
    let mut checker = Checker {
        graph,
        schema,
        stats: None,
    };
    for part in std::iter::once(&query.first).chain(query.unions.iter().map(|(_, q)| q)) {
        for clause in &part.clauses {
            checker.clause(clause)?;
        }
    }
    Ok(())
}
