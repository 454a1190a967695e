//! transform: applies the configured action to each match in a text (redact, mask,
//! pseudonymise) and restores placeholders in model output. Counts per type, never values.

use crate::config::{Action, Settings};
use crate::entity::{EntityType, Match, COUNT};
use crate::pseudonym::Pseudonyms;

/// Which way the text flows: request actions as configured; on the response side `block`
/// and `pseudonymize` become `redact` (the headers already left; model-made values have no
/// owner to restore them to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Request,
    Response,
}

/// Result of transforming one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transformed {
    pub text: String,
    /// Values found, per [`EntityType::index`].
    pub counts: [u64; COUNT],
    /// Types whose action is `block` that were found (request side).
    pub blocked: Vec<EntityType>,
}

impl Transformed {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// `[EMAIL]`
pub fn redaction(t: EntityType) -> String {
    format!("[{}]", t.name())
}

/// Every letter/digit except the last four becomes `*`; separators stay.
pub fn mask(value: &str) -> String {
    let alnum = value.chars().filter(|c| c.is_alphanumeric()).count();
    let keep_from = alnum.saturating_sub(4);
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen <= keep_from {
                    return '*';
                }
            }
            c
        })
        .collect()
}

/// Replace every match in `text` according to `settings` (matches sorted, non-overlapping).
pub fn apply(
    text: &str,
    matches: &[Match],
    settings: &Settings,
    pseudonyms: &mut Pseudonyms,
    side: Side,
) -> Transformed {
    let mut out = Transformed {
        text: String::with_capacity(text.len()),
        ..Default::default()
    };
    let mut last = 0;
    for m in matches {
        let (Some(before), Some(value)) = (text.get(last..m.start), text.get(m.start..m.end))
        else {
            continue;
        };
        if let Some(c) = out.counts.get_mut(m.kind.index()) {
            *c += 1;
        }
        out.text.push_str(before);
        let action = match (settings.action(m.kind), side) {
            (Action::Block | Action::Pseudonymize, Side::Response) => Action::Redact,
            (a, _) => a,
        };
        match action {
            Action::Off => out.text.push_str(value),
            Action::Redact => out.text.push_str(&redaction(m.kind)),
            Action::Mask => out.text.push_str(&mask(value)),
            Action::Pseudonymize => match pseudonyms.placeholder_for(m.kind, value) {
                Some(p) => out.text.push_str(&p),
                None => out.text.push_str(&redaction(m.kind)),
            },
            Action::Block => {
                if !out.blocked.contains(&m.kind) {
                    out.blocked.push(m.kind);
                }
                out.text.push_str(&redaction(m.kind));
            }
        }
        last = m.end;
    }
    out.text.push_str(text.get(last..).unwrap_or(""));
    out
}

/// Longest placeholder: `<CN_RESIDENT_ID_4096>`.
pub const MAX_PLACEHOLDER: usize = 24;

/// Length of a placeholder-shaped token at `b[i..]` (`<` + `A-Z_` + `_` + digits + `>`), or
/// `Partial` when the text ends inside one.
#[derive(Debug, PartialEq, Eq)]
pub enum PlaceholderAt {
    No,
    Partial,
    Full(usize),
}

pub fn placeholder_at(b: &[u8], i: usize) -> PlaceholderAt {
    if b.get(i) != Some(&b'<') {
        return PlaceholderAt::No;
    }
    let mut j = i + 1;
    let mut digits = 0;
    let mut letters = 0;
    while j < b.len() && j - i <= MAX_PLACEHOLDER {
        let c = b.get(j).copied().unwrap_or(0);
        match c {
            b'A'..=b'Z' | b'_' if digits == 0 => letters += 1,
            b'0'..=b'9' if letters > 1 => digits += 1,
            b'>' if digits > 0 => return PlaceholderAt::Full(j + 1 - i),
            _ => return PlaceholderAt::No,
        }
        j += 1;
    }
    if j >= b.len() && j - i <= MAX_PLACEHOLDER {
        PlaceholderAt::Partial
    } else {
        PlaceholderAt::No
    }
}

