//! Operators on values with the reference implementation's rules: numeric
//! promotion (int < long < float < double; integer division stays integer),
//! arithmetic with null or division by zero gives null, a comparison with null is
//! false, `not null` is false.

use crate::value::Value;
use sluice_frontend::ast::{AttrType, BinaryOp};
use std::cmp::Ordering;

/// The type two numeric operands promote to.
pub fn promote(a: AttrType, b: AttrType) -> AttrType {
    use AttrType::*;
    match (a, b) {
        (Double, _) | (_, Double) => Double,
        (Float, _) | (_, Float) => Float,
        (Long, _) | (_, Long) => Long,
        _ => Int,
    }
}

/// Applies a binary operator (`and`/`or` treat null as false).
pub fn binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
    match op {
        BinaryOp::And => Value::Bool(*l == Value::Bool(true) && *r == Value::Bool(true)),
        BinaryOp::Or => Value::Bool(*l == Value::Bool(true) || *r == Value::Bool(true)),
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            Value::Bool(compare(op, l, r))
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => arithmetic(op, l, r),
    }
}

fn compare(op: BinaryOp, l: &Value, r: &Value) -> bool {
    if matches!(l, Value::Null) || matches!(r, Value::Null) {
        return false;
    }
    let numeric = l.as_f64().is_some() && r.as_f64().is_some();
    let same_kind = numeric || std::mem::discriminant(l) == std::mem::discriminant(r);
    if !same_kind {
        return op == BinaryOp::Ne;
    }
    let ord = if numeric {
        match (l.as_i64(), r.as_i64()) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => l.as_f64().unwrap_or(0.0).partial_cmp(&r.as_f64().unwrap_or(0.0)).unwrap_or(Ordering::Less),
        }
    } else {
        l.cmp(r)
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
        if op == BinaryOp::Add {
            if let (Value::String(a), Value::String(b)) = (l, r) {
                return Value::string(&format!("{a}{b}"));
            }
        }
        return Value::Null;
    }
    match promote(lt, rt) {
        AttrType::Int => {
            let (a, b) = (l.as_i64().unwrap_or(0) as i32, r.as_i64().unwrap_or(0) as i32);
            match op {
                BinaryOp::Add => Value::Int(a.wrapping_add(b)),
                BinaryOp::Sub => Value::Int(a.wrapping_sub(b)),
                BinaryOp::Mul => Value::Int(a.wrapping_mul(b)),
                BinaryOp::Div => a.checked_div(b).map_or(Value::Null, Value::Int),
                _ => a.checked_rem(b).map_or(Value::Null, Value::Int),
            }
        }
        AttrType::Long => {
            let (a, b) = (l.as_i64().unwrap_or(0), r.as_i64().unwrap_or(0));
            match op {
                BinaryOp::Add => Value::Long(a.wrapping_add(b)),
                BinaryOp::Sub => Value::Long(a.wrapping_sub(b)),
                BinaryOp::Mul => Value::Long(a.wrapping_mul(b)),
                BinaryOp::Div => a.checked_div(b).map_or(Value::Null, Value::Long),
                _ => a.checked_rem(b).map_or(Value::Null, Value::Long),
            }
        }
        AttrType::Float => {
            let (a, b) = (l.as_f64().unwrap_or(0.0) as f32, r.as_f64().unwrap_or(0.0) as f32);
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

/// `not x`: true only for `false`.
pub fn not(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Bool(false),
    }
}

/// `-x` for numbers; null otherwise.
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
    fn promotion_and_nulls() {
        assert_eq!(binary(BinaryOp::Div, &Value::Int(7), &Value::Int(2)), Value::Int(3));
        assert!(matches!(binary(BinaryOp::Add, &Value::Int(1), &Value::Long(2)), Value::Long(3)));
        assert!(matches!(binary(BinaryOp::Mul, &Value::Int(2), &Value::Float(1.5)), Value::Float(_)));
        assert_eq!(binary(BinaryOp::Div, &Value::Long(1), &Value::Long(0)), Value::Null);
        assert_eq!(binary(BinaryOp::Gt, &Value::Null, &Value::Int(1)), Value::Bool(false));
        assert_eq!(binary(BinaryOp::Lt, &Value::Float(60.5), &Value::Int(70)), Value::Bool(true));
    }
}
