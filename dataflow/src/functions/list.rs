//! The `list:` scalar functions of siddhi-execution-list (Macrometa's "List
//! Functions"): `create`, `add`, `addAll`, `setValue`, `get`, `remove`,
//! `removeAll`, `removeByIndex`, `retainAll`, `clear`, `clone`, `size`, `isEmpty`,
//! `isList`, `contains`, `containsAll`, `containsAny` (in the extension, not on
//! Macrometa's pages), `indexOf`, `lastIndexOf` and `sort`. The aggregates
//! `list:collect` and `list:merge` are in `aggregate/collect.rs`, the stream
//! function `#list:tokenize` in `query/tokenize.rs`.
//!
//! **A list is an `object` holding a JSON array**, elements as `functions/map.rs`
//! describes map values (numbers, strings, booleans, null, maps, lists; read back
//! as `long`/`double`, `string`, `bool` or `object`). Functions return a new list
//! and never change their argument (the reference changes it in place). Elements
//! compare as JSON (`contains`, `indexOf`, `remove`, …): `1` equals `1L` but not
//! `1.0`, as Java's `equals` does not.
//!
//! As in the reference: `create()` and `create(null)` are the empty list (its
//! one-argument form treats null as no value); `get` out of range is null, while
//! `add`, `setValue` and `removeByIndex` out of range fail the event (Java's
//! `IndexOutOfBoundsException`); `remove` takes out the first equal element,
//! `removeAll` every element equal to one of the given list's; `indexOf` gives the
//! first index and `lastIndexOf` the last (-1 when absent). `sort(list, 'ASC' |
//! 'DESC' | 'REV')` sorts strings case-insensitively and numbers by value (a list
//! whose first element is neither, or that mixes the two, fails the event), or
//! reverses for `'REV'`; **`sort(list)` without an order reverses the list**, as
//! the extension's one-argument form does (Macrometa's page says the default is
//! `REV`, though its first example calls it ascending). The order must be a
//! constant, checked by `sluice check`. A list argument that is not a list (null
//! included) fails the event.

use super::map::{element, found, list_value, object, value_of};
use super::{arity, FnContext, ScalarFn};
use crate::value::Value;
use serde_json::Value as J;
use sluice_frontend::ast::AttrType;
use std::cmp::Ordering;
use std::sync::Arc;

type R = Result<Value, String>;

/// Argument `i` of `name` as a list, or the reference's error.
fn list_at<'a>(name: &str, a: &'a [Value], i: usize) -> Result<&'a Vec<J>, String> {
    match a.get(i) {
        Some(Value::Json(j)) => match &**j {
            J::Array(items) => Ok(items),
            _ => Err(format!("{name}(): argument {} must be a list, found {}", i + 1, found(a.get(i)))),
        },
        other => Err(format!("{name}(): argument {} must be a list, found {}", i + 1, found(other))),
    }
}

/// Argument `i` of `name` as an index (an `int`; null fails, as Java's unboxing).
fn index_at(name: &str, a: &[Value], i: usize) -> Result<i64, String> {
    a.get(i).and_then(Value::as_i64).ok_or_else(|| format!("{name}(): the index must be an int, found null"))
}

/// Java's `IndexOutOfBoundsException` message.
fn out_of_range(name: &str, index: i64, size: usize) -> String {
    format!("{name}(): index {index} is out of range for a list of {size}")
}

/// The value argument `i` as an element (null when absent).
fn elem(a: &[Value], i: usize) -> J {
    a.get(i).map_or(J::Null, element)
}

/// A function of one list argument.
fn on_list(name: &'static str, f: fn(&[J]) -> Value) -> ScalarFn {
    Arc::new(move |a: &[Value], _: &FnContext| -> R { Ok(f(list_at(name, a, 0)?)) })
}

/// A function that changes a copy of its first (list) argument with the others.
fn updating(name: &'static str, f: fn(&mut Vec<J>, &[Value]) -> Result<(), String>) -> ScalarFn {
    Arc::new(move |a: &[Value], _: &FnContext| -> R {
        let mut items = list_at(name, a, 0)?.clone();
        f(&mut items, a)?;
        Ok(list_value(items))
    })
}

/// A predicate over the list and a second list.
fn two_lists(name: &'static str, f: fn(&[J], &[J]) -> bool) -> ScalarFn {
    Arc::new(move |a: &[Value], _: &FnContext| -> R { Ok(Value::Bool(f(list_at(name, a, 0)?, list_at(name, a, 1)?))) })
}

