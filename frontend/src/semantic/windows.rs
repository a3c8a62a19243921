//! Window names (both spellings) and the parameters each window kind accepts.

use crate::ast::{AttrType, Expr, ExprKind, Literal, UnaryOp};

/// Every window name as users write them, classic and Macrometa spellings (for
/// "did you mean" suggestions).
pub const WINDOW_NAMES: &[&str] = &[
    "length",
    "lengthBatch",
    "time",
    "timeBatch",
    "timeLength",
    "externalTime",
    "externalTimeBatch",
    "expression",
    "expressionBatch",
    "batch",
    "session",
    "sort",
    "cron",
    "delay",
    "frequent",
    "lossyFrequent",
    "SLIDING_LENGTH",
    "TUMBLING_LENGTH",
    "SLIDING_TIME",
    "TUMBLING_TIME",
    "SLIDING_TIME_LENGTH",
    "SLIDING_EXTERNAL_TIME",
    "TUMBLING_EXTERNAL_TIME",
    "SLIDING_EXPRESSION",
    "TUMBLING_EXPRESSION",
    "TUMBLING",
    "unique:length",
    "unique:lengthBatch",
    "unique:time",
    "unique:timeBatch",
    "unique:firstTimeBatch",
    "unique:timeLengthBatch",
    "unique:firstLengthBatch",
    "unique:first",
    "unique:ever",
    "unique:externalTimeBatch",
    "UNIQUE:SLIDING_LENGTH",
    "UNIQUE:TUMBLING_LENGTH",
    "UNIQUE:SLIDING_TIME",
    "UNIQUE:TUMBLING_TIME",
    "UNIQUE:TUMBLING_FIRST",
    "UNIQUE:TUMBLING_FIRST_TIME",
    "UNIQUE:TUMBLING_TIME_LENGTH",
    "UNIQUE:TUMBLING_EXTERNAL_TIME",
];

/// The classic name of a window written in either spelling, or `None` if unknown.
pub fn classic_name(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().replace('_', "").as_str() {
        "length" | "slidinglength" => "length",
        "lengthbatch" | "tumblinglength" => "lengthBatch",
        "time" | "slidingtime" => "time",
        "timebatch" | "tumblingtime" => "timeBatch",
        "timelength" | "slidingtimelength" => "timeLength",
        "externaltime" | "slidingexternaltime" => "externalTime",
        "externaltimebatch" | "tumblingexternaltime" => "externalTimeBatch",
        "expression" | "slidingexpression" => "expression",
        "expressionbatch" | "tumblingexpression" => "expressionBatch",
        "batch" | "tumbling" => "batch",
        "session" => "session",
        "sort" => "sort",
        "cron" => "cron",
        "delay" => "delay",
        "frequent" => "frequent",
        "lossyfrequent" => "lossyFrequent",
        "unique:length" | "unique:slidinglength" => "unique:length",
        "unique:lengthbatch" | "unique:tumblinglength" => "unique:lengthBatch",
        "unique:time" | "unique:slidingtime" => "unique:time",
        "unique:timebatch" | "unique:tumblingtime" => "unique:timeBatch",
        "unique:firsttimebatch" | "unique:tumblingfirsttime" => "unique:firstTimeBatch",
        "unique:timelengthbatch" | "unique:tumblingtimelength" => "unique:timeLengthBatch",
        "unique:firstlength" => "unique:firstLength",
        "unique:firstlengthbatch" | "unique:tumblingfirst" => "unique:firstLengthBatch",
        "unique:first" => "unique:first",
        "unique:ever" => "unique:ever",
        "unique:externaltimebatch" | "unique:tumblingexternaltime" => "unique:externalTimeBatch",
        _ => return None,
    })
}

/// Macrometa's name for a window given by its classic name (`length` →
/// `SLIDING_LENGTH`, `unique:lengthBatch` → `UNIQUE:TUMBLING_LENGTH`); `None` for
/// the windows Macrometa writes by their classic names (`session`, `sort`, …).
pub fn macrometa_name(classic: &str) -> Option<&'static str> {
    Some(match classic {
        "length" => "SLIDING_LENGTH",
        "lengthBatch" => "TUMBLING_LENGTH",
        "time" => "SLIDING_TIME",
        "timeBatch" => "TUMBLING_TIME",
        "timeLength" => "SLIDING_TIME_LENGTH",
        "externalTime" => "SLIDING_EXTERNAL_TIME",
        "externalTimeBatch" => "TUMBLING_EXTERNAL_TIME",
        "expression" => "SLIDING_EXPRESSION",
        "expressionBatch" => "TUMBLING_EXPRESSION",
        "batch" => "TUMBLING",
        "unique:length" => "UNIQUE:SLIDING_LENGTH",
        "unique:lengthBatch" => "UNIQUE:TUMBLING_LENGTH",
        "unique:time" => "UNIQUE:SLIDING_TIME",
        "unique:timeBatch" => "UNIQUE:TUMBLING_TIME",
        "unique:firstTimeBatch" => "UNIQUE:TUMBLING_FIRST_TIME",
        "unique:timeLengthBatch" => "UNIQUE:TUMBLING_TIME_LENGTH",
        "unique:firstLengthBatch" => "UNIQUE:TUMBLING_FIRST",
        "unique:externalTimeBatch" => "UNIQUE:TUMBLING_EXTERNAL_TIME",
        "unique:first" => "UNIQUE:FIRST",
        "unique:ever" => "UNIQUE:EVER",
        _ => return None,
    })
}

