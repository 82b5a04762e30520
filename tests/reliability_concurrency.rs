//! Readers and writers at once. One writer thread commits the crash workload's
//! statements (each moves money between accounts, bumps a counter and adds an item
//! linked to it) while reader threads check, on every snapshot they get, that it is
//! a committed state: the accounts' total is conserved, every balance is exactly
//! what the counter's value implies, the item count and the counter's adjacency
//! equal the counter, and the counter never goes back. Readers use both the query
//! engine and the typed read view. Also: several writers at once serialize, and the
//! public types are `Send`/`Sync` as documented.

mod reliability;

use lodestone::{Database, Direction, Params, Value};
use reliability::count_from_env;
use reliability::workload::{ACCOUNTS, START_BALANCE, expected_balances, item_statement, setup_statement};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// One snapshot, read through the engine in a single statement.
fn observe_query(db: &Database) -> (i64, i64, Vec<i64>) {
    let out = db
        .query(
            "MATCH (c:Counter) OPTIONAL MATCH (i:Item)-[:COUNTED_BY]->(c) WITH c, count(i) AS items \
             MATCH (a:Account) WITH c, items, a ORDER BY a.no \
             RETURN c.value AS v, items, collect(a.balance) AS balances",
            &Params::new(),
        )
        .expect("reader query");
    assert_eq!(out.rows.len(), 1, "{:?}", out.rows);
    let row = &out.rows[0];
    let balances = match &row[2] {
        Value::List(l) => l.iter().map(int).collect(),
        other => panic!("balances: {other:?}"),
    };
    (int(&row[0]), int(&row[1]), balances)
}

/// One snapshot, read through the typed view.
fn observe_view(db: &Database) -> (i64, i64, Vec<i64>) {
    let read = db.read().expect("read view");
    let counter = read.nodes_with_label("Counter").unwrap()[0];
    let v = int(read.node(counter).unwrap().unwrap().props.get("value").unwrap());
    let items = read.degree(counter, Direction::Incoming, &["COUNTED_BY"]).unwrap() as i64;
    let mut accounts: Vec<(i64, i64)> = read
        .nodes_with_label("Account")
        .unwrap()
        .into_iter()
        .map(|id| {
            let rec = read.node(id).unwrap().unwrap();
            (int(&rec.props["no"]), int(&rec.props["balance"]))
        })
        .collect();
    accounts.sort();
    (v, items, accounts.into_iter().map(|(_, b)| b).collect())
}

fn check_state(who: &str, (v, items, balances): (i64, i64, Vec<i64>), last: &mut i64) {
    assert_eq!(
        balances.iter().sum::<i64>(),
        ACCOUNTS * START_BALANCE,
        "{who}: total not conserved at {v}"
    );
    assert_eq!(
        balances,
        expected_balances(v),
        "{who}: balances do not match counter {v}"
    );
    assert_eq!(items, v, "{who}: {items} items for counter {v}");
    assert!(v >= *last, "{who}: counter went back from {last} to {v}");
    *last = v;
}

fn readers_see_only_committed_states(db: Database, what: &str) {
    let statements = count_from_env("LODESTONE_CONCURRENCY_WRITES", 150, 50) as i64;
    let readers = 4;
    db.execute_script(&setup_statement()).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let observed = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for r in 0..readers {
        let (db, done, observed) = (db.clone(), done.clone(), observed.clone());
        handles.push(std::thread::spawn(move || {
            let mut last = 0;
            let mut distinct = std::collections::BTreeSet::new();
            while !done.load(Ordering::SeqCst) {
                let state = if r % 2 == 0 {
                    observe_query(&db)
                } else {
                    observe_view(&db)
                };
                distinct.insert(state.0);
                check_state(&format!("reader {r}"), state, &mut last);
                observed.fetch_add(1, Ordering::Relaxed);
            }
            distinct.len()
        }));
    }
    let started = Instant::now();
    for k in 1..=statements {
        let out = db.query(&item_statement(k), &Params::new()).expect("writer");
        assert_eq!(out.rows, vec![vec![Value::Int(k)]]);
    }
    let writing = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let distinct: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().expect("reader panicked"))
        .collect();
    let mut last = 0;
    check_state("final", observe_query(&db), &mut last);
    assert_eq!(last, statements);
    assert!(db.check().unwrap().problems.is_empty());
    println!(
        "{what}: {statements} commits in {writing:?} under {readers} readers; {} snapshots checked; \
         distinct counter values seen per reader: {distinct:?}",
        observed.load(Ordering::Relaxed)
    );
    // The readers really ran while the writer did.
    assert!(
        distinct.iter().any(|d| *d > 2),
        "readers never saw the writer's progress: {distinct:?}"
    );
}

#[test]
fn readers_see_only_committed_states_in_memory() {
    readers_see_only_committed_states(Database::in_memory(), "memory");
}

#[test]
fn readers_see_only_committed_states_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    readers_see_only_committed_states(Database::open(dir.path()).unwrap(), "disk");
}

