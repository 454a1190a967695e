//! ascii_lower: lowercase an ASCII text eight bytes per step (SWAR), the same string
//! `str::to_lowercase` gives for it at a fraction of the wasm instructions (the standard
//! library's loops go a byte or a char at a time, ~25 instructions a byte in wasm).

use guardrail_sdk::swar::{HI, LO};

/// `text` lowercased: byte-wise with SWAR when it is ASCII, by `to_lowercase` otherwise.
pub fn lowercase(text: &str) -> String {
    if !text.is_ascii() {
        return text.to_lowercase();
    }
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        out.extend_from_slice(&lower_word(u64::from_le_bytes(w)).to_le_bytes());
    }
    out.extend(chunks.remainder().iter().map(u8::to_ascii_lowercase));
    // ASCII in, ASCII out: always valid (the fallback is never taken).
    String::from_utf8(out).unwrap_or_else(|_| text.to_lowercase())
}

/// Eight ASCII bytes (each < 0x80) with `A..=Z` turned into `a..=z`.
#[inline(always)]
fn lower_word(w: u64) -> u64 {
    // Per byte b < 0x80 no sum carries into the next byte: b + 0x3f has its high bit set iff
    // b >= b'A', b + 0x25 iff b > b'Z'.
    let ge_a = w.wrapping_add(LO * u64::from(0x80 - b'A'));
    let gt_z = w.wrapping_add(LO * u64::from(0x80 - b'Z' - 1));
    let upper = ge_a & !gt_z & HI;
    w | (upper >> 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_to_lowercase() {
        let mut all: Vec<u8> = (0u8..0x80).collect();
        all.extend((0u8..0x80).rev());
        let ascii = String::from_utf8(all).unwrap();
        for t in [
            "",
            "A",
            "Hello, World! ABC xyz @[`{",
            "SYSTEM: Ignore Previous INSTRUCTIONS",
            "ÀÉÎ Straße İstanbul K",
            ascii.as_str(),
        ] {
            assert_eq!(lowercase(t), t.to_lowercase(), "{t:?}");
            for cut in 0..t.len() {
                if let Some(head) = t.get(..cut) {
                    assert_eq!(lowercase(head), head.to_lowercase(), "{head:?}");
                }
            }
        }
    }
}
