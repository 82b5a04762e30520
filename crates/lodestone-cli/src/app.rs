//! Dispatch: opens the database the options name and runs the subcommand.

use crate::cli::{Cli, Command, ExportArgs, ImportArgs, delimiter_byte};
use crate::export::{self, ExportFormat};
use crate::format::{Format, RenderOptions, render};
use crate::import::{self, ImportOptions, Source};
use crate::report::{CliError, CliResult, render_error, show, whole};
use crate::style::Style;
use crate::{home, repl, script, viz};
use clap::Parser;
use lodestone::{CancelToken, Database, ExecOptions, Limits, Params, literal};
use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Runs `lode` with these arguments (the first is the program name) and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            show(&e);
            e.exit_code()
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(Style::stderr().enabled)
        .try_init();
}

/// What every command shares: the database, the output format and statement options.
pub struct Session {
    /// The open database.
    pub db: Database,
    /// How results are written.
    pub format: Format,
    /// Parameters, limits and the cancellation flag.
    pub options: ExecOptions,
    /// Where the database lives, for messages.
    pub place: String,
}

fn parse_params(list: &[String]) -> CliResult<Params> {
    let mut params = Params::new();
    for p in list {
        let (name, value) = literal::parse_param(p).map_err(|e| CliError::Usage(format!("--param: {e}")))?;
        params.insert(name, value);
    }
    Ok(params)
}

fn limits(timeout: Option<f64>) -> CliResult<Limits> {
    let mut limits = Limits::default();
    if let Some(t) = timeout {
        if !t.is_finite() || t < 0.0 {
            return Err(CliError::Usage(format!(
                "--timeout must be a number of seconds, got {t}"
            )));
        }
        limits.timeout = (t > 0.0).then(|| Duration::from_secs_f64(t));
    }
    Ok(limits)
}

fn open_db(cli: &Cli) -> CliResult<(Database, String)> {
    if cli.db.is_some() && cli.memory {
        return Err(CliError::Usage("--db and --memory cannot be used together".into()));
    }
    if cli.memory {
        return Ok((Database::in_memory(), "memory".into()));
    }
    let path = match &cli.db {
        Some(p) => p.clone(),
        None => home::ensure_default_db()?,
    };
    let db = if cli.read_only {
        if !path.exists() {
            return Err(CliError::Usage(format!(
                "no database at {} to open read-only",
                path.display()
            )));
        }
        Database::open_read_only(&path)?
    } else {
        Database::open(&path)?
    };
    Ok((db, path.display().to_string()))
}

/// Cancels the running statement on the first Ctrl-C and exits on the second.
fn install_ctrlc(token: &CancelToken) {
    let token = token.clone();
    let _ = ctrlc::set_handler(move || {
        if token.is_cancelled() {
            std::process::exit(130);
        }
        token.cancel();
    });
}

