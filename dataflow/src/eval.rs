//! Operators on values with the reference implementation's rules.
//!
//! * Arithmetic promotes both operands to the wider type (int < long < float <
//!   double); integer division and modulo stay integral (truncating, as Java's);
//!   integer overflow wraps as Java's does.
//! * Arithmetic with a null operand is null; division or modulo by zero is null
//!   for every type (the reference checks the divisor before dividing, floats too).
//! * A comparison with a null operand is false — `!=` included.
//! * Numbers of different types compare in the wider type: an int or long against
//!   a float compares in `f32` precision, anything against a double in `f64`.
//! * `and`/`or` treat null as false; `not null` is **true** (the reference's `not`
//!   is "anything but TRUE").

use crate::value::Value;
use sluice_frontend::ast::{AttrType, BinaryOp};
use std::cmp::Ordering;

/// The type two numeric operands promote to (int < long < float < double).
pub fn promote(a: AttrType, b: AttrType) -> AttrType {
    use AttrType::*;
    match (a, b) {
        (Double, _) | (_, Double) => Double,
        (Float, _) | (_, Float) => Float,
        (Long, _) | (_, Long) => Long,
        _ => Int,
    }
}

/// The result type of `l op r`, or why the operands do not fit (for a checker).
pub fn binary_type(op: BinaryOp, l: AttrType, r: AttrType) -> Result<AttrType, String> {
    let sym = op.symbol();
    match op {
        BinaryOp::And | BinaryOp::Or => {
            if l == AttrType::Bool && r == AttrType::Bool {
                Ok(AttrType::Bool)
            } else {
                Err(format!("'{sym}' needs bool operands, found {l} and {r}"))
            }
        }
        BinaryOp::Eq | BinaryOp::Ne => {
            let ok = (l.is_numeric() && r.is_numeric())
                || (l == r && matches!(l, AttrType::String | AttrType::Bool))
                || l == AttrType::Object
                || r == AttrType::Object;
            if ok {
                Ok(AttrType::Bool)
            } else {
                Err(format!("cannot compare {l} with {r} using '{sym}'"))
            }
        }
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            if l.is_numeric() && r.is_numeric() {
                Ok(AttrType::Bool)
            } else {
                Err(format!("'{sym}' needs numeric operands, found {l} and {r}"))
            }
        }
        _ => {
            if l.is_numeric() && r.is_numeric() {
                Ok(promote(l, r))
            } else {
                Err(format!("'{sym}' needs numeric operands, found {l} and {r}"))
            }
        }
    }
}

/// Applies a binary operator to two evaluated operands.
pub fn binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
    match op {
        BinaryOp::And => Value::Bool(is_true(l) && is_true(r)),
        BinaryOp::Or => Value::Bool(is_true(l) || is_true(r)),
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            Value::Bool(compare(op, l, r))
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => arithmetic(op, l, r),
    }
}

/// Raises an error on the event ([`crate::query::expr::raise`]) when an operand of
/// arithmetic or of an ordering (`<`, `<=`, `>`, `>=`) is neither null nor a
/// number. The checker only lets numbers there, so such a value is one a `cast`
/// relabelled without converting it; the reference throws a
/// `ClassCastException` on it.
pub fn check_operands(op: BinaryOp, l: &Value, r: &Value) {
    let numeric_op = matches!(
        op,
        BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Mod
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
    );
    if !numeric_op {
        return;
    }
    for v in [l, r] {
        if let Some(t) = v.ty().filter(|t| !t.is_numeric()) {
            crate::query::expr::raise(|| format!("'{}' needs numbers, found {t} '{v}'", op.symbol()));
            return;
        }
    }
}

/// Whether a value is `true` (null and false are not).
pub fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// How two non-null values order, as the reference's typed comparators do; `None`
/// when they cannot be compared (different non-numeric types).
pub fn compare_values(l: &Value, r: &Value) -> Option<Ordering> {
    let (lt, rt) = (l.ty()?, r.ty()?);
    if lt.is_numeric() && rt.is_numeric() {
        return Some(match promote(lt, rt) {
            AttrType::Int | AttrType::Long => l.as_i64()?.cmp(&r.as_i64()?),
            AttrType::Float => {
                let (a, b) = (as_f32(l)?, as_f32(r)?);
                a.partial_cmp(&b)?
            }
            _ => l.as_f64()?.partial_cmp(&r.as_f64()?)?,
        });
    }
    match (l, r) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Set(a), Value::Set(b)) => Some(a.cmp(b)),
        (Value::Json(a), Value::Json(b)) => Some(a.to_string().cmp(&b.to_string())),
        _ => None,
    }
}

