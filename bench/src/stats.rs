//! stats: medians and rounding for the report (the benchmark reports medians over interleaved
//! rounds, never single runs).

/// Median of the finite values; None when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mid = n / 2;
    if n % 2 == 1 {
        v.get(mid).copied()
    } else {
        Some((v.get(mid - 1)? + v.get(mid)?) / 2.0)
    }
}

/// Rounds to `digits` decimals (for a readable JSON report).
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// `Some(round(x))` as JSON, or null.
pub fn json_num(x: Option<f64>, digits: i32) -> serde_json::Value {
    match x {
        Some(v) if v.is_finite() => serde_json::json!(round(v, digits)),
        _ => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(round(1.23456, 2), 1.23);
        assert_eq!(json_num(None, 1), serde_json::Value::Null);
    }
}
