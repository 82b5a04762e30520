//! Expression evaluation against a row.

use super::values::{self, arith, as_node, compare, equals, kind_name, truth};
use super::{Ctx, Flow, Row, functions, limits, run_op};
use crate::plan::{CExpr, CmpOp, Quant, StrOp};
use crate::{QueryError, QueryResult};
use lodestone_model::Value;
use std::cmp::Ordering;

fn type_error(message: String) -> QueryError {
    QueryError::Type { message, span: None }
}

/// Evaluates a predicate: `Some(true)` only when it holds.
pub(crate) fn eval_pred(e: &CExpr, ctx: &mut Ctx, row: &mut Row) -> QueryResult<bool> {
    let v = eval(e, ctx, row)?;
    Ok(truth(&v)? == Some(true))
}

fn three_and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn three_or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn opt_bool(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Bool)
}

/// Reads `key` of a node, relationship or map.
pub(crate) fn property(ctx: &mut Ctx, v: &Value, key: &str) -> QueryResult<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Node(n) => ctx.node_prop(n.id, key),
        Value::Edge(e) => ctx.edge_prop(e.id, key),
        Value::Map(m) => Ok(m.get(key).cloned().unwrap_or(Value::Null)),
        Value::Date(d) => Ok(match key {
            "year" => Value::Int(d.year_part() as i64),
            "month" => d.month_part().map_or(Value::Null, |m| Value::Int(m as i64)),
            "day" => d.day_part().map_or(Value::Null, |m| Value::Int(m as i64)),
            _ => Value::Null,
        }),
        Value::Money(m) => Ok(match key {
            "amount" => values::decimal_to_value(m.amount),
            "currency" => Value::String(m.currency.to_string()),
            _ => Value::Null,
        }),
        other => Err(type_error(format!(
            "cannot read property `{key}` of {}",
            kind_name(other)
        ))),
    }
}

