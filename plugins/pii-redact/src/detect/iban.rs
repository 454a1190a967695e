//! iban: country code + 2 check digits + BBAN (upper-case letters/digits), compact or in
//! groups of four; ISO 13616 mod-97 must equal 1.

use super::chars::{at, before, is_alnum};
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

/// Up to 40 compact IBAN characters without a heap allocation.
struct Compact {
    bytes: [u8; 40],
    len: usize,
}

impl Default for Compact {
    fn default() -> Self {
        Compact {
            bytes: [0; 40],
            len: 0,
        }
    }
}

impl Compact {
    fn push(&mut self, c: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = c;
            self.len += 1;
        }
    }
    fn len(&self) -> usize {
        self.len
    }
    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

fn registry_len(cc: &[u8]) -> Option<usize> {
    LENGTHS
        .iter()
        .find(|(c, _)| c.as_slice() == cc)
        .map(|&(_, n)| n)
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
        let c = at(b, i);
        if c.is_ascii_uppercase() && !is_alnum(before(b, i)) {
            if let Some(end) = candidate(b, i) {
                out.push(Span { start: i, end });
                i = end;
                continue;
            }
        }
        i += 1;
    }
}

fn candidate(b: &[u8], start: usize) -> Option<usize> {
    let cc = b.get(start..start + 2)?;
    if !cc.iter().all(u8::is_ascii_uppercase)
        || !at(b, start + 2).is_ascii_digit()
        || !at(b, start + 3).is_ascii_digit()
    {
        return None;
    }
    let expected = registry_len(cc)?;
    // Collect compact characters and the byte end after each group boundary (fixed arrays: at
    // most 36 characters are ever pushed, in at most 9 groups).
    let mut compact = Compact::default();
    let mut ends = [(0usize, 0usize); 12]; // (compact length, byte end) at group ends
    let mut n_ends = 0usize;
    let mut push_end = |e: (usize, usize)| {
        if let Some(slot) = ends.get_mut(n_ends) {
            *slot = e;
            n_ends += 1;
        }
    };
    let mut j = start;
    let spaced = at(b, start + 4) == b' ';
    if spaced {
        loop {
            let gs = j;
            while is_bban(at(b, j)) && j - gs < 4 {
                compact.push(at(b, j));
                j += 1;
            }
            let g = j - gs;
            if g == 0 || is_alnum(at(b, j)) {
                // A group glued to more text: the IBAN ended at the previous boundary.
                break;
            }
            push_end((compact.len(), j));
            if g == 4 && at(b, j) == b' ' && is_bban(at(b, j + 1)) && compact.len() < 34 {
                j += 1;
                continue;
            }
            break;
        }
    } else {
        while is_bban(at(b, j)) {
            compact.push(at(b, j));
            j += 1;
            if compact.len() > 34 {
                return None;
            }
        }
        if is_alnum(at(b, j)) {
            return None;
        }
        push_end((compact.len(), j));
    }
    let ends = ends.get(..n_ends).unwrap_or_default();
    let compact = compact.as_slice();
    // Longest group boundary that passes mod-97, registry length preferred.
    let valid = |n: usize| (15..=34).contains(&n) && compact.get(..n).is_some_and(mod97_is_one);
    if let Some(&(_, end)) = ends.iter().find(|&&(n, _)| n == expected && valid(n)) {
        return Some(end);
    }
    ends.iter()
        .rev()
        .find(|&&(n, _)| valid(n))
        .map(|&(_, end)| end)
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
