//! Summaries of a run: per-folder counts, goals, failure classes, skips, failures.

use crate::steps::{NOTE_COUNTERS, NOTE_DETAIL_DIFF, NOTE_DETAIL_OK};
use crate::{Item, Status, first_line};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Folders with a conformance goal: the share of their run (not skipped) scenarios that must pass.
const GOALS: [(&str, f64); 29] = [
    ("clauses/match", 0.90),
    ("clauses/match-where", 0.90),
    ("clauses/return", 0.90),
    ("clauses/return-orderby", 0.90),
    ("clauses/return-skip-limit", 0.90),
    ("clauses/with", 0.90),
    ("clauses/with-where", 0.90),
    ("clauses/with-skip-limit", 0.90),
    ("clauses/with-orderBy", 0.90),
    ("clauses/unwind", 0.90),
    ("clauses/union", 0.90),
    ("expressions/aggregation", 0.90),
    ("expressions/boolean", 0.90),
    ("expressions/comparison", 0.90),
    ("expressions/null", 0.90),
    ("expressions/string", 0.90),
    ("expressions/literals", 0.90),
    ("expressions/list", 0.90),
    ("expressions/map", 0.90),
    ("expressions/graph", 0.90),
    ("expressions/path", 0.90),
    ("expressions/pattern", 0.90),
    ("expressions/precedence", 0.90),
    ("expressions/typeConversion", 0.90),
    ("clauses/create", 0.75),
    ("clauses/merge", 0.75),
    ("clauses/set", 0.75),
    ("clauses/delete", 0.75),
    ("clauses/remove", 0.75),
];

#[derive(Debug, Default, Clone)]
struct Counts {
    pass: usize,
    fail: usize,
    skip: usize,
    classes: BTreeMap<String, usize>,
}

impl Counts {
    fn total(&self) -> usize {
        self.pass + self.fail + self.skip
    }
}

fn pct(n: usize, d: usize) -> String {
    // Rounded down, so a folder with a failure never shows 100%.
    match (1000 * n).checked_div(d) {
        Some(permille) => format!("{:.1}%", permille as f64 / 10.0),
        None => "-".into(),
    }
}

/// Everything the printed summary and the markdown report show.
pub struct Report<'a> {
    folders: BTreeMap<String, Counts>,
    total: Counts,
    failures: Vec<(&'a Item, &'a crate::steps::Outcome)>,
    skips: BTreeMap<String, Vec<&'a Item>>,
    notes: Vec<(&'a Item, &'a str)>,
    counter_notes: Vec<(&'a Item, &'a str)>,
    detail_ok: usize,
    detail_diff: usize,
}

