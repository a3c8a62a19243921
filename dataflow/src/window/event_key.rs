//! How `frequent` and `lossyFrequent` key an event (the reference's
//! `generateKey`): the texts of the key attributes appended; without key
//! attributes, the texts of the event's *output data* appended. A query's window
//! sees as output data one slot per `select` item (the attribute for a plain
//! attribute, `null` for anything else: `count()`, `price * 2`); a join side's
//! window sees the distinct plain attributes of that side the `select` reads; a
//! named window's events carry all their attributes.

use super::{Extractor, WindowArg};
use crate::value::Value;

/// Where an event's key comes from.
pub(super) enum EventKey {
    /// All the event's values (a named window's output data).
    Row,
    /// The given key attributes.
    Attrs(Vec<Extractor>),
    /// The output data the compiler derived from the query: per slot, the
    /// attribute's position in the row, or `None` for a `null` slot.
    OutputData(Vec<Option<usize>>),
}

impl EventKey {
    /// The key from a window's key arguments (after its constants); `attr`
    /// checks and reads one key attribute.
    pub(super) fn from_args(
        args: &[WindowArg],
        attr: impl Fn(&WindowArg) -> Result<Extractor, String>,
    ) -> Result<EventKey, String> {
        match args {
            [] => Ok(EventKey::Row),
            [WindowArg::OutputData(slots)] => Ok(EventKey::OutputData(slots.clone())),
            _ => Ok(EventKey::Attrs(args.iter().map(attr).collect::<Result<_, _>>()?)),
        }
    }

    /// The event's key: the texts appended (`null` for a null).
    pub(super) fn text(&self, row: &[Value]) -> String {
        let mut text = String::new();
        match self {
            EventKey::Row => row.iter().for_each(|v| text.push_str(&v.to_string())),
            EventKey::Attrs(keys) => keys.iter().for_each(|k| text.push_str(&k(row).to_string())),
            EventKey::OutputData(slots) => slots.iter().for_each(|s| match s.and_then(|p| row.get(p)) {
                Some(v) => text.push_str(&v.to_string()),
                None => text.push_str("null"),
            }),
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, kinds};
    use super::super::{window, WindowArg};
    use super::EventKey;
    use crate::value::Value;

    #[test]
    fn output_data_slots_read_attributes_and_nulls() {
        let key = EventKey::OutputData(vec![Some(1), None, Some(0)]);
        assert_eq!(key.text(&[Value::string("a"), Value::Double(1.0)]), "1.0nulla");
        assert_eq!(EventKey::Row.text(&[Value::string("a"), Value::Int(2)]), "a2");
    }

    #[test]
    fn frequent_keys_by_the_output_data() {
        // `select count()`: one null slot, so every event has the same key and
        // none expires; by the whole row the second key would evict the first.
        let args = [WindowArg::Const(Value::Int(1)), WindowArg::OutputData(vec![None])];
        let mut w = window("frequent", &args, true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, 0), &mut out);
        }
        assert_eq!(kinds(&out), ["+a0", "+b0", "+c0"]);
        // Keyed by the second column (the same for all): still one key.
        let args = [WindowArg::Const(Value::Int(1)), WindowArg::OutputData(vec![Some(1)])];
        let mut w = window("frequent", &args, true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "a", 0), &mut out);
        w.on_event(ev2(1, "b", 0), &mut out);
        w.on_event(ev2(2, "c", 1), &mut out);
        assert_eq!(kinds(&out), ["+a0", "+b0"]);
    }

    #[test]
    fn lossy_frequent_keys_by_the_output_data() {
        // Three different rows, one key: each passes the support threshold.
        let args = [
            WindowArg::Const(Value::Double(0.5)),
            WindowArg::Const(Value::Double(0.1)),
            WindowArg::OutputData(vec![None]),
        ];
        let mut w = window("lossyFrequent", &args, true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, 0), &mut out);
        }
        assert_eq!(kinds(&out), ["+a0", "+b0", "+c0"]);
    }
}
