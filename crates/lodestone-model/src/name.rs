/// Legal-form words dropped when comparing names (`Inc.`, `Corp.`, `Ltd` ...).
const LEGAL_SUFFIXES: [&str; 16] = [
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "ltd",
    "limited",
    "llc",
    "plc",
    "sa",
    "ag",
    "gmbh",
    "nv",
    "se",
    "lp",
    "holdings",
];

/// The key under which a name or alias is indexed: lower case, punctuation
/// dropped, whitespace collapsed, trailing legal-form words removed.
///
/// ```
/// use lodestone_model::normalize_name;
/// assert_eq!(normalize_name("MP Materials Corp."), "mp materials");
/// assert_eq!(normalize_name("  U.S. Department of  Defense "), "us department of defense");
/// assert_eq!(normalize_name("5N+"), "5n+");
/// ```
///
/// A `+` survives because names such as `5N+` differ from `5N` only by it.
pub fn normalize_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '+' {
                Some(c)
            } else if c.is_whitespace() || c == '-' || c == '/' || c == '&' {
                Some(' ')
            } else {
                None
            }
        })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// Similarity of two normalized names in 0.0..=1.0 (1.0 is identical), from
/// the Levenshtein distance over characters; used for "did you mean".
pub fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    1.0 - prev[b.len()] as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_suffixes_and_punctuation() {
        assert_eq!(normalize_name("USA Rare Earth, Inc."), "usa rare earth");
        assert_eq!(normalize_name("Less Common Metals Ltd"), "less common metals");
        assert_eq!(normalize_name("Co"), "co");
        assert_eq!(normalize_name("Export-Import Bank"), "export import bank");
    }

    #[test]
    fn similarity_orders_typos() {
        assert!(similarity("round tp", "round top") > similarity("round tp", "mountain pass"));
        assert_eq!(similarity("abc", "abc"), 1.0);
    }
}
