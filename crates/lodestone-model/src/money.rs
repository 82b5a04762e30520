use crate::ModelError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// An exact amount of money in one currency. Never a binary float.
///
/// Literal forms: `$277M`, `$1.3B`, `$12,500`, `USD 18M`, `EUR 4B`, `€4B`, `£2.5M`.
/// Scale suffixes: `K` (thousand), `M` (million), `B` or `BN` (billion), `T` (trillion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The exact amount.
    pub amount: Decimal,
    /// ISO 4217 code in upper case, such as `USD`.
    pub currency: Currency,
}

/// A currency code: three ASCII letters in upper case, held inline, so money values
/// copy without allocating and compare without following a pointer. Reads as a `&str`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The code in upper case; an error unless it is three ASCII letters.
    pub fn new(code: &str) -> Result<Currency, ModelError> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_alphabetic) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(ModelError::InvalidCurrency(code.to_string())),
        }
    }

    /// The code, such as `USD`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl std::ops::Deref for Currency {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq<str> for Currency {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Currency {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let code = String::deserialize(d)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

/// A measured amount with a unit, such as `20 t/yr` or `25 MW`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quantity {
    /// The exact amount.
    pub amount: Decimal,
    /// The unit as written, such as `t/yr`.
    pub unit: String,
}

const SCALES: [(&str, u64); 4] = [
    ("T", 1_000_000_000_000),
    ("B", 1_000_000_000),
    ("M", 1_000_000),
    ("K", 1_000),
];

fn currency_for_symbol(c: char) -> Option<&'static str> {
    match c {
        '$' => Some("USD"),
        '€' => Some("EUR"),
        '£' => Some("GBP"),
        '¥' => Some("JPY"),
        _ => None,
    }
}

impl Money {
    /// Builds an amount in the given currency; the code must be three ASCII letters.
    pub fn new(amount: Decimal, currency: &str) -> Result<Self, ModelError> {
        Ok(Money {
            amount: amount.normalize(),
            currency: Currency::new(currency)?,
        })
    }

    /// Parses an amount with an optional scale suffix (`1.3B`, `12,500`, `277m`).
    pub fn parse_amount(text: &str) -> Result<Decimal, ModelError> {
        let bad = || ModelError::InvalidMoney(text.to_string());
        let t = text.trim().replace([',', '_'], "");
        let upper = t.to_ascii_uppercase();
        let (digits, factor) = if let Some(d) = upper.strip_suffix("BN") {
            (d.to_string(), 1_000_000_000u64)
        } else {
            SCALES
                .iter()
                .find_map(|(s, f)| upper.strip_suffix(s).map(|d| (d.to_string(), *f)))
                .unwrap_or((upper.clone(), 1))
        };
        let digits = digits.trim();
        let unsigned = digits.strip_prefix('-').unwrap_or(digits);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(bad());
        }
        let base = Decimal::from_str(digits).map_err(|_| bad())?;
        base.checked_mul(Decimal::from(factor))
            .map(|d| d.normalize())
            .ok_or_else(bad)
    }

    /// Compares two amounts; an error when the currencies differ.
    pub fn compare(&self, other: &Money) -> Result<Ordering, ModelError> {
        self.same_currency(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// Adds two amounts of one currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, ModelError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(ModelError::DecimalOverflow)?;
        Ok(Money {
            amount: amount.normalize(),
            currency: self.currency,
        })
    }

    /// Adds an amount of the same currency in place: [`Money::checked_add`] without
    /// a new value (what a running sum does). Unchanged on an error.
    pub fn checked_add_assign(&mut self, other: &Money) -> Result<(), ModelError> {
        self.same_currency(other)?;
        self.amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(ModelError::DecimalOverflow)?
            .normalize();
        Ok(())
    }

    /// Subtracts an amount of the same currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, ModelError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(ModelError::DecimalOverflow)?;
        Ok(Money {
            amount: amount.normalize(),
            currency: self.currency,
        })
    }

    /// Scales the amount by an exact factor.
    pub fn checked_scale(&self, factor: Decimal) -> Result<Money, ModelError> {
        let amount = self.amount.checked_mul(factor).ok_or(ModelError::DecimalOverflow)?;
        Ok(Money {
            amount: amount.normalize(),
            currency: self.currency,
        })
    }

    fn same_currency(&self, other: &Money) -> Result<(), ModelError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(ModelError::CurrencyMismatch {
                left: self.currency.to_string(),
                right: other.currency.to_string(),
            })
        }
    }
}

