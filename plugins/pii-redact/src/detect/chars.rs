//! chars: bounds-safe byte helpers and context-keyword lookups shared by the detectors.

/// Byte at `i`, or 0 past either end (0 is never part of any pattern).
pub fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Byte before `i`, or 0 at the start.
pub fn before(b: &[u8], i: usize) -> u8 {
    match i.checked_sub(1) {
        Some(j) => at(b, j),
        None => 0,
    }
}

pub fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

pub fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Letters of any script count as word characters: a non-ASCII byte is part of a word.
pub fn is_wordish(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// End of the run of bytes satisfying `f` starting at `i`.
pub fn run_end(b: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut j = i;
    while j < b.len() && f(at(b, j)) {
        j += 1;
    }
    j
}

/// Whether any of `keywords` (ASCII, lowercase; non-ASCII compared exactly) occurs in the
/// `window` bytes before `pos`.
pub fn keyword_before(b: &[u8], pos: usize, window: usize, keywords: &[&str]) -> bool {
    let from = pos.saturating_sub(window);
    let hay = b.get(from..pos).unwrap_or(&[]);
    keywords.iter().any(|k| contains_ci(hay, k.as_bytes()))
}

/// Like [`keyword_before`], but an ASCII keyword must start a word (the byte before it is not
/// an ASCII letter or digit: `tel` in `Tel:` but not in `Bestellnummer`); keywords in other
/// scripts (often written without spaces) match anywhere.
pub fn word_before(b: &[u8], pos: usize, window: usize, keywords: &[&str]) -> bool {
    let from = pos.saturating_sub(window);
    let hay = b.get(from..pos).unwrap_or(&[]);
    keywords.iter().any(|k| {
        let k = k.as_bytes();
        if !k.is_ascii() {
            return contains_ci(hay, k);
        }
        (0..(hay.len() + 1).saturating_sub(k.len())).any(|i| {
            hay.get(i..i + k.len()).is_some_and(|w| eq_ci(w, k))
                && !before(b, from + i).is_ascii_alphanumeric()
        })
    })
}

/// ASCII case-insensitive substring test (needle must be lowercase).
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() || needle.len() > hay.len() {
        return needle.is_empty();
    }
    hay.windows(needle.len()).any(|w| eq_ci(w, needle))
}

/// ASCII case-insensitive equality (`needle` lowercase).
pub fn eq_ci(a: &[u8], needle: &[u8]) -> bool {
    a.len() == needle.len()
        && a.iter()
            .zip(needle)
            .all(|(x, y)| x.to_ascii_lowercase() == *y)
}

/// Whether `b[i..]` starts with `prefix` (exact bytes).
pub fn starts_at(b: &[u8], i: usize, prefix: &[u8]) -> bool {
    b.get(i..).is_some_and(|rest| rest.starts_with(prefix))
}

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &c in s {
        if let Some(n) = counts.get_mut(usize::from(c)) {
            *n += 1;
        }
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / len;
            -p * p.log2()
        })
        .sum()
}

/// Luhn checksum over ASCII digits.
pub fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_are_bounds_safe() {
        let b = b"abc";
        assert_eq!(at(b, 9), 0);
        assert_eq!(before(b, 0), 0);
        assert_eq!(before(b, 1), b'a');
        assert_eq!(run_end(b, 0, is_alnum), 3);
        assert!(keyword_before(b"my SSN is ", 10, 40, &["ssn"]));
        assert!(!keyword_before(b"my SSN is ", 10, 3, &["ssn"]));
        assert!(!keyword_before(b"x", 99, 40, &[]));
        assert!(word_before(b"Tel: ", 5, 40, &["tel"]));
        assert!(!word_before(b"Bestellnummer ", 14, 40, &["tel"]));
        assert!(word_before("電話 ".as_bytes(), 7, 40, &["電話"]));
        assert!(word_before(b"tel", 3, 40, &["tel"]));
        assert!(starts_at(b"sk-ant", 0, b"sk-"));
        assert!(!starts_at(b"sk", 5, b"sk"));
    }

    #[test]
    fn luhn_and_entropy() {
        assert!(luhn_ok(b"4111111111111111"));
        assert!(!luhn_ok(b"4111111111111112"));
        assert!(!luhn_ok(b""));
        assert!(!luhn_ok(b"41a1"));
        assert!(entropy(b"aaaa") < 0.01);
        assert!(entropy(b"abcd") > 1.99);
    }
}
