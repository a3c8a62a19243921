//! `map:createFromXML(xml)` and `map:toXML(map[, root])` of siddhi-execution-map
//! (not on Macrometa's pages), as its sources define them.
//!
//! `createFromXML` reads the text with `quick-xml` (namespaces resolved) and makes a
//! map of the root element's child elements: the key is the element's qualified
//! name as Java's `QName.toString()` gives it (`local`, or `{uri}local` in a
//! namespace; the prefix is not kept), the value a map of its children when it has
//! child elements, else its text: `true`/`false` become a bool, a number (Apache
//! Commons' `NumberUtils.isNumber`: `12`, `-1.5`, `2E3`, `5L`, `0x1F`…) what
//! `NumberFormat.parse` reads of it (the longest leading `-digits.digitsE±digits`,
//! a `long` when whole, else a `double`: `12.0` is 12, `1e5` is 1), any other text
//! stays a string, untrimmed. A later element of the same name replaces an
//! earlier one. Text that is not well-formed XML, or nests deeper than 128
//! elements, fails the event.
//!
//! `toXML` writes `<key>value</key>` for each entry, a map value as its own
//! elements, any other value as Java's `toString()` (a list `[a, b]`); with a root
//! name (a constant string), inside `<root>…</root>`. As in the reference nothing
//! is escaped, and a null value fails the event.

use super::map::{found, map_at, map_value, JMap};
use crate::value::Value;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde_json::Value as J;

/// How deep elements may nest.
const MAX_DEPTH: usize = 128;

