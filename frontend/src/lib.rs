//! The language front end of Sluice: the parser for both spellings of the
//! stream-worker language (Macrometa's `CREATE …`/`INSERT INTO … SELECT …` and the
//! classic `define …`/`from … select … insert into …`) into one [`ast`], the
//! canonical printer, and semantic analysis into a typed logical plan.

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod logical;
pub mod parser;
pub mod printer;
pub mod semantic;

pub use diagnostic::{Diagnostic, Severity};
pub use parser::{parse, parse_on_demand};
pub use semantic::{analyze, analyze_on_demand, analyze_with};
