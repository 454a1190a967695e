//! ip_address: IPv4 dotted quads (octets 0-255, no leading zeros, not part of a longer dotted
//! number such as a version `1.2.3.4.5`) and IPv6 (full, `::`-compressed, IPv4-suffixed).

use super::chars::{at, before, is_alnum, is_digit, keyword_before};
use super::skip::next_dot_or_colon;
use crate::entity::Span;

/// Words that make a dotted quad a version number.
const VETO: &[&str] = &[
    "version", "release", "bump", "upgrade", "build", "firmware", "patch",
];

/// Bytes after which no address starts: `[A-Za-z0-9.:_-]`.
const GLUED: [bool; 256] = glued();

// Evaluated at compile time (a const table): an out-of-range index fails the build.
#[allow(clippy::indexing_slicing)]
const fn glued() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'_' | b'-');
        c += 1;
    }
    t
}

fn is_glued(c: u8) -> bool {
    GLUED.get(usize::from(c)).copied().unwrap_or(false) // 256 entries: always found
}

/// Every IP address in `text`.
///
/// An address has a `:` or `.` right after its first run of at most four hex digits (or starts
/// with `::`), and starts after a byte that is not glued (`[A-Za-z0-9.:_-]`). So the scan
/// jumps from one `.`/`:` to the next (a word at a time) and looks back at most five bytes for
/// the start that owns it: each start owns one such byte, in the same order.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut from = 0; // no address starts before this
    let mut k = 0;
    loop {
        k = next_dot_or_colon(b, k);
        if k >= b.len() {
            break;
        }
        let i = owner(b, k);
        let dot = at(b, k) == b'.';
        k += 1;
        let Some(i) = i.filter(|&i| i >= from && !is_glued(before(b, i))) else {
            continue;
        };
        // A start whose first hex run ends at a `.` is no IPv6 address (one group, then the
        // group loop stops): only the dotted quad is tried.
        let v6 = if dot { None } else { ipv6(b, i) };
        if let Some(end) = v6.or_else(|| ipv4(b, i)) {
            out.push(Span { start: i, end });
            from = end;
            k = end;
        }
    }
}

/// The start whose first `.`/`:` is at `k`: the hex run of at most four digits right before
/// it, or `k` itself for `::`.
fn owner(b: &[u8], k: usize) -> Option<usize> {
    let mut i = k;
    while i > 0 && b.get(i - 1).is_some_and(u8::is_ascii_hexdigit) {
        if k - i == 4 {
            return None;
        }
        i -= 1;
    }
    (i < k || (at(b, k) == b':' && at(b, k + 1) == b':')).then_some(i)
}

/// One octet at `i`: (value, end).
fn octet(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut v = 0u32;
    while is_digit(at(b, j)) && j - i < 4 {
        v = v * 10 + u32::from(at(b, j) - b'0');
        j += 1;
    }
    let n = j - i;
    if n == 0 || n > 3 || v > 255 || (n > 1 && at(b, i) == b'0') {
        return None;
    }
    Some((v, j))
}

/// Four octets starting at `i`, without checking what follows.
fn quad(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for k in 0..4 {
        if k > 0 {
            if at(b, j) != b'.' {
                return None;
            }
            j += 1;
        }
        j = octet(b, j)?.1;
    }
    Some(j)
}

fn ipv4(b: &[u8], i: usize) -> Option<usize> {
    let end = quad(b, i)?;
    if keyword_before(b, i, 24, VETO) {
        return None;
    }
    let next = at(b, end);
    if is_alnum(next) || next == b'_' || (matches!(next, b'.' | b'-') && is_alnum(at(b, end + 1))) {
        return None;
    }
    Some(end)
}

fn ipv6(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let mut groups = 0usize;
    let mut compressed = false;
    let mut has_digit = false;
    if at(b, j) == b':' {
        if at(b, j + 1) != b':' {
            return None;
        }
        compressed = true;
        j += 2;
    }
    loop {
        // An embedded IPv4 tail (`::ffff:192.0.2.1`) counts as two groups.
        if groups > 0 || compressed {
            if let Some(end) = quad(b, j) {
                if groups + 2 <= 8 {
                    groups += 2;
                    has_digit = true;
                    j = end;
                    break;
                }
            }
        }
        let gs = j;
        while at(b, j).is_ascii_hexdigit() && j - gs < 5 {
            has_digit |= is_digit(at(b, j));
            j += 1;
        }
        let n = j - gs;
        if n == 0 {
            // Only legal right after `::`.
            if !(compressed
                && at(b, j.wrapping_sub(1)) == b':'
                && before(b, j.wrapping_sub(1)) == b':')
            {
                return None;
            }
            break;
        }
        if n > 4 {
            return None;
        }
        groups += 1;
        if at(b, j) == b':' && at(b, j + 1) == b':' {
            if compressed {
                return None;
            }
            compressed = true;
            j += 2;
            if !at(b, j).is_ascii_hexdigit() {
                break;
            }
            continue;
        }
        if at(b, j) == b':' && at(b, j + 1).is_ascii_hexdigit() {
            j += 1;
            continue;
        }
        break;
    }
    let next = at(b, j);
    if is_alnum(next) || next == b'_' || next == b':' || (next == b'.' && is_alnum(at(b, j + 1))) {
        return None;
    }
    let ok = if compressed {
        (2..=7).contains(&groups) || (groups == 1 && i + 2 < j)
    } else {
        groups == 8
    };
    (ok && has_digit).then_some(j)
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
            ("src=94.42.160.65 status", "94.42.160.65"),
            ("host 10.0.0.1.", "10.0.0.1"),
            ("(255.255.255.0)", "255.255.255.0"),
            (
                "ip 46b6:b278:504a:33d0:2fae:f75c:58e0:bd28 x",
                "46b6:b278:504a:33d0:2fae:f75c:58e0:bd28",
            ),
            (
                "ip ff51:ed14:b698:880f:2845:2403:c77:ac90.",
                "ff51:ed14:b698:880f:2845:2403:c77:ac90",
            ),
            ("ip 2001:db8::8a2e:370:7334 x", "2001:db8::8a2e:370:7334"),
            ("ip fe80::1 x", "fe80::1"),
            ("ip ::ffff:192.0.2.128 x", "::ffff:192.0.2.128"),
            ("ip 2001:db8:: x", "2001:db8::"),
        ] {
            assert_eq!(spans(text), vec![want], "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "bumps serde to 4.1.6.",
            "Version 9.3.8.7 released",
            "bumps foo to 1.2.3.4",
            "version 1.2.3.4.5",
            "v1.2.3.4",
            "256.1.1.1",
            "1.2.3",
            "01.02.03.04",
            "1.2.3.4.5",
            "12:30:45",
            "std::vec",
            "Add::add",
            "a:b:c:d",
            "00:1a:2b:3c:4d:5e",
            "1:2:3:4:5:6:7:8:9",
            "dead::beef",
            "2001:db8::1::2",
            "x10.0.0.1",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
