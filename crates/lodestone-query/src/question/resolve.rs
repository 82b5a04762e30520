//! Names in questions: lookup by name or alias through the name index, "did you
//! mean" on a miss, and the list of candidates when a name is ambiguous.

use crate::ast::EntityRef;
use crate::{QueryError, QueryResult};
use lodestone_model::{NodeId, NodeRecord, Value, normalize_name, similarity};
use lodestone_store::GraphRead;
use std::collections::BTreeMap;

/// Most names offered by "did you mean".
pub const MAX_SUGGESTIONS: usize = 3;

/// Least similarity (see [`lodestone_model::similarity`]) for a name to be offered.
pub const MIN_SIMILARITY: f64 = 0.5;

/// Score given to a known name that contains the written name as whole words
/// (or is contained in it), so that a partial name finds its entity.
const PARTIAL_SCORE: f64 = 0.75;

/// An entity named in a question, resolved to exactly one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The name as written in the question.
    pub written: String,
    /// The node it names.
    pub id: NodeId,
    /// The node's primary name (its `name` property), or its label and id when it has none.
    pub name: String,
    /// The node's labels.
    pub labels: Vec<String>,
}

/// The display name of a node record: its `name`, or `Label #id` when it has none.
pub(crate) fn record_name(id: NodeId, record: &NodeRecord) -> String {
    match record.props.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => match record.labels.first() {
            Some(label) => format!("{label} #{id}"),
            None => format!("node #{id}"),
        },
    }
}

/// Resolves a written name to one node: case-insensitive, ignoring punctuation and
/// legal suffixes (the name index holds [`normalize_name`] keys of every `name` and alias).
///
/// A miss is [`QueryError::UnknownEntity`] with up to [`MAX_SUGGESTIONS`] close names;
/// a name of several nodes is [`QueryError::AmbiguousEntity`] listing each with its label.
pub fn resolve(graph: &dyn GraphRead, entity: &EntityRef) -> QueryResult<Resolved> {
    let key = normalize_name(&entity.text);
    let mut ids = if key.is_empty() {
        Vec::new()
    } else {
        graph.lookup_name(&key)?
    };
    ids.sort();
    ids.dedup();
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(record) = graph.node(id)? {
            found.push((id, record));
        }
    }
    match found.len() {
        0 => Err(QueryError::UnknownEntity {
            name: entity.text.clone(),
            suggestions: suggest(graph, &key)?,
            span: entity.span,
        }),
        1 => {
            let (id, record) = found.remove(0);
            Ok(Resolved {
                written: entity.text.clone(),
                id,
                name: record_name(id, &record),
                labels: record.labels,
            })
        }
        _ => Err(QueryError::AmbiguousEntity {
            name: entity.text.clone(),
            candidates: describe_candidates(&found),
            span: entity.span,
        }),
    }
}

/// `Name (Label)` for each candidate; candidates that would read the same get their
/// status, and then their node id, so that every line can be told apart.
fn describe_candidates(found: &[(NodeId, NodeRecord)]) -> Vec<String> {
    let base = |id: NodeId, r: &NodeRecord| format!("{} ({})", record_name(id, r), r.labels.join(":"));
    let with_status = |id: NodeId, r: &NodeRecord| match r.status() {
        Some(status) => format!("{} ({}, {status})", record_name(id, r), r.labels.join(":")),
        None => base(id, r),
    };
    let count = |texts: &[String], t: &String| texts.iter().filter(|x| *x == t).count();
    let first: Vec<String> = found.iter().map(|(id, r)| base(*id, r)).collect();
    let second: Vec<String> = found
        .iter()
        .zip(&first)
        .map(|((id, r), t)| {
            if count(&first, t) > 1 {
                with_status(*id, r)
            } else {
                t.clone()
            }
        })
        .collect();
    let mut out: Vec<String> = found
        .iter()
        .zip(&second)
        .map(|((id, _), t)| {
            if count(&second, t) > 1 {
                format!("{t} node {id}")
            } else {
                t.clone()
            }
        })
        .collect();
    out.sort();
    out
}

/// How close a known name key is to the written key, in 0.0..=1.0.
fn score(written: &str, known: &str) -> f64 {
    let edit = similarity(written, known);
    let contains_words = |long: &str, short: &str| {
        !short.is_empty() && format!(" {long} ").contains(&format!(" {short} ")) && short.chars().count() >= 3
    };
    if contains_words(known, written) || contains_words(written, known) {
        edit.max(PARTIAL_SCORE)
    } else {
        edit
    }
}

/// The primary names of the nodes whose name keys are closest to `key`, best first.
pub fn suggest(graph: &dyn GraphRead, key: &str) -> QueryResult<Vec<String>> {
    if key.is_empty() {
        return Ok(Vec::new());
    }
    let written_len = key.chars().count();
    let mut best: BTreeMap<NodeId, f64> = BTreeMap::new();
    for (known, id) in graph.name_keys()? {
        // Keys far longer or shorter than the written one cannot reach the threshold
        // by edits alone; they can still match as whole words.
        let known_len = known.chars().count();
        let far = known_len.abs_diff(written_len) * 2 > known_len.max(written_len);
        let s = if far && !known.contains(key) && !key.contains(known.as_str()) {
            0.0
        } else {
            score(key, &known)
        };
        if s >= MIN_SIMILARITY {
            let entry = best.entry(id).or_insert(0.0);
            if s > *entry {
                *entry = s;
            }
        }
    }
    let mut ranked: Vec<(f64, String)> = Vec::with_capacity(best.len());
    for (id, s) in best {
        if let Some(record) = graph.node(id)? {
            ranked.push((s, record_name(id, &record)));
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut names: Vec<String> = Vec::new();
    for (_, name) in ranked {
        if !names.contains(&name) {
            names.push(name);
        }
        if names.len() == MAX_SUGGESTIONS {
            break;
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names_score_as_close() {
        assert!(score("round top", "round top deposit") >= PARTIAL_SCORE);
        assert!(score("rare", "usa rare earth") >= PARTIAL_SCORE);
        assert!(score("ra", "usa rare earth") < MIN_SIMILARITY);
        assert!(score("round tp", "round top") > score("round tp", "mountain pass"));
    }
}