/// What one parameter position accepts.
#[derive(Clone, Copy, Debug)]
enum Param {
    /// An int or long constant (a count or a time).
    Int,
    /// A non-negative int or long constant.
    NonNegative,
    /// A bool constant.
    Bool,
    /// A string constant.
    Str,
    /// A string constant, or a string read from each event.
    StrOrAttr,
    /// An attribute of type long.
    LongAttr,
    /// Any attribute.
    Attr,
    /// An int/long constant or a long attribute.
    IntOrLongAttr,
    /// An `int` constant only (the reference casts it to `Integer`).
    IntOnly,
    /// A numeric constant.
    Number,
    /// Any expression (a unique key).
    Any,
}

/// One argument as the checker sees it.
pub struct Arg<'a> {
    /// The expression.
    pub expr: &'a Expr,
    /// Its type.
    pub ty: AttrType,
}

/// A constant literal (possibly negated), or `None` if the expression is not one.
fn constant(e: &Expr) -> Option<&Literal> {
    match &e.kind {
        ExprKind::Literal(l) => Some(l),
        ExprKind::Unary(UnaryOp::Neg, inner) => constant(inner),
        _ => None,
    }
}

fn is_attribute(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Attribute { .. })
}

fn fits(p: Param, a: &Arg<'_>) -> Result<(), String> {
    let lit = constant(a.expr);
    let ok = match p {
        Param::Int => matches!(lit, Some(Literal::Int(_) | Literal::Long(_) | Literal::Time(_))),
        Param::NonNegative => match lit {
            Some(Literal::Int(v)) => *v >= 0,
            Some(Literal::Long(v) | Literal::Time(v)) => *v >= 0,
            _ => false,
        },
        Param::Bool => matches!(lit, Some(Literal::Bool(_))),
        Param::Str => matches!(lit, Some(Literal::String(_))),
        Param::StrOrAttr => matches!(lit, Some(Literal::String(_))) || (lit.is_none() && a.ty == AttrType::String),
        Param::LongAttr => is_attribute(a.expr) && a.ty == AttrType::Long,
        Param::Attr => is_attribute(a.expr),
        Param::IntOrLongAttr => {
            matches!(lit, Some(Literal::Int(_) | Literal::Long(_) | Literal::Time(_)))
                || (is_attribute(a.expr) && a.ty == AttrType::Long)
        }
        Param::IntOnly => matches!(lit, Some(Literal::Int(_))),
        Param::Number => {
            matches!(lit, Some(Literal::Int(_) | Literal::Long(_) | Literal::Float(_) | Literal::Double(_)))
        }
        Param::Any => true,
    };
    if ok {
        Ok(())
    } else {
        Err(match p {
            Param::Int => "a constant int or long (or a time such as `1 sec`)",
            Param::NonNegative => "a non-negative int or long constant, or a time such as `1 sec`",
            Param::Bool => "a constant bool",
            Param::Str => "a quoted string",
            Param::StrOrAttr => "a quoted string or a string attribute",
            Param::LongAttr => "an attribute of type long",
            Param::Attr => "an attribute",
            Param::IntOrLongAttr => "a constant or a long attribute",
            Param::IntOnly => "an int constant",
            Param::Number => "a numeric constant",
            Param::Any => "an expression",
        }
        .to_string())
    }
}

