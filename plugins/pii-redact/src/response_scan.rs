//! response_scan: a non-streamed answer without the host: parse it, redact PII the model
//! wrote, restore this request's placeholders, splice the texts back (rest byte-identical).

use crate::config::Settings;
use crate::detect::scan;
use crate::entity::COUNT;
use crate::pseudonym::Pseudonyms;
use crate::request_scan::limits;
use crate::transform::{apply, restore, Side};
use guardrail_sdk::body::{parse_response, rewrite_response_segments};
use guardrail_sdk::{ApiFormat, BodyError};

/// What the response phase did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseReport {
    /// Values the model wrote, per type (redacted/masked).
    pub counts: [u64; COUNT],
    /// Placeholders put back.
    pub restored: u64,
}

impl ResponseReport {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Redact + restore one text; `None` when nothing changed.
pub fn rewrite_text(
    text: &str,
    settings: &Settings,
    pseudonyms: &Pseudonyms,
    report: &mut ResponseReport,
) -> Option<String> {
    let matches = scan(text, &settings.enabled());
    let mut scratch = Pseudonyms::new();
    let t = apply(text, &matches, settings, &mut scratch, Side::Response);
    for (total, n) in report.counts.iter_mut().zip(t.counts) {
        *total += n;
    }
    let (out, n) = restore(&t.text, pseudonyms);
    report.restored += n;
    (out != text).then_some(out)
}

/// `Ok(None)`: forward unchanged; `Ok(Some(body))`: forward `body`; `Err`: not scannable.
pub fn rewrite_response(
    format: ApiFormat,
    raw: &[u8],
    settings: &Settings,
    pseudonyms: &Pseudonyms,
) -> Result<(Option<Vec<u8>>, ResponseReport), BodyError> {
    let body = parse_response(format, raw, &limits(settings.max_body_bytes))?;
    let mut report = ResponseReport::default();
    let new_text: Vec<(usize, String)> = body
        .segments
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            rewrite_text(&s.text, settings, pseudonyms, &mut report).map(|t| (i, t))
        })
        .collect();
    if new_text.is_empty() {
        return Ok((None, report));
    }
    Ok((
        Some(rewrite_response_segments(raw, &body, &new_text)?),
        report,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::entity::EntityType;

    #[test]
    fn restores_placeholders_and_redacts_model_pii() {
        let s = parse(br#"{"entities":{"EMAIL":"pseudonymize"}}"#).unwrap();
        let mut p = Pseudonyms::new();
        p.placeholder_for(EntityType::Email, "jane@corp.example");
        let raw = br#"{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"Hi <EMAIL_1>, write to ops@evil.example"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3}}"#;
        let (body, report) = rewrite_response(ApiFormat::OpenAiChat, raw, &s, &p).unwrap();
        let want = String::from_utf8_lossy(raw)
            .replace("<EMAIL_1>", "jane@corp.example")
            .replace("ops@evil.example", "[EMAIL]");
        assert_eq!(String::from_utf8(body.unwrap()).unwrap(), want);
        assert_eq!(report.restored, 1);
        assert_eq!(report.total(), 1);
    }

    #[test]
    fn clean_answers_and_errors_pass_unchanged_and_junk_is_refused() {
        let s = Settings::default();
        let p = Pseudonyms::new();
        let raw = br#"{"content":[{"type":"text","text":"hello"}]}"#;
        assert_eq!(
            rewrite_response(ApiFormat::AnthropicMessages, raw, &s, &p)
                .unwrap()
                .0,
            None
        );
        let err = br#"{"error":{"message":"rate limited","type":"rate_limit"}}"#;
        assert_eq!(
            rewrite_response(ApiFormat::OpenAiChat, err, &s, &p)
                .unwrap()
                .0,
            None
        );
        assert!(rewrite_response(ApiFormat::OpenAiChat, b"<html>", &s, &p).is_err());
    }
}
