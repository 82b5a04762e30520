//! The script splitter: cuts a script into statements before the grammar sees them.
//!
//! It walks the text once, tracking strings, quoted names and comments, so that a
//! `;` inside a string does not end a statement. It also rejects, with a clear
//! error, what would make the recursive grammar recurse without bound: brackets
//! (and CASE ... END) nested deeper than [`MAX_NESTING`]. Questions are
//! line-oriented: one starts with a question word and ends at `;` or the line end.

use crate::ast::Span;
use crate::{QueryError, QueryResult};

/// How deep `(`, `[`, `{` and `CASE` may nest in one statement.
pub const MAX_NESTING: usize = 200;

/// What a piece of the script holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PieceKind {
    /// A statement for the grammar.
    Statement,
    /// A question form, read by the question reader.
    Question,
}

/// One statement's text range: `start` is its first token, `end` the `;` or end of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    /// First byte of the first token.
    pub start: usize,
    /// One past the last byte (before the `;`).
    pub end: usize,
    /// Statement or question.
    pub kind: PieceKind,
}

fn syntax(message: impl Into<String>, span: Span) -> QueryError {
    QueryError::Syntax {
        message: message.into(),
        span,
    }
}

/// Words that open a question form (case-insensitive).
const QUESTION_WORDS: [&str; 6] = ["who", "what", "partners", "path", "conflicts", "sources"];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The word (ASCII letters, digits, `_`, or non-ASCII) starting at `pos`.
fn word_at(text: &str, pos: usize) -> &str {
    let bytes = text.as_bytes();
    let mut end = pos;
    while end < bytes.len() && is_word_byte(bytes[end]) {
        end += 1;
    }
    // `end` stops on an ASCII byte or the end, so it is a char boundary.
    &text[pos..end]
}

/// Skips whitespace and comments from `pos`; errors on an unterminated `/*`.
pub(crate) fn skip_trivia(text: &str, mut pos: usize) -> QueryResult<usize> {
    let bytes = text.as_bytes();
    loop {
        while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == 0x0B) {
            pos += 1;
        }
        if text[pos..].starts_with('\u{A0}') || text[pos..].starts_with('\u{FEFF}') {
            pos += text[pos..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        if bytes[pos..].starts_with(b"//") {
            while pos < bytes.len() && bytes[pos] != b'\n' {
                pos += 1;
            }
            continue;
        }
        if bytes[pos..].starts_with(b"/*") {
            match text[pos + 2..].find("*/") {
                Some(i) => pos = pos + 2 + i + 2,
                None => {
                    return Err(syntax(
                        "unterminated comment: `/*` is never closed by `*/`",
                        Span::new(pos, pos + 2),
                    ));
                }
            }
            continue;
        }
        return Ok(pos);
    }
}

/// Whether the statement starting at `pos` is a question (possibly after EXPLAIN / PROFILE).
fn is_question_start(text: &str, pos: usize) -> bool {
    let mut p = pos;
    loop {
        let word = word_at(text, p);
        if word.is_empty() {
            return false;
        }
        let after = p + word.len();
        let boundary = text[after..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == ';');
        if !boundary {
            return false;
        }
        if word.eq_ignore_ascii_case("explain") || word.eq_ignore_ascii_case("profile") {
            let bytes = text.as_bytes();
            p = after;
            while p < bytes.len() && bytes[p].is_ascii_whitespace() {
                p += 1;
            }
            continue;
        }
        return QUESTION_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w));
    }
}

/// End of a question that starts at `pos`: the first `;`, line end or `//` outside quotes.
fn question_end(text: &str, pos: usize) -> QueryResult<usize> {
    let bytes = text.as_bytes();
    let mut i = pos;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b';' => return Ok(i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => return Ok(i),
            q @ (b'\'' | b'"') => {
                let open = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(syntax(
                                format!("unterminated string: the {} is never closed", quote_name(q)),
                                Span::new(open, open + 1),
                            ));
                        }
                        Some(b'\\') => i += 2,
                        Some(&c) if c == q => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(bytes.len())
}

fn quote_name(q: u8) -> &'static str {
    match q {
        b'\'' => "quote `'`",
        b'"' => "quote `\"`",
        _ => "back-quote `` ` ``",
    }
}

