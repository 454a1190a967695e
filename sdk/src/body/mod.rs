//! body: provider request/response models. Every text the model reads (or wrote) becomes a
//! `Segment` with role, trust and a loggable path; rewrites splice new string literals into
//! the raw body so every other byte stays as sent.

mod all_strings;
pub mod mcp;
mod request;
mod response;
mod segment;
pub mod tools;

#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;

pub use all_strings::{is_binary_payload, parse_request_full, FullRequest, BASE64_BLOB_BYTES};
pub use request::{parse_request, RequestBody};
pub use response::{parse_response, ResponseBody, Usage};
pub use segment::{Role, Segment, Trust};
pub use tools::{is_tool_definition, tool_definitions, ToolDef};

pub use crate::format::{format_for_path, ApiFormat};
use crate::json::{apply_splices, quote, Splice};
use crate::BodyError;

/// Replace the text of segments (by index into `segments`) in `raw`; the rest stays byte-identical.
pub fn splice_segments(
    raw: &[u8],
    segments: &[Segment],
    new_text: &[(usize, String)],
) -> Result<Vec<u8>, BodyError> {
    let mut splices = Vec::with_capacity(new_text.len());
    for (i, text) in new_text {
        let seg = segments.get(*i).ok_or_else(|| {
            BodyError::new(500, "rewrite_failed", format!("no segment {i} to rewrite"))
        })?;
        splices.push(Splice {
            span: seg.span.clone(),
            with: quote(text).into_bytes(),
        });
    }
    Ok(apply_splices(raw, splices)?)
}

/// Replace the text of request segments (by index into `body.segments`).
pub fn rewrite_segments(
    raw: &[u8],
    body: &RequestBody,
    new_text: &[(usize, String)],
) -> Result<Vec<u8>, BodyError> {
    splice_segments(raw, &body.segments, new_text)
}

/// Replace the text of answer segments (by index into `body.segments`).
pub fn rewrite_response_segments(
    raw: &[u8],
    body: &ResponseBody,
    new_text: &[(usize, String)],
) -> Result<Vec<u8>, BodyError> {
    splice_segments(raw, &body.segments, new_text)
}
