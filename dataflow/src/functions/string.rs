//! The `str:` functions of the reference's string extension.
//!
//! `concat` (nulls skipped), `length` (UTF-16 units, as Java counts), `upper`,
//! `lower`, `trim` (Java's: every char up to U+0020), `contains`, `startsWith`,
//! `endsWith`, `locate`, `equalsIgnoreCase`, `strcmp` (Java's `compareTo`), `reverse`,
//! `repeat`, `charAt`, `charFrequency`, `coalesce`, `hex`, `unhex`, `regexp`
//! (whole-string match), `replaceAll`, `replaceFirst`, `split(s, regex, i)`
//! (the i-th piece, trailing empty pieces dropped as Java's `split` does) and
//! `fillTemplate(template, v1, v2, …)` (`{{1}}`, `{{2}}`, … replaced by the values)
//! or `fillTemplate(template, object)` (`{{key}}` replaced from a JSON object), and
//! `substr` in its four shapes: `(s, begin)`, `(s, begin, length)`, `(s, regex)`
//! (the first match) and `(s, regex, group)`. Indices count UTF-16 units like
//! Java; an index out of range is an error (the query sees null). A null string
//! argument gives null. Regular expressions use the `regex` crate, which covers
//! Java's syntax except look-around and back-references.

use super::{arg_is, arity, f, FnContext, ScalarFn};
use crate::value::Value;
use parking_lot::Mutex;
use regex::Regex;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

type R = Result<Value, String>;

/// The implementation of `str:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let name = name.strip_prefix("str:")?;
    Some(match name {
        "concat" => f(|a, _| {
            let mut s = String::new();
            for v in a.iter().filter(|v| !matches!(v, Value::Null)) {
                s.push_str(&v.to_string());
            }
            Ok(Value::string(&s))
        }),
        "length" => f(|a, _| str1(a, |s| Ok(Value::Int(s.encode_utf16().count() as i32)))),
        "upper" => f(|a, _| str1(a, |s| Ok(Value::string(&s.to_uppercase())))),
        "lower" => f(|a, _| str1(a, |s| Ok(Value::string(&s.to_lowercase())))),
        "trim" => f(|a, _| str1(a, |s| Ok(Value::string(s.trim_matches(|c: char| c <= ' '))))),
        "reverse" => f(|a, _| str1(a, |s| Ok(Value::string(&s.chars().rev().collect::<String>())))),
        "hex" => f(|a, _| str1(a, |s| Ok(Value::string(&s.bytes().map(|b| format!("{b:02x}")).collect::<String>())))),
        "unhex" => f(|a, _| str1(a, unhex)),
        "contains" => f(|a, _| str2(a, |s, t| Ok(Value::Bool(s.contains(t))))),
        "startswith" => f(|a, _| str2(a, |s, t| Ok(Value::Bool(s.starts_with(t))))),
        "endswith" => f(|a, _| str2(a, |s, t| Ok(Value::Bool(s.ends_with(t))))),
        "equalsignorecase" => f(|a, _| str2(a, |s, t| Ok(Value::Bool(s.to_lowercase() == t.to_lowercase())))),
        "strcmp" => f(|a, _| str2(a, |s, t| Ok(Value::Int(java_compare(s, t))))),
        "charfrequency" => f(|a, _| {
            str2(a, |s, t| {
                let mut units = t.encode_utf16();
                match (units.next(), units.next()) {
                    (Some(c), None) => Ok(Value::Long(s.encode_utf16().filter(|u| *u == c).count() as i64)),
                    _ => Err(format!("str:charFrequency() counts one character, found '{t}'")),
                }
            })
        }),
        "coalesce" => f(|a, _| Ok(a.iter().find(|v| !matches!(v, Value::Null)).cloned().unwrap_or(Value::Null))),
        "repeat" => f(|a, _| match (a.first(), a.get(1).and_then(Value::as_i64)) {
            (Some(Value::String(s)), Some(n)) if n >= 0 => Ok(Value::string(&s.repeat(n as usize))),
            (Some(Value::String(_)), _) => Err("str:repeat() needs a non-negative count".into()),
            _ => Ok(Value::Null),
        }),
        "charat" => f(|a, _| match (a.first(), a.get(1).and_then(Value::as_i64)) {
            (Some(Value::String(s)), Some(i)) => {
                let units: Vec<u16> = s.encode_utf16().collect();
                let u = usize::try_from(i)
                    .ok()
                    .and_then(|i| units.get(i))
                    .ok_or(format!("str:charAt(): index {i} out of range"))?;
                Ok(Value::string(&String::from_utf16_lossy(&[*u])))
            }
            _ => Ok(Value::Null),
        }),
        "regexp" => with_regex(1, true, |s, re, _| Ok(Value::Bool(re.is_match(s)))),
        "locate" => f(|a, _| {
            let (Some(what), Some(within)) = (string_at(a, 0), string_at(a, 1)) else {
                return Err("str:locate() needs two strings".into());
            };
            let units: Vec<u16> = within.encode_utf16().collect();
            let from = match a.get(2) {
                Some(v) => v.as_i64().ok_or("str:locate()'s start must be an int")?,
                None => 0,
            };
            if from < 0 || from as usize > units.len() {
                return Err(format!("str:locate(): start {from} is outside the string"));
            }
            let needle: Vec<u16> = what.encode_utf16().collect();
            let hay = &units[from as usize..];
            let found = if needle.is_empty() {
                Some(0)
            } else {
                hay.windows(needle.len()).position(|w| w == needle.as_slice())
            };
            Ok(Value::Int(found.map_or(-1, |i| (i as i64 + from) as i32)))
        }),
        "replaceall" => with_regex(1, false, |s, re, a| {
            let rep = string_at(a, 2).ok_or("str:replaceAll() needs a replacement string")?;
            Ok(Value::string(&re.replace_all(s, java_replacement(rep).as_str())))
        }),
        "replacefirst" => with_regex(1, false, |s, re, a| {
            let rep = string_at(a, 2).ok_or("str:replaceFirst() needs a replacement string")?;
            Ok(Value::string(&re.replace(s, java_replacement(rep).as_str())))
        }),
        "split" => with_regex(1, false, |s, re, a| {
            let i = a.get(2).and_then(Value::as_i64).ok_or("str:split() needs the index of the piece")?;
            let mut pieces: Vec<&str> = re.split(s).collect();
            while pieces.len() > 1 && pieces.last() == Some(&"") {
                pieces.pop();
            }
            let piece =
                usize::try_from(i).ok().and_then(|i| pieces.get(i)).ok_or(format!("str:split(): no piece {i}"))?;
            Ok(Value::string(piece))
        }),
        "substr" => {
            let regexes = with_regex(1, false, |s, re, a| match a.get(2) {
                None => Ok(re.find(s).map_or(Value::string(""), |m| Value::string(m.as_str()))),
                Some(g) => {
                    let g = g.as_i64().ok_or("str:substr()'s group number must be an int")?;
                    let caps = re.captures(s);
                    Ok(caps
                        .and_then(|c| usize::try_from(g).ok().and_then(|g| c.get(g)))
                        .map_or(Value::string(""), |m| Value::string(m.as_str())))
                }
            });
            Arc::new(move |a: &[Value], c: &FnContext| match a.get(1) {
                Some(Value::String(_)) => regexes(a, c),
                _ => substr_by_index(a),
            })
        }
        "filltemplate" => f(|a, _| match a.first() {
            Some(Value::String(template)) => Ok(Value::string(&fill_template(template, &a[1..]))),
            _ => Ok(Value::Null),
        }),
        _ => return None,
    })
}

