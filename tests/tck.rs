//! Conformance runner for the openCypher Technology Compatibility Kit (TCK).
//!
//! Reads the TCK's Gherkin features from `LODESTONE_TCK_DIR` (default
//! `../shared/tck/features` next to the workspace), runs every scenario not named in
//! `tests/tck/skip.txt` on a fresh in-memory database, prints pass / fail / skip counts
//! per feature folder and writes the details to `target/tck-report.md` (and one JSON
//! line per scenario to `target/tck-results.jsonl`).
//!
//! The run fails only on a regression: a scenario listed in `tests/tck/expected_pass.txt`
//! that no longer passes. `LODESTONE_TCK_BLESS=1` rewrites that list from the run.
//!
//! Scenarios run in worker processes (this same binary, started with
//! `LODESTONE_TCK_WORKER=1`) so that a crash or a hang fails one scenario instead of
//! the whole run. Other settings: `LODESTONE_TCK_JOBS` (workers), `LODESTONE_TCK_QUERY_TIMEOUT`
//! (seconds per query, default 5), `LODESTONE_TCK_SCENARIO_TIMEOUT` (seconds per
//! scenario, default 30). A free argument filters scenarios by a substring of their key.

#[path = "tck/gherkin.rs"]
mod gherkin;
#[path = "tck/report.rs"]
mod report;
#[path = "tck/steps.rs"]
mod steps;
#[path = "tck/values.rs"]
mod values;

use gherkin::Feature;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One concrete scenario of the run.
#[derive(Debug, Clone)]
pub struct Item {
    /// `folder/File.feature: [n] name` plus ` (example k)` for outline rows.
    pub key: String,
    /// The feature's folder relative to the features directory.
    pub folder: String,
    /// Index of the feature.
    pub feature: usize,
    /// Index of the scenario in its feature.
    pub scenario: usize,
    /// 1-based line of the scenario in its feature file.
    pub line: usize,
    /// The text of the last `executing query` step, for reports.
    pub query: String,
    /// Every docstring and parameter of the scenario (background included), for reports.
    pub setup: String,
}

/// What happened to one item.
#[derive(Debug, Clone)]
pub enum Status {
    /// Not run, with the reason.
    Skipped(String),
    /// Ran.
    Ran(steps::Outcome),
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tck_dir() -> PathBuf {
    match std::env::var_os("LODESTONE_TCK_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { root().join(dir) }
        }
        None => root().join("../shared/tck/features"),
    }
}

fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every feature below `dir` in a fixed order, with the items they hold.
fn load(dir: &Path) -> Result<(Vec<Feature>, Vec<Item>), String> {
    let mut files = Vec::new();
    collect_files(dir, &mut files).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut features = Vec::new();
    let mut items = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {rel}: {e}"))?;
        let feature = gherkin::parse_feature(&text).map_err(|e| format!("{rel}: {e}"))?;
        let folder = rel.rsplit_once('/').map_or("", |(f, _)| f).to_string();
        for (si, s) in feature.scenarios.iter().enumerate() {
            let mut key = format!("{rel}: {}", s.name);
            if let Some(n) = s.example {
                key.push_str(&format!(" (example {n})"));
            }
            let query = s
                .steps
                .iter()
                .rev()
                .find(|st| st.text.starts_with("executing"))
                .and_then(|st| st.docstring.clone())
                .unwrap_or_default();
            let mut setup = String::new();
            for step in feature.background.iter().chain(&s.steps) {
                if step.text == "parameters are:" {
                    for row in step.table.iter().flatten() {
                        setup.push_str(&format!(
                            "${} = {}\n",
                            row.first().map_or("", |c| c),
                            row.get(1).map_or("", |c| c)
                        ));
                    }
                } else if let Some(doc) = &step.docstring {
                    setup.push_str(doc);
                    setup.push_str(";\n");
                }
            }
            items.push(Item {
                key,
                folder: folder.clone(),
                feature: features.len(),
                scenario: si,
                line: s.line,
                query,
                setup,
            });
        }
        features.push(feature);
    }
    Ok((features, items))
}

