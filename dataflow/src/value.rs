//! Attribute values and rows.
//!
//! [`Value`] holds every attribute type of the language plus `Null`. It is
//! `Eq + Ord + Hash` so that it can key groups, partitions and differential
//! collections: floats compare by their total order (`-0.0 < 0.0`, NaN last) and
//! equal only when their bits agree with that order.

use serde::{Deserialize, Serialize};
use sluice_frontend::ast::AttrType;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// One attribute value.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub enum Value {
    /// No value.
    #[default]
    Null,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i32),
    /// `long`
    Long(i64),
    /// `float`
    Float(f32),
    /// `double`
    Double(f64),
    /// `string`
    String(Arc<str>),
    /// `object`: an ordered set of values (what `createSet`/`unionSet` produce).
    Set(Arc<std::collections::BTreeSet<Value>>),
    /// `object`: a JSON object or array (what `json:toObject` produces, and what an
    /// `object` attribute holds when an event brings one). Compared and hashed by
    /// its compact text; serialized as that text.
    Json(#[serde(with = "json_text")] Arc<serde_json::Value>),
}

/// Serializes a JSON value as its text, so that formats without self-description
/// (the dataflow's exchange between workers) can carry it.
mod json_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    /// Writes the JSON as one string.
    pub fn serialize<S: Serializer>(json: &Arc<serde_json::Value>, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&json.to_string())
    }

    /// Reads the JSON back from its string.
    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Arc<serde_json::Value>, D::Error> {
        let text = String::deserialize(input)?;
        serde_json::from_str(&text).map(Arc::new).map_err(serde::de::Error::custom)
    }
}

/// A row: the attribute values of one event, cheap to clone.
pub type Row = Arc<[Value]>;

impl Value {
    /// The attribute type of this value (`None` for null).
    pub fn ty(&self) -> Option<AttrType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => AttrType::Bool,
            Value::Int(_) => AttrType::Int,
            Value::Long(_) => AttrType::Long,
            Value::Float(_) => AttrType::Float,
            Value::Double(_) => AttrType::Double,
            Value::String(_) => AttrType::String,
            Value::Set(_) | Value::Json(_) => AttrType::Object,
        })
    }

    /// The value as `f64`, when numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(*v as f64),
            Value::Long(v) => Some(*v as f64),
            Value::Float(v) => Some(*v as f64),
            Value::Double(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as `i64`, when integral.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v as i64),
            Value::Long(v) => Some(*v),
            _ => None,
        }
    }

    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    /// Converts a JSON value to a value of type `ty`, or says why it cannot.
    pub fn from_json(json: &serde_json::Value, ty: AttrType) -> Result<Value, String> {
        use serde_json::Value as J;
        let bad = || format!("expected {ty}, got {json}");
        Ok(match (ty, json) {
            (_, J::Null) => Value::Null,
            (AttrType::String, J::String(s)) => Value::string(s),
            (AttrType::String, J::Number(n)) => Value::string(&n.to_string()),
            (AttrType::String, J::Bool(b)) => Value::string(&b.to_string()),
            (AttrType::Bool, J::Bool(b)) => Value::Bool(*b),
            (AttrType::Bool, J::String(s)) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                Value::Bool(s.eq_ignore_ascii_case("true"))
            }
            (AttrType::Int, J::Number(n)) => {
                Value::Int(n.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(bad)?)
            }
            (AttrType::Long, J::Number(n)) => Value::Long(n.as_i64().ok_or_else(bad)?),
            (AttrType::Float, J::Number(n)) => Value::Float(n.as_f64().ok_or_else(bad)? as f32),
            (AttrType::Double, J::Number(n)) => Value::Double(n.as_f64().ok_or_else(bad)?),
            (AttrType::Int | AttrType::Long | AttrType::Float | AttrType::Double, J::String(s)) => {
                let n: serde_json::Number = s.trim().parse().map_err(|_| bad())?;
                return Value::from_json(&J::Number(n), ty);
            }
            (AttrType::Object, J::Object(_) | J::Array(_)) => Value::Json(Arc::new(json.clone())),
            (AttrType::Object, J::String(s)) => Value::string(s),
            (AttrType::Object, J::Bool(b)) => Value::Bool(*b),
            (AttrType::Object, J::Number(n)) => match n.as_i64() {
                Some(v) => Value::Long(v),
                None => Value::Double(n.as_f64().ok_or_else(bad)?),
            },
            _ => return Err(bad()),
        })
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(v) => J::from(*v),
            Value::Long(v) => J::from(*v),
            // The shortest text that reads back as the same float (194.3, not
            // 194.3000030517578), as Java prints a float.
            Value::Float(v) => serde_json::Number::from_f64(v.to_string().parse::<f64>().unwrap_or(f64::NAN))
                .map_or(J::Null, J::Number),
            Value::Double(v) => serde_json::Number::from_f64(*v).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.to_string()),
            Value::Set(s) => J::Array(s.iter().map(Value::to_json).collect()),
            Value::Json(j) => (**j).clone(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_) => 2,
            Value::String(_) => 3,
            Value::Set(_) => 4,
            Value::Json(_) => 5,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    /// Numbers compare by value across types (`1 == 1L == 1.0`), exactly (a long
    /// and a double are never rounded to each other), floats by a total order in
    /// which `-0.0 == 0.0` and NaN is greatest; then null < bool < number < string
    /// < set < JSON.
    fn cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Set(a), Value::Set(b)) => a.cmp(b),
            (Value::Json(a), Value::Json(b)) => a.to_string().cmp(&b.to_string()),
            (a, b) if a.rank() == 2 && b.rank() == 2 => cmp_numbers(a, b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

/// Compares two numeric values exactly.
fn cmp_numbers(a: &Value, b: &Value) -> Ordering {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(x), None) => cmp_int_float(x, b.as_f64().unwrap_or(0.0)),
        (None, Some(y)) => cmp_int_float(y, a.as_f64().unwrap_or(0.0)).reverse(),
        (None, None) => cmp_floats(a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0)),
    }
}

