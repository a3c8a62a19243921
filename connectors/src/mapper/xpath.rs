//! The XML the `xml` mapper reads: a small tree parsed with `quick-xml`
//! (namespaces resolved, at most [`MAX_DEPTH`] nested elements), and the XPath 1.0
//! subset Siddhi's xml mapper documents, evaluated on it. No maintained Rust crate
//! evaluates XPath 1.0 (sxd-xpath has had no release since 2018), so Sluice reads
//! location paths: `/a/b`, `//a`, `a/b` (relative to the event element), `.`,
//! `@name`, `text()`, `*`, `prefix:name` (prefixes from the mapper's
//! `namespaces` option), and the predicates `[n]`, `[@a]`, `[@a='v']` and
//! `[child='v']`. Any other XPath (functions, axes, operators, `..`) is refused
//! when the app is checked, as not built.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// How deep elements may nest in a payload.
pub(super) const MAX_DEPTH: usize = 128;

/// An element of a payload.
#[derive(Debug)]
pub(super) struct Element {
    /// The name as written (`dt:price`).
    pub qname: String,
    /// The local name (`price`).
    pub local: String,
    /// The namespace URI the name is bound to.
    pub ns: Option<String>,
    /// Its attributes (namespace declarations apart).
    pub attrs: Vec<Attr>,
    /// `xmlns…` declarations, as written, for writing the element back.
    pub declarations: Vec<(String, String)>,
    /// Child elements and text, in document order.
    pub children: Vec<Node>,
}

/// An attribute of an element.
#[derive(Debug)]
pub(super) struct Attr {
    qname: String,
    local: String,
    ns: Option<String>,
    /// Its value, entities resolved.
    pub value: String,
}

/// A child of an element.
#[derive(Debug)]
pub(super) enum Node {
    /// An element.
    Element(Element),
    /// Text (or CDATA), entities resolved.
    Text(String),
}

impl Element {
    /// The element's own text (its text children, joined), as AXIOM's `getText`.
    pub fn text(&self) -> String {
        self.children.iter().filter_map(|c| if let Node::Text(t) = c { Some(t.as_str()) } else { None }).collect()
    }

    /// Its child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| if let Node::Element(e) = c { Some(e) } else { None })
    }

    /// Whether it has child elements.
    pub fn has_elements(&self) -> bool {
        self.elements().next().is_some()
    }

    /// Whether it says `xsi:nil="true"` (how the sink writes a null).
    pub fn is_nil(&self) -> bool {
        self.attrs.iter().any(|a| a.local == "nil" && a.value == "true")
    }

    /// All the text under it (XPath's string value).
    fn string_value(&self, out: &mut String) {
        for c in &self.children {
            match c {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.string_value(out),
            }
        }
    }

    /// The element written back as XML text.
    pub fn to_xml(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.qname);
        for (name, value) in &self.declarations {
            out.push_str(&format!(" {name}=\"{}\"", escape(value, true)));
        }
        for a in &self.attrs {
            out.push_str(&format!(" {}=\"{}\"", a.qname, escape(&a.value, true)));
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for c in &self.children {
            match c {
                Node::Text(t) => out.push_str(&escape(t, false)),
                Node::Element(e) => e.to_xml(out),
            }
        }
        out.push_str(&format!("</{}>", self.qname));
    }
}

/// `text` with `&`, `<`, `>` (and, in attribute values, `"`) escaped.
pub(super) fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn bound(ns: &ResolveResult) -> Option<String> {
    match ns {
        ResolveResult::Bound(uri) => Some(uri.into_inner().to_string()),
        _ => None,
    }
}

