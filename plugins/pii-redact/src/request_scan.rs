//! request_scan: the request pipeline without the host: parse the provider body, scan every
//! string it carries (the segments the model reads and every other string value: `user`,
//! `metadata`, `name` fields, tool definitions; SDK `parse_request_full`, each literal once),
//! apply the actions, splice the new texts into the raw body (rest byte-identical).

use crate::config::Settings;
use crate::entity::Match;
use crate::entity::{Counts, EntityType};
use crate::pseudonym::Pseudonyms;
use crate::transform::{apply, Side};
use guardrail_sdk::body::{parse_request_full, Segment};
use guardrail_sdk::json::Splice;
use guardrail_sdk::segment_cache::SegmentCache;
use guardrail_sdk::{json, ApiFormat, BodyError};

/// Findings per segment text, kept across requests (see `guardrail_sdk::segment_cache`).
pub type FindingsCache = SegmentCache<Vec<Match>>;

/// A findings cache for `settings` parsed from `raw` (the raw configuration is its scope).
pub fn findings_cache(raw: &[u8], settings: &Settings) -> FindingsCache {
    let scope: [&[u8]; 3] = [
        crate::report::PLUGIN.as_bytes(),
        crate::report::VERSION.as_bytes(),
        raw,
    ];
    SegmentCache::new(&scope, settings.segment_cache, |m: &Vec<Match>| {
        m.capacity() * std::mem::size_of::<Match>()
    })
}

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
    pub counts: Counts,
    pub segments: Vec<String>,
}

