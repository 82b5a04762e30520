//! Export: JSON Lines, CSV (in the import convention, so export then import gives
//! the same graph) and GraphML.

use crate::format::cell_text;
use crate::import::header::{CellType, format_citations};
use crate::report::{CliError, CliResult};
use lodestone::{Citation, Database, EdgeRecord, GraphRead, NodeId, NodeRecord, Props, Value, literal, value_to_json};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per node, then per relationship.
    Jsonl,
    /// A directory of node and relationship CSV files and `schema.json`.
    Csv,
    /// One GraphML document.
    Graphml,
}

impl ExportFormat {
    /// Guesses the format from an output path: `.jsonl`/`.json`, `.graphml`/`.xml`, else CSV.
    pub fn guess(path: &Path) -> ExportFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "json" | "ndjson") => ExportFormat::Jsonl,
            Some("graphml" | "xml") => ExportFormat::Graphml,
            _ => ExportFormat::Csv,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Nodes written.
    pub nodes: u64,
    /// Relationships written.
    pub edges: u64,
    /// Files written (empty for standard output).
    pub files: Vec<PathBuf>,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Data(format!("cannot write {}: {e}", path.display()))
}

/// A temporary path beside `target` in the same directory: `NAME.<tag>-<pid>`.
fn sibling(target: &Path, tag: &str) -> CliResult<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| CliError::Usage(format!("cannot write {}: it names no file", target.display())))?;
    let mut name = name.to_os_string();
    name.push(format!(".{tag}-{}", std::process::id()));
    Ok(target.with_file_name(name))
}

/// The directory holding `path` (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes the entries of a directory (creations, renames, removals) durable.
fn sync_dir(dir: &Path) -> CliResult<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A temporary file or directory that is removed when dropped, unless it was put in place.
struct Staged {
    path: PathBuf,
    dir: bool,
    kept: bool,
}

impl Staged {
    fn new(path: PathBuf, dir: bool) -> Staged {
        Staged { path, dir, kept: false }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = if self.dir {
                std::fs::remove_dir_all(&self.path)
            } else {
                std::fs::remove_file(&self.path)
            };
        }
    }
}

/// Writes a file so that a reader, or a crash at any moment, sees either the previous
/// content of `path` or the complete new one: the text goes to a temporary sibling,
/// is synced, and is renamed over `path`.
fn write_file_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> CliResult<()> {
    let parent = parent_dir(path);
    std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    let tmp = sibling(path, "tmp")?;
    let staged = Staged::new(tmp.clone(), false);
    write_synced(&tmp, write).map_err(|e| io_err(path, e))?;
    commit_rename(staged, path)?;
    sync_dir(parent)
}

/// Creates `path`, fills it with `write` and syncs it to disk.
fn write_synced(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    write(&mut w)?;
    w.flush()?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Renames a staged temporary over `target`; on failure the temporary is removed.
fn commit_rename(mut staged: Staged, target: &Path) -> CliResult<()> {
    std::fs::rename(&staged.path, target).map_err(|e| io_err(target, e))?;
    staged.kept = true;
    Ok(())
}

/// Whether a file name is one that a CSV export writes.
fn is_export_file(name: &str) -> bool {
    ((name.starts_with("nodes-") || name.starts_with("edges-")) && name.ends_with(".csv")) || name == "schema.json"
}

/// The names of the entries of an existing directory.
fn entry_names(dir: &Path) -> CliResult<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// Puts a complete staged export directory in place of `dir`.
///
/// When `dir` is missing, empty or holds only files of an earlier export, the whole
/// directory is replaced by renames, so it always holds one complete export. When it
/// also holds other files, those stay: each export file is renamed in (`schema.json`
/// last) and the files of the earlier export that the new one lacks are removed.
fn commit_dir(staged: Staged, dir: &Path, names: &[String]) -> CliResult<()> {
    let parent = parent_dir(dir);
    let existing = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(dir, e)),
        Ok(meta) if meta.is_dir() => Some(entry_names(dir)?),
        Ok(_) => return Err(io_err(dir, "it exists and is not a directory")),
    };
    match existing {
        None => {
            commit_rename(staged, dir)?;
        }
        Some(old) if old.iter().all(|n| is_export_file(n)) => {
            // The earlier export moves aside whole and is removed once the new one is in place.
            let aside = sibling(dir, "old")?;
            std::fs::rename(dir, &aside).map_err(|e| io_err(dir, e))?;
            if let Err(e) = std::fs::rename(&staged.path, dir) {
                let _ = std::fs::rename(&aside, dir);
                return Err(io_err(dir, e));
            }
            let mut staged = staged;
            staged.kept = true;
            sync_dir(parent)?;
            for name in &old {
                let _ = std::fs::remove_file(aside.join(name));
            }
            let _ = std::fs::remove_dir(&aside);
        }
        Some(old) => {
            let (schema, data): (Vec<&String>, Vec<&String>) = names.iter().partition(|n| *n == "schema.json");
            for name in &data {
                std::fs::rename(staged.path.join(name), dir.join(name)).map_err(|e| io_err(&dir.join(name), e))?;
            }
            for name in old.iter().filter(|n| is_export_file(n) && !names.contains(n)) {
                std::fs::remove_file(dir.join(name)).map_err(|e| io_err(&dir.join(name), e))?;
            }
            for name in &schema {
                std::fs::rename(staged.path.join(name), dir.join(name)).map_err(|e| io_err(&dir.join(name), e))?;
            }
            sync_dir(dir)?;
            drop(staged);
        }
    }
    sync_dir(parent)
}

