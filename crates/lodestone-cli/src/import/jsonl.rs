//! JSON Lines: one node or relationship per line, in the JSON shape of results.
//!
//! A node line is `{"id": ..., "labels": [...], "properties": {...}}`; a relationship
//! line is `{"type": "T", "start": ..., "end": ..., "properties": {...}}`, where
//! `start` and `end` name node ids of the same import. Both may carry `"citations"`
//! (a list of `{source, line, note}`) and `"types"`: a map from property key to
//! `"date"` (the string is a date) or `"literal"` (the string is a literal of the
//! language), for values whose JSON form alone is ambiguous. Property values read:
//! numbers, strings, booleans, lists, maps; `{"amount", "currency"}` as money,
//! `{"percent"}` as a percentage, `{"amount", "unit"}` as a quantity.

use super::{RowOutcome, Sink, Stop};
use crate::report::CliError;
use lodestone::{Citation, Decimal, Money, NodeRecord, PartialDate, Props, Quantity, Value, literal};
use serde_json::{Map, Value as Json};
use std::io::BufRead;
use std::path::Path;
use std::str::FromStr;

/// Reads a JSON value as a property value (never a node, relationship or path).
pub fn json_to_value(json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().ok_or_else(|| format!("number {n} is out of range"))?),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(json_to_value).collect::<Result<_, _>>()?),
        Json::Object(m) => object_to_value(m)?,
    })
}

fn decimal(json: &Json, what: &str) -> Result<Decimal, String> {
    match json {
        Json::String(s) => Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .map_err(|_| format!("bad {what} `{s}`")),
        Json::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map_err(|_| format!("bad {what} `{n}`")),
        _ => Err(format!("{what} must be a string or number")),
    }
}

fn object_to_value(m: &Map<String, Json>) -> Result<Value, String> {
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    match keys.as_slice() {
        ["amount", "currency"] => {
            if let Some(Json::String(currency)) = m.get("currency") {
                let amount = decimal(&m["amount"], "amount")?;
                return Money::new(amount, currency)
                    .map(Value::Money)
                    .map_err(|e| e.to_string());
            }
        }
        ["percent"] => return Ok(Value::Percent(decimal(&m["percent"], "percent")?.normalize())),
        ["amount", "unit"] => {
            if let Some(Json::String(unit)) = m.get("unit") {
                let amount = decimal(&m["amount"], "amount")?.normalize();
                return Ok(Value::Quantity(Quantity {
                    amount,
                    unit: unit.clone(),
                }));
            }
        }
        _ => {}
    }
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in m {
        out.insert(k.clone(), json_to_value(v)?);
    }
    Ok(Value::Map(out))
}

fn props(line: &Map<String, Json>) -> Result<Props, String> {
    let hints = match line.get("types") {
        Some(Json::Object(h)) => Some(h),
        None | Some(Json::Null) => None,
        Some(_) => return Err("`types` must be a map from property key to \"date\" or \"literal\"".into()),
    };
    let mut out = Props::new();
    let Some(p) = line.get("properties") else {
        return Ok(out);
    };
    let Json::Object(p) = p else {
        return Err("`properties` must be a map".into());
    };
    for (key, json) in p {
        let hint = hints.and_then(|h| h.get(key)).and_then(Json::as_str);
        let value = match (hint, json) {
            (Some("date"), Json::String(s)) => PartialDate::from_str(s)
                .map(Value::Date)
                .map_err(|e| format!("property `{key}`: {e}"))?,
            (Some("literal"), Json::String(s)) => {
                literal::parse_literal(s).map_err(|e| format!("property `{key}`: {e}"))?
            }
            (Some(other), _) if other != "date" && other != "literal" => {
                return Err(format!("property `{key}`: unknown type hint `{other}`"));
            }
            _ => json_to_value(json).map_err(|e| format!("property `{key}`: {e}"))?,
        };
        if !value.is_null() {
            out.insert(key.clone(), value);
        }
    }
    Ok(out)
}

fn citations(line: &Map<String, Json>) -> Result<Vec<Citation>, String> {
    let Some(list) = line.get("citations") else {
        return Ok(Vec::new());
    };
    let Json::Array(items) = list else {
        return Err("`citations` must be a list".into());
    };
    items
        .iter()
        .map(|c| {
            let source = c
                .get("source")
                .and_then(Json::as_str)
                .ok_or("a citation needs a string `source`")?;
            let line = match c.get("line") {
                None | Some(Json::Null) => None,
                Some(n) => Some(
                    n.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or("a citation's `line` must be a number")?,
                ),
            };
            let note = match c.get("note") {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => Some(s.clone()),
                Some(_) => return Err("a citation's `note` must be a string".to_string()),
            };
            Ok(Citation {
                source: source.to_string(),
                line,
                note,
            })
        })
        .collect()
}

