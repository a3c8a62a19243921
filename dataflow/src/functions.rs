//! Scalar functions by name: the core functions of the language and a first set
//! of `str:` and `math:` functions. Each takes its evaluated arguments and returns
//! a value, or an error message (the query then sees null, as the reference logs
//! and carries on).

use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a function may read besides its arguments.
#[derive(Clone, Debug, Default)]
pub struct FnContext {
    /// The timestamp of the event being evaluated (ms).
    pub event_ts: i64,
    /// The app's clock (ms).
    pub now: i64,
}

/// A scalar function.
pub type ScalarFn = Arc<dyn Fn(&[Value], &FnContext) -> Result<Value, String> + Send + Sync>;

/// The implementation of scalar function `name` (lower-case, `ns:name` for
/// extensions) for arguments of `arg_types`, if it exists.
pub fn scalar(name: &str, arg_types: &[AttrType]) -> Option<ScalarFn> {
    let types = arg_types.to_vec();
    let f: ScalarFn = match name.to_ascii_lowercase().as_str() {
        "ifthenelse" => Arc::new(|a, _| Ok(if a[0] == Value::Bool(true) { a[1].clone() } else { a[2].clone() })),
        "coalesce" => Arc::new(|a, _| Ok(a.iter().find(|v| **v != Value::Null).cloned().unwrap_or(Value::Null))),
        "default" => Arc::new(|a, _| Ok(if a[0] == Value::Null { a[1].clone() } else { a[0].clone() })),
        "instanceofboolean" => Arc::new(|a, _| Ok(Value::Bool(matches!(a[0], Value::Bool(_))))),
        "instanceofinteger" => Arc::new(|a, _| Ok(Value::Bool(matches!(a[0], Value::Int(_))))),
        "instanceoflong" => Arc::new(|a, _| Ok(Value::Bool(matches!(a[0], Value::Long(_))))),
        "instanceoffloat" => Arc::new(|a, _| Ok(Value::Bool(matches!(a[0], Value::Float(_))))),
        "instanceofdouble" => Arc::new(|a, _| Ok(Value::Bool(matches!(a[0], Value::Double(_))))),
        "instanceofstring" => Arc::new(|a, _| Ok(Value::Bool(matches!(a[0], Value::String(_))))),
        "maximum" | "minimum" => {
            let max = name.eq_ignore_ascii_case("maximum");
            let out = types.iter().copied().reduce(crate::eval::promote).unwrap_or(AttrType::Double);
            Arc::new(move |a, _| {
                let vals = a.iter().filter(|v| **v != Value::Null);
                let best = if max { vals.max() } else { vals.min() };
                Ok(best.map_or(Value::Null, |v| convert_to(v, out)))
            })
        }
        "convert" => Arc::new(|a, _| {
            let Value::String(t) = &a[1] else {
                return Err("convert's second argument must be a type name".into());
            };
            let ty = AttrType::parse(t).ok_or(format!("convert: unknown type '{t}'"))?;
            Ok(convert_to(&a[0], ty))
        }),
        "cast" => Arc::new(|a, _| {
            let Value::String(t) = &a[1] else {
                return Err("cast's second argument must be a type name".into());
            };
            let ty = AttrType::parse(t).ok_or(format!("cast: unknown type '{t}'"))?;
            Ok(match (&a[0], ty) {
                (v, AttrType::Object) => v.clone(),
                (v, t) if v.ty() == Some(t) => v.clone(),
                (v, t) if t.is_numeric() && v.as_f64().is_some() => convert_to(v, t),
                _ => Value::Null,
            })
        }),
        "uuid" => Arc::new(|_, _| Ok(Value::string(&uuid_v4()))),
        "eventtimestamp" => Arc::new(|_, c| Ok(Value::Long(c.event_ts))),
        "currenttimemillis" => Arc::new(|_, c| Ok(Value::Long(c.now))),
        "createset" => Arc::new(|a, _| {
            let mut s = BTreeSet::new();
            if a[0] != Value::Null {
                s.insert(a[0].clone());
            }
            Ok(Value::Set(Arc::new(s)))
        }),
        "sizeofset" => Arc::new(|a, _| match &a[0] {
            Value::Set(s) => Ok(Value::Int(s.len() as i32)),
            _ => Ok(Value::Int(-1)),
        }),
        "str:concat" => Arc::new(|a, _| Ok(Value::string(&a.iter().map(|v| v.to_string()).collect::<String>()))),
        "str:length" => {
            Arc::new(|a, _| Ok(str_arg(&a[0]).map_or(Value::Null, |s| Value::Int(s.chars().count() as i32))))
        }
        "str:upper" => Arc::new(|a, _| Ok(str_arg(&a[0]).map_or(Value::Null, |s| Value::string(&s.to_uppercase())))),
        "str:lower" => Arc::new(|a, _| Ok(str_arg(&a[0]).map_or(Value::Null, |s| Value::string(&s.to_lowercase())))),
        "str:trim" => Arc::new(|a, _| Ok(str_arg(&a[0]).map_or(Value::Null, |s| Value::string(s.trim())))),
        "str:contains" => Arc::new(|a, _| match (str_arg(&a[0]), str_arg(&a[1])) {
            (Some(s), Some(t)) => Ok(Value::Bool(s.contains(t))),
            _ => Ok(Value::Null),
        }),
        "math:abs" => Arc::new(|a, _| Ok(math1(&a[0], f64::abs))),
        "math:ceil" => Arc::new(|a, _| Ok(math1(&a[0], f64::ceil))),
        "math:floor" => Arc::new(|a, _| Ok(math1(&a[0], f64::floor))),
        "math:sqrt" => Arc::new(|a, _| Ok(math1(&a[0], f64::sqrt))),
        "math:round" => Arc::new(|a, _| Ok(a[0].as_f64().map_or(Value::Null, |x| Value::Long(x.round() as i64)))),
        "math:power" => Arc::new(|a, _| match (a[0].as_f64(), a[1].as_f64()) {
            (Some(x), Some(y)) => Ok(Value::Double(x.powf(y))),
            _ => Ok(Value::Null),
        }),
        _ => return None,
    };
    Some(f)
}

