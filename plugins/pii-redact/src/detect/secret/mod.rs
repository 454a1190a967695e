//! secret: credentials developers paste: provider token formats (cloud, code hosts, package
//! registries, payment, messaging, AI providers, observability), database URIs with
//! passwords, private keys (PEM, OpenSSH, PGP, PuTTY), JWTs, values assigned to credential
//! keywords (`api_key=`, `password:`, `Bearer `...) that look random, and bare 40-character
//! AWS-secret-shaped strings.
//!
//! One table (`rules::RULES`) and one Aho-Corasick automaton over all its literals (ASCII case
//! folded; exact-case rows are re-checked): the scan jumps from literal to literal and runs
//! the row's check there only. The 40-character shape, which has no literal, is a second
//! byte-class pass.

pub mod rules;

use super::chars::{at, before, entropy, eq_ci, is_alnum, starts_at};
use crate::entity::Span;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};
use rules::{Check, Rule, Set, RULES};
use std::sync::OnceLock;

/// The prefilter over every literal of `RULES`, and the rows by lower-cased first byte of
/// their literal (longest literal first).
struct Prefilter {
    ac: AhoCorasick,
    by_first: Vec<Vec<&'static Rule>>,
}

fn prefilter() -> Option<&'static Prefilter> {
    static P: OnceLock<Option<Prefilter>> = OnceLock::new();
    P.get_or_init(|| {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(RULES.iter().map(|r| r.literal))
            .ok()?;
        let mut by_first: Vec<Vec<&'static Rule>> = vec![Vec::new(); 128];
        for r in RULES {
            let c = r.literal.as_bytes().first()?.to_ascii_lowercase();
            by_first.get_mut(usize::from(c))?.push(r);
        }
        for rows in &mut by_first {
            rows.sort_by_key(|r| std::cmp::Reverse(r.literal.len()));
        }
        Some(Prefilter { ac, by_first })
    })
    .as_ref()
}

/// `[A-Za-z0-9_-]`: a position after one is inside a token.
fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Every secret in `text`, sorted, non-overlapping.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut found = Vec::new();
    if let Some(p) = prefilter() {
        let mut pos = 0;
        while pos < b.len() {
            let Some(m) = p.ac.find(Input::new(b).span(pos..b.len())) else {
                break;
            };
            let at_m = m.start();
            let last_end = found.last().map_or(0, |s: &Span| s.end);
            match rows_at(p, b, at_m).find_map(|r| check(r, b, at_m)) {
                Some((s, e)) if e > s && s >= last_end => {
                    found.push(Span { start: s, end: e });
                    pos = e;
                }
                _ => pos = at_m + 1,
            }
        }
    }
    // The 40-character shape where no literal matched.
    let mut k = 0;
    for s in aws_secret_like_all(b) {
        while found.get(k).is_some_and(|f| f.end <= s.start) {
            k += 1;
        }
        if found.get(k).is_none_or(|f| f.start >= s.end) {
            out_insert(&mut found, k, s);
        }
    }
    out.extend(found);
}

fn out_insert(v: &mut Vec<Span>, k: usize, s: Span) {
    if k <= v.len() {
        v.insert(k, s);
    }
}

/// The rows whose literal occurs at `i` (case as each row requires).
fn rows_at<'a>(
    p: &'a Prefilter,
    b: &'a [u8],
    i: usize,
) -> impl Iterator<Item = &'static Rule> + 'a {
    let c = at(b, i).to_ascii_lowercase();
    p.by_first
        .get(usize::from(c))
        .into_iter()
        .flatten()
        .copied()
        .filter(move |r| {
            let lit = r.literal.as_bytes();
            b.get(i..i + lit.len()).is_some_and(|w| {
                if r.exact {
                    w == lit
                } else {
                    w.eq_ignore_ascii_case(lit)
                }
            })
        })
}

