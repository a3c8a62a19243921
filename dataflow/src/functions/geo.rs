//! The `geo:` functions, with the semantics of Siddhi's geo extension
//! (siddhi-gpl-execution-geo, as Macrometa documents it): geometry given as a
//! longitude and a latitude, or as GeoJSON text, tested against a GeoJSON fence.
//!
//! * `geo:distance(lat1, lon1, lat2, lon2)`: metres between two points, by the
//!   haversine formula on a sphere of radius 6,371,000 m, the extension's formula
//!   and radius ([`distance_m`]).
//! * `geo:within` / `geo:contains(lon, lat, fence)` or `(geometry, fence)`: the
//!   geometry lies within the fence (`contains` is Macrometa's name for the
//!   extension's `within`); `geo:intersects`, `geo:disjoint`, `geo:equals`
//!   (topological equality), `geo:overlaps`, `geo:touches`: the DE-9IM predicate of
//!   the geometry against the fence, computed by the `geo` crate's `Relate`.
//! * `geo:withinDistance(lon, lat, fence, radius)` or `(geometry, fence, radius)`:
//!   the planar distance between the two, in degrees, is at most `radius` metres
//!   over 110,574.61087757687 m a degree ([`TO_DEGREE`]), as the extension measures.
//!
//! GeoJSON text may quote with `'` (read as `"`), as the extension allows. Text
//! holding the word `radius` is a circle, `{'type':'Circle', 'radius': r,
//! 'coordinates':[lon, lat]}`: the extension's JTS buffer of the point by `r /
//! TO_DEGREE` degrees, a 32-sided polygon here as there ([`circle`]). Text that is
//! not a geometry, or a null argument, is an error on the event (the query's
//! `@OnError` decides what follows).
//!
//! Where results may differ from the extension's: `geo:distance` follows the same
//! formula in the same order of operations, so it agrees to the last digit or two
//! (Java's `Math.sin`/`atan2` and Rust's may round the last bit differently).
//! The predicates are exact on the input coordinates in both libraries (robust
//! orientation tests), so they agree except where a circle's edge meets another
//! geometry's vertex within rounding, since JTS's and this buffer's vertices may
//! differ in their last bits.

use super::{arg_is, arity, FnContext, ScalarFn, NUMERIC};
use crate::value::Value;
use geo::relate::IntersectionMatrix;
use geo::{Coord, Distance, Euclidean, Geometry, HasDimensions, LineString, Point, Polygon, Relate};
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

/// Metres in one degree, by which the extension turns a radius into degrees.
pub const TO_DEGREE: f64 = 110574.61087757687;

/// The radius of the earth the extension's `geo:distance` uses (m).
const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// Segments of a circle's polygon (JTS's buffer: 8 a quadrant).
const CIRCLE_SEGMENTS: usize = 32;

/// The predicate functions, by lower-cased name.
const PREDICATES: [&str; 7] = ["within", "contains", "intersects", "disjoint", "equals", "overlaps", "touches"];

/// The implementation of `geo:` function `name` (lower-cased), if it exists.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let short = name.strip_prefix("geo:")?;
    if short == "distance" {
        return Some(Arc::new(|a: &[Value], _: &FnContext| distance(a)));
    }
    if short == "withindistance" {
        return Some(Arc::new(|a: &[Value], _: &FnContext| within_distance(a)));
    }
    let test: fn(&IntersectionMatrix) -> bool = match short {
        "within" | "contains" => IntersectionMatrix::is_within,
        "intersects" => IntersectionMatrix::is_intersects,
        "disjoint" => IntersectionMatrix::is_disjoint,
        "equals" => IntersectionMatrix::is_equal_topo,
        "overlaps" => IntersectionMatrix::is_overlaps,
        "touches" => IntersectionMatrix::is_touches,
        _ => return None,
    };
    let label = format!("geo:{short}");
    Some(Arc::new(move |a: &[Value], _: &FnContext| {
        let (geometry, next) = operand(a, 0, &label)?;
        let fence = fence(a, next, &label)?;
        Ok(Value::Bool(test(&geometry.relate(&fence))))
    }))
}

