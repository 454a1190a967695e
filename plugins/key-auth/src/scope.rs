//! scope: which configured provider a request is for (path prefix, `:authority`, or the API
//! format of the provider kind), and whether the key may use that provider and model. The
//! model comes from the path for Gemini, Azure and Bedrock, from the JSON body otherwise.

use crate::key_store::KeyEntry;
use guardrail_sdk::model_name::{self, ModelNameError};
use guardrail_sdk::path::model_from_path;
use guardrail_sdk::ApiFormat;

/// How a provider expects its credential (and which paths it serves by default).
/// (Read from the configuration in `config::raw`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// `Authorization: Bearer <key>`; default paths: OpenAI formats outside `/openai/`.
    Openai,
    /// `api-key: <key>`; default paths: `/openai/...` (Azure OpenAI).
    Azure,
    /// `x-api-key: <key>` (the client's `anthropic-version` is kept); default: `/v1/messages`.
    Anthropic,
    /// `x-goog-api-key: <key>`; default: `...:generateContent` / `:streamGenerateContent`.
    Gemini,
}

impl ProviderKind {
    /// The header carrying the provider key and its value.
    pub fn credential_header(self, api_key: &str) -> (&'static str, String) {
        match self {
            ProviderKind::Openai => ("authorization", format!("Bearer {api_key}")),
            ProviderKind::Azure => ("api-key", api_key.to_string()),
            ProviderKind::Anthropic => ("x-api-key", api_key.to_string()),
            ProviderKind::Gemini => ("x-goog-api-key", api_key.to_string()),
        }
    }

    fn serves_by_default(self, format: ApiFormat, path: &str) -> bool {
        let azure_path = path.starts_with("/openai/");
        match self {
            ProviderKind::Openai => {
                !azure_path
                    && matches!(
                        format,
                        ApiFormat::OpenAiChat
                            | ApiFormat::OpenAiCompletions
                            | ApiFormat::OpenAiResponses
                            | ApiFormat::OpenAiEmbeddings
                    )
            }
            ProviderKind::Azure => azure_path,
            ProviderKind::Anthropic => format == ApiFormat::AnthropicMessages,
            ProviderKind::Gemini => format == ApiFormat::GeminiGenerateContent,
        }
    }
}

/// A configured upstream provider and its (gateway-held) key.
#[derive(Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    pub api_key: String,
    pub path_prefixes: Vec<String>,
    /// Lower-case.
    pub authorities: Vec<String>,
}

impl std::fmt::Debug for Provider {
    // Never print the provider key (a Debug in a log or panic message would leak it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("path_prefixes", &self.path_prefixes)
            .field("authorities", &self.authorities)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Given `path_prefixes` and/or `authorities`, all given must match; with neither, the
    /// kind's default paths decide.
    pub fn matches(&self, format: ApiFormat, path: &str, authority: &str) -> bool {
        let path = path.split('?').next().unwrap_or("");
        if self.path_prefixes.is_empty() && self.authorities.is_empty() {
            return self.kind.serves_by_default(format, path);
        }
        let path_ok = self.path_prefixes.is_empty()
            || self
                .path_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()));
        let authority = authority.to_ascii_lowercase();
        let host = authority
            .rsplit_once(':')
            .map_or(authority.as_str(), |(h, _)| h);
        let authority_ok = self.authorities.is_empty()
            || self
                .authorities
                .iter()
                .any(|a| *a == authority || a.as_str() == host);
        path_ok && authority_ok
    }
}

/// A path whose meaning could differ between this plugin, Envoy's router and the provider:
/// dot segments, empty segments, or encoded `/`, `\\` or `.` (query ignored). Provider matching
/// and path models are refused on such paths (400) instead of guessing.
pub fn is_ambiguous_path(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or("");
    if path.contains('\\') || path.get(1..).is_some_and(|rest| rest.contains("//")) {
        return true;
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return true;
    }
    let lower = path.to_ascii_lowercase();
    ["%2f", "%5c", "%2e"].iter().any(|e| lower.contains(e))
}

/// The first provider (config order) serving this request.
pub fn provider_for<'a>(
    providers: &'a [Provider],
    format: ApiFormat,
    path: &str,
    authority: &str,
) -> Option<&'a Provider> {
    providers
        .iter()
        .find(|p| p.matches(format, path, authority))
}

