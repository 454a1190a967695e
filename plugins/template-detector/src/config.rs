//! config: the detector's configuration (parsed once in on_configure, unknown fields refused,
//! every error names its field).

use guardrail_sdk::config::{self, ConfigError, FromConfig, Value};
use guardrail_sdk::webhook::Webhook;

/// What to do when the detector finds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    /// Refuse the request with 403 in the provider's error shape.
    #[default]
    Block,
    /// Let it through and log a `flag` verdict (for a review queue).
    Flag,
}

/// The plugin configuration (`pluginConfig` / Envoy `configuration`).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Terms to look for, matched case-insensitively (ASCII) on word boundaries.
    pub terms: Vec<String>,
    /// block (default) or flag.
    pub action: Action,
    /// Also scan system/developer text (the operator's own prompt). Default false.
    pub scan_trusted: bool,
    /// Largest request body scanned; bigger bodies are refused with 413. Default 1 MiB.
    pub max_body_bytes: usize,
    /// Secret shared with key-auth: when set, a verified `x-guardrail-identity` names the key
    /// in verdicts and review items. Default: none.
    pub identity_secret: Option<String>,
    /// Where `flag` verdicts are sent for human review (docs/DEPLOYMENT.md "Review queue").
    pub review_webhook: Option<Webhook>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            terms: Vec::new(),
            action: Action::Block,
            scan_trusted: false,
            max_body_bytes: 1024 * 1024,
            identity_secret: None,
            review_webhook: None,
        }
    }
}

impl FromConfig for Action {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[("block", Action::Block), ("flag", Action::Flag)])
    }
}

impl FromConfig for Config {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "terms",
            "action",
            "scan_trusted",
            "max_body_bytes",
            "identity_secret",
            "review_webhook",
        ])?;
        let d = Config::default();
        Ok(Config {
            terms: o.or_default("terms")?,
            action: o.or_default("action")?,
            scan_trusted: o.or_default("scan_trusted")?,
            max_body_bytes: o.or("max_body_bytes", d.max_body_bytes)?,
            identity_secret: o.optional("identity_secret")?,
            review_webhook: o.optional("review_webhook")?,
        })
    }
}

/// Longest term accepted (keeps matching cost bounded).
pub const MAX_TERM_BYTES: usize = 128;
/// Most terms accepted.
pub const MAX_TERMS: usize = 1000;

impl Config {
    /// Parses and validates; the error names the field.
    pub fn from_json(raw: &[u8]) -> Result<Config, ConfigError> {
        let config: Config = config::parse(raw)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.terms.len() > MAX_TERMS {
            return Err(ConfigError::at(
                "terms",
                format!("at most {MAX_TERMS} terms"),
            ));
        }
        for (i, term) in self.terms.iter().enumerate() {
            if term.trim().is_empty() {
                return Err(ConfigError::at(
                    &format!("terms[{i}]"),
                    "empty term".to_string(),
                ));
            }
            if term.len() > MAX_TERM_BYTES {
                return Err(ConfigError::at(
                    &format!("terms[{i}]"),
                    format!("longer than {MAX_TERM_BYTES} bytes"),
                ));
            }
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError::at(
                "max_body_bytes",
                "must be at least 1".to_string(),
            ));
        }
        if self
            .identity_secret
            .as_deref()
            .is_some_and(|s| s.len() < 16)
        {
            return Err(ConfigError::at(
                "identity_secret",
                "at least 16 bytes".to_string(),
            ));
        }
        if let Some(hook) = &self.review_webhook {
            hook.validate("review_webhook").map_err(|e| {
                let (path, reason) = e.split_once(": ").unwrap_or(("review_webhook", &e));
                ConfigError::at(path, reason.to_string())
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default() {
        assert_eq!(Config::from_json(b"").unwrap(), Config::default());
        assert_eq!(Config::from_json(b"{}").unwrap(), Config::default());
    }

    #[test]
    fn fields_parse() {
        let c = Config::from_json(
            br#"{"terms":["Project Falcon"],"action":"flag","scan_trusted":true,"max_body_bytes":10}"#,
        )
        .unwrap();
        assert_eq!(c.terms, vec!["Project Falcon".to_string()]);
        assert_eq!(c.action, Action::Flag);
        assert!(c.scan_trusted);
        assert_eq!(c.max_body_bytes, 10);
        let c = Config::from_json(br#"{"review_webhook":{"cluster":"review"}}"#).unwrap();
        let hook = c.review_webhook.unwrap();
        assert_eq!((hook.path, hook.timeout_ms), (None, 2000));
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"termz":[]}"#, "termz"),
            (br#"{"action":"maybe"}"#, "action"),
            (br#"{"terms":["ok","  "]}"#, "terms[1]"),
            (br#"{"max_body_bytes":0}"#, "max_body_bytes"),
            (br#"{"identity_secret":"short"}"#, "identity_secret"),
            (
                br#"{"review_webhook":{"cluster":""}}"#,
                "review_webhook.cluster",
            ),
            (
                br#"{"review_webhook":{"cluster":"c","path":"x"}}"#,
                "review_webhook.path",
            ),
            (
                br#"{"review_webhook":{"cluster":"c","timeout_ms":0}}"#,
                "review_webhook.timeout_ms",
            ),
            (br#"{"review_webhook":{"cluster":"c","bogus":1}}"#, "bogus"),
        ];
        for (raw, field) in cases {
            let err = Config::from_json(raw).unwrap_err().to_string();
            assert!(err.contains(field), "{err} should name {field}");
        }
        let long = format!(r#"{{"terms":["{}"]}}"#, "a".repeat(MAX_TERM_BYTES + 1));
        assert!(Config::from_json(long.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("terms[0]"));
    }
}
