//! write: JSON written by hand into one buffer (keys, strings, lists, integers, short
//! decimals), for the verdict log, error bodies and the identity payload: no serializer, and no
//! float formatting from `core` (it costs ~17 KB of every `.wasm`).

/// `,"name":` (no comma after the opening brace).
pub fn key(out: &mut String, name: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    string(out, name);
    out.push(':');
}

/// A JSON string. Plain text is copied as is; anything to escape goes through `json::quote`.
pub fn string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&crate::json::quote(s));
    }
}

/// A JSON array of strings.
pub fn list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item);
    }
    out.push(']');
}

/// A JSON object of integers.
pub fn object<'a>(out: &mut String, entries: impl Iterator<Item = (&'a str, u64)>) {
    out.push('{');
    for (name, value) in entries {
        key(out, name);
        push_u64(out, value);
    }
    out.push('}');
}

/// Append `n` in decimal.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits.get(i..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// `v` rounded to 3 decimals, written like serde_json writes floats (`1.0`, `0.25`, `-0.5`);
/// non-finite (or beyond 1e12) becomes `null`.
pub fn push_decimal(out: &mut String, v: f64) {
    let thousandths = (v * 1000.0).round();
    if !thousandths.is_finite() || thousandths.abs() > 1e15 {
        out.push_str("null");
        return;
    }
    let t = thousandths as i64;
    if t < 0 {
        out.push('-');
    }
    let t = t.unsigned_abs();
    push_u64(out, t / 1000);
    out.push('.');
    let frac = t % 1000;
    let digits = [
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ];
    let mut len = 3;
    while len > 1 && digits.get(len - 1) == Some(&b'0') {
        len -= 1;
    }
    for d in digits.iter().take(len) {
        out.push(char::from(*d));
    }
}

/// [`push_decimal`] as a new string (for messages).
pub fn decimal(v: f64) -> String {
    let mut out = String::new();
    push_decimal(&mut out, v);
    out
}