/// May `key` use `provider`? A request no provider serves gets no provider credential and is
/// not limited by `providers` (the route decides; see README).
pub fn provider_allowed(key: &KeyEntry, provider: Option<&Provider>) -> bool {
    match provider {
        Some(p) => key.providers.is_empty() || key.providers.contains(&p.name),
        None => true,
    }
}

/// May `key` use `model` (as sent)? Decided on the canonical form of the name (SDK
/// `model_name`: trimmed, ASCII case-folded); `Err` for a name that is refused outright
/// (control, invisible or non-ASCII characters, empty): a 400, whatever the key's scope.
pub fn model_allowed(key: &KeyEntry, model: &str) -> Result<bool, ModelNameError> {
    let canonical = model_name::canonical(model)?;
    Ok(key.models.is_empty() || model_name::any_matches(&key.models, &canonical))
}

/// Where the model of a request is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// In the path (Gemini `models/{m}:`, Azure `deployments/{d}/`, Bedrock `model/{m}/`).
    Path(String),
    /// In the JSON body's `model`; `required` for the provider formats that must name one.
    Body { required: bool },
    /// A malformed path segment (bad percent-encoding, `/` inside): refuse.
    Invalid,
}

/// Find the model for `format` and `path`: the path's model (`guardrail_sdk::path`, the one
/// reading every plugin shares), else the body's, required for the provider formats.
pub fn model_source(format: ApiFormat, path: &str) -> ModelSource {
    match model_from_path(path) {
        Ok(Some(found)) => ModelSource::Path(found.model),
        Ok(None) => ModelSource::Body {
            required: format.names_model(),
        },
        Err(_) => ModelSource::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_store::Validity;
    use guardrail_sdk::format::format_for_path;

    fn provider(name: &str, kind: ProviderKind, prefixes: &[&str], auth: &[&str]) -> Provider {
        Provider {
            name: name.into(),
            kind,
            api_key: "sk-secret".into(),
            path_prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            authorities: auth.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn key(providers: &[&str], models: &[&str]) -> KeyEntry {
        KeyEntry {
            id: "k".into(),
            team: String::new(),
            env: String::new(),
            app: String::new(),
            credentials: vec![],
            validity: Validity::default(),
            disabled: false,
            providers: providers.iter().map(|s| s.to_string()).collect(),
            models: models.iter().map(|s| s.to_string()).collect(),
            rate_limit_per_minute: None,
            token_budget: None,
        }
    }

    fn pick<'a>(ps: &'a [Provider], path: &str, authority: &str) -> Option<&'a str> {
        provider_for(ps, format_for_path(path), path, authority).map(|p| p.name.as_str())
    }

    #[test]
    fn default_routes_follow_the_kind() {
        let ps = vec![
            provider("oa", ProviderKind::Openai, &[], &[]),
            provider("az", ProviderKind::Azure, &[], &[]),
            provider("an", ProviderKind::Anthropic, &[], &[]),
            provider("ge", ProviderKind::Gemini, &[], &[]),
        ];
        let table = [
            ("/v1/chat/completions", Some("oa")),
            ("/v1/embeddings?x=1", Some("oa")),
            ("/v1/responses", Some("oa")),
            (
                "/openai/deployments/gpt4/chat/completions?api-version=1",
                Some("az"),
            ),
            ("/v1/messages", Some("an")),
            (
                "/v1beta/models/gemini-2.0-flash:generateContent",
                Some("ge"),
            ),
            (
                "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                Some("ge"),
            ),
            ("/v1/models", None),
            ("/admin/secrets", None),
        ];
        for (path, want) in table {
            assert_eq!(pick(&ps, path, "gw.local"), want, "{path}");
        }
    }

    #[test]
    fn explicit_prefix_and_authority_must_all_match() {
        let ps = vec![
            provider(
                "by-host",
                ProviderKind::Anthropic,
                &[],
                &["api.anthropic.com"],
            ),
            provider(
                "by-both",
                ProviderKind::Openai,
                &["/v1/"],
                &["api.openai.com"],
            ),
            provider("by-prefix", ProviderKind::Gemini, &["/gemini/"], &[]),
        ];
        assert_eq!(pick(&ps, "/anything", "API.Anthropic.com"), Some("by-host"));
        assert_eq!(
            pick(&ps, "/anything", "api.anthropic.com:443"),
            Some("by-host")
        );
        assert_eq!(pick(&ps, "/v1/models", "api.openai.com"), Some("by-both"));
        assert_eq!(pick(&ps, "/v2/models", "api.openai.com"), None);
        assert_eq!(pick(&ps, "/v1/models", "evil.example"), None);
        assert_eq!(pick(&ps, "/gemini/x", "h"), Some("by-prefix"));
        // First match wins.
        let two = vec![
            provider("first", ProviderKind::Openai, &["/v1/"], &[]),
            provider("second", ProviderKind::Openai, &[], &[]),
        ];
        assert_eq!(pick(&two, "/v1/chat/completions", "h"), Some("first"));
    }

    #[test]
    fn ambiguous_paths() {
        for p in [
            "/openai/../v1/messages",
            "/v1/./chat/completions",
            "/v1//chat/completions",
            "/v1/chat%2Fcompletions",
            "/v1/%2e%2e/messages",
            "/v1/chat\\completions",
            "/v1beta/models/a%2Fb:generateContent",
        ] {
            assert!(is_ambiguous_path(p), "{p}");
        }
        for p in [
            "/v1/chat/completions",
            "/v1/chat/completions?next=/a//b/../c",
            "/v1beta/models/gemini-2.0-flash:generateContent",
            "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01",
            "/",
            "",
        ] {
            assert!(!is_ambiguous_path(p), "{p}");
        }
    }

    #[test]
    fn credential_headers_per_kind() {
        assert_eq!(
            ProviderKind::Openai.credential_header("sk"),
            ("authorization", "Bearer sk".to_string())
        );
        assert_eq!(ProviderKind::Azure.credential_header("sk").0, "api-key");
        assert_eq!(
            ProviderKind::Anthropic.credential_header("sk").0,
            "x-api-key"
        );
        assert_eq!(
            ProviderKind::Gemini.credential_header("sk").0,
            "x-goog-api-key"
        );
    }

    #[test]
    fn debug_never_shows_the_provider_key() {
        let p = provider("oa", ProviderKind::Openai, &[], &[]);
        assert!(!format!("{p:?}").contains("sk-secret"));
    }

    #[test]
    fn provider_and_model_scopes() {
        let ps = [provider("openai", ProviderKind::Openai, &[], &[])];
        let open = key(&[], &[]);
        let scoped = key(&["anthropic"], &["gpt-4o-mini", "claude-3-5-*"]);
        assert!(provider_allowed(&open, ps.first()));
        assert!(!provider_allowed(&scoped, ps.first()));
        assert!(provider_allowed(&scoped, None));
        assert_eq!(model_allowed(&open, "anything"), Ok(true));
        assert_eq!(model_allowed(&scoped, "gpt-4o-mini"), Ok(true));
        assert_eq!(model_allowed(&scoped, " GPT-4o-MINI "), Ok(true));
        assert_eq!(model_allowed(&scoped, "claude-3-5-sonnet-latest"), Ok(true));
        assert_eq!(model_allowed(&scoped, "Claude-3-5-SONNET-latest"), Ok(true));
        assert_eq!(model_allowed(&scoped, "gpt-4o"), Ok(false));
        assert_eq!(model_allowed(&scoped, "GPT-4O"), Ok(false));
        assert_eq!(model_allowed(&scoped, "gpt-4o-mini-2024"), Ok(false));
        assert!(model_allowed(&scoped, "").is_err());
        assert!(model_allowed(&scoped, "gpt-4o-mini\u{200b}").is_err());
        assert!(model_allowed(&open, "gpt-4o-mini\u{202e}").is_err());
    }

    #[test]
    fn model_from_path_or_body() {
        let table = [
            (
                "/v1beta/models/gemini-2.0-flash:generateContent",
                ModelSource::Path("gemini-2.0-flash".into()),
            ),
            (
                "/v1beta/models/gemini%2D2:generateContent?key=x",
                ModelSource::Path("gemini-2".into()),
            ),
            ("/v1beta/models/a%2Fb:generateContent", ModelSource::Invalid),
            ("/v1beta/models/%zz:generateContent", ModelSource::Invalid),
            ("/v1beta/models/:generateContent", ModelSource::Invalid),
            (
                "/openai/deployments/gpt-4o/chat/completions",
                ModelSource::Path("gpt-4o".into()),
            ),
            (
                "/model/anthropic.claude-v2/invoke",
                ModelSource::Path("anthropic.claude-v2".into()),
            ),
            ("/v1/chat/completions", ModelSource::Body { required: true }),
            ("/v1/messages", ModelSource::Body { required: true }),
            ("/v1/files", ModelSource::Body { required: false }),
        ];
        for (path, want) in table {
            assert_eq!(model_source(format_for_path(path), path), want, "{path}");
        }
    }
}
