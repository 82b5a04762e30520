//! Builds the typed AST from pest's parse tree.
//!
//! Invariants: no recursion per operator in a chain (`1+1+...` folds in a loop);
//! every expression node knows its depth while it is built, and a node deeper
//! than [`MAX_EXPR_DEPTH`] is a syntax error before it exists, so no later
//! recursive walk (printing, dropping, evaluating) can run out of stack.

use super::grammar::Rule;
use crate::ast::*;
use crate::{QueryError, QueryResult};
use lodestone_model::{Decimal, Money, PartialDate, ValueKind};
use pest::iterators::Pair;
use std::str::FromStr;

/// Deepest expression tree the parser builds.
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Most EXPLAIN / PROFILE prefixes on one statement.
const MAX_PREFIXES: usize = 4;

type P<'i> = Pair<'i, Rule>;
type R<T> = QueryResult<T>;
/// An expression and the depth of its tree.
type Ed = (Expr, u32);

fn syntax(message: impl Into<String>, span: Span) -> QueryError {
    QueryError::Syntax {
        message: message.into(),
        span,
    }
}

/// Punctuation that carries no meaning once the tree is built.
fn is_punct(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::LPAREN
            | Rule::RPAREN
            | Rule::LBRACKET
            | Rule::RBRACKET
            | Rule::LBRACE
            | Rule::RBRACE
            | Rule::COMMA
            | Rule::COLON
            | Rule::DOT
            | Rule::PIPE
            | Rule::EQ_SIGN
            | Rule::PLUS_EQ
            | Rule::LT
            | Rule::GT
            | Rule::DASH
            | Rule::EOI
    )
}

/// The meaningful children of a pair.
fn kids<'i>(p: &P<'i>) -> Vec<P<'i>> {
    p.clone().into_inner().filter(|c| !is_punct(c.as_rule())).collect()
}

/// End of the last token inside `p` (relative to the parsed text).
fn token_end(p: &P<'_>) -> usize {
    let mut cur = p.clone();
    while let Some(last) = cur.clone().into_inner().next_back() {
        cur = last;
    }
    cur.as_span().end()
}

/// Removes back-quotes from a name as written.
pub(crate) fn unquote_name(text: &str) -> String {
    match text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        Some(inner) => inner.replace("``", "`"),
        None => text.to_string(),
    }
}

/// Builds AST nodes for one statement whose text starts at byte `base` of the script.
pub(crate) struct Builder {
    base: usize,
}

impl Builder {
    /// A builder for a statement whose text starts at byte `base`.
    pub(crate) fn new(base: usize) -> Self {
        Builder { base }
    }

    /// The pair's span, ending at its last token (pest spans may include trailing whitespace).
    fn sp(&self, p: &P<'_>) -> Span {
        Span::new(self.base + p.as_span().start(), self.base + token_end(p))
    }

    fn ident(&self, p: &P<'_>) -> Ident {
        Ident {
            name: unquote_name(p.as_str()),
            span: self.sp(p),
        }
    }

    fn internal(&self, p: &P<'_>) -> QueryError {
        syntax(format!("unexpected `{}`", p.as_str().trim()), self.sp(p))
    }

    fn node(&self, kind: ExprKind, span: Span, depth: u32) -> R<Ed> {
        if depth > MAX_EXPR_DEPTH {
            return Err(syntax(
                format!("this expression is nested too deeply (more than {MAX_EXPR_DEPTH} levels); split it up"),
                span,
            ));
        }
        Ok((Expr { kind, span }, depth))
    }

    // ------------------------------------------------------------ statements

    /// Builds the `statement` rule.
    pub(crate) fn statement(&self, p: P<'_>) -> R<Statement> {
        let mut prefixes = Vec::new();
        let mut body = None;
        for c in kids(&p) {
            match c.as_rule() {
                Rule::statement_prefix => prefixes.push(c),
                Rule::query => body = Some(Statement::Query(self.query(c)?)),
                Rule::schema_statement => body = Some(Statement::Schema(self.schema(c)?)),
                _ => {}
            }
        }
        let Some(mut stmt) = body else {
            return Err(self.internal(&p));
        };
        if prefixes.len() > MAX_PREFIXES {
            return Err(syntax("too many EXPLAIN / PROFILE prefixes", self.sp(&prefixes[0])));
        }
        let end = statement_span(&stmt).end;
        for pre in prefixes.into_iter().rev() {
            let span = Span::new(self.sp(&pre).start, end);
            let explain = pre.into_inner().next().is_some_and(|k| k.as_rule() == Rule::EXPLAIN);
            stmt = if explain {
                Statement::Explain(Box::new(stmt), span)
            } else {
                Statement::Profile(Box::new(stmt), span)
            };
        }
        Ok(stmt)
    }

    fn query(&self, p: P<'_>) -> R<Query> {
        let span = self.sp(&p);
        let mut as_of = None;
        let mut first = None;
        let mut unions = Vec::new();
        let mut pending_all = None;
        for c in kids(&p) {
            match c.as_rule() {
                Rule::as_of => {
                    let e = kids(&c).into_iter().find(|k| k.as_rule() == Rule::expression);
                    if let Some(e) = e {
                        as_of = Some(self.expr(e)?.0);
                    }
                }
                Rule::union => {
                    let all = kids(&c).iter().any(|k| k.as_rule() == Rule::ALL);
                    if let Some((first_all, _)) = unions.first()
                        && *first_all != all
                    {
                        return Err(syntax("UNION and UNION ALL cannot be mixed in one query", self.sp(&c)));
                    }
                    pending_all = Some(all);
                }
                Rule::single_query => {
                    let part = self.single_query(c)?;
                    match pending_all.take() {
                        Some(all) => unions.push((all, part)),
                        None => first = Some(part),
                    }
                }
                _ => {}
            }
        }
        let first = first.ok_or_else(|| self.internal(&p))?;
        Ok(Query {
            as_of,
            first,
            unions,
            span,
        })
    }

    fn single_query(&self, p: P<'_>) -> R<SingleQuery> {
        let span = self.sp(&p);
        let mut clauses = Vec::new();
        for c in kids(&p) {
            clauses.push(self.clause(c)?);
        }
        check_clause_order(&clauses, span)?;
        Ok(SingleQuery { clauses, span })
    }

