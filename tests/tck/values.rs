//! The TCK's value syntax: reading expected cells and parameters, converting the
//! engine's values, comparing the two and printing either.
//!
//! Equality is structural and strict about kinds: `1` and `1.0` differ, floats
//! compare by exact value as the TCK's own harness does (so `-0.0` equals `0.0`,
//! which the TCK relies on, and NaN equals NaN),
//! node labels and map keys are unordered, lists are ordered unless the step says
//! to ignore list element order (then at every depth).

use lodestone::{NodeValue, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// A value as the TCK writes it.
#[derive(Debug, Clone)]
pub enum TVal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<TVal>),
    /// A map.
    Map(BTreeMap<String, TVal>),
    /// A node: labels and properties.
    Node(TNode),
    /// A relationship: type and properties.
    Rel(TRel),
    /// A path: a start node and steps.
    Path(TPath),
    /// An engine value the TCK cannot write (date, money ...), by its display text.
    Foreign(String),
}

/// A node without identity.
#[derive(Debug, Clone, Default)]
pub struct TNode {
    /// Labels, unordered.
    pub labels: BTreeSet<String>,
    /// Properties.
    pub props: BTreeMap<String, TVal>,
}

/// A relationship without identity or endpoints.
#[derive(Debug, Clone, Default)]
pub struct TRel {
    /// Type.
    pub rel_type: String,
    /// Properties.
    pub props: BTreeMap<String, TVal>,
}

/// A path: start node, then (relationship, walked forward, next node) steps.
#[derive(Debug, Clone, Default)]
pub struct TPath {
    /// First node.
    pub start: TNode,
    /// Steps in walking order.
    pub steps: Vec<(TRel, bool, TNode)>,
}

