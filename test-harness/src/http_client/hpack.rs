//! hpack: the few pieces of HPACK (RFC 7541) the test HTTP/2 client needs: encoding header
//! fields as literals without indexing and without Huffman coding (always valid, never
//! touches the peer's dynamic table), and reading `:status` from a response header block.

use std::io;

use super::wire::invalid;

/// An integer with an `n`-bit prefix (RFC 7541 §5.1); `flags` are the first byte's high bits.
fn encode_int(out: &mut Vec<u8>, n: u32, flags: u8, value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut rest = value - max;
    while rest >= 128 {
        out.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.push(rest as u8);
}

fn decode_int(block: &[u8], at: &mut usize, n: u32) -> io::Result<usize> {
    let max = (1usize << n) - 1;
    let first = *block
        .get(*at)
        .ok_or_else(|| invalid("hpack: truncated integer"))?;
    *at += 1;
    let mut value = usize::from(first) & max;
    if value < max {
        return Ok(value);
    }
    let mut shift = 0u32;
    loop {
        let b = *block
            .get(*at)
            .ok_or_else(|| invalid("hpack: truncated integer"))?;
        *at += 1;
        value = (usize::from(b & 0x7f) << shift)
            .checked_add(value)
            .filter(|_| shift < 28)
            .ok_or_else(|| invalid("hpack: integer too large"))?;
        if b & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

fn encode_string(out: &mut Vec<u8>, s: &str) {
    encode_int(out, 7, 0x00, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// A header field as a literal without indexing, new name (RFC 7541 §6.2.2). HTTP/2 field
/// names must be lower case, so `name` is lowered.
pub fn encode_literal(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(0x00);
    encode_string(out, &name.to_ascii_lowercase());
    encode_string(out, value);
}

/// A string literal: (Huffman-coded?, bytes).
fn decode_string<'a>(block: &'a [u8], at: &mut usize) -> io::Result<(bool, &'a [u8])> {
    let huffman = block.get(*at).is_some_and(|b| b & 0x80 != 0);
    let len = decode_int(block, at, 7)?;
    let bytes = block
        .get(*at..*at + len)
        .ok_or_else(|| invalid("hpack: truncated string"))?;
    *at += len;
    Ok((huffman, bytes))
}

/// Digits of a Huffman-coded status (RFC 7541 Appendix B: '0'-'2' are the 5-bit codes 0-2,
/// '3'-'9' the 6-bit codes 0x19-0x1f; the end is padded with at most seven 1 bits).
fn huffman_digits(bytes: &[u8]) -> io::Result<String> {
    let bits = bytes.len() * 8;
    let bit = |i: usize| bytes.get(i / 8).map_or(0, |b| (b >> (7 - i % 8)) & 1);
    let read = |from: usize, n: usize| (from..from + n).fold(0u8, |v, i| (v << 1) | bit(i));
    let mut out = String::new();
    let mut i = 0;
    while i < bits {
        let left = bits - i;
        if left < 8 && (i..bits).all(|k| bit(k) == 1) {
            break;
        }
        if left >= 5 && read(i, 5) <= 2 {
            out.push(char::from(b'0' + read(i, 5)));
            i += 5;
        } else if left >= 6 && (0x19..=0x1f).contains(&read(i, 6)) {
            out.push(char::from(b'3' + read(i, 6) - 0x19));
            i += 6;
        } else {
            return Err(invalid("hpack: a Huffman-coded status that is not digits"));
        }
    }
    Ok(out)
}

/// Static table entries 8-14 are `:status` with these values (RFC 7541 Appendix A).
const STATIC_STATUS: [u16; 7] = [200, 204, 206, 304, 400, 404, 500];

/// `:status` of a response header block. Pseudo-header fields come first (RFC 9113
/// §8.3), so only the fields before it are walked; a block without it is an error.
pub fn decode_status(block: &[u8]) -> io::Result<u16> {
    let mut at = 0;
    while let Some(&b) = block.get(at) {
        if b & 0x80 != 0 {
            let index = decode_int(block, &mut at, 7)?;
            if let Some(s) = index.checked_sub(8).and_then(|i| STATIC_STATUS.get(i)) {
                return Ok(*s);
            }
            continue;
        }
        if b & 0xe0 == 0x20 {
            decode_int(block, &mut at, 5)?; // dynamic table size update
            continue;
        }
        let prefix = if b & 0x40 != 0 { 6 } else { 4 };
        let index = decode_int(block, &mut at, prefix)?;
        let is_status = if index == 0 {
            let (huffman, name) = decode_string(block, &mut at)?;
            !huffman && name == b":status"
        } else {
            (8..=14).contains(&index)
        };
        let (huffman, value) = decode_string(block, &mut at)?;
        if is_status {
            let text = if huffman {
                huffman_digits(value)?
            } else {
                String::from_utf8_lossy(value).into_owned()
            };
            return text
                .parse()
                .map_err(|_| invalid(format!("hpack: status {text:?}")));
        }
    }
    Err(invalid("hpack: no :status in the response headers"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_across_the_prefix() {
        for n in [4u32, 5, 6, 7] {
            for v in [
                0usize, 1, 14, 15, 30, 31, 62, 63, 126, 127, 128, 300, 70_000,
            ] {
                let mut out = Vec::new();
                encode_int(&mut out, n, 0, v);
                let mut at = 0;
                assert_eq!(decode_int(&out, &mut at, n).unwrap(), v, "n={n} v={v}");
                assert_eq!(at, out.len());
            }
        }
        // RFC 7541 C.1.2: 1337 with a 5-bit prefix.
        let mut out = Vec::new();
        encode_int(&mut out, 5, 0, 1337);
        assert_eq!(out, [0x1f, 0x9a, 0x0a]);
    }

    #[test]
    fn status_in_every_representation() {
        // Indexed: static entry 8 (200) and 13 (404).
        assert_eq!(decode_status(&[0x88]).unwrap(), 200);
        assert_eq!(decode_status(&[0x8d, 0x00]).unwrap(), 404);
        // Size update, then literal with incremental indexing, indexed name 8, raw "403".
        assert_eq!(decode_status(b"\x3f\xe1\x1f\x48\x03403").unwrap(), 403);
        // RFC 7541 C.6.1: ":status: 302" Huffman-coded with indexed name 8 = 0x48 0x82 0x64 0x02.
        assert_eq!(decode_status(&[0x48, 0x82, 0x64, 0x02]).unwrap(), 302);
        // Literal without indexing, literal name.
        let mut block = Vec::new();
        encode_literal(&mut block, ":status", "413");
        assert_eq!(decode_status(&block).unwrap(), 413);
    }

    #[test]
    fn huffman_digits_cover_every_digit() {
        // '0'..'9' packed: 00000 00001 00010 011001 011010 011011 011100 011101 011110 011111
        // then 1-padding: 5*3 + 6*7 = 57 bits -> 8 bytes with 7 padding bits.
        let codes: [(u8, usize); 10] = [
            (0, 5),
            (1, 5),
            (2, 5),
            (0x19, 6),
            (0x1a, 6),
            (0x1b, 6),
            (0x1c, 6),
            (0x1d, 6),
            (0x1e, 6),
            (0x1f, 6),
        ];
        let mut bits: Vec<u8> = Vec::new();
        for (code, len) in codes {
            bits.extend((0..len).rev().map(|k| (code >> k) & 1));
        }
        while !bits.len().is_multiple_of(8) {
            bits.push(1);
        }
        let bytes: Vec<u8> = bits
            .chunks(8)
            .map(|c| c.iter().fold(0, |v, b| (v << 1) | b))
            .collect();
        assert_eq!(huffman_digits(&bytes).unwrap(), "0123456789");
        assert!(huffman_digits(&[0b1010_1010]).is_err());
    }

    #[test]
    fn a_block_without_status_or_cut_short_is_an_error() {
        let mut block = Vec::new();
        encode_literal(&mut block, "content-type", "application/json");
        assert!(decode_status(&block).is_err());
        assert!(decode_status(&[0x48, 0x05, b'4']).is_err());
        assert!(decode_status(&[0x7f]).is_err());
    }
}
