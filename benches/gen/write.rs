//! CSV output: the importer's format (one nodes file, one edges file) and, optionally, the
//! per-table files and schema that Kùzu's COPY needs.

use crate::graph::{Date, Edge, EdgeType, Graph, Label, NodeProps, node_name};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Header of `nodes.csv`.
pub const NODE_HEADER: &str = "id:ID,:LABEL,name,country,kind,status,amount:money,date:date,year:int,score:float";
/// Header of `edges.csv`.
pub const EDGE_HEADER: &str = ":START_ID,:END_ID,:TYPE,share:percent,amount:money,date:date,year:int,score:float";

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

/// `37` hundredths as `0.37`.
fn hundredths(v: u16) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

/// `375` tenths as `37.5`.
fn tenths(v: u16) -> String {
    format!("{}.{}", v / 10, v % 10)
}

/// Writes `nodes.csv` and `edges.csv` in the importer's format.
pub fn write_importer(graph: &Graph, props: &[NodeProps], dir: &Path) -> io::Result<()> {
    let counts = &graph.counts;
    let dbase = counts.base(Label::Deal);
    let mut w = create(&dir.join("nodes.csv"))?;
    writeln!(w, "{NODE_HEADER}")?;
    for (id, p) in props.iter().enumerate() {
        let id = id as u32;
        let label = counts.label_of(id);
        let name = node_name(counts, id);
        let country = p.country.unwrap_or("");
        let kind = p.kind.unwrap_or("");
        let year = p.year.map(|y| y.to_string()).unwrap_or_default();
        let score = p.score.map(hundredths).unwrap_or_default();
        if label == Label::Deal {
            let d = &graph.deals[(id - dbase) as usize];
            writeln!(
                w,
                "{id},Deal,{name},,{},{},USD {},{},,",
                d.kind,
                d.status,
                d.amount,
                d.date.render()
            )?;
        } else {
            writeln!(w, "{id},{},{name},{country},{kind},,,,{year},{score}", label.name())?;
        }
    }
    w.flush()?;

    let mut w = create(&dir.join("edges.csv"))?;
    writeln!(w, "{EDGE_HEADER}")?;
    for e in &graph.edges {
        let (share, amount, date, year, score) = edge_columns(e);
        writeln!(
            w,
            "{},{},{},{share},{},{date},{year},{score}",
            e.src,
            e.dst,
            e.kind.name(),
            amount.map(|a| format!("USD {a}")).unwrap_or_default()
        )?;
    }
    w.flush()
}

/// The typed edge columns as text: share, amount, date, year, score (empty when unused).
fn edge_columns(e: &Edge) -> (String, Option<u64>, String, String, String) {
    match e.kind {
        EdgeType::Owns => (
            tenths(e.share_tenths),
            None,
            String::new(),
            String::new(),
            String::new(),
        ),
        EdgeType::Funds => (
            String::new(),
            Some(e.amount),
            e.date.render(),
            String::new(),
            String::new(),
        ),
        EdgeType::Supplies => (String::new(), None, String::new(), e.year.to_string(), String::new()),
        EdgeType::PartnersWith => (
            String::new(),
            None,
            String::new(),
            e.year.to_string(),
            hundredths(e.score_hundredths),
        ),
        EdgeType::Operates | EdgeType::Develops | EdgeType::Produces => {
            (String::new(), None, String::new(), String::new(), String::new())
        }
    }
}

/// Kùzu column lists per node table (after the `id INT64` primary key).
fn node_columns(label: Label) -> &'static [(&'static str, &'static str)] {
    match label {
        Label::Government | Label::Agency => &[("name", "STRING"), ("country", "STRING")],
        Label::Company => &[
            ("name", "STRING"),
            ("country", "STRING"),
            ("year", "INT64"),
            ("score", "DOUBLE"),
        ],
        Label::Deal => &[
            ("name", "STRING"),
            ("kind", "STRING"),
            ("status", "STRING"),
            ("amount", "INT64"),
            ("currency", "STRING"),
            ("date", "STRING"),
        ],
        Label::Facility => &[
            ("name", "STRING"),
            ("country", "STRING"),
            ("kind", "STRING"),
            ("year", "INT64"),
        ],
        Label::Deposit => &[("name", "STRING"), ("country", "STRING"), ("score", "DOUBLE")],
        Label::Material => &[("name", "STRING")],
    }
}

/// Kùzu property columns per rel table.
fn rel_columns(kind: EdgeType) -> &'static [(&'static str, &'static str)] {
    match kind {
        EdgeType::Owns => &[("share", "DOUBLE")],
        EdgeType::Funds => &[("amount", "INT64"), ("currency", "STRING"), ("date", "STRING")],
        EdgeType::Supplies => &[("year", "INT64")],
        EdgeType::PartnersWith => &[("year", "INT64"), ("score", "DOUBLE")],
        EdgeType::Operates | EdgeType::Develops | EdgeType::Produces => &[],
    }
}

fn date_text(d: Date) -> String {
    d.render()
}

