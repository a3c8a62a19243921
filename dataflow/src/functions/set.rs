//! Sets: `createSet(x)` makes a one-element set (a null argument gives a set
//! holding null, as the reference's `HashSet` does); `sizeOfSet(s)` counts its
//! elements (`0` for null). Sets are `Value::Set`, ordered, so equal sets compare
//! and hash equal; `unionSet` (an aggregate) merges them.

use super::{arity, f, ScalarFn};
use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The implementation of a set function.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    Some(match name {
        "createset" => f(|a, _| {
            let mut s = BTreeSet::new();
            s.insert(a.first().cloned().unwrap_or(Value::Null));
            Ok(Value::Set(Arc::new(s)))
        }),
        "sizeofset" => f(|a, _| match a.first() {
            Some(Value::Set(s)) => Ok(Value::Int(s.len() as i32)),
            Some(Value::Null) | None => Ok(Value::Int(0)),
            Some(other) => Err(format!("sizeOfSet() needs a set, found {other}")),
        }),
        _ => return None,
    })
}

/// The signature of a set function.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    Some(match name {
        "createset" => arity(name, t, 1..=1).and_then(|_| {
            if t[0] == AttrType::Object {
                Err("createSet() needs a value of a primitive type, found object".into())
            } else {
                Ok(AttrType::Object)
            }
        }),
        "sizeofset" => arity(name, t, 1..=1).and_then(|_| {
            if t[0] == AttrType::Object {
                Ok(AttrType::Int)
            } else {
                Err(format!("sizeOfSet() needs a set (object), found {}", t[0]))
            }
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::FnContext;

    #[test]
    fn sets() {
        let ctx = FnContext::default();
        let s = lookup("createset").unwrap()(&[Value::string("a")], &ctx).unwrap();
        assert_eq!(lookup("sizeofset").unwrap()(&[s], &ctx).unwrap(), Value::Int(1));
        assert_eq!(lookup("sizeofset").unwrap()(&[Value::Null], &ctx).unwrap(), Value::Int(0));
        let n = lookup("createset").unwrap()(&[Value::Null], &ctx).unwrap();
        assert_eq!(lookup("sizeofset").unwrap()(&[n], &ctx).unwrap(), Value::Int(1));
        assert!(signature("sizeofset", &[AttrType::Int]).unwrap().is_err());
    }
}
