//! `@payload("…{{attr}}…")`: a sink's payload text with attribute values put in
//! place (as text, the way `str:concat` writes them; a null as `null`).

use super::Schema;
use sluice_dataflow::value::Value;

/// A parsed payload template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(String),
    Attribute(usize),
}

impl Template {
    /// Parses `text` against `schema`; an unknown `{{name}}` or an unclosed `{{` is an error.
    pub fn parse(text: &str, schema: &Schema) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or("an unclosed `{{` in @payload")?;
            let name = after[..close].trim();
            let index = schema.position(name).ok_or_else(|| {
                format!("@payload names '{{{{{name}}}}}', but stream '{}' has no attribute '{name}'", schema.stream)
            })?;
            parts.push(Part::Attribute(index));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The text for one event.
    pub fn render(&self, row: &[Value]) -> String {
        self.render_with(row, |v| v.to_string())
    }

    /// The text for one event, each value written by `write` (e.g. escaped for XML).
    pub fn render_with(&self, row: &[Value], write: impl Fn(&Value) -> String) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Attribute(i) => out.push_str(&write(row.get(*i).unwrap_or(&Value::Null))),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn puts_values_in_place() {
        let t = Template::parse(r#"{"s":"{{symbol}}","p":{{ price }},"v":{{volume}}}"#, &stock()).unwrap();
        assert_eq!(t.render(&ibm()), r#"{"s":"IBM","p":75.5,"v":100}"#);
        let t = Template::parse("{{volume}}", &stock()).unwrap();
        assert_eq!(t.render(&[Value::Null, Value::Null, Value::Null]), "null");
    }

    #[test]
    fn refuses_unknown_attributes_and_unclosed_braces() {
        assert!(Template::parse("{{nope}}", &stock()).unwrap_err().contains("no attribute 'nope'"));
        assert!(Template::parse("a {{symbol", &stock()).unwrap_err().contains("unclosed"));
    }
}
