//! Parsing: text to [`crate::ast`].

use crate::ast::{Span, Statement};
use crate::{QueryError, QueryResult};

/// Parses a script: statements separated by `;`, each with the span of its text.
pub fn parse_script(text: &str) -> QueryResult<Vec<(Statement, Span)>> {
    let _ = text;
    Err(QueryError::Unsupported {
        what: "parsing".into(),
        span: None,
    })
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
