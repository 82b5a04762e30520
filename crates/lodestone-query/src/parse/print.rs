//! Prints the AST back as query text that parses to the same tree (spans aside).
//!
//! Parentheses are added only where precedence needs them. Names that are not
//! plain ASCII identifiers, or that are reserved words, are back-quoted.

use crate::ast::*;
use std::fmt::Write;

/// Prints a statement in the query language (without a trailing `;`).
pub fn to_text(statement: &Statement) -> String {
    let mut out = String::new();
    statement_text(&mut out, statement);
    out
}

/// Prints an expression in the query language.
pub fn expr_to_text(expr: &Expr) -> String {
    let mut out = String::new();
    expr_at(&mut out, expr, 0);
    out
}

/// Words that cannot be bare variable names.
const RESERVED: [&str; 44] = [
    "all",
    "and",
    "as",
    "asc",
    "ascending",
    "by",
    "case",
    "contains",
    "create",
    "delete",
    "desc",
    "descending",
    "detach",
    "distinct",
    "else",
    "end",
    "ends",
    "false",
    "in",
    "is",
    "limit",
    "match",
    "merge",
    "not",
    "null",
    "on",
    "optional",
    "or",
    "order",
    "remove",
    "return",
    "set",
    "skip",
    "starts",
    "then",
    "true",
    "union",
    "unwind",
    "when",
    "where",
    "with",
    "xor",
    "explain",
    "profile",
];

/// Function names that the grammar reads as special forms when followed by `(`.
const SPECIAL_CALLS: [&str; 5] = ["any", "none", "single", "reduce", "all"];

fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_reserved(name: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

fn quoted(out: &mut String, name: &str) {
    out.push('`');
    out.push_str(&name.replace('`', "``"));
    out.push('`');
}

/// A label, type, key or other name where reserved words are allowed.
fn name(out: &mut String, name: &str) {
    if is_plain(name) {
        out.push_str(name);
    } else {
        quoted(out, name);
    }
}

/// A variable name: reserved words must be quoted.
fn var(out: &mut String, v: &str) {
    if is_plain(v) && !is_reserved(v) {
        out.push_str(v);
    } else {
        quoted(out, v);
    }
}

fn string(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}

// Precedence levels, loosest first.
const OR: u8 = 1;
const XOR: u8 = 2;
const AND: u8 = 3;
const NOT: u8 = 4;
const CMP: u8 = 5;
const PRED: u8 = 6;
const ADD: u8 = 7;
const MUL: u8 = 8;
const POW: u8 = 9;
const UNARY: u8 = 10;
const POSTFIX: u8 = 11;
const ATOM: u8 = 12;

fn binary_level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::Xor => XOR,
        BinaryOp::And => AND,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => CMP,
        BinaryOp::In | BinaryOp::StartsWith | BinaryOp::EndsWith | BinaryOp::Contains | BinaryOp::Regex => PRED,
        BinaryOp::Add | BinaryOp::Sub => ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => MUL,
        BinaryOp::Pow => POW,
    }
}

fn binary_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Or => "OR",
        BinaryOp::Xor => "XOR",
        BinaryOp::And => "AND",
        BinaryOp::Eq => "=",
        BinaryOp::Ne => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "^",
        BinaryOp::In => "IN",
        BinaryOp::StartsWith => "STARTS WITH",
        BinaryOp::EndsWith => "ENDS WITH",
        BinaryOp::Contains => "CONTAINS",
        BinaryOp::Regex => "=~",
    }
}

/// Whether a literal prints with a leading `-` (and so binds like a unary minus).
fn negative_literal(lit: &Literal) -> bool {
    match lit {
        Literal::Int(i) => *i < 0,
        Literal::Float(f) => f.is_sign_negative(),
        Literal::Percent(d) => d.is_sign_negative(),
        Literal::Money(m) => m.amount.is_sign_negative(),
        _ => false,
    }
}

fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => binary_level(*op),
        ExprKind::Unary(UnaryOp::Not, _) => NOT,
        ExprKind::Unary(..) => UNARY,
        ExprKind::IsNull(..) => PRED,
        ExprKind::Property(..) | ExprKind::Index(..) | ExprKind::Slice(..) | ExprKind::HasLabels(..) => POSTFIX,
        ExprKind::Literal(lit) if negative_literal(lit) => UNARY,
        _ => ATOM,
    }
}

