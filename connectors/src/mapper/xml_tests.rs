//! Tests of the `xml` mapper, with the documents of siddhi-map-xml's examples.

use super::super::test_support::*;
use super::super::{Payload, SinkMapper, SourceMapper};
use sluice_dataflow::value::Value;

fn text(t: &str) -> Payload {
    Payload::Text(t.into())
}

fn source(options: &[(&str, &str)], attributes: &[(&str, &str)]) -> SourceMapper {
    SourceMapper::new(&plan("xml", options, attributes, None), &stock()).unwrap()
}

fn refused(options: &[(&str, &str)], attributes: &[(&str, &str)]) -> super::super::MapperError {
    SourceMapper::new(&plan("xml", options, attributes, None), &stock()).unwrap_err()
}

#[test]
fn default_mapping_reads_every_event_of_events() {
    let mut m = source(&[], &[]);
    let one = "<event><symbol>IBM</symbol><price>75.5</price><volume>100</volume></event>";
    assert_eq!(m.map(&text(&format!("<events>{one}</events>"))).unwrap(), vec![ibm()]);
    let two = format!("<?xml version=\"1.0\"?>\n<events>\n  {one}\n  {one}\n</events>");
    assert_eq!(m.map(&text(&two)).unwrap(), vec![ibm(), ibm()]);
    // Unknown elements are skipped; a nil element is a null.
    let nil =
        "<events><event><x>1</x><symbol>IBM</symbol><price xsi:nil=\"true\"/><volume>100</volume></event></events>";
    assert_eq!(m.map(&text(nil)).unwrap()[0], vec![Value::string("IBM"), Value::Null, Value::Long(100)]);
    let missing = "<events><event><symbol>IBM</symbol><price>75.5</price></event></events>";
    assert!(m.map(&text(missing)).unwrap_err().contains("no <volume>"));
    assert!(m.map(&text("<stock/>")).unwrap_err().contains("not a <stock> root"));
    assert!(m.map(&text("<events><event>")).unwrap_err().contains("not well-formed"));
    let bad = "<events><event><symbol>IBM</symbol><price>cheap</price><volume>1</volume></event></events>";
    assert!(m.map(&text(bad)).unwrap_err().contains("price"));
    let mut lenient = source(&[("fail.on.missing.attribute", "false")], &[]);
    assert_eq!(lenient.map(&text(missing)).unwrap()[0][2], Value::Null);
}

#[test]
fn custom_mapping_reads_xpaths_under_the_enclosing_element() {
    let doc = r#"<portfolio xmlns:dt="urn:schemas-microsoft-com:datatypes">
        <stock exchange="nasdaq"><volume>100</volume><company><symbol>IBM</symbol></company>
            <price dt:type="number">75.5</price></stock>
        <stock exchange="nyse"><volume>20</volume><company><symbol>WSO2</symbol></company>
            <price dt:type="number">55.6</price></stock>
    </portfolio>"#;
    let attributes = [("symbol", "company/symbol"), ("price", "price"), ("volume", "volume")];
    let ns = ("namespaces", "dt=urn:schemas-microsoft-com:datatypes");
    let mut m = source(&[ns, ("enclosing.element", "//portfolio")], &attributes);
    let rows = m.map(&text(doc)).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], ibm());
    assert_eq!(rows[1], vec![Value::string("WSO2"), Value::Double(55.6), Value::Long(20)]);
    // Attributes, namespaced attributes, predicates and text().
    let by_attribute = [("symbol", "@exchange"), ("price", "price[@dt:type='number']/text()"), ("volume", "volume")];
    let mut m = source(
        &[ns, ("enclosing.element", "/portfolio/stock[2]"), ("enclosing.element.as.event", "true")],
        &by_attribute,
    );
    assert_eq!(m.map(&text(doc)).unwrap(), vec![vec![Value::string("nyse"), Value::Double(55.6), Value::Long(20)]]);
    let mut m = source(
        &[("enclosing.element", "/portfolio/stock[@exchange='nyse']"), ("enclosing.element.as.event", "true")],
        &[("symbol", "company/symbol"), ("price", "price"), ("volume", "volume")],
    );
    assert_eq!(m.map(&text(doc)).unwrap()[0][0], Value::string("WSO2"));
    assert!(m.map(&text("<portfolio/>")).unwrap_err().contains("matches no element"));
    // An element with elements inside, into a string attribute, is its XML text.
    let mut m = source(
        &[("enclosing.element", "/portfolio"), ("fail.on.missing.attribute", "false")],
        &[("symbol", "company"), ("volume", "volume")],
    );
    let rows = m.map(&text(doc)).unwrap();
    assert_eq!(rows[0], vec![Value::string("<company><symbol>IBM</symbol></company>"), Value::Null, Value::Long(100)]);
}

