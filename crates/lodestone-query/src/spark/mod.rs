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

pub use catalog::{
    CITES_TYPE, Catalog, Cell, DECIMAL_TYPE, PropColumn, PropType, date_from_parts, money_from_parts, prop_cells,
};

use crate::api::{Output, Params};
use crate::ast::{Query, QuestionKind, Span, Statement};
use crate::question::Facts;
use crate::translate::Compiler;
use crate::{QueryError, QueryResult, is_read_only};
use lodestone_model::{Citation, EdgeId, EdgeValue, NodeId, NodeValue, PathValue, Props, Value};
use lodestone_store::GraphRead;
use serde_json::Value as Json;
use std::collections::HashMap;
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
    /// A whole node, as JSON text of its table columns.
    Node,
    /// A whole relationship, as JSON text of its table columns.
    Edge,
    /// A list of relationships (a variable-length pattern), as a JSON array.
    Edges,
    /// A path, as JSON text holding its nodes and relationships.
    Path,
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

    /// Whether the column holds whole graph elements (decoded with the catalog).
    pub fn is_element(self) -> bool {
        matches!(
            self,
            ColumnKind::Node | ColumnKind::Edge | ColumnKind::Edges | ColumnKind::Path
        )
    }

    fn of_prop(ty: PropType) -> Option<ColumnKind> {
        Some(match ty {
            PropType::Bool => ColumnKind::Bool,
            PropType::Int => ColumnKind::Int,
            PropType::Float => ColumnKind::Float,
            PropType::String => ColumnKind::String,
            PropType::Date => ColumnKind::Date,
            PropType::Money => ColumnKind::Money,
            PropType::Percent => ColumnKind::Percent,
            PropType::Unsupported => return None,
        })
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
    /// Whether the row order is defined (the query ends in ORDER BY, or is a question).
    pub ordered: bool,
    /// The tables' catalog, for decoding whole elements.
    pub catalog: Catalog,
    /// The question whose table is built from the rows, when the statement is one.
    pub question: Option<QuestionKind>,
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

/// The citations and names of the elements in a result from Spark: what a
/// question's table reads besides the rows.
#[derive(Debug, Default)]
struct ResultFacts {
    nodes: HashMap<NodeId, (Vec<Citation>, String)>,
    edges: HashMap<EdgeId, Vec<Citation>>,
}

impl Facts for ResultFacts {
    fn node_citations(&self, id: NodeId) -> QueryResult<Vec<Citation>> {
        Ok(self.nodes.get(&id).map(|n| n.0.clone()).unwrap_or_default())
    }

    fn edge_citations(&self, id: EdgeId) -> QueryResult<Vec<Citation>> {
        Ok(self.edges.get(&id).cloned().unwrap_or_default())
    }

    fn node_name(&self, id: NodeId) -> QueryResult<Option<String>> {
        Ok(self.nodes.get(&id).map(|n| n.1.clone()))
    }
}

/// One value from the SQL cells of its kind.
fn cell_value(kind: ColumnKind, cells: &[RawCell]) -> Result<Value, String> {
    let Some(first) = cells.first() else {
        return Err("too few cells".into());
    };
    Ok(match (kind, first) {
        (ColumnKind::MoneyOrZero, RawCell::Null) => Value::Int(0),
        (_, RawCell::Null) => Value::Null,
        (ColumnKind::Null, _) => Value::Null,
        (ColumnKind::Bool, RawCell::Bool(b)) => Value::Bool(*b),
        (ColumnKind::Int, RawCell::Int(n)) => Value::Int(*n),
        (ColumnKind::Float, RawCell::Float(f)) => Value::Float(*f),
        (ColumnKind::Float, RawCell::Int(n)) => Value::Float(*n as f64),
        (ColumnKind::String, RawCell::Text(s)) => Value::String(s.clone()),
        (ColumnKind::Date, RawCell::Int(y)) => {
            let part = |c: Option<&RawCell>| match c {
                Some(RawCell::Int(n)) => Some(*n),
                _ => None,
            };
            let (m, d) = (part(cells.get(1)), part(cells.get(2)));
            let date = m
                .zip(d)
                .and_then(|(m, d)| date_from_parts(*y, m, d))
                .ok_or("a bad date")?;
            Value::Date(date)
        }
        (ColumnKind::Money | ColumnKind::MoneyOrZero, RawCell::Text(a)) => match cells.get(1) {
            Some(RawCell::Text(c)) => Value::Money(money_from_parts(a, c).ok_or("bad money")?),
            _ => return Err("money without a currency".into()),
        },
        (ColumnKind::Percent, RawCell::Text(a)) => Value::Percent(
            a.parse::<lodestone_model::Decimal>()
                .map_err(|_| "a bad percentage")?
                .normalize(),
        ),
        _ => return Err(format!("a cell that is not {kind:?}")),
    })
}

impl RawCell {
    /// A cell from its JSON form (the runner's rows, an element's fields); other JSON
    /// values are kept as their text.
    pub fn from_json(v: &Json) -> RawCell {
        match v {
            Json::Null => RawCell::Null,
            Json::Bool(b) => RawCell::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => RawCell::Int(i),
                None => RawCell::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => RawCell::Text(s.clone()),
            other => RawCell::Text(other.to_string()),
        }
    }
}

impl SparkQuery {
    /// Turns one row of SQL cells into the engine's values.
    pub fn decode(&self, row: &[RawCell]) -> SparkResult<Vec<Value>> {
        self.decode_row(row, &mut ResultFacts::default())
    }

    fn decode_row(&self, row: &[RawCell], facts: &mut ResultFacts) -> SparkResult<Vec<Value>> {
        let bad = |what: &str| SparkError::Decode(format!("{what} in row {row:?}"));
        let mut out = Vec::with_capacity(self.kinds.len());
        let mut i = 0;
        for kind in &self.kinds {
            let cells = row.get(i..i + kind.width()).ok_or_else(|| bad("too few cells"))?;
            i += kind.width();
            let v = match (kind.is_element(), &cells[0]) {
                (true, RawCell::Null) => Value::Null,
                (true, RawCell::Text(text)) => {
                    let json: Json = serde_json::from_str(text).map_err(|e| bad(&format!("bad element JSON ({e})")))?;
                    self.element(*kind, &json, facts).map_err(|e| bad(&e))?
                }
                (true, _) => return Err(bad("an element that is not JSON text")),
                (false, _) => cell_value(*kind, cells).map_err(|e| bad(&e))?,
            };
            out.push(v);
        }
        Ok(out)
    }

    fn props(&self, node: bool, obj: &serde_json::Map<String, Json>) -> Result<Props, String> {
        let catalog = if node {
            &self.catalog.node_props
        } else {
            &self.catalog.edge_props
        };
        let mut props = Props::new();
        for (key, col) in catalog {
            let Some(kind) = ColumnKind::of_prop(col.ty) else {
                continue;
            };
            let cells: Vec<RawCell> = col
                .ty
                .columns()
                .iter()
                .map(|(suffix, _)| {
                    obj.get(&format!("{}{suffix}", col.column))
                        .map_or(RawCell::Null, RawCell::from_json)
                })
                .collect();
            match cell_value(kind, &cells).map_err(|e| format!("property `{key}`: {e}"))? {
                Value::Null => {}
                v => {
                    props.insert(key.clone(), v);
                }
            }
        }
        Ok(props)
    }

    fn citations(obj: &serde_json::Map<String, Json>) -> Vec<Citation> {
        let Some(Json::Array(items)) = obj.get("cites") else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|c| {
                Some(Citation {
                    source: c.get("source")?.as_str()?.to_string(),
                    line: c.get("line").and_then(Json::as_u64).and_then(|l| u32::try_from(l).ok()),
                    note: c.get("note").and_then(Json::as_str).map(str::to_string),
                })
            })
            .collect()
    }

    fn node(&self, v: &Json, facts: &mut ResultFacts) -> Result<NodeValue, String> {
        let obj = v.as_object().ok_or("a node that is not an object")?;
        let id = obj.get("id").and_then(Json::as_u64).ok_or("a node without an id")?;
        let labels = match obj.get("labels") {
            Some(Json::Array(items)) => items.iter().filter_map(|l| l.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        let node = NodeValue {
            id: NodeId(id),
            labels,
            props: self.props(true, obj)?,
        };
        let name = crate::question::table::node_name(&node);
        // Path elements of a plain query carry no citations: keep any already known.
        if obj.contains_key("cites") || !facts.nodes.contains_key(&node.id) {
            facts.nodes.insert(node.id, (Self::citations(obj), name));
        }
        Ok(node)
    }

    fn edge(&self, v: &Json, facts: &mut ResultFacts) -> Result<EdgeValue, String> {
        let obj = v.as_object().ok_or("a relationship that is not an object")?;
        let num = |k: &str| {
            obj.get(k)
                .and_then(Json::as_u64)
                .ok_or(format!("a relationship without `{k}`"))
        };
        let edge = EdgeValue {
            id: EdgeId(num("id")?),
            rel_type: obj.get("type").and_then(Json::as_str).unwrap_or_default().to_string(),
            start: NodeId(num("src")?),
            end: NodeId(num("dst")?),
            props: self.props(false, obj)?,
        };
        if obj.contains_key("cites") || !facts.edges.contains_key(&edge.id) {
            facts.edges.insert(edge.id, Self::citations(obj));
        }
        Ok(edge)
    }

    fn element(&self, kind: ColumnKind, v: &Json, facts: &mut ResultFacts) -> Result<Value, String> {
        let list = |v: Option<&Json>| match v {
            Some(Json::Array(items)) => Ok(items.clone()),
            _ => Err("a list of elements that is not an array".to_string()),
        };
        Ok(match kind {
            ColumnKind::Node => Value::Node(Box::new(self.node(v, facts)?)),
            ColumnKind::Edge => Value::Edge(Box::new(self.edge(v, facts)?)),
            ColumnKind::Edges => Value::List(
                list(Some(v))?
                    .iter()
                    .map(|e| self.edge(e, facts).map(|e| Value::Edge(Box::new(e))))
                    .collect::<Result<_, _>>()?,
            ),
            _ => {
                let nodes = list(v.get("nodes"))?
                    .iter()
                    .map(|n| self.node(n, facts))
                    .collect::<Result<Vec<_>, _>>()?;
                let edges = list(v.get("edges"))?
                    .iter()
                    .map(|e| self.edge(e, facts))
                    .collect::<Result<Vec<_>, _>>()?;
                if nodes.len() != edges.len() + 1 {
                    return Err("a path whose nodes and relationships do not alternate".into());
                }
                Value::Path(Box::new(PathValue { nodes, edges }))
            }
        })
    }

    /// The statement's result from Spark's rows: the decoded rows, or for a question
    /// its table built from them (citations come from the tables' `cites` columns).
    pub fn finish(&self, rows: &[Vec<RawCell>]) -> SparkResult<Output> {
        let mut facts = ResultFacts::default();
        let rows = rows
            .iter()
            .map(|r| self.decode_row(r, &mut facts))
            .collect::<SparkResult<Vec<_>>>()?;
        let out = Output {
            columns: self.columns.clone(),
            rows,
            ..Output::default()
        };
        match self.question {
            None => Ok(out),
            Some(kind) => Ok(crate::question::build_table(kind, &facts, &out)?),
        }
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
        Statement::Question(q) => {
            let text = crate::parse::to_text(statement);
            let refuse = |what: String| SparkError::Unsupported {
                what: format!("the question `{text}` ({what})"),
                span: Some(q.span),
            };
            if q.as_of.is_some() {
                return Err(refuse("AS OF: validity dates are not applied on Spark".into()));
            }
            let compiled = crate::question::compile(graph, q)?;
            let mut params = params.clone();
            params.extend(compiled.params.clone());
            let mut out = compile_query(graph, &compiled.query, &params, catalog, true).map_err(|e| match e {
                SparkError::Unsupported { what, .. } => refuse(format!("its query needs {what}")),
                other => other,
            })?;
            out.question = Some(q.kind);
            out.ordered = true;
            return Ok(out);
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
    compile_query(graph, query, params, catalog, false)
}

/// Compiles a query; `question` allows whole elements whose unexported properties
/// the question's table does not read.
fn compile_query(
    graph: &dyn GraphRead,
    query: &Query,
    params: &Params,
    catalog: &Catalog,
    question: bool,
) -> SparkResult<SparkQuery> {
    let compiled = Compiler::new(graph, params, 15).compile_query(query)?;
    // The first pass learns which properties the query reads and whether it needs
    // path elements; the second carries only those.
    let mut first = ops::Builder::new(catalog, None, &compiled.slot_names, true, question);
    first.query(&compiled).map_err(|e| with_span(e, query.span))?;
    if question {
        // The question's table reads these from the returned elements.
        use crate::question::table::{PATH_EDGE_PROPS, PATH_NODE_PROPS};
        let node_keys = PATH_NODE_PROPS.iter().map(|k| (&catalog.node_props, *k));
        let edge_keys = PATH_EDGE_PROPS.iter().map(|k| (&catalog.edge_props, *k));
        for (props, key) in node_keys.chain(edge_keys) {
            if props.get(key).is_some_and(|c| c.ty == PropType::Unsupported) {
                return Err(SparkError::Unsupported {
                    what: format!(
                        "the property `{key}`, whose values are lists, maps or of several types, which the answer table reads"
                    ),
                    span: Some(query.span),
                });
            }
        }
    }
    if first.returns_whole && !question {
        let lost = catalog
            .node_props
            .iter()
            .chain(&catalog.edge_props)
            .find(|(_, c)| c.ty == PropType::Unsupported);
        if let Some((key, _)) = lost {
            return Err(SparkError::Unsupported {
                what: format!(
                    "returning whole elements: the property `{key}` holds lists, maps or values of several types, which the tables do not hold (return properties instead)"
                ),
                span: Some(query.span),
            });
        }
    }
    // Returned nodes and relationships are read again from their tables at the end;
    // path elements carry every property, or for a question what its table reads.
    let used = if first.returns_paths && !question {
        None
    } else {
        let mut used = first.used_props.clone();
        if question {
            use crate::question::table::{PATH_EDGE_PROPS, PATH_NODE_PROPS};
            used.extend(PATH_NODE_PROPS.iter().map(|k| expr::prop_key(true, k)));
            used.extend(PATH_EDGE_PROPS.iter().map(|k| expr::prop_key(false, k)));
        }
        Some(used)
    };
    let cites = question || first.needs_cites;
    let mut b = ops::Builder::new(catalog, used, &compiled.slot_names, first.needs_elements, cites);
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
        refused("MATCH (n) RETURN n", "returning whole elements");
        refused("MATCH (n) RETURN collect(n.name) AS c", "collect");
        refused("MATCH (n) RETURN n.mixed AS m", "several types");
        refused("RETURN 1 / 2 AS x", "division");
        refused("MATCH (a)-[*]->(b) RETURN b.name AS n", "15 hops");
    }

    fn store_with(script: &str) -> MemStore {
        let store = MemStore::new();
        for text in script.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            let statement = crate::parse::parse_statement(text).unwrap();
            crate::run(&store, &statement, &crate::api::ExecOptions::default()).unwrap();
        }
        store
    }

    #[test]
    fn questions_compile_to_paths_with_their_elements() {
        let store = store_with(
            "CREATE (:Government {name: 'Oklahoma'})-[:FUNDS {role: 'grantor'}]->(d:Deal {name: 'Grant', kind: 'grant'})-[:FUNDS]->(:Company {name: 'USAR'})",
        );
        let graph = store.read().unwrap();
        let mut c = Catalog::default();
        c.observe(true, "name", &Value::String("a".into()));
        c.observe(true, "kind", &Value::String("a".into()));
        c.observe(false, "role", &Value::String("a".into()));
        let statement = crate::parse::parse_statement("who funds USAR").unwrap();
        let q = compile(graph.as_ref(), &statement, &Params::new(), &c).unwrap();
        assert_eq!(q.question, Some(QuestionKind::WhoFunds));
        assert!(q.ordered);
        // The path's nodes are tested for Deal with a lambda; returned elements are JSON.
        assert!(
            q.sql.contains("exists(") && q.sql.contains("array_contains(lv"),
            "{}",
            q.sql
        );
        assert!(q.sql.contains("to_json(named_struct('nodes'"), "{}", q.sql);
        assert!(q.sql.contains("LEFT JOIN nodes j"), "{}", q.sql);
        assert!(q.kinds.contains(&ColumnKind::Path) && q.kinds.contains(&ColumnKind::Node));
        // Optional rows are grouped on nested columns as JSON, never hashed as structs.
        assert!(
            !q.sql
                .contains("SELECT DISTINCT t._one, t.s0_id, t.s0_labels, t.s0_cites"),
            "{}",
            q.sql
        );
        // A name of several kinds is not exported, and the table would show ids instead.
        let mut mixed = c.clone();
        mixed.observe(true, "name", &Value::Int(1));
        match compile(graph.as_ref(), &statement, &Params::new(), &mixed) {
            Err(SparkError::Unsupported { what, .. }) => assert!(what.contains("`name`"), "{what}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let conflicts = crate::parse::parse_statement("conflicts").unwrap();
        match compile(graph.as_ref(), &conflicts, &Params::new(), &c) {
            Err(SparkError::Unsupported { what, .. }) => {
                assert!(what.starts_with("the question `conflicts`"), "{what}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn citations_unwind_from_the_cites_column() {
        let q =
            sql("MATCH (n) UNWIND sources(n) AS s RETURN s.source AS src, s.line AS line ORDER BY src, line").unwrap();
        assert!(
            q.sql.contains("LATERAL VIEW explode(array_distinct(t.s0_cites))"),
            "{}",
            q.sql
        );
        assert_eq!(q.kinds, vec![ColumnKind::String, ColumnKind::Int]);
        refused("UNWIND [1, 2] AS x RETURN x", "UNWIND of a list other than sources(x)");
        refused(
            "MATCH (n) UNWIND labels(n) AS x RETURN x",
            "UNWIND of a list other than sources(x)",
        );
        refused("MATCH (n) UNWIND sources(n) AS s RETURN s", "citation map");
    }

    #[test]
    fn whole_elements_decode_with_their_citations() {
        let mut c = Catalog::default();
        c.observe(true, "name", &Value::String("a".into()));
        c.observe(true, "amount", &Value::Money(Money::new(1.into(), "USD").unwrap()));
        c.observe(false, "since", &Value::Date(PartialDate::month(2025, 9).unwrap()));
        let q = SparkQuery {
            sql: String::new(),
            columns: vec!["n".into(), "p".into()],
            kinds: vec![ColumnKind::Node, ColumnKind::Path],
            ordered: false,
            catalog: c,
            question: None,
        };
        let node = r#"{"id":7,"labels":["Company"],"cites":[{"source":"a.txt","line":3}],"p0":"MP","p1_a":"1.50","p1_c":"USD"}"#;
        let path = r#"{"nodes":[{"id":7,"labels":["Company"],"p0":"MP"},{"id":8,"labels":[]}],"edges":[{"id":1,"type":"OWNS","src":7,"dst":8,"p0_y":2025,"p0_m":9,"p0_d":0}]}"#;
        let mut facts = ResultFacts::default();
        let row = q
            .decode_row(&[RawCell::Text(node.into()), RawCell::Text(path.into())], &mut facts)
            .unwrap();
        let Value::Node(n) = &row[0] else { panic!("{row:?}") };
        assert_eq!(n.id, NodeId(7));
        assert_eq!(n.props["amount"].to_string(), "USD 1.5");
        assert_eq!(facts.node_citations(NodeId(7)).unwrap()[0].line, Some(3));
        let Value::Path(p) = &row[1] else { panic!("{row:?}") };
        assert_eq!(p.nodes.len(), 2);
        assert_eq!(
            p.edges[0].props["since"],
            Value::Date(PartialDate::month(2025, 9).unwrap())
        );
        let bad = r#"{"nodes":[{"id":7}],"edges":[{"id":1,"type":"OWNS","src":7,"dst":8}]}"#;
        assert!(q.decode(&[RawCell::Null, RawCell::Text(bad.into())]).is_err());
    }

    #[test]
    fn rows_decode_into_engine_values() {
        let q = SparkQuery {
            sql: String::new(),
            columns: vec!["d".into(), "m".into(), "z".into()],
            kinds: vec![ColumnKind::Date, ColumnKind::Money, ColumnKind::MoneyOrZero],
            ordered: false,
            catalog: Catalog::default(),
            question: None,
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
