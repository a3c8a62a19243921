//! The `json:` scalar functions of the reference's JSON extension: `getString`,
//! `getBool`, `getInt`, `getLong`, `getFloat`, `getDouble`, `getObject`,
//! `isExists`, `setElement`, `toObject` and `toString`.
//!
//! A JSON argument is a string (read leniently, as the reference's parser does:
//! single quotes and bare keys are accepted) or an `object` holding JSON. Paths
//! are JSONPath, evaluated by `serde_json_path` (RFC 9535): `$.a.b`, `$['a']`,
//! `$.list[0]`, `$..name`, `$.list[*]`, filters `$[?(@.price > 10)]`; a path
//! without `$` is read as `$.path`, as Jayway JsonPath does. Jayway's own
//! extensions (`.length()`, `=~` regex filters) are not part of RFC 9535 and are
//! refused as invalid paths. A path with `..`, `*`, a filter, a union or a slice
//! is indefinite and yields the array of its matches, as in the reference.
//!
//! Results follow the reference: `getString` gives a string as it is and any
//! other JSON as its compact text; the typed getters parse the value's text
//! (`getInt` of `"23"` is 23, of `23.5` null) and give null when the path
//! matches nothing or several values; `getObject` gives a JSON object or array
//! (null for a scalar, as Macrometa's page says). `setElement(json, path, value
//! [, key])` appends to an array at `path`, puts `key` into an object at `path`,
//! or replaces the value at `path`; a path that matches nothing leaves the JSON
//! as it was. A string value that is itself JSON text of an object or array is
//! inserted as that JSON. Invalid JSON or an invalid path is an error (the query
//! sees null); a null argument gives null.

use super::{arg_is, arity, FnContext, ScalarFn};
use crate::value::Value;
use parking_lot::Mutex;
use serde_json::Value as J;
use serde_json_path::JsonPath;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

type R = Result<Value, String>;

/// How deep brackets may nest in JSON text or a path (serde_json's own limit),
/// so that no parser recurses without bound on an event's text.
const MAX_NESTING: usize = 128;

/// The deepest nesting of `(`, `[` and `{` in `text` outside quoted strings.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// Reads JSON text strictly, then leniently (single quotes, bare keys).
pub fn parse_lenient(text: &str) -> Result<J, String> {
    if nesting_depth(text) > MAX_NESTING {
        return Err(format!("the input JSON nests deeper than {MAX_NESTING} levels"));
    }
    serde_json::from_str(text).or_else(|strict| {
        json5::from_str::<J>(text).map_err(|_| format!("the input is not valid JSON ({strict}): {text}"))
    })
}

/// Compiled paths of one call site, keyed by their text.
#[derive(Default)]
pub(crate) struct Paths(Mutex<Vec<(String, Arc<JsonPath>)>>);

impl Paths {
    /// The compiled `path` (with `$.` put in front when it has no root).
    fn get(&self, path: &str) -> Result<Arc<JsonPath>, String> {
        let mut cache = self.0.lock();
        if let Some((_, p)) = cache.iter().find(|(text, _)| text == path) {
            return Ok(p.clone());
        }
        if nesting_depth(path) > MAX_NESTING {
            return Err(format!("the JSON path '{path}' nests deeper than {MAX_NESTING} levels"));
        }
        let rooted = if path.starts_with('$') { path.to_string() } else { format!("$.{path}") };
        let compiled = Arc::new(JsonPath::parse(&rooted).map_err(|e| format!("invalid JSON path '{path}': {e}"))?);
        if cache.len() >= 16 {
            cache.clear();
        }
        cache.push((path.to_string(), compiled.clone()));
        Ok(compiled)
    }
}

/// Whether `path` names at most one value (no `..`, `*`, filter, union or slice
/// outside quotes).
fn is_definite(path: &str) -> bool {
    let mut quote = None;
    let mut prev = ' ';
    for c in path.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '*' | '?' | ',' | ':' => return false,
                '.' if prev == '.' => return false,
                _ => {}
            },
        }
        prev = c;
    }
    true
}

