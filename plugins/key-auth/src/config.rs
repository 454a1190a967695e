//! config: the key-auth plugin configuration as written by the admin (`raw`, unknown fields
//! refused) and its validation into [`Settings`], the checked form the request path uses.
//! Every validation error names the field path (`keys[1].credentials[0].hash: ...`).

mod raw;

pub use raw::{
    CapabilityPolicy, LimitMode, RawBudget, RawConfig, RawCredential, RawKey, RawProvider,
};

use crate::key_store::{Credential, Digest, KeyEntry, KeyStore, Validity};
use crate::query_keys::{QueryKeyAction, QueryKeyNames};
use crate::scope::Provider;
use std::fmt;

/// The client key headers read when `key_sources` is not given.
pub const DEFAULT_KEY_SOURCES: [&str; 4] =
    ["authorization", "x-api-key", "api-key", "x-goog-api-key"];

/// Shortest accepted pepper / identity secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// Longest token budget window: 31 days.
pub const MAX_WINDOW_SECONDS: u64 = 31 * 24 * 3600;

/// A token budget: `tokens` per fixed window of `window_seconds` (aligned to the unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub tokens: u64,
    pub window_seconds: u64,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lower-case header names the client key is read from, in order.
    pub key_sources: Vec<String>,
    pub query_param: Option<String>,
    /// Credentials in other query parameters: removed from `:path` or refused.
    pub query_keys: QueryKeyAction,
    /// The parameter names that count as credentials (defaults, `key_sources`, `query_param`,
    /// `query_key_names`), folded.
    pub query_key_names: QueryKeyNames,
    pub identity_secret: Option<Vec<u8>>,
    pub on_missing_capability: CapabilityPolicy,
    pub limits: LimitMode,
    pub max_body_bytes: usize,
    pub store: KeyStore,
    pub providers: Vec<Provider>,
}

impl Settings {
    /// Does any key need the clock (validity windows, limits)?
    pub fn needs_clock(&self) -> bool {
        self.store.keys().iter().any(|k| {
            k.rate_limit_per_minute.is_some()
                || k.token_budget.is_some()
                || k.validity.is_bounded()
                || k.credentials.iter().any(|c| c.validity.is_bounded())
        })
    }

    /// Does any key need shared data (limits counted locally)?
    pub fn needs_shared_data(&self) -> bool {
        self.limits == LimitMode::Local
            && self
                .store
                .keys()
                .iter()
                .any(|k| k.rate_limit_per_minute.is_some() || k.token_budget.is_some())
    }
}

/// A validation error: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

fn problem(path: impl Into<String>, reason: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Parse and validate the plugin configuration bytes. The error text names the field.
pub fn load(raw: &[u8]) -> Result<Settings, String> {
    let parsed: RawConfig = guardrail_sdk::config::parse(raw).map_err(|e| e.to_string())?;
    validate(parsed).map_err(|e| e.to_string())
}

/// Ids, labels and provider names: what the verdict log accepts as an id.
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b))
}

