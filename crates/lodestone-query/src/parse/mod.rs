//! Parsing: text to [`crate::ast`], and the AST back to text.
//!
//! - `scan` cuts a script into statements (and rejects runaway nesting early);
//! - `grammar` is the pest binding of `grammar/lodestone.pest`;
//! - `build` turns pest's tree into the typed AST with byte spans into the script;
//! - `question` reads the line-oriented question forms;
//! - `print` writes a statement back as text ([`to_text`]);
//! - `normalize` zeroes spans for comparing ASTs ([`without_spans`]).

mod build;
mod errors;
mod grammar;
mod normalize;
mod print;
mod question;
mod scan;

pub use build::MAX_EXPR_DEPTH;
pub use normalize::without_spans;
pub use print::{expr_to_text, to_text};
pub use scan::MAX_NESTING;

use crate::ast::{Span, Statement};
use crate::{QueryError, QueryResult};
use grammar::{LodestoneParser, Rule};
use pest::Parser;
use std::num::NonZeroUsize;

/// Parses a script: statements separated by `;`, each with the span of its text.
pub fn parse_script(text: &str) -> QueryResult<Vec<(Statement, Span)>> {
    let mut out = Vec::new();
    for piece in scan::split(text)? {
        let chunk = &text[piece.start..piece.end];
        let stmt = match piece.kind {
            scan::PieceKind::Question => question::parse_question(chunk, piece.start)?,
            scan::PieceKind::Statement => parse_piece(chunk, piece.start)?,
        };
        let span = build::statement_span(&stmt);
        out.push((stmt, span));
    }
    Ok(out)
}

/// Parses exactly one statement (a trailing `;` is allowed).
pub fn parse_statement(text: &str) -> QueryResult<Statement> {
    let mut all = parse_script(text)?;
    match all.len() {
        1 => Ok(all.remove(0).0),
        0 => Err(QueryError::Syntax {
            message: "empty statement".into(),
            span: Span::new(0, text.len()),
        }),
        _ => Err(QueryError::Syntax {
            message: "expected one statement, found several".into(),
            span: all[1].1,
        }),
    }
}

/// Budget of grammar steps per byte of statement text; bounds the work on hostile input.
const CALLS_PER_BYTE: usize = 4_000;
/// Smallest budget of grammar steps, for short statements.
const MIN_CALLS: usize = 2_000_000;

/// Parses one statement's text, which starts at byte `base` of the script.
fn parse_piece(chunk: &str, base: usize) -> QueryResult<Statement> {
    let budget = chunk.len().saturating_mul(CALLS_PER_BYTE).max(MIN_CALLS);
    pest::set_call_limit(NonZeroUsize::new(budget));
    let mut pairs = LodestoneParser::parse(Rule::statement, chunk).map_err(|e| errors::from_pest(&e, chunk, base))?;
    let top = pairs.next().ok_or_else(|| QueryError::Syntax {
        message: "empty statement".into(),
        span: Span::new(base, base + chunk.len()),
    })?;
    build::Builder::new(base).statement(top)
}
