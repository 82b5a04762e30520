use crate::PartialDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a fact comes from: a source document, a place in it, and a note in our own words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Citation {
    /// The source document, such as a seed file name.
    pub source: String,
    /// The line in the source, when known.
    pub line: Option<u32>,
    /// A short paraphrase of what the source says.
    pub note: Option<String>,
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

/// The interval over which a fact holds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Validity {
    /// First date the fact holds, if known.
    pub from: Option<PartialDate>,
    /// Date from which the fact no longer holds, if it ended.
    pub to: Option<PartialDate>,
}

impl Validity {
    /// Whether the fact may hold on `date`: it did not start after `date`
    /// and did not end on or before it. Coarse dates are read generously.
    pub fn holds_on(&self, date: &PartialDate) -> bool {
        let started = self.from.is_none_or(|f| f.may_be_on_or_before(date));
        let ended = self.to.is_some_and(|t| t.last_day() <= date.first_day() && t != *date);
        started && !ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    #[test]
    fn validity_as_of() {
        let v = Validity {
            from: Some(d("2025-09")),
            to: None,
        };
        assert!(!v.holds_on(&d("2025-08")));
        assert!(v.holds_on(&d("2025-09")));
        assert!(v.holds_on(&d("2026")));
        let ended = Validity {
            from: None,
            to: Some(d("2025-09")),
        };
        assert!(ended.holds_on(&d("2025-08-31")));
        assert!(!ended.holds_on(&d("2025-10")));
    }
}
