//! Tests with a second process: the database lock, and crash safety under SIGKILL.
//!
//! The child processes are this test binary re-executed with an environment
//! variable naming the role and the database directory.

mod common;

use common::{edge, node};
use lodestone_model::{Direction, Value};
use lodestone_store::{SledStore, Storage, StoreError};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const HOLD_ENV: &str = "LODESTONE_TEST_HOLD_DIR";
const WRITER_ENV: &str = "LODESTONE_TEST_WRITER_DIR";

fn spawn_child(test: &str, env: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(env, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Forwards the child's stdout lines to a channel.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Child role: hold the database open until stdin closes.
#[test]
fn child_hold_database() {
    let Some(dir) = std::env::var_os(HOLD_ENV) else { return };
    let store = SledStore::open(Path::new(&dir)).unwrap();
    println!("READY");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(store);
}

#[test]
fn a_second_process_gets_a_lock_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    let mut child = spawn_child("child_hold_database", HOLD_ENV, dir.path());
    let rx = lines_of(&mut child);
    let ready = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
    assert!(
        ready.contains("READY") || rx.iter().any(|l| l.contains("READY")),
        "child did not open the database"
    );
    match SledStore::open(dir.path()) {
        Err(StoreError::Locked { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(matches!(
        SledStore::open_read_only(dir.path()),
        Err(StoreError::Locked { .. })
    ));
    drop(child.stdin.take());
    child.wait().unwrap();
    // Once the child is gone the database opens again.
    SledStore::open(dir.path()).unwrap();
}

/// Child role: commit numbered transactions forever, acknowledging each on stdout.
/// Each transaction creates a node `n{k}` with an edge to the counter node and sets
/// the counter to `k`.
#[test]
fn child_crash_writer() {
    let Some(dir) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let store = SledStore::open(Path::new(&dir)).unwrap();
    let counter = {
        let r = store.read().unwrap();
        r.lookup_name("counter").unwrap().first().copied()
    };
    let counter = match counter {
        Some(c) => c,
        None => {
            let mut tx = store.write().unwrap();
            let c = tx
                .create_node(node(
                    &["Counter"],
                    &[("name", "counter".into()), ("value", Value::Int(0))],
                ))
                .unwrap();
            tx.commit().unwrap();
            c
        }
    };
    let mut k = match store.read().unwrap().node(counter).unwrap().unwrap().props.get("value") {
        Some(Value::Int(v)) => *v,
        _ => panic!("counter without value"),
    };
    let mut stdout = std::io::stdout();
    for _ in 0..1_000_000 {
        k += 1;
        let mut tx = store.write().unwrap();
        let n = tx
            .create_node(node(
                &["Item"],
                &[("name", format!("n{k}").into()), ("seq", Value::Int(k))],
            ))
            .unwrap();
        tx.create_edge(edge("COUNTED_BY", n, counter)).unwrap();
        let mut rec = tx.node(counter).unwrap().unwrap();
        rec.props.insert("value".into(), Value::Int(k));
        tx.update_node(counter, rec).unwrap();
        tx.commit().unwrap();
        writeln!(stdout, "ACK {k}").unwrap();
        stdout.flush().unwrap();
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Reopens the database after a kill and checks it against the acknowledged commits.
fn verify(dir: &Path, acked: i64) -> i64 {
    let store = SledStore::open(dir).unwrap();
    let report = store.check().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let r = store.read().unwrap();
    let Some(&counter) = r.lookup_name("counter").unwrap().first() else {
        assert_eq!(acked, 0, "acknowledged commits but no counter");
        return 0;
    };
    let value = match r.node(counter).unwrap().unwrap().props.get("value") {
        Some(Value::Int(v)) => *v,
        other => panic!("bad counter {other:?}"),
    };
    assert!(value >= acked, "counter {value} lost acknowledged commit {acked}");
    // Nothing partial: exactly one item and one edge per counted commit.
    let items = r.nodes_with_label("Item").unwrap();
    assert_eq!(items.len() as i64, value, "items and counter disagree");
    assert_eq!(
        r.degree(counter, Direction::Incoming, &["COUNTED_BY"]).unwrap() as i64,
        value
    );
    for k in 1..=value {
        let found = r.lookup_name(&format!("n{k}")).unwrap();
        assert_eq!(found.len(), 1, "item {k} missing or doubled");
        assert_eq!(
            r.degree(found[0], Direction::Outgoing, &[]).unwrap(),
            1,
            "item {k} has no edge"
        );
    }
    value
}

#[test]
fn killed_writer_loses_no_acknowledged_commit() {
    let cycles: u32 = std::env::var("LODESTONE_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    println!("crash test seed {seed}, {cycles} cycles");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut acked_total = 0i64;
    for cycle in 0..cycles {
        let mut child = spawn_child("child_crash_writer", WRITER_ENV, dir.path());
        let rx = lines_of(&mut child);
        // Let it commit for a random while, counting from its first acknowledgement.
        let run = Duration::from_millis(5 + rng.next() % 120);
        let mut started: Option<Instant> = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match rx.recv_timeout(Duration::from_millis(2)) {
                Ok(line) => {
                    if let Some(k) = line.strip_prefix("ACK ").and_then(|k| k.parse::<i64>().ok()) {
                        acked_total = acked_total.max(k);
                        started.get_or_insert_with(Instant::now);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!("writer exited early in cycle {cycle}"),
            }
            if started.is_some_and(|s| s.elapsed() >= run) || Instant::now() > deadline {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines already written before the kill are acknowledged commits too.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(k) = line.strip_prefix("ACK ").and_then(|k| k.parse::<i64>().ok()) {
                acked_total = acked_total.max(k);
            }
        }
        let value = verify(dir.path(), acked_total);
        acked_total = acked_total.max(value);
    }
    assert!(acked_total > 0, "the writer never committed");
}
