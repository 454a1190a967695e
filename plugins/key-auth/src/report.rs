//! report: the verdict log lines of key-auth. They name the key id (and team/env/app, the
//! credential label, the key source, provider and model as ids), never the key, the provider
//! key or the identity header.

use crate::config::Settings;
use crate::decide::{Notes, Refusal};
use crate::usage::Metered;
use guardrail_sdk::verdict::{Finding, Verdict};
use guardrail_sdk::verdict_log::{Phase, VerdictLog};

pub const PLUGIN: &str = "key-auth";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn with_key(mut line: VerdictLog, settings: &Settings, key_index: Option<usize>) -> VerdictLog {
    if let Some(key) = key_index.and_then(|i| settings.store.keys().get(i)) {
        line = line.key_id(&key.id);
        for (name, value) in [("team", &key.team), ("env", &key.env), ("app", &key.app)] {
            if !value.is_empty() {
                line = line.extra_id(name, value);
            }
        }
    }
    line
}

/// The request-phase line: refused (`refusal`) or admitted.
pub fn request_line(
    request_id: &str,
    settings: &Settings,
    notes: &Notes,
    refusal: Option<&Refusal>,
    auth_us: u64,
) -> VerdictLog {
    let verdict = match refusal {
        Some(r) => Verdict::block(
            r.status,
            r.code,
            vec![Finding::new(r.rule, "auth", 1.0, None)],
        ),
        None => Verdict::allow(),
    };
    let mut line = VerdictLog::new(PLUGIN, VERSION, request_id, Phase::Request)
        .verdict(&verdict)
        .timing("auth", auth_us);
    if notes.expiry_enforced == Some(false) {
        line = line.rule("key_auth.expiry_not_enforced");
    }
    if notes.limits_enforced == Some(false) {
        line = line.rule("key_auth.limits_not_enforced");
    }
    line = with_key(line, settings, notes.key_index);
    if !notes.credential_label.is_empty() {
        line = line.extra_id("credential", &notes.credential_label);
    }
    if !notes.source.is_empty() {
        line = line.extra_id("key_source", &notes.source);
    }
    if let Some(p) = &notes.provider {
        line = line.extra_id("provider", p);
    }
    if let Some(m) = &notes.model {
        line = line.extra_id("model", m);
    }
    if notes.limits_global {
        line = line.extra_id("limits", "global");
    }
    if let Some(b) = notes.limits_enforced {
        line = line.extra_flag("limits_enforced", b);
    }
    if let Some(b) = notes.expiry_enforced {
        line = line.extra_flag("expiry_enforced", b);
    }
    if let Some(n) = notes.rate_remaining {
        line = line.extra_number("rate_remaining", clamp(n));
    }
    if let Some(n) = notes.budget_remaining {
        line = line.extra_number("budget_remaining", clamp(n));
    }
    if notes.query_keys_removed > 0 {
        if refusal.is_none() {
            line = line.rule("key_auth.query_key_removed");
        }
        line = line.extra_number("query_keys", clamp(notes.query_keys_removed as u64));
    }
    if let Some(r) = refusal.and_then(|r| r.retry_after) {
        line = line.extra_number("retry_after", clamp(r));
    }
    line
}

/// Where an answer's tokens went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charged {
    /// Added to the local window, which now holds this many tokens.
    Local(u64),
    /// Published for Envoy's rate-limit filter (`limits: "global"`): the rate-limit service
    /// charges them.
    Global,
    /// Not charged (no clock, or shared data refused the update).
    Failed,
}

/// The response-phase line: tokens charged to the key's budget.
pub fn usage_line(
    request_id: &str,
    settings: &Settings,
    key_index: Option<usize>,
    metered: Metered,
    charged: Charged,
) -> VerdictLog {
    let mut line = VerdictLog::new(PLUGIN, VERSION, request_id, Phase::Response)
        .verdict(&Verdict::allow())
        .count("tokens", metered.tokens)
        .extra_id("usage_source", metered.source.name());
    line = with_key(line, settings, key_index);
    match charged {
        Charged::Local(total) => line.extra_number("budget_used", clamp(total)),
        Charged::Global => line.extra_id("limits", "global"),
        Charged::Failed => line
            .rule("key_auth.budget_not_charged")
            .extra_flag("limits_enforced", false),
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load;
    use crate::usage::UsageSource;
    use serde_json::Value;

    fn settings() -> Settings {
        let hash = crate::key_store::digest_text("grw_secret_key", None);
        load(
            serde_json::json!({"keys": [{"id": "k1", "team": "t1", "env": "prod", "app": "chat",
                "credentials": [{"hash": hash, "label": "2026-q4"}]}]})
            .to_string()
            .as_bytes(),
        )
        .unwrap()
    }

    fn parse(line: &VerdictLog) -> Value {
        serde_json::from_str(&line.to_json_line()).unwrap()
    }

    #[test]
    fn refusal_line_names_the_key_id_and_rule_never_the_key() {
        let s = settings();
        let notes = Notes {
            key_index: Some(0),
            source: "authorization".into(),
            ..Notes::default()
        };
        let r = Refusal {
            status: 401,
            code: "invalid_api_key",
            message: "m",
            rule: "key_auth.expired_key",
            retry_after: None,
        };
        let line = request_line("req-1", &s, &notes, Some(&r), 12);
        let v = parse(&line);
        assert_eq!(v["guardrail"], "key-auth");
        assert_eq!(v["verdict"], "block");
        assert_eq!(v["status"], 401);
        assert_eq!(v["rules"][0], "key_auth.expired_key");
        assert_eq!(v["key_id"], "k1");
        assert_eq!(v["team"], "t1");
        assert_eq!(v["env"], "prod");
        assert_eq!(v["app"], "chat");
        assert_eq!(v["key_source"], "authorization");
        assert_eq!(v["timings_us"]["auth"], 12);
        assert!(!line.to_json_line().contains("grw_secret_key"));
    }

    #[test]
    fn admitted_line_reports_unenforced_limits_and_remaining() {
        let s = settings();
        let notes = Notes {
            key_index: Some(0),
            credential_label: "2026-q4".into(),
            provider: Some("openai".into()),
            model: Some("gpt-4o-mini".into()),
            limits_enforced: Some(false),
            expiry_enforced: Some(false),
            rate_remaining: Some(3),
            ..Notes::default()
        };
        let v = parse(&request_line("r", &s, &notes, None, 0));
        assert_eq!(v["verdict"], "allow");
        assert_eq!(v["status"], Value::Null);
        assert_eq!(v["credential"], "2026-q4");
        assert_eq!(v["limits_enforced"], false);
        assert_eq!(v["expiry_enforced"], false);
        assert_eq!(v["rate_remaining"], 3);
        let rules: Vec<&str> = v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(
            rules,
            [
                "key_auth.expiry_not_enforced",
                "key_auth.limits_not_enforced"
            ]
        );
    }

    #[test]
    fn usage_line_counts_tokens() {
        let s = settings();
        let m = Metered {
            tokens: 42,
            source: UsageSource::Reported,
        };
        let v = parse(&usage_line("r", &s, Some(0), m, Charged::Local(100)));
        assert_eq!(v["phase"], "response");
        assert_eq!(v["counts"]["tokens"], 42);
        assert_eq!(v["budget_used"], 100);
        let v = parse(&usage_line("r", &s, Some(0), m, Charged::Failed));
        assert_eq!(v["limits_enforced"], false);
        let v = parse(&usage_line("r", &s, Some(0), m, Charged::Global));
        assert_eq!(v["limits"], "global");
        assert_eq!(v["rules"], serde_json::json!([]));
    }
}