/// Writes an amount with the largest scale suffix that keeps it exact in at most three decimals.
fn write_scaled(f: &mut fmt::Formatter<'_>, amount: Decimal) -> fmt::Result {
    for (suffix, factor) in SCALES {
        let factor = Decimal::from(factor);
        if amount.abs() >= factor
            && let Some(q) = amount.checked_div(factor).map(|q| q.normalize())
            && q.scale() <= 3
        {
            return write!(f, "{q}{suffix}");
        }
    }
    write!(f, "{}", amount.normalize())
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.currency)?;
        write_scaled(f, self.amount)
    }
}

impl FromStr for Money {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let mut chars = s.chars();
        if let Some(code) = chars.next().and_then(currency_for_symbol) {
            return Money::new(Money::parse_amount(chars.as_str())?, code);
        }
        let (code, rest) = s.split_at(s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len()));
        if code.len() == 3 {
            return Money::new(Money::parse_amount(rest)?, code);
        }
        // Also accept `277M USD`.
        if let Some((amount, code)) = s.rsplit_once(' ') {
            return Money::new(Money::parse_amount(amount)?, code);
        }
        Err(ModelError::InvalidMoney(s.to_string()))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount.normalize(), self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn literal_forms() {
        assert_eq!(m("$277M").amount, Decimal::from(277_000_000u64));
        assert_eq!(m("$1.3B").amount, Decimal::from(1_300_000_000u64));
        assert_eq!(m("USD 18M"), m("$18M"));
        assert_eq!(m("EUR 4B").currency, "EUR");
        assert_eq!(m("€4B"), m("EUR 4B"));
        assert_eq!(m("$12,500").amount, Decimal::from(12_500));
        assert_eq!(m("277M USD"), m("$277M"));
        assert!("$".parse::<Money>().is_err());
        assert!("$12X".parse::<Money>().is_err());
        assert!("US 12".parse::<Money>().is_err());
    }

    #[test]
    fn display_round_trips() {
        for s in ["$277M", "$1.3B", "EUR 4B", "$12,345,678", "$0.5", "$1.2345B"] {
            let v = m(s);
            assert_eq!(m(&v.to_string()), v, "{s} -> {v}");
        }
        assert_eq!(m("$1.3B").to_string(), "USD 1.3B");
    }

    #[test]
    fn currency_codes_are_three_letters_in_upper_case() {
        assert_eq!(Currency::new("usd").unwrap().as_str(), "USD");
        assert_eq!(Currency::new("Eur").unwrap(), "EUR");
        for bad in ["", "US", "USDX", "U$D", "12A", "ÜSD"] {
            assert!(Currency::new(bad).is_err(), "{bad}");
        }
        assert!(Money::new(Decimal::from(1), "DOLLARS").is_err());
        assert_eq!(
            format!("{} {:?}", Currency::new("gbp").unwrap(), Currency::new("gbp").unwrap()),
            "GBP \"GBP\""
        );
        assert!(Currency::new("EUR").unwrap() < Currency::new("USD").unwrap());
    }

    #[test]
    fn currencies_do_not_mix() {
        assert!(m("$1M").compare(&m("EUR 1M")).is_err());
        assert_eq!(m("$1M").compare(&m("$2M")), Ok(Ordering::Less));
        assert_eq!(m("$1M").checked_add(&m("$2.5M")).unwrap(), m("$3.5M"));
    }
}
