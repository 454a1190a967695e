//! national: checksummed national identifiers (IT, ES, FR, FI, KR, UK, BR, NL, PL, IN, DE).
//!
//! One pass for all of them: the scan jumps from digit run to digit run (`skip`, a word at a
//! time) and, at each run start, tries only the layouts whose first digit group has that
//! run's length (`Layout`: a pattern of digit/letter/separator positions). A layout that fits
//! gives the value's significant characters; the type's validator (structure and check
//! digits, `checksum`) runs on those only. The Italian fiscal code, which can be written with
//! no digit at all (omocodia), is found from upper-case letters instead (`it_fiscal_code`).
//!
//! Evidence: a layout is either enough alone (`alone`: distinctive shape and check digits) or
//! needs a context word of the identifier's languages in a window around the value (bare
//! digit runs, where a checksum passes by chance one time in 10-97). A value of the right
//! shape whose check fails (a near-miss) is never reported; when it has context, or its shape
//! is one no other type uses legitimately (`claims`), it is *claimed*: other detectors (phone,
//! card) may not report it either.

pub mod br_cpf;
pub mod checksum;
pub mod de_tax_id;
pub mod es_nif;
pub mod fi_hetu;
pub mod fr_nir;
pub mod in_aadhaar;
pub mod it_fiscal_code;
pub mod kr_rrn;
pub mod nl_bsn;
pub mod pl_pesel;
pub mod uk_nino;

use super::chars::{at, before, is_alnum, is_digit};
use super::skip::{next_digit, run_end_digits};
use crate::entity::{EntityType, Span};

/// One written form of an identifier. Pattern bytes: `d` an ASCII digit, `L` an upper-case
/// ASCII letter, `a` either, `+` a HETU century sign; any other byte is a literal separator
/// (not part of the significant characters).
pub struct Layout {
    pub pattern: &'static [u8],
    /// Shape and check are evidence enough (no context word needed).
    pub alone: bool,
    /// A near-miss of this shape is claimed even without a context word.
    pub claims: bool,
}

/// A national identifier type: its layouts, context words and validator.
pub struct Id {
    pub kind: EntityType,
    pub layouts: &'static [Layout],
    /// Lower-case ASCII (matched case-insensitively) or exact UTF-8; each must start a word,
    /// and words of 4 bytes or fewer must also end one (stems such as `henkilötunnu` match
    /// their inflections).
    pub context: &'static [&'static str],
    /// Structure and check digits, on the significant characters.
    pub valid: fn(&[u8]) -> bool,
}

/// Every digit-anchored identifier, in priority order (the fiscal code is letter-anchored).
const IDS: [&Id; 10] = [
    &es_nif::ID,
    &fr_nir::ID,
    &fi_hetu::ID,
    &kr_rrn::ID,
    &uk_nino::ID,
    &br_cpf::ID,
    &nl_bsn::ID,
    &pl_pesel::ID,
    &in_aadhaar::ID,
    &de_tax_id::ID,
];

/// Whether `t` is one of the national identifier types.
pub fn is_national(t: EntityType) -> bool {
    t == EntityType::ItFiscalCode || IDS.iter().any(|id| id.kind == t)
}

/// A value found by the national scan: reported (`report`) or only claimed (a near-miss).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub kind: EntityType,
    pub span: Span,
    pub report: bool,
}

/// Bytes of context looked at before and after a value.
const CONTEXT_BEFORE: usize = 48;
const CONTEXT_AFTER: usize = 24;

/// Most significant characters of any layout.
const MAX_SIG: usize = 16;

/// Every identifier of the types `enabled` says (indexed by `EntityType::index`), sorted by
/// start, non-overlapping.
pub fn find(text: &str, enabled: impl Fn(EntityType) -> bool, out: &mut Vec<Found>) {
    let b = text.as_bytes();
    if enabled(EntityType::ItFiscalCode) {
        it_fiscal_code::find(b, out);
    }
    let ids: Vec<&Id> = IDS.iter().copied().filter(|id| enabled(id.kind)).collect();
    if ids.is_empty() {
        return;
    }
    let fiscal = std::mem::take(out);
    let mut last_end = 0;
    let mut i = 0;
    loop {
        i = next_digit(b, i);
        if i >= b.len() {
            break;
        }
        let run_end = run_end_digits(b, i);
        if !is_digit(before(b, i)) {
            if let Some(f) = at_run(b, i, run_end - i, last_end, &ids) {
                last_end = f.span.end;
                out.push(f);
                i = f.span.end;
                continue;
            }
        }
        i = run_end;
    }
    merge_sorted(out, fiscal);
}

/// Merge the fiscal codes (their own pass) into the sorted digit-anchored finds, dropping
/// any that overlap one already there.
fn merge_sorted(out: &mut Vec<Found>, fiscal: Vec<Found>) {
    if fiscal.is_empty() {
        return;
    }
    let digits = std::mem::take(out);
    let mut all: Vec<Found> = digits.into_iter().chain(fiscal).collect();
    all.sort_by_key(|f| f.span.start);
    let mut last_end = 0;
    for f in all {
        if f.span.start >= last_end {
            last_end = f.span.end;
            out.push(f);
        }
    }
}

