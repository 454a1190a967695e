//! all_strings: every string a request carries, not only the ones the model reads. Providers
//! receive, log and (with `store: true`) keep the whole body: `user`, `metadata`, `name`
//! fields, tool names and JSON schemas, `prediction`, `response_format`... A guardrail that
//! must keep a value from the provider (PII) scans `body.segments` and `others`: each string
//! literal of the document appears exactly once in the two lists (a segment is never repeated
//! in `others`). Not listed: object keys (no span to rewrite) and binary payloads (`data:`
//! URLs and long base64 runs: images, audio, files), which no text detector can read.

use super::request::{model_of, RequestBody};
use super::segment::{field, index, Role, Segment, Trust};
use crate::json::{self, Json, Node};
use crate::{ApiFormat, BodyError};
use std::collections::HashSet;

/// Strings this long made only of base64 characters are binary payloads, not text.
pub const BASE64_BLOB_BYTES: usize = 256;

/// A request parsed in full: the body model and every other string value.
#[derive(Debug, Clone, PartialEq)]
pub struct FullRequest {
    /// The body model (segments the model reads), as `parse_request` gives it.
    pub body: RequestBody,
    /// String values outside `body.segments`, with their paths (`metadata.customer_email`,
    /// `tools[0].function.parameters.properties.city.description`, `user`), as
    /// `Role::User`/`Trust::User` segments (the client wrote them).
    pub others: Vec<Segment>,
}

impl FullRequest {
    /// Every string: the segments first, then the others (indexes into this order).
    pub fn all(&self) -> impl Iterator<Item = &Segment> {
        self.body.segments.iter().chain(self.others.iter())
    }
}

/// Is `s` a binary payload (a base64 `data:` URL or a long base64 run)?
pub fn is_binary_payload(s: &str) -> bool {
    if s.len() > 5 && s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        return s.contains(";base64,");
    }
    s.len() >= BASE64_BLOB_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// Parse `raw` in full (every member built) as `format`, and list its other strings.
pub fn parse_request_full(
    format: ApiFormat,
    raw: &[u8],
    limits: &json::Limits,
) -> Result<FullRequest, BodyError> {
    let root = json::parse(raw, limits)?;
    let body = model_of(format, root)?;
    let seen: HashSet<usize> = body.segments.iter().map(|s| s.span.start).collect();
    let mut others = Vec::new();
    // Iterative walk (the parser bounds the depth; the stack bounds the memory).
    let mut stack: Vec<(&Node, String)> = vec![(&body.root, String::new())];
    while let Some((node, path)) = stack.pop() {
        match &node.value {
            Json::String(s) if !seen.contains(&node.span.start) && !is_binary_payload(s) => {
                others.push(Segment {
                    role: Role::User,
                    trust: Trust::User,
                    text: s.clone(),
                    span: node.span.clone(),
                    path,
                });
            }
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, index(&path, i)));
                }
            }
            Json::Object(members) => {
                for (k, v) in members.iter().rev() {
                    stack.push((v, field(&path, k)));
                }
            }
            _ => {}
        }
    }
    Ok(FullRequest { body, others })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::parse_request;

    fn full(format: ApiFormat, raw: &str) -> FullRequest {
        parse_request_full(format, raw.as_bytes(), &json::Limits::default()).unwrap()
    }

    #[test]
    fn lists_every_other_string_once_with_its_path() {
        let raw = r#"{"model":"gpt-4o","user":"jane@x.io","metadata":{"customer_email":"a@b.io","n":1},
            "messages":[{"role":"user","name":"Jane Doe","content":"hi"}],
            "tools":[{"type":"function","function":{"name":"lookup","description":"Find a@b.io",
              "parameters":{"type":"object","properties":{"q":{"type":"string","description":"call 555-0100"}}}}}]}"#;
        let f = full(ApiFormat::OpenAiChat, raw);
        let paths: Vec<&str> = f.others.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "model",
                "user",
                "metadata.customer_email",
                "messages[0].role",
                "messages[0].name",
                "tools[0].type",
                "tools[0].function.name",
                "tools[0].function.parameters.type",
                "tools[0].function.parameters.properties.q.type",
            ]
        );
        // The segments the model reads are not repeated.
        let seg_paths: Vec<&str> = f.body.segments.iter().map(|s| s.path.as_str()).collect();
        assert!(seg_paths.contains(&"messages[0].content"));
        assert!(seg_paths.contains(&"tools[0].function.description"));
        assert!(seg_paths.contains(&"tools[0].function.parameters.properties.q.description"));
        let mut spans: Vec<usize> = f.all().map(|s| s.span.start).collect();
        let n = spans.len();
        spans.sort_unstable();
        spans.dedup();
        assert_eq!(spans.len(), n, "a literal listed twice");
        // The same body model as the shallow parse.
        let shallow = parse_request(
            ApiFormat::OpenAiChat,
            raw.as_bytes(),
            &json::Limits::default(),
        )
        .unwrap();
        assert_eq!(shallow.segments, f.body.segments);
    }

    #[test]
    fn every_string_literal_is_counted_exactly_once_in_every_format() {
        let bodies = [
            (
                ApiFormat::OpenAiChat,
                r#"{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],"user":"u"}"#,
            ),
            (
                ApiFormat::OpenAiCompletions,
                r#"{"model":"m","prompt":["a","b"],"suffix":"c","user":"u"}"#,
            ),
            (
                ApiFormat::OpenAiEmbeddings,
                r#"{"model":"m","input":"a","user":"u","encoding_format":"float"}"#,
            ),
            (
                ApiFormat::OpenAiResponses,
                r#"{"model":"m","instructions":"i","input":[{"role":"user","content":"c"}],"metadata":{"k":"v"},"store":true}"#,
            ),
            (
                ApiFormat::AnthropicMessages,
                r#"{"model":"m","system":"s","messages":[{"role":"user","content":"c"}],"metadata":{"user_id":"x"}}"#,
            ),
            (
                ApiFormat::GeminiGenerateContent,
                r#"{"contents":[{"role":"user","parts":[{"text":"c"}]}],"labels":{"who":"jane"}}"#,
            ),
            (ApiFormat::Unknown, r#"{"a":"x","b":["y",{"c":"z"}]}"#),
        ];
        for (format, raw) in bodies {
            let f = full(format, raw);
            let literals = raw.matches('"').count() / 2;
            let keys: usize = raw.matches("\":").count();
            assert_eq!(f.all().count(), literals - keys, "{format:?}: {raw}");
        }
    }

    #[test]
    fn binary_payloads_are_not_text() {
        let blob = "iVBORw0KGgo".repeat(40);
        assert!(is_binary_payload(&blob));
        assert!(is_binary_payload("data:image/png;base64,iVBORw0KGgo="));
        assert!(!is_binary_payload("jane.doe@example.com"));
        assert!(!is_binary_payload("data: not a url"));
        assert!(!is_binary_payload(&"word ".repeat(100)));
        let raw = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":[{{"type":"image_url","image_url":{{"url":"data:image/png;base64,{blob}"}}}}]}}],"x":"{blob}"}}"#
        );
        let f = full(ApiFormat::OpenAiChat, &raw);
        assert!(f.others.iter().all(|s| !s.text.contains("iVBOR")));
    }
}
