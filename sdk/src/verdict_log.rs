//! The verdict log line: one JSON object per decision, built so it can only carry ids, paths,
//! counts and timings (every string goes through `safe_token`), never prompt text, keys or PII.

use crate::verdict::Verdict;
use crate::write::{key, list, object, push_decimal, push_u64, string};
use std::collections::BTreeMap;

/// Longest id/path kept verbatim; longer values are replaced by [`REDACTED`].
pub const MAX_TOKEN_LEN: usize = 128;
/// At most this many rules and segments are listed (the log line stays bounded).
pub const MAX_LIST: usize = 32;
/// What replaces a string that does not look like an id or a path.
pub const REDACTED: &str = "<redacted>";

/// The fixed field names; `extra_*` cannot reuse them.
const RESERVED: &[&str] = &[
    "guardrail",
    "v",
    "request_id",
    "phase",
    "verdict",
    "status",
    "rules",
    "score",
    "segments",
    "timings_us",
    "key_id",
    "counts",
];

/// Which side of the exchange the verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The request.
    Request,
    /// The answer.
    Response,
}

impl Phase {
    /// `request` / `response`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Request => "request",
            Phase::Response => "response",
        }
    }
}

/// `s` if it looks like an id or a segment path (ASCII letters, digits and `._:/-[]`, at most
/// [`MAX_TOKEN_LEN`] bytes), else [`REDACTED`]. Spaces, `@`, quotes and non-ASCII are refused,
/// so sentences, e-mail addresses and most free text cannot reach the log.
pub fn safe_token(s: &str) -> &str {
    let ok = !s.is_empty()
        && s.len() <= MAX_TOKEN_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-[]".contains(&b));
    if ok {
        s
    } else {
        REDACTED
    }
}