fn id_text(json: &Json) -> Option<String> {
    match json {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads one line; returns `Ok(None)` when it belongs to the other pass.
fn row(sink: &mut dyn Sink, text: &str, nodes: bool) -> Result<(), RowOutcome> {
    let json: Json = serde_json::from_str(text).map_err(|e| RowOutcome::Bad(format!("not JSON: {e}")))?;
    let Json::Object(line) = json else {
        return Err(RowOutcome::Bad("each line must be a JSON object".into()));
    };
    let is_edge = line.contains_key("start") || line.contains_key("end");
    if is_edge == nodes {
        return Ok(());
    }
    let props = props(&line).map_err(RowOutcome::Bad)?;
    let citations = citations(&line).map_err(RowOutcome::Bad)?;
    if nodes {
        let labels = match line.get("labels") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(ls)) => ls
                .iter()
                .map(|l| {
                    l.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| RowOutcome::Bad("labels must be strings".into()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(RowOutcome::Bad("`labels` must be a list".into())),
        };
        let id = match line.get("id") {
            None | Some(Json::Null) => None,
            Some(j) => Some(id_text(j).ok_or_else(|| RowOutcome::Bad("`id` must be a string or number".into()))?),
        };
        sink.add_node(
            id.as_deref(),
            NodeRecord {
                labels,
                props,
                citations,
            },
        )
    } else {
        let end = |k: &str| {
            line.get(k)
                .and_then(id_text)
                .ok_or_else(|| RowOutcome::Bad(format!("`{k}` must be a node id")))
        };
        let (start, finish) = (end("start")?, end("end")?);
        let rel_type = line
            .get("type")
            .and_then(Json::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RowOutcome::Bad("a relationship needs a string `type`".into()))?;
        sink.add_edge(&start, &finish, rel_type.to_string(), props, citations)
    }
}

/// Reads every line of `path` that is a node (`nodes`) or a relationship (otherwise).
pub(crate) fn read(sink: &mut dyn Sink, path: &Path, nodes: bool) -> Result<(), Stop> {
    let file = std::fs::File::open(path)
        .map_err(|e| Stop::Fatal(CliError::Usage(format!("cannot open {}: {e}", path.display()))))?;
    let mut reader = std::io::BufReader::new(file);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut bytes = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Stop::Fatal(CliError::Data(format!("{}: {e}", path.display()))))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        bytes += n as u64;
        if line_no.is_multiple_of(8192) {
            sink.progress(bytes);
        }
        let outcome = match std::str::from_utf8(&buf) {
            Err(_) => Err(RowOutcome::Bad("invalid UTF-8".into())),
            Ok(text) if text.trim().is_empty() => Ok(()),
            Ok(text) => row(sink, text, nodes),
        };
        match outcome {
            Ok(()) => {}
            // Report each bad line once, in the node pass.
            Err(RowOutcome::Bad(m)) if nodes || !m.starts_with("not JSON") && m != "invalid UTF-8" => {
                match sink.bad(path, line_no, m) {
                    Ok(()) => {}
                    Err(RowOutcome::Stop(s)) => return Err(s),
                    Err(RowOutcome::Bad(_)) => {}
                }
            }
            Err(RowOutcome::Bad(_)) => {}
            Err(RowOutcome::Stop(s)) => return Err(s),
        }
    }
    sink.file_done(path, nodes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_domain_shapes() {
        assert_eq!(
            json_to_value(&json!({"amount": "277000000", "currency": "USD"})).unwrap(),
            Value::Money("$277M".parse().unwrap())
        );
        assert_eq!(
            json_to_value(&json!({"percent": "15"})).unwrap(),
            Value::Percent(Decimal::from(15))
        );
        assert_eq!(json_to_value(&json!(1.0)).unwrap(), Value::Float(1.0));
        assert_eq!(json_to_value(&json!(3)).unwrap(), Value::Int(3));
        assert!(matches!(json_to_value(&json!({"a": 1})).unwrap(), Value::Map(_)));
    }

    #[test]
    fn type_hints() {
        let line = json!({"properties": {"d": "2025-09", "s": "2025-09", "l": "[@2025, $1M]"}, "types": {"d": "date", "l": "literal"}});
        let p = props(line.as_object().unwrap()).unwrap();
        assert_eq!(p["d"], Value::Date("2025-09".parse().unwrap()));
        assert_eq!(p["s"], Value::from("2025-09"));
        assert!(matches!(&p["l"], Value::List(items) if items.len() == 2));
    }
}