/// Every node and every relationship (with its id), in id order.
type Records = (Vec<(NodeId, NodeRecord)>, Vec<(u64, EdgeRecord)>);

fn nodes_and_edges(read: &dyn GraphRead) -> CliResult<Records> {
    let mut nodes = Vec::new();
    for id in read.all_nodes()? {
        if let Some(rec) = read.node(id)? {
            nodes.push((id, rec));
        }
    }
    let mut edges = Vec::new();
    for id in read.all_edges()? {
        if let Some(rec) = read.edge(id)? {
            edges.push((id.0, rec));
        }
    }
    Ok((nodes, edges))
}

/// Writes the whole graph in `format` to `out` (a file, or for CSV a directory;
/// standard output when `None`, except for CSV).
pub fn export(db: &Database, format: ExportFormat, out: Option<&Path>, delimiter: u8) -> CliResult<ExportSummary> {
    let read = db.read()?;
    let (nodes, edges) = nodes_and_edges(read.as_ref())?;
    let mut summary = ExportSummary {
        nodes: nodes.len() as u64,
        edges: edges.len() as u64,
        files: Vec::new(),
    };
    match format {
        ExportFormat::Csv => {
            let Some(dir) = out else {
                return Err(CliError::Usage("CSV export needs a directory: -o DIR".into()));
            };
            let schema = read.schema()?;
            let indexes = read.indexes()?;
            summary.files = write_csv_dir(dir, &nodes, &edges, &schema, &indexes, delimiter)?;
        }
        ExportFormat::Jsonl | ExportFormat::Graphml => {
            let write_text = |w: &mut dyn Write| {
                if format == ExportFormat::Jsonl {
                    write_jsonl(w, &nodes, &edges)
                } else {
                    write_graphml(w, &nodes, &edges)
                }
            };
            match out {
                Some(path) if path != Path::new("-") => {
                    write_file_atomically(path, write_text)?;
                    summary.files.push(path.to_path_buf());
                }
                _ => {
                    let mut sink = std::io::BufWriter::new(std::io::stdout().lock());
                    let shown = Path::new("standard output");
                    write_text(&mut sink)
                        .and_then(|()| sink.flush())
                        .map_err(|e| io_err(shown, e))?;
                }
            }
        }
    }
    Ok(summary)
}

/// A value's JSON form is read back as the same value unless it holds a date, a
/// non-finite float, or a map shaped like money, a percentage or a quantity.
fn json_is_lossy(v: &Value) -> bool {
    match v {
        Value::Date(_) => true,
        Value::Float(x) => !x.is_finite(),
        Value::List(items) => items.iter().any(json_is_lossy),
        Value::Map(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            matches!(
                keys.as_slice(),
                ["amount", "currency"] | ["percent"] | ["amount", "unit"]
            ) || m.values().any(json_is_lossy)
        }
        _ => false,
    }
}

