//! cn_resident_id: 18-character PRC resident identity number: region code (valid province),
//! birth date YYYYMMDD (real calendar date, 1900-2099), sequence, ISO 7064 MOD 11-2 check
//! character (0-9 or X).

use super::chars::{at, before, is_alnum};
use super::skip::next_long_digit_run;
use crate::entity::Span;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const PROVINCES: &[u32] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// Every resident id in `text`. An id is 17 digits and a check character: only a digit run of
/// 17 or more can start one (found a word at a time), and only at its first digit.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some((s, e)) = next_long_digit_run(b, i, 17) {
        if s + 18 > b.len() {
            break;
        }
        if !is_alnum(before(b, s)) && !is_alnum(at(b, s + 18)) {
            if let Some(id) = b.get(s..s + 18).filter(|id| valid(id)) {
                out.push(Span {
                    start: s,
                    end: s + id.len(),
                });
                i = s + 18;
                continue;
            }
        }
        // No start inside the rest of this digit run (a digit before each).
        i = e;
    }
}

fn num(s: &[u8]) -> u32 {
    s.iter()
        .fold(0u32, |a, &c| a * 10 + u32::from(c.wrapping_sub(b'0') % 10))
}

/// Whether 18 bytes are a valid resident id.
pub fn valid(id: &[u8]) -> bool {
    let (Some(body), Some(&check)) = (id.get(..17), id.get(17)) else {
        return false;
    };
    if id.len() != 18 || !body.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !PROVINCES.contains(&num(body.get(..2).unwrap_or(&[]))) {
        return false;
    }
    let year = num(body.get(6..10).unwrap_or(&[]));
    let month = num(body.get(10..12).unwrap_or(&[]));
    let day = num(body.get(12..14).unwrap_or(&[]));
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) {
        return false;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return false;
    }
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    let want = CHECK.get((sum % 11) as usize).copied().unwrap_or(0);
    check.to_ascii_uppercase() == want
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
            ("ID 320102198602021490, mobile", "320102198602021490"),
            ("ID 11010519491231002X.", "11010519491231002X"),
            ("id:11010519491231002x", "11010519491231002x"),
            ("ID 51010719850114021X", "51010719850114021X"),
        ] {
            assert_eq!(spans(text), vec![want], "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "320102198602021491",  // wrong check
            "990102198602021490",  // no province 99
            "320102198613021490",  // month 13
            "320102190002291490",  // 1900 not leap
            "3201021986020214901", // 19 digits
            "A320102198602021490", // glued
            "The reference 4729792622439332 failed",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
