//! config: the plugin's typed configuration (unknown fields refused, errors name the field).

use crate::tool_policy::{ToolLists, ToolPolicy};
use guardrail_sdk::config::{ConfigError, FromConfig, Value};
use std::collections::BTreeMap;

/// One policy scope. Selectors left out match everything; a scope with `path_prefix` applies to
/// that route, one with `team`/`env`/`app`/`key_id` to callers key-auth identified that way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub path_prefix: Option<String>,
    pub team: Option<String>,
    pub env: Option<String>,
    pub app: Option<String>,
    pub key_id: Option<String>,
    /// Model globs this scope allows (empty: no allow restriction from this scope).
    pub allow: Vec<String>,
    /// Model globs this scope denies (a deny in any matching scope wins).
    pub deny: Vec<String>,
    /// Tool name globs this scope allows / denies (`tool_policy`).
    pub tools: ToolLists,
}

impl Scope {
    /// How specific the scope is: a key beats an app beats an env beats a team beats a route.
    pub fn specificity(&self) -> u32 {
        [
            (self.path_prefix.is_some(), 1),
            (self.team.is_some(), 2),
            (self.env.is_some(), 4),
            (self.app.is_some(), 8),
            (self.key_id.is_some(), 16),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, w)| w)
        .sum()
    }
}

/// Request parameter policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Top-level request fields refused with a 400 (e.g. `logprobs`, `tools`).
    pub deny: Vec<String>,
    /// Top-level request fields removed before the request goes upstream.
    pub strip: Vec<String>,
    /// Largest `n` (number of choices) accepted.
    pub max_n: Option<u64>,
    /// `false` refuses `"stream": true`.
    pub allow_stream: Option<bool>,
    /// Keys that must be present in the request's `metadata` object.
    pub required_metadata: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Secret shared with key-auth to verify `x-guardrail-identity`. Without it, scopes that
    /// select on team/env/app/key_id never match (an unsigned identity is no identity).
    pub identity_secret: Option<String>,
    /// Refuse requests without a verified identity (403).
    pub require_identity: bool,
    /// Global allow list (empty: none).
    pub allow: Vec<String>,
    /// Global deny list.
    pub deny: Vec<String>,
    pub scopes: Vec<Scope>,
    /// `alias -> model`: the alias is rewritten (body or path) before the policy is applied.
    pub aliases: BTreeMap<String, String>,
    /// Cap on output tokens, clamped into `max_tokens`/`max_completion_tokens`/
    /// `max_output_tokens`/`generationConfig.maxOutputTokens` (inserted when absent).
    pub max_output_tokens: Option<u64>,
    pub params: Params,
    /// Which tools may be offered and called (`tool_policy`).
    pub tools: ToolPolicy,
    /// Largest request body scanned; larger is refused with 413.
    pub max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            identity_secret: None,
            require_identity: false,
            allow: Vec::new(),
            deny: Vec::new(),
            scopes: Vec::new(),
            aliases: BTreeMap::new(),
            max_output_tokens: None,
            params: Params::default(),
            tools: ToolPolicy::default(),
            max_body_bytes: 1024 * 1024,
        }
    }
}

impl FromConfig for Scope {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "path_prefix",
            "team",
            "env",
            "app",
            "key_id",
            "allow",
            "deny",
            "tools",
        ])?;
        Ok(Scope {
            path_prefix: o.optional("path_prefix")?,
            team: o.optional("team")?,
            env: o.optional("env")?,
            app: o.optional("app")?,
            key_id: o.optional("key_id")?,
            allow: o.or_default("allow")?,
            deny: o.or_default("deny")?,
            tools: o.or_default("tools")?,
        })
    }
}

impl FromConfig for Params {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "deny",
            "strip",
            "max_n",
            "allow_stream",
            "required_metadata",
        ])?;
        Ok(Params {
            deny: o.or_default("deny")?,
            strip: o.or_default("strip")?,
            max_n: o.optional("max_n")?,
            allow_stream: o.optional("allow_stream")?,
            required_metadata: o.or_default("required_metadata")?,
        })
    }
}

