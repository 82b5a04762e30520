//! The table layout shared by the exporter and the compiler: one wide node table and
//! one wide edge table, one group of typed columns per property key.

use lodestone_model::{Decimal, Money, PartialDate, Value};
use std::collections::BTreeMap;

/// The SQL type of every amount column (money and percent).
pub const DECIMAL_TYPE: &str = "decimal(38,18)";

/// The SQL type of the `cites` column of both tables: an element's citations.
pub const CITES_TYPE: &str = "array<struct<source:string,line:bigint,note:string>>";

/// What a property key holds across every element of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropType {
    /// Booleans.
    Bool,
    /// 64-bit integers.
    Int,
    /// 64-bit floats.
    Float,
    /// Strings.
    String,
    /// Partial dates: year, month and day parts (0 when absent) and first and last day.
    Date,
    /// Money: amount and currency.
    Money,
    /// Percentages as a decimal (15% is 15).
    Percent,
    /// Several kinds, or a kind the tables do not hold (lists, maps, quantities): not exported.
    Unsupported,
}

impl PropType {
    /// The type of one value, or `None` for null.
    pub fn of(value: &Value) -> Option<PropType> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => PropType::Bool,
            Value::Int(_) => PropType::Int,
            Value::Float(_) => PropType::Float,
            Value::String(_) => PropType::String,
            Value::Date(_) => PropType::Date,
            Value::Money(_) => PropType::Money,
            Value::Percent(_) => PropType::Percent,
            _ => PropType::Unsupported,
        })
    }

    /// The name written in the schema file.
    pub fn name(self) -> &'static str {
        match self {
            PropType::Bool => "boolean",
            PropType::Int => "integer",
            PropType::Float => "float",
            PropType::String => "string",
            PropType::Date => "date",
            PropType::Money => "money",
            PropType::Percent => "percent",
            PropType::Unsupported => "unsupported",
        }
    }

    /// The type named `name` in the schema file.
    pub fn from_name(name: &str) -> Option<PropType> {
        [
            PropType::Bool,
            PropType::Int,
            PropType::Float,
            PropType::String,
            PropType::Date,
            PropType::Money,
            PropType::Percent,
            PropType::Unsupported,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    /// Column suffixes and SQL types of a property of this type.
    pub fn columns(self) -> &'static [(&'static str, &'static str)] {
        match self {
            PropType::Bool => &[("", "boolean")],
            PropType::Int => &[("", "bigint")],
            PropType::Float => &[("", "double")],
            PropType::String => &[("", "string")],
            PropType::Date => &[
                ("_y", "int"),
                ("_m", "int"),
                ("_d", "int"),
                ("_f", "date"),
                ("_l", "date"),
            ],
            PropType::Money => &[("_a", DECIMAL_TYPE), ("_c", "string")],
            PropType::Percent => &[("", DECIMAL_TYPE)],
            PropType::Unsupported => &[],
        }
    }
}

/// One property key of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropColumn {
    /// The column prefix (`p0`, `p1` ...); property names are not valid column names in general.
    pub column: String,
    /// What it holds.
    pub ty: PropType,
}

/// The property columns of the node table and of the edge table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Node properties by key.
    pub node_props: BTreeMap<String, PropColumn>,
    /// Edge properties by key.
    pub edge_props: BTreeMap<String, PropColumn>,
}

impl Catalog {
    /// Notes one value of a node (`node` true) or edge property.
    pub fn observe(&mut self, node: bool, key: &str, value: &Value) {
        let Some(mut ty) = PropType::of(value) else {
            return;
        };
        if matches!(value, Value::Float(f) if !f.is_finite()) {
            ty = PropType::Unsupported;
        }
        let map = if node {
            &mut self.node_props
        } else {
            &mut self.edge_props
        };
        let n = map.len();
        let entry = map.entry(key.to_string()).or_insert_with(|| PropColumn {
            column: format!("p{n}"),
            ty,
        });
        if entry.ty != ty {
            entry.ty = PropType::Unsupported;
        }
    }