/// Java's `String.CASE_INSENSITIVE_ORDER`.
fn case_insensitive(a: &str, b: &str) -> Ordering {
    let fold = |c: char| c.to_uppercase().flat_map(char::to_lowercase).collect::<std::string::String>();
    for (x, y) in a.chars().zip(b.chars()) {
        if x != y {
            let (fx, fy) = (fold(x), fold(y));
            if fx != fy {
                return fx.cmp(&fy);
            }
        }
    }
    a.chars().count().cmp(&b.chars().count())
}

/// Sorts ascending as the extension does: by the kind of the first element.
fn sort_ascending(items: &mut [J]) -> Result<(), String> {
    let mixed = || "list:sort(): the list mixes strings and other values".to_string();
    match items.first() {
        None => Ok(()),
        Some(J::String(_)) => {
            if !items.iter().all(J::is_string) {
                return Err(mixed());
            }
            items.sort_by(|a, b| case_insensitive(a.as_str().unwrap_or(""), b.as_str().unwrap_or("")));
            Ok(())
        }
        Some(J::Number(_)) => {
            if !items.iter().all(J::is_number) {
                return Err("list:sort(): the list mixes numbers and other values".into());
            }
            items.sort_by_key(value_of);
            Ok(())
        }
        Some(other) => {
            Err(format!("list:sort() only sorts lists of strings or numbers, found {}", found(Some(&value_of(other)))))
        }
    }
}

/// The implementation of `list:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let short = name.strip_prefix("list:")?;
    Some(match short {
        "create" => super::f(|a, _| match a {
            [Value::Null] => Ok(list_value(Vec::new())),
            _ => Ok(list_value(a.iter().map(element).collect())),
        }),
        "add" => updating("list:add", |items, a| {
            if a.len() < 3 {
                items.push(elem(a, 1));
                return Ok(());
            }
            let at = index_at("list:add", a, 2)?;
            if at < 0 || at as usize > items.len() {
                return Err(out_of_range("list:add", at, items.len()));
            }
            items.insert(at as usize, elem(a, 1));
            Ok(())
        }),
        "addall" => updating("list:addAll", |items, a| {
            let from = list_at("list:addAll", a, 1)?;
            let distinct = match a.get(2) {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("list:addAll(): is.distinct must be a bool, found null".into()),
            };
            for e in from {
                if !distinct || !items.contains(e) {
                    items.push(e.clone());
                }
            }
            Ok(())
        }),
        "setvalue" => updating("list:setValue", |items, a| {
            let at = index_at("list:setValue", a, 1)?;
            let len = items.len();
            let slot = usize::try_from(at).ok().and_then(|i| items.get_mut(i));
            *slot.ok_or_else(|| out_of_range("list:setValue", at, len))? = elem(a, 2);
            Ok(())
        }),
        "get" => super::f(|a, _| {
            let items = list_at("list:get", a, 0)?;
            let at = index_at("list:get", a, 1)?;
            Ok(usize::try_from(at).ok().and_then(|i| items.get(i)).map_or(Value::Null, value_of))
        }),
        "remove" => updating("list:remove", |items, a| {
            let wanted = elem(a, 1);
            if let Some(i) = items.iter().position(|e| *e == wanted) {
                items.remove(i);
            }
            Ok(())
        }),
        "removeall" => updating("list:removeAll", |items, a| {
            let given = list_at("list:removeAll", a, 1)?;
            items.retain(|e| !given.contains(e));
            Ok(())
        }),
        "retainall" => updating("list:retainAll", |items, a| {
            let given = list_at("list:retainAll", a, 1)?;
            items.retain(|e| given.contains(e));
            Ok(())
        }),
        "removebyindex" => updating("list:removeByIndex", |items, a| {
            let at = index_at("list:removeByIndex", a, 1)?;
            match usize::try_from(at) {
                Ok(i) if i < items.len() => {
                    items.remove(i);
                    Ok(())
                }
                _ => Err(out_of_range("list:removeByIndex", at, items.len())),
            }
        }),
        "clear" => on_list("list:clear", |_| list_value(Vec::new())),
        "clone" => on_list("list:clone", |items| list_value(items.to_vec())),
        "size" => on_list("list:size", |items| Value::Int(items.len().min(i32::MAX as usize) as i32)),
        "isempty" => on_list("list:isEmpty", |items| Value::Bool(items.is_empty())),
        "islist" => super::f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Json(j)) if j.is_array())))),
        "contains" => super::f(|a, _| Ok(Value::Bool(list_at("list:contains", a, 0)?.contains(&elem(a, 1))))),
        "containsall" => two_lists("list:containsAll", |l, given| given.iter().all(|e| l.contains(e))),
        "containsany" => two_lists("list:containsAny", |l, given| given.iter().any(|e| l.contains(e))),
        "indexof" => super::f(|a, _| {
            let wanted = elem(a, 1);
            let at = list_at("list:indexOf", a, 0)?.iter().position(|e| *e == wanted);
            Ok(Value::Int(at.map_or(-1, |i| i as i32)))
        }),
        "lastindexof" => super::f(|a, _| {
            let wanted = elem(a, 1);
            let at = list_at("list:lastIndexOf", a, 0)?.iter().rposition(|e| *e == wanted);
            Ok(Value::Int(at.map_or(-1, |i| i as i32)))
        }),
        "sort" => updating("list:sort", |items, a| {
            let order = match a.get(1) {
                None => "REV".to_string(),
                Some(v) => v.to_string().to_ascii_uppercase(),
            };
            match order.as_str() {
                "ASC" => sort_ascending(items),
                "DESC" => sort_ascending(items).map(|_| items.reverse()),
                _ => {
                    items.reverse();
                    Ok(())
                }
            }
        }),
        _ => return None,
    })
}