/// The result type of `geo:` function `name` over `t`, or what is wrong.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    let short = name.strip_prefix("geo:")?;
    let fn_name = format!("geo:{short}");
    let checked = match short {
        "distance" => arity(&fn_name, t, 4..=4).and_then(|_| (0..4).try_for_each(|i| arg_is(&fn_name, t, i, &NUMERIC))),
        "withindistance" => operand_types(&fn_name, t, 1).and_then(|_| arg_is(&fn_name, t, t.len() - 1, &NUMERIC)),
        s if PREDICATES.contains(&s) => operand_types(&fn_name, t, 0),
        _ => return None,
    };
    Some(checked.map(|_| if short == "distance" { AttrType::Double } else { AttrType::Bool }))
}

/// Checks `(lon number, lat number, fence string, …)` or `(geometry string, fence
/// string, …)` with `extra` arguments after the fence (typed by the caller).
pub fn operand_types(name: &str, t: &[AttrType], extra: usize) -> Result<(), String> {
    let point = t.first().is_some_and(|a| NUMERIC.contains(a));
    let want = if point { 3 + extra } else { 2 + extra };
    let shape = match (point, extra) {
        (true, 0) => "(longitude, latitude, fence string)",
        (false, 0) => "(geometry string, fence string)",
        (true, _) => "(longitude, latitude, fence string, radius)",
        (false, _) => "(geometry string, fence string, radius)",
    };
    if t.len() != want {
        return Err(format!("{name}() takes {shape}, found {} arguments", t.len()));
    }
    let (first, fence_at) = if point { (&NUMERIC[..], 2) } else { (&[AttrType::String][..], 1) };
    arg_is(name, t, 0, first)?;
    if point {
        arg_is(name, t, 1, &NUMERIC)?;
    }
    arg_is(name, t, fence_at, &[AttrType::String])
}

/// `geo:distance(lat1, lon1, lat2, lon2)`.
fn distance(a: &[Value]) -> Result<Value, String> {
    let mut v = [0.0; 4];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = number(a, i, "geo:distance")?;
    }
    Ok(Value::Double(distance_m(v[0], v[1], v[2], v[3])))
}

/// Metres between two points given in degrees, as the extension computes them
/// (haversine, radius 6,371 km, the same order of operations).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let rad = std::f64::consts::PI / 180.0;
    let (lat1, lat2, lon1, lon2) = (lat1 * rad, lat2 * rad, lon1 * rad, lon2 * rad);
    let (dlon, dlat) = (lon2 - lon1, lat2 - lat1);
    let a = (dlat / 2.0).sin() * (dlat / 2.0).sin() + lat1.cos() * lat2.cos() * (dlon / 2.0).sin() * (dlon / 2.0).sin();
    let c = 2.0 * a.sqrt().atan2((1.0 - a).sqrt());
    EARTH_RADIUS_M * c
}

/// `geo:withinDistance(…, radius)`.
fn within_distance(a: &[Value]) -> Result<Value, String> {
    let label = "geo:withinDistance";
    let (geometry, next) = operand(a, 0, label)?;
    let fence = fence(a, next, label)?;
    let radius = number(a, next + 1, label)?;
    Ok(Value::Bool(within_degrees(&geometry, &fence, radius)))
}

/// Whether `a` and `b` are at most `radius_m` metres apart, measured as the
/// extension does (planar distance in degrees against `radius_m / TO_DEGREE`).
/// An empty geometry is near nothing.
pub fn within_degrees(a: &Geometry<f64>, b: &Geometry<f64>, radius_m: f64) -> bool {
    !a.is_empty() && !b.is_empty() && Euclidean.distance(a, b) <= radius_m / TO_DEGREE
}

/// The geometry the arguments give from position `at`: a point from two numbers
/// (longitude, latitude) or GeoJSON text; and the position after it.
pub fn operand(a: &[Value], at: usize, label: &str) -> Result<(Geometry<f64>, usize), String> {
    match a.get(at) {
        Some(Value::String(text)) => Ok((parse_geometry(text)?, at + 1)),
        _ => {
            let lon = number(a, at, label)?;
            let lat = number(a, at + 1, label)?;
            Ok((Geometry::Point(Point::new(lon, lat)), at + 2))
        }
    }
}