impl FromConfig for Config {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "identity_secret",
            "require_identity",
            "allow",
            "deny",
            "scopes",
            "aliases",
            "max_output_tokens",
            "params",
            "tools",
            "max_body_bytes",
        ])?;
        let d = Config::default();
        Ok(Config {
            identity_secret: o.optional("identity_secret")?,
            require_identity: o.or_default("require_identity")?,
            allow: o.or_default("allow")?,
            deny: o.or_default("deny")?,
            scopes: o.or_default("scopes")?,
            aliases: o.or_default("aliases")?,
            max_output_tokens: o.optional("max_output_tokens")?,
            params: o.or_default("params")?,
            tools: o.or_default("tools")?,
            max_body_bytes: o.or("max_body_bytes", d.max_body_bytes)?,
        })
    }
}

impl Config {
    /// Parse and check what the types alone cannot.
    pub fn from_json(raw: &[u8]) -> Result<Config, String> {
        let c: Config = guardrail_sdk::config::parse(raw).map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 {
            return Err("max_body_bytes: must be greater than 0".into());
        }
        self.tools.validate()?;
        if self.require_identity && self.identity_secret.is_none() {
            return Err("require_identity: needs identity_secret to verify the identity".into());
        }
        if matches!(&self.identity_secret, Some(s) if s.len() < 16) {
            return Err("identity_secret: must be at least 16 bytes".into());
        }
        for (i, s) in self.scopes.iter().enumerate() {
            let tools = !s.tools.allow.is_empty() || !s.tools.deny.is_empty();
            if s.allow.is_empty() && s.deny.is_empty() && !tools {
                return Err(format!("scopes[{i}]: needs `allow`, `deny` or `tools`"));
            }
            let needs_identity =
                s.team.is_some() || s.env.is_some() || s.app.is_some() || s.key_id.is_some();
            if needs_identity && self.identity_secret.is_none() {
                return Err(format!(
                    "scopes[{i}]: selects on the caller's identity but identity_secret is not set"
                ));
            }
        }
        for (alias, target) in &self.aliases {
            let target_is_alias = self
                .aliases
                .keys()
                .any(|a| guardrail_sdk::model_name::same(a, target));
            let bad_name = |n: &str| guardrail_sdk::model_name::canonical(n).is_err();
            if bad_name(alias) {
                return Err(format!(
                    "aliases.{alias}: must be a model name of printable ASCII"
                ));
            }
            if self
                .aliases
                .keys()
                .filter(|a| guardrail_sdk::model_name::same(a, alias))
                .count()
                > 1
            {
                return Err(format!(
                    "aliases.{alias}: another alias differs from it only in case or spaces"
                ));
            }
            if bad_name(target) || target_is_alias {
                return Err(format!(
                    "aliases.{alias}: target must be a model name, not empty or another alias"
                ));
            }
        }
        if self.max_output_tokens == Some(0) {
            return Err("max_output_tokens: must be greater than 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"bogus":1}"#, "bogus"),
            (r#"{"scopes":[{"team":"a","allow":["x"]}]}"#, "scopes[0]"),
            (r#"{"scopes":[{"allow":[], "deny":[]}]}"#, "scopes[0]"),
            (r#"{"scopes":[{"path_prefix":"/v1","alow":["x"]}]}"#, "alow"),
            (r#"{"aliases":{"a":"b","b":"c"}}"#, "aliases.a"),
            (r#"{"max_output_tokens":0}"#, "max_output_tokens"),
            (r#"{"max_output_tokens":-1}"#, "max_output_tokens"),
            (r#"{"require_identity":true}"#, "require_identity"),
            (r#"{"identity_secret":"short"}"#, "identity_secret"),
            (r#"{"params":{"max_n":"two"}}"#, "params.max_n"),
        ];
        for (raw, field) in cases {
            let err = Config::from_json(raw.as_bytes()).unwrap_err();
            assert!(err.contains(field), "{raw}: {err}");
        }
    }

    #[test]
    fn empty_config_is_the_default() {
        assert_eq!(Config::from_json(b"").unwrap(), Config::default());
    }

    #[test]
    fn specificity_orders_key_over_team_over_route() {
        let s = |f: fn(&mut Scope)| {
            let mut x = Scope::default();
            f(&mut x);
            x.specificity()
        };
        let route = s(|x| x.path_prefix = Some("/".into()));
        let team = s(|x| x.team = Some("t".into()));
        let key = s(|x| x.key_id = Some("k".into()));
        assert!(route < team && team < key);
    }
}
