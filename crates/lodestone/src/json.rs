//! The JSON shape of values and results, shared by the CLI and library users.

use lodestone_model::{EdgeValue, NodeValue, Props, Value};
use lodestone_query::Output;
use serde_json::{Map, Value as Json, json};

fn props_to_json(props: &Props) -> Json {
    Json::Object(
        props
            .iter()
            .map(|(k, v)| (k.clone(), value_to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

fn node_to_json(n: &NodeValue) -> Json {
    json!({"id": n.id.0, "labels": n.labels, "properties": props_to_json(&n.props)})
}

fn edge_to_json(e: &EdgeValue) -> Json {
    json!({"id": e.id.0, "type": e.rel_type, "start": e.start.0, "end": e.end.0, "properties": props_to_json(&e.props)})
}

/// A value as JSON: numbers, strings, booleans, null, lists and maps as themselves;
/// money as `{"amount": "<decimal>", "currency": "USD"}`; dates as ISO text at their
/// precision; percent as `{"percent": "<decimal>"}`; nodes as `{"id", "labels", "properties"}`;
/// relationships as `{"id", "type", "start", "end", "properties"}`; paths as `{"nodes", "relationships"}`.
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Float(x) => serde_json::Number::from_f64(*x).map_or_else(|| Json::String(x.to_string()), Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
        Value::Map(m) => props_to_json(m),
        Value::Date(d) => Json::String(d.to_string()),
        Value::Money(m) => json!({"amount": m.amount.normalize().to_string(), "currency": m.currency}),
        Value::Percent(p) => json!({"percent": p.normalize().to_string()}),
        Value::Quantity(q) => json!({"amount": q.amount.normalize().to_string(), "unit": q.unit}),
        Value::Node(n) => node_to_json(n),
        Value::Edge(e) => edge_to_json(e),
        Value::Path(p) => json!({
            "nodes": p.nodes.iter().map(node_to_json).collect::<Vec<_>>(),
            "relationships": p.edges.iter().map(edge_to_json).collect::<Vec<_>>(),
        }),
    }
}

/// A result as `{"columns": [...], "rows": [[...], ...]}`.
pub fn output_to_json(output: &Output) -> Json {
    json!({
        "columns": output.columns,
        "rows": output.rows.iter().map(|r| r.iter().map(value_to_json).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_dates_have_their_documented_shape() {
        let m = Value::Money("$277M".parse().unwrap());
        assert_eq!(value_to_json(&m), json!({"amount": "277000000", "currency": "USD"}));
        let d = Value::Date("2025-09".parse().unwrap());
        assert_eq!(value_to_json(&d), json!("2025-09"));
    }
}
