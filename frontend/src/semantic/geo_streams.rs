//! The checker's view of the `geo:` stream functions (`from S#geo:crosses(…)`):
//! their argument types and the attributes they add to the stream. The
//! dataflow's `query/geo_stream.rs` runs them.

use crate::ast::AttrType;

/// What a `geo:` stream function adds, one attribute per entry.
pub(crate) type Added = Vec<(&'static str, AttrType)>;

/// For stream function `name` (lower-cased) over arguments of `t`: `None` when
/// it is not a `geo:` stream function, else the attributes it adds or what is
/// wrong with the arguments.
pub(crate) fn geo_stream_output(name: &str, t: &[AttrType]) -> Option<Result<Added, String>> {
    use AttrType::{Bool, Double, String as Str};
    let num = |i: usize| t.get(i).is_some_and(|a| a.is_numeric() || *a == AttrType::Object);
    let text = |i: usize| t.get(i).is_some_and(|a| *a == Str || *a == AttrType::Object);
    let long = |i: usize| t.get(i).is_some_and(|a| matches!(a, AttrType::Int | AttrType::Long | AttrType::Object));
    // `(id, longitude, latitude, <last>)` or `(id, geometry string, <last>)`.
    let located = |last: &dyn Fn(usize) -> bool| match t.len() {
        4 => num(1) && num(2) && last(3),
        3 => text(1) && last(2),
        _ => false,
    };
    let (ok, shape, added): (bool, &str, Added) = match name {
        "geo:crosses" => (
            located(&text),
            "(id, longitude, latitude, fence string) or (id, geometry string, fence string)",
            vec![("crosses", Bool)],
        ),
        "geo:stationary" => (
            located(&num),
            "(id, longitude, latitude, radius) or (id, geometry string, radius)",
            vec![("stationary", Bool)],
        ),
        "geo:proximity" => (
            located(&num),
            "(id, longitude, latitude, radius) or (id, geometry string, radius)",
            vec![("proximityWith", Str), ("inCloseProximity", Bool)],
        ),
        "geo:locationapproximate" => (
            t.len() == 7 && num(1) && num(2) && text(3) && text(4) && num(5) && long(6),
            "(location.recorder, latitude, longitude, sensor.proximity string, sensor.uuid string, \
             sensor.weight, timestamp long)",
            vec![("averagedLatitude", Double), ("averagedLongitude", Double), ("averageExist", Bool)],
        ),
        "geo:closestpoints" => (
            t.len() == 3 && num(0) && num(1) && text(2),
            "(longitude, latitude, fence string)",
            vec![
                ("closestPointOf1From2Latitude", Double),
                ("closestPointOf1From2Longitude", Double),
                ("closestPointOf2From1Latitude", Double),
                ("closestPointOf2From1Longitude", Double),
            ],
        ),
        _ => return None,
    };
    if ok {
        Some(Ok(added))
    } else {
        let shown: Vec<&str> = t.iter().map(|a| a.name()).collect();
        Some(Err(format!("#{name} takes {shape}, found ({})", shown.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttrType::*;

    #[test]
    fn shapes() {
        assert!(geo_stream_output("geo:crosses", &[String, Double, Double, String]).unwrap().is_ok());
        assert!(geo_stream_output("geo:crosses", &[Int, String, String]).unwrap().is_ok());
        assert!(geo_stream_output("geo:crosses", &[String, Double, String]).unwrap().is_err());
        assert_eq!(geo_stream_output("geo:proximity", &[String, Double, Double, Double]).unwrap().unwrap().len(), 2);
        assert!(geo_stream_output("geo:stationary", &[String, String, String]).unwrap().is_err());
        let beacon = [String, Double, Double, String, String, Double, Long];
        assert!(geo_stream_output("geo:locationapproximate", &beacon).unwrap().is_ok());
        assert!(geo_stream_output("geo:locationapproximate", &beacon[..6]).unwrap().is_err());
        assert!(geo_stream_output("geo:closestpoints", &[Double, Double, String]).unwrap().is_ok());
        assert!(geo_stream_output("geo:nope", &[]).is_none());
    }
}
