//! Scalar functions, and filling in element values when they leave the engine.

use super::Ctx;
use super::values::{decimal_to_value, kind_name, node_val};
use crate::plan::Func;
use crate::{QueryError, QueryResult};
use lodestone_model::{Citation, Decimal, EdgeValue, Money, NodeValue, PartialDate, PathValue, Value};
use rust_decimal::prelude::FromPrimitive;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

fn type_error(message: String) -> QueryError {
    QueryError::Type { message, span: None }
}

fn arg_error(message: String) -> QueryError {
    QueryError::Argument { message, span: None }
}

fn expect(name: &str, what: &str, v: &Value) -> QueryError {
    type_error(format!("{name}() expects {what}, got {}", kind_name(v)))
}

/// The error for reading a deleted element.
fn gone(ctx: &Ctx, v: &Value) -> QueryError {
    let r = match v {
        Value::Node(n) => ctx.check_node_alive(n.id),
        Value::Edge(e) => ctx.check_edge_alive(e.id),
        _ => Ok(()),
    };
    r.err().unwrap_or_else(|| type_error("deleted element".into()))
}

fn int_arg(name: &str, v: &Value) -> QueryResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(expect(name, "an integer", other)),
    }
}

fn str_fn(name: &str, v: &Value, f: impl FnOnce(&str) -> Value) -> QueryResult<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::String(s) => Ok(f(s)),
        other => Err(expect(name, "a string", other)),
    }
}

fn num_fn(
    name: &str,
    v: &Value,
    fi: impl FnOnce(i64) -> QueryResult<Value>,
    ff: impl FnOnce(f64) -> Value,
) -> QueryResult<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Int(i) => fi(*i),
        Value::Float(f) => Ok(ff(*f)),
        other => Err(expect(name, "a number", other)),
    }
}

fn citation_value(c: &Citation) -> Value {
    let mut m = BTreeMap::new();
    m.insert("source".to_string(), Value::String(c.source.clone()));
    m.insert("line".to_string(), c.line.map_or(Value::Null, |l| Value::Int(l as i64)));
    m.insert("note".to_string(), c.note.clone().map_or(Value::Null, Value::String));
    Value::Map(m)
}

fn collect_citations(ctx: &mut Ctx, v: &Value, out: &mut Vec<Citation>) -> QueryResult<()> {
    match v {
        Value::Node(n) => {
            if let Some(r) = ctx.node_record(n.id)? {
                out.extend(r.citations.iter().cloned());
            }
        }
        Value::Edge(e) => {
            if let Some(r) = ctx.edge_record(e.id)? {
                out.extend(r.citations.iter().cloned());
            }
        }
        Value::Path(p) => {
            for (i, n) in p.nodes.iter().enumerate() {
                collect_citations(ctx, &Value::Node(Box::new(n.clone())), out)?;
                if let Some(e) = p.edges.get(i) {
                    collect_citations(ctx, &Value::Edge(Box::new(e.clone())), out)?;
                }
            }
        }
        Value::List(items) => {
            for i in items {
                collect_citations(ctx, i, out)?;
            }
        }
        Value::Null => {}
        other => return Err(expect("sources", "a node, relationship or path", other)),
    }
    Ok(())
}

fn to_integer(v: &Value) -> QueryResult<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(i) => Value::Int(*i),
        Value::Float(f) => {
            if f.is_finite() && f.abs() < 9.2e18 {
                Value::Int(f.trunc() as i64)
            } else {
                Value::Null
            }
        }
        Value::Bool(b) => Value::Int(*b as i64),
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                Value::Int(i)
            } else if let Ok(f) = t.parse::<f64>() {
                if f.is_finite() && f.abs() < 9.2e18 {
                    Value::Int(f.trunc() as i64)
                } else {
                    Value::Null
                }
            } else {
                Value::Null
            }
        }
        Value::Percent(p) => decimal_to_value(p.trunc()),
        other => return Err(expect("toInteger", "a number, boolean or string", other)),
    })
}

