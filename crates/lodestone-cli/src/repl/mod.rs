//! The interactive shell: statements end at `;`, questions at the end of their line;
//! `:commands` for help, schema, formats, timing, parameters, sources, plans, scripts
//! and pictures. Ctrl-C cancels a running statement and keeps the session; Ctrl-D exits.

pub mod helper;

use crate::app::{Session, terminal_width};
use crate::format::{Format, RenderOptions, render};
use crate::report::{CliError, CliResult, render_error, whole};
use crate::style::Style;
use crate::{home, script, split, viz};
use helper::{COMMANDS, LodeHelper, Words};
use lodestone::{Database, ExecOptions, Output, Value, literal};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Rows shown before a result is cut, unless changed with `:rows`.
const DEFAULT_ROWS: usize = 50;
/// Characters shown per cell before it is cut.
const MAX_CELL: usize = 120;

/// The shell's state between inputs.
pub struct Repl {
    db: Database,
    format: Format,
    options: ExecOptions,
    timing: bool,
    max_rows: Option<usize>,
    /// The last statement that ran and its answer.
    last: Option<(String, Output)>,
    words: Arc<RwLock<Words>>,
    out: Style,
    err: Style,
}

/// Whether the shell goes on after an input.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Read the next input.
    Continue,
    /// Leave.
    Quit,
}

fn history_path() -> PathBuf {
    home::home_dir().join("history.txt")
}

