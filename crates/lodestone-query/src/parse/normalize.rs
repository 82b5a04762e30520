//! Comparing ASTs without positions: every span zeroed, column text reprinted.

use super::print::expr_to_text;
use crate::ast::*;

/// A copy of `statement` with every span set to `Span::default()` and each
/// `ProjectionItem.text` replaced by the printed expression, so that two parses of
/// equivalent text compare equal.
pub fn without_spans(statement: &Statement) -> Statement {
    let mut s = statement.clone();
    statement_mut(&mut s);
    s
}

fn z(span: &mut Span) {
    *span = Span::default();
}

fn ident(i: &mut Ident) {
    z(&mut i.span);
}

fn statement_mut(s: &mut Statement) {
    match s {
        Statement::Query(q) => {
            z(&mut q.span);
            if let Some(a) = &mut q.as_of {
                expr(a);
            }
            single_query(&mut q.first);
            for (_, part) in &mut q.unions {
                single_query(part);
            }
        }
        Statement::Explain(inner, span) | Statement::Profile(inner, span) => {
            z(span);
            statement_mut(inner);
        }
        Statement::Schema(sc) => schema(sc),
        Statement::Question(q) => {
            z(&mut q.span);
            for e in [&mut q.subject, &mut q.object].into_iter().flatten() {
                z(&mut e.span);
            }
        }
    }
}

fn schema(s: &mut SchemaStatement) {
    match s {
        SchemaStatement::CreateNodeKind { label, props, span } => {
            z(span);
            ident(label);
            props.iter_mut().for_each(prop_def);
        }
        SchemaStatement::CreateEdgeKind {
            rel_type,
            family,
            from,
            to,
            props,
            span,
        } => {
            z(span);
            ident(rel_type);
            if let Some(f) = family {
                ident(f);
            }
            from.iter_mut().chain(to.iter_mut()).for_each(ident);
            props.iter_mut().for_each(prop_def);
        }
        SchemaStatement::DropKind { name, span, .. } => {
            z(span);
            ident(name);
        }
        SchemaStatement::CreateIndex { label, key, span } => {
            z(span);
            ident(label);
            ident(key);
        }
        SchemaStatement::ShowSchema(span) => z(span),
    }
}

fn prop_def(p: &mut PropertyDef) {
    ident(&mut p.name);
    ident(&mut p.ty);
}

fn single_query(q: &mut SingleQuery) {
    z(&mut q.span);
    q.clauses.iter_mut().for_each(clause);
}

fn projection(p: &mut Projection) {
    z(&mut p.span);
    for item in &mut p.items {
        z(&mut item.span);
        expr(&mut item.expr);
        if let Some(a) = &mut item.alias {
            ident(a);
        }
        item.text = expr_to_text(&item.expr);
    }
    for s in &mut p.order_by {
        expr(&mut s.expr);
    }
    for e in [&mut p.skip, &mut p.limit, &mut p.where_].into_iter().flatten() {
        expr(e);
    }
}

fn set_item(item: &mut SetItem) {
    match item {
        SetItem::Property { target, key, value } => {
            expr(target);
            ident(key);
            expr(value);
        }
        SetItem::Replace { var, value } | SetItem::Merge { var, value } => {
            ident(var);
            expr(value);
        }
        SetItem::Labels { var, labels } => {
            ident(var);
            labels.iter_mut().for_each(ident);
        }
    }
}