fn to_float(v: &Value) -> QueryResult<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(i) => Value::Float(*i as f64),
        Value::Float(f) => Value::Float(*f),
        Value::String(s) => s.trim().parse::<f64>().map_or(Value::Null, Value::Float),
        Value::Percent(_) => v.as_f64().map_or(Value::Null, Value::Float),
        other => return Err(expect("toFloat", "a number or string", other)),
    })
}

fn to_boolean(v: &Value) -> QueryResult<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Bool(b) => Value::Bool(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        Value::Int(i) => Value::Bool(*i != 0),
        other => return Err(expect("toBoolean", "a boolean, string or integer", other)),
    })
}

fn char_slice(s: &str, start: usize, len: Option<usize>) -> String {
    let it = s.chars().skip(start);
    match len {
        Some(n) => it.take(n).collect(),
        None => it.collect(),
    }
}

fn non_negative(name: &str, v: &Value) -> QueryResult<usize> {
    let i = int_arg(name, v)?;
    usize::try_from(i).map_err(|_| arg_error(format!("{name}() expects a non-negative integer, got {i}")))
}

/// A pseudo-random float in `[0, 1)` (xorshift, seeded per thread from the clock).
fn random_unit() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
                | 1,
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn round_half_away(f: f64) -> f64 {
    f.round()
}

