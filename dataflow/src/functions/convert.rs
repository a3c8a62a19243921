//! Type conversion: `convert(x, 'type')` and `cast(x, 'type')`.
//!
//! `convert` follows the reference's table: strings parse as Java's
//! `Integer.parseInt`, `Long.parseLong`, `Float.parseFloat`, `Double.parseDouble`
//! and `Boolean.parseBoolean` do (so `"12.5"` is not an int: null; `"yes"` is
//! `false`); numbers narrow as Java's casts do (truncating, saturating, NaN to 0);
//! a bool is `1`/`0`; a number is `true` only when it equals 1; anything becomes a
//! string through its Java text (`3.0`, `1.0E10`). Null stays null.
//!
//! `cast` in the reference only re-labels the value (and widens an int to a long);
//! a value of another type then fails further down. Here a numeric value is
//! converted to the numeric target, a value already of the target type passes, a
//! value becomes a string through its Java text, and anything else passes as it is
//! (`cast('x', 'int')` stays the string `x`, as in the reference), so that the
//! operator that then meets it fails the event (`eval::check_operands`) where the
//! reference's throws.

use super::{arity, f, ScalarFn};
use crate::value::Value;
use sluice_frontend::ast::AttrType;

/// The implementation of `cast` or `convert`.
pub fn lookup(name: &str, _arg_types: &[AttrType]) -> Option<ScalarFn> {
    Some(match name {
        "convert" => f(|a, _| {
            let ty = type_arg("convert", a)?;
            Ok(convert_to(&a[0], ty))
        }),
        "cast" => f(|a, _| {
            let ty = type_arg("cast", a)?;
            Ok(cast_to(&a[0], ty))
        }),
        _ => return None,
    })
}

fn type_arg(name: &str, a: &[Value]) -> Result<AttrType, String> {
    match a.get(1) {
        Some(Value::String(t)) if a.len() == 2 => {
            AttrType::parse(t).ok_or(format!("{name}(): '{t}' is not a type (int, long, float, double, string, bool)"))
        }
        _ => Err(format!("{name}() takes a value and a quoted type name")),
    }
}

/// The signature of `cast`/`convert`: the target type comes from the constant
/// second argument.
pub fn signature(name: &str, t: &[AttrType], consts: &[Option<Value>]) -> Option<Result<AttrType, String>> {
    if name != "cast" && name != "convert" {
        return None;
    }
    Some((|| {
        arity(name, t, 2..=2)?;
        let Some(Some(Value::String(s))) = consts.get(1) else {
            return Err(format!("{name}()'s second argument must be a quoted type name"));
        };
        let ty = AttrType::parse(s)
            .filter(|t| *t != AttrType::Object)
            .ok_or(format!("{name}(): '{s}' is not one of int, long, float, double, string, bool"))?;
        if name == "convert" && t[0] == AttrType::Object && ty != AttrType::String {
            return Err("convert() can turn an object only into a string".into());
        }
        Ok(ty)
    })())
}

/// Converts a value to type `ty` as the reference `convert` does (unparsable
/// strings and objects give null).
pub fn convert_to(v: &Value, ty: AttrType) -> Value {
    match (v, ty) {
        (Value::Null, _) => Value::Null,
        (v, AttrType::String) => Value::string(&java_string(v)),
        (Value::String(s), AttrType::Int) => s.parse().map_or(Value::Null, Value::Int),
        (Value::String(s), AttrType::Long) => s.parse().map_or(Value::Null, Value::Long),
        (Value::String(s), AttrType::Float) => parse_java_float(s).map_or(Value::Null, |x| Value::Float(x as f32)),
        (Value::String(s), AttrType::Double) => parse_java_float(s).map_or(Value::Null, Value::Double),
        (Value::String(s), AttrType::Bool) => Value::Bool(s.eq_ignore_ascii_case("true")),
        (Value::Bool(b), AttrType::Int) => Value::Int(*b as i32),
        (Value::Bool(b), AttrType::Long) => Value::Long(*b as i64),
        (Value::Bool(b), AttrType::Float) => Value::Float(*b as i32 as f32),
        (Value::Bool(b), AttrType::Double) => Value::Double(*b as i32 as f64),
        (Value::Bool(b), AttrType::Bool) => Value::Bool(*b),
        (Value::Set(_) | Value::Json(_), _) => Value::Null,
        (v, AttrType::Bool) => Value::Bool(match v {
            Value::Float(x) => *x == 1.0,
            other => other.as_f64() == Some(1.0),
        }),
        (Value::Float(x), AttrType::Int) => Value::Int(*x as i32),
        (Value::Double(x), AttrType::Int) => Value::Int(*x as i32),
        (v, AttrType::Int) => v.as_i64().map_or(Value::Null, |i| Value::Int(i as i32)),
        (Value::Float(x), AttrType::Long) => Value::Long(*x as i64),
        (Value::Double(x), AttrType::Long) => Value::Long(*x as i64),
        (v, AttrType::Long) => v.as_i64().map_or(Value::Null, Value::Long),
        (Value::Int(x), AttrType::Float) => Value::Float(*x as f32),
        (Value::Long(x), AttrType::Float) => Value::Float(*x as f32),
        (Value::Double(x), AttrType::Float) => Value::Float(*x as f32),
        (v, AttrType::Float) => v.clone(),
        (v, AttrType::Double) => v.as_f64().map_or(Value::Null, Value::Double),
        (v, AttrType::Object) => v.clone(),
    }
}

