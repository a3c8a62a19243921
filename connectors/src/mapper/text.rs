//! `text`: Siddhi's text mapper. By default an event is written, and read, as
//! `attr:value` entries separated by `,` and line ends (strings in double
//! quotes). A source with `regex.X='…'` options and `@attributes(attr='X[n]')`
//! reads each attribute from group `n` of regular expression `X`.

use super::{flag, only_options, value_from_text, MapperError, Payload, Schema};
use regex::Regex;
use sluice_dataflow::value::Value;
use sluice_frontend::ast::AttrType;
use sluice_frontend::logical::MapperPlan;

/// Where one attribute is read from in custom mapping: a regex and a group.
#[derive(Debug)]
struct Group {
    regex: usize,
    group: usize,
}

/// The `text` source mapper.
#[derive(Debug)]
pub struct TextSource {
    schema: Schema,
    regexes: Vec<Regex>,
    /// Custom mapping: a group per attribute; `None` reads `attr:value` entries.
    groups: Option<Vec<Group>>,
    fail_on_missing: bool,
}

impl TextSource {
    /// Builds the mapper (options `regex.<id>`, `fail.on.missing.attribute`).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<TextSource, MapperError> {
        only_options(plan, &["regex.", "fail.on.missing.attribute"])?;
        let mut ids = Vec::new();
        let mut regexes = Vec::new();
        for o in plan.options.iter().filter(|o| o.key.to_ascii_lowercase().starts_with("regex.")) {
            let regex = Regex::new(&o.value)
                .map_err(|e| MapperError::at(o.span, format!("'{}' is not a regular expression: {e}", o.value)))?;
            ids.push(o.key["regex.".len()..].to_string());
            regexes.push(regex);
        }
        let groups = if plan.attributes.is_empty() {
            None
        } else {
            let texts = super::json::attribute_sources(plan, schema, false, |n| n.to_string())?;
            let mut groups = Vec::with_capacity(texts.len());
            for (text, name) in texts.iter().zip(&schema.names) {
                let span = plan.attributes.iter().find(|a| a.path == *text).map_or(plan.span, |a| a.span);
                let bad =
                    || MapperError::at(span, format!("attribute '{name}': '{text}' is not `<regex id>[<group>]`"));
                let (id, rest) = text.trim().split_once('[').ok_or_else(bad)?;
                let group: usize = rest.strip_suffix(']').and_then(|g| g.trim().parse().ok()).ok_or_else(bad)?;
                let regex = ids.iter().position(|i| i == id.trim()).ok_or_else(|| {
                    MapperError::at(
                        span,
                        format!("attribute '{name}': no option `regex.{}` defines regex '{}'", id.trim(), id.trim()),
                    )
                })?;
                if group >= regexes[regex].captures_len() {
                    return Err(MapperError::at(
                        span,
                        format!("attribute '{name}': regex '{id}' has no group {group}"),
                    ));
                }
                groups.push(Group { regex, group });
            }
            Some(groups)
        };
        Ok(TextSource {
            schema: schema.clone(),
            regexes,
            groups,
            fail_on_missing: flag(plan, "fail.on.missing.attribute", true)?,
        })
    }

    /// The event in `payload`.
    pub fn map(&self, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
        let text = self.schema.text_of(payload);
        let Some(groups) = &self.groups else { return self.default_mapping(&text).map(|row| vec![row]) };
        let mut row = Vec::with_capacity(groups.len());
        for ((g, ty), name) in groups.iter().zip(&self.schema.types).zip(&self.schema.names) {
            let found = self.regexes[g.regex].captures(&text).and_then(|c| c.get(g.group)).map(|m| m.as_str());
            match found {
                Some(field) => row.push(value_from_text(field, *ty).map_err(|e| format!("attribute '{name}': {e}"))?),
                None if self.fail_on_missing => return Err(format!("attribute '{name}' is not in the text")),
                None => row.push(Value::Null),
            }
        }
        Ok(vec![row])
    }

    fn default_mapping(&self, text: &str) -> Result<Vec<Value>, String> {
        let mut row = vec![None; self.schema.names.len()];
        for entry in split_entries(text) {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (key, value) = entry.split_once(':').ok_or_else(|| format!("'{entry}' is not `attribute:value`"))?;
            let key = key.trim();
            let i = self
                .schema
                .position(key)
                .ok_or_else(|| format!("stream '{}' has no attribute '{key}'", self.schema.stream))?;
            let value = value.trim();
            let ty = self.schema.types[i];
            let parsed = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) => value_from_text(inner, ty),
                None if value == "null" => Ok(Value::Null),
                None => value_from_text(value, ty),
            };
            row[i] = Some(parsed.map_err(|e| format!("attribute '{key}': {e}"))?);
        }
        let mut out = Vec::with_capacity(row.len());
        for (v, name) in row.into_iter().zip(&self.schema.names) {
            match v {
                Some(v) => out.push(v),
                None if self.fail_on_missing => return Err(format!("attribute '{name}' is missing")),
                None => out.push(Value::Null),
            }
        }
        Ok(out)
    }
}

