//! Literal values as text: parameters given on a command line (`--param name=value`),
//! typed cells of imported files, and the inverse for exports.
//!
//! The accepted forms are the language's literals:
//!
//! | form | value |
//! |---|---|
//! | `null`, `true`, `false` | null, booleans (any case) |
//! | `42`, `-7`, `0x1F` | integers |
//! | `1.5`, `-2e3`, `NaN`, `Infinity` | floats |
//! | `'text'`, `"text"` (backslash escapes) | strings |
//! | `$277M`, `USD 18M`, `EUR 4.5B`, `€4B` | money |
//! | `15%`, `16.1%` | percent |
//! | `@2025`, `@2025-09`, `@2026-01-30`, `date('2025-09')` | dates |
//! | `quantity(20, 't/yr')` | a quantity with its unit |
//! | `[1, 'a']`, `{key: 1, 'other key': [2]}` | lists and maps |
//!
//! ```
//! use lodestone::{literal, Value};
//! assert_eq!(literal::parse_literal("42").unwrap(), Value::Int(42));
//! assert_eq!(literal::parse_param("site=Round Top").unwrap(), ("site".to_string(), Value::from("Round Top")));
//! let v = literal::parse_literal("{amount: $1.5M, when: @2025-09}").unwrap();
//! assert_eq!(literal::parse_literal(&literal::format_literal(&v)).unwrap(), v);
//! ```

use lodestone_model::{Decimal, Money, PartialDate, Quantity, Value};
use std::collections::BTreeMap;
use std::str::FromStr;
use thiserror::Error;

/// Why a text is not a literal.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LiteralError {
    /// The text does not follow the literal syntax.
    #[error("cannot read `{text}` as a value: {reason} (at character {offset})")]
    Syntax {
        /// The whole text.
        text: String,
        /// What was expected.
        reason: String,
        /// 1-based character position.
        offset: usize,
    },
    /// A parameter assignment lacks its `=` or its name.
    #[error("expected NAME=VALUE, got `{0}`")]
    Assignment(String),
}

/// Parses a literal value; the whole text must be one literal (surrounding space allowed).
pub fn parse_literal(text: &str) -> Result<Value, LiteralError> {
    let mut p = Parser { text, pos: 0 };
    p.skip_ws();
    let v = p.value()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(v)
}

/// Reads a parameter value the forgiving way: a literal when the text is one,
/// otherwise the text itself as a string (so `--param site=Round Top` works unquoted).
pub fn parse_param_value(text: &str) -> Value {
    parse_literal(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Splits `name=value` (also `name => value`) and reads the value with [`parse_param_value`].
/// A leading `$` on the name is dropped.
pub fn parse_param(assignment: &str) -> Result<(String, Value), LiteralError> {
    let (name, value) = if let Some((n, v)) = assignment.split_once("=>") {
        (n, v.trim())
    } else if let Some((n, v)) = assignment.split_once('=') {
        (n, v)
    } else {
        return Err(LiteralError::Assignment(assignment.to_string()));
    };
    let name = name.trim();
    let name = name.strip_prefix('$').unwrap_or(name);
    let valid = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Err(LiteralError::Assignment(assignment.to_string()));
    }
    Ok((name.to_string(), parse_param_value(value)))
}

/// Writes a value as a literal that [`parse_literal`] reads back to an equal value.
///
/// Nodes, relationships and paths have no literal form; they are written as maps of
/// their parts (a best effort for display, not read back as elements).
pub fn format_literal(value: &Value) -> String {
    let mut out = String::new();
    write_literal(&mut out, value);
    out
}

fn write_string(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
}

fn write_key(out: &mut String, k: &str) {
    let plain = k.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        out.push_str(k);
    } else {
        write_string(out, k);
    }
}

fn write_map<'a>(out: &mut String, entries: impl Iterator<Item = (&'a String, &'a Value)>) {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_key(out, k);
        out.push_str(": ");
        write_literal(out, v);
    }
    out.push('}');
}

fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // `{:?}` is the shortest text that reads back exactly and always shows a `.` or exponent.
        out.push_str(&format!("{x:?}"));
    }
}