/// End of a statement starting at `pos` (the `;` or end of text), checking nesting.
fn statement_end(text: &str, pos: usize) -> QueryResult<usize> {
    let bytes = text.as_bytes();
    let mut i = pos;
    let mut depth = 0usize;
    let mut case_depth = 0usize;
    let mut prev_sig = 0u8;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b';' => return Ok(i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match text[i + 2..].find("*/") {
                    Some(k) => i = i + 2 + k + 2,
                    None => {
                        return Err(syntax(
                            "unterminated comment: `/*` is never closed by `*/`",
                            Span::new(i, i + 2),
                        ));
                    }
                }
                continue;
            }
            b'\'' | b'"' | b'`' => {
                let open = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            let what = if b == b'`' { "quoted name" } else { "string" };
                            return Err(syntax(
                                format!("unterminated {what}: the {} is never closed", quote_name(b)),
                                Span::new(open, open + 1),
                            ));
                        }
                        Some(b'\\') if b != b'`' => i += 2,
                        Some(&c) if c == b => {
                            i += 1;
                            // A doubled back-quote is an escaped back-quote inside the name.
                            if b == b'`' && bytes.get(i) == Some(&b'`') {
                                i += 1;
                                continue;
                            }
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                prev_sig = b;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth + case_depth > MAX_NESTING {
                    return Err(syntax(
                        format!("brackets are nested too deeply (more than {MAX_NESTING} levels)"),
                        Span::new(i, i + 1),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let word = word_at(text, i);
                // `n.case` or `{end: 1}` are names, not CASE / END.
                let is_name =
                    matches!(prev_sig, b'.' | b'$' | b':') || text[i + word.len()..].trim_start().starts_with(':');
                if !is_name && word.eq_ignore_ascii_case("case") {
                    case_depth += 1;
                    if depth + case_depth > MAX_NESTING {
                        return Err(syntax(
                            format!("CASE expressions are nested too deeply (more than {MAX_NESTING} levels)"),
                            Span::new(i, i + word.len()),
                        ));
                    }
                } else if !is_name && word.eq_ignore_ascii_case("end") {
                    case_depth = case_depth.saturating_sub(1);
                }
                prev_sig = b'a';
                i += word.len();
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            prev_sig = b;
        }
        i += 1;
    }
    Ok(bytes.len())
}

/// Splits a script into statement and question pieces.
pub(crate) fn split(text: &str) -> QueryResult<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut pos = 0;
    loop {
        pos = skip_trivia(text, pos)?;
        if pos >= text.len() {
            return Ok(pieces);
        }
        if text.as_bytes()[pos] == b';' {
            pos += 1;
            continue;
        }
        let (end, kind) = if is_question_start(text, pos) {
            (question_end(text, pos)?, PieceKind::Question)
        } else {
            (statement_end(text, pos)?, PieceKind::Statement)
        };
        pieces.push(Piece { start: pos, end, kind });
        pos = end;
        if kind == PieceKind::Question && text[pos..].starts_with("//") {
            // The comment is skipped as trivia on the next round.
            continue;
        }
        if pos < text.len() {
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, PieceKind)> {
        split(text)
            .unwrap()
            .into_iter()
            .map(|p| (text[p.start..p.end].trim_end().to_string(), p.kind))
            .collect()
    }

    #[test]
    fn splits_at_semicolons_outside_strings_and_comments() {
        let got = kinds("MATCH (n) RETURN ';' ; // x;\n RETURN \"a;b\" /* ; */ ;;");
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "MATCH (n) RETURN ';'");
        assert_eq!(got[1].0, "RETURN \"a;b\" /* ; */");
    }

    #[test]
    fn questions_end_at_line_end() {
        let got = kinds("who funds Round Top\nEXPLAIN who owns 'A;B'\nMATCH (n)\nRETURN n;");
        assert_eq!(
            got,
            vec![
                ("who funds Round Top".to_string(), PieceKind::Question),
                ("EXPLAIN who owns 'A;B'".to_string(), PieceKind::Question),
                ("MATCH (n)\nRETURN n".to_string(), PieceKind::Statement),
            ]
        );
    }

    #[test]
    fn reports_unterminated_strings_and_comments() {
        let err = split("RETURN 'abc").unwrap_err();
        assert!(err.to_string().contains("unterminated string"), "{err}");
        assert_eq!(err.span(), Some(Span::new(7, 8)));
        let err = split("RETURN 1 /* no end").unwrap_err();
        assert!(err.to_string().contains("unterminated comment"), "{err}");
        let err = split("RETURN `abc").unwrap_err();
        assert!(err.to_string().contains("unterminated quoted name"), "{err}");
    }

    #[test]
    fn rejects_deep_nesting() {
        let deep = format!("RETURN {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = split(&deep).unwrap_err();
        assert!(err.to_string().contains("nested too deeply"), "{err}");
        let ok = format!("RETURN {}1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(split(&ok).is_ok());
    }
}