#[test]
fn without_enclosing_element_xpaths_start_at_the_root_and_missing_values_fail_or_are_null() {
    let attributes = [("symbol", "/event/symbol"), ("price", "price"), ("volume", "//volume")];
    let mut m = source(&[], &attributes);
    let doc = "<event><symbol>IBM</symbol><price>75.5</price><info><volume>100</volume></info></event>";
    assert_eq!(m.map(&text(doc)).unwrap(), vec![ibm()]);
    let missing = "<event><symbol>IBM</symbol><price>75.5</price></event>";
    assert!(m.map(&text(missing)).unwrap_err().contains("'//volume' (attribute 'volume') selects nothing"));
    let mut lenient = source(&[("fail.on.missing.attribute", "false")], &attributes);
    assert_eq!(lenient.map(&text(missing)).unwrap()[0][2], Value::Null);
    // An element with elements inside cannot be a number.
    let nested = "<event><symbol>IBM</symbol><price><a>1</a></price><volume>1</volume></event>";
    assert!(m.map(&text(nested)).unwrap_err().contains("only a string attribute"));
}

#[test]
fn xpaths_outside_the_subset_and_bad_options_are_refused() {
    for path in ["count(//a)", "../a", "a | b", "child::a", "a[last()]", "@a[1]"] {
        let e = refused(&[], &[("symbol", path)]);
        assert!(e.not_built && e.message.contains("is not built"), "{path}: {}", e.message);
    }
    let e = refused(&[], &[("symbol", "dt:a")]);
    assert!(!e.not_built && e.message.contains("prefix 'dt' is not bound"), "{}", e.message);
    let e = refused(&[("enable.streaming.xml.content", "true"), ("enclosing.element", "/a")], &[("symbol", "a")]);
    assert!(e.not_built, "{}", e.message);
    assert!(refused(&[("enclosing.element", "/a")], &[]).message.contains("applies to custom mapping"));
    assert!(refused(&[("namespaces", "nouri")], &[("symbol", "a")]).message.contains("<prefix>=<uri>"));
    assert!(refused(&[("bogus", "1")], &[]).message.contains("no option 'bogus'"));
    assert!(refused(&[], &[("symbol", "a[0]")]).message.contains("start at 1"));
}

#[test]
fn sink_writes_events_enclosed_and_templates() {
    let mut m = SinkMapper::new(&plan("xml", &[], &[], None), &stock()).unwrap();
    let events = "<events><event><symbol>IBM</symbol><price>75.5</price><volume>100</volume></event></events>";
    assert_eq!(m.map(&ibm(), 0), text(events));
    // What the sink writes, the source reads back; values are escaped.
    let odd = vec![Value::string("A&B <x>"), Value::Null, Value::Long(1)];
    let Payload::Text(written) = m.map(&odd, 0) else { panic!() };
    assert_eq!(
        written,
        "<events><event><symbol>A&amp;B &lt;x&gt;</symbol><price xsi:nil=\"true\"/><volume>1</volume></event></events>"
    );
    assert_eq!(source(&[], &[]).map(&text(&written)).unwrap(), vec![odd]);
    let p = plan(
        "xml",
        &[("enclosing.element", "<portfolio>"), ("validate.xml", "true")],
        &[],
        Some("<StockData><Symbol>{{symbol}}</Symbol><Price>{{price}}</Price></StockData>"),
    );
    let mut m = SinkMapper::new(&p, &stock()).unwrap();
    assert_eq!(
        m.map(&ibm(), 0),
        text("<portfolio><StockData><Symbol>IBM</Symbol><Price>75.5</Price></StockData></portfolio>")
    );
    let mut plain = SinkMapper::new(&plan("xml", &[], &[], Some("<s a=\"{{symbol}}\"/>")), &stock()).unwrap();
    assert_eq!(plain.map(&[Value::string("\"q\""), Value::Null, Value::Null], 0), text("<s a=\"&quot;q&quot;\"/>"));
    let broken = plan("xml", &[("validate.xml", "true")], &[], Some("<a>{{symbol}}</b>"));
    assert!(SinkMapper::new(&broken, &stock()).unwrap_err().message.contains("validate.xml"));
    let bad = plan("xml", &[("enclosing.element", "portfolio")], &[], None);
    assert!(SinkMapper::new(&bad, &stock()).unwrap_err().message.contains("not a start tag"));
}
