//! Checks of stream functions: `#log`, the tokenizers, and the stateful stream
//! processors of the extensions, which keep or
//! drop and reorder events without adding attributes: `#unique:deduplicate(key,
//! interval)` (also written as Macrometa's `WINDOW unique:deduplicate(…)`) and
//! `#reorder:kslack(timestamp[, timeout][, max.k][, discard.late.arrival])`.
//! `#reorder:akslack(timestamp, correlation.field[, batch.size[, timeout[, max.k[,
//! discard.late.arrival[, error.threshold, confidence.level]]]]])`.

use super::Analyzer;
use crate::ast::{AttrType, ExprKind, FunctionCall, Literal};
use crate::logical::TypedExpr;

/// Whether `name` (lower-case, qualified) is one of these processors.
pub(crate) fn is_stream_processor(name: &str) -> bool {
    matches!(name, "unique:deduplicate" | "reorder:kslack" | "reorder:akslack")
}

impl Analyzer {
    /// `#log([priority,] [message,] [is.event.logged])`.
    pub(crate) fn check_log(&mut self, f: &FunctionCall, args: &[TypedExpr]) {
        let types: Vec<AttrType> = args.iter().map(|a| a.ty).collect();
        let ok = matches!(
            types.as_slice(),
            [] | [AttrType::String]
                | [AttrType::Bool]
                | [AttrType::String, AttrType::String]
                | [AttrType::String, AttrType::Bool]
                | [AttrType::String, AttrType::String, AttrType::Bool]
        );
        if !ok {
            self.error(f.span, "#log takes ([priority string,] [message string,] [log event bool])");
        }
    }

    /// Checks the arguments of a tokenizing stream function: `(input, regex or
    /// path[, bool])`, the input a string (or an object for `json:`).
    pub(crate) fn check_tokenizer(&mut self, f: &FunctionCall, name: &str, args: &[TypedExpr]) {
        let types: Vec<AttrType> = args.iter().map(|a| a.ty).collect();
        if let Some(what) = name.strip_suffix(":tokenize").filter(|ns| *ns == "map" || *ns == "list") {
            // `#map:tokenize(m, …)`, `#list:tokenize(l, …)`: one or more maps or lists.
            if types.is_empty() || types.iter().any(|t| *t != AttrType::Object) {
                self.error(f.span, format!("#{name} takes one or more {what}s (object)"));
            }
            return;
        }
        let input_ok = |t: &AttrType| *t == AttrType::String || *t == AttrType::Object;
        let ok = match types.as_slice() {
            [input, AttrType::String] | [input, AttrType::String, AttrType::Bool] => input_ok(input),
            _ => false,
        };
        if !ok {
            let what = if name == "str:tokenize" { "regex" } else { "path" };
            self.error(f.span, format!("#{name} takes (input string, {what} string[, bool])"));
        }
    }

    /// Checks a call of one of these processors (see [`is_stream_processor`]).
    pub(crate) fn check_stream_processor(&mut self, f: &FunctionCall, name: &str, args: &[TypedExpr]) {
        let types: Vec<AttrType> = args.iter().map(|a| a.ty).collect();
        let constant = |i: usize| matches!(f.args.get(i).map(|a| &a.kind), Some(ExprKind::Literal(_)));
        match name {
            "unique:deduplicate" => {
                let key_ok = matches!(types.first(), Some(t) if *t != AttrType::Object);
                let interval_ok = matches!(types.get(1), Some(AttrType::Int | AttrType::Long)) && constant(1);
                if types.len() != 2 || !key_ok || !interval_ok {
                    self.error(
                        f.span,
                        "#unique:deduplicate takes (unique.key, time.interval), the interval a constant int or long",
                    );
                }
            }
            "reorder:kslack" => {
                use AttrType::{Bool, Int, Long};
                // Macrometa's example writes the timeout as an int (5000); the reference wants a long.
                let shape = matches!(
                    types.as_slice(),
                    [Long]
                        | [Long, Int | Long | Bool]
                        | [Long, Int | Long, Int | Long | Bool]
                        | [Long, Int | Long, Int | Long, Bool]
                );
                if !shape {
                    self.error(
                        f.span,
                        "#reorder:kslack takes (timestamp long[, timeout long][, max.k long][, discard.late.arrival bool])",
                    );
                    return;
                }
                if let Some(i) = (1..args.len()).find(|i| !constant(*i)) {
                    self.error(f.args[i].span, "the parameters of #reorder:kslack after the timestamp are constants");
                    return;
                }
                // A timeout of -1 is the documented "no timeout"; other negative values are not meaningful.
                let timeout = match f.args.get(1).map(|a| &a.kind) {
                    Some(ExprKind::Literal(Literal::Long(t) | Literal::Time(t))) => Some(*t),
                    Some(ExprKind::Literal(Literal::Int(t))) => Some(i64::from(*t)),
                    _ => None,
                };
                if let Some(t) = timeout {
                    if t < -1 || t == 0 {
                        self.error(f.args[1].span, "the timeout of #reorder:kslack is -1 (none) or positive");
                    }
                }
            }
            _ => {
                use AttrType::{Bool, Double, Int, Long};
                let n = types.len();
                let int = |t: Option<&AttrType>| matches!(t, Some(Int | Long));
                let shape = (2..=8).contains(&n)
                    && n != 7
                    && types[0] == Long
                    && types[1].is_numeric()
                    && (2..n.min(5)).all(|i| int(types.get(i)))
                    && (n < 6 || types[5] == Bool)
                    && (n < 8 || (types[6] == Double && types[7] == Double));
                if !shape {
                    self.error(
                        f.span,
                        "#reorder:akslack takes (timestamp long, correlation.field number[, batch.size long[, \
                         timeout long[, max.k long[, discard.late.arrival bool[, error.threshold double, \
                         confidence.level double]]]]])",
                    );
                    return;
                }
                if let Some(i) = (2..n).find(|i| !constant(*i)) {
                    self.error(
                        f.args[i].span,
                        "the parameters of #reorder:akslack after the correlation field are constants",
                    );
                }
            }
        }
    }
}

/// The attributes a tokenizing stream function adds to each event it emits:
/// `#str:tokenize` a `token`, `#json:tokenize` a `jsonElement` string,
/// `#json:tokenizeAsObject` a `jsonElement` object, `#map:tokenize` a `key` and a
/// `value` (objects), `#list:tokenize` an `index` (int) and a `value` (object).
pub(crate) fn tokenizer_output(name: &str) -> Option<&'static [(&'static str, AttrType)]> {
    match name {
        "str:tokenize" => Some(&[("token", AttrType::String)]),
        "json:tokenize" => Some(&[("jsonElement", AttrType::String)]),
        "json:tokenizeasobject" => Some(&[("jsonElement", AttrType::Object)]),
        "map:tokenize" => Some(&[("key", AttrType::Object), ("value", AttrType::Object)]),
        "list:tokenize" => Some(&[("index", AttrType::Int), ("value", AttrType::Object)]),
        _ => None,
    }
}