impl Report {
    pub fn total(&self) -> u64 {
        self.counts.total()
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
    scan_request_cached(format, raw, settings, pseudonyms, None)
}

/// [`scan_request`], taking each string's findings from `cache` when it holds them. Findings
/// depend only on the string and the configuration (the cache's scope); what depends on the
/// request (pseudonym numbering, counts, the rewrite) is computed here from them, so the
/// outcome is the same with or without the cache.
pub fn scan_request_cached(
    format: ApiFormat,
    raw: &[u8],
    settings: &Settings,
    pseudonyms: &mut Pseudonyms,
    cache: Option<&FindingsCache>,
) -> RequestOutcome {
    let full = match parse_request_full(format, raw, &limits(settings.max_body_bytes)) {
        Ok(b) => b,
        Err(e) => return RequestOutcome::Invalid(e),
    };
    let strings: Vec<&Segment> = full.all().collect();
    let mut report = Report::default();
    let mut blocked: Vec<EntityType> = Vec::new();
    let mut new_text: Vec<(usize, String)> = Vec::new();
    for (i, seg) in strings.iter().enumerate() {
        let matches = match cache {
            Some(c) => {
                c.get_or_scan(seg.trust, &seg.text, || settings.scan(&seg.text))
                    .0
            }
            None => settings.scan(&seg.text),
        };
        if matches.is_empty() {
            continue;
        }
        let t = apply(&seg.text, &matches, settings, pseudonyms, Side::Request);
        report.counts.merge(&t.counts);
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
    let splices = new_text
        .into_iter()
        .filter_map(|(i, text)| {
            let seg = strings.get(i)?;
            Some(Splice {
                span: seg.span.clone(),
                with: json::quote(&text).into_bytes(),
            })
        })
        .collect();
    match json::apply_splices(raw, splices) {
        Ok(body) => RequestOutcome::Rewritten { body, report },
        Err(e) => RequestOutcome::Invalid(e.into()),
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
        assert_eq!(report.counts.get(EntityType::Email), 2);
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
    /// Generated (issue 20 item 6): an e-mail in every string field a request can carry, in
    /// every format, outside the text the model reads (`user`, `metadata`, `name`, tool names
    /// and schemas, response formats, labels...) is replaced like one in a prompt, counted
    /// once, and the body stays valid JSON of the same shape.
    #[test]
    fn generated_every_string_field_of_every_format() {
        use serde_json::{json, Value};
        const EMAIL: &str = "jane.doe@example.com";
        let e = EMAIL;
        let schema = json!({"type": "object", "description": e,
            "properties": {"to": {"type": "string", "description": e, "enum": [e], "default": e}}});
        let mut cases: Vec<(ApiFormat, Value, &str)> = Vec::new();
        let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
        for (field, value) in [
            ("user", json!(e)),
            ("metadata", json!({"customer_email": e})),
            ("metadata", json!({"nested": {"deeper": [e]}})),
            ("safety_identifier", json!(e)),
            ("prompt_cache_key", json!(e)),
            ("stop", json!([e])),
            ("prediction", json!({"type": "content", "content": e})),
            (
                "response_format",
                json!({"type": "json_schema", "json_schema": {"name": "r", "description": e, "schema": schema}}),
            ),
            (
                "tools",
                json!([{"type": "function", "function": {"name": "send_mail", "description": "mail", "parameters": schema}}]),
            ),
            (
                "tool_choice",
                json!({"type": "function", "function": {"name": e}}),
            ),
            (
                "messages",
                json!([{"role": "user", "name": e, "content": "hi"}]),
            ),
            (
                "messages",
                json!([{"role": "assistant", "content": null, "tool_calls": [{"id": e, "type": "function", "function": {"name": e, "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": e, "content": "ok"}]),
            ),
            (
                "messages",
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": format!("https://x.example/?u={e}")}}]}]),
            ),
            ("x_unknown_extension", json!(e)),
        ] {
            let mut v = chat.clone();
            v[field] = value;
            cases.push((ApiFormat::OpenAiChat, v, field));
        }
        let anthropic = json!({"model": "claude-3-5-haiku", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]});
        for (field, value) in [
            ("metadata", json!({"user_id": e})),
            ("stop_sequences", json!([e])),
            (
                "tools",
                json!([{"name": "mail", "description": "d", "input_schema": schema}]),
            ),
            (
                "messages",
                json!([{"role": "user", "content": [{"type": "document", "title": e, "source": {"type": "text", "media_type": "text/plain", "data": "hi"}}]}]),
            ),
        ] {
            let mut v = anthropic.clone();
            v[field] = value;
            cases.push((ApiFormat::AnthropicMessages, v, field));
        }
        let responses = json!({"model": "gpt-4o", "input": "hi"});
        for (field, value) in [
            ("user", json!(e)),
            ("metadata", json!({"email": e})),
            ("previous_response_id", json!(e)),
            (
                "text",
                json!({"format": {"type": "json_schema", "name": "r", "schema": schema}}),
            ),
            (
                "tools",
                json!([{"type": "function", "name": e, "parameters": schema}]),
            ),
        ] {
            let mut v = responses.clone();
            v[field] = value;
            cases.push((ApiFormat::OpenAiResponses, v, field));
        }
        let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
        for (field, value) in [
            ("labels", json!({"owner": e})),
            ("cachedContent", json!(e)),
            (
                "tools",
                json!([{"functionDeclarations": [{"name": "mail", "description": e, "parameters": schema}]}]),
            ),
            ("generationConfig", json!({"responseSchema": schema})),
        ] {
            let mut v = gemini.clone();
            v[field] = value;
            cases.push((ApiFormat::GeminiGenerateContent, v, field));
        }
        for format in [ApiFormat::OpenAiCompletions, ApiFormat::OpenAiEmbeddings] {
            for field in ["user", "metadata"] {
                let mut v = json!({"model": "m", "prompt": "hi", "input": "hi"});
                v[field] = if field == "user" {
                    json!(e)
                } else {
                    json!({"k": e})
                };
                cases.push((format, v, field));
            }
        }
        let mut p = Pseudonyms::new();
        for (format, v, field) in &cases {
            let raw = v.to_string();
            let expected = raw.matches(EMAIL).count();
            let RequestOutcome::Rewritten { body, report } =
                scan_request(*format, raw.as_bytes(), &settings(), &mut p)
            else {
                panic!("{format:?} {field}: not rewritten: {raw}");
            };
            let out = String::from_utf8(body).unwrap();
            assert!(!out.contains(EMAIL), "{format:?} {field}: {out}");
            let parsed: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(
                parsed.to_string().matches("<EMAIL_").count(),
                expected,
                "{format:?} {field}: {out}"
            );
            // Counted once per occurrence: no literal is scanned twice.
            assert_eq!(
                report.counts.get(EntityType::Email),
                expected as u64,
                "{format:?} {field}"
            );
        }
        assert!(cases.len() >= 25, "{}", cases.len());
    }

    #[test]
    fn a_prompt_value_is_counted_once_not_again_as_a_string_leaf() {
        let raw =
            br#"{"model":"m","messages":[{"role":"user","content":"a@b.io"}],"user":"c@d.io"}"#;
        let mut p = Pseudonyms::new();
        let RequestOutcome::Rewritten { report, .. } =
            scan_request(ApiFormat::OpenAiChat, raw, &settings(), &mut p)
        else {
            panic!("expected a rewrite");
        };
        assert_eq!(report.counts.get(EntityType::Email), 2);
        assert_eq!(
            report.segments,
            vec!["messages[0].content".to_string(), "user".to_string()]
        );
    }

    /// The demo's configuration (examples/envoy/plugins/pii-redact.json) with its custom
    /// types and a national identifier, as the demo scenario sends them.
    #[test]
    fn the_demo_configuration_acts_on_custom_types_and_national_ids() {
        let s = parse(include_bytes!(
            "../../../examples/envoy/plugins/pii-redact.json"
        ))
        .unwrap();
        let raw = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Summarise INC-004211 for project bluebird; the customer's BSN is 111222333."}]}"#;
        let mut p = Pseudonyms::new();
        let RequestOutcome::Rewritten { body, report } =
            scan_request(ApiFormat::OpenAiChat, raw, &s, &mut p)
        else {
            panic!("expected a rewrite");
        };
        let body = String::from_utf8(body).unwrap();
        assert!(
            body.contains("Summarise [TICKET] for <CODENAME_1>; the customer's BSN is [NL_BSN]."),
            "{body}"
        );
        assert_eq!(report.total(), 3);
        assert_eq!(p.original("<CODENAME_1>"), Some("project bluebird"));
        let raw = br#"{"model":"m","messages":[{"role":"user","content":"Letter for Globex Industries."}]}"#;
        match scan_request(ApiFormat::OpenAiChat, raw, &s, &mut p) {
            RequestOutcome::Blocked { types, .. } => {
                assert_eq!(
                    types.iter().map(|&t| s.name(t)).collect::<Vec<_>>(),
                    vec!["CLIENT"]
                );
            }
            other => panic!("expected a block, got {other:?}"),
        }
    }
}