fn write_literal(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(x) => write_float(out, *x),
        Value::String(s) => write_string(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_literal(out, v);
            }
            out.push(']');
        }
        Value::Map(m) => write_map(out, m.iter()),
        Value::Date(d) => {
            out.push('@');
            out.push_str(&d.to_string());
        }
        Value::Money(m) => out.push_str(&format!("{} {}", m.currency, m.amount.normalize())),
        Value::Percent(p) => out.push_str(&format!("{}%", p.normalize())),
        Value::Quantity(q) => {
            out.push_str(&format!("quantity({}, ", q.amount.normalize()));
            write_string(out, &q.unit);
            out.push(')');
        }
        Value::Node(n) => {
            let mut m = BTreeMap::new();
            m.insert("id".to_string(), Value::Int(n.id.0 as i64));
            m.insert("labels".to_string(), Value::from(n.labels.clone()));
            m.insert("properties".to_string(), Value::Map(n.props.clone()));
            write_map(out, m.iter());
        }
        Value::Edge(e) => {
            let mut m = BTreeMap::new();
            m.insert("id".to_string(), Value::Int(e.id.0 as i64));
            m.insert("type".to_string(), Value::from(e.rel_type.as_str()));
            m.insert("start".to_string(), Value::Int(e.start.0 as i64));
            m.insert("end".to_string(), Value::Int(e.end.0 as i64));
            m.insert("properties".to_string(), Value::Map(e.props.clone()));
            write_map(out, m.iter());
        }
        Value::Path(p) => {
            let nodes = p
                .nodes
                .iter()
                .map(|n| Value::Node(Box::new(n.clone())))
                .collect::<Vec<_>>();
            let edges = p
                .edges
                .iter()
                .map(|e| Value::Edge(Box::new(e.clone())))
                .collect::<Vec<_>>();
            let mut m = BTreeMap::new();
            m.insert("nodes".to_string(), Value::List(nodes));
            m.insert("relationships".to_string(), Value::List(edges));
            write_map(out, m.iter());
        }
    }
}

/// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &str) -> LiteralError {
        LiteralError::Syntax {
            text: self.text.to_string(),
            reason: reason.to_string(),
            offset: self.text[..self.pos.min(self.text.len())].chars().count() + 1,
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), LiteralError> {
        self.skip_ws();
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{c}`")))
        }
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.text[start..self.pos]
    }

    fn value(&mut self) -> Result<Value, LiteralError> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Result<Value, LiteralError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(self.error("expected a value"));
        };
        match c {
            '\'' | '"' => self.string().map(Value::String),
            '[' => self.list(depth),
            '{' => self.map(depth).map(Value::Map),
            '@' => {
                self.pos += 1;
                self.date_text()
            }
            '$' | '€' | '£' | '¥' => self.money_symbol(),
            '-' | '+' | '0'..='9' | '.' => self.number(),
            c if c.is_alphabetic() => self.keyword_or_call(depth),
            _ => Err(self.error("expected a value")),
        }
    }

    fn date_text(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        PartialDate::from_str(&self.text[start..self.pos])
            .map(Value::Date)
            .map_err(|e| self.error(&e.to_string()))
    }

    /// An amount with optional `,` separators, `.` decimals and a K/M/B/BN/T suffix.
    fn amount_text(&mut self) -> &str {
        let start = self.pos;
        // A `,` belongs to the amount only between digits (`12,500`), not before the next list item.
        let bytes = self.rest().as_bytes();
        let mut len = 0;
        while len < bytes.len() {
            let b = bytes[len];
            let digit_follows = bytes.get(len + 1).is_some_and(u8::is_ascii_digit);
            if b.is_ascii_digit() || b == b'.' || (b == b',' && len > 0 && digit_follows) {
                len += 1;
            } else {
                break;
            }
        }
        self.pos += len;
        let suffix = self.rest().get(..2).map(str::to_ascii_uppercase);
        if suffix.as_deref() == Some("BN") && !self.rest()[2..].starts_with(|c: char| c.is_alphanumeric()) {
            self.pos += 2;
        } else if self.rest().starts_with(['K', 'M', 'B', 'T', 'k', 'm', 'b', 't'])
            && !self.rest()[1..].starts_with(|c: char| c.is_alphanumeric())
        {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn money_symbol(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        self.pos += self.peek().map_or(1, char::len_utf8);
        self.amount_text();
        Money::from_str(&self.text[start..self.pos])
            .map(Value::Money)
            .map_err(|e| self.error(&e.to_string()))
    }

    fn number(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        let negative = self.eat('-');
        if !negative {
            self.eat('+');
        }
        if self.peek().is_some_and(|c| matches!(c, '$' | '€' | '£' | '¥')) {
            let v = self.money_symbol()?;
            return Ok(match v {
                Value::Money(m) if negative => Value::Money(Money {
                    amount: -m.amount,
                    currency: m.currency,
                }),
                v => v,
            });
        }
        if self.rest().starts_with("Infinity") {
            self.pos += "Infinity".len();
            return Ok(Value::Float(if negative { f64::NEG_INFINITY } else { f64::INFINITY }));
        }
        let body_start = self.pos;
        if self.rest().starts_with("0x") || self.rest().starts_with("0X") {
            self.pos += 2;
            let digits = self.word().to_string();
            let v = i64::from_str_radix(&digits, 16).map_err(|_| self.error("bad hexadecimal integer"))?;
            return Ok(Value::Int(if negative { -v } else { v }));
        }
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        let mut is_float = self.text[body_start..self.pos].contains('.');
        if self.rest().starts_with(['e', 'E']) {
            let save = self.pos;
            self.pos += 1;
            if !self.eat('-') {
                self.eat('+');
            }
            let digits = self
                .rest()
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.rest().len());
            if digits == 0 {
                self.pos = save;
            } else {
                self.pos += digits;
                is_float = true;
            }
        }
        let body = &self.text[start..self.pos];
        if body_start == self.pos {
            return Err(self.error("expected a number"));
        }
        if self.eat('%') {
            let d = Decimal::from_str(body)
                .or_else(|_| Decimal::from_scientific(body))
                .map_err(|_| self.error("bad percentage"))?;
            return Ok(Value::Percent(d.normalize()));
        }
        // `1.5M` or `12,500` without a currency is not a literal; neither is `2025-09`.
        if self.peek().is_some_and(char::is_alphanumeric) {
            return Err(self.error("unexpected character in a number"));
        }
        if is_float {
            body.parse::<f64>()
                .map(Value::Float)
                .map_err(|_| self.error("bad float"))
        } else {
            body.parse::<i64>()
                .map(Value::Int)
                .map_err(|_| self.error("integer out of range"))
        }
    }

    fn keyword_or_call(&mut self, depth: usize) -> Result<Value, LiteralError> {
        let start = self.pos;
        let word = self.word().to_string();
        match word.to_ascii_lowercase().as_str() {
            "null" => return Ok(Value::Null),
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "nan" => return Ok(Value::Float(f64::NAN)),
            "infinity" => return Ok(Value::Float(f64::INFINITY)),
            _ => {}
        }
        // `USD 18M`: a three-letter upper-case code, a space, an amount.
        if word.len() == 3 && word.chars().all(|c| c.is_ascii_uppercase()) && self.rest().starts_with(' ') {
            let save = self.pos;
            self.skip_ws();
            let negative = self.eat('-');
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                let amount = self.amount_text().to_string();
                let parsed = Money::parse_amount(&amount).and_then(|a| Money::new(a, &word));
                return match parsed {
                    Ok(m) => Ok(Value::Money(if negative {
                        Money {
                            amount: -m.amount,
                            currency: m.currency,
                        }
                    } else {
                        m
                    })),
                    Err(e) => Err(self.error(&e.to_string())),
                };
            }
            self.pos = save;
        }
        self.skip_ws();
        if !self.eat('(') {
            self.pos = start;
            return Err(self.error("expected a value"));
        }
        let mut args = Vec::new();
        self.skip_ws();
        if !self.eat(')') {
            loop {
                args.push(self.value_at(depth + 1)?);
                self.skip_ws();
                if self.eat(')') {
                    break;
                }
                self.expect(',')?;
            }
        }
        match (word.to_ascii_lowercase().as_str(), args.as_slice()) {
            ("date", [Value::String(s)]) => PartialDate::from_str(s)
                .map(Value::Date)
                .map_err(|e| self.error(&e.to_string())),
            ("quantity", [amount, Value::String(unit)]) => {
                let amount = match amount {
                    Value::Int(i) => Decimal::from(*i),
                    Value::Float(x) => Decimal::from_str(&x.to_string())
                        .or_else(|_| Decimal::from_scientific(&format!("{x:e}")))
                        .map_err(|_| self.error("bad quantity amount"))?,
                    _ => return Err(self.error("quantity(amount, 'unit') needs a number")),
                };
                Ok(Value::Quantity(Quantity {
                    amount: amount.normalize(),
                    unit: unit.clone(),
                }))
            }
            _ => Err(self.error(&format!("`{word}(...)` is not a literal"))),
        }
    }

    fn string(&mut self) -> Result<String, LiteralError> {
        let quote = self.peek().unwrap_or('\'');
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                c if c == quote => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += e.len_utf8();
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        '0' => out.push('\0'),
                        'u' => {
                            let hex = self.rest().get(..4).ok_or_else(|| self.error("bad \\u escape"))?;
                            let code = u32::from_str_radix(hex, 16).map_err(|_| self.error("bad \\u escape"))?;
                            let ch = char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"))?;
                            self.pos += 4;
                            out.push(ch);
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value, LiteralError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat(']') {
            return Ok(Value::List(items));
        }
        loop {
            items.push(self.value_at(depth + 1)?);
            self.skip_ws();
            if self.eat(']') {
                return Ok(Value::List(items));
            }
            self.expect(',')?;
        }
    }

    fn map(&mut self, depth: usize) -> Result<BTreeMap<String, Value>, LiteralError> {
        self.pos += 1;
        let mut m = BTreeMap::new();
        self.skip_ws();
        if self.eat('}') {
            return Ok(m);
        }
        loop {
            self.skip_ws();
            let key = match self.peek() {
                Some('\'' | '"') => self.string()?,
                Some('`') => {
                    self.pos += 1;
                    let end = self.rest().find('`').ok_or_else(|| self.error("unterminated `name`"))?;
                    let k = self.rest()[..end].to_string();
                    self.pos += end + 1;
                    k
                }
                Some(c) if c.is_alphabetic() || c == '_' => self.word().to_string(),
                _ => return Err(self.error("expected a key")),
            };
            self.expect(':')?;
            let v = self.value_at(depth + 1)?;
            m.insert(key, v);
            self.skip_ws();
            if self.eat('}') {
                return Ok(m);
            }
            self.expect(',')?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Value {
        parse_literal(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn scalars() {
        assert_eq!(lit("42"), Value::Int(42));
        assert_eq!(lit("-7"), Value::Int(-7));
        assert_eq!(lit("0x1F"), Value::Int(31));
        assert_eq!(lit("1.5"), Value::Float(1.5));
        assert_eq!(lit("-2e3"), Value::Float(-2000.0));
        assert_eq!(lit("TRUE"), Value::Bool(true));
        assert_eq!(lit("null"), Value::Null);
        assert_eq!(lit("'it\\'s'"), Value::from("it's"));
        assert_eq!(lit("\"a\\nb\""), Value::from("a\nb"));
        assert!(matches!(lit("NaN"), Value::Float(x) if x.is_nan()));
    }

    #[test]
    fn domain_literals() {
        assert_eq!(lit("$277M"), Value::Money("$277M".parse().unwrap()));
        assert_eq!(lit("USD 18M"), Value::Money("$18M".parse().unwrap()));
        assert_eq!(lit("$12,500"), Value::Money("$12500".parse().unwrap()));
        assert_eq!(lit("EUR 4.5B"), Value::Money("EUR 4500M".parse().unwrap()));
        assert_eq!(lit("15%"), Value::Percent(Decimal::from(15)));
        assert_eq!(lit("@2025-09"), Value::Date("2025-09".parse().unwrap()));
        assert_eq!(lit("date('2026')"), Value::Date("2026".parse().unwrap()));
        assert_eq!(
            lit("quantity(20, 't/yr')"),
            Value::Quantity(Quantity {
                amount: Decimal::from(20),
                unit: "t/yr".into()
            })
        );
    }

    #[test]
    fn nested() {
        let v = lit("{a: [1, 'x', {b: null}], `odd key`: @2026}");
        let Value::Map(m) = &v else { panic!() };
        assert_eq!(m.len(), 2);
        assert!(parse_literal("[1, 2").is_err());
        assert!(parse_literal(&"[".repeat(500)).is_err());
    }

    #[test]
    fn rejects_non_literals() {
        for bad in ["Round Top", "2025-09", "1.5M", "12,500", "abc(1)", "'open", "1 2", ""] {
            assert!(parse_literal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_fall_back_to_text() {
        assert_eq!(parse_param("x=42").unwrap(), ("x".into(), Value::Int(42)));
        assert_eq!(
            parse_param("$site=Round Top").unwrap(),
            ("site".into(), Value::from("Round Top"))
        );
        assert_eq!(parse_param("n => 'a=b'").unwrap(), ("n".into(), Value::from("a=b")));
        assert_eq!(parse_param("e=").unwrap(), ("e".into(), Value::from("")));
        assert!(parse_param("novalue").is_err());
        assert!(parse_param("1x=2").is_err());
    }

    #[test]
    fn format_round_trips() {
        for s in [
            "[1, -2.5, 'a\\'b', true, null]",
            "{amount: USD 1500000, share: 15.5%, when: @2025-09, q: quantity(20, 't/yr')}",
            "1e300",
            "-0.1",
            "'tab\\there'",
            "EUR 0.001",
            "-$5M",
        ] {
            let v = lit(s);
            let back = lit(&format_literal(&v));
            assert_eq!(back, v, "{s} -> {}", format_literal(&v));
        }
        assert_eq!(format_literal(&Value::Float(1.0)), "1.0");
    }
}
