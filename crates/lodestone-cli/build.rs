//! Embeds the bundled knowledge base (`data/*.lq` at the workspace root, in name order)
//! into the binary, with a hash that names the dataset version.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fnv1a(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let data = manifest.join("../../data");
    println!("cargo:rerun-if-changed={}", data.display());
    println!("cargo:rerun-if-changed=build.rs");

    let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "lq") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();

    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut code = String::from("/// The bundled `data/*.lq` files as (file name, text), in name order.\n");
    code.push_str("pub static BUNDLED_FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read(path).unwrap_or_default();
        fnv1a(&mut hash, name.as_bytes());
        fnv1a(&mut hash, &[0]);
        fnv1a(&mut hash, &text);
        fnv1a(&mut hash, &[0]);
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", abs.display().to_string());
    }
    code.push_str("];\n");
    let _ = writeln!(code, "/// A hash of the bundled files' names and contents.");
    let _ = writeln!(code, "pub const BUNDLED_HASH: &str = \"{hash:016x}\";");

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    let target = Path::new(&out).join("bundled.rs");
    if let Err(e) = std::fs::write(&target, code) {
        panic!("cannot write {}: {e}", target.display());
    }
}
