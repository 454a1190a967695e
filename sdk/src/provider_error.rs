//! Error bodies in each provider's own JSON shape, so client SDKs surface a guardrail refusal
//! like any other API error. Messages come from the plugin (fixed texts), never from the request.

use crate::write::{key, push_u64, string};
use crate::{ApiFormat, BodyError};

/// Which provider's error shape to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorStyle {
    /// `{"error":{"message","type","param","code"}}` (also Azure OpenAI and unknown APIs).
    OpenAi,
    /// `{"type":"error","error":{"type","message"}}`.
    Anthropic,
    /// `{"error":{"code","message","status"}}`.
    Gemini,
    /// MCP: a JSON-RPC 2.0 error response, `{"jsonrpc":"2.0","id":null,"error":{"code",
    /// "message","data":{"status","code"}}}`. `id` is null here; a refused body is answered
    /// with its requests' ids by `body::mcp::error_response`.
    JsonRpc,
}

/// The error shape clients of `format` expect. Unknown APIs get the OpenAI shape, the most
/// widely imitated one.
pub fn style_for(format: ApiFormat) -> ErrorStyle {
    match format {
        ApiFormat::AnthropicMessages => ErrorStyle::Anthropic,
        ApiFormat::GeminiGenerateContent => ErrorStyle::Gemini,
        ApiFormat::Mcp => ErrorStyle::JsonRpc,
        ApiFormat::OpenAiChat
        | ApiFormat::OpenAiCompletions
        | ApiFormat::OpenAiResponses
        | ApiFormat::OpenAiEmbeddings
        | ApiFormat::Unknown => ErrorStyle::OpenAi,
    }
}

/// The JSON error body for `status`. `code` is a stable machine code (e.g. `pii_blocked`);
/// OpenAI carries it in `error.code`; Anthropic and Gemini have no slot for it, so
/// `host::send_error` also sends it as the `x-guardrail-code` header.
pub fn error_body(style: ErrorStyle, status: u16, code: &str, message: &str) -> Vec<u8> {
    // Keys in sorted order: the bytes serde_json wrote before (its maps are sorted).
    let mut out = String::with_capacity(128 + message.len());
    if style == ErrorStyle::JsonRpc {
        crate::body::mcp::error_object(&mut out, None, status, code, message);
        return out.into_bytes();
    }
    out.push_str("{\"error\":{");
    match style {
        ErrorStyle::OpenAi => {
            key(&mut out, "code");
            string(&mut out, code);
            key(&mut out, "message");
            string(&mut out, message);
            out.push_str(",\"param\":null");
            key(&mut out, "type");
            string(&mut out, openai_type(status));
            out.push('}');
        }
        ErrorStyle::Anthropic => {
            key(&mut out, "message");
            string(&mut out, message);
            key(&mut out, "type");
            string(&mut out, anthropic_type(status));
            out.push_str("},\"type\":\"error\"");
        }
        ErrorStyle::Gemini => {
            key(&mut out, "code");
            push_u64(&mut out, u64::from(status));
            key(&mut out, "message");
            string(&mut out, message);
            key(&mut out, "status");
            string(&mut out, gemini_status(status));
            out.push('}');
        }
        ErrorStyle::JsonRpc => {}
    }
    out.push('}');
    out.into_bytes()
}

/// The error body for a body the SDK could not scan (its message never contains body text).
pub fn body_error_body(style: ErrorStyle, err: &BodyError) -> Vec<u8> {
    error_body(style, err.status, err.code, &err.message)
}

/// A generic message for `status`, for callers with nothing more specific to say.
pub fn default_message(status: u16) -> &'static str {
    match status {
        400 => "The request was rejected by a gateway guardrail.",
        401 => "Missing or invalid API key.",
        403 => "This key is not allowed to make this request.",
        404 => "Not found.",
        413 => "The request body is too large to be checked.",
        415 => "The request body encoding or content type cannot be checked.",
        429 => "Rate limit exceeded.",
        _ if status >= 500 => "The gateway could not process the request.",
        _ => "The request was rejected by a gateway guardrail.",
    }
}

fn openai_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        s if s >= 500 => "server_error",
        _ => "invalid_request_error",
    }
}

/// Anthropic's documented error types by HTTP status.
fn anthropic_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        s if s >= 500 => "api_error",
        _ => "invalid_request_error",
    }
}

