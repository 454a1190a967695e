//! inject: the header changes for an admitted request. Every client credential header and any
//! client-sent `x-guardrail-identity` are removed; the matched provider's own key is set in that
//! provider's header; the signed identity is set for the plugins that follow; `:path` loses the
//! key query parameter. The virtual key never reaches the provider.

use crate::credential::headers_to_strip;
use crate::key_store::KeyEntry;
use crate::scope::Provider;
use guardrail_sdk::identity::{self, Identity};

/// Header edits, applied in order: `remove`, then `set`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HeaderPlan {
    pub remove: Vec<String>,
    pub set: Vec<(String, String)>,
}

impl std::fmt::Debug for HeaderPlan {
    // The values hold the provider key: show names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: Vec<&str> = self.set.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HeaderPlan")
            .field("remove", &self.remove)
            .field("set", &set)
            .finish()
    }
}

/// The identity later plugins see (no secrets: ids, scopes).
pub fn identity_of(key: &KeyEntry) -> Identity {
    Identity {
        key_id: key.id.clone(),
        team: key.team.clone(),
        env: key.env.clone(),
        app: key.app.clone(),
        providers: key.providers.clone(),
        models: key.models.clone(),
    }
}

/// `key`'s identity signed with `secret`, issued at `now` (0 without a clock).
pub fn sign_identity(key: &KeyEntry, secret: &[u8], now: Option<u64>) -> String {
    identity::sign(&identity_of(key), secret, now.unwrap_or(0))
}

/// Headers to strip even from requests that are refused (nothing of the client's credential
/// should travel further, e.g. into an access log of a later filter).
pub fn strip_plan(sources: &[String]) -> HeaderPlan {
    let mut remove = headers_to_strip(sources);
    remove.push(identity::HEADER.to_string());
    HeaderPlan {
        remove,
        set: Vec::new(),
    }
}

/// The full plan for an admitted request (`signed_identity`: [`sign_identity`] of its key).
pub fn admit_plan(
    sources: &[String],
    provider: Option<&Provider>,
    signed_identity: Option<String>,
    stripped_path: Option<String>,
) -> HeaderPlan {
    let mut plan = strip_plan(sources);
    if let Some(p) = provider {
        let (name, value) = p.kind.credential_header(&p.api_key);
        plan.set.push((name.to_string(), value));
    }
    if let Some(signed) = signed_identity {
        plan.set.push((identity::HEADER.to_string(), signed));
    }
    if let Some(path) = stripped_path {
        plan.set.push((":path".to_string(), path));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_KEY_SOURCES;
    use crate::key_store::Validity;
    use crate::scope::ProviderKind;

    fn key() -> KeyEntry {
        KeyEntry {
            id: "k1".into(),
            team: "t".into(),
            env: "prod".into(),
            app: "chat".into(),
            credentials: vec![],
            validity: Validity::default(),
            disabled: false,
            providers: vec!["openai".into()],
            models: vec!["gpt-4o*".into()],
            rate_limit_per_minute: None,
            token_budget: None,
        }
    }

    fn provider(kind: ProviderKind) -> Provider {
        Provider {
            name: "p".into(),
            kind,
            api_key: "sk-provider".into(),
            path_prefixes: vec![],
            authorities: vec![],
        }
    }

    fn sources() -> Vec<String> {
        DEFAULT_KEY_SOURCES.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn strips_every_credential_and_the_client_identity() {
        let plan = strip_plan(&sources());
        for h in [
            "authorization",
            "x-api-key",
            "api-key",
            "x-goog-api-key",
            "x-guardrail-identity",
        ] {
            assert!(plan.remove.iter().any(|r| r == h), "{h}");
        }
        assert!(plan.set.is_empty());
    }

    #[test]
    fn provider_key_goes_in_the_providers_header() {
        for (kind, header, value) in [
            (ProviderKind::Openai, "authorization", "Bearer sk-provider"),
            (ProviderKind::Anthropic, "x-api-key", "sk-provider"),
            (ProviderKind::Gemini, "x-goog-api-key", "sk-provider"),
            (ProviderKind::Azure, "api-key", "sk-provider"),
        ] {
            let p = provider(kind);
            let plan = admit_plan(&sources(), Some(&p), None, None);
            assert_eq!(plan.set, vec![(header.to_string(), value.to_string())]);
            // Removal happens first, so the provider header is set on a clean map.
            assert!(plan.remove.iter().any(|r| r == header));
            assert!(!format!("{plan:?}").contains("sk-provider"));
        }
    }

    #[test]
    fn identity_is_signed_and_verifiable_only_with_the_secret() {
        let secret = b"shared-identity-secret";
        let signed = sign_identity(&key(), secret, Some(77));
        let plan = admit_plan(&sources(), None, Some(signed), Some("/p".into()));
        let value = &plan
            .set
            .iter()
            .find(|(k, _)| k == "x-guardrail-identity")
            .unwrap()
            .1;
        let (id, iat) = identity::verify(value, secret).unwrap();
        assert_eq!(id, identity_of(&key()));
        assert_eq!(iat, 77);
        assert!(identity::verify(value, b"other-secret-value").is_err());
        assert!(plan.set.contains(&(":path".to_string(), "/p".to_string())));
        // Without a secret no identity is set (and the client's is still removed).
        let plan = admit_plan(&sources(), None, None, None);
        assert!(plan.set.is_empty());
        assert!(plan.remove.iter().any(|r| r == "x-guardrail-identity"));
    }
}