fn citations_json(citations: &[Citation]) -> Json {
    Json::Array(
        citations
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("source".into(), json!(c.source));
                if let Some(l) = c.line {
                    m.insert("line".into(), json!(l));
                }
                if let Some(n) = &c.note {
                    m.insert("note".into(), json!(n));
                }
                Json::Object(m)
            })
            .collect(),
    )
}

fn props_json(props: &Props, line: &mut Map<String, Json>) {
    let mut out = Map::new();
    let mut hints = Map::new();
    for (k, v) in props {
        match v {
            Value::Date(d) => {
                out.insert(k.clone(), json!(d.to_string()));
                hints.insert(k.clone(), json!("date"));
            }
            v if json_is_lossy(v) => {
                out.insert(k.clone(), json!(literal::format_literal(v)));
                hints.insert(k.clone(), json!("literal"));
            }
            v => {
                out.insert(k.clone(), value_to_json(v));
            }
        }
    }
    line.insert("properties".into(), Json::Object(out));
    if !hints.is_empty() {
        line.insert("types".into(), Json::Object(hints));
    }
}

fn write_jsonl(w: &mut dyn Write, nodes: &[(NodeId, NodeRecord)], edges: &[(u64, EdgeRecord)]) -> std::io::Result<()> {
    for (id, rec) in nodes {
        let mut line = Map::new();
        line.insert("id".into(), json!(id.0));
        line.insert("labels".into(), json!(rec.labels));
        props_json(&rec.props, &mut line);
        if !rec.citations.is_empty() {
            line.insert("citations".into(), citations_json(&rec.citations));
        }
        writeln!(w, "{}", Json::Object(line))?;
    }
    for (id, rec) in edges {
        let mut line = Map::new();
        line.insert("id".into(), json!(id));
        line.insert("type".into(), json!(rec.rel_type));
        line.insert("start".into(), json!(rec.start.0));
        line.insert("end".into(), json!(rec.end.0));
        props_json(&rec.props, &mut line);
        if !rec.citations.is_empty() {
            line.insert("citations".into(), citations_json(&rec.citations));
        }
        writeln!(w, "{}", Json::Object(line))?;
    }
    Ok(())
}

/// The column type that reads every value of a column back unchanged.
fn column_type<'a>(values: impl Iterator<Item = &'a Value>) -> CellType {
    let mut kind: Option<CellType> = None;
    for v in values {
        let k = match v {
            Value::Int(_) => CellType::Int,
            Value::Float(_) => CellType::Float,
            Value::Bool(_) => CellType::Bool,
            // An empty cell reads as a missing property, so empty strings need a literal.
            Value::String(s) if !s.is_empty() => CellType::String,
            Value::Date(_) => CellType::Date,
            Value::Money(m) if !m.amount.is_sign_negative() => CellType::Money,
            Value::Percent(_) => CellType::Percent,
            _ => return CellType::Value,
        };
        match kind {
            None => kind = Some(k),
            Some(prev) if prev == k => {}
            Some(_) => return CellType::Value,
        }
    }
    kind.unwrap_or(CellType::String)
}

fn typed_cell(ty: CellType, v: &Value) -> String {
    match (ty, v) {
        (CellType::Value, v) => literal::format_literal(v),
        (_, Value::Float(x)) => format!("{x:?}"),
        (_, Value::Money(m)) => format!("{} {}", m.currency, m.amount.normalize()),
        (_, Value::Percent(p)) => format!("{}%", p.normalize()),
        (_, Value::String(s)) => s.clone(),
        (_, v) => v.to_string(),
    }
}

fn safe_name(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if s.is_empty() {
        "none".into()
    } else {
        s.chars().take(60).collect()
    }
}

fn header_field(key: &str, ty: CellType) -> String {
    // A plain string column keeps the bare key unless the key itself holds a `:`.
    if ty == CellType::String && !key.contains(':') {
        key.to_string()
    } else {
        format!("{key}:{}", ty.name())
    }
}

struct Table<'a> {
    keys: Vec<(String, CellType)>,
    rows: Vec<(Vec<String>, &'a Props, &'a [Citation])>,
}

fn table<'a>(rows: Vec<(Vec<String>, &'a Props, &'a [Citation])>) -> Table<'a> {
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for (_, props, _) in &rows {
        keys.extend(props.keys().map(String::as_str));
    }
    let keys = keys
        .into_iter()
        .map(|k| (k.to_string(), column_type(rows.iter().filter_map(|(_, p, _)| p.get(k)))))
        .collect();
    Table { keys, rows }
}