/// The explicit skip list: (key prefix, reason) pairs from `tests/tck/skip.txt`.
fn skip_list() -> Result<Vec<(String, String)>, String> {
    let path = root().join("tests/tck/skip.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((selector, reason)) = line.split_once(" | ") else {
            return Err(format!("skip.txt line {}: expected `selector | reason`", i + 1));
        };
        if reason.trim().is_empty() {
            return Err(format!("skip.txt line {}: a skip needs a reason", i + 1));
        }
        out.push((selector.trim().to_string(), reason.trim().to_string()));
    }
    Ok(out)
}

fn expected_pass_path() -> PathBuf {
    root().join("tests/tck/expected_pass.txt")
}

fn expected_pass() -> BTreeSet<String> {
    std::fs::read_to_string(expected_pass_path())
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { root().join(d) }
        }
        None => root().join("target"),
    }
}

fn main() -> ExitCode {
    if std::env::var_os("LODESTONE_TCK_WORKER").is_some() {
        return worker();
    }
    if std::env::args().any(|a| a == "--list") {
        // Test listers (`cargo test -- --list`) see one test and run nothing.
        println!("tck: test");
        return ExitCode::SUCCESS;
    }
    let dir = tck_dir();
    if !dir.is_dir() {
        println!(
            "tck: no TCK features at {}; skipping the conformance run (set LODESTONE_TCK_DIR)",
            dir.display()
        );
        return ExitCode::SUCCESS;
    }
    gherkin::self_test();
    values::self_test();
    steps::self_test();

    let (features, items) = match load(&dir) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("tck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let skips = match skip_list() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut seen = BTreeSet::new();
    for item in &items {
        if !seen.insert(item.key.as_str()) {
            eprintln!("tck: warning: duplicate scenario key {}", item.key);
        }
    }
    let mut used_selectors = BTreeSet::new();
    let mut statuses: Vec<Option<Status>> = vec![None; items.len()];
    let mut to_run = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if filter.as_ref().is_some_and(|f| !item.key.contains(f.as_str())) {
            continue;
        }
        let scenario = &features[item.feature].scenarios[item.scenario];
        if let Some((selector, reason)) = skips.iter().find(|(s, _)| item.key.starts_with(s.as_str())) {
            used_selectors.insert(selector.clone());
            statuses[i] = Some(Status::Skipped(reason.clone()));
        } else if scenario.tags.iter().any(|t| t == "ignore") {
            statuses[i] = Some(Status::Skipped("tagged @ignore in the TCK itself".into()));
        } else {
            to_run.push(i);
        }
    }
    if filter.is_none() {
        for (selector, _) in &skips {
            if !used_selectors.contains(selector) {
                eprintln!("tck: warning: skip selector matches no scenario: {selector}");
            }
        }
    }
    let jobs: usize = std::env::var("LODESTONE_TCK_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .max(1);
    let started = std::time::Instant::now();
    let outcomes = run_workers(&dir, &to_run, jobs, env_secs("LODESTONE_TCK_SCENARIO_TIMEOUT", 30));
    for (i, outcome) in outcomes {
        statuses[i] = Some(Status::Ran(outcome));
    }
    let elapsed = started.elapsed();

    let ran: Vec<(usize, &Item, &Status)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| statuses[i].as_ref().map(|s| (i, item, s)))
        .collect();
    let report = report::Report::new(&ran);
    let target = target_dir();
    let _ = std::fs::create_dir_all(&target);
    let report_path = target.join("tck-report.md");
    if let Err(e) = std::fs::write(&report_path, report.markdown(&dir, filter.as_deref())) {
        eprintln!("tck: cannot write {}: {e}", report_path.display());
    }
    let _ = std::fs::write(target.join("tck-results.jsonl"), report::jsonl(&ran));
    print!("{}", report.short());
    println!(
        "tck: ran {} scenario(s) in {:.1}s with {jobs} worker(s); full report: {}",
        to_run.len(),
        elapsed.as_secs_f64(),
        report_path.display()
    );

    let passing: BTreeSet<String> = ran
        .iter()
        .filter(|(_, _, s)| matches!(s, Status::Ran(o) if o.passed))
        .map(|(_, item, _)| item.key.clone())
        .collect();
    if std::env::var_os("LODESTONE_TCK_BLESS").is_some() {
        if filter.is_some() {
            eprintln!("tck: not blessing a filtered run");
            return ExitCode::FAILURE;
        }
        let mut text = String::from(
            "# Scenarios that passed when this list was last blessed (LODESTONE_TCK_BLESS=1).\n\
             # The TCK run fails when one of them stops passing.\n",
        );
        for key in &passing {
            text.push_str(key);
            text.push('\n');
        }
        if let Err(e) = std::fs::write(expected_pass_path(), text) {
            eprintln!("tck: cannot write the expected-pass list: {e}");
            return ExitCode::FAILURE;
        }
        println!(
            "tck: blessed {} passing scenario(s) into tests/tck/expected_pass.txt",
            passing.len()
        );
        return ExitCode::SUCCESS;
    }

    let expected = expected_pass();
    let known: BTreeSet<&str> = items.iter().map(|i| i.key.as_str()).collect();
    for key in &expected {
        if !known.contains(key.as_str()) {
            eprintln!("tck: warning: expected-pass scenario no longer exists: {key}");
        }
    }
    let regressions: Vec<(&Item, &steps::Outcome)> = ran
        .iter()
        .filter_map(|(_, item, s)| match s {
            Status::Ran(o) if !o.passed && expected.contains(&item.key) => Some((*item, o)),
            _ => None,
        })
        .collect();
    let newly: usize = passing.iter().filter(|k| !expected.contains(*k)).count();
    if newly > 0 {
        println!("tck: {newly} scenario(s) pass that are not in the expected-pass list (bless to record them)");
    }
    if regressions.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!(
            "tck: {} regression(s): scenarios in tests/tck/expected_pass.txt now fail:",
            regressions.len()
        );
        for (item, o) in regressions {
            println!("  {} [{}] {}", item.key, o.class, first_line(&o.message, 240));
        }
        ExitCode::FAILURE
    }
}