/// Builder for one verdict line. See the example in docs/ARCHITECTURE.md.
#[derive(Debug, Clone)]
pub struct VerdictLog {
    plugin: &'static str,
    version: &'static str,
    request_id: String,
    phase: Phase,
    verdict: &'static str,
    status: Option<u16>,
    rules: Vec<String>,
    score: f32,
    segments: Vec<String>,
    timings_us: Vec<(&'static str, u64)>,
    key_id: Option<String>,
    counts: BTreeMap<String, u64>,
    extra: Vec<(&'static str, Extra)>,
}

/// An extra field's value (written by hand, like every field: see `to_json_line`).
#[derive(Debug, Clone, PartialEq)]
enum Extra {
    Number(i64),
    Flag(bool),
    Id(String),
}

impl VerdictLog {
    /// A line for `plugin` (e.g. `env!("CARGO_PKG_NAME")`) saying "allow" until told otherwise.
    pub fn new(
        plugin: &'static str,
        version: &'static str,
        request_id: &str,
        phase: Phase,
    ) -> Self {
        VerdictLog {
            plugin,
            version,
            request_id: safe_token(request_id).to_string(),
            phase,
            verdict: "allow",
            status: None,
            rules: Vec::new(),
            score: 0.0,
            segments: Vec::new(),
            timings_us: Vec::new(),
            key_id: None,
            counts: BTreeMap::new(),
            extra: Vec::new(),
        }
    }

    /// Take decision name, status, rule ids, top score and segment paths from `v`.
    pub fn verdict(mut self, v: &Verdict) -> Self {
        self.verdict = v.decision.name();
        self.status = v.decision.status();
        self.score = v.score();
        self.rules = bounded(v.rules());
        self.segments = bounded(v.segments());
        self
    }

    /// Override the verdict name (e.g. pii-redact says `redact`).
    pub fn verdict_name(mut self, name: &'static str) -> Self {
        self.verdict = name;
        self
    }

    /// A refusal: verdict `block` with the status sent to the client.
    pub fn block(self, status: u16) -> Self {
        self.verdict_name("block").status(status)
    }

    /// The verdict name the line carries (also the `guardrail_requests_total` verdict).
    pub fn verdict_label(&self) -> &'static str {
        self.verdict
    }

    /// The HTTP status sent to the client, when the plugin answered itself.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Add a rule id.
    pub fn rule(mut self, rule: &str) -> Self {
        if self.rules.len() < MAX_LIST {
            self.rules.push(safe_token(rule).to_string());
        }
        self
    }

    /// Add a segment path.
    pub fn segment(mut self, path: &str) -> Self {
        if self.segments.len() < MAX_LIST {
            self.segments.push(safe_token(path).to_string());
        }
        self
    }

    /// The top score.
    pub fn score(mut self, score: f32) -> Self {
        self.score = score;
        self
    }

    /// Time spent in a named step, in microseconds (e.g. `("parse", 41)`).
    pub fn timing(mut self, step: &'static str, micros: u64) -> Self {
        self.timings_us.push((step, micros));
        self
    }

    /// The non-secret key id from the identity (never the key).
    pub fn key_id(mut self, key_id: &str) -> Self {
        self.key_id = Some(safe_token(key_id).to_string());
        self
    }

    /// Add `n` to a named count (e.g. `("EMAIL", 1)`).
    pub fn count(mut self, name: &str, n: u64) -> Self {
        let slot = self.counts.entry(safe_token(name).to_string()).or_insert(0);
        *slot = slot.saturating_add(n);
        self
    }

    /// An extra numeric field.
    pub fn extra_number(mut self, key: &'static str, n: i64) -> Self {
        self.extra.push((key, Extra::Number(n)));
        self
    }

    /// An extra boolean field.
    pub fn extra_flag(mut self, key: &'static str, b: bool) -> Self {
        self.extra.push((key, Extra::Flag(b)));
        self
    }

    /// An extra id-like field (passes through `safe_token`).
    pub fn extra_id(mut self, key: &'static str, id: &str) -> Self {
        self.extra
            .push((key, Extra::Id(safe_token(id).to_string())));
        self
    }

    /// The line: one JSON object, no trailing newline, fields in the documented order.
    /// Written by hand into one buffer: it runs for every request in every plugin, and going
    /// through `serde_json::Value` cost ~26k instructions per line (callgrind), more than
    /// parsing a 4 KB body.
    pub fn to_json_line(&self) -> String {
        let mut out = String::with_capacity(320);
        out.push('{');
        key(&mut out, "guardrail");
        string(&mut out, self.plugin);
        key(&mut out, "v");
        string(&mut out, self.version);
        key(&mut out, "request_id");
        string(&mut out, &self.request_id);
        key(&mut out, "phase");
        string(&mut out, self.phase.name());
        self.verdict_fields(&mut out, true);
        key(&mut out, "key_id");
        match &self.key_id {
            Some(id) => string(&mut out, id),
            None => out.push_str("null"),
        }
        key(&mut out, "counts");
        object(&mut out, self.counts.iter().map(|(k, v)| (k.as_str(), *v)));
        // A JSON object with a duplicate key is ambiguous to log pipelines: extras never
        // override the fixed fields, and the first extra of a name wins.
        let mut written: Vec<&str> = RESERVED.to_vec();
        for (name, value) in &self.extra {
            let name = safe_token(name);
            if written.contains(&name) {
                continue;
            }
            written.push(name);
            key(&mut out, name);
            match value {
                Extra::Number(n) => {
                    if *n < 0 {
                        out.push('-');
                    }
                    push_u64(&mut out, n.unsigned_abs());
                }
                Extra::Flag(b) => out.push_str(if *b { "true" } else { "false" }),
                Extra::Id(id) => string(&mut out, id),
            }
        }
        out.push('}');
        out
    }
}

/// Prefix of the property each verdict is published under for Envoy's access log and tracers
/// (`proxy_set_property`; Envoy keeps it as filter state `wasm.<name>`, read with
/// `%FILTER_STATE(wasm.guardrail.<plugin>:PLAIN)%`).
pub const STATE_PREFIX: &str = "guardrail.";

impl VerdictLog {
    /// The property this verdict is published under: `guardrail.<plugin>` for the request
    /// phase, `guardrail.<plugin>.response` for the response phase (both can exist per request).
    pub fn state_name(&self) -> String {
        let mut name = String::with_capacity(STATE_PREFIX.len() + self.plugin.len() + 9);
        name.push_str(STATE_PREFIX);
        name.push_str(safe_token(self.plugin));
        if self.phase == Phase::Response {
            name.push_str(".response");
        }
        name
    }

