//! The query text each question form compiles to. Entities are bound by id as the
//! parameters `$subject` and `$object`; relationship types come from the families.

use crate::ast::{Question, QuestionKind};
use lodestone_model::{Family, Schema};

/// Parameter holding the id of the question's (first) entity.
pub const SUBJECT: &str = "subject";
/// Parameter holding the id of the second entity (`path from X to Y`).
pub const OBJECT: &str = "object";

/// Longest ownership chain (in hops) that `who owns` / `what does X own` follows.
pub const OWNERSHIP_DEPTH: u32 = 4;
/// Most hops `who funds` walks from a recipient up to the entity through owners,
/// developers and operators.
pub const CONTROL_DEPTH: u32 = 3;
/// Longest connection `path from X to Y` looks for.
pub const PATH_DEPTH: u32 = 6;

/// Relationship types used when a database declares none for a family.
pub fn conventional_types(family: Family) -> &'static [&'static str] {
    match family {
        Family::Investment => &["FUNDS"],
        Family::Ownership => &["ACQUIRES", "OWNS"],
        Family::Supply => &["SUPPLIES"],
        Family::Partnership => &["PARTNERS_WITH", "PARTY_TO"],
        Family::Operation => &["DEVELOPS", "OPERATES", "PRODUCES"],
        Family::Membership => &["LOCATED_IN", "MEMBER_OF", "PART_OF"],
    }
}

/// The relationship types of each family a question walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Families {
    /// Investment family (FUNDS ...).
    pub investment: Vec<String>,
    /// Ownership family (OWNS, ACQUIRES ...).
    pub ownership: Vec<String>,
    /// Supply family (SUPPLIES ...).
    pub supply: Vec<String>,
    /// Partnership family (PARTNERS_WITH, PARTY_TO ...).
    pub partnership: Vec<String>,
    /// Operation family (DEVELOPS, OPERATES, PRODUCES ...).
    pub operation: Vec<String>,
    /// Membership family (MEMBER_OF, LOCATED_IN, PART_OF ...).
    pub membership: Vec<String>,
}

impl Families {
    /// The types the schema declares for each family, or the conventional ones for a
    /// family the schema does not populate (or when there is no schema).
    pub fn from_schema(schema: &Schema) -> Families {
        let types = |family: Family| {
            let mut t = schema.types_in(family);
            if t.is_empty() {
                t = conventional_types(family).iter().map(|s| s.to_string()).collect();
            }
            t.sort();
            t.dedup();
            t
        };
        Families {
            investment: types(Family::Investment),
            ownership: types(Family::Ownership),
            supply: types(Family::Supply),
            partnership: types(Family::Partnership),
            operation: types(Family::Operation),
            membership: types(Family::Membership),
        }
    }
}

/// A label or type as written in a pattern: back-quoted unless it is a plain name.
fn name(n: &str) -> String {
    let plain = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        n.to_string()
    } else {
        format!("`{}`", n.replace('`', "``"))
    }
}

/// `:A|B|C` for a relationship pattern.
fn types(list: &[String]) -> String {
    let names: Vec<String> = list.iter().map(|t| name(t)).collect();
    format!(":{}", names.join("|"))
}