/// Parses a payload into its root element.
pub(super) fn parse(text: &str) -> Result<Element, String> {
    let bad = |e: &dyn std::fmt::Display| format!("not well-formed XML: {e}");
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| bad(&e))?;
        let ns = bound(&ns);
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(bad(&format!("content after the root element: <{}>", e.name().into_inner())));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("the XML nests deeper than {MAX_DEPTH} elements"));
                }
                let mut element = Element {
                    qname: e.name().into_inner().to_string(),
                    local: e.local_name().into_inner().to_string(),
                    ns,
                    attrs: Vec::new(),
                    declarations: Vec::new(),
                    children: Vec::new(),
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(&e))?;
                    let qname = a.key.into_inner().to_string();
                    let value =
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| bad(&e))?.into_owned();
                    if qname == "xmlns" || qname.starts_with("xmlns:") {
                        element.declarations.push((qname, value));
                        continue;
                    }
                    let (attr_ns, local) = reader.resolver().resolve_attribute(a.key);
                    let local = local.into_inner().to_string();
                    let ns = bound(&attr_ns);
                    element.attrs.push(Attr { qname, local, ns, value });
                }
                if matches!(event, Event::Start(_)) {
                    stack.push(element);
                } else {
                    close(&mut stack, &mut root, element);
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = sluice_dataflow::functions::resolve_reference(&r).map_err(|e| bad(&e))?;
                push_text(&mut stack, &resolved);
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else { return Err(bad(&"an end tag without a start")) };
                close(&mut stack, &mut root, done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match (root, stack.is_empty()) {
        (Some(root), true) => Ok(root),
        _ => Err(bad(&"no complete root element")),
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(open) = stack.last_mut() {
        match open.children.last_mut() {
            Some(Node::Text(t)) => t.push_str(text),
            _ => open.children.push(Node::Text(text.to_string())),
        }
    }
}

fn close(stack: &mut [Element], root: &mut Option<Element>, done: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(done)),
        None => *root = Some(done),
    }
}

/// Why an XPath cannot be used.
#[derive(Debug)]
pub(super) struct XPathError {
    /// Whether it is an XPath Sluice does not evaluate (rather than a wrong one).
    pub not_built: bool,
    /// Why.
    pub message: String,
}

/// A parsed XPath.
#[derive(Debug)]
pub(super) struct XPath {
    text: String,
    absolute: bool,
    steps: Vec<Step>,
}

#[derive(Debug)]
struct Step {
    /// Preceded by `//`.
    descendants: bool,
    test: Test,
    predicates: Vec<Predicate>,
}

#[derive(Debug)]
enum Test {
    This,
    Element(Name),
    Attribute(Name),
    Text,
}

#[derive(Debug)]
enum Name {
    Any,
    Exact { ns: Option<String>, local: String },
}

#[derive(Debug)]
enum Predicate {
    Position(usize),
    Attribute(Name, Option<String>),
    Child(Name, String),
}