/// Parses one TCK value; the whole text must be consumed.
pub fn parse(text: &str) -> Result<TVal, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(format!("unexpected `{}` after value in `{text}`", &text[p.pos..]));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", c as char)))
        }
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at offset {} of `{}`", self.pos, self.text)
    }

    fn starts_with(&self, word: &str) -> bool {
        self.text[self.pos..].starts_with(word)
    }

    fn value(&mut self) -> Result<TVal, String> {
        self.ws();
        let Some(c) = self.peek() else {
            return Err(self.error("expected a value"));
        };
        match c {
            b'\'' | b'"' => Ok(TVal::Str(self.string()?)),
            b'[' => {
                if self.s[self.pos + 1..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':') {
                    Ok(TVal::Rel(self.rel()?))
                } else {
                    self.list()
                }
            }
            b'{' => Ok(TVal::Map(self.map()?)),
            b'(' => Ok(TVal::Node(self.node()?)),
            b'<' => self.path(),
            _ => self.scalar(),
        }
    }

    fn scalar(&mut self) -> Result<TVal, String> {
        for (word, v) in [
            ("null", TVal::Null),
            ("true", TVal::Bool(true)),
            ("false", TVal::Bool(false)),
            ("NaN", TVal::Float(f64::NAN)),
            ("-Infinity", TVal::Float(f64::NEG_INFINITY)),
            ("Infinity", TVal::Float(f64::INFINITY)),
            ("-Inf", TVal::Float(f64::NEG_INFINITY)),
            ("+Inf", TVal::Float(f64::INFINITY)),
            ("Inf", TVal::Float(f64::INFINITY)),
        ] {
            if self.starts_with(word)
                && !self
                    .s
                    .get(self.pos + word.len())
                    .is_some_and(|b| b.is_ascii_alphanumeric())
            {
                self.pos += word.len();
                return Ok(v);
            }
        }
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let mut float = false;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => self.pos += 1,
                b'.' | b'e' | b'E' => {
                    float = true;
                    self.pos += 1;
                    if matches!(c, b'e' | b'E') && matches!(self.peek(), Some(b'-' | b'+')) {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let num = &self.text[start..self.pos];
        if num.is_empty() || num == "-" || num == "+" {
            return Err(self.error("expected a value"));
        }
        if float {
            num.parse::<f64>()
                .map(TVal::Float)
                .map_err(|e| self.error(&format!("bad float `{num}`: {e}")))
        } else {
            num.parse::<i64>()
                .map(TVal::Int)
                .map_err(|e| self.error(&format!("bad integer `{num}`: {e}")))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.s[self.pos];
        self.pos += 1;
        let mut out = String::new();
        let rest = &self.text[self.pos..];
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            if c as u32 == quote as u32 {
                self.pos += i + 1;
                return Ok(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                '\\' | '\'' | '"' => out.push(e),
                'u' | 'U' => {
                    let len = if e == 'u' { 4 } else { 8 };
                    let hex: String = chars.by_ref().take(len).map(|(_, h)| h).collect();
                    let ch = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| self.error(&format!("bad escape \\{e}{hex}")))?;
                    out.push(ch);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        Err(self.error("string not closed"))
    }

    fn key(&mut self) -> Result<String, String> {
        self.ws();
        if self.peek() == Some(b'`') {
            self.pos += 1;
            let mut out = String::new();
            loop {
                match self.text[self.pos..].chars().next() {
                    None => return Err(self.error("back-quoted name not closed")),
                    Some('`') => {
                        self.pos += 1;
                        if self.peek() == Some(b'`') {
                            out.push('`');
                            self.pos += 1;
                        } else {
                            return Ok(out);
                        }
                    }
                    Some(c) => {
                        out.push(c);
                        self.pos += c.len_utf8();
                    }
                }
            }
        }
        let start = self.pos;
        while let Some(c) = self.text[self.pos..].chars().next() {
            if c.is_alphanumeric() || c == '_' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        if start == self.pos {
            return Err(self.error("expected a name"));
        }
        Ok(self.text[start..self.pos].to_string())
    }

    fn list(&mut self) -> Result<TVal, String> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(TVal::List(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat(b']') {
                return Ok(TVal::List(items));
            }
            self.expect(b',')?;
        }
    }

    fn map(&mut self) -> Result<BTreeMap<String, TVal>, String> {
        self.expect(b'{')?;
        let mut m = BTreeMap::new();
        if self.eat(b'}') {
            return Ok(m);
        }
        loop {
            let k = self.key()?;
            self.expect(b':')?;
            let v = self.value()?;
            m.insert(k, v);
            if self.eat(b'}') {
                return Ok(m);
            }
            self.expect(b',')?;
        }
    }

    fn node(&mut self) -> Result<TNode, String> {
        self.expect(b'(')?;
        let mut n = TNode::default();
        while self.eat(b':') {
            n.labels.insert(self.key()?);
        }
        self.ws();
        if self.peek() == Some(b'{') {
            n.props = self.map()?;
        }
        self.expect(b')')?;
        Ok(n)
    }

    fn rel(&mut self) -> Result<TRel, String> {
        self.expect(b'[')?;
        self.expect(b':')?;
        let mut r = TRel {
            rel_type: self.key()?,
            ..TRel::default()
        };
        self.ws();
        if self.peek() == Some(b'{') {
            r.props = self.map()?;
        }
        self.expect(b']')?;
        Ok(r)
    }

    fn path(&mut self) -> Result<TVal, String> {
        self.expect(b'<')?;
        let mut p = TPath {
            start: self.node()?,
            steps: Vec::new(),
        };
        loop {
            if self.eat(b'>') {
                return Ok(TVal::Path(p));
            }
            let forward = if self.eat(b'<') {
                self.expect(b'-')?;
                false
            } else {
                self.expect(b'-')?;
                true
            };
            let r = self.rel()?;
            self.expect(b'-')?;
            if forward {
                self.expect(b'>')?;
            }
            let n = self.node()?;
            p.steps.push((r, forward, n));
        }
    }
}

/// The engine value for a parameter written in TCK syntax.
pub fn to_engine(v: &TVal) -> Result<Value, String> {
    Ok(match v {
        TVal::Null => Value::Null,
        TVal::Bool(b) => Value::Bool(*b),
        TVal::Int(i) => Value::Int(*i),
        TVal::Float(f) => Value::Float(*f),
        TVal::Str(s) => Value::String(s.clone()),
        TVal::List(items) => Value::List(items.iter().map(to_engine).collect::<Result<_, _>>()?),
        TVal::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), to_engine(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => return Err(format!("a parameter cannot be {other}")),
    })
}

fn props_of(props: &BTreeMap<String, Value>) -> BTreeMap<String, TVal> {
    props.iter().map(|(k, v)| (k.clone(), from_engine(v))).collect()
}

fn node_of(n: &NodeValue) -> TNode {
    TNode {
        labels: n.labels.iter().cloned().collect(),
        props: props_of(&n.props),
    }
}

/// The TCK view of an engine value.
pub fn from_engine(v: &Value) -> TVal {
    match v {
        Value::Null => TVal::Null,
        Value::Bool(b) => TVal::Bool(*b),
        Value::Int(i) => TVal::Int(*i),
        Value::Float(f) => TVal::Float(*f),
        Value::String(s) => TVal::Str(s.clone()),
        Value::List(items) => TVal::List(items.iter().map(from_engine).collect()),
        Value::Map(m) => TVal::Map(props_of(m)),
        Value::Node(n) => TVal::Node(node_of(n)),
        Value::Edge(e) => TVal::Rel(TRel {
            rel_type: e.rel_type.clone(),
            props: props_of(&e.props),
        }),
        Value::Path(p) => {
            let Some(first) = p.nodes.first() else {
                return TVal::Foreign(format!("{v} (a path without nodes)"));
            };
            let steps = p
                .edges
                .iter()
                .zip(p.nodes.windows(2))
                .map(|(e, pair)| {
                    let forward = e.start == pair[0].id && e.end == pair[1].id;
                    (
                        TRel {
                            rel_type: e.rel_type.clone(),
                            props: props_of(&e.props),
                        },
                        forward,
                        node_of(&pair[1]),
                    )
                })
                .collect();
            TVal::Path(TPath {
                start: node_of(first),
                steps,
            })
        }
        other => TVal::Foreign(other.to_string()),
    }
}

fn same_props(a: &BTreeMap<String, TVal>, b: &BTreeMap<String, TVal>, unordered: bool) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb, unordered))
}

fn same_node(a: &TNode, b: &TNode, unordered: bool) -> bool {
    a.labels == b.labels && same_props(&a.props, &b.props, unordered)
}

fn same_rel(a: &TRel, b: &TRel, unordered: bool) -> bool {
    a.rel_type == b.rel_type && same_props(&a.props, &b.props, unordered)
}

/// Whether two lists hold the same elements as multisets.
pub fn same_multiset(a: &[TVal], b: &[TVal], unordered: bool) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    'outer: for x in a {
        for (j, y) in b.iter().enumerate() {
            if !used[j] && same(x, y, unordered) {
                used[j] = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

/// Structural equality (see the module doc).
pub fn same(a: &TVal, b: &TVal, unordered: bool) -> bool {
    match (a, b) {
        (TVal::Null, TVal::Null) => true,
        (TVal::Bool(x), TVal::Bool(y)) => x == y,
        (TVal::Int(x), TVal::Int(y)) => x == y,
        (TVal::Float(x), TVal::Float(y)) => (x.is_nan() && y.is_nan()) || x == y,
        (TVal::Str(x), TVal::Str(y)) => x == y,
        (TVal::List(x), TVal::List(y)) => {
            if unordered {
                same_multiset(x, y, unordered)
            } else {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q, unordered))
            }
        }
        (TVal::Map(x), TVal::Map(y)) => same_props(x, y, unordered),
        (TVal::Node(x), TVal::Node(y)) => same_node(x, y, unordered),
        (TVal::Rel(x), TVal::Rel(y)) => same_rel(x, y, unordered),
        (TVal::Path(x), TVal::Path(y)) => {
            same_node(&x.start, &y.start, unordered)
                && x.steps.len() == y.steps.len()
                && x.steps.iter().zip(&y.steps).all(|((r1, f1, n1), (r2, f2, n2))| {
                    f1 == f2 && same_rel(r1, r2, unordered) && same_node(n1, n2, unordered)
                })
        }
        _ => false,
    }
}

fn write_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('\'')
}

fn write_key(f: &mut fmt::Formatter<'_>, k: &str) -> fmt::Result {
    let plain = k.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        f.write_str(k)
    } else {
        write!(f, "`{}`", k.replace('`', "``"))
    }
}

