//! iban: country code + 2 check digits + BBAN (upper-case letters/digits), compact or in
//! groups of four; ISO 13616 mod-97 must equal 1.

use super::chars::{at, before, is_alnum, is_digit};
use super::skip::next_upper;
use crate::entity::Span;

/// Registry lengths per country (ISO 13616 / SWIFT IBAN registry).
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"RU", 33),
    (b"LY", 25),
    (b"SD", 18),
    (b"BI", 27),
    (b"DJ", 27),
    (b"FK", 18),
    (b"MN", 20),
    (b"NI", 28),
    (b"OM", 23),
    (b"SO", 23),
    (b"YE", 30),
];

/// Registry length per country code, indexed `(c0 - b'A') * 26 + (c1 - b'A')` (0: none).
const BY_CODE: [u8; 676] = by_code();

// Evaluated at compile time (a const table): an out-of-range index fails the build.
#[allow(clippy::indexing_slicing)]
const fn by_code() -> [u8; 676] {
    let mut t = [0u8; 676];
    let mut k = 0;
    while k < LENGTHS.len() {
        let (cc, n) = LENGTHS[k];
        t[(cc[0] - b'A') as usize * 26 + (cc[1] - b'A') as usize] = n as u8;
        k += 1;
    }
    t
}

/// Registry length of the country code `c0 c1` (both upper-case letters).
fn registry_len(c0: u8, c1: u8) -> Option<usize> {
    let k = usize::from(c0.wrapping_sub(b'A')) * 26 + usize::from(c1.wrapping_sub(b'A'));
    BY_CODE
        .get(k)
        .filter(|&&n| n > 0 && c0.is_ascii_uppercase() && c1.is_ascii_uppercase())
        .map(|&n| usize::from(n))
}

fn is_bban(c: u8) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase()
}

/// Every IBAN in `text`.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        // A start is an upper-case letter: jump to the next one.
        i = next_upper(b, i);
        if i + 4 >= b.len() {
            break;
        }
        // Check digits at `i + 2`, `i + 3` first: most capitalised words stop there.
        if is_digit(at(b, i + 2)) && is_digit(at(b, i + 3)) && !is_alnum(before(b, i)) {
            if let Some(end) = candidate(b, i) {
                out.push(Span { start: i, end });
                i = end;
                continue;
            }
        }
        // No start inside the rest of this word (a letter or digit before each): skip its
        // upper-case letters and digits here, lower case by `next_upper`.
        i += 1;
        while is_bban(at(b, i)) {
            i += 1;
        }
    }
}

/// Value of an IBAN character in the mod-97 number (letters 10..35) and its decimal width.
fn value(c: u8) -> (u32, u32) {
    if c.is_ascii_digit() {
        (u32::from(c - b'0'), 10)
    } else {
        (u32::from(c.wrapping_sub(b'A')) + 10, 100)
    }
}

/// The mod-97 check, computed as the characters are read: `rem` is the BBAN read so far mod
/// 97; moving the first four characters (two letters, two digits: six decimal digits, `head`)
/// to the end gives `rem * 10^6 + head`.
struct Checked {
    head: u32,
    rem: u32,
    /// Characters read, the first four included.
    n: usize,
    expected: usize,
    /// End of the registry-length prefix that passes, and of the longest that passes.
    registry: Option<usize>,
    longest: Option<usize>,
}

impl Checked {
    fn push(&mut self, c: u8) {
        let (v, width) = value(c);
        self.rem = (self.rem * width + v) % 97;
        self.n += 1;
    }
    /// A group boundary at byte `end`: the characters so far may be the IBAN.
    fn boundary(&mut self, end: usize) {
        if (15..=34).contains(&self.n) && (self.rem * 1_000_000 + self.head) % 97 == 1 {
            if self.n == self.expected {
                self.registry = Some(end);
            }
            self.longest = Some(end);
        }
    }
    /// Registry length preferred, else the longest boundary that passes.
    fn result(&self) -> Option<usize> {
        self.registry.or(self.longest)
    }
}

fn candidate(b: &[u8], start: usize) -> Option<usize> {
    let (c0, c1, d0, d1) = (
        at(b, start),
        at(b, start + 1),
        at(b, start + 2),
        at(b, start + 3),
    );
    if !d0.is_ascii_digit() || !d1.is_ascii_digit() {
        return None;
    }
    let expected = registry_len(c0, c1)?;
    let head = (value(c0).0 * 100 + value(c1).0) * 100 + value(d0).0 * 10 + value(d1).0;
    let mut ck = Checked {
        head,
        rem: 0,
        n: 4,
        expected,
        registry: None,
        longest: None,
    };
    let mut j = start + 4;
    if at(b, j) == b' ' {
        // Groups of four: the first (country, check digits) is read; each boundary may end it.
        while at(b, j) == b' ' && is_bban(at(b, j + 1)) && ck.n < 34 {
            j += 1;
            let gs = j;
            while is_bban(at(b, j)) && j - gs < 4 {
                ck.push(at(b, j));
                j += 1;
            }
            if is_alnum(at(b, j)) {
                // A group glued to more text: the IBAN ended at the previous boundary.
                break;
            }
            ck.boundary(j);
            if j - gs != 4 {
                break;
            }
        }
    } else {
        while is_bban(at(b, j)) {
            ck.push(at(b, j));
            j += 1;
            if ck.n > 34 {
                return None;
            }
        }
        if is_alnum(at(b, j)) {
            return None;
        }
        ck.boundary(j);
    }
    ck.result()
}

/// ISO 13616: move the first four characters to the end, letters -> 10..35, mod 97 == 1.
pub fn mod97_is_one(compact: &[u8]) -> bool {
    if compact.len() < 5 {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem: u32 = 0;
    for &c in tail.iter().chain(head) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        crate::detect::spans_of(find, text)
    }

    #[test]
    fn positives() {
        for (text, want) in [
            ("auf DE89370400440532013000; bei", "DE89370400440532013000"),
            (
                "auf DE89 3704 0044 0532 0130 00 und",
                "DE89 3704 0044 0532 0130 00",
            ),
            (
                "iban GB29 NWBK 6016 1331 9268 19.",
                "GB29 NWBK 6016 1331 9268 19",
            ),
            ("iban GB29NWBK60161331926819", "GB29NWBK60161331926819"),
            (
                "(FR1420041010050500013M02606)",
                "FR1420041010050500013M02606",
            ),
            ("NL91ABNA0417164300 ok", "NL91ABNA0417164300"),
            (
                "DE89 3704 0044 0532 0130 00 2024 x",
                "DE89 3704 0044 0532 0130 00",
            ),
        ] {
            assert_eq!(spans(text), vec![want], "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "DE89370400440532013001",  // check digits wrong
            "XX89370400440532013000",  // not a country
            "de89370400440532013000",  // lower case
            "ADE89370400440532013000", // glued
            "DE89370400440532013000X", // glued
            "GB29 NWBK",               // too short
            "Order ORD-007728 shipped",
            "US12345678901234567",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }

    #[test]
    fn mod97() {
        assert!(mod97_is_one(b"GB82WEST12345698765432"));
        assert!(!mod97_is_one(b"GB82WEST12345698765433"));
        assert!(!mod97_is_one(b"GB8"));
        assert!(!mod97_is_one(b"GB82west12345698765432"));
    }
}
