//! Pictures of answers: the subgraph a result mentions, as Graphviz DOT, rendered to
//! SVG or PNG by Graphviz's `dot` when it is installed.

use crate::report::{CliError, CliResult};
use crate::style::Style;
use lodestone::{Database, Direction, EdgeId, NodeId, Output, Props, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The part of the graph an answer mentions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subgraph {
    /// Nodes by id: labels and properties.
    pub nodes: BTreeMap<NodeId, (Vec<String>, Props)>,
    /// Relationships by id: type, start, end, properties.
    pub edges: BTreeMap<EdgeId, (String, NodeId, NodeId, Props)>,
}

fn collect(value: &Value, g: &mut Subgraph, names: &mut Vec<String>) {
    match value {
        Value::Node(n) => {
            g.nodes.insert(n.id, (n.labels.clone(), n.props.clone()));
        }
        Value::Edge(e) => {
            g.edges
                .insert(e.id, (e.rel_type.clone(), e.start, e.end, e.props.clone()));
        }
        Value::Path(p) => {
            for n in &p.nodes {
                g.nodes.insert(n.id, (n.labels.clone(), n.props.clone()));
            }
            for e in &p.edges {
                g.edges
                    .insert(e.id, (e.rel_type.clone(), e.start, e.end, e.props.clone()));
            }
        }
        Value::List(items) => items.iter().for_each(|v| collect(v, g, names)),
        Value::Map(m) => m.values().for_each(|v| collect(v, g, names)),
        Value::String(s) => names.push(s.clone()),
        _ => {}
    }
}

/// The subgraph of an answer: its nodes, relationships and paths, with the endpoints
/// of its relationships. When it names nodes but no relationships, the relationships
/// among those nodes are added; when it holds only text, cells that name entities
/// stand for those entities.
pub fn subgraph(db: &Database, output: &Output) -> CliResult<Subgraph> {
    let mut g = Subgraph::default();
    let mut names = Vec::new();
    for row in &output.rows {
        for v in row {
            collect(v, &mut g, &mut names);
        }
    }
    let read = db.read()?;
    // Questions describe the walk behind each answer as text: `A -[TYPE role]-> B <-[TYPE]- C`.
    for text in &names {
        for (from, rel_type, forward, to) in parse_walk(text) {
            let starts = read.lookup_name(&lodestone::normalize_name(&from))?;
            let ends: BTreeSet<NodeId> = read.lookup_name(&lodestone::normalize_name(&to))?.into_iter().collect();
            for a in starts {
                let dir = if forward {
                    Direction::Outgoing
                } else {
                    Direction::Incoming
                };
                let mut found = Vec::new();
                read.expand(a, dir, &[rel_type.as_str()], &mut |adj| {
                    if ends.contains(&adj.other) {
                        found.push(adj.edge);
                    }
                    ControlFlow::Continue(())
                })?;
                for e in found {
                    if let Some(rec) = read.edge(e)? {
                        g.edges.insert(e, (rec.rel_type, rec.start, rec.end, rec.props));
                    }
                }
            }
        }
    }
    if g.nodes.is_empty() && g.edges.is_empty() {
        for name in &names {
            for id in read.lookup_name(&lodestone::normalize_name(name))? {
                if let Some(rec) = read.node(id)? {
                    g.nodes.insert(id, (rec.labels, rec.props));
                }
            }
        }
    }
    if g.edges.is_empty() && g.nodes.len() > 1 {
        let ids: BTreeSet<NodeId> = g.nodes.keys().copied().collect();
        for id in &ids {
            let mut found = Vec::new();
            read.expand(*id, Direction::Outgoing, &[], &mut |adj| {
                if ids.contains(&adj.other) {
                    found.push(adj.edge);
                }
                ControlFlow::Continue(())
            })?;
            for e in found {
                if let Some(rec) = read.edge(e)? {
                    g.edges.insert(e, (rec.rel_type, rec.start, rec.end, rec.props));
                }
            }
        }
    }
    let missing: Vec<NodeId> = g
        .edges
        .values()
        .flat_map(|(_, s, e, _)| [*s, *e])
        .filter(|id| !g.nodes.contains_key(id))
        .collect();
    for id in missing {
        if let Some(rec) = read.node(id)? {
            g.nodes.insert(id, (rec.labels, rec.props));
        }
    }
    Ok(g)
}

/// Reads a walk written as `A -[TYPE ...]-> B <-[TYPE ...]- C` into steps
/// (from, type, whether the arrow points forward, to); empty for other text.
pub fn parse_walk(text: &str) -> Vec<(String, String, bool, String)> {
    let mut steps = Vec::new();
    let mut rest = text;
    let mut from: Option<String> = None;
    loop {
        let fwd = rest.find(" -[");
        let back = rest.find(" <-[");
        let (at, open, forward) = match (fwd, back) {
            (Some(f), Some(b)) if b < f => (b, 4, false),
            (Some(f), _) => (f, 3, true),
            (None, Some(b)) => (b, 4, false),
            (None, None) => break,
        };
        let name = rest[..at].trim().to_string();
        let after = &rest[at + open..];
        let Some(close) = after.find(']') else { break };
        let rel_type = after[..close].split_whitespace().next().unwrap_or("").to_string();
        let tail = &after[close + 1..];
        let arrow = if forward { "->" } else { "-" };
        let Some(tail) = tail.strip_prefix(arrow) else { break };
        // Each step starts where the one before ended.
        if let Some(prev) = from.take()
            && prev != name
        {
            return Vec::new();
        }
        let next_end = [tail.find(" -["), tail.find(" <-[")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(tail.len());
        let to = tail[..next_end].trim().to_string();
        if name.is_empty() || to.is_empty() || rel_type.is_empty() {
            break;
        }
        steps.push((name, rel_type, forward, to.clone()));
        from = Some(to);
        rest = tail;
    }
    steps
}

/// Fill colours for the node kinds of the domain; other labels get one from a hash.
fn colour(label: Option<&str>) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#fde2e4", "#e2ece9", "#fff1e6", "#dfe7fd", "#f0efeb", "#cddafd", "#eae4e9", "#d8f3dc",
    ];
    match label {
        Some("Company") => "#cfe8ff",
        Some("Government") => "#ffd6a5",
        Some("Agency") => "#ffe5b4",
        Some("Alliance") => "#e4c1f9",
        Some("Person") => "#fdffb6",
        Some("Deposit") => "#caffbf",
        Some("Facility") => "#9bf6ff",
        Some("Deal") => "#ffc6ff",
        Some("Material") => "#d9ed92",
        Some("Source") => "#e9ecef",
        Some(other) => {
            let h = other
                .bytes()
                .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            PALETTE[(h as usize) % PALETTE.len()]
        }
        None => "#ffffff",
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn node_title(id: NodeId, props: &Props) -> String {
    for key in ["name", "title", "firstName", "id"] {
        match props.get(key) {
            Some(Value::String(s)) => return s.clone(),
            Some(v @ Value::Int(_)) if key == "id" => return v.to_string(),
            _ => {}
        }
    }
    format!("#{id}")
}

/// The picture in DOT: nodes coloured by kind, edges labelled with type and amount.
pub fn to_dot(g: &Subgraph) -> String {
    let mut s = String::from("digraph answer {\n");
    s.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", bgcolor=\"white\"];\n");
    s.push_str("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n");
    s.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
    for (id, (labels, props)) in &g.nodes {
        let kind = labels.first().map(String::as_str);
        let title = node_title(*id, props);
        let label = match kind {
            Some(_) => format!("{title}\n({})", labels.join(":")),
            None => title,
        };
        let _ = writeln!(
            s,
            "  n{} [label=\"{}\", fillcolor=\"{}\"];",
            id.0,
            dot_escape(&label),
            colour(kind)
        );
    }
    for (rel_type, start, end, props) in g.edges.values() {
        let mut label = rel_type.clone();
        for key in ["amount", "share", "value"] {
            if let Some(v) = props.get(key) {
                label.push('\n');
                label.push_str(&crate::format::cell_text(v));
                break;
            }
        }
        let _ = writeln!(s, "  n{} -> n{} [label=\"{}\"];", start.0, end.0, dot_escape(&label));
    }
    s.push_str("}\n");
    s
}

/// The Graphviz program: `$LODESTONE_DOT` when set, else `dot` on the `PATH`.
fn dot_program() -> PathBuf {
    std::env::var_os("LODESTONE_DOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("dot"), PathBuf::from)
}

/// What [`draw`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// The file written.
    pub path: PathBuf,
    /// Whether DOT was written instead of the requested picture because Graphviz is missing.
    pub fell_back: bool,
}

/// Writes the picture to `out`: `.dot`/`.gv` as DOT, `.svg`/`.png`/`.pdf` through Graphviz.
/// Without Graphviz, writes DOT next to `out` (extension `.dot`) and says how to render it.
pub fn draw(g: &Subgraph, out: &Path) -> CliResult<Drawn> {
    let dot = to_dot(g);
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| CliError::Data(format!("cannot write {}: {e}", path.display())))
    };
    match ext.as_str() {
        "dot" | "gv" => {
            write(out, &dot)?;
            return Ok(Drawn {
                path: out.to_path_buf(),
                fell_back: false,
            });
        }
        "svg" | "png" | "pdf" => {}
        _ => {
            return Err(CliError::Usage(format!(
                "cannot tell the picture format from `{}`: use .svg, .png, .pdf or .dot",
                out.display()
            )));
        }
    }
    let program = dot_program();
    let child = std::process::Command::new(&program)
        .arg(format!("-T{ext}"))
        .arg("-o")
        .arg(out)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fallback = out.with_extension("dot");
            write(&fallback, &dot)?;
            let style = Style::stderr();
            eprintln!(
                "{}",
                style.warn(&format!(
                    "Graphviz's `dot` was not found, so the picture was written as DOT to {}.\n\
                     Install Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: `brew install graphviz`),\n\
                     then run: dot -T{ext} -o {} {}",
                    fallback.display(),
                    out.display(),
                    fallback.display()
                ))
            );
            return Ok(Drawn {
                path: fallback,
                fell_back: true,
            });
        }
        Err(e) => return Err(CliError::Data(format!("cannot run {}: {e}", program.display()))),
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| CliError::Data(format!("cannot send the graph to {}: {e}", program.display())))?;
    }
    let result = child
        .wait_with_output()
        .map_err(|e| CliError::Data(format!("{} failed: {e}", program.display())))?;
    if !result.status.success() {
        return Err(CliError::Data(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&result.stderr).trim()
        )));
    }
    Ok(Drawn {
        path: out.to_path_buf(),
        fell_back: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lodestone::{EdgeValue, NodeValue, PathValue};

    fn node(id: u64, label: &str, name: &str) -> NodeValue {
        NodeValue {
            id: NodeId(id),
            labels: vec![label.into()],
            props: Props::from([("name".to_string(), Value::from(name))]),
        }
    }

    #[test]
    fn walks_read_from_question_answers() {
        let steps = parse_walk("Commerce -[FUNDS investor]-> A grant to X -[FUNDS grantee]-> X <-[OWNS]- Y");
        assert_eq!(
            steps,
            [
                ("Commerce".into(), "FUNDS".into(), true, "A grant to X".into()),
                ("A grant to X".into(), "FUNDS".into(), true, "X".into()),
                ("X".into(), "OWNS".into(), false, "Y".into()),
            ]
        );
        assert!(parse_walk("plain text").is_empty());
        assert!(parse_walk("A -[broken").is_empty());
    }

    #[test]
    fn dot_colours_kinds_and_labels_edges() {
        let a = node(1, "Agency", "Department of \"Defense\"");
        let b = node(2, "Company", "MP Materials");
        let e = EdgeValue {
            id: EdgeId(7),
            rel_type: "FUNDS".into(),
            start: a.id,
            end: b.id,
            props: Props::from([("amount".to_string(), Value::Money("$400M".parse().unwrap()))]),
        };
        let out = Output {
            columns: vec!["p".into()],
            rows: vec![vec![Value::Path(Box::new(PathValue {
                nodes: vec![a, b],
                edges: vec![e],
            }))]],
            ..Output::default()
        };
        let mut g = Subgraph::default();
        let mut names = Vec::new();
        for v in &out.rows[0] {
            collect(v, &mut g, &mut names);
        }
        let dot = to_dot(&g);
        assert!(dot.contains("n1 -> n2 [label=\"FUNDS\\nUSD 400M\"]"), "{dot}");
        assert!(dot.contains("Department of \\\"Defense\\\"\\n(Agency)"), "{dot}");
        assert!(dot.contains(colour(Some("Company"))), "{dot}");
    }
}
