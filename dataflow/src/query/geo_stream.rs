//! The `geo:` stream functions (`from S#geo:crosses(…)`), with the semantics of
//! Siddhi's geo extension. All but `closestPoints` keep state per object id; the
//! state lives in the query's processor, so each partition key's instance (and
//! each worker's, for a keyed placement) has its own, as each partition instance
//! of the reference clones its stream processors.
//!
//! * `#geo:crosses(id, lon, lat | geometry, fence)` adds `crosses`: an event only
//!   when the object moves into the fence (`true`) or out of it (`false`).
//! * `#geo:stationary(id, lon, lat | geometry, [fence,] radius)` adds `stationary`: the first
//!   location of an id is kept; an event whose location is within `radius` metres
//!   of the kept one makes the object stationary (`true`, once); one further away
//!   becomes the kept location, with `false` if the object was stationary.
//! * `#geo:proximity(id, lon, lat | geometry, [fence,] radius)` adds `proximityWith` and
//!   `inCloseProximity`: each event updates its id's location and, for every other
//!   id known, gives an event when the two come within `radius` metres (`true`)
//!   or move apart (`false`); the arriving event itself is not passed on. Other ids
//!   are visited in the order of their text; the extension's hash map may visit
//!   them in another order, which orders the events of one arrival differently.
//! * `#geo:locationApproximate(recorder, lat, lon, proximity, uuid, weight,
//!   timestamp)` adds `averagedLatitude`, `averagedLongitude`, `averageExist`: the
//!   weighted mean on the sphere of the beacons the recorder is near (`ENTER` or
//!   `RANGE` adds or refreshes a beacon, anything else removes it; beacons silent
//!   for over 5 minutes of `timestamp` are dropped). Beacons are summed in the
//!   order of their uuid (the extension's hash order may differ in the last digit).
//! * `#geo:closestPoints(lon, lat, fence)` adds `closestPointOf1From2Latitude`,
//!   `…Longitude`, `closestPointOf2From1Latitude`, `…Longitude`: the point itself
//!   and the fence's point nearest to it, each as (x, y) = (longitude, latitude),
//!   in the extension's order (its "Latitude" attributes hold the x).
//!
//! A fence before the radius of `stationary` and `proximity` (Macrometa's syntax
//! has one) is not used, as the extension reads it and does not use it.
//! Distances are measured as `geo:withinDistance` measures them
//! ([`within_degrees`]). An error (bad GeoJSON, a null argument) is an error on the
//! event ([`raise`]): the event gives nothing and the stream's `@OnError` decides.

use super::expr::{raise, CExpr, Env};
use crate::functions::geo::{fence, number, operand, within_degrees};
use crate::functions::java_string;
use crate::value::{Row, Value};
use geo::{Closest, ClosestPoint, Geometry, Point, Relate};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The per-instance state of a stream function, turning one row into any number.
pub trait StreamFnState: Send {
    /// The rows that `row` gives, each the input with the function's attributes.
    fn apply(&mut self, row: &Row, env: &Env) -> Vec<Row>;
}

/// Makes a fresh state for each processor instance.
pub type StreamFnFactory = Arc<dyn Fn() -> Box<dyn StreamFnState> + Send + Sync>;

/// A `geo:` stream function as one of its query's stream processors
/// (`stream_processor.rs`): each event's outputs leave at once, at its time.
struct GeoProcessor(Box<dyn StreamFnState>);

impl super::stream_processor::StreamProcessor for GeoProcessor {
    fn on_event(&mut self, ts: i64, row: Row, env: &Env, out: &mut Vec<(i64, Row)>) {
        out.extend(self.0.apply(&row, env).into_iter().map(|r| (ts, r)));
    }

    fn on_time(&mut self, _at: i64, _out: &mut Vec<(i64, Row)>) {}

    fn next_deadline(&self) -> Option<i64> {
        None
    }
}

/// The stream processor of `#name(args)`, if `name` is a `geo:` stream function.
pub fn geo_processor(name: &str, args: Vec<CExpr>) -> Option<super::stream_processor::StreamProcessorFactory> {
    let make = geo_stream_function(name, args)?;
    Some(Arc::new(move || Box::new(GeoProcessor(make())) as Box<dyn super::stream_processor::StreamProcessor>))
}