fn write_table(path: &Path, fixed: &[&str], t: &Table<'_>, delimiter: u8) -> CliResult<()> {
    let file = std::fs::File::create(path).map_err(|e| io_err(path, e))?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(file);
    let mut header: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
    header.extend(t.keys.iter().map(|(k, ty)| header_field(k, *ty)));
    header.push(":CITATIONS".into());
    w.write_record(&header).map_err(|e| io_err(path, e))?;
    for (lead, props, citations) in &t.rows {
        let mut record = lead.clone();
        for (k, ty) in &t.keys {
            record.push(props.get(k).map(|v| typed_cell(*ty, v)).unwrap_or_default());
        }
        record.push(if citations.is_empty() {
            String::new()
        } else {
            format_citations(citations)
        });
        w.write_record(&record).map_err(|e| io_err(path, e))?;
    }
    let file = w.into_inner().map_err(|e| io_err(path, e.error()))?;
    file.sync_all().map_err(|e| io_err(path, e))
}

/// Writes the CSV files into the fresh directory `dir`; returns their names.
fn write_csv_files(
    dir: &Path,
    nodes: &[(NodeId, NodeRecord)],
    edges: &[(u64, EdgeRecord)],
    schema: &lodestone::Schema,
    indexes: &[(String, String)],
    delimiter: u8,
) -> CliResult<Vec<String>> {
    let mut files = Vec::new();
    let array = ";";
    let mut by_labels: BTreeMap<Vec<String>, Vec<&(NodeId, NodeRecord)>> = BTreeMap::new();
    for n in nodes {
        let mut labels = n.1.labels.clone();
        labels.sort();
        by_labels.entry(labels).or_default().push(n);
    }
    for (i, (labels, group)) in by_labels.iter().enumerate() {
        let rows = group
            .iter()
            .map(|(id, rec)| {
                (
                    vec![id.0.to_string(), rec.labels.join(array)],
                    &rec.props,
                    rec.citations.as_slice(),
                )
            })
            .collect();
        let name = if labels.is_empty() {
            "unlabeled".to_string()
        } else {
            safe_name(&labels.join("_"))
        };
        let path = dir.join(format!("nodes-{:03}-{name}.csv", i + 1));
        write_table(&path, &[":ID", ":LABEL"], &table(rows), delimiter)?;
        files.push(file_name(&path));
    }
    let mut by_type: BTreeMap<&str, Vec<&(u64, EdgeRecord)>> = BTreeMap::new();
    for e in edges {
        by_type.entry(e.1.rel_type.as_str()).or_default().push(e);
    }
    for (i, (rel_type, group)) in by_type.iter().enumerate() {
        let rows = group
            .iter()
            .map(|(_, rec)| {
                (
                    vec![rec.start.0.to_string(), rec.end.0.to_string(), rec.rel_type.clone()],
                    &rec.props,
                    rec.citations.as_slice(),
                )
            })
            .collect();
        let path = dir.join(format!("edges-{:03}-{}.csv", i + 1, safe_name(rel_type)));
        write_table(&path, &[":START_ID", ":END_ID", ":TYPE"], &table(rows), delimiter)?;
        files.push(file_name(&path));
    }
    if !schema.is_empty() || !indexes.is_empty() {
        let path = dir.join("schema.json");
        let doc = json!({"schema": schema, "indexes": indexes});
        let text = serde_json::to_string_pretty(&doc).map_err(|e| io_err(&path, e))?;
        write_synced(&path, |w| w.write_all((text + "\n").as_bytes())).map_err(|e| io_err(&path, e))?;
        files.push(file_name(&path));
    }
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes a CSV export to the directory `dir` so that a crash at any moment leaves the
/// previous export readable: the files are written and synced in a temporary sibling
/// directory, which then takes the place of `dir` (see [`commit_dir`]).
fn write_csv_dir(
    dir: &Path,
    nodes: &[(NodeId, NodeRecord)],
    edges: &[(u64, EdgeRecord)],
    schema: &lodestone::Schema,
    indexes: &[(String, String)],
    delimiter: u8,
) -> CliResult<Vec<PathBuf>> {
    // `.` or `..` name no directory entry to rename: work on the resolved path.
    let resolved = if dir.file_name().is_none() {
        std::fs::canonicalize(dir).map_err(|e| io_err(dir, e))?
    } else {
        dir.to_path_buf()
    };
    let parent = parent_dir(&resolved);
    std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    let stage = sibling(&resolved, "tmp")?;
    // A leftover of a killed export by a process with the same id.
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir(&stage).map_err(|e| io_err(&stage, e))?;
    let staged = Staged::new(stage.clone(), true);
    let names = write_csv_files(&stage, nodes, edges, schema, indexes, delimiter)?;
    sync_dir(&stage)?;
    commit_dir(staged, &resolved, &names)?;
    Ok(names.iter().map(|n| dir.join(n)).collect())
}

fn xml_escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && c != '\t' && c != '\n' && c != '\r' => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

fn graphml_type<'a>(values: impl Iterator<Item = &'a Value>) -> &'static str {
    let mut kind = None;
    for v in values {
        let k = match v {
            Value::Int(_) => "long",
            Value::Float(_) => "double",
            Value::Bool(_) => "boolean",
            _ => "string",
        };
        match kind {
            None => kind = Some(k),
            Some(p) if p == k => {}
            Some(_) => return "string",
        }
    }
    kind.unwrap_or("string")
}