/// Prints `e` so that it binds at least as tightly as `min`.
fn expr_at(out: &mut String, e: &Expr, min: u8) {
    if level(e) < min {
        out.push('(');
        expr(out, e);
        out.push(')');
    } else {
        expr(out, e);
    }
}

/// Prints an operand that other tokens follow: a pattern is wrapped so it cannot run on.
fn operand(out: &mut String, e: &Expr, min: u8) {
    if matches!(e.kind, ExprKind::Pattern(_)) {
        out.push('(');
        expr(out, e);
        out.push(')');
    } else {
        expr_at(out, e, min);
    }
}

/// The operand of a postfix operator (`.key`, `[i]`, `:Label`).
fn postfix_operand(out: &mut String, e: &Expr) {
    // Labels end a postfix chain, so a label test must be parenthesized before more postfixes.
    if matches!(e.kind, ExprKind::HasLabels(..)) {
        out.push('(');
        expr(out, e);
        out.push(')');
    } else {
        operand(out, e, POSTFIX);
    }
}

fn literal(out: &mut String, lit: &Literal) {
    match lit {
        Literal::Null => out.push_str("null"),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Literal::Float(f) => {
            // Debug keeps a `.` or an exponent, so the text reads back as a float.
            let _ = write!(out, "{f:?}");
        }
        Literal::String(s) => string(out, s),
        Literal::Money(m) => {
            let abs = lodestone_model::Money {
                amount: m.amount.abs(),
                currency: m.currency,
            };
            if m.amount.is_sign_negative() {
                out.push('-');
            }
            let _ = write!(out, "{abs}");
        }
        Literal::Percent(d) => {
            let _ = write!(out, "{d}%");
        }
        Literal::Date(d) => {
            let _ = write!(out, "@{d}");
        }
    }
}

fn list<T>(out: &mut String, items: &[T], sep: &str, mut f: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        f(out, item);
    }
}

fn map_entries(out: &mut String, entries: &[(Ident, Expr)]) {
    out.push('{');
    list(out, entries, ", ", |out, (k, v)| {
        name(out, &k.name);
        out.push_str(": ");
        expr_at(out, v, 0);
    });
    out.push('}');
}

fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Literal(lit) => literal(out, lit),
        ExprKind::Param(p) => {
            out.push('$');
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str(p);
            } else {
                name(out, p);
            }
        }
        ExprKind::Variable(v) => var(out, v),
        ExprKind::Property(target, key) => {
            postfix_operand(out, target);
            out.push('.');
            name(out, &key.name);
        }
        ExprKind::List(items) => {
            out.push('[');
            list(out, items, ", ", |out, item| {
                // `[x IN l]` would read as a comprehension.
                let in_form = matches!(&item.kind, ExprKind::Binary(BinaryOp::In, lhs, _)
                    if matches!(lhs.kind, ExprKind::Variable(_)));
                if in_form {
                    out.push('(');
                    expr(out, item);
                    out.push(')');
                } else {
                    expr_at(out, item, 0);
                }
            });
            out.push(']');
        }
        ExprKind::Map(entries) => map_entries(out, entries),
        ExprKind::Index(target, index) => {
            postfix_operand(out, target);
            out.push('[');
            expr_at(out, index, 0);
            out.push(']');
        }
        ExprKind::Slice(target, from, to) => {
            postfix_operand(out, target);
            out.push('[');
            if let Some(f) = from {
                expr_at(out, f, 0);
            }
            out.push_str("..");
            if let Some(t) = to {
                expr_at(out, t, 0);
            }
            out.push(']');
        }
        ExprKind::Unary(op, inner) => match op {
            UnaryOp::Not => {
                out.push_str("NOT ");
                operand(out, inner, NOT);
            }
            UnaryOp::Neg | UnaryOp::Plus => {
                out.push(if *op == UnaryOp::Neg { '-' } else { '+' });
                // `-(5)` keeps the minus apart from the literal; `- -x` keeps two minuses apart.
                let is_number = matches!(
                    &inner.kind,
                    ExprKind::Literal(Literal::Int(_) | Literal::Float(_) | Literal::Percent(_) | Literal::Money(_))
                );
                if is_number && *op == UnaryOp::Neg && level(inner) == ATOM {
                    out.push('(');
                    expr(out, inner);
                    out.push(')');
                } else {
                    let mut text = String::new();
                    operand(&mut text, inner, UNARY);
                    if text.starts_with(['-', '+']) {
                        out.push(' ');
                    }
                    out.push_str(&text);
                }
            }
        },
        ExprKind::Binary(op, l, r) => {
            let lvl = binary_level(*op);
            // Comparisons do not chain (a chain is expanded to AND), so both sides bind tighter.
            let left_min = if lvl == CMP { lvl + 1 } else { lvl };
            let right_min = match lvl {
                PRED => ADD,
                _ => lvl + 1,
            };
            operand(out, l, left_min);
            out.push(' ');
            out.push_str(binary_symbol(*op));
            out.push(' ');
            operand(out, r, right_min);
        }
        ExprKind::IsNull(inner, not) => {
            operand(out, inner, PRED);
            out.push_str(if *not { " IS NOT NULL" } else { " IS NULL" });
        }
        ExprKind::HasLabels(inner, labels) => {
            postfix_operand(out, inner);
            for l in labels {
                out.push(':');
                name(out, &l.name);
            }
        }
        ExprKind::Call {
            name: fname,
            distinct,
            args,
        } => {
            let parts: Vec<&str> = fname.name.split('.').collect();
            list(out, &parts, ".", |out, part| {
                if is_plain(part) && !is_reserved(part) && !SPECIAL_CALLS.iter().any(|s| s.eq_ignore_ascii_case(part)) {
                    out.push_str(part);
                } else {
                    quoted(out, part);
                }
            });
            out.push('(');
            if *distinct {
                out.push_str("DISTINCT ");
            }
            list(out, args, ", ", |out, a| expr_at(out, a, 0));
            out.push(')');
        }
        ExprKind::CountStar => out.push_str("count(*)"),
        ExprKind::Case {
            subject,
            whens,
            otherwise,
        } => {
            out.push_str("CASE");
            if let Some(s) = subject {
                out.push(' ');
                expr_at(out, s, 0);
            }
            for (w, t) in whens {
                out.push_str(" WHEN ");
                expr_at(out, w, 0);
                out.push_str(" THEN ");
                expr_at(out, t, 0);
            }
            if let Some(o) = otherwise {
                out.push_str(" ELSE ");
                expr_at(out, o, 0);
            }
            out.push_str(" END");
        }
        ExprKind::ListComprehension {
            var: v,
            list: l,
            filter,
            map,
        } => {
            out.push('[');
            var(out, &v.name);
            out.push_str(" IN ");
            operand(out, l, ADD);
            if let Some(f) = filter {
                out.push_str(" WHERE ");
                expr_at(out, f, 0);
            }
            if let Some(m) = map {
                out.push_str(" | ");
                expr_at(out, m, 0);
            }
            out.push(']');
        }
        ExprKind::PatternComprehension { pattern, filter, map } => {
            out.push('[');
            pattern_part(out, pattern);
            if let Some(f) = filter {
                out.push_str(" WHERE ");
                expr_at(out, f, 0);
            }
            out.push_str(" | ");
            expr_at(out, map, 0);
            out.push(']');
        }
        ExprKind::Pattern(el) => pattern_element(out, el),
        ExprKind::Quantified {
            quantifier,
            var: v,
            list: l,
            predicate,
        } => {
            out.push_str(match quantifier {
                Quantifier::All => "all",
                Quantifier::Any => "any",
                Quantifier::None => "none",
                Quantifier::Single => "single",
            });
            out.push('(');
            var(out, &v.name);
            out.push_str(" IN ");
            expr_at(out, l, 0);
            out.push_str(" WHERE ");
            expr_at(out, predicate, 0);
            out.push(')');
        }
        ExprKind::Reduce {
            acc,
            init,
            var: v,
            list: l,
            step,
        } => {
            out.push_str("reduce(");
            var(out, &acc.name);
            out.push_str(" = ");
            expr_at(out, init, 0);
            out.push_str(", ");
            var(out, &v.name);
            out.push_str(" IN ");
            expr_at(out, l, 0);
            out.push_str(" | ");
            expr_at(out, step, 0);
            out.push(')');
        }
    }
}

