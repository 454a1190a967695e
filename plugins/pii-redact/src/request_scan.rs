//! request_scan: the request pipeline without the host: parse the provider body, scan every
//! segment, apply the actions, splice the new texts into the raw body (rest byte-identical).

use crate::config::Settings;
use crate::detect::scan;
use crate::entity::{EntityType, COUNT};
use crate::pseudonym::Pseudonyms;
use crate::transform::{apply, Side};
use guardrail_sdk::body::{parse_request, rewrite_segments};
use guardrail_sdk::{json, ApiFormat, BodyError};

/// What the request phase decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Nothing found: forward as is.
    Clean,
    /// Values replaced: forward `body` instead.
    Rewritten { body: Vec<u8>, report: Report },
    /// A `block` type was found: refuse with 403.
    Blocked {
        types: Vec<EntityType>,
        report: Report,
    },
    /// The body cannot be scanned (fail closed: 400/413).
    Invalid(BodyError),
}

/// Counts per type and the segment paths that had findings (safe to log).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub counts: [u64; COUNT],
    pub segments: Vec<String>,
}

impl Report {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Limits for parsing a body of at most `max_bytes`.
pub fn limits(max_bytes: usize) -> json::Limits {
    json::Limits {
        max_bytes,
        ..json::Limits::default()
    }
}

pub fn scan_request(
    format: ApiFormat,
    raw: &[u8],
    settings: &Settings,
    pseudonyms: &mut Pseudonyms,
) -> RequestOutcome {
    let body = match parse_request(format, raw, &limits(settings.max_body_bytes)) {
        Ok(b) => b,
        Err(e) => return RequestOutcome::Invalid(e),
    };
    let enabled = settings.enabled();
    let mut report = Report::default();
    let mut blocked: Vec<EntityType> = Vec::new();
    let mut new_text: Vec<(usize, String)> = Vec::new();
    for (i, seg) in body.segments.iter().enumerate() {
        let matches = scan(&seg.text, &enabled);
        if matches.is_empty() {
            continue;
        }
        let t = apply(&seg.text, &matches, settings, pseudonyms, Side::Request);
        for (total, n) in report.counts.iter_mut().zip(t.counts) {
            *total += n;
        }
        report.segments.push(seg.path.clone());
        for b in t.blocked {
            if !blocked.contains(&b) {
                blocked.push(b);
            }
        }
        if t.text != seg.text {
            new_text.push((i, t.text));
        }
    }
    if !blocked.is_empty() {
        return RequestOutcome::Blocked {
            types: blocked,
            report,
        };
    }
    if new_text.is_empty() {
        return RequestOutcome::Clean;
    }
    match rewrite_segments(raw, &body, &new_text) {
        Ok(body) => RequestOutcome::Rewritten { body, report },
        Err(e) => RequestOutcome::Invalid(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn settings() -> Settings {
        parse(br#"{"entities":{"EMAIL":"pseudonymize","CREDIT_CARD":"mask","SECRET":"block"}}"#)
            .unwrap()
    }

    #[test]
    fn rewrites_only_the_strings_with_findings() {
        let raw = br#"{"model":"gpt-4o-mini", "messages":[{"role":"system","content":"Be nice."},
            {"role":"user","content":"I am jane@corp.example, card 4111 1111 1111 1111. Again: jane@corp.example"}],
            "temperature":0.20}"#;
        let mut p = Pseudonyms::new();
        let RequestOutcome::Rewritten { body, report } =
            scan_request(ApiFormat::OpenAiChat, raw, &settings(), &mut p)
        else {
            panic!("expected a rewrite");
        };
        let want = String::from_utf8_lossy(raw)
            .replace("jane@corp.example", "<EMAIL_1>")
            .replace("4111 1111 1111 1111", "**** **** **** 1111");
        assert_eq!(String::from_utf8(body).unwrap(), want);
        assert_eq!(report.counts[EntityType::Email.index()], 2);
        assert_eq!(report.total(), 3);
        assert_eq!(report.segments, vec!["messages[1].content".to_string()]);
        assert_eq!(p.original("<EMAIL_1>"), Some("jane@corp.example"));
    }

    #[test]
    fn same_value_same_placeholder_across_segments_and_formats() {
        let raw = br#"{"model":"claude","system":"user is a@b.io","messages":[{"role":"user","content":[{"type":"text","text":"mail a@b.io and c@d.io"}]}],"max_tokens":5}"#;
        let mut p = Pseudonyms::new();
        let RequestOutcome::Rewritten { body, .. } =
            scan_request(ApiFormat::AnthropicMessages, raw, &settings(), &mut p)
        else {
            panic!("expected a rewrite");
        };
        let s = String::from_utf8(body).unwrap();
        assert!(s.contains(r#""system":"user is <EMAIL_1>""#), "{s}");
        assert!(s.contains("mail <EMAIL_1> and <EMAIL_2>"), "{s}");
    }

    #[test]
    fn escaped_text_is_scanned_decoded_and_written_back_escaped() {
        let raw = br#"{"messages":[{"role":"user","content":"mail \u0062ob@x.io\n\"quoted\""}]}"#;
        let mut p = Pseudonyms::new();
        let RequestOutcome::Rewritten { body, .. } =
            scan_request(ApiFormat::OpenAiChat, raw, &settings(), &mut p)
        else {
            panic!("expected a rewrite");
        };
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"messages":[{"role":"user","content":"mail <EMAIL_1>\n\"quoted\""}]}"#
        );
        assert_eq!(p.original("<EMAIL_1>"), Some("bob@x.io"));
    }

    #[test]
    fn block_clean_and_invalid() {
        let mut p = Pseudonyms::new();
        let raw =
            br#"{"messages":[{"role":"user","content":"key AKIAOH77QAXTJMKV47PU and a@b.io"}]}"#;
        match scan_request(ApiFormat::OpenAiChat, raw, &settings(), &mut p) {
            RequestOutcome::Blocked { types, report } => {
                assert_eq!(types, vec![EntityType::Secret]);
                assert_eq!(report.total(), 2);
            }
            other => panic!("{other:?}"),
        }
        let clean = br#"{"messages":[{"role":"user","content":"hello"}]}"#;
        assert_eq!(
            scan_request(ApiFormat::OpenAiChat, clean, &settings(), &mut p),
            RequestOutcome::Clean
        );
        for bad in [&b"{not json"[..], br#"{"a":1,"a":2}"#, b"\xff\xfe"] {
            match scan_request(ApiFormat::OpenAiChat, bad, &settings(), &mut p) {
                RequestOutcome::Invalid(e) => assert_eq!(e.status, 400, "{e}"),
                other => panic!("{other:?}"),
            }
        }
        let mut s = settings();
        s.max_body_bytes = 10;
        match scan_request(ApiFormat::OpenAiChat, clean, &s, &mut p) {
            RequestOutcome::Invalid(e) => assert_eq!(e.status, 413, "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
