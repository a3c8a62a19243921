//! `xml`: Siddhi's XML mapper (siddhi-map-xml). By default a source reads
//! `<events><event><attr>value</attr>…</event>…</events>` (every `<event>` is an
//! event; `xsi:nil="true"` is a null) and a sink writes one event so. With
//! `@attributes(attr='xpath')` a source reads each attribute by an XPath (see
//! [`super::xpath`] for the subset) from the root element, or from each child of
//! the elements `enclosing.element` selects (each selected element itself with
//! `enclosing.element.as.event='true'`). A sink's `@payload` template is written
//! inside `enclosing.element` when given. Values put into XML are escaped.

use super::xpath::{self, Element, Item, XPath};
use super::{flag, only_options, value_from_text, MapperError, Payload, Schema, Template};
use sluice_dataflow::value::Value;
use sluice_frontend::ast::{AttrType, Span};
use sluice_frontend::logical::MapperPlan;

/// The options the source mapper reads.
const SOURCE_OPTIONS: &[&str] = &[
    "namespaces",
    "enclosing.element",
    "enclosing.element.as.event",
    "fail.on.missing.attribute",
    "enable.streaming.xml.content",
    "extract.leaf.node.data",
];

/// The `xml` source mapper.
#[derive(Debug)]
pub struct XmlSource {
    schema: Schema,
    custom: Option<Custom>,
    fail_on_missing: bool,
}

/// Custom mapping: where the events are and an XPath per attribute (`None`:
/// unmapped, always null, as in the reference).
#[derive(Debug)]
struct Custom {
    enclosing: Option<XPath>,
    as_event: bool,
    paths: Vec<Option<XPath>>,
}

fn option<'a>(plan: &'a MapperPlan, key: &str) -> Option<&'a sluice_frontend::logical::ConnectorOption> {
    plan.options.iter().find(|o| o.key.eq_ignore_ascii_case(key))
}

fn xpath_at(text: &str, namespaces: &[(String, String)], span: Span) -> Result<XPath, MapperError> {
    XPath::parse(text, namespaces).map_err(|e| MapperError { span, message: e.message, not_built: e.not_built })
}

/// `namespaces='p=uri,q=uri'`.
fn namespaces(plan: &MapperPlan) -> Result<Vec<(String, String)>, MapperError> {
    let Some(o) = option(plan, "namespaces") else { return Ok(Vec::new()) };
    o.value
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| match n.split_once('=') {
            Some((p, uri)) if !p.trim().is_empty() && !uri.trim().is_empty() => {
                Ok((p.trim().to_string(), uri.trim().to_string()))
            }
            _ => Err(MapperError::at(o.span, format!("namespace '{}' is not `<prefix>=<uri>`", n.trim()))),
        })
        .collect()
}

