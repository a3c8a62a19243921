//! The `math:` functions of the reference's math extension.
//!
//! Nearly all take any numeric argument and return a double (`abs`, `ceil` and
//! `floor` included, as the extension declares). The exceptions: `round` returns
//! an int for a float and a long for a double (Java's `Math.round`, half up),
//! `signum` and `getExponent` return ints, `isNan`/`isInfinite` bools,
//! `bin`/`oct`/`hex`/`conv` strings, `parseInt`/`parseLong`/`parseFloat`/
//! `parseDouble` their type. `acos`/`asin` outside [-1, 1] give null. A null
//! argument gives null.

use super::{arg_is, arity, f, FnContext, ScalarFn, NUMERIC};
use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

type R = Result<Value, String>;

fn num1(a: &[Value], op: fn(f64) -> f64) -> R {
    Ok(a.first().and_then(Value::as_f64).map_or(Value::Null, |x| Value::Double(op(x))))
}

fn num2(a: &[Value], op: fn(f64, f64) -> f64) -> R {
    Ok(match (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64)) {
        (Some(x), Some(y)) => Value::Double(op(x, y)),
        _ => Value::Null,
    })
}

/// Java's `Math.round`: floor(x + 0.5), NaN to 0, saturating.
fn java_round(x: f64) -> i64 {
    if x.is_nan() {
        0
    } else {
        (x + 0.5).floor() as i64
    }
}