/// The identifier whose first digit group starts at `r` (a run of `run` digits), if any:
/// the first valid one in priority order, else the first near-miss that is claimed.
fn at_run(b: &[u8], r: usize, run: usize, last_end: usize, ids: &[&Id]) -> Option<Found> {
    let mut claim = None;
    for id in ids {
        for layout in id.layouts {
            let (lead, first, exact) = shape(layout.pattern);
            if run < first || (exact && run != first) || r < lead || r - lead < last_end {
                continue;
            }
            let s = r - lead;
            let Some((end, sig)) = fit(b, s, layout.pattern) else {
                continue;
            };
            let span = Span { start: s, end };
            let valid = (id.valid)(sig.as_slice());
            // Context is looked up only for a value that fits, and only when it decides.
            let context = || has_context(b, s, end, id.context);
            if valid && (layout.alone || context()) {
                return Some(Found {
                    kind: id.kind,
                    span,
                    report: true,
                });
            }
            if !valid && claim.is_none() && (layout.claims || context()) {
                claim = Some(Found {
                    kind: id.kind,
                    span,
                    report: false,
                });
            }
        }
    }
    claim
}

/// (bytes before the first digit, length of the first digit group, whether the group must
/// end there: the next pattern byte cannot be a digit).
fn shape(p: &[u8]) -> (usize, usize, bool) {
    let lead = p.iter().position(|&c| c == b'd').unwrap_or(p.len());
    let first = p
        .get(lead..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&c| c == b'd')
        .count();
    let exact = !matches!(p.get(lead + first), Some(b'a'));
    (lead, first, exact)
}

/// Up to `MAX_SIG` significant characters, on the stack.
#[derive(Default)]
pub struct Sig {
    bytes: [u8; MAX_SIG],
    len: usize,
}