/// The query text for a question (already resolved: entities are `$subject` / `$object`).
pub fn query_text(q: &Question, f: &Families) -> String {
    let inv = types(&f.investment);
    let own = types(&f.ownership);
    let sup = types(&f.supply);
    let part = types(&f.partnership);
    let ops = types(&f.operation);
    let member = types(&f.membership);
    let mut control_list = f.ownership.clone();
    control_list.extend(f.operation.iter().cloned());
    control_list.sort();
    control_list.dedup();
    let control = types(&control_list);
    let x = format!("MATCH (x) WHERE id(x) = ${SUBJECT}");
    let body = match q.kind {
        QuestionKind::WhoFunds => format!(
            "{x}\n\
             MATCH up = (r)-[{control}*0..{CONTROL_DEPTH}]->(x)\n\
             WHERE length(up) = 0 OR none(n IN nodes(up) WHERE n:Deal)\n\
             MATCH (d:Deal)-[fout{inv}]->(r)\n\
             OPTIONAL MATCH (f)-[fin{inv}]->(d)\n\
             RETURN f.name AS funder, coalesce(fin.instrument, fout.instrument, d.kind) AS instrument,\n\
             \x20      coalesce(fin.amount, fout.amount, d.amount) AS amount,\n\
             \x20      coalesce(fin.amount_bound, fout.amount_bound, d.amount_bound) AS bound,\n\
             \x20      d.date AS date, d.status AS status, f, fin, d, fout, up\n\
             UNION ALL\n\
             {x}\n\
             MATCH up = (r)-[{control}*0..{CONTROL_DEPTH}]->(x)\n\
             WHERE length(up) = 0 OR none(n IN nodes(up) WHERE n:Deal)\n\
             MATCH (f)-[fin{inv}]->(r)\n\
             WHERE NOT f:Deal\n\
             RETURN f.name AS funder, fin.instrument AS instrument, fin.amount AS amount,\n\
             \x20      fin.amount_bound AS bound, fin.date AS date, fin.status AS status,\n\
             \x20      f, fin, null AS d, null AS fout, up"
        ),
        QuestionKind::WhatFunds => format!(
            "{x}\n\
             MATCH (x)-[fin{inv}]->(d:Deal)\n\
             OPTIONAL MATCH (d)-[fout{inv}]->(r)\n\
             RETURN r.name AS recipient, coalesce(fin.instrument, fout.instrument, d.kind) AS instrument,\n\
             \x20      coalesce(fin.amount, fout.amount, d.amount) AS amount,\n\
             \x20      coalesce(fin.amount_bound, fout.amount_bound, d.amount_bound) AS bound,\n\
             \x20      d.date AS date, d.status AS status, x, fin, d, fout, r\n\
             UNION ALL\n\
             {x}\n\
             MATCH (x)-[fin{inv}]->(r)\n\
             WHERE NOT r:Deal\n\
             RETURN r.name AS recipient, fin.instrument AS instrument, fin.amount AS amount,\n\
             \x20      fin.amount_bound AS bound, fin.date AS date, fin.status AS status,\n\
             \x20      x, fin, null AS d, null AS fout, r"
        ),
        QuestionKind::WhoOwns => format!(
            "{x}\n\
             MATCH chain = (o)-[{own}*1..{OWNERSHIP_DEPTH}]->(x)\n\
             WHERE none(n IN nodes(chain) WHERE n:Deal)\n\
             RETURN o.name AS owner, chain"
        ),
        QuestionKind::WhatOwns => format!(
            "{x}\n\
             MATCH chain = (x)-[{own}*1..{OWNERSHIP_DEPTH}]->(o)\n\
             WHERE none(n IN nodes(chain) WHERE n:Deal)\n\
             RETURN o.name AS owned, chain"
        ),
        QuestionKind::WhoSupplies => format!(
            "{x}\n\
             MATCH (s)-[ein{sup}]->(x)\n\
             WHERE NOT s:Deal\n\
             RETURN s.name AS supplier, ein.material AS material, null AS deal, ein.status AS status,\n\
             \x20      s, ein, null AS d, null AS eout, x\n\
             UNION ALL\n\
             {x}\n\
             MATCH (d:Deal)-[eout{sup}]->(x)\n\
             OPTIONAL MATCH (s)-[ein{sup}]->(d)\n\
             RETURN s.name AS supplier, coalesce(ein.material, eout.material, d.material) AS material,\n\
             \x20      d.name AS deal, d.status AS status, s, ein, d, eout, x"
        ),
        QuestionKind::WhoBuysFrom | QuestionKind::WhatSupplies => format!(
            "{x}\n\
             MATCH (x)-[ein{sup}]->(b)\n\
             WHERE NOT b:Deal\n\
             RETURN b.name AS buyer, ein.material AS material, null AS deal, ein.status AS status,\n\
             \x20      x, ein, null AS d, null AS eout, b\n\
             UNION ALL\n\
             {x}\n\
             MATCH (x)-[ein{sup}]->(d:Deal)\n\
             OPTIONAL MATCH (d)-[eout{sup}]->(b)\n\
             RETURN b.name AS buyer, coalesce(ein.material, eout.material, d.material) AS material,\n\
             \x20      d.name AS deal, d.status AS status, x, ein, d, eout, b"
        ),
        QuestionKind::PartnersOf => format!(
            "{x}\n\
             MATCH (x)-[e{part}]-(p)\n\
             WHERE id(p) <> id(x) AND NOT p:Deal\n\
             RETURN p.name AS partner, type(e) AS relation, x, e, null AS d, null AS e2, p\n\
             UNION ALL\n\
             {x}\n\
             MATCH (x)-[e{part}]->(d:Deal)<-[e2{part}]-(p)\n\
             WHERE id(p) <> id(x) AND NOT p:Deal AND coalesce(e.role, '') = coalesce(e2.role, '')\n\
             \x20 AND NOT exists((d)<-[{part} {{role: 'issuer'}}]-()) AND NOT exists((x)-[{member}]-(p))\n\
             RETURN p.name AS partner, d.kind AS relation, x, e, d, e2, p"
        ),
        QuestionKind::WhatOperates => format!(
            "{x}\n\
             MATCH (x)-[e{ops}]->(a)\n\
             RETURN a.name AS asset, type(e) AS relation, coalesce(e.stage, e.milestone, e.scope) AS stage,\n\
             \x20      coalesce(e.target, e.date, e.valid_from) AS date, e"
        ),
        QuestionKind::Path => format!(
            "MATCH (x), (y) WHERE id(x) = ${SUBJECT} AND id(y) = ${OBJECT}\n\
             MATCH p = allShortestPaths((x)-[*..{PATH_DEPTH}]-(y))\n\
             RETURN p"
        ),
        QuestionKind::Conflicts => match q.subject {
            None => "MATCH (c) WHERE c.key IS NOT NULL\n\
                     WITH c.key AS key, collect(c) AS claims WHERE size(claims) > 1\n\
                     UNWIND claims AS claim\n\
                     RETURN key, claim\n\
                     UNION ALL\n\
                     MATCH ()-[c]->() WHERE c.key IS NOT NULL\n\
                     WITH c.key AS key, collect(c) AS claims WHERE size(claims) > 1\n\
                     UNWIND claims AS claim\n\
                     RETURN key, claim"
                .to_string(),
            Some(_) => format!(
                "{x}\n\
                 MATCH (x)-[*0..1]-(k) WHERE k.key IS NOT NULL\n\
                 WITH DISTINCT k.key AS key\n\
                 MATCH (c) WHERE c.key = key\n\
                 WITH key, collect(c) AS claims WHERE size(claims) > 1\n\
                 UNWIND claims AS claim\n\
                 RETURN key, claim\n\
                 UNION ALL\n\
                 {x}\n\
                 MATCH (x)-[k]-() WHERE k.key IS NOT NULL\n\
                 WITH DISTINCT k.key AS key\n\
                 MATCH ()-[c]->() WHERE c.key = key\n\
                 WITH key, collect(c) AS claims WHERE size(claims) > 1\n\
                 UNWIND claims AS claim\n\
                 RETURN key, claim"
            ),
        },
        QuestionKind::Sources => format!(
            "{x}\n\
             UNWIND sources(x) AS s\n\
             RETURN s.source AS source, s.line AS line, s.note AS note\n\
             ORDER BY source, line, note"
        ),
    };
    match &q.as_of {
        Some(date) => format!("AS OF @{date}\n{body}"),
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_quoted_when_needed() {
        assert_eq!(types(&["FUNDS".into(), "HAS-PART".into()]), ":FUNDS|`HAS-PART`");
    }

    #[test]
    fn families_fall_back_to_conventional_types() {
        let f = Families::from_schema(&Schema::default());
        assert_eq!(f.investment, ["FUNDS"]);
        assert_eq!(f.ownership, ["ACQUIRES", "OWNS"]);
        assert_eq!(f.operation, ["DEVELOPS", "OPERATES", "PRODUCES"]);
    }
}