// ---------------------------------------------------------------- patterns

fn node_pattern(out: &mut String, n: &NodePattern) {
    out.push('(');
    if let Some(v) = &n.var {
        var(out, &v.name);
    }
    for l in &n.labels {
        out.push(':');
        name(out, &l.name);
    }
    for (i, l) in n.any_labels.iter().enumerate() {
        out.push(if i == 0 { ':' } else { '|' });
        name(out, &l.name);
    }
    if let Some(p) = &n.props {
        if n.var.is_some() || !n.labels.is_empty() || !n.any_labels.is_empty() {
            out.push(' ');
        }
        expr_at(out, p, 0);
    }
    out.push(')');
}

fn rel_pattern(out: &mut String, r: &RelPattern) {
    out.push_str(if r.direction == RelDirection::Left { "<-" } else { "-" });
    let detail = r.var.is_some() || !r.types.is_empty() || r.length.is_some() || r.props.is_some();
    if detail {
        out.push('[');
        if let Some(v) = &r.var {
            var(out, &v.name);
        }
        for (i, t) in r.types.iter().enumerate() {
            out.push_str(if i == 0 { ":" } else { "|" });
            name(out, &t.name);
        }
        if let Some(len) = &r.length {
            out.push('*');
            match (len.min, len.max) {
                (None, None) => {}
                (Some(a), Some(b)) if a == b => {
                    let _ = write!(out, "{a}");
                }
                (Some(a), Some(b)) => {
                    let _ = write!(out, "{a}..{b}");
                }
                (None, Some(b)) => {
                    let _ = write!(out, "..{b}");
                }
                (Some(a), None) => {
                    let _ = write!(out, "{a}..");
                }
            }
        }
        if let Some(p) = &r.props {
            if detail && (r.var.is_some() || !r.types.is_empty() || r.length.is_some()) {
                out.push(' ');
            }
            expr_at(out, p, 0);
        }
        out.push(']');
    }
    out.push_str(if r.direction == RelDirection::Right { "->" } else { "-" });
}

fn pattern_element(out: &mut String, el: &PatternElement) {
    node_pattern(out, &el.start);
    for (r, n) in &el.chain {
        rel_pattern(out, r);
        node_pattern(out, n);
    }
}

fn pattern_part(out: &mut String, part: &PatternPart) {
    if let Some(v) = &part.var {
        var(out, &v.name);
        out.push_str(" = ");
    }
    match part.mode {
        PathMode::All => pattern_element(out, &part.element),
        PathMode::Shortest | PathMode::AllShortest => {
            out.push_str(if part.mode == PathMode::Shortest {
                "shortestPath("
            } else {
                "allShortestPaths("
            });
            pattern_element(out, &part.element);
            out.push(')');
        }
    }
}

fn pattern(out: &mut String, parts: &[PatternPart]) {
    list(out, parts, ", ", pattern_part);
}

// ---------------------------------------------------------------- clauses

fn set_item(out: &mut String, item: &SetItem) {
    match item {
        SetItem::Property { target, key, value } => {
            postfix_operand(out, target);
            out.push('.');
            name(out, &key.name);
            out.push_str(" = ");
            expr_at(out, value, 0);
        }
        SetItem::Replace { var: v, value } => {
            var(out, &v.name);
            out.push_str(" = ");
            expr_at(out, value, 0);
        }
        SetItem::Merge { var: v, value } => {
            var(out, &v.name);
            out.push_str(" += ");
            expr_at(out, value, 0);
        }
        SetItem::Labels { var: v, labels } => {
            var(out, &v.name);
            for l in labels {
                out.push(':');
                name(out, &l.name);
            }
        }
    }
}