/// The first line of `s`, cut to `max` characters.
pub fn first_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}...")
    } else {
        line.to_string()
    }
}

// ---------------------------------------------------------------------------------
// Worker side: read scenario indexes from stdin, answer one JSON line each.

const RESULT_PREFIX: &str = "@@TCK ";

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn worker() -> ExitCode {
    let dir = tck_dir();
    let (features, items) = match load(&dir) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("tck worker: {e}");
            return ExitCode::FAILURE;
        }
    };
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(format!("{text}{at}"));
        }
    }));
    let env = steps::Env {
        graphs: dir.join("../graphs"),
        query_timeout: env_secs("LODESTONE_TCK_QUERY_TIMEOUT", 5),
    };
    // Scenarios run on a thread with a main-thread-sized stack.
    let handle = std::thread::Builder::new().stack_size(8 << 20).spawn(move || {
        let stdin = std::io::stdin();
        let mut stdout = std::io::stdout();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            let Ok(index) = line.trim().parse::<usize>() else {
                continue;
            };
            let Some(item) = items.get(index) else { continue };
            let feature = &features[item.feature];
            let scenario = &feature.scenarios[item.scenario];
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                steps::run(&feature.background, scenario, &env)
            }))
            .unwrap_or_else(|_| {
                let message = PANIC_MESSAGE.lock().ok().and_then(|mut m| m.take()).unwrap_or_default();
                steps::Outcome {
                    passed: false,
                    class: "panic".into(),
                    message,
                    notes: Vec::new(),
                }
            });
            let json = serde_json::json!({
                "i": index,
                "passed": outcome.passed,
                "class": outcome.class,
                "message": outcome.message,
                "notes": outcome.notes,
            });
            if writeln!(stdout, "{RESULT_PREFIX}{json}")
                .and_then(|_| stdout.flush())
                .is_err()
            {
                break;
            }
        }
    });
    match handle.map(|h| h.join()) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