/// A numeric value in `f32` precision (Java's widening of int/long to float).
fn as_f32(v: &Value) -> Option<f32> {
    Some(match v {
        Value::Int(x) => *x as f32,
        Value::Long(x) => *x as f32,
        Value::Float(x) => *x,
        Value::Double(x) => *x as f32,
        _ => return None,
    })
}

fn compare(op: BinaryOp, l: &Value, r: &Value) -> bool {
    // As the reference's compare executors: with a null operand only `!=` holds
    // (`null != null` too, NotEqualCompareConditionExpressionExecutor).
    if matches!(l, Value::Null) || matches!(r, Value::Null) {
        return op == BinaryOp::Ne;
    }
    let Some(ord) = compare_values(l, r) else {
        // NaN or unlike types: only `!=` holds.
        return op == BinaryOp::Ne;
    };
    match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Ne => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Le => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        BinaryOp::Ge => ord != Ordering::Less,
        _ => false,
    }
}

fn arithmetic(op: BinaryOp, l: &Value, r: &Value) -> Value {
    let (Some(lt), Some(rt)) = (l.ty(), r.ty()) else {
        return Value::Null;
    };
    if !lt.is_numeric() || !rt.is_numeric() {
        return Value::Null;
    }
    match promote(lt, rt) {
        AttrType::Int => {
            let (a, b) = (l.as_i64().unwrap_or(0) as i32, r.as_i64().unwrap_or(0) as i32);
            match op {
                BinaryOp::Add => Value::Int(a.wrapping_add(b)),
                BinaryOp::Sub => Value::Int(a.wrapping_sub(b)),
                BinaryOp::Mul => Value::Int(a.wrapping_mul(b)),
                _ if b == 0 => Value::Null,
                BinaryOp::Div => Value::Int(a.wrapping_div(b)),
                _ => Value::Int(a.wrapping_rem(b)),
            }
        }
        AttrType::Long => {
            let (a, b) = (l.as_i64().unwrap_or(0), r.as_i64().unwrap_or(0));
            match op {
                BinaryOp::Add => Value::Long(a.wrapping_add(b)),
                BinaryOp::Sub => Value::Long(a.wrapping_sub(b)),
                BinaryOp::Mul => Value::Long(a.wrapping_mul(b)),
                _ if b == 0 => Value::Null,
                BinaryOp::Div => Value::Long(a.wrapping_div(b)),
                _ => Value::Long(a.wrapping_rem(b)),
            }
        }
        AttrType::Float => {
            let (a, b) = (as_f32(l).unwrap_or(0.0), as_f32(r).unwrap_or(0.0));
            match op {
                BinaryOp::Add => Value::Float(a + b),
                BinaryOp::Sub => Value::Float(a - b),
                BinaryOp::Mul => Value::Float(a * b),
                _ if b == 0.0 => Value::Null,
                BinaryOp::Div => Value::Float(a / b),
                _ => Value::Float(a % b),
            }
        }
        _ => {
            let (a, b) = (l.as_f64().unwrap_or(0.0), r.as_f64().unwrap_or(0.0));
            match op {
                BinaryOp::Add => Value::Double(a + b),
                BinaryOp::Sub => Value::Double(a - b),
                BinaryOp::Mul => Value::Double(a * b),
                _ if b == 0.0 => Value::Null,
                BinaryOp::Div => Value::Double(a / b),
                _ => Value::Double(a % b),
            }
        }
    }
}

/// `not x`: false only for `true` — `not null` is true, as in the reference.
pub fn not(v: &Value) -> Value {
    Value::Bool(!is_true(v))
}