    fn clause(&self, p: P<'_>) -> R<Clause> {
        let span = self.sp(&p);
        let ks = kids(&p);
        Ok(match p.as_rule() {
            Rule::match_clause => {
                let mut optional = false;
                let mut pattern = Vec::new();
                let mut where_ = None;
                for k in ks {
                    match k.as_rule() {
                        Rule::OPTIONAL => optional = true,
                        Rule::pattern => pattern = self.pattern(k)?,
                        Rule::where_clause => where_ = Some(self.where_clause(k)?),
                        _ => {}
                    }
                }
                Clause::Match {
                    optional,
                    pattern,
                    where_,
                    span,
                }
            }
            Rule::unwind_clause => {
                let mut expr = None;
                let mut alias = None;
                for k in ks {
                    match k.as_rule() {
                        Rule::expression => expr = Some(self.expr(k)?.0),
                        Rule::variable => alias = Some(self.ident(&k)),
                        _ => {}
                    }
                }
                match (expr, alias) {
                    (Some(expr), Some(alias)) => Clause::Unwind { expr, alias, span },
                    _ => return Err(self.internal(&p)),
                }
            }
            Rule::with_clause | Rule::return_clause => {
                let mut proj = None;
                let mut where_ = None;
                for k in ks {
                    match k.as_rule() {
                        Rule::projection_body => proj = Some(self.projection(k, span)?),
                        Rule::where_clause => where_ = Some(self.where_clause(k)?),
                        _ => {}
                    }
                }
                let mut proj = proj.ok_or_else(|| self.internal(&p))?;
                proj.where_ = where_;
                if p.as_rule() == Rule::with_clause {
                    Clause::With(proj)
                } else {
                    Clause::Return(proj)
                }
            }
            Rule::create_clause => {
                let pattern = match ks.into_iter().find(|k| k.as_rule() == Rule::pattern) {
                    Some(k) => self.pattern(k)?,
                    None => return Err(self.internal(&p)),
                };
                Clause::Create { pattern, span }
            }
            Rule::merge_clause => {
                let mut part = None;
                let mut on_create = Vec::new();
                let mut on_match = Vec::new();
                for k in ks {
                    match k.as_rule() {
                        Rule::pattern_part => part = Some(self.pattern_part(k)?),
                        Rule::merge_action => {
                            let inner = kids(&k);
                            let on_create_action = inner.get(1).is_some_and(|x| x.as_rule() == Rule::CREATE);
                            let mut items = Vec::new();
                            for i in inner.into_iter().filter(|x| x.as_rule() == Rule::set_item) {
                                items.push(self.set_item(i)?);
                            }
                            if on_create_action {
                                on_create.extend(items);
                            } else {
                                on_match.extend(items);
                            }
                        }
                        _ => {}
                    }
                }
                Clause::Merge {
                    part: part.ok_or_else(|| self.internal(&p))?,
                    on_create,
                    on_match,
                    span,
                }
            }
            Rule::set_clause => {
                let mut items = Vec::new();
                for k in ks.into_iter().filter(|x| x.as_rule() == Rule::set_item) {
                    items.push(self.set_item(k)?);
                }
                Clause::Set { items, span }
            }
            Rule::remove_clause => {
                let mut items = Vec::new();
                for k in ks.into_iter().filter(|x| x.as_rule() == Rule::remove_item) {
                    items.push(self.remove_item(k)?);
                }
                Clause::Remove { items, span }
            }
            Rule::delete_clause => {
                let mut detach = false;
                let mut exprs = Vec::new();
                for k in ks {
                    match k.as_rule() {
                        Rule::DETACH => detach = true,
                        Rule::expression => exprs.push(self.expr(k)?.0),
                        _ => {}
                    }
                }
                Clause::Delete { detach, exprs, span }
            }
            Rule::cite_clause => {
                let mut targets = Vec::new();
                let mut source = None;
                let mut line = None;
                let mut note = None;
                for k in ks {
                    match k.as_rule() {
                        Rule::variable => targets.push(self.ident(&k)),
                        Rule::expression => source = Some(self.expr(k)?.0),
                        Rule::cite_line => line = self.last_expr(&k)?,
                        Rule::cite_note => note = self.last_expr(&k)?,
                        _ => {}
                    }
                }
                Clause::Cite {
                    targets,
                    source: source.ok_or_else(|| self.internal(&p))?,
                    line,
                    note,
                    span,
                }
            }
            _ => return Err(self.internal(&p)),
        })
    }

    /// The last `expression` child of a pair, built.
    fn last_expr(&self, p: &P<'_>) -> R<Option<Expr>> {
        match kids(p).into_iter().rev().find(|k| k.as_rule() == Rule::expression) {
            Some(e) => Ok(Some(self.expr(e)?.0)),
            None => Ok(None),
        }
    }

    fn where_clause(&self, p: P<'_>) -> R<Expr> {
        self.last_expr(&p)?.ok_or_else(|| self.internal(&p))
    }

    fn projection(&self, p: P<'_>, span: Span) -> R<Projection> {
        let mut proj = Projection {
            distinct: false,
            star: false,
            items: Vec::new(),
            order_by: Vec::new(),
            skip: None,
            limit: None,
            where_: None,
            span,
        };
        for k in kids(&p) {
            match k.as_rule() {
                Rule::DISTINCT => proj.distinct = true,
                Rule::projection_items => {
                    for item in kids(&k) {
                        match item.as_rule() {
                            Rule::STAR => proj.star = true,
                            Rule::projection_item => proj.items.push(self.projection_item(item)?),
                            _ => {}
                        }
                    }
                }
                Rule::order_by => {
                    for s in kids(&k).into_iter().filter(|x| x.as_rule() == Rule::sort_item) {
                        let mut expr = None;
                        let mut descending = false;
                        for x in kids(&s) {
                            match x.as_rule() {
                                Rule::expression => expr = Some(self.expr(x)?.0),
                                Rule::DESC | Rule::DESCENDING => descending = true,
                                _ => {}
                            }
                        }
                        let expr = expr.ok_or_else(|| self.internal(&s))?;
                        proj.order_by.push(SortItem { expr, descending });
                    }
                }
                Rule::skip => proj.skip = self.last_expr(&k)?,
                Rule::limit => proj.limit = self.last_expr(&k)?,
                _ => {}
            }
        }
        Ok(proj)
    }

