//! trusted_callers: where the system prompt may go unscanned. Any key holder can write
//! `system` and `developer` messages (Anthropic `system`, Gemini `systemInstruction`,
//! Responses `instructions`), so they are scanned like any text by default. An admin may vouch
//! for them only where the client cannot write them: callers (key id, team, env, app from
//! key-auth's signed identity) and routes (`path_prefix`) listed in `trusted_system_prompt`,
//! each entry's selectors all matching. An unsigned or missing identity matches no identity
//! selector; a path with dot segments, `//`, `\` or encoded separators matches no prefix.
//! Pure.

use guardrail_sdk::identity::Identity;

/// One `trusted_system_prompt` entry: the selectors given must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedCaller {
    pub path_prefix: Option<String>,
    pub key_id: Option<String>,
    pub team: Option<String>,
    pub env: Option<String>,
    pub app: Option<String>,
}

impl TrustedCaller {
    /// Does it select on the caller's identity (needs `identity_secret`)?
    pub fn needs_identity(&self) -> bool {
        self.key_id.is_some() || self.team.is_some() || self.env.is_some() || self.app.is_some()
    }

    /// Does it select anything at all?
    pub fn is_empty(&self) -> bool {
        self.path_prefix.is_none() && !self.needs_identity()
    }

    /// Does this request match every selector given?
    pub fn matches(&self, path: &str, id: Option<&Identity>) -> bool {
        let field = |want: &Option<String>, have: fn(&Identity) -> &str| match want {
            None => true,
            Some(w) => id.is_some_and(|i| !have(i).is_empty() && have(i) == w),
        };
        let route = match &self.path_prefix {
            None => true,
            Some(prefix) => {
                let path = path.split('?').next().unwrap_or("");
                !is_ambiguous(path) && path.starts_with(prefix.as_str())
            }
        };
        !self.is_empty()
            && route
            && field(&self.key_id, |i| &i.key_id)
            && field(&self.team, |i| &i.team)
            && field(&self.env, |i| &i.env)
            && field(&self.app, |i| &i.app)
    }
}

/// A path Envoy's router and this prefix check could read differently.
fn is_ambiguous(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    path.contains('\\')
        || path.get(1..).is_some_and(|rest| rest.contains("//"))
        || path.split('/').any(|s| s == "." || s == "..")
        || ["%2f", "%5c", "%2e"].iter().any(|e| lower.contains(e))
}

/// Is the system prompt of this request the operator's (not scanned)? Only where an entry of
/// `trusted` matches; with `scan_trusted: false` everywhere (documented as unsafe unless no
/// client can write those roles).
pub fn system_prompt_trusted(
    scan_trusted: bool,
    trusted: &[TrustedCaller],
    path: &str,
    id: Option<&Identity>,
) -> bool {
    !scan_trusted || trusted.iter().any(|t| t.matches(path, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(key: &str, team: &str) -> Identity {
        Identity {
            key_id: key.into(),
            team: team.into(),
            env: "prod".into(),
            app: "backend".into(),
            providers: vec![],
            models: vec![],
        }
    }

    #[test]
    fn table() {
        let by_key = TrustedCaller {
            key_id: Some("svc-backend".into()),
            ..TrustedCaller::default()
        };
        let by_route_and_team = TrustedCaller {
            path_prefix: Some("/internal/".into()),
            team: Some("platform".into()),
            ..TrustedCaller::default()
        };
        let list = [by_key, by_route_and_team];
        let backend = ident("svc-backend", "x");
        let platform = ident("k2", "platform");
        let other = ident("k3", "sales");
        let rows: &[(&str, Option<&Identity>, bool)] = &[
            ("/v1/chat/completions", Some(&backend), true),
            ("/v1/chat/completions", Some(&other), false),
            ("/v1/chat/completions", None, false),
            ("/internal/v1/chat/completions", Some(&platform), true),
            ("/internal/v1/chat/completions?x=1", Some(&platform), true),
            ("/internal/v1/chat/completions", Some(&other), false),
            ("/internal/v1/chat/completions", None, false),
            ("/v1/chat/completions", Some(&platform), false),
            ("/internal/../v1/chat/completions", Some(&platform), false),
            ("/internal/%2e%2e/v1", Some(&platform), false),
            ("/internal//v1", Some(&platform), false),
        ];
        for (path, id, want) in rows {
            assert_eq!(
                system_prompt_trusted(true, &list, path, *id),
                *want,
                "{path} {id:?}"
            );
        }
        // An identity with an empty field never matches a selector on it.
        let blank = ident("", "");
        let empty_key = TrustedCaller {
            key_id: Some(String::new()),
            ..TrustedCaller::default()
        };
        assert!(!empty_key.matches("/", Some(&blank)));
        // An entry with no selector matches nothing (config refuses it too).
        assert!(!TrustedCaller::default().matches("/", Some(&backend)));
        // scan_trusted: false trusts every system prompt.
        assert!(system_prompt_trusted(false, &[], "/v1/x", None));
        assert!(!system_prompt_trusted(true, &[], "/v1/x", Some(&backend)));
    }
}