/// Writes `kuzu/schema.cypher`, `kuzu/copy.cypher` and one CSV per node table and per
/// (rel type, from label, to label). COPY paths in `copy.cypher` are relative to `kuzu/`.
pub fn write_kuzu(graph: &Graph, props: &[NodeProps], dir: &Path) -> io::Result<()> {
    let dir = dir.join("kuzu");
    fs::create_dir_all(&dir)?;
    let counts = &graph.counts;
    let dbase = counts.base(Label::Deal);

    for label in Label::ALL {
        let mut w = create(&dir.join(format!("{}.csv", label.name())))?;
        let cols: Vec<&str> = node_columns(label).iter().map(|c| c.0).collect();
        writeln!(w, "id,{}", cols.join(","))?;
        let base = counts.base(label);
        for id in base..base + counts.count(label) {
            let p = &props[id as usize];
            let name = node_name(counts, id);
            let country = p.country.unwrap_or("");
            match label {
                Label::Government | Label::Agency => writeln!(w, "{id},{name},{country}")?,
                Label::Company => writeln!(
                    w,
                    "{id},{name},{country},{},{}",
                    p.year.unwrap_or(0),
                    hundredths(p.score.unwrap_or(0))
                )?,
                Label::Deal => {
                    let d = &graph.deals[(id - dbase) as usize];
                    writeln!(
                        w,
                        "{id},{name},{},{},{},USD,{}",
                        d.kind,
                        d.status,
                        d.amount,
                        date_text(d.date)
                    )?
                }
                Label::Facility => writeln!(
                    w,
                    "{id},{name},{country},{},{}",
                    p.kind.unwrap_or(""),
                    p.year.unwrap_or(0)
                )?,
                Label::Deposit => writeln!(w, "{id},{name},{country},{}", hundredths(p.score.unwrap_or(0)))?,
                Label::Material => writeln!(w, "{id},{name}")?,
            }
        }
        w.flush()?;
    }

    // Rel files per (type, from, to), in a fixed order.
    let mut groups: BTreeMap<(EdgeType, usize, usize), Vec<&Edge>> = BTreeMap::new();
    for e in &graph.edges {
        let from = counts.label_of(e.src) as usize;
        let to = counts.label_of(e.dst) as usize;
        groups.entry((e.kind, from, to)).or_default().push(e);
    }
    let mut copies = Vec::new();
    for ((kind, from, to), edges) in &groups {
        let (from, to) = (Label::ALL[*from].name(), Label::ALL[*to].name());
        let file = format!("{}_{}_{}.csv", kind.name(), from, to);
        let mut w = create(&dir.join(&file))?;
        let cols: Vec<&str> = rel_columns(*kind).iter().map(|c| c.0).collect();
        if cols.is_empty() {
            writeln!(w, "from,to")?;
        } else {
            writeln!(w, "from,to,{}", cols.join(","))?;
        }
        for e in edges {
            match kind {
                EdgeType::Owns => writeln!(w, "{},{},{}", e.src, e.dst, tenths(e.share_tenths))?,
                EdgeType::Funds => writeln!(w, "{},{},{},USD,{}", e.src, e.dst, e.amount, date_text(e.date))?,
                EdgeType::Supplies => writeln!(w, "{},{},{}", e.src, e.dst, e.year)?,
                EdgeType::PartnersWith => {
                    writeln!(w, "{},{},{},{}", e.src, e.dst, e.year, hundredths(e.score_hundredths))?
                }
                _ => writeln!(w, "{},{}", e.src, e.dst)?,
            }
        }
        w.flush()?;
        copies.push(format!(
            "COPY {} FROM '{file}' (from='{from}', to='{to}', header=true);",
            kind.name()
        ));
    }

    let mut schema = String::new();
    for label in Label::ALL {
        let cols: Vec<String> = node_columns(label).iter().map(|(n, t)| format!("{n} {t}")).collect();
        schema.push_str(&format!(
            "CREATE NODE TABLE {}(id INT64, {}, PRIMARY KEY (id));\n",
            label.name(),
            cols.join(", ")
        ));
    }
    for kind in EdgeType::ALL {
        let pairs: Vec<String> = groups
            .keys()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, f, t)| format!("FROM {} TO {}", Label::ALL[*f].name(), Label::ALL[*t].name()))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let mut parts = pairs;
        parts.extend(rel_columns(kind).iter().map(|(n, t)| format!("{n} {t}")));
        schema.push_str(&format!("CREATE REL TABLE {}({});\n", kind.name(), parts.join(", ")));
    }
    fs::write(dir.join("schema.cypher"), schema)?;

    let mut copy = String::new();
    for label in Label::ALL {
        copy.push_str(&format!(
            "COPY {} FROM '{}.csv' (header=true);\n",
            label.name(),
            label.name()
        ));
    }
    for c in copies {
        copy.push_str(&c);
        copy.push('\n');
    }
    fs::write(dir.join("copy.cypher"), copy)
}
