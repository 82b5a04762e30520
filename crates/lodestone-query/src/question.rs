//! Analyst questions (`who funds Round Top`) compiled to ordinary pattern queries.
//!
//! A question runs in three steps:
//!
//! 1. **Names.** Each entity is resolved through the name index: the written name is
//!    normalized with [`lodestone_model::normalize_name`] (case, punctuation and legal
//!    suffixes such as `Inc.` do not matter) and looked up among every `name` and
//!    alias. No match is [`QueryError::UnknownEntity`] with up to three close names
//!    ("did you mean Round Top?"); a name of several nodes is
//!    [`QueryError::AmbiguousEntity`] listing each with its label.
//! 2. **Query.** The question becomes a query in the language over edge *families*,
//!    not kinds: the relationship types are those the database's schema declares
//!    for the family (`CREATE EDGE KIND ... FAMILY investment`), or the conventional
//!    ones when it declares none (see [`conventional_types`]). The resolved nodes
//!    are bound by id as the parameters `$subject` and `$object`. `as of @date`
//!    becomes `AS OF @date`. The query runs through the normal planner and
//!    executor; `EXPLAIN <question>` shows its text and plan.
//! 3. **Table.** Each row of the query becomes a row of the answer: the walk it
//!    matched is written as a readable path (`via`), and the citations of the
//!    facts on it (the relationships walked and any deal node) as a sorted list of
//!    `file:line` strings (`sources`).
//!
//! # Column sets
//!
//! | question | columns |
//! |---|---|
//! | `who funds X` | `funder, instrument, amount, bound, date, status, via, sources` |
//! | `what does X fund` | `recipient, instrument, amount, bound, date, status, via, sources` |
//! | `who owns X` | `owner, share, via, sources` |
//! | `what does X own` | `owned, share, via, sources` |
//! | `who supplies X` | `supplier, material, deal, status, sources` |
//! | `who buys from X` | `buyer, material, deal, status, sources` |
//! | `what does X supply` | `material, buyer, deal, status, sources` |
//! | `partners of X` | `partner, relation, via, sources` |
//! | `what does X operate` (develop, produce) | `asset, relation, stage, date, sources` |
//! | `path from X to Y` | `path, hop, from, relation, to, sources` |
//! | `conflicts [about X]` | `key, claim, status, differs, sources` |
//! | `sources of X` | `source, line, note` |
//!
//! # What each form walks
//!
//! - **who funds X**: `funder -[investment]-> (d:Deal) -[investment]-> recipient`,
//!   where the recipient is X or reaches X in up to three hops of the ownership and
//!   operation families (whoever owns, develops or operates X; no deal node on the
//!   way). A funder that funds the recipient directly (no deal) is found too. A deal
//!   whose funder the sources do not name has a null `funder`. `instrument`,
//!   `amount` and `bound` (`'up to'`, `'more than'`) come from the funder's edge,
//!   then the recipient's edge, then the deal (`kind` for the instrument); `date`
//!   and `status` from the deal. One row per funding fact: when several walks lead
//!   from the recipient to X, the shortest is shown. Ordered by funder, date,
//!   instrument, amount.
//! - **what does X fund**: the mirror, without walking down from the recipient; a
//!   deal without a named recipient has a null `recipient`.
//! - **who owns X** / **what does X own**: chains of up to four ownership-family
//!   edges between entities (deal nodes excluded, so an acquisition deal is not
//!   ownership until it produces an `OWNS` edge). `share` is the share stated on a
//!   one-hop chain, the product of the shares along a longer one, or null when a hop
//!   states none. Ordered by chain length, then name.
//! - **who supplies X** / **who buys from X** / **what does X supply**: supply-family
//!   edges directly between the two parties, or through an offtake deal
//!   (`seller -> deal -> buyer`); `material` from the edges or the deal, `deal` the
//!   deal's name, `status` the deal's (or the edge's).
//! - **partners of X**: partnership-family edges between X and another entity, and
//!   co-parties of a deal: both linked to it by partnership-family edges *in the same
//!   role*, in a deal that is not a unilateral act (no party in the role `issuer`),
//!   and not linked to X by the membership family (a minister who signs for their
//!   government is not that government's partner). `relation` is the relationship
//!   type, or the deal's `kind`.
//! - **what does X operate**: operation-family edges from X; `stage` from the edge's
//!   `stage`, `milestone` or `scope`, `date` from its `target`, `date` or `valid_from`.
//! - **path from X to Y**: the shortest connections of up to six hops over any
//!   relationship in either direction; each hop is a row (`relation` shows the
//!   relationship as walked, `-[TYPE role]->` or `<-[TYPE role]-`). When there are
//!   several shortest paths, up to five are listed, numbered in `path`, in the order
//!   of their text.
//! - **conflicts [about X]**: nodes or relationships that share a `key` (claims about
//!   one fact) and whose properties differ; one row per claim, side by side. `differs`
//!   maps each differing property (other than `status`, which has its own column) to
//!   this claim's value; free-text `description` and `note` are not compared. With
//!   `about X`, only keys of claims that are X, touch X, or are relationships of X.
//! - **sources of X**: the citations of X itself.

