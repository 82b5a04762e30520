//! A small reader for the Gherkin subset the TCK uses: Feature, Background, Scenario,
//! Scenario Outline with Examples tables, steps with docstrings and data tables, tags.
//!
//! Outlines are expanded while reading: each Examples row becomes one concrete
//! scenario whose name, step texts, docstrings and table cells have `<column>`
//! replaced by the row's values.

/// A parsed feature file.
#[derive(Debug, Clone, Default)]
pub struct Feature {
    /// The text after `Feature:`.
    pub name: String,
    /// Steps run before every scenario.
    pub background: Vec<Step>,
    /// Concrete scenarios, outlines already expanded.
    pub scenarios: Vec<Scenario>,
}

/// One concrete scenario.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// The name after substitution.
    pub name: String,
    /// Tags written above the scenario (without `@`).
    pub tags: Vec<String>,
    /// Its steps, background excluded.
    pub steps: Vec<Step>,
    /// 1-based line of the `Scenario` keyword.
    pub line: usize,
    /// For an expanded outline: the 1-based row number across all its Examples tables.
    pub example: Option<usize>,
}

/// One step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    /// `Given`, `When`, `Then`, `And`, `But` or `*`.
    pub keyword: String,
    /// The text after the keyword.
    pub text: String,
    /// The docstring below the step, indentation removed.
    pub docstring: Option<String>,
    /// The data table below the step, cells unescaped and trimmed.
    pub table: Option<Vec<Vec<String>>>,
    /// 1-based line of the step.
    pub line: usize,
}

const STEP_KEYWORDS: [&str; 6] = ["Given ", "When ", "Then ", "And ", "But ", "* "];

