use crate::{EdgeId, ModelError, Money, NodeId, PartialDate, Props, Quantity};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A value: a property of a node or edge, a parameter, or a cell of a result.
///
/// Nodes, relationships and paths appear only in results; storage rejects them
/// as property values.
///
/// Three relations are defined here and nowhere else:
/// - [`Value::equals`]: the language's `=`, three-valued (null when either side
///   is or contains null where it matters). Integers and floats compare by value.
/// - [`Value::compare`]: the language's `<`, `<=`, `>`, `>=`: `Ok(None)` (null) for
///   values of different kinds, `Err` for money in different currencies.
/// - [`Value::total_cmp`]: the total order for ORDER BY, DISTINCT and grouping.
///   Ascending: map, node, relationship, list, path, date, money, percent,
///   quantity, string, boolean, number (NaN after every number), null last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum Value {
    /// The absent value.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// An ordered list.
    List(Vec<Value>),
    /// A map from string keys.
    Map(BTreeMap<String, Value>),
    /// A date at year, month or day precision.
    Date(PartialDate),
    /// An exact amount of money with its currency.
    Money(Money),
    /// A percentage: `Percent(15)` is 15%.
    Percent(Decimal),
    /// An amount with a unit.
    Quantity(Quantity),
    /// A node in a result.
    Node(Box<NodeValue>),
    /// A relationship in a result.
    Edge(Box<EdgeValue>),
    /// A path in a result.
    Path(Box<PathValue>),
}

/// A node as it appears in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeValue {
    /// The node's id.
    pub id: NodeId,
    /// Its labels.
    pub labels: Vec<String>,
    /// Its properties.
    pub props: Props,
}

/// A relationship as it appears in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeValue {
    /// The relationship's id.
    pub id: EdgeId,
    /// Its type.
    pub rel_type: String,
    /// Start node id.
    pub start: NodeId,
    /// End node id.
    pub end: NodeId,
    /// Its properties.
    pub props: Props,
}

/// A path: `nodes.len() == edges.len() + 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathValue {
    /// Nodes in walking order.
    pub nodes: Vec<NodeValue>,
    /// Relationships in walking order; each joins the nodes either side of it.
    pub edges: Vec<EdgeValue>,
}

/// The kind of a value, for type errors and schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ValueKind {
    /// Null.
    Null,
    /// Boolean.
    Bool,
    /// Integer.
    Int,
    /// Float.
    Float,
    /// String.
    String,
    /// List.
    List,
    /// Map.
    Map,
    /// Partial date.
    Date,
    /// Money.
    Money,
    /// Percent.
    Percent,
    /// Quantity with unit.
    Quantity,
    /// Node.
    Node,
    /// Relationship.
    Edge,
    /// Path.
    Path,
}

