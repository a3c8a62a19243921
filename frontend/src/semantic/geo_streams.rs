//! The checker's view of the `geo:` stream functions (`from S#geo:crosses(…)`):
//! their argument types and the attributes they add to the stream. The
//! dataflow's `query/geo_stream.rs` runs them.

use crate::ast::AttrType;

/// What a `geo:` stream function adds, one attribute per entry.
pub(crate) type Added = Vec<(&'static str, AttrType)>;

/// For stream function `name` (lower-cased) over arguments of `t`: `None` when
/// it is not a `geo:` stream function, else the attributes it adds, and what is
/// wrong with the arguments if anything (the attributes are added all the same,
/// so that the query's other references to them are not reported too).
pub(crate) fn geo_stream_output(name: &str, t: &[AttrType]) -> Option<(Added, Option<String>)> {
    use AttrType::{Bool, Double, String as Str};
    let num = |i: usize| t.get(i).is_some_and(|a| a.is_numeric() || *a == AttrType::Object);
    let text = |i: usize| t.get(i).is_some_and(|a| *a == Str || *a == AttrType::Object);
    let long = |i: usize| t.get(i).is_some_and(|a| matches!(a, AttrType::Int | AttrType::Long | AttrType::Object));
    // `(id, longitude, latitude, <last>)` or `(id, geometry string, <last>)`.
    let located = |last: &dyn Fn(usize) -> bool| match t.len() {
        4 if !text(1) => num(1) && num(2) && last(3),
        3 => text(1) && last(2),
        _ => false,
    };
    // The same with a fence before the radius, as Macrometa's syntax writes it
    // (the extension reads the fence and does not use it).
    let with_radius = located(&num)
        || match t.len() {
            5 => num(1) && num(2) && text(3) && num(4),
            4 => text(1) && text(2) && num(3),
            _ => false,
        };
    let (ok, shape, added): (bool, &str, Added) = match name {
        "geo:crosses" => (
            located(&text),
            "(id, longitude, latitude, fence string) or (id, geometry string, fence string)",
            vec![("crosses", Bool)],
        ),
        "geo:stationary" => (
            with_radius,
            "(id, longitude, latitude, [fence string,] radius) or (id, geometry string, [fence string,] radius)",
            vec![("stationary", Bool)],
        ),
        "geo:proximity" => (
            with_radius,
            "(id, longitude, latitude, [fence string,] radius) or (id, geometry string, [fence string,] radius)",
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
    let shown: Vec<&str> = t.iter().map(|a| a.name()).collect();
    let spelled = match name {
        "geo:locationapproximate" => "geo:locationApproximate",
        "geo:closestpoints" => "geo:closestPoints",
        other => other,
    };
    let wrong = (!ok).then(|| format!("#{spelled} takes {shape}, found ({})", shown.join(", ")));
    Some((added, wrong))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttrType::*;

    #[test]
    fn shapes() {
        let ok = |name: &str, t: &[AttrType]| geo_stream_output(name, t).unwrap().1.is_none();
        assert!(ok("geo:crosses", &[String, Double, Double, String]));
        assert!(ok("geo:crosses", &[Int, String, String]));
        assert!(!ok("geo:crosses", &[String, Double, String]));
        assert_eq!(geo_stream_output("geo:proximity", &[String, Double, Double, Double]).unwrap().0.len(), 2);
        assert!(ok("geo:proximity", &[String, Double, Double, String, Double]));
        assert!(ok("geo:stationary", &[String, String, String, Double]));
        assert!(!ok("geo:stationary", &[String, String, Double, Double]));
        assert!(!ok("geo:stationary", &[String, String, String]));
        let beacon = [String, Double, Double, String, String, Double, Long];
        assert!(ok("geo:locationapproximate", &beacon));
        assert!(!ok("geo:locationapproximate", &beacon[..6]));
        assert!(ok("geo:closestpoints", &[Double, Double, String]));
        assert!(geo_stream_output("geo:nope", &[]).is_none());
    }
}
