//! read: the injection-guard configuration read from its JSON with the SDK's `FromConfig`
//! (unknown fields refused, every error names its field); defaults come from the `Default`
//! impls and `options`, checks from `Config::validate`.

use super::{Action, Actions, Config, ExtraRule, ModelConfig, Thresholds};
use crate::family::Family;
use crate::options::{self, Canary, Classifier, Fallback, LeakAction, Review};
use crate::trusted_callers::TrustedCaller;
use guardrail_sdk::config::{ConfigError, FromConfig, Value};

/// The four trust levels' fields of `actions` and `thresholds`, in this order.
const TRUST_LEVELS: &[&str] = &["trusted", "user", "model", "data"];

/// One value per trust level, each defaulting to its entry in `defaults`.
fn per_trust<T: FromConfig + Copy>(v: &Value<'_>, defaults: [T; 4]) -> Result<[T; 4], ConfigError> {
    let o = v.object(TRUST_LEVELS)?;
    let mut out = defaults;
    for (slot, name) in out.iter_mut().zip(TRUST_LEVELS) {
        *slot = o.or(name, *slot)?;
    }
    Ok(out)
}

impl FromConfig for Action {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("block", Action::Block),
            ("flag", Action::Flag),
            ("review", Action::Review),
            ("off", Action::Off),
        ])
    }
}

impl FromConfig for Actions {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let d = Actions::default();
        let [trusted, user, model, data] = per_trust(v, [d.trusted, d.user, d.model, d.data])?;
        Ok(Actions {
            trusted,
            user,
            model,
            data,
        })
    }
}

impl FromConfig for Thresholds {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let d = Thresholds::default();
        let [trusted, user, model, data] = per_trust(v, [d.trusted, d.user, d.model, d.data])?;
        Ok(Thresholds {
            trusted,
            user,
            model,
            data,
        })
    }
}

impl FromConfig for Family {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let all = Family::ALL.map(|f| (f.name(), f));
        v.one_of(&all)
    }
}

impl FromConfig for ExtraRule {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["id", "family", "weight", "data_weight", "gap", "slots"])?;
        Ok(ExtraRule {
            id: o.required("id")?,
            family: o.required("family")?,
            weight: o.required("weight")?,
            data_weight: o.optional("data_weight")?,
            gap: o.or_default("gap")?,
            slots: o.required("slots")?,
        })
    }
}

impl FromConfig for ModelConfig {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["enabled", "weight", "data_weight"])?;
        let d = ModelConfig::default();
        Ok(ModelConfig {
            enabled: o.or("enabled", d.enabled)?,
            weight: o.or("weight", d.weight)?,
            data_weight: o.or("data_weight", d.data_weight)?,
        })
    }
}

impl FromConfig for Config {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "actions",
            "thresholds",
            "scan_trusted",
            "trusted_system_prompt",
            "trusted_tool_sources",
            "mcp",
            "identity_secret",
            "max_body_bytes",
            "max_decode_depth",
            "allow_rules",
            "app_allow_rules",
            "rule_actions",
            "review_header",
            "flag_header",
            "block_status",
            "block_code",
            "extra_rules",
            "review",
            "classifier",
            "canary",
            "model",
            "segment_cache",
        ])?;
        let d = Config::default();
        Ok(Config {
            actions: o.or_default("actions")?,
            thresholds: o.or_default("thresholds")?,
            scan_trusted: o.or("scan_trusted", d.scan_trusted)?,
            trusted_system_prompt: o.or_default("trusted_system_prompt")?,
            trusted_tool_sources: o.or_default("trusted_tool_sources")?,
            mcp: o.or_default("mcp")?,
            identity_secret: o.optional("identity_secret")?,
            max_body_bytes: o.or("max_body_bytes", d.max_body_bytes)?,
            max_decode_depth: o.or("max_decode_depth", d.max_decode_depth)?,
            allow_rules: o.or_default("allow_rules")?,
            app_allow_rules: o.or_default("app_allow_rules")?,
            rule_actions: o.or_default("rule_actions")?,
            review_header: o.or("review_header", d.review_header)?,
            flag_header: o.or("flag_header", d.flag_header)?,
            block_status: o.or("block_status", d.block_status)?,
            block_code: o.or("block_code", d.block_code)?,
            extra_rules: o.or_default("extra_rules")?,
            review: o.optional("review")?,
            classifier: o.optional("classifier")?,
            canary: o.optional("canary")?,
            model: o.or_default("model")?,
            segment_cache: o.or_default("segment_cache")?,
        })
    }
}

impl FromConfig for TrustedCaller {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["path_prefix", "key_id", "team", "env", "app"])?;
        Ok(TrustedCaller {
            path_prefix: o.optional("path_prefix")?,
            key_id: o.optional("key_id")?,
            team: o.optional("team")?,
            env: o.optional("env")?,
            app: o.optional("app")?,
        })
    }
}

impl FromConfig for Fallback {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("allow", Fallback::Allow),
            ("flag", Fallback::Flag),
            ("block", Fallback::Block),
        ])
    }
}

impl FromConfig for LeakAction {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[("block", LeakAction::Block), ("flag", LeakAction::Flag)])
    }
}