impl<'a> Report<'a> {
    /// Counts the results of a run.
    pub fn new(ran: &[(usize, &'a Item, &'a Status)]) -> Report<'a> {
        let mut folders: BTreeMap<String, Counts> = BTreeMap::new();
        let mut total = Counts::default();
        let mut failures = Vec::new();
        let mut skips: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
        let mut notes = Vec::new();
        let (mut detail_ok, mut detail_diff) = (0, 0);
        let mut counter_notes = Vec::new();
        for (_, item, status) in ran {
            let c = folders.entry(item.folder.clone()).or_default();
            if let Status::Ran(o) = status {
                counter_notes.extend(
                    o.notes
                        .iter()
                        .filter(|n| n.starts_with(NOTE_COUNTERS))
                        .map(|n| (*item, n.as_str())),
                );
            }
            match status {
                Status::Skipped(reason) => {
                    c.skip += 1;
                    total.skip += 1;
                    skips.entry(reason.clone()).or_default().push(item);
                }
                Status::Ran(o) if o.passed => {
                    c.pass += 1;
                    total.pass += 1;
                    for n in o.notes.iter().filter(|n| !n.starts_with(NOTE_COUNTERS)) {
                        if n.starts_with(NOTE_DETAIL_OK) {
                            detail_ok += 1;
                        } else {
                            notes.push((*item, n.as_str()));
                            if n.starts_with(NOTE_DETAIL_DIFF) {
                                detail_diff += 1;
                            }
                        }
                    }
                }
                Status::Ran(o) => {
                    c.fail += 1;
                    total.fail += 1;
                    *c.classes.entry(o.class.clone()).or_default() += 1;
                    *total.classes.entry(o.class.clone()).or_default() += 1;
                    failures.push((*item, o));
                }
            }
        }
        Report {
            folders,
            total,
            failures,
            skips,
            notes,
            counter_notes,
            detail_ok,
            detail_diff,
        }
    }

    fn goal(&self, folder: &str, c: &Counts) -> String {
        match GOALS.iter().find(|(f, _)| *f == folder) {
            Some((_, share)) => {
                // Skipped scenarios are outside the language (see skip.txt), so the goal
                // counts the scenarios that ran.
                let met = c.pass as f64 >= share * (c.pass + c.fail) as f64;
                format!("{}% {}", (share * 100.0) as u32, if met { "met" } else { "not met" })
            }
            None => String::new(),
        }
    }

    fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "| folder | scenarios | pass | fail | skip | pass % of all | pass % of run | goal (of run) |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---|");
        for (folder, c) in &self.folders {
            let _ = writeln!(
                s,
                "| {folder} | {} | {} | {} | {} | {} | {} | {} |",
                c.total(),
                c.pass,
                c.fail,
                c.skip,
                pct(c.pass, c.total()),
                pct(c.pass, c.pass + c.fail),
                self.goal(folder, c)
            );
        }
        let t = &self.total;
        let _ = writeln!(
            s,
            "| **total** | {} | {} | {} | {} | {} | {} | |",
            t.total(),
            t.pass,
            t.fail,
            t.skip,
            pct(t.pass, t.total()),
            pct(t.pass, t.pass + t.fail)
        );
        s
    }

    /// The summary printed at the end of a run.
    pub fn short(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<36} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7}  goal (of run)",
            "folder", "total", "pass", "fail", "skip", "all%", "run%"
        );
        for (folder, c) in &self.folders {
            let _ = writeln!(
                s,
                "{folder:<36} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7}  {}",
                c.total(),
                c.pass,
                c.fail,
                c.skip,
                pct(c.pass, c.total()),
                pct(c.pass, c.pass + c.fail),
                self.goal(folder, c)
            );
        }
        let t = &self.total;
        let _ = writeln!(
            s,
            "{:<36} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7}",
            "TOTAL",
            t.total(),
            t.pass,
            t.fail,
            t.skip,
            pct(t.pass, t.total()),
            pct(t.pass, t.pass + t.fail)
        );
        if !t.classes.is_empty() {
            let classes: Vec<String> = t.classes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = writeln!(s, "failures by kind: {}", classes.join(", "));
        }
        for (item, o) in self.failures.iter().take(15) {
            let _ = writeln!(s, "  FAIL {} [{}] {}", item.key, o.class, first_line(&o.message, 160));
        }
        if self.failures.len() > 15 {
            let _ = writeln!(s, "  ... and {} more failing scenario(s)", self.failures.len() - 15);
        }
        s
    }

    /// The full report.
    pub fn markdown(&self, dir: &Path, filter: Option<&str>) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# TCK conformance report\n");
        let _ = writeln!(s, "Features: `{}`", dir.display());
        if let Some(f) = filter {
            let _ = writeln!(s, "\nFiltered run: only scenarios whose key contains `{f}`.");
        }
        let _ = writeln!(s, "\n## Results per folder\n");
        s.push_str(&self.table());
        let _ = writeln!(
            s,
            "\nGoals are measured on the scenarios that ran; skipped ones are listed below.\n"
        );
        let _ = writeln!(s, "## Failures by kind and folder\n");
        for (folder, c) in &self.folders {
            if c.classes.is_empty() {
                continue;
            }
            let classes: Vec<String> = c.classes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = writeln!(s, "- {folder}: {}", classes.join(", "));
        }
        let _ = writeln!(s, "\n## Error detail notes\n");
        let _ = writeln!(
            s,
            "Passing error checks: {} with the TCK's detail code, {} with a different or no code \
             (listed below with early-raised errors):\n",
            self.detail_ok, self.detail_diff
        );
        for (item, note) in &self.notes {
            let _ = writeln!(s, "- {}: {note}", item.key);
        }
        let _ = writeln!(s, "\n## Counter notes\n");
        let _ = writeln!(
            s,
            "Queries whose `Counters` are below the change seen in the graph ({}):\n",
            self.counter_notes.len()
        );
        for (item, note) in &self.counter_notes {
            let _ = writeln!(s, "- {}: {note}", item.key);
        }
        let _ = writeln!(s, "\n## Skipped\n");
        for (reason, items) in &self.skips {
            let _ = writeln!(s, "- {} scenario(s): {reason}", items.len());
        }
        let _ = writeln!(s, "\n## Failing scenarios\n");
        for (item, o) in &self.failures {
            let _ = writeln!(
                s,
                "- `{}` [{}]: {}",
                item.key,
                o.class,
                first_line(&o.message, 400).replace('|', "\\|")
            );
        }
        s
    }
}

/// One JSON line per scenario (key, folder, status, class, message, notes, query).
pub fn jsonl(ran: &[(usize, &Item, &Status)]) -> String {
    let mut s = String::new();
    for (_, item, status) in ran {
        let v = match status {
            Status::Skipped(reason) => serde_json::json!({
                "key": item.key, "line": item.line, "folder": item.folder, "status": "skip", "reason": reason, "query": item.query, "setup": item.setup,
            }),
            Status::Ran(o) => serde_json::json!({
                "key": item.key, "line": item.line, "folder": item.folder, "status": if o.passed { "pass" } else { "fail" },
                "class": o.class, "message": o.message, "notes": o.notes, "query": item.query, "setup": item.setup,
            }),
        };
        s.push_str(&v.to_string());
        s.push('\n');
    }
    s
}
