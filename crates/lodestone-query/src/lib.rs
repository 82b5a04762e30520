//! The Lodestone query language: grammar binding, parser, planner and executor.
//!
//! Pipeline: [`parse`] text → [`ast`] → `translate` (scopes, variable kinds,
//! aggregates) → `plan` (operators and access paths) → `execute` (pushes rows
//! against the storage traits). The engine never names a storage backend: it sees
//! only [`lodestone_store::Storage`], [`lodestone_store::GraphRead`] and
//! [`lodestone_store::WriteTxn`].
//!
//! [`run`] is the entry point: a read runs on a snapshot, a write in one
//! transaction that commits whole or not at all.

pub mod api;
pub mod ast;
pub mod error;
mod execute;
pub mod parse;
mod plan;
pub mod question;
pub mod spark;
mod translate;
mod vocabulary;

#[cfg(test)]
mod tests;

pub use api::{CancelToken, Counters, ExecOptions, Limits, Output, Params};
pub use error::{QueryError, QueryResult, line_col};

use ast::{Query, SchemaStatement, Statement};
use execute::values::Key;
use execute::{Ctx, Flow, Graph};
use lodestone_model::{PartialDate, Value};
use lodestone_store::{GraphRead, GraphWrite, Storage};
use std::collections::HashSet;
use std::time::Instant;
use translate::{CompiledQuery, Compiler};

/// Runs one parsed statement against a store: reads on a snapshot, writes in one
/// transaction that commits whole or not at all.
pub fn run(storage: &dyn Storage, statement: &Statement, options: &ExecOptions) -> QueryResult<Output> {
    if writes(statement) {
        let mut txn = storage.write()?;
        let res = execute_statement(Graph::Write(&mut *txn), statement, options, Mode::Run);
        match res {
            Ok(out) => {
                txn.commit()?;
                Ok(out)
            }
            Err(e) => {
                txn.rollback();
                Err(e)
            }
        }
    } else {
        let snapshot = storage.read()?;
        execute_statement(Graph::Read(&*snapshot), statement, options, Mode::Run)
    }
}

/// Runs a statement inside a write transaction the caller owns (and commits or
/// rolls back). A statement that fails part-way may leave some of its changes in
/// the transaction, so a caller should roll back on error.
pub fn run_in_txn(txn: &mut dyn GraphWrite, statement: &Statement, options: &ExecOptions) -> QueryResult<Output> {
    execute_statement(Graph::Write(txn), statement, options, Mode::Run)
}

/// Runs a read-only statement on a snapshot the caller holds; a statement that
/// writes is refused with [`QueryError::Unsupported`].
pub fn run_read(graph: &dyn GraphRead, statement: &Statement, options: &ExecOptions) -> QueryResult<Output> {
    if writes(statement) {
        return Err(QueryError::Unsupported {
            what: "a writing statement on a read-only snapshot".into(),
            span: None,
        });
    }
    execute_statement(Graph::Read(graph), statement, options, Mode::Run)
}

/// Runs a read-only query the engine built itself (a compiled question), possibly
/// under EXPLAIN or PROFILE. Its names come from the schema's edge families and
/// the question's own filters, so the check of written names does not apply.
pub(crate) fn run_generated(
    graph: &dyn GraphRead,
    statement: &Statement,
    options: &ExecOptions,
) -> QueryResult<Output> {
    let (query, mode) = match statement {
        Statement::Query(q) => (q, Mode::Run),
        Statement::Explain(inner, _) | Statement::Profile(inner, _) => match &**inner {
            Statement::Query(q) if matches!(statement, Statement::Explain(..)) => (q, Mode::Explain),
            Statement::Query(q) => (q, Mode::Profile),
            _ => return run_read(graph, statement, options),
        },
        _ => return run_read(graph, statement, options),
    };
    if writes(statement) {
        return run_read(graph, statement, options);
    }
    execute_query(Graph::Read(graph), query, options, mode)
}

/// Whether running the statement leaves the database unchanged.
pub fn is_read_only(statement: &Statement) -> bool {
    !writes(statement)
}

