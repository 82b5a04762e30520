//! Rendering results as a table, JSON, CSV or Markdown.

use crate::style::Style;
use comfy_table::{ContentArrangement, Table, presets};
use lodestone::{Counters, Output, Value, output_to_json};
use std::fmt::Write as _;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A boxed table for people.
    Table,
    /// One `{"columns": [...], "rows": [[...], ...]}` object per statement, one per line.
    Json,
    /// A header line and one line per row.
    Csv,
    /// A Markdown table.
    Markdown,
}

impl Format {
    /// The format's name as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
        }
    }

    /// Reads a format name (`md` is accepted for Markdown).
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "table" => Format::Table,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "markdown" | "md" => Format::Markdown,
            _ => return None,
        })
    }
}

/// Options for rendering one result.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Show at most this many rows, with a note about the rest (tables and Markdown only).
    pub max_rows: Option<usize>,
    /// Cut cells longer than this many characters (tables only).
    pub max_cell: Option<usize>,
    /// Fit tables to this many columns.
    pub width: Option<u16>,
    /// Colours.
    pub style: Style,
}

/// A cell's text for people: strings without quotes, everything else as the language prints it.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A cell's text for CSV: strings raw, null empty.
pub fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        other => cell_text(other),
    }
}

/// An EXPLAIN result without rows shows its plan as the only column.
fn with_plan_as_rows(output: &Output) -> Option<Output> {
    match &output.plan {
        Some(plan) if output.columns.is_empty() => Some(Output {
            columns: vec!["plan".into()],
            rows: vec![vec![Value::String(plan.clone())]],
            ..output.clone()
        }),
        _ => None,
    }
}

