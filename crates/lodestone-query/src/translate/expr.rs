//! Expressions: resolve variables, parameters, functions and aggregates.

use super::functions::{aggregate, scalar};
use super::{Compiler, VarKind, semantic};
use crate::ast::Span;
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, Literal, PathMode, PatternPart, Quantifier, UnaryOp};
use crate::execute::values::Arith;
use crate::plan::{AggFunc, AggSpec, CExpr, CmpOp, Func, Quant, StrOp, render_expr};
use crate::{QueryError, QueryResult};
use lodestone_model::{Value, ValueKind};

fn literal(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(f) => Value::Float(*f),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Money(m) => Value::Money(*m),
        Literal::Percent(p) => Value::Percent(*p),
        Literal::Date(d) => Value::Date(*d),
    }
}

/// Whether an expression contains an aggregate call (outside nested sub-queries).
pub(crate) fn contains_aggregate(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| match &x.kind {
        ExprKind::CountStar => found = true,
        ExprKind::Call { name, .. } if aggregate(&name.name.to_ascii_lowercase()).is_some() => found = true,
        _ => {}
    });
    found
}

/// Calls `f` on every sub-expression (patterns excluded).
pub(crate) fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Literal(_)
        | ExprKind::Param(_)
        | ExprKind::Variable(_)
        | ExprKind::CountStar
        | ExprKind::Pattern(_)
        | ExprKind::PatternComprehension { .. } => {}
        ExprKind::Property(x, _) | ExprKind::Unary(_, x) | ExprKind::IsNull(x, _) | ExprKind::HasLabels(x, _) => {
            walk(x, f)
        }
        ExprKind::List(items) => items.iter().for_each(|x| walk(x, f)),
        ExprKind::Call { args, .. } => args.iter().for_each(|x| walk(x, f)),
        ExprKind::Map(items) => items.iter().for_each(|(_, x)| walk(x, f)),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        ExprKind::Slice(a, b, c) => {
            walk(a, f);
            if let Some(b) = b {
                walk(b, f);
            }
            if let Some(c) = c {
                walk(c, f);
            }
        }
        ExprKind::Case {
            subject,
            whens,
            otherwise,
        } => {
            if let Some(s) = subject {
                walk(s, f);
            }
            for (w, t) in whens {
                walk(w, f);
                walk(t, f);
            }
            if let Some(o) = otherwise {
                walk(o, f);
            }
        }
        ExprKind::ListComprehension { list, filter, map, .. } => {
            walk(list, f);
            if let Some(x) = filter {
                walk(x, f);
            }
            if let Some(x) = map {
                walk(x, f);
            }
        }
        ExprKind::Quantified { list, predicate, .. } => {
            walk(list, f);
            walk(predicate, f);
        }
        ExprKind::Reduce { init, list, step, .. } => {
            walk(init, f);
            walk(list, f);
            walk(step, f);
        }
    }
}

fn b(e: CExpr) -> Box<CExpr> {
    Box::new(e)
}

