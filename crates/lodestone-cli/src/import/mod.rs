//! Bulk import: CSV files in neo4j-admin import's convention, and JSON Lines.
//!
//! Into a database that has never been written, the rows commit in batches inside a
//! bulk load ([`lodestone::Storage::begin_bulk_load`]): one batch of rows is held in
//! memory, not the whole import, and a failed or killed import leaves a database that
//! its next open empties again. Into any other database every row goes into one write
//! transaction that commits at the end. Either way durability is deferred to one flush
//! and the import applies whole or not at all. Bad rows (missing endpoint, wrong type,
//! broken UTF-8, wrong column count, duplicate id) are
//! reported with file and line; by default any bad row aborts the import.

pub mod header;
mod jsonl;

use crate::report::{CliError, CliResult};
use header::{ColumnType, Field, GLOBAL_SPACE};
use indicatif::{ProgressBar, ProgressStyle};
use lodestone::{
    Citation, Database, Durability, EdgeRecord, NodeId, NodeRecord, Props, Schema, Storage, Value, WriteTxn,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How `:ID` values are read and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum IdType {
    /// Ids are text; a named id column is stored as a string property.
    #[default]
    String,
    /// Ids are integers; a named id column is stored as an integer property.
    Integer,
}

/// Settings of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Field delimiter.
    pub delimiter: u8,
    /// Separator of array elements and of labels in a `:LABEL` cell.
    pub array_delimiter: char,
    /// Quote character.
    pub quote: u8,
    /// How ids are read.
    pub id_type: IdType,
    /// In a group with several files, the first is a header file and every later
    /// file's own first line (its original header) is skipped.
    pub skip_data_headers: bool,
    /// Import the good rows and report the bad ones instead of aborting.
    pub skip_bad: bool,
    /// Bad rows reported in detail.
    pub max_errors: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Rows per commit when loading a database that has never committed anything
    /// (see [`import`]).
    pub batch_rows: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            delimiter: b',',
            array_delimiter: ';',
            quote: b'"',
            id_type: IdType::String,
            skip_data_headers: false,
            skip_bad: false,
            max_errors: 20,
            progress: false,
            batch_rows: 250_000,
        }
    }
}

/// One input.
#[derive(Debug, Clone)]
pub enum Source {
    /// Node CSV files sharing the first file's header, with labels given to every node.
    Nodes {
        /// Labels for every row.
        labels: Vec<String>,
        /// The files, read as one.
        files: Vec<PathBuf>,
    },
    /// Relationship CSV files sharing the first file's header, with a default type.
    Edges {
        /// Type for rows without a `:TYPE` cell.
        rel_type: Option<String>,
        /// The files, read as one.
        files: Vec<PathBuf>,
    },
    /// A JSON Lines file of nodes and relationships (as `lode export --to jsonl` writes).
    JsonLines(PathBuf),
}

