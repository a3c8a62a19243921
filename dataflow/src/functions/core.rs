//! The core functions that need no namespace: `ifThenElse`, `coalesce`,
//! `default`, `instanceOf…`, `maximum`, `minimum`, `UUID`, `eventTimestamp`,
//! `currentTimeMillis`.
//!
//! `maximum`/`minimum` take arguments of one numeric type and return that type.
//! The reference seeds its running maximum with `Double.MIN_VALUE` (the smallest
//! *positive* double) and its minimum with `Double.MAX_VALUE`, and treats a null
//! argument as that seed; the result is then cast to the argument type. So
//! `maximum(-5, -3)` is `0` for ints and `4.9E-324` for doubles. We reproduce it.

use super::{arg_is, arity, f, FnContext, ScalarFn, NUMERIC};
use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

/// The implementation of core function `name` (lower-case), if it is one.
pub fn lookup(name: &str, arg_types: &[AttrType]) -> Option<ScalarFn> {
    Some(match name {
        "ifthenelse" => f(|a, _| {
            Ok(if matches!(a.first(), Some(Value::Bool(true))) { a.get(1) } else { a.get(2) }
                .cloned()
                .unwrap_or(Value::Null))
        }),
        "coalesce" => f(|a, _| Ok(a.iter().find(|v| !matches!(v, Value::Null)).cloned().unwrap_or(Value::Null))),
        "default" => f(|a, _| {
            Ok(match a.first() {
                Some(Value::Null) | None => a.get(1).cloned().unwrap_or(Value::Null),
                Some(v) => v.clone(),
            })
        }),
        "instanceofboolean" => f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Bool(_)))))),
        "instanceofinteger" => f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Int(_)))))),
        "instanceoflong" => f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Long(_)))))),
        "instanceoffloat" => f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Float(_)))))),
        "instanceofdouble" => f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::Double(_)))))),
        "instanceofstring" => f(|a, _| Ok(Value::Bool(matches!(a.first(), Some(Value::String(_)))))),
        "maximum" | "minimum" => {
            let max = name == "maximum";
            let out = arg_types.first().copied().unwrap_or(AttrType::Double);
            Arc::new(move |a: &[Value], _: &FnContext| Ok(extreme(a, max, out)))
        }
        "uuid" => f(|_, _| Ok(Value::string(&uuid_v4()))),
        "eventtimestamp" => f(|a, c| {
            // `eventTimestamp(e)` reads an event of a pattern; its timestamp arrives
            // as the argument when the compiler resolves it.
            Ok(match a.first() {
                Some(v @ Value::Long(_)) => v.clone(),
                _ => Value::Long(c.event_ts),
            })
        }),
        "currenttimemillis" => f(|_, c| Ok(Value::Long(c.now))),
        _ => return None,
    })
}

/// The reference's `maximum`/`minimum`: see the module doc for its seed.
fn extreme(args: &[Value], max: bool, out: AttrType) -> Value {
    // `f64::from_bits(1)` is 4.9E-324, Java's `Double.MIN_VALUE`.
    let seed = if max { f64::from_bits(1) } else { f64::MAX };
    let mut best = seed;
    for v in args {
        let x = v.as_f64().unwrap_or(seed);
        if (max && x > best) || (!max && x < best) {
            best = x;
        }
    }
    // Integers are exact when every argument is integral and within f64's range;
    // keep them exact rather than round-tripping through f64 where possible.
    let exact = args
        .iter()
        .filter_map(Value::as_i64)
        .find(|i| *i as f64 == best)
        .filter(|_| matches!(out, AttrType::Int | AttrType::Long));
    match out {
        AttrType::Int => Value::Int(exact.map_or(best as i32, |i| i as i32)),
        AttrType::Long => Value::Long(exact.unwrap_or(best as i64)),
        AttrType::Float => Value::Float(best as f32),
        _ => Value::Double(best),
    }
}