/// Total order on doubles where `-0.0 == 0.0` and every NaN is greater than any number.
fn cmp_floats(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ if x == y => Ordering::Equal,
        _ => x.total_cmp(&y),
    }
}

/// Compares an integer with a double without rounding either.
fn cmp_int_float(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    match i.cmp(&(f.trunc() as i64)) {
        Ordering::Equal => 0.0f64.partial_cmp(&f.fract()).unwrap_or(Ordering::Equal),
        o => o,
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            // Equal numbers of different types must hash alike.
            Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_) => match self.as_i64() {
                Some(i) => i.hash(state),
                None => {
                    let f = self.as_f64().unwrap_or(0.0);
                    if f.is_nan() {
                        u64::MAX.hash(state)
                    } else if f.fract() == 0.0 && f.abs() < 9.0e18 {
                        (f as i64).hash(state)
                    } else {
                        f.to_bits().hash(state)
                    }
                }
            },
            Value::String(s) => s.hash(state),
            Value::Set(s) => s.hash(state),
            Value::Json(j) => j.to_string().hash(state),
        }
    }
}

/// Formats a double as Java's `Double.toString` does (`1.0`, `1.0E10`, `NaN`).
pub fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{x:?}");
        if s.contains('.') {
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

/// Formats a float as Java's `Float.toString` does (shortest digits of the `f32`).
pub fn java_float(x: f32) -> String {
    if x.is_finite() && (x.abs() >= 1e-3 && x.abs() < 1e7 || x == 0.0) {
        let s = format!("{x:?}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else if x.is_finite() {
        // Shortest f32 digits in scientific form.
        let s = format!("{x:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') { m.to_string() } else { format!("{m}.0") };
        format!("{m}E{e}")
    } else {
        java_double(x as f64)
    }
}

impl fmt::Display for Value {
    /// Java-style text: what `convert(x, 'string')` and `str:concat` produce.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::Float(v) => f.write_str(&java_float(*v)),
            Value::Double(v) => f.write_str(&java_double(*v)),
            Value::String(s) => f.write_str(s),
            Value::Set(s) => {
                let parts: Vec<String> = s.iter().map(|v| v.to_string()).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Value::Json(j) => write!(f, "{j}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_and_hash_across_types() {
        use std::collections::hash_map::DefaultHasher;
        let h = |v: &Value| {
            let mut s = DefaultHasher::new();
            v.hash(&mut s);
            s.finish()
        };
        assert_eq!(Value::Int(3), Value::Long(3));
        assert_eq!(Value::Double(3.0), Value::Long(3));
        assert_eq!(h(&Value::Double(3.0)), h(&Value::Int(3)));
        assert!(Value::Float(1.5) < Value::Int(2));
        assert!(Value::Null < Value::Bool(false));
        // Exact across integer and floating types.
        assert!(Value::Long((1 << 53) + 1) > Value::Double((1u64 << 53) as f64));
        assert_eq!(Value::Double(-0.0), Value::Int(0));
        assert_eq!(Value::Double(-0.0), Value::Double(0.0));
        assert!(Value::Double(f64::NAN) > Value::Double(f64::INFINITY));
        assert_eq!(Value::Double(f64::NAN), Value::Double(f64::NAN));
        assert_eq!(h(&Value::Double(f64::NAN)), h(&Value::Float(f32::NAN)));
        assert!(Value::Int(2) > Value::Double(1.5));
        assert!(Value::Int(-2) < Value::Double(-1.5));
    }

    #[test]
    fn display_is_java_like() {
        assert_eq!(Value::Double(3.0).to_string(), "3.0");
        assert_eq!(Value::Double(1e10).to_string(), "1.0E10");
        assert_eq!(Value::Float(60.5).to_string(), "60.5");
        // JSON (outputs, the HTTP API) prints a float as Java does, not its widened double.
        assert_eq!(Value::Float(194.3).to_json().to_string(), "194.3");
        assert_eq!(Value::Float(50.0).to_json().to_string(), "50.0");
        assert_eq!(Value::Float(0.1).to_string(), "0.1");
        assert_eq!(Value::Long(7).to_string(), "7");
        assert_eq!(Value::Null.to_string(), "null");
    }

    #[test]
    fn json_is_coerced_to_the_declared_type() {
        let j = serde_json::json!(100);
        assert_eq!(Value::from_json(&j, AttrType::Long).unwrap(), Value::Long(100));
        assert!(matches!(Value::from_json(&j, AttrType::Double).unwrap(), Value::Double(_)));
        assert!(Value::from_json(&serde_json::json!("x"), AttrType::Int).is_err());
        assert!(Value::from_json(&serde_json::json!(1.5), AttrType::Int).is_err());
    }
}