/// The fence at position `at`: GeoJSON text.
pub fn fence(a: &[Value], at: usize, label: &str) -> Result<Geometry<f64>, String> {
    match a.get(at) {
        Some(Value::String(text)) => parse_geometry(text),
        Some(Value::Null) | None => Err(format!("{label}: argument {} (the fence) is null", at + 1)),
        Some(v) => Err(format!("{label}: argument {} must be GeoJSON text, found {v}", at + 1)),
    }
}

/// The number at position `at`, or an error naming it.
pub fn number(a: &[Value], at: usize, label: &str) -> Result<f64, String> {
    match a.get(at) {
        Some(v) => v.as_f64().ok_or_else(|| format!("{label}: argument {} must be a number, found {v}", at + 1)),
        None => Err(format!("{label}: argument {} is missing", at + 1)),
    }
}

/// A geometry from GeoJSON text (`'` read as `"`), or a circle from text that
/// holds the word `radius`, as the extension reads them.
pub fn parse_geometry(text: &str) -> Result<Geometry<f64>, String> {
    let json = text.replace('\'', "\"");
    let bad = |e: &dyn std::fmt::Display| format!("'{text}' is not a GeoJSON geometry: {e}");
    if text.contains("radius") {
        let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| bad(&e))?;
        let num = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_f64);
        let coords = v.get("coordinates");
        let (Some(lon), Some(lat), Some(radius)) =
            (num(coords.and_then(|c| c.get(0))), num(coords.and_then(|c| c.get(1))), num(v.get("radius")))
        else {
            return Err(bad(&"a circle needs 'coordinates':[longitude, latitude] and a numeric 'radius'"));
        };
        return Ok(Geometry::Polygon(circle(lon, lat, radius / TO_DEGREE)));
    }
    let g: geojson::Geometry = json.parse().map_err(|e| bad(&e))?;
    Geometry::<f64>::try_from(g).map_err(|e| bad(&e))
}

