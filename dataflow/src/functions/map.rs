//! The `map:` scalar functions of siddhi-execution-map (Macrometa's "Map
//! Functions"): `create`, `createFromJSON`, `get`, `put`, `putIfAbsent`, `putAll`,
//! `remove`, `replace`, `replaceAll`, `clear`, `clone`, `size`, `isEmpty`, `isMap`,
//! `containsKey`, `containsValue`, `keys`, `values`, `combineByKey` and `toJSON`.
//! The aggregates `map:collect` and `map:merge` are in `aggregate/collect.rs`, the
//! stream function `#map:tokenize` in `query/tokenize.rs`, the extension's
//! `createFromXML` and `toXML` (not on Macrometa's pages) in `map_xml.rs`.
//!
//! **A map is an `object` holding a JSON object** (`Value::Json`), so it travels
//! through events, tables, golden cases and the HTTP API as JSON; any `object`
//! holding a JSON object (an event's, `json:toObject`'s) is a map. Keys are
//! strings: a key of another type is stored under its text as
//! `convert(k, 'string')` gives it (`1` → `"1"`, `2.5` → `"2.5"`, `true` →
//! `"true"`, null → `"null"`, a map or list → its compact JSON), and every function
//! that takes a key turns it into text the same way, so `map:get(map:create(1,
//! 'one'), 1)` is `'one'`. Unlike the reference's `HashMap`, `1` and `'1'` are
//! therefore the same key. Entries keep the order in which their keys were first
//! put (the reference iterates in hash order); `remove` keeps the others' order.
//! Values are JSON: numbers, strings, booleans, null, maps and lists; a value read
//! back (`get`, `#map:tokenize`) is a `long` or `double` for a number, a `string`,
//! a `bool`, or an `object` for a map or list.
//!
//! **Functions return a new map and never change their argument.** The
//! reference's functions change the map they are given in place (so in the
//! reference a later read of the same attribute sees the change; `map:clone` is
//! how its users avoid that); here `clone` gives an equal map.
//!
//! Values compare as JSON (`containsValue`): a string equals the same string, a
//! number the same number of the same kind (`1` and `1L` are equal, `1` and `1.0`
//! are not, as `Integer.equals(Double)` is false in the reference).
//!
//! Errors are the reference's: an argument that must be a map and is not (null
//! included) fails the event (`@OnError`), as does `createFromJSON` of text that is
//! not a JSON object (read leniently, as `org.json` does: single quotes and bare
//! keys are accepted).

use super::{arity, FnContext, ScalarFn};
use crate::value::Value;
use serde_json::{Map, Value as J};
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

type R = Result<Value, String>;

/// A map's entries.
pub(crate) type JMap = Map<String, J>;

/// The text a key is stored under (see the module docs).
pub(crate) fn key_text(v: &Value) -> String {
    match v {
        Value::Json(j) => j.to_string(),
        other => other.to_string(),
    }
}

/// A value as a map value or list element.
pub(crate) fn element(v: &Value) -> J {
    v.to_json()
}

/// A map value or list element read back as a value.
pub(crate) fn value_of(j: &J) -> Value {
    Value::from_json(j, AttrType::Object).unwrap_or(Value::Null)
}

/// How an argument that is not what was wanted is named in an error.
pub(crate) fn found(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(Value::Json(j)) if j.is_object() => "a map".into(),
        Some(Value::Json(j)) if j.is_array() => "a list".into(),
        Some(Value::Set(_)) => "a set".into(),
        Some(other) => format!("{} '{other}'", other.ty().map_or("null", |t| t.name())),
    }
}

/// Argument `i` of `name` as a map, or the reference's error.
pub(crate) fn map_at<'a>(name: &str, a: &'a [Value], i: usize) -> Result<&'a JMap, String> {
    match a.get(i) {
        Some(Value::Json(j)) => match &**j {
            J::Object(m) => Ok(m),
            _ => Err(format!("{name}(): argument {} must be a map, found {}", i + 1, found(a.get(i)))),
        },
        other => Err(format!("{name}(): argument {} must be a map, found {}", i + 1, found(other))),
    }
}

/// A map as a value.
pub(crate) fn map_value(m: JMap) -> Value {
    Value::Json(Arc::new(J::Object(m)))
}

/// A list as a value.
pub(crate) fn list_value(items: Vec<J>) -> Value {
    Value::Json(Arc::new(J::Array(items)))
}