/// Google API canonical status names (google.rpc.Code) by HTTP status.
fn gemini_status(status: u16) -> &'static str {
    match status {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        s if s >= 500 => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parsed(style: ErrorStyle, status: u16) -> Value {
        serde_json::from_slice(&error_body(style, status, "guard_code", "Blocked.")).unwrap()
    }

    #[test]
    fn openai_shape() {
        let v = parsed(ErrorStyle::OpenAi, 400);
        assert_eq!(
            v,
            json!({"error": {"message": "Blocked.", "type": "invalid_request_error",
                             "param": null, "code": "guard_code"}})
        );
        assert_eq!(
            parsed(ErrorStyle::OpenAi, 401)["error"]["type"],
            "authentication_error"
        );
        assert_eq!(
            parsed(ErrorStyle::OpenAi, 503)["error"]["type"],
            "server_error"
        );
    }

    #[test]
    fn anthropic_shape_and_types_per_status() {
        assert_eq!(
            parsed(ErrorStyle::Anthropic, 400),
            json!({"type": "error", "error": {"type": "invalid_request_error", "message": "Blocked."}})
        );
        let table = [
            (400, "invalid_request_error"),
            (401, "authentication_error"),
            (403, "permission_error"),
            (404, "not_found_error"),
            (413, "request_too_large"),
            (415, "invalid_request_error"),
            (429, "rate_limit_error"),
            (500, "api_error"),
            (503, "api_error"),
            (529, "overloaded_error"),
        ];
        for (status, want) in table {
            assert_eq!(
                parsed(ErrorStyle::Anthropic, status)["error"]["type"],
                want,
                "{status}"
            );
        }
    }

    #[test]
    fn gemini_shape_and_statuses() {
        assert_eq!(
            parsed(ErrorStyle::Gemini, 403),
            json!({"error": {"code": 403, "message": "Blocked.", "status": "PERMISSION_DENIED"}})
        );
        let table = [
            (400, "INVALID_ARGUMENT"),
            (401, "UNAUTHENTICATED"),
            (403, "PERMISSION_DENIED"),
            (404, "NOT_FOUND"),
            (413, "INVALID_ARGUMENT"),
            (429, "RESOURCE_EXHAUSTED"),
            (500, "INTERNAL"),
            (503, "UNAVAILABLE"),
        ];
        for (status, want) in table {
            assert_eq!(
                parsed(ErrorStyle::Gemini, status)["error"]["status"],
                want,
                "{status}"
            );
        }
    }

    #[test]
    fn bodies_keep_the_bytes_serde_json_wrote() {
        let (code, message) = ("c_1", "No \"quotes\" \\ or\nlines.");
        for status in [400, 401, 403, 404, 413, 429, 500, 503, 529] {
            let serde = |v: Value| serde_json::to_vec(&v).unwrap();
            let want = [
                serde(
                    json!({"error": {"message": message, "type": openai_type(status),
                                       "param": null, "code": code}}),
                ),
                serde(json!({"type": "error",
                             "error": {"type": anthropic_type(status), "message": message}})),
                serde(json!({"error": {"code": status, "message": message,
                                       "status": gemini_status(status)}})),
            ];
            let styles = [
                ErrorStyle::OpenAi,
                ErrorStyle::Anthropic,
                ErrorStyle::Gemini,
            ];
            for (style, want) in styles.into_iter().zip(want) {
                assert_eq!(
                    String::from_utf8(error_body(style, status, code, message)).unwrap(),
                    String::from_utf8(want).unwrap()
                );
            }
        }
    }

    #[test]
    fn json_rpc_shape_for_mcp() {
        assert_eq!(style_for(ApiFormat::Mcp), ErrorStyle::JsonRpc);
        assert_eq!(
            parsed(ErrorStyle::JsonRpc, 403),
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": "Blocked.",
                   "data": {"status": 403, "code": "guard_code"}}})
        );
    }

    #[test]
    fn style_follows_format() {
        assert_eq!(style_for(ApiFormat::OpenAiChat), ErrorStyle::OpenAi);
        assert_eq!(style_for(ApiFormat::Unknown), ErrorStyle::OpenAi);
        assert_eq!(
            style_for(ApiFormat::AnthropicMessages),
            ErrorStyle::Anthropic
        );
        assert_eq!(
            style_for(ApiFormat::GeminiGenerateContent),
            ErrorStyle::Gemini
        );
    }

    #[test]
    fn messages_are_json_escaped_not_spliced() {
        let body = error_body(ErrorStyle::OpenAi, 400, "c", "quote \" and \\ and \n");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["message"], "quote \" and \\ and \n");
    }

    #[test]
    fn body_errors_keep_status_and_code() {
        let err = BodyError::new(
            415,
            "unsupported_encoding",
            "content-encoding not supported",
        );
        let v: Value = serde_json::from_slice(&body_error_body(ErrorStyle::Gemini, &err)).unwrap();
        assert_eq!(v["error"]["code"], 415);
        assert_eq!(v["error"]["message"], "content-encoding not supported");
    }

    #[test]
    fn default_messages_exist_for_common_statuses() {
        for status in [400, 401, 403, 404, 413, 415, 429, 500, 418] {
            assert!(!default_message(status).is_empty());
        }
    }
}