fn write_map(f: &mut fmt::Formatter<'_>, m: &BTreeMap<String, TVal>) -> fmt::Result {
    f.write_char('{')?;
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_key(f, k)?;
        write!(f, ": {v}")?;
    }
    f.write_char('}')
}

impl fmt::Display for TNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('(')?;
        for l in &self.labels {
            f.write_char(':')?;
            write_key(f, l)?;
        }
        if !self.props.is_empty() {
            if !self.labels.is_empty() {
                f.write_char(' ')?;
            }
            write_map(f, &self.props)?;
        }
        f.write_char(')')
    }
}

impl fmt::Display for TRel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[:")?;
        write_key(f, &self.rel_type)?;
        if !self.props.is_empty() {
            f.write_char(' ')?;
            write_map(f, &self.props)?;
        }
        f.write_char(']')
    }
}

impl fmt::Display for TVal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TVal::Null => f.write_str("null"),
            TVal::Bool(b) => write!(f, "{b}"),
            TVal::Int(i) => write!(f, "{i}"),
            TVal::Float(x) if x.is_nan() => f.write_str("NaN"),
            TVal::Float(x) if x.is_infinite() => f.write_str(if *x > 0.0 { "Infinity" } else { "-Infinity" }),
            TVal::Float(x) => write!(f, "{x:?}"),
            TVal::Str(s) => write_str(f, s),
            TVal::List(items) => {
                f.write_char('[')?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_char(']')
            }
            TVal::Map(m) => write_map(f, m),
            TVal::Node(n) => write!(f, "{n}"),
            TVal::Rel(r) => write!(f, "{r}"),
            TVal::Path(p) => {
                write!(f, "<{}", p.start)?;
                for (r, forward, n) in &p.steps {
                    if *forward {
                        write!(f, "-{r}->{n}")?;
                    } else {
                        write!(f, "<-{r}-{n}")?;
                    }
                }
                f.write_char('>')
            }
            TVal::Foreign(s) => write!(f, "<engine value {s}>"),
        }
    }
}

