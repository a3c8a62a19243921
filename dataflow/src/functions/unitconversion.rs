//! The `unitconversion:` functions of the reference's unit conversion extension:
//! 48 conversions of length, mass, time and volume, each `xToy(number)` giving a
//! `double`.
//!
//! Each conversion multiplies by the size of the source unit and divides by the
//! size of the target unit, both in the quantity's base unit, with the
//! reference's unit definitions: foot 0.3048 m, inch 0.0254 m, yard 0.9144 m,
//! mile 1.609344 km; ounce 0.02834952 kg, pound 0.4535924 kg, stone 1/0.157473 kg,
//! imperial (long) ton 1/0.000984207 kg, US (short) ton 1/0.00110231 kg, tonne
//! 1000 kg; year 365.2525 days. Names are matched without regard to case, so
//! `kgToST` is the US ton; the stone is `kgToStone` (the reference's `kgTost`
//! cannot be told from `kgToST` here). A null argument gives null.

use super::{arg_is, arity, FnContext, ScalarFn, NUMERIC};
use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

/// A conversion: its name (lower case, without the namespace), the size of the
/// source unit and of the target unit in their base unit.
type Conversion = (&'static str, f64, f64);

const CM: f64 = 0.01;
const KM: f64 = 1000.0;
const FOOT: f64 = 0.3048;
const INCH: f64 = 0.0254;
const YARD: f64 = 0.9144;
const MILE: f64 = 1609.344;
const TONNE: f64 = 1000.0;
const DAY: f64 = 86_400.0;

/// Every conversion, with units in metres, kilograms, seconds and cubic metres.
const CONVERSIONS: &[Conversion] = &[
    ("cmtoft", CM, FOOT),
    ("cmtoin", CM, INCH),
    ("cmtokm", CM, KM),
    ("cmtom", CM, 1.0),
    ("cmtoum", CM, 1e-6),
    ("cmtomi", CM, MILE),
    ("cmtomm", CM, 1e-3),
    ("cmtonm", CM, 1e-9),
    ("cmtoyd", CM, YARD),
    ("kmtocm", KM, CM),
    ("kmtoft", KM, FOOT),
    ("kmtoin", KM, INCH),
    ("kmtom", KM, 1.0),
    ("kmtoum", KM, 1e-6),
    ("kmtomi", KM, MILE),
    ("kmtomm", KM, 1e-3),
    ("kmtonm", KM, 1e-9),
    ("kmtoyd", KM, YARD),
    ("mmtokm", 1e6, KM),
    ("mtocm", 1.0, CM),
    ("mtoft", 1.0, FOOT),
    ("mtomm", 1.0, 1e-3),
    ("mtoyd", 1.0, YARD),
    ("mitokm", MILE, KM),
    ("gtokg", 1e-3, 1.0),
    ("gtoug", 1e-3, 1e-9),
    ("gtomg", 1e-3, 1e-6),
    ("kgtog", 1.0, 1e-3),
    ("kgtolt", 1.0, 1.0 / 0.000984207),
    ("kgtooz", 1.0, 0.02834952),
    ("kgtolb", 1.0, 0.4535924),
    ("kgtostone", 1.0, 1.0 / 0.157473),
    ("kgtost", 1.0, 1.0 / 0.00110231),
    ("kgtot", 1.0, TONNE),
    ("ttog", TONNE, 1e-3),
    ("ttokg", TONNE, 1.0),
    ("dtoh", DAY, 3600.0),
    ("htom", 3600.0, 60.0),
    ("htos", 3600.0, 1.0),
    ("mtos", 60.0, 1.0),
    ("stous", 1.0, 1e-6),
    ("stoms", 1.0, 1e-3),
    ("stons", 1.0, 1e-9),
    ("ytod", 365.2525 * DAY, DAY),
    ("m3tol", 1.0, 1e-3),
    ("ltom3", 1e-3, 1.0),
    ("ltoml", 1e-3, 1e-6),
    ("mltol", 1e-6, 1e-3),
];

/// The `(from, to)` sizes of conversion `short`.
fn conversion(short: &str) -> Option<(f64, f64)> {
    CONVERSIONS.iter().find(|(name, _, _)| *name == short).map(|(_, from, to)| (*from, *to))
}

/// The implementation of `unitconversion:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let (from, to) = conversion(name.strip_prefix("unitconversion:")?)?;
    Some(Arc::new(move |a: &[Value], _: &FnContext| match a.first() {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(v) => {
            let x = v.as_f64().ok_or(format!("unitconversion needs a number, found {v}"))?;
            Ok(Value::Double(x * from / to))
        }
    }))
}