/// The value argument `i` (null when absent).
fn arg(a: &[Value], i: usize) -> &Value {
    a.get(i).unwrap_or(&Value::Null)
}

/// A function of one map argument.
fn on_map(name: &'static str, f: fn(&JMap) -> Value) -> ScalarFn {
    Arc::new(move |a: &[Value], _: &FnContext| -> R { Ok(f(map_at(name, a, 0)?)) })
}

/// A function that changes a copy of its first (map) argument with the others.
fn updating(name: &'static str, f: fn(&mut JMap, &[Value]) -> Result<(), String>) -> ScalarFn {
    Arc::new(move |a: &[Value], _: &FnContext| -> R {
        let mut m = map_at(name, a, 0)?.clone();
        f(&mut m, a)?;
        Ok(map_value(m))
    })
}

/// `createFromJSON`: the JSON object in `text` as a map.
fn from_json(a: &[Value]) -> R {
    let Some(Value::String(text)) = a.first() else {
        return Err(format!("map:createFromJSON(): the JSON must be a string, found {}", found(a.first())));
    };
    match super::json::parse_lenient(text) {
        Ok(J::Object(m)) => Ok(map_value(m)),
        Ok(_) => Err(format!("map:createFromJSON(): cannot create a map from '{text}': it is not a JSON object")),
        Err(e) => Err(format!("map:createFromJSON(): cannot create a map from '{text}': {e}")),
    }
}

/// `combineByKey(m1, m2, …)`: every key of any map, with the list of each map's
/// value for it (null where a map lacks it).
fn combine_by_key(a: &[Value]) -> R {
    let maps = (0..a.len()).map(|i| map_at("map:combineByKey", a, i)).collect::<Result<Vec<_>, _>>()?;
    let mut out = JMap::new();
    for m in &maps {
        for key in m.keys() {
            if !out.contains_key(key) {
                let values = maps.iter().map(|m| m.get(key).cloned().unwrap_or(J::Null)).collect();
                out.insert(key.clone(), J::Array(values));
            }
        }
    }
    Ok(map_value(out))
}

/// The implementation of `map:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let short = name.strip_prefix("map:")?;
    Some(match short {
        "create" => super::f(|a, _| {
            let mut m = JMap::new();
            for pair in a.chunks(2) {
                m.insert(key_text(&pair[0]), pair.get(1).map_or(J::Null, element));
            }
            Ok(map_value(m))
        }),
        "createfromjson" => super::f(|a, _| from_json(a)),
        "createfromxml" => super::f(|a, _| super::map_xml::create_from_xml(a)),
        "toxml" => super::f(|a, _| super::map_xml::to_xml(a)),
        "get" => super::f(|a, _| {
            let m = map_at("map:get", a, 0)?;
            Ok(match m.get(&key_text(arg(a, 1))) {
                Some(v) => value_of(v),
                None => a.get(2).cloned().unwrap_or(Value::Null),
            })
        }),
        "put" => updating("map:put", |m, a| {
            m.insert(key_text(arg(a, 1)), element(arg(a, 2)));
            Ok(())
        }),
        "putifabsent" => updating("map:putIfAbsent", |m, a| {
            let key = key_text(arg(a, 1));
            // Java's putIfAbsent also replaces a null value.
            if m.get(&key).is_none_or(J::is_null) {
                m.insert(key, element(arg(a, 2)));
            }
            Ok(())
        }),
        "putall" => updating("map:putAll", |m, a| {
            for (k, v) in map_at("map:putAll", a, 1)? {
                m.insert(k.clone(), v.clone());
            }
            Ok(())
        }),
        "remove" => updating("map:remove", |m, a| {
            for key in &a[1..] {
                m.shift_remove(&key_text(key));
            }
            Ok(())
        }),
        "replace" => updating("map:replace", |m, a| {
            if let Some(slot) = m.get_mut(&key_text(arg(a, 1))) {
                *slot = element(arg(a, 2));
            }
            Ok(())
        }),
        "replaceall" => updating("map:replaceAll", |m, a| {
            for (k, v) in map_at("map:replaceAll", a, 1)? {
                if let Some(slot) = m.get_mut(k) {
                    *slot = v.clone();
                }
            }
            Ok(())
        }),
        "clear" => on_map("map:clear", |_| map_value(JMap::new())),
        "clone" => on_map("map:clone", |m| map_value(m.clone())),
        "size" => on_map("map:size", |m| Value::Int(m.len().min(i32::MAX as usize) as i32)),
        "isempty" => on_map("map:isEmpty", |m| Value::Bool(m.is_empty())),
        "keys" => on_map("map:keys", |m| list_value(m.keys().map(|k| J::String(k.clone())).collect())),
        "values" => on_map("map:values", |m| list_value(m.values().cloned().collect())),
        "ismap" => super::f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Json(j)) if j.is_object())))),
        "containskey" => {
            super::f(|a, _| Ok(Value::Bool(map_at("map:containsKey", a, 0)?.contains_key(&key_text(arg(a, 1))))))
        }
        "containsvalue" => super::f(|a, _| {
            let wanted = element(arg(a, 1));
            Ok(Value::Bool(map_at("map:containsValue", a, 0)?.values().any(|v| *v == wanted)))
        }),
        "combinebykey" => super::f(|a, _| combine_by_key(a)),
        "tojson" => super::f(|a, _| Ok(Value::string(&J::Object(map_at("map:toJSON", a, 0)?.clone()).to_string()))),
        _ => return None,
    })
}

