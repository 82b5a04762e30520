//! The Lodestone graph model: ids, property values, provenance and records.
//!
//! Everything above this crate (storage, query engine, library, CLI) speaks in
//! these types. The crate has no I/O and no knowledge of how records are stored.
//!
//! ```
//! use lodestone_model::{Value, Money, PartialDate};
//! let grant: Money = "$277M".parse().unwrap();
//! assert_eq!(grant.to_string(), "USD 277M");
//! let d: PartialDate = "2025-09".parse().unwrap();
//! assert!(d < "2026".parse().unwrap());
//! assert_eq!(Value::Int(1).equals(&Value::Float(1.0)), Some(true));
//! ```

mod date;
mod error;
mod ids;
mod money;
mod name;
mod provenance;
mod record;
mod value;

pub use date::{DatePrecision, PartialDate};
pub use error::ModelError;
pub use ids::{EdgeId, NodeId};
pub use money::{Currency, Money, Quantity};
pub use name::{normalize_name, similarity};
pub use provenance::{Citation, Validity};
pub use record::{Direction, EdgeRecord, NodeRecord, Props};
pub use rust_decimal::Decimal;
pub use value::{EdgeValue, NodeValue, PathValue, Value, ValueKind};
mod schema;
pub use record::{STATUS_KEY, VALID_FROM_KEY, VALID_TO_KEY};
pub use schema::{EdgeKind, Family, NodeKind, PropertyDecl, PropertyType, RESERVED_PROPS, Schema, SchemaViolation};