    fn projection_item(&self, p: P<'_>) -> R<ProjectionItem> {
        let span = self.sp(&p);
        let mut expr = None;
        let mut text = String::new();
        let mut alias = None;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::expression => {
                    let start = k.as_span().start();
                    text = k.get_input().get(start..token_end(&k)).unwrap_or("").trim().to_string();
                    expr = Some(self.expr(k)?.0);
                }
                Rule::variable => alias = Some(self.ident(&k)),
                _ => {}
            }
        }
        Ok(ProjectionItem {
            expr: expr.ok_or_else(|| self.internal(&p))?,
            alias,
            text,
            span,
        })
    }

    fn set_item(&self, p: P<'_>) -> R<SetItem> {
        let inner = kids(&p).into_iter().next().ok_or_else(|| self.internal(&p))?;
        let ks = kids(&inner);
        let var = || -> R<Ident> {
            ks.iter()
                .find(|k| k.as_rule() == Rule::variable)
                .map(|k| self.ident(k))
                .ok_or_else(|| self.internal(&inner))
        };
        let value = || -> R<Expr> {
            match ks.iter().find(|k| k.as_rule() == Rule::expression) {
                Some(e) => Ok(self.expr(e.clone())?.0),
                None => Err(self.internal(&inner)),
            }
        };
        Ok(match inner.as_rule() {
            Rule::set_labels => SetItem::Labels {
                var: var()?,
                labels: self.labels_of(&ks),
            },
            Rule::set_merge => SetItem::Merge {
                var: var()?,
                value: value()?,
            },
            Rule::set_replace => SetItem::Replace {
                var: var()?,
                value: value()?,
            },
            Rule::set_property => {
                let target = ks
                    .iter()
                    .find(|k| k.as_rule() == Rule::property_target)
                    .ok_or_else(|| self.internal(&inner))?;
                let (target, key) = self.property_target(target.clone())?;
                SetItem::Property {
                    target,
                    key,
                    value: value()?,
                }
            }
            _ => return Err(self.internal(&inner)),
        })
    }

    fn remove_item(&self, p: P<'_>) -> R<RemoveItem> {
        let inner = kids(&p).into_iter().next().ok_or_else(|| self.internal(&p))?;
        match inner.as_rule() {
            Rule::remove_labels => {
                let ks = kids(&inner);
                let var = ks
                    .iter()
                    .find(|k| k.as_rule() == Rule::variable)
                    .map(|k| self.ident(k))
                    .ok_or_else(|| self.internal(&inner))?;
                Ok(RemoveItem::Labels {
                    var,
                    labels: self.labels_of(&ks),
                })
            }
            Rule::property_target => {
                let (target, key) = self.property_target(inner)?;
                Ok(RemoveItem::Property { target, key })
            }
            _ => Err(self.internal(&inner)),
        }
    }

    /// Splits `expr.key` into the element expression and the key.
    fn property_target(&self, p: P<'_>) -> R<(Expr, Ident)> {
        let mut ks = kids(&p);
        let last = ks.pop().ok_or_else(|| self.internal(&p))?;
        if last.as_rule() != Rule::property_lookup {
            return Err(syntax(
                "expected a property such as `n.name` here, not an index",
                self.sp(&last),
            ));
        }
        let key = kids(&last)
            .into_iter()
            .find(|k| k.as_rule() == Rule::property_key)
            .map(|k| self.ident(&k))
            .ok_or_else(|| self.internal(&last))?;
        let mut it = ks.into_iter();
        let atom = it.next().ok_or_else(|| self.internal(&p))?;
        let start = self.sp(&atom).start;
        let mut acc = self.expr(atom)?;
        for post in it {
            acc = self.apply_postfix(acc, start, post)?;
        }
        Ok((acc.0, key))
    }

    fn labels_of(&self, ks: &[P<'_>]) -> Vec<Ident> {
        ks.iter()
            .filter(|k| k.as_rule() == Rule::node_labels)
            .flat_map(|k| kids(k))
            .filter(|k| k.as_rule() == Rule::label_name)
            .map(|k| self.ident(&k))
            .collect()
    }

    // ------------------------------------------------------------ schema

    fn schema(&self, p: P<'_>) -> R<SchemaStatement> {
        let inner = kids(&p).into_iter().next().ok_or_else(|| self.internal(&p))?;
        let span = self.sp(&inner);
        let ks = kids(&inner);
        let first_name = |rule: Rule| ks.iter().find(|k| k.as_rule() == rule).map(|k| self.ident(k));
        Ok(match inner.as_rule() {
            Rule::create_node_kind => SchemaStatement::CreateNodeKind {
                label: first_name(Rule::label_name).ok_or_else(|| self.internal(&inner))?,
                props: self.property_defs(&ks)?,
                span,
            },
            Rule::create_edge_kind => {
                let mut from = Vec::new();
                let mut to = Vec::new();
                let mut seen_from = false;
                for k in &ks {
                    match k.as_rule() {
                        Rule::FROM => seen_from = true,
                        Rule::TO => seen_from = false,
                        Rule::kind_list => {
                            let names: Vec<Ident> = kids(k).iter().map(|n| self.ident(n)).collect();
                            if seen_from {
                                from = names;
                            } else {
                                to = names;
                            }
                        }
                        _ => {}
                    }
                }
                let family = first_name(Rule::family_name);
                if let Some(f) = &family
                    && lodestone_model::Family::from_name(&f.name).is_none()
                {
                    return Err(syntax(
                        format!(
                            "unknown family `{}`: expected investment, ownership, supply (or offtake), \
                             partnership, operation or membership (or place)",
                            f.name
                        ),
                        f.span,
                    ));
                }
                SchemaStatement::CreateEdgeKind {
                    rel_type: first_name(Rule::rel_type_name).ok_or_else(|| self.internal(&inner))?,
                    family,
                    from,
                    to,
                    props: self.property_defs(&ks)?,
                    span,
                }
            }
            Rule::drop_kind => SchemaStatement::DropKind {
                edge: ks.iter().any(|k| k.as_rule() == Rule::EDGE),
                name: first_name(Rule::label_name).ok_or_else(|| self.internal(&inner))?,
                span,
            },
            Rule::create_index => SchemaStatement::CreateIndex {
                label: first_name(Rule::label_name).ok_or_else(|| self.internal(&inner))?,
                key: first_name(Rule::property_key).ok_or_else(|| self.internal(&inner))?,
                span,
            },
            Rule::show_schema => SchemaStatement::ShowSchema(span),
            _ => return Err(self.internal(&inner)),
        })
    }

    fn property_defs(&self, ks: &[P<'_>]) -> R<Vec<PropertyDef>> {
        let mut out = Vec::new();
        let Some(defs) = ks.iter().find(|k| k.as_rule() == Rule::property_defs) else {
            return Ok(out);
        };
        for d in kids(defs) {
            let dk = kids(&d);
            let name = dk
                .iter()
                .find(|k| k.as_rule() == Rule::property_key)
                .map(|k| self.ident(k))
                .ok_or_else(|| self.internal(&d))?;
            let ty = dk
                .iter()
                .find(|k| k.as_rule() == Rule::property_type)
                .ok_or_else(|| self.internal(&d))?;
            let required = dk.iter().any(|k| k.as_rule() == Rule::not_null);
            out.push(PropertyDef {
                name,
                ty: self.property_type(ty)?,
                required,
            });
        }
        Ok(out)
    }

    fn property_type(&self, p: &P<'_>) -> R<Ident> {
        let span = self.sp(p);
        let inner = kids(p).into_iter().next().ok_or_else(|| self.internal(p))?;
        let check = |t: &P<'_>| -> R<String> {
            let name = unquote_name(t.as_str()).to_ascii_uppercase();
            if ValueKind::from_name(&name).is_none() {
                return Err(syntax(
                    format!(
                        "unknown property type `{}`: expected BOOLEAN, INTEGER, FLOAT, STRING, DATE, MONEY, \
                         PERCENT, QUANTITY, MAP or LIST<type>",
                        t.as_str()
                    ),
                    self.sp(t),
                ));
            }
            Ok(name)
        };
        let name = match inner.as_rule() {
            Rule::list_type => {
                let t = kids(&inner)
                    .into_iter()
                    .find(|k| k.as_rule() == Rule::type_name)
                    .ok_or_else(|| self.internal(&inner))?;
                let elem = check(&t)?;
                if elem == "LIST" {
                    return Err(syntax("a list of lists cannot be declared", self.sp(&t)));
                }
                format!("LIST<{elem}>")
            }
            _ => check(&inner)?,
        };
        Ok(Ident { name, span })
    }

    // ------------------------------------------------------------ patterns

    fn pattern(&self, p: P<'_>) -> R<Vec<PatternPart>> {
        kids(&p)
            .into_iter()
            .filter(|k| k.as_rule() == Rule::pattern_part)
            .map(|k| self.pattern_part(k))
            .collect()
    }

    fn pattern_part(&self, p: P<'_>) -> R<PatternPart> {
        Ok(self.pattern_part_d(p)?.0)
    }

    fn pattern_part_d(&self, p: P<'_>) -> R<(PatternPart, u32)> {
        let span = self.sp(&p);
        let mut var = None;
        let mut mode = PathMode::All;
        let mut element = None;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::variable => var = Some(self.ident(&k)),
                Rule::pattern_element | Rule::relationships_pattern => element = Some(self.pattern_element(k)?),
                Rule::shortest_path | Rule::all_shortest_paths => {
                    mode = if k.as_rule() == Rule::shortest_path {
                        PathMode::Shortest
                    } else {
                        PathMode::AllShortest
                    };
                    let el = kids(&k)
                        .into_iter()
                        .find(|x| x.as_rule() == Rule::pattern_element)
                        .ok_or_else(|| self.internal(&k))?;
                    element = Some(self.pattern_element(el)?);
                }
                _ => {}
            }
        }
        let (element, d) = element.ok_or_else(|| self.internal(&p))?;
        Ok((
            PatternPart {
                var,
                mode,
                element,
                span,
            },
            d,
        ))
    }

    /// Builds a chain of nodes and relationships; the depth is that of its deepest property map.
    fn pattern_element(&self, p: P<'_>) -> R<(PatternElement, u32)> {
        let mut ks = kids(&p).into_iter();
        let first = ks.next().ok_or_else(|| self.internal(&p))?;
        let (start, mut depth) = self.node_pattern(first)?;
        let mut chain = Vec::new();
        for c in ks {
            let mut ck = kids(&c).into_iter();
            let (rel, rel_pair) = match ck.next() {
                Some(r) => (self.rel_pattern(r.clone())?, r),
                None => return Err(self.internal(&c)),
            };
            let (node, nd) = match ck.next() {
                Some(n) => self.node_pattern(n)?,
                None => return Err(self.internal(&rel_pair)),
            };
            depth = depth.max(rel.1).max(nd);
            chain.push((rel.0, node));
        }
        Ok((PatternElement { start, chain }, depth))
    }

    fn node_pattern(&self, p: P<'_>) -> R<(NodePattern, u32)> {
        let span = self.sp(&p);
        let mut var = None;
        let mut labels = Vec::new();
        let mut any_labels: Vec<Ident> = Vec::new();
        let mut props = None;
        let mut depth = 0;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::variable => var = Some(self.ident(&k)),
                Rule::node_labels => labels = self.labels_of(std::slice::from_ref(&k)),
                Rule::label_alternatives => {
                    for l in kids(&k).into_iter().filter(|l| l.as_rule() == Rule::label_name) {
                        let l = self.ident(&l);
                        if !any_labels.iter().any(|a| a.name == l.name) {
                            any_labels.push(l);
                        }
                    }
                    // `(n:A|A)` is just `(n:A)`.
                    if any_labels.len() == 1 {
                        labels = std::mem::take(&mut any_labels);
                    }
                }
                Rule::properties => {
                    let (e, d) = self.properties(k)?;
                    depth = d;
                    props = Some(e);
                }
                _ => {}
            }
        }
        Ok((
            NodePattern {
                var,
                labels,
                any_labels,
                props,
                span,
            },
            depth,
        ))
    }

    fn properties(&self, p: P<'_>) -> R<Ed> {
        let inner = kids(&p).into_iter().next().ok_or_else(|| self.internal(&p))?;
        self.expr(inner)
    }

    fn rel_pattern(&self, p: P<'_>) -> R<(RelPattern, u32)> {
        let span = self.sp(&p);
        let mut left = false;
        let mut right = false;
        let mut rel = RelPattern {
            var: None,
            types: Vec::new(),
            direction: RelDirection::Either,
            length: None,
            props: None,
            span,
        };
        let mut depth = 0;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::ARROW_LEFT => left = true,
                Rule::ARROW_RIGHT => right = true,
                Rule::relationship_detail => {
                    for d in kids(&k) {
                        match d.as_rule() {
                            Rule::variable => rel.var = Some(self.ident(&d)),
                            Rule::relationship_types => {
                                rel.types = kids(&d)
                                    .iter()
                                    .filter(|t| t.as_rule() == Rule::rel_type_name)
                                    .map(|t| self.ident(t))
                                    .collect();
                            }
                            Rule::range => rel.length = Some(self.range(&d)?),
                            Rule::properties => {
                                let (e, dd) = self.properties(d)?;
                                depth = dd;
                                rel.props = Some(e);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        rel.direction = match (left, right) {
            (true, false) => RelDirection::Left,
            (false, true) => RelDirection::Right,
            _ => RelDirection::Either,
        };
        Ok((rel, depth))
    }

    fn range(&self, p: &P<'_>) -> R<Length> {
        let mut min = None;
        let mut max = None;
        let mut dots = false;
        for k in kids(p) {
            match k.as_rule() {
                Rule::range_min => min = Some(self.hops(&k)?),
                Rule::range_max => max = Some(self.hops(&k)?),
                Rule::DOTDOT => dots = true,
                _ => {}
            }
        }
        if !dots {
            max = min;
        }
        Ok(Length { min, max })
    }

    fn hops(&self, p: &P<'_>) -> R<u64> {
        p.as_str()
            .parse()
            .map_err(|_| syntax("integer literal is too large", self.sp(p)))
    }

    // ------------------------------------------------------------ expressions

    /// Builds any expression-level pair.
    pub(crate) fn expr(&self, p: P<'_>) -> R<Ed> {
        let mut p = p;
        loop {
            match p.as_rule() {
                Rule::parenthesized => {
                    p = kids(&p).into_iter().next().ok_or_else(|| self.internal(&p))?;
                }
                Rule::expression => return self.operators(kids(&p)),
                _ => return self.atom(p),
            }
        }
    }

    /// Applies precedence to a flat `prefix* operand (infix prefix* operand | IS NULL)*`
    /// sequence with an operator stack, so long chains never recurse.
    fn operators(&self, tokens: Vec<P<'_>>) -> R<Ed> {
        let mut operands: Vec<Item> = Vec::new();
        let mut ops: Vec<Pending> = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match t.as_rule() {
                Rule::prefix_op => {
                    let text = t.as_str();
                    let (op, prec) = if text.eq_ignore_ascii_case("not") {
                        (UnaryOp::Not, prec::NOT)
                    } else if text == "-" {
                        (UnaryOp::Neg, prec::UNARY)
                    } else {
                        (UnaryOp::Plus, prec::UNARY)
                    };
                    ops.push(Pending::Prefix(op, prec, self.sp(t).start));
                }
                Rule::infix_op => {
                    let (op, prec) = self.infix(t)?;
                    self.reduce_while(&mut operands, &mut ops, prec)?;
                    ops.push(Pending::Binary(op, prec));
                }
                Rule::null_pred => {
                    self.reduce_while(&mut operands, &mut ops, prec::PRED)?;
                    let not = kids(t).iter().any(|k| k.as_rule() == Rule::NOT);
                    let top = operands.pop().ok_or_else(|| self.internal(t))?;
                    let span = Span::new(top.span.start, self.sp(t).end);
                    let (e, d) = self.node(ExprKind::IsNull(Box::new(top.expr), not), span, top.depth + 1)?;
                    operands.push(Item::new(e, d, span));
                }
                Rule::property_lookup | Rule::subscript | Rule::node_labels => {
                    let top = operands.pop().ok_or_else(|| self.internal(t))?;
                    let start = top.span.start;
                    let (e, d) = self.apply_postfix((top.expr, top.depth), start, t.clone())?;
                    operands.push(Item::new(e, d, Span::new(start, self.sp(t).end)));
                }
                _ => {
                    let span = self.sp(t);
                    // `-5`: a minus directly before a bare number literal makes a negative literal.
                    let next_is_postfix = tokens.get(i + 1).is_some_and(|n| {
                        matches!(n.as_rule(), Rule::property_lookup | Rule::subscript | Rule::node_labels)
                    });
                    let fold = !next_is_postfix
                        && is_number_token(t.as_rule())
                        && matches!(ops.last(), Some(Pending::Prefix(UnaryOp::Neg, _, _)));
                    if fold && let Some(Pending::Prefix(_, _, minus_at)) = ops.pop() {
                        let span = Span::new(minus_at, span.end);
                        let (e, d) = self.literal(t, true, span)?;
                        operands.push(Item::new(e, d, span));
                    } else {
                        let (e, d) = self.expr(t.clone())?;
                        operands.push(Item::new(e, d, span));
                    }
                }
            }
        }
        self.reduce_while(&mut operands, &mut ops, 0)?;
        match (operands.pop(), operands.is_empty()) {
            (Some(item), true) => Ok((item.expr, item.depth)),
            _ => Err(syntax(
                "incomplete expression",
                tokens.first().map(|t| self.sp(t)).unwrap_or_default(),
            )),
        }
    }

    /// Applies every pending operator that binds at least as tightly as `prec`
    /// (all of them when `prec` is 0).
    fn reduce_while(&self, operands: &mut Vec<Item>, ops: &mut Vec<Pending>, prec: u8) -> R<()> {
        let incomplete = || syntax("incomplete expression", Span::default());
        while let Some(top) = ops.last() {
            let top_prec = match top {
                Pending::Prefix(_, p, _) | Pending::Binary(_, p) => *p,
            };
            if top_prec < prec {
                break;
            }
            let Some(op) = ops.pop() else { break };
            let item = match op {
                Pending::Prefix(kind, _, start) => {
                    let x = operands.pop().ok_or_else(incomplete)?;
                    let span = Span::new(start, x.span.end);
                    let (e, d) = self.node(ExprKind::Unary(kind, Box::new(x.expr)), span, x.depth + 1)?;
                    Item::new(e, d, span)
                }
                Pending::Binary(kind, p) => {
                    let r = operands.pop().ok_or_else(incomplete)?;
                    let l = operands.pop().ok_or_else(incomplete)?;
                    let span = Span::new(l.span.start, r.span.end);
                    if p != prec::CMP {
                        let depth = l.depth.max(r.depth) + 1;
                        let (e, d) =
                            self.node(ExprKind::Binary(kind, Box::new(l.expr), Box::new(r.expr)), span, depth)?;
                        Item::new(e, d, span)
                    } else {
                        // `a < b < c` is `a < b AND b < c`: the shared operand is repeated.
                        let rhs = Box::new(r.expr.clone());
                        let (e, d) = match l.cmp_rhs {
                            Some((mid, mid_depth, mid_span)) => {
                                let cmp_span = Span::new(mid_span.start, r.span.end);
                                let (c, cd) = self.node(
                                    ExprKind::Binary(kind, Box::new(mid), rhs),
                                    cmp_span,
                                    mid_depth.max(r.depth) + 1,
                                )?;
                                let depth = l.depth.max(cd) + 1;
                                self.node(
                                    ExprKind::Binary(BinaryOp::And, Box::new(l.expr), Box::new(c)),
                                    span,
                                    depth,
                                )?
                            }
                            None => {
                                let depth = l.depth.max(r.depth) + 1;
                                self.node(ExprKind::Binary(kind, Box::new(l.expr), rhs), span, depth)?
                            }
                        };
                        let mut item = Item::new(e, d, span);
                        item.cmp_rhs = Some((r.expr, r.depth, r.span));
                        item
                    }
                }
            };
            operands.push(item);
        }
        Ok(())
    }

    fn infix(&self, p: &P<'_>) -> R<(BinaryOp, u8)> {
        let rule = kids(p).first().map_or(Rule::infix_op, |f| f.as_rule());
        Ok(match rule {
            Rule::OR => (BinaryOp::Or, prec::OR),
            Rule::XOR => (BinaryOp::Xor, prec::XOR),
            Rule::AND => (BinaryOp::And, prec::AND),
            Rule::IN => (BinaryOp::In, prec::PRED),
            Rule::STARTS => (BinaryOp::StartsWith, prec::PRED),
            Rule::ENDS => (BinaryOp::EndsWith, prec::PRED),
            Rule::CONTAINS => (BinaryOp::Contains, prec::PRED),
            Rule::POW_OP => (BinaryOp::Pow, prec::POW),
            Rule::comparison_op | Rule::add_op | Rule::mul_op => match p.as_str().trim() {
                "+" => (BinaryOp::Add, prec::ADD),
                "-" => (BinaryOp::Sub, prec::ADD),
                "*" => (BinaryOp::Mul, prec::MUL),
                "/" => (BinaryOp::Div, prec::MUL),
                "%" => (BinaryOp::Mod, prec::MUL),
                "=" => (BinaryOp::Eq, prec::CMP),
                "<>" => (BinaryOp::Ne, prec::CMP),
                "<" => (BinaryOp::Lt, prec::CMP),
                "<=" => (BinaryOp::Le, prec::CMP),
                ">" => (BinaryOp::Gt, prec::CMP),
                ">=" => (BinaryOp::Ge, prec::CMP),
                _ => return Err(self.internal(p)),
            },
            Rule::REGEX_OP => (BinaryOp::Regex, prec::PRED),
            _ => return Err(self.internal(p)),
        })
    }

    fn apply_postfix(&self, acc: Ed, start: usize, post: P<'_>) -> R<Ed> {
        let span = Span::new(start, self.sp(&post).end);
        match post.as_rule() {
            Rule::property_lookup => {
                let key = kids(&post)
                    .into_iter()
                    .find(|k| k.as_rule() == Rule::property_key)
                    .map(|k| self.ident(&k))
                    .ok_or_else(|| self.internal(&post))?;
                self.node(ExprKind::Property(Box::new(acc.0), key), span, acc.1 + 1)
            }
            Rule::node_labels => {
                let labels = self.labels_of(std::slice::from_ref(&post));
                self.node(ExprKind::HasLabels(Box::new(acc.0), labels), span, acc.1 + 1)
            }
            Rule::subscript => {
                let mut before = None;
                let mut after = None;
                let mut dots = false;
                let mut depth = acc.1;
                for k in kids(&post) {
                    match k.as_rule() {
                        Rule::DOTDOT => dots = true,
                        Rule::expression => {
                            let e = self.expr(k)?;
                            depth = depth.max(e.1);
                            if dots {
                                after = Some(Box::new(e.0));
                            } else {
                                before = Some(Box::new(e.0));
                            }
                        }
                        _ => {}
                    }
                }
                if dots {
                    self.node(ExprKind::Slice(Box::new(acc.0), before, after), span, depth + 1)
                } else {
                    let index = before.ok_or_else(|| self.internal(&post))?;
                    self.node(ExprKind::Index(Box::new(acc.0), index), span, depth + 1)
                }
            }
            _ => Err(self.internal(&post)),
        }
    }

    fn atom(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let leaf = |kind| self.node(kind, span, 1);
        match p.as_rule() {
            Rule::integer
            | Rule::hex_integer
            | Rule::octal_integer
            | Rule::float_literal
            | Rule::percent_literal
            | Rule::money_literal
            | Rule::date_literal
            | Rule::string_literal => self.literal(&p, false, span),
            Rule::TRUE => leaf(ExprKind::Literal(Literal::Bool(true))),
            Rule::FALSE => leaf(ExprKind::Literal(Literal::Bool(false))),
            Rule::NULL => leaf(ExprKind::Literal(Literal::Null)),
            Rule::parameter => leaf(ExprKind::Param(unquote_name(&p.as_str()[1..]))),
            Rule::variable => leaf(ExprKind::Variable(unquote_name(p.as_str()))),
            Rule::bad_number => Err(syntax(format!("invalid number literal `{}`", p.as_str()), span)),
            Rule::count_star => leaf(ExprKind::CountStar),
            Rule::case_expr => self.case_expr(p),
            Rule::quantifier_expr => self.quantifier(p),
            Rule::reduce_expr => self.reduce(p),
            Rule::function_call => self.call(p),
            Rule::list_like => self.list_like(p),
            Rule::map_literal => self.map(p),
            Rule::relationships_pattern => {
                let (el, d) = self.pattern_element(p)?;
                self.node(ExprKind::Pattern(Box::new(el)), span, d + 1)
            }
            _ => self.expr_or_internal(p),
        }
    }

    fn expr_or_internal(&self, p: P<'_>) -> R<Ed> {
        match p.as_rule() {
            Rule::expression | Rule::parenthesized => self.expr(p),
            _ => Err(self.internal(&p)),
        }
    }

    /// A literal token; `negative` when a `-` directly precedes it (`span` then covers the sign).
    fn literal(&self, p: &P<'_>, negative: bool, span: Span) -> R<Ed> {
        let text = p.as_str();
        let lit = match p.as_rule() {
            Rule::integer => Literal::Int(self.int(p, text, 10, negative)?),
            Rule::hex_integer => Literal::Int(self.int(p, &text[2..], 16, negative)?),
            Rule::octal_integer => Literal::Int(self.int(p, &text[2..], 8, negative)?),
            Rule::float_literal => {
                let v: f64 = text
                    .parse()
                    .map_err(|_| syntax(format!("invalid number literal `{text}`"), span))?;
                if !v.is_finite() {
                    return Err(syntax("float literal is too large", span));
                }
                Literal::Float(if negative { -v } else { v })
            }
            Rule::percent_literal => {
                let digits = &text[..text.len() - 1];
                let v = Decimal::from_str(digits).map_err(|_| syntax(format!("invalid percentage `{text}`"), span))?;
                Literal::Percent(if negative { -v } else { v })
            }
            Rule::money_literal => {
                let mut m = Money::from_str(text).map_err(|e| syntax(format!("invalid money amount: {e}"), span))?;
                if negative {
                    m.amount = -m.amount;
                }
                Literal::Money(m)
            }
            Rule::date_literal => {
                let d = PartialDate::from_str(&text[1..]).map_err(|_| {
                    syntax(
                        format!("invalid date `{text}`: use @YYYY, @YYYY-MM or @YYYY-MM-DD"),
                        span,
                    )
                })?;
                Literal::Date(d)
            }
            Rule::string_literal => Literal::String(self.unescape(p)?),
            _ => return Err(self.internal(p)),
        };
        self.node(ExprKind::Literal(lit), span, 1)
    }

    fn int(&self, p: &P<'_>, digits: &str, radix: u32, negative: bool) -> R<i64> {
        let too_large = || syntax("integer literal is too large", self.sp(p));
        let v = u128::from_str_radix(digits, radix).map_err(|_| too_large())?;
        let v = i128::try_from(v).map_err(|_| too_large())?;
        let v = if negative { -v } else { v };
        i64::try_from(v).map_err(|_| too_large())
    }

    /// Decodes a quoted string's escapes.
    fn unescape(&self, p: &P<'_>) -> R<String> {
        unescape_quoted(p.as_str(), self.sp(p).start)
    }

    fn case_expr(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let mut subject = None;
        let mut whens = Vec::new();
        let mut otherwise = None;
        let mut depth = 0;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::expression => {
                    let e = self.expr(k)?;
                    depth = depth.max(e.1);
                    subject = Some(Box::new(e.0));
                }
                Rule::case_when => {
                    let mut es = Vec::new();
                    for x in kids(&k).into_iter().filter(|x| x.as_rule() == Rule::expression) {
                        let e = self.expr(x)?;
                        depth = depth.max(e.1);
                        es.push(e.0);
                    }
                    let mut es = es.into_iter();
                    match (es.next(), es.next()) {
                        (Some(w), Some(t)) => whens.push((w, t)),
                        _ => return Err(self.internal(&k)),
                    }
                }
                Rule::case_else => {
                    if let Some(x) = kids(&k).into_iter().find(|x| x.as_rule() == Rule::expression) {
                        let e = self.expr(x)?;
                        depth = depth.max(e.1);
                        otherwise = Some(Box::new(e.0));
                    }
                }
                _ => {}
            }
        }
        self.node(
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            },
            span,
            depth + 1,
        )
    }

    fn quantifier(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let ks = kids(&p);
        let which = ks
            .iter()
            .find(|k| k.as_rule() == Rule::quantifier)
            .and_then(|k| kids(k).into_iter().next())
            .ok_or_else(|| self.internal(&p))?;
        let quantifier = match which.as_rule() {
            Rule::ALL => Quantifier::All,
            Rule::ANY_WORD => Quantifier::Any,
            Rule::NONE => Quantifier::None,
            _ => Quantifier::Single,
        };
        let var = ks
            .iter()
            .find(|k| k.as_rule() == Rule::variable)
            .map(|k| self.ident(k))
            .ok_or_else(|| self.internal(&p))?;
        let mut exprs = Vec::new();
        for k in ks.iter().filter(|k| k.as_rule() == Rule::expression) {
            exprs.push(self.expr(k.clone())?);
        }
        let mut exprs = exprs.into_iter();
        let (list, predicate) = match (exprs.next(), exprs.next()) {
            (Some(l), Some(pr)) => (l, pr),
            _ => {
                let name = which.as_str().to_ascii_lowercase();
                return Err(syntax(
                    format!("`{name}(...)` needs a condition: {name}(x IN list WHERE condition)"),
                    span,
                ));
            }
        };
        let depth = list.1.max(predicate.1) + 1;
        self.node(
            ExprKind::Quantified {
                quantifier,
                var,
                list: Box::new(list.0),
                predicate: Box::new(predicate.0),
            },
            span,
            depth,
        )
    }

    fn reduce(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let ks = kids(&p);
        let vars: Vec<Ident> = ks
            .iter()
            .filter(|k| k.as_rule() == Rule::variable)
            .map(|k| self.ident(k))
            .collect();
        let mut exprs = Vec::new();
        for k in ks.iter().filter(|k| k.as_rule() == Rule::expression) {
            exprs.push(self.expr(k.clone())?);
        }
        let (Ok([acc, var]), Ok([init, list, step])) = (<[Ident; 2]>::try_from(vars), <[Ed; 3]>::try_from(exprs))
        else {
            return Err(self.internal(&p));
        };
        let depth = init.1.max(list.1).max(step.1) + 1;
        self.node(
            ExprKind::Reduce {
                acc,
                init: Box::new(init.0),
                var,
                list: Box::new(list.0),
                step: Box::new(step.0),
            },
            span,
            depth,
        )
    }

    fn call(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let mut name = None;
        let mut distinct = false;
        let mut args = Vec::new();
        let mut depth = 0;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::function_name => {
                    let parts: Vec<String> = kids(&k).iter().map(|n| unquote_name(n.as_str())).collect();
                    name = Some(Ident {
                        name: parts.join("."),
                        span: self.sp(&k),
                    });
                }
                Rule::DISTINCT => distinct = true,
                Rule::expression => {
                    let e = self.expr(k)?;
                    depth = depth.max(e.1);
                    args.push(e.0);
                }
                _ => {}
            }
        }
        let name = name.ok_or_else(|| self.internal(&p))?;
        // `exists((a)-->(b))` is the pattern predicate itself.
        if name.name.eq_ignore_ascii_case("exists")
            && !distinct
            && args.len() == 1
            && matches!(args[0].kind, ExprKind::Pattern(_))
            && let Some(Expr {
                kind: ExprKind::Pattern(el),
                ..
            }) = args.pop()
        {
            return self.node(ExprKind::Pattern(el), span, depth);
        }
        self.node(ExprKind::Call { name, distinct, args }, span, depth + 1)
    }

    fn list_like(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let Some(inner) = kids(&p).into_iter().next() else {
            return self.node(ExprKind::List(Vec::new()), span, 1);
        };
        if inner.as_rule() == Rule::pattern_comprehension {
            return self.pattern_comprehension(inner, span);
        }
        let mut items: Vec<(Ed, bool)> = Vec::new();
        let mut filter = None;
        let mut map = None;
        for k in kids(&inner) {
            match k.as_rule() {
                Rule::expression => {
                    let parenthesized = k.as_str().starts_with('(');
                    items.push((self.expr(k)?, parenthesized));
                }
                Rule::comprehension_where => filter = Some(self.comprehension_part(k)?),
                Rule::comprehension_map => map = Some(self.comprehension_part(k)?),
                _ => {}
            }
        }
        let is_comprehension = filter.is_some() || map.is_some();
        if items.len() == 1 {
            let ((first, fd), parenthesized) = items.remove(0);
            let first_span = first.span;
            match first.kind {
                ExprKind::Binary(BinaryOp::In, lhs, list)
                    if !parenthesized && matches!(lhs.kind, ExprKind::Variable(_)) =>
                {
                    let ExprKind::Variable(name) = lhs.kind else {
                        return Err(self.internal(&inner));
                    };
                    let var = Ident { name, span: lhs.span };
                    let mut depth = fd;
                    if let Some((_, d)) = &filter {
                        depth = depth.max(*d);
                    }
                    if let Some((_, d)) = &map {
                        depth = depth.max(*d);
                    }
                    return self.node(
                        ExprKind::ListComprehension {
                            var,
                            list,
                            filter: filter.map(|f| Box::new(f.0)),
                            map: map.map(|m| Box::new(m.0)),
                        },
                        span,
                        depth + 1,
                    );
                }
                kind if !is_comprehension => {
                    return self.node(ExprKind::List(vec![Expr { kind, span: first_span }]), span, fd + 1);
                }
                _ => {
                    return Err(syntax(
                        "expected `variable IN list` before WHERE or `|` in a list comprehension",
                        first_span,
                    ));
                }
            }
        }
        let depth = items.iter().map(|((_, d), _)| *d).max().unwrap_or(0) + 1;
        self.node(
            ExprKind::List(items.into_iter().map(|((e, _), _)| e).collect()),
            span,
            depth,
        )
    }

    fn comprehension_part(&self, p: P<'_>) -> R<Ed> {
        match kids(&p).into_iter().find(|k| k.as_rule() == Rule::expression) {
            Some(e) => self.expr(e),
            None => Err(self.internal(&p)),
        }
    }

    fn pattern_comprehension(&self, p: P<'_>, span: Span) -> R<Ed> {
        let part_span = self.sp(&p);
        let mut var = None;
        let mut element = None;
        let mut filter = None;
        let mut map = None;
        for k in kids(&p) {
            match k.as_rule() {
                Rule::variable => var = Some(self.ident(&k)),
                Rule::relationships_pattern => element = Some(self.pattern_element(k)?),
                Rule::comprehension_where => filter = Some(self.comprehension_part(k)?),
                Rule::comprehension_map => map = Some(self.comprehension_part(k)?),
                _ => {}
            }
        }
        let (element, pd) = element.ok_or_else(|| self.internal(&p))?;
        let (map, md) = map.ok_or_else(|| self.internal(&p))?;
        let mut depth = pd.max(md);
        if let Some((_, d)) = &filter {
            depth = depth.max(*d);
        }
        let elem_end = self.sp(&p).end;
        let part = PatternPart {
            var,
            mode: PathMode::All,
            element,
            span: Span::new(part_span.start, elem_end),
        };
        self.node(
            ExprKind::PatternComprehension {
                pattern: Box::new(part),
                filter: filter.map(|f| Box::new(f.0)),
                map: Box::new(map),
            },
            span,
            depth + 1,
        )
    }

    fn map(&self, p: P<'_>) -> R<Ed> {
        let span = self.sp(&p);
        let mut entries = Vec::new();
        let mut depth = 0;
        for e in kids(&p).into_iter().filter(|k| k.as_rule() == Rule::map_entry) {
            let ek = kids(&e);
            let key = ek
                .iter()
                .find(|k| k.as_rule() == Rule::property_key)
                .map(|k| self.ident(k))
                .ok_or_else(|| self.internal(&e))?;
            let value = ek
                .into_iter()
                .find(|k| k.as_rule() == Rule::expression)
                .ok_or_else(|| self.internal(&e))?;
            let (v, d) = self.expr(value)?;
            depth = depth.max(d);
            entries.push((key, v));
        }
        self.node(ExprKind::Map(entries), span, depth + 1)
    }
}

