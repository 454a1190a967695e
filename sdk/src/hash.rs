//! Hashing primitives on the `sha2`/`hmac` crates: SHA-256, HMAC-SHA-256, a constant-time
//! comparison and lowercase hex, so no plugin hand-rolls crypto.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Keyed HMAC states (inner and outer pads already absorbed) of the last few keys. Plugins use
/// one or two fixed keys (the identity secret, key-auth's pepper) for every request; cloning a
/// keyed state skips two of the ~5 SHA-256 compressions of a short HMAC. One VM is
/// single-threaded, so this is per VM.
const KEYED_CACHE: usize = 4;

thread_local! {
    static KEYED: std::cell::RefCell<Vec<(Vec<u8>, Hmac<Sha256>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn keyed(key: &[u8]) -> Option<Hmac<Sha256>> {
    KEYED.with(|cache| {
        let mut cache = cache.try_borrow_mut().ok();
        if let Some(hit) = cache
            .as_ref()
            .and_then(|c| c.iter().find(|(k, _)| ct_eq(k, key)))
        {
            return Some(hit.1.clone());
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        if let Some(c) = cache.as_mut() {
            if c.len() >= KEYED_CACHE {
                c.remove(0);
            }
            c.push((key.to_vec(), mac.clone()));
        }
        Some(mac)
    })
}

/// HMAC-SHA-256 (RFC 2104) of `msg` under `key`. Keys of any length are valid.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    match keyed(key) {
        Some(mut mac) => {
            mac.update(msg);
            mac.finalize().into_bytes().into()
        }
        // HMAC accepts every key length (long keys are hashed first), so this arm is unreachable;
        // it exists so the function cannot panic. Same RFC 2104 long-key rule, done by hand.
        None => hmac_sha256(&sha256(key), msg),
    }
}

/// Equality whose running time depends only on the lengths, not on where the bytes differ.
/// Lengths are not secret here (digests and signatures have fixed sizes).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// Parse exactly 64 hex digits (either case) into a SHA-256 digest; `None` otherwise.
/// Used for configs that store key hashes.
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let hi = hex_value(*pair.first()?)?;
        let lo = hex_value(*pair.get(1)?)?;
        *slot = (hi << 4) | lo;
    }
    Some(out)
}

/// The value of one hex digit (either case).
pub fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_fips_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn cached_keyed_states_give_the_same_macs_as_fresh_ones() {
        let fresh = |k: &[u8], m: &[u8]| -> [u8; 32] {
            let mut mac = Hmac::<Sha256>::new_from_slice(k).unwrap();
            mac.update(m);
            mac.finalize().into_bytes().into()
        };
        // More keys than the cache holds, interleaved, each used several times.
        let keys: Vec<Vec<u8>> = (0..7u8)
            .map(|i| vec![i; 10 + usize::from(i) * 20])
            .collect();
        for round in 0..3u8 {
            for k in &keys {
                let msg = [round, k.len() as u8, 42];
                assert_eq!(hmac_sha256(k, &msg), fresh(k, &msg));
            }
        }
    }

    #[test]
    fn hmac_matches_rfc4231_vectors() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231 test case 6: a 131-byte key (longer than the block) is hashed first.
        let key = [0xaau8; 131];
        assert_eq!(
            hex(&hmac_sha256(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"xbc", b"abc"));
    }

    #[test]
    fn hex_round_trips_through_parse_hex32() {
        let digest = sha256(b"key");
        let text = hex(&digest);
        assert_eq!(parse_hex32(&text), Some(digest));
        assert_eq!(parse_hex32(&text.to_uppercase()), Some(digest));
        assert_eq!(parse_hex32(&text[..62]), None);
        assert_eq!(parse_hex32(&format!("{}zz", &text[..62])), None);
        assert_eq!(parse_hex32("é".repeat(32).as_str()), None);
    }
}
