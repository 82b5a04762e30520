//! A compiler from the logical plan to Spark SQL.
//!
//! The graph is two wide tables (see [`catalog`]): `nodes` (`id`, `labels`,
//! `names`, property columns) and `edges` (`id`, `type`, `src`, `dst`, property
//! columns). The runner also registers `edges_out`, `edges_in` and `edges_both`:
//! the edges with `efrom`/`eto` columns seen from either end (`edges_both` lists a
//! self-loop once), so every hop is an equi-join.
//!
//! Each operator becomes one common table expression over the one below it; a
//! variable becomes a group of columns (`s3_id`, `s3_labels`, `s3_p0` ... for a node,
//! `s5_0`, `s5_1` for a value of several parts such as money). Every type is known
//! before running (property types come from the catalog), so every operator and
//! function is either translated to SQL with the engine's semantics or refused with
//! [`SparkError::Unsupported`] naming the construct: a query either compiles to SQL
//! that returns the embedded engine's rows, or does not compile.

pub mod catalog;
mod expr;
mod ops;

pub use catalog::{Catalog, Cell, DECIMAL_TYPE, PropColumn, PropType, date_from_parts, money_from_parts, prop_cells};

use crate::api::Params;
use crate::ast::{Span, Statement};
use crate::translate::Compiler;
use crate::{QueryError, is_read_only};
use lodestone_model::Value;
use lodestone_store::GraphRead;
use std::collections::BTreeSet;
use thiserror::Error;

/// Why a statement cannot run on Spark.
#[derive(Debug, Error)]
pub enum SparkError {
    /// The statement does not parse or compile in the engine itself.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A construct the compiler does not translate; the query runs only embedded.
    #[error("cannot run on Spark: {what}")]
    Unsupported {
        /// The construct, in words.
        what: String,
        /// Where in the statement, when known.
        span: Option<Span>,
    },
    /// A row from Spark does not match the column types the compiler expected.
    #[error("unexpected result from Spark: {0}")]
    Decode(String),
}

/// Result of the compiler.
pub type SparkResult<T> = Result<T, SparkError>;

pub(crate) fn unsupported<T>(what: impl Into<String>) -> SparkResult<T> {
    Err(SparkError::Unsupported {
        what: what.into(),
        span: None,
    })
}

/// How a result column is decoded from its SQL columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Always null.
    Null,
    /// A boolean.
    Bool,
    /// An integer.
    Int,
    /// A float.
    Float,
    /// A string.
    String,
    /// A date from year, month, day (and first and last day, ignored).
    Date,
    /// Money from amount and currency.
    Money,
    /// Money from amount and currency, or the integer 0 when null (`sum` of no values).
    MoneyOrZero,
    /// A percentage.
    Percent,
}

impl ColumnKind {
    /// How many SQL columns the kind spans.
    pub fn width(self) -> usize {
        match self {
            ColumnKind::Date => 5,
            ColumnKind::Money | ColumnKind::MoneyOrZero => 2,
            _ => 1,
        }
    }
}

/// A statement compiled to Spark SQL.
#[derive(Debug, Clone)]
pub struct SparkQuery {
    /// The SQL text (one statement, reading the views `nodes`, `edges`, `edges_out`, `edges_in`, `edges_both`).
    pub sql: String,
    /// Result column names.
    pub columns: Vec<String>,
    /// How each result column is decoded, in order; together they cover the SQL columns.
    pub kinds: Vec<ColumnKind>,
    /// Whether the row order is defined (the query ends in ORDER BY).
    pub ordered: bool,
}

/// A cell of a row from Spark.
#[derive(Debug, Clone, PartialEq)]
pub enum RawCell {
    /// Null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text (strings, decimals, ISO dates).
    Text(String),
}

impl SparkQuery {
    /// Turns one row of SQL cells into the engine's values.
    pub fn decode(&self, row: &[RawCell]) -> SparkResult<Vec<Value>> {
        let bad = |what: &str| SparkError::Decode(format!("{what} in row {row:?}"));
        let mut out = Vec::with_capacity(self.kinds.len());
        let mut i = 0;
        for kind in &self.kinds {
            let cells = row.get(i..i + kind.width()).ok_or_else(|| bad("too few cells"))?;
            i += kind.width();
            let first = &cells[0];
            let v = match (kind, first) {
                (ColumnKind::MoneyOrZero, RawCell::Null) => Value::Int(0),
                (_, RawCell::Null) => Value::Null,
                (ColumnKind::Null, _) => Value::Null,
                (ColumnKind::Bool, RawCell::Bool(b)) => Value::Bool(*b),
                (ColumnKind::Int, RawCell::Int(n)) => Value::Int(*n),
                (ColumnKind::Float, RawCell::Float(f)) => Value::Float(*f),
                (ColumnKind::Float, RawCell::Int(n)) => Value::Float(*n as f64),
                (ColumnKind::String, RawCell::Text(s)) => Value::String(s.clone()),
                (ColumnKind::Date, RawCell::Int(y)) => {
                    let part = |c: &RawCell| match c {
                        RawCell::Int(n) => Some(*n),
                        _ => None,
                    };
                    let (m, d) = (part(&cells[1]), part(&cells[2]));
                    let date = m
                        .zip(d)
                        .and_then(|(m, d)| date_from_parts(*y, m, d))
                        .ok_or_else(|| bad("a bad date"))?;
                    Value::Date(date)
                }
                (ColumnKind::Money | ColumnKind::MoneyOrZero, RawCell::Text(a)) => match &cells[1] {
                    RawCell::Text(c) => Value::Money(money_from_parts(a, c).ok_or_else(|| bad("bad money"))?),
                    _ => return Err(bad("money without a currency")),
                },
                (ColumnKind::Percent, RawCell::Text(a)) => Value::Percent(
                    a.parse::<lodestone_model::Decimal>()
                        .map_err(|_| bad("a bad percentage"))?
                        .normalize(),
                ),
                _ => return Err(bad(&format!("a cell that is not {kind:?}"))),
            };
            out.push(v);
        }
        Ok(out)
    }
}