/// Decodes a quoted string (`text` includes its quotes; `start` is the byte offset
/// of the opening quote in the script, used for error spans).
pub(crate) fn unescape_quoted(text: &str, start: usize) -> R<String> {
    let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let at = start + 1 + i;
        let Some((_, e)) = chars.next() else {
            return Err(syntax(
                "a string cannot end with a lone backslash",
                Span::new(at, at + 1),
            ));
        };
        match e {
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let hex: String = chars.clone().take(n).map(|(_, h)| h).collect();
                let valid = hex.len() == n && hex.chars().all(|h| h.is_ascii_hexdigit());
                let ch = valid
                    .then(|| u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32))
                    .flatten();
                match ch {
                    Some(ch) => {
                        out.push(ch);
                        for _ in 0..n {
                            chars.next();
                        }
                    }
                    None => {
                        return Err(syntax(
                            format!("invalid unicode escape: `\\{e}` needs {n} hexadecimal digits naming a character"),
                            Span::new(at, at + 2 + hex.len()),
                        ));
                    }
                }
            }
            other => {
                return Err(syntax(
                    format!("unknown escape `\\{other}` in string (write `\\\\` for a backslash)"),
                    Span::new(at, at + 1 + other.len_utf8()),
                ));
            }
        }
    }
    Ok(out)
}