fn remove_item(out: &mut String, item: &RemoveItem) {
    match item {
        RemoveItem::Property { target, key } => {
            postfix_operand(out, target);
            out.push('.');
            name(out, &key.name);
        }
        RemoveItem::Labels { var: v, labels } => {
            var(out, &v.name);
            for l in labels {
                out.push(':');
                name(out, &l.name);
            }
        }
    }
}

fn projection(out: &mut String, keyword: &str, p: &Projection) {
    out.push_str(keyword);
    if p.distinct {
        out.push_str(" DISTINCT");
    }
    out.push(' ');
    if p.star {
        out.push('*');
        if !p.items.is_empty() {
            out.push_str(", ");
        }
    }
    list(out, &p.items, ", ", |out, item| {
        expr_at(out, &item.expr, 0);
        if let Some(a) = &item.alias {
            out.push_str(" AS ");
            var(out, &a.name);
        }
    });
    if !p.order_by.is_empty() {
        out.push_str(" ORDER BY ");
        list(out, &p.order_by, ", ", |out, s| {
            expr_at(out, &s.expr, 0);
            if s.descending {
                out.push_str(" DESC");
            }
        });
    }
    if let Some(s) = &p.skip {
        out.push_str(" SKIP ");
        expr_at(out, s, 0);
    }
    if let Some(l) = &p.limit {
        out.push_str(" LIMIT ");
        expr_at(out, l, 0);
    }
    if let Some(w) = &p.where_ {
        out.push_str(" WHERE ");
        expr_at(out, w, 0);
    }
}

fn clause(out: &mut String, c: &Clause) {
    match c {
        Clause::Match {
            optional,
            pattern: p,
            where_,
            ..
        } => {
            if *optional {
                out.push_str("OPTIONAL ");
            }
            out.push_str("MATCH ");
            pattern(out, p);
            if let Some(w) = where_ {
                out.push_str(" WHERE ");
                expr_at(out, w, 0);
            }
        }
        Clause::Unwind { expr: e, alias, .. } => {
            out.push_str("UNWIND ");
            expr_at(out, e, 0);
            out.push_str(" AS ");
            var(out, &alias.name);
        }
        Clause::With(p) => projection(out, "WITH", p),
        Clause::Return(p) => projection(out, "RETURN", p),
        Clause::Create { pattern: p, .. } => {
            out.push_str("CREATE ");
            pattern(out, p);
        }
        Clause::Merge {
            part,
            on_create,
            on_match,
            ..
        } => {
            out.push_str("MERGE ");
            pattern_part(out, part);
            if !on_create.is_empty() {
                out.push_str(" ON CREATE SET ");
                list(out, on_create, ", ", set_item);
            }
            if !on_match.is_empty() {
                out.push_str(" ON MATCH SET ");
                list(out, on_match, ", ", set_item);
            }
        }
        Clause::Set { items, .. } => {
            out.push_str("SET ");
            list(out, items, ", ", set_item);
        }
        Clause::Remove { items, .. } => {
            out.push_str("REMOVE ");
            list(out, items, ", ", remove_item);
        }
        Clause::Delete { detach, exprs, .. } => {
            if *detach {
                out.push_str("DETACH ");
            }
            out.push_str("DELETE ");
            list(out, exprs, ", ", |out, e| expr_at(out, e, 0));
        }
        Clause::Cite {
            targets,
            source,
            line,
            note,
            ..
        } => {
            out.push_str("CITE ");
            list(out, targets, ", ", |out, t| var(out, &t.name));
            out.push_str(" SOURCE ");
            expr_at(out, source, 0);
            if let Some(l) = line {
                out.push_str(" LINE ");
                expr_at(out, l, 0);
            }
            if let Some(n) = note {
                out.push_str(" NOTE ");
                expr_at(out, n, 0);
            }
        }
    }
}

fn single_query(out: &mut String, q: &SingleQuery) {
    list(out, &q.clauses, " ", clause);
}

fn property_defs(out: &mut String, props: &[PropertyDef]) {
    if props.is_empty() {
        return;
    }
    out.push_str(" (");
    list(out, props, ", ", |out, p| {
        name(out, &p.name.name);
        out.push(' ');
        out.push_str(&p.ty.name);
        if p.required {
            out.push_str(" NOT NULL");
        }
    });
    out.push(')');
}

