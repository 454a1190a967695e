//! detect: runs the per-type scanners over a text and resolves overlaps (type priority, then
//! the longer span). Pure, hand-written byte scanners: no regex, linear in the text.

pub mod chars;
pub mod cn_resident_id;
pub mod credit_card;
pub mod email;
pub mod iban;
pub mod ip_address;
pub mod national;
pub mod phone;
pub mod secret;
pub mod skip;
pub mod us_ssn;

use crate::entity::{EntityType, Match, Span, COUNT};

/// Which types to look for (indexed by [`EntityType::index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enabled(pub [bool; COUNT]);

impl Enabled {
    pub fn all() -> Self {
        Enabled([true; COUNT])
    }
    pub fn has(&self, t: EntityType) -> bool {
        self.0.get(t.index()).copied().unwrap_or(false)
    }
    pub fn any(&self) -> bool {
        self.0.iter().any(|&b| b)
    }
}

/// Spans of one type in `text` (a national identifier type: the values reported, not the
/// near-misses it claims).
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
        EntityType::ItFiscalCode
        | EntityType::EsNif
        | EntityType::FrNir
        | EntityType::FiHetu
        | EntityType::KrRrn
        | EntityType::UkNino
        | EntityType::BrCpf
        | EntityType::NlBsn
        | EntityType::PlPesel
        | EntityType::InAadhaar
        | EntityType::DeTaxId => {
            let mut found = Vec::new();
            national::find(text, |k| k == t, &mut found);
            out.extend(found.iter().filter(|f| f.report).map(|f| f.span));
        }
    }
}

/// Whether `t` can match a text holding `p`: `SECRET` and the fiscal code (which may have no
/// digit, omocodia) always; `EMAIL` needs an `@`; every other type a digit (an IPv6 address
/// too: the scanner wants one).
fn possible(t: EntityType, p: skip::Present) -> bool {
    match t {
        EntityType::Secret | EntityType::ItFiscalCode => true,
        EntityType::Email => p.at,
        _ => p.digit,
    }
}

/// A span kept by the merge: reported, or only claimed (a national near-miss, which keeps
/// later types off its span).
#[derive(Clone, Copy)]
struct Kept {
    m: Match,
    report: bool,
}

/// All non-overlapping matches in `text`, sorted by start. Offsets are byte offsets on char
/// boundaries (every pattern is ASCII). Overlaps go to the type that comes first in
/// [`EntityType::ALL`]; the national identifiers run as one pass (`national::find`) at the
/// place of the first of them, and their near-misses block the types after them. Linear in
/// the number of matches per type (merge of sorted lists). Types that cannot match (no
/// digit, no `@` in the text) are not run.
pub fn scan(text: &str, enabled: &Enabled) -> Vec<Match> {
    let mut kept: Vec<Kept> = Vec::new();
    let mut spans = Vec::new();
    let mut national_done = false;
    let present = skip::present(text.as_bytes());
    for t in EntityType::ALL {
        if !enabled.has(t) || !possible(t, present) {
            continue;
        }
        let found: Vec<Kept> = if national::is_national(t) {
            if national_done {
                continue;
            }
            national_done = true;
            let mut found = Vec::new();
            let on =
                |k: EntityType| national::is_national(k) && enabled.has(k) && possible(k, present);
            national::find(text, on, &mut found);
            found
                .into_iter()
                .map(|f| Kept {
                    m: Match {
                        kind: f.kind,
                        start: f.span.start,
                        end: f.span.end,
                    },
                    report: f.report,
                })
                .collect()
        } else {
            spans.clear();
            find_type(t, text, &mut spans);
            spans.sort_by_key(|s| s.start);
            spans
                .iter()
                .map(|s| Kept {
                    m: Match {
                        kind: t,
                        start: s.start,
                        end: s.end,
                    },
                    report: true,
                })
                .collect()
        };
        kept = merge(kept, found, text);
    }
    kept.into_iter().filter(|k| k.report).map(|k| k.m).collect()
}

/// `kept` plus the spans of `found` (sorted by start) that overlap nothing in it.
fn merge(kept: Vec<Kept>, found: Vec<Kept>, text: &str) -> Vec<Kept> {
    let mut accepted: Vec<Kept> = Vec::new();
    let mut p = 0;
    let mut last_end = 0;
    for f in found {
        let s = f.m;
        if s.end <= s.start
            || !text.is_char_boundary(s.start)
            || !text.is_char_boundary(s.end)
            || s.start < last_end
        {
            continue;
        }
        while kept.get(p).is_some_and(|k| k.m.end <= s.start) {
            p += 1;
        }
        if kept.get(p).is_some_and(|k| k.m.start < s.end) {
            continue;
        }
        last_end = s.end;
        accepted.push(f);
    }
    if accepted.is_empty() {
        return kept;
    }
    let mut merged = Vec::with_capacity(kept.len() + accepted.len());
    let (mut a, mut b) = (kept.into_iter().peekable(), accepted.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.m.start <= y.m.start,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        merged.extend(next);
    }
    merged
}

