//! Tests of `utf8`: the same verdict and `valid_up_to` as `std::str::from_utf8` on every 1- and
//! 2-byte string, on every lead byte followed by boundary bytes at every offset of an ASCII
//! word, and on fuzzed strings (what the `from_utf8_unchecked` in `utf8::from_utf8` rests on).

use super::utf8::{from_utf8, validate};
use crate::fuzz::{iters, mutate, Rng};

/// The verdict and offset `std` gives.
fn reference(raw: &[u8]) -> Result<(), usize> {
    std::str::from_utf8(raw)
        .map(|_| ())
        .map_err(|e| e.valid_up_to())
}

fn same_as_std(raw: &[u8]) {
    assert_eq!(validate(raw), reference(raw), "{raw:x?}");
}

/// Second/third/fourth bytes at every boundary of Table 3-7 (and ASCII, leads, 0xFF).
const EDGES: &[u8] = &[
    0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4,
    0xFF,
];

#[test]
fn every_one_and_two_byte_string() {
    for a in 0..=255u8 {
        same_as_std(&[a]);
        for b in 0..=255u8 {
            same_as_std(&[a, b]);
        }
    }
}

#[test]
fn every_lead_with_every_second_byte_and_edge_third_bytes() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            for &c in EDGES {
                same_as_std(&[a, b, c]);
            }
        }
    }
}

/// Every lead byte with edge continuation bytes, at each offset in and after an ASCII word
/// (the word loop hands over to the sequence checker at every position), truncated anywhere.
#[test]
fn every_lead_with_edge_continuations_at_every_offset() {
    let mut buf = Vec::with_capacity(32);
    for a in 0..=255u8 {
        for &b in EDGES {
            for &c in EDGES {
                for &d in EDGES {
                    let seq = [a, b, c, d];
                    for prefix in [0usize, 3, 7, 8, 9] {
                        buf.clear();
                        buf.extend(std::iter::repeat_n(b'a', prefix));
                        buf.extend_from_slice(&seq);
                        buf.extend_from_slice(b"xyz");
                        same_as_std(&buf);
                    }
                    for len in 1..4 {
                        same_as_std(&seq[..len]);
                    }
                }
            }
        }
    }
}

#[test]
fn every_scalar_value_is_accepted_and_surrogates_are_not() {
    let mut buf = [0u8; 4];
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let s = c.encode_utf8(&mut buf);
        assert_eq!(validate(s.as_bytes()), Ok(()), "{c:?}");
    }
    // D800-DFFF as if encoded: ED A0..BF xx.
    for hi in 0xA0..=0xBFu8 {
        same_as_std(&[b'a', 0xED, hi, 0x80]);
    }
    // Above U+10FFFF and overlongs.
    for raw in [
        &[0xF4, 0x90, 0x80, 0x80][..],
        &[0xF5, 0x80, 0x80, 0x80],
        &[0xC0, 0x80],
        &[0xC1, 0xBF],
        &[0xE0, 0x9F, 0xBF],
        &[0xF0, 0x8F, 0xBF, 0xBF],
    ] {
        assert_eq!(validate(raw), Err(0), "{raw:x?}");
        same_as_std(raw);
    }
}

#[test]
fn fuzzed_strings_get_the_verdict_and_text_of_std() {
    let seeds: &[&[u8]] = &[
        "plain ascii text, long enough to fill a few words".as_bytes(),
        "s\u{200b}o\u{200b}u\u{200b}p s\u{200b}o\u{200b}u\u{200b}p".as_bytes(),
        "汤和面包。我想做一碗热汤,需要土豆和胡萝卜。".as_bytes(),
        "суп и хлеб, café, 😀 emoji 🍞 and ünïcödé".as_bytes(),
        b"",
    ];
    let tokens: &[&[u8]] = &[
        b"\x80",
        b"\xbf",
        b"\xc0\x80",
        b"\xc2",
        b"\xe2\x80",
        b"\xed\xa0\x80",
        b"\xed\x9f\xbf",
        b"\xef\xbf\xbf",
        b"\xf0\x90\x80\x80",
        b"\xf4\x8f\xbf\xbf",
        b"\xf4\x90\x80\x80",
        b"\xf5",
        b"\xff",
        "é".as_bytes(),
        "\u{200b}".as_bytes(),
        "😀".as_bytes(),
        b"abcdefgh",
    ];
    let mut rng = Rng::new(0x7574_6638);
    let rounds = iters(200_000);
    let mut valid = 0;
    for round in 0..rounds {
        let raw = if round % 4 == 3 {
            // Random bytes, weighted towards the interesting ones.
            let len = rng.below(24);
            (0..len)
                .map(|_| {
                    if rng.below(2) == 0 {
                        EDGES.get(rng.below(EDGES.len())).copied().unwrap_or(0)
                    } else {
                        rng.next_u64() as u8
                    }
                })
                .collect()
        } else {
            let seed = rng.pick(seeds).copied().unwrap_or_default();
            mutate(&mut rng, seed, tokens)
        };
        same_as_std(&raw);
        if let Ok(text) = std::str::from_utf8(&raw) {
            assert_eq!(from_utf8(&raw), Ok(text));
            valid += 1;
        }
    }
    // Both verdicts were reached often.
    assert!(valid > rounds / 10 && valid < rounds * 9 / 10, "{valid}");
}

/// The benchmark's shapes (1 MiB whole, 64 KiB broken), with one byte broken at many offsets.
#[test]
fn long_texts_match_std_with_a_break_anywhere() {
    let texts = [
        "soup and bread ".repeat(70_000),
        "s\u{200b}o\u{200b}u\u{200b}p ".repeat(80_000),
        "汤和面包".repeat(90_000),
        "суп 😀 ".repeat(90_000),
    ];
    for text in texts {
        let raw = text.as_bytes();
        assert!(raw.len() > 1_000_000);
        assert_eq!(from_utf8(raw), Ok(text.as_str()));
        let raw = raw.get(..65_536).unwrap_or_default();
        for k in 0..24usize {
            let at = (k * 7919 * 13) % raw.len();
            for bad in [0x80u8, 0xE2, 0xFF] {
                let mut broken = raw.to_vec();
                if let Some(b) = broken.get_mut(at) {
                    *b = bad;
                }
                same_as_std(&broken);
                same_as_std(&broken[..at + 1]);
            }
        }
    }
}