/// What an XPath selects.
#[derive(Clone, Copy, Debug)]
pub(super) enum Item<'a> {
    /// The document (the root element's parent).
    Document(&'a Element),
    /// An element.
    Element(&'a Element),
    /// An attribute's value.
    Attribute(&'a str),
    /// A text node.
    Text(&'a str),
}

impl std::fmt::Display for XPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn not_built(text: &str, what: &str) -> XPathError {
    XPathError {
        not_built: true,
        message: format!(
            "XPath '{text}': {what} is not built (Sluice reads location paths: /a/b, //a, a/b, ., @a, text(), *, \
             prefix:a, and the predicates [n], [@a], [@a='v'], [child='v'])"
        ),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.') || !c.is_ascii()
}

impl XPath {
    /// Parses `text`; `namespaces` binds the prefixes it may use.
    pub fn parse(text: &str, namespaces: &[(String, String)]) -> Result<XPath, XPathError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(XPathError { not_built: false, message: "an empty XPath".into() });
        }
        let (absolute, mut rest, mut descendants) = if let Some(r) = s.strip_prefix("//") {
            (true, r, true)
        } else if let Some(r) = s.strip_prefix('/') {
            (true, r, false)
        } else {
            (false, s, false)
        };
        let mut steps = Vec::new();
        loop {
            let end = step_end(rest).ok_or_else(|| not_built(s, "an unclosed '[' or quote"))?;
            let segment = &rest[..end];
            steps.push(Step::parse(segment, descendants, s, namespaces)?);
            rest = &rest[end..];
            if rest.is_empty() {
                break;
            }
            (rest, descendants) = match rest.strip_prefix("//") {
                Some(r) => (r, true),
                None => (&rest[1..], false),
            };
        }
        Ok(XPath { text: s.to_string(), absolute, steps })
    }

    /// The items the path selects from `context` in the document of `root`.
    pub fn select<'a>(&self, root: &'a Element, context: &'a Element) -> Vec<Item<'a>> {
        let mut items = vec![if self.absolute { Item::Document(root) } else { Item::Element(context) }];
        for step in &self.steps {
            let mut next: Vec<Item<'a>> = Vec::new();
            for item in items {
                let bases = if step.descendants { descendants_or_self(item) } else { vec![item] };
                for base in bases {
                    for found in step.apply(base) {
                        if !next.iter().any(|n| same(n, &found)) {
                            next.push(found);
                        }
                    }
                }
            }
            items = next;
        }
        items
    }
}

fn same(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (Item::Element(x), Item::Element(y)) | (Item::Document(x), Item::Document(y)) => std::ptr::eq(*x, *y),
        (Item::Attribute(x), Item::Attribute(y)) | (Item::Text(x), Item::Text(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// `item` and every element under it, in document order.
fn descendants_or_self(item: Item) -> Vec<Item> {
    let mut out = vec![item];
    let mut stack: Vec<&Element> = match item {
        Item::Document(root) => vec![root],
        Item::Element(e) => e.elements().collect::<Vec<_>>().into_iter().rev().collect(),
        _ => Vec::new(),
    };
    while let Some(e) = stack.pop() {
        out.push(Item::Element(e));
        let children: Vec<&Element> = e.elements().collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// The end of the step at the start of `text`: the first `/` outside brackets and quotes.
fn step_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.checked_sub(1)?,
            (None, '/') if depth == 0 => return Some(i),
            _ => {}
        }
    }
    (depth == 0 && quote.is_none()).then_some(text.len())
}

fn parse_name(text: &str, path: &str, namespaces: &[(String, String)]) -> Result<Name, XPathError> {
    if text == "*" {
        return Ok(Name::Any);
    }
    let (prefix, local) = match text.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, text),
    };
    let valid = |n: &str| !n.is_empty() && n.chars().all(is_name_char) && !n.starts_with(['-', '.']);
    if !valid(local) || !prefix.is_none_or(valid) {
        return Err(not_built(path, &format!("'{text}'")));
    }
    let ns = match prefix {
        None => None,
        Some(p) => {
            Some(namespaces.iter().find(|(q, _)| q == p).map(|(_, uri)| uri.clone()).ok_or_else(|| XPathError {
                not_built: false,
                message: format!("XPath '{path}': prefix '{p}' is not bound by the mapper's 'namespaces' option"),
            })?)
        }
    };
    Ok(Name::Exact { ns, local: local.to_string() })
}

fn literal(text: &str) -> Option<String> {
    let t = text.trim();
    let q = t.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    t.strip_prefix(q)?.strip_suffix(q).filter(|inner| !inner.contains(q)).map(str::to_string)
}

impl Step {
    fn parse(segment: &str, descendants: bool, path: &str, ns: &[(String, String)]) -> Result<Step, XPathError> {
        let segment = segment.trim();
        let (head, mut rest) = match segment.find('[') {
            Some(i) => (segment[..i].trim(), &segment[i..]),
            None => (segment, ""),
        };
        let test = match head {
            "" => return Err(not_built(path, "an empty step")),
            "." => Test::This,
            "text()" => Test::Text,
            h if h.contains("::") => return Err(not_built(path, &format!("the axis in '{h}'"))),
            h => match h.strip_prefix('@') {
                Some(name) => Test::Attribute(parse_name(name, path, ns)?),
                None => Test::Element(parse_name(h, path, ns)?),
            },
        };
        let mut predicates = Vec::new();
        while !rest.is_empty() {
            let inner_end = step_end_bracket(rest).ok_or_else(|| not_built(path, "an unclosed '['"))?;
            let inner = rest[1..inner_end].trim();
            rest = rest[inner_end + 1..].trim_start();
            if !matches!(test, Test::Element(_)) {
                return Err(not_built(path, "a predicate on a step that is not an element name"));
            }
            predicates.push(Predicate::parse(inner, path, ns)?);
        }
        Ok(Step { descendants, test, predicates })
    }

    fn apply<'a>(&self, item: Item<'a>) -> Vec<Item<'a>> {
        let children: Vec<&'a Element> = match item {
            Item::Document(root) => vec![root],
            Item::Element(e) => e.elements().collect(),
            _ => Vec::new(),
        };
        match &self.test {
            Test::This => vec![item],
            Test::Text => match item {
                Item::Element(e) => e
                    .children
                    .iter()
                    .filter_map(|c| if let Node::Text(t) = c { Some(Item::Text(t.as_str())) } else { None })
                    .collect(),
                _ => Vec::new(),
            },
            Test::Attribute(name) => match item {
                Item::Element(e) => e
                    .attrs
                    .iter()
                    .filter(|a| name.matches(&a.local, &a.ns))
                    .map(|a| Item::Attribute(a.value.as_str()))
                    .collect(),
                _ => Vec::new(),
            },
            Test::Element(name) => {
                let mut found: Vec<&'a Element> =
                    children.into_iter().filter(|e| name.matches(&e.local, &e.ns)).collect();
                for p in &self.predicates {
                    found = p.filter(found);
                }
                found.into_iter().map(Item::Element).collect()
            }
        }
    }
}