fn graphml_keys<'a>(
    prefix: &str,
    domain: &str,
    props: impl Iterator<Item = &'a Props> + Clone,
) -> Vec<(String, String, &'static str)> {
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for p in props.clone() {
        keys.extend(p.keys().map(String::as_str));
    }
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| {
            let ty = graphml_type(props.clone().filter_map(|p| p.get(k)));
            let _ = domain;
            (format!("{prefix}{i}"), k.to_string(), ty)
        })
        .collect()
}

fn graphml_value(v: &Value) -> String {
    match v {
        Value::Float(x) => format!("{x:?}"),
        other => cell_text(other),
    }
}

fn write_graphml(
    w: &mut dyn Write,
    nodes: &[(NodeId, NodeRecord)],
    edges: &[(u64, EdgeRecord)],
) -> std::io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#
    )?;
    writeln!(
        w,
        r#"  <key id="labels" for="node" attr.name="labels" attr.type="string"/>"#
    )?;
    writeln!(
        w,
        r#"  <key id="type" for="edge" attr.name="type" attr.type="string"/>"#
    )?;
    writeln!(
        w,
        r#"  <key id="citations" for="all" attr.name="citations" attr.type="string"/>"#
    )?;
    let node_keys = graphml_keys("n", "node", nodes.iter().map(|(_, r)| &r.props));
    let edge_keys = graphml_keys("e", "edge", edges.iter().map(|(_, r)| &r.props));
    for (domain, keys) in [("node", &node_keys), ("edge", &edge_keys)] {
        for (id, name, ty) in keys {
            writeln!(
                w,
                r#"  <key id="{id}" for="{domain}" attr.name="{}" attr.type="{ty}"/>"#,
                xml_escape(name)
            )?;
        }
    }
    writeln!(w, r#"  <graph id="G" edgedefault="directed">"#)?;
    let data = |w: &mut dyn Write, keys: &[(String, String, &str)], props: &Props, cites: &[Citation]| {
        for (id, name, _) in keys {
            if let Some(v) = props.get(name) {
                writeln!(w, r#"      <data key="{id}">{}</data>"#, xml_escape(&graphml_value(v)))?;
            }
        }
        if !cites.is_empty() {
            let text = cites.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            writeln!(w, r#"      <data key="citations">{}</data>"#, xml_escape(&text))?;
        }
        Ok::<(), std::io::Error>(())
    };
    for (id, rec) in nodes {
        let labels: String = rec.labels.iter().map(|l| format!(":{l}")).collect();
        writeln!(w, r#"    <node id="n{}" labels="{}">"#, id.0, xml_escape(&labels))?;
        writeln!(w, r#"      <data key="labels">{}</data>"#, xml_escape(&labels))?;
        data(w, &node_keys, &rec.props, &rec.citations)?;
        writeln!(w, "    </node>")?;
    }
    for (id, rec) in edges {
        writeln!(
            w,
            r#"    <edge id="e{id}" source="n{}" target="n{}" label="{}">"#,
            rec.start.0,
            rec.end.0,
            xml_escape(&rec.rel_type)
        )?;
        writeln!(w, r#"      <data key="type">{}</data>"#, xml_escape(&rec.rel_type))?;
        data(w, &edge_keys, &rec.props, &rec.citations)?;
        writeln!(w, "    </edge>")?;
    }
    writeln!(w, "  </graph>")?;
    writeln!(w, "</graphml>")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_keep_values_exact() {
        let ints = [Value::Int(1), Value::Int(2)];
        assert_eq!(column_type(ints.iter()), CellType::Int);
        let mixed = [Value::Int(1), Value::Float(2.0)];
        assert_eq!(column_type(mixed.iter()), CellType::Value);
        let empty = [Value::from("a"), Value::from("")];
        assert_eq!(column_type(empty.iter()), CellType::Value);
        let list = [Value::from(vec!["a"])];
        assert_eq!(column_type(list.iter()), CellType::Value);
    }

    #[test]
    fn typed_cells_read_back() {
        for v in [
            Value::Float(0.1),
            Value::Float(1e300),
            Value::Money("$1.5M".parse().unwrap()),
            Value::Percent("15.5".parse().unwrap()),
            Value::Date("2025-09".parse().unwrap()),
            Value::from(" spaced "),
        ] {
            let ty = column_type(std::iter::once(&v));
            assert_eq!(ty.parse(&typed_cell(ty, &v)).unwrap(), v, "{ty:?}");
        }
    }

    #[test]
    fn lossy_json_is_detected() {
        assert!(json_is_lossy(&Value::Date("2025".parse().unwrap())));
        assert!(json_is_lossy(&Value::from(vec![Value::Date("2025".parse().unwrap())])));
        assert!(!json_is_lossy(&Value::Money("$1M".parse().unwrap())));
        assert!(json_is_lossy(&Value::Float(f64::NAN)));
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;\\u0001");
    }

    fn staged_dir(parent: &Path, files: &[&str]) -> Staged {
        let stage = parent.join(format!("stage-{}", files.len()));
        std::fs::create_dir(&stage).unwrap();
        for f in files {
            std::fs::write(stage.join(f), "new").unwrap();
        }
        Staged::new(stage, true)
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names = entry_names(dir).unwrap();
        names.sort();
        names
    }

    #[test]
    fn an_export_directory_is_replaced_whole() {
        let home = tempfile::TempDir::new().unwrap();
        let dir = home.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("nodes-002-Old.csv"), "old").unwrap();
        std::fs::write(dir.join("schema.json"), "old").unwrap();
        let new = ["nodes-001-A.csv".to_string()];
        commit_dir(staged_dir(home.path(), &["nodes-001-A.csv"]), &dir, &new).unwrap();
        assert_eq!(names_in(&dir), new);
        assert_eq!(names_in(home.path()), ["out"]);
    }

    #[test]
    fn other_files_in_the_directory_stay() {
        let home = tempfile::TempDir::new().unwrap();
        let dir = home.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.join("edges-001-OLD.csv"), "old").unwrap();
        std::fs::write(dir.join("nodes-001-A.csv"), "old").unwrap();
        let new = ["nodes-001-A.csv".to_string(), "schema.json".to_string()];
        commit_dir(staged_dir(home.path(), &["nodes-001-A.csv", "schema.json"]), &dir, &new).unwrap();
        assert_eq!(names_in(&dir), ["nodes-001-A.csv", "notes.txt", "schema.json"]);
        assert_eq!(std::fs::read_to_string(dir.join("nodes-001-A.csv")).unwrap(), "new");
        assert_eq!(names_in(home.path()), ["out"]);
    }

    #[test]
    fn a_failed_file_write_leaves_the_previous_file_and_no_temporary() {
        let home = tempfile::TempDir::new().unwrap();
        let path = home.path().join("graph.jsonl");
        std::fs::write(&path, "previous").unwrap();
        let failed = write_file_atomically(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous");
        assert_eq!(names_in(home.path()), ["graph.jsonl"]);
        write_file_atomically(&path, |w| w.write_all(b"complete")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "complete");
        assert_eq!(names_in(home.path()), ["graph.jsonl"]);
    }
}
