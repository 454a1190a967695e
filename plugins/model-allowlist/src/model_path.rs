//! Finds the model a request names in its URL path (Gemini, Azure OpenAI deployments, Bedrock).

use std::ops::Range;

/// A model found in the path, with the raw segment's byte range so an alias can be spliced in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathModel {
    /// Percent-decoded model id (Bedrock ARNs arrive as `arn%3Aaws%3A...`).
    pub model: String,
    /// Bytes of the still-encoded model in the path.
    pub span: Range<usize>,
}

/// The path names a model but it cannot be read: fail closed with a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathModelError {
    /// `%` not followed by two hex digits, or the decoded bytes are not UTF-8.
    BadEncoding,
    /// The model segment is empty.
    Empty,
}

const GEMINI_ACTIONS: &[&str] = &["generateContent", "streamGenerateContent"];
const BEDROCK_ACTIONS: &[&str] = &[
    "invoke",
    "converse",
    "invoke-with-response-stream",
    "converse-stream",
];

/// Model named by the path, `Ok(None)` when the path is not a per-model URL (OpenAI, Anthropic).
pub fn model_from_path(path: &str) -> Result<Option<PathModel>, PathModelError> {
    let path = path.split('?').next().unwrap_or("");
    let mut offset = 0;
    let segments: Vec<(usize, &str)> = path
        .split('/')
        .map(|s| {
            let start = offset;
            offset += s.len() + 1;
            (start, s)
        })
        .collect();
    for w in segments.windows(3) {
        if let [(_, "openai"), (_, "deployments"), (start, deployment)] = w {
            return found(*start, deployment).map(Some);
        }
        if let [(_, "model"), (start, id), (_, action)] = w {
            if BEDROCK_ACTIONS.contains(action) {
                return found(*start, id).map(Some);
            }
        }
    }
    for w in segments.windows(2) {
        if let [(_, "models"), (start, last)] = w {
            if let Some((model, action)) = last.rsplit_once(':') {
                if GEMINI_ACTIONS.contains(&action) {
                    return found(*start, model).map(Some);
                }
            }
        }
    }
    Ok(None)
}

fn found(start: usize, raw: &str) -> Result<PathModel, PathModelError> {
    if raw.is_empty() {
        return Err(PathModelError::Empty);
    }
    Ok(PathModel {
        model: percent_decode(raw)?,
        span: start..start + raw.len(),
    })
}

/// Strict percent-decoding: every `%` must start a valid escape and the result must be UTF-8.
pub fn percent_decode(raw: &str) -> Result<String, PathModelError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            match (hi, lo) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(PathModelError::BadEncoding),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PathModelError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(path: &str) -> Option<String> {
        model_from_path(path).ok().flatten().map(|m| m.model)
    }

    #[test]
    fn finds_model_in_every_per_model_path() {
        let cases = [
            (
                "/v1beta/models/gemini-1.5-pro:generateContent",
                "gemini-1.5-pro",
            ),
            (
                "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                "gemini-2.0-flash",
            ),
            (
                "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-06-01",
                "prod-gpt4o",
            ),
            (
                "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke",
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
            ),
            ("/model/m1/converse", "m1"),
            ("/model/m1/invoke-with-response-stream", "m1"),
            ("/model/m1/converse-stream", "m1"),
        ];
        for (path, want) in cases {
            assert_eq!(model(path).as_deref(), Some(want), "{path}");
        }
    }

    #[test]
    fn span_points_at_the_raw_segment() {
        let path = "/model/a%3Ab/invoke";
        let m = model_from_path(path).ok().flatten();
        assert_eq!(
            m.map(|m| path.get(m.span).map(str::to_owned)),
            Some(Some("a%3Ab".to_owned()))
        );
    }

    #[test]
    fn body_model_paths_have_none() {
        for p in [
            "/v1/chat/completions",
            "/v1/messages",
            "/v1beta/models/x:countTokens",
            "/model/x/other",
        ] {
            assert_eq!(model_from_path(p), Ok(None), "{p}");
        }
    }

    #[test]
    fn bad_encoding_and_empty_fail_closed() {
        assert_eq!(
            model_from_path("/model/a%zz/invoke"),
            Err(PathModelError::BadEncoding)
        );
        assert_eq!(
            model_from_path("/model/a%ff/invoke"),
            Err(PathModelError::BadEncoding)
        );
        assert_eq!(
            model_from_path("/model/a%4/invoke"),
            Err(PathModelError::BadEncoding)
        );
        assert_eq!(
            model_from_path("/openai/deployments//chat/completions"),
            Err(PathModelError::Empty)
        );
    }
}
