//! policy: is this model allowed for this route and caller? Every matching scope's deny list
//! applies (deny beats allow); the allow list of the most specific matching scope that has one
//! decides; the caller's own model list from key-auth (signed identity) must also allow it.

use guardrail_sdk::identity::Identity;
use guardrail_sdk::model_name::{any_matches, canonical};

use crate::config::{Config, Scope};

/// Why a model is refused (for the verdict log's rule id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Denied,
    NotAllowed,
    NotInKeyScope,
}

impl Refusal {
    pub fn rule(self) -> &'static str {
        match self {
            Refusal::Denied => "model.denied",
            Refusal::NotAllowed => "model.not_allowed",
            Refusal::NotInKeyScope => "model.not_in_key_scope",
        }
    }
}

fn selector_matches(want: &Option<String>, have: Option<&str>) -> bool {
    match want {
        None => true,
        Some(w) => have.is_some_and(|h| !h.is_empty() && h == w),
    }
}

/// Does `scope` select this route and caller? (The model and tool policies share it.)
pub fn scope_applies(scope: &Scope, path: &str, id: Option<&Identity>) -> bool {
    let route_ok = scope
        .path_prefix
        .as_deref()
        .is_none_or(|p| path.starts_with(p));
    route_ok
        && selector_matches(&scope.team, id.map(|i| i.team.as_str()))
        && selector_matches(&scope.env, id.map(|i| i.env.as_str()))
        && selector_matches(&scope.app, id.map(|i| i.app.as_str()))
        && selector_matches(&scope.key_id, id.map(|i| i.key_id.as_str()))
}

fn permits(allow: &[String], model: &str) -> bool {
    allow.is_empty() || any_matches(allow, model)
}

/// Decide for `model` (as sent) on `path` (query ignored) for the caller `id` (verified, or
/// `None`). Every list is matched on the model's canonical form (SDK `model_name`: trimmed,
/// ASCII case-folded, globs ignoring ASCII case), the same form key-auth decides on. A name
/// without one (invisible or non-ASCII characters) is refused here too, though callers answer
/// it earlier with a 400 (`model_name::canonical`). Borrows the config.
pub fn check(
    config: &Config,
    path: &str,
    id: Option<&Identity>,
    model: &str,
) -> Result<(), Refusal> {
    let Ok(canonical_model) = canonical(model) else {
        return Err(Refusal::Denied);
    };
    let model = canonical_model.as_str();
    let path = path.split('?').next().unwrap_or("");
    // (allow, deny, specificity) of every matching scope; the global lists are specificity 0.
    let matching = || {
        std::iter::once((&config.allow, &config.deny, 0)).chain(
            config
                .scopes
                .iter()
                .filter(|s| scope_applies(s, path, id))
                .map(|s| (&s.allow, &s.deny, s.specificity())),
        )
    };
    if matching().any(|(_, deny, _)| any_matches(deny, model)) {
        return Err(Refusal::Denied);
    }
    let top = matching()
        .filter(|(allow, _, _)| !allow.is_empty())
        .map(|(_, _, specificity)| specificity)
        .max();
    if let Some(top) = top {
        let tightest_allow = matching()
            .filter(|(allow, _, sp)| !allow.is_empty() && *sp == top)
            .all(|(allow, _, _)| permits(allow, model));
        if !tightest_allow {
            return Err(Refusal::NotAllowed);
        }
    }
    if let Some(id) = id {
        if !id.models.is_empty() && !any_matches(&id.models, model) {
            return Err(Refusal::NotInKeyScope);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(raw: &str) -> Config {
        Config::from_json(raw.as_bytes()).unwrap()
    }

    fn ident(team: &str, key: &str, models: &[&str]) -> Identity {
        Identity {
            key_id: key.into(),
            team: team.into(),
            env: "prod".into(),
            app: "chat".into(),
            providers: vec![],
            models: models.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scopes_tightest_allow_wins_and_deny_always_wins() {
        let c = cfg(
            r#"{"identity_secret":"0123456789abcdef","allow":["gpt-4o*","claude-*"],"deny":["*-realtime*"],
                "scopes":[{"path_prefix":"/v1/embeddings","allow":["text-embedding-3-*"]},
                          {"team":"research","allow":["o1*","gpt-4o*"]},
                          {"team":"research","key_id":"k_intern","allow":["gpt-4o-mini"]},
                          {"team":"support","deny":["claude-*"]}]}"#,
        );
        let research = ident("research", "k_r1", &[]);
        let intern = ident("research", "k_intern", &[]);
        let support = ident("support", "k_s1", &[]);
        let chat = "/v1/chat/completions";
        type Row<'a> = (&'a str, Option<&'a Identity>, &'a str, Result<(), Refusal>);
        let table: &[Row] = &[
            (chat, None, "gpt-4o-mini", Ok(())),
            (chat, None, "o1-preview", Err(Refusal::NotAllowed)),
            (chat, None, "gpt-4o-realtime-preview", Err(Refusal::Denied)),
            (chat, Some(&research), "o1-preview", Ok(())),
            (
                chat,
                Some(&research),
                "claude-3-5-sonnet",
                Err(Refusal::NotAllowed),
            ),
            (chat, Some(&intern), "gpt-4o-mini", Ok(())),
            (chat, Some(&intern), "gpt-4o", Err(Refusal::NotAllowed)),
            (
                chat,
                Some(&support),
                "claude-3-5-sonnet",
                Err(Refusal::Denied),
            ),
            (chat, Some(&support), "gpt-4o", Ok(())),
            ("/v1/embeddings", None, "text-embedding-3-small", Ok(())),
            ("/v1/embeddings", None, "gpt-4o", Err(Refusal::NotAllowed)),
            (
                "/v1/embeddings?x=/v1",
                None,
                "text-embedding-3-large",
                Ok(()),
            ),
        ];
        for (path, id, model, want) in table {
            assert_eq!(check(&c, path, *id, model), *want, "{path} {model} {id:?}");
        }
    }

    #[test]
    fn key_scope_from_identity_is_enforced_too() {
        let c = cfg(r#"{"allow":["*"]}"#);
        let k = ident("t", "k", &["gpt-4o-mini"]);
        assert_eq!(
            check(&c, "/v1/chat/completions", Some(&k), "gpt-4o-mini"),
            Ok(())
        );
        assert_eq!(
            check(&c, "/v1/chat/completions", Some(&k), "gpt-4o"),
            Err(Refusal::NotInKeyScope)
        );
    }

    #[test]
    fn no_lists_allows_everything() {
        assert_eq!(check(&Config::default(), "/", None, "anything"), Ok(()));
    }
}