/// The JSON document argument `v` holds.
pub(crate) fn document(v: &Value) -> Result<J, String> {
    match v {
        Value::String(s) => parse_lenient(s),
        Value::Json(j) => Ok((**j).clone()),
        other => Ok(other.to_json()),
    }
}

/// What `path` reads in `doc`: the value for a definite path (`None` when
/// absent), the array of matches for an indefinite one.
pub(crate) fn read(doc: &J, path: &str, paths: &Paths) -> Result<Option<J>, String> {
    let compiled = paths.get(path)?;
    let nodes = compiled.query(doc);
    Ok(if is_definite(path) {
        nodes.all().first().map(|v| (*v).clone())
    } else {
        Some(J::Array(nodes.all().into_iter().cloned().collect()))
    })
}

/// One value for the typed getters: a one-element array stands for its element,
/// any other array for nothing (the reference's "multiple or no matches").
fn single(found: Option<J>) -> Option<J> {
    match found {
        Some(J::Array(mut items)) if items.len() == 1 => items.pop(),
        Some(J::Array(_)) | Some(J::Null) | None => None,
        other => other,
    }
}

/// The text Java's `toString()` gives a JSON scalar.
fn scalar_text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A getter: the document, the path, and what to make of the value found.
fn getter(convert: fn(Option<J>) -> Value) -> ScalarFn {
    getter_at(move |found, _| convert(found))
}

/// A getter whose result also depends on the path (`isExists`).
fn getter_at(convert: impl Fn(Option<J>, &str) -> Value + Send + Sync + 'static) -> ScalarFn {
    let paths = Paths::default();
    Arc::new(move |a: &[Value], _: &FnContext| -> R {
        let (Some(json), Some(Value::String(path))) = (a.first(), a.get(1)) else {
            return Ok(Value::Null);
        };
        if matches!(json, Value::Null) {
            return Ok(Value::Null);
        }
        Ok(convert(read(&document(json)?, path, &paths)?, path))
    })
}

/// `setElement`: the document with `element` set at `path` (see the module docs).
fn set_element(doc: &mut J, path: &JsonPath, definite: bool, element: J, key: Option<&str>) {
    let pointers: Vec<String> =
        path.query_located(doc).locations().map(|location| location.to_json_pointer()).collect();
    let appends = !definite || pointers.first().and_then(|p| doc.pointer(p)).is_some_and(J::is_array);
    for pointer in pointers {
        match doc.pointer_mut(&pointer) {
            Some(J::Array(items)) if appends => items.push(element.clone()),
            Some(J::Object(map)) if !appends => match key {
                Some(key) => {
                    map.insert(key.to_string(), element.clone());
                }
                None => *doc.pointer_mut(&pointer).unwrap_or(&mut J::Null) = element.clone(),
            },
            Some(slot) if !appends && key.is_none() => *slot = element.clone(),
            _ => {}
        }
    }
}

/// The JSON a `setElement` value argument stands for.
fn element_json(v: &Value) -> J {
    match v {
        Value::String(s) => match parse_lenient(s) {
            Ok(parsed @ (J::Object(_) | J::Array(_))) => parsed,
            _ => J::String(s.to_string()),
        },
        other => other.to_json(),
    }
}

