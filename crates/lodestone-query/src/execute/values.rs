//! Value-level semantics the language adds on top of the model: arithmetic with
//! integer/float/money/percent rules, hashing consistent with grouping equality,
//! and the light element values rows carry while a statement runs.

use crate::{QueryError, QueryResult};
use lodestone_model::{Decimal, EdgeId, EdgeValue, Money, NodeId, NodeValue, PathValue, Value};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// A node as rows carry it: the id only; labels and properties are read on demand
/// and filled in when the value leaves the engine.
pub(crate) fn node_val(id: NodeId) -> Value {
    Value::Node(Box::new(NodeValue {
        id,
        labels: Vec::new(),
        props: BTreeMap::new(),
    }))
}

/// A relationship as rows carry it: id and endpoints; type and properties are read on demand.
pub(crate) fn edge_val(id: EdgeId, start: NodeId, end: NodeId) -> Value {
    Value::Edge(Box::new(EdgeValue {
        id,
        rel_type: String::new(),
        start,
        end,
        props: BTreeMap::new(),
    }))
}

/// A light edge value (see [`edge_val`]) without the `Value` wrapper.
pub(crate) fn edge_struct(id: EdgeId, start: NodeId, end: NodeId) -> EdgeValue {
    EdgeValue {
        id,
        rel_type: String::new(),
        start,
        end,
        props: BTreeMap::new(),
    }
}

/// A light node value without the `Value` wrapper.
pub(crate) fn node_struct(id: NodeId) -> NodeValue {
    NodeValue {
        id,
        labels: Vec::new(),
        props: BTreeMap::new(),
    }
}

/// Builds a path from its start node and its edges in walking order.
pub(crate) fn path_from_edges(start: NodeId, edges: &[EdgeValue]) -> PathValue {
    let mut nodes = Vec::with_capacity(edges.len() + 1);
    nodes.push(node_struct(start));
    let mut cur = start;
    for e in edges {
        cur = if e.start == cur { e.end } else { e.start };
        nodes.push(node_struct(cur));
    }
    PathValue {
        nodes,
        edges: edges.to_vec(),
    }
}

/// The node id of a value, if it is a node.
pub(crate) fn as_node(v: &Value) -> Option<NodeId> {
    match v {
        Value::Node(n) => Some(n.id),
        _ => None,
    }
}

/// The name of a value's kind for messages.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    v.kind().name()
}

fn type_error(message: String) -> QueryError {
    QueryError::Type { message, span: None }
}

fn overflow() -> QueryError {
    QueryError::Arithmetic {
        message: "integer overflow".into(),
        span: None,
    }
}

fn div_zero() -> QueryError {
    QueryError::Arithmetic {
        message: "division by zero".into(),
        span: None,
    }
}

fn to_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Float(f) => Decimal::from_f64(*f),
        _ => None,
    }
}

fn hundred() -> Decimal {
    Decimal::from(100)
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl Arith {
    fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Mod => "%",
            Arith::Pow => "^",
        }
    }
}

fn mismatch(op: Arith, a: &Value, b: &Value) -> QueryError {
    type_error(format!(
        "cannot apply {} to {} and {}",
        op.symbol(),
        kind_name(a),
        kind_name(b)
    ))
}