/// The span a row's check finds at its literal `i`.
fn check(r: &Rule, b: &[u8], i: usize) -> Option<(usize, usize)> {
    let lit = r.literal.len();
    let at_i = |end: Option<usize>| end.map(|e| (i, e));
    match r.check {
        Check::Token {
            set,
            min,
            max,
            random,
        } => {
            if token_char(before(b, i)) {
                return None;
            }
            at_i(
                body(b, i + lit, set, min, max).filter(|&e| {
                    !random || b.get(i + lit..e).is_some_and(|v| high_entropy(v, min))
                }),
            )
        }
        Check::Url { set, min, max } => at_i(body(b, i + lit, set, min, max)),
        Check::Assign { set, min, max } => {
            let vs = i + lit;
            body(b, vs, set, min, max).map(|e| (vs, e))
        }
        Check::Keyword { password } => {
            let p = before(b, i);
            if token_char(p) && p != b'_' {
                return None;
            }
            keyword(b, i, lit, password)
        }
        Check::Uri => uri_password(b, i + lit),
        Check::Jwt => {
            if token_char(before(b, i)) {
                return None;
            }
            at_i(jwt(b, i))
        }
        Check::Pem => at_i(pem(b, i)),
        Check::Putty => at_i(putty(b, i)),
        Check::SasSig => sas_sig(b, i, lit),
        Check::AzureClientSecret => azure_client_secret(b, i),
        Check::Telegram => telegram(b, i),
        Check::SendGrid => {
            if token_char(before(b, i)) {
                return None;
            }
            at_i(sendgrid(b, i + lit))
        }
    }
}

/// End of a body of `min..=max` bytes of `set` at `s` that ends the token.
fn body(b: &[u8], s: usize, set: Set, min: usize, max: usize) -> Option<usize> {
    let mut j = s;
    while set.has(at(b, j)) && j - s <= max {
        j += 1;
    }
    let n = j - s;
    (n >= min && n <= max && !token_char(at(b, j))).then_some(j)
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

/// `-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED ]PRIVATE KEY-----` or `-----BEGIN PGP
/// PRIVATE KEY BLOCK-----` ... its END line. An unterminated block runs to the end of the
/// text (fail closed).
fn pem(b: &[u8], i: usize) -> Option<usize> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const TAILS: [&[u8]; 2] = [b"PRIVATE KEY-----", b"PRIVATE KEY BLOCK-----"];
    if !starts_at(b, i, BEGIN) {
        return None;
    }
    let line_end = (i + BEGIN.len()..b.len().min(i + 80))
        .find(|&j| at(b, j) == b'\n')
        .unwrap_or(b.len().min(i + 80));
    let header = b.get(i + BEGIN.len()..line_end)?;
    let (tail, tail_at) = TAILS.iter().find_map(|t| {
        header
            .windows(t.len())
            .position(|w| w == *t)
            .map(|p| (*t, p))
    })?;
    let mut j = i + BEGIN.len() + tail_at + tail.len();
    while j < b.len() {
        if starts_at(b, j, b"-----END ") {
            let k = (j + 9..b.len().min(j + 80)).find(|&k| starts_at(b, k, tail))?;
            return Some(k + tail.len());
        }
        j += 1;
    }
    Some(b.len())
}

/// `PuTTY-User-Key-File-2: ssh-rsa` ... `Private-MAC: <hex>`; unterminated: to the end.
fn putty(b: &[u8], i: usize) -> Option<usize> {
    let version = at(b, i + 20);
    if !matches!(version, b'1'..=b'3') || at(b, i + 21) != b':' {
        return None;
    }
    let mut j = i + 22;
    while j < b.len() {
        if starts_at(b, j, b"Private-MAC: ") {
            let s = j + 13;
            let mut e = s;
            while at(b, e).is_ascii_hexdigit() {
                e += 1;
            }
            return Some(e);
        }
        j += 1;
    }
    Some(b.len())
}

