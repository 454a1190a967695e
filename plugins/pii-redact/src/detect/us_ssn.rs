//! us_ssn: `AAA-GG-SSSS` (dashes or spaces) with the SSA's never-issued values excluded
//! (area 000/666/900-999, group 00, serial 0000); nine bare digits only after an SSN word.

use super::chars::{at, before, is_alnum, is_digit, keyword_before};
use super::skip::{next_digit, run_end_digits};
use crate::entity::Span;

const CONTEXT: &[&str] = &[
    "ssn",
    "social security",
    "social-security",
    "ss#",
    "ss no",
    "sozialversicherung",
    "taxpayer",
];

/// Every SSN in `text`. A number starts a digit run of exactly 3 (`AAA-`, `AAA `) or 9 (bare)
/// digits: other runs are passed over without parsing.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        i = next_digit(b, i);
        if i >= b.len() {
            break;
        }
        let run_end = run_end_digits(b, i);
        // After 3 digits only `-` or ` ` continues an SSN (`AAA-`, `AAA `).
        let shaped = match run_end - i {
            3 => matches!(at(b, run_end), b'-' | b' '),
            9 => true,
            _ => false,
        };
        if shaped && !is_digit(before(b, i)) {
            if let Some(end) = candidate(b, i) {
                out.push(Span { start: i, end });
                i = end;
                continue;
            }
        }
        // No start inside the rest of this digit run (a digit before each), nor at a run
        // glued on by `.` (`999.888`): the look-behind refuses it.
        i = run_end;
        while at(b, i) == b'.' && is_digit(at(b, i + 1)) {
            i = run_end_digits(b, i + 2);
        }
    }
}

fn digits_at(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
}

fn candidate(b: &[u8], start: usize) -> Option<usize> {
    let p = before(b, start);
    if is_alnum(p)
        || matches!(p, b'_' | b'.' | b'+' | b'/')
        || (p == b'-' && is_alnum(before(b, start - 1)))
    {
        return None;
    }
    let area = digits_at(b, start, 3)?;
    let sep = at(b, start + 3);
    let (group, serial, end, formatted) = if sep == b'-' || sep == b' ' {
        if at(b, start + 6) != sep {
            return None;
        }
        (
            digits_at(b, start + 4, 2)?,
            digits_at(b, start + 7, 4)?,
            start + 11,
            sep == b'-',
        )
    } else {
        (
            digits_at(b, start + 3, 2)?,
            digits_at(b, start + 5, 4)?,
            start + 9,
            false,
        )
    };
    let next = at(b, end);
    if is_alnum(next)
        || next == b'_'
        || (matches!(next, b'-' | b'.' | b'/') && is_digit(at(b, end + 1)))
    {
        return None;
    }
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return None;
    }
    if !formatted && !keyword_before(b, start, 40, CONTEXT) {
        return None;
    }
    Some(end)
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
            ("My SSN is 555-79-7263, can", "555-79-7263"),
            ("ssn: 078051120.", "078051120"),
            ("Social Security Number 219 09 9999", "219 09 9999"),
            ("(123-45-6789)", "123-45-6789"),
        ] {
            assert_eq!(spans(text), vec![want], "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "123-00-4567",
            "123-45-0000",
            "order 078051120 shipped", // bare without context
            "123 45 6789 apples",      // spaced without context
            "1234-45-6789",
            "123-45-67890",
            "x123-45-6789",
            "123-45-6789-1",
            "2024-01-31",
            "call 555-123-4567",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