/// A value safe to put in a header: visible ASCII and spaces, no CR/LF/NUL.
pub fn is_header_value(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

pub fn validate(raw: RawConfig) -> Result<Settings, ConfigProblem> {
    let key_sources = validate_sources(&raw.key_sources)?;
    let query_param = match raw.query_param {
        Some(q)
            if q.is_empty()
                || !q
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            return Err(problem(
                "query_param",
                "must be a non-empty name of [A-Za-z0-9-_.]",
            ));
        }
        other => other,
    };
    if key_sources.is_empty() && query_param.is_none() {
        return Err(problem(
            "key_sources",
            "no key source: give a header or query_param",
        ));
    }
    for (i, name) in raw.query_key_names.iter().enumerate() {
        if crate::query_keys::fold_name(name).is_empty() {
            return Err(problem(
                format!("query_key_names[{i}]"),
                "must name a query parameter (letters or digits)",
            ));
        }
    }
    let query_key_names = QueryKeyNames::new(
        key_sources
            .iter()
            .chain(query_param.iter())
            .chain(raw.query_key_names.iter())
            .map(String::as_str),
    );
    let pepper = match raw.pepper {
        Some(p) if p.len() < MIN_SECRET_BYTES => {
            return Err(problem(
                "pepper",
                format!("must be at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        other => other.map(String::into_bytes),
    };
    let identity_secret = match raw.identity_secret {
        Some(s) if s.len() < MIN_SECRET_BYTES => {
            return Err(problem(
                "identity_secret",
                format!("must be at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        other => other.map(String::into_bytes),
    };
    if raw.max_body_bytes == 0 {
        return Err(problem("max_body_bytes", "must be greater than 0"));
    }
    let providers = validate_providers(&raw.providers)?;
    let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
    let mut keys = Vec::with_capacity(raw.keys.len());
    for (i, key) in raw.keys.iter().enumerate() {
        let path = format!("keys[{i}]");
        if keys.iter().any(|k: &KeyEntry| k.id == key.id) {
            return Err(problem(
                format!("{path}.id"),
                format!("duplicate key id {:?}", key.id),
            ));
        }
        keys.push(validate_key(&path, key, pepper.is_some(), &names)?);
    }
    let store = KeyStore::new(keys, pepper);
    if let Some((a, b)) = store.duplicate_digest() {
        return Err(problem(
            "keys",
            format!("the same credential hash is configured twice ({a} and {b})"),
        ));
    }
    Ok(Settings {
        key_sources,
        query_param,
        query_keys: raw.query_keys,
        query_key_names,
        identity_secret,
        on_missing_capability: raw.on_missing_capability,
        limits: raw.limits,
        max_body_bytes: raw.max_body_bytes,
        store,
        providers,
    })
}

fn validate_sources(sources: &[String]) -> Result<Vec<String>, ConfigProblem> {
    let mut out: Vec<String> = Vec::with_capacity(sources.len());
    for (i, s) in sources.iter().enumerate() {
        let name = s.to_ascii_lowercase();
        if !is_header_name(&name) || name.starts_with(':') {
            return Err(problem(
                format!("key_sources[{i}]"),
                "must be a header name",
            ));
        }
        if name == guardrail_sdk::identity::HEADER {
            return Err(problem(
                format!("key_sources[{i}]"),
                "cannot be the identity header",
            ));
        }
        if out.contains(&name) {
            return Err(problem(
                format!("key_sources[{i}]"),
                format!("duplicate {name:?}"),
            ));
        }
        out.push(name);
    }
    Ok(out)
}

fn validate_validity(
    path: &str,
    not_before: Option<u64>,
    expires_at: Option<u64>,
) -> Result<Validity, ConfigProblem> {
    if let (Some(nb), Some(exp)) = (not_before, expires_at) {
        if exp <= nb {
            return Err(problem(
                format!("{path}.expires_at"),
                "must be after not_before",
            ));
        }
    }
    Ok(Validity {
        not_before,
        expires_at,
    })
}

fn validate_key(
    path: &str,
    key: &RawKey,
    have_pepper: bool,
    provider_names: &[&str],
) -> Result<KeyEntry, ConfigProblem> {
    if !is_id(&key.id) {
        return Err(problem(
            format!("{path}.id"),
            "must be 1-64 characters of [A-Za-z0-9._:-]",
        ));
    }
    for (field, value) in [("team", &key.team), ("env", &key.env), ("app", &key.app)] {
        if !value.is_empty() && !is_id(value) {
            return Err(problem(
                format!("{path}.{field}"),
                "must be 1-64 characters of [A-Za-z0-9._:-]",
            ));
        }
    }
    if key.credentials.is_empty() {
        return Err(problem(
            format!("{path}.credentials"),
            "at least one credential hash",
        ));
    }
    let mut credentials = Vec::with_capacity(key.credentials.len());
    for (j, c) in key.credentials.iter().enumerate() {
        let cpath = format!("{path}.credentials[{j}]");
        let digest =
            Digest::parse(&c.hash).map_err(|reason| problem(format!("{cpath}.hash"), reason))?;
        if matches!(digest, Digest::HmacSha256(_)) && !have_pepper {
            return Err(problem(
                format!("{cpath}.hash"),
                "an hmac-sha256 hash needs the top-level `pepper`",
            ));
        }
        if !c.label.is_empty() && !is_id(&c.label) {
            return Err(problem(
                format!("{cpath}.label"),
                "must be 1-64 characters of [A-Za-z0-9._:-]",
            ));
        }
        credentials.push(Credential {
            digest,
            label: c.label.clone(),
            validity: validate_validity(&cpath, c.not_before, c.expires_at)?,
            disabled: c.disabled,
        });
    }
    for (j, p) in key.providers.iter().enumerate() {
        if !provider_names.contains(&p.as_str()) {
            return Err(problem(
                format!("{path}.providers[{j}]"),
                format!("{p:?} is not a configured provider name"),
            ));
        }
    }
    for (j, m) in key.models.iter().enumerate() {
        if m.is_empty() || m.len() > 256 {
            return Err(problem(
                format!("{path}.models[{j}]"),
                "must be a non-empty glob",
            ));
        }
    }
    if key.rate_limit_per_minute == Some(0) {
        return Err(problem(
            format!("{path}.rate_limit_per_minute"),
            "must be at least 1 (leave it out for no limit)",
        ));
    }
    let token_budget = match key.token_budget {
        None => None,
        Some(b) if b.tokens == 0 => {
            return Err(problem(
                format!("{path}.token_budget.tokens"),
                "must be at least 1",
            ));
        }
        Some(b) if !(60..=MAX_WINDOW_SECONDS).contains(&b.window_seconds) => {
            return Err(problem(
                format!("{path}.token_budget.window_seconds"),
                format!("must be between 60 and {MAX_WINDOW_SECONDS}"),
            ));
        }
        Some(b) => Some(Budget {
            tokens: b.tokens,
            window_seconds: b.window_seconds,
        }),
    };
    Ok(KeyEntry {
        id: key.id.clone(),
        team: key.team.clone(),
        env: key.env.clone(),
        app: key.app.clone(),
        credentials,
        validity: validate_validity(path, key.not_before, key.expires_at)?,
        disabled: key.disabled,
        providers: key.providers.clone(),
        models: key.models.clone(),
        rate_limit_per_minute: key.rate_limit_per_minute,
        token_budget,
    })
}

fn validate_providers(raw: &[RawProvider]) -> Result<Vec<Provider>, ConfigProblem> {
    let mut out: Vec<Provider> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let path = format!("providers[{i}]");
        if !is_id(&p.name) {
            return Err(problem(
                format!("{path}.name"),
                "must be 1-64 characters of [A-Za-z0-9._:-]",
            ));
        }
        if out.iter().any(|o| o.name == p.name) {
            return Err(problem(
                format!("{path}.name"),
                format!("duplicate provider {:?}", p.name),
            ));
        }
        if !is_header_value(&p.api_key) || p.api_key.trim() != p.api_key {
            return Err(problem(
                format!("{path}.api_key"),
                "must be non-empty printable ASCII without surrounding spaces",
            ));
        }
        for (j, prefix) in p.path_prefixes.iter().enumerate() {
            if !prefix.starts_with('/') {
                return Err(problem(
                    format!("{path}.path_prefixes[{j}]"),
                    "must start with /",
                ));
            }
        }
        for (j, a) in p.authorities.iter().enumerate() {
            if a.is_empty() || !is_header_value(a) || a.contains(' ') {
                return Err(problem(
                    format!("{path}.authorities[{j}]"),
                    "must be a host[:port]",
                ));
            }
        }
        out.push(Provider {
            name: p.name.clone(),
            kind: p.kind,
            api_key: p.api_key.clone(),
            path_prefixes: p.path_prefixes.clone(),
            authorities: p
                .authorities
                .iter()
                .map(|a| a.to_ascii_lowercase())
                .collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::hash;

    const PEPPER: &str = "pepper-pepper-pepper";

    fn hmac_hash(key: &str) -> String {
        format!(
            "hmac-sha256:{}",
            hash::hex(&hash::hmac_sha256(PEPPER.as_bytes(), key.as_bytes()))
        )
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "pepper": PEPPER,
            "keys": [{"id": "k1", "team": "t", "credentials": [{"hash": hmac_hash("a")}],
                      "providers": ["openai"]}],
            "providers": [{"name": "openai", "kind": "openai", "api_key": "sk-x"}]
        })
    }

    fn err_of(v: serde_json::Value) -> String {
        match load(v.to_string().as_bytes()) {
            Ok(_) => panic!("expected an error for {v}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults_read_the_four_headers_and_deny_missing_capabilities() {
        let s = load(b"").unwrap();
        assert_eq!(s.key_sources, DEFAULT_KEY_SOURCES.to_vec());
        assert_eq!(s.on_missing_capability, CapabilityPolicy::Deny);
        assert_eq!(s.limits, LimitMode::Local);
        assert!(s.query_param.is_none());
        assert!(!s.needs_clock());
        let s = load(base().to_string().as_bytes()).unwrap();
        assert_eq!(s.store.keys().len(), 1);
    }

    #[test]
    fn every_error_names_its_field() {
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let table: Vec<(Edit, &str)> = vec![
            (Box::new(|v| v["surprise"] = 1.into()), "surprise"),
            (Box::new(|v| v["pepper"] = "short".into()), "pepper:"),
            (
                Box::new(|v| v["identity_secret"] = "short".into()),
                "identity_secret:",
            ),
            (
                Box::new(|v| v["key_sources"] = serde_json::json!(["x api"])),
                "key_sources[0]",
            ),
            (
                Box::new(|v| v["key_sources"] = serde_json::json!(["a", "A"])),
                "key_sources[1]",
            ),
            (
                Box::new(|v| v["key_sources"] = serde_json::json!([])),
                "key_sources:",
            ),
            (Box::new(|v| v["query_param"] = "a b".into()), "query_param"),
            (
                Box::new(|v| v["keys"][0]["id"] = "has space".into()),
                "keys[0].id",
            ),
            (
                Box::new(|v| v["keys"][0]["team"] = "a/b".into()),
                "keys[0].team",
            ),
            (
                Box::new(|v| v["keys"][0]["credentials"] = serde_json::json!([])),
                "keys[0].credentials",
            ),
            (
                Box::new(|v| v["keys"][0]["credentials"][0]["hash"] = "md5:00".into()),
                "keys[0].credentials[0].hash",
            ),
            (
                Box::new(|v| v["keys"][0]["credentials"][0]["hash"] = "sha256:zz".into()),
                "keys[0].credentials[0].hash",
            ),
            (
                Box::new(|v| {
                    v["keys"][0]["credentials"][0]["not_before"] = 10.into();
                    v["keys"][0]["credentials"][0]["expires_at"] = 5.into();
                }),
                "keys[0].credentials[0].expires_at",
            ),
            (
                Box::new(|v| v["keys"][0]["providers"] = serde_json::json!(["opnai"])),
                "keys[0].providers[0]",
            ),
            (
                Box::new(|v| v["keys"][0]["models"] = serde_json::json!([""])),
                "keys[0].models[0]",
            ),
            (
                Box::new(|v| v["keys"][0]["rate_limit_per_minute"] = 0.into()),
                "keys[0].rate_limit_per_minute",
            ),
            (
                Box::new(|v| v["keys"][0]["token_budget"] = serde_json::json!({"tokens": 0})),
                "keys[0].token_budget.tokens",
            ),
            (
                Box::new(|v| {
                    v["keys"][0]["token_budget"] =
                        serde_json::json!({"tokens": 5, "window_seconds": 5})
                }),
                "keys[0].token_budget.window_seconds",
            ),
            (
                Box::new(|v| {
                    v["keys"][0]["token_budget"] = serde_json::json!({"tokens": 5, "windw": 60})
                }),
                "windw",
            ),
            (
                Box::new(|v| v["providers"][0]["api_key"] = "sk\nx".into()),
                "providers[0].api_key",
            ),
            (
                Box::new(|v| v["providers"][0]["kind"] = "openia".into()),
                "providers[0].kind",
            ),
            (
                Box::new(|v| v["providers"][0]["path_prefixes"] = serde_json::json!(["v1"])),
                "providers[0].path_prefixes[0]",
            ),
            (
                Box::new(|v| v["on_missing_capability"] = "maybe".into()),
                "on_missing_capability",
            ),
            (
                Box::new(|v| v["max_body_bytes"] = 0.into()),
                "max_body_bytes",
            ),
            (Box::new(|v| v["limits"] = "redis".into()), "limits"),
        ];
        for (edit, want) in table {
            let mut v = base();
            edit(&mut v);
            let err = err_of(v.clone());
            assert!(err.contains(want), "{v} -> {err:?}, want {want:?}");
        }
    }

    #[test]
    fn not_before_alone_is_valid() {
        let mut v = base();
        v["keys"][0]["credentials"][0]["not_before"] = 10.into();
        assert!(load(v.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn hmac_hashes_need_a_pepper_and_duplicates_are_refused() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("pepper");
        assert!(err_of(v).contains("pepper"));

        let mut v = base();
        v["keys"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": "k1", "credentials": [{"hash": hmac_hash("b")}]}));
        assert!(err_of(v).contains("keys[1].id"));

        let mut v = base();
        v["keys"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": "k2", "credentials": [{"hash": hmac_hash("a")}]}));
        assert!(err_of(v).contains("same credential hash"));
    }

    #[test]
    fn sha256_hashes_need_no_pepper() {
        let v = serde_json::json!({"keys": [{"id": "k", "credentials": [
            {"hash": format!("sha256:{}", hash::hex(&hash::sha256(b"x")))}]}]});
        let s = load(v.to_string().as_bytes()).unwrap();
        assert!(!s.needs_shared_data());
    }

    #[test]
    fn limits_and_windows_need_capabilities() {
        let mut v = base();
        v["keys"][0]["rate_limit_per_minute"] = 5.into();
        let s = load(v.to_string().as_bytes()).unwrap();
        assert!(s.needs_clock() && s.needs_shared_data());
        let mut v = base();
        v["keys"][0]["expires_at"] = 5.into();
        let s = load(v.to_string().as_bytes()).unwrap();
        assert!(s.needs_clock() && !s.needs_shared_data());
    }
}