/// Calls a scalar function on evaluated arguments.
pub(crate) fn call(f: Func, args: Vec<Value>, ctx: &mut Ctx) -> QueryResult<Value> {
    let a0 = args.first().cloned().unwrap_or(Value::Null);
    let null0 = a0.is_null();
    Ok(match f {
        Func::Id => match &a0 {
            Value::Null => Value::Null,
            Value::Node(n) => Value::Int(n.id.0 as i64),
            Value::Edge(e) => Value::Int(e.id.0 as i64),
            other => return Err(expect("id", "a node or relationship", other)),
        },
        Func::Labels => match &a0 {
            Value::Null => Value::Null,
            Value::Node(n) => {
                ctx.check_node_alive(n.id)?;
                Value::List(ctx.read().labels(n.id)?.into_iter().map(Value::String).collect())
            }
            other => return Err(expect("labels", "a node", other)),
        },
        Func::Type => match &a0 {
            Value::Null => Value::Null,
            Value::Edge(e) => match ctx.read().edge_ends(e.id)? {
                Some((t, _, _)) => Value::String(t),
                None => ctx.deleted_edges.get(&e.id).cloned().map_or(Value::Null, Value::String),
            },
            other => return Err(expect("type", "a relationship", other)),
        },
        Func::Properties => match &a0 {
            Value::Null => Value::Null,
            Value::Node(n) if ctx.deleted_nodes.contains(&n.id) => return Err(gone(ctx, &a0)),
            Value::Edge(e) if ctx.deleted_edges.contains_key(&e.id) => return Err(gone(ctx, &a0)),
            Value::Node(n) => Value::Map(ctx.node_record(n.id)?.map(|r| r.props.clone()).unwrap_or_default()),
            Value::Edge(e) => Value::Map(ctx.edge_record(e.id)?.map(|r| r.props.clone()).unwrap_or_default()),
            Value::Map(m) => Value::Map(m.clone()),
            other => return Err(expect("properties", "a node, relationship or map", other)),
        },
        Func::Keys => match &a0 {
            Value::Null => Value::Null,
            Value::Node(n) if ctx.deleted_nodes.contains(&n.id) => return Err(gone(ctx, &a0)),
            Value::Edge(e) if ctx.deleted_edges.contains_key(&e.id) => return Err(gone(ctx, &a0)),
            Value::Node(n) => Value::List(
                ctx.node_record(n.id)?
                    .map(|r| r.props.keys().cloned().map(Value::String).collect())
                    .unwrap_or_default(),
            ),
            Value::Edge(e) => Value::List(
                ctx.edge_record(e.id)?
                    .map(|r| r.props.keys().cloned().map(Value::String).collect())
                    .unwrap_or_default(),
            ),
            Value::Map(m) => Value::List(m.keys().cloned().map(Value::String).collect()),
            other => return Err(expect("keys", "a node, relationship or map", other)),
        },
        Func::Nodes => match a0 {
            Value::Null => Value::Null,
            Value::Path(p) => Value::List(p.nodes.into_iter().map(|n| Value::Node(Box::new(n))).collect()),
            other => return Err(expect("nodes", "a path", &other)),
        },
        Func::Relationships => match a0 {
            Value::Null => Value::Null,
            Value::Path(p) => Value::List(p.edges.into_iter().map(|e| Value::Edge(Box::new(e))).collect()),
            other => return Err(expect("relationships", "a path", &other)),
        },
        Func::Length => match &a0 {
            Value::Null => Value::Null,
            Value::Path(p) => Value::Int(p.edges.len() as i64),
            Value::String(s) => Value::Int(s.chars().count() as i64),
            Value::List(l) => Value::Int(l.len() as i64),
            other => return Err(expect("length", "a path", other)),
        },
        Func::Size => match &a0 {
            Value::Null => Value::Null,
            Value::String(s) => Value::Int(s.chars().count() as i64),
            Value::List(l) => Value::Int(l.len() as i64),
            Value::Map(m) => Value::Int(m.len() as i64),
            other => return Err(expect("size", "a string or list", other)),
        },
        Func::IsEmpty => match &a0 {
            Value::Null => Value::Null,
            Value::String(s) => Value::Bool(s.is_empty()),
            Value::List(l) => Value::Bool(l.is_empty()),
            Value::Map(m) => Value::Bool(m.is_empty()),
            other => return Err(expect("isEmpty", "a string, list or map", other)),
        },
        Func::StartNode | Func::EndNode => match &a0 {
            Value::Null => Value::Null,
            Value::Edge(e) => {
                let (s, t) = match ctx.read().edge_ends(e.id)? {
                    Some((_, s, t)) => (s, t),
                    None => (e.start, e.end),
                };
                node_val(if f == Func::StartNode { s } else { t })
            }
            other => return Err(expect("startNode", "a relationship", other)),
        },
        Func::Coalesce => args.into_iter().find(|v| !v.is_null()).unwrap_or(Value::Null),
        Func::ToString => match &a0 {
            Value::Null => Value::Null,
            Value::String(s) => Value::String(s.clone()),
            Value::Int(_)
            | Value::Float(_)
            | Value::Bool(_)
            | Value::Date(_)
            | Value::Money(_)
            | Value::Percent(_)
            | Value::Quantity(_) => Value::String(a0.to_plain_string()),
            other => return Err(expect("toString", "a number, boolean, string or domain value", other)),
        },
        Func::ToInteger => to_integer(&a0)?,
        Func::ToFloat => to_float(&a0)?,
        Func::ToBoolean => to_boolean(&a0)?,
        Func::ToLower => str_fn("toLower", &a0, |s| Value::String(s.to_lowercase()))?,
        Func::ToUpper => str_fn("toUpper", &a0, |s| Value::String(s.to_uppercase()))?,
        Func::Trim => str_fn("trim", &a0, |s| Value::String(s.trim().to_string()))?,
        Func::LTrim => str_fn("ltrim", &a0, |s| Value::String(s.trim_start().to_string()))?,
        Func::RTrim => str_fn("rtrim", &a0, |s| Value::String(s.trim_end().to_string()))?,
        Func::Substring => {
            if null0 {
                return Ok(Value::Null);
            }
            let Value::String(s) = &a0 else {
                return Err(expect("substring", "a string", &a0));
            };
            let start = non_negative("substring", &args[1])?;
            let len = match args.get(2) {
                Some(v) => Some(non_negative("substring", v)?),
                None => None,
            };
            Value::String(char_slice(s, start, len))
        }
        Func::Split => {
            if null0 || args[1].is_null() {
                return Ok(Value::Null);
            }
            let (Value::String(s), Value::String(d)) = (&a0, &args[1]) else {
                return Err(type_error("split() expects two strings".into()));
            };
            let parts = if d.is_empty() {
                s.chars().count()
            } else {
                s.matches(d.as_str()).count().saturating_add(1)
            };
            super::limits::check_list_len(parts)?;
            if d.is_empty() {
                Value::List(s.chars().map(|c| Value::String(c.to_string())).collect())
            } else {
                Value::List(s.split(d.as_str()).map(|p| Value::String(p.to_string())).collect())
            }
        }
        Func::Replace => {
            if args.iter().any(Value::is_null) {
                return Ok(Value::Null);
            }
            let (Value::String(s), Value::String(from), Value::String(to)) = (&a0, &args[1], &args[2]) else {
                return Err(type_error("replace() expects three strings".into()));
            };
            if from.is_empty() {
                Value::String(s.clone())
            } else {
                if to.len() > from.len() {
                    let hits = s.matches(from.as_str()).count();
                    let grows = hits.saturating_mul(to.len() - from.len());
                    super::limits::check_string_len(s.len().saturating_add(grows))?;
                }
                Value::String(s.replace(from.as_str(), to))
            }
        }
        Func::Reverse => match a0 {
            Value::Null => Value::Null,
            Value::String(s) => Value::String(s.chars().rev().collect()),
            Value::List(mut l) => {
                l.reverse();
                Value::List(l)
            }
            other => return Err(expect("reverse", "a string or list", &other)),
        },
        Func::Left | Func::Right => {
            if null0 {
                return Ok(Value::Null);
            }
            let name = if f == Func::Left { "left" } else { "right" };
            let Value::String(s) = &a0 else {
                return Err(expect(name, "a string", &a0));
            };
            if args[1].is_null() {
                return Err(arg_error(format!("{name}() expects a length, got null")));
            }
            let n = non_negative(name, &args[1])?;
            let count = s.chars().count();
            if f == Func::Left {
                Value::String(s.chars().take(n).collect())
            } else {
                Value::String(s.chars().skip(count.saturating_sub(n)).collect())
            }
        }
        Func::Abs => match &a0 {
            Value::Money(m) => Value::Money(Money::new(m.amount.abs(), &m.currency)?),
            Value::Percent(p) => Value::Percent(p.abs()),
            _ => num_fn(
                "abs",
                &a0,
                |i| {
                    i.checked_abs().map(Value::Int).ok_or_else(|| QueryError::Arithmetic {
                        message: "integer overflow".into(),
                        span: None,
                    })
                },
                |x| Value::Float(x.abs()),
            )?,
        },
        Func::Ceil => num_fn("ceil", &a0, |i| Ok(Value::Float(i as f64)), |x| Value::Float(x.ceil()))?,
        Func::Floor => num_fn(
            "floor",
            &a0,
            |i| Ok(Value::Float(i as f64)),
            |x| Value::Float(x.floor()),
        )?,
        Func::Round => {
            if args.len() > 1 {
                let digits = int_arg("round", &args[1])?;
                let factor = 10f64.powi(digits.clamp(-300, 300) as i32);
                num_fn(
                    "round",
                    &a0,
                    |i| Ok(Value::Float(i as f64)),
                    |x| Value::Float(round_half_away(x * factor) / factor),
                )?
            } else {
                num_fn(
                    "round",
                    &a0,
                    |i| Ok(Value::Float(i as f64)),
                    |x| Value::Float(round_half_away(x)),
                )?
            }
        }
        Func::Sign => num_fn(
            "sign",
            &a0,
            |i| Ok(Value::Int(i.signum())),
            |x| {
                Value::Int(if x > 0.0 {
                    1
                } else if x < 0.0 {
                    -1
                } else {
                    0
                })
            },
        )?,
        Func::Sqrt => num_fn(
            "sqrt",
            &a0,
            |i| Ok(Value::Float((i as f64).sqrt())),
            |x| Value::Float(x.sqrt()),
        )?,
        Func::Exp => num_fn(
            "exp",
            &a0,
            |i| Ok(Value::Float((i as f64).exp())),
            |x| Value::Float(x.exp()),
        )?,
        Func::Log => num_fn(
            "log",
            &a0,
            |i| Ok(Value::Float((i as f64).ln())),
            |x| Value::Float(x.ln()),
        )?,
        Func::Log10 => num_fn(
            "log10",
            &a0,
            |i| Ok(Value::Float((i as f64).log10())),
            |x| Value::Float(x.log10()),
        )?,
        Func::Pi => Value::Float(std::f64::consts::PI),
        Func::E => Value::Float(std::f64::consts::E),
        Func::Rand => Value::Float(random_unit()),
        Func::Range => {
            let int = |v: &Value| match v {
                Value::Int(i) => Ok(*i),
                other => Err(arg_error(format!("range() expects integers, got {}", kind_name(other)))),
            };
            let start = int(&a0)?;
            let end = int(&args[1])?;
            let step = match args.get(2) {
                Some(v) => int(v)?,
                None => 1,
            };
            if step == 0 {
                return Err(arg_error("range() step must not be zero".into()));
            }
            let count = if (step > 0 && start > end) || (step < 0 && start < end) {
                0
            } else {
                ((end as i128 - start as i128) / step as i128 + 1) as u128
            };
            if count > 10_000_000 {
                return Err(arg_error(format!(
                    "range() would produce {count} elements: the list is too large (the limit is {})",
                    super::limits::MAX_LIST_LEN
                )));
            }
            let mut out = Vec::with_capacity(count as usize);
            let mut cur = start as i128;
            for _ in 0..count {
                out.push(Value::Int(cur as i64));
                cur += step as i128;
            }
            Value::List(out)
        }
        Func::Head => match a0 {
            Value::Null => Value::Null,
            Value::List(l) => l.into_iter().next().unwrap_or(Value::Null),
            other => return Err(expect("head", "a list", &other)),
        },
        Func::Last => match a0 {
            Value::Null => Value::Null,
            Value::List(l) => l.into_iter().last().unwrap_or(Value::Null),
            other => return Err(expect("last", "a list", &other)),
        },
        Func::Tail => match a0 {
            Value::Null => Value::Null,
            Value::List(l) => Value::List(l.into_iter().skip(1).collect()),
            other => return Err(expect("tail", "a list", &other)),
        },
        Func::Exists => Value::Bool(!null0),
        Func::Date => match &a0 {
            Value::Null => Value::Null,
            Value::Date(d) => Value::Date(*d),
            Value::String(s) => Value::Date(PartialDate::from_str(s)?),
            Value::Int(y) => Value::Date(PartialDate::year(
                i32::try_from(*y).map_err(|_| arg_error(format!("date() year {y} is out of range")))?,
            )),
            other => return Err(expect("date", "a string", other)),
        },
        Func::Money => {
            if null0 || args[1].is_null() {
                return Ok(Value::Null);
            }
            let Value::String(cur) = &args[1] else {
                return Err(expect("money", "a currency code as second argument", &args[1]));
            };
            let amount = match &a0 {
                Value::Int(i) => Decimal::from(*i),
                Value::Float(x) => {
                    Decimal::from_f64(*x).ok_or_else(|| arg_error(format!("money() cannot represent {x}")))?
                }
                Value::String(s) => Money::parse_amount(s)?,
                Value::Money(m) => m.amount,
                other => return Err(expect("money", "a number or string amount", other)),
            };
            Value::Money(Money::new(amount, cur)?)
        }
        Func::Amount => match &a0 {
            Value::Null => Value::Null,
            Value::Money(m) => decimal_to_value(m.amount),
            Value::Quantity(q) => decimal_to_value(q.amount),
            other => return Err(expect("amount", "money", other)),
        },
        Func::Currency => match &a0 {
            Value::Null => Value::Null,
            Value::Money(m) => Value::String(m.currency.to_string()),
            other => return Err(expect("currency", "money", other)),
        },
        Func::Year | Func::Month | Func::Day => match &a0 {
            Value::Null => Value::Null,
            Value::Date(d) => match f {
                Func::Year => Value::Int(d.year_part() as i64),
                Func::Month => d.month_part().map_or(Value::Null, |m| Value::Int(m as i64)),
                _ => d.day_part().map_or(Value::Null, |m| Value::Int(m as i64)),
            },
            other => return Err(expect("year", "a date", other)),
        },
        Func::Percent => match &a0 {
            Value::Null => Value::Null,
            Value::Percent(p) => Value::Percent(*p),
            Value::Int(i) => Value::Percent(Decimal::from(*i)),
            Value::Float(x) => Value::Percent(
                Decimal::from_f64(*x)
                    .ok_or_else(|| arg_error(format!("percent() cannot represent {x}")))?
                    .normalize(),
            ),
            Value::String(s) => {
                let t = s.trim().trim_end_matches('%').trim();
                Value::Percent(
                    Decimal::from_str(t)
                        .map_err(|_| arg_error(format!("percent() cannot read `{s}`")))?
                        .normalize(),
                )
            }
            other => return Err(expect("percent", "a number or string", other)),
        },
        Func::Sources => {
            let mut all = Vec::new();
            collect_citations(ctx, &a0, &mut all)?;
            if null0 {
                return Ok(Value::Null);
            }
            let mut seen = HashSet::new();
            Value::List(
                all.into_iter()
                    .filter(|c| seen.insert(c.clone()))
                    .map(|c| citation_value(&c))
                    .collect(),
            )
        }
    })
}

