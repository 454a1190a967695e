//! path_alias: the model named in the URL (Gemini, Azure deployments, Bedrock), with its alias
//! applied: the path is rewritten to name the target model.

use crate::config::Config;
use crate::plan::resolve_alias;
use guardrail_sdk::path::{model_from_path, PathModelError};
use guardrail_sdk::BodyError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathModelFound {
    /// The model after aliasing.
    pub model: String,
    /// The new `:path` when an alias was applied.
    pub new_path: Option<String>,
}

/// Percent-encode everything outside RFC 3986 unreserved characters.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Ok(None)`: the path names no model. `Err`: it names one that cannot be read (400).
pub fn apply(config: &Config, path: &str) -> Result<Option<PathModelFound>, BodyError> {
    let found = model_from_path(path).map_err(|e| {
        let why = match e {
            PathModelError::BadEncoding => "the model in the path is not validly encoded",
            PathModelError::Empty => "the model in the path is empty",
            PathModelError::Invalid => "the model in the path is not a model name",
        };
        BodyError::bad_request("invalid_model", why)
    })?;
    let Some(pm) = found else { return Ok(None) };
    guardrail_sdk::model_name::canonical(&pm.model).map_err(BodyError::from)?;
    let target = resolve_alias(config, &pm.model);
    let new_path = if target != pm.model {
        let (head, tail) = (path.get(..pm.span.start), path.get(pm.span.end..));
        match (head, tail) {
            (Some(h), Some(t)) => Some(format!("{h}{}{t}", encode_segment(target))),
            _ => {
                return Err(BodyError::bad_request(
                    "invalid_model",
                    "the path could not be rewritten",
                ))
            }
        }
    } else {
        None
    };
    Ok(Some(PathModelFound {
        model: target.to_string(),
        new_path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_rewrite_only_the_model_segment() {
        let c = Config::from_json(br#"{"aliases":{"fast":"gemini-1.5-flash","az":"prod gpt/4o"}}"#)
            .unwrap();
        let f = apply(&c, "/v1beta/models/fast:streamGenerateContent?alt=sse")
            .unwrap()
            .unwrap();
        assert_eq!(f.model, "gemini-1.5-flash");
        assert_eq!(
            f.new_path.as_deref(),
            Some("/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse")
        );
        let f = apply(&c, "/openai/deployments/az/chat/completions?api-version=1")
            .unwrap()
            .unwrap();
        assert_eq!(
            f.new_path.as_deref(),
            Some("/openai/deployments/prod%20gpt%2F4o/chat/completions?api-version=1")
        );
        let f = apply(&c, "/model/anthropic.claude-v2/invoke")
            .unwrap()
            .unwrap();
        assert_eq!(
            (f.model.as_str(), f.new_path),
            ("anthropic.claude-v2", None)
        );
        assert_eq!(apply(&c, "/v1/chat/completions").unwrap(), None);
        assert_eq!(
            apply(&c, "/v1beta/models/%zz:generateContent")
                .unwrap_err()
                .code,
            "invalid_model"
        );
    }
}
