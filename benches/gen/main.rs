//! `lodestone-gen`: a deterministic generator of a synthetic critical-minerals supply-chain
//! graph for the comparison benchmarks.
//!
//! ```text
//! lodestone-gen --nodes N --seed S --out DIR [--kuzu]
//! ```
//!
//! Writes `DIR/nodes.csv` and `DIR/edges.csv` in the importer's format, `DIR/params.json`
//! with fixed query parameters, and with `--kuzu` also `DIR/kuzu/` (per-table CSV files,
//! `schema.cypher`, `copy.cypher`). The same N and seed always give byte-identical files.

mod graph;
mod params;
mod rng;
mod write;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
enum GenError {
    /// The command line could not be understood.
    #[error("{0}\nusage: lodestone-gen --nodes N --seed S --out DIR [--kuzu]")]
    Usage(String),
    /// Writing an output file failed.
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// Serializing params.json failed.
    #[error("cannot serialize params.json: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parsed command line.
struct Args {
    nodes: u32,
    seed: u64,
    out: PathBuf,
    kuzu: bool,
}

fn parse_args() -> Result<Args, GenError> {
    let mut nodes = None;
    let mut seed = 42u64;
    let mut out = None;
    let mut kuzu = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| GenError::Usage(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--nodes" => {
                let v = value("--nodes")?;
                nodes = Some(
                    v.replace('_', "")
                        .parse::<u32>()
                        .map_err(|_| GenError::Usage(format!("bad --nodes value '{v}'")))?,
                );
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v
                    .parse()
                    .map_err(|_| GenError::Usage(format!("bad --seed value '{v}'")))?;
            }
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--kuzu" => kuzu = true,
            "-h" | "--help" => return Err(GenError::Usage(String::from("help"))),
            other => return Err(GenError::Usage(format!("unknown argument '{other}'"))),
        }
    }
    let nodes = nodes.ok_or_else(|| GenError::Usage(String::from("--nodes is required")))?;
    if !(1000..=100_000_000).contains(&nodes) {
        return Err(GenError::Usage(String::from(
            "--nodes must be between 1000 and 100000000",
        )));
    }
    let out = out.ok_or_else(|| GenError::Usage(String::from("--out is required")))?;
    Ok(Args { nodes, seed, out, kuzu })
}

fn run() -> Result<(), GenError> {
    let args = parse_args()?;
    let start = Instant::now();
    std::fs::create_dir_all(&args.out)?;
    let g = graph::generate(args.nodes, args.seed);
    let props = graph::node_props(&g.counts, args.seed);
    eprintln!(
        "generated {} nodes, {} edges in {:.2} s",
        g.counts.total(),
        g.edges.len(),
        start.elapsed().as_secs_f64()
    );
    write::write_importer(&g, &props, &args.out)?;
    if args.kuzu {
        write::write_kuzu(&g, &props, &args.out)?;
    }
    let p = params::params(&g);
    let mut text = serde_json::to_string_pretty(&p)?;
    text.push('\n');
    std::fs::write(args.out.join("params.json"), text)?;
    eprintln!("stats: {}", p["stats"]);
    eprintln!("wrote {} in {:.2} s", args.out.display(), start.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lodestone-gen: {e}");
            ExitCode::from(2)
        }
    }
}
