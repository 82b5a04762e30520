//! Errors of the query engine. Compile-time errors carry the span they point at;
//! [`QueryError::render`] turns one into `line:col`, the source line and a caret.

use crate::ast::Span;
use lodestone_model::ModelError;
use lodestone_store::StoreError;
use thiserror::Error;

/// Result of parsing, planning or running a statement.
pub type QueryResult<T> = Result<T, QueryError>;

/// Everything that can go wrong with a statement.
#[derive(Debug, Error)]
pub enum QueryError {
    /// The text does not follow the grammar.
    #[error("{message}")]
    Syntax {
        /// What was found and what was expected, in words.
        message: String,
        /// Where.
        span: Span,
    },
    /// The statement parses but means nothing: undefined variable, aggregate in WHERE, unknown function ...
    #[error("{message}")]
    Semantic {
        /// Stable code for the mistake (`UndefinedVariable`, `UnknownFunction` ...).
        code: &'static str,
        /// What is wrong, in words.
        message: String,
        /// Where.
        span: Span,
    },
    /// A value of the wrong kind for an operator or function.
    #[error("{message}")]
    Type {
        /// What was expected and found.
        message: String,
        /// Where, when known.
        span: Option<Span>,
    },
    /// Arithmetic that has no answer: division by zero, integer overflow.
    #[error("{message}")]
    Arithmetic {
        /// What happened.
        message: String,
        /// Where, when known.
        span: Option<Span>,
    },
    /// A bad argument value (negative LIMIT, bad date text ...).
    #[error("{message}")]
    Argument {
        /// What is wrong.
        message: String,
        /// Where, when known.
        span: Option<Span>,
    },
    /// A parameter the statement uses was not given.
    #[error("missing parameter ${name}")]
    MissingParameter {
        /// Parameter name.
        name: String,
        /// Where it is used.
        span: Span,
    },
    /// A name in a question matches no entity.
    #[error("no entity named \"{name}\"{}", suggestion_text(.suggestions))]
    UnknownEntity {
        /// The name as written.
        name: String,
        /// Closest known names, best first.
        suggestions: Vec<String>,
        /// Where it was written.
        span: Span,
    },
    /// A name in a question matches several entities.
    #[error("\"{name}\" is ambiguous: it names {}", .candidates.join(", "))]
    AmbiguousEntity {
        /// The name as written.
        name: String,
        /// Every entity it names.
        candidates: Vec<String>,
        /// Where it was written.
        span: Span,
    },
    /// A feature the engine does not implement.
    #[error("not supported: {what}")]
    Unsupported {
        /// The construct.
        what: String,
        /// Where, when known.
        span: Option<Span>,
    },
    /// The statement ran past its time budget.
    #[error("query stopped: it ran longer than its time limit of {millis} ms")]
    TimeLimit {
        /// The limit in milliseconds.
        millis: u64,
    },
    /// The statement produced more rows than its row budget.
    #[error("query stopped: it produced more than {limit} rows (the row limit)")]
    RowLimit {
        /// The limit.
        limit: u64,
    },
    /// The statement was cancelled from another thread.
    #[error("query cancelled")]
    Cancelled,
    /// A value-level failure such as mixing currencies.
    #[error("{source}")]
    Model {
        /// The failure.
        source: ModelError,
        /// Where, when known.
        span: Option<Span>,
    },
    /// The storage layer refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn suggestion_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        many => format!("; did you mean one of: {}?", many.join(", ")),
    }
}

impl From<ModelError> for QueryError {
    fn from(source: ModelError) -> Self {
        QueryError::Model { source, span: None }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

impl QueryError {
    /// The span the error points at, if any.
    pub fn span(&self) -> Option<Span> {
        match self {
            QueryError::Syntax { span, .. }
            | QueryError::Semantic { span, .. }
            | QueryError::MissingParameter { span, .. }
            | QueryError::UnknownEntity { span, .. }
            | QueryError::AmbiguousEntity { span, .. } => Some(*span),
            QueryError::Type { span, .. }
            | QueryError::Arithmetic { span, .. }
            | QueryError::Argument { span, .. }
            | QueryError::Unsupported { span, .. }
            | QueryError::Model { span, .. } => *span,
            _ => None,
        }
    }

    /// Whether the error was found before anything ran (syntax or meaning).
    pub fn is_compile_time(&self) -> bool {
        matches!(
            self,
            QueryError::Syntax { .. } | QueryError::Semantic { .. } | QueryError::Unsupported { .. }
        )
    }

    /// The message with `line L, column C`, the source line and a caret under the span.
    pub fn render(&self, source: &str) -> String {
        let Some(span) = self.span() else {
            return self.to_string();
        };
        let (line, col) = line_col(source, span.start);
        let text = source.lines().nth(line - 1).unwrap_or("");
        let width = source
            .get(span.start..span.end)
            .map(|s| s.lines().next().unwrap_or("").chars().count())
            .unwrap_or(1)
            .max(1);
        let gutter = line.to_string().len();
        format!(
            "{self}\n{:>gutter$} --> line {line}, column {col}\n{:>gutter$} |\n{line} | {text}\n{:>gutter$} | {}{}",
            "",
            "",
            "",
            " ".repeat(col - 1),
            "^".repeat(width),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let src = "MATCH (n)\nRETURN m";
        let e = QueryError::Semantic {
            code: "UndefinedVariable",
            message: "variable `m` is not defined".into(),
            span: Span::new(17, 18),
        };
        let shown = e.render(src);
        assert!(shown.contains("line 2, column 8"), "{shown}");
        assert!(shown.ends_with("2 | RETURN m\n  |        ^"), "{shown}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("é\nab", 4), (2, 2));
        assert_eq!(line_col("abc", 99), (1, 4));
    }
}