fn writes(statement: &Statement) -> bool {
    match statement {
        Statement::Query(q) => translate::query_writes(q),
        Statement::Schema(s) => execute::schema::is_write(s),
        Statement::Explain(..) | Statement::Question(_) => false,
        Statement::Profile(inner, _) => writes(inner),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Run,
    Explain,
    Profile,
}

fn read_of<'a>(graph: &'a Graph<'_>) -> &'a dyn GraphRead {
    match graph {
        Graph::Read(g) => *g,
        Graph::Write(w) => &**w,
    }
}

fn execute_statement(
    graph: Graph<'_>,
    statement: &Statement,
    options: &ExecOptions,
    mode: Mode,
) -> QueryResult<Output> {
    match statement {
        Statement::Explain(inner, _) => execute_statement(graph, inner, options, Mode::Explain),
        Statement::Profile(inner, _) => {
            let m = if mode == Mode::Explain {
                Mode::Explain
            } else {
                Mode::Profile
            };
            execute_statement(graph, inner, options, m)
        }
        Statement::Query(q) => {
            vocabulary::check(read_of(&graph), q)?;
            execute_query(graph, q, options, mode)
        }
        Statement::Schema(s) => execute_schema(graph, s, mode),
        Statement::Question(q) => {
            let m = match mode {
                Mode::Run => question::Mode::Run,
                Mode::Explain => question::Mode::Explain,
                Mode::Profile => question::Mode::Profile,
            };
            question::answer(read_of(&graph), q, options, m)
        }
    }
}

fn execute_schema(graph: Graph<'_>, s: &SchemaStatement, mode: Mode) -> QueryResult<Output> {
    if mode == Mode::Explain {
        return Ok(Output {
            plan: Some(execute::schema::describe(s)),
            ..Output::default()
        });
    }
    let t0 = Instant::now();
    match (s, graph) {
        (SchemaStatement::ShowSchema(_), g) => {
            let (columns, rows) = execute::schema::show(read_of(&g))?;
            Ok(Output {
                columns,
                rows,
                exec_time: t0.elapsed(),
                ..Output::default()
            })
        }
        (_, Graph::Write(w)) => {
            let counters = execute::schema::apply(w, s)?;
            Ok(Output {
                counters,
                exec_time: t0.elapsed(),
                ..Output::default()
            })
        }
        (_, Graph::Read(_)) => Err(QueryError::Unsupported {
            what: "a schema change on a read-only snapshot".into(),
            span: None,
        }),
    }
}

fn plan_text(compiled: &CompiledQuery, stats: Option<&[execute::OpStats]>) -> String {
    let mut lines = Vec::new();
    let union = compiled.parts.len() > 1;
    if union {
        lines.push(if compiled.union_distinct { "Union" } else { "UnionAll" }.to_string());
    }
    let base = if union { "  " } else { "" };
    for part in &compiled.parts {
        if part.columns.is_empty() {
            lines.push(format!("{base}Result"));
        } else {
            lines.push(format!("{base}Result ({})", part.columns.join(", ")));
        }
        for l in plan::render_plan(&part.root, &compiled.slot_names, stats) {
            lines.push(format!("{base}  {l}"));
        }
    }
    lines.join("\n")
}

fn as_of_date(ctx: &mut Ctx, compiled: &CompiledQuery) -> QueryResult<Option<PartialDate>> {
    let Some(e) = &compiled.as_of else {
        return Ok(None);
    };
    match execute::eval::eval_const(e, ctx)? {
        Value::Date(d) => Ok(Some(d)),
        Value::String(s) => Ok(Some(s.parse()?)),
        other => Err(QueryError::Argument {
            message: format!("AS OF expects a date such as @2025-08, got {other}"),
            span: None,
        }),
    }
}

fn execute_query(graph: Graph<'_>, q: &Query, options: &ExecOptions, mode: Mode) -> QueryResult<Output> {
    let t0 = Instant::now();
    let compiled = {
        let mut c = Compiler::new(read_of(&graph), &options.params, options.limits.max_hops);
        c.compile_query(q)?
    };
    let compile_time = t0.elapsed();
    let columns = compiled.parts[0].columns.clone();
    if mode == Mode::Explain {
        return Ok(Output {
            columns: Vec::new(),
            plan: Some(plan_text(&compiled, None)),
            compile_time,
            ..Output::default()
        });
    }
    let t1 = Instant::now();
    let mut ctx = Ctx::new(
        graph,
        &options.limits,
        &options.cancel,
        compiled.nops,
        mode == Mode::Profile,
    );
    ctx.check_now()?;
    ctx.as_of = as_of_date(&mut ctx, &compiled)?;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for part in &compiled.parts {
        let mut row = vec![Value::Null; compiled.nslots];
        let slots = &part.slots;
        // A statement without RETURN yields no rows, whatever it ran over.
        let returns = !part.columns.is_empty();
        execute::run_op(&part.root, &mut ctx, &mut row, &mut |_, r| {
            if returns {
                rows.push(slots.iter().map(|s| r[*s].clone()).collect());
            }
            Ok(Flow::Go)
        })?;
    }
    if compiled.union_distinct {
        let mut seen = HashSet::new();
        rows.retain(|r| seen.insert(Key(r.clone())));
    }
    let mut out_rows = Vec::with_capacity(rows.len());
    for r in rows {
        let mut cells = Vec::with_capacity(r.len());
        for v in r {
            cells.push(execute::functions::materialize(&mut ctx, v)?);
        }
        out_rows.push(cells);
    }
    let plan = (mode == Mode::Profile).then(|| plan_text(&compiled, Some(&ctx.stats)));
    Ok(Output {
        columns,
        rows: out_rows,
        counters: ctx.counters(),
        plan,
        compile_time,
        exec_time: t1.elapsed(),
    })
}