/// The matched substrings of one detector's `find` (for the detectors' table tests).
#[cfg(test)]
pub(crate) fn spans_of(find: fn(&str, &mut Vec<Span>), text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    find(text, &mut out);
    out.iter()
        .filter_map(|s| text.get(s.start..s.end))
        .collect()
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
        assert!(!Enabled([false; COUNT]).any());
    }

    #[test]
    fn non_ascii_text_is_safe() {
        let t = "名前 高橋 美加子, ID 330106200310058870, 電話 090-0091-7145。メール ü@ö.de";
        let got = kinds(t);
        assert!(got.iter().any(|g| g.0 == EntityType::CnResidentId));
        assert!(got.iter().any(|g| g.1 == "090-0091-7145"), "{got:?}");
    }
}

#[cfg(test)]
mod adversarial {
    use super::*;

    /// The near-miss bodies of the benchmark are walked with shared work (a card-like run
    /// walked once, digit runs gated by length, IP starts found from their `.`/`:`): values
    /// after or inside such runs are still found.
    #[test]
    fn values_after_near_miss_runs_are_found() {
        let found = |text: &str| -> Vec<(EntityType, String)> {
            scan(text, &Enabled::all())
                .into_iter()
                .map(|m| (m.kind, text[m.start..m.end].to_string()))
                .collect()
        };
        let cards = format!("{}4111 1111 1111 1111 ok", "1234 ".repeat(40));
        assert_eq!(
            found(&cards),
            vec![(EntityType::CreditCard, "4111 1111 1111 1111".to_string())]
        );
        let near = "DE00 1234 ABCD 999.888.777.666 ".repeat(20);
        let text = format!(
            "{near}IBAN DE89 3704 0044 0532 0130 00, host 10.0.0.1, ref 1234-45-6789, \
             ID 11010519491231002X, SSN 123-45-6789, call 0146267304, 12345678901234567890123"
        );
        let kinds: Vec<EntityType> = found(&text).into_iter().map(|f| f.0).collect();
        assert_eq!(
            kinds,
            vec![
                EntityType::Iban,
                EntityType::IpAddress,
                EntityType::CnResidentId,
                EntityType::UsSsn,
                EntityType::Phone
            ]
        );
        let ips = "ip 999.888.777.666 fe80::1 and ::ffff:192.0.2.1; v1.2.3.4 x";
        let got: Vec<String> = found(ips).into_iter().map(|f| f.1).collect();
        assert_eq!(got, vec!["fe80::1", "::ffff:192.0.2.1"]);
    }

    /// The shape refusals (a dotted run that cannot become 3.3.4, a lone short digit run, a
    /// 3-digit group without `-`/` `, a dotted start tried as IPv4 only) keep the values that
    /// do have the shape, next to runs they refuse.
    #[test]
    fn shape_refusals_keep_real_values() {
        let found = |text: &str| -> Vec<(EntityType, String)> {
            scan(text, &Enabled::all())
                .into_iter()
                .map(|m| (m.kind, text[m.start..m.end].to_string()))
                .collect()
        };
        let text = "999.888.777.666 call 555.123.4567, 12 ssn 219 09 9999 1.2.3 10.0.0.1 \
                    555.123.45678 4111 1111 1111 1111";
        assert_eq!(
            found(text),
            vec![
                (EntityType::Phone, "555.123.4567".to_string()),
                (EntityType::UsSsn, "219 09 9999".to_string()),
                (EntityType::IpAddress, "10.0.0.1".to_string()),
                (EntityType::CreditCard, "4111 1111 1111 1111".to_string()),
            ]
        );
    }

    /// Inputs built to make a careless scanner quadratic: each must finish quickly (the
    /// assertion is on the result; a quadratic scanner would make this test take minutes).
    #[test]
    fn junk_inputs_stay_linear() {
        let n = 50_000;
        let cases = [
            format!("{}{}", "a".repeat(n), "@".repeat(n)),
            "a@".repeat(n),
            "1 ".repeat(n),
            "+1 234 5678, ".repeat(n / 10),
            format!("{}/", "A".repeat(39)).repeat(n / 40),
            "eyJ.".repeat(n),
            "-----BEGIN ".repeat(n / 10),
            "1.1.1.1.".repeat(n / 8),
            "a:".repeat(n),
            "DE89 ".repeat(n / 5),
            "api_key=".repeat(n / 8),
        ];
        for (k, text) in cases.iter().enumerate() {
            let t = std::time::Instant::now();
            let found = scan(text, &Enabled::all());
            eprintln!("junk case {k}: {} bytes in {:?}", text.len(), t.elapsed());
            assert!(found.len() <= text.len());
        }
    }
}
