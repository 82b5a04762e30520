//! Index keys derived from records: name keys and equality keys of property values.

use lodestone_model::{Decimal, Props, Value, normalize_name};

/// The name-index keys of a node: its normalized `name` and `aliases`,
/// without empty keys or duplicates, sorted.
pub(crate) fn name_keys(props: &Props) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |s: &str| {
        let k = normalize_name(s);
        if !k.is_empty() {
            keys.push(k);
        }
    };
    if let Some(Value::String(s)) = props.get("name") {
        add(s);
    }
    match props.get("aliases") {
        Some(Value::List(items)) => {
            for v in items {
                if let Value::String(s) = v {
                    add(s);
                }
            }
        }
        Some(Value::String(s)) => add(s),
        _ => {}
    }
    keys.sort();
    keys.dedup();
    keys
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_decimal(out: &mut Vec<u8>, d: &Decimal) {
    put_str(out, &d.normalize().to_string());
}

/// Encodes a number so that values equal under the language's `=` share a key:
/// integral floats in the `i64` range encode as integers.
fn put_number(out: &mut Vec<u8>, v: &Value) -> Option<()> {
    match v {
        Value::Int(i) => {
            out.push(b'i');
            out.extend_from_slice(&i.to_be_bytes());
        }
        Value::Float(f) => {
            if f.is_nan() {
                return None;
            }
            // The bounds are exact powers of two, so the cast below is lossless.
            if f.fract() == 0.0 && *f >= -9.223_372_036_854_776e18 && *f < 9.223_372_036_854_776e18 {
                out.push(b'i');
                out.extend_from_slice(&(*f as i64).to_be_bytes());
            } else {
                out.push(b'f');
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
        }
        _ => return None,
    }
    Some(())
}

fn put_value(out: &mut Vec<u8>, v: &Value) -> Option<()> {
    match v {
        Value::Null | Value::Node(_) | Value::Edge(_) | Value::Path(_) => return None,
        Value::Bool(b) => out.extend_from_slice(&[b'b', u8::from(*b)]),
        Value::Int(_) | Value::Float(_) => put_number(out, v)?,
        Value::String(s) => {
            out.push(b's');
            put_str(out, s);
        }
        Value::List(items) => {
            out.push(b'l');
            out.extend_from_slice(&(items.len() as u32).to_be_bytes());
            for item in items {
                put_value(out, item)?;
            }
        }
        Value::Map(m) => {
            out.push(b'm');
            out.extend_from_slice(&(m.len() as u32).to_be_bytes());
            for (k, item) in m {
                put_str(out, k);
                put_value(out, item)?;
            }
        }
        Value::Date(d) => {
            out.push(b'd');
            out.extend_from_slice(&d.year_part().to_be_bytes());
            out.push(d.month_part().unwrap_or(0));
            out.push(d.day_part().unwrap_or(0));
        }
        Value::Money(m) => {
            out.push(b'$');
            put_str(out, &m.currency);
            put_decimal(out, &m.amount);
        }
        Value::Percent(p) => {
            out.push(b'%');
            put_decimal(out, p);
        }
        Value::Quantity(q) => {
            out.push(b'q');
            put_str(out, &q.unit);
            put_decimal(out, &q.amount);
        }
    }
    Some(())
}

/// The equality key of a property value for an index: two values get the same key
/// exactly when `=` holds between them. `None` for values `=` never holds for
/// (null, NaN, or containing them) and for values that cannot be stored.
pub(crate) fn value_key(v: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    put_value(&mut out, v)?;
    Some(out)
}

/// The value key of `key` on a node, if it has one.
pub(crate) fn prop_key(props: &Props, key: &str) -> Option<Vec<u8>> {
    props.get(key).and_then(value_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_equal_by_value_share_keys() {
        assert_eq!(value_key(&Value::Int(1)), value_key(&Value::Float(1.0)));
        assert_ne!(value_key(&Value::Int(1)), value_key(&Value::Float(1.5)));
        assert_eq!(value_key(&Value::Float(f64::NAN)), None);
        assert_eq!(value_key(&Value::Null), None);
        assert_ne!(value_key(&Value::from("1")), value_key(&Value::Int(1)));
    }

    #[test]
    fn names_and_aliases() {
        let mut p = Props::new();
        p.insert("name".into(), Value::from("MP Materials Corp."));
        p.insert("aliases".into(), Value::from(vec!["MP", "mp materials"]));
        assert_eq!(name_keys(&p), ["mp", "mp materials"]);
    }
}