impl XmlSource {
    /// Builds the mapper (options `namespaces`, `enclosing.element`,
    /// `enclosing.element.as.event`, `fail.on.missing.attribute`; the streaming
    /// options are refused as not built when `'true'`).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<XmlSource, MapperError> {
        only_options(plan, SOURCE_OPTIONS)?;
        for key in ["enable.streaming.xml.content", "extract.leaf.node.data"] {
            if flag(plan, key, false)? {
                let span = option(plan, key).map_or(plan.span, |o| o.span);
                return Err(MapperError::not_built(span, format!("xml option {key}='true' is not built yet")));
            }
        }
        let fail_on_missing = flag(plan, "fail.on.missing.attribute", true)?;
        let as_event = flag(plan, "enclosing.element.as.event", false)?;
        let namespaces = namespaces(plan)?;
        if plan.attributes.is_empty() {
            if let Some(o) = option(plan, "enclosing.element").or_else(|| option(plan, "enclosing.element.as.event")) {
                return Err(MapperError::at(
                    o.span,
                    format!(
                        "'{}' applies to custom mapping (@attributes); the default mapping reads \
                         <events><event>…</event></events>",
                        o.key
                    ),
                ));
            }
            return Ok(XmlSource { schema: schema.clone(), custom: None, fail_on_missing });
        }
        if let Some(a) = plan.attributes.iter().find(|a| a.path.trim().is_empty()) {
            return Err(MapperError::at(a.span, "an empty XPath"));
        }
        let texts = super::json::attribute_sources(plan, schema, true, |_| String::new())?;
        let mut paths = Vec::with_capacity(texts.len());
        for (i, (text, name)) in texts.iter().zip(&schema.names).enumerate() {
            if text.is_empty() {
                paths.push(None);
                continue;
            }
            let span = plan
                .attributes
                .iter()
                .enumerate()
                .find(|(j, a)| a.name.as_deref() == Some(name.as_str()) || (a.name.is_none() && *j == i))
                .map_or(plan.span, |(_, a)| a.span);
            paths.push(Some(xpath_at(text, &namespaces, span)?));
        }
        let enclosing = match option(plan, "enclosing.element") {
            Some(o) => Some(xpath_at(&o.value, &namespaces, o.span)?),
            None => None,
        };
        Ok(XmlSource { schema: schema.clone(), custom: Some(Custom { enclosing, as_event, paths }), fail_on_missing })
    }

    /// The events in `payload`; an event that cannot be read fails the payload.
    pub fn map(&self, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
        let Payload::Text(text) = payload else { return Err("the xml mapper reads XML text".into()) };
        let root = xpath::parse(text)?;
        let Some(custom) = &self.custom else { return self.default_events(&root) };
        let mut elements: Vec<&Element> = Vec::new();
        match &custom.enclosing {
            None => elements.push(&root),
            Some(path) => {
                let found = path.select(&root, &root);
                if found.is_empty() {
                    return Err(format!("the enclosing element {path} matches no element"));
                }
                for item in found {
                    let Item::Element(e) = item else {
                        return Err(format!("the enclosing element {path} selects something that is not an element"));
                    };
                    if custom.as_event {
                        elements.push(e);
                    } else {
                        elements.extend(e.elements());
                    }
                }
            }
        }
        elements.into_iter().map(|e| self.custom_event(custom, &root, e)).collect()
    }

    fn default_events(&self, root: &Element) -> Result<Vec<Vec<Value>>, String> {
        if root.local != "events" {
            return Err(format!(
                "the default xml mapping reads <events><event>…</event></events>, not a <{}> root",
                root.qname
            ));
        }
        let mut rows = Vec::new();
        for event in root.elements().filter(|e| e.local == "event") {
            let mut row: Vec<Option<Value>> = vec![None; self.schema.names.len()];
            for child in event.elements() {
                let Some(i) = self.schema.position(&child.local) else { continue };
                let value = if child.is_nil() {
                    Value::Null
                } else {
                    convert(&child.text(), self.schema.types[i])
                        .map_err(|e| format!("attribute '{}': {e}", child.local))?
                };
                row[i] = Some(value);
            }
            if let Some(i) = row.iter().position(Option::is_none).filter(|_| self.fail_on_missing) {
                return Err(format!("<event> has no <{}> element", self.schema.names[i]));
            }
            rows.push(row.into_iter().map(|v| v.unwrap_or(Value::Null)).collect());
        }
        Ok(rows)
    }

    fn custom_event(&self, custom: &Custom, root: &Element, event: &Element) -> Result<Vec<Value>, String> {
        let mut row = Vec::with_capacity(custom.paths.len());
        for ((path, ty), name) in custom.paths.iter().zip(&self.schema.types).zip(&self.schema.names) {
            let Some(path) = path else {
                row.push(Value::Null);
                continue;
            };
            let found = path.select(root, event);
            let item = match found.first() {
                Some(item) => *item,
                // The reference reads an event element that is itself the attribute's leaf.
                None if custom.as_event
                    && event.local.eq_ignore_ascii_case(&path.to_string())
                    && !event.has_elements() =>
                {
                    Item::Element(event)
                }
                None if self.fail_on_missing => {
                    return Err(format!("XPath '{path}' (attribute '{name}') selects nothing in <{}>", event.qname))
                }
                None => {
                    row.push(Value::Null);
                    continue;
                }
            };
            let value = match item {
                Item::Element(e) if e.has_elements() => {
                    if *ty != AttrType::String {
                        return Err(format!(
                            "XPath '{path}' (attribute '{name}') selects an element with elements inside, which \
                             only a string attribute can take"
                        ));
                    }
                    let mut text = String::new();
                    e.to_xml(&mut text);
                    Value::string(&text)
                }
                Item::Element(e) => match convert(&e.text(), *ty) {
                    Ok(v) => v,
                    Err(e) if self.fail_on_missing => return Err(format!("attribute '{name}' ({path}): {e}")),
                    Err(_) => Value::Null,
                },
                Item::Attribute(text) | Item::Text(text) => {
                    convert(text, *ty).map_err(|e| format!("attribute '{name}' ({path}): {e}"))?
                }
                Item::Document(_) => return Err(format!("XPath '{path}' (attribute '{name}') selects the document")),
            };
            row.push(value);
        }
        Ok(row)
    }
}