/// The result type of scalar `name` over arguments of `args`, when it does not
/// depend on constant arguments (`cast`/`convert` do: the checker reads their
/// type argument).
pub fn return_type(name: &str, args: &[AttrType]) -> Option<AttrType> {
    Some(match name.to_ascii_lowercase().as_str() {
        "ifthenelse" => *args.get(1)?,
        "coalesce" | "default" => *args.first()?,
        n if n.starts_with("instanceof") => AttrType::Bool,
        "maximum" | "minimum" => args.iter().copied().reduce(crate::eval::promote)?,
        "uuid" => AttrType::String,
        "eventtimestamp" | "currenttimemillis" => AttrType::Long,
        "createset" => AttrType::Object,
        "sizeofset" => AttrType::Int,
        "str:concat" | "str:upper" | "str:lower" | "str:trim" => AttrType::String,
        "str:length" => AttrType::Int,
        "str:contains" => AttrType::Bool,
        "math:abs" | "math:ceil" | "math:floor" | "math:sqrt" | "math:power" => AttrType::Double,
        "math:round" => AttrType::Long,
        _ => return None,
    })
}

fn str_arg(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn math1(v: &Value, f: fn(f64) -> f64) -> Value {
    v.as_f64().map_or(Value::Null, |x| Value::Double(f(x)))
}

/// Converts a value to type `ty` as the reference `convert` does (unparsable
/// strings and objects give null).
pub fn convert_to(v: &Value, ty: AttrType) -> Value {
    match (v, ty) {
        (Value::Null, _) => Value::Null,
        (v, AttrType::String) => Value::string(&java_string(v)),
        (Value::String(s), AttrType::Int) => s.trim().parse().map_or(Value::Null, Value::Int),
        (Value::String(s), AttrType::Long) => s.trim().parse().map_or(Value::Null, Value::Long),
        (Value::String(s), AttrType::Float) => s.trim().parse().map_or(Value::Null, Value::Float),
        (Value::String(s), AttrType::Double) => s.trim().parse().map_or(Value::Null, Value::Double),
        (Value::String(s), AttrType::Bool) => Value::Bool(s.eq_ignore_ascii_case("true")),
        (Value::Bool(b), AttrType::Int) => Value::Int(*b as i32),
        (Value::Bool(b), AttrType::Long) => Value::Long(*b as i64),
        (Value::Bool(b), AttrType::Float) => Value::Float(*b as i32 as f32),
        (Value::Bool(b), AttrType::Double) => Value::Double(*b as i32 as f64),
        (Value::Bool(b), AttrType::Bool) => Value::Bool(*b),
        (v, AttrType::Bool) => Value::Bool(v.as_f64() == Some(1.0)),
        (v, AttrType::Int) => v.as_f64().map_or(Value::Null, |x| Value::Int(v.as_i64().map_or(x as i32, |i| i as i32))),
        (v, AttrType::Long) => v.as_f64().map_or(Value::Null, |x| Value::Long(v.as_i64().unwrap_or(x as i64))),
        (v, AttrType::Float) => v.as_f64().map_or(Value::Null, |x| Value::Float(x as f32)),
        (v, AttrType::Double) => match v {
            Value::Float(f) => Value::Double(*f as f64),
            _ => v.as_f64().map_or(Value::Null, Value::Double),
        },
        (v, AttrType::Object) => v.clone(),
    }
}

/// Formats like Java's `toString` (doubles as `1.0`, `1.0E10`).
pub fn java_string(v: &Value) -> String {
    fn java_double(x: f64) -> String {
        if x.is_nan() {
            return "NaN".into();
        }
        if x.is_infinite() {
            return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
        }
        let a = x.abs();
        if a == 0.0 || (1e-3..1e7).contains(&a) {
            let s = format!("{x:?}");
            if s.contains('.') || s.contains('e') {
                s
            } else {
                format!("{s}.0")
            }
        } else {
            let s = format!("{x:e}");
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let m = if m.contains('.') { m.to_string() } else { format!("{m}.0") };
            format!("{m}E{e}")
        }
    }
    match v {
        Value::Float(f) if f.abs() >= 1e-3 && f.abs() < 1e7 => {
            let s = format!("{f:?}");
            if s.contains('.') {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::Float(f) => java_double(*f as f64),
        Value::Double(d) => java_double(*d),
        other => other.to_string(),
    }
}

/// A random version-4 UUID.
fn uuid_v4() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
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

    #[test]
    fn convert_follows_the_reference() {
        assert_eq!(convert_to(&Value::string("12"), AttrType::Int), Value::Int(12));
        assert_eq!(convert_to(&Value::string("12.5"), AttrType::Int), Value::Null);
        assert_eq!(convert_to(&Value::Double(3.0), AttrType::String), Value::string("3.0"));
        assert_eq!(convert_to(&Value::Bool(true), AttrType::Long), Value::Long(1));
    }

    #[test]
    fn uuids_look_right() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
