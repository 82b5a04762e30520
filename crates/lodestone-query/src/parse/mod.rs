//! Parsing: text to [`crate::ast`].