/// Splits a table row into unescaped, trimmed cells (`\|`, `\\` and `\n` are escapes).
pub fn split_row(line: &str) -> Result<Vec<String>, String> {
    let body = line.trim();
    let Some(body) = body.strip_prefix('|') else {
        return Err(format!("table row does not start with `|`: {line}"));
    };
    let mut cells = Vec::new();
    if body.trim().is_empty() {
        // A lone `|`: a row without cells.
        return Ok(cells);
    }
    let mut cell = String::new();
    let mut chars = body.chars();
    let mut closed = false;
    while let Some(c) = chars.next() {
        closed = false;
        match c {
            '\\' => match chars.next() {
                Some('|') => cell.push('|'),
                Some('\\') => cell.push('\\'),
                Some('n') => cell.push('\n'),
                Some(other) => {
                    cell.push('\\');
                    cell.push(other);
                }
                None => cell.push('\\'),
            },
            '|' => {
                cells.push(cell.trim().to_string());
                cell.clear();
                closed = true;
            }
            c => cell.push(c),
        }
    }
    if !closed {
        return Err(format!("table row does not end with `|`: {line}"));
    }
    Ok(cells)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Block {
    None,
    Background,
    Scenario,
    Examples,
}

#[derive(Debug, Default)]
struct Outline {
    name: String,
    tags: Vec<String>,
    steps: Vec<Step>,
    line: usize,
    is_outline: bool,
    examples: Vec<Vec<Vec<String>>>,
}

/// Reads a feature file's text.
pub fn parse_feature(text: &str) -> Result<Feature, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut feature = Feature::default();
    let mut block = Block::None;
    let mut pending_tags: Vec<String> = Vec::new();
    let mut current: Option<Outline> = None;
    let mut outlines: Vec<Outline> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let line = raw.trim();
        let lineno = i + 1;
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('@') {
            pending_tags.extend(line.split_whitespace().map(|t| t.trim_start_matches('@').to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("Feature:") {
            feature.name = rest.trim().to_string();
            pending_tags.clear();
            continue;
        }
        if line.starts_with("Background:") {
            block = Block::Background;
            continue;
        }
        let scenario_head = ["Scenario Outline:", "Scenario Template:", "Scenario:", "Example:"]
            .iter()
            .find_map(|k| line.strip_prefix(k).map(|rest| (*k, rest)));
        if let Some((keyword, rest)) = scenario_head {
            if let Some(done) = current.take() {
                outlines.push(done);
            }
            current = Some(Outline {
                name: rest.trim().to_string(),
                tags: std::mem::take(&mut pending_tags),
                line: lineno,
                is_outline: keyword != "Scenario:" && keyword != "Example:",
                ..Outline::default()
            });
            block = Block::Scenario;
            continue;
        }
        if line.starts_with("Examples:") || line.starts_with("Scenarios:") {
            pending_tags.clear();
            let Some(outline) = current.as_mut() else {
                return Err(format!("line {lineno}: Examples outside a scenario outline"));
            };
            outline.examples.push(Vec::new());
            block = Block::Examples;
            continue;
        }
        if let Some(keyword) = STEP_KEYWORDS.iter().find(|k| line.starts_with(**k)) {
            let step = Step {
                keyword: keyword.trim().to_string(),
                text: line[keyword.len()..].trim().to_string(),
                line: lineno,
                ..Step::default()
            };
            match block {
                Block::Background => feature.background.push(step),
                Block::Scenario => match current.as_mut() {
                    Some(outline) => outline.steps.push(step),
                    None => return Err(format!("line {lineno}: step outside a scenario")),
                },
                Block::None | Block::Examples => return Err(format!("line {lineno}: step out of place: {line}")),
            }
            continue;
        }
        if line.starts_with("\"\"\"") || line.starts_with("```") {
            let delimiter = &line[..3];
            let indent = raw.len() - raw.trim_start().len();
            let mut body: Vec<String> = Vec::new();
            let mut closed = false;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if l.trim() == delimiter {
                    closed = true;
                    break;
                }
                // Remove up to `indent` leading whitespace characters, as Gherkin does.
                let strip = l.chars().take(indent).take_while(|c| c.is_whitespace()).count();
                let content: String = l.chars().skip(strip).collect();
                body.push(content.replace("\\\"\\\"\\\"", "\"\"\""));
            }
            if !closed {
                return Err(format!("line {lineno}: docstring not closed"));
            }
            let step = last_step(&mut feature, current.as_mut(), block)
                .ok_or_else(|| format!("line {lineno}: docstring without a step"))?;
            step.docstring = Some(body.join("\n"));
            continue;
        }
        if line.starts_with('|') {
            let cells = split_row(line).map_err(|e| format!("line {lineno}: {e}"))?;
            if block == Block::Examples {
                if let Some(table) = current.as_mut().and_then(|o| o.examples.last_mut()) {
                    table.push(cells);
                }
                continue;
            }
            let step = last_step(&mut feature, current.as_mut(), block)
                .ok_or_else(|| format!("line {lineno}: table without a step"))?;
            step.table.get_or_insert_with(Vec::new).push(cells);
            continue;
        }
        // Free description text below a Feature, Scenario or Examples heading.
    }
    if let Some(done) = current.take() {
        outlines.push(done);
    }
    for outline in outlines {
        expand(outline, &mut feature.scenarios)?;
    }
    Ok(feature)
}

fn last_step<'a>(feature: &'a mut Feature, current: Option<&'a mut Outline>, block: Block) -> Option<&'a mut Step> {
    match block {
        Block::Background => feature.background.last_mut(),
        Block::Scenario => current.and_then(|o| o.steps.last_mut()),
        _ => None,
    }
}

fn substitute(text: &str, header: &[String], row: &[String]) -> String {
    let mut out = text.to_string();
    for (name, value) in header.iter().zip(row) {
        out = out.replace(&format!("<{name}>"), value);
    }
    out
}

fn expand(outline: Outline, out: &mut Vec<Scenario>) -> Result<(), String> {
    if !outline.is_outline {
        out.push(Scenario {
            name: outline.name,
            tags: outline.tags,
            steps: outline.steps,
            line: outline.line,
            example: None,
        });
        return Ok(());
    }
    let mut number = 0;
    for table in &outline.examples {
        let Some((header, rows)) = table.split_first() else {
            continue;
        };
        for row in rows {
            if row.len() != header.len() {
                return Err(format!(
                    "line {}: examples row has {} cells, header has {}",
                    outline.line,
                    row.len(),
                    header.len()
                ));
            }
            number += 1;
            let steps = outline
                .steps
                .iter()
                .map(|s| Step {
                    keyword: s.keyword.clone(),
                    text: substitute(&s.text, header, row),
                    docstring: s.docstring.as_ref().map(|d| substitute(d, header, row)),
                    table: s.table.as_ref().map(|t| {
                        t.iter()
                            .map(|r| r.iter().map(|c| substitute(c, header, row)).collect())
                            .collect()
                    }),
                    line: s.line,
                })
                .collect();
            out.push(Scenario {
                name: substitute(&outline.name, header, row),
                tags: outline.tags.clone(),
                steps,
                line: outline.line,
                example: Some(number),
            });
        }
    }
    Ok(())
}

/// Checks the reader on a small feature; panics with the difference when it misreads.
pub fn self_test() {
    let text = r#"
Feature: F - sample

  Background:
    Given an empty graph

  @skipStyleCheck
  Scenario: [1] Plain
    When executing query:
      """
      MATCH (n)
        RETURN n
      """
    Then the result should be, in any order:
      | n      | s         |
      | (:A)   | 'a\|b\\c' |
    And no side effects

  Scenario Outline: [2] Outline <x>
    When executing query:
      """
      RETURN <x> AS v
      """
    Then the result should be, in order:
      | v   |
      | <y> |

    Examples:
      | x | y |
      | 1 | 1 |

    Examples:
      | x     | y  |
      | 'a'   | 'a' |
"#;
    let f = parse_feature(text).unwrap_or_else(|e| panic!("self test: {e}"));
    assert_eq!(f.name, "F - sample");
    assert_eq!(f.background.len(), 1);
    assert_eq!(f.scenarios.len(), 3, "{f:#?}");
    let s = &f.scenarios[0];
    assert_eq!(s.tags, ["skipStyleCheck"]);
    assert_eq!(s.steps[0].docstring.as_deref(), Some("MATCH (n)\n  RETURN n"));
    assert_eq!(
        s.steps[1].table.as_ref().map(|t| t[1].clone()),
        Some(vec!["(:A)".to_string(), "'a|b\\c'".to_string()])
    );
    assert_eq!(s.steps[2].text, "no side effects");
    let o = &f.scenarios[2];
    assert_eq!(o.name, "[2] Outline 'a'");
    assert_eq!(o.example, Some(2));
    assert_eq!(o.steps[0].docstring.as_deref(), Some("RETURN 'a' AS v"));
    assert_eq!(
        o.steps[1].table.as_ref().map(|t| t[1][0].clone()),
        Some("'a'".to_string())
    );
}
