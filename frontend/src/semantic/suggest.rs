//! "did you mean …?" for a misspelt name: the closest known name, when it is
//! close enough to be what was meant (edit distance, via `strsim`).

/// `"; did you mean 'x'?"` for the candidate closest to `name` (case, `_` and `-`
/// ignored), or an empty string when none is close.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    let wanted = norm(name);
    let limit = (wanted.chars().count() / 3).max(1);
    let best = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&wanted, &norm(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, c)) if c != name => format!("; did you mean '{c}'?"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(did_you_mean("lenght", ["length", "time", "timeBatch"]), "; did you mean 'length'?");
        assert_eq!(did_you_mean("SLIDING_LENTH", ["length", "SLIDING_LENGTH"]), "; did you mean 'SLIDING_LENGTH'?");
        assert_eq!(did_you_mean("Stocks", ["StockStream", "Trades"]), "");
        assert_eq!(did_you_mean("pricee", ["price", "symbol"]), "; did you mean 'price'?");
        assert_eq!(did_you_mean("avrg", ["avg", "count"]), "; did you mean 'avg'?");
    }
}
