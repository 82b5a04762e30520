use crate::ModelError;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// How much of a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DatePrecision {
    /// Only the year: `2026`.
    Year,
    /// Year and month: `2025-09`.
    Month,
    /// A full calendar day: `2026-01-30`.
    Day,
}

/// A calendar date known to year, month or day precision.
///
/// Two orders exist and both are defined here once:
/// - [`Ord`] is the total order used for sorting and grouping: by year, then
///   month, then day, a less precise date before a more precise one that it
///   contains (`2025` < `2025-01` < `2025-01-01`).
/// - [`PartialDate::compare`] is the comparison a query's `<` uses: each date is
///   the interval of days it covers; one is before the other only when its
///   interval ends before the other's begins. Overlapping dates of different
///   precision (`2025` and `2025-09`) are not comparable and yield null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartialDate {
    year: i32,
    /// 1..=12, or 0 when unknown.
    month: u8,
    /// 1..=31, or 0 when unknown.
    day: u8,
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap { 29 } else { 28 }
        }
    }
}

impl PartialDate {
    /// A year-precision date.
    pub fn year(year: i32) -> Self {
        PartialDate { year, month: 0, day: 0 }
    }

    /// A month-precision date; `None` if the month is out of range.
    pub fn month(year: i32, month: u8) -> Option<Self> {
        (1..=12).contains(&month).then_some(PartialDate { year, month, day: 0 })
    }

    /// A day-precision date; `None` if the day does not exist.
    pub fn day(year: i32, month: u8, day: u8) -> Option<Self> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(PartialDate {
            year,
            month,
            day,
        })
    }

    /// The year.
    pub fn year_part(&self) -> i32 {
        self.year
    }

    /// The month, when known.
    pub fn month_part(&self) -> Option<u8> {
        (self.month != 0).then_some(self.month)
    }

    /// The day, when known.
    pub fn day_part(&self) -> Option<u8> {
        (self.day != 0).then_some(self.day)
    }

    /// How precisely the date is known.
    pub fn precision(&self) -> DatePrecision {
        match (self.month, self.day) {
            (0, _) => DatePrecision::Year,
            (_, 0) => DatePrecision::Month,
            _ => DatePrecision::Day,
        }
    }

    /// First day covered, as (year, month, day).
    pub fn first_day(&self) -> (i32, u8, u8) {
        let m = if self.month == 0 { 1 } else { self.month };
        let d = if self.day == 0 { 1 } else { self.day };
        (self.year, m, d)
    }

    /// Last day covered, as (year, month, day).
    pub fn last_day(&self) -> (i32, u8, u8) {
        let m = if self.month == 0 { 12 } else { self.month };
        let d = if self.day == 0 {
            days_in_month(self.year, m)
        } else {
            self.day
        };
        (self.year, m, d)
    }

    /// Interval comparison: `Some` when the dates are equal or one ends
    /// before the other begins, `None` when they overlap without being equal.
    pub fn compare(&self, other: &PartialDate) -> Option<Ordering> {
        if self == other {
            return Some(Ordering::Equal);
        }
        if self.last_day() < other.first_day() {
            Some(Ordering::Less)
        } else if self.first_day() > other.last_day() {
            Some(Ordering::Greater)
        } else {
            None
        }
    }

    /// Whether this date could fall on or before `other` (its first day is not after other's last).
    pub fn may_be_on_or_before(&self, other: &PartialDate) -> bool {
        self.first_day() <= other.last_day()
    }

    /// Whether this date lies entirely before `other` begins.
    pub fn is_before(&self, other: &PartialDate) -> bool {
        self.last_day() < other.first_day()
    }
}

impl FromStr for PartialDate {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ModelError::InvalidDate(s.to_string());
        let parts: Vec<&str> = s.trim().split('-').collect();
        let num = |p: &str, len: usize| -> Result<u32, ModelError> {
            if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        match parts.as_slice() {
            [y] => Ok(PartialDate::year(num(y, 4)? as i32)),
            [y, m] => PartialDate::month(num(y, 4)? as i32, num(m, 2)? as u8).ok_or_else(bad),
            [y, m, d] => PartialDate::day(num(y, 4)? as i32, num(m, 2)? as u8, num(d, 2)? as u8).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision() {
            DatePrecision::Year => write!(f, "{:04}", self.year),
            DatePrecision::Month => write!(f, "{:04}-{:02}", self.year, self.month),
            DatePrecision::Day => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    #[test]
    fn parses_each_precision() {
        assert_eq!(d("2026").precision(), DatePrecision::Year);
        assert_eq!(d("2025-09").precision(), DatePrecision::Month);
        assert_eq!(d("2026-01-30").to_string(), "2026-01-30");
        assert!("2025-13".parse::<PartialDate>().is_err());
        assert!("2025-02-29".parse::<PartialDate>().is_err());
        assert!("2024-02-29".parse::<PartialDate>().is_ok());
        assert!("25-01".parse::<PartialDate>().is_err());
    }

    #[test]
    fn interval_comparison_respects_precision() {
        assert_eq!(d("2025-09").compare(&d("2026")), Some(Ordering::Less));
        assert_eq!(d("2025").compare(&d("2025-09")), None);
        assert_eq!(d("2025-09-30").compare(&d("2025-10")), Some(Ordering::Less));
        assert_eq!(d("2025-09").compare(&d("2025-09")), Some(Ordering::Equal));
    }

    #[test]
    fn total_order_puts_coarse_first() {
        let mut v = vec![d("2025-01-01"), d("2025-01"), d("2025"), d("2024-12-31")];
        v.sort();
        assert_eq!(v, vec![d("2024-12-31"), d("2025"), d("2025-01"), d("2025-01-01")]);
    }
}