/// The implementation of `math:` function `name`.
pub fn lookup(name: &str, _arg_types: &[AttrType]) -> Option<ScalarFn> {
    let short = name.strip_prefix("math:")?;
    Some(match short {
        "abs" => f(|a, _| num1(a, f64::abs)),
        "acos" => f(|a, _| num1(a, |x| if (-1.0..=1.0).contains(&x) { x.acos() } else { f64::NAN }).map(nan_null)),
        "asin" => f(|a, _| num1(a, |x| if (-1.0..=1.0).contains(&x) { x.asin() } else { f64::NAN }).map(nan_null)),
        "atan" => f(|a, _| if a.len() == 2 { num2(a, f64::atan2) } else { num1(a, f64::atan) }),
        "cbrt" => f(|a, _| num1(a, f64::cbrt)),
        "ceil" => f(|a, _| num1(a, f64::ceil)),
        "floor" => f(|a, _| num1(a, f64::floor)),
        "cos" => f(|a, _| num1(a, f64::cos)),
        "cosh" => f(|a, _| num1(a, f64::cosh)),
        "sin" => f(|a, _| num1(a, f64::sin)),
        "sinh" => f(|a, _| num1(a, f64::sinh)),
        "tan" => f(|a, _| num1(a, f64::tan)),
        "tanh" => f(|a, _| num1(a, f64::tanh)),
        "exp" => f(|a, _| num1(a, f64::exp)),
        "ln" => f(|a, _| num1(a, f64::ln)),
        "log10" => f(|a, _| num1(a, f64::log10)),
        "log2" => f(|a, _| num1(a, f64::log2)),
        "log" => f(|a, _| num2(a, |x, base| x.ln() / base.ln())),
        "sqrt" => f(|a, _| num1(a, f64::sqrt)),
        "power" => f(|a, _| num2(a, f64::powf)),
        "max" => f(|a, _| num2(a, f64::max)),
        "min" => f(|a, _| num2(a, f64::min)),
        "copysign" => f(|a, _| num2(a, f64::copysign)),
        "todegrees" => f(|a, _| num1(a, f64::to_degrees)),
        "toradians" => f(|a, _| num1(a, f64::to_radians)),
        "e" => f(|_, _| Ok(Value::Double(std::f64::consts::E))),
        "pi" => f(|_, _| Ok(Value::Double(std::f64::consts::PI))),
        "rand" => rand(),
        "round" => f(|a, _| {
            Ok(match a.first() {
                Some(Value::Float(x)) => {
                    Value::Int(java_round(*x as f64).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
                }
                Some(v) => v.as_f64().map_or(Value::Null, |x| Value::Long(java_round(x))),
                None => Value::Null,
            })
        }),
        "signum" => f(|a, _| {
            Ok(a.first().and_then(Value::as_f64).map_or(Value::Null, |x| {
                Value::Int(if x > 0.0 {
                    1
                } else if x < 0.0 {
                    -1
                } else {
                    0
                })
            }))
        }),
        "getexponent" => f(|a, _| {
            Ok(match a.first() {
                Some(Value::Float(x)) => Value::Int(exponent_f32(*x)),
                Some(v) => v.as_f64().map_or(Value::Null, |x| Value::Int(exponent_f64(x))),
                None => Value::Null,
            })
        }),
        "isnan" => f(|a, _| Ok(a.first().and_then(Value::as_f64).map_or(Value::Null, |x| Value::Bool(x.is_nan())))),
        "isinfinite" => {
            f(|a, _| Ok(a.first().and_then(Value::as_f64).map_or(Value::Null, |x| Value::Bool(x.is_infinite()))))
        }
        "bin" => f(|a, _| Ok(int_text(a, |i, w| if w { format!("{:b}", i as i32) } else { format!("{i:b}") }))),
        "oct" => f(|a, _| Ok(int_text(a, |i, w| if w { format!("{:o}", i as i32) } else { format!("{i:o}") }))),
        "hex" => f(|a, _| {
            Ok(match a.first() {
                Some(Value::Int(i)) => Value::string(&format!("{i:x}")),
                Some(Value::Long(i)) => Value::string(&format!("{i:x}")),
                Some(Value::Float(x)) => Value::string(&format!("{:x}", x.to_bits())),
                Some(Value::Double(x)) => Value::string(&format!("{:x}", x.to_bits())),
                _ => Value::Null,
            })
        }),
        "conv" => f(|a, _| {
            let (Some(Value::String(s)), Some(from), Some(to)) =
                (a.first(), a.get(1).and_then(Value::as_i64), a.get(2).and_then(Value::as_i64))
            else {
                return Ok(Value::Null);
            };
            if !(2..=36).contains(&from) || !(2..=36).contains(&to) {
                return Err("math:conv() bases must be between 2 and 36".into());
            }
            let n =
                i64::from_str_radix(s, from as u32).map_err(|_| format!("math:conv(): '{s}' is not base {from}"))?;
            Ok(Value::string(&to_radix(n, to as u32)))
        }),
        "parseint" => f(|a, _| parse(a, |s| s.trim().parse().ok().map(Value::Int))),
        "parselong" => f(|a, _| parse(a, |s| s.trim().parse().ok().map(Value::Long))),
        "parsefloat" => f(|a, _| parse(a, |s| s.trim().parse().ok().map(Value::Float))),
        "parsedouble" => f(|a, _| parse(a, |s| s.trim().parse().ok().map(Value::Double))),
        _ => return None,
    })
}

fn nan_null(v: Value) -> Value {
    match v {
        Value::Double(x) if x.is_nan() => Value::Null,
        v => v,
    }
}

fn parse(a: &[Value], p: fn(&str) -> Option<Value>) -> R {
    match a.first() {
        Some(Value::String(s)) => p(s).ok_or(format!("'{s}' is not a number")),
        _ => Ok(Value::Null),
    }
}

/// Binary/octal text of an int or long, two's complement like Java's.
fn int_text(a: &[Value], fmt: fn(i64, bool) -> String) -> Value {
    match a.first() {
        Some(Value::Int(i)) => Value::string(&fmt(*i as i64, true)),
        Some(Value::Long(i)) => Value::string(&fmt(*i, false)),
        _ => Value::Null,
    }
}

fn to_radix(n: i64, radix: u32) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    let mut m = n.unsigned_abs();
    while m > 0 {
        digits.push(std::char::from_digit((m % radix as u64) as u32, radix).unwrap_or('?').to_ascii_uppercase());
        m /= radix as u64;
    }
    if n < 0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn exponent_f64(x: f64) -> i32 {
    ((x.to_bits() >> 52) & 0x7ff) as i32 - 1023
}

fn exponent_f32(x: f32) -> i32 {
    ((x.to_bits() >> 23) & 0xff) as i32 - 127
}

/// `math:rand()` / `math:rand(seed)`: uniform in [0, 1); seeded sequences are
/// reproducible per query (a splitmix64 stream per call site).
fn rand() -> ScalarFn {
    use std::sync::atomic::{AtomicU64, Ordering};
    let state = Arc::new(AtomicU64::new(0));
    Arc::new(move |a: &[Value], _: &FnContext| {
        let mut s = state.load(Ordering::Relaxed);
        if s == 0 {
            s = match a.first().and_then(Value::as_i64) {
                Some(seed) => seed as u64 ^ 0x9E37_79B9_7F4A_7C15,
                None => std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64),
            } | 1;
        }
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.store(s, Ordering::Relaxed);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Ok(Value::Double((z >> 11) as f64 / (1u64 << 53) as f64))
    })
}