/// A schema and indexes to declare before the data (as `lode export --to csv` writes to `schema.json`).
#[derive(Debug, Clone, Default)]
pub struct SchemaFile {
    /// Declared kinds.
    pub schema: Schema,
    /// Property indexes as (label, key).
    pub indexes: Vec<(String, String)>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Nodes created.
    pub nodes: u64,
    /// Relationships created.
    pub edges: u64,
    /// Files read.
    pub files: usize,
    /// Bad rows skipped (with `skip_bad`).
    pub skipped: u64,
    /// Messages about skipped rows (at most `max_errors`).
    pub messages: Vec<String>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Reads `[LABEL[:LABEL...]=]FILE[,FILE...]` (or `[TYPE=]FILE...` for relationships).
pub fn parse_group(spec: &str) -> Result<(Option<String>, Vec<PathBuf>), String> {
    let (prefix, files) = match spec.split_once('=') {
        Some((p, f)) if !p.contains('/') && !p.contains('\\') => (Some(p.to_string()), f),
        _ => (None, spec),
    };
    let files: Vec<PathBuf> = files.split(',').filter(|f| !f.is_empty()).map(PathBuf::from).collect();
    if files.is_empty() {
        return Err(format!("no file in `{spec}`"));
    }
    Ok((prefix.filter(|p| !p.is_empty()), files))
}

/// Finds the files of a directory written by `lode export --to csv`: node files, edge files, schema.
pub fn export_dir_sources(dir: &Path) -> CliResult<(Vec<Source>, Option<PathBuf>)> {
    let entries = std::fs::read_dir(dir).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut names: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut sources = Vec::new();
    for p in names
        .iter()
        .filter(|p| name(p).starts_with("nodes") && name(p).ends_with(".csv"))
    {
        sources.push(Source::Nodes {
            labels: vec![],
            files: vec![p.clone()],
        });
    }
    for p in names
        .iter()
        .filter(|p| name(p).starts_with("edges") && name(p).ends_with(".csv"))
    {
        sources.push(Source::Edges {
            rel_type: None,
            files: vec![p.clone()],
        });
    }
    let schema = names.iter().find(|p| name(p) == "schema.json").cloned();
    if sources.is_empty() && schema.is_none() {
        return Err(CliError::Usage(format!(
            "{} holds no nodes*.csv, edges*.csv or schema.json",
            dir.display()
        )));
    }
    Ok((sources, schema))
}

/// Reads a `schema.json` written by the CSV export.
pub fn read_schema_file(path: &Path) -> CliResult<SchemaFile> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CliError::Data(format!("{}: {e}", path.display())))?;
    let schema = match json.get("schema") {
        Some(s) => {
            serde_json::from_value(s.clone()).map_err(|e| CliError::Data(format!("{}: schema: {e}", path.display())))?
        }
        None => Schema::default(),
    };
    let indexes = match json.get("indexes") {
        Some(s) => serde_json::from_value(s.clone())
            .map_err(|e| CliError::Data(format!("{}: indexes: {e}", path.display())))?,
        None => Vec::new(),
    };
    Ok(SchemaFile { schema, indexes })
}

/// A failure that stops the import at once (as opposed to a bad row).
pub(crate) enum Stop {
    /// Too many bad rows.
    TooMany,
    /// A file or store failure.
    Fatal(CliError),
}

impl From<lodestone::StoreError> for Stop {
    fn from(e: lodestone::StoreError) -> Self {
        Stop::Fatal(e.into())
    }
}

/// A fast non-cryptographic hash (FxHash) for id maps: ids come from files the user
/// imports, and the maps live only for one import.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// The ids of one ID space. Text ids that are plain decimal numbers (`0`, `42`, no sign,
/// no leading zero) are kept by value: the text and the number name each other exactly.
#[derive(Default)]
struct IdSpace {
    text: FastMap<String, NodeId>,
    ints: FastMap<i64, NodeId>,
}

/// The number a text id stands for, when it is a plain decimal number.
fn plain_number(cell: &str) -> Option<i64> {
    let b = cell.as_bytes();
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    cell.parse().ok()
}

/// State of one running import.
pub(crate) struct Importer<'a> {
    storage: &'a dyn Storage,
    /// The open transaction; `None` only between a batch's commit and the next start.
    txn: Option<Box<dyn WriteTxn + 'a>>,
    /// In a bulk load, rows per commit.
    batch_rows: Option<u64>,
    /// Rows created in the open transaction.
    in_txn: u64,
    options: &'a ImportOptions,
    spaces: FastMap<String, IdSpace>,
    summary: Summary,
    bad: u64,
    messages: Vec<String>,
    progress: Option<ProgressBar>,
    bytes_before: u64,
}

impl<'a> Importer<'a> {
    /// The open transaction.
    fn txn(&mut self) -> Result<&mut (dyn WriteTxn + 'a), Stop> {
        match self.txn.as_deref_mut() {
            Some(t) => Ok(t),
            None => Err(Stop::Fatal(CliError::Data("the import has no open transaction".into()))),
        }
    }

    /// Creates a relationship in the open transaction and counts it.
    fn put_edge(&mut self, record: EdgeRecord) -> Result<(), Stop> {
        self.txn()?.create_edge(record)?;
        self.summary.edges += 1;
        self.created()
    }

    /// Counts a created row; in a bulk load a full batch commits and the next starts.
    fn created(&mut self) -> Result<(), Stop> {
        self.in_txn += 1;
        if self.batch_rows.is_some_and(|n| self.in_txn >= n) {
            self.next_batch()?;
        }
        Ok(())
    }

    /// In a bulk load, commits the open transaction and starts the next.
    fn next_batch(&mut self) -> Result<(), Stop> {
        if self.batch_rows.is_none() {
            return Ok(());
        }
        if let Some(t) = self.txn.take() {
            t.commit()?;
        }
        self.txn = Some(self.storage.write()?);
        self.in_txn = 0;
        Ok(())
    }

