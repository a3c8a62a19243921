//! `@sink(type='log')`: every event inserted into a stream with a log sink is
//! written to standard error as `prefix : payload`, in `sluice run` and in
//! `sluice serve` alike (outputs themselves go to standard output or subscribers).

use crate::json_lines::JsonLines;
use sluice_dataflow::value::Value;
use sluice_frontend::logical::{AppPlan, LogMapper, LogSinkPlan};
use std::collections::HashMap;

/// An app's log sinks, by stream.
#[derive(Debug, Default)]
pub struct LogSinks {
    by_stream: HashMap<String, Vec<LogSinkPlan>>,
}

impl LogSinks {
    /// The log sinks of `plan`.
    pub fn of(plan: &AppPlan) -> LogSinks {
        let mut by_stream: HashMap<String, Vec<LogSinkPlan>> = HashMap::new();
        for sink in &plan.log_sinks {
            by_stream.entry(sink.stream.clone()).or_default().push(sink.clone());
        }
        LogSinks { by_stream }
    }

    /// Whether `stream` has a log sink.
    pub fn logs(&self, stream: &str) -> bool {
        self.by_stream.contains_key(stream)
    }

    /// The lines the sinks of `stream` write for one event whose JSON line
    /// (`{"stream":…,"ts":…,"data":{…}}`) is `line` (none without a sink).
    pub fn lines(&self, json: &JsonLines, stream: &str, line: &[u8], row: &[Value]) -> Vec<String> {
        let Some(sinks) = self.by_stream.get(stream) else { return Vec::new() };
        sinks
            .iter()
            .map(|sink| {
                let mut out = format!("{} : ", sink.prefix).into_bytes();
                match sink.mapper {
                    LogMapper::PassThrough => out.extend_from_slice(line),
                    LogMapper::Json => {
                        out.extend_from_slice(b"{\"event\":");
                        json.data(&mut out, stream, row);
                        out.push(b'}');
                    }
                }
                String::from_utf8_lossy(&out).into_owned()
            })
            .collect()
    }

    /// Writes the lines for one event to standard error.
    pub fn log(&self, json: &JsonLines, stream: &str, line: &[u8], row: &[Value]) {
        for l in self.lines(json, stream, line, row) {
            eprintln!("{l}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_each_sink_of_a_stream_with_its_mapper() {
        let text = "@sink(type='log', prefix='ALERT')\n@sink(type='log', @map(type='json'))\n\
                    define stream Out (room int, temp double);\ndefine stream S (v int);\n";
        let ast = sluice_frontend::parse(text).unwrap();
        let plan = crate::cli::analyze(&ast).unwrap();
        let sinks = LogSinks::of(&plan);
        let names = vec!["room".to_string(), "temp".to_string()];
        let json = JsonLines::new([("Out", names.as_slice())]);
        let row = [Value::Int(101), Value::Double(21.5)];
        let mut line = Vec::new();
        json.event(&mut line, "Out", &row, 7);
        let lines = sinks.lines(&json, "Out", &line, &row);
        assert_eq!(
            lines,
            vec![
                r#"ALERT : {"stream":"Out","ts":7,"data":{"room":101,"temp":21.5}}"#.to_string(),
                r#"Out : {"event":{"room":101,"temp":21.5}}"#.to_string(),
            ]
        );
        assert!(sinks.lines(&json, "S", b"{}", &[Value::Int(1)]).is_empty() && !sinks.logs("S"));
    }
}
