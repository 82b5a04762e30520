//! The analyst's question forms, read line by line.
//!
//! ```text
//! who funds X | who owns X | who supplies X | who buys from X | partners of X
//! what does X fund|own|supply|operate      (also develop, produce)
//! path from X to Y                          (bare X: split at the last ` to `)
//! conflicts [about X] | sources of X
//! ... [as of @2025-08]
//! ```
//! An entity is a quoted string (with the usual escapes) or bare text running to
//! the end of its slot. `EXPLAIN` / `PROFILE` may precede a question.

use super::build::unescape_quoted;
use crate::ast::{EntityRef, Question, QuestionKind, Span, Statement};
use crate::{QueryError, QueryResult};
use lodestone_model::PartialDate;
use std::str::FromStr;

type R<T> = QueryResult<T>;

fn syntax(message: impl Into<String>, span: Span) -> QueryError {
    QueryError::Syntax {
        message: message.into(),
        span,
    }
}

/// The forms, listed in errors.
const FORMS: &str = "who funds X, who owns X, who supplies X, who buys from X, partners of X, \
                     what does X fund|own|supply|operate, path from X to Y, conflicts [about X], sources of X";

/// A cursor over the question text; offsets are relative to the text, `base` makes them absolute.
struct Reader<'t> {
    text: &'t str,
    base: usize,
    pos: usize,
}

impl<'t> Reader<'t> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn skip_space(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The next ASCII word and where it ends, without consuming it.
    fn peek_word(&self) -> (&'t str, usize) {
        let rest = &self.text[self.pos..];
        let len = rest.find(|c: char| !(c.is_ascii_alphabetic())).unwrap_or(rest.len());
        (&rest[..len], self.pos + len)
    }

    /// Consumes `word` (case-insensitive, whole word) if it is next.
    fn eat(&mut self, word: &str) -> bool {
        self.skip_space();
        let (w, end) = self.peek_word();
        let boundary = self.text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if w.eq_ignore_ascii_case(word) && boundary {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, word: &str, after: &str) -> R<()> {
        if self.eat(word) {
            return Ok(());
        }
        self.skip_space();
        let (w, end) = self.peek_word();
        let found = if w.is_empty() {
            "the end of the line".to_string()
        } else {
            format!("`{w}`")
        };
        Err(syntax(
            format!("expected `{word}` after `{after}`, found {found}"),
            self.span(self.pos, end.max(self.pos)),
        ))
    }
}

/// Reads one entity from `slot` (a sub-range of the text starting at `start`).
fn entity(r: &Reader<'_>, start: usize, end: usize, what: &str) -> R<EntityRef> {
    let slot = &r.text[start..end];
    let lead = slot.len() - slot.trim_start().len();
    let s = start + lead;
    let e = start + slot.trim_end().len();
    if s >= e {
        return Err(syntax(format!("expected a name after `{what}`"), r.span(s, s)));
    }
    let body = &r.text[s..e];
    let first = body.chars().next().unwrap_or(' ');
    if first == '\'' || first == '"' {
        let close = quoted_end(body)
            .ok_or_else(|| syntax("unterminated string: the quote is never closed", r.span(s, s + 1)))?;
        if close != body.len() {
            return Err(syntax(
                format!("unexpected text after the quoted name: `{}`", body[close..].trim()),
                r.span(s + close, e),
            ));
        }
        let text = unescape_quoted(body, r.base + s)?;
        return Ok(EntityRef {
            text,
            span: r.span(s, e),
        });
    }
    Ok(EntityRef {
        text: body.to_string(),
        span: r.span(s, e),
    })
}

/// Length of the quoted string at the start of `body` (including both quotes).
fn quoted_end(body: &str) -> Option<usize> {
    let q = body.chars().next()?;
    let mut it = body.char_indices().skip(1);
    while let Some((i, c)) = it.next() {
        if c == '\\' {
            it.next();
        } else if c == q {
            return Some(i + c.len_utf8());
        }
    }
    None
}

/// Splits a trailing `as of @date` off `[start, end)`; returns the new end and the date.
fn as_of_suffix(r: &Reader<'_>, start: usize, end: usize) -> R<(usize, Option<PartialDate>)> {
    let slot = r.text[start..end].trim_end();
    let words: Vec<(usize, &str)> = slot
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - slot.as_ptr() as usize, w))
        .collect();
    if let [.., (as_at, a), (_, o), (date_at, d)] = words.as_slice()
        && a.eq_ignore_ascii_case("as")
        && o.eq_ignore_ascii_case("of")
    {
        let digits = d.strip_prefix('@').unwrap_or(d);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            let date_start = start + date_at;
            let date = PartialDate::from_str(digits).map_err(|_| {
                syntax(
                    format!("invalid date `{d}`: use @YYYY, @YYYY-MM or @YYYY-MM-DD"),
                    r.span(date_start, date_start + d.len()),
                )
            })?;
            return Ok((start + as_at, Some(date)));
        }
    }
    Ok((end, None))
}

/// Where `path from X to Y` splits: the ` to ` before a quoted Y, or else the last ` to `.
fn path_split(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut candidates = Vec::new();
    let mut i = 0;
    while let Some(k) = lower[i..].find("to") {
        let at = i + k;
        let before = at > 0 && bytes[at - 1].is_ascii_whitespace();
        let after = bytes.get(at + 2).is_some_and(|b| b.is_ascii_whitespace());
        if before && after {
            candidates.push((at, at + 2));
        }
        i = at + 2;
    }
    let quoted_y = candidates.iter().copied().find(|&(_, end)| {
        let y = text[end..].trim();
        y.starts_with(['\'', '"']) && quoted_end(y) == Some(y.len())
    });
    quoted_y.or_else(|| candidates.last().copied())
}

