//! The default database: the bundled rare-earth knowledge graph, built on first use.
//!
//! It lives at `$LODESTONE_HOME/default.db`. Without `LODESTONE_HOME` the home is
//! `$XDG_DATA_HOME/lodestone`, else `~/.local/share/lodestone`. A marker file
//! `default.db.dataset` beside the database holds the hash of the bundled data it was
//! built from; when the binary carries different data, the database is rebuilt.

use crate::report::{CliError, CliResult, statements};
use crate::style::Style;
use lodestone::{Database, Durability, ExecOptions, Limits};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

pub use bundled::{BUNDLED_FILES, BUNDLED_HASH};

/// The directory for the default database and the REPL history.
pub fn home_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("LODESTONE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("lodestone");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/lodestone");
    }
    PathBuf::from(".lodestone")
}

/// Where the default database lives.
pub fn default_db_path() -> PathBuf {
    home_dir().join("default.db")
}

fn marker_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".dataset");
    db.with_file_name(name)
}

/// Runs every bundled file into `db`, in name order; each file stops at its first failing statement.
// The callback's error type is the facade's `lodestone::Error`.
#[allow(clippy::result_large_err)]
pub fn load_bundled(db: &Database) -> CliResult<usize> {
    let options = ExecOptions {
        limits: Limits {
            timeout: None,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    let mut count = 0;
    for (name, text) in BUNDLED_FILES {
        let mut done = 0;
        let mut failed_at = None;
        let result = db.run_script(text, &options, |span, r| {
            if r.is_err() {
                failed_at = Some((span.start, span.end));
            }
            r?;
            done += 1;
            Ok(())
        });
        if let Err(e) = result {
            let n = match &e {
                lodestone::Error::Query { statement, .. } => *statement,
                _ => done + 1,
            };
            let prefix = format!("data/{name}: statement {n}");
            eprintln!(
                "{}",
                crate::report::render_error(&e, Some(&prefix), Style::stderr(), failed_at)
            );
            return Err(CliError::Reported);
        }
        count += done;
    }
    Ok(count)
}

/// Makes sure the default database exists and matches the bundled data; returns its path.
pub fn ensure_default_db() -> CliResult<PathBuf> {
    let path = default_db_path();
    let marker = marker_path(&path);
    let current = std::fs::read_to_string(&marker).ok();
    if path.is_dir() && current.as_deref().map(str::trim) == Some(BUNDLED_HASH) {
        return Ok(path);
    }
    let home = home_dir();
    std::fs::create_dir_all(&home).map_err(|e| {
        CliError::Data(format!(
            "cannot create {}: {e} (set LODESTONE_HOME to choose another place)",
            home.display()
        ))
    })?;
    let style = Style::stderr();
    let rebuild = path.exists();
    if std::io::stderr().is_terminal() {
        let what = if rebuild { "Rebuilding" } else { "Creating" };
        eprintln!(
            "{}",
            style.dim(&format!(
                "{what} the default database at {} from the bundled data ({} files)…",
                path.display(),
                BUNDLED_FILES.len()
            ))
        );
    }
    tracing::info!(path = %path.display(), hash = BUNDLED_HASH, "building the default database");
    let building = home.join(format!("default.db.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let built = (|| -> CliResult<usize> {
        let db = Database::open(&building)?;
        db.set_durability(Durability::Deferred);
        let n = load_bundled(&db)?;
        db.flush()?;
        Ok(n)
    })();
    let n = match built {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(e);
        }
    };
    if rebuild {
        let _ = std::fs::remove_dir_all(&path);
        let _ = std::fs::remove_file(&marker);
    }
    if let Err(e) = std::fs::rename(&building, &path) {
        let _ = std::fs::remove_dir_all(&building);
        // Another process may have finished first.
        if !path.is_dir() {
            return Err(CliError::Data(format!(
                "cannot move the new database to {}: {e}",
                path.display()
            )));
        }
    }
    std::fs::write(&marker, BUNDLED_HASH)
        .map_err(|e| CliError::Data(format!("cannot write {}: {e}", marker.display())))?;
    tracing::info!(statements = n, "default database ready");
    if std::io::stderr().is_terminal() {
        eprintln!("{}", style.dim(&format!("Loaded {}.", statements(n))));
    }
    Ok(path)
}