/// `scheme://user:password@host`: the password span (not a `${VAR}`/`<...>`/`{{...}}`
/// placeholder nor stars).
fn uri_password(b: &[u8], s: usize) -> Option<(usize, usize)> {
    let stop =
        |c: u8| c <= b' ' || matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b'`' | b'<' | b'>');
    let mut j = s;
    let mut colon = None;
    let mut last_at = None;
    while j < b.len() && !stop(at(b, j)) && j - s < 512 {
        match at(b, j) {
            b':' if colon.is_none() => colon = Some(j),
            b'@' => last_at = Some(j),
            _ => {}
        }
        j += 1;
    }
    let (c, a) = (colon?, last_at?);
    let (ps, pe) = (c + 1, a);
    let pw = b.get(ps..pe)?;
    let placeholder = pw.is_empty()
        || matches!(pw.first(), Some(b'$' | b'<' | b'{' | b'%'))
        || pw.iter().all(|&c| c == b'*' || c == b'x' || c == b'X');
    (c < a && !placeholder).then_some((ps, pe))
}

/// Azure SAS `sig=<url-encoded base64>`, with `sv=` within 300 bytes before.
fn sas_sig(b: &[u8], i: usize, lit: usize) -> Option<(usize, usize)> {
    if !matches!(before(b, i), b'&' | b'?' | b' ' | b'"' | b'\'' | b';' | 0) {
        return None;
    }
    let window = b.get(i.saturating_sub(300)..i)?;
    if !window.windows(3).any(|w| w == b"sv=") {
        return None;
    }
    let vs = i + lit;
    let mut e = vs;
    while at(b, e).is_ascii_alphanumeric() || matches!(at(b, e), b'%' | b'+' | b'/' | b'=') {
        e += 1;
    }
    (e - vs >= 40 && e - vs <= 120).then_some((vs, e))
}

/// Azure AD client secret: 3 characters, a digit, `Q~`, 31-34 more of `[A-Za-z0-9_~.-]`.
fn azure_client_secret(b: &[u8], q: usize) -> Option<(usize, usize)> {
    let s = q.checked_sub(4)?;
    let set = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'~' | b'.' | b'-');
    if !starts_at(b, q, b"Q~") || set(before(b, s)) || !at(b, q - 1).is_ascii_digit() {
        return None;
    }
    if !(s..q).all(|k| set(at(b, k))) {
        return None;
    }
    let mut e = q + 2;
    while set(at(b, e)) {
        e += 1;
    }
    // A trailing sentence dot is not part of it.
    if at(b, e - 1) == b'.' {
        e -= 1;
    }
    (31..=34).contains(&(e - q - 2)).then_some((s, e))
}

/// Telegram bot token: 8-10 digits (bot id), `:`, `AA` and 33 more `[A-Za-z0-9_-]`.
fn telegram(b: &[u8], colon: usize) -> Option<(usize, usize)> {
    let mut s = colon;
    while s > 0 && at(b, s - 1).is_ascii_digit() && colon - s < 11 {
        s -= 1;
    }
    if !(8..=10).contains(&(colon - s)) || token_char(before(b, s)) || at(b, colon + 1) != b'A' {
        return None;
    }
    let e = body(b, colon + 1, Set::Url, 35, 35)?;
    Some((s, e))
}

/// SendGrid `SG.` + 22 + `.` + 43 of `[A-Za-z0-9_-]`.
fn sendgrid(b: &[u8], s: usize) -> Option<usize> {
    let mut j = s;
    while Set::Url.has(at(b, j)) {
        j += 1;
    }
    if j - s != 22 || at(b, j) != b'.' {
        return None;
    }
    body(b, j + 1, Set::Url, 43, 43)
}