/// Checks the arguments of window `name` (classic); `Err((index, message))` names
/// the offending argument (`usize::MAX` for the whole call).
pub fn check(name: &str, args: &[Arg<'_>]) -> Result<(), (usize, String)> {
    use Param::*;
    let signatures: Vec<Vec<Param>> = match name {
        "length" => vec![vec![NonNegative]],
        "lengthBatch" => vec![vec![NonNegative], vec![NonNegative, Bool]],
        "time" => vec![vec![NonNegative]],
        "timeBatch" => {
            vec![vec![NonNegative], vec![NonNegative, Int], vec![NonNegative, Bool], vec![NonNegative, Int, Bool]]
        }
        "timeLength" => vec![vec![NonNegative, NonNegative]],
        "externalTime" => vec![vec![LongAttr, NonNegative]],
        "externalTimeBatch" => vec![
            vec![LongAttr, NonNegative],
            vec![LongAttr, NonNegative, IntOrLongAttr],
            vec![LongAttr, NonNegative, IntOrLongAttr, Int],
            vec![LongAttr, NonNegative, IntOrLongAttr, Int, Bool],
        ],
        "batch" => vec![vec![], vec![NonNegative]],
        "delay" => vec![vec![NonNegative]],
        "session" => vec![vec![NonNegative], vec![NonNegative, Attr], vec![NonNegative, Attr, NonNegative]],
        "cron" => vec![vec![Str]],
        "expression" => vec![vec![StrOrAttr]],
        "expressionBatch" => vec![vec![StrOrAttr], vec![StrOrAttr, Bool], vec![StrOrAttr, Bool, Bool]],
        "sort" => {
            let n = args.len();
            if n == 0 {
                return Err((usize::MAX, "sort() needs the window length".into()));
            }
            fits(NonNegative, &args[0]).map_err(|m| (0, format!("sort's length must be {m}")))?;
            let mut i = 1;
            while i < n {
                fits(Attr, &args[i]).map_err(|m| (i, format!("sort's parameter {} must be {m}", i + 1)))?;
                i += 1;
                if i < n {
                    if let Some(Literal::String(s)) = constant(args[i].expr) {
                        if !s.eq_ignore_ascii_case("asc") && !s.eq_ignore_ascii_case("desc") {
                            return Err((i, format!("sort order must be 'asc' or 'desc', found '{s}'")));
                        }
                        i += 1;
                    }
                }
            }
            return Ok(());
        }
        "unique:length" | "unique:lengthBatch" | "unique:firstLengthBatch" => vec![vec![Any, IntOnly]],
        "unique:time" => vec![vec![Any, Int]],
        "unique:timeBatch" | "unique:firstTimeBatch" => vec![vec![Any, Int], vec![Any, Int, Int]],
        // (key, window.time, window.length) or (key, window.time, start.time,
        // window.length): the reference's overloads declare the length an int.
        "unique:timeLengthBatch" => vec![vec![Any, Int, IntOnly], vec![Any, Int, Int, IntOnly]],
        "unique:externalTimeBatch" => vec![
            vec![Any, LongAttr, Int],
            vec![Any, LongAttr, Int, Int],
            vec![Any, LongAttr, Int, Int, Int],
            vec![Any, LongAttr, Int, Int, Int, Bool],
        ],
        "lossyFrequent" => {
            if args.len() < 2 {
                return Err((
                    usize::MAX,
                    "lossyFrequent takes (support, error bound[, attribute…]); the reference cannot create it \
                     with the support alone"
                        .into(),
                ));
            }
            for (i, what) in [(0, "support"), (1, "error bound")] {
                fits(Number, &args[i]).map_err(|m| (i, format!("lossyFrequent's {what} must be {m}")))?;
            }
            for (i, a) in args.iter().enumerate().skip(2) {
                fits(Attr, a).map_err(|m| (i, format!("lossyFrequent's parameter {} must be {m}", i + 1)))?;
            }
            return Ok(());
        }
        // Variadic or rarely used windows: accept what the parser accepted.
        _ => return Ok(()),
    };
    let arity_ok: Vec<&Vec<Param>> = signatures.iter().filter(|s| s.len() == args.len()).collect();
    if arity_ok.is_empty() {
        let counts: Vec<String> = signatures.iter().map(|s| s.len().to_string()).collect();
        return Err((usize::MAX, format!("{name} takes {} parameters, found {}", counts.join(" or "), args.len())));
    }
    let mut first_error = None;
    for sig in arity_ok {
        let mut failed = None;
        for (i, (p, a)) in sig.iter().zip(args).enumerate() {
            if let Err(m) = fits(*p, a) {
                failed = Some((i, format!("{name}'s parameter {} must be {m}", i + 1)));
                break;
            }
        }
        match failed {
            None => return Ok(()),
            Some(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or((usize::MAX, format!("bad parameters for {name}"))))
}

/// Whether the classic window name releases batches.
pub fn is_batch(name: &str) -> bool {
    matches!(name, "lengthBatch" | "timeBatch" | "externalTimeBatch" | "batch" | "expressionBatch" | "cron")
        || name.ends_with("Batch")
}

impl super::Analyzer {
    /// Refuses `frequent` / `lossyFrequent` without key attributes on a join side
    /// whose attributes the `select` does not read: the reference keys such a
    /// window's events by the attributes of its side the `select` reads, and with
    /// none it fails on every event (NullPointerException).
    pub(crate) fn check_keyless_frequent_in_join(
        &mut self,
        join: &crate::logical::JoinPlan,
        projection: &[(String, crate::logical::TypedExpr)],
        span: crate::ast::Span,
    ) {
        use crate::logical::{HandlerPlan, TypedExprKind};
        for (side, plan) in [&join.left, &join.right].into_iter().enumerate() {
            let reads_side = projection
                .iter()
                .any(|(_, e)| matches!(e.kind, TypedExprKind::Attribute { input, .. } if input == side));
            for h in &plan.handlers {
                let HandlerPlan::Window { name, args } = h else { continue };
                let keyless = (name.eq_ignore_ascii_case("frequent") && args.len() == 1)
                    || (name.eq_ignore_ascii_case("lossyFrequent") && args.len() == 2);
                if keyless && !reads_side {
                    self.not_built(
                        span,
                        format!(
                            "`{name}` without key attributes on a join side ('{}') the `select` reads no \
                             attribute of (the reference keys its events by those attributes and fails on \
                             every event); give it key attributes",
                            plan.name
                        ),
                    );
                }
            }
        }
    }
}
