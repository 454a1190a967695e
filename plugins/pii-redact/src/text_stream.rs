//! text_stream: response text arriving in pieces (SSE deltas). Holds back a bounded tail that
//! could still be the start of a match or of a placeholder, redacts what is final, restores
//! placeholders, and flushes everything at the end. Pure; the SSE layer is `stream_restore`.

use crate::config::Settings;
use crate::detect::scan;
use crate::entity::COUNT;
use crate::pseudonym::Pseudonyms;
use crate::transform::{apply, placeholder_at, restore, PlaceholderAt, Side, MAX_PLACEHOLDER};

/// Always-held tail when it has digits: longest spaced value (phone, IBAN, card) fits.
pub const HOLD_BYTES: usize = 64;
/// Longest trailing token (no whitespace) held back whole: emails, keys, JWTs.
pub const MAX_TOKEN_HOLD: usize = 4096;
/// Longest unterminated PEM block held back.
pub const MAX_PEM_HOLD: usize = 8 * 1024;
/// Already-emitted text kept as left context (phone/SSN/keyword words).
pub const CONTEXT_BYTES: usize = 64;

#[derive(Debug, Default)]
pub struct TextStream {
    pending: String,
    context: String,
    /// Values found so far, per type.
    pub counts: [u64; COUNT],
    /// Placeholders restored so far.
    pub restored: u64,
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl TextStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held back right now.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Feed one delta; returns the text that is final and may go to the client now.
    pub fn push(&mut self, delta: &str, settings: &Settings, pseudonyms: &Pseudonyms) -> String {
        self.pending.push_str(delta);
        let cut = self.safe_cut(settings);
        self.emit(cut, settings, pseudonyms)
    }

    /// End of the stream: everything held back, processed.
    pub fn finish(&mut self, settings: &Settings, pseudonyms: &Pseudonyms) -> String {
        let cut = self.pending.len();
        self.emit(cut, settings, pseudonyms)
    }

    fn safe_cut(&self, settings: &Settings) -> usize {
        let p = &self.pending;
        let b = p.as_bytes();
        let len = p.len();
        let tail_from = floor_boundary(p, len.saturating_sub(HOLD_BYTES));
        let tail_has_digit = b
            .get(tail_from..)
            .is_some_and(|t| t.iter().any(u8::is_ascii_digit));
        let mut cut = if tail_has_digit { tail_from } else { len };
        // The trailing token (after the last whitespace) may still grow.
        let token_start = b
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(0, |i| i + 1);
        if len - token_start <= MAX_TOKEN_HOLD {
            cut = cut.min(token_start);
        }
        // An open PEM block: hold from its BEGIN.
        if let Some(begin) = p.rfind("-----BEGIN") {
            let closed = p
                .get(begin..)
                .is_some_and(|rest| rest.contains("-----END") && rest.ends_with("-----"));
            if !closed && len - begin <= MAX_PEM_HOLD {
                cut = cut.min(begin);
            }
        }
        // A value that straddles the cut moves the cut to its start.
        let ctx = self.context.len();
        let joined = format!("{}{}", self.context, p);
        let matches = scan(&joined, &settings.enabled());
        loop {
            let before = cut;
            for m in &matches {
                if m.start >= ctx && m.start - ctx < cut && m.end - ctx > cut {
                    cut = m.start - ctx;
                }
            }
            if cut == before {
                break;
            }
        }
        // A placeholder cut in half.
        let from = cut.saturating_sub(MAX_PLACEHOLDER);
        if let Some(lt) = b
            .get(from..cut)
            .and_then(|w| w.iter().rposition(|&c| c == b'<'))
        {
            let i = from + lt;
            let probe = b.get(i..cut.min(len)).unwrap_or(&[]);
            if matches!(placeholder_at(probe, 0), PlaceholderAt::Partial) {
                cut = i;
            }
        }
        floor_boundary(p, cut)
    }

