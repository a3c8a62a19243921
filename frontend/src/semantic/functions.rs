//! Signatures of the built-in functions: how many arguments each takes, of what
//! types, and what it returns. The dataflow crate implements the same names.

use crate::ast::{AttrType, Literal};

/// The core functions as users spell them, scalar and aggregate (for "did you
/// mean" suggestions on an unknown function name).
pub const CORE_FUNCTION_NAMES: &[&str] = &[
    "sum",
    "avg",
    "stdDev",
    "count",
    "distinctCount",
    "min",
    "max",
    "minForever",
    "maxForever",
    "and",
    "or",
    "unionSet",
    "frequency",
    "ifThenElse",
    "cast",
    "convert",
    "coalesce",
    "default",
    "instanceOfBoolean",
    "instanceOfDouble",
    "instanceOfFloat",
    "instanceOfInteger",
    "instanceOfLong",
    "instanceOfString",
    "maximum",
    "minimum",
    "UUID",
    "eventTimestamp",
    "currentTimeMillis",
    "createSet",
    "sizeOfSet",
];

/// Whether `name` (lower-case) is an aggregate function.
pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "sum"
            | "avg"
            | "stddev"
            | "count"
            | "distinctcount"
            | "min"
            | "max"
            | "minforever"
            | "maxforever"
            | "and"
            | "or"
            | "unionset"
            | "frequency"
            | "str:groupconcat"
            | "math:percentile"
            | "json:group"
            | "json:groupasobject"
            | "map:collect"
            | "map:merge"
            | "list:collect"
            | "list:merge"
    )
}

/// The position from which the arguments of aggregate `name` (lower-case) are
/// parameters, constants read once (`str:groupConcat`'s separator, distinct and
/// order, `math:percentile`'s p, `json:group`'s enclosing element and distinct);
/// `None` when every argument is read from each event.
pub fn aggregate_parameters_from(name: &str) -> Option<usize> {
    match name {
        "str:groupconcat" | "math:percentile" | "json:group" | "json:groupasobject" => Some(1),
        _ => None,
    }
}

/// Checks the constant parameters of aggregate `name` (lower-case): `(index,
/// message)` of the first that is out of range.
pub fn check_aggregate_parameters(name: &str, params: &[&Literal]) -> Result<(), (usize, String)> {
    match (name, params) {
        ("math:percentile", [p]) => {
            let v = match p {
                Literal::Int(i) => f64::from(*i),
                Literal::Long(l) => *l as f64,
                Literal::Float(f) => f64::from(*f),
                Literal::Double(d) => *d,
                _ => return Err((1, "math:percentile() takes p, a number".into())),
            };
            if !(v > 0.0 && v <= 100.0) {
                return Err((1, format!("math:percentile() takes p with 0 < p <= 100, found {v}")));
            }
            Ok(())
        }
        ("str:groupconcat", [_, _, Literal::String(order)]) => {
            if order.eq_ignore_ascii_case("asc") || order.eq_ignore_ascii_case("desc") {
                Ok(())
            } else {
                Err((3, format!("str:groupConcat() takes order 'ASC' or 'DESC', found '{order}'")))
            }
        }
        _ => Ok(()),
    }
}

/// The result type of aggregate `name` over `args`, or what is wrong.
pub fn aggregate_type(name: &str, args: &[AttrType]) -> Result<AttrType, String> {
    let one = || -> Result<AttrType, String> {
        match args {
            [t] => Ok(*t),
            _ => Err(format!("{name}() takes 1 argument, found {}", args.len())),
        }
    };
    let numeric = |t: AttrType| -> Result<AttrType, String> {
        if t.is_numeric() {
            Ok(t)
        } else {
            Err(format!("{name}() needs a numeric argument, found {t}"))
        }
    };
    Ok(match name {
        "sum" => match numeric(one()?)? {
            AttrType::Int | AttrType::Long => AttrType::Long,
            _ => AttrType::Double,
        },
        "avg" | "stddev" => {
            numeric(one()?)?;
            AttrType::Double
        }
        "count" => {
            if args.len() > 1 {
                return Err(format!("count() takes at most 1 argument, found {}", args.len()));
            }
            AttrType::Long
        }
        "distinctcount" => {
            one()?;
            AttrType::Long
        }
        "min" | "max" | "minforever" | "maxforever" => numeric(one()?)?,
        "and" | "or" => {
            if one()? != AttrType::Bool {
                return Err(format!("{name}() needs a bool argument"));
            }
            AttrType::Bool
        }
        "unionset" => {
            if one()? != AttrType::Object {
                return Err("unionSet() needs a set (object) argument".into());
            }
            AttrType::Object
        }
        "frequency" => {
            one()?;
            AttrType::Long
        }
        "str:groupconcat" => {
            use AttrType::{Bool, String as S};
            if !matches!(args, [S] | [S, S] | [S, S, Bool] | [S, S, Bool, S]) {
                return Err(
                    "str:groupConcat() takes (key string[, separator string[, distinct bool[, order string]]])".into(),
                );
            }
            S
        }
        "math:percentile" => match args {
            [x, p] if x.is_numeric() && p.is_numeric() => AttrType::Double,
            _ => return Err("math:percentile() takes (arg number, p double)".into()),
        },
        "json:group" | "json:groupasobject" => {
            use AttrType::{Bool, Object, String as S};
            let ok = match args {
                [j] | [j, Bool] | [j, S] | [j, S, Bool] => matches!(j, S | Object),
                _ => false,
            };
            if !ok {
                let f = if name == "json:group" { "json:group" } else { "json:groupAsObject" };
                return Err(format!("{f}() takes (json string|object[, enclosing.element string][, distinct bool])"));
            }
            if name == "json:group" {
                S
            } else {
                Object
            }
        }
        "map:collect" => {
            if args.len() != 2 {
                return Err(format!("map:collect() takes 2 arguments (key, value), found {}", args.len()));
            }
            if args[0] == AttrType::Object {
                return Err("argument 1 of map:collect() (the key) must be int, long, float, double, bool or string, found object".into());
            }
            AttrType::Object
        }
        "map:merge" => {
            if one()? != AttrType::Object {
                return Err(format!("map:merge() needs a map (object), found {}", args[0]));
            }
            AttrType::Object
        }
        "list:collect" | "list:merge" => {
            if args.is_empty() || args.len() > 2 {
                return Err(format!("{name}() takes 1 or 2 arguments, found {}", args.len()));
            }
            if name == "list:merge" && args[0] != AttrType::Object {
                return Err(format!("list:merge() needs a list (object), found {}", args[0]));
            }
            if args.len() == 2 && args[1] != AttrType::Bool {
                return Err(format!("argument 2 of {name}() (is.distinct) must be bool, found {}", args[1]));
            }
            AttrType::Object
        }
        _ => return Err(format!("'{name}' is not an aggregate function")),
    })
}