fn schema(out: &mut String, s: &SchemaStatement) {
    match s {
        SchemaStatement::CreateNodeKind { label, props, .. } => {
            out.push_str("CREATE NODE KIND ");
            name(out, &label.name);
            property_defs(out, props);
        }
        SchemaStatement::CreateEdgeKind {
            rel_type,
            family,
            from,
            to,
            props,
            ..
        } => {
            out.push_str("CREATE EDGE KIND ");
            name(out, &rel_type.name);
            if let Some(f) = family {
                out.push_str(" FAMILY ");
                name(out, &f.name);
            }
            if !from.is_empty() {
                out.push_str(" FROM ");
                list(out, from, "|", |out, l| name(out, &l.name));
            }
            if !to.is_empty() {
                out.push_str(" TO ");
                list(out, to, "|", |out, l| name(out, &l.name));
            }
            property_defs(out, props);
        }
        SchemaStatement::DropKind { edge, name: n, .. } => {
            out.push_str(if *edge { "DROP EDGE KIND " } else { "DROP NODE KIND " });
            name(out, &n.name);
        }
        SchemaStatement::CreateIndex { label, key, .. } => {
            out.push_str("CREATE INDEX ON :");
            name(out, &label.name);
            out.push('(');
            name(out, &key.name);
            out.push(')');
        }
        SchemaStatement::ShowSchema(_) => out.push_str("SHOW SCHEMA"),
    }
}

fn question(out: &mut String, q: &Question) {
    let entity = |out: &mut String, e: &Option<EntityRef>| {
        if let Some(e) = e {
            string(out, &e.text);
        }
    };
    match q.kind {
        QuestionKind::WhoFunds => out.push_str("who funds "),
        QuestionKind::WhoOwns => out.push_str("who owns "),
        QuestionKind::WhoSupplies => out.push_str("who supplies "),
        QuestionKind::WhoBuysFrom => out.push_str("who buys from "),
        QuestionKind::PartnersOf => out.push_str("partners of "),
        QuestionKind::Sources => out.push_str("sources of "),
        QuestionKind::WhatFunds | QuestionKind::WhatOwns | QuestionKind::WhatSupplies | QuestionKind::WhatOperates => {
            out.push_str("what does ");
        }
        QuestionKind::Path => out.push_str("path from "),
        QuestionKind::Conflicts => out.push_str("conflicts"),
    }
    match q.kind {
        QuestionKind::WhatFunds | QuestionKind::WhatOwns | QuestionKind::WhatSupplies | QuestionKind::WhatOperates => {
            entity(out, &q.subject);
            out.push_str(match q.kind {
                QuestionKind::WhatFunds => " fund",
                QuestionKind::WhatOwns => " own",
                QuestionKind::WhatSupplies => " supply",
                _ => " operate",
            });
        }
        QuestionKind::Path => {
            entity(out, &q.subject);
            out.push_str(" to ");
            entity(out, &q.object);
        }
        QuestionKind::Conflicts => {
            if q.subject.is_some() {
                out.push_str(" about ");
                entity(out, &q.subject);
            }
        }
        _ => entity(out, &q.subject),
    }
    if let Some(d) = &q.as_of {
        let _ = write!(out, " as of @{d}");
    }
}

fn statement_text(out: &mut String, s: &Statement) {
    match s {
        Statement::Query(q) => {
            if let Some(a) = &q.as_of {
                out.push_str("AS OF ");
                expr_at(out, a, 0);
                out.push(' ');
            }
            single_query(out, &q.first);
            for (all, part) in &q.unions {
                out.push_str(if *all { " UNION ALL " } else { " UNION " });
                single_query(out, part);
            }
        }
        Statement::Explain(inner, _) => {
            out.push_str("EXPLAIN ");
            statement_text(out, inner);
        }
        Statement::Profile(inner, _) => {
            out.push_str("PROFILE ");
            statement_text(out, inner);
        }
        Statement::Schema(sc) => schema(out, sc),
        Statement::Question(q) => question(out, q),
    }
}