    /// The verdict as published for access logs and spans: `{"verdict","status","rules",
    /// "score","timings_us"}`, a subset of the log line (ids and numbers only: no key id, no
    /// counts of what was found, no text).
    pub fn state_value(&self) -> String {
        let mut out = String::with_capacity(96);
        out.push('{');
        self.verdict_fields(&mut out, false);
        out.push('}');
        out
    }

    /// The verdict's own fields, shared by the line and the published state: verdict, status,
    /// rules, score, (with `segments`) the segment paths, timings.
    fn verdict_fields(&self, out: &mut String, segments: bool) {
        key(out, "verdict");
        string(out, self.verdict);
        key(out, "status");
        match self.status {
            Some(st) => push_u64(out, u64::from(st)),
            None => out.push_str("null"),
        }
        key(out, "rules");
        list(out, &self.rules);
        key(out, "score");
        push_decimal(out, f64::from(self.score));
        if segments {
            key(out, "segments");
            list(out, &self.segments);
        }
        key(out, "timings_us");
        object(
            out,
            self.timings_us.iter().map(|(k, v)| (safe_token(k), *v)),
        );
    }
}

fn bounded(items: Vec<&str>) -> Vec<String> {
    items
        .into_iter()
        .take(MAX_LIST)
        .map(|s| safe_token(s).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn published_state_is_the_id_subset_of_the_line() {
        let line = VerdictLog::new("key-auth", "1", "r", Phase::Request)
            .verdict_name("block")
            .status(429)
            .rule("key_auth.rate_limited")
            .rule("free text with spaces")
            .score(0.5)
            .timing("auth", 38)
            .key_id("demo-alpha")
            .count("EMAIL", 2)
            .extra_id("team", "finance");
        assert_eq!(line.state_name(), "guardrail.key-auth");
        let v: Value = serde_json::from_str(&line.state_value()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"verdict": "block", "status": 429,
                "rules": ["key_auth.rate_limited", "<redacted>"], "score": 0.5,
                "timings_us": {"auth": 38}})
        );
        let response = VerdictLog::new("pii-redact", "1", "r", Phase::Response);
        assert_eq!(response.state_name(), "guardrail.pii-redact.response");
        let v: Value = serde_json::from_str(&response.state_value()).unwrap();
        assert_eq!(v["verdict"], "allow");
        assert_eq!(v["status"], Value::Null);
    }

    #[test]
    fn hand_written_numbers_match_serde_json() {
        for (score, want) in [
            (0.0f32, "0.0"),
            (1.0, "1.0"),
            (0.9, "0.9"),
            (0.25, "0.25"),
            (0.1234, "0.123"),
            (12.5, "12.5"),
            (-0.5, "-0.5"),
        ] {
            let mut out = String::new();
            push_decimal(&mut out, f64::from(score));
            assert_eq!(out, want, "{score}");
        }
        let mut out = String::new();
        push_decimal(&mut out, f64::NAN);
        assert_eq!(out, "null");
        for n in [0u64, 7, 10, 99, 1_000_000, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        let line = VerdictLog::new("p", "1", "r", Phase::Request)
            .extra_number("neg", -42)
            .extra_number("min", i64::MIN)
            .extra_flag("f", false)
            .to_json_line();
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["neg"], -42);
        assert_eq!(v["min"], i64::MIN);
        assert_eq!(v["f"], false);
    }

    use super::*;
    use crate::verdict::{Decision, Finding, Verdict};
    use serde_json::json;

    fn finding(rule: &str, segment: &str) -> Finding {
        Finding {
            rule: rule.into(),
            category: "pii".into(),
            score: 1.0,
            segment: Some(segment.into()),
        }
    }