/// The arguments of a scalar call as the checker sees them.
pub struct CallArgs<'a> {
    /// Their types.
    pub types: &'a [AttrType],
    /// The value of each argument that is a constant string (type names of `cast`).
    pub const_strings: &'a [Option<String>],
}

/// Extra scalar functions the checker may consult (the engine's library):
/// `(lower-case name, argument types, constant string arguments)` → `None` when no
/// such function exists, else its result type or what is wrong with the call.
pub type FunctionLookup = fn(&str, &[AttrType], &[Option<String>]) -> Option<Result<AttrType, String>>;

/// The result type of a core scalar function `name` (lower-case), `None` when no
/// such core function exists, `Some(Err)` when the arguments do not fit.
pub fn scalar_type(name: &str, args: &CallArgs<'_>) -> Option<Result<AttrType, String>> {
    let t = args.types;
    let count = |n: usize| -> Result<(), String> {
        if t.len() == n {
            Ok(())
        } else {
            Err(format!("{name}() takes {n} argument{}, found {}", if n == 1 { "" } else { "s" }, t.len()))
        }
    };
    let same = |what: &str| -> Result<AttrType, String> {
        let first = *t.first().ok_or(format!("{name}() needs arguments"))?;
        if let Some(other) = t.iter().find(|x| **x != first) {
            return Err(format!("{name}() needs {what} of one type, found {first} and {other}"));
        }
        Ok(first)
    };
    let type_arg = || -> Result<AttrType, String> {
        count(2)?;
        let s =
            args.const_strings[1].as_ref().ok_or(format!("{name}()'s second argument must be a quoted type name"))?;
        AttrType::parse(s)
            .ok_or(format!("{name}(): '{s}' is not a type (string, int, long, float, double, bool, object)"))
    };
    let result = match name {
        "ifthenelse" => (|| {
            count(3)?;
            if t[0] != AttrType::Bool {
                return Err(format!("ifThenElse()'s condition must be bool, found {}", t[0]));
            }
            if t[1] != t[2] {
                return Err(format!("ifThenElse() must return one type in both branches, found {} and {}", t[1], t[2]));
            }
            Ok(t[1])
        })(),
        "cast" => type_arg(),
        "convert" => type_arg().and_then(|ty| {
            if ty == AttrType::Object {
                Err("convert() cannot convert to object".into())
            } else {
                Ok(ty)
            }
        }),
        "coalesce" => same("arguments"),
        "default" => count(2).and_then(|_| same("a value and a default")),
        "instanceofboolean" | "instanceofdouble" | "instanceoffloat" | "instanceofinteger" | "instanceoflong"
        | "instanceofstring" => count(1).map(|_| AttrType::Bool),
        "maximum" | "minimum" => same("arguments").and_then(|ty| {
            if ty.is_numeric() {
                Ok(ty)
            } else {
                Err(format!("{name}() needs numeric arguments, found {ty}"))
            }
        }),
        "uuid" => count(0).map(|_| AttrType::String),
        "eventtimestamp" => count(0).map(|_| AttrType::Long),
        "currenttimemillis" => count(0).map(|_| AttrType::Long),
        "createset" => count(1).map(|_| AttrType::Object),
        "sizeofset" => count(1).and_then(|_| {
            if t[0] == AttrType::Object {
                Ok(AttrType::Int)
            } else {
                Err(format!("sizeOfSet() needs a set (object), found {}", t[0]))
            }
        }),
        _ => return None,
    };
    Some(result)
}