/// The index of the `]` that closes the `[` at the start of `text`.
fn step_end_bracket(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ']') => return Some(i),
            (None, '[') => return None,
            _ => {}
        }
    }
    None
}

impl Name {
    fn matches(&self, local: &str, ns: &Option<String>) -> bool {
        match self {
            Name::Any => true,
            Name::Exact { ns: want, local: l } => l == local && want == ns,
        }
    }
}

impl Predicate {
    fn parse(inner: &str, path: &str, ns: &[(String, String)]) -> Result<Predicate, XPathError> {
        if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
            return match inner.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Predicate::Position(n)),
                _ => Err(XPathError { not_built: false, message: format!("XPath '{path}': positions start at 1") }),
            };
        }
        let (left, right) = match inner.split_once('=') {
            Some((l, r)) => {
                let value = literal(r).ok_or_else(|| not_built(path, &format!("the predicate [{inner}]")))?;
                (l.trim(), Some(value))
            }
            None => (inner, None),
        };
        match (left.strip_prefix('@'), right) {
            (Some(name), value) => Ok(Predicate::Attribute(parse_name(name.trim(), path, ns)?, value)),
            (None, Some(value)) => Ok(Predicate::Child(parse_name(left, path, ns)?, value)),
            (None, None) => Err(not_built(path, &format!("the predicate [{inner}]"))),
        }
    }

    fn filter<'a>(&self, found: Vec<&'a Element>) -> Vec<&'a Element> {
        match self {
            Predicate::Position(n) => found.get(n - 1).map(|e| vec![*e]).unwrap_or_default(),
            Predicate::Attribute(name, value) => found
                .into_iter()
                .filter(|e| {
                    e.attrs
                        .iter()
                        .any(|a| name.matches(&a.local, &a.ns) && value.as_ref().is_none_or(|v| *v == a.value))
                })
                .collect(),
            Predicate::Child(name, value) => found
                .into_iter()
                .filter(|e| {
                    e.elements().any(|c| {
                        let mut text = String::new();
                        c.string_value(&mut text);
                        name.matches(&c.local, &c.ns) && text == *value
                    })
                })
                .collect(),
        }
    }
}