/// Applies an arithmetic operator with the language's rules; null propagates.
pub(crate) fn arith(op: Arith, a: Value, b: Value) -> QueryResult<Value> {
    use Value::*;
    if a.is_null() || b.is_null() {
        return Ok(Null);
    }
    match op {
        Arith::Add => match (a, b) {
            (Int(x), Int(y)) => x.checked_add(y).map(Int).ok_or_else(overflow),
            (Int(x), Float(y)) => Ok(Float(x as f64 + y)),
            (Float(x), Int(y)) => Ok(Float(x + y as f64)),
            (Float(x), Float(y)) => Ok(Float(x + y)),
            (String(x), String(y)) => Ok(String(x + &y)),
            (String(x), y @ (Int(_) | Float(_) | Bool(_) | Date(_) | Money(_) | Percent(_))) => {
                Ok(String(x + &y.to_plain_string()))
            }
            (x @ (Int(_) | Float(_) | Bool(_) | Date(_) | Money(_) | Percent(_)), String(y)) => {
                Ok(String(x.to_plain_string() + &y))
            }
            (List(mut x), List(y)) => {
                x.extend(y);
                Ok(List(x))
            }
            (List(mut x), y) => {
                x.push(y);
                Ok(List(x))
            }
            (x, List(y)) => {
                let mut out = Vec::with_capacity(y.len() + 1);
                out.push(x);
                out.extend(y);
                Ok(List(out))
            }
            (Money(x), Money(y)) => Ok(Money(x.checked_add(&y)?)),
            (Percent(x), Percent(y)) => x.checked_add(y).map(Percent).ok_or_else(overflow),
            (a, b) => Err(mismatch(op, &a, &b)),
        },
        Arith::Sub => match (a, b) {
            (Int(x), Int(y)) => x.checked_sub(y).map(Int).ok_or_else(overflow),
            (Int(x), Float(y)) => Ok(Float(x as f64 - y)),
            (Float(x), Int(y)) => Ok(Float(x - y as f64)),
            (Float(x), Float(y)) => Ok(Float(x - y)),
            (Money(x), Money(y)) => Ok(Money(x.checked_sub(&y)?)),
            (Percent(x), Percent(y)) => x.checked_sub(y).map(Percent).ok_or_else(overflow),
            (a, b) => Err(mismatch(op, &a, &b)),
        },
        Arith::Mul => match (a, b) {
            (Int(x), Int(y)) => x.checked_mul(y).map(Int).ok_or_else(overflow),
            (Int(x), Float(y)) => Ok(Float(x as f64 * y)),
            (Float(x), Int(y)) => Ok(Float(x * y as f64)),
            (Float(x), Float(y)) => Ok(Float(x * y)),
            (Money(m), n @ (Int(_) | Float(_))) | (n @ (Int(_) | Float(_)), Money(m)) => {
                let f = to_decimal(&n).ok_or_else(|| type_error(format!("cannot scale money by {n}")))?;
                Ok(Money(m.checked_scale(f)?))
            }
            (Money(m), Percent(p)) | (Percent(p), Money(m)) => Ok(Money(m.checked_scale(p / hundred())?)),
            (Percent(p), n @ (Int(_) | Float(_))) | (n @ (Int(_) | Float(_)), Percent(p)) => {
                let f = to_decimal(&n).ok_or_else(|| type_error(format!("cannot scale a percent by {n}")))?;
                p.checked_mul(f).map(Percent).ok_or_else(overflow)
            }
            (a, b) => Err(mismatch(op, &a, &b)),
        },
        Arith::Div => match (a, b) {
            (Int(_), Int(0)) => Err(div_zero()),
            (Int(x), Int(y)) => x.checked_div(y).map(Int).ok_or_else(overflow),
            (Int(x), Float(y)) => Ok(Float(x as f64 / y)),
            (Float(x), Int(y)) => Ok(Float(x / y as f64)),
            (Float(x), Float(y)) => Ok(Float(x / y)),
            (Money(m), n @ (Int(_) | Float(_))) => {
                let f = to_decimal(&n).ok_or_else(|| type_error(format!("cannot divide money by {n}")))?;
                if f.is_zero() {
                    return Err(div_zero());
                }
                let amount = m
                    .amount
                    .checked_div(f)
                    .ok_or(lodestone_model::ModelError::DecimalOverflow)?;
                Ok(Money(lodestone_model::Money::new(amount, &m.currency)?))
            }
            (Money(x), Money(y)) => {
                x.compare(&y)?;
                if y.amount.is_zero() {
                    return Err(div_zero());
                }
                let q = x.amount.checked_div(y.amount).ok_or_else(overflow)?;
                Ok(Float(q.to_f64().unwrap_or(f64::NAN)))
            }
            (Money(m), Percent(p)) => {
                if p.is_zero() {
                    return Err(div_zero());
                }
                let amount = (m.amount * hundred())
                    .checked_div(p)
                    .ok_or(lodestone_model::ModelError::DecimalOverflow)?;
                Ok(Money(lodestone_model::Money::new(amount, &m.currency)?))
            }
            (Percent(p), n @ (Int(_) | Float(_))) => {
                let f = to_decimal(&n).ok_or_else(|| type_error(format!("cannot divide a percent by {n}")))?;
                if f.is_zero() {
                    return Err(div_zero());
                }
                p.checked_div(f).map(Percent).ok_or_else(overflow)
            }
            (a, b) => Err(mismatch(op, &a, &b)),
        },
        Arith::Mod => match (a, b) {
            (Int(_), Int(0)) => Err(div_zero()),
            (Int(x), Int(y)) => x.checked_rem(y).map(Int).ok_or_else(overflow),
            (Int(x), Float(y)) => Ok(Float((x as f64) % y)),
            (Float(x), Int(y)) => Ok(Float(x % y as f64)),
            (Float(x), Float(y)) => Ok(Float(x % y)),
            (a, b) => Err(mismatch(op, &a, &b)),
        },
        Arith::Pow => match (&a, &b) {
            (Int(_) | Float(_), Int(_) | Float(_)) => {
                let x = a.as_f64().unwrap_or(f64::NAN);
                let y = b.as_f64().unwrap_or(f64::NAN);
                Ok(Float(x.powf(y)))
            }
            _ => Err(mismatch(op, &a, &b)),
        },
    }
}

/// Unary minus.
pub(crate) fn negate(v: Value) -> QueryResult<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(overflow),
        Value::Float(f) => Ok(Value::Float(-f)),
        Value::Money(m) => Ok(Value::Money(Money::new(-m.amount, &m.currency)?)),
        Value::Percent(p) => Ok(Value::Percent(-p)),
        other => Err(type_error(format!("cannot negate {}", kind_name(&other)))),
    }
}

/// The language's `<`, `<=`, `>`, `>=`: null when incomparable.
pub(crate) fn compare(a: &Value, b: &Value) -> QueryResult<Option<Ordering>> {
    if a.is_null() || b.is_null() {
        return Ok(None);
    }
    Ok(a.compare(b)?)
}