/// The implementation of `json:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let short = name.strip_prefix("json:")?;
    Some(match short {
        "getstring" => getter(|v| match v {
            None | Some(J::Null) => Value::Null,
            Some(J::String(s)) => Value::string(&s),
            Some(other) => Value::string(&other.to_string()),
        }),
        "getbool" => getter(|v| match single(v).map(|v| scalar_text(&v)) {
            Some(t) if t.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(t) if t.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => Value::Null,
        }),
        "getint" => getter(|v| single(v).and_then(|v| scalar_text(&v).parse().ok()).map_or(Value::Null, Value::Int)),
        "getlong" => getter(|v| single(v).and_then(|v| scalar_text(&v).parse().ok()).map_or(Value::Null, Value::Long)),
        "getdouble" => {
            getter(|v| single(v).and_then(|v| scalar_text(&v).trim().parse().ok()).map_or(Value::Null, Value::Double))
        }
        "getfloat" => {
            getter(|v| single(v).and_then(|v| scalar_text(&v).trim().parse().ok()).map_or(Value::Null, Value::Float))
        }
        "getobject" => getter(|v| match v {
            Some(J::Array(items)) if items.len() == 1 && (items[0].is_object() || items[0].is_array()) => {
                Value::Json(Arc::new(items[0].clone()))
            }
            Some(found @ (J::Object(_) | J::Array(_))) => Value::Json(Arc::new(found)),
            _ => Value::Null,
        }),
        "isexists" => getter_at(|found, path| {
            Value::Bool(match found {
                Some(J::Array(items)) if !is_definite(path) => !items.is_empty(),
                found => found.is_some(),
            })
        }),
        "setelement" => {
            let paths = Paths::default();
            Arc::new(move |a: &[Value], _: &FnContext| -> R {
                let (Some(json), Some(Value::String(path)), Some(element)) = (a.first(), a.get(1), a.get(2)) else {
                    return Ok(Value::Null);
                };
                if matches!(json, Value::Null) {
                    return Ok(Value::Null);
                }
                let key = match a.get(3) {
                    Some(Value::Null) => return Ok(Value::Null),
                    Some(k) => Some(k.to_string()),
                    None => None,
                };
                let mut doc = document(json)?;
                set_element(&mut doc, &*paths.get(path)?, is_definite(path), element_json(element), key.as_deref());
                Ok(Value::Json(Arc::new(doc)))
            })
        }
        "toobject" => super::f(|a, _| match a.first() {
            Some(Value::String(s)) => Ok(Value::Json(Arc::new(parse_lenient(s)?))),
            Some(Value::Json(j)) => Ok(Value::Json(j.clone())),
            _ => Ok(Value::Null),
        }),
        "tostring" => super::f(|a, _| {
            let text = match a.first() {
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(Value::Json(j)) => j.to_string(),
                Some(other) => other.to_json().to_string(),
            };
            match a.get(1) {
                Some(Value::Bool(true)) => Ok(Value::string(&J::String(text).to_string())),
                _ => Ok(Value::string(&text)),
            }
        }),
        _ => return None,
    })
}

