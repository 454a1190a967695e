//! detect: runs the per-type scanners over a text and resolves overlaps (type priority, then
//! the longer span). Pure, hand-written byte scanners: no regex, linear in the text.

pub mod chars;
pub mod cn_resident_id;
pub mod credit_card;
pub mod email;
pub mod iban;
pub mod ip_address;
pub mod phone;
pub mod secret;
pub mod us_ssn;

use crate::entity::{EntityType, Match, Span};

/// Which types to look for (indexed by [`EntityType::index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enabled(pub [bool; 8]);

impl Enabled {
    pub fn all() -> Self {
        Enabled([true; 8])
    }
    pub fn has(&self, t: EntityType) -> bool {
        self.0.get(t.index()).copied().unwrap_or(false)
    }
    pub fn any(&self) -> bool {
        self.0.iter().any(|&b| b)
    }
}

/// Spans of one type in `text`.
pub fn find_type(t: EntityType, text: &str, out: &mut Vec<Span>) {
    match t {
        EntityType::Secret => secret::find(text, out),
        EntityType::CnResidentId => cn_resident_id::find(text, out),
        EntityType::Iban => iban::find(text, out),
        EntityType::CreditCard => credit_card::find(text, out),
        EntityType::UsSsn => us_ssn::find(text, out),
        EntityType::Email => email::find(text, out),
        EntityType::IpAddress => ip_address::find(text, out),
        EntityType::Phone => phone::find(text, out),
    }
}

/// All non-overlapping matches in `text`, sorted by start. Offsets are byte offsets on char
/// boundaries (every pattern is ASCII).
pub fn scan(text: &str, enabled: &Enabled) -> Vec<Match> {
    let mut found: Vec<Match> = Vec::new();
    let mut spans = Vec::new();
    for t in EntityType::ALL {
        if !enabled.has(t) {
            continue;
        }
        spans.clear();
        find_type(t, text, &mut spans);
        found.extend(
            spans
                .iter()
                .filter(|s| {
                    s.end > s.start
                        && text.is_char_boundary(s.start)
                        && text.is_char_boundary(s.end)
                })
                .map(|s| Match {
                    kind: t,
                    start: s.start,
                    end: s.end,
                }),
        );
    }
    // Priority: type order, then longer first.
    found.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Match> = Vec::with_capacity(found.len());
    for m in found {
        if kept.iter().all(|k| m.end <= k.start || m.start >= k.end) {
            kept.push(m);
        }
    }
    kept.sort_by_key(|m| m.start);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(EntityType, &str)> {
        scan(text, &Enabled::all())
            .into_iter()
            .map(|m| (m.kind, &text[m.start..m.end]))
            .collect()
    }

    #[test]
    fn mixed_text_finds_each_type_once() {
        let t = "Mail a@b.com, call +1 (579) 383-4701, card 4111 1111 1111 1111, IBAN DE89370400440532013000, \
                 SSN 555-79-7263, ip 10.0.0.1, ID 11010519491231002X, key AKIAOH77QAXTJMKV47PU.";
        let got = kinds(t);
        let types: Vec<EntityType> = got.iter().map(|g| g.0).collect();
        assert_eq!(
            types,
            vec![
                EntityType::Email,
                EntityType::Phone,
                EntityType::CreditCard,
                EntityType::Iban,
                EntityType::UsSsn,
                EntityType::IpAddress,
                EntityType::CnResidentId,
                EntityType::Secret
            ],
            "{got:?}"
        );
    }

    #[test]
    fn overlaps_go_to_the_stronger_type() {
        // A secret containing an email-like part stays one secret.
        let got = kinds("password=alice@example.com1");
        assert_eq!(got, vec![(EntityType::Secret, "alice@example.com1")]);
    }

    #[test]
    fn disabled_types_are_not_reported() {
        let mut e = Enabled::all();
        e.0[EntityType::Email.index()] = false;
        assert!(scan("a@b.com", &e).is_empty());
        assert!(!Enabled([false; 8]).any());
    }

    #[test]
    fn non_ascii_text_is_safe() {
        let t = "名前 高橋 美加子, ID 330106200310058870, 電話 090-0091-7145。メール ü@ö.de";
        let got = kinds(t);
        assert!(got.iter().any(|g| g.0 == EntityType::CnResidentId));
        assert!(got.iter().any(|g| g.1 == "090-0091-7145"), "{got:?}");
    }
}