impl Compiler<'_> {
    /// Compiles an expression where aggregates are not allowed.
    pub(crate) fn expr_in(&mut self, e: &Expr, context: &'static str) -> QueryResult<CExpr> {
        let saved_agg = self.agg.take();
        let saved_ctx = std::mem::replace(&mut self.agg_context, context);
        let r = self.expr(e);
        self.agg = saved_agg;
        self.agg_context = saved_ctx;
        r
    }

    /// Compiles a predicate (WHERE): aggregates are not allowed, patterns are.
    pub(crate) fn predicate(&mut self, e: &Expr, context: &'static str) -> QueryResult<CExpr> {
        let saved = std::mem::replace(&mut self.pattern_ok, true);
        let r = self.expr_in(e, context);
        self.pattern_ok = saved;
        let c = r?;
        if let Some(k) = self.static_kind(&c)
            && k != ValueKind::Bool
        {
            return Err(self.kind_error(format!("{context} expects a boolean, got {}", k.name()), e.span));
        }
        Ok(c)
    }

    /// Declares a local variable for a comprehension and runs `f` with it in scope.
    fn with_local<T>(
        &mut self,
        vars: &[&Ident],
        f: impl FnOnce(&mut Self, &[usize]) -> QueryResult<T>,
    ) -> QueryResult<T> {
        let depth = self.scope.len();
        let mut slots = Vec::new();
        for v in vars {
            let s = self.declare(&v.name, VarKind::Value);
            self.local_slots.insert(s);
            slots.push(s);
        }
        // Aggregates cannot depend on a comprehension's own variable.
        let saved_agg = self.agg.take();
        let saved_ctx = std::mem::replace(&mut self.agg_context, "a list comprehension or quantifier");
        let r = f(self, &slots);
        self.agg = saved_agg;
        self.agg_context = saved_ctx;
        self.scope.truncate(depth);
        r
    }

    /// Compiles an expression, rejecting operands whose kind is known to be wrong.
    pub(crate) fn expr(&mut self, e: &Expr) -> QueryResult<CExpr> {
        let c = self.expr_unchecked(e)?;
        self.check_kinds(&c, e.span)?;
        Ok(c)
    }

    /// What an expression is known to yield before running (null aside), if known.
    pub(crate) fn static_kind(&self, e: &CExpr) -> Option<ValueKind> {
        use ValueKind as K;
        match e {
            CExpr::Const(v) if !v.is_null() => Some(v.kind()),
            CExpr::Slot(s) => self.slot_kinds.get(*s).copied().flatten(),
            CExpr::List(_) | CExpr::ListComp { .. } | CExpr::PatternComp(..) => Some(K::List),
            CExpr::Map(_) => Some(K::Map),
            CExpr::Not(_)
            | CExpr::And(..)
            | CExpr::Or(..)
            | CExpr::Xor(..)
            | CExpr::Cmp(..)
            | CExpr::In(..)
            | CExpr::Str(..)
            | CExpr::IsNull(..)
            | CExpr::HasLabels(..)
            | CExpr::Quant { .. }
            | CExpr::Exists(_)
            | CExpr::PropsMatch(..) => Some(K::Bool),
            CExpr::Func(f, _) => match f {
                Func::Labels
                | Func::Keys
                | Func::Nodes
                | Func::Relationships
                | Func::Split
                | Func::Range
                | Func::Tail
                | Func::Sources => Some(K::List),
                Func::Id | Func::Length | Func::Size | Func::Sign | Func::Year | Func::Month | Func::Day => {
                    Some(K::Int)
                }
                Func::ToString
                | Func::ToLower
                | Func::ToUpper
                | Func::Trim
                | Func::LTrim
                | Func::RTrim
                | Func::Substring
                | Func::Replace
                | Func::Left
                | Func::Right
                | Func::Type
                | Func::Currency => Some(K::String),
                Func::StartNode | Func::EndNode => Some(K::Node),
                Func::Properties => Some(K::Map),
                Func::Ceil
                | Func::Floor
                | Func::Round
                | Func::Sqrt
                | Func::Exp
                | Func::Log
                | Func::Log10
                | Func::Pi
                | Func::E
                | Func::Rand => Some(K::Float),
                Func::Date => Some(K::Date),
                Func::Money => Some(K::Money),
                Func::Percent => Some(K::Percent),
                Func::Exists | Func::IsEmpty => Some(K::Bool),
                _ => None,
            },
            _ => None,
        }
    }

    fn kind_error(&self, message: String, span: Span) -> QueryError {
        semantic("InvalidArgumentType", message, span)
    }

    /// Rejects an operator or function applied to a value of a kind it never accepts.
    fn check_kinds(&self, c: &CExpr, span: Span) -> QueryResult<()> {
        use ValueKind as K;
        let bool_operand = |x: &CExpr| -> QueryResult<()> {
            match self.static_kind(x) {
                Some(k) if k != K::Bool => Err(self.kind_error(format!("expected a boolean, got {}", k.name()), span)),
                _ => Ok(()),
            }
        };
        match c {
            CExpr::Not(x) => bool_operand(x)?,
            CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::Xor(a, b) => {
                bool_operand(a)?;
                bool_operand(b)?;
            }
            CExpr::In(_, l) => {
                if let Some(k) = self.static_kind(l)
                    && k != K::List
                {
                    return Err(self.kind_error(format!("IN expects a list, got {}", k.name()), span));
                }
            }
            CExpr::Arith(op, a, b) => {
                if let (Some(ka), Some(kb)) = (self.static_kind(a), self.static_kind(b))
                    && let (Some(x), Some(y)) = (sample(ka), sample(kb))
                    && let Err(QueryError::Type { message, .. }) = crate::execute::values::arith(*op, x, y)
                {
                    return Err(self.kind_error(message, span));
                }
            }
            CExpr::Prop(t, key) => {
                if let Some(k) = self.static_kind(t)
                    && !matches!(k, K::Node | K::Edge | K::Map | K::Date | K::Money)
                {
                    return Err(self.kind_error(format!("cannot read property `{key}` of {}", k.name()), span));
                }
            }
            CExpr::Func(f, args) => {
                let allowed: &[K] = match f {
                    Func::Labels => &[K::Node],
                    Func::Type | Func::StartNode | Func::EndNode => &[K::Edge],
                    Func::Properties | Func::Keys => &[K::Node, K::Edge, K::Map],
                    Func::Id => &[K::Node, K::Edge],
                    Func::Length => &[K::Path, K::String, K::List],
                    Func::Size => &[K::String, K::List, K::Map],
                    Func::Nodes | Func::Relationships => &[K::Path],
                    _ => return Ok(()),
                };
                if let Some(k) = args.first().and_then(|a| self.static_kind(a))
                    && !allowed.contains(&k)
                {
                    let names: Vec<&str> = allowed
                        .iter()
                        .map(|k| match k {
                            K::Node => "a node",
                            K::Edge => "a relationship",
                            K::Map => "a map",
                            K::Path => "a path",
                            K::String => "a string",
                            _ => "a list",
                        })
                        .collect();
                    let what = match names.split_last() {
                        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                        _ => names.join(""),
                    };
                    return Err(self.kind_error(
                        format!("{}() expects {what}, got {}", super::functions::func_name(*f), k.name()),
                        span,
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn expr_unchecked(&mut self, e: &Expr) -> QueryResult<CExpr> {
        Ok(match &e.kind {
            ExprKind::Literal(l) => CExpr::Const(literal(l)),
            ExprKind::Param(name) => match self.params.get(name) {
                Some(v) => CExpr::Const(v.clone()),
                None => {
                    return Err(QueryError::MissingParameter {
                        name: name.clone(),
                        span: e.span,
                    });
                }
            },
            ExprKind::Variable(name) => {
                let Some(v) = self.lookup(name) else {
                    return Err(semantic(
                        "UndefinedVariable",
                        format!("variable `{name}` is not defined"),
                        e.span,
                    ));
                };
                let slot = v.slot;
                self.note_ref(slot);
                CExpr::Slot(slot)
            }
            ExprKind::Property(x, key) => CExpr::Prop(b(self.expr(x)?), key.name.clone()),
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.expr(i)?);
                }
                fold_const(CExpr::List(out))
            }
            ExprKind::Map(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (k, v) in items {
                    out.push((k.name.clone(), self.expr(v)?));
                }
                fold_const(CExpr::Map(out))
            }
            ExprKind::Index(x, i) => CExpr::Index(b(self.expr(x)?), b(self.expr(i)?)),
            ExprKind::Slice(x, from, to) => {
                let x = self.expr(x)?;
                let from = match from {
                    Some(f) => Some(b(self.expr(f)?)),
                    None => None,
                };
                let to = match to {
                    Some(t) => Some(b(self.expr(t)?)),
                    None => None,
                };
                CExpr::Slice(b(x), from, to)
            }
            ExprKind::Unary(op, x) => {
                let c = self.expr(x)?;
                match op {
                    UnaryOp::Not => CExpr::Not(b(c)),
                    UnaryOp::Neg => match c {
                        CExpr::Const(Value::Int(i)) if i != i64::MIN => CExpr::Const(Value::Int(-i)),
                        CExpr::Const(Value::Float(f)) => CExpr::Const(Value::Float(-f)),
                        other => CExpr::Neg(b(other)),
                    },
                    UnaryOp::Plus => c,
                }
            }
            ExprKind::Binary(op, x, y) => {
                if *op == BinaryOp::Regex {
                    return Err(QueryError::Unsupported {
                        what: "regular expression matching (=~)".into(),
                        span: Some(e.span),
                    });
                }
                let l = b(self.expr(x)?);
                let r = b(self.expr(y)?);
                match op {
                    BinaryOp::Or => CExpr::Or(l, r),
                    BinaryOp::Xor => CExpr::Xor(l, r),
                    BinaryOp::And => CExpr::And(l, r),
                    BinaryOp::Eq => CExpr::Cmp(CmpOp::Eq, l, r),
                    BinaryOp::Ne => CExpr::Cmp(CmpOp::Ne, l, r),
                    BinaryOp::Lt => CExpr::Cmp(CmpOp::Lt, l, r),
                    BinaryOp::Le => CExpr::Cmp(CmpOp::Le, l, r),
                    BinaryOp::Gt => CExpr::Cmp(CmpOp::Gt, l, r),
                    BinaryOp::Ge => CExpr::Cmp(CmpOp::Ge, l, r),
                    BinaryOp::Add => CExpr::Arith(Arith::Add, l, r),
                    BinaryOp::Sub => CExpr::Arith(Arith::Sub, l, r),
                    BinaryOp::Mul => CExpr::Arith(Arith::Mul, l, r),
                    BinaryOp::Div => CExpr::Arith(Arith::Div, l, r),
                    BinaryOp::Mod => CExpr::Arith(Arith::Mod, l, r),
                    BinaryOp::Pow => CExpr::Arith(Arith::Pow, l, r),
                    BinaryOp::In => CExpr::In(l, r),
                    BinaryOp::StartsWith => CExpr::Str(StrOp::StartsWith, l, r),
                    BinaryOp::EndsWith => CExpr::Str(StrOp::EndsWith, l, r),
                    BinaryOp::Contains => CExpr::Str(StrOp::Contains, l, r),
                    BinaryOp::Regex => unreachable_regex(),
                }
            }
            ExprKind::IsNull(x, not) => CExpr::IsNull(b(self.expr(x)?), *not),
            ExprKind::HasLabels(x, labels) => {
                CExpr::HasLabels(b(self.expr(x)?), labels.iter().map(|l| l.name.clone()).collect())
            }
            ExprKind::CountStar => self.aggregate_call(AggFunc::CountStar, false, None, None, e)?,
            ExprKind::Call { name, distinct, args } => self.call(name, *distinct, args, e)?,
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                let subject = match subject {
                    Some(s) => Some(b(self.expr(s)?)),
                    None => None,
                };
                let mut ws = Vec::with_capacity(whens.len());
                for (w, t) in whens {
                    ws.push((self.expr(w)?, self.expr(t)?));
                }
                let otherwise = match otherwise {
                    Some(o) => Some(b(self.expr(o)?)),
                    None => None,
                };
                CExpr::Case {
                    subject,
                    whens: ws,
                    otherwise,
                }
            }
            ExprKind::ListComprehension { var, list, filter, map } => {
                let list = self.expr(list)?;
                let elem = element_kind(&list);
                self.with_local(&[var], |s, slots| {
                    s.slot_kinds[slots[0]] = elem;
                    let filter = match filter {
                        Some(f) => Some(b(s.expr(f)?)),
                        None => None,
                    };
                    let map = match map {
                        Some(m) => Some(b(s.expr(m)?)),
                        None => None,
                    };
                    Ok(CExpr::ListComp {
                        slot: slots[0],
                        list: b(list),
                        filter,
                        map,
                    })
                })?
            }
            ExprKind::Quantified {
                quantifier,
                var,
                list,
                predicate,
            } => {
                let list = self.expr(list)?;
                let q = match quantifier {
                    Quantifier::All => Quant::All,
                    Quantifier::Any => Quant::Any,
                    Quantifier::None => Quant::None,
                    Quantifier::Single => Quant::Single,
                };
                let elem = element_kind(&list);
                self.with_local(&[var], |s, slots| {
                    s.slot_kinds[slots[0]] = elem;
                    Ok(CExpr::Quant {
                        q,
                        slot: slots[0],
                        list: b(list),
                        pred: b(s.expr(predicate)?),
                    })
                })?
            }
            ExprKind::Reduce {
                acc,
                init,
                var,
                list,
                step,
            } => {
                let init = self.expr(init)?;
                let list = self.expr(list)?;
                self.with_local(&[acc, var], |s, slots| {
                    Ok(CExpr::Reduce {
                        acc: slots[0],
                        init: b(init),
                        slot: slots[1],
                        list: b(list),
                        step: b(s.expr(step)?),
                    })
                })?
            }
            ExprKind::Pattern(element) => {
                // The parser folds `exists(pattern)` into the pattern itself, with the
                // call's span: that form is allowed anywhere, a bare pattern only in WHERE.
                let wrapped = e.span.start < element.start.span.start;
                if !self.pattern_ok && !wrapped {
                    return Err(semantic(
                        "UnexpectedSyntax",
                        "a pattern can only be used as a predicate in WHERE or inside exists()",
                        e.span,
                    ));
                }
                if element.chain.is_empty() {
                    return Err(semantic(
                        "InvalidArgumentType",
                        "a pattern used as a predicate needs at least one relationship",
                        e.span,
                    ));
                }
                let named = std::iter::once(element.start.var.as_ref())
                    .chain(element.chain.iter().flat_map(|(r, n)| [r.var.as_ref(), n.var.as_ref()]))
                    .flatten();
                for v in named {
                    if self.lookup(&v.name).is_none() {
                        return Err(semantic(
                            "UndefinedVariable",
                            format!(
                                "variable `{}` is not defined (a pattern predicate cannot introduce new variables)",
                                v.name
                            ),
                            v.span,
                        ));
                    }
                }
                let part = PatternPart {
                    var: None,
                    mode: PathMode::All,
                    element: (**element).clone(),
                    span: e.span,
                };
                let op = self.sub_pattern(&part, None)?;
                CExpr::Exists(Box::new(op))
            }
            ExprKind::PatternComprehension { pattern, filter, map } => {
                let depth = self.scope.len();
                let r = (|| -> QueryResult<CExpr> {
                    let op = self.sub_pattern_open(pattern, filter.as_deref())?;
                    let m = self.expr(map)?;
                    Ok(CExpr::PatternComp(Box::new(op), b(m)))
                })();
                self.scope.truncate(depth);
                r?
            }
        })
    }

    /// Plans a pattern inside an expression; its new variables stay local to it.
    fn sub_pattern(&mut self, part: &PatternPart, filter: Option<&Expr>) -> QueryResult<crate::plan::Op> {
        let depth = self.scope.len();
        let r = self.sub_pattern_open(part, filter);
        self.scope.truncate(depth);
        r
    }

    /// Like [`Self::sub_pattern`] but leaves the pattern's variables in scope.
    fn sub_pattern_open(&mut self, part: &PatternPart, filter: Option<&Expr>) -> QueryResult<crate::plan::Op> {
        let depth = self.scope.len();
        let bound = self.scope_slots();
        let saved_agg = self.agg.take();
        let r = (|| {
            let ir = self.declare_pattern(std::slice::from_ref(part), true)?;
            let mut locals: Vec<usize> = self.scope[depth..].iter().map(|v| v.slot).collect();
            locals.extend(ir.anon_slots.iter().copied());
            let start = self.start();
            // The pattern's own variables count as dependencies inside it (so its
            // filter runs once they are bound) but are local to the outside.
            let op = self.plan_pattern(start, ir, filter, bound, false);
            self.local_slots.extend(locals.iter().copied());
            self.refs.retain(|s| !locals.contains(s));
            op
        })();
        self.agg = saved_agg;
        r
    }

    fn call(&mut self, name: &Ident, distinct: bool, args: &[Expr], e: &Expr) -> QueryResult<CExpr> {
        let lname = name.name.to_ascii_lowercase();
        if let Some(f) = aggregate(&lname) {
            let want = if matches!(f, AggFunc::PercentileCont | AggFunc::PercentileDisc) {
                2
            } else {
                1
            };
            if args.len() != want {
                return Err(semantic(
                    "InvalidNumberOfArguments",
                    format!(
                        "function `{}` takes {want} argument{}, got {}",
                        f.name(),
                        if want == 1 { "" } else { "s" },
                        args.len()
                    ),
                    e.span,
                ));
            }
            return self.aggregate_call(f, distinct, Some(&args[0]), args.get(1), e);
        }
        let Some((func, min, max, canonical)) = scalar(&lname) else {
            return Err(semantic(
                "UnknownFunction",
                format!("unknown function `{}`", name.name),
                name.span,
            ));
        };
        if args.len() < min || args.len() > max {
            let wanted = if min == max {
                format!("{min} argument{}", if min == 1 { "" } else { "s" })
            } else if max == usize::MAX {
                format!("at least {min} argument{}", if min == 1 { "" } else { "s" })
            } else {
                format!("{min} to {max} arguments")
            };
            return Err(semantic(
                "InvalidNumberOfArguments",
                format!("function `{canonical}` takes {wanted}, got {}", args.len()),
                e.span,
            ));
        }
        if distinct {
            return Err(semantic(
                "InvalidArgument",
                format!("DISTINCT is only allowed in aggregate functions, not in `{canonical}`"),
                e.span,
            ));
        }
        if func == Func::Exists
            && let ExprKind::Pattern(_) = &args[0].kind
        {
            let saved = std::mem::replace(&mut self.pattern_ok, true);
            let r = self.expr(&args[0]);
            self.pattern_ok = saved;
            return r;
        }
        let mut cargs = Vec::with_capacity(args.len());
        for a in args {
            cargs.push(self.expr(a)?);
        }
        if func == Func::Exists {
            return Ok(CExpr::IsNull(b(cargs.remove(0)), true));
        }
        Ok(CExpr::Func(func, cargs))
    }

    fn aggregate_call(
        &mut self,
        func: AggFunc,
        distinct: bool,
        arg: Option<&Expr>,
        param: Option<&Expr>,
        e: &Expr,
    ) -> QueryResult<CExpr> {
        if self.in_agg {
            return Err(semantic(
                "NestedAggregation",
                "aggregate functions cannot be nested",
                e.span,
            ));
        }
        if self.agg.is_none() {
            return Err(semantic(
                "InvalidAggregation",
                format!(
                    "aggregate function `{}` is not allowed in {}",
                    func.name(),
                    self.agg_context
                ),
                e.span,
            ));
        }
        self.in_agg = true;
        let compiled = match arg {
            Some(a) => self.expr(a).map(Some),
            None => Ok(None),
        };
        let param = match (&compiled, param) {
            (Ok(_), Some(p)) => self.expr(p).map(Some),
            _ => Ok(None),
        };
        self.in_agg = false;
        let compiled = compiled?;
        let param = param?;
        if let Some(c) = &compiled {
            let mut random = false;
            c.clone().rewrite(&mut |x| {
                random |= matches!(x, CExpr::Func(Func::Rand, _));
                None
            });
            if random {
                return Err(semantic(
                    "NonConstantExpression",
                    format!(
                        "`{}` cannot aggregate rand(): its value changes on every row",
                        func.name()
                    ),
                    e.span,
                ));
            }
        }
        let canon = format!(
            "{}{}({}{})",
            func.name(),
            if distinct { " distinct" } else { "" },
            param
                .as_ref()
                .map(|p| format!("{}, ", render_expr(p, None)))
                .unwrap_or_default(),
            compiled
                .as_ref()
                .map(|c| if c.has_subplan() {
                    format!("#{}", e.span.start)
                } else {
                    render_expr(c, None)
                })
                .unwrap_or_else(|| "*".into())
        );
        let existing = self
            .agg
            .as_ref()
            .and_then(|a| a.canon.iter().position(|c| *c == canon).map(|i| a.specs[i].slot));
        if let Some(slot) = existing {
            return Ok(CExpr::Slot(slot));
        }
        let shown = format!(
            "{}({}{})",
            func.name(),
            if distinct { "DISTINCT " } else { "" },
            compiled
                .as_ref()
                .map(|c| render_expr(c, Some(&self.slot_names)))
                .unwrap_or_else(|| "*".into())
        );
        let slot = self.new_slot(&shown);
        self.slot_kinds[slot] = match func {
            AggFunc::Count | AggFunc::CountStar => Some(ValueKind::Int),
            AggFunc::Collect => Some(ValueKind::List),
            _ => None,
        };
        if let Some(a) = self.agg.as_mut() {
            a.specs.push(AggSpec {
                slot,
                func,
                arg: compiled,
                param,
                distinct,
            });
            a.canon.push(canon);
        }
        Ok(CExpr::Slot(slot))
    }
}

/// The kind every element of a constant list shares, if any.
fn element_kind(list: &CExpr) -> Option<ValueKind> {
    let CExpr::Const(Value::List(items)) = list else {
        return None;
    };
    let first = items.first()?.kind();
    (first != ValueKind::Null && items.iter().all(|i| i.kind() == first)).then_some(first)
}

/// A value of a kind, to try an operator on at compile time (elements and quantities excluded).
fn sample(k: ValueKind) -> Option<Value> {
    use lodestone_model::{Decimal, PartialDate};
    Some(match k {
        ValueKind::Bool => Value::Bool(true),
        ValueKind::Int => Value::Int(1),
        ValueKind::Float => Value::Float(1.0),
        ValueKind::String => Value::String("a".into()),
        ValueKind::List => Value::List(Vec::new()),
        ValueKind::Map => Value::Map(Default::default()),
        ValueKind::Date => Value::Date(PartialDate::year(2000)),
        ValueKind::Percent => Value::Percent(Decimal::ONE),
        _ => return None,
    })
}

fn unreachable_regex() -> CExpr {
    CExpr::Const(Value::Null)
}

/// Turns a list or map of constants into one constant.
fn fold_const(e: CExpr) -> CExpr {
    match e {
        CExpr::List(items) if items.iter().all(|i| matches!(i, CExpr::Const(_))) => CExpr::Const(Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    CExpr::Const(v) => v,
                    _ => Value::Null,
                })
                .collect(),
        )),
        CExpr::Map(items) if items.iter().all(|(_, i)| matches!(i, CExpr::Const(_))) => CExpr::Const(Value::Map(
            items
                .into_iter()
                .map(|(k, i)| match i {
                    CExpr::Const(v) => (k, v),
                    _ => (k, Value::Null),
                })
                .collect(),
        )),
        other => other,
    }
}
