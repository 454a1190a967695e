//! secret: provider credential shapes (OpenAI, Anthropic, AWS, GitHub, Slack, Google, Stripe),
//! JWTs, PEM private-key blocks, 40-char AWS-secret-like strings and high-entropy values after
//! a credential keyword (`api_key=`, `password:`, `Bearer `...).

use super::chars::{at, before, entropy, eq_ci, is_alnum, starts_at};
use crate::entity::Span;

/// Character sets of key bodies.
#[derive(Clone, Copy)]
enum Set {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Z0-9]`
    Upper,
    /// `[A-Za-z0-9_-]`
    Url,
    /// `[A-Za-z0-9_]`
    Word,
    /// `[A-Za-z0-9-]`
    Dash,
}

impl Set {
    fn has(self, c: u8) -> bool {
        match self {
            Set::Alnum => c.is_ascii_alphanumeric(),
            Set::Upper => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Set::Url => c.is_ascii_alphanumeric() || c == b'_' || c == b'-',
            Set::Word => c.is_ascii_alphanumeric() || c == b'_',
            Set::Dash => c.is_ascii_alphanumeric() || c == b'-',
        }
    }
}

/// (prefix, body set, min body length, max body length). Longer prefixes first.
const PREFIXES: &[(&[u8], Set, usize, usize)] = &[
    (b"sk-ant-", Set::Url, 20, 400),
    (b"sk-proj-", Set::Url, 20, 400),
    (b"sk-svcacct-", Set::Url, 20, 400),
    (b"sk-admin-", Set::Url, 20, 400),
    (b"sk-", Set::Url, 20, 400),
    (b"sk_live_", Set::Alnum, 16, 200),
    (b"rk_live_", Set::Alnum, 16, 200),
    (b"sk_test_", Set::Alnum, 16, 200),
    (b"rk_test_", Set::Alnum, 16, 200),
    (b"whsec_", Set::Alnum, 24, 200),
    (b"github_pat_", Set::Word, 22, 255),
    (b"ghp_", Set::Alnum, 30, 255),
    (b"gho_", Set::Alnum, 30, 255),
    (b"ghs_", Set::Alnum, 30, 255),
    (b"ghu_", Set::Alnum, 30, 255),
    (b"ghr_", Set::Alnum, 30, 255),
    (b"glpat-", Set::Url, 20, 64),
    (b"xoxb-", Set::Dash, 10, 255),
    (b"xoxp-", Set::Dash, 10, 255),
    (b"xoxa-", Set::Dash, 10, 255),
    (b"xoxr-", Set::Dash, 10, 255),
    (b"xoxs-", Set::Dash, 10, 255),
    (b"AIza", Set::Url, 35, 35),
    (b"hf_", Set::Alnum, 30, 64),
    (b"AKIA", Set::Upper, 16, 16),
    (b"ASIA", Set::Upper, 16, 16),
    (b"AGPA", Set::Upper, 16, 16),
    (b"AIDA", Set::Upper, 16, 16),
    (b"AROA", Set::Upper, 16, 16),
    (b"ANPA", Set::Upper, 16, 16),
    (b"ANVA", Set::Upper, 16, 16),
    (b"AIPA", Set::Upper, 16, 16),
];

/// Keywords after which a value is a credential. `true` = password-like (shorter values).
const KEYWORDS: &[(&str, bool)] = &[
    ("api_key", false),
    ("apikey", false),
    ("api-key", false),
    ("access_key", false),
    ("secret_key", false),
    ("client_secret", false),
    ("private_key", false),
    ("secret", false),
    ("access_token", false),
    ("auth_token", false),
    ("token", false),
    ("bearer", false),
    ("authorization", false),
    ("password", true),
    ("passwd", true),
    ("pwd", true),
    ("passphrase", true),
];

/// Byte classes for the scan loop, computed at compile time from the tables above.
/// `TOKEN`: `[A-Za-z0-9_-]` (a position after one is inside a token, not at a word start).
/// `PREFIX`/`KEYWORD`: can start a provider prefix / (either case) a credential keyword.
/// Most words start with neither, and most positions are inside a word, where only a keyword
/// after `_` can start (`DB_PASSWORD=`): the loop skips those positions in a tight run.
const CLASS: [u8; 256] = classes();
const TOKEN: u8 = 1;
const PREFIX: u8 = 2;
const KEYWORD: u8 = 4;
/// `[A-Za-z0-9+/]` (the AWS-secret alphabet).
const B64: u8 = 8;

/// Second bytes that can follow each first byte of a prefix (exact) or a keyword (lowercase
/// pair): one bit per ASCII second byte. A word starting `th`, `so`, `be`... stops here.
const PREFIX_PAIRS: [u128; 128] = prefix_pairs();
const KEYWORD_PAIRS: [u128; 128] = keyword_pairs();
/// Third bytes (lowercase) of the keywords: `to `, `today`... stop here.
const KEYWORD_THIRD: u128 = keyword_third();

// Evaluated at compile time (a const table): an out-of-range index fails the build.
#[allow(clippy::indexing_slicing)]
const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            t[c] |= TOKEN;
        }
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            t[c] |= B64;
        }
        c += 1;
    }
    let mut i = 0;
    while i < PREFIXES.len() {
        t[PREFIXES[i].0[0] as usize] |= PREFIX;
        i += 1;
    }
    let mut i = 0;
    while i < KEYWORDS.len() {
        let c = KEYWORDS[i].0.as_bytes()[0];
        t[c.to_ascii_lowercase() as usize] |= KEYWORD;
        t[c.to_ascii_uppercase() as usize] |= KEYWORD;
        i += 1;
    }
    t
}

// Evaluated at compile time (a const table): an out-of-range index fails the build.
#[allow(clippy::indexing_slicing)]
const fn prefix_pairs() -> [u128; 128] {
    let mut t = [0u128; 128];
    let mut i = 0;
    while i < PREFIXES.len() {
        let p = PREFIXES[i].0;
        t[p[0] as usize] |= 1u128 << p[1];
        i += 1;
    }
    t
}

// Evaluated at compile time (a const table): an out-of-range index fails the build.
#[allow(clippy::indexing_slicing)]
const fn keyword_pairs() -> [u128; 128] {
    let mut t = [0u128; 128];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let k = KEYWORDS[i].0.as_bytes();
        t[k[0] as usize] |= 1u128 << k[1];
        i += 1;
    }
    t
}

// Evaluated at compile time (a const table): an out-of-range index fails the build.
#[allow(clippy::indexing_slicing)]
const fn keyword_third() -> u128 {
    let mut m = 0u128;
    let mut i = 0;
    while i < KEYWORDS.len() {
        m |= 1u128 << KEYWORDS[i].0.as_bytes()[2];
        i += 1;
    }
    m
}

fn class(c: u8) -> u8 {
    CLASS.get(usize::from(c)).copied().unwrap_or(0) // 256 entries: always found
}

/// `c0 c1` can begin an entry of `pairs` (both bytes ASCII).
fn pair(pairs: &[u128; 128], c0: u8, c1: u8) -> bool {
    c1 < 128
        && pairs
            .get(usize::from(c0))
            .is_some_and(|bits| bits & (1u128 << c1) != 0)
}

fn token_char(c: u8) -> bool {
    class(c) & TOKEN != 0
}

/// A keyword may start at `i`: its first two bytes, either case, begin one.
fn keyword_may_start(b: &[u8], i: usize) -> bool {
    let c0 = at(b, i);
    let c2 = at(b, i + 2).to_ascii_lowercase();
    class(c0) & KEYWORD != 0
        && c2 < 128
        && KEYWORD_THIRD & (1u128 << c2) != 0
        && pair(
            &KEYWORD_PAIRS,
            c0.to_ascii_lowercase(),
            at(b, i + 1).to_ascii_lowercase(),
        )
}

/// The match that can start at `i`, a word start (the byte before is not a token byte).
fn at_word_start(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let c = at(b, i);
    let at_i = |end: Option<usize>| end.map(|e| (i, e));
    if c == b'-' {
        return at_i(pem(b, i));
    }
    if !c.is_ascii_alphanumeric() {
        return None;
    }
    (c == b'e')
        .then(|| jwt(b, i))
        .flatten()
        .map(|e| (i, e))
        .or_else(|| {
            (class(c) & PREFIX != 0 && pair(&PREFIX_PAIRS, c, at(b, i + 1)))
                .then(|| prefixed(b, i))
                .flatten()
                .map(|e| (i, e))
        })
        .or_else(|| keyword_may_start(b, i).then(|| keyword(b, i)).flatten())
        .or_else(|| at_i(aws_secret_like(b, i)))
}

/// Every secret in `text`. callgrind on 200 KB of prose (native): ~290 instructions per byte
/// with no gate, ~89 with first-byte gates only, ~30 with the class table, the in-token skip,
/// the two- and three-byte keyword gates and the O(1) length gate of the AWS-secret shape;
/// in wasm (harness fuel, 1 MiB) 212 -> 81 per byte.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let found = if token_char(before(b, i)) {
            // Inside a token only `DB_PASSWORD=...`, `OPENAI_API_KEY=...` can start: a
            // keyword at the end of a name. Skip to the next `_` + keyword or word start
            // (the byte before position `j` is `prev`).
            let from = i - 1; // i >= 1: there is a byte before i
            let stop = b
                .get(from..)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .position(|(k, &prev)| {
                    !token_char(prev) || (prev == b'_' && keyword_may_start(b, from + k + 1))
                });
            let j = stop.map_or(b.len(), |k| from + k + 1);
            if j != i {
                i = j;
                continue;
            }
            keyword(b, i) // stopped at once: `_` + a keyword start
        } else {
            at_word_start(b, i)
        };
        match found {
            Some((start, end)) if end > start && start >= i => {
                out.push(Span { start, end });
                i = end;
            }
            _ => i += 1,
        }
    }
}

fn prefixed(b: &[u8], i: usize) -> Option<usize> {
    let (c0, c1) = (at(b, i), at(b, i + 1));
    for &(prefix, set, min, max) in PREFIXES {
        // Two inline byte compares reject almost every word before a slice compare.
        if prefix.first() != Some(&c0) || prefix.get(1) != Some(&c1) || !starts_at(b, i, prefix) {
            continue;
        }
        let bs = i + prefix.len();
        let mut j = bs;
        while set.has(at(b, j)) {
            j += 1;
        }
        let n = j - bs;
        let body = b.get(bs..j)?;
        if n < min || n > max || token_char(at(b, j)) {
            return None;
        }
        // Generic `sk-` needs a random-looking body (not `sk-learn-is-great-...`).
        if prefix == b"sk-" && !high_entropy(body, min) {
            return None;
        }
        return Some(j);
    }
    None
}

fn b64url_run(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while Set::Url.has(at(b, j)) {
        j += 1;
    }
    j
}

/// `eyJ<header>.eyJ<payload>.<signature>`
fn jwt(b: &[u8], i: usize) -> Option<usize> {
    if !starts_at(b, i, b"eyJ") {
        return None;
    }
    let h = b64url_run(b, i);
    if h - i < 10 || at(b, h) != b'.' || !starts_at(b, h + 1, b"eyJ") {
        return None;
    }
    let p = b64url_run(b, h + 1);
    if p - (h + 1) < 10 || at(b, p) != b'.' {
        return None;
    }
    let s = b64url_run(b, p + 1);
    if s - (p + 1) < 8 {
        return None;
    }
    Some(s)
}

/// `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY-----` ... matching END line. An
/// unterminated block runs to the end of the text (fail closed).
fn pem(b: &[u8], i: usize) -> Option<usize> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const TAIL: &[u8] = b"PRIVATE KEY-----";
    if !starts_at(b, i, BEGIN) {
        return None;
    }
    let line_end = (i + BEGIN.len()..b.len().min(i + 80))
        .find(|&j| at(b, j) == b'\n')
        .unwrap_or(b.len().min(i + 80));
    let header = b.get(i + BEGIN.len()..line_end)?;
    let tail_at = header.windows(TAIL.len()).position(|w| w == TAIL)?;
    let mut j = i + BEGIN.len() + tail_at + TAIL.len();
    while j < b.len() {
        if starts_at(b, j, b"-----END ") {
            let k = (j + 9..b.len().min(j + 80)).find(|&k| starts_at(b, k, TAIL))?;
            return Some(k + TAIL.len());
        }
        j += 1;
    }
    Some(b.len())
}

/// A credential keyword at `i` followed by `:`/`=`/space and a secret-looking value: the
/// value's span (the keyword stays readable).
fn keyword(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let (c0, c1) = (
        at(b, i).to_ascii_lowercase(),
        at(b, i + 1).to_ascii_lowercase(),
    );
    let (kw, password) = KEYWORDS.iter().find(|(k, _)| {
        let k = k.as_bytes();
        k.first() == Some(&c0)
            && k.get(1) == Some(&c1)
            && b.get(i..i + k.len()).is_some_and(|w| eq_ci(w, k))
    })?;
    let mut j = i + kw.len();
    // `api_key_prod`, `tokenName`: tolerate a short identifier tail.
    let tail = j;
    while (at(b, j).is_ascii_alphanumeric() || at(b, j) == b'_') && j - tail < 12 {
        j += 1;
    }
    if at(b, j).is_ascii_alphanumeric() {
        return None;
    }
    let sep_start = j;
    let mut saw_assign = false;
    while j - sep_start < 4 && matches!(at(b, j), b' ' | b'\t' | b'"' | b'\'' | b':' | b'=') {
        saw_assign |= matches!(at(b, j), b':' | b'=');
        j += 1;
    }
    let is_bearer = eq_ci(kw.as_bytes(), b"bearer");
    if !(saw_assign || (is_bearer && j > sep_start)) {
        return None;
    }
    // `Authorization: Bearer xyz` -> the value starts after `Bearer `.
    if b.get(j..j + 7).is_some_and(|w| eq_ci(w, b"bearer ")) {
        j += 7;
    }
    let vs = j;
    let value_char = |c: u8| {
        if *password {
            c > b' ' && !matches!(c, b'"' | b'\'' | b',' | b';' | b'&' | b'<' | b'>' | b'`')
        } else {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'~')
        }
    };
    while j < b.len() && value_char(at(b, j)) && j - vs < 512 {
        j += 1;
    }
    // Sentence punctuation is not part of the value.
    while j > vs && matches!(at(b, j - 1), b'.' | b',') {
        j -= 1;
    }
    let value = b.get(vs..j)?;
    let ok = if *password {
        value.len() >= 6
            && value.iter().any(|c| !c.is_ascii_alphabetic())
            && !value.starts_with(b"{")
    } else {
        high_entropy(value, 16)
    };
    ok.then_some((vs, j))
}