    fn bad_row(&mut self, file: &Path, line: u64, message: impl std::fmt::Display) -> Result<(), Stop> {
        self.bad += 1;
        if self.messages.len() < self.options.max_errors {
            self.messages.push(format!("{}:{line}: {message}", file.display()));
        }
        if !self.options.skip_bad && self.bad as usize >= self.options.max_errors {
            return Err(Stop::TooMany);
        }
        Ok(())
    }

    fn id_value(&self, cell: &str) -> Result<Value, String> {
        match self.options.id_type {
            IdType::String => Ok(Value::String(cell.to_string())),
            IdType::Integer => cell
                .trim()
                .parse::<i64>()
                .map(Value::Int)
                .map_err(|_| format!("id `{cell}` is not an integer")),
        }
    }

    fn lookup(&self, space: &str, cell: &str) -> Result<Option<NodeId>, String> {
        let Some(s) = self.spaces.get(space) else {
            return Ok(None);
        };
        Ok(match self.options.id_type {
            IdType::String => match plain_number(cell) {
                Some(n) => s.ints.get(&n).copied(),
                None => s.text.get(cell).copied(),
            },
            IdType::Integer => {
                let n = cell
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("id `{cell}` is not an integer"))?;
                s.ints.get(&n).copied()
            }
        })
    }

    /// Registers an id; `Err` when the space already holds it.
    fn register(&mut self, space: &str, cell: &str, id: NodeId) -> Result<(), String> {
        if !self.spaces.contains_key(space) {
            self.spaces.insert(space.to_string(), IdSpace::default());
        }
        let Some(s) = self.spaces.get_mut(space) else {
            return Err(format!("no ID space `{space}`"));
        };
        let fresh = match self.options.id_type {
            IdType::String => match plain_number(cell) {
                Some(n) => s.ints.insert(n, id).is_none(),
                None => s.text.insert(cell.to_string(), id).is_none(),
            },
            IdType::Integer => {
                let n = cell
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("id `{cell}` is not an integer"))?;
                s.ints.insert(n, id).is_none()
            }
        };
        if fresh {
            Ok(())
        } else {
            Err(format!("duplicate id `{cell}`{}", space_text(space)))
        }
    }

    fn tick(&self, reader_bytes: u64) {
        if let Some(p) = &self.progress {
            p.set_position(self.bytes_before + reader_bytes);
        }
    }

    fn split_array<'c>(&self, cell: &'c str) -> impl Iterator<Item = &'c str> + use<'c> {
        let d = self.options.array_delimiter;
        cell.split(d)
    }

    fn parse_cell(&self, ty: ColumnType, cell: &str) -> Result<Value, String> {
        if ty.array {
            let items: Result<Vec<Value>, String> = self
                .split_array(cell)
                .filter(|c| !c.is_empty() || ty.cell == header::CellType::String)
                .map(|c| ty.cell.parse(c))
                .collect();
            items.map(Value::List)
        } else {
            ty.cell.parse(cell)
        }
    }

    fn csv_reader(&self, path: &Path) -> Result<csv::Reader<std::fs::File>, Stop> {
        let file = std::fs::File::open(path)
            .map_err(|e| Stop::Fatal(CliError::Usage(format!("cannot open {}: {e}", path.display()))))?;
        Ok(csv::ReaderBuilder::new()
            .delimiter(self.options.delimiter)
            .quote(self.options.quote)
            .has_headers(false)
            .flexible(true)
            .from_reader(file))
    }

    /// Reads one group of CSV files (nodes or relationships).
    fn csv_group(&mut self, nodes: bool, default: &[String], files: &[PathBuf]) -> Result<(), Stop> {
        let Some(first) = files.first() else {
            return Ok(());
        };
        let mut header_reader = self.csv_reader(first)?;
        let mut record = csv::ByteRecord::new();
        let has = header_reader
            .read_byte_record(&mut record)
            .map_err(|e| Stop::Fatal(CliError::Data(format!("{}: {e}", first.display()))))?;
        if !has {
            return Err(Stop::Fatal(CliError::Data(format!(
                "{}: empty file: expected a header line",
                first.display()
            ))));
        }
        let fields = parse_header(&record, nodes)
            .map_err(|e| Stop::Fatal(CliError::Data(format!("{}:1: {e}", first.display()))))?;
        // The first reader has consumed exactly the header record and goes on from there.
        let mut first_reader = Some(header_reader);
        for (i, path) in files.iter().enumerate() {
            self.summary.files += 1;
            let mut reader = match first_reader.take() {
                Some(r) => r,
                None => self.csv_reader(path)?,
            };
            let skip_first = i > 0 && self.options.skip_data_headers;
            self.csv_rows(&mut reader, path, &fields, nodes, default, skip_first)?;
            if let Ok(meta) = std::fs::metadata(path) {
                self.bytes_before += meta.len();
            }
        }
        Ok(())
    }

    fn csv_rows(
        &mut self,
        reader: &mut csv::Reader<std::fs::File>,
        path: &Path,
        fields: &[Field],
        nodes: bool,
        default: &[String],
        skip_first: bool,
    ) -> Result<(), Stop> {
        let mut record = csv::ByteRecord::new();
        let mut skipped = !skip_first;
        let mut rows: u64 = 0;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    let io = matches!(e.kind(), csv::ErrorKind::Io(_));
                    self.bad_row(path, line, e)?;
                    if io {
                        break;
                    }
                    continue;
                }
            }
            if !skipped {
                skipped = true;
                continue;
            }
            rows += 1;
            if rows.is_multiple_of(8192) {
                self.tick(record.position().map_or(0, |p| p.byte()));
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != fields.len() {
                if record.len() == 1 && record.get(0).is_some_and(|c| c.is_empty()) {
                    continue; // A blank line.
                }
                self.bad_row(
                    path,
                    line,
                    format!("expected {} columns, found {}", fields.len(), record.len()),
                )?;
                continue;
            }
            let result = if nodes {
                self.node_row(&record, fields, default)
            } else {
                self.edge_row(&record, fields, default)
            };
            match result {
                Ok(()) => {}
                Err(RowError::Bad(m)) => self.bad_row(path, line, m)?,
                Err(RowError::Store(e)) => return Err(Stop::Fatal(e.into())),
                Err(RowError::Stop(stop)) => return Err(stop),
            }
        }
        Ok(())
    }

    fn node_row(&mut self, record: &csv::ByteRecord, fields: &[Field], default: &[String]) -> Result<(), RowError> {
        let mut labels: Vec<String> = default.to_vec();
        let mut props = Props::new();
        let mut citations = Vec::new();
        let mut id: Option<(&str, &str)> = None;
        for (field, bytes) in fields.iter().zip(record.iter()) {
            if bytes.is_empty() || matches!(field, Field::Ignore) {
                continue;
            }
            let cell = std::str::from_utf8(bytes).map_err(|_| RowError::Bad(utf8_message(field)))?;
            match field {
                Field::Property { key, ty } => {
                    let v = self
                        .parse_cell(*ty, cell)
                        .map_err(|e| RowError::Bad(format!("column `{key}`: {e}")))?;
                    props.insert(key.clone(), v);
                }
                Field::Id { key, space } => {
                    if let Some(key) = key {
                        let v = self.id_value(cell).map_err(RowError::Bad)?;
                        props.insert(key.clone(), v);
                    }
                    id = Some((space.as_str(), cell));
                }
                Field::Label => {
                    for l in self.split_array(cell).map(str::trim).filter(|l| !l.is_empty()) {
                        labels.push(l.to_string());
                    }
                }
                Field::Citations => citations = header::parse_citations(cell).map_err(RowError::Bad)?,
                _ => {}
            }
        }
        if labels.len() > 1 {
            let mut i = 1;
            while i < labels.len() {
                if labels[..i].contains(&labels[i]) {
                    labels.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        if let Some((space, cell)) = id
            && self.lookup(space, cell).map_err(RowError::Bad)?.is_some()
        {
            return Err(RowError::Bad(format!("duplicate id `{cell}`{}", space_text(space))));
        }
        let txn = self.txn().map_err(RowError::Stop)?;
        let node = txn
            .create_node(NodeRecord {
                labels,
                props,
                citations,
            })
            .map_err(RowError::Store)?;
        if let Some((space, cell)) = id {
            self.register(space, cell, node).map_err(RowError::Bad)?;
        }
        self.summary.nodes += 1;
        self.created().map_err(RowError::Stop)
    }

    fn edge_row(&mut self, record: &csv::ByteRecord, fields: &[Field], default: &[String]) -> Result<(), RowError> {
        let mut rel_type: Option<String> = default.first().cloned();
        let mut props = Props::new();
        let mut citations = Vec::new();
        let mut start = None;
        let mut end = None;
        for (field, bytes) in fields.iter().zip(record.iter()) {
            if matches!(field, Field::Ignore) {
                continue;
            }
            if bytes.is_empty() {
                match field {
                    Field::StartId { .. } => return Err(RowError::Bad("empty :START_ID".into())),
                    Field::EndId { .. } => return Err(RowError::Bad("empty :END_ID".into())),
                    _ => continue,
                }
            }
            let cell = std::str::from_utf8(bytes).map_err(|_| RowError::Bad(utf8_message(field)))?;
            match field {
                Field::Property { key, ty } => {
                    let v = self
                        .parse_cell(*ty, cell)
                        .map_err(|e| RowError::Bad(format!("column `{key}`: {e}")))?;
                    props.insert(key.clone(), v);
                }
                Field::StartId { space } | Field::EndId { space } => {
                    let found = self.lookup(space, cell).map_err(RowError::Bad)?;
                    let which = if matches!(field, Field::StartId { .. }) {
                        ":START_ID"
                    } else {
                        ":END_ID"
                    };
                    let Some(node) = found else {
                        return Err(RowError::Bad(format!(
                            "missing endpoint: no node with id `{cell}`{} ({which})",
                            space_text(space)
                        )));
                    };
                    if matches!(field, Field::StartId { .. }) {
                        start = Some(node);
                    } else {
                        end = Some(node);
                    }
                }
                Field::Type => rel_type = Some(cell.trim().to_string()),
                Field::Citations => citations = header::parse_citations(cell).map_err(RowError::Bad)?,
                _ => {}
            }
        }
        let (Some(start), Some(end)) = (start, end) else {
            return Err(RowError::Bad("a relationship needs :START_ID and :END_ID".into()));
        };
        let Some(rel_type) = rel_type.filter(|t| !t.is_empty()) else {
            return Err(RowError::Bad(
                "no relationship type: add a :TYPE column or use --edges TYPE=FILE".into(),
            ));
        };
        self.put_edge(EdgeRecord {
            rel_type,
            start,
            end,
            props,
            citations,
        })
        .map_err(RowError::Stop)
    }
}

enum RowError {
    Bad(String),
    Store(lodestone::StoreError),
    Stop(Stop),
}

fn utf8_message(field: &Field) -> String {
    match field {
        Field::Property { key, .. } => format!("column `{key}`: invalid UTF-8"),
        _ => "invalid UTF-8".into(),
    }
}

fn space_text(space: &str) -> String {
    if space == GLOBAL_SPACE {
        String::new()
    } else {
        format!(" in ID space `{space}`")
    }
}

fn parse_header(record: &csv::ByteRecord, nodes: bool) -> Result<Vec<Field>, String> {
    let mut fields = Vec::with_capacity(record.len());
    for bytes in record.iter() {
        let text = std::str::from_utf8(bytes).map_err(|_| "the header is not valid UTF-8".to_string())?;
        let text = text.trim_start_matches('\u{feff}');
        fields.push(header::parse_field(text)?);
    }
    let count = |f: fn(&Field) -> bool| fields.iter().filter(|x| f(x)).count();
    if nodes {
        if count(|f| matches!(f, Field::StartId { .. } | Field::EndId { .. } | Field::Type)) > 0 {
            return Err("a node file cannot have :START_ID, :END_ID or :TYPE (use --edges for relationships)".into());
        }
        if count(|f| matches!(f, Field::Id { .. })) > 1 {
            return Err("a node file can have only one :ID column".into());
        }
    } else {
        if count(|f| matches!(f, Field::Id { .. } | Field::Label)) > 0 {
            return Err("a relationship file cannot have :ID or :LABEL (use --nodes for nodes)".into());
        }
        if count(|f| matches!(f, Field::StartId { .. })) != 1 || count(|f| matches!(f, Field::EndId { .. })) != 1 {
            return Err("a relationship file needs exactly one :START_ID and one :END_ID column".into());
        }
    }
    Ok(fields)
}

/// Runs an import into `db` and commits it whole (or, with `skip_bad`, the good rows).
pub fn import(
    db: &Database,
    sources: &[Source],
    schema: Option<&SchemaFile>,
    options: &ImportOptions,
) -> CliResult<Summary> {
    let started = Instant::now();
    for source in sources {
        let files: Vec<&PathBuf> = match source {
            Source::Nodes { files, .. } | Source::Edges { files, .. } => files.iter().collect(),
            Source::JsonLines(p) => vec![p],
        };
        for f in files {
            if !f.is_file() {
                return Err(CliError::Usage(format!("no such file: {}", f.display())));
            }
        }
    }
    let total_bytes: u64 = sources
        .iter()
        .flat_map(|s| match s {
            Source::Nodes { files, .. } | Source::Edges { files, .. } => files.clone(),
            Source::JsonLines(p) => vec![p.clone(), p.clone()],
        })
        .filter_map(|p| std::fs::metadata(p).ok().map(|m| m.len()))
        .sum();
    let progress = options.progress.then(|| {
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template("{spinner} importing [{bar:30}] {bytes}/{total_bytes} ({eta}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        // Keeps the spinner moving through the long commit at the end.
        bar.enable_steady_tick(Duration::from_millis(150));
        bar
    });

    db.set_durability(Durability::Deferred);
    let storage = db.storage();
    let bulk = storage.begin_bulk_load()?;
    let result = (|| -> CliResult<Summary> {
        let mut importer = Importer {
            storage,
            txn: Some(storage.write()?),
            batch_rows: bulk.then_some(options.batch_rows.max(1)),
            in_txn: 0,
            options,
            spaces: FastMap::default(),
            summary: Summary::default(),
            bad: 0,
            messages: Vec::new(),
            progress: progress.clone(),
            bytes_before: 0,
        };
        let outcome = run_sources(&mut importer, sources, schema);
        let (summary, bad, messages, txn) = (importer.summary, importer.bad, importer.messages, importer.txn);
        let failure = match outcome {
            Ok(()) if bad == 0 || options.skip_bad => None,
            Ok(()) | Err(Stop::TooMany) => Some(CliError::Data(bad_rows_message(bad, &messages, options))),
            Err(Stop::Fatal(e)) => Some(e),
        };
        if let Some(e) = failure {
            // A bulk load's earlier batches are discarded by the next open.
            if let Some(t) = txn {
                t.rollback();
            }
            return Err(e);
        }
        if let Some(p) = &progress {
            p.set_message("committing");
        }
        tracing::info!(
            nodes = summary.nodes,
            relationships = summary.edges,
            "rows read; committing"
        );
        if let Some(t) = txn {
            t.commit()?;
        }
        Ok(Summary {
            skipped: bad,
            messages,
            ..summary
        })
    })();
    tracing::info!("flushing");
    let flushed = match (&result, bulk) {
        (Ok(_), true) => storage.end_bulk_load().map_err(lodestone::Error::from),
        _ => db.flush(),
    };
    db.set_durability(Durability::Immediate);
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let mut summary = result?;
    flushed?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn bad_rows_message(bad: u64, messages: &[String], options: &ImportOptions) -> String {
    let mut m = format!(
        "import aborted, nothing was imported: {bad} bad row{}",
        if bad == 1 { "" } else { "s" }
    );
    if !options.skip_bad && bad as usize >= options.max_errors {
        m.push_str(&format!(" (stopped after {})", options.max_errors));
    }
    m.push_str(":\n");
    for line in messages {
        m.push_str("  ");
        m.push_str(line);
        m.push('\n');
    }
    m.push_str("Fix the rows, or pass --skip-bad to import the good rows and list the bad ones.");
    m
}

fn run_sources(importer: &mut Importer<'_>, sources: &[Source], schema: Option<&SchemaFile>) -> Result<(), Stop> {
    if let Some(schema) = schema
        && !schema.schema.is_empty()
    {
        let txn = importer.txn()?;
        let mut merged = txn.schema()?;
        merged.nodes.extend(schema.schema.nodes.clone());
        merged.edges.extend(schema.schema.edges.clone());
        txn.set_schema(merged)?;
    }

    // Nodes first, so that relationships in any file can find their endpoints.
    for source in sources {
        match source {
            Source::Nodes { labels, files } => importer.csv_group(true, labels, files)?,
            Source::JsonLines(path) => jsonl::read(importer, path, true)?,
            Source::Edges { .. } => {}
        }
    }
    for source in sources {
        match source {
            Source::Edges { rel_type, files } => {
                let default: Vec<String> = rel_type.iter().cloned().collect();
                importer.csv_group(false, &default, files)?
            }
            Source::JsonLines(path) => jsonl::read(importer, path, false)?,
            Source::Nodes { .. } => {}
        }
    }
    // Indexes are filled once, after the data; a bulk load fills each in its own commit.
    if let Some(schema) = schema {
        for (label, key) in &schema.indexes {
            importer.next_batch()?;
            importer.txn()?.create_index(label, key)?;
        }
    }
    Ok(())
}

/// Lets the JSON Lines reader use the same id spaces and bad-row accounting.
pub(crate) trait Sink {
    /// Adds a node, registering its id when given.
    fn add_node(&mut self, id: Option<&str>, record: NodeRecord) -> Result<(), RowOutcome>;
    /// Adds a relationship between two ids.
    fn add_edge(
        &mut self,
        start: &str,
        end: &str,
        rel_type: String,
        props: Props,
        citations: Vec<Citation>,
    ) -> Result<(), RowOutcome>;
    /// Reports a bad row.
    fn bad(&mut self, path: &Path, line: u64, message: String) -> Result<(), RowOutcome>;
    /// Reports progress within the current file.
    fn progress(&mut self, bytes: u64);
    /// Marks a file done.
    fn file_done(&mut self, path: &Path, count_file: bool);
}

/// Why a JSON Lines row stopped.
pub(crate) enum RowOutcome {
    /// The row is bad; report and go on.
    Bad(String),
    /// Stop the import.
    Stop(Stop),
}

impl Sink for Importer<'_> {
    fn add_node(&mut self, id: Option<&str>, record: NodeRecord) -> Result<(), RowOutcome> {
        if let Some(id) = id
            && self.lookup(GLOBAL_SPACE, id).map_err(RowOutcome::Bad)?.is_some()
        {
            return Err(RowOutcome::Bad(format!("duplicate id `{id}`")));
        }
        let txn = self.txn().map_err(RowOutcome::Stop)?;
        let node = txn.create_node(record).map_err(|e| RowOutcome::Stop(e.into()))?;
        if let Some(id) = id {
            self.register(GLOBAL_SPACE, id, node).map_err(RowOutcome::Bad)?;
        }
        self.summary.nodes += 1;
        self.created().map_err(RowOutcome::Stop)
    }

    fn add_edge(
        &mut self,
        start: &str,
        end: &str,
        rel_type: String,
        props: Props,
        citations: Vec<Citation>,
    ) -> Result<(), RowOutcome> {
        let find = |me: &Self, id: &str, which: &str| -> Result<NodeId, RowOutcome> {
            me.lookup(GLOBAL_SPACE, id)
                .map_err(RowOutcome::Bad)?
                .ok_or_else(|| RowOutcome::Bad(format!("missing endpoint: no node with id `{id}` ({which})")))
        };
        let start = find(self, start, "start")?;
        let end = find(self, end, "end")?;
        self.put_edge(EdgeRecord {
            rel_type,
            start,
            end,
            props,
            citations,
        })
        .map_err(RowOutcome::Stop)
    }

    fn bad(&mut self, path: &Path, line: u64, message: String) -> Result<(), RowOutcome> {
        self.bad_row(path, line, message).map_err(RowOutcome::Stop)
    }

    fn progress(&mut self, bytes: u64) {
        self.tick(bytes);
    }

    fn file_done(&mut self, path: &Path, count_file: bool) {
        if count_file {
            self.summary.files += 1;
        }
        if let Ok(meta) = std::fs::metadata(path) {
            self.bytes_before += meta.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_name_their_text_exactly() {
        assert_eq!(plain_number("0"), Some(0));
        assert_eq!(plain_number("42"), Some(42));
        for not in ["", "007", "-1", "+1", "1.0", "1e3", "12345678901234567890", "x"] {
            assert_eq!(plain_number(not), None, "{not}");
        }
    }

    #[test]
    fn groups_read_labels_and_files() {
        let (labels, files) = parse_group("Message:Comment=h.csv,d.csv").unwrap();
        assert_eq!(labels.as_deref(), Some("Message:Comment"));
        assert_eq!(files, [PathBuf::from("h.csv"), PathBuf::from("d.csv")]);
        let (labels, files) = parse_group("dir/x=y.csv").unwrap();
        assert_eq!((labels, files), (None, vec![PathBuf::from("dir/x=y.csv")]));
        assert!(parse_group("T=").is_err());
    }
}