impl Sig {
    fn push(&mut self, c: u8) -> Option<()> {
        *self.bytes.get_mut(self.len)? = c;
        self.len += 1;
        Some(())
    }
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// HETU century signs.
fn is_century_sign(c: u8) -> bool {
    matches!(c, b'+' | b'-' | b'A'..=b'F' | b'U'..=b'Y')
}

/// Matches `pattern` at `s` with word boundaries on both sides: (end, significant chars).
pub fn fit(b: &[u8], s: usize, pattern: &[u8]) -> Option<(usize, Sig)> {
    if !left_ok(b, s) {
        return None;
    }
    let mut sig = Sig::default();
    for (k, &p) in pattern.iter().enumerate() {
        let c = at(b, s + k);
        let ok = match p {
            b'd' => c.is_ascii_digit(),
            b'L' => c.is_ascii_uppercase(),
            b'a' => c.is_ascii_digit() || c.is_ascii_uppercase(),
            b'+' => is_century_sign(c),
            lit => c == lit,
        };
        if !ok {
            return None;
        }
        if matches!(p, b'd' | b'L' | b'a' | b'+') {
            sig.push(c)?;
        }
    }
    let end = s + pattern.len();
    right_ok(b, end).then_some((end, sig))
}

/// Nothing glued on the left: no letter/digit/`_`/`+`, no `1.`/`1-`/`1/` continuing a number.
pub fn left_ok(b: &[u8], s: usize) -> bool {
    let p = before(b, s);
    if is_alnum(p) || matches!(p, b'_' | b'+' | b'@') {
        return false;
    }
    !(matches!(p, b'.' | b'-' | b'/' | b',') && is_digit(before(b, s.saturating_sub(1))) && s > 1)
}

/// Nothing glued on the right: no letter/digit/`_`/`@`, no `.5`/`-7`/`/2` continuing it.
pub fn right_ok(b: &[u8], end: usize) -> bool {
    let n = at(b, end);
    if is_alnum(n) || matches!(n, b'_' | b'@') {
        return false;
    }
    !(matches!(n, b'.' | b'-' | b'/' | b',') && is_digit(at(b, end + 1)))
}

/// A context word within `CONTEXT_BEFORE` bytes before `s` or `CONTEXT_AFTER` after `e`.
pub fn has_context(b: &[u8], s: usize, e: usize, words: &[&str]) -> bool {
    let before_from = s.saturating_sub(CONTEXT_BEFORE);
    let after_to = b.len().min(e + CONTEXT_AFTER);
    words
        .iter()
        .any(|w| word_in(b, before_from, s, w.as_bytes()) || word_in(b, e, after_to, w.as_bytes()))
}

/// `w` occurs in `b[from..to]` starting a word (and ending one when 4 bytes or shorter).
fn word_in(b: &[u8], from: usize, to: usize, w: &[u8]) -> bool {
    let Some(first) = w.first() else {
        return false;
    };
    let mut k = from;
    while k + w.len() <= to {
        if at(b, k).to_ascii_lowercase() == *first
            && b.get(k..k + w.len())
                .is_some_and(|x| x.iter().zip(w).all(|(a, c)| a.to_ascii_lowercase() == *c))
            && !is_word_byte(before(b, k))
            && (w.len() > 4 || !at(b, k + w.len()).is_ascii_alphabetic())
        {
            return true;
        }
        k += 1;
    }
    false
}

/// A byte that continues a word on the left of a context word (a non-ASCII byte is part of
/// a letter).
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// Digits `[from, to)` of `sig` as a number.
pub fn sig_num(sig: &[u8], from: usize, to: usize) -> Option<u32> {
    checksum::num(sig.get(from..to)?)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared helpers of the per-type tests: the national scan with one type enabled.
    use super::*;

    /// (value, reported) of every find of type `t` in `text`.
    pub fn finds(t: EntityType, text: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        find(text, |k| k == t, &mut out);
        out.iter()
            .map(|f| (text[f.span.start..f.span.end].to_string(), f.report))
            .collect()
    }

    /// The values reported.
    pub fn reported(t: EntityType, text: &str) -> Vec<String> {
        finds(t, text)
            .into_iter()
            .filter(|f| f.1)
            .map(|f| f.0)
            .collect()
    }

    /// Checks a generated valid value: found alone or only with context as `alone` says,
    /// claimed (never reported) when one check character is changed, punctuation variants
    /// included by the caller.
    pub fn check_type(t: EntityType, valid: &[String], context: &str, alone: bool) {
        for v in valid {
            let with = format!("{context} {v}, ok");
            assert_eq!(reported(t, &with), vec![v.clone()], "{with}");
            let bare = format!("Ref {v} ok");
            assert_eq!(reported(t, &bare).len(), usize::from(alone), "{bare}");
            // A near-miss: the last significant character changed.
            let near = near_miss(v);
            for text in [format!("{context} {near}, ok"), format!("Ref {near} ok")] {
                assert!(reported(t, &text).is_empty(), "{text}");
            }
            let claimed = finds(t, &format!("{context} {near}, ok"));
            assert_eq!(
                claimed,
                vec![(near.clone(), false)],
                "{context} {near}: claimed"
            );
        }
    }

    /// `v` with its last letter/digit replaced by another of the same class.
    pub fn near_miss(v: &str) -> String {
        let mut b = v.as_bytes().to_vec();
        if let Some(c) = b.iter_mut().rev().find(|c| c.is_ascii_alphanumeric()) {
            *c = match *c {
                b'9' => b'0',
                b'Z' => b'A',
                x => x + 1,
            };
        }
        String::from_utf8(b).unwrap()
    }

    /// xorshift64* for generated values.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        pub fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        pub fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_layouts() {
        assert_eq!(shape(b"ddd.ddd.ddd-dd"), (0, 3, true));
        assert_eq!(shape(b"LL dd dd dd L"), (3, 2, true));
        assert_eq!(shape(b"ddddddaddddddddd"), (0, 6, false));
        assert_eq!(shape(b"Ldddddddd"), (1, 8, true));
    }

    #[test]
    fn context_words_start_words() {
        let t = b"mijn bsn: 1 / bsnr 2 / jobsn 3 / BSN-nummer 4";
        assert!(word_in(t, 0, 10, b"bsn"));
        assert!(!word_in(t, 12, 20, b"bsn"), "bsnr: a short word must end");
        assert!(!word_in(t, 20, 30, b"bsn"), "inside a word");
        assert!(word_in(t, 30, t.len(), b"bsn"));
        let fi = "Henkilötunnukseni on".as_bytes();
        assert!(word_in(fi, 0, fi.len(), "henkilötunnu".as_bytes()));
        let hi = "मेरा आधार 1".as_bytes();
        assert!(word_in(hi, 0, hi.len(), "आधार".as_bytes()));
    }

    #[test]
    fn boundaries() {
        assert!(fit(b"x 12345678Z y", 2, b"ddddddddL").is_some());
        assert!(fit(b"x12345678Z y", 1, b"ddddddddL").is_none());
        assert!(fit(b"x 12345678Z1", 2, b"ddddddddL").is_none());
        assert!(fit(b"1.12345678Z", 2, b"ddddddddL").is_none());
        assert!(fit(b"+12345678Z", 1, b"ddddddddL").is_none());
        assert!(fit(b"x 12345678Z.", 2, b"ddddddddL").is_some());
        assert!(fit(b"x 12345678Z.5", 2, b"ddddddddL").is_none());
        assert!(fit(b"", 0, b"d").is_none());
    }

    #[test]
    fn overlapping_candidates_keep_the_first() {
        // A CPF and, after it, a DNI: both reported, in order.
        let text = "CPF 529.982.247-25 e DNI 12345678Z";
        let mut out = Vec::new();
        find(text, |_| true, &mut out);
        let kinds: Vec<EntityType> = out.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![EntityType::BrCpf, EntityType::EsNif]);
    }
}
