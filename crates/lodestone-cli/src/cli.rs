//! The command line's grammar.

use crate::export::ExportFormat;
use crate::format::Format;
use crate::import::IdType;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Without --db or --memory, commands use the default database: the bundled rare-earth
knowledge graph, built on first use at $LODESTONE_HOME/default.db (LODESTONE_HOME
defaults to $XDG_DATA_HOME/lodestone or ~/.local/share/lodestone).

With no command, `lode` opens the shell on a terminal and runs standard input as a
script otherwise.

Exit codes: 0 success, 1 a query or data error, 2 a usage error.";

/// Lodestone: an embedded knowledge graph of critical-minerals supply chains.
#[derive(Debug, Parser)]
#[command(name = "lode", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Database directory (created when missing).
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
    /// Use a new empty database in memory (gone when the command ends).
    #[arg(long, global = true)]
    pub memory: bool,
    /// Open the database for reading only.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_enum, global = true)]
    pub format: Option<Format>,
    /// A query parameter, `NAME=VALUE`; VALUE is a literal (42, 'text', $1.5M, @2025-09, [1, 2]) or plain text.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", global = true)]
    pub params: Vec<String>,
    /// Time budget per statement in seconds (0 for none) [default: 60].
    #[arg(long, value_name = "SECONDS", global = true)]
    pub timeout: Option<f64>,
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the interactive shell.
    Shell,
    /// Run one statement or question and print its result.
    Query {
        /// The statement or question.
        text: String,
    },
    /// Run script files (`-` for standard input); each statement commits on its own.
    Run {
        /// Script files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Go on after a failing statement (the exit code is still 1).
        #[arg(long = "continue")]
        keep_going: bool,
    },
    /// Bulk-import CSV files (neo4j-admin convention) and JSON Lines.
    Import(ImportArgs),
    /// Export the whole graph as JSON Lines, CSV or GraphML.
    Export(ExportArgs),
    /// Run a read-only query on Apache Spark over tables exported from the database.
    Spark(crate::spark::SparkArgs),
    /// Draw the subgraph of an answer (SVG, PNG, PDF or DOT).
    Viz {
        /// A question or statement whose answer to draw.
        text: String,
        /// The picture file: .svg, .png, .pdf (with Graphviz) or .dot.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Counts per label and type, size on disk and format version.
    Info,
    /// Check every index against the records.
    Check,
}

/// Options of `lode import`.
#[derive(Debug, Args)]
#[command(after_help = "\
Headers follow neo4j-admin import: `id:ID(Space)`, `:LABEL`, `name`, `amount:float`,
`year:int`, `tags:string[]`, `:START_ID(Space)`, `:END_ID(Space)`, `:TYPE`, `x:IGNORE`;
plus the types money (`USD 1500000`, `$1.5M`), percent (`15`, `15%`), date (`2025-09`)
and value (any literal). The import is all-or-nothing unless --skip-bad is given.")]
pub struct ImportArgs {
    /// Node files: `[Label[:Label...]=]FILE[,FILE...]`; the first file's first line is the header.
    #[arg(long, value_name = "[LABELS=]FILES")]
    pub nodes: Vec<String>,
    /// Relationship files: `[TYPE=]FILE[,FILE...]`.
    #[arg(long, visible_alias = "relationships", value_name = "[TYPE=]FILES")]
    pub edges: Vec<String>,
    /// JSON Lines files (`.jsonl`) or directories written by `lode export --to csv`.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Field delimiter: one character, or `TAB`.
    #[arg(long, default_value = ",", value_name = "CHAR")]
    pub delimiter: String,
    /// Separator of array elements and of labels in `:LABEL` cells.
    #[arg(long, default_value = ";", value_name = "CHAR")]
    pub array_delimiter: String,
    /// Quote character.
    #[arg(long, default_value = "\"", value_name = "CHAR")]
    pub quote: String,
    /// How `:ID`, `:START_ID` and `:END_ID` values are read.
    #[arg(long, value_enum, default_value = "string")]
    pub id_type: IdType,
    /// In a group of several files, the first is a header file and each later file's own first line is skipped.
    #[arg(long)]
    pub skip_data_headers: bool,
    /// Import the good rows and list the bad ones instead of importing nothing.
    #[arg(long)]
    pub skip_bad: bool,
    /// How many bad rows to list (and, without --skip-bad, to read before giving up).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_errors: usize,
    /// A schema.json (as written by the CSV export) to declare before the data.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Rows per commit when the database has never been written (a new database):
    /// only one batch of rows is held in memory, and an import that fails or is killed is
    /// discarded whole.
    #[arg(long, default_value_t = 250_000, value_name = "N")]
    pub batch_rows: u64,
}

/// Options of `lode export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write [default: from the output's extension; csv for a directory].
    #[arg(long = "to", value_enum)]
    pub to: Option<ExportFormat>,
    /// Output file (JSON Lines, GraphML; `-` or none for standard output) or directory (CSV).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Field delimiter for CSV.
    #[arg(long, default_value = ",", value_name = "CHAR")]
    pub delimiter: String,
}

/// Reads a one-byte delimiter option (`TAB` and `\t` mean a tab).
pub fn delimiter_byte(text: &str, what: &str) -> Result<u8, String> {
    match text {
        "TAB" | "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() => Ok(t.as_bytes()[0]),
        t => Err(format!("{what} must be one ASCII character, got `{t}`")),
    }
}