/// The result type of `json:` function `name` over `t`, or what is wrong.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("json:")?;
    let json_and_path = || {
        arity(name, t, 2..=2).and_then(|_| arg_is(name, t, 0, &[String])).and_then(|_| arg_is(name, t, 1, &[String]))
    };
    Some(match short {
        "getstring" => json_and_path().map(|_| String),
        "getbool" | "isexists" => json_and_path().map(|_| Bool),
        "getint" => json_and_path().map(|_| Int),
        "getlong" => json_and_path().map(|_| Long),
        "getfloat" => json_and_path().map(|_| Float),
        "getdouble" => json_and_path().map(|_| Double),
        "getobject" => json_and_path().map(|_| Object),
        "setelement" => arity(name, t, 3..=4)
            .and_then(|_| arg_is(name, t, 0, &[String]))
            .and_then(|_| arg_is(name, t, 1, &[String]))
            .and_then(|_| if t.len() == 4 { arg_is(name, t, 3, &[String]) } else { Ok(()) })
            .map(|_| Object),
        "toobject" => arity(name, t, 1..=1).and_then(|_| arg_is(name, t, 0, &[String])).map(|_| Object),
        "tostring" => arity(name, t, 1..=2)
            .and_then(|_| if t.len() == 2 { arg_is(name, t, 1, &[Bool]) } else { Ok(()) })
            .map(|_| String),
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

    #[test]
    fn getters_follow_the_reference() {
        let john = s("{'name' : 'John', 'age' : 23, 'address' : {'city' : 'NY', 'country' : 'USA'}, 'n': '42'}");
        assert_eq!(call("json:getstring", &[john.clone(), s("$.name")]), Ok(s("John")));
        assert_eq!(call("json:getstring", &[john.clone(), s("$.age")]), Ok(s("23")));
        assert_eq!(call("json:getstring", &[john.clone(), s("$.address")]), Ok(s(r#"{"city":"NY","country":"USA"}"#)));
        assert_eq!(call("json:getstring", &[john.clone(), s("$.salary")]), Ok(Value::Null));
        assert_eq!(call("json:getint", &[john.clone(), s("n")]), Ok(Value::Int(42)));
        assert_eq!(call("json:getdouble", &[john.clone(), s("$.age")]), Ok(Value::Double(23.0)));
        assert_eq!(call("json:getlong", &[john.clone(), s("$.name")]), Ok(Value::Null));
        assert_eq!(call("json:getbool", &[s("{\"ok\": true}"), s("$.ok")]), Ok(Value::Bool(true)));
        assert_eq!(call("json:getstring", &[s("{\"a\": [{\"b\": 1}, {\"b\": 2}]}"), s("$..b")]), Ok(s("[1,2]")));
        assert_eq!(call("json:getint", &[s("{\"a\": [{\"b\": 1}, {\"b\": 2}]}"), s("$..b")]), Ok(Value::Null));
        assert_eq!(call("json:isexists", &[john.clone(), s("$.address.city")]), Ok(Value::Bool(true)));
        assert_eq!(call("json:isexists", &[john.clone(), s("$.salary")]), Ok(Value::Bool(false)));
        assert!(call("json:getstring", &[s("{not json"), s("$.a")]).is_err());
        assert!(call("json:getstring", &[john, s("$[")]).is_err());
    }

    #[test]
    fn set_element_appends_puts_and_replaces() {
        let set = |json: &str, path: &str, v: Value, key: Option<&str>| {
            let mut args = vec![s(json), s(path), v];
            args.extend(key.map(s));
            call("json:setelement", &args).map(|v| v.to_string())
        };
        let person = "{'name' : 'John', 'married' : true}";
        assert_eq!(
            set(person, "$", s("{'country' : 'USA'}"), Some("address")),
            Ok(r#"{"name":"John","married":true,"address":{"country":"USA"}}"#.into())
        );
        assert_eq!(
            set(person, "$", Value::Int(40), Some("age")),
            Ok(r#"{"name":"John","married":true,"age":40}"#.into())
        );
        assert_eq!(
            set("{'items' : ['pen', 'pencil']}", "$.items", s("book"), None),
            Ok(r#"{"items":["pen","pencil","book"]}"#.into())
        );
        assert_eq!(set(person, "$.address", s("SF"), Some("city")), Ok(r#"{"name":"John","married":true}"#.into()));
        assert_eq!(set(person, "$.name", s("Jo"), None), Ok(r#"{"name":"Jo","married":true}"#.into()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_lenient(&deep).unwrap_err().contains("deeper"));
        let quoted = format!("{{'a': '{}'}}", "[".repeat(1000));
        assert!(parse_lenient(&quoted).is_ok());
        let deep_path = format!("$[?{}@.a{}]", "(".repeat(10_000), ")".repeat(10_000));
        assert!(call("json:getstring", &[s("{}"), s(&deep_path)]).unwrap_err().contains("deeper"));
    }

    #[test]
    fn paths_are_definite_unless_they_spread() {
        assert!(is_definite("$.a.b[0]"));
        assert!(is_definite("$['a.*']"));
        assert!(!is_definite("$..a"));
        assert!(!is_definite("$.a[*]"));
        assert!(!is_definite("$.a[?(@.b > 1)]"));
        assert!(!is_definite("$.a[0,1]"));
    }
}
