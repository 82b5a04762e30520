//! Running scripts: each statement commits on its own; a failure stops the script
//! (or, with `--continue`, is reported and skipped). Messages name the file, the
//! statement number, line, column and caret, and how many statements committed.

use crate::report::{render_error, statements};
use crate::split;
use crate::style::Style;
use lodestone::{Database, ExecOptions, Output};

/// How a script went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptOutcome {
    /// Statements that ran and committed.
    pub committed: usize,
    /// Statements that failed (at most one without `keep_going`).
    pub failed: usize,
}

/// Runs `text` (named `name` in messages), hands each result to `emit` as it
/// completes, and writes failures to standard error.
// The callback's error type is the facade's `lodestone::Error`.
#[allow(clippy::result_large_err)]
pub fn run_script(
    db: &Database,
    name: &str,
    text: &str,
    options: &ExecOptions,
    keep_going: bool,
    style: Style,
    mut emit: impl FnMut(&Output),
) -> ScriptOutcome {
    let mut outcome = ScriptOutcome::default();
    let mut reported = false;
    let result = db.run_script(text, options, |span, result| match result {
        Ok(out) => {
            outcome.committed += 1;
            emit(&out);
            Ok(())
        }
        Err(e) => {
            outcome.failed += 1;
            let (number, before) = match &e {
                lodestone::Error::Query {
                    statement, committed, ..
                } => (*statement, *committed),
                _ => (outcome.committed + outcome.failed, outcome.committed),
            };
            let mut message = render_error(
                &e,
                Some(&format!("{name}: statement {number}")),
                style,
                Some((span.start, span.end)),
            );
            let note = if keep_going {
                format!(
                    "note: {}; going on with the next statement (--continue).",
                    committed_text(before)
                )
            } else {
                format!("note: {}; the rest of {name} was not run.", committed_text(before))
            };
            message.push('\n');
            message.push_str(&style.dim(&note));
            eprintln!("{message}");
            if keep_going {
                Ok(())
            } else {
                reported = true;
                Err(e)
            }
        }
    });
    if let Err(e) = result
        && !reported
    {
        // The script did not parse: nothing ran.
        outcome.failed += 1;
        let number = e
            .query_error()
            .and_then(|q| q.span())
            .map_or(1, |s| split::statement_number(text, s.start));
        let mut message = render_error(&e, Some(&format!("{name}: statement {number}")), style, None);
        message.push('\n');
        message.push_str(&style.dim(&format!(
            "note: no statement of {name} was run (a script is checked whole before it runs)."
        )));
        eprintln!("{message}");
    }
    outcome
}

fn committed_text(n: usize) -> String {
    match n {
        0 => "no statement before it was committed".to_string(),
        1 => "1 statement before it was committed".to_string(),
        n => format!("{} before it were committed", statements(n)),
    }
}
