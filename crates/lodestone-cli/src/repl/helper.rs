//! Line editing help for the shell: completion and multi-line input.

use crate::split;
use lodestone::{Database, Value};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

/// Keywords, functions and question forms offered by completion.
pub const KEYWORDS: &[&str] = &[
    "MATCH",
    "OPTIONAL",
    "WHERE",
    "RETURN",
    "WITH",
    "UNWIND",
    "AS",
    "CREATE",
    "MERGE",
    "ON",
    "SET",
    "REMOVE",
    "DELETE",
    "DETACH",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "SKIP",
    "LIMIT",
    "DISTINCT",
    "UNION",
    "ALL",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "STARTS",
    "ENDS",
    "CONTAINS",
    "EXPLAIN",
    "PROFILE",
    "CITE",
    "SOURCE",
    "LINE",
    "NOTE",
    "OF",
    "SHOW",
    "SCHEMA",
    "NODE",
    "EDGE",
    "KIND",
    "FAMILY",
    "FROM",
    "TO",
    "INDEX",
    "DROP",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "collect",
    "sources",
    "shortestPath",
    "allShortestPaths",
    "exists",
    "coalesce",
    "size",
    "labels",
    "type",
    "id",
    "date",
    "toUpper",
    "toLower",
    "who",
    "what",
    "funds",
    "owns",
    "supplies",
    "partners",
    "path",
    "conflicts",
    "does",
    "fund",
    "own",
    "supply",
    "operate",
    "about",
];

/// The shell's commands with a one-line description each.
pub const COMMANDS: &[(&str, &str)] = &[
    (":help", "show this help"),
    (":schema", "declared kinds, labels and relationship types with counts"),
    (":format", ":format table|json|csv|markdown — how results are shown"),
    (":timing", "toggle compile and execute times"),
    (":params", "list the parameters"),
    (
        ":param",
        ":param name => value — set a parameter (:param name => null removes it)",
    ),
    (":why", "sources of the last answer"),
    (
        ":explain",
        ":explain [statement] — the plan of a statement (default: the last one)",
    ),
    (":read", ":read FILE — run a script file"),
    (":viz", ":viz FILE.svg|png|dot — draw the last answer"),
    (":rows", ":rows N|all — how many rows to show before truncating"),
    (":quit", "leave the shell (also Ctrl-D)"),
];

/// Names known to the database, for completion.
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// Node labels.
    pub labels: BTreeSet<String>,
    /// Relationship types.
    pub types: BTreeSet<String>,
    /// Property keys.
    pub keys: BTreeSet<String>,
    /// Entity names and aliases.
    pub names: BTreeSet<String>,
}

/// Above this many nodes, completion reads names from a sample only.
const FULL_SCAN: u64 = 50_000;
const SAMPLE: usize = 5_000;

impl Words {
    /// Reads labels, types, property keys and entity names from the database.
    pub fn load(db: &Database) -> Words {
        let mut w = Words::default();
        let Ok(read) = db.read() else {
            return w;
        };
        if let Ok(stats) = read.stats() {
            w.labels.extend(stats.labels.into_keys());
            w.types.extend(stats.types.into_keys());
        }
        if let Ok(schema) = read.schema() {
            for kind in schema.nodes.values() {
                w.labels.insert(kind.label.clone());
                w.keys.extend(kind.props.iter().map(|p| p.name.clone()));
            }
            for kind in schema.edges.values() {
                w.types.insert(kind.rel_type.clone());
                w.keys.extend(kind.props.iter().map(|p| p.name.clone()));
            }
        }
        let nodes = read.all_nodes().unwrap_or_default();
        let limit = if nodes.len() as u64 <= FULL_SCAN {
            nodes.len()
        } else {
            SAMPLE
        };
        for id in nodes.into_iter().take(limit) {
            let Ok(Some(rec)) = read.node(id) else { continue };
            w.keys.extend(rec.props.keys().cloned());
            if let Some(Value::String(name)) = rec.props.get("name") {
                w.names.insert(name.clone());
            }
            if let Some(Value::List(aliases)) = rec.props.get("aliases") {
                w.names
                    .extend(aliases.iter().filter_map(|a| a.as_str().map(str::to_string)));
            }
        }
        for id in read.all_edges().unwrap_or_default().into_iter().take(SAMPLE) {
            if let Ok(Some(rec)) = read.edge(id) {
                w.keys.extend(rec.props.keys().cloned());
            }
        }
        w
    }
}

/// The rustyline helper: completion, and multi-line input until a statement ends.
pub struct LodeHelper {
    /// Names to complete; refreshed after writes.
    pub words: Arc<RwLock<Words>>,
    files: FilenameCompleter,
}

impl LodeHelper {
    /// A helper completing from `words`.
    pub fn new(words: Arc<RwLock<Words>>) -> Self {
        LodeHelper {
            words,
            files: FilenameCompleter::new(),
        }
    }
}

/// Phrases after which a question names an entity.
const ENTITY_SLOTS: &[&str] = &[
    "who funds ",
    "who owns ",
    "who supplies ",
    "who buys from ",
    "partners of ",
    "what does ",
    "path from ",
    " to ",
    "sources of ",
    "conflicts about ",
];

