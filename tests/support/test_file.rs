//! The data-driven test file format (see tests/cases.rs): records of statements,
//! parameters and queries with their expected tables. Shared by the runners that
//! replay the files (tests/cases.rs, tests/spark.rs).
#![allow(dead_code)]

/// One record of a test file.
#[derive(Debug)]
pub enum Record {
    Ok {
        text: String,
        line: usize,
    },
    Error {
        text: String,
        expect: String,
        line: usize,
    },
    Param {
        name: String,
        expr: String,
        line: usize,
    },
    Query {
        text: String,
        unordered: bool,
        expected: Vec<String>,
        /// Line range (0-based, end exclusive) of the expected block in the file.
        block: (usize, usize),
        line: usize,
    },
}

pub fn is_blank(l: &str) -> bool {
    l.trim().is_empty()
}

pub fn parse_file(text: &str) -> Result<(bool, Vec<Record>), String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut load_kb = false;
    let mut records = Vec::new();
    // The `load kb` header is the first non-comment, non-blank line.
    while i < lines.len() && (is_blank(lines[i]) || lines[i].trim_start().starts_with('#')) {
        i += 1;
    }
    if i < lines.len() && lines[i].trim() == "load kb" {
        load_kb = true;
        i += 1;
    }
    while i < lines.len() {
        let l = lines[i].trim_end();
        if is_blank(l) || l.trim_start().starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        if l == "statement ok" || l.starts_with("statement error") {
            i += 1;
            let mut body = Vec::new();
            while i < lines.len() && !is_blank(lines[i]) {
                body.push(lines[i]);
                i += 1;
            }
            let text = body.join("\n");
            if l == "statement ok" {
                records.push(Record::Ok { text, line: start + 1 });
            } else {
                let expect = l["statement error".len()..].trim().to_string();
                records.push(Record::Error {
                    text,
                    expect,
                    line: start + 1,
                });
            }
        } else if let Some(rest) = l.strip_prefix("param ") {
            let rest = rest.trim();
            let (name, expr) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("line {}: `param NAME EXPR` expected", start + 1))?;
            records.push(Record::Param {
                name: name.to_string(),
                expr: expr.trim().to_string(),
                line: start + 1,
            });
            i += 1;
        } else if l == "query" || l == "query unordered" {
            i += 1;
            let mut body = Vec::new();
            while i < lines.len() && lines[i].trim_end() != "----" {
                if is_blank(lines[i]) {
                    return Err(format!("line {}: query without a `----` line", start + 1));
                }
                body.push(lines[i]);
                i += 1;
            }
            if i >= lines.len() {
                return Err(format!("line {}: query without a `----` line", start + 1));
            }
            i += 1;
            let block_start = i;
            let mut expected = Vec::new();
            while i < lines.len() && !is_blank(lines[i]) {
                expected.push(lines[i].trim_end().to_string());
                i += 1;
            }
            records.push(Record::Query {
                text: body.join("\n"),
                unordered: l == "query unordered",
                expected,
                block: (block_start, i),
                line: start + 1,
            });
        } else {
            return Err(format!("line {}: unknown record `{l}`", start + 1));
        }
    }
    Ok((load_kb, records))
}