/// Checks the value reader on samples; panics with the difference when it misreads.
pub fn self_test() {
    let cases = [
        ("null", "null"),
        ("-0.0", "-0.0"),
        ("1e308", "1e308"),
        ("NaN", "NaN"),
        ("-Inf", "-Infinity"),
        ("'a\\\\b\\'c'", "'a\\\\b\\'c'"),
        ("[1, 2.5, 'x', [], {}]", "[1, 2.5, 'x', [], {}]"),
        ("{b: 1, a: [true, false]}", "{a: [true, false], b: 1}"),
        ("{``: 0}", "{``: 0}"),
        ("(:B:A {name: 'n'})", "(:A:B {name: 'n'})"),
        ("({name: 'c'})", "({name: 'c'})"),
        ("[:T {k: -1}]", "[:T {k: -1}]"),
        ("<(:A)-[:T]->(:B)<-[:S]-()>", "<(:A)-[:T]->(:B)<-[:S]-()>"),
        ("-9223372036854775808", "-9223372036854775808"),
    ];
    for (text, shown) in cases {
        let v = parse(text).unwrap_or_else(|e| panic!("self test: {e}"));
        assert_eq!(v.to_string(), shown, "reading {text}");
        assert!(
            same(&v, &parse(shown).unwrap_or(TVal::Null), false),
            "{text} is not itself"
        );
    }
    assert!(!same(&TVal::Int(1), &TVal::Float(1.0), false));
    assert!(same(&TVal::Float(0.0), &TVal::Float(-0.0), false));
    assert!(!same(&TVal::Float(0.1), &TVal::Float(0.1 + f64::EPSILON), false));
    let (a, b) = (
        parse("[1, [2, 3]]").unwrap_or(TVal::Null),
        parse("[[3, 2], 1]").unwrap_or(TVal::Null),
    );
    assert!(same(&a, &b, true) && !same(&a, &b, false));
    assert!(parse("[1, 2").is_err() && parse("'open").is_err() && parse("1 2").is_err());
}