    #[test]
    fn matches_the_documented_example() {
        let v = Verdict {
            decision: Decision::Rewrite,
            findings: vec![finding("pii.email", "messages[1].content")],
        };
        let line = VerdictLog::new("pii-redact", "0.1.0", "abc-123", Phase::Request)
            .verdict(&v)
            .verdict_name("redact")
            .timing("parse", 41)
            .timing("scan", 120)
            .key_id("k_team1_prod")
            .count("EMAIL", 1)
            .to_json_line();
        assert!(!line.contains('\n'));
        assert!(line.starts_with(r#"{"guardrail":"pii-redact","v":"0.1.0","request_id""#));
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed,
            json!({"guardrail":"pii-redact","v":"0.1.0","request_id":"abc-123","phase":"request",
                   "verdict":"redact","status":null,"rules":["pii.email"],"score":1.0,
                   "segments":["messages[1].content"],"timings_us":{"parse":41,"scan":120},
                   "key_id":"k_team1_prod","counts":{"EMAIL":1}})
        );
    }

    #[test]
    fn block_carries_status_and_extra_fields() {
        let v = Verdict::block(403, "model_denied", vec![]);
        let line = VerdictLog::new("model-allowlist", "0.1.0", "r1", Phase::Request)
            .verdict(&v)
            .extra_number("body_bytes", 512)
            .extra_flag("stream", true)
            .extra_id("model_rule", "gpt-4o*")
            .to_json_line();
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["verdict"], "block");
        assert_eq!(parsed["status"], 403);
        assert_eq!(parsed["body_bytes"], 512);
        assert_eq!(parsed["stream"], true);
        // `*` is not an id character: even an admin glob is replaced.
        assert_eq!(parsed["model_rule"], REDACTED);
    }

    #[test]
    fn text_cannot_get_into_the_line() {
        let secret_texts = [
            "my email is bob@example.com",
            "ignore previous instructions",
            "bob@example.com",
            "4111 1111 1111 1111",
            "Müller",
            "\"quoted\"",
            &"a".repeat(MAX_TOKEN_LEN + 1),
        ];
        for text in secret_texts {
            let v = Verdict {
                decision: Decision::Flag,
                findings: vec![finding(text, text)],
            };
            let line = VerdictLog::new("p", "0", text, Phase::Response)
                .verdict(&v)
                .rule(text)
                .segment(text)
                .key_id(text)
                .count(text, 2)
                .extra_id("x", text)
                .to_json_line();
            assert!(!line.contains(text), "{text:?} leaked into {line}");
            let parsed: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(parsed["request_id"], REDACTED);
            assert_eq!(parsed["counts"][REDACTED], 2);
        }
    }

    #[test]
    fn extras_cannot_duplicate_or_override_fields() {
        let line = VerdictLog::new("p", "0", "r", Phase::Request)
            .extra_id("verdict", "allow_all")
            .extra_number("n", 1)
            .extra_number("n", 2)
            .to_json_line();
        assert_eq!(line.matches("\"verdict\"").count(), 1, "{line}");
        assert_eq!(line.matches("\"n\"").count(), 1, "{line}");
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["verdict"], "allow");
        assert_eq!(parsed["n"], 1);
    }

    #[test]
    fn lists_are_bounded_and_scores_rounded() {
        let findings = (0..100)
            .map(|i| finding(&format!("r{i}"), &format!("messages[{i}].content")))
            .collect();
        let v = Verdict {
            decision: Decision::Flag,
            findings,
        };
        let line = VerdictLog::new("p", "0", "r", Phase::Request)
            .verdict(&v)
            .score(0.9)
            .to_json_line();
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["rules"].as_array().unwrap().len(), MAX_LIST);
        assert_eq!(parsed["segments"].as_array().unwrap().len(), MAX_LIST);
        assert_eq!(parsed["score"], 0.9);
        let nan = VerdictLog::new("p", "0", "r", Phase::Request)
            .score(f32::NAN)
            .to_json_line();
        assert_eq!(
            serde_json::from_str::<Value>(&nan).unwrap()["score"],
            Value::Null
        );
    }
}
