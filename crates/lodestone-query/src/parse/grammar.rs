//! The pest binding of `grammar/lodestone.pest`.

#![allow(missing_docs)]

use pest_derive::Parser;

/// The generated parser; [`Rule`] names every grammar rule.
#[derive(Parser)]
#[grammar = "../../grammar/lodestone.pest"]
pub(crate) struct LodestoneParser;