fn default_format(cli: &Cli) -> Format {
    cli.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult<()> {
    let params = parse_params(&cli.params)?;
    let limits = limits(cli.timeout)?;
    // Check options that need no database before opening (and maybe building) one.
    if let Some(Command::Run { files, .. }) = &cli.command {
        for f in files.iter().filter(|f| f.as_os_str() != "-") {
            if !f.is_file() {
                return Err(CliError::Usage(format!("no such script file: {}", f.display())));
            }
        }
    }
    if let Some(Command::Viz { output, .. }) = &cli.command {
        let ext = output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !matches!(ext.as_str(), "svg" | "png" | "pdf" | "dot" | "gv") {
            return Err(CliError::Usage(format!(
                "cannot tell the picture format from `{}`: use .svg, .png, .pdf or .dot",
                output.display()
            )));
        }
    }
    let (db, place) = open_db(&cli)?;
    tracing::info!(database = %place, read_only = cli.read_only, "opened the database");
    let format = default_format(&cli);
    let options = ExecOptions {
        params,
        limits,
        cancel: CancelToken::new(),
    };
    let session = Session {
        db,
        format,
        options,
        place,
    };
    match cli.command {
        None if std::io::stdin().is_terminal() => {
            install_ctrlc(&session.options.cancel);
            repl::run(session)
        }
        None => {
            install_ctrlc(&session.options.cancel);
            run_files(&session, &[PathBuf::from("-")], false)
        }
        Some(Command::Shell) => {
            install_ctrlc(&session.options.cancel);
            repl::run(session)
        }
        Some(Command::Query { text }) => {
            install_ctrlc(&session.options.cancel);
            query(&session, &text)
        }
        Some(Command::Run { files, keep_going }) => {
            install_ctrlc(&session.options.cancel);
            run_files(&session, &files, keep_going)
        }
        Some(Command::Import(args)) => {
            import_cmd(&session, &args)?;
            // The next open then starts from a snapshot instead of replaying the load.
            let path = session.db.info()?.path;
            drop(session);
            if let Some(path) = path {
                Database::settle(&path)?;
            }
            Ok(())
        }
        Some(Command::Export(args)) => export_cmd(&session, &args),
        Some(Command::Spark(args)) => crate::spark::spark_cmd(&session, &args),
        Some(Command::Viz { text, output }) => viz_cmd(&session, &text, &output),
        Some(Command::Info) => info(&session),
        Some(Command::Check) => check(&session),
    }
}

/// Options for writing results to standard output.
pub fn stdout_render_options() -> RenderOptions {
    let style = Style::stdout();
    let width = if std::io::stdout().is_terminal() {
        terminal_width()
    } else {
        None
    };
    RenderOptions {
        max_rows: None,
        max_cell: None,
        width,
        style,
    }
}

/// The terminal's width in columns, when known.
pub fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn query(session: &Session, text: &str) -> CliResult<()> {
    match session.db.query_with(text, &session.options) {
        Ok(out) => {
            print(&render(&out, session.format, &stdout_render_options()));
            Ok(())
        }
        Err(e) => {
            eprintln!("{}", render_error(&e, None, Style::stderr(), whole(text)));
            Err(CliError::Reported)
        }
    }
}

fn read_script(path: &Path) -> CliResult<(String, String)> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Data(format!("cannot read standard input: {e}")))?;
        return Ok(("<stdin>".into(), text));
    }
    let bytes = std::fs::read(path).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        CliError::Data(format!(
            "{}: not valid UTF-8 (at byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok((path.display().to_string(), text))
}

/// Runs script files in order; stops at the first failing statement unless `keep_going`.
pub fn run_files(session: &Session, files: &[PathBuf], keep_going: bool) -> CliResult<()> {
    let render_options = stdout_render_options();
    let mut failed = 0;
    for file in files {
        let (name, text) = read_script(file)?;
        let outcome = script::run_script(
            &session.db,
            &name,
            &text,
            &session.options,
            keep_going,
            Style::stderr(),
            |out| print(&render(out, session.format, &render_options)),
        );
        failed += outcome.failed;
        if outcome.failed > 0 && !keep_going {
            return Err(CliError::Reported);
        }
    }
    if failed > 0 { Err(CliError::Reported) } else { Ok(()) }
}

fn one_char(text: &str, what: &str) -> CliResult<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ if text == "TAB" || text == "\\t" => Ok('\t'),
        _ => Err(CliError::Usage(format!("{what} must be one character, got `{text}`"))),
    }
}

