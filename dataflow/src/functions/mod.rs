//! Scalar functions by name: the core functions of the language and the `str:`,
//! `math:`, `time:`, `json:`, `regex:`, `unitconversion:`, `geo:`, `map:` and `list:`
//! extension families.
//!
//! [`scalar`] finds the implementation of a call, [`return_type`] (and
//! [`return_type_with_consts`] for `cast`/`convert`, whose result type is named by
//! a constant argument) its result type. Names are matched case-insensitively;
//! extension functions are spelled `ns:name`. An implementation takes its evaluated
//! arguments and returns a value, or an error message (the query then sees null,
//! as the reference logs the error and carries on).
//!
//! Families, one file each: [`core`] (conditionals, null handling, type tests,
//! `maximum`/`minimum`, clocks, `UUID`), [`convert`] (`cast`, `convert`), [`set`]
//! (`createSet`, `sizeOfSet`), [`string`] (`str:`), [`math`] (`math:`), [`time`] (`time:`),
//! [`json`] (`json:`), [`regex`](mod@regex) (`regex:`), [`unitconversion`], [`geo`](mod@geo) (`geo:`),
//! [`map`] (`map:`, maps as JSON objects) and [`list`] (`list:`, lists as JSON arrays).

pub mod convert;
pub mod core;
pub mod geo;
pub mod json;
pub mod list;
pub mod map;
mod map_xml;
pub use map_xml::resolve_reference;
pub mod math;
pub mod regex;
pub mod script;
pub mod set;
pub mod string;
pub mod time;
pub mod unitconversion;

use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

pub use convert::{convert_to, java_string};

/// What a function may read besides its arguments.
#[derive(Clone, Debug, Default)]
pub struct FnContext {
    /// The timestamp of the event being evaluated (ms).
    pub event_ts: i64,
    /// The app's clock (ms): the wall clock live, the event time in playback.
    pub now: i64,
}

/// A scalar function: evaluated arguments and context to a value or an error.
pub type ScalarFn = Arc<dyn Fn(&[Value], &FnContext) -> Result<Value, String> + Send + Sync>;

/// Wraps a plain function pointer as a [`ScalarFn`].
pub(crate) fn f(func: fn(&[Value], &FnContext) -> Result<Value, String>) -> ScalarFn {
    Arc::new(func)
}

/// Lower-cases a function name (the namespace too).
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The implementation of scalar function `name` (`ns:name` for extensions) for
/// arguments of `arg_types`, if it exists. Arity and types are the checker's job
/// ([`return_type`]); implementations still never panic on a wrong arity.
pub fn scalar(name: &str, arg_types: &[AttrType]) -> Option<ScalarFn> {
    let name = key(name);
    core::lookup(&name, arg_types)
        .or_else(|| convert::lookup(&name, arg_types))
        .or_else(|| set::lookup(&name))
        .or_else(|| string::lookup(&name))
        .or_else(|| math::lookup(&name, arg_types))
        .or_else(|| time::lookup(&name))
        .or_else(|| json::lookup(&name))
        .or_else(|| regex::lookup(&name))
        .or_else(|| unitconversion::lookup(&name))
        .or_else(|| geo::lookup(&name))
        .or_else(|| map::lookup(&name))
        .or_else(|| list::lookup(&name))
        .or_else(|| script::lookup(&name))
}

/// Whether a scalar function `name` exists.
pub fn is_scalar(name: &str) -> bool {
    let name = key(name);
    core::signature(&name, &[], &[]).is_some()
        || convert::signature(&name, &[], &[]).is_some()
        || set::signature(&name, &[]).is_some()
        || string::signature(&name, &[]).is_some()
        || math::signature(&name, &[]).is_some()
        || time::signature(&name, &[]).is_some()
        || json::signature(&name, &[]).is_some()
        || regex::signature(&name, &[]).is_some()
        || unitconversion::signature(&name, &[]).is_some()
        || geo::signature(&name, &[]).is_some()
        || map::signature(&name, &[], &[]).is_some()
        || list::signature(&name, &[], &[]).is_some()
        || script::signature(&name, &[], &[]).is_some()
}

/// The result type of scalar `name` over arguments of `arg_types`, or why the
/// call does not fit. For `cast` and `convert` use [`return_type_with_consts`].
pub fn return_type(name: &str, arg_types: &[AttrType]) -> Result<AttrType, String> {
    return_type_with_consts(name, arg_types, &[])
}