/// `str:fillTemplate`: each `{{n}}` of `template` replaced by the n-th value
/// (1-based) of `values`, or, when the only value is a JSON object, each
/// `{{key}}` by that key's value; a field with nothing to fill stays as it is.
fn fill_template(template: &str, values: &[Value]) -> String {
    let by_key = match values {
        [Value::Json(j)] => j.as_object(),
        _ => None,
    };
    let lookup = |field: &str| -> Option<String> {
        match by_key {
            Some(map) => map.get(field).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            None => {
                field.parse::<usize>().ok().filter(|n| *n >= 1).and_then(|n| values.get(n - 1)).map(Value::to_string)
            }
        }
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else { break };
        let field = &rest[open + 2..open + 2 + close];
        out.push_str(&rest[..open]);
        match lookup(field) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[open..open + 4 + close]),
        }
        rest = &rest[open + 4 + close..];
    }
    out.push_str(rest);
    out
}

fn string_at(a: &[Value], i: usize) -> Option<&str> {
    match a.get(i) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn str1(a: &[Value], body: impl Fn(&str) -> R) -> R {
    match a.first() {
        Some(Value::String(s)) => body(s),
        Some(Value::Null) | None => Ok(Value::Null),
        Some(other) => body(&other.to_string()),
    }
}

fn str2(a: &[Value], body: impl Fn(&str, &str) -> R) -> R {
    match (string_at(a, 0), string_at(a, 1)) {
        (Some(s), Some(t)) => body(s, t),
        _ => Ok(Value::Null),
    }
}

/// A function whose argument `at` is a regular expression, compiled once per
/// distinct pattern (patterns are nearly always constants); `whole` anchors it so
/// that it must match the whole string (Java's `matches`).
fn with_regex(at: usize, whole: bool, body: fn(&str, &Regex, &[Value]) -> R) -> ScalarFn {
    let cache: Mutex<Option<(String, Regex)>> = Mutex::new(None);
    Arc::new(move |a: &[Value], _: &FnContext| {
        let (Some(s), Some(pattern)) = (string_at(a, 0), string_at(a, at)) else {
            return Ok(Value::Null);
        };
        let mut slot = cache.lock();
        if slot.as_ref().is_none_or(|(p, _)| p != pattern) {
            let source = if whole { format!("^(?:{pattern})$") } else { pattern.to_string() };
            let re = Regex::new(&source).map_err(|e| format!("bad regular expression '{pattern}': {e}"))?;
            *slot = Some((pattern.to_string(), re));
        }
        let (_, re) = slot.as_ref().expect("just set");
        body(s, re, a)
    })
}

/// Java's replacement syntax (`$1`, `\$`) in the `regex` crate's (`${1}`, `$$`).
fn java_replacement(rep: &str) -> String {
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(x) => out.push(x),
                None => {}
            },
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{digits}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `substr(s, begin[, length])` with Java's `substring` bounds (UTF-16 units).
fn substr_by_index(a: &[Value]) -> R {
    let Some(s) = string_at(a, 0) else {
        return Ok(Value::Null);
    };
    let units: Vec<u16> = s.encode_utf16().collect();
    let begin = a.get(1).and_then(Value::as_i64).ok_or("str:substr() needs a start index")?;
    let end = match a.get(2) {
        Some(len) => begin + len.as_i64().ok_or("str:substr()'s length must be an int")?,
        None => units.len() as i64,
    };
    if begin < 0 || end > units.len() as i64 || begin > end {
        return Err(format!("str:substr(): range {begin}..{end} is outside a string of length {}", units.len()));
    }
    Ok(Value::string(&String::from_utf16_lossy(&units[begin as usize..end as usize])))
}

/// Java's `String.compareTo`: the difference of the first differing UTF-16
/// units, else of the lengths.
fn java_compare(a: &str, b: &str) -> i32 {
    let (x, y): (Vec<u16>, Vec<u16>) = (a.encode_utf16().collect(), b.encode_utf16().collect());
    for (p, q) in x.iter().zip(&y) {
        if p != q {
            return *p as i32 - *q as i32;
        }
    }
    x.len() as i32 - y.len() as i32
}

fn unhex(s: &str) -> R {
    if !s.len().is_multiple_of(2) {
        return Err("str:unhex() needs an even number of hex digits".into());
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| format!("str:unhex(): '{s}' is not hex"))?;
    Ok(Value::string(&String::from_utf8_lossy(&bytes)))
}

/// The signature of `str:` function `name`.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("str:")?;
    let strings = |n: usize| -> Result<(), std::string::String> {
        arity(name, t, n..=n)?;
        (0..n).try_for_each(|i| arg_is(name, t, i, &[String]))
    };
    let ints = [Int, Long];
    Some(match short {
        "concat" => arity(name, t, 2..=usize::MAX).map(|_| String),
        "filltemplate" => arity(name, t, 2..=usize::MAX).and_then(|_| arg_is(name, t, 0, &[String])).map(|_| String),
        "coalesce" => arity(name, t, 1..=usize::MAX).map(|_| String),
        "length" => strings(1).map(|_| Int),
        "upper" | "lower" | "trim" | "reverse" | "hex" | "unhex" => strings(1).map(|_| String),
        "contains" | "startswith" | "endswith" | "equalsignorecase" | "regexp" => strings(2).map(|_| Bool),
        "strcmp" => strings(2).map(|_| Int),
        "locate" => arity(name, t, 2..=3)
            .and_then(|_| arg_is(name, t, 0, &[String]))
            .and_then(|_| arg_is(name, t, 1, &[String]))
            .and_then(|_| if t.len() == 3 { arg_is(name, t, 2, &ints) } else { Ok(()) })
            .map(|_| Int),
        "charfrequency" => strings(2).map(|_| Long),
        "replaceall" | "replacefirst" => strings(3).map(|_| String),
        "repeat" | "charat" => arity(name, t, 2..=2)
            .and_then(|_| arg_is(name, t, 0, &[String]))
            .and_then(|_| arg_is(name, t, 1, &ints))
            .map(|_| String),
        "split" => arity(name, t, 3..=3)
            .and_then(|_| arg_is(name, t, 0, &[String]))
            .and_then(|_| arg_is(name, t, 1, &[String]))
            .and_then(|_| arg_is(name, t, 2, &ints))
            .map(|_| String),
        "substr" => arity(name, t, 2..=3)
            .and_then(|_| arg_is(name, t, 0, &[String]))
            .and_then(|_| arg_is(name, t, 1, &[String, Int, Long]))
            .and_then(|_| if t.len() == 3 { arg_is(name, t, 2, &ints) } else { Ok(()) })
            .map(|_| String),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_template_by_position_and_by_key() {
        let values = [Value::Int(200), Value::Double(300.5)];
        assert_eq!(fill_template("{{1}} > 100 && {{2}} < 10000", &values), "200 > 100 && 300.5 < 10000");
        assert_eq!(fill_template("{{3}} {{0}} {{x}} {{1", &values), "{{3}} {{0}} {{x}} {{1");
        let map = Value::Json(Arc::new(serde_json::json!({"name": "Ann", "age": 7})));
        assert_eq!(fill_template("{{name}} is {{age}}{{}}", &[map]), "Ann is 7{{}}");
    }

    fn call(name: &str, args: &[Value]) -> Value {
        lookup(name).unwrap()(args, &FnContext::default()).unwrap_or(Value::Null)
    }
    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn basics() {
        assert_eq!(call("str:concat", &[s("a"), Value::Null, Value::Int(1), Value::Double(2.0)]), s("a12.0"));
        assert_eq!(call("str:length", &[s("héllo")]), Value::Int(5));
        assert_eq!(call("str:length", &[Value::Null]), Value::Null);
        assert_eq!(call("str:upper", &[s("ab")]), s("AB"));
        assert_eq!(call("str:trim", &[s("\t ab \n")]), s("ab"));
        assert_eq!(call("str:contains", &[s("abc"), s("bc")]), Value::Bool(true));
        assert_eq!(call("str:strcmp", &[s("abc"), s("abd")]), Value::Int(-1));
        assert_eq!(call("str:strcmp", &[s("ab"), s("abcd")]), Value::Int(-2));
        assert_eq!(call("str:equalsignorecase", &[s("ABC"), s("abc")]), Value::Bool(true));
        assert_eq!(call("str:reverse", &[s("abc")]), s("cba"));
        assert_eq!(call("str:repeat", &[s("ab"), Value::Int(2)]), s("abab"));
        assert_eq!(call("str:charat", &[s("abc"), Value::Int(1)]), s("b"));
        assert_eq!(call("str:hex", &[s("AB")]), s("4142"));
        assert_eq!(call("str:unhex", &[s("4142")]), s("AB"));
        assert_eq!(call("str:charfrequency", &[s("banana"), s("a")]), Value::Long(3));
        assert_eq!(call("str:locate", &[s("an"), s("banana")]), Value::Int(1));
        assert_eq!(call("str:locate", &[s("an"), s("banana"), Value::Int(2)]), Value::Int(3));
        assert_eq!(call("str:locate", &[s("x"), s("banana")]), Value::Int(-1));
    }

    #[test]
    fn regexes_and_substrings() {
        assert_eq!(call("str:replaceall", &[s("a1b22"), s("[0-9]+"), s("#")]), s("a#b#"));
        assert_eq!(call("str:replaceall", &[s("ab"), s("(a)(b)"), s("$2$1")]), s("ba"));
        assert_eq!(call("str:replacefirst", &[s("a1b2"), s("[0-9]"), s("#")]), s("a#b2"));
        assert_eq!(call("str:split", &[s("a,b,,"), s(","), Value::Int(1)]), s("b"));
        assert_eq!(call("str:split", &[s("a,b,,"), s(","), Value::Int(2)]), Value::Null);
        assert_eq!(call("str:regexp", &[s("abc"), s("a.c")]), Value::Bool(true));
        assert_eq!(call("str:regexp", &[s("abcd"), s("a.c")]), Value::Bool(false));
        assert_eq!(call("str:substr", &[s("AbCDefghiJ KLMN"), Value::Int(4)]), s("efghiJ KLMN"));
        assert_eq!(call("str:substr", &[s("AbCDefghiJ KLMN"), Value::Int(2), Value::Int(4)]), s("CDef"));
        assert_eq!(call("str:substr", &[s("WSO2D efghiJ KLMN"), s("WSO2(.*)h")]), s("WSO2D efgh"));
        assert_eq!(call("str:substr", &[s("WSO2D efghiJ KLMN"), s("WSO2(.*)h"), Value::Int(1)]), s("D efg"));
        assert_eq!(call("str:substr", &[s("abc"), Value::Int(5)]), Value::Null);
    }

    #[test]
    fn signatures() {
        assert_eq!(signature("str:substr", &[AttrType::String, AttrType::Int]).unwrap(), Ok(AttrType::String));
        assert!(signature("str:length", &[AttrType::Int]).unwrap().is_err());
        assert!(signature("str:concat", &[AttrType::String]).unwrap().is_err());
        assert!(signature("length", &[]).is_none());
    }
}