/// Random-looking: long enough, letters and digits mixed, entropy high.
fn high_entropy(v: &[u8], min: usize) -> bool {
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let digit = v.iter().any(u8::is_ascii_digit);
    let classes = usize::from(upper) + usize::from(lower) + usize::from(digit);
    v.len() >= min
        && (digit || (upper && lower && v.len() >= 20))
        && classes >= 2
        && entropy(v) >= 3.5
}

/// Exactly 40 base64 characters with upper, lower and digits: the AWS secret access key shape.
fn aws_secret_like(b: &[u8], i: usize) -> Option<usize> {
    let is_b64 = |c: u8| class(c) & B64 != 0;
    // Exactly 40: byte 39 must be in the alphabet and byte 40 not (rejects most words at
    // once, before the run is scanned).
    if is_b64(before(b, i)) || !is_b64(at(b, i + 39)) || is_b64(at(b, i + 40)) {
        return None;
    }
    let mut j = i;
    while is_b64(at(b, j)) {
        j += 1;
    }
    let v = b.get(i..j)?;
    let next = at(b, j);
    if v.len() != 40
        || is_alnum(next)
        || matches!(next, b'_' | b'-' | b'=' | b'.' | b'@') && is_alnum(at(b, j + 1))
    {
        return None;
    }
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let digit = v.iter().any(u8::is_ascii_digit);
    (upper && lower && digit && entropy(v) >= 4.0).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        crate::detect::spans_of(find, text)
    }

    #[test]
    fn positives() {
        let pem_block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----";
        let cases: Vec<(String, &str)> = vec![
            ("Bearer sk-yuzX9k1gnneGEYG1-LwiqD9jJBAciI05FhfwKVqlUr5Qrec8'".into(), "sk-yuzX9k1gnneGEYG1-LwiqD9jJBAciI05FhfwKVqlUr5Qrec8"),
            ("k sk-proj-fjeqyX7C3WuUgSisJuedEWslfrReoDKxy5o3zjvjvW0tWmXa".into(), "sk-proj-fjeqyX7C3WuUgSisJuedEWslfrReoDKxy5o3zjvjvW0tWmXa"),
            ("k sk-ant-api03-x0JcSefRYxRXZw8pcZA_nbKW4k_IlyA8UsOf-AA.".into(), "sk-ant-api03-x0JcSefRYxRXZw8pcZA_nbKW4k_IlyA8UsOf-AA"),
            ("today: AKIAOH77QAXTJMKV47PU".into(), "AKIAOH77QAXTJMKV47PU"),
            ("gho_IcCNhk6hvJNLdq8iYRXiuQkEGEDnmji24MyV,".into(), "gho_IcCNhk6hvJNLdq8iYRXiuQkEGEDnmji24MyV"),
            ("github_pat_11ABCDEFG0123456789_abcdefghijKLMNOP ok".into(), "github_pat_11ABCDEFG0123456789_abcdefghijKLMNOP"),
            ("xoxb-117850255171-607909669091-ffOhq4AUvy7VSLDCD1IfHWGb'".into(), "xoxb-117850255171-607909669091-ffOhq4AUvy7VSLDCD1IfHWGb"),
            ("AIzayx8xm5MslfY5ubiheyEd7P4zDL_ak6J0kGO".into(), "AIzayx8xm5MslfY5ubiheyEd7P4zDL_ak6J0kGO"),
            ("'sk_live_9b2Rann76dEyTzAeKOmXRrvf'".into(), "sk_live_9b2Rann76dEyTzAeKOmXRrvf"),
            ("Bearer rk_live_afbOIcHEpnnzYoSoIBIhsqUU'".into(), "rk_live_afbOIcHEpnnzYoSoIBIhsqUU"),
            ("t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk x".into(), "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            (format!("key:\n{pem_block}\nthanks"), pem_block),
            ("today: sguNo4r7vJQnQ1a+WlBiSIx0QA27fGh7nrz/aBWu".into(), "sguNo4r7vJQnQ1a+WlBiSIx0QA27fGh7nrz/aBWu"),
            ("api_key=Zx81kQ0pLm29VbN7rT4s done".into(), "Zx81kQ0pLm29VbN7rT4s"),
            ("\"client_secret\": \"a8F3kL0q9ZpW2mX7vB4n\"".into(), "a8F3kL0q9ZpW2mX7vB4n"),
            ("password=hunter2!".into(), "hunter2!"),
            ("DB_PASSWORD=hunter2!".into(), "hunter2!"),
            ("export STRIPE_SECRET=Zx81kQ0pLm29VbN7rT4s".into(), "Zx81kQ0pLm29VbN7rT4s"),
            ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            ("Authorization: Bearer q8Xz3Lm0Pk7Vt2Rn5Wb9Yc4D".into(), "q8Xz3Lm0Pk7Vt2Rn5Wb9Yc4D"),
        ];
        for (text, want) in &cases {
            assert_eq!(spans(text), vec![*want], "{text}");
        }
    }

    #[test]
    fn the_scan_gates_keep_edge_cases() {
        let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(spans(&format!("key {aws}")), vec![aws]); // ends the text
        assert!(spans(&format!("key {aws}Q")).is_empty()); // 41 characters
        assert!(spans(&format!("key +{aws}")).is_empty()); // part of a longer run
        assert_eq!(
            spans("MY_APP_API_KEY=Zx81kQ0pLm29VbN7rT4s"),
            vec!["Zx81kQ0pLm29VbN7rT4s"]
        );
        assert_eq!(
            spans("x=1 Token: Zx81kQ0pLm29VbN7rT4s"),
            vec!["Zx81kQ0pLm29VbN7rT4s"]
        );
        for text in [
            "my_pwd", "_", "s", "sé", "é_tö", "to", "a_b_c_d_", "ey", "-",
        ] {
            assert!(spans(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn unterminated_pem_runs_to_the_end() {
        let t = "x -----BEGIN PRIVATE KEY-----\nMIIE";
        assert_eq!(spans(t), vec!["-----BEGIN PRIVATE KEY-----\nMIIE"]);
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "sk-learn-is-a-python-library-for-ml",
            "task-1234",
            "AKIA1234",              // too short
            "AKIAOH77QAXTJMKV47PUX", // too long
            "the token is valid",
            "password: required", // no digit/symbol
            "api_key=changeme",   // low entropy, short
            "request id bf40c460-b6b7-4d9c-9ec7-71f16b892b17",
            "commit da39a3ee5e6b4b0d3255bfef95601890afd80709", // 40 hex, no upper
            "tracking number 1ZAD35L9M26MI0YHZ0.",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
            "eyJhbGciOiJIUzI1NiJ9 only a header",
            "bumps serde to 4.1.6.",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