/// Reads a question (with optional EXPLAIN / PROFILE prefixes) from `text`, which starts at `base`.
pub(crate) fn parse_question(text: &str, base: usize) -> R<Statement> {
    let text = text.trim_end();
    let mut r = Reader { text, base, pos: 0 };
    let mut prefixes = Vec::new();
    loop {
        r.skip_space();
        let at = r.pos;
        if r.eat("explain") {
            prefixes.push((at, true));
        } else if r.eat("profile") {
            prefixes.push((at, false));
        } else {
            break;
        }
    }
    r.skip_space();
    let q_start = r.pos;
    let (first, first_end) = r.peek_word();
    let first = first.to_ascii_lowercase();
    r.pos = first_end;
    let unknown = |r: &Reader<'_>, after: &str| {
        let what = if after.is_empty() {
            "unknown question".to_string()
        } else {
            format!("unknown question after `{after}`")
        };
        syntax(format!("{what}: the forms are {FORMS}"), r.span(q_start, r.text.len()))
    };
    let kind = match first.as_str() {
        "who" => {
            if r.eat("funds") {
                QuestionKind::WhoFunds
            } else if r.eat("owns") {
                QuestionKind::WhoOwns
            } else if r.eat("supplies") {
                QuestionKind::WhoSupplies
            } else if r.eat("buys") {
                r.expect("from", "who buys")?;
                QuestionKind::WhoBuysFrom
            } else {
                return Err(unknown(&r, "who"));
            }
        }
        "partners" => {
            r.expect("of", "partners")?;
            QuestionKind::PartnersOf
        }
        "sources" => {
            r.expect("of", "sources")?;
            QuestionKind::Sources
        }
        "what" => {
            r.expect("does", "what")?;
            QuestionKind::WhatFunds
        }
        "path" => {
            r.expect("from", "path")?;
            QuestionKind::Path
        }
        "conflicts" => QuestionKind::Conflicts,
        _ => return Err(unknown(&r, "")),
    };
    let lead = &text[q_start..r.pos];
    let lead = lead.split_whitespace().collect::<Vec<_>>().join(" ");
    let (end, as_of) = as_of_suffix(&r, r.pos, text.len())?;
    let mut question = Question {
        kind,
        subject: None,
        object: None,
        as_of,
        span: r.span(q_start, text.len()),
    };
    match kind {
        QuestionKind::WhatFunds => {
            let body = text[r.pos..end].trim_end();
            // The verb starts after the last whitespace character (which may be wider than a byte).
            let verb_at = body
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8());
            let verb = body[verb_at..].to_ascii_lowercase();
            question.kind = match verb.as_str() {
                "fund" | "funds" => QuestionKind::WhatFunds,
                "own" | "owns" => QuestionKind::WhatOwns,
                "supply" | "supplies" => QuestionKind::WhatSupplies,
                "operate" | "operates" | "develop" | "develops" | "produce" | "produces" => QuestionKind::WhatOperates,
                _ => {
                    return Err(syntax(
                        "expected `fund`, `own`, `supply` or `operate` at the end of `what does X ...`",
                        r.span(r.pos + verb_at, r.pos + body.len()),
                    ));
                }
            };
            question.subject = Some(entity(&r, r.pos, r.pos + verb_at, "what does")?);
        }
        QuestionKind::Path => {
            let body = &text[r.pos..end];
            let lead_len = body.len() - body.trim_start().len();
            let trimmed = body.trim_start();
            let (x_end, y_start) = if trimmed.starts_with(['\'', '"']) {
                let close = quoted_end(trimmed).ok_or_else(|| {
                    syntax(
                        "unterminated string: the quote is never closed",
                        r.span(r.pos + lead_len, r.pos + lead_len + 1),
                    )
                })?;
                let x_end = r.pos + lead_len + close;
                let mut after = Reader {
                    text: &text[..end],
                    base,
                    pos: x_end,
                };
                after.expect("to", "path from X")?;
                (x_end, after.pos)
            } else {
                match path_split(body) {
                    Some((to_start, to_end)) => (r.pos + to_start, r.pos + to_end),
                    None => {
                        return Err(syntax(
                            "expected `to` and a second name: path from X to Y",
                            r.span(r.pos, end),
                        ));
                    }
                }
            };
            question.subject = Some(entity(&r, r.pos, x_end, "path from")?);
            question.object = Some(entity(&r, y_start, end, "to")?);
        }
        QuestionKind::Conflicts => {
            if !text[r.pos..end].trim().is_empty() {
                let mut sub = Reader {
                    text: &text[..end],
                    base,
                    pos: r.pos,
                };
                sub.expect("about", "conflicts")?;
                question.subject = Some(entity(&r, sub.pos, end, "conflicts about")?);
            }
        }
        _ => question.subject = Some(entity(&r, r.pos, end, &lead)?),
    }
    let mut stmt = Statement::Question(question);
    for (at, explain) in prefixes.into_iter().rev() {
        let span = r.span(at, text.len());
        stmt = if explain {
            Statement::Explain(Box::new(stmt), span)
        } else {
            Statement::Profile(Box::new(stmt), span)
        };
    }
    Ok(stmt)
}
