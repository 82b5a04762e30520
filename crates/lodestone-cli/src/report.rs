//! Errors of the command line and how they are shown: the message, `line L, column C`,
//! the source line and a caret, coloured on a terminal.

use crate::style::Style;
use thiserror::Error;

/// Why a command failed; decides the exit code.
#[derive(Debug, Error)]
pub enum CliError {
    /// The command line is wrong: an unknown option, a missing file, a bad value (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// A statement failed to parse or run, or the store failed (exit code 1).
    #[error("{}", .0.render())]
    Query(Box<lodestone::Error>),
    /// Bad input data or a failed file operation (exit code 1).
    #[error("{0}")]
    Data(String),
    /// A failure already shown to the user (exit code 1).
    #[error("the command failed")]
    Reported,
}

impl From<lodestone::Error> for CliError {
    fn from(e: lodestone::Error) -> Self {
        CliError::Query(Box::new(e))
    }
}

impl From<lodestone::StoreError> for CliError {
    fn from(e: lodestone::StoreError) -> Self {
        CliError::Query(Box::new(lodestone::Error::Store(e)))
    }
}

impl CliError {
    /// The process exit code: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Result of a command.
pub type CliResult<T> = Result<T, CliError>;

/// Colours a rendered error block: the first line in red, carets in cyan.
pub fn paint(block: &str, style: Style) -> String {
    let mut out = String::new();
    for (i, line) in block.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i == 0 {
            out.push_str(&style.error(line));
        } else if line.trim_start().starts_with('|') && line.contains('^') {
            let cut = line.find('^').unwrap_or(line.len());
            out.push_str(&style.dim(&line[..cut]));
            out.push_str(&style.caret(&line[cut..]));
        } else if line.contains(" --> ") || line.trim() == "|" {
            out.push_str(&style.dim(line));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `line L, column C`, the source line and carets under `start..end` (its first line only),
/// in the layout of `QueryError::render`.
pub fn caret_block(text: &str, start: usize, end: usize) -> String {
    let start = start.min(text.len());
    let before = text.get(..start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    let source_line = text.lines().nth(line - 1).unwrap_or("");
    let width = text
        .get(start..end.max(start))
        .map(|s| s.lines().next().unwrap_or("").chars().count())
        .unwrap_or(1)
        .max(1);
    let gutter = line.to_string().len();
    format!(
        "{:>gutter$} --> line {line}, column {col}\n{:>gutter$} |\n{line} | {source_line}\n{:>gutter$} | {}{}",
        "",
        "",
        "",
        " ".repeat(col - 1),
        "^".repeat(width),
    )
}

/// The message for a failed statement: `error: [PREFIX: ]message`, then the caret block.
/// An error that does not point into the text is shown under `statement` (byte range in
/// the error's text), when given.
pub fn render_error(
    error: &lodestone::Error,
    prefix: Option<&str>,
    style: Style,
    statement: Option<(usize, usize)>,
) -> String {
    let mut block = error.render();
    if let (lodestone::Error::Query { error: q, text, .. }, Some((start, end))) = (error, statement)
        && q.span().is_none()
    {
        block = format!("{q}\n{}", caret_block(text, start, end));
    }
    let block = match prefix {
        Some(p) => format!("error: {p}: {block}"),
        None => format!("error: {block}"),
    };
    paint(&block, style)
}

/// Shows any command failure on standard error (nothing for [`CliError::Reported`]).
pub fn show(error: &CliError) {
    let style = Style::stderr();
    match error {
        CliError::Reported => {}
        CliError::Query(e) => eprintln!("{}", render_error(e, None, style, None)),
        CliError::Usage(m) => eprintln!(
            "{}\n{}",
            style.error(&format!("error: {m}")),
            style.dim("Try `lode --help`.")
        ),
        CliError::Data(m) => eprintln!("{}", paint(&format!("error: {m}"), style)),
    }
}

/// `1 statement` / `3 statements`.
pub fn statements(n: usize) -> String {
    format!("{n} statement{}", if n == 1 { "" } else { "s" })
}

/// The byte range of `text` without its surrounding space, for errors that point nowhere.
pub fn whole(text: &str) -> Option<(usize, usize)> {
    let start = text.len() - text.trim_start().len();
    Some((start, text.trim_end().len().max(start)))
}