    /// Column names and SQL types of the node table.
    pub fn node_columns(&self) -> Vec<(String, String)> {
        let mut cols = vec![
            ("id".to_string(), "bigint".to_string()),
            ("labels".to_string(), "array<string>".to_string()),
            ("names".to_string(), "array<string>".to_string()),
            ("cites".to_string(), CITES_TYPE.to_string()),
        ];
        push_prop_columns(&mut cols, &self.node_props);
        cols
    }

    /// Column names and SQL types of the edge table.
    pub fn edge_columns(&self) -> Vec<(String, String)> {
        let mut cols = vec![
            ("id".to_string(), "bigint".to_string()),
            ("type".to_string(), "string".to_string()),
            ("src".to_string(), "bigint".to_string()),
            ("dst".to_string(), "bigint".to_string()),
            ("cites".to_string(), CITES_TYPE.to_string()),
        ];
        push_prop_columns(&mut cols, &self.edge_props);
        cols
    }
}

fn push_prop_columns(cols: &mut Vec<(String, String)>, props: &BTreeMap<String, PropColumn>) {
    let mut sorted: Vec<&PropColumn> = props.values().collect();
    sorted.sort_by_key(|c| c.column[1..].parse::<usize>().unwrap_or(usize::MAX));
    for c in sorted {
        for (suffix, ty) in c.ty.columns() {
            cols.push((format!("{}{suffix}", c.column), ty.to_string()));
        }
    }
}

/// A cell of an exported row, before it is written as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text (strings, ISO dates).
    Text(String),
    /// An exact decimal, written as a JSON number with its digits.
    Decimal(String),
    /// JSON text written as is (the label and name arrays).
    Json(String),
}

/// The cells of one property value, in the order of [`PropType::columns`].
pub fn prop_cells(ty: PropType, value: &Value) -> Vec<Cell> {
    match (ty, value) {
        (PropType::Bool, Value::Bool(b)) => vec![Cell::Bool(*b)],
        (PropType::Int, Value::Int(i)) => vec![Cell::Int(*i)],
        (PropType::Float, Value::Float(f)) if f.is_finite() => vec![Cell::Float(*f)],
        (PropType::String, Value::String(s)) => vec![Cell::Text(s.clone())],
        (PropType::Date, Value::Date(d)) => date_cells(d),
        (PropType::Money, Value::Money(m)) => {
            vec![Cell::Decimal(m.amount.to_string()), Cell::Text(m.currency.to_string())]
        }
        (PropType::Percent, Value::Percent(p)) => vec![Cell::Decimal(p.to_string())],
        _ => ty.columns().iter().map(|_| Cell::Null).collect(),
    }
}

fn iso((y, m, d): (i32, u8, u8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

fn date_cells(d: &PartialDate) -> Vec<Cell> {
    vec![
        Cell::Int(i64::from(d.year_part())),
        Cell::Int(i64::from(d.month_part().unwrap_or(0))),
        Cell::Int(i64::from(d.day_part().unwrap_or(0))),
        Cell::Text(iso(d.first_day())),
        Cell::Text(iso(d.last_day())),
    ]
}

/// A date from its year, month and day parts (0 when absent).
pub fn date_from_parts(y: i64, m: i64, d: i64) -> Option<PartialDate> {
    let y = i32::try_from(y).ok()?;
    let m = u8::try_from(m).ok()?;
    let d = u8::try_from(d).ok()?;
    match (m, d) {
        (0, _) => Some(PartialDate::year(y)),
        (m, 0) => PartialDate::month(y, m),
        (m, d) => PartialDate::day(y, m, d),
    }
}

/// Money from an amount written exactly and a currency code.
pub fn money_from_parts(amount: &str, currency: &str) -> Option<Money> {
    let amount: Decimal = amount.parse().ok()?;
    Money::new(amount.normalize(), currency).ok()
}
