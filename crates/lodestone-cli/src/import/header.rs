//! CSV headers in neo4j-admin import's convention, and typed cells.
//!
//! A header field is `name`, `name:type`, or a special field: `[name]:ID[(space)]`,
//! `:LABEL`, `:START_ID[(space)]`, `:END_ID[(space)]`, `:TYPE`, `[name]:IGNORE`. Types:
//! `int`/`long`/`short`/`byte`, `float`/`double`, `boolean`, `string`/`char`, `date`
//! (`2025`, `2025-09`, `2025-09-30`), `money` (`USD 1500000`, `$1.5M`), `percent`
//! (`15` or `15%`), `value` (any literal of the language, such as `[1, 'a']` or `@2025`),
//! each also as an array `type[]` whose elements are split by the array delimiter.
//! `:CITATIONS` holds a list of `{source, line, note}` maps written as a literal.

use lodestone::{Citation, Decimal, Money, PartialDate, Value, literal};
use std::str::FromStr;

/// The scalar type of a property column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellType {
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// `true` / `false`.
    Bool,
    /// Text as is.
    String,
    /// A partial date.
    Date,
    /// Money with a currency.
    Money,
    /// A percentage.
    Percent,
    /// Any literal of the language.
    Value,
}

impl CellType {
    /// Reads a type name (case-insensitive).
    pub fn from_name(name: &str) -> Option<CellType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "int" | "long" | "short" | "byte" | "integer" => CellType::Int,
            "float" | "double" => CellType::Float,
            "boolean" | "bool" => CellType::Bool,
            "string" | "char" => CellType::String,
            "date" => CellType::Date,
            "money" => CellType::Money,
            "percent" => CellType::Percent,
            "value" | "any" => CellType::Value,
            _ => return None,
        })
    }

    /// The name written in headers.
    pub fn name(self) -> &'static str {
        match self {
            CellType::Int => "int",
            CellType::Float => "float",
            CellType::Bool => "boolean",
            CellType::String => "string",
            CellType::Date => "date",
            CellType::Money => "money",
            CellType::Percent => "percent",
            CellType::Value => "value",
        }
    }

    /// Reads one (non-empty) cell.
    pub fn parse(self, cell: &str) -> Result<Value, String> {
        let t = cell.trim();
        match self {
            CellType::String => Ok(Value::String(cell.to_string())),
            CellType::Int => t
                .parse::<i64>()
                .map(Value::Int)
                .map_err(|_| format!("`{t}` is not an integer")),
            CellType::Float => t
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| format!("`{t}` is not a number")),
            CellType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("`{t}` is not true or false")),
            },
            CellType::Date => PartialDate::from_str(t).map(Value::Date).map_err(|e| e.to_string()),
            CellType::Money => Money::from_str(t).map(Value::Money).map_err(|e| e.to_string()),
            CellType::Percent => {
                let n = t.strip_suffix('%').unwrap_or(t).trim();
                Decimal::from_str(n)
                    .map(|d| Value::Percent(d.normalize()))
                    .map_err(|_| format!("`{t}` is not a percentage"))
            }
            CellType::Value => literal::parse_literal(cell).map_err(|e| e.to_string()),
        }
    }
}

/// The type of a property column: a scalar or an array of scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnType {
    /// The element type.
    pub cell: CellType,
    /// Whether the cell holds several elements split by the array delimiter.
    pub array: bool,
}

/// What one header field means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A property.
    Property {
        /// Property key.
        key: String,
        /// Its type.
        ty: ColumnType,
    },
    /// The node's id in an ID space; stored as a property too when named.
    Id {
        /// Property key to store it under, if any.
        key: Option<String>,
        /// The ID space.
        space: String,
    },
    /// Extra labels, split by the array delimiter.
    Label,
    /// Start node id of a relationship.
    StartId {
        /// The ID space.
        space: String,
    },
    /// End node id of a relationship.
    EndId {
        /// The ID space.
        space: String,
    },
    /// The relationship type.
    Type,
    /// Citations as a literal list of maps.
    Citations,
    /// A column to skip.
    Ignore,
}

/// The default ID space.
pub const GLOBAL_SPACE: &str = "";

fn id_space(spec: &str, keyword: &str) -> Option<Result<String, String>> {
    let upper = spec.to_ascii_uppercase();
    if upper == keyword {
        return Some(Ok(GLOBAL_SPACE.to_string()));
    }
    if upper.starts_with(keyword) && spec[keyword.len()..].starts_with('(') {
        let inner = &spec[keyword.len() + 1..];
        return Some(match inner.strip_suffix(')') {
            Some(space) if !space.is_empty() => Ok(space.to_string()),
            _ => Err(format!("bad ID space in `{spec}`: expected {keyword}(Name)")),
        });
    }
    None
}