/// Checks that argument `i` of `name` has a type other than `object` (the
/// reference declares those key and value parameters without OBJECT).
pub(crate) fn primitive(name: &str, t: &[AttrType], i: usize) -> Result<(), String> {
    match t.get(i) {
        Some(AttrType::Object) => Err(format!(
            "argument {} of {name}() must be int, long, float, double, bool or string, found object",
            i + 1
        )),
        _ => Ok(()),
    }
}

/// Checks that argument `i` of `name` is an `object` (a map or list).
pub(crate) fn object(name: &str, t: &[AttrType], i: usize, what: &str) -> Result<(), String> {
    match t.get(i) {
        Some(AttrType::Object) | None => Ok(()),
        Some(other) => Err(format!("argument {} of {name}() must be {what} (object), found {other}", i + 1)),
    }
}

/// The result type of `map:` function `name` over `t` (`consts[i]` the value of a
/// constant argument), or what is wrong.
pub fn signature(name: &str, t: &[AttrType], consts: &[Option<Value>]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("map:")?;
    let map = |i: usize| object(name, t, i, "a map");
    let one_map = || arity(name, t, 1..=1).and_then(|_| map(0));
    Some(match short {
        "create" => {
            if t.len() % 2 == 1 {
                Err(format!("{name}() takes keys and values in pairs, found {} arguments", t.len()))
            } else {
                Ok(Object)
            }
        }
        "createfromjson" => arity(name, t, 1..=1).and_then(|_| super::arg_is(name, t, 0, &[String])).map(|_| Object),
        "get" => arity(name, t, 2..=3).and_then(|_| map(0)).and_then(|_| primitive(name, t, 1)).map(|_| Object),
        "put" => arity(name, t, 3..=3).and_then(|_| map(0)).map(|_| Object),
        "remove" => arity(name, t, 2..=usize::MAX).and_then(|_| map(0)).map(|_| Object),
        "putifabsent" | "replace" => arity(name, t, 3..=3)
            .and_then(|_| map(0))
            .and_then(|_| primitive(name, t, 1))
            .and_then(|_| primitive(name, t, 2))
            .map(|_| Object),
        "putall" | "replaceall" => arity(name, t, 2..=2).and_then(|_| map(0)).and_then(|_| map(1)).map(|_| Object),
        "clear" | "clone" | "keys" | "values" => one_map().map(|_| Object),
        "size" => one_map().map(|_| Int),
        "isempty" => one_map().map(|_| Bool),
        "ismap" => arity(name, t, 1..=1).map(|_| Bool),
        "containskey" | "containsvalue" => {
            arity(name, t, 2..=2).and_then(|_| map(0)).and_then(|_| primitive(name, t, 1)).map(|_| Bool)
        }
        "combinebykey" => arity(name, t, 2..=usize::MAX).and_then(|_| (0..t.len()).try_for_each(map)).map(|_| Object),
        "tojson" => one_map().map(|_| String),
        "createfromxml" => arity(name, t, 1..=1).and_then(|_| super::arg_is(name, t, 0, &[String])).map(|_| Object),
        "toxml" => arity(name, t, 1..=2).and_then(|_| map(0)).and_then(|_| match (t.get(1), consts.get(1)) {
            (None, _) | (Some(_), Some(Some(Value::String(_)))) => Ok(String),
            _ => Err(format!("{name}()'s root element name must be a constant string")),
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::call_for_test as call;

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn text(v: Result<Value, String>) -> String {
        v.map(|v| v.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn create_put_get_remove() {
        let m = call("map:create", &[Value::Int(1), s("one"), Value::Int(2), s("two")]).unwrap();
        assert_eq!(m.to_string(), r#"{"1":"one","2":"two"}"#);
        assert_eq!(call("map:get", &[m.clone(), Value::Int(1)]), Ok(s("one")));
        assert_eq!(call("map:get", &[m.clone(), Value::Int(3)]), Ok(Value::Null));
        assert_eq!(call("map:get", &[m.clone(), Value::Int(3), s("three")]), Ok(s("three")));
        let put = call("map:put", &[m.clone(), s("IBM"), Value::Double(200.0)]);
        assert_eq!(text(put), r#"{"1":"one","2":"two","IBM":200.0}"#);
        assert_eq!(text(call("map:remove", &[m.clone(), Value::Int(1)])), r#"{"2":"two"}"#);
        assert_eq!(text(call("map:replace", &[m.clone(), Value::Int(5), s("x")])), r#"{"1":"one","2":"two"}"#);
        assert_eq!(text(call("map:putifabsent", &[m.clone(), Value::Int(1), s("x")])), r#"{"1":"one","2":"two"}"#);
        assert_eq!(call("map:size", std::slice::from_ref(&m)), Ok(Value::Int(2)));
        assert_eq!(text(call("map:keys", std::slice::from_ref(&m))), r#"["1","2"]"#);
        assert_eq!(call("map:containskey", &[m.clone(), s("2")]), Ok(Value::Bool(true)));
        assert_eq!(call("map:ismap", &[m]), Ok(Value::Bool(true)));
        assert_eq!(call("map:ismap", &[Value::Int(1)]), Ok(Value::Bool(false)));
        assert!(call("map:size", &[Value::Null]).unwrap_err().contains("must be a map, found null"));
    }

    #[test]
    fn from_json_combine_and_to_json() {
        let m = call("map:createfromjson", &[s(r#"{"symbol" : "IBM", "price" : 200, "volume" : 100}"#)]).unwrap();
        assert_eq!(call("map:get", &[m.clone(), s("price")]), Ok(Value::Long(200)));
        assert_eq!(text(call("map:tojson", &[m])), r#"{"symbol":"IBM","price":200,"volume":100}"#);
        assert!(call("map:createfromjson", &[s("{not json")]).is_err());
        assert!(call("map:createfromjson", &[s("[1, 2]")]).is_err());
        let a = call("map:createfromjson", &[s("{'symbol': 'gdn', 'volume': 100}")]).unwrap();
        let b = call("map:createfromjson", &[s("{'symbol': 'IBM', 'price': 12}")]).unwrap();
        assert_eq!(
            text(call("map:combinebykey", &[a.clone(), b.clone()])),
            r#"{"symbol":["gdn","IBM"],"volume":[100,null],"price":[null,12]}"#
        );
        assert_eq!(text(call("map:putall", &[a.clone(), b.clone()])), r#"{"symbol":"IBM","volume":100,"price":12}"#);
        assert_eq!(text(call("map:replaceall", &[a, b])), r#"{"symbol":"IBM","volume":100}"#);
    }

    #[test]
    fn signatures() {
        use AttrType::*;
        assert_eq!(signature("map:create", &[], &[]), Some(Ok(Object)));
        assert!(signature("map:create", &[Int], &[]).unwrap().is_err());
        assert!(signature("map:size", &[String], &[]).unwrap().unwrap_err().contains("must be a map"));
        assert!(signature("map:containskey", &[Object, Object], &[]).unwrap().is_err());
        assert_eq!(signature("map:remove", &[Object, Int, Int], &[]), Some(Ok(Object)));
        assert!(signature("map:put", &[Object, Int], &[]).unwrap().is_err());
        assert_eq!(signature("map:toxml", &[Object], &[]), Some(Ok(String)));
        assert!(signature("map:toxml", &[Object, String], &[None, None]).unwrap().is_err());
    }
}