/// The polygon of a circle around (`x`, `y`) of radius `r` (degrees), with
/// [`CIRCLE_SEGMENTS`] sides, from angle 0 round, as JTS buffers a point; empty
/// when `r` is not above 0, as JTS's buffer of a point is.
pub fn circle(x: f64, y: f64, r: f64) -> Polygon<f64> {
    if r.is_nan() || r <= 0.0 {
        return Polygon::new(LineString::new(Vec::new()), Vec::new());
    }
    let step = 2.0 * std::f64::consts::PI / CIRCLE_SEGMENTS as f64;
    let mut ring: Vec<Coord<f64>> = (0..CIRCLE_SEGMENTS)
        .map(|i| {
            let angle = -(i as f64) * step;
            Coord { x: x + r * angle.cos(), y: y + r * angle.sin() }
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::new(ring), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::call_for_test;

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    const SQUARE: &str = "{'type':'Polygon','coordinates':[[[0, 0],[0, 1],[1, 1],[1, 0],[0, 0]]]}";
    const SHIFTED: &str = "{'type':'Polygon','coordinates':[[[0.5, 0.5],[0.5, 1.5],[1.5, 1.5],[1.5, 0.5],[0.5, 0.5]]]}";
    const FAR: &str = "{'type':'Polygon','coordinates':[[[10, 10],[10, 11],[11, 11],[11, 10],[10, 10]]]}";

    #[test]
    fn documented_predicates() {
        let b = |name: &str, args: &[Value]| call_for_test(name, args).unwrap();
        let half = [Value::Double(0.5), Value::Double(0.5)];
        let tall = "{'type':'Polygon','coordinates':[[[0,0],[0,2],[1,2],[1,0],[0,0]]]}";
        assert_eq!(b("geo:contains", &[half[0].clone(), half[1].clone(), s(tall)]), Value::Bool(true));
        let circle = "{'type': 'Circle', 'radius': 110575, 'coordinates':[1.5, 1.5]}";
        let big = "{'type':'Polygon','coordinates':[[[0,0],[0,4],[3,4],[3,0],[0,0]]]}";
        assert_eq!(b("geo:contains", &[s(circle), s(big)]), Value::Bool(true));
        assert_eq!(b("geo:within", &[s(circle), s(big)]), Value::Bool(true));
        assert_eq!(b("geo:intersects", &[s(SHIFTED), s(SQUARE)]), Value::Bool(true));
        assert_eq!(b("geo:intersects", &[half[0].clone(), half[1].clone(), s(SQUARE)]), Value::Bool(true));
        assert_eq!(b("geo:disjoint", &[s(SHIFTED), s(FAR)]), Value::Bool(true));
        let outside = [Value::Double(10.5), Value::Double(20.5), s(SQUARE)];
        assert_eq!(b("geo:disjoint", &outside), Value::Bool(true));
        assert_eq!(b("geo:equals", &[s(SHIFTED), s(FAR)]), Value::Bool(false));
        assert_eq!(b("geo:equals", &[s(SQUARE), s(SQUARE)]), Value::Bool(true));
        assert_eq!(b("geo:equals", &outside), Value::Bool(false));
        assert_eq!(b("geo:overlaps", &[s(SHIFTED), s(SQUARE)]), Value::Bool(true));
        assert_eq!(b("geo:overlaps", &outside), Value::Bool(false));
        assert_eq!(b("geo:touches", &[s(SHIFTED), s(FAR)]), Value::Bool(false));
        assert_eq!(b("geo:touches", &[Value::Double(1.0), Value::Double(0.5), s(SQUARE)]), Value::Bool(true));
        assert_eq!(b("geo:touches", &outside), Value::Bool(false));
        let r = Value::Double(TO_DEGREE);
        assert_eq!(
            b("geo:withinDistance", &[half[0].clone(), half[1].clone(), s(SQUARE), r.clone()]),
            Value::Bool(true)
        );
        assert_eq!(b("geo:withinDistance", &[s(SHIFTED), s(SQUARE), r.clone()]), Value::Bool(true));
        let away = [Value::Double(2.5), Value::Double(0.5), s(SQUARE), r];
        assert_eq!(b("geo:withinDistance", &away), Value::Bool(false));
    }

    #[test]
    fn distance_is_the_extensions_haversine() {
        // The extension's unit test: 2322119.848252557 m.
        let d = distance_m(8.116553, 77.523679, 9.850047, 98.597177);
        assert!((d - 2322119.848252557).abs() < 1e-6, "{d}");
        assert_eq!(distance_m(1.0, 2.0, 1.0, 2.0), 0.0);
    }

    #[test]
    fn bad_text_and_null_are_errors() {
        let bad = call_for_test("geo:intersects", &[s("{'type':'Polygon'"), s(SQUARE)]);
        assert!(bad.unwrap_err().contains("not a GeoJSON geometry"));
        let null = call_for_test("geo:contains", &[Value::Null, Value::Double(1.0), s(SQUARE)]);
        assert!(null.is_err());
        let circle = call_for_test("geo:contains", &[s("{'radius': 'x'}"), s(SQUARE)]);
        assert!(circle.is_err());
    }

    #[test]
    fn empty_geometries_are_near_nothing() {
        let empty = "{'type':'Polygon','coordinates':[]}";
        let far = Value::Double(1e9);
        let near =
            call_for_test("geo:withinDistance", &[Value::Double(0.5), Value::Double(0.5), s(empty), far.clone()]);
        assert_eq!(near, Ok(Value::Bool(false)));
        let shrunk = "{'type':'Circle','radius':-5,'coordinates':[0,0]}";
        assert_eq!(call_for_test("geo:withinDistance", &[s(shrunk), s(SQUARE), far]), Ok(Value::Bool(false)));
        assert_eq!(call_for_test("geo:intersects", &[s(shrunk), s(SQUARE)]), Ok(Value::Bool(false)));
    }

    #[test]
    fn signatures() {
        use AttrType::*;
        assert_eq!(signature("geo:distance", &[Double, Double, Double, Int]), Some(Ok(Double)));
        assert!(signature("geo:distance", &[Double, Double, Double]).unwrap().is_err());
        assert_eq!(signature("geo:touches", &[Double, Double, String]), Some(Ok(Bool)));
        assert_eq!(signature("geo:touches", &[String, String]), Some(Ok(Bool)));
        assert!(signature("geo:touches", &[String, Double]).unwrap().is_err());
        assert!(signature("geo:touches", &[Double, String]).unwrap().is_err());
        assert_eq!(signature("geo:withindistance", &[String, String, Double]), Some(Ok(Bool)));
        assert!(signature("geo:withindistance", &[String, String, String]).unwrap().is_err());
        assert!(signature("geo:nope", &[]).is_none());
    }
}
