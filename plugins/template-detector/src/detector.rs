//! detector: the pure check - which segments mention a configured term. This is the file a
//! vendor replaces; it never imports proxy_wasm and is tested natively.

use crate::config::{Action, Config};
use guardrail_sdk::body::{Segment, Trust};
use guardrail_sdk::verdict::{Finding, Verdict};

/// Rule id in verdict logs and metrics.
pub const RULE: &str = "template.term";
/// Error code of a block (`x-guardrail-code`).
pub const BLOCK_CODE: &str = "content_blocked";

/// Scans every segment the model reads (system/developer text only when `scan_trusted`).
pub fn detect(segments: &[Segment], config: &Config) -> Verdict {
    let findings: Vec<Finding> = segments
        .iter()
        .filter(|s| config.scan_trusted || s.trust != Trust::Trusted)
        .filter(|s| config.terms.iter().any(|t| contains_term(&s.text, t)))
        .map(|s| Finding::new(RULE, "policy", 1.0, Some(&s.path)))
        .collect();
    if findings.is_empty() {
        return Verdict::allow();
    }
    match config.action {
        Action::Block => Verdict::block(403, BLOCK_CODE, findings),
        Action::Flag => Verdict::flag_if_any(findings),
    }
}

/// True when `term` occurs in `text`, ASCII case-insensitively, not inside a longer word.
/// Linear in `text.len() * term.len()` with term length capped by the config (128 bytes).
pub fn contains_term(text: &str, term: &str) -> bool {
    let hay = text.as_bytes();
    let needle = term.trim().as_bytes();
    if needle.is_empty() || needle.len() > hay.len() {
        return false;
    }
    let last = hay.len() - needle.len();
    (0..=last).any(|start| {
        let end = start + needle.len();
        hay.get(start..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            && boundary_before(hay, start)
            && boundary_after(hay, end)
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn boundary_before(hay: &[u8], start: usize) -> bool {
    start == 0 || hay.get(start - 1).is_none_or(|b| !is_word_byte(*b))
}

fn boundary_after(hay: &[u8], end: usize) -> bool {
    hay.get(end).is_none_or(|b| !is_word_byte(*b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::body::{parse_request, ApiFormat};
    use guardrail_sdk::json::Limits;
    use guardrail_sdk::verdict::Decision;

    fn segments(body: &str) -> Vec<Segment> {
        parse_request(ApiFormat::OpenAiChat, body.as_bytes(), &Limits::default())
            .unwrap()
            .segments
    }

    fn config(terms: &[&str], action: Action) -> Config {
        Config {
            terms: terms.iter().map(|t| t.to_string()).collect(),
            action,
            ..Config::default()
        }
    }

    #[test]
    fn term_matching_table() {
        let cases = [
            ("we ship project falcon today", "Project Falcon", true),
            ("PROJECT FALCON.", "project falcon", true),
            ("falcon", "falcon", true),
            ("falcons fly", "falcon", false),
            ("superfalcon", "falcon", false),
            ("falcon_x", "falcon", false),
            ("(falcon)", "falcon", true),
            ("", "falcon", false),
            ("fal", "falcon", false),
            ("anything", "   ", false),
            ("héllo falcon ünïcode", "falcon", true),
            // Limitation: non-ASCII letters count as word boundaries (bytes >= 0x80).
            ("éfalcon", "falcon", true),
            ("codefalcon", "falcon", false),
        ];
        for (text, term, want) in cases {
            assert_eq!(contains_term(text, term), want, "{text:?} / {term:?}");
        }
    }

    #[test]
    fn blocks_with_the_segment_path_and_skips_trusted_text_by_default() {
        let body = r#"{"model":"m","messages":[
            {"role":"system","content":"Never mention Falcon."},
            {"role":"user","content":"hello"},
            {"role":"user","content":[{"type":"text","text":"status of falcon?"}]}]}"#;
        let v = detect(&segments(body), &config(&["falcon"], Action::Block));
        assert_eq!(
            v.decision,
            Decision::Block {
                status: 403,
                code: BLOCK_CODE.into()
            }
        );
        assert_eq!(v.segments(), vec!["messages[2].content[0].text"]);
        assert_eq!(v.rules(), vec![RULE]);
    }

    #[test]
    fn trusted_text_is_scanned_when_asked() {
        let body = r#"{"model":"m","messages":[{"role":"system","content":"falcon"}]}"#;
        let mut c = config(&["falcon"], Action::Block);
        assert_eq!(detect(&segments(body), &c).decision, Decision::Allow);
        c.scan_trusted = true;
        assert!(matches!(
            detect(&segments(body), &c).decision,
            Decision::Block { .. }
        ));
    }

    #[test]
    fn flag_mode_flags_and_clean_text_is_allowed() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"falcon"}]}"#;
        assert_eq!(
            detect(&segments(body), &config(&["falcon"], Action::Flag)).decision,
            Decision::Flag
        );
        assert_eq!(
            detect(&segments(body), &config(&["eagle"], Action::Block)).decision,
            Decision::Allow
        );
        assert_eq!(
            detect(&segments(body), &config(&[], Action::Block)).decision,
            Decision::Allow
        );
    }

    #[test]
    fn tool_results_are_scanned() {
        let body = r#"{"model":"m","messages":[
            {"role":"tool","tool_call_id":"c1","content":"doc says FALCON launches"}]}"#;
        let v = detect(&segments(body), &config(&["falcon"], Action::Block));
        assert!(matches!(v.decision, Decision::Block { .. }));
    }
}