/// A credential keyword at `i` (`lit` bytes) followed by `:`/`=`/space and a secret-looking
/// value: the value's span (the keyword stays readable).
fn keyword(b: &[u8], i: usize, lit: usize, password: bool) -> Option<(usize, usize)> {
    let mut j = i + lit;
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
    let is_bearer = b.get(i..i + lit).is_some_and(|w| eq_ci(w, b"bearer"));
    if !(saw_assign || (is_bearer && j > sep_start)) {
        return None;
    }
    // `Authorization: Bearer xyz` -> the value starts after `Bearer `.
    if b.get(j..j + 7).is_some_and(|w| eq_ci(w, b"bearer ")) {
        j += 7;
    }
    let vs = j;
    let value_char = |c: u8| {
        if password {
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
    let ok = if password {
        value.len() >= 6
            && value.iter().any(|c| !c.is_ascii_alphabetic())
            && !matches!(value.first(), Some(b'{' | b'$' | b'<'))
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

/// `[A-Za-z0-9+/]` (the AWS-secret alphabet).
fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// Length of the AWS secret access key shape.
const AWS_SECRET_LEN: usize = 40;

/// Every maximal run of exactly 40 base64 characters with upper, lower and digits and high
/// entropy: the AWS secret access key shape. Skips ahead: a run of 40 starting anywhere in
/// `p..=p+39` covers `p+39`, so when that byte is not base64 none does, and the next 40
/// bytes are passed over after one look; otherwise only the run through it is walked.
fn aws_secret_like_all(b: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    // Invariant: `p == 0` or the byte before `p` is not base64, and every run that starts
    // before `p` is done.
    let mut p = 0;
    while p + AWS_SECRET_LEN <= b.len() {
        let q = p + AWS_SECRET_LEN - 1;
        if !is_b64(at(b, q)) {
            p = q + 1;
            continue;
        }
        let mut s = q;
        while s > p && is_b64(at(b, s - 1)) {
            s -= 1;
        }
        let mut e = q + 1;
        while is_b64(at(b, e)) {
            e += 1;
        }
        if e - s == AWS_SECRET_LEN && aws_secret_like(b, s, e) {
            out.push(Span { start: s, end: e });
        }
        p = e + 1;
    }
    out
}

fn aws_secret_like(b: &[u8], i: usize, j: usize) -> bool {
    let Some(v) = b.get(i..j) else {
        return false;
    };
    let next = at(b, j);
    if is_alnum(next) || matches!(next, b'_' | b'-' | b'=' | b'.' | b'@') && is_alnum(at(b, j + 1))
    {
        return false;
    }
    if matches!(before(b, i), b'_' | b'-') {
        return false;
    }
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let digit = v.iter().any(u8::is_ascii_digit);
    upper && lower && digit && entropy(v) >= 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-by-byte walk over every base64 run that `aws_secret_like_all` replaced.
    fn aws_secret_like_all_reference(b: &[u8]) -> Vec<Span> {
        let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if !b64(at(b, i)) {
                i += 1;
                continue;
            }
            let mut j = i;
            while b64(at(b, j)) {
                j += 1;
            }
            if j - i == 40 && aws_secret_like(b, i, j) {
                out.push(Span { start: i, end: j });
            }
            i = j;
        }
        out
    }

    /// Generated: texts of base64 runs of 36-44 characters (random, so many are key-shaped)
    /// between separators of 0-3 bytes, words, `_`/`-`/`=`/`.`/`@` neighbours, at every
    /// start offset: the skipping scan finds exactly what the byte walk found.
    #[test]
    fn generated_the_skipping_aws_scan_equals_the_byte_walk() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const SEPS: &[&[u8]] = &[
            b" ", b"", b"\n", b"_", b"-", b"=", b".", b"@", b"word ", b", ",
        ];
        let mut rng = guardrail_sdk::fuzz::Rng::new(0xa5_5ec7);
        let mut found = 0;
        for round in 0..400 {
            let mut t = Vec::new();
            for _ in 0..rng.below(12) {
                let sep = rng.pick(SEPS).copied().unwrap_or(b" ");
                t.extend_from_slice(sep);
                let len = 36 + rng.below(9);
                let key_like = rng.below(3) > 0;
                for _ in 0..len {
                    let c = if key_like {
                        rng.pick(ALPHABET).copied().unwrap_or(b'A')
                    } else {
                        b'a' + rng.below(3) as u8
                    };
                    t.push(c);
                }
            }
            for start in 0..t.len().min(3) {
                let b = t.get(start..).unwrap_or_default();
                let want = aws_secret_like_all_reference(b);
                assert_eq!(aws_secret_like_all(b), want, "round {round}, start {start}");
                found += want.len();
            }
        }
        assert!(found > 100, "{found}");
    }

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

    /// Deterministic pseudo-random text of `n` bytes drawn from `set`, mixing classes.
    fn body_of(set: Set, n: usize, seed: u64) -> String {
        let mut x = seed | 1;
        let alphabet: Vec<u8> = (0u8..128)
            .filter(|&c| set.has(c) && c != b'$' && c != b'=')
            .collect();
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }

    /// Every `Token` row: a body of the minimum and maximum length is found after a space,
    /// `=` and a quote; one byte short, glued to a word, or continued by a token byte is not.
    #[test]
    fn every_token_row_positive_and_look_alike() {
        for (k, r) in RULES.iter().enumerate() {
            let Check::Token { set, min, max, .. } = r.check else {
                continue;
            };
            for n in [min, max.min(min + 40)] {
                let v = format!("{}{}", r.literal, body_of(set, n, k as u64 + 7));
                for text in [format!("key {v} ok"), format!("X={v}"), format!("'{v}'")] {
                    assert_eq!(spans(&text), vec![v.as_str()], "{}: {text}", r.provider);
                }
                assert!(
                    spans(&format!("x{v} ok"))
                        .iter()
                        .all(|s| !s.starts_with(r.literal)),
                    "{}: glued",
                    r.provider
                );
            }
            // A row whose literal extends a shorter one's (`sk-ant-` after `sk-`) falls back to
            // that row when too short: only rows without such a fallback are checked here.
            let shadowed = RULES
                .iter()
                .any(|o| o.literal.len() < r.literal.len() && r.literal.starts_with(o.literal));
            if shadowed {
                continue;
            }
            let short = format!("{}{}", r.literal, body_of(set, min - 1, k as u64 + 9));
            let text = format!("key {short} ok");
            let got = spans(&text);
            assert!(
                got.iter().all(|s| *s != short),
                "{}: {short} is one byte short",
                r.provider
            );
        }
    }

    /// The formats with their own check: a positive and a look-alike each.
    #[test]
    fn special_formats() {
        let sas = "https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01T00:00:00Z&sig=Zx81kQ0pLm29VbN7rT4sYq3%2BAb8Cd9Ef0Gh1Ij2Kl3Mn4%3D";
        let account = format!("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={};EndpointSuffix=core.windows.net", body_of(Set::Alnum, 86, 3) + "==");
        let bus = format!(
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={}=",
            body_of(Set::Alnum, 43, 4)
        );
        let putty = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\nAAAAC3Nz\nPrivate-Lines: 1\nAAAAIBc0\nPrivate-MAC: 3b5f1e2d9a";
        let pgp =
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----";
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        let cases: Vec<(String, &str, &str)> = vec![
            // (text, the secret, a look-alike that is none)
            (sas.to_string(), "Zx81kQ0pLm29VbN7rT4sYq3%2BAb8Cd9Ef0Gh1Ij2Kl3Mn4%3D", "https://x.net/a?b=1&sig=Zx81kQ0pLm29VbN7rT4sYq3%2BAb8Cd9Ef0Gh1Ij2Kl3Mn4%3D"),
            (account.clone(), &account[account.find("AccountKey=").unwrap() + 11..account.find(";Endpoint").unwrap()], "AccountKey=changeme;"),
            (bus.clone(), &bus[bus.find("SharedAccessKey=").unwrap() + 16..], "SharedAccessKeyName=RootManageSharedAccessKey;"),
            ("use 8Xv8Q~Zx81kQ0pLm29VbN7rT4sYq3Ab8Cd9Ef.".into(), "8Xv8Q~Zx81kQ0pLm29VbN7rT4sYq3Ab8Cd9Ef", "emoticon Q~ and xyzQ~short"),
            ("bot 1234567890:AAHZx81kQ0pLm29VbN7rT4sYq3Ab8Cd9Ef0 ok".into(), "1234567890:AAHZx81kQ0pLm29VbN7rT4sYq3Ab8Cd9Ef0", "time 12:AAH and 1234567890:AAHshort"),
            ("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 ok".into(), "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", "see SG.Zx81kQ0pLm29VbN7rT4sYq only"),
            ("DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/app".into(), "s3cr3t-Pa55", "postgres://db.internal:5432/app"),
            ("mongodb+srv://admin:hunter2x@cluster0.mongodb.net/test".into(), "hunter2x", "mongodb+srv://admin:${MONGO_PASSWORD}@cluster0.mongodb.net/test"),
            ("redis://:R3disPass@cache:6379/0".into(), "R3disPass", "redis://cache:6379/0"),
            ("mysql://root:my%40pw1@localhost/db".into(), "my%40pw1", "mysql://root:****@localhost/db"),
            (putty.into(), putty, "PuTTY-User-Key-File-9: x"),
            (pgp.into(), pgp, "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQENBF\n-----END PGP PUBLIC KEY BLOCK-----"),
            (openssh.into(), openssh, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
            ("hook https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/Zx81kQ0pLm29VbN7rT4sYq3A".into(), "hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/Zx81kQ0pLm29VbN7rT4sYq3A", "docs at https://hooks.slack.com/services/ page"),
            ("https://discord.com/api/webhooks/123456789012345678/Zx81kQ0pLm29VbN7rT4sYq3Ab8Cd9Ef0Gh1Ij2Kl3Mn4Op5Qr6St7Uv8Wx9".into(), "discord.com/api/webhooks/123456789012345678/Zx81kQ0pLm29VbN7rT4sYq3Ab8Cd9Ef0Gh1Ij2Kl3Mn4Op5Qr6St7Uv8Wx9", "see https://discord.com/api/webhooks/ docs"),
        ];
        for (text, want, look_alike) in &cases {
            assert_eq!(spans(text), vec![*want], "{text}");
            assert!(
                spans(look_alike).is_empty(),
                "{look_alike}: {:?}",
                spans(look_alike)
            );
        }
    }

    /// Every row of the table is exercised by a test above (a `Token` row by the generated
    /// test, the others by `special_formats`, the keyword rows and the older cases).
    #[test]
    fn every_row_is_tested() {
        let special = [
            "sig=",
            "Q~",
            ":AA",
            "SG.",
            "-----BEGIN ",
            "PuTTY-User-Key-File-",
            "eyJ",
            "AccountKey=",
            "SharedAccessKey=",
            "hooks.slack.com/services/",
            "discord.com/api/webhooks/",
            "discordapp.com/api/webhooks/",
        ];
        for r in RULES {
            let covered = matches!(
                r.check,
                Check::Token { .. } | Check::Keyword { .. } | Check::Uri
            ) || special.contains(&r.literal);
            assert!(covered, "{} ({}) has no test", r.provider, r.literal);
        }
        // Each URI scheme: one positive and one without a password.
        for r in RULES.iter().filter(|r| matches!(r.check, Check::Uri)) {
            let t = format!("url {}user:Zx81kQ0p@host:1/db", r.literal);
            assert_eq!(spans(&t), vec!["Zx81kQ0p"], "{t}");
            assert!(spans(&format!("url {}host:1/db", r.literal)).is_empty());
        }
        // Each keyword: an assigned random value, and a low-entropy / plain-word one.
        for r in RULES
            .iter()
            .filter(|r| matches!(r.check, Check::Keyword { .. }))
        {
            let t = format!("{}=Zx81kQ0pLm29VbN7rT4s", r.literal);
            assert_eq!(spans(&t), vec!["Zx81kQ0pLm29VbN7rT4s"], "{t}");
            assert!(spans(&format!("the {} is required", r.literal)).is_empty());
        }
    }
}
