//! A lexical view of scripts: where statements end, without parsing them.
//!
//! A statement ends at a `;` outside strings, back-quoted names and comments. A
//! question (a statement whose first word is `who`, `what`, `partners`, `path`,
//! `conflicts` or `sources`, possibly after `EXPLAIN`) also ends at the end of its line.
//! The REPL uses this to know when input is complete; scripts use it to number a
//! statement that fails to parse.

/// Words that begin a question.
pub const QUESTION_WORDS: [&str; 6] = ["who", "what", "partners", "path", "conflicts", "sources"];

/// One statement's place in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Byte offset of its first character (after leading space and comments).
    pub start: usize,
    /// Byte offset one past its end (before the `;`, or the end of the question's line).
    pub end: usize,
    /// Whether it was ended by `;` or a line end (false when the text ran out first).
    pub terminated: bool,
    /// Whether it is a question.
    pub question: bool,
}

/// Whether `text` (one statement, comments allowed before it) starts with a question word.
pub fn is_question(text: &str) -> bool {
    let mut words = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty());
    match words.next() {
        Some(w) if w.eq_ignore_ascii_case("explain") => words
            .next()
            .is_some_and(|w| QUESTION_WORDS.iter().any(|q| w.eq_ignore_ascii_case(q))),
        Some(w) => QUESTION_WORDS.iter().any(|q| w.eq_ignore_ascii_case(q)),
        None => false,
    }
}

/// Skips spaces and comments from `i`; returns the next significant offset.
fn skip_space(text: &str, mut i: usize) -> usize {
    let b = text.as_bytes();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            match text[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => return b.len(),
            }
        } else {
            return i;
        }
    }
}

/// Splits `text` into statements.
pub fn split(text: &str) -> Vec<Piece> {
    let b = text.as_bytes();
    let mut pieces = Vec::new();
    let mut i = skip_space(text, 0);
    while i < b.len() {
        let start = i;
        let question = is_question(&text[start..]);
        let mut terminated = false;
        let mut end = b.len();
        while i < b.len() {
            match b[i] {
                b';' => {
                    end = i;
                    terminated = true;
                    i += 1;
                    break;
                }
                b'\n' if question => {
                    end = i;
                    terminated = true;
                    i += 1;
                    break;
                }
                q @ (b'\'' | b'"' | b'`') => {
                    i += 1;
                    while i < b.len() && b[i] != q {
                        if b[i] == b'\\' && q != b'`' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i = (i + 1).min(b.len());
                }
                b'/' if b[i..].starts_with(b"//") => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b[i..].starts_with(b"/*") => match text[i + 2..].find("*/") {
                    Some(e) => i += 2 + e + 2,
                    None => i = b.len(),
                },
                _ => i += 1,
            }
        }
        let end = trim_end(text, start, end);
        if end > start {
            pieces.push(Piece {
                start,
                end,
                terminated,
                question,
            });
        }
        i = skip_space(text, i.min(b.len()));
    }
    pieces
}

fn trim_end(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end().len()
}

/// Whether the input is ready to run: every statement ended (a `;`, or a question's
/// line end), or the input is blank. The last line of typed input counts as ended
/// for a question.
pub fn is_complete(text: &str) -> bool {
    split(text).last().is_none_or(|p| p.terminated || p.question)
}

/// The 1-based number of the statement containing byte `offset`.
pub fn statement_number(text: &str, offset: usize) -> usize {
    let pieces = split(text);
    let before = pieces.iter().take_while(|p| p.end < offset && p.terminated).count();
    (before + 1).min(pieces.len().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        split(s).into_iter().map(|p| &s[p.start..p.end]).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_strings_and_comments() {
        let s = "CREATE (:A {n: 'x;y'});\n// c;\nMATCH (n) /* ; */ RETURN n;  ";
        assert_eq!(texts(s), ["CREATE (:A {n: 'x;y'})", "MATCH (n) /* ; */ RETURN n"]);
    }

    #[test]
    fn questions_end_at_line_end() {
        let s = "who funds Round Top\nMATCH (n)\nRETURN n;\nExplain path from A to B";
        assert_eq!(
            texts(s),
            ["who funds Round Top", "MATCH (n)\nRETURN n", "Explain path from A to B"]
        );
        assert!(split(s)[0].question && !split(s)[1].question && split(s)[2].question);
    }

    #[test]
    fn completeness() {
        assert!(is_complete(""));
        assert!(is_complete("  // only a comment"));
        assert!(!is_complete("MATCH (n)"));
        assert!(is_complete("MATCH (n) RETURN n;"));
        assert!(!is_complete("RETURN 'a;"));
        assert!(is_complete("who owns MP Materials"));
        assert!(!is_complete("MATCH (n) RETURN n; MATCH (m)"));
    }

    #[test]
    fn numbers_statements() {
        let s = "RETURN 1;\nRETURN 2;\nRETURN (;";
        assert_eq!(statement_number(s, 0), 1);
        assert_eq!(statement_number(s, 12), 2);
        assert_eq!(statement_number(s, s.len() - 2), 3);
    }
}
