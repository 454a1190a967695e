//! skip: word-at-a-time (SWAR, 8 bytes per step) searches for the next byte a scanner can start
//! at, and the one-pass check of which start bytes a text holds at all. Exact per byte: every
//! mask below is computed without carries between bytes.

use guardrail_sdk::swar::{equal, next, word, HI, LO};

/// High bit of each byte of `x` that is an ASCII digit.
fn digits(x: u64) -> u64 {
    let t = x & !HI;
    let ge_0 = t + LO * (0x80 - u64::from(b'0'));
    let gt_9 = t + LO * (0x80 - u64::from(b'9') - 1);
    ge_0 & !gt_9 & !x & HI
}

/// High bit of each byte of `x` that is an ASCII upper-case letter.
fn uppers(x: u64) -> u64 {
    let t = x & !HI;
    let ge_a = t + LO * (0x80 - u64::from(b'A'));
    let gt_z = t + LO * (0x80 - u64::from(b'Z') - 1);
    ge_a & !gt_z & !x & HI
}

/// First ASCII digit at or after `from`, or `b.len()`.
pub fn next_digit(b: &[u8], from: usize) -> usize {
    next(b, from, digits, |c| c.is_ascii_digit())
}

/// First ASCII upper-case letter at or after `from`, or `b.len()`.
pub fn next_upper(b: &[u8], from: usize) -> usize {
    next(b, from, uppers, |c| c.is_ascii_uppercase())
}

/// First `c` at or after `from`, or `b.len()`.
pub fn next_byte(b: &[u8], from: usize, c: u8) -> usize {
    next(b, from, |w| equal(w, c), |x| x == c)
}

/// First digit, `x` or `y` at or after `from`, or `b.len()`.
pub fn next_digit_or(b: &[u8], from: usize, x: u8, y: u8) -> usize {
    next(
        b,
        from,
        |w| digits(w) | equal(w, x) | equal(w, y),
        |c| c.is_ascii_digit() || c == x || c == y,
    )
}

/// First byte at or after `from` that is not an ASCII digit (the end of the digit run at
/// `from`), or `b.len()`.
pub fn run_end_digits(b: &[u8], from: usize) -> usize {
    next(b, from, |w| HI & !digits(w), |c| !c.is_ascii_digit())
}

/// First `.` or `:` at or after `from`, or `b.len()`.
pub fn next_dot_or_colon(b: &[u8], from: usize) -> usize {
    next(
        b,
        from,
        |w| equal(w, b'.') | equal(w, b':'),
        |c| c == b'.' || c == b':',
    )
}

/// The first maximal run of ASCII digits at least `min` long (`min` >= 15) that starts at or
/// after `from`: (start, end). Such a run covers a whole 8-byte word at a multiple of 8 (from
/// `from`), so only those words are tested until one is all digits.
pub fn next_long_digit_run(b: &[u8], from: usize, min: usize) -> Option<(usize, usize)> {
    let mut k = from;
    while let Some(w) = word(b, k) {
        if digits(w) == HI {
            // Back to the start of this run (not before `from`), then to its end.
            let mut s = k;
            while s > from && b.get(s - 1).is_some_and(u8::is_ascii_digit) {
                s -= 1;
            }
            let e = run_end_digits(b, k + 8);
            if e - s >= min {
                return Some((s, e));
            }
            k = e;
            continue;
        }
        k += 8;
    }
    // The tail shorter than a word: runs there are found byte by byte.
    let mut s = k;
    while s < b.len() {
        s = next_digit(b, s);
        let e = run_end_digits(b, s);
        if e - s >= min {
            return Some((s, e));
        }
        s = e;
    }
    None
}

/// Which start bytes a text holds: every type but `SECRET` needs a digit, `EMAIL` an `@`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Present {
    pub digit: bool,
    pub at: bool,
}

/// One pass over `b` (stops once both are seen).
pub fn present(b: &[u8]) -> Present {
    let mut p = Present {
        digit: false,
        at: false,
    };
    let mut i = 0;
    while let Some(w) = word(b, i) {
        p.digit |= digits(w) != 0;
        p.at |= equal(w, b'@') != 0;
        if p.digit && p.at {
            return p;
        }
        i += 8;
    }
    for &c in b.get(i..).unwrap_or_default() {
        p.digit |= c.is_ascii_digit();
        p.at |= c == b'@';
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_agree_with_the_byte_tests_for_every_byte() {
        for c in 0..=255u8 {
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = c;
                let x = u64::from_le_bytes(w);
                assert_eq!(digits(x) != 0, c.is_ascii_digit(), "{c}");
                assert_eq!(equal(x, b'@') != 0, c == b'@', "{c}");
                assert_eq!(uppers(x) != 0, c.is_ascii_uppercase(), "{c}");
                let mut all = [c; 8];
                all[7 - pos] = b'@';
                let y = u64::from_le_bytes(all);
                assert_eq!(digits(y).count_ones() == 7, c.is_ascii_digit(), "{c}");
            }
        }
    }

    #[test]
    fn runs_and_long_runs() {
        assert_eq!(run_end_digits(b"123456789012x", 0), 12);
        assert_eq!(run_end_digits(b"12", 0), 2);
        assert_eq!(run_end_digits(b"a1", 0), 0);
        assert_eq!(next_dot_or_colon(b"abcdefghij:k.", 0), 10);
        assert_eq!(next_dot_or_colon(b"abc", 0), 3);
        // Runs of 16 digits (no aligned word would be missed) but only the 17-digit one counts.
        let t = b"x1234567890123456 ab 12345678901234567 c 1";
        assert_eq!(next_long_digit_run(t, 0, 17), Some((21, 38)));
        assert_eq!(next_long_digit_run(t, 0, 16), Some((1, 17)));
        assert_eq!(next_long_digit_run(t, 38, 17), None);
        assert_eq!(
            next_long_digit_run(b"123456789012345678", 0, 17),
            Some((0, 18))
        );
        for k in 0..24 {
            let mut v = vec![b' '; k];
            v.extend_from_slice(b"12345678901234567 ");
            assert_eq!(next_long_digit_run(&v, 0, 17), Some((k, k + 17)), "{k}");
        }
    }

    #[test]
    fn searches_find_the_first_hit() {
        let t = b"abcdefghijklmnop7qrs@tu+";
        assert_eq!(next_digit(t, 0), 16);
        assert_eq!(next_digit(t, 17), t.len());
        assert_eq!(next_byte(t, 0, b'@'), 20);
        assert_eq!(next_digit_or(t, 17, b'+', b'('), 23);
        assert_eq!(next_digit(t, 99), t.len());
        assert_eq!(next_upper(b"abcdefghijK", 0), 10);
        assert_eq!(next_byte(b"", 0, b'@'), 0);
        assert_eq!(
            present(b"abcdefghijklmnopq1"),
            Present {
                digit: true,
                at: false
            }
        );
        assert_eq!(
            present("é@".as_bytes()),
            Present {
                digit: false,
                at: true
            }
        );
    }
}
