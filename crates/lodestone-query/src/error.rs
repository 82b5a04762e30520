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
        let (shown, caret_at, carets) = window(text, col - 1, width);
        let gutter = line.to_string().len();
        format!(
            "{self}\n{:>gutter$} --> line {line}, column {col}\n{:>gutter$} |\n{line} | {shown}\n{:>gutter$} | {}{}",
            "",
            "",
            "",
            " ".repeat(caret_at),
            "^".repeat(carets),
        )
    }
}

/// Characters of the source line shown around the error column.
const WINDOW: usize = 120;

/// The part of `text` to show for an error at character `col` (0-based) spanning
/// `width` characters: at most [`WINDOW`] characters, with `...` on each cut side,
/// the caret position within it and the number of carets (never past the window).
fn window(text: &str, col: usize, width: usize) -> (String, usize, usize) {
    let len = text.chars().count();
    if len <= WINDOW {
        return (text.to_string(), col, width);
    }
    // Keep some context before the column; the rest of the window follows it.
    let start = col.saturating_sub(WINDOW / 3).min(len.saturating_sub(WINDOW));
    let end = (start + WINDOW).min(len);
    let body: String = text.chars().skip(start).take(end - start).collect();
    let lead = if start > 0 { "..." } else { "" };
    let tail = if end < len { "..." } else { "" };
    let caret_at = lead.len() + col.saturating_sub(start).min(end - start);
    let carets = width.min(end.saturating_sub(col)).max(1);
    (format!("{lead}{body}{tail}"), caret_at, carets)
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
    fn huge_lines_show_a_window() {
        let src = format!("RETURN [{}", "1, ".repeat(300_000));
        let e = QueryError::Syntax {
            message: "expected an expression".into(),
            span: Span::new(src.len() - 3, src.len()),
        };
        let shown = e.render(&src);
        assert!(shown.len() < 400, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        let text = lines[3];
        let caret = lines[4];
        assert!(text.starts_with("1 | ...1, "), "{text}");
        assert!(!text.ends_with("..."), "{text}");
        // The caret sits under the last characters shown.
        let pos = caret.find('^').unwrap();
        assert_eq!(&text[pos..pos + 2], "1,", "{text}\n{caret}");

        // A span starting early on a long line: cut on the right only, carets capped.
        let e = QueryError::Syntax {
            message: "bad".into(),
            span: Span::new(0, src.len()),
        };
        let shown = e.render(&src);
        assert!(shown.len() < 400, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        assert!(
            lines[3].starts_with("1 | RETURN [1, ") && lines[3].ends_with("..."),
            "{}",
            lines[3]
        );
        assert_eq!(lines[4].matches('^').count(), WINDOW);
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("é\nab", 4), (2, 2));
        assert_eq!(line_col("abc", 99), (1, 4));
    }
}
