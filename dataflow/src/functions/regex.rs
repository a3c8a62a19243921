//! The `regex:` functions of the reference's regex extension: `find`, `group`,
//! `lookingAt` and `matches`, with Java's `Matcher` meanings.
//!
//! `find(regex, s[, start])` is whether a match starts at or after UTF-16 index
//! `start`; `lookingAt` whether one starts at the beginning; `matches` whether
//! the whole string matches; `group(regex, s, n)` is group `n` of the first match
//! (null without a match or when the group took no part; a group number the
//! regex does not have is an error, as in Java).
//!
//! Regular expressions run on the `regex` crate, whose syntax is Java's for
//! classes, quantifiers, groups and flags (`(?i)`), with these differences: no
//! look-ahead or look-behind, no back-references (`\1`), no possessive
//! quantifiers or atomic groups, and Java-only classes (`\p{javaLowerCase}`) are
//! unknown; such a regex is an error on the event (the query sees null). String
//! literals keep their backslashes, as in the reference, so `'\d+'` is the
//! regex `\d+` (the Java-source spelling `'\\d'` means a backslash then `d`).
//! A null argument gives null.

use super::{arg_is, arity, FnContext, ScalarFn};
use crate::value::Value;
use ::regex::Regex;
use parking_lot::Mutex;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

type R = Result<Value, String>;

/// How a call site anchors its regex.
#[derive(Clone, Copy)]
enum Anchor {
    /// Anywhere (`find`, `group`).
    None,
    /// At the start (`lookingAt`).
    Start,
    /// The whole string (`matches`).
    Whole,
}

/// Compiled regexes of one call site, keyed by their text.
struct Regexes {
    anchor: Anchor,
    cache: Mutex<Vec<(String, Arc<Regex>)>>,
}

impl Regexes {
    fn new(anchor: Anchor) -> Regexes {
        Regexes { anchor, cache: Mutex::new(Vec::new()) }
    }

    /// The compiled, anchored `pattern`.
    fn get(&self, pattern: &str) -> Result<Arc<Regex>, String> {
        let mut cache = self.cache.lock();
        if let Some((_, re)) = cache.iter().find(|(text, _)| text == pattern) {
            return Ok(re.clone());
        }
        let anchored = match self.anchor {
            Anchor::None => pattern.to_string(),
            Anchor::Start => format!(r"\A(?:{pattern})"),
            Anchor::Whole => format!(r"\A(?:{pattern})\z"),
        };
        let re = Arc::new(Regex::new(&anchored).map_err(|e| format!("invalid regex '{pattern}': {e}"))?);
        if cache.len() >= 16 {
            cache.clear();
        }
        cache.push((pattern.to_string(), re.clone()));
        Ok(re)
    }
}

/// The byte offset of UTF-16 index `index` in `s`, if it is within `s`.
fn byte_offset(s: &str, index: i64) -> Option<usize> {
    let mut units = 0i64;
    for (byte, c) in s.char_indices() {
        if units == index {
            return Some(byte);
        }
        units += c.len_utf16() as i64;
    }
    (units == index).then_some(s.len())
}

/// A `regex:` function: the compiled regex, the input and the other arguments.
type Body = fn(&Regex, &str, &[Value]) -> R;

/// Wraps `body` with a cache of regexes anchored as `anchor`; a null argument
/// gives null.
fn regex_fn(anchor: Anchor, body: Body) -> ScalarFn {
    let regexes = Regexes::new(anchor);
    Arc::new(move |a: &[Value], _: &FnContext| {
        if a.iter().any(|v| matches!(v, Value::Null)) {
            return Ok(Value::Null);
        }
        let (Some(Value::String(pattern)), Some(Value::String(input))) = (a.first(), a.get(1)) else {
            return Ok(Value::Null);
        };
        body(&*regexes.get(pattern)?, input, a)
    })
}