/// `x IN list` with three-valued logic.
pub(crate) fn in_list(x: &Value, list: &Value) -> QueryResult<Value> {
    match list {
        Value::Null => Ok(Value::Null),
        Value::List(items) => {
            let mut unknown = false;
            for item in items {
                match equals(x, item)? {
                    Some(true) => return Ok(Value::Bool(true)),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            Ok(if unknown { Value::Null } else { Value::Bool(false) })
        }
        other => Err(type_error(format!("IN expects a list, got {}", kind_name(other)))),
    }
}

fn index_of(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let j = if i < 0 { len + i } else { i };
    (0..len).contains(&j).then_some(j as usize)
}

fn slice_bound(v: Option<Value>, len: usize, default: i64) -> QueryResult<Option<i64>> {
    let len = len as i64;
    match v {
        None => Ok(Some(default)),
        Some(Value::Null) => Ok(None),
        Some(Value::Int(i)) => Ok(Some(if i < 0 { (len + i).max(0) } else { i.min(len) })),
        Some(other) => Err(type_error(format!(
            "list slice bounds must be integers, got {}",
            kind_name(&other)
        ))),
    }
}

/// Evaluates an expression.
pub(crate) fn eval(e: &CExpr, ctx: &mut Ctx, row: &mut Row) -> QueryResult<Value> {
    Ok(match e {
        CExpr::Const(v) => v.clone(),
        CExpr::Slot(s) => row[*s].clone(),
        CExpr::Prop(target, key) => {
            if let CExpr::Slot(s) = &**target {
                // Read straight from the row without cloning the element.
                match &row[*s] {
                    Value::Node(n) => return ctx.node_prop(n.id, key),
                    Value::Edge(ed) => return ctx.edge_prop(ed.id, key),
                    _ => {}
                }
            }
            let t = eval(target, ctx, row)?;
            property(ctx, &t, key)?
        }
        CExpr::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                let v = eval(i, ctx, row)?;
                limits::check_item(&v)?;
                out.push(v);
            }
            Value::List(out)
        }
        CExpr::Map(items) => {
            let mut out = std::collections::BTreeMap::new();
            for (k, i) in items {
                let v = eval(i, ctx, row)?;
                limits::check_item(&v)?;
                out.insert(k.clone(), v);
            }
            Value::Map(out)
        }
        CExpr::Index(target, idx) => {
            let t = eval(target, ctx, row)?;
            let i = eval(idx, ctx, row)?;
            match (&t, &i) {
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                (Value::List(items), Value::Int(n)) => {
                    index_of(*n, items.len()).map_or(Value::Null, |j| items[j].clone())
                }
                (Value::List(_), other) => {
                    return Err(type_error(format!(
                        "list index must be an integer, got {}",
                        kind_name(other)
                    )));
                }
                (Value::Map(_) | Value::Node(_) | Value::Edge(_), Value::String(k)) => property(ctx, &t, k)?,
                (Value::Map(_) | Value::Node(_) | Value::Edge(_), other) => {
                    return Err(type_error(format!(
                        "map key must be a string, got {}",
                        kind_name(other)
                    )));
                }
                (other, _) => return Err(type_error(format!("cannot index into {}", kind_name(other)))),
            }
        }
        CExpr::Slice(target, from, to) => {
            let t = eval(target, ctx, row)?;
            let f = match from {
                Some(x) => Some(eval(x, ctx, row)?),
                None => None,
            };
            let u = match to {
                Some(x) => Some(eval(x, ctx, row)?),
                None => None,
            };
            match t {
                Value::Null => Value::Null,
                Value::List(items) => {
                    let len = items.len();
                    let (Some(a), Some(b)) = (slice_bound(f, len, 0)?, slice_bound(u, len, len as i64)?) else {
                        return Ok(Value::Null);
                    };
                    if a >= b {
                        Value::List(Vec::new())
                    } else {
                        Value::List(items[a as usize..b as usize].to_vec())
                    }
                }
                other => return Err(type_error(format!("cannot slice {}", kind_name(&other)))),
            }
        }
        CExpr::Not(x) => {
            let v = eval(x, ctx, row)?;
            opt_bool(truth(&v)?.map(|b| !b))
        }
        CExpr::Neg(x) => values::negate(eval(x, ctx, row)?)?,
        CExpr::And(a, b) => {
            let x = truth(&eval(a, ctx, row)?)?;
            if x == Some(false) {
                return Ok(Value::Bool(false));
            }
            let y = truth(&eval(b, ctx, row)?)?;
            opt_bool(three_and(x, y))
        }
        CExpr::Or(a, b) => {
            let x = truth(&eval(a, ctx, row)?)?;
            if x == Some(true) {
                return Ok(Value::Bool(true));
            }
            let y = truth(&eval(b, ctx, row)?)?;
            opt_bool(three_or(x, y))
        }
        CExpr::Xor(a, b) => {
            let x = truth(&eval(a, ctx, row)?)?;
            let y = truth(&eval(b, ctx, row)?)?;
            opt_bool(match (x, y) {
                (Some(p), Some(q)) => Some(p != q),
                _ => None,
            })
        }
        CExpr::Arith(op, a, b) => {
            let x = eval(a, ctx, row)?;
            let y = eval(b, ctx, row)?;
            if matches!(op, values::Arith::Add) {
                check_add_size(&x, &y)?;
            }
            let v = arith(*op, x, y)?;
            limits::check_value(&v)?;
            v
        }
        CExpr::Cmp(op, a, b) => {
            let x = eval(a, ctx, row)?;
            let y = eval(b, ctx, row)?;
            opt_bool(cmp_values(*op, &x, &y)?)
        }
        CExpr::In(a, b) => {
            let x = eval(a, ctx, row)?;
            let l = eval(b, ctx, row)?;
            in_list(&x, &l)?
        }
        CExpr::Str(op, a, b) => {
            let x = eval(a, ctx, row)?;
            let y = eval(b, ctx, row)?;
            match (&x, &y) {
                (Value::String(s), Value::String(t)) => Value::Bool(match op {
                    StrOp::StartsWith => s.starts_with(t.as_str()),
                    StrOp::EndsWith => s.ends_with(t.as_str()),
                    StrOp::Contains => s.contains(t.as_str()),
                }),
                _ => Value::Null,
            }
        }
        CExpr::IsNull(x, not) => {
            let v = eval(x, ctx, row)?;
            Value::Bool(v.is_null() != *not)
        }
        CExpr::HasLabels(x, labels) => match eval(x, ctx, row)? {
            Value::Null => Value::Null,
            Value::Node(n) => Value::Bool(ctx.has_labels(n.id, labels)?),
            Value::Edge(ed) => {
                // `r:TYPE` on a relationship checks its type.
                let ends = ctx.read().edge_ends(ed.id)?;
                Value::Bool(ends.is_some_and(|(t, _, _)| labels.iter().all(|l| *l == t)))
            }
            other => return Err(type_error(format!("cannot check labels of {}", kind_name(&other)))),
        },
        CExpr::Func(f, args) => {
            if matches!(f, crate::plan::Func::Coalesce) {
                for a in args {
                    let v = eval(a, ctx, row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                return Ok(Value::Null);
            }
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval(a, ctx, row)?);
            }
            let v = functions::call(*f, vals, ctx)?;
            if let Value::String(s) = &v {
                limits::check_string_len(s.len())?;
            }
            v
        }
        CExpr::Case {
            subject,
            whens,
            otherwise,
        } => {
            let subj = match subject {
                Some(s) => Some(eval(s, ctx, row)?),
                None => None,
            };
            for (w, t) in whens {
                let c = eval(w, ctx, row)?;
                let hit = match &subj {
                    Some(s) => equals(s, &c)? == Some(true),
                    None => truth(&c)? == Some(true),
                };
                if hit {
                    return eval(t, ctx, row);
                }
            }
            match otherwise {
                Some(o) => eval(o, ctx, row)?,
                None => Value::Null,
            }
        }
        CExpr::ListComp {
            slot,
            list,
            filter,
            map,
        } => {
            let l = eval(list, ctx, row)?;
            let items = match l {
                Value::Null => return Ok(Value::Null),
                Value::List(items) => items,
                other => return Err(type_error(format!("expected a list, got {}", kind_name(&other)))),
            };
            let saved = std::mem::take(&mut row[*slot]);
            let mut out = Vec::with_capacity(items.len());
            let res: QueryResult<()> = (|| {
                for item in items {
                    ctx.tick()?;
                    row[*slot] = item;
                    if let Some(f) = filter
                        && !eval_pred(f, ctx, row)?
                    {
                        continue;
                    }
                    match map {
                        Some(m) => out.push(eval(m, ctx, row)?),
                        None => out.push(std::mem::take(&mut row[*slot])),
                    }
                }
                Ok(())
            })();
            row[*slot] = saved;
            res?;
            let v = Value::List(out);
            limits::check_value(&v)?;
            v
        }
        CExpr::Quant { q, slot, list, pred } => {
            let l = eval(list, ctx, row)?;
            let items = match l {
                Value::Null => return Ok(Value::Null),
                Value::List(items) => items,
                other => return Err(type_error(format!("expected a list, got {}", kind_name(&other)))),
            };
            let saved = std::mem::take(&mut row[*slot]);
            let mut trues = 0usize;
            let mut nulls = 0usize;
            let total = items.len();
            let res: QueryResult<()> = (|| {
                for item in items {
                    ctx.tick()?;
                    row[*slot] = item;
                    match truth(&eval(pred, ctx, row)?)? {
                        Some(true) => trues += 1,
                        None => nulls += 1,
                        Some(false) => {}
                    }
                }
                Ok(())
            })();
            row[*slot] = saved;
            res?;
            let falses = total - trues - nulls;
            opt_bool(match q {
                Quant::All => {
                    if falses > 0 {
                        Some(false)
                    } else if nulls > 0 {
                        None
                    } else {
                        Some(true)
                    }
                }
                Quant::Any => {
                    if trues > 0 {
                        Some(true)
                    } else if nulls > 0 {
                        None
                    } else {
                        Some(false)
                    }
                }
                Quant::None => {
                    if trues > 0 {
                        Some(false)
                    } else if nulls > 0 {
                        None
                    } else {
                        Some(true)
                    }
                }
                Quant::Single => {
                    if trues > 1 {
                        Some(false)
                    } else if nulls > 0 {
                        None
                    } else {
                        Some(trues == 1)
                    }
                }
            })
        }
        CExpr::Reduce {
            acc,
            init,
            slot,
            list,
            step,
        } => {
            let start = eval(init, ctx, row)?;
            let l = eval(list, ctx, row)?;
            let items = match l {
                Value::Null => return Ok(Value::Null),
                Value::List(items) => items,
                other => return Err(type_error(format!("expected a list, got {}", kind_name(&other)))),
            };
            let saved_acc = std::mem::take(&mut row[*acc]);
            let saved = std::mem::take(&mut row[*slot]);
            row[*acc] = start;
            let res: QueryResult<()> = (|| {
                for item in items {
                    ctx.tick()?;
                    row[*slot] = item;
                    let next = eval(step, ctx, row)?;
                    row[*acc] = next;
                }
                Ok(())
            })();
            let out = std::mem::replace(&mut row[*acc], saved_acc);
            row[*slot] = saved;
            res?;
            out
        }
        CExpr::Exists(plan) => {
            // Sub-plans write only their own slots, so they may share the row.
            let mut found = false;
            run_op(plan, ctx, row, &mut |_, _| {
                found = true;
                Ok(Flow::Stop)
            })?;
            Value::Bool(found)
        }
        CExpr::PatternComp(plan, map) => {
            let mut out = Vec::new();
            run_op(plan, ctx, row, &mut |ctx, r| {
                ctx.tick()?;
                let v = eval(map, ctx, r)?;
                limits::check_item(&v)?;
                out.push(v);
                limits::check_list_len(out.len())?;
                Ok(Flow::Go)
            })?;
            Value::List(out)
        }
        CExpr::PropsMatch(target, map) => {
            let t = eval(target, ctx, row)?;
            let m = eval(map, ctx, row)?;
            let Value::Map(m) = m else {
                if m.is_null() {
                    return Ok(Value::Bool(false));
                }
                return Err(type_error(format!(
                    "expected a map of properties, got {}",
                    kind_name(&m)
                )));
            };
            for (k, want) in &m {
                let have = property(ctx, &t, k)?;
                if equals(&have, want)? != Some(true) {
                    return Ok(Value::Bool(false));
                }
            }
            Value::Bool(true)
        }
    })
}