/// Compiles a read-only query to Spark SQL. `graph` serves the planner's counts and
/// indexes (the database the tables were exported from, or an empty one); `catalog`
/// describes the exported tables.
pub fn compile(
    graph: &dyn GraphRead,
    statement: &Statement,
    params: &Params,
    catalog: &Catalog,
) -> SparkResult<SparkQuery> {
    let query = match statement {
        Statement::Query(q) => q,
        Statement::Question(_) => {
            return unsupported(
                "questions (their answer tables are built from paths and citations); write the pattern query instead",
            );
        }
        Statement::Explain(..) | Statement::Profile(..) => return unsupported("EXPLAIN and PROFILE"),
        Statement::Schema(_) => return unsupported("schema statements"),
    };
    if !is_read_only(statement) {
        return Err(SparkError::Unsupported {
            what: "writing clauses (CREATE, MERGE, SET, REMOVE, DELETE, CITE): Spark runs reads only".into(),
            span: Some(query.span),
        });
    }
    if query.as_of.is_some() {
        return Err(SparkError::Unsupported {
            what: "AS OF (validity dates are not applied on Spark)".into(),
            span: Some(query.span),
        });
    }
    let compiled = Compiler::new(graph, params, 15).compile_query(query)?;
    // First pass learns which properties the query reads; the second carries only those.
    let mut first = ops::Builder::new(catalog, None, &compiled.slot_names);
    first.query(&compiled).map_err(|e| with_span(e, query.span))?;
    let used: BTreeSet<String> = first.used_props.clone();
    let mut b = ops::Builder::new(catalog, Some(used), &compiled.slot_names);
    b.query(&compiled).map_err(|e| with_span(e, query.span))
}

fn with_span(e: SparkError, span: Span) -> SparkError {
    match e {
        SparkError::Unsupported { what, span: None } => SparkError::Unsupported { what, span: Some(span) },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lodestone_model::{Money, PartialDate};
    use lodestone_store::{MemStore, Storage};

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.observe(true, "name", &Value::String("a".into()));
        c.observe(true, "mixed", &Value::Int(1));
        c.observe(true, "mixed", &Value::String("x".into()));
        c.observe(false, "amount", &Value::Money(Money::new(1.into(), "USD").unwrap()));
        c
    }

    fn sql(text: &str) -> SparkResult<SparkQuery> {
        let store = MemStore::new();
        let graph = store.read().unwrap();
        let statement = crate::parse::parse_statement(text).unwrap();
        compile(graph.as_ref(), &statement, &Params::new(), &catalog())
    }

    fn refused(text: &str, what: &str) {
        match sql(text) {
            Err(SparkError::Unsupported { what: w, .. }) => assert!(w.contains(what), "{w}"),
            other => panic!("expected a refusal naming `{what}`, got {other:?}"),
        }
    }

    #[test]
    fn patterns_become_joins_and_order_puts_nulls_last() {
        let q = sql("MATCH (a:Company)-[r:FUNDS]->(b) RETURN a.name AS n, r.amount AS m ORDER BY n").unwrap();
        assert!(q.sql.contains("JOIN edges_out e ON e.efrom = t.s0_id"), "{}", q.sql);
        assert!(q.sql.contains("array_contains(n.labels, 'Company')"), "{}", q.sql);
        assert!(q.sql.contains("ASC NULLS LAST"), "{}", q.sql);
        assert_eq!(q.kinds, vec![ColumnKind::String, ColumnKind::Money]);
        assert!(q.ordered);
    }

    #[test]
    fn constructs_that_could_differ_are_refused() {
        refused("MATCH (n) SET n.x = 1", "writing");
        refused("MATCH (n) RETURN n.name AS n LIMIT 1", "without ORDER BY");
        refused("MATCH (n) RETURN n", "returning a node");
        refused("MATCH (n) RETURN collect(n.name) AS c", "collect");
        refused("MATCH (n) RETURN n.mixed AS m", "several types");
        refused("RETURN 1 / 2 AS x", "division");
        refused("MATCH (a)-[*]->(b) RETURN b.name AS n", "15 hops");
    }

    #[test]
    fn rows_decode_into_engine_values() {
        let q = SparkQuery {
            sql: String::new(),
            columns: vec!["d".into(), "m".into(), "z".into()],
            kinds: vec![ColumnKind::Date, ColumnKind::Money, ColumnKind::MoneyOrZero],
            ordered: false,
        };
        let row = vec![
            RawCell::Int(2025),
            RawCell::Int(9),
            RawCell::Int(0),
            RawCell::Text("2025-09-01".into()),
            RawCell::Text("2025-09-30".into()),
            RawCell::Text("277000000.000000000000000000".into()),
            RawCell::Text("USD".into()),
            RawCell::Null,
            RawCell::Null,
        ];
        let values = q.decode(&row).unwrap();
        assert_eq!(values[0], Value::Date(PartialDate::month(2025, 9).unwrap()));
        assert_eq!(values[1].to_string(), "USD 277M");
        assert_eq!(values[2], Value::Int(0));
        assert!(q.decode(&row[..3]).is_err());
    }
}