#[test]
fn concurrent_writers_serialize() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute_script("CREATE (:Tally {name: 'tally', n: 0})").unwrap();
    let writers = 4;
    let each = 40;
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..each {
                    db.query(
                        &format!("MATCH (t:Tally) SET t.n = t.n + 1 CREATE (:Mark {{w: {w}, i: {i}}})"),
                        &Params::new(),
                    )
                    .expect("write");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer panicked");
    }
    let out = db
        .query(
            "MATCH (t:Tally) OPTIONAL MATCH (m:Mark) RETURN t.n, count(m)",
            &Params::new(),
        )
        .unwrap();
    let total = (writers * each) as i64;
    assert_eq!(
        out.rows,
        vec![vec![Value::Int(total), Value::Int(total)]],
        "lost updates"
    );
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    let out = db.query("MATCH (t:Tally) RETURN t.n", &Params::new()).unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(total)]]);
}

#[test]
fn a_read_view_pins_its_state_and_a_commit_waits_for_it() {
    // A read view pins a committed state; a commit waits for the view to end and
    // the view never sees it.
    let db = Database::in_memory();
    db.execute_script("CREATE (:N {v: 1})").unwrap();
    let view = db.read().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            db.execute_script("MATCH (n:N) SET n.v = 2").unwrap();
            tx.send(()).unwrap();
        })
    };
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "the commit did not wait for the open view"
    );
    let id = view.all_nodes().unwrap()[0];
    assert_eq!(view.node(id).unwrap().unwrap().props["v"], Value::Int(1));
    drop(view);
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the commit goes through once the view is dropped");
    writer.join().unwrap();
    let now = db.query("MATCH (n:N) RETURN n.v", &Params::new()).unwrap().rows;
    assert_eq!(now, vec![vec![Value::Int(2)]]);
}

/// While a long read holds its snapshot and a writer waits for it, a new reader
/// should still get the last committed state at once.
#[test]
fn readers_are_not_blocked_behind_a_waiting_writer() {
    let db = Database::in_memory();
    db.execute_script("CREATE (:N {v: 1})").unwrap();
    let view = db.read().unwrap();
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || db.execute_script("MATCH (n:N) SET n.v = 2").map(|_| ()))
    };
    std::thread::sleep(Duration::from_millis(200));
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = {
        let db = db.clone();
        std::thread::spawn(move || {
            let rows = db.query("MATCH (n:N) RETURN n.v", &Params::new()).map(|o| o.rows);
            let _ = tx.send(rows);
        })
    };
    let seen = rx.recv_timeout(Duration::from_secs(2));
    // Release everything before asserting, so a failure does not hang the suite.
    drop(view);
    writer.join().unwrap().unwrap();
    reader.join().unwrap();
    let rows = seen
        .expect("a reader waited behind the writer for the long read to end")
        .unwrap();
    assert_eq!(rows, vec![vec![Value::Int(1)]]);
}

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn public_types_are_send_and_sync_where_documented() {
    send_sync::<Database>();
    send_sync::<lodestone::Error>();
    send_sync::<lodestone::QueryError>();
    send_sync::<lodestone::StoreError>();
    send_sync::<lodestone::Output>();
    send_sync::<lodestone::ExecOptions>();
    send_sync::<lodestone::CancelToken>();
    send_sync::<lodestone::Params>();
    send_sync::<lodestone::Value>();
    send_sync::<lodestone::Stats>();
    send_sync::<lodestone::CheckReport>();
    send_sync::<Arc<dyn lodestone_store::Storage>>();
    send::<lodestone::Error>();
    // A read view (`Box<dyn GraphRead>`) and a write transaction borrow the database
    // and hold its lock: they are meant for the thread that opened them (documented
    // in RELIABILITY.md); `Database` itself is shared through clones or an `Arc`.
}

/// Readers whose queries overlap all the time must not keep a writer out forever:
/// each commit gets in within a bounded time.
#[test]
fn overlapping_readers_do_not_starve_the_writer() {
    let db = Database::in_memory();
    db.execute_script("UNWIND range(1, 150) AS i CREATE (:P {i: i})")
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (db, done) = (db.clone(), done.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !done.load(Ordering::SeqCst) {
                    db.query("MATCH (a:P), (b:P) RETURN count(*)", &Params::new()).unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // The writer runs on its own thread so a starved commit cannot hang the suite.
    let (tx, rx) = std::sync::mpsc::channel();
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            for k in 0..10 {
                let t = Instant::now();
                db.query(&format!("CREATE (:W {{k: {k}}})"), &Params::new()).unwrap();
                if tx.send(t.elapsed()).is_err() {
                    return;
                }
            }
        })
    };
    let mut waits = Vec::new();
    let mut starved = false;
    for _ in 0..10 {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(wait) => waits.push(wait),
            Err(_) => {
                starved = true;
                break;
            }
        }
    }
    done.store(true, Ordering::SeqCst);
    let reads: Vec<u64> = readers.into_iter().map(|h| h.join().unwrap()).collect();
    drop(rx);
    writer.join().unwrap();
    println!("commit waits {waits:?} against readers that ran {reads:?} queries");
    assert!(
        !starved,
        "a commit waited more than 30 s behind overlapping readers (after {} commits)",
        waits.len()
    );
}
