//! raw: the key-auth configuration as the admin writes it, read with the SDK's `FromConfig`
//! (unknown fields refused, every error names its field); `config::validate` checks it.

use super::DEFAULT_KEY_SOURCES;
use crate::query_keys::QueryKeyAction;
use crate::scope::ProviderKind;
use guardrail_sdk::config::{ConfigError, FromConfig, Value};

#[derive(Debug, Clone)]
pub struct RawConfig {
    pub key_sources: Vec<String>,
    pub query_param: Option<String>,
    pub query_keys: QueryKeyAction,
    pub query_key_names: Vec<String>,
    pub pepper: Option<String>,
    pub identity_secret: Option<String>,
    pub on_missing_capability: CapabilityPolicy,
    pub limits: LimitMode,
    pub max_body_bytes: usize,
    pub keys: Vec<RawKey>,
    pub providers: Vec<RawProvider>,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            key_sources: DEFAULT_KEY_SOURCES.iter().map(|s| s.to_string()).collect(),
            query_param: None,
            query_keys: QueryKeyAction::Strip,
            query_key_names: Vec::new(),
            pepper: None,
            identity_secret: None,
            on_missing_capability: CapabilityPolicy::Deny,
            limits: LimitMode::Local,
            max_body_bytes: guardrail_sdk::buffer::DEFAULT_MAX_BYTES,
            keys: Vec::new(),
            providers: Vec::new(),
        }
    }
}

impl FromConfig for RawConfig {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "key_sources",
            "query_param",
            "query_keys",
            "query_key_names",
            "pepper",
            "identity_secret",
            "on_missing_capability",
            "limits",
            "max_body_bytes",
            "keys",
            "providers",
        ])?;
        let d = RawConfig::default();
        Ok(RawConfig {
            key_sources: o.or("key_sources", d.key_sources)?,
            query_param: o.optional("query_param")?,
            query_keys: o.or_default("query_keys")?,
            query_key_names: o.or_default("query_key_names")?,
            pepper: o.optional("pepper")?,
            identity_secret: o.optional("identity_secret")?,
            on_missing_capability: o.or("on_missing_capability", d.on_missing_capability)?,
            limits: o.or("limits", d.limits)?,
            max_body_bytes: o.or("max_body_bytes", d.max_body_bytes)?,
            keys: o.or_default("keys")?,
            providers: o.or_default("providers")?,
        })
    }
}

/// What to do when a key has limits or a validity window but the host has no clock or no
/// shared data (APISIX): refuse (at start-up, or 503 per request) or authenticate without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapabilityPolicy {
    Deny,
    Allow,
}

impl FromConfig for CapabilityPolicy {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("deny", CapabilityPolicy::Deny),
            ("allow", CapabilityPolicy::Allow),
        ])
    }
}

impl FromConfig for QueryKeyAction {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("strip", QueryKeyAction::Strip),
            ("refuse", QueryKeyAction::Refuse),
        ])
    }
}

/// Where the keys' `rate_limit_per_minute` and `token_budget` are counted: `local` in this
/// Envoy's shared data (one instance), or `global` by Envoy's rate-limit filter and a
/// rate-limit service (every replica; key-auth then publishes the key id and the answer's tokens
/// for the filter's descriptors and counts nothing itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitMode {
    Local,
    Global,
}

impl FromConfig for LimitMode {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[("local", LimitMode::Local), ("global", LimitMode::Global)])
    }
}

impl FromConfig for ProviderKind {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("openai", ProviderKind::Openai),
            ("azure", ProviderKind::Azure),
            ("anthropic", ProviderKind::Anthropic),
            ("gemini", ProviderKind::Gemini),
        ])
    }
}

#[derive(Debug, Clone)]
pub struct RawKey {
    pub id: String,
    pub team: String,
    pub env: String,
    pub app: String,
    pub credentials: Vec<RawCredential>,
    pub not_before: Option<u64>,
    pub expires_at: Option<u64>,
    pub disabled: bool,
    pub providers: Vec<String>,
    pub models: Vec<String>,
    pub rate_limit_per_minute: Option<u64>,
    pub token_budget: Option<RawBudget>,
}

impl FromConfig for RawKey {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "id",
            "team",
            "env",
            "app",
            "credentials",
            "not_before",
            "expires_at",
            "disabled",
            "providers",
            "models",
            "rate_limit_per_minute",
            "token_budget",
        ])?;
        Ok(RawKey {
            id: o.required("id")?,
            team: o.or_default("team")?,
            env: o.or_default("env")?,
            app: o.or_default("app")?,
            credentials: o.required("credentials")?,
            not_before: o.optional("not_before")?,
            expires_at: o.optional("expires_at")?,
            disabled: o.or_default("disabled")?,
            providers: o.or_default("providers")?,
            models: o.or_default("models")?,
            rate_limit_per_minute: o.optional("rate_limit_per_minute")?,
            token_budget: o.optional("token_budget")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RawCredential {
    pub hash: String,
    pub label: String,
    pub not_before: Option<u64>,
    pub expires_at: Option<u64>,
    pub disabled: bool,
}

impl FromConfig for RawCredential {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["hash", "label", "not_before", "expires_at", "disabled"])?;
        Ok(RawCredential {
            hash: o.required("hash")?,
            label: o.or_default("label")?,
            not_before: o.optional("not_before")?,
            expires_at: o.optional("expires_at")?,
            disabled: o.or_default("disabled")?,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RawBudget {
    pub tokens: u64,
    /// Default 3600.
    pub window_seconds: u64,
}

impl FromConfig for RawBudget {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["tokens", "window_seconds"])?;
        Ok(RawBudget {
            tokens: o.required("tokens")?,
            window_seconds: o.or("window_seconds", 3600)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RawProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub api_key: String,
    pub path_prefixes: Vec<String>,
    pub authorities: Vec<String>,
}

impl FromConfig for RawProvider {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["name", "kind", "api_key", "path_prefixes", "authorities"])?;
        Ok(RawProvider {
            name: o.required("name")?,
            kind: o.required("kind")?,
            api_key: o.required("api_key")?,
            path_prefixes: o.or_default("path_prefixes")?,
            authorities: o.or_default("authorities")?,
        })
    }
}
