use crate::{EdgeRecord, NodeRecord, Props, Value, ValueKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// The family an edge kind belongs to; question forms walk families, not kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Family {
    /// Money given: equity, grants, loans, preferred stock.
    Investment,
    /// Control and shares: OWNS, ACQUIRES.
    Ownership,
    /// Offtake and supply of materials.
    Supply,
    /// Partnerships, agreements, joint parties.
    Partnership,
    /// Developing, operating, producing.
    Operation,
    /// Membership and place: MEMBER_OF, LOCATED_IN, PART_OF.
    Membership,
}

impl Family {
    /// Every family, in declaration order.
    pub const ALL: [Family; 6] = [
        Family::Investment,
        Family::Ownership,
        Family::Supply,
        Family::Partnership,
        Family::Operation,
        Family::Membership,
    ];

    /// The lower-case name used in schema statements.
    pub fn name(self) -> &'static str {
        match self {
            Family::Investment => "investment",
            Family::Ownership => "ownership",
            Family::Supply => "supply",
            Family::Partnership => "partnership",
            Family::Operation => "operation",
            Family::Membership => "membership",
        }
    }

    /// Reads a family name; `offtake` and `place` are accepted as synonyms.
    pub fn from_name(name: &str) -> Option<Family> {
        Some(match name.to_ascii_lowercase().as_str() {
            "investment" | "funding" => Family::Investment,
            "ownership" => Family::Ownership,
            "supply" | "offtake" => Family::Supply,
            "partnership" => Family::Partnership,
            "operation" => Family::Operation,
            "membership" | "place" => Family::Membership,
            _ => return None,
        })
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The declared type of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PropertyType {
    /// The value kind, or for lists the element kind.
    pub kind: ValueKind,
    /// Whether the property is a list of `kind`.
    pub list: bool,
}

impl PropertyType {
    /// Whether `value` (never null here) has this type. An integer is accepted where a float is declared.
    pub fn accepts(&self, value: &Value) -> bool {
        let one = |v: &Value| v.kind() == self.kind || (self.kind == ValueKind::Float && v.kind() == ValueKind::Int);
        match (self.list, value) {
            (true, Value::List(items)) => items.iter().all(one),
            (true, _) => false,
            (false, v) => one(v),
        }
    }
}

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.list {
            write!(f, "LIST<{}>", self.kind)
        } else {
            write!(f, "{}", self.kind)
        }
    }
}

/// One declared property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyDecl {
    /// Property key.
    pub name: String,
    /// Its type.
    pub ty: PropertyType,
    /// Whether every element of the kind must have it.
    pub required: bool,
}

/// A declared node kind (label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeKind {
    /// The label.
    pub label: String,
    /// Declared properties; undeclared keys are rejected.
    pub props: Vec<PropertyDecl>,
}

/// A declared edge kind (relationship type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeKind {
    /// The relationship type.
    pub rel_type: String,
    /// Declared properties; undeclared keys are rejected.
    pub props: Vec<PropertyDecl>,
    /// Labels allowed at the start; empty means any.
    pub from: Vec<String>,
    /// Labels allowed at the end; empty means any.
    pub to: Vec<String>,
    /// The family the kind belongs to.
    pub family: Option<Family>,
}

/// The optional typed schema of a database. Declared node kinds close the set of labels
/// that writes may use, and declared edge kinds the set of relationship types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Declared node kinds by label.
    pub nodes: BTreeMap<String, NodeKind>,
    /// Declared edge kinds by type.
    pub edges: BTreeMap<String, EdgeKind>,
}

/// A write that breaks the declared schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchemaViolation {
    /// A node label the declared schema does not name.
    #[error("unknown label :{label}: the schema declares {declared}{hint}")]
    UnknownLabel {
        /// The label written.
        label: String,
        /// The declared labels, comma-separated.
        declared: String,
        /// "; did you mean X?" when a declared label is close, else empty.
        hint: String,
    },
    /// A relationship type the declared schema does not name.
    #[error("unknown relationship type :{rel_type}: the schema declares {declared}{hint}")]
    UnknownType {
        /// The type written.
        rel_type: String,
        /// The declared types, comma-separated.
        declared: String,
        /// "; did you mean X?" when a declared type is close, else empty.
        hint: String,
    },
    /// A required property is missing.
    #[error("{kind} requires property `{property}` of type {expected}")]
    MissingProperty {
        /// The node label or edge type.
        kind: String,
        /// The property key.
        property: String,
        /// Its declared type.
        expected: String,
    },
    /// A property has a value of the wrong type.
    #[error("{kind}.{property} must be {expected}, got {found}")]
    WrongType {
        /// The node label or edge type.
        kind: String,
        /// The property key.
        property: String,
        /// Its declared type.
        expected: String,
        /// The kind of the value given.
        found: String,
    },
    /// A property that the kind does not declare.
    #[error("{kind} has no property `{property}` (declared: {declared})")]
    UnknownProperty {
        /// The node label or edge type.
        kind: String,
        /// The property key.
        property: String,
        /// The declared keys, comma-separated.
        declared: String,
    },
    /// An edge joins kinds its declaration does not allow.
    #[error("{rel_type} cannot go from {found} (allowed: {allowed})")]
    BadStart {
        /// The edge type.
        rel_type: String,
        /// The start node's labels.
        found: String,
        /// The allowed start labels.
        allowed: String,
    },
    /// An edge ends at a kind its declaration does not allow.
    #[error("{rel_type} cannot go to {found} (allowed: {allowed})")]
    BadEnd {
        /// The edge type.
        rel_type: String,
        /// The end node's labels.
        found: String,
        /// The allowed end labels.
        allowed: String,
    },
}

