//! Experiments: damage a store's files and try to open it.
use lodestone_store::{SledStore, Storage};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    match SledStore::open(&dir) {
        Ok(s) => println!("opened: nodes {} problems {:?}", s.read().unwrap().stats().unwrap().nodes, s.check().unwrap().problems),
        Err(e) => println!("error: {e:?}"),
    }
}