/// Equality as `=` sees it; money in different currencies is an error.
pub(crate) fn equals(a: &Value, b: &Value) -> QueryResult<Option<bool>> {
    if let (Value::Money(x), Value::Money(y)) = (a, b) {
        return Ok(Some(x.compare(y)? == Ordering::Equal));
    }
    Ok(a.equals(b))
}

/// Feeds a value into a hasher consistently with `total_cmp` equality.
pub(crate) fn hash_value<H: Hasher>(v: &Value, h: &mut H) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => {
            1u8.hash(h);
            b.hash(h);
        }
        Value::Int(i) => {
            2u8.hash(h);
            i.hash(h);
        }
        Value::Float(f) => {
            if f.is_nan() {
                3u8.hash(h);
            } else if f.fract() == 0.0 && f.abs() < 9.2e18 {
                2u8.hash(h);
                (*f as i64).hash(h);
            } else {
                4u8.hash(h);
                f.to_bits().hash(h);
            }
        }
        Value::String(s) => {
            5u8.hash(h);
            s.hash(h);
        }
        Value::List(items) => {
            6u8.hash(h);
            items.len().hash(h);
            for x in items {
                hash_value(x, h);
            }
        }
        Value::Map(m) => {
            7u8.hash(h);
            m.len().hash(h);
            for (k, x) in m {
                k.hash(h);
                hash_value(x, h);
            }
        }
        Value::Date(d) => {
            8u8.hash(h);
            d.hash(h);
        }
        Value::Money(m) => {
            9u8.hash(h);
            m.currency.hash(h);
            m.amount.hash(h);
        }
        Value::Percent(p) => {
            10u8.hash(h);
            p.hash(h);
        }
        Value::Quantity(q) => {
            11u8.hash(h);
            q.unit.hash(h);
            q.amount.hash(h);
        }
        Value::Node(n) => {
            12u8.hash(h);
            n.id.hash(h);
        }
        Value::Edge(e) => {
            13u8.hash(h);
            e.id.hash(h);
        }
        Value::Path(p) => {
            14u8.hash(h);
            for n in &p.nodes {
                n.id.hash(h);
            }
            for e in &p.edges {
                e.id.hash(h);
            }
        }
    }
}

/// A tuple of values usable as a hash key for DISTINCT and grouping.
#[derive(Debug, Clone)]
pub(crate) struct Key(pub Vec<Value>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.total_cmp(b) == Ordering::Equal)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            hash_value(v, state);
        }
    }
}

/// One value as a hash key.
#[derive(Debug, Clone)]
pub(crate) struct Key1(pub Value);

impl PartialEq for Key1 {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}

impl Eq for Key1 {}

impl Hash for Key1 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(&self.0, state);
    }
}

/// Converts a value to a boolean for a predicate: null stays null, a non-boolean is an error.
pub(crate) fn truth(v: &Value) -> QueryResult<Option<bool>> {
    match v {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Null => Ok(None),
        other => Err(type_error(format!("expected a boolean, got {}", kind_name(other)))),
    }
}

/// Decimal to an integer or float value (integers when exact).
pub(crate) fn decimal_to_value(d: Decimal) -> Value {
    let n = d.normalize();
    if n.scale() == 0
        && let Some(i) = n.to_i64()
    {
        return Value::Int(i);
    }
    Value::Float(n.to_f64().unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_rules() {
        assert_eq!(arith(Arith::Add, Value::Int(1), Value::Int(2)).unwrap(), Value::Int(3));
        assert!(arith(Arith::Add, Value::Int(i64::MAX), Value::Int(1)).is_err());
        assert!(arith(Arith::Div, Value::Int(1), Value::Int(0)).is_err());
        assert_eq!(arith(Arith::Div, Value::Int(7), Value::Int(2)).unwrap(), Value::Int(3));
        let inf = arith(Arith::Div, Value::Float(1.0), Value::Int(0)).unwrap();
        assert_eq!(inf, Value::Float(f64::INFINITY));
    }

    #[test]
    fn money_rules() {
        let m = |s: &str| Value::Money(s.parse().unwrap());
        assert_eq!(arith(Arith::Add, m("$1M"), m("$2M")).unwrap().to_string(), "USD 3M");
        let err = arith(Arith::Add, m("$1M"), m("EUR 2M")).unwrap_err().to_string();
        assert!(err.contains("USD") && err.contains("EUR"), "{err}");
        assert_eq!(
            arith(Arith::Mul, m("$1M"), Value::Int(3)).unwrap().to_string(),
            "USD 3M"
        );
        assert_eq!(
            arith(Arith::Mul, m("$200M"), Value::Percent(Decimal::from(15)))
                .unwrap()
                .to_string(),
            "USD 30M"
        );
    }

    #[test]
    fn keys_group_int_and_float() {
        use std::collections::HashSet;
        let mut s = HashSet::new();
        s.insert(Key(vec![Value::Int(1)]));
        assert!(s.contains(&Key(vec![Value::Float(1.0)])));
        assert!(!s.contains(&Key(vec![Value::Int(2)])));
    }
}