mod resolve;
pub(crate) mod table;
mod text;

pub use resolve::{MAX_SUGGESTIONS, MIN_SIMILARITY, Resolved, resolve, suggest};
pub use table::{Facts, MAX_PATHS};
pub use text::{CONTROL_DEPTH, Families, OBJECT, OWNERSHIP_DEPTH, PATH_DEPTH, SUBJECT, conventional_types, query_text};

use crate::api::{ExecOptions, Output, Params};
use crate::ast::{Query, Question, QuestionKind, Span, Statement};
use crate::{QueryError, QueryResult};
use lodestone_model::Value;
use lodestone_store::{GraphRead, Storage};
use std::time::Instant;

/// How a question is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Run it and return its table.
    Run,
    /// Show the compiled query and its plan without running it.
    Explain,
    /// Run it and show the compiled query with rows and time per operator.
    Profile,
}

/// A question compiled to a query.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The question.
    pub question: Question,
    /// The entities it names, resolved: the subject, then the object.
    pub entities: Vec<Resolved>,
    /// The query text.
    pub text: String,
    /// The query, parsed from `text`.
    pub query: Query,
    /// The parameters binding the entities (`$subject`, `$object`).
    pub params: Params,
}

impl Compiled {
    /// What `EXPLAIN <question>` prints before the plan: the question, its entities and the query.
    pub fn explain_text(&self) -> String {
        let mut out = format!(
            "question: {}\n",
            crate::parse::to_text(&Statement::Question(self.question.clone()))
        );
        let slots = [SUBJECT, OBJECT];
        for (slot, e) in slots.iter().zip(&self.entities) {
            out.push_str(&format!(
                "${slot} = {}: '{}' is {} ({})\n",
                e.id,
                e.written,
                e.name,
                e.labels.join(":")
            ));
        }
        out.push_str("query:\n");
        for line in self.text.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

fn needs_subject(kind: QuestionKind) -> bool {
    kind != QuestionKind::Conflicts
}

/// Resolves the question's entities and builds its query (see the module documentation).
pub fn compile(graph: &dyn GraphRead, question: &Question) -> QueryResult<Compiled> {
    let missing = |what: &str| QueryError::Syntax {
        message: format!("this question needs {what}"),
        span: question.span,
    };
    let mut entities = Vec::new();
    match &question.subject {
        Some(e) => entities.push(resolve(graph, e)?),
        None if needs_subject(question.kind) => return Err(missing("an entity name")),
        None => {}
    }
    match &question.object {
        Some(e) => entities.push(resolve(graph, e)?),
        None if question.kind == QuestionKind::Path => return Err(missing("a second entity: path from X to Y")),
        None => {}
    }
    let families = Families::from_schema(&graph.schema()?);
    let text = query_text(question, &families);
    let internal = |detail: String| QueryError::Semantic {
        code: "QuestionCompile",
        message: format!("the question compiled to a query that does not parse ({detail}):\n{text}"),
        span: question.span,
    };
    let query = match crate::parse::parse_statement(&text) {
        Ok(Statement::Query(query)) => query,
        Ok(_) => return Err(internal("not a query".into())),
        Err(e) => return Err(internal(e.to_string())),
    };
    let params: Params = [SUBJECT, OBJECT]
        .iter()
        .zip(&entities)
        .map(|(slot, e)| (slot.to_string(), Value::Int(e.id.0 as i64)))
        .collect();
    Ok(Compiled {
        question: question.clone(),
        entities,
        text,
        query,
        params,
    })
}

/// Points an error from the compiled query at the question, whose text the user wrote.
fn respan(error: QueryError, span: Span) -> QueryError {
    match error {
        QueryError::Syntax { message, .. } => QueryError::Syntax { message, span },
        QueryError::Semantic { code, message, .. } => QueryError::Semantic { code, message, span },
        QueryError::Type { message, .. } => QueryError::Type {
            message,
            span: Some(span),
        },
        QueryError::Arithmetic { message, .. } => QueryError::Arithmetic {
            message,
            span: Some(span),
        },
        QueryError::Argument { message, .. } => QueryError::Argument {
            message,
            span: Some(span),
        },
        QueryError::MissingParameter { name, .. } => QueryError::MissingParameter { name, span },
        QueryError::Unsupported { what, .. } => QueryError::Unsupported { what, span: Some(span) },
        QueryError::Model { source, .. } => QueryError::Model {
            source,
            span: Some(span),
        },
        other => other,
    }
}

/// Builds a question's table from the rows of its compiled query.
pub(crate) fn build_table(kind: QuestionKind, facts: &dyn Facts, out: &Output) -> QueryResult<Output> {
    let table = table::build(kind, facts, out)?;
    Ok(Output {
        columns: table.columns,
        rows: table.rows,
        ..Output::default()
    })
}

/// Compiles a question and runs it on a read view: [`Mode::Run`] returns its table,
/// [`Mode::Explain`] the compiled query and its plan, [`Mode::Profile`] both.
pub fn answer(graph: &dyn GraphRead, question: &Question, options: &ExecOptions, mode: Mode) -> QueryResult<Output> {
    let started = Instant::now();
    let compiled = compile(graph, question)?;
    let mut opts = options.clone();
    opts.params.extend(compiled.params.clone());
    let compile_time = started.elapsed();
    let span = question.span;
    let query = Statement::Query(compiled.query.clone());
    let statement = match mode {
        Mode::Run => query,
        Mode::Explain => Statement::Explain(Box::new(query), span),
        Mode::Profile => Statement::Profile(Box::new(query), span),
    };
    let out = crate::run_generated(graph, &statement, &opts).map_err(|e| respan(e, span))?;
    let plan = out
        .plan
        .as_ref()
        .map(|plan| format!("{}plan:\n{plan}", compiled.explain_text()));
    if mode == Mode::Explain {
        return Ok(Output {
            plan: Some(plan.unwrap_or_else(|| compiled.explain_text())),
            compile_time: out.compile_time + compile_time,
            ..out
        });
    }
    let table = build_table(question.kind, &table::GraphFacts(graph), &out)?;
    Ok(Output {
        counters: out.counters,
        plan: if mode == Mode::Profile { plan } else { None },
        compile_time: out.compile_time + compile_time,
        exec_time: out.exec_time,
        ..table
    })
}

/// Compiles and runs a question against a store, on one read snapshot (see [`answer`]).
pub fn run(storage: &dyn Storage, question: &Question, options: &ExecOptions, mode: Mode) -> QueryResult<Output> {
    let graph = storage.read()?;
    answer(graph.as_ref(), question, options, mode)
}
