//! Sources, sinks and payload mappers for Sluice: the mappers that turn payloads
//! into events and events into payloads, the check that every mapper an app
//! names can be built, the in-process broker of `inMemory` topics and `stream`s,
//! and the source and sink runtimes that `sluice run` and `sluice serve` use.

pub mod check;
pub mod distribution;
pub mod http;
pub mod http_service;
pub mod http_source;
pub mod hub;
pub mod mapper;
pub mod mqtt;
pub mod sink;
pub mod sink_error;
pub mod source;
pub mod sse;
pub mod tcp;

/// A transport's `true`/`false` option `key` (`default` when absent), or why its
/// value is neither.
pub(crate) fn flag(plan: &sluice_frontend::logical::ConnectorPlan, key: &str, default: bool) -> Result<bool, String> {
    match plan.option(key) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(format!("option '{key}' is 'true' or 'false', not '{v}'")),
    }
}

/// A transport's plan with `options` and no places, for unit tests.
#[cfg(test)]
pub(crate) fn test_plan(kind: &str, options: &[(&str, &str)]) -> sluice_frontend::logical::ConnectorPlan {
    use sluice_frontend::ast::Span;
    use sluice_frontend::logical::{ConnectorOption, ConnectorPlan};
    let options = options
        .iter()
        .map(|(k, v)| ConnectorOption { key: k.to_string(), value: v.to_string(), span: Span::default() })
        .collect();
    ConnectorPlan { kind: kind.into(), options, span: Span::default() }
}