impl FromConfig for Review {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["webhook", "hold", "on_failure", "include_text"])?;
        Ok(Review {
            webhook: o.required("webhook")?,
            hold: o.or_default("hold")?,
            on_failure: o.or_default("on_failure")?,
            include_text: o.or_default("include_text")?,
        })
    }
}

impl FromConfig for Classifier {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "endpoint",
            "grey_low",
            "min_score",
            "labels",
            "max_text_bytes",
            "on_failure",
        ])?;
        Ok(Classifier {
            endpoint: o.required("endpoint")?,
            grey_low: o.or("grey_low", options::DEFAULT_GREY_LOW)?,
            min_score: o.or("min_score", options::DEFAULT_MIN_SCORE)?,
            labels: o.or("labels", options::default_labels())?,
            max_text_bytes: o.or("max_text_bytes", options::DEFAULT_MAX_TEXT_BYTES)?,
            on_failure: o.or_default("on_failure")?,
        })
    }
}

impl FromConfig for Canary {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "inject",
            "fragments",
            "echo_words",
            "action",
            "max_response_bytes",
        ])?;
        Ok(Canary {
            inject: o.or("inject", true)?,
            echo_words: o.or("echo_words", crate::prompt_echo::DEFAULT_ECHO_WORDS)?,
            fragments: o.or_default("fragments")?,
            action: o.or_default("action")?,
            max_response_bytes: o.or("max_response_bytes", options::DEFAULT_MAX_RESPONSE_BYTES)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::config::parse;

    #[test]
    fn left_out_fields_keep_their_defaults() {
        let c: Config =
            parse(br#"{"thresholds": {"user": 0.8}, "actions": {"data": "flag"}}"#).unwrap();
        let d = Config::default();
        assert_eq!(c.thresholds.user, 0.8);
        assert_eq!(c.thresholds.data, d.thresholds.data);
        assert_eq!(c.actions.data, Action::Flag);
        assert_eq!(c.actions.user, d.actions.user);
        assert_eq!(c.block_code, d.block_code);
        let k: Classifier = parse(br#"{"endpoint": {"cluster": "c"}}"#).unwrap();
        assert_eq!(k.labels, options::default_labels());
    }

    #[test]
    fn errors_name_the_field() {
        let rule = r#"{"id": "x.y", "family": "jailbrake", "weight": 0.5, "slots": [["a"]]}"#;
        let err = parse::<Config>(format!(r#"{{"extra_rules": [{rule}]}}"#).as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                r#"extra_rules[0].family: "jailbrake" must be one of: override, jailbreak"#
            ),
            "{err}"
        );
        for (raw, want) in [
            (r#"{"actions": {"user": "allow"}}"#, "actions.user: "),
            (
                r#"{"thresholds": {"usr": 0.5}}"#,
                "thresholds: unknown field",
            ),
            (
                r#"{"max_decode_depth": 300}"#,
                "max_decode_depth: must be an integer in 0..=255",
            ),
            (r#"{"rule_actions": {"x": "nope"}}"#, "rule_actions.x: "),
            (r#"{"canary": {"action": "warn"}}"#, "canary.action: "),
            (r#"{"review": {}}"#, r#"review: missing field "webhook""#),
        ] {
            let err = parse::<Config>(raw.as_bytes()).unwrap_err().to_string();
            assert!(err.starts_with(want), "{raw}: {err}");
        }
    }

    #[test]
    fn per_app_exceptions_are_checked_and_need_the_identity_secret() {
        let secret = r#""identity_secret": "0123456789abcdef""#;
        let ok = format!(r#"{{{secret}, "app_allow_rules": {{"chat": ["override.*"]}}}}"#);
        let c = Config::from_json(ok.as_bytes()).unwrap();
        assert_eq!(c.app_exceptions(Some("chat")), ["override.*".to_string()]);
        assert!(c.app_exceptions(Some("batch")).is_empty());
        assert!(c.app_exceptions(None).is_empty());
        for (raw, want) in [
            (
                r#"{"app_allow_rules": {"chat": ["override.*"]}}"#.to_string(),
                "app_allow_rules: needs identity_secret",
            ),
            (
                format!(r#"{{{secret}, "app_allow_rules": {{"chat": ["no.such_rule"]}}}}"#),
                "app_allow_rules.chat[0]: unknown rule id",
            ),
            (
                format!(r#"{{{secret}, "app_allow_rules": {{"": ["override.*"]}}}}"#),
                "app_allow_rules: an app name must not be empty",
            ),
            (
                format!(r#"{{{secret}, "app_allow_rules": {{"chat": "override.*"}}}}"#),
                "app_allow_rules.chat: ",
            ),
            (
                r#"{"identity_secret": "short"}"#.to_string(),
                "identity_secret: must be at least 16 bytes",
            ),
        ] {
            let err = Config::from_json(raw.as_bytes()).unwrap_err();
            assert!(err.starts_with(want), "{raw}: {err}");
        }
    }

    #[test]
    fn float_messages_are_written_without_float_formatting() {
        let c: Config = parse(br#"{"thresholds": {"user": 1.5}}"#).unwrap();
        assert_eq!(
            c.validate().unwrap_err(),
            "thresholds.user: must be in (0, 1], got 1.5"
        );
    }
}