/// Like [`return_type`], knowing which arguments are constants and their values
/// (`consts[i]` is `Some` for a constant argument `i`).
pub fn return_type_with_consts(
    name: &str,
    arg_types: &[AttrType],
    consts: &[Option<Value>],
) -> Result<AttrType, String> {
    let lname = key(name);
    core::signature(&lname, arg_types, consts)
        .or_else(|| convert::signature(&lname, arg_types, consts))
        .or_else(|| set::signature(&lname, arg_types))
        .or_else(|| string::signature(&lname, arg_types))
        .or_else(|| math::signature(&lname, arg_types))
        .or_else(|| time::signature(&lname, arg_types))
        .or_else(|| json::signature(&lname, arg_types))
        .or_else(|| regex::signature(&lname, arg_types))
        .or_else(|| unitconversion::signature(&lname, arg_types))
        .or_else(|| geo::signature(&lname, arg_types))
        .or_else(|| map::signature(&lname, arg_types, consts))
        .or_else(|| list::signature(&lname, arg_types, consts))
        .or_else(|| script::signature(&lname, arg_types, consts))
        .unwrap_or_else(|| Err(format!("no function named '{name}'")))
}

/// Checks the number of arguments of `name`.
pub(crate) fn arity(name: &str, args: &[AttrType], allowed: std::ops::RangeInclusive<usize>) -> Result<(), String> {
    if allowed.contains(&args.len()) {
        return Ok(());
    }
    let (lo, hi) = (*allowed.start(), *allowed.end());
    let want = if lo == hi {
        format!("{lo} argument{}", if lo == 1 { "" } else { "s" })
    } else if hi == usize::MAX {
        format!("at least {lo} arguments")
    } else {
        format!("{lo} to {hi} arguments")
    };
    Err(format!("{name}() takes {want}, found {}", args.len()))
}

/// Checks that argument `i` of `name` has one of the `allowed` types.
pub(crate) fn arg_is(name: &str, args: &[AttrType], i: usize, allowed: &[AttrType]) -> Result<(), String> {
    match args.get(i) {
        Some(t) if allowed.contains(t) || *t == AttrType::Object => Ok(()),
        Some(t) => {
            let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
            Err(format!("argument {} of {name}() must be {}, found {t}", i + 1, names.join(" or ")))
        }
        None => Ok(()),
    }
}

/// The numeric types.
pub(crate) const NUMERIC: [AttrType; 4] = [AttrType::Int, AttrType::Long, AttrType::Float, AttrType::Double];

/// The checker's view of this library (see `sluice_frontend::semantic::functions::
/// FunctionLookup`): `None` when there is no function `name`, else its result type
/// for these arguments or what is wrong with them.
pub fn signature(
    name: &str,
    arg_types: &[AttrType],
    const_strings: &[Option<String>],
) -> Option<Result<AttrType, String>> {
    if !is_scalar(name) {
        return None;
    }
    let consts: Vec<Option<Value>> = const_strings.iter().map(|c| c.as_deref().map(Value::string)).collect();
    Some(return_type_with_consts(name, arg_types, &consts))
}

/// Calls scalar function `name` (which must exist) on `args`, for unit tests.
#[cfg(test)]
pub(crate) fn call_for_test(name: &str, args: &[Value]) -> Result<Value, String> {
    let types: Vec<AttrType> = args.iter().map(|v| v.ty().unwrap_or(AttrType::Object)).collect();
    scalar(name, &types).unwrap_or_else(|| panic!("no function {name}"))(args, &FnContext::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_case_insensitive() {
        assert!(scalar("ifThenElse", &[AttrType::Bool, AttrType::Int, AttrType::Int]).is_some());
        assert!(scalar("STR:Upper", &[AttrType::String]).is_some());
        assert!(scalar("nope", &[]).is_none());
        assert!(is_scalar("math:sqrt"));
        assert!(!is_scalar("sum"));
        assert_eq!(return_type("str:length", &[AttrType::String]), Ok(AttrType::Int));
        assert!(return_type("str:length", &[]).is_err());
        assert!(return_type("unknown", &[]).unwrap_err().contains("unknown"));
    }
}