/// The implementation of `regex:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    Some(match name.strip_prefix("regex:")? {
        "find" => regex_fn(Anchor::None, |re, s, a| {
            let start = match a.get(2) {
                Some(v) => v.as_i64().ok_or("regex:find()'s start must be an int")?,
                None => 0,
            };
            let at = byte_offset(s, start).ok_or(format!("regex:find(): start {start} is outside the input"))?;
            Ok(Value::Bool(re.find_at(s, at).is_some()))
        }),
        "lookingat" => regex_fn(Anchor::Start, |re, s, _| Ok(Value::Bool(re.is_match(s)))),
        "matches" => regex_fn(Anchor::Whole, |re, s, _| Ok(Value::Bool(re.is_match(s)))),
        "group" => regex_fn(Anchor::None, |re, s, a| {
            let n = a.get(2).and_then(Value::as_i64).ok_or("regex:group()'s group number must be an int")?;
            let group = usize::try_from(n)
                .ok()
                .filter(|g| *g < re.captures_len())
                .ok_or(format!("regex:group(): the regex has no group {n}"))?;
            Ok(re.captures(s).and_then(|c| c.get(group)).map_or(Value::Null, |m| Value::string(m.as_str())))
        }),
        _ => return None,
    })
}

/// The result type of `regex:` function `name` over `t`, or what is wrong.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("regex:")?;
    let strings = |n: usize| (0..n).try_for_each(|i| arg_is(name, t, i, &[String]));
    Some(match short {
        "find" => {
            arity(name, t, 2..=3).and_then(|_| strings(2)).and_then(|_| arg_is(name, t, 2, &[Int, Long])).map(|_| Bool)
        }
        "lookingat" | "matches" => arity(name, t, 2..=2).and_then(|_| strings(2)).map(|_| Bool),
        "group" => arity(name, t, 3..=3)
            .and_then(|_| strings(2))
            .and_then(|_| arg_is(name, t, 2, &[Int, Long]))
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
    fn matcher_semantics() {
        let text = s("21 products are produced by gdn currently");
        assert_eq!(call("regex:find", &[s(r"\d\d(.*)gdn"), text.clone()]), Ok(Value::Bool(true)));
        assert_eq!(call("regex:find", &[s(r"\d\d(.*)gdn"), text.clone(), Value::Int(4)]), Ok(Value::Bool(false)));
        assert!(call("regex:find", &[s(r"\d"), text.clone(), Value::Int(400)]).is_err());
        assert_eq!(call("regex:lookingat", &[s("products"), text.clone()]), Ok(Value::Bool(false)));
        assert_eq!(call("regex:lookingat", &[s(r"\d+"), text.clone()]), Ok(Value::Bool(true)));
        assert_eq!(call("regex:matches", &[s("21|21 products.*"), text.clone()]), Ok(Value::Bool(true)));
        assert_eq!(call("regex:matches", &[s("21"), text.clone()]), Ok(Value::Bool(false)));
        assert_eq!(call("regex:group", &[s(r"a(\d+)([a-z]+)"), s("a12xyz"), Value::Int(2)]), Ok(s("xyz")));
        assert_eq!(call("regex:group", &[s(r"a(\d+)|(b)"), s("a12"), Value::Int(2)]), Ok(Value::Null));
        assert_eq!(call("regex:group", &[s(r"q(\d)"), s("a12"), Value::Int(1)]), Ok(Value::Null));
        assert!(call("regex:group", &[s(r"a(\d+)"), s("a12"), Value::Int(2)]).is_err());
        assert!(call("regex:matches", &[s(r"(?=a)"), s("a")]).is_err());
        assert_eq!(call("regex:matches", &[Value::Null, s("a")]), Ok(Value::Null));
    }

    #[test]
    fn utf16_indices() {
        assert_eq!(byte_offset("héllo", 2), Some(3));
        assert_eq!(byte_offset("a😀b", 3), Some(5));
        assert_eq!(byte_offset("ab", 2), Some(2));
        assert_eq!(byte_offset("ab", 3), None);
        assert_eq!(byte_offset("ab", -1), None);
    }
}
