//! Helpers shared by the benchmark programs (and the Spark test, which loads the
//! same generated graph): process figures from /proc, directory sizes, and the import
//! of a `lodestone-gen` graph. Included with `#[path]`; not every user needs every item.
#![allow(dead_code)]

use lodestone::Database;
use lodestone_cli::import::{IdType, ImportOptions, SchemaFile, Source, Summary, import};
use std::path::Path;

/// The labels `lodestone-gen` writes.
pub const LABELS: [&str; 7] = [
    "Company",
    "Deal",
    "Deposit",
    "Facility",
    "Government",
    "Agency",
    "Material",
];

/// A field of /proc/self/status in MiB (0 if unavailable).
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Peak resident set size of this process in MiB.
pub fn peak_rss_mb() -> f64 {
    status_mib("VmHWM:")
}

/// Current resident set size of this process in MiB.
pub fn rss_mb() -> f64 {
    status_mib("VmRSS:")
}

/// The machine's one-minute load average from /proc/loadavg (0 if unavailable).
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// Total size of the files under `path`, in bytes.
pub fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return std::fs::metadata(path).map_or(0, |m| m.len());
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// Imports a `lodestone-gen` graph (`nodes.csv`, `edges.csv` in `data`) with the CLI
/// importer: integer ids, an index on `id` for every label, one transaction.
pub fn import_generated(db: &Database, data: &Path) -> Result<Summary, String> {
    let sources = [
        Source::Nodes {
            labels: vec![],
            files: vec![data.join("nodes.csv")],
        },
        Source::Edges {
            rel_type: None,
            files: vec![data.join("edges.csv")],
        },
    ];
    let schema = SchemaFile {
        schema: Default::default(),
        indexes: LABELS.iter().map(|l| (l.to_string(), "id".to_string())).collect(),
    };
    let options = ImportOptions {
        id_type: IdType::Integer,
        ..ImportOptions::default()
    };
    import(db, &sources, Some(&schema), &options).map_err(|e| e.to_string())
}
