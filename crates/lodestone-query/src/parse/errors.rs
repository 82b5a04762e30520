//! Turns pest's failures into messages in the user's words.

use super::grammar::Rule;
use crate::QueryError;
use crate::ast::Span;
use pest::error::{ErrorVariant, InputLocation};

/// How an expected rule is described, and which group it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// Anything that starts an expression.
    Expression,
    /// A clause keyword (MATCH, RETURN ...).
    Clause,
    /// An operator that may follow an expression.
    Operator,
    /// The end of the statement.
    End,
    /// A phrase of its own.
    Phrase(&'static str),
    /// Not worth mentioning.
    Skip,
}

fn group(rule: Rule) -> Group {
    use Group::*;
    match rule {
        Rule::date_literal
        | Rule::money_literal
        | Rule::percent_literal
        | Rule::hex_integer
        | Rule::octal_integer
        | Rule::float_literal
        | Rule::integer
        | Rule::bad_number
        | Rule::string_literal
        | Rule::TRUE
        | Rule::FALSE
        | Rule::NULL
        | Rule::parameter
        | Rule::case_expr
        | Rule::count_star
        | Rule::quantifier_expr
        | Rule::quantifier
        | Rule::reduce_expr
        | Rule::function_call
        | Rule::list_like
        | Rule::list_body
        | Rule::map_literal
        | Rule::relationships_pattern
        | Rule::parenthesized
        | Rule::expression
        | Rule::prefix_op
        | Rule::projection_items
        | Rule::projection_item
        | Rule::sort_item
        | Rule::NOT
        | Rule::CASE
        | Rule::COUNT
        | Rule::REDUCE => Expression,
        Rule::MATCH
        | Rule::OPTIONAL
        | Rule::UNWIND
        | Rule::WITH
        | Rule::RETURN
        | Rule::CREATE
        | Rule::MERGE
        | Rule::SET
        | Rule::REMOVE
        | Rule::DELETE
        | Rule::DETACH
        | Rule::CITE
        | Rule::match_clause
        | Rule::unwind_clause
        | Rule::with_clause
        | Rule::return_clause
        | Rule::create_clause
        | Rule::merge_clause
        | Rule::set_clause
        | Rule::remove_clause
        | Rule::delete_clause
        | Rule::cite_clause
        | Rule::single_query
        | Rule::statement
        | Rule::query
        | Rule::schema_statement
        | Rule::statement_prefix
        | Rule::as_of
        | Rule::EXPLAIN
        | Rule::PROFILE
        | Rule::DROP_WORD
        | Rule::SHOW => Clause,
        Rule::OR
        | Rule::XOR
        | Rule::AND
        | Rule::infix_op
        | Rule::null_pred
        | Rule::comparison_op
        | Rule::add_op
        | Rule::mul_op
        | Rule::POW_OP
        | Rule::IS
        | Rule::IN
        | Rule::STARTS
        | Rule::ENDS
        | Rule::CONTAINS
        | Rule::REGEX_OP
        | Rule::property_lookup
        | Rule::subscript => Operator,
        Rule::EOI => End,
        Rule::variable => Phrase("a variable name"),
        Rule::label_name | Rule::kind_list => Phrase("a label name"),
        Rule::rel_type_name | Rule::relationship_types => Phrase("a relationship type"),
        Rule::property_key => Phrase("a property name"),
        Rule::function_name | Rule::name_part => Phrase("a function name"),
        Rule::type_name | Rule::property_type | Rule::list_type | Rule::LIST => {
            Phrase("a property type such as STRING, INTEGER or LIST<STRING>")
        }
        Rule::family_name => Phrase("a family name such as ownership or investment"),
        Rule::range_min | Rule::range_max => Phrase("a number of hops"),
        Rule::range => Phrase("`*`"),
        Rule::node_pattern => Phrase("a node pattern such as `(n)`"),
        Rule::relationship_pattern | Rule::pattern_chain | Rule::ARROW_LEFT | Rule::DASH => {
            Phrase("a relationship pattern such as `-[:TYPE]->`")
        }
        Rule::relationship_detail => Phrase("`[`"),
        Rule::pattern
        | Rule::pattern_part
        | Rule::pattern_element
        | Rule::shortest_path
        | Rule::all_shortest_paths
        | Rule::SHORTESTPATH
        | Rule::ALLSHORTESTPATHS => Phrase("a pattern such as `(n:Label)`"),
        Rule::properties => Phrase("a property map `{...}` or a parameter"),
        Rule::node_labels => Phrase("a label such as `:Company`"),
        Rule::set_item
        | Rule::set_labels
        | Rule::set_merge
        | Rule::set_replace
        | Rule::set_property
        | Rule::property_target => Phrase("an item to set such as `n.key = value`"),
        Rule::remove_item | Rule::remove_labels => Phrase("an item to remove such as `n.key` or `n:Label`"),
        Rule::where_clause | Rule::comprehension_where | Rule::WHERE => Phrase("`WHERE`"),
        Rule::order_by | Rule::ORDER => Phrase("ORDER BY"),
        Rule::skip | Rule::SKIP => Phrase("SKIP"),
        Rule::limit | Rule::LIMIT => Phrase("LIMIT"),
        Rule::union | Rule::UNION => Phrase("UNION"),
        Rule::merge_action => Phrase("ON CREATE SET or ON MATCH SET"),
        Rule::comprehension_map | Rule::PIPE => Phrase("`|`"),
        Rule::pattern_comprehension => Phrase("a pattern comprehension"),
        Rule::case_when | Rule::WHEN => Phrase("`WHEN`"),
        Rule::case_else | Rule::ELSE => Phrase("`ELSE`"),
        Rule::not_null => Phrase("NOT NULL"),
        Rule::property_defs => Phrase("a list of property declarations in `(...)`"),
        Rule::property_def => Phrase("a property declaration such as `name STRING`"),
        Rule::cite_line | Rule::LINE => Phrase("`LINE`"),
        Rule::cite_note | Rule::NOTE => Phrase("`NOTE`"),
        Rule::create_node_kind | Rule::create_edge_kind | Rule::drop_kind | Rule::create_index | Rule::show_schema => {
            Phrase("a schema statement")
        }
        Rule::LPAREN => Phrase("`(`"),
        Rule::RPAREN => Phrase("`)`"),
        Rule::LBRACKET => Phrase("`[`"),
        Rule::RBRACKET => Phrase("`]`"),
        Rule::LBRACE => Phrase("`{`"),
        Rule::RBRACE => Phrase("`}`"),
        Rule::COMMA => Phrase("`,`"),
        Rule::COLON => Phrase("`:`"),
        Rule::DOT => Phrase("`.`"),
        Rule::DOTDOT => Phrase("`..`"),
        Rule::STAR => Phrase("`*`"),
        Rule::PLUS_EQ => Phrase("`+=`"),
        Rule::EQ_SIGN => Phrase("`=`"),
        Rule::ARROW_RIGHT | Rule::GT => Phrase("`>`"),
        Rule::LT => Phrase("`<`"),
        Rule::ALL => Phrase("`ALL`"),
        Rule::AS => Phrase("`AS`"),
        Rule::ASC | Rule::ASCENDING => Phrase("ASC"),
        Rule::DESC | Rule::DESCENDING => Phrase("DESC"),
        Rule::BY => Phrase("`BY`"),
        Rule::DISTINCT => Phrase("DISTINCT"),
        Rule::EDGE => Phrase("`EDGE`"),
        Rule::NODE => Phrase("`NODE`"),
        Rule::INDEX => Phrase("`INDEX`"),
        Rule::KIND => Phrase("`KIND`"),
        Rule::FAMILY => Phrase("`FAMILY`"),
        Rule::FROM => Phrase("`FROM`"),
        Rule::TO => Phrase("`TO`"),
        Rule::OF => Phrase("`OF`"),
        Rule::ON => Phrase("`ON`"),
        Rule::SCHEMA => Phrase("`SCHEMA`"),
        Rule::SOURCE => Phrase("`SOURCE`"),
        Rule::THEN => Phrase("`THEN`"),
        Rule::END => Phrase("`END`"),
        Rule::ANY_WORD | Rule::NONE | Rule::SINGLE => Phrase("a quantifier"),
        _ => Skip,
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Describes the rules pest expected at the failure position.
pub(crate) fn describe_expected(positives: &[Rule]) -> Option<String> {
    let mut phrases: Vec<String> = Vec::new();
    let mut expression = false;
    let mut variable = false;
    let mut clauses: Vec<Rule> = Vec::new();
    let mut operators: Vec<Rule> = Vec::new();
    let mut end = false;
    for &rule in positives {
        match group(rule) {
            Group::Expression => expression = true,
            Group::Clause => clauses.push(rule),
            Group::Operator => operators.push(rule),
            Group::End => end = true,
            Group::Phrase(p) => {
                if rule == Rule::variable {
                    variable = true;
                } else if !phrases.iter().any(|q| q == p) {
                    phrases.push(p.to_string());
                }
            }
            Group::Skip => {}
        }
    }
    let mut out = phrases;
    if !operators.is_empty() {
        // After an expression, `.`, `[`, `:` and a call's `(` are operators too.
        out.retain(|p| !matches!(p.as_str(), "`.`" | "`[`" | "`:`" | "`(`"));
        if out.len() + operators.len() > 1 {
            operators.push(Rule::AND);
        }
    }
    if expression {
        // These only start kinds of expression here.
        out.retain(|p| {
            !matches!(
                p.as_str(),
                "a pattern comprehension" | "a function name" | "`(`" | "`[`" | "`{`" | "a node pattern such as `(n)`"
            )
        });
        out.push("an expression".into());
    } else if variable {
        out.insert(0, "a variable name".into());
    }
    match operators.as_slice() {
        [] => {}
        [one] => out.push(operator_phrase(*one).into()),
        _ => out.push("an operator".into()),
    }
    match clauses.as_slice() {
        [] => {}
        [one] => out.push(clause_phrase(*one).into()),
        _ => out.push("a clause such as MATCH, RETURN or CREATE".into()),
    }
    if end {
        out.push("the end of the statement".into());
    }
    (!out.is_empty()).then(|| join_or(&out))
}

fn operator_phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::OR => "OR",
        Rule::XOR => "XOR",
        Rule::AND => "AND",
        Rule::comparison_op => "a comparison such as `=`",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*`, `/` or `%`",
        Rule::POW_OP => "`^`",
        Rule::IS | Rule::null_pred => "IS NULL",
        Rule::IN => "IN",
        Rule::STARTS => "STARTS WITH",
        Rule::ENDS => "ENDS WITH",
        Rule::CONTAINS => "CONTAINS",
        Rule::REGEX_OP => "`=~`",
        Rule::infix_op => "an operator",
        Rule::property_lookup => "`.`",
        _ => "`[`",
    }
}

fn clause_phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::MATCH | Rule::match_clause => "MATCH",
        Rule::OPTIONAL => "OPTIONAL MATCH",
        Rule::UNWIND | Rule::unwind_clause => "UNWIND",
        Rule::WITH | Rule::with_clause => "WITH",
        Rule::RETURN | Rule::return_clause => "RETURN",
        Rule::CREATE | Rule::create_clause => "CREATE",
        Rule::MERGE | Rule::merge_clause => "MERGE",
        Rule::SET | Rule::set_clause => "SET",
        Rule::REMOVE | Rule::remove_clause => "REMOVE",
        Rule::DELETE | Rule::delete_clause => "DELETE",
        Rule::DETACH => "DETACH DELETE",
        Rule::CITE | Rule::cite_clause => "CITE",
        Rule::as_of => "AS OF",
        _ => "a clause such as MATCH, RETURN or CREATE",
    }
}

/// Keywords a misspelled word may be compared with.
const KEYWORDS: [&str; 27] = [
    "MATCH", "OPTIONAL", "UNWIND", "WITH", "RETURN", "CREATE", "MERGE", "SET", "REMOVE", "DELETE", "DETACH", "CITE",
    "UNION", "WHERE", "ORDER", "SKIP", "LIMIT", "DISTINCT", "AS", "ON", "BY", "SOURCE", "LINE", "NOTE", "KIND",
    "SCHEMA", "INDEX",
];

const CLAUSE_KEYWORDS: [&str; 12] = [
    "MATCH", "OPTIONAL", "UNWIND", "WITH", "RETURN", "CREATE", "MERGE", "SET", "REMOVE", "DELETE", "DETACH", "CITE",
];

/// Edit distance between two short ASCII-case-folded words.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_uppercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_uppercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A keyword the expected set allows that `word` is probably a misspelling of.
fn did_you_mean(word: &str, positives: &[Rule]) -> Option<&'static str> {
    if word.chars().count() < 3 || !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let names: Vec<String> = positives.iter().map(|r| format!("{r:?}")).collect();
    let clause_expected = positives.iter().any(|r| group(*r) == Group::Clause);
    KEYWORDS
        .iter()
        .filter(|k| names.iter().any(|n| n == *k) || (clause_expected && CLAUSE_KEYWORDS.contains(k)))
        .map(|k| (distance(word, k), *k))
        .filter(|(d, k)| *d > 0 && *d <= 2 && *d < k.len() / 2 + 1)
        .min()
        .map(|(_, k)| k)
}

/// What is at `pos` in `text`, in words, and how many bytes it covers.
pub(crate) fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = text.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("the end of the statement".into(), 0);
    };
    let take = |pred: &dyn Fn(char) -> bool| -> usize {
        rest.char_indices()
            .find(|&(_, c)| !pred(c))
            .map_or(rest.len(), |(i, _)| i)
    };
    let len = if c.is_alphanumeric() || c == '_' {
        take(&|c: char| c.is_alphanumeric() || c == '_')
    } else if c == '\'' || c == '"' {
        return ("a string".into(), c.len_utf8());
    } else {
        c.len_utf8()
    };
    let shown: String = rest[..len].chars().take(40).collect();
    (format!("`{shown}`"), len)
}

/// Converts a pest error on `chunk` (which starts at byte `base` of the script).
pub(crate) fn from_pest(err: &pest::error::Error<Rule>, chunk: &str, base: usize) -> QueryError {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let (found, len) = found_at(chunk, pos);
    let span = Span::new(base + pos, base + pos + len);
    let message = match &err.variant {
        ErrorVariant::CustomError { message } if message.contains("call limit") => {
            "the statement is too complex to parse; split it into smaller statements".to_string()
        }
        ErrorVariant::CustomError { message } if message.contains("stack limit") => {
            "the statement is nested too deeply to parse".to_string()
        }
        ErrorVariant::CustomError { message } => message.clone(),
        ErrorVariant::ParsingError { positives, .. } => {
            let hint = chunk
                .get(pos..pos + len)
                .and_then(|word| did_you_mean(word, positives))
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            match describe_expected(positives) {
                Some(expected) => format!("expected {expected}, found {found}{hint}"),
                None => format!("unexpected {found}{hint}"),
            }
        }
    };
    QueryError::Syntax { message, span }
}
