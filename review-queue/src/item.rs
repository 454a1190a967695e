//! item: the review submission contract (validated field by field), the decision an admin
//! takes, and the stored item.

use serde::{Deserialize, Serialize};

/// What a plugin POSTs for one flagged request (docs/DEPLOYMENT.md "Review queue").
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
    /// Key id, team and app of a verified identity (key-auth), when the plugin has one.
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
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

/// Ids, rule ids, segment paths, key ids, teams and apps: 1-128 of `[A-Za-z0-9._:/-[]]`.
pub fn id_like(s: &str) -> bool {
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
        for (field, value) in [
            ("key_id", &self.key_id),
            ("team", &self.team),
            ("app", &self.app),
        ] {
            if value.as_deref().is_some_and(|v| !id_like(v)) {
                return Err(format!("{field}: must be an id or null"));
            }
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
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The flag was right: this was an attack.
    Attack,
    /// The flag was wrong: benign traffic.
    FalsePositive,
}

impl Decision {
    /// `attack` / `false_positive` (the older `deny` / `allow` are accepted too).
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "attack" | "deny" => Some(Decision::Attack),
            "false_positive" | "allow" => Some(Decision::FalsePositive),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        Status::from(self).name()
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Attack,
    FalsePositive,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Open, Status::Attack, Status::FalsePositive];

    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Attack => "attack",
            Status::FalsePositive => "false_positive",
        }
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Attack => "attack",
            Status::FalsePositive => "false positive",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "open" => Some(Status::Open),
            _ => Decision::parse(s).map(Status::from),
        }
    }
}

impl From<Decision> for Status {
    fn from(d: Decision) -> Status {
        match d {
            Decision::Attack => Status::Attack,
            Decision::FalsePositive => Status::FalsePositive,
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
    /// The admin's note with the decision (free text, shown escaped).
    pub note: Option<String>,
    pub submission: Submission,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ok() -> Value {
        json!({
            "request_id": "r-1", "plugin": "injection-guard", "verdict": "flag",
            "rules": ["inj.override"], "score": 0.82, "segments": ["messages[1].content"],
            "key_id": "demo-alpha", "team": "payments", "app": "chat",
            "evidence": ["a".repeat(64)]
        })
    }

    fn parse(v: &Value, capture: bool) -> Result<Submission, String> {
        Submission::parse(v.to_string().as_bytes(), capture)
    }

    #[test]
    fn every_bad_field_is_named() {
        assert!(parse(&ok(), false).is_ok());
        let cases: &[(&str, Value, &str)] = &[
            ("request_id", json!(""), "request_id"),
            ("request_id", json!("has space"), "request_id"),
            ("request_id", json!("x".repeat(129)), "request_id"),
            ("plugin", json!("<b>"), "plugin"),
            ("verdict", json!("allow"), "verdict"),
            ("score", json!(-1.0), "score"),
            ("rules", json!(["ok", "not ok"]), "rules[1]"),
            ("segments", json!(["a\"b"]), "segments[0]"),
            ("evidence", json!(["abc"]), "evidence[0]"),
            ("key_id", json!("bad key!"), "key_id"),
            ("team", json!("<script>"), "team"),
            ("app", json!("a&b"), "app"),
            ("text", json!("x".repeat(64 * 1024 + 1)), "text"),
            ("extra", json!(1), "unknown field"),
        ];
        for (field, value, expect) in cases {
            let mut v = ok();
            v[*field] = value.clone();
            let err = parse(&v, true).unwrap_err();
            assert!(err.contains(expect), "{field}: {err}");
        }
        let mut long = ok();
        long["rules"] = json!(vec!["r"; 65]);
        assert!(parse(&long, false).unwrap_err().starts_with("rules:"));
        assert!(Submission::parse(b"{not json", false).is_err());
    }

    #[test]
    fn text_is_kept_only_with_capture() {
        let mut v = ok();
        v["text"] = json!("the prompt");
        assert_eq!(parse(&v, false).unwrap().text, None);
        assert_eq!(parse(&v, true).unwrap().text.as_deref(), Some("the prompt"));
    }

    #[test]
    fn decisions_and_statuses_round_trip() {
        for (text, d) in [
            ("attack", Decision::Attack),
            ("deny", Decision::Attack),
            ("false_positive", Decision::FalsePositive),
            ("allow", Decision::FalsePositive),
        ] {
            assert_eq!(Decision::parse(text), Some(d));
        }
        assert_eq!(Decision::parse("maybe"), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(s));
        }
        assert_eq!(Status::parse("closed"), None);
    }
}