/// The result type of `unitconversion:` function `name` over `t`, or what is wrong.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    conversion(name.strip_prefix("unitconversion:")?)?;
    Some(arity(name, t, 1..=1).and_then(|_| arg_is(name, t, 0, &NUMERIC)).map(|_| AttrType::Double))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each documented example, `(function, argument, the page's result, how
    /// many significant digits the page gives)`.
    const DOCUMENTED: &[(&str, f64, f64, i32)] = &[
        ("MmTokm", 1.0, 1000.0, 6),
        ("cmToft", 100.0, 3.28084, 6),
        ("cmToin", 100.0, 39.37008, 7),
        ("cmTokm", 100.0, 0.001, 6),
        ("cmTom", 100.0, 1.0, 6),
        ("cmTomi", 10000.0, 0.062, 2),
        ("cmTomm", 1.0, 10.0, 6),
        ("cmTonm", 1.0, 1e7, 6),
        ("cmToum", 100.0, 1e6, 6),
        ("cmToyd", 1.0, 0.010936, 5),
        ("dToh", 1.0, 24.0, 6),
        ("gTokg", 1000.0, 1.0, 6),
        ("gTomg", 1.0, 1000.0, 6),
        ("gToug", 1.0, 1e6, 6),
        ("hTom", 1.0, 60.0, 6),
        ("hTos", 1.0, 3600.0, 6),
        ("kgToLT", 1000.0, 0.9842, 4),
        ("kgToST", 1000.0, 1.10, 3),
        ("kgToStone", 1.0, 0.157, 3),
        ("kgTog", 1.0, 1000.0, 6),
        ("kgTolb", 1.0, 2.2, 2),
        ("kgTooz", 1.0, 35.274, 5),
        ("kgTot", 1.0, 0.001, 6),
        ("kmTocm", 1.0, 1e5, 6),
        ("kmToft", 1.0, 3280.8, 5),
        ("kmToin", 1.0, 39370.08, 7),
        ("kmTom", 1.0, 1000.0, 6),
        ("kmTomi", 1.0, 0.621, 3),
        ("kmTomm", 1.0, 1e6, 6),
        ("kmTonm", 1.0, 1e12, 6),
        ("kmToum", 1.0, 1e9, 6),
        ("kmToyd", 1.0, 1093.6, 5),
        ("lTom3", 1000.0, 1.0, 6),
        ("lToml", 1.0, 1000.0, 6),
        ("m3Tol", 1.0, 1000.0, 6),
        ("mTocm", 1.0, 100.0, 6),
        ("mToft", 1.0, 3.280, 4),
        ("mTomm", 1.0, 1000.0, 6),
        ("mTos", 1.0, 60.0, 6),
        ("mToyd", 1.0, 1.093, 4),
        ("miTokm", 1.0, 1.6, 2),
        ("mlTol", 1000.0, 1.0, 6),
        ("sToms", 1.0, 1000.0, 6),
        ("sTons", 1.0, 1e9, 6),
        ("sTous", 1.0, 1e6, 6),
        ("tTog", 1.0, 1e6, 6),
        ("tTokg", 1.0, 1000.0, 6),
        ("yTod", 1.0, 365.2525, 7),
    ];

    #[test]
    fn every_documented_example_to_the_digits_the_page_gives() {
        assert_eq!(DOCUMENTED.len(), 48);
        for (name, x, expected, digits) in DOCUMENTED {
            let full = format!("unitconversion:{}", name.to_ascii_lowercase());
            let got = lookup(&full).expect(name)(&[Value::Double(*x)], &FnContext::default()).unwrap();
            let got = got.as_f64().unwrap();
            let scale = 10f64.powi(digits - 1 - expected.abs().log10().floor() as i32);
            assert!(((got * scale) - expected * scale).abs() <= 1.0, "{name}({x}) = {got}, the page says {expected}");
        }
    }

    #[test]
    fn the_reference_tests_exact_values() {
        let call = |name: &str, x: f64| lookup(name).unwrap()(&[Value::Double(x)], &FnContext::default());
        assert_eq!(call("unitconversion:cmtoft", 1.0), Ok(Value::Double(0.03280839895013123)));
        assert_eq!(call("unitconversion:ytod", 1.0), Ok(Value::Double(365.2525)));
        assert_eq!(call("unitconversion:cmtoin", 1.0), Ok(Value::Double(0.3937007874015748)));
        assert_eq!(lookup("unitconversion:cmtoft").unwrap()(&[Value::Null], &FnContext::default()), Ok(Value::Null));
        assert!(signature("unitconversion:cmtoft", &[AttrType::String]).unwrap().is_err());
        assert!(signature("unitconversion:parsecs", &[]).is_none());
    }
}
