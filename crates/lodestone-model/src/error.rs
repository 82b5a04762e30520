use thiserror::Error;

/// Errors raised by the model itself: bad literals and impossible comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    /// A date literal is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or names a day that does not exist.
    #[error("invalid date `{0}`: expected YYYY, YYYY-MM or YYYY-MM-DD")]
    InvalidDate(String),
    /// A money literal could not be read (amount, scale suffix or currency code).
    #[error("invalid money `{0}`: expected forms like $277M, USD 18M or EUR 4.5B")]
    InvalidMoney(String),
    /// A currency code is not three ASCII letters.
    #[error("invalid currency code `{0}`: expected three letters such as USD or EUR")]
    InvalidCurrency(String),
    /// Two amounts in different currencies were compared or combined.
    #[error("cannot combine {left} with {right}: amounts in different currencies")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: String,
        /// Currency of the right operand.
        right: String,
    },
    /// Decimal arithmetic left the representable range.
    #[error("decimal overflow")]
    DecimalOverflow,
}
