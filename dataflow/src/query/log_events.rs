//! `#log([priority,] [message,] [is.event.logged])`: a stream function that logs
//! each event on standard error and passes it on unchanged.
//!
//! The shapes the checker allows: `()`, `(message)`, `(logged)`,
//! `(priority, message)`, `(message, logged)`, `(priority, message, logged)`.
//! The priority (default `INFO`; `OFF` logs nothing) and the message (default
//! the query's name) may be any string expressions; the event is shown as its
//! attribute values unless `logged` is false.

use super::expr::{CExpr, Env};
use super::single::RowMap;
use crate::value::{Row, Value};
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

/// The compiled arguments of one `#log`.
struct LogArgs {
    priority: Option<CExpr>,
    message: Option<CExpr>,
    logged: Option<CExpr>,
}

/// A row map that logs each row as `#log(args)` says, for query `what`.
/// `args` are the compiled arguments with their types.
pub fn log_events(args: Vec<(CExpr, AttrType)>, what: &str) -> Result<RowMap, String> {
    use AttrType::{Bool, String};
    let types: Vec<AttrType> = args.iter().map(|(_, t)| *t).collect();
    let mut exprs = args.into_iter().map(|(e, _)| e);
    let mut next = || exprs.next();
    let spec = match types.as_slice() {
        [] => LogArgs { priority: None, message: None, logged: None },
        [String] => LogArgs { priority: None, message: next(), logged: None },
        [Bool] => LogArgs { priority: None, message: None, logged: next() },
        [String, String] => LogArgs { priority: next(), message: next(), logged: None },
        [String, Bool] => LogArgs { priority: None, message: next(), logged: next() },
        [String, String, Bool] => LogArgs { priority: next(), message: next(), logged: next() },
        _ => return Err(format!("{what}: #log takes ([priority string,] [message string,] [log event bool])")),
    };
    let query = what.to_string();
    Ok(Arc::new(move |row: &Row, env: &Env| {
        let text = |e: &Option<CExpr>, default: &str| match e.as_ref().map(|e| e.eval(row, env)) {
            None | Some(Value::Null) => default.to_string(),
            Some(v) => v.to_string(),
        };
        let priority = text(&spec.priority, "INFO").to_ascii_uppercase();
        if priority != "OFF" {
            let message = text(&spec.message, &query);
            let logged = !matches!(spec.logged.as_ref().map(|e| e.eval(row, env)), Some(Value::Bool(false)));
            if logged {
                let values: Vec<std::string::String> = row.iter().map(Value::to_string).collect();
                eprintln!("{priority} {message} [{}] at {}", values.join(", "), env.event_ts);
            } else {
                eprintln!("{priority} {message}");
            }
        }
        row.clone()
    }))
}
