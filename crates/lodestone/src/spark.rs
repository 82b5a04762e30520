//! Running queries on Apache Spark: the table layout and the compiler from a
//! statement to Spark SQL (see `lodestone_query::spark`). The CLI's `lode spark`
//! exports the tables and runs the SQL.

pub use lodestone_query::spark::{
    Catalog, Cell, ColumnKind, DECIMAL_TYPE, PropColumn, PropType, RawCell, SparkError, SparkQuery, SparkResult,
    date_from_parts, money_from_parts, prop_cells,
};

use crate::{Database, Params};

/// Compiles a read-only statement to Spark SQL over tables described by `catalog`;
/// the database serves the planner's counts and indexes.
pub fn compile(db: &Database, text: &str, params: &Params, catalog: &Catalog) -> SparkResult<SparkQuery> {
    let statement = lodestone_query::parse::parse_statement(text)?;
    let graph = db.storage().read().map_err(lodestone_query::QueryError::from)?;
    lodestone_query::spark::compile(graph.as_ref(), &statement, params, catalog)
}
