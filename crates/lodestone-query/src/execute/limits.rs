//! Bounds on values built while a statement runs: nesting depth, list length and
//! string size. Every list or map built at run time passes through these checks, so
//! recursive routines over values (clone, drop, compare, materialize, encode) never
//! meet more than [`MAX_NESTING`] levels and no single value outgrows memory.

use crate::QueryError;
use crate::QueryResult;
use lodestone_model::Value;

/// Deepest nesting of lists and maps a statement may build (the store's own limit).
pub(crate) const MAX_NESTING: usize = 64;
/// Most elements a list built at run time may hold.
pub(crate) const MAX_LIST_LEN: usize = 10_000_000;
/// Most bytes a string built at run time may hold (64 MiB).
pub(crate) const MAX_STRING_BYTES: usize = 64 << 20;

fn arg_error(message: String) -> QueryError {
    QueryError::Argument { message, span: None }
}

/// Whether `v` nests lists and maps more than `room` levels deep. Recursion stops
/// as soon as the room is used up, so it never goes deeper than `room + 1`.
fn deeper_than(v: &Value, room: usize) -> bool {
    match v {
        Value::List(items) => room == 0 || items.iter().any(|i| deeper_than(i, room - 1)),
        Value::Map(m) => room == 0 || m.values().any(|i| deeper_than(i, room - 1)),
        _ => false,
    }
}

fn nesting_error() -> QueryError {
    arg_error(format!(
        "a list or map nested deeper than {MAX_NESTING} levels cannot be built"
    ))
}

/// Refuses a list that would hold `len` elements when that is over [`MAX_LIST_LEN`].
pub(crate) fn check_list_len(len: usize) -> QueryResult<()> {
    if len > MAX_LIST_LEN {
        return Err(arg_error(format!(
            "list too large: {len} elements (the limit is {MAX_LIST_LEN})"
        )));
    }
    Ok(())
}

/// Refuses a string that would hold `bytes` bytes when that is over [`MAX_STRING_BYTES`].
pub(crate) fn check_string_len(bytes: usize) -> QueryResult<()> {
    if bytes > MAX_STRING_BYTES {
        return Err(arg_error(format!(
            "string too large: {bytes} bytes (the limit is {MAX_STRING_BYTES} bytes)"
        )));
    }
    Ok(())
}

/// Refuses an element that would make its enclosing list or map too deep.
pub(crate) fn check_item(item: &Value) -> QueryResult<()> {
    if deeper_than(item, MAX_NESTING - 1) {
        return Err(nesting_error());
    }
    Ok(())
}

/// Checks a value just built: its size when it is a string or list, its depth when
/// it is a list or map.
pub(crate) fn check_value(v: &Value) -> QueryResult<()> {
    match v {
        Value::String(s) => check_string_len(s.len()),
        Value::List(items) => {
            check_list_len(items.len())?;
            if deeper_than(v, MAX_NESTING) {
                return Err(nesting_error());
            }
            Ok(())
        }
        Value::Map(_) => {
            if deeper_than(v, MAX_NESTING) {
                return Err(nesting_error());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> Value {
        let mut v = Value::Int(1);
        for _ in 0..depth {
            v = Value::List(vec![v]);
        }
        v
    }

    #[test]
    fn depth_limit_is_exact() {
        assert!(check_value(&nested(MAX_NESTING)).is_ok());
        assert!(check_value(&nested(MAX_NESTING + 1)).is_err());
        assert!(check_item(&nested(MAX_NESTING - 1)).is_ok());
        assert!(check_item(&nested(MAX_NESTING)).is_err());
    }

    #[test]
    fn size_limits() {
        assert!(check_list_len(MAX_LIST_LEN).is_ok());
        let e = check_list_len(MAX_LIST_LEN + 1).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        assert!(check_string_len(MAX_STRING_BYTES).is_ok());
        assert!(check_string_len(MAX_STRING_BYTES + 1).is_err());
    }
}