fn matching<'a>(items: impl Iterator<Item = &'a String>, prefix: &str) -> Vec<Pair> {
    let lower = prefix.to_lowercase();
    items
        .filter(|s| s.to_lowercase().starts_with(&lower))
        .map(|s| Pair {
            display: s.clone(),
            replacement: s.clone(),
        })
        .collect()
}

fn quote_if_needed(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || c == '_' || c == '.' || c == '-')
    {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\\\""))
    }
}

/// Completes `line` at byte `pos`: returns where the replaced text starts and the candidates.
pub fn complete_at(words: &Words, line: &str, pos: usize) -> (usize, Vec<Pair>) {
    let before = &line[..pos];
    let trimmed = before.trim_start();
    if trimmed.starts_with(':') && !trimmed.contains(' ') {
        let start = before.len() - trimmed.len();
        let pairs = COMMANDS
            .iter()
            .filter(|(c, _)| c.starts_with(trimmed))
            .map(|(c, _)| Pair {
                display: c.to_string(),
                replacement: c.to_string(),
            })
            .collect();
        return (start, pairs);
    }
    // In a question, complete the entity's (possibly several-word) name.
    if split::is_question(trimmed) {
        let lower = before.to_ascii_lowercase();
        if let Some(slot) = ENTITY_SLOTS
            .iter()
            .filter_map(|p| lower.rfind(p).map(|i| i + p.len()))
            .max()
        {
            let partial = before[slot..].trim_start_matches(['"', '\'']);
            let start = before.len() - partial.len();
            let start = if before[slot..].starts_with(['"', '\'']) {
                slot
            } else {
                start
            };
            let pairs: Vec<Pair> = matching(words.names.iter(), partial)
                .into_iter()
                .map(|p| Pair {
                    replacement: quote_if_needed(&p.replacement),
                    display: p.display,
                })
                .collect();
            if !pairs.is_empty() || !partial.is_empty() {
                return (start, pairs);
            }
        }
    }
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[start..];
    let prev = before[..start].chars().last();
    let pairs = match prev {
        Some(':') => {
            let mut p = matching(words.labels.iter(), word);
            p.extend(matching(words.types.iter(), word));
            p
        }
        Some('.') => matching(words.keys.iter(), word),
        _ if word.is_empty() => Vec::new(),
        _ => {
            let lower_typed = word.chars().all(|c| !c.is_uppercase());
            let keywords: Vec<String> = KEYWORDS
                .iter()
                .map(|k| {
                    let all_upper = k.chars().all(|c| !c.is_lowercase());
                    if lower_typed && all_upper {
                        k.to_lowercase()
                    } else {
                        k.to_string()
                    }
                })
                .collect();
            let mut p = matching(keywords.iter(), word);
            p.extend(matching(words.names.iter().filter(|n| !n.contains(' ')), word));
            p
        }
    };
    let mut seen = BTreeSet::new();
    let pairs = pairs
        .into_iter()
        .filter(|p| seen.insert(p.replacement.clone()))
        .collect();
    (start, pairs)
}

impl Completer for LodeHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let trimmed = line.trim_start();
        if (trimmed.starts_with(":read ") || trimmed.starts_with(":viz ")) && pos > line.len() - trimmed.len() + 5 {
            return self.files.complete(line, pos, ctx);
        }
        let words = self.words.read().map(|w| w.clone()).unwrap_or_default();
        Ok(complete_at(&words, line, pos))
    }
}

impl Hinter for LodeHelper {
    type Hint = String;
}

impl Highlighter for LodeHelper {}

impl Validator for LodeHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.trim_start().starts_with(':') || split::is_complete(input) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Helper for LodeHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        let mut w = Words::default();
        w.labels.insert("Company".into());
        w.types.insert("FUNDS".into());
        w.keys.insert("amount".into());
        w.names.insert("Round Top".into());
        w.names.insert("MP Materials".into());
        w
    }

    fn replacements(line: &str) -> (usize, Vec<String>) {
        let (start, pairs) = complete_at(&words(), line, line.len());
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn completes_commands_labels_types_keys() {
        assert_eq!(replacements(":sc"), (0, vec![":schema".to_string()]));
        assert_eq!(replacements("MATCH (n:Co"), (9, vec!["Company".to_string()]));
        assert_eq!(replacements("MATCH ()-[:FU"), (11, vec!["FUNDS".to_string()]));
        assert_eq!(replacements("RETURN r.am"), (9, vec!["amount".to_string()]));
        assert!(replacements("mat").1.contains(&"match".to_string()));
        assert!(replacements("MAT").1.contains(&"MATCH".to_string()));
    }

    #[test]
    fn completes_entity_names_in_questions() {
        assert_eq!(replacements("who funds Round"), (10, vec!["Round Top".to_string()]));
        assert_eq!(replacements("who funds round t"), (10, vec!["Round Top".to_string()]));
        assert_eq!(
            replacements("path from MP Materials to Ro"),
            (26, vec!["Round Top".to_string()])
        );
    }
}
