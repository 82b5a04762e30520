//! Schema and index statements.

use crate::ast::{Ident, PropertyDef, SchemaStatement};
use crate::{Counters, QueryError, QueryResult};
use lodestone_model::{EdgeKind, Family, NodeKind, PropertyDecl, PropertyType, Schema, Value, ValueKind};
use lodestone_store::{GraphRead, GraphWrite};

fn semantic(code: &'static str, message: String, span: crate::ast::Span) -> QueryError {
    QueryError::Semantic { code, message, span }
}

/// Reads a declared type: `STRING`, `LIST<STRING>` ...
pub(crate) fn property_type(ty: &Ident) -> QueryResult<PropertyType> {
    let text = ty.name.trim();
    let upper = text.to_ascii_uppercase();
    let (inner, list) = match upper.strip_prefix("LIST") {
        Some(rest) => {
            let rest = rest.trim();
            match rest.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
                Some(inner) => (inner.trim().to_string(), true),
                None if rest.is_empty() => (String::new(), true),
                None => (upper.clone(), false),
            }
        }
        None => (upper.clone(), false),
    };
    if list && inner.is_empty() {
        return Err(semantic(
            "UnknownType",
            format!("type `{text}` needs an element type, such as LIST<STRING>"),
            ty.span,
        ));
    }
    let kind = ValueKind::from_name(&inner).filter(|k| !matches!(k, ValueKind::List));
    match kind {
        Some(kind) => Ok(PropertyType { kind, list }),
        None => Err(semantic(
            "UnknownType",
            format!(
                "unknown type `{text}`; expected BOOLEAN, INTEGER, FLOAT, STRING, DATE, MONEY, PERCENT, QUANTITY, MAP or LIST<T>"
            ),
            ty.span,
        )),
    }
}

fn decls(props: &[PropertyDef]) -> QueryResult<Vec<PropertyDecl>> {
    let mut out: Vec<PropertyDecl> = Vec::new();
    for p in props {
        if out.iter().any(|d| d.name == p.name.name) {
            return Err(semantic(
                "DuplicateProperty",
                format!("property `{}` is declared twice", p.name.name),
                p.name.span,
            ));
        }
        out.push(PropertyDecl {
            name: p.name.name.clone(),
            ty: property_type(&p.ty)?,
            required: p.required,
        });
    }
    Ok(out)
}

/// Whether the statement changes the database.
pub(crate) fn is_write(s: &SchemaStatement) -> bool {
    !matches!(s, SchemaStatement::ShowSchema(_))
}

/// A one-line description of the statement for EXPLAIN.
pub(crate) fn describe(s: &SchemaStatement) -> String {
    match s {
        SchemaStatement::CreateNodeKind { label, .. } => format!("CreateNodeKind {}", label.name),
        SchemaStatement::CreateEdgeKind { rel_type, .. } => format!("CreateEdgeKind {}", rel_type.name),
        SchemaStatement::DropKind { edge, name, .. } => {
            format!("Drop{}Kind {}", if *edge { "Edge" } else { "Node" }, name.name)
        }
        SchemaStatement::CreateIndex { label, key, .. } => format!("CreateIndex :{}({})", label.name, key.name),
        SchemaStatement::ShowSchema(_) => "ShowSchema".into(),
    }
}

/// Applies a schema change inside a write transaction.
pub(crate) fn apply(w: &mut dyn GraphWrite, s: &SchemaStatement) -> QueryResult<Counters> {
    let mut schema: Schema = w.schema()?;
    match s {
        SchemaStatement::CreateNodeKind { label, props, .. } => {
            if schema.nodes.contains_key(&label.name) {
                return Err(semantic(
                    "KindExists",
                    format!("node kind {} already exists", label.name),
                    label.span,
                ));
            }
            schema.nodes.insert(
                label.name.clone(),
                NodeKind {
                    label: label.name.clone(),
                    props: decls(props)?,
                },
            );
            w.set_schema(schema)?;
        }
        SchemaStatement::CreateEdgeKind {
            rel_type,
            family,
            from,
            to,
            props,
            ..
        } => {
            if schema.edges.contains_key(&rel_type.name) {
                return Err(semantic(
                    "KindExists",
                    format!("edge kind {} already exists", rel_type.name),
                    rel_type.span,
                ));
            }
            let family = match family {
                None => None,
                Some(f) => Some(Family::from_name(&f.name).ok_or_else(|| {
                    semantic(
                        "UnknownFamily",
                        format!(
                            "unknown family `{}`; expected investment, ownership, supply, partnership, operation or membership",
                            f.name
                        ),
                        f.span,
                    )
                })?),
            };
            schema.edges.insert(
                rel_type.name.clone(),
                EdgeKind {
                    rel_type: rel_type.name.clone(),
                    props: decls(props)?,
                    from: from.iter().map(|i| i.name.clone()).collect(),
                    to: to.iter().map(|i| i.name.clone()).collect(),
                    family,
                },
            );
            w.set_schema(schema)?;
        }
        SchemaStatement::DropKind { edge, name, .. } => {
            let removed = if *edge {
                schema.edges.remove(&name.name).is_some()
            } else {
                schema.nodes.remove(&name.name).is_some()
            };
            if !removed {
                return Err(semantic(
                    "UnknownKind",
                    format!("there is no {} kind {}", if *edge { "edge" } else { "node" }, name.name),
                    name.span,
                ));
            }
            w.set_schema(schema)?;
        }
        SchemaStatement::CreateIndex { label, key, .. } => {
            w.create_index(&label.name, &key.name)?;
        }
        SchemaStatement::ShowSchema(_) => {}
    }
    Ok(Counters::default())
}

fn props_text(props: &[PropertyDecl]) -> String {
    let parts: Vec<String> = props
        .iter()
        .map(|p| {
            if p.required {
                format!("{} {} NOT NULL", p.name, p.ty)
            } else {
                format!("{} {}", p.name, p.ty)
            }
        })
        .collect();
    format!("({})", parts.join(", "))
}

/// The rows of SHOW SCHEMA: kind, name, definition.
pub(crate) fn show(r: &dyn GraphRead) -> QueryResult<(Vec<String>, Vec<Vec<Value>>)> {
    let schema = r.schema()?;
    let mut rows = Vec::new();
    for k in schema.nodes.values() {
        rows.push(vec![
            Value::from("node"),
            Value::from(k.label.as_str()),
            Value::String(props_text(&k.props)),
        ]);
    }
    for k in schema.edges.values() {
        let mut def = String::new();
        if let Some(f) = k.family {
            def.push_str(&format!("FAMILY {f} "));
        }
        if !k.from.is_empty() {
            def.push_str(&format!("FROM {} ", k.from.join("|")));
        }
        if !k.to.is_empty() {
            def.push_str(&format!("TO {} ", k.to.join("|")));
        }
        def.push_str(&props_text(&k.props));
        rows.push(vec![
            Value::from("edge"),
            Value::from(k.rel_type.as_str()),
            Value::String(def),
        ]);
    }
    for (label, key) in r.indexes()? {
        rows.push(vec![
            Value::from("index"),
            Value::String(format!(":{label}({key})")),
            Value::from(""),
        ]);
    }
    Ok((vec!["kind".into(), "name".into(), "definition".into()], rows))
}
