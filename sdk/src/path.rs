//! path: what a request path says about the request, computed once for every plugin: the model
//! a per-model URL names (Azure OpenAI deployments, Gemini, Vertex AI, Bedrock) and strict
//! percent-decoding. Two plugins in one chain must read the same facts from one request (a
//! parser differential is a bypass), so no plugin parses paths itself.
//!
//! The shapes are matched at their canonical position only (from the start of the path, query
//! and fragment ignored); a shape elsewhere in a path is not a per-model URL, and the request's
//! model then comes from its body (required for the provider formats):
//! - Azure OpenAI: `/openai/deployments/{deployment}[/...]`
//! - Bedrock: `/model/{model-id}[/...]` (any action: `invoke`, `converse`, `count-tokens`, ...)
//! - Gemini: `/{version}/models/{model}[:{action}]`
//! - Vertex AI: `/{version}/projects/{p}/locations/{l}/publishers/{publisher}/models/{model}[:{action}]`
//!
//! Any action counts: the provider routes every action on that URL to that model, so a scope
//! check must see it whatever the action. The model is percent-decoded strictly; an empty one,
//! a bad escape, non-UTF-8, or a decoded `/` or control character is an error (refuse: 400).

use crate::hash::hex_value;
use std::ops::Range;

/// Which per-model URL shape named the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathShape {
    /// `/openai/deployments/{deployment}/...`
    AzureDeployment,
    /// `/model/{id}/...`
    Bedrock,
    /// `/{version}/models/{model}:{action}`
    Gemini,
    /// `/{version}/projects/.../publishers/{p}/models/{model}:{action}`
    Vertex,
}

/// A model named by the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathModel {
    /// The percent-decoded model (Bedrock ARNs arrive as `arn%3Aaws%3A...`).
    pub model: String,
    /// The bytes of the still-encoded model in the path (where an alias is spliced in).
    pub span: Range<usize>,
    /// The URL shape.
    pub shape: PathShape,
}

/// The path names a model that cannot be read: refuse (400), never guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathModelError {
    /// `%` not followed by two hex digits, or the decoded bytes are not UTF-8.
    BadEncoding,
    /// The model segment is empty.
    Empty,
    /// The decoded model contains `/` or a control character.
    Invalid,
}

/// The model the path names, `Ok(None)` when the path is not a per-model URL (OpenAI,
/// Anthropic: the model is in the body).
pub fn model_from_path(path: &str) -> Result<Option<PathModel>, PathModelError> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    // (offset, segment) of each segment after the leading `/`.
    let Some(rest) = path.strip_prefix('/') else {
        return Ok(None);
    };
    let mut offset = 1;
    let segs: Vec<(usize, &str)> = rest
        .split('/')
        .map(|s| {
            let start = offset;
            offset += s.len() + 1;
            (start, s)
        })
        .collect();
    let name = |i: usize| segs.get(i).map(|(_, s)| *s);
    let found = match (name(0), name(1)) {
        (Some("openai"), Some("deployments")) => segs
            .get(2)
            .map(|&(at, s)| (at, s, PathShape::AzureDeployment)),
        (Some("model"), _) => segs.get(1).map(|&(at, s)| (at, s, PathShape::Bedrock)),
        (Some(_), Some("models")) => segs.get(2).map(|&(at, s)| (at, s, PathShape::Gemini)),
        (Some(_), Some("projects"))
            if name(3) == Some("locations")
                && name(5) == Some("publishers")
                && name(7) == Some("models") =>
        {
            segs.get(8).map(|&(at, s)| (at, s, PathShape::Vertex))
        }
        _ => None,
    };
    let Some((at, segment, shape)) = found else {
        return Ok(None);
    };
    let raw = match shape {
        // `{model}:{action}`: the model ends at the last `:` (model ids have none unencoded).
        PathShape::Gemini | PathShape::Vertex => segment.rsplit_once(':').map_or(segment, |p| p.0),
        PathShape::AzureDeployment | PathShape::Bedrock => segment,
    };
    if raw.is_empty() {
        return Err(PathModelError::Empty);
    }
    let model = percent_decode(raw).ok_or(PathModelError::BadEncoding)?;
    if model.is_empty() || model.contains('/') || model.chars().any(char::is_control) {
        return Err(PathModelError::Invalid);
    }
    Ok(Some(PathModel {
        model,
        span: at..at + raw.len(),
        shape,
    }))
}

/// Strict `%XX` decoding (`+` stays `+`): `None` when a `%` does not start two hex digits or
/// the result is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[path = "path_tests.rs"]
mod tests;