/// The names of the `geo:` stream functions (lower-cased).
pub const NAMES: [&str; 5] =
    ["geo:crosses", "geo:stationary", "geo:proximity", "geo:locationapproximate", "geo:closestpoints"];

/// The compiled `#name(args)`, if `name` is a `geo:` stream function. Its errors
/// name the function; the runtime adds the query and stream.
pub fn geo_stream_function(name: &str, args: Vec<CExpr>) -> Option<StreamFnFactory> {
    let kind = match name {
        "geo:crosses" => Kind::Crosses,
        "geo:stationary" => Kind::Stationary,
        "geo:proximity" => Kind::Proximity,
        "geo:locationapproximate" => Kind::LocationApproximate,
        "geo:closestpoints" => Kind::ClosestPoints,
        _ => return None,
    };
    let spelled = match name {
        "geo:locationapproximate" => "geo:locationApproximate",
        "geo:closestpoints" => "geo:closestPoints",
        other => other,
    };
    let shared = Arc::new((args, spelled.to_string()));
    Some(Arc::new(move || {
        Box::new(GeoFn { shared: shared.clone(), kind, state: State::default() }) as Box<dyn StreamFnState>
    }))
}

#[derive(Clone, Copy)]
enum Kind {
    Crosses,
    Stationary,
    Proximity,
    LocationApproximate,
    ClosestPoints,
}

/// A beacon a recorder is near: where it is, when it last reported, its weight.
struct Beacon {
    lat: f64,
    lon: f64,
    ts: i64,
    weight: f64,
}

#[derive(Default)]
struct State {
    /// `crosses`: the ids inside the fence.
    inside: BTreeSet<String>,
    /// `stationary`: each id's kept location and whether it is stationary there;
    /// `proximity`: each id's last location.
    places: BTreeMap<String, (Geometry<f64>, bool)>,
    /// `proximity`: the pairs of ids in close proximity (`a~b`).
    close: BTreeSet<String>,
    /// `locationApproximate`: each recorder's beacons by uuid.
    beacons: BTreeMap<String, BTreeMap<String, Beacon>>,
}

struct GeoFn {
    /// The arguments and the label for messages.
    shared: Arc<(Vec<CExpr>, String)>,
    kind: Kind,
    state: State,
}

impl StreamFnState for GeoFn {
    fn apply(&mut self, row: &Row, env: &Env) -> Vec<Row> {
        let (args, label) = &*self.shared;
        let v: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
        let st = &mut self.state;
        let found = match self.kind {
            Kind::Crosses => crosses(st, &v, label),
            Kind::Stationary => stationary(st, &v, label),
            Kind::Proximity => proximity(st, &v, label),
            Kind::LocationApproximate => location_approximate(st, &v, label),
            Kind::ClosestPoints => closest_points(&v, label),
        };
        match found {
            Ok(extras) => extras.into_iter().map(|extra| row.iter().cloned().chain(extra).collect()).collect(),
            Err(e) => {
                raise(|| e);
                Vec::new()
            }
        }
    }
}

/// The attributes each output event adds, one list per event.
type Extras = Result<Vec<Vec<Value>>, String>;

/// The id at position 0, as the extension's `toString()` gives it.
fn id(v: &[Value], label: &str) -> Result<String, String> {
    match v.first() {
        Some(Value::Null) | None => Err(format!("{label}: the id (argument 1) is null")),
        Some(x) => Ok(java_string(x)),
    }
}

fn crosses(st: &mut State, v: &[Value], label: &str) -> Extras {
    let id = id(v, label)?;
    let (geometry, next) = operand(v, 1, label)?;
    let within = geometry.relate(&fence(v, next, label)?).is_within();
    let was_inside = st.inside.contains(&id);
    if within == was_inside {
        return Ok(Vec::new());
    }
    if within {
        st.inside.insert(id);
    } else {
        st.inside.remove(&id);
    }
    Ok(vec![vec![Value::Bool(within)]])
}

fn stationary(st: &mut State, v: &[Value], label: &str) -> Extras {
    let id = id(v, label)?;
    let (current, _) = operand(v, 1, label)?;
    let radius = number(v, v.len().saturating_sub(1), label)?;
    let Some((kept, is_stationary)) = st.places.get_mut(&id) else {
        st.places.insert(id, (current, false));
        return Ok(Vec::new());
    };
    let near = within_degrees(&current, kept, radius);
    match (*is_stationary, near) {
        (true, false) => {
            *kept = current;
            *is_stationary = false;
            Ok(vec![vec![Value::Bool(false)]])
        }
        (false, true) => {
            *is_stationary = true;
            Ok(vec![vec![Value::Bool(true)]])
        }
        (false, false) => {
            *kept = current;
            Ok(Vec::new())
        }
        (true, true) => Ok(Vec::new()),
    }
}

