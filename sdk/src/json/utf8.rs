//! utf8: UTF-8 validation with exactly the verdict and `valid_up_to` of `core::str::from_utf8`,
//! cheaper on non-ASCII text: ASCII is skipped eight bytes per step (up to the first non-ASCII
//! byte of the word), and each multi-byte sequence is checked against one table entry for its
//! lead byte instead of per-width match arms. `core`'s validator goes char by char on
//! multi-byte text and costs about twenty times its ASCII rate there (CJK, Cyrillic, emoji,
//! zero-width runs).

use crate::swar::HI;

/// Per byte 0x80..=0xFF (indexed by its low seven bits) as a lead byte: `expect | mask << 32`
/// for the sequence's little-endian word of four bytes (lead byte lowest). `mask` selects the
/// bits of the bytes after the lead that Unicode Table 3-7 fixes, `expect` holds their values
/// and, in its low byte, the sequence length. `(word & mask) ^ expect` is then the length when
/// the sequence is well formed, and above 4 otherwise. Ranges that are prefixes of bits:
/// 80-BF 10xxxxxx, A0-BF (after E0) 101xxxxx, 80-9F (after ED) 100xxxxx, 80-8F (after F4)
/// 1000xxxx. F0's 90-BF is not, so F0 (like 80-C1 and F5-FF) has an entry that always fails
/// and is left to `one`.
// Built at compile time: an out-of-range index fails the build, never a request.
#[allow(clippy::indexing_slicing)]
const FAST: [u64; 128] = {
    let mut t = [FAIL; 128];
    let mut b = 0xC2;
    while b <= 0xF4 {
        let (mask, expect): (u64, u64) = match b {
            0xC2..=0xDF => (0xC000, 0x8002),
            0xE0 => (0xC0_E000, 0x80_A003),
            0xED => (0xC0_E000, 0x80_8003),
            0xE1..=0xEF => (0xC0_C000, 0x80_8003),
            0xF0 => (0xFF, 0),
            0xF4 => (0xC0C0_F000, 0x8080_8004),
            _ => (0xC0C0_C000, 0x8080_8004),
        };
        t[b - 0x80] = expect | mask << 32;
        b += 1;
    }
    t
};

/// An entry that gives the lead byte itself (>= 0x80), never a length.
const FAIL: u64 = 0xFF << 32;

/// `raw` as text, or `Err(valid_up_to)`: the length of its longest valid prefix, the offset
/// `core::str::from_utf8` reports (the first byte of the first ill-formed or truncated
/// sequence).
// The one `unsafe` outside the raw-ABI module (the workspace denies it elsewhere): the
// validator below is the measured fast path for request bodies, and core's `from_utf8` would
// validate every body a second time. Proven by utf8_tests against core on every short string.
#[allow(unsafe_code)]
pub fn from_utf8(raw: &[u8]) -> Result<&str, usize> {
    validate(raw)?;
    // Every debug build (all native and fuzz tests) cross-checks the verdict with core's.
    debug_assert!(std::str::from_utf8(raw).is_ok());
    // SAFETY: `validate` returned Ok, so `raw` is well-formed UTF-8: every byte is ASCII or
    // part of a complete sequence whose lead byte, second-byte range and continuation bytes
    // are those of Unicode Table 3-7 (the tables `FAST` and `one` encode). utf8_tests checks `validate`
    // against `std::str::from_utf8` on every 1- and 2-byte string, every lead byte with
    // boundary continuation bytes at every position of an ASCII word, and fuzzed strings.
    Ok(unsafe { std::str::from_utf8_unchecked(raw) })
}

/// `Ok` when `raw` is valid UTF-8, else `Err(valid_up_to)`.
pub(crate) fn validate(raw: &[u8]) -> Result<(), usize> {
    let mut i = 0usize;
    loop {
        // ASCII: whole words (two per step once one was all ASCII), then the ASCII bytes
        // before the first non-ASCII byte of a word.
        loop {
            match raw.get(i..i + 8).map(word) {
                Some(0) => {
                    i += 8;
                    while let Some(pair) = raw.get(i..i + 16) {
                        let (a, b) = pair.split_at(8);
                        if word(a) | word(b) != 0 {
                            break;
                        }
                        i += 16;
                    }
                }
                Some(high) => {
                    i += (high.trailing_zeros() / 8) as usize;
                    break;
                }
                None => {
                    while raw.get(i).is_some_and(|&b| b < 0x80) {
                        i += 1;
                    }
                    if i >= raw.len() {
                        return Ok(());
                    }
                    break;
                }
            }
        }
        i = sequences(raw, i)?;
    }
}

/// The multi-byte sequences from `from` (whose byte is >= 0x80) and the ASCII runs of fewer
/// than four bytes between them, up to a longer ASCII run or the end; returns where they end, or `Err(start of the first bad sequence)`. One word of four
/// bytes and one `FAST` entry per sequence while four bytes remain; `one` for the rest.
fn sequences(raw: &[u8], from: usize) -> Result<usize, usize> {
    let mut rest = raw.get(from..).unwrap_or_default();
    while let Some(bytes) = rest.first_chunk::<4>() {
        let word = u32::from_le_bytes(*bytes);
        if word & 0x80 == 0 {
            // ASCII: a short run before the next sequence is stepped over here, a longer
            // one goes back to the word loop.
            let high = word & 0x8080_8080;
            if high == 0 {
                return Ok(raw.len() - rest.len());
            }
            rest = rest
                .get((high.trailing_zeros() / 8) as usize..)
                .unwrap_or_default();
            continue;
        }
        // In bounds (a 7-bit index into 128 entries); the check folds away.
        let entry = FAST.get((word & 0x7F) as usize).copied().unwrap_or(FAIL);
        let len = (word & (entry >> 32) as u32) ^ entry as u32;
        let next = if len <= 4 {
            rest.get(len as usize..)
        } else {
            raw.get(one(raw, raw.len() - rest.len())?..)
        };
        rest = next.unwrap_or_default();
    }
    let mut i = raw.len() - rest.len();
    while raw.get(i).is_some_and(|&b| b >= 0x80) {
        i = one(raw, i)?;
    }
    Ok(i)
}

/// The one sequence at `i` (lead byte >= 0x80), checked byte by byte against Unicode
/// Table 3-7; returns where it ends, or `Err(i)`.
fn one(raw: &[u8], i: usize) -> Result<usize, usize> {
    let lead = raw.get(i).copied().unwrap_or(0);
    let (len, lo, hi) = match lead {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xE1..=0xEF => (3, 0x80, 0xBF),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return Err(i),
    };
    let second = raw.get(i + 1).is_some_and(|b| (lo..=hi).contains(b));
    let rest = raw
        .get(i + 2..i + len)
        .is_some_and(|r| r.iter().all(|&b| b & 0xC0 == 0x80));
    if second && rest {
        Ok(i + len)
    } else {
        Err(i)
    }
}

/// The high bits (non-ASCII bytes) of the first eight bytes of `bytes` (which holds eight).
fn word(bytes: &[u8]) -> u64 {
    crate::swar::word(bytes, 0).map_or(0, |w| w & HI)
}
