//! Integration tests of Sluice live in `tests/*.rs`; this library is empty.