/// Replaces light element values with full ones (labels, type and properties read from the graph).
pub(crate) fn materialize(ctx: &mut Ctx, v: Value) -> QueryResult<Value> {
    Ok(match v {
        Value::Node(n) => Value::Node(Box::new(full_node(ctx, *n)?)),
        Value::Edge(e) => Value::Edge(Box::new(full_edge(ctx, *e)?)),
        Value::Path(p) => {
            let PathValue { nodes, edges } = *p;
            let mut ns = Vec::with_capacity(nodes.len());
            for n in nodes {
                ns.push(full_node(ctx, n)?);
            }
            let mut es = Vec::with_capacity(edges.len());
            for e in edges {
                es.push(full_edge(ctx, e)?);
            }
            Value::Path(Box::new(PathValue { nodes: ns, edges: es }))
        }
        Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(materialize(ctx, i)?);
            }
            Value::List(out)
        }
        Value::Map(m) => {
            let mut out = BTreeMap::new();
            for (k, i) in m {
                out.insert(k, materialize(ctx, i)?);
            }
            Value::Map(out)
        }
        other => other,
    })
}

fn full_node(ctx: &mut Ctx, n: NodeValue) -> QueryResult<NodeValue> {
    Ok(match ctx.node_record(n.id)? {
        Some(r) => NodeValue {
            id: n.id,
            labels: r.labels.clone(),
            props: r.props.clone(),
        },
        None => n,
    })
}

fn full_edge(ctx: &mut Ctx, e: EdgeValue) -> QueryResult<EdgeValue> {
    Ok(match ctx.edge_record(e.id)? {
        Some(r) => EdgeValue {
            id: e.id,
            rel_type: r.rel_type.clone(),
            start: r.start,
            end: r.end,
            props: r.props.clone(),
        },
        None => e,
    })
}