impl ValueKind {
    /// The name used in messages and schema declarations.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Null => "NULL",
            ValueKind::Bool => "BOOLEAN",
            ValueKind::Int => "INTEGER",
            ValueKind::Float => "FLOAT",
            ValueKind::String => "STRING",
            ValueKind::List => "LIST",
            ValueKind::Map => "MAP",
            ValueKind::Date => "DATE",
            ValueKind::Money => "MONEY",
            ValueKind::Percent => "PERCENT",
            ValueKind::Quantity => "QUANTITY",
            ValueKind::Node => "NODE",
            ValueKind::Edge => "RELATIONSHIP",
            ValueKind::Path => "PATH",
        }
    }

    /// Reads a kind name (case-insensitive; `INT`, `BOOL`, `STR` accepted too).
    pub fn from_name(name: &str) -> Option<ValueKind> {
        Some(match name.to_ascii_uppercase().as_str() {
            "BOOLEAN" | "BOOL" => ValueKind::Bool,
            "INTEGER" | "INT" => ValueKind::Int,
            "FLOAT" | "DOUBLE" => ValueKind::Float,
            "STRING" | "STR" => ValueKind::String,
            "LIST" => ValueKind::List,
            "MAP" => ValueKind::Map,
            "DATE" => ValueKind::Date,
            "MONEY" => ValueKind::Money,
            "PERCENT" => ValueKind::Percent,
            "QUANTITY" => ValueKind::Quantity,
            _ => return None,
        })
    }

    /// Rank in the ORDER BY order of kinds (numbers share one rank).
    fn order_rank(self) -> u8 {
        match self {
            ValueKind::Map => 0,
            ValueKind::Node => 1,
            ValueKind::Edge => 2,
            ValueKind::List => 3,
            ValueKind::Path => 4,
            ValueKind::Date => 5,
            ValueKind::Money => 6,
            ValueKind::Percent => 7,
            ValueKind::Quantity => 8,
            ValueKind::String => 9,
            ValueKind::Bool => 10,
            ValueKind::Int | ValueKind::Float => 11,
            ValueKind::Null => 12,
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    // Exact for every i64: compare in i128 when f is integral, else by floor.
    if f.is_nan() {
        return None;
    }
    if f >= 9.3e18 {
        return Some(Ordering::Less);
    }
    if f <= -9.3e18 {
        return Some(Ordering::Greater);
    }
    let fl = f.floor();
    match (i as i128).cmp(&(fl as i128)) {
        Ordering::Equal if f > fl => Some(Ordering::Less),
        o => Some(o),
    }
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Null => ValueKind::Null,
            Value::Bool(_) => ValueKind::Bool,
            Value::Int(_) => ValueKind::Int,
            Value::Float(_) => ValueKind::Float,
            Value::String(_) => ValueKind::String,
            Value::List(_) => ValueKind::List,
            Value::Map(_) => ValueKind::Map,
            Value::Date(_) => ValueKind::Date,
            Value::Money(_) => ValueKind::Money,
            Value::Percent(_) => ValueKind::Percent,
            Value::Quantity(_) => ValueKind::Quantity,
            Value::Node(_) => ValueKind::Node,
            Value::Edge(_) => ValueKind::Edge,
            Value::Path(_) => ValueKind::Path,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether the value may be stored as a property (no graph elements, no nulls inside maps).
    pub fn is_storable(&self) -> bool {
        match self {
            Value::Node(_) | Value::Edge(_) | Value::Path(_) => false,
            Value::List(items) => items.iter().all(Value::is_storable),
            Value::Map(m) => m.values().all(Value::is_storable),
            _ => true,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The language's `=`: `None` means null.
    pub fn equals(&self, other: &Value) -> Option<bool> {
        use Value::*;
        match (self, other) {
            (Null, _) | (_, Null) => None,
            (Int(a), Int(b)) => Some(a == b),
            (Float(a), Float(b)) => Some(a == b),
            (Int(a), Float(b)) | (Float(b), Int(a)) => Some(cmp_int_float(*a, *b) == Some(Ordering::Equal)),
            (List(a), List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut unknown = false;
                for (x, y) in a.iter().zip(b) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            (Map(a), Map(b)) => {
                if a.len() != b.len() || a.keys().zip(b.keys()).any(|(x, y)| x != y) {
                    return Some(false);
                }
                let mut unknown = false;
                for (x, y) in a.values().zip(b.values()) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            (Node(a), Node(b)) => Some(a.id == b.id),
            (Edge(a), Edge(b)) => Some(a.id == b.id),
            (Path(a), Path(b)) => Some(
                a.nodes.iter().map(|n| n.id).eq(b.nodes.iter().map(|n| n.id))
                    && a.edges.iter().map(|e| e.id).eq(b.edges.iter().map(|e| e.id)),
            ),
            (Percent(a), Percent(b)) => Some(a == b),
            (Money(a), Money(b)) => Some(a == b),
            (a, b) if a.kind() == b.kind() => Some(a == b),
            _ => Some(false),
        }
    }

    /// The language's ordering comparison: `Ok(None)` means null (incomparable kinds,
    /// overlapping dates of different precision, NaN); `Err` for money in different currencies.
    pub fn compare(&self, other: &Value) -> Result<Option<Ordering>, ModelError> {
        use Value::*;
        Ok(match (self, other) {
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (Float(a), Float(b)) => a.partial_cmp(b),
            (Int(a), Float(b)) => cmp_int_float(*a, *b),
            (Float(a), Int(b)) => cmp_int_float(*b, *a).map(Ordering::reverse),
            (String(a), String(b)) => Some(a.cmp(b)),
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => a.compare(b),
            (Money(a), Money(b)) => Some(a.compare(b)?),
            (Percent(a), Percent(b)) => Some(a.cmp(b)),
            (Quantity(a), Quantity(b)) if a.unit == b.unit => Some(a.amount.cmp(&b.amount)),
            (List(a), List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    if x.is_null() || y.is_null() {
                        return Ok(None);
                    }
                    match x.compare(y)? {
                        Some(Ordering::Equal) => continue,
                        other => return Ok(other),
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => None,
        })
    }

    /// The total order used for ORDER BY, DISTINCT and grouping.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        let (ka, kb) = (self.kind().order_rank(), other.kind().order_rank());
        if ka != kb {
            return ka.cmp(&kb);
        }
        match (self, other) {
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => match (a.is_nan(), b.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            },
            (Int(a), Float(b)) => cmp_int_float(*a, *b).unwrap_or(Ordering::Less),
            (Float(a), Int(b)) => cmp_int_float(*b, *a)
                .map(Ordering::reverse)
                .unwrap_or(Ordering::Greater),
            (String(a), String(b)) => a.cmp(b),
            (Bool(a), Bool(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Money(a), Money(b)) => a.currency.cmp(&b.currency).then(a.amount.cmp(&b.amount)),
            (Percent(a), Percent(b)) => a.cmp(b),
            (Quantity(a), Quantity(b)) => a.unit.cmp(&b.unit).then(a.amount.cmp(&b.amount)),
            (List(a), List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let o = x.total_cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Map(a), Map(b)) => {
                for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                    let o = ka.cmp(kb).then_with(|| va.total_cmp(vb));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Node(a), Node(b)) => a.id.cmp(&b.id),
            (Edge(a), Edge(b)) => a.id.cmp(&b.id),
            (Path(a), Path(b)) => a
                .nodes
                .iter()
                .map(|n| n.id)
                .cmp(b.nodes.iter().map(|n| n.id))
                .then_with(|| a.edges.iter().map(|e| e.id).cmp(b.edges.iter().map(|e| e.id))),
            _ => Ordering::Equal,
        }
    }

    /// The value as a float, for numbers and percents (15% is 0.15).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Percent(p) => (p / Decimal::from(100)).to_f64(),
            _ => None,
        }
    }

    /// Renders the value without quotes around a top-level string.
    pub fn to_plain_string(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

fn write_string_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for c in s.chars() {
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("'")
}

fn write_key(f: &mut fmt::Formatter<'_>, k: &str) -> fmt::Result {
    let plain = k.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        f.write_str(k)
    } else {
        write!(f, "`{}`", k.replace('`', "``"))
    }
}

fn write_props(f: &mut fmt::Formatter<'_>, props: &Props) -> fmt::Result {
    if props.is_empty() {
        return Ok(());
    }
    f.write_str(" {")?;
    for (i, (k, v)) in props.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_key(f, k)?;
        write!(f, ": {v}")?;
    }
    f.write_str("}")
}

/// Formats a float the way the language prints it: `1.0`, `0.5`, `1e20`, `NaN`, `Infinity`.
pub(crate) fn format_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

impl fmt::Display for NodeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for l in &self.labels {
            f.write_str(":")?;
            write_key(f, l)?;
        }
        if self.labels.is_empty() {
            // Keep a node with properties readable: `({a: 1})`.
            let mut s = String::new();
            for (i, (k, v)) in self.props.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&format!("{k}: {v}"));
            }
            if !s.is_empty() {
                write!(f, "{{{s}}}")?;
            }
        } else {
            write_props(f, &self.props)?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for EdgeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[:")?;
        write_key(f, &self.rel_type)?;
        write_props(f, &self.props)?;
        f.write_str("]")
    }
}

impl fmt::Display for PathValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<")?;
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                let e = &self.edges[i - 1];
                if e.start == self.nodes[i - 1].id {
                    write!(f, "-{e}->")?;
                } else {
                    write!(f, "<-{e}-")?;
                }
            }
            write!(f, "{n}")?;
        }
        f.write_str(">")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::String(s) => write_string_literal(f, s),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_key(f, k)?;
                    write!(f, ": {v}")?;
                }
                f.write_str("}")
            }
            Value::Date(d) => write!(f, "{d}"),
            Value::Money(m) => write!(f, "{m}"),
            Value::Percent(p) => write!(f, "{}%", p.normalize()),
            Value::Quantity(q) => write!(f, "{q}"),
            Value::Node(n) => write!(f, "{n}"),
            Value::Edge(e) => write!(f, "{e}"),
            Value::Path(p) => write!(f, "{p}"),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<PartialDate> for Value {
    fn from(d: PartialDate) -> Self {
        Value::Date(d)
    }
}
impl From<Money> for Value {
    fn from(m: Money) -> Self {
        Value::Money(m)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_three_valued() {
        assert_eq!(Value::Null.equals(&Value::Int(1)), None);
        assert_eq!(Value::Int(1).equals(&Value::Float(1.0)), Some(true));
        assert_eq!(Value::Int(1).equals(&Value::from("1")), Some(false));
        let l1 = Value::List(vec![Value::Int(1), Value::Null]);
        let l2 = Value::List(vec![Value::Int(2), Value::Null]);
        assert_eq!(l1.equals(&l2), Some(false));
        assert_eq!(l1.equals(&l1.clone()), None);
        assert_eq!(Value::Float(f64::NAN).equals(&Value::Float(f64::NAN)), Some(false));
    }

    #[test]
    fn comparison_across_kinds_is_null() {
        assert_eq!(Value::Int(1).compare(&Value::from("a")), Ok(None));
        assert_eq!(Value::Int(1).compare(&Value::Float(1.5)), Ok(Some(Ordering::Less)));
        assert_eq!(
            Value::Int(i64::MAX).compare(&Value::Float(9.3e18)),
            Ok(Some(Ordering::Less))
        );
        let usd = Value::Money("$1M".parse().unwrap());
        let eur = Value::Money("EUR 1M".parse().unwrap());
        assert!(usd.compare(&eur).is_err());
    }

    #[test]
    fn total_order_places_null_last_and_nan_after_numbers() {
        let mut v = [
            Value::Null,
            Value::Float(f64::NAN),
            Value::Int(3),
            Value::from("b"),
            Value::Float(1.5),
            Value::Bool(true),
            Value::List(vec![]),
        ];
        v.sort_by(Value::total_cmp);
        let shown: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(shown, ["[]", "'b'", "true", "1.5", "3", "NaN", "null"]);
    }

    #[test]
    fn display_literals() {
        assert_eq!(Value::Float(1.0).to_string(), "1.0");
        assert_eq!(Value::from("it's").to_string(), "'it\\'s'");
        assert_eq!(Value::Percent(Decimal::from(15)).to_string(), "15%");
    }
}