/// The extension's key of a pair of ids: the two joined by `~`, the one first
/// that sorts first ignoring case.
fn pair_key(a: &str, b: &str) -> String {
    if a.to_lowercase() < b.to_lowercase() {
        format!("{a}~{b}")
    } else {
        format!("{b}~{a}")
    }
}

fn proximity(st: &mut State, v: &[Value], label: &str) -> Extras {
    let id = id(v, label)?;
    let (current, _) = operand(v, 1, label)?;
    let radius = number(v, v.len().saturating_sub(1), label)?;
    let mut out = Vec::new();
    for (other, (place, _)) in &st.places {
        if *other == id {
            continue;
        }
        let near = within_degrees(&current, place, radius);
        let key = pair_key(&id, other);
        let was_near = st.close.contains(&key);
        if near != was_near {
            if near {
                st.close.insert(key);
            } else {
                st.close.remove(&key);
            }
            out.push(vec![Value::string(other), Value::Bool(near)]);
        }
    }
    st.places.insert(id, (current, false));
    Ok(out)
}

/// Beacons silent for longer than this (ms of `timestamp`) are dropped.
const BEACON_TIMEOUT: i64 = 300_000;

fn location_approximate(st: &mut State, v: &[Value], label: &str) -> Extras {
    let text = |i: usize| match v.get(i) {
        Some(Value::Null) | None => Err(format!("{label}: argument {} is null", i + 1)),
        Some(x) => Ok(java_string(x)),
    };
    let recorder = text(0)?;
    let (lat, lon) = (number(v, 1, label)?, number(v, 2, label)?);
    let (proximity, uuid) = (text(3)?, text(4)?);
    let weight = number(v, 5, label)?;
    let ts = match v.get(6).and_then(Value::as_i64) {
        Some(ts) => ts,
        None => return Err(format!("{label}: argument 7 (timestamp) must be a long")),
    };
    let beacons = st.beacons.entry(recorder).or_default();
    let newer = beacons.get(&uuid).is_none_or(|b| b.ts < ts);
    let entering = proximity.eq_ignore_ascii_case("ENTER") || proximity.eq_ignore_ascii_case("RANGE");
    if entering && newer {
        beacons.insert(uuid, Beacon { lat, lon, ts, weight });
    } else if !entering && newer {
        beacons.remove(&uuid);
    }
    beacons.retain(|_, b| ts - b.ts <= BEACON_TIMEOUT);
    if beacons.is_empty() {
        return Ok(vec![vec![Value::Double(lat), Value::Double(lon), Value::Bool(false)]]);
    }
    let total: f64 = beacons.values().map(|b| b.weight).sum();
    let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
    for b in beacons.values() {
        let w = b.weight / total;
        let (la, lo) = (b.lat * std::f64::consts::PI / 180.0, b.lon * std::f64::consts::PI / 180.0);
        x += la.cos() * lo.cos() * w;
        y += la.cos() * lo.sin() * w;
        z += la.sin() * w;
    }
    let lon = y.atan2(x) * 180.0 / std::f64::consts::PI;
    let lat = z.atan2((x * x + y * y).sqrt()) * 180.0 / std::f64::consts::PI;
    Ok(vec![vec![Value::Double(lat), Value::Double(lon), Value::Bool(true)]])
}

fn closest_points(v: &[Value], label: &str) -> Extras {
    let (lon, lat) = (number(v, 0, label)?, number(v, 1, label)?);
    let fence = fence(v, 2, label)?;
    let point = Point::new(lon, lat);
    let nearest = match fence.closest_point(&point) {
        Closest::Intersection(p) | Closest::SinglePoint(p) => p,
        Closest::Indeterminate => {
            return Err(format!("{label}: the fence has no single point nearest to the location"));
        }
    };
    let d = Value::Double;
    Ok(vec![vec![d(point.x()), d(point.y()), d(nearest.x()), d(nearest.y())]])
}