/// Element or attribute text as a value of type `ty` (trimmed unless a string).
fn convert(text: &str, ty: AttrType) -> Result<Value, String> {
    value_from_text(if ty == AttrType::String { text } else { text.trim() }, ty)
}

/// The `xml` sink mapper.
#[derive(Debug)]
pub struct XmlSink {
    schema: Schema,
    /// The enclosing element's start and end tags (`<events>` by default; none
    /// around a template without `enclosing.element`).
    open: String,
    close: String,
    template: Option<Template>,
}

/// `enclosing.element='<portfolio a="b">'`: its start tag and its end tag.
fn enclosing_tags(text: &str, span: Span) -> Result<(String, String), MapperError> {
    let bad = || MapperError::at(span, format!("enclosing.element '{text}' is not a start tag such as '<portfolio>'"));
    let inner = text.trim().strip_prefix('<').and_then(|t| t.strip_suffix('>')).ok_or_else(bad)?;
    let name = inner.split_whitespace().next().ok_or_else(bad)?;
    if name.starts_with('/') || name.ends_with('/') || !name.chars().all(|c| c.is_alphanumeric() || "_-.:".contains(c))
    {
        return Err(bad());
    }
    let open = text.trim().to_string();
    xpath::parse(&format!("{open}</{name}>")).map_err(|e| MapperError::at(span, format!("enclosing.element: {e}")))?;
    Ok((open, format!("</{name}>")))
}

impl XmlSink {
    /// Builds the mapper (options `enclosing.element`, `validate.xml`; with
    /// `validate.xml='true'` a template that is not well-formed is refused here,
    /// since values are escaped and cannot make it so).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<XmlSink, MapperError> {
        only_options(plan, &["enclosing.element", "validate.xml"])?;
        let validate = flag(plan, "validate.xml", false)?;
        let tags = match option(plan, "enclosing.element") {
            Some(o) => Some(enclosing_tags(&o.value, o.span)?),
            None => None,
        };
        let template = match &plan.payload {
            Some(p) => Some(Template::parse(&p.value, schema).map_err(|m| MapperError::at(p.span, m))?),
            None => None,
        };
        let (open, close) = match (tags, &template) {
            (Some(tags), _) => tags,
            (None, Some(_)) => (String::new(), String::new()),
            (None, None) => ("<events>".to_string(), "</events>".to_string()),
        };
        let sink = XmlSink { schema: schema.clone(), open, close, template };
        if let (true, Some(p)) = (validate, &plan.payload) {
            let sample = sink.map(&vec![Value::string("x"); schema.names.len()]);
            if let Err(e) = xpath::parse(&sample) {
                return Err(MapperError::at(p.span, format!("validate.xml: this @payload is {e}")));
            }
        }
        Ok(sink)
    }

    /// The XML text of one event.
    pub fn map(&self, row: &[Value]) -> String {
        let mut out = self.open.clone();
        match &self.template {
            Some(t) => out.push_str(&t.render_with(row, |v| xpath::escape(&v.to_string(), true))),
            None => {
                out.push_str("<event>");
                for (name, value) in self.schema.names.iter().zip(row) {
                    match value {
                        Value::Null => out.push_str(&format!("<{name} xsi:nil=\"true\"/>")),
                        v => out.push_str(&format!("<{name}>{}</{name}>", xpath::escape(&v.to_string(), false))),
                    }
                }
                out.push_str("</event>");
            }
        }
        out.push_str(&self.close);
        out
    }
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