/// `cast`: see the module doc.
pub fn cast_to(v: &Value, ty: AttrType) -> Value {
    match (v, ty) {
        (v, AttrType::Object) => v.clone(),
        (v, t) if v.ty() == Some(t) => v.clone(),
        (v, t) if t.is_numeric() && v.as_f64().is_some() => convert_to(v, t),
        (v, AttrType::String) if !matches!(v, Value::Null) => Value::string(&java_string(v)),
        (v, _) => v.clone(),
    }
}

/// Parses a decimal as Java's `Double.parseDouble`: surrounding whitespace and a
/// trailing `f`/`d` are allowed, `NaN` and `Infinity` are spelled that way.
fn parse_java_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let ok = !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !ok {
        return None;
    }
    body.parse::<f64>().ok().map(|x| sign * x)
}

/// The value's text as Java's `toString` gives it (doubles as `1.0`, `1.0E10`).
pub fn java_string(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_follows_the_reference() {
        assert_eq!(convert_to(&Value::string("12"), AttrType::Int), Value::Int(12));
        assert_eq!(convert_to(&Value::string("12.5"), AttrType::Int), Value::Null);
        assert_eq!(convert_to(&Value::string(" 12"), AttrType::Int), Value::Null);
        assert_eq!(convert_to(&Value::string(" 12.5 "), AttrType::Double), Value::Double(12.5));
        assert_eq!(convert_to(&Value::string("1.5f"), AttrType::Float), Value::Float(1.5));
        assert_eq!(convert_to(&Value::string("inf"), AttrType::Double), Value::Null);
        assert_eq!(convert_to(&Value::string("TRUE"), AttrType::Bool), Value::Bool(true));
        assert_eq!(convert_to(&Value::string("yes"), AttrType::Bool), Value::Bool(false));
        assert_eq!(convert_to(&Value::Double(3.0), AttrType::String), Value::string("3.0"));
        assert_eq!(convert_to(&Value::Double(-3.9), AttrType::Int), Value::Int(-3));
        assert_eq!(convert_to(&Value::Double(1e20), AttrType::Int), Value::Int(i32::MAX));
        assert_eq!(convert_to(&Value::Long(1), AttrType::Bool), Value::Bool(true));
        assert_eq!(convert_to(&Value::Long(2), AttrType::Bool), Value::Bool(false));
        assert_eq!(convert_to(&Value::Bool(true), AttrType::Long), Value::Long(1));
        assert_eq!(convert_to(&Value::Null, AttrType::Long), Value::Null);
    }

    #[test]
    fn cast_relabels() {
        assert_eq!(cast_to(&Value::Int(3), AttrType::Long), Value::Long(3));
        assert_eq!(cast_to(&Value::Double(100.3), AttrType::Double), Value::Double(100.3));
        assert_eq!(cast_to(&Value::Bool(true), AttrType::Double), Value::Bool(true));
        assert_eq!(cast_to(&Value::string("5"), AttrType::Int), Value::string("5"));
        assert_eq!(cast_to(&Value::Bool(true), AttrType::Bool), Value::Bool(true));
    }

    #[test]
    fn signatures_need_a_constant_type() {
        let t = [AttrType::Object, AttrType::String];
        assert_eq!(signature("cast", &t, &[None, Some(Value::string("double"))]).unwrap(), Ok(AttrType::Double));
        assert!(signature("cast", &t, &[None, None]).unwrap().is_err());
        assert!(signature("convert", &t, &[None, Some(Value::string("int"))]).unwrap().is_err());
        assert!(signature("cast", &[AttrType::Object, AttrType::String, AttrType::String], &[]).unwrap().is_err());
    }
}
