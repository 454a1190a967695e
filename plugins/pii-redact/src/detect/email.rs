//! email: `local@domain.tld` found around each `@` (RFC 5322-ish dot-atom, no quoted locals).

use super::chars::{at, before, is_alnum};
use super::skip::next_byte;
use crate::entity::Span;

fn is_local(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'')
}

fn is_label(c: u8) -> bool {
    is_alnum(c) || c == b'-'
}

/// Every email address in `text`.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        i = next_byte(b, i, b'@');
        if i >= b.len() {
            break;
        }
        match at_sign(b, i) {
            Some(span) => {
                out.push(span);
                i = span.end;
            }
            None => i += 1,
        }
    }
}

fn at_sign(b: &[u8], i: usize) -> Option<Span> {
    // Local part: walk left over local characters, then drop leading dots/quotes.
    let mut start = i;
    // Bounded walks (RFC 5321: local part <= 64, label <= 63) keep junk like `aaaa...@@@@`
    // linear.
    while start > 0 && is_local(before(b, start)) {
        if i - start > 64 {
            return None;
        }
        start -= 1;
    }
    while start < i && matches!(at(b, start), b'.' | b'\'' | b'-') {
        start += 1;
    }
    let local = b.get(start..i)?;
    if local.is_empty() || local.len() > 64 || local.ends_with(b".") {
        return None;
    }
    if local.windows(2).any(|w| w == b"..") {
        return None;
    }
    // Junk such as `a@b@c.com` or a non-ASCII letter glued to the local part.
    let prev = before(b, start);
    if prev == b'@' || prev >= 0x80 {
        return None;
    }
    // Domain: labels separated by single dots; the last label (TLD) is letters only.
    let mut j = i + 1;
    let mut labels = 0usize;
    let mut last_label = (j, j);
    loop {
        let ls = j;
        while j < b.len() && is_label(at(b, j)) && j - ls <= 63 {
            j += 1;
        }
        let label = b.get(ls..j)?;
        if label.is_empty() || label.len() > 63 || label.starts_with(b"-") || label.ends_with(b"-")
        {
            if labels == 0 {
                return None;
            }
            // The domain ended before the dot we consumed.
            break;
        }
        labels += 1;
        last_label = (ls, j);
        if at(b, j) == b'.' && is_label(at(b, j + 1)) {
            j += 1;
            continue;
        }
        break;
    }
    let tld = b.get(last_label.0..last_label.1)?;
    if labels < 2 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let end = last_label.1;
    let next = at(b, end);
    if next == b'@' || next == b'_' || next >= 0x80 {
        return None;
    }
    Some(Span { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        crate::detect::spans_of(find, text)
    }

    #[test]
    fn positives() {
        let cases: &[(&str, &[&str])] = &[
            ("mail xvaillant@example.com now", &["xvaillant@example.com"]),
            ("user=mia01@example.com src=1", &["mia01@example.com"]),
            ("<jo.doe+tag@mail.co.uk>.", &["jo.doe+tag@mail.co.uk"]),
            (
                "write to phill@wilson-perry.net.",
                &["phill@wilson-perry.net"],
            ),
            ("a@b.io and c_d@e-f.gov.br", &["a@b.io", "c_d@e-f.gov.br"]),
            ("mailto:X.Y@Example.ORG", &["X.Y@Example.ORG"]),
            ("(o'neil@irish.ie)", &["o'neil@irish.ie"]),
        ];
        for (text, want) in cases {
            assert_eq!(spans(text), *want, "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "@handle on twitter",
            "user@localhost",
            "a@b.c",
            "x@1.2.3.4",
            "git@github.com:org/repo is ssh", // still an address-like host: see below
            "a@b@c.com",
            "foo@.com",
            "foo@-bar.com",
            "price: 3 @ 4.50",
            "name@domain.c0m",
            "..@x.com",
        ] {
            let got = spans(text);
            if text.starts_with("git@") {
                assert_eq!(got, vec!["git@github.com"]);
            } else {
                assert!(got.is_empty(), "{text}: {got:?}");
            }
        }
    }
}