/// Operator precedence, loosest first.
mod prec {
    pub const OR: u8 = 1;
    pub const XOR: u8 = 2;
    pub const AND: u8 = 3;
    pub const NOT: u8 = 4;
    pub const CMP: u8 = 5;
    pub const PRED: u8 = 6;
    pub const ADD: u8 = 7;
    pub const MUL: u8 = 8;
    pub const POW: u8 = 9;
    pub const UNARY: u8 = 10;
}

/// An operator waiting for its operands.
enum Pending {
    /// A prefix operator, its precedence and where it was written.
    Prefix(UnaryOp, u8, usize),
    /// A binary operator and its precedence.
    Binary(BinaryOp, u8),
}

/// A built operand with its depth and source span; `cmp_rhs` is set when it is a
/// comparison whose right side a following comparison shares.
struct Item {
    expr: Expr,
    depth: u32,
    span: Span,
    cmp_rhs: Option<(Expr, u32, Span)>,
}

impl Item {
    fn new(expr: Expr, depth: u32, span: Span) -> Self {
        Item {
            expr,
            depth,
            span,
            cmp_rhs: None,
        }
    }
}

fn is_number_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::integer
            | Rule::hex_integer
            | Rule::octal_integer
            | Rule::float_literal
            | Rule::percent_literal
            | Rule::money_literal
    )
}

