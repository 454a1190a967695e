//! swar: searches that read eight bytes per step (SWAR: bit tricks on a `u64`), shared by the
//! JSON parser's string scan and pii-redact's scanners: the word loop with its byte-by-byte
//! tail, and an exact per-byte equality mask.

/// `0x01` in every byte.
pub const LO: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte.
pub const HI: u64 = 0x8080_8080_8080_8080;

/// Eight bytes at `i` (little-endian: byte `i` is the lowest), or `None` near the end.
#[inline]
pub fn word(b: &[u8], i: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(s))
}

/// High bit of each byte of `x` equal to `c` (computed without carries between bytes, so
/// every flagged byte is a true match).
#[inline]
pub fn equal(x: u64, c: u8) -> u64 {
    let v = x ^ (LO * u64::from(c));
    !(((v & !HI) + !HI) | v) & HI
}

/// First position >= `from` whose byte `mask` flags (per word; its lowest flagged byte must be
/// a true match) or `one` accepts (per byte, for the tail shorter than a word), or `b.len()`.
#[inline]
pub fn next(b: &[u8], from: usize, mask: impl Fn(u64) -> u64, one: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while let Some(w) = word(b, i) {
        let m = mask(w);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if one(c) {
            return i;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_flags_exactly_the_equal_bytes() {
        for c in 0..=255u8 {
            for x in [
                0u8,
                1,
                0x7f,
                0x80,
                0xff,
                c.wrapping_add(1),
                c.wrapping_sub(1),
            ] {
                let mut w = [x; 8];
                w[3] = c;
                let m = equal(u64::from_le_bytes(w), c);
                for (k, &b) in w.iter().enumerate() {
                    assert_eq!(m >> (8 * k + 7) & 1 == 1, b == c, "{c} {x} {k}");
                }
            }
        }
    }

    #[test]
    fn next_finds_the_first_match_in_words_and_in_the_tail() {
        let find = |b: &[u8], from| next(b, from, |w| equal(w, b'x'), |c| c == b'x');
        assert_eq!(find(b"aaaaaaaaaaxaaaaaaaaaaax", 0), 10);
        assert_eq!(find(b"aaaaaaaaaaxaaaaaaaaaaax", 11), 22);
        assert_eq!(find(b"aax", 0), 2);
        assert_eq!(find(b"aaaaaaaaaaaa", 0), 12);
        assert_eq!(find(b"", 0), 0);
        assert_eq!(find(b"ab", 5), 2);
    }
}