/// What a write changed, in words (`Created 2 nodes, 1 relationship.`), or `None` when nothing.
pub fn counters_text(c: &Counters) -> Option<String> {
    let count = |n: u64, one: &str, many: &str| (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }));
    let groups = [
        (
            "created",
            vec![
                count(c.nodes_created, "node", "nodes"),
                count(c.relationships_created, "relationship", "relationships"),
            ],
        ),
        (
            "deleted",
            vec![
                count(c.nodes_deleted, "node", "nodes"),
                count(c.relationships_deleted, "relationship", "relationships"),
            ],
        ),
        ("set", vec![count(c.properties_set, "property", "properties")]),
        ("added", vec![count(c.labels_added, "label", "labels")]),
        ("removed", vec![count(c.labels_removed, "label", "labels")]),
    ];
    let parts: Vec<String> = groups
        .into_iter()
        .filter_map(|(verb, items)| {
            let items: Vec<String> = items.into_iter().flatten().collect();
            (!items.is_empty()).then(|| format!("{verb} {}", items.join(", ")))
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let text = parts.join("; ");
    let mut chars = text.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    Some(format!("{first}{}.", chars.as_str()))
}

fn truncate_cell(text: &str, max: Option<usize>) -> String {
    match max {
        Some(max) if text.chars().count() > max => {
            let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => text.to_string(),
    }
}

/// Renders one result in `format`. The text ends with a newline unless it is empty.
pub fn render(output: &Output, format: Format, options: &RenderOptions) -> String {
    // A statement without columns (a write without RETURN) has no rows to show.
    let trimmed;
    let output = if output.columns.is_empty() && !output.rows.is_empty() {
        trimmed = Output {
            rows: Vec::new(),
            ..output.clone()
        };
        &trimmed
    } else {
        output
    };
    match format {
        Format::Json => {
            let shown = with_plan_as_rows(output);
            let mut s = output_to_json(shown.as_ref().unwrap_or(output)).to_string();
            s.push('\n');
            s
        }
        Format::Csv => render_csv(with_plan_as_rows(output).as_ref().unwrap_or(output)),
        Format::Markdown => render_markdown(output, options),
        Format::Table => render_table(output, options),
    }
}

fn render_csv(output: &Output) -> String {
    if output.columns.is_empty() {
        return String::new();
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(&output.columns);
    for row in &output.rows {
        let _ = w.write_record(row.iter().map(csv_cell));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn md_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

fn shown_rows(output: &Output, options: &RenderOptions) -> (usize, usize) {
    let total = output.rows.len();
    let shown = options.max_rows.map_or(total, |m| m.min(total));
    (shown, total - shown)
}

fn footer(output: &Output, hidden: usize, options: &RenderOptions) -> String {
    let mut s = String::new();
    let total = output.rows.len();
    if hidden > 0 {
        let _ = writeln!(
            s,
            "{}",
            options
                .style
                .dim(&format!("… {hidden} more rows not shown ({total} rows in all)"))
        );
    } else {
        let _ = writeln!(
            s,
            "{}",
            options
                .style
                .dim(&format!("{total} row{}", if total == 1 { "" } else { "s" }))
        );
    }
    s
}

fn render_markdown(output: &Output, options: &RenderOptions) -> String {
    let Some(output) = with_plan_as_rows(output).or_else(|| (!output.columns.is_empty()).then(|| output.clone()))
    else {
        return counters_text(&output.counters).map(|t| t + "\n").unwrap_or_default();
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| {} |",
        output
            .columns
            .iter()
            .map(|c| md_escape(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(s, "|{}", " --- |".repeat(output.columns.len()));
    let (shown, hidden) = shown_rows(&output, options);
    for row in output.rows.iter().take(shown) {
        let cells: Vec<String> = row.iter().map(|v| md_escape(&cell_text(v))).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    if hidden > 0 {
        let _ = writeln!(
            s,
            "\n_{hidden} more rows not shown ({} rows in all)_",
            output.rows.len()
        );
    }
    s
}

fn render_table(output: &Output, options: &RenderOptions) -> String {
    let mut s = String::new();
    if output.columns.is_empty() {
        if let Some(plan) = &output.plan {
            s.push_str(plan);
            if !plan.ends_with('\n') {
                s.push('\n');
            }
        }
        match counters_text(&output.counters) {
            Some(text) => {
                let _ = writeln!(s, "{}", options.style.dim(&text));
            }
            None if output.plan.is_none() => {
                let _ = writeln!(s, "{}", options.style.dim("(no changes, no rows)"));
            }
            None => {}
        }
        return s;
    }
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).force_no_tty();
    if let Some(width) = options.width {
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
    }
    table.set_header(output.columns.iter());
    let (shown, hidden) = shown_rows(output, options);
    for row in output.rows.iter().take(shown) {
        table.add_row(row.iter().map(|v| truncate_cell(&cell_text(v), options.max_cell)));
    }
    let _ = writeln!(s, "{table}");
    s.push_str(&footer(output, hidden, options));
    if let Some(text) = counters_text(&output.counters) {
        let _ = writeln!(s, "{}", options.style.dim(&text));
    }
    if let Some(plan) = &output.plan {
        s.push_str(plan);
        if !plan.ends_with('\n') {
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Output {
        Output {
            columns: vec!["name".into(), "amount".into(), "when".into()],
            rows: vec![
                vec![
                    Value::from("MP Materials"),
                    Value::Money("$400M".parse().unwrap()),
                    Value::Null,
                ],
                vec![
                    Value::from("a|b, \"c\""),
                    Value::Int(3),
                    Value::Date("2025-09".parse().unwrap()),
                ],
            ],
            ..Output::default()
        }
    }

    #[test]
    fn json_has_exact_shape() {
        let s = render(&sample(), Format::Json, &RenderOptions::default());
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["columns"], serde_json::json!(["name", "amount", "when"]));
        assert_eq!(
            v["rows"][0][1],
            serde_json::json!({"amount": "400000000", "currency": "USD"})
        );
        assert_eq!(v["rows"][1][2], serde_json::json!("2025-09"));
        assert_eq!(v.as_object().unwrap().len(), 2);
    }

    #[test]
    fn csv_quotes_and_blanks_null() {
        let s = render(&sample(), Format::Csv, &RenderOptions::default());
        assert_eq!(
            s,
            "name,amount,when\nMP Materials,USD 400M,\n\"a|b, \"\"c\"\"\",3,2025-09\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes() {
        let s = render(&sample(), Format::Markdown, &RenderOptions::default());
        assert!(s.starts_with("| name | amount | when |\n| --- | --- | --- |\n"), "{s}");
        assert!(s.contains("a\\|b"), "{s}");
    }

    #[test]
    fn table_truncates_with_note() {
        let mut out = sample();
        for i in 0..10 {
            out.rows.push(vec![Value::Int(i), Value::Null, Value::Null]);
        }
        let opts = RenderOptions {
            max_rows: Some(3),
            ..RenderOptions::default()
        };
        let s = render(&out, Format::Table, &opts);
        assert!(s.contains("MP Materials"));
        assert!(s.contains("9 more rows not shown (12 rows in all)"), "{s}");
        assert!(!s.contains("│ 5 "), "{s}");
    }

    #[test]
    fn writes_report_counters() {
        let out = Output {
            counters: Counters {
                nodes_created: 2,
                relationships_created: 1,
                ..Counters::default()
            },
            ..Output::default()
        };
        assert_eq!(
            render(&out, Format::Table, &RenderOptions::default()),
            "Created 2 nodes, 1 relationship.\n"
        );
        assert_eq!(
            render(&out, Format::Json, &RenderOptions::default()),
            "{\"columns\":[],\"rows\":[]}\n"
        );
        assert_eq!(render(&out, Format::Csv, &RenderOptions::default()), "");
    }

    #[test]
    fn explain_plan_becomes_a_column() {
        let out = Output {
            plan: Some("Scan\n  Filter".into()),
            ..Output::default()
        };
        let s = render(&out, Format::Json, &RenderOptions::default());
        assert_eq!(s, "{\"columns\":[\"plan\"],\"rows\":[[\"Scan\\n  Filter\"]]}\n");
    }
}