fn import_cmd(session: &Session, args: &ImportArgs) -> CliResult<()> {
    let delimiter = delimiter_byte(&args.delimiter, "--delimiter").map_err(CliError::Usage)?;
    let quote = delimiter_byte(&args.quote, "--quote").map_err(CliError::Usage)?;
    let array_delimiter = one_char(&args.array_delimiter, "--array-delimiter")?;
    let mut sources = Vec::new();
    let mut schema_path = args.schema.clone();
    for spec in &args.nodes {
        let (labels, files) = import::parse_group(spec).map_err(|e| CliError::Usage(format!("--nodes: {e}")))?;
        let labels = labels
            .map(|l| l.split(':').filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        sources.push(Source::Nodes { labels, files });
    }
    for spec in &args.edges {
        let (rel_type, files) = import::parse_group(spec).map_err(|e| CliError::Usage(format!("--edges: {e}")))?;
        sources.push(Source::Edges { rel_type, files });
    }
    for path in &args.paths {
        if path.is_dir() {
            let (found, schema) = import::export_dir_sources(path)?;
            sources.extend(found);
            if schema_path.is_none() {
                schema_path = schema;
            }
        } else {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            match ext.as_str() {
                "jsonl" | "json" | "ndjson" => sources.push(Source::JsonLines(path.clone())),
                _ if !path.exists() => return Err(CliError::Usage(format!("no such file: {}", path.display()))),
                _ => {
                    return Err(CliError::Usage(format!(
                        "{}: give CSV files with --nodes or --edges; plain paths are JSON Lines (.jsonl) or export directories",
                        path.display()
                    )));
                }
            }
        }
    }
    if sources.is_empty() && schema_path.is_none() {
        return Err(CliError::Usage(
            "nothing to import: give --nodes, --edges, .jsonl files or a directory".into(),
        ));
    }
    let schema = schema_path.as_deref().map(import::read_schema_file).transpose()?;
    let options = ImportOptions {
        delimiter,
        array_delimiter,
        quote,
        id_type: args.id_type,
        skip_data_headers: args.skip_data_headers,
        skip_bad: args.skip_bad,
        max_errors: args.max_errors.max(1),
        batch_rows: args.batch_rows.max(1),
        progress: !args.no_progress && std::io::stderr().is_terminal(),
    };
    tracing::info!(sources = sources.len(), "importing");
    let summary = import::import(&session.db, &sources, schema.as_ref(), &options)?;
    tracing::info!(nodes = summary.nodes, relationships = summary.edges, "import committed");
    let style = Style::stderr();
    if summary.skipped > 0 {
        eprintln!(
            "{}",
            style.warn(&format!(
                "Skipped {} bad row{}:",
                summary.skipped,
                if summary.skipped == 1 { "" } else { "s" }
            ))
        );
        for m in &summary.messages {
            eprintln!("  {m}");
        }
    }
    if session.format == Format::Json {
        print(&format!(
            "{}\n",
            serde_json::json!({"nodes": summary.nodes, "relationships": summary.edges, "files": summary.files,
                "skipped": summary.skipped, "seconds": summary.elapsed.as_secs_f64()})
        ));
    } else {
        print(&format!(
            "Imported {} node{} and {} relationship{} from {} file{} in {:.2} s into {}.\n",
            summary.nodes,
            if summary.nodes == 1 { "" } else { "s" },
            summary.edges,
            if summary.edges == 1 { "" } else { "s" },
            summary.files,
            if summary.files == 1 { "" } else { "s" },
            summary.elapsed.as_secs_f64(),
            session.place
        ));
    }
    Ok(())
}

fn export_cmd(session: &Session, args: &ExportArgs) -> CliResult<()> {
    let delimiter = delimiter_byte(&args.delimiter, "--delimiter").map_err(CliError::Usage)?;
    let out = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    let format = args
        .to
        .unwrap_or_else(|| out.map_or(ExportFormat::Jsonl, ExportFormat::guess));
    let summary = export::export(&session.db, format, out, delimiter)?;
    let place = match out {
        Some(p) => p.display().to_string(),
        None => "standard output".into(),
    };
    eprintln!(
        "{}",
        Style::stderr().dim(&format!(
            "Exported {} nodes and {} relationships to {place}.",
            summary.nodes, summary.edges
        ))
    );
    Ok(())
}

fn viz_cmd(session: &Session, text: &str, output: &Path) -> CliResult<()> {
    let out = match session.db.query_with(text, &session.options) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("{}", render_error(&e, None, Style::stderr(), whole(text)));
            return Err(CliError::Reported);
        }
    };
    let g = viz::subgraph(&session.db, &out)?;
    if g.nodes.is_empty() {
        return Err(CliError::Data(
            "the answer has no nodes or relationships to draw".into(),
        ));
    }
    let drawn = viz::draw(&g, output)?;
    eprintln!(
        "{}",
        Style::stderr().dim(&format!(
            "Wrote {} ({} nodes, {} relationships).",
            drawn.path.display(),
            g.nodes.len(),
            g.edges.len()
        ))
    );
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn info(session: &Session) -> CliResult<()> {
    let info = session.db.info()?;
    let stats = session.db.stats()?;
    if session.format == Format::Json {
        let doc = serde_json::json!({
            "path": info.path.as_ref().map(|p| p.display().to_string()),
            "format_version": info.format_version,
            "size_on_disk": info.size_on_disk,
            "read_only": info.read_only,
            "nodes": stats.nodes,
            "relationships": stats.edges,
            "labels": stats.labels,
            "types": stats.types,
        });
        print(&format!("{doc}\n"));
        return Ok(());
    }
    let style = Style::stdout();
    let mut s = String::new();
    let path = info
        .path
        .as_ref()
        .map_or_else(|| "(in memory)".to_string(), |p| p.display().to_string());
    s.push_str(&format!("{} {path}\n", style.bold("database:")));
    s.push_str(&format!("{} {}\n", style.bold("format version:"), info.format_version));
    s.push_str(&format!(
        "{} {} ({} bytes)\n",
        style.bold("size on disk:"),
        human_bytes(info.size_on_disk),
        info.size_on_disk
    ));
    s.push_str(&format!(
        "{} {}\n",
        style.bold("read-only:"),
        if info.read_only { "yes" } else { "no" }
    ));
    s.push_str(&format!("{} {}\n", style.bold("nodes:"), stats.nodes));
    s.push_str(&format!("{} {}\n", style.bold("relationships:"), stats.edges));
    let width = stats
        .labels
        .keys()
        .chain(stats.types.keys())
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    if !stats.labels.is_empty() {
        s.push_str(&format!("{}\n", style.bold("labels:")));
        for (label, n) in &stats.labels {
            s.push_str(&format!("  {label:<width$}  {n}\n"));
        }
    }
    if !stats.types.is_empty() {
        s.push_str(&format!("{}\n", style.bold("relationship types:")));
        for (t, n) in &stats.types {
            s.push_str(&format!("  {t:<width$}  {n}\n"));
        }
    }
    print(&s);
    Ok(())
}

fn check(session: &Session) -> CliResult<()> {
    let report = session.db.check()?;
    if session.format == Format::Json {
        print(&format!(
            "{}\n",
            serde_json::json!({"nodes": report.nodes, "relationships": report.edges, "problems": report.problems})
        ));
    } else if report.problems.is_empty() {
        print(&format!(
            "ok: checked {} nodes and {} relationships; every index agrees with the records.\n",
            report.nodes, report.edges
        ));
    } else {
        let style = Style::stderr();
        eprintln!(
            "{}",
            style.error(&format!("{} problem(s) found:", report.problems.len()))
        );
        for p in &report.problems {
            eprintln!("  {p}");
        }
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Reported)
    }
}