/// `-x` for numbers (integers wrap); null otherwise.
pub fn neg(v: &Value) -> Value {
    match v {
        Value::Int(x) => Value::Int(x.wrapping_neg()),
        Value::Long(x) => Value::Long(x.wrapping_neg()),
        Value::Float(x) => Value::Float(-x),
        Value::Double(x) => Value::Double(-x),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion() {
        assert_eq!(binary(BinaryOp::Div, &Value::Int(7), &Value::Int(2)), Value::Int(3));
        assert_eq!(binary(BinaryOp::Div, &Value::Int(-7), &Value::Int(2)), Value::Int(-3));
        assert_eq!(binary(BinaryOp::Mod, &Value::Int(-7), &Value::Int(2)), Value::Int(-1));
        assert!(matches!(binary(BinaryOp::Add, &Value::Int(1), &Value::Long(2)), Value::Long(3)));
        assert!(matches!(binary(BinaryOp::Mul, &Value::Int(2), &Value::Float(1.5)), Value::Float(_)));
        assert!(matches!(binary(BinaryOp::Mul, &Value::Long(2), &Value::Float(1.5)), Value::Float(_)));
        assert!(matches!(binary(BinaryOp::Add, &Value::Float(2.0), &Value::Double(1.5)), Value::Double(_)));
        assert!(matches!(binary(BinaryOp::Add, &Value::Int(i32::MAX), &Value::Int(1)), Value::Int(i32::MIN)));
        assert_eq!(binary_type(BinaryOp::Add, AttrType::Int, AttrType::Long), Ok(AttrType::Long));
        assert!(binary_type(BinaryOp::Lt, AttrType::String, AttrType::Int).is_err());
    }

    #[test]
    fn nulls_and_zero_divisors() {
        assert_eq!(binary(BinaryOp::Div, &Value::Long(1), &Value::Long(0)), Value::Null);
        assert_eq!(binary(BinaryOp::Div, &Value::Double(1.0), &Value::Double(0.0)), Value::Null);
        assert_eq!(binary(BinaryOp::Mod, &Value::Int(1), &Value::Int(0)), Value::Null);
        assert_eq!(binary(BinaryOp::Add, &Value::Null, &Value::Int(1)), Value::Null);
        assert_eq!(binary(BinaryOp::Gt, &Value::Null, &Value::Int(1)), Value::Bool(false));
        assert_eq!(binary(BinaryOp::Ne, &Value::Null, &Value::Int(1)), Value::Bool(true));
        assert_eq!(binary(BinaryOp::Ne, &Value::Null, &Value::Null), Value::Bool(true));
        assert_eq!(binary(BinaryOp::Eq, &Value::Null, &Value::Null), Value::Bool(false));
        assert_eq!(binary(BinaryOp::Or, &Value::Null, &Value::Bool(true)), Value::Bool(true));
        assert_eq!(binary(BinaryOp::And, &Value::Null, &Value::Bool(true)), Value::Bool(false));
        assert_eq!(not(&Value::Null), Value::Bool(true));
        assert_eq!(not(&Value::Bool(true)), Value::Bool(false));
    }

    #[test]
    fn relabelled_operands_fail_the_event() {
        use crate::query::expr::take_error;
        take_error();
        check_operands(BinaryOp::Add, &Value::Int(1), &Value::Null);
        check_operands(BinaryOp::Eq, &Value::string("x"), &Value::Int(1));
        assert_eq!(take_error(), None);
        check_operands(BinaryOp::Gt, &Value::string("x"), &Value::Int(1));
        assert_eq!(take_error().as_deref(), Some("'>' needs numbers, found string 'x'"));
        check_operands(BinaryOp::Mul, &Value::Int(1), &Value::Bool(true));
        assert_eq!(take_error().as_deref(), Some("'*' needs numbers, found bool 'true'"));
    }

    #[test]
    fn comparisons_across_types() {
        assert_eq!(binary(BinaryOp::Lt, &Value::Float(60.5), &Value::Int(70)), Value::Bool(true));
        assert_eq!(binary(BinaryOp::Eq, &Value::Int(3), &Value::Double(3.0)), Value::Bool(true));
        // int against float compares in f32 precision, as Java widens it.
        assert_eq!(binary(BinaryOp::Eq, &Value::Int(16_777_217), &Value::Float(16_777_216.0)), Value::Bool(true));
        assert_eq!(binary(BinaryOp::Eq, &Value::string("a"), &Value::string("a")), Value::Bool(true));
        assert_eq!(binary(BinaryOp::Ne, &Value::Bool(true), &Value::Bool(false)), Value::Bool(true));
    }
}
