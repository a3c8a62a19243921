//! `csv`: one event per record. A source reads columns in the stream's order, or
//! the columns `@attributes(attr='2')` names; `header='true'` skips the first
//! record it sees. A sink writes one record per event (`header='true'` writes the
//! attribute names first). `delimiter` is one character (`,` by default).

use super::{flag, only_options, value_from_text, MapperError, Payload, Schema};
use sluice_dataflow::value::Value;
use sluice_frontend::ast::AttrType;
use sluice_frontend::logical::MapperPlan;

/// The `delimiter` option as one byte.
fn delimiter(plan: &MapperPlan) -> Result<u8, MapperError> {
    let Some(o) = plan.options.iter().find(|o| o.key.eq_ignore_ascii_case("delimiter")) else { return Ok(b',') };
    let value = match o.value.as_str() {
        "\\t" => "\t",
        other => other,
    };
    match value.as_bytes() {
        [b] => Ok(*b),
        _ => Err(MapperError::at(o.span, format!("delimiter '{}' is not one ASCII character", o.value))),
    }
}

/// The `csv` source mapper.
#[derive(Debug)]
pub struct CsvSource {
    schema: Schema,
    delimiter: u8,
    /// The column each attribute is read from.
    columns: Vec<usize>,
    /// Whether the next record is the header, to skip.
    header_pending: bool,
}

impl CsvSource {
    /// Builds the mapper (options `delimiter`, `header`).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<CsvSource, MapperError> {
        only_options(plan, &["delimiter", "header"])?;
        let texts = super::json::attribute_sources(plan, schema, false, |n| n.to_string())?;
        let columns = if plan.attributes.is_empty() {
            (0..schema.names.len()).collect()
        } else {
            let mut columns = Vec::with_capacity(texts.len());
            for (text, name) in texts.iter().zip(&schema.names) {
                let span = plan.attributes.iter().find(|a| a.path == *text).map_or(plan.span, |a| a.span);
                let column = text.trim().parse::<usize>().map_err(|_| {
                    MapperError::at(
                        span,
                        format!("attribute '{name}': '{text}' is not a column number (0 is the first)"),
                    )
                })?;
                columns.push(column);
            }
            columns
        };
        Ok(CsvSource {
            schema: schema.clone(),
            delimiter: delimiter(plan)?,
            columns,
            header_pending: flag(plan, "header", false)?,
        })
    }

    /// The events in `payload`, one per record; a bad record fails the payload.
    pub fn map(&mut self, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
        let text = self.schema.text_of(payload);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("not CSV: {e}"))?;
            if std::mem::take(&mut self.header_pending) {
                continue;
            }
            let mut row = Vec::with_capacity(self.columns.len());
            for ((column, ty), name) in self.columns.iter().zip(&self.schema.types).zip(&self.schema.names) {
                let field = record.get(*column).ok_or_else(|| {
                    format!("the record has {} columns, attribute '{name}' is in column {column}", record.len())
                })?;
                let value = if field.is_empty() && *ty != AttrType::String {
                    Value::Null
                } else {
                    value_from_text(field.trim(), *ty).map_err(|e| format!("attribute '{name}': {e}"))?
                };
                row.push(value);
            }
            rows.push(row);
        }
        Ok(rows)
    }
}

/// The `csv` sink mapper.
#[derive(Debug)]
pub struct CsvSink {
    schema: Schema,
    delimiter: u8,
    header_pending: bool,
}

impl CsvSink {
    /// Builds the mapper (options `delimiter`, `header`).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<CsvSink, MapperError> {
        only_options(plan, &["delimiter", "header"])?;
        Ok(CsvSink {
            schema: schema.clone(),
            delimiter: delimiter(plan)?,
            header_pending: flag(plan, "header", false)?,
        })
    }

    /// One record (no line end), after the header line for the first event when asked.
    pub fn map(&mut self, row: &[Value]) -> String {
        let mut writer = csv::WriterBuilder::new().delimiter(self.delimiter).from_writer(Vec::new());
        if std::mem::take(&mut self.header_pending) {
            let _ = writer.write_record(&self.schema.names);
        }
        let _ = writer.write_record(row.iter().map(|v| v.to_string()));
        let bytes = writer.into_inner().unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        text.strip_suffix('\n').unwrap_or(&text).to_string()
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
    fn reads_columns_in_order_or_by_number_and_skips_a_header() {
        let mut m = SourceMapper::new(&plan("csv", &[("header", "true")], &[], None), &stock()).unwrap();
        assert_eq!(m.map(&text("symbol,price,volume")).unwrap(), Vec::<Vec<Value>>::new());
        assert_eq!(m.map(&text("IBM,75.5,100\nIBM, 75.5 ,100")).unwrap(), vec![ibm(), ibm()]);
        assert!(m.map(&text("IBM,cheap,100")).unwrap_err().contains("'price'"));
        let columns = [("symbol", "2"), ("price", "0"), ("volume", "1")];
        let mut m = SourceMapper::new(&plan("csv", &[("delimiter", ";")], &columns, None), &stock()).unwrap();
        assert_eq!(m.map(&text("75.5;100;IBM")).unwrap(), vec![ibm()]);
        assert!(m.map(&text("75.5;100")).unwrap_err().contains("column 2"));
        let quoted = SourceMapper::new(&plan("csv", &[], &[], None), &stock()).unwrap().map(&text("\"I,B\",1,2"));
        assert_eq!(quoted.unwrap()[0][0], Value::string("I,B"));
    }

    #[test]
    fn refuses_bad_delimiters_and_columns() {
        let e = SourceMapper::new(&plan("csv", &[("delimiter", "::")], &[], None), &stock()).unwrap_err();
        assert!(e.message.contains("delimiter"));
        let e =
            SourceMapper::new(&plan("csv", &[], &[("symbol", "a"), ("price", "1"), ("volume", "2")], None), &stock())
                .unwrap_err();
        assert!(e.message.contains("not a column number"));
        let e = SourceMapper::new(&plan("csv", &[], &[("symbol", "0")], None), &stock()).unwrap_err();
        assert!(e.message.contains("attribute 'price'"), "{}", e.message);
    }

    #[test]
    fn writes_records_with_an_optional_header() {
        let mut m =
            SinkMapper::new(&plan("csv", &[("header", "true"), ("delimiter", "|")], &[], None), &stock()).unwrap();
        assert_eq!(m.map(&ibm(), 0), text("symbol|price|volume\nIBM|75.5|100"));
        let row = vec![Value::string("a|b"), Value::Double(1.0), Value::Null];
        assert_eq!(m.map(&row, 0), text("\"a|b\"|1.0|null"));
    }
}