/// Splits `a:1, b:"x,y"\nc:2` at commas and line ends outside double quotes.
fn split_entries(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' | '\n' if !quoted => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// The `text` sink mapper: `attr:value` entries, one per line.
#[derive(Debug)]
pub struct TextSink {
    schema: Schema,
}

impl TextSink {
    /// The mapper for events of `schema`.
    pub fn new(schema: &Schema) -> TextSink {
        TextSink { schema: schema.clone() }
    }

    /// `symbol:"IBM",\nprice:75.5,\nvolume:100` for one event.
    pub fn map(&self, row: &[Value]) -> String {
        let entries: Vec<String> = self
            .schema
            .names
            .iter()
            .zip(&self.schema.types)
            .zip(row)
            .map(|((name, ty), v)| match (ty, v) {
                (AttrType::String, Value::String(s)) => format!("{name}:\"{s}\""),
                _ => format!("{name}:{v}"),
            })
            .collect();
        entries.join(",\n")
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{SinkMapper, SourceMapper};
    use super::*;

    fn text(t: &str) -> Payload {
        Payload::Text(t.into())
    }

    #[test]
    fn default_mapping_round_trips() {
        let mut sink = SinkMapper::new(&plan("text", &[], &[], None), &stock()).unwrap();
        let written = sink.map(&ibm(), 0);
        assert_eq!(written, text("symbol:\"IBM\",\nprice:75.5,\nvolume:100"));
        let mut source = SourceMapper::new(&plan("text", &[], &[], None), &stock()).unwrap();
        assert_eq!(source.map(&written).unwrap(), vec![ibm()]);
        assert_eq!(source.map(&text(r#"volume:100, symbol:"IBM", price:75.5"#)).unwrap(), vec![ibm()]);
        assert!(source.map(&text("symbol:\"IBM\"")).unwrap_err().contains("'price' is missing"));
        assert!(source.map(&text("colour:1")).unwrap_err().contains("no attribute 'colour'"));
    }

    #[test]
    fn custom_mapping_reads_regex_groups() {
        let options = [("regex.A", r"(\w+)\s([-0-9.]+)"), ("regex.B", r"volume (\d+)")];
        let attributes = [("symbol", "A[1]"), ("price", "A[2]"), ("volume", "B[1]")];
        let mut m = SourceMapper::new(&plan("text", &options, &attributes, None), &stock()).unwrap();
        assert_eq!(m.map(&text("IBM 75.5 with volume 100")).unwrap(), vec![ibm()]);
        assert!(m.map(&text("IBM 75.5")).unwrap_err().contains("'volume'"));
        let lenient = [options[0], options[1], ("fail.on.missing.attribute", "false")];
        let mut m = SourceMapper::new(&plan("text", &lenient, &attributes, None), &stock()).unwrap();
        assert_eq!(m.map(&text("IBM 75.5")).unwrap()[0][2], Value::Null);
    }

    #[test]
    fn refuses_bad_regexes_groups_and_ids() {
        let bad = SourceMapper::new(&plan("text", &[("regex.A", "(")], &[], None), &stock()).unwrap_err();
        assert!(bad.message.contains("not a regular expression"));
        let attributes = [("symbol", "A[3]"), ("price", "A[1]"), ("volume", "C[1]")];
        let e = SourceMapper::new(&plan("text", &[("regex.A", "(a)")], &attributes, None), &stock()).unwrap_err();
        assert!(e.message.contains("no group 3"), "{}", e.message);
        let attributes = [("symbol", "A[1]"), ("price", "A[1]"), ("volume", "C[1]")];
        let e = SourceMapper::new(&plan("text", &[("regex.A", "(a)")], &attributes, None), &stock()).unwrap_err();
        assert!(e.message.contains("regex.C"), "{}", e.message);
    }
}
