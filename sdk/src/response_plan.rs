//! response_plan: from the response headers, how a plugin that reads answers handles the body
//! (pass, buffer JSON or text, follow SSE, or replace an unreadable compressed answer).

use crate::buffer::{check_content_encoding, is_json_content_type};
use crate::BodyError;

/// What to do with an answer, from its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponsePlan {
    /// Forward untouched (scanning off, no body, or a binary content type).
    Pass,
    /// Buffer the JSON answer, rewrite it whole.
    Json,
    /// Rewrite SSE events as they stream.
    Stream,
    /// Buffer a `text/*` answer and rewrite it as one text.
    Text,
    /// Cannot be scanned (compressed): replace the answer with this error (status rewritten in
    /// the headers, which have not left yet).
    Replace(BodyError),
}

/// The plan for an answer with these headers.
pub fn plan(
    scan_responses: bool,
    end_of_stream: bool,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
) -> ResponsePlan {
    if !scan_responses || end_of_stream {
        return ResponsePlan::Pass;
    }
    let ct = content_type.unwrap_or("").trim().to_ascii_lowercase();
    let media = ct.split(';').next().unwrap_or("").trim();
    let textual = media.is_empty()
        || media == "text/event-stream"
        || media.starts_with("text/")
        || is_json_content_type(content_type);
    if !textual {
        return ResponsePlan::Pass;
    }
    if let Err(mut e) = check_content_encoding(content_encoding) {
        e.status = 502;
        e.code = "response_not_scannable";
        e.message =
            "The upstream answer was compressed and could not be checked by the gateway.".into();
        return ResponsePlan::Replace(e);
    }
    if media == "text/event-stream" {
        ResponsePlan::Stream
    } else if media.is_empty() || is_json_content_type(content_type) {
        ResponsePlan::Json
    } else {
        ResponsePlan::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        assert_eq!(
            plan(false, false, Some("application/json"), None),
            ResponsePlan::Pass
        );
        assert_eq!(
            plan(true, true, Some("application/json"), None),
            ResponsePlan::Pass
        );
        assert_eq!(
            plan(true, false, Some("application/json; charset=utf-8"), None),
            ResponsePlan::Json
        );
        assert_eq!(plan(true, false, None, None), ResponsePlan::Json);
        assert_eq!(
            plan(
                true,
                false,
                Some("text/event-stream; charset=utf-8"),
                Some("identity")
            ),
            ResponsePlan::Stream
        );
        assert_eq!(
            plan(true, false, Some("text/plain"), None),
            ResponsePlan::Text
        );
        assert_eq!(
            plan(true, false, Some("audio/mpeg"), None),
            ResponsePlan::Pass
        );
        match plan(true, false, Some("application/json"), Some("gzip")) {
            ResponsePlan::Replace(e) => assert_eq!(e.status, 502),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan(true, false, Some("text/event-stream"), Some("br")),
            ResponsePlan::Replace(_)
        ));
    }
}