/// The signature of `math:` function `name`.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("math:")?;
    let numeric = |n: usize| -> Result<(), std::string::String> {
        arity(name, t, n..=n)?;
        (0..n).try_for_each(|i| arg_is(name, t, i, &NUMERIC))
    };
    let floating = || -> Result<(), std::string::String> {
        arity(name, t, 1..=1)?;
        arg_is(name, t, 0, &[Float, Double])
    };
    Some(match short {
        "abs" | "cbrt" | "floor" | "cos" | "cosh" | "sin" | "sinh" | "tan" | "tanh" | "exp" | "ln" | "log10"
        | "log2" | "sqrt" | "todegrees" | "toradians" => numeric(1).map(|_| Double),
        "acos" | "asin" | "ceil" => floating().map(|_| Double),
        "atan" => arity(name, t, 1..=2).and_then(|_| numeric(t.len())).map(|_| Double),
        "log" | "power" | "max" | "min" | "copysign" => numeric(2).map(|_| Double),
        "e" | "pi" => arity(name, t, 0..=0).map(|_| Double),
        "rand" => arity(name, t, 0..=1).and_then(|_| arg_is(name, t, 0, &[Int, Long])).map(|_| Double),
        "round" => floating().map(|_| if t[0] == Float { Int } else { Long }),
        "signum" | "getexponent" => numeric(1).map(|_| Int),
        "isnan" | "isinfinite" => floating().map(|_| Bool),
        "bin" | "oct" => arity(name, t, 1..=1).and_then(|_| arg_is(name, t, 0, &[Int, Long])).map(|_| String),
        "hex" => numeric(1).map(|_| String),
        "conv" => arity(name, t, 3..=3)
            .and_then(|_| arg_is(name, t, 0, &[String]))
            .and_then(|_| arg_is(name, t, 1, &[Int]))
            .and_then(|_| arg_is(name, t, 2, &[Int]))
            .map(|_| String),
        "parseint" | "parselong" | "parsefloat" | "parsedouble" => {
            arity(name, t, 1..=1).and_then(|_| arg_is(name, t, 0, &[String])).map(|_| match short {
                "parseint" => Int,
                "parselong" => Long,
                "parsefloat" => Float,
                _ => Double,
            })
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Value {
        lookup(name, &[]).unwrap()(args, &FnContext::default()).unwrap_or(Value::Null)
    }

    #[test]
    fn math() {
        assert_eq!(call("math:abs", &[Value::Int(-3)]), Value::Double(3.0));
        assert_eq!(call("math:ceil", &[Value::Double(1.2)]), Value::Double(2.0));
        assert_eq!(call("math:floor", &[Value::Double(-1.2)]), Value::Double(-2.0));
        assert_eq!(call("math:round", &[Value::Double(2.5)]), Value::Long(3));
        assert_eq!(call("math:round", &[Value::Double(-2.5)]), Value::Long(-2));
        assert_eq!(call("math:round", &[Value::Float(1.4)]), Value::Int(1));
        assert_eq!(call("math:power", &[Value::Int(2), Value::Int(10)]), Value::Double(1024.0));
        assert_eq!(call("math:sqrt", &[Value::Null]), Value::Null);
        assert_eq!(call("math:log", &[Value::Double(8.0), Value::Double(2.0)]), Value::Double(3.0));
        assert_eq!(call("math:acos", &[Value::Double(2.0)]), Value::Null);
        assert_eq!(call("math:signum", &[Value::Long(-9)]), Value::Int(-1));
        assert_eq!(call("math:bin", &[Value::Int(9)]), Value::string("1001"));
        assert_eq!(call("math:oct", &[Value::Long(8)]), Value::string("10"));
        assert_eq!(call("math:conv", &[Value::string("7f"), Value::Int(16), Value::Int(10)]), Value::string("127"));
        assert_eq!(call("math:getexponent", &[Value::Double(8.0)]), Value::Int(3));
        assert_eq!(call("math:parseint", &[Value::string("42")]), Value::Int(42));
        let r = call("math:rand", &[]);
        assert!(matches!(r, Value::Double(x) if (0.0..1.0).contains(&x)));
    }

    #[test]
    fn signatures() {
        use AttrType::*;
        assert_eq!(signature("math:round", &[Float]).unwrap(), Ok(Int));
        assert_eq!(signature("math:round", &[Double]).unwrap(), Ok(Long));
        assert!(signature("math:round", &[Int]).unwrap().is_err());
        assert_eq!(signature("math:abs", &[Int]).unwrap(), Ok(Double));
        assert!(signature("math:abs", &[String]).unwrap().is_err());
        assert_eq!(signature("math:atan", &[Double, Double]).unwrap(), Ok(Double));
    }
}
