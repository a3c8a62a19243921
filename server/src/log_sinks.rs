//! `@sink(type='log')`: every event inserted into a stream with a log sink is
//! written to standard error as `prefix : payload`, in `sluice run` and in
//! `sluice serve` alike (outputs themselves go to standard output or subscribers).

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

    /// The lines the sinks of `stream` write for one event (none without a sink).
    pub fn lines(&self, stream: &str, names: &[String], row: &[Value], ts: i64) -> Vec<String> {
        let Some(sinks) = self.by_stream.get(stream) else { return Vec::new() };
        let mut data = serde_json::Map::new();
        for (i, v) in row.iter().enumerate() {
            let name = names.get(i).cloned().unwrap_or_else(|| format!("_{i}"));
            data.insert(name, v.to_json());
        }
        sinks
            .iter()
            .map(|sink| {
                let payload = match sink.mapper {
                    LogMapper::PassThrough => serde_json::json!({"stream": stream, "ts": ts, "data": data}),
                    LogMapper::Json => serde_json::json!({"event": data}),
                };
                format!("{} : {payload}", sink.prefix)
            })
            .collect()
    }

    /// Writes the lines for one event to standard error.
    pub fn log(&self, stream: &str, names: &[String], row: &[Value], ts: i64) {
        for line in self.lines(stream, names, row, ts) {
            eprintln!("{line}");
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
        let lines = sinks.lines("Out", &names, &[Value::Int(101), Value::Double(21.5)], 7);
        assert_eq!(
            lines,
            vec![
                r#"ALERT : {"data":{"room":101,"temp":21.5},"stream":"Out","ts":7}"#.to_string(),
                r#"Out : {"event":{"room":101,"temp":21.5}}"#.to_string(),
            ]
        );
        assert!(sinks.lines("S", &[], &[Value::Int(1)], 0).is_empty());
    }
}
