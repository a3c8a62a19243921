//! The tokenizing stream functions: each arriving event becomes one event per
//! token, with the token appended as a new attribute.
//!
//! * `#str:tokenize(s, regex[, distinct])` adds `token`: the pieces of `s` split
//!   by `regex` (Java's `split`: trailing empty pieces dropped), the repeated ones
//!   left out when `distinct` is true. A null string gives no event.
//! * `#json:tokenize(json, path[, fail.on.missing.attribute])` adds `jsonElement`
//!   (a string): each element when `path` reads an array (as JSON text, as the
//!   reference's Gson writes it), else the value read (a string as it is, other
//!   JSON as its text). When `path` reads nothing, the event is dropped, or kept
//!   with a null `jsonElement` when the flag is false (default true).
//! * `#json:tokenizeAsObject` is the same with `jsonElement` an `object` (JSON
//!   objects and arrays; strings, numbers and booleans as themselves).
//!
//! * `#map:tokenize(m1[, m2, …])` adds `key` and `value` (objects): one event per
//!   key of any of the maps (in the order keys first appear), `value` the key's
//!   value in the one map, or the list of each map's value (null where a map
//!   lacks the key) when several are given. Keys are strings (see
//!   `functions/map.rs`).
//! * `#list:tokenize(l1[, l2, …])` adds `index` (int) and `value` (object): one
//!   event per index up to the longest list's length, `value` the element of the
//!   one list, or the list of each list's element there (null past a shorter
//!   list's end). An empty map or list gives no event.
//!
//! An error (invalid JSON, path or regex) drops the event, after saying so on
//! standard error, as other function errors make a value null. A map or list
//! argument that is not one (null included) fails the event (`@OnError`), as the
//! reference throws.

use super::expr::{raise, CExpr, Env};
use crate::functions::json::{document, read, Paths};
use crate::functions::map::{found, list_value, map_at, value_of};
use crate::value::{Row, Value};
use parking_lot::Mutex;
use regex::Regex;
use serde_json::Value as J;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

/// A stream function that turns one row into any number of rows.
pub type RowFlatMap = Arc<dyn Fn(&Row, &Env) -> Vec<Row> + Send + Sync>;

/// The compiled `#name(args)`, for query `what`, if `name` is a tokenizer.
pub fn tokenizer(name: &str, args: Vec<CExpr>, what: &str) -> Option<RowFlatMap> {
    let what = what.to_string();
    let with_token = |row: &Row, token: Value| -> Row { row.iter().cloned().chain(std::iter::once(token)).collect() };
    Some(match name {
        "str:tokenize" => {
            let regexes: Mutex<Option<(String, Regex)>> = Mutex::new(None);
            Arc::new(move |row: &Row, env: &Env| {
                let v: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
                let (Some(Value::String(s)), Some(Value::String(pattern))) = (v.first(), v.get(1)) else {
                    return Vec::new();
                };
                let distinct = matches!(v.get(2), Some(Value::Bool(true)));
                let mut cache = regexes.lock();
                if cache.as_ref().is_none_or(|(p, _)| p != &**pattern) {
                    match Regex::new(pattern) {
                        Ok(re) => *cache = Some((pattern.to_string(), re)),
                        Err(e) => {
                            eprintln!(
                                "error: {what}: str:tokenize: invalid regex '{pattern}': {e}; the event is dropped"
                            );
                            return Vec::new();
                        }
                    }
                }
                let Some((_, re)) = cache.as_ref() else { return Vec::new() };
                let mut pieces: Vec<&str> = re.split(s).collect();
                while pieces.len() > 1 && pieces.last() == Some(&"") {
                    pieces.pop();
                }
                let mut seen: Vec<&str> = Vec::new();
                let mut out = Vec::new();
                for piece in pieces {
                    if distinct {
                        if seen.contains(&piece) {
                            continue;
                        }
                        seen.push(piece);
                    }
                    out.push(with_token(row, Value::string(piece)));
                }
                out
            })
        }
        "json:tokenize" | "json:tokenizeasobject" => {
            let as_object = name == "json:tokenizeasobject";
            let paths = Paths::default();
            let label = name.to_string();
            Arc::new(move |row: &Row, env: &Env| {
                let v: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
                let (Some(json), Some(Value::String(path))) = (v.first(), v.get(1)) else {
                    return Vec::new();
                };
                if matches!(json, Value::Null) {
                    return Vec::new();
                }
                let fail_on_missing = !matches!(v.get(2), Some(Value::Bool(false)));
                let found = match document(json).and_then(|doc| read(&doc, path, &paths)) {
                    Ok(found) => found,
                    Err(e) => {
                        eprintln!("error: {what}: {label}: {e}; the event is dropped");
                        return Vec::new();
                    }
                };
                let element = |j: J| if as_object { object(j) } else { text(&j) };
                match found {
                    Some(J::Array(items)) if !items.is_empty() => {
                        let show = |j: J| if as_object { object(j) } else { Value::string(&j.to_string()) };
                        items.into_iter().map(|j| with_token(row, show(j))).collect()
                    }
                    Some(J::Array(_)) | Some(J::Null) | None if fail_on_missing => Vec::new(),
                    Some(J::Array(_)) | Some(J::Null) | None => vec![with_token(row, Value::Null)],
                    Some(j) => vec![with_token(row, element(j))],
                }
            })
        }
        "map:tokenize" => Arc::new(move |row: &Row, env: &Env| {
            let v: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
            let maps = match (0..v.len()).map(|i| map_at("map:tokenize", &v, i)).collect::<Result<Vec<_>, _>>() {
                Ok(maps) => maps,
                Err(e) => {
                    raise(|| e);
                    return Vec::new();
                }
            };
            let mut keys: Vec<&String> = Vec::new();
            for key in maps.iter().flat_map(|m| m.keys()) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            let value = |key: &String| -> Value {
                match maps.as_slice() {
                    [one] => one.get(key).map_or(Value::Null, value_of),
                    many => list_value(many.iter().map(|m| m.get(key).cloned().unwrap_or(J::Null)).collect()),
                }
            };
            keys.into_iter().map(|key| with_two(row, Value::string(key), value(key))).collect()
        }),
        "list:tokenize" => Arc::new(move |row: &Row, env: &Env| {
            let v: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
            let mut lists = Vec::with_capacity(v.len());
            for (i, list) in v.iter().enumerate() {
                match list {
                    Value::Json(j) if j.is_array() => lists.push(j.as_array().map_or(&[][..], Vec::as_slice)),
                    other => {
                        let other = found(Some(other));
                        raise(|| format!("list:tokenize(): argument {} must be a list, found {other}", i + 1));
                        return Vec::new();
                    }
                }
            }
            let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
            (0..longest)
                .map(|i| {
                    let value = match lists.as_slice() {
                        [one] => value_of(&one[i]),
                        many => list_value(many.iter().map(|l| l.get(i).cloned().unwrap_or(J::Null)).collect()),
                    };
                    with_two(row, Value::Int(i.min(i32::MAX as usize) as i32), value)
                })
                .collect()
        }),
        _ => return None,
    })
}

/// `row` with two values appended.
fn with_two(row: &Row, a: Value, b: Value) -> Row {
    row.iter().cloned().chain([a, b]).collect()
}

/// A JSON value as a string attribute: a string as it is, other JSON as text.
fn text(j: &J) -> Value {
    match j {
        J::String(s) => Value::string(s),
        other => Value::string(&other.to_string()),
    }
}

/// A JSON value as an `object` attribute.
fn object(j: J) -> Value {
    Value::from_json(&j, AttrType::Object).unwrap_or(Value::Null)
}
