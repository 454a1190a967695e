//! review: the JSON a plugin sends to a review receiver (contract in docs/DEPLOYMENT.md
//! "Review queue"). Evidence is the SHA-256 of each flagged segment's text: the prompt itself
//! leaves the gateway only when the operator asks for it (`text`).

use crate::body::Segment;
use crate::hash::{hex, sha256};
use crate::identity::Identity;
use crate::json::quote;
use crate::verdict::Verdict;
use crate::write::decimal;

/// Whether the flagged text itself goes with the item (off by default everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Ids, rules and hashes only.
    Omit,
    /// Also the flagged segments' text (the receiver must be trusted with it).
    Include,
}

/// `{"request_id","plugin","verdict","rules","score","segments","key_id","evidence"}`, plus
/// `"team"` and `"app"` when the verified identity names them, and, with `Text::Include`,
/// `"text"` (the flagged segments' text, joined by blank lines); `evidence[i]` is the hex
/// SHA-256 of the text of `segments[i]`. `who` is the identity key-auth verified (None: the
/// plugin has none, `key_id` is null).
pub fn payload(
    request_id: &str,
    plugin: &str,
    verdict: &Verdict,
    segments: &[Segment],
    who: Option<&Identity>,
    text: Text,
) -> Vec<u8> {
    let paths = verdict.segments();
    let texts: Vec<&str> = paths
        .iter()
        .map(|path| {
            segments
                .iter()
                .find(|s| s.path == *path)
                .map(|s| s.text.as_str())
                .unwrap_or_default()
        })
        .collect();
    let evidence: Vec<String> = texts
        .iter()
        .map(|t| quote(&hex(&sha256(t.as_bytes()))))
        .collect();
    let list = |items: Vec<String>| format!("[{}]", items.join(","));
    // Rounded to 3 decimals like the verdict log, written without core's float formatting.
    let score = verdict.score();
    let score = decimal(f64::from(if score.is_finite() { score } else { 0.0 }));
    let named = |field: &str, v: &str| match v.is_empty() {
        true => String::new(),
        false => format!(",\"{field}\":{}", quote(v)),
    };
    let team_app = who
        .map(|id| named("team", &id.team) + &named("app", &id.app))
        .unwrap_or_default();
    let text = match text {
        Text::Omit => String::new(),
        Text::Include => format!(",\"text\":{}", quote(&texts.join("\n\n"))),
    };
    format!(
        "{{\"request_id\":{},\"plugin\":{},\"verdict\":{},\"rules\":{},\"score\":{},\"segments\":{},\"key_id\":{}{},\"evidence\":{}{}}}",
        quote(request_id),
        quote(plugin),
        quote(verdict.decision.name()),
        list(verdict.rules().iter().map(|r| quote(r)).collect()),
        score,
        list(paths.iter().map(|p| quote(p)).collect()),
        who.map(|id| quote(&id.key_id))
            .unwrap_or_else(|| "null".to_string()),
        team_app,
        list(evidence),
        text,
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{parse_request, ApiFormat};
    use crate::json::{parse, Limits};
    use crate::verdict::Finding;

    #[test]
    fn payload_carries_ids_and_hashes_never_text() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":"secret falcon plan"}]}"#;
        let segments = parse_request(ApiFormat::OpenAiChat, body, &Limits::default())
            .unwrap()
            .segments;
        let verdict = Verdict::flag_if_any(vec![Finding::new(
            "template.term",
            "policy",
            1.0,
            Some("messages[0].content"),
        )]);
        let raw = payload(
            "req-1",
            "template-detector",
            &verdict,
            &segments,
            Some(&Identity {
                key_id: "demo-alpha".into(),
                team: "payments".into(),
                app: "chat".into(),
                ..Identity::default()
            }),
            Text::Omit,
        );
        let text = String::from_utf8(raw.clone()).unwrap();
        assert!(!text.contains("falcon"), "{text}");
        let v = parse(&raw, &Limits::default()).unwrap();
        assert_eq!(v.get("verdict").and_then(|x| x.as_str()), Some("flag"));
        assert_eq!(v.get("key_id").and_then(|x| x.as_str()), Some("demo-alpha"));
        assert_eq!(v.get("team").and_then(|x| x.as_str()), Some("payments"));
        assert_eq!(v.get("app").and_then(|x| x.as_str()), Some("chat"));
        let evidence = v.get("evidence").and_then(|x| x.as_array()).unwrap();
        assert_eq!(
            evidence[0].as_str(),
            Some(hex(&sha256(b"secret falcon plan")).as_str())
        );
        let segs = v.get("segments").and_then(|x| x.as_array()).unwrap();
        assert_eq!(segs[0].as_str(), Some("messages[0].content"));
        assert!(text.contains(r#""score":1.0,"#), "{text}");
    }

    #[test]
    fn missing_key_is_null() {
        let verdict = Verdict::flag_if_any(vec![]);
        let raw = payload("r", "p", &verdict, &[], None, Text::Omit);
        let v = parse(&raw, &Limits::default()).unwrap();
        assert!(v.get("key_id").unwrap().is_null());
        assert!(v.get("team").is_none() && v.get("app").is_none());
        // An identity without team or app sends neither field.
        let bare = Identity {
            key_id: "k".into(),
            ..Identity::default()
        };
        let raw = payload("r", "p", &verdict, &[], Some(&bare), Text::Omit);
        let v = parse(&raw, &Limits::default()).unwrap();
        assert_eq!(v.get("key_id").and_then(|x| x.as_str()), Some("k"));
        assert!(v.get("team").is_none() && v.get("app").is_none());
        assert_eq!(
            v.get("evidence")
                .and_then(|x| x.as_array())
                .map(|a| a.len()),
            Some(0)
        );
    }

    #[test]
    fn text_only_when_asked() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":"falcon \"plan\""}]}"#;
        let segments = parse_request(ApiFormat::OpenAiChat, body, &Limits::default())
            .unwrap()
            .segments;
        let verdict = Verdict::flag_if_any(vec![Finding::new(
            "r",
            "policy",
            1.0,
            Some("messages[0].content"),
        )]);
        let raw = payload("q", "p", &verdict, &segments, None, Text::Include);
        let v = parse(&raw, &Limits::default()).unwrap();
        assert_eq!(
            v.get("text").and_then(|x| x.as_str()),
            Some("falcon \"plan\"")
        );
    }
}