/// Refuses `x + y` before building it when the string or list it makes would be too large.
fn check_add_size(x: &Value, y: &Value) -> QueryResult<()> {
    match (x, y) {
        (Value::List(a), Value::List(b)) => limits::check_list_len(a.len().saturating_add(b.len())),
        (Value::List(a), _) | (_, Value::List(a)) => limits::check_list_len(a.len().saturating_add(1)),
        (Value::String(a), Value::String(b)) => limits::check_string_len(a.len().saturating_add(b.len())),
        (Value::String(a), _) | (_, Value::String(a)) => limits::check_string_len(a.len()),
        _ => Ok(()),
    }
}

fn is_nan(v: &Value) -> bool {
    matches!(v, Value::Float(f) if f.is_nan())
}

/// Applies a comparison operator.
pub(crate) fn cmp_values(op: CmpOp, x: &Value, y: &Value) -> QueryResult<Option<bool>> {
    Ok(match op {
        CmpOp::Eq => equals(x, y)?,
        CmpOp::Ne => equals(x, y)?.map(|b| !b),
        _ if is_nan(x) || is_nan(y) => {
            // Ordering against NaN is false (not null), when both sides are numbers.
            if x.as_f64().is_some()
                && y.as_f64().is_some()
                && !matches!(x, Value::Percent(_))
                && !matches!(y, Value::Percent(_))
            {
                Some(false)
            } else {
                None
            }
        }
        _ => compare(x, y)?.map(|o| match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }),
    })
}

/// Evaluates an expression that must not read the row (SKIP, LIMIT, AS OF).
pub(crate) fn eval_const(e: &CExpr, ctx: &mut Ctx) -> QueryResult<Value> {
    let mut row = Vec::new();
    eval(e, ctx, &mut row)
}

/// The node id in a slot, if it holds a node.
pub(crate) fn slot_node(row: &Row, slot: usize) -> Option<lodestone_model::NodeId> {
    as_node(&row[slot])
}