/// Apache Commons `NumberUtils.isNumber`: a Java number literal.
fn is_number(text: &str) -> bool {
    let s = text.strip_prefix('-').unwrap_or(text);
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    let (body, suffix) = match s.char_indices().last() {
        Some((i, c)) if "dDfFlL".contains(c) => (&s[..i], Some(c)),
        _ => (s, None),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let has_digits = !whole.is_empty() || fraction.is_some_and(|f| !f.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    let long_ok = !matches!(suffix, Some('l' | 'L')) || (fraction.is_none() && exponent.is_none());
    has_digits && digits(whole) && fraction.is_none_or(digits) && exponent_ok && long_ok
}

/// What `NumberFormat.getInstance().parse` reads of `text` (en-US), or `None`.
fn parse_number(text: &str) -> Option<J> {
    let bytes = text.as_bytes();
    let mut end = usize::from(bytes.first() == Some(&b'-'));
    let digits_from = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let whole_end = digits_from(end);
    end = whole_end;
    if bytes.get(end) == Some(&b'.') {
        end = digits_from(end + 1);
    }
    if end == usize::from(bytes.first() == Some(&b'-')) || &text[..end] == "-." || &text[..end] == "." {
        return None;
    }
    if bytes.get(end) == Some(&b'E') {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits_from(end + 1 + sign);
        if exp_end > end + 1 + sign {
            end = exp_end;
        }
    }
    let x: f64 = text[..end].parse().ok()?;
    if x.fract() == 0.0 && x.abs() < 9.2e18 && !(x == 0.0 && text.starts_with('-')) {
        Some(J::from(x as i64))
    } else {
        serde_json::Number::from_f64(x).map(J::Number)
    }
}

/// A leaf element's text as a map value.
fn leaf(text: String) -> J {
    match text.as_str() {
        "true" => J::Bool(true),
        "false" => J::Bool(false),
        t if is_number(t) => parse_number(t).unwrap_or(J::String(text)),
        _ => J::String(text),
    }
}

/// One open element: its key, its children so far, its text.
struct Open {
    key: String,
    children: JMap,
    has_children: bool,
    text: String,
}

/// `map:createFromXML`.
pub(crate) fn create_from_xml(a: &[Value]) -> Result<Value, String> {
    let Some(Value::String(text)) = a.first() else {
        return Err(format!("map:createFromXML(): the XML must be a string, found {}", found(a.first())));
    };
    let bad = |e: &dyn std::fmt::Display| format!("map:createFromXML(): the input cannot be parsed as XML: {e}");
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<JMap> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| bad(&e))?;
        let key = |local: &str| match &ns {
            ResolveResult::Bound(uri) => format!("{{{}}}{local}", uri.as_ref()),
            _ => local.to_string(),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(bad(&format!("content after the root element: <{}>", e.name().as_ref())));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("map:createFromXML(): the XML nests deeper than {MAX_DEPTH} elements"));
                }
                let key = key(e.local_name().as_ref());
                stack.push(Open { key, children: JMap::new(), has_children: false, text: String::new() });
            }
            Event::Empty(e) => {
                let key = key(e.local_name().as_ref());
                match stack.last_mut() {
                    Some(parent) => {
                        parent.has_children = true;
                        parent.children.insert(key, leaf(String::new()));
                    }
                    None => root = Some(JMap::new()),
                }
            }
            Event::Text(t) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = crate::functions::resolve_reference(&r).map_err(|e| bad(&e))?;
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else { return Err(bad(&"an end tag without a start")) };
                let value = if done.has_children { J::Object(done.children) } else { leaf(done.text) };
                match stack.last_mut() {
                    Some(parent) => {
                        parent.has_children = true;
                        parent.children.insert(done.key, value);
                    }
                    None => {
                        root = Some(match value {
                            J::Object(m) => m,
                            _ => JMap::new(),
                        })
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match (root, stack.is_empty()) {
        (Some(m), true) => Ok(map_value(m)),
        _ => Err(bad(&"the XML has no complete root element")),
    }
}

/// Java's `toString()` of a map value.
fn java_text(j: &J) -> String {
    match j {
        J::String(s) => s.clone(),
        J::Array(items) => format!("[{}]", items.iter().map(java_text).collect::<Vec<_>>().join(", ")),
        J::Object(m) => {
            let entries: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", java_text(v))).collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

/// The elements of a map.
fn elements(m: &JMap, out: &mut String) -> Result<(), String> {
    for (k, v) in m {
        out.push_str(&format!("<{k}>"));
        match v {
            J::Object(inner) => elements(inner, out)?,
            J::Null => return Err(format!("map:toXML(): the value of '{k}' is null")),
            other => out.push_str(&java_text(other)),
        }
        out.push_str(&format!("</{k}>"));
    }
    Ok(())
}

/// `map:toXML`.
pub(crate) fn to_xml(a: &[Value]) -> Result<Value, String> {
    let m = map_at("map:toXML", a, 0)?;
    let mut out = String::new();
    let root = a.get(1).map(|r| r.to_string());
    if let Some(root) = &root {
        out.push_str(&format!("<{root}>"));
    }
    elements(m, &mut out)?;
    if let Some(root) = &root {
        out.push_str(&format!("</{root}>"));
    }
    Ok(Value::string(&out))
}

/// The text an entity or character reference (`&amp;`, `&#65;`) stands for, or
/// why it cannot be read.
pub fn resolve_reference(r: &quick_xml::events::BytesRef) -> Result<String, String> {
    let name = r.xml10_content();
    match r.resolve_char_ref().map_err(|e| e.to_string())? {
        Some(c) => Ok(c.to_string()),
        None => quick_xml::escape::resolve_predefined_entity(&name)
            .map(str::to_string)
            .ok_or_else(|| format!("unknown entity &{name};")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(text: &str) -> String {
        create_from_xml(&[Value::string(text)]).map(|v| v.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn from_xml_as_the_extension() {
        assert_eq!(
            xml("<stock><symbol>IBM</symbol><price>200</price><volume>100</volume></stock>"),
            r#"{"symbol":"IBM","price":200,"volume":100}"#
        );
        assert_eq!(
            xml("<a><b><c>true</c><d>12.50</d></b><e> 1 </e><f>1e5</f><g/><h>12.0</h></a>"),
            r#"{"b":{"c":true,"d":12.5},"e":" 1 ","f":1,"g":"","h":12}"#
        );
        assert_eq!(xml("<a xmlns:p='urn:x'><p:b>x &amp; y</p:b></a>"), r#"{"{urn:x}b":"x & y"}"#);
        assert!(xml("<a><b></a>").starts_with("error"));
        assert!(xml("not xml").starts_with("error"));
        let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
        assert!(xml(&deep).contains("deeper"));
    }

    #[test]
    fn numbers_as_commons_and_number_format() {
        for yes in ["12", "-1.5", "2E3", "5L", "0x1F", ".5", "1.5f"] {
            assert!(is_number(yes), "{yes}");
        }
        for no in ["", "-", "1.2.3", "abc", "1e", "1.5L", " 1"] {
            assert!(!is_number(no), "{no}");
        }
        assert_eq!(parse_number("2E3"), Some(J::from(2000)));
        assert_eq!(parse_number("0x1F"), Some(J::from(0)));
        assert_eq!(parse_number(".5"), serde_json::Number::from_f64(0.5).map(J::Number));
    }

    #[test]
    fn to_xml_as_the_extension() {
        let m: JMap = serde_json::from_str(r#"{"symbol":"gdn","volume":100,"inner":{"a":[1,"b"]}}"#).unwrap();
        let out = to_xml(&[map_value(m.clone())]).unwrap();
        assert_eq!(out.to_string(), "<symbol>gdn</symbol><volume>100</volume><inner><a>[1, b]</a></inner>");
        let rooted = to_xml(&[map_value(m), Value::string("abcCompany")]).unwrap();
        assert!(rooted.to_string().starts_with("<abcCompany><symbol>"));
        let null: JMap = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert!(to_xml(&[map_value(null)]).is_err());
    }
}