/// The signature of core function `name`: `None` if it is not one.
pub fn signature(name: &str, t: &[AttrType], _consts: &[Option<Value>]) -> Option<Result<AttrType, String>> {
    Some(match name {
        "ifthenelse" => arity(name, t, 3..=3).and_then(|_| {
            if t[0] != AttrType::Bool {
                return Err(format!("ifThenElse()'s condition must be bool, found {}", t[0]));
            }
            if t[1] != t[2] {
                return Err(format!("ifThenElse() must return one type in both branches, found {} and {}", t[1], t[2]));
            }
            Ok(t[1])
        }),
        "coalesce" => arity(name, t, 1..=usize::MAX).and_then(|_| same_type(name, t)),
        "default" => arity(name, t, 2..=2).and_then(|_| same_type(name, t)),
        "instanceofboolean" | "instanceofdouble" | "instanceoffloat" | "instanceofinteger" | "instanceoflong"
        | "instanceofstring" => arity(name, t, 1..=1).map(|_| AttrType::Bool),
        "maximum" | "minimum" => arity(name, t, 1..=usize::MAX).and_then(|_| {
            for i in 0..t.len() {
                arg_is(name, t, i, &NUMERIC)?;
            }
            same_type(name, t)
        }),
        "uuid" => arity(name, t, 0..=0).map(|_| AttrType::String),
        "eventtimestamp" => arity(name, t, 0..=1).map(|_| AttrType::Long),
        "currenttimemillis" => arity(name, t, 0..=0).map(|_| AttrType::Long),
        _ => return None,
    })
}

fn same_type(name: &str, t: &[AttrType]) -> Result<AttrType, String> {
    let first = t[0];
    match t.iter().find(|x| **x != first) {
        Some(other) => Err(format!("{name}() needs arguments of one type, found {first} and {other}")),
        None => Ok(first),
    }
}

/// A random version-4 UUID, in the usual 8-4-4-4-12 hex form.
pub fn uuid_v4() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, types: &[AttrType], args: &[Value]) -> Value {
        lookup(name, types).unwrap()(args, &FnContext { event_ts: 7, now: 9 }).unwrap()
    }

    #[test]
    fn conditionals_and_nulls() {
        let t = [AttrType::Bool, AttrType::Int, AttrType::Int];
        assert_eq!(call("ifthenelse", &t, &[Value::Bool(true), Value::Int(1), Value::Int(2)]), Value::Int(1));
        assert_eq!(call("ifthenelse", &t, &[Value::Null, Value::Int(1), Value::Int(2)]), Value::Int(2));
        assert_eq!(call("coalesce", &[], &[Value::Null, Value::Int(4), Value::Int(5)]), Value::Int(4));
        assert_eq!(call("coalesce", &[], &[Value::Null]), Value::Null);
        assert_eq!(call("default", &[], &[Value::Null, Value::Int(5)]), Value::Int(5));
        assert_eq!(call("instanceoflong", &[], &[Value::Long(1)]), Value::Bool(true));
        assert_eq!(call("instanceoflong", &[], &[Value::Int(1)]), Value::Bool(false));
        assert_eq!(call("eventtimestamp", &[], &[]), Value::Long(7));
        assert_eq!(call("currenttimemillis", &[], &[]), Value::Long(9));
    }

    #[test]
    fn maximum_and_minimum_follow_the_reference() {
        let ints = [AttrType::Int; 3];
        assert_eq!(call("maximum", &ints, &[Value::Int(36), Value::Int(38), Value::Int(74)]), Value::Int(74));
        assert_eq!(call("minimum", &ints, &[Value::Int(36), Value::Int(38), Value::Int(9)]), Value::Int(9));
        let floats = [AttrType::Float; 2];
        assert_eq!(call("maximum", &floats, &[Value::Float(36.75), Value::Float(35.5)]), Value::Float(36.75));
        // The reference's seed: the smallest positive double.
        assert_eq!(call("maximum", &ints, &[Value::Int(-5), Value::Int(-3)]), Value::Int(0));
        assert_eq!(call("minimum", &[AttrType::Double], &[Value::Null]), Value::Double(f64::MAX));
        let longs = [AttrType::Long; 2];
        assert_eq!(call("maximum", &longs, &[Value::Long(i64::MAX - 1), Value::Long(3)]), Value::Long(i64::MAX - 1));
        assert!(signature("maximum", &[AttrType::Int, AttrType::Double], &[]).unwrap().is_err());
        assert_eq!(signature("maximum", &longs, &[]).unwrap(), Ok(AttrType::Long));
    }

    #[test]
    fn uuids_look_right() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid_v4());
    }
}
