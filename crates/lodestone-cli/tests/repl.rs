//! The shell driven through a real pseudo-terminal: questions and statements, tables,
//! multi-line input, completion, commands, Ctrl-C on a long query, Ctrl-D.

use rexpect::session::{PtySession, spawn_command};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

fn shell(home: &Path, args: &[&str]) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    cmd.env("LODESTONE_HOME", home)
        .env("COLUMNS", "120")
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .current_dir(home)
        .args(args);
    // Building the default database in a debug build takes a while: be generous.
    spawn_command(cmd, Some(180_000)).expect("spawn lode in a pseudo-terminal")
}

/// The pseudo-terminal reader hands back each byte as one char; put the UTF-8 back together.
fn utf8(text: &str) -> String {
    let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Sends a line, waits for `expect` (ASCII) and then for the next prompt; returns the
/// output before `expect`. Waiting for the prompt matters: input typed while a statement
/// runs is not kept.
fn step(p: &mut PtySession, line: &str, expect: &str) -> String {
    p.send_line(line).unwrap();
    let before = match p.exp_string(expect) {
        Ok(before) => utf8(&before),
        Err(e) => panic!("after `{line}`: expected `{expect}`: {e}"),
    };
    if let Err(e) = p.exp_string("lode> ") {
        panic!("after `{line}`: no prompt: {e}");
    }
    before
}

#[test]
fn shell_answers_cancels_and_goes_on() {
    let home = TempDir::new().unwrap();
    // With no command on a terminal, `lode` opens the shell on the default database.
    let mut p = shell(home.path(), &["--timeout", "600"]);
    p.exp_string("lode> ").unwrap();

    // A question ends at the end of its line and answers with a table.
    let shown = step(&mut p, "who funds Round Top", "rows");
    assert!(shown.contains('│') && shown.contains('┌'), "a table: {shown}");
    // Its picture follows the walks the answer describes.
    step(&mut p, ":viz funds.dot", "wrote funds.dot");
    let dot = std::fs::read_to_string(home.path().join("funds.dot")).unwrap();
    assert!(dot.contains("Round Top") && dot.contains("FUNDS"), "{dot}");

    // A statement may span lines until its `;`.
    p.send_line("MATCH (c:Company)").unwrap();
    let shown = step(&mut p, "RETURN count(c) > 0 AS some_companies;", "1 row");
    assert!(shown.contains("some_companies") && shown.contains("true"), "{shown}");

    // Ctrl-C cancels a long query and keeps the session.
    p.send_line("UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y RETURN count(*) AS n;")
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    p.send_control('c').unwrap();
    p.exp_string("cancelled").unwrap();
    p.exp_string("lode> ").unwrap();
    let shown = step(&mut p, "RETURN 40 + 2 AS answer;", "1 row");
    assert!(shown.contains("42"), "{shown}");

    // Errors point at the text, in colour on a terminal.
    let shown = step(&mut p, "RETURN nope;", "^");
    assert!(shown.contains("line 1, column 8"), "{shown}");
    assert!(shown.contains("\x1b[1;31m"), "coloured: {shown:?}");

    // Commands.
    step(&mut p, ":timing", "timing: on");
    step(&mut p, "RETURN 1 AS one;", "compile");
    step(&mut p, ":timing off", "timing: off");
    step(&mut p, ":param x => 5", "$x => 5");
    step(&mut p, ":params", "$x => 5");
    let shown = step(&mut p, "RETURN $x * 2 AS doubled;", "1 row");
    assert!(shown.contains("10"), "{shown}");
    step(&mut p, ":format json", "format: json");
    step(&mut p, "RETURN 1 AS one;", "{\"columns\":[\"one\"],\"rows\":[[1]]}");
    step(&mut p, ":format table", "format: table");
    step(&mut p, ":help", ":quit");
    step(&mut p, ":nonsense", "unknown command");

    // Tab completes commands.
    p.send(":sche").unwrap();
    p.send("\t").unwrap();
    step(&mut p, "", "relationships");

    // Sources of the last answer.
    step(&mut p, "MATCH (d:Deposit {name: 'Round Top'}) RETURN d;", "1 row");
    step(&mut p, ":why", ".txt");

    // Plans, scripts and pictures.
    step(&mut p, ":explain MATCH (c:Company) RETURN c.name;", "NodeByLabelScan");
    std::fs::write(
        home.path().join("more.lq"),
        "CREATE (:Company {name: 'Acme Magnets'});\nMATCH (c:Company {name: 'Acme Magnets'}) RETURN c.name AS made;\n",
    )
    .unwrap();
    step(&mut p, ":read more.lq", "Acme Magnets");
    step(
        &mut p,
        "MATCH p = (:Deposit {name: 'Round Top'})-[:LOCATED_IN]->() RETURN p;",
        "1 row",
    );
    step(&mut p, ":viz located.dot", "wrote located.dot");
    assert!(
        std::fs::read_to_string(home.path().join("located.dot"))
            .unwrap()
            .contains("LOCATED_IN")
    );

    // Long results are cut with a note.
    step(
        &mut p,
        "UNWIND range(1, 500) AS x RETURN x;",
        "450 more rows not shown (500 rows in all)",
    );

    // Ctrl-D leaves; the history is kept.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(home.path().join("history.txt")).unwrap();
    assert!(history.contains("RETURN 40 + 2 AS answer;"), "{history}");
}