/// Runs the shell until `:quit` or Ctrl-D.
pub fn run(session: Session) -> CliResult<()> {
    let words = Arc::new(RwLock::new(Words::load(&session.db)));
    let mut repl = Repl {
        db: session.db,
        format: session.format,
        options: session.options,
        timing: false,
        max_rows: Some(DEFAULT_ROWS),
        last: None,
        words: Arc::clone(&words),
        out: Style::stdout(),
        err: Style::stderr(),
    };
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .max_history_size(5_000)
        .map_err(|e| CliError::Data(e.to_string()))?
        .build();
    let mut editor: Editor<LodeHelper, DefaultHistory> =
        Editor::with_config(config).map_err(|e| CliError::Data(format!("cannot start the shell: {e}")))?;
    editor.set_helper(Some(LodeHelper::new(words)));
    let history = history_path();
    let _ = editor.load_history(&history);
    println!(
        "{}",
        repl.out.dim(&format!(
            "Lodestone {} on {}. End statements with `;` (questions end at the line end). :help for help, Ctrl-D to leave.",
            env!("CARGO_PKG_VERSION"),
            session.place
        ))
    );
    loop {
        match editor.readline("lode> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line.trim_end());
                if repl.handle(&line) == Next::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("{}", repl.out.dim("(input cleared; Ctrl-D or :quit to leave)"));
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("{}", repl.err.error(&format!("error: {e}")));
                break;
            }
        }
    }
    if let Some(parent) = history.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = editor.save_history(&history);
    Ok(())
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl Repl {
    fn render_options(&self) -> RenderOptions {
        RenderOptions {
            max_rows: self.max_rows,
            max_cell: Some(MAX_CELL),
            width: terminal_width(),
            style: self.out,
        }
    }

    fn show(&self, out: &Output) {
        print(&render(out, self.format, &self.render_options()));
        if self.timing {
            println!(
                "{}",
                self.out.dim(&format!(
                    "compile {}, execute {}",
                    ms(out.compile_time),
                    ms(out.exec_time)
                ))
            );
        }
    }

    fn after_write(&self, out: &Output) {
        if !out.counters.is_empty()
            && let Ok(mut w) = self.words.write()
        {
            *w = Words::load(&self.db);
        }
    }

    fn reset_cancel(&self) {
        self.options.cancel.reset();
    }

    /// Handles one complete input: a `:command`, or statements and questions.
    pub fn handle(&mut self, input: &str) -> Next {
        let trimmed = input.trim();
        if trimmed.starts_with(':') {
            return self.command(trimmed);
        }
        let pieces = split::split(input);
        self.reset_cancel();
        if pieces.len() <= 1 {
            let text = input.trim();
            match self.db.query_with(text, &self.options) {
                Ok(out) => {
                    self.show(&out);
                    self.after_write(&out);
                    self.last = Some((text.to_string(), out));
                }
                Err(e) => eprintln!("{}", render_error(&e, None, self.err, whole(text))),
            }
        } else {
            self.script("input", input);
        }
        Next::Continue
    }

    fn script(&mut self, name: &str, text: &str) {
        let mut last = None;
        let mut wrote = false;
        let format = self.format;
        let options = self.render_options();
        let timing = self.timing;
        let style = self.out;
        script::run_script(&self.db, name, text, &self.options, false, self.err, |out| {
            print(&render(out, format, &options));
            if timing {
                println!(
                    "{}",
                    style.dim(&format!(
                        "compile {}, execute {}",
                        ms(out.compile_time),
                        ms(out.exec_time)
                    ))
                );
            }
            wrote |= !out.counters.is_empty();
            last = Some(out.clone());
        });
        if wrote && let Ok(mut w) = self.words.write() {
            *w = Words::load(&self.db);
        }
        if let Some(out) = last {
            let stmt = split::split(text)
                .last()
                .map(|p| text[p.start..p.end].to_string())
                .unwrap_or_default();
            self.last = Some((stmt, out));
        }
    }

    fn note(&self, text: &str) {
        println!("{}", self.out.dim(text));
    }

    fn fail(&self, text: &str) {
        eprintln!("{}", self.err.error(&format!("error: {text}")));
    }

    fn command(&mut self, line: &str) -> Next {
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match name {
            ":quit" | ":q" | ":exit" => return Next::Quit,
            ":help" | ":h" | ":?" => self.help(),
            ":format" => match rest {
                "" => self.note(&format!("format: {}", self.format.name())),
                f => match Format::parse(f) {
                    Some(f) => {
                        self.format = f;
                        self.note(&format!("format: {}", f.name()));
                    }
                    None => self.fail(&format!("unknown format `{f}`: use table, json, csv or markdown")),
                },
            },
            ":timing" => {
                self.timing = match rest {
                    "on" => true,
                    "off" => false,
                    _ => !self.timing,
                };
                self.note(&format!("timing: {}", if self.timing { "on" } else { "off" }));
            }
            ":rows" => match rest {
                "all" | "0" => {
                    self.max_rows = None;
                    self.note("rows: all");
                }
                n => match n.parse::<usize>() {
                    Ok(n) => {
                        self.max_rows = Some(n);
                        self.note(&format!("rows: {n}"));
                    }
                    Err(_) => self.fail("use :rows N or :rows all"),
                },
            },
            ":params" => self.params(),
            ":param" => self.param(rest),
            ":schema" => self.schema(),
            ":why" => self.why(),
            ":explain" => self.explain(rest),
            ":read" => {
                if rest.is_empty() {
                    self.fail("use :read FILE");
                } else {
                    match std::fs::read_to_string(rest) {
                        Ok(text) => {
                            self.reset_cancel();
                            self.script(rest, &text);
                        }
                        Err(e) => self.fail(&format!("cannot read {rest}: {e}")),
                    }
                }
            }
            ":viz" => self.viz(rest),
            other => {
                let close: Vec<&str> = COMMANDS
                    .iter()
                    .map(|(c, _)| *c)
                    .filter(|c| c.starts_with(other))
                    .collect();
                if close.is_empty() {
                    self.fail(&format!("unknown command `{other}`; :help lists the commands"));
                } else {
                    self.fail(&format!(
                        "unknown command `{other}`; did you mean {}?",
                        close.join(" or ")
                    ));
                }
            }
        }
        Next::Continue
    }

    fn help(&self) {
        let mut s = String::new();
        s.push_str("Type a statement ending with `;`, or a question on one line:\n");
        s.push_str("  MATCH (c:Company)-[:OWNS]->(d) RETURN c.name, d.name;\n");
        s.push_str("  who funds Round Top\n  partners of USA Rare Earth\n  path from Apple to Mountain Pass\n\n");
        let width = COMMANDS.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
        for (c, d) in COMMANDS {
            s.push_str(&format!("  {c:<width$}  {d}\n"));
        }
        s.push_str("\nTab completes keywords, labels, types, property keys, names and commands.\n");
        s.push_str("Ctrl-C cancels a running statement; Ctrl-D leaves.\n");
        print(&s);
    }

    fn params(&self) {
        if self.options.params.is_empty() {
            self.note("no parameters; set one with :param name => value");
            return;
        }
        for (k, v) in &self.options.params {
            println!("${k} => {}", literal::format_literal(v));
        }
    }

    fn param(&mut self, rest: &str) {
        match literal::parse_param(rest) {
            Ok((name, Value::Null)) => {
                self.options.params.remove(&name);
                self.note(&format!("${name} removed"));
            }
            Ok((name, value)) => {
                self.note(&format!("${name} => {}", literal::format_literal(&value)));
                self.options.params.insert(name, value);
            }
            Err(e) => self.fail(&format!("{e}; use :param name => value")),
        }
    }

    fn schema(&mut self) {
        self.reset_cancel();
        match self.db.query_with("SHOW SCHEMA", &self.options) {
            Ok(out) => self.show(&out),
            Err(e) => tracing::debug!("SHOW SCHEMA failed: {e}"),
        }
        match self.db.stats() {
            Ok(stats) => {
                let mut s = String::new();
                s.push_str(&format!("{} nodes, {} relationships\n", stats.nodes, stats.edges));
                if !stats.labels.is_empty() {
                    s.push_str("labels: ");
                    s.push_str(
                        &stats
                            .labels
                            .iter()
                            .map(|(k, n)| format!("{k} ({n})"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    s.push('\n');
                }
                if !stats.types.is_empty() {
                    s.push_str("relationship types: ");
                    s.push_str(
                        &stats
                            .types
                            .iter()
                            .map(|(k, n)| format!("{k} ({n})"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    s.push('\n');
                }
                print(&s);
            }
            Err(e) => self.fail(&e.to_string()),
        }
    }

    fn why(&self) {
        let Some((_, out)) = &self.last else {
            self.note("no answer yet");
            return;
        };
        match why_text(&self.db, out) {
            Ok(text) => print(&text),
            Err(e) => self.fail(&e.to_string()),
        }
    }

    fn explain(&mut self, rest: &str) {
        let stmt = if rest.is_empty() {
            match &self.last {
                Some((s, _)) => s.clone(),
                None => {
                    self.note("no statement yet: use :explain STATEMENT");
                    return;
                }
            }
        } else {
            rest.to_string()
        };
        let stmt = stmt.trim().trim_end_matches(';').to_string();
        let stripped = stmt.trim_start();
        let text = if stripped.get(..8).is_some_and(|w| w.eq_ignore_ascii_case("explain ")) {
            stmt.clone()
        } else {
            format!("EXPLAIN {stmt}")
        };
        self.reset_cancel();
        match self.db.query_with(&text, &self.options) {
            Ok(out) => {
                if let Some(plan) = &out.plan {
                    print(&format!("{plan}\n"));
                } else {
                    self.show(&out);
                }
            }
            Err(e) => eprintln!("{}", render_error(&e, None, self.err, whole(&text))),
        }
    }

    fn viz(&self, rest: &str) {
        let Some((_, out)) = &self.last else {
            self.note("no answer to draw yet");
            return;
        };
        let path = if rest.is_empty() {
            PathBuf::from("answer.svg")
        } else {
            PathBuf::from(rest)
        };
        let result = viz::subgraph(&self.db, out).and_then(|g| {
            if g.nodes.is_empty() {
                return Err(CliError::Data(
                    "the last answer has no nodes or relationships to draw".into(),
                ));
            }
            let n = (g.nodes.len(), g.edges.len());
            viz::draw(&g, &path).map(|d| (d, n))
        });
        match result {
            Ok((drawn, (nodes, edges))) => self.note(&format!(
                "wrote {} ({nodes} nodes, {edges} relationships)",
                drawn.path.display()
            )),
            Err(e) => self.fail(&e.to_string()),
        }
    }
}

/// The citations of every node and relationship in an answer, as text.
pub fn why_text(db: &Database, out: &Output) -> CliResult<String> {
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    fn walk(v: &Value, nodes: &mut BTreeSet<u64>, edges: &mut BTreeSet<u64>) {
        match v {
            Value::Node(n) => {
                nodes.insert(n.id.0);
            }
            Value::Edge(e) => {
                edges.insert(e.id.0);
            }
            Value::Path(p) => {
                nodes.extend(p.nodes.iter().map(|n| n.id.0));
                edges.extend(p.edges.iter().map(|e| e.id.0));
            }
            Value::List(items) => items.iter().for_each(|i| walk(i, nodes, edges)),
            Value::Map(m) => m.values().for_each(|i| walk(i, nodes, edges)),
            _ => {}
        }
    }
    for row in &out.rows {
        for v in row {
            walk(v, &mut nodes, &mut edges);
        }
    }
    let mut s = String::new();
    // An answer that already carries a `sources` column is its own explanation.
    if let Some(col) = out.columns.iter().position(|c| c.eq_ignore_ascii_case("sources")) {
        for row in &out.rows {
            if let Some(v) = row.get(col) {
                s.push_str(&format!("{}\n", crate::format::cell_text(v)));
            }
        }
    }
    let read = db.read()?;
    let name_of = |props: &lodestone::Props, id: u64| match props.get("name") {
        Some(Value::String(n)) => n.clone(),
        _ => format!("#{id}"),
    };
    for id in nodes {
        if let Some(rec) = read.node(lodestone::NodeId(id))? {
            s.push_str(&format!("({}:{})\n", name_of(&rec.props, id), rec.labels.join(":")));
            if rec.citations.is_empty() {
                s.push_str("  no sources recorded\n");
            }
            for c in &rec.citations {
                s.push_str(&format!("  {c}\n"));
            }
        }
    }
    for id in edges {
        if let Some(rec) = read.edge(lodestone::EdgeId(id))? {
            let start = read
                .node(rec.start)?
                .map(|n| name_of(&n.props, rec.start.0))
                .unwrap_or_default();
            let end = read
                .node(rec.end)?
                .map(|n| name_of(&n.props, rec.end.0))
                .unwrap_or_default();
            s.push_str(&format!("({start})-[:{}]->({end})\n", rec.rel_type));
            if rec.citations.is_empty() {
                s.push_str("  no sources recorded\n");
            }
            for c in &rec.citations {
                s.push_str(&format!("  {c}\n"));
            }
        }
    }
    if s.is_empty() {
        s.push_str("The last answer holds no nodes, relationships or sources to explain.\n");
    }
    Ok(s)
}
