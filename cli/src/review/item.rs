//! item: the review submission contract (validated field by field) and the stored item.

use serde::{Deserialize, Serialize};

/// What a plugin POSTs for one flagged request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub request_id: String,
    pub plugin: String,
    /// flag | review | block
    pub verdict: String,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub score: f64,
    #[serde(default)]
    pub segments: Vec<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    /// Hex SHA-256 of each flagged segment's text, aligned with `segments`.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The flagged text itself: stored only when the receiver runs with prompt capture on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

const MAX_ID: usize = 128;
const MAX_LIST: usize = 64;
const MAX_TEXT: usize = 64 * 1024;

fn id_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-[]".contains(&b))
}

fn hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Submission {
    /// Parses and validates a request body; the error names the field.
    pub fn parse(raw: &[u8], capture_text: bool) -> Result<Submission, String> {
        let mut sub: Submission =
            serde_json::from_slice(raw).map_err(|e| format!("invalid submission: {e}"))?;
        sub.validate()?;
        if !capture_text {
            sub.text = None; // prompt capture is off: the text is dropped, never stored
        }
        Ok(sub)
    }

    fn validate(&self) -> Result<(), String> {
        if !id_like(&self.request_id) {
            return Err("request_id: must be an id (1-128 of [A-Za-z0-9._:/-[]])".into());
        }
        if !id_like(&self.plugin) {
            return Err("plugin: must be an id".into());
        }
        if !matches!(self.verdict.as_str(), "flag" | "review" | "block") {
            return Err("verdict: must be flag, review or block".into());
        }
        if !self.score.is_finite() || self.score < 0.0 {
            return Err("score: must be a finite number >= 0".into());
        }
        for (field, list) in [("rules", &self.rules), ("segments", &self.segments)] {
            if list.len() > MAX_LIST {
                return Err(format!("{field}: at most {MAX_LIST} entries"));
            }
            if let Some(i) = list.iter().position(|s| !id_like(s)) {
                return Err(format!("{field}[{i}]: must be an id"));
            }
        }
        if self.key_id.as_deref().is_some_and(|k| !id_like(k)) {
            return Err("key_id: must be an id or null".into());
        }
        if self.evidence.len() > MAX_LIST {
            return Err(format!("evidence: at most {MAX_LIST} entries"));
        }
        if let Some(i) = self.evidence.iter().position(|e| !hex64(e)) {
            return Err(format!("evidence[{i}]: must be a hex SHA-256"));
        }
        if self.text.as_ref().is_some_and(|t| t.len() > MAX_TEXT) {
            return Err(format!("text: at most {MAX_TEXT} bytes"));
        }
        Ok(())
    }
}

/// An admin's decision on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "allow" => Some(Decision::Allow),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Allow,
    Deny,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Allow => "allow",
            Status::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "open" => Some(Status::Open),
            "allow" => Some(Status::Allow),
            "deny" => Some(Status::Deny),
            _ => None,
        }
    }
}

impl From<Decision> for Status {
    fn from(d: Decision) -> Status {
        match d {
            Decision::Allow => Status::Allow,
            Decision::Deny => Status::Deny,
        }
    }
}

/// A stored item: the submission plus queue state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub received_unix: u64,
    pub status: Status,
    pub decided_unix: Option<u64>,
    pub submission: Submission,
}