/// Properties every element may carry whatever its kind: provenance and names.
pub const RESERVED_PROPS: [&str; 6] = ["status", "valid_from", "valid_to", "name", "aliases", "key"];

fn check_props(kind: &str, decls: &[PropertyDecl], props: &Props) -> Result<(), SchemaViolation> {
    for d in decls {
        match props.get(&d.name) {
            None | Some(Value::Null) if d.required => {
                return Err(SchemaViolation::MissingProperty {
                    kind: kind.to_string(),
                    property: d.name.clone(),
                    expected: d.ty.to_string(),
                });
            }
            Some(v) if !v.is_null() && !d.ty.accepts(v) => {
                return Err(SchemaViolation::WrongType {
                    kind: kind.to_string(),
                    property: d.name.clone(),
                    expected: d.ty.to_string(),
                    found: v.kind().to_string(),
                });
            }
            _ => {}
        }
    }
    for key in props.keys() {
        if !decls.iter().any(|d| &d.name == key) && !RESERVED_PROPS.contains(&key.as_str()) {
            return Err(SchemaViolation::UnknownProperty {
                kind: kind.to_string(),
                property: key.clone(),
                declared: decls.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "),
            });
        }
    }
    Ok(())
}

/// The closest declared name to `word`, as "; did you mean X?", or an empty string.
fn hint<'a>(word: &str, declared: impl Iterator<Item = &'a String>) -> String {
    let lower = word.to_lowercase();
    declared
        .map(|d| (crate::similarity(&lower, &d.to_lowercase()), d))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, d)| format!("; did you mean {d}?"))
        .unwrap_or_default()
}

impl Schema {
    /// Whether a schema declares node kinds, so that node labels form a closed set.
    pub fn closes_labels(&self) -> bool {
        !self.nodes.is_empty()
    }

    /// Whether a schema declares edge kinds, so that relationship types form a closed set.
    pub fn closes_types(&self) -> bool {
        !self.edges.is_empty()
    }

    /// Refuses a label that a schema with declared node kinds does not name.
    pub fn check_label(&self, label: &str) -> Result<(), SchemaViolation> {
        if !self.closes_labels() || self.nodes.contains_key(label) {
            return Ok(());
        }
        Err(SchemaViolation::UnknownLabel {
            label: label.to_string(),
            declared: self.nodes.keys().map(String::as_str).collect::<Vec<_>>().join(", "),
            hint: hint(label, self.nodes.keys()),
        })
    }

    /// Refuses a relationship type that a schema with declared edge kinds does not name.
    pub fn check_type(&self, rel_type: &str) -> Result<(), SchemaViolation> {
        if !self.closes_types() || self.edges.contains_key(rel_type) {
            return Ok(());
        }
        Err(SchemaViolation::UnknownType {
            rel_type: rel_type.to_string(),
            declared: self.edges.keys().map(String::as_str).collect::<Vec<_>>().join(", "),
            hint: hint(rel_type, self.edges.keys()),
        })
    }

    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty()
    }

    /// Checks a node against every declared kind among its labels.
    pub fn check_node(&self, node: &NodeRecord) -> Result<(), SchemaViolation> {
        for label in &node.labels {
            if let Some(kind) = self.nodes.get(label) {
                check_props(label, &kind.props, &node.props)?;
            }
        }
        Ok(())
    }

    /// Checks an edge against its declared kind, given its endpoints' labels.
    pub fn check_edge(
        &self,
        edge: &EdgeRecord,
        start_labels: &[String],
        end_labels: &[String],
    ) -> Result<(), SchemaViolation> {
        let Some(kind) = self.edges.get(&edge.rel_type) else {
            return Ok(());
        };
        check_props(&edge.rel_type, &kind.props, &edge.props)?;
        let fits =
            |allowed: &[String], labels: &[String]| allowed.is_empty() || labels.iter().any(|l| allowed.contains(l));
        if !fits(&kind.from, start_labels) {
            return Err(SchemaViolation::BadStart {
                rel_type: edge.rel_type.clone(),
                found: start_labels.join(":"),
                allowed: kind.from.join(", "),
            });
        }
        if !fits(&kind.to, end_labels) {
            return Err(SchemaViolation::BadEnd {
                rel_type: edge.rel_type.clone(),
                found: end_labels.join(":"),
                allowed: kind.to.join(", "),
            });
        }
        Ok(())
    }

    /// Edge types that belong to `family`.
    pub fn types_in(&self, family: Family) -> Vec<String> {
        self.edges
            .values()
            .filter(|e| e.family == Some(family))
            .map(|e| e.rel_type.clone())
            .collect()
    }
}
