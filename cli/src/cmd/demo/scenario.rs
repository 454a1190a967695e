//! Demo scenario files (`examples/demo/<NN>-<name>.json`, format in docs/ARCHITECTURE.md):
//! parsing with errors that name the file and the field, and building each request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub title: String,
    /// Plugins that must be in the chain; otherwise the scenario is skipped.
    #[serde(default)]
    pub needs: Vec<String>,
    pub requests: Vec<DemoRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoRequest {
    pub name: String,
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON body (sent compact).
    #[serde(default)]
    pub body: Option<Value>,
    /// A body sent byte-for-byte instead (e.g. malformed JSON); not with `body`.
    #[serde(default)]
    pub raw_body: Option<String>,
    /// Sent as `x-mock-reply`: what the mock model answers.
    #[serde(default)]
    pub mock_reply: Option<String>,
    #[serde(default)]
    pub expect_status: Option<u16>,
    /// The answer's stream must be cut after its headers (a response-side block in Envoy
    /// resets the stream once the 200 headers are out); without it a cut stream is a failure.
    #[serde(default)]
    pub expect_reset: bool,
    /// Texts the client's response body must (not) contain.
    #[serde(default)]
    pub expect_body_contains: Vec<String>,
    #[serde(default)]
    pub expect_body_not_contains: Vec<String>,
    /// Texts the body that reached the upstream must (not) contain.
    #[serde(default)]
    pub expect_upstream_contains: Vec<String>,
    #[serde(default)]
    pub expect_upstream_not_contains: Vec<String>,
}

fn default_method() -> String {
    "POST".into()
}

impl DemoRequest {
    pub fn body_bytes(&self) -> Option<Vec<u8>> {
        match (&self.raw_body, &self.body) {
            (Some(raw), _) => Some(raw.clone().into_bytes()),
            (None, Some(v)) => Some(v.to_string().into_bytes()),
            (None, None) => None,
        }
    }
}

/// Every `*.json` in `dir`, in file-name order.
pub fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    Ok(out)
}

pub fn load(path: &Path) -> anyhow::Result<Scenario> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let s: Scenario =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    for r in &s.requests {
        if r.body.is_some() && r.raw_body.is_some() {
            anyhow::bail!(
                "{}: request {:?}: give `body` or `raw_body`, not both",
                path.display(),
                r.name
            );
        }
    }
    Ok(s)
}

/// A header value for `x-mock-reply`: raw when it is plain printable ASCII, else a JSON string
/// literal with every non-ASCII character `\u`-escaped (the mock decodes it).
pub fn mock_reply_header(text: &str) -> String {
    if text.chars().all(|c| (' '..='~').contains(&c)) && !text.starts_with('"') {
        return text.to_string();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_harness::mock_upstream::decode_reply_header;

    #[test]
    fn mock_reply_header_roundtrips_through_the_mock_decoder() {
        for text in ["plain", "two\nlines é 😀 \"q\"", "\"starts quoted"] {
            let h = mock_reply_header(text);
            assert!(h.bytes().all(|b| (b' '..=b'~').contains(&b)), "{h}");
            assert_eq!(decode_reply_header(&h), text);
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        let dir = std::env::temp_dir().join(format!("demo-scn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let f = dir.join("01-x.json");
        std::fs::write(
            &f,
            r#"{"title":"t","requests":[{"name":"n","path":"/v1/x","expect_stauts":200}]}"#,
        )
        .expect("write");
        let err = load(&f).expect_err("unknown field").to_string();
        assert!(
            err.contains("expect_stauts") && err.contains("01-x.json"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
