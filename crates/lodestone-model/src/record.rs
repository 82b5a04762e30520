use crate::{Citation, NodeId, PartialDate, Validity, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Property map of a node or edge, ordered by key.
pub type Props = BTreeMap<String, Value>;

/// Property that holds a fact's lifecycle status (`announced`, `pending`, `completed` ...).
pub const STATUS_KEY: &str = "status";
/// Property that holds the first date a fact is valid.
pub const VALID_FROM_KEY: &str = "valid_from";
/// Property that holds the date a fact stops being valid.
pub const VALID_TO_KEY: &str = "valid_to";

/// Which way an edge is walked from a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// From the node to the edge's end.
    Outgoing,
    /// From the edge's start to the node.
    Incoming,
    /// Either way.
    Both,
}

/// A stored node: labels, properties and citations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// Labels (node kinds), without duplicates, in insertion order.
    pub labels: Vec<String>,
    /// Properties; never holds null (setting null removes the key).
    pub props: Props,
    /// Sources that state this node.
    pub citations: Vec<Citation>,
}

/// A stored edge: type, endpoints, properties and citations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeRecord {
    /// The edge type, such as `OWNS`.
    pub rel_type: String,
    /// Start node.
    pub start: NodeId,
    /// End node.
    pub end: NodeId,
    /// Properties; never holds null.
    pub props: Props,
    /// Sources that state this edge.
    pub citations: Vec<Citation>,
}

fn status_of(props: &Props) -> Option<&str> {
    match props.get(STATUS_KEY) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn validity_of(props: &Props) -> Validity {
    let date = |k| match props.get(k) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    };
    Validity {
        from: date(VALID_FROM_KEY),
        to: date(VALID_TO_KEY),
    }
}

impl NodeRecord {
    /// Whether the node carries `label`.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }

    /// The lifecycle status, from the reserved `status` property.
    pub fn status(&self) -> Option<&str> {
        status_of(&self.props)
    }

    /// The validity interval, from the reserved `valid_from` / `valid_to` properties.
    pub fn validity(&self) -> Validity {
        validity_of(&self.props)
    }
}

impl EdgeRecord {
    /// The lifecycle status, from the reserved `status` property.
    pub fn status(&self) -> Option<&str> {
        status_of(&self.props)
    }

    /// The validity interval, from the reserved `valid_from` / `valid_to` properties.
    pub fn validity(&self) -> Validity {
        validity_of(&self.props)
    }

    /// Whether the edge holds on `date`.
    pub fn holds_on(&self, date: &PartialDate) -> bool {
        self.validity().holds_on(date)
    }

    /// The other endpoint, seen from `node`.
    pub fn other(&self, node: NodeId) -> NodeId {
        if self.start == node { self.end } else { self.start }
    }
}