    fn emit(&mut self, cut: usize, settings: &Settings, pseudonyms: &Pseudonyms) -> String {
        if cut == 0 {
            return String::new();
        }
        let ctx = self.context.len();
        let head: String = self.pending.drain(..cut).collect();
        let joined = format!("{}{}", self.context, head);
        let matches: Vec<_> = scan(&joined, &settings.enabled())
            .into_iter()
            .filter(|m| m.start >= ctx)
            .map(|mut m| {
                m.start -= ctx;
                m.end -= ctx;
                m
            })
            .filter(|m| m.end <= head.len())
            .collect();
        // Response side never mints placeholders, so a scratch map is enough here.
        let mut scratch = Pseudonyms::new();
        let t = apply(&head, &matches, settings, &mut scratch, Side::Response);
        for (total, n) in self.counts.iter_mut().zip(t.counts) {
            *total += n;
        }
        let (text, n) = restore(&t.text, pseudonyms);
        self.restored += n;
        // Keep the tail of the original text as left context for the next scan.
        let keep_from = floor_boundary(&joined, joined.len().saturating_sub(CONTEXT_BYTES));
        self.context = joined.get(keep_from..).unwrap_or("").to_string();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::entity::EntityType;

    fn settings() -> Settings {
        parse(br#"{"entities":{"EMAIL":"pseudonymize","CREDIT_CARD":"mask"}}"#).unwrap()
    }

    fn run_split(
        text: &str,
        pieces: &[usize],
        p: &Pseudonyms,
    ) -> (String, Vec<String>, TextStream) {
        let s = settings();
        let mut st = TextStream::new();
        let mut out = Vec::new();
        let mut at = 0;
        for &n in pieces {
            let end = (at + n).min(text.len());
            out.push(st.push(&text[at..end], &s, p));
            at = end;
        }
        out.push(st.push(&text[at..], &s, p));
        out.push(st.finish(&s, p));
        (out.concat(), out, st)
    }

    fn whole(text: &str, p: &Pseudonyms) -> String {
        let s = settings();
        let mut scratch = Pseudonyms::new();
        let m = scan(text, &s.enabled());
        restore(&apply(text, &m, &s, &mut scratch, Side::Response).text, p).0
    }

    #[test]
    fn every_split_gives_the_whole_text_result() {
        let mut p = Pseudonyms::new();
        p.placeholder_for(EntityType::Email, "jane@corp.example");
        let text = "Sure <EMAIL_1>! Mail bob@evil.example or call +1 (579) 383-4701; card 4111 1111 1111 1111, \
                    IBAN DE89 3704 0044 0532 0130 00. Thanks <EMAIL_1>";
        let want = whole(text, &p);
        assert!(
            want.contains("jane@corp.example")
                && want.contains("[EMAIL]")
                && want.contains("[PHONE]")
        );
        assert!(
            want.contains("**** **** **** 1111") && want.contains("[IBAN]"),
            "{want}"
        );
        for i in 0..=text.len() {
            if !text.is_char_boundary(i) {
                continue;
            }
            let (got, _, _) = run_split(text, &[i], &p);
            assert_eq!(got, want, "split at {i}");
        }
        for size in 1..12 {
            let pieces = vec![size; text.len() / size + 1];
            let (got, _, st) = run_split(text, &pieces, &p);
            assert_eq!(got, want, "pieces of {size}");
            assert_eq!(st.restored, 2);
            assert_eq!(st.counts[EntityType::Email.index()], 1);
        }
    }

    #[test]
    fn pem_block_split_anywhere_is_redacted() {
        let p = Pseudonyms::new();
        let text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7abc+/=\nQ29vbA==\n-----END RSA PRIVATE KEY-----\nok";
        for size in [1, 3, 7, 16] {
            let pieces = vec![size; text.len() / size + 1];
            let (got, _, _) = run_split(text, &pieces, &p);
            assert_eq!(got, "key:\n[SECRET]\nok", "pieces of {size}");
        }
    }

    #[test]
    fn plain_text_is_not_held_longer_than_its_last_word() {
        let p = Pseudonyms::new();
        let s = settings();
        let mut st = TextStream::new();
        assert_eq!(
            st.push("Hello there, how are ", &s, &p),
            "Hello there, how are "
        );
        assert_eq!(st.push("you", &s, &p), "");
        assert_eq!(st.push(" today", &s, &p), "you ");
        assert_eq!(st.finish(&s, &p), "today");
        assert_eq!(st.pending_len(), 0);
    }

    #[test]
    fn held_tail_is_bounded() {
        let p = Pseudonyms::new();
        let s = settings();
        let mut st = TextStream::new();
        let big = "a".repeat(MAX_TOKEN_HOLD + 10);
        let out = st.push(&big, &s, &p);
        assert!(!out.is_empty());
        assert!(st.pending_len() <= HOLD_BYTES);
        let digits = "1 2 3 4 5 6 7 8 9 ".repeat(100);
        st.push(&digits, &s, &p);
        assert!(st.pending_len() <= HOLD_BYTES);
    }

    #[test]
    fn context_words_survive_the_cut() {
        let p = Pseudonyms::new();
        let s = settings();
        let mut st = TextStream::new();
        let mut out = st.push("my SSN is ", &s, &p);
        out += &st.push("078051120 ok", &s, &p);
        out += &st.finish(&s, &p);
        assert_eq!(out, "my SSN is [US_SSN] ok");
    }
}