/// Reads one header field.
pub fn parse_field(field: &str) -> Result<Field, String> {
    let field = field.trim();
    // The last `:` outside parentheses splits the name from the type, so `id:ID(a:b)` keeps its space.
    let mut depth = 0usize;
    let mut split = None;
    for (i, c) in field.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => split = Some(i),
            _ => {}
        }
    }
    let (name, spec) = match split {
        Some(i) => (&field[..i], &field[i + 1..]),
        None => (field, ""),
    };
    if spec.is_empty() {
        if name.is_empty() {
            return Err("empty header field".into());
        }
        return Ok(Field::Property {
            key: name.to_string(),
            ty: ColumnType {
                cell: CellType::String,
                array: false,
            },
        });
    }
    if let Some(space) = id_space(spec, "ID") {
        let key = (!name.is_empty()).then(|| name.to_string());
        return Ok(Field::Id { key, space: space? });
    }
    if let Some(space) = id_space(spec, "START_ID") {
        return Ok(Field::StartId { space: space? });
    }
    if let Some(space) = id_space(spec, "END_ID") {
        return Ok(Field::EndId { space: space? });
    }
    match spec.to_ascii_uppercase().as_str() {
        "LABEL" => return Ok(Field::Label),
        "TYPE" => return Ok(Field::Type),
        "IGNORE" => return Ok(Field::Ignore),
        "CITATIONS" => return Ok(Field::Citations),
        _ => {}
    }
    if name.is_empty() {
        return Err(format!("header field `{field}` has a type but no property name"));
    }
    let (base, array) = match spec.strip_suffix("[]") {
        Some(b) => (b, true),
        None => (spec, false),
    };
    match CellType::from_name(base) {
        Some(cell) => Ok(Field::Property {
            key: name.to_string(),
            ty: ColumnType { cell, array },
        }),
        None => Err(format!(
            "unknown type `{spec}` in header field `{field}` (known: int, long, float, double, boolean, string, \
             date, money, percent, value, each also as an array like string[])"
        )),
    }
}

/// Reads a `:CITATIONS` cell: a list of maps with `source`, `line` and `note`.
pub fn parse_citations(cell: &str) -> Result<Vec<Citation>, String> {
    let value = literal::parse_literal(cell).map_err(|e| e.to_string())?;
    let Value::List(items) = value else {
        return Err("citations must be a list of {source, line, note} maps".into());
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Map(m) = item else {
                return Err("each citation must be a map with a source".to_string());
            };
            let source = match m.get("source") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err("a citation needs a string `source`".to_string()),
            };
            let line = match m.get("line") {
                None | Some(Value::Null) => None,
                Some(Value::Int(n)) => Some(u32::try_from(*n).map_err(|_| format!("citation line {n} out of range"))?),
                Some(_) => return Err("a citation's `line` must be an integer".to_string()),
            };
            let note = match m.get("note") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err("a citation's `note` must be a string".to_string()),
            };
            Ok(Citation { source, line, note })
        })
        .collect()
}

/// Writes citations as a `:CITATIONS` cell.
pub fn format_citations(citations: &[Citation]) -> String {
    let items = citations
        .iter()
        .map(|c| {
            let mut m = std::collections::BTreeMap::new();
            m.insert("source".to_string(), Value::String(c.source.clone()));
            if let Some(line) = c.line {
                m.insert("line".to_string(), Value::Int(i64::from(line)));
            }
            if let Some(note) = &c.note {
                m.insert("note".to_string(), Value::String(note.clone()));
            }
            Value::Map(m)
        })
        .collect();
    literal::format_literal(&Value::List(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(key: &str, cell: CellType, array: bool) -> Field {
        Field::Property {
            key: key.into(),
            ty: ColumnType { cell, array },
        }
    }

    #[test]
    fn reads_neo4j_admin_fields() {
        assert_eq!(parse_field("name").unwrap(), prop("name", CellType::String, false));
        assert_eq!(
            parse_field("amount:float").unwrap(),
            prop("amount", CellType::Float, false)
        );
        assert_eq!(parse_field("year:int").unwrap(), prop("year", CellType::Int, false));
        assert_eq!(
            parse_field("tags:string[]").unwrap(),
            prop("tags", CellType::String, true)
        );
        assert_eq!(
            parse_field("id:ID").unwrap(),
            Field::Id {
                key: Some("id".into()),
                space: "".into()
            }
        );
        assert_eq!(
            parse_field(":ID(Person)").unwrap(),
            Field::Id {
                key: None,
                space: "Person".into()
            }
        );
        assert_eq!(
            parse_field("id:ID(Person)").unwrap(),
            Field::Id {
                key: Some("id".into()),
                space: "Person".into()
            }
        );
        assert_eq!(
            parse_field(":START_ID(Person)").unwrap(),
            Field::StartId { space: "Person".into() }
        );
        assert_eq!(parse_field(":END_ID").unwrap(), Field::EndId { space: "".into() });
        assert_eq!(parse_field(":LABEL").unwrap(), Field::Label);
        assert_eq!(parse_field(":TYPE").unwrap(), Field::Type);
        assert_eq!(parse_field("x:IGNORE").unwrap(), Field::Ignore);
        assert_eq!(parse_field("a:b:value").unwrap(), prop("a:b", CellType::Value, false));
        assert!(parse_field("x:point").is_err());
        assert!(parse_field(":int").is_err());
        assert!(parse_field(":ID(").is_err());
    }

    #[test]
    fn reads_domain_cells() {
        assert_eq!(
            CellType::Money.parse("USD 1500000").unwrap(),
            CellType::Money.parse("$1.5M").unwrap()
        );
        assert_eq!(
            CellType::Percent.parse("15").unwrap(),
            CellType::Percent.parse("15%").unwrap()
        );
        assert_eq!(CellType::Date.parse("2025-09").unwrap().to_string(), "2025-09");
        assert!(CellType::Int.parse("1.5").is_err());
        assert!(CellType::Bool.parse("yes").is_err());
        assert!(CellType::Money.parse("1500").is_err());
    }

    #[test]
    fn citations_round_trip() {
        let cs = vec![
            Citation {
                source: "a.txt".into(),
                line: Some(3),
                note: Some("it's so".into()),
            },
            Citation {
                source: "b.txt".into(),
                line: None,
                note: None,
            },
        ];
        assert_eq!(parse_citations(&format_citations(&cs)).unwrap(), cs);
        assert!(parse_citations("[1]").is_err());
    }
}