/// Put the original values back for placeholders this request minted; returns the count.
pub fn restore(text: &str, pseudonyms: &Pseudonyms) -> (String, u64) {
    if pseudonyms.is_empty() || !text.contains('<') {
        return (text.to_string(), 0);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        if let PlaceholderAt::Full(len) = placeholder_at(b, i) {
            if let (Some(p), Some(before)) = (text.get(i..i + len), text.get(last..i)) {
                if let Some(orig) = pseudonyms.original(p) {
                    out.push_str(before);
                    out.push_str(orig);
                    n += 1;
                    i += len;
                    last = i;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::detect::scan;

    fn run(cfg: &str, text: &str, side: Side, p: &mut Pseudonyms) -> Transformed {
        let s = parse(cfg.as_bytes()).unwrap();
        let m = scan(text, &s.enabled());
        apply(text, &m, &s, p, side)
    }

    #[test]
    fn actions_per_type() {
        let cfg = r#"{"entities":{"EMAIL":"pseudonymize","CREDIT_CARD":"mask","SECRET":"block","IP_ADDRESS":"off"}}"#;
        let mut p = Pseudonyms::new();
        let t = run(
            cfg,
            "a@b.com card 4111-1111-1111-1111 ip 10.0.0.1 ssn 555-79-7263 a@b.com x@y.org",
            Side::Request,
            &mut p,
        );
        assert_eq!(
            t.text,
            "<EMAIL_1> card ****-****-****-1111 ip 10.0.0.1 ssn [US_SSN] <EMAIL_1> <EMAIL_2>"
        );
        assert_eq!(t.counts[EntityType::Email.index()], 3);
        assert_eq!(t.total(), 5);
        assert!(t.blocked.is_empty());
        let t = run(cfg, "key AKIAOH77QAXTJMKV47PU", Side::Request, &mut p);
        assert_eq!(t.blocked, vec![EntityType::Secret]);
        assert_eq!(t.text, "key [SECRET]");
    }

    #[test]
    fn response_side_never_blocks_or_mints() {
        let cfg = r#"{"entities":{"EMAIL":"pseudonymize","SECRET":"block"}}"#;
        let mut p = Pseudonyms::new();
        let t = run(
            cfg,
            "mail z@q.io key AKIAOH77QAXTJMKV47PU",
            Side::Response,
            &mut p,
        );
        assert_eq!(t.text, "mail [EMAIL] key [SECRET]");
        assert!(t.blocked.is_empty() && p.is_empty());
    }

    #[test]
    fn mask_keeps_last_four_and_separators() {
        assert_eq!(mask("4111 1111 1111 1111"), "**** **** **** 1111");
        assert_eq!(mask("+1 (579) 383-4701"), "+* (***) ***-4701");
        assert_eq!(mask("abc"), "abc");
        assert_eq!(mask("jo@ex.com"), "**@*x.com");
    }

    #[test]
    fn restore_only_known_placeholders() {
        let mut p = Pseudonyms::new();
        p.placeholder_for(EntityType::Email, "a@b.com");
        let (t, n) = restore(
            "Hi <EMAIL_1>, not <EMAIL_2> or <EMAIL_1 or <x>, <EMAIL_1>.",
            &p,
        );
        assert_eq!(t, "Hi a@b.com, not <EMAIL_2> or <EMAIL_1 or <x>, a@b.com.");
        assert_eq!(n, 2);
        assert_eq!(restore("no placeholders", &p).1, 0);
        assert_eq!(restore("<EMAIL_1>", &Pseudonyms::new()).0, "<EMAIL_1>");
    }

    #[test]
    fn placeholder_shapes() {
        assert_eq!(placeholder_at(b"<EMAIL_12>x", 0), PlaceholderAt::Full(10));
        assert_eq!(placeholder_at(b"<EMAIL_1", 0), PlaceholderAt::Partial);
        assert_eq!(placeholder_at(b"<", 0), PlaceholderAt::Partial);
        assert_eq!(placeholder_at(b"<EMA", 0), PlaceholderAt::Partial);
        assert_eq!(placeholder_at(b"<b>", 0), PlaceholderAt::No);
        assert_eq!(placeholder_at(b"<EMAIL>", 0), PlaceholderAt::No);
        assert_eq!(placeholder_at(b"x<", 0), PlaceholderAt::No);
        assert_eq!(
            placeholder_at(b"<AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0),
            PlaceholderAt::No
        );
    }
}