/// The result type of `list:` function `name` over `t` (`consts[i]` the value of a
/// constant argument), or what is wrong.
pub fn signature(name: &str, t: &[AttrType], consts: &[Option<Value>]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("list:")?;
    let list = |i: usize| object(name, t, i, "a list");
    let is = |i: usize, ty: AttrType| match t.get(i) {
        Some(found) if *found != ty => Err(format!("argument {} of {name}() must be {ty}, found {found}", i + 1)),
        _ => Ok(()),
    };
    let one_list = || arity(name, t, 1..=1).and_then(|_| list(0));
    Some(match short {
        "create" => Ok(Object),
        "add" => arity(name, t, 2..=3).and_then(|_| list(0)).and_then(|_| is(2, Int)).map(|_| Object),
        "addall" => {
            arity(name, t, 2..=3).and_then(|_| list(0)).and_then(|_| list(1)).and_then(|_| is(2, Bool)).map(|_| Object)
        }
        "setvalue" => arity(name, t, 3..=3).and_then(|_| list(0)).and_then(|_| is(1, Int)).map(|_| Object),
        "get" => arity(name, t, 2..=2).and_then(|_| list(0)).and_then(|_| is(1, Int)).map(|_| Object),
        "removebyindex" => arity(name, t, 2..=2).and_then(|_| list(0)).and_then(|_| is(1, Int)).map(|_| Object),
        "remove" => arity(name, t, 2..=2).and_then(|_| list(0)).map(|_| Object),
        "removeall" | "retainall" => arity(name, t, 2..=2).and_then(|_| list(0)).and_then(|_| list(1)).map(|_| Object),
        "clear" | "clone" => one_list().map(|_| Object),
        "size" => one_list().map(|_| Int),
        "isempty" => one_list().map(|_| Bool),
        "islist" => arity(name, t, 1..=1).map(|_| Bool),
        "contains" => arity(name, t, 2..=2).and_then(|_| list(0)).map(|_| Bool),
        "containsall" | "containsany" => {
            arity(name, t, 2..=2).and_then(|_| list(0)).and_then(|_| list(1)).map(|_| Bool)
        }
        "indexof" | "lastindexof" => arity(name, t, 2..=2).and_then(|_| list(0)).map(|_| Int),
        "sort" => arity(name, t, 1..=2).and_then(|_| list(0)).and_then(|_| {
            if t.len() < 2 {
                return Ok(Object);
            }
            match consts.get(1) {
                Some(Some(Value::String(order))) if ["ASC", "DESC", "REV"].contains(&&*order.to_ascii_uppercase()) => {
                    Ok(Object)
                }
                Some(Some(Value::String(order))) => {
                    Err(format!("{name}()'s order must be 'ASC', 'DESC' or 'REV', found '{order}'"))
                }
                _ => Err(format!("{name}()'s order must be a constant string: 'ASC', 'DESC' or 'REV'")),
            }
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

    fn text(v: Result<Value, String>) -> std::string::String {
        v.map(|v| v.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    }

    fn list(items: &[&str]) -> Value {
        call("list:create", &items.iter().map(|x| s(x)).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn create_add_get_remove() {
        assert_eq!(text(call("list:create", &[])), "[]");
        assert_eq!(text(call("list:create", &[Value::Null])), "[]");
        assert_eq!(text(call("list:create", &[Value::Null, Value::Int(1)])), "[null,1]");
        let l = list(&["Ice Cream", "Chocolate", "Cake"]);
        assert_eq!(call("list:get", &[l.clone(), Value::Int(1)]), Ok(s("Chocolate")));
        assert_eq!(call("list:get", &[l.clone(), Value::Int(7)]), Ok(Value::Null));
        assert_eq!(call("list:get", &[l.clone(), Value::Int(-1)]), Ok(Value::Null));
        assert_eq!(
            text(call("list:add", &[l.clone(), s("IBM"), Value::Int(0)])),
            r#"["IBM","Ice Cream","Chocolate","Cake"]"#
        );
        assert!(call("list:add", &[l.clone(), s("IBM"), Value::Int(4)]).is_err());
        assert_eq!(text(call("list:remove", &[l.clone(), s("Cake")])), r#"["Ice Cream","Chocolate"]"#);
        assert_eq!(text(call("list:removebyindex", &[l.clone(), Value::Int(0)])), r#"["Chocolate","Cake"]"#);
        assert!(call("list:removebyindex", &[l.clone(), Value::Int(3)]).is_err());
        assert_eq!(text(call("list:setvalue", &[l.clone(), Value::Int(0), s("IBM")])), r#"["IBM","Chocolate","Cake"]"#);
        assert_eq!(call("list:indexof", &[l.clone(), s("Cake")]), Ok(Value::Int(2)));
        assert_eq!(call("list:lastindexof", &[l.clone(), s("Nope")]), Ok(Value::Int(-1)));
        assert_eq!(call("list:islist", std::slice::from_ref(&l)), Ok(Value::Bool(true)));
        assert_eq!(call("list:size", &[l]), Ok(Value::Int(3)));
        assert!(call("list:size", &[Value::Null]).unwrap_err().contains("must be a list, found null"));
    }

    #[test]
    fn lists_of_lists() {
        let to = list(&["IBM", "WSO2"]);
        let from = list(&["IBM", "XYZ"]);
        assert_eq!(text(call("list:addall", &[to.clone(), from.clone()])), r#"["IBM","WSO2","IBM","XYZ"]"#);
        assert_eq!(
            text(call("list:addall", &[to.clone(), from.clone(), Value::Bool(true)])),
            r#"["IBM","WSO2","XYZ"]"#
        );
        assert_eq!(text(call("list:removeall", &[to.clone(), from.clone()])), r#"["WSO2"]"#);
        assert_eq!(text(call("list:retainall", &[to.clone(), from.clone()])), r#"["IBM"]"#);
        assert_eq!(call("list:containsall", &[to.clone(), from.clone()]), Ok(Value::Bool(false)));
        assert_eq!(call("list:containsany", &[to, from]), Ok(Value::Bool(true)));
    }

    #[test]
    fn sort_as_the_extension() {
        let l = list(&["b", "C", "a"]);
        assert_eq!(text(call("list:sort", std::slice::from_ref(&l))), r#"["a","C","b"]"#);
        assert_eq!(text(call("list:sort", &[l.clone(), s("asc")])), r#"["a","b","C"]"#);
        assert_eq!(text(call("list:sort", &[l, s("DESC")])), r#"["C","b","a"]"#);
        let n = call("list:create", &[Value::Int(3), Value::Double(1.5), Value::Long(2)]).unwrap();
        assert_eq!(text(call("list:sort", &[n, s("ASC")])), "[1.5,2,3]");
        let mixed = call("list:create", &[Value::Int(3), s("x")]).unwrap();
        assert!(call("list:sort", &[mixed, s("ASC")]).is_err());
        use AttrType::*;
        assert!(signature("list:sort", &[Object, String], &[None, None]).unwrap().is_err());
        assert!(signature("list:sort", &[Object, String], &[None, Some(s("up"))]).unwrap().is_err());
        assert_eq!(signature("list:sort", &[Object, String], &[None, Some(s("desc"))]), Some(Ok(Object)));
        assert!(signature("list:get", &[Object, Long], &[]).unwrap().is_err());
    }
}