/// The span of a built statement.
pub(crate) fn statement_span(stmt: &Statement) -> Span {
    match stmt {
        Statement::Query(q) => q.span,
        Statement::Explain(_, s) | Statement::Profile(_, s) => *s,
        Statement::Schema(s) => match s {
            SchemaStatement::CreateNodeKind { span, .. }
            | SchemaStatement::CreateEdgeKind { span, .. }
            | SchemaStatement::DropKind { span, .. }
            | SchemaStatement::CreateIndex { span, .. } => *span,
            SchemaStatement::ShowSchema(span) => *span,
        },
        Statement::Question(q) => q.span,
    }
}

fn clause_name(c: &Clause) -> &'static str {
    match c {
        Clause::Match { optional: true, .. } => "OPTIONAL MATCH",
        Clause::Match { .. } => "MATCH",
        Clause::Unwind { .. } => "UNWIND",
        Clause::With(_) => "WITH",
        Clause::Return(_) => "RETURN",
        Clause::Create { .. } => "CREATE",
        Clause::Merge { .. } => "MERGE",
        Clause::Set { .. } => "SET",
        Clause::Remove { .. } => "REMOVE",
        Clause::Delete { detach: true, .. } => "DETACH DELETE",
        Clause::Delete { .. } => "DELETE",
        Clause::Cite { .. } => "CITE",
    }
}

pub(crate) fn clause_span(c: &Clause) -> Span {
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

fn is_updating(c: &Clause) -> bool {
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

/// RETURN comes last; a part ends with RETURN or an updating clause.
fn check_clause_order(clauses: &[Clause], span: Span) -> R<()> {
    for (i, c) in clauses.iter().enumerate() {
        if matches!(c, Clause::Return(_))
            && let Some(next) = clauses.get(i + 1)
        {
            return Err(syntax(
                format!(
                    "RETURN must be the last clause of a query, but {} follows it (use WITH to continue)",
                    clause_name(next)
                ),
                clause_span(next),
            ));
        }
    }
    match clauses.last() {
        Some(last) if matches!(last, Clause::Return(_)) || is_updating(last) => Ok(()),
        Some(last) => Err(syntax(
            format!(
                "a query cannot end with {}: finish it with RETURN or an updating clause such as CREATE or SET",
                clause_name(last)
            ),
            clause_span(last),
        )),
        None => Err(syntax("empty query", span)),
    }
}