fn clause(c: &mut Clause) {
    match c {
        Clause::Match {
            pattern, where_, span, ..
        } => {
            z(span);
            pattern.iter_mut().for_each(pattern_part);
            if let Some(w) = where_ {
                expr(w);
            }
        }
        Clause::Unwind { expr: e, alias, span } => {
            z(span);
            expr(e);
            ident(alias);
        }
        Clause::With(p) | Clause::Return(p) => projection(p),
        Clause::Create { pattern, span } => {
            z(span);
            pattern.iter_mut().for_each(pattern_part);
        }
        Clause::Merge {
            part,
            on_create,
            on_match,
            span,
        } => {
            z(span);
            pattern_part(part);
            on_create.iter_mut().chain(on_match.iter_mut()).for_each(set_item);
        }
        Clause::Set { items, span } => {
            z(span);
            items.iter_mut().for_each(set_item);
        }
        Clause::Remove { items, span } => {
            z(span);
            for item in items {
                match item {
                    RemoveItem::Property { target, key } => {
                        expr(target);
                        ident(key);
                    }
                    RemoveItem::Labels { var, labels } => {
                        ident(var);
                        labels.iter_mut().for_each(ident);
                    }
                }
            }
        }
        Clause::Delete { exprs, span, .. } => {
            z(span);
            exprs.iter_mut().for_each(expr);
        }
        Clause::Cite {
            targets,
            source,
            line,
            note,
            span,
        } => {
            z(span);
            targets.iter_mut().for_each(ident);
            expr(source);
            for e in [line, note].into_iter().flatten() {
                expr(e);
            }
        }
    }
}

fn pattern_part(p: &mut PatternPart) {
    z(&mut p.span);
    if let Some(v) = &mut p.var {
        ident(v);
    }
    pattern_element(&mut p.element);
}

fn node(n: &mut NodePattern) {
    z(&mut n.span);
    if let Some(v) = &mut n.var {
        ident(v);
    }
    n.labels.iter_mut().for_each(ident);
    n.any_labels.iter_mut().for_each(ident);
    if let Some(p) = &mut n.props {
        expr(p);
    }
}

fn pattern_element(el: &mut PatternElement) {
    node(&mut el.start);
    for (r, n) in &mut el.chain {
        z(&mut r.span);
        if let Some(v) = &mut r.var {
            ident(v);
        }
        r.types.iter_mut().for_each(ident);
        if let Some(p) = &mut r.props {
            expr(p);
        }
        node(n);
    }
}

fn expr(e: &mut Expr) {
    z(&mut e.span);
    match &mut e.kind {
        ExprKind::Literal(_) | ExprKind::Param(_) | ExprKind::Variable(_) | ExprKind::CountStar => {}
        ExprKind::Property(t, k) => {
            expr(t);
            ident(k);
        }
        ExprKind::List(items) => items.iter_mut().for_each(expr),
        ExprKind::Map(entries) => {
            for (k, v) in entries {
                ident(k);
                expr(v);
            }
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            expr(a);
            expr(b);
        }
        ExprKind::Slice(a, b, c) => {
            expr(a);
            for x in [b, c].into_iter().flatten() {
                expr(x);
            }
        }
        ExprKind::Unary(_, a) | ExprKind::IsNull(a, _) => expr(a),
        ExprKind::HasLabels(a, labels) => {
            expr(a);
            labels.iter_mut().for_each(ident);
        }
        ExprKind::Call { name, args, .. } => {
            ident(name);
            args.iter_mut().for_each(expr);
        }
        ExprKind::Case {
            subject,
            whens,
            otherwise,
        } => {
            for x in [subject, otherwise].into_iter().flatten() {
                expr(x);
            }
            for (w, t) in whens {
                expr(w);
                expr(t);
            }
        }
        ExprKind::ListComprehension { var, list, filter, map } => {
            ident(var);
            expr(list);
            for x in [filter, map].into_iter().flatten() {
                expr(x);
            }
        }
        ExprKind::PatternComprehension { pattern, filter, map } => {
            pattern_part(pattern);
            if let Some(f) = filter {
                expr(f);
            }
            expr(map);
        }
        ExprKind::Pattern(el) => pattern_element(el),
        ExprKind::Quantified {
            var, list, predicate, ..
        } => {
            ident(var);
            expr(list);
            expr(predicate);
        }
        ExprKind::Reduce {
            acc,
            init,
            var,
            list,
            step,
        } => {
            ident(acc);
            ident(var);
            expr(init);
            expr(list);
            expr(step);
        }
    }
}