fn decode(line: &str) -> Option<(usize, steps::Outcome)> {
    let v: serde_json::Value = serde_json::from_str(line.strip_prefix(RESULT_PREFIX)?).ok()?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    let notes = v
        .get("notes")
        .and_then(|n| n.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    Some((
        v.get("i")?.as_u64()? as usize,
        steps::Outcome {
            passed: v.get("passed")?.as_bool()?,
            class: text("class"),
            message: text("message"),
            notes,
        },
    ))
}

// ---------------------------------------------------------------------------------
// Parent side: feed scenario indexes to worker processes, watch for crashes and hangs.

struct WorkerProc {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Option<String>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl WorkerProc {
    fn spawn(dir: &Path) -> std::io::Result<WorkerProc> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .env("LODESTONE_TCK_WORKER", "1")
            .env("LODESTONE_TCK_DIR", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
        let stderr = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr"))?;
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with(RESULT_PREFIX) && tx.send(Some(line)).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut t) = tail.lock() {
                    t.push_back(line);
                    if t.len() > 5 {
                        t.pop_front();
                    }
                }
            }
        });
        Ok(WorkerProc {
            child,
            stdin,
            lines,
            stderr_tail,
        })
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn tail(&self) -> String {
        // Give the stderr reader a moment to catch the dying words.
        std::thread::sleep(Duration::from_millis(50));
        self.stderr_tail
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join(" / "))
            .unwrap_or_default()
    }
}

fn run_workers(dir: &Path, to_run: &[usize], jobs: usize, timeout: Duration) -> BTreeMap<usize, steps::Outcome> {
    let queue = Arc::new(Mutex::new(to_run.iter().copied().collect::<VecDeque<usize>>()));
    let results = Arc::new(Mutex::new(BTreeMap::new()));
    let total = to_run.len();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(total.max(1)) {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            scope.spawn(move || {
                let mut worker: Option<WorkerProc> = None;
                while let Some(index) = pop(&queue) {
                    let outcome = run_one(dir, &mut worker, index, timeout);
                    if let Ok(mut r) = results.lock() {
                        r.insert(index, outcome);
                        if r.len() % 500 == 0 {
                            eprintln!("tck: {}/{total} scenarios done", r.len());
                        }
                    }
                }
                if let Some(w) = worker {
                    drop(w.stdin);
                    let mut child = w.child;
                    let _ = child.wait();
                }
            });
        }
    });
    Arc::try_unwrap(results)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default()
}

fn pop(queue: &Mutex<VecDeque<usize>>) -> Option<usize> {
    queue.lock().ok()?.pop_front()
}

fn run_one(dir: &Path, slot: &mut Option<WorkerProc>, index: usize, timeout: Duration) -> steps::Outcome {
    let failed = |class: &str, message: String| steps::Outcome {
        passed: false,
        class: class.to_string(),
        message,
        notes: Vec::new(),
    };
    if slot.is_none() {
        match WorkerProc::spawn(dir) {
            Ok(w) => *slot = Some(w),
            Err(e) => return failed("runner", format!("cannot start a worker: {e}")),
        }
    }
    let Some(worker) = slot.as_mut() else {
        return failed("runner", "no worker".into());
    };
    if writeln!(worker.stdin, "{index}")
        .and_then(|_| worker.stdin.flush())
        .is_err()
    {
        let tail = worker.tail();
        if let Some(w) = slot.take() {
            w.stop();
        }
        return failed(
            "crash",
            format!("worker process died before the scenario started: {tail}"),
        );
    }
    match worker.lines.recv_timeout(timeout) {
        Ok(Some(line)) => match decode(&line) {
            Some((i, outcome)) if i == index => outcome,
            _ => failed("runner", format!("unreadable worker answer: {line}")),
        },
        Ok(None) | Err(RecvTimeoutError::Disconnected) => {
            let tail = worker.tail();
            if let Some(w) = slot.take() {
                w.stop();
            }
            failed(
                "crash",
                format!("the process crashed (stack overflow or abort): {tail}"),
            )
        }
        Err(RecvTimeoutError::Timeout) => {
            if let Some(w) = slot.take() {
                w.stop();
            }
            failed(
                "hang",
                format!("no answer within {}s; the worker was killed", timeout.as_secs()),
            )
        }
    }
}
