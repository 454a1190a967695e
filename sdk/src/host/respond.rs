//! Answering the client from the plugin (provider-shaped local replies) and writing logs.

use super::abi;
use crate::provider_error::{body_error_body, error_body, ErrorStyle};
use crate::verdict_log::{safe_token, VerdictLog};
use crate::BodyError;

/// Response header carrying the machine code of a guardrail refusal (Anthropic and Gemini
/// error bodies have no slot for it).
pub const CODE_HEADER: &str = "x-guardrail-code";

/// Log levels the plugins use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Info.
    Info,
    /// Warn.
    Warn,
    /// Error.
    Error,
    /// For "refusing to start" messages from `on_configure`.
    Critical,
}

/// Write a log line through `proxy_log`. A host that refuses logging is ignored (there is
/// nowhere else to report it). Never pass prompt text, keys or PII.
pub fn log(level: Level, message: &str) {
    let level = match level {
        Level::Info => abi::LOG_INFO,
        Level::Warn => abi::LOG_WARN,
        Level::Error => abi::LOG_ERROR,
        Level::Critical => abi::LOG_CRITICAL,
    };
    let _ = abi::log(level, message);
}

/// The verdict line at Info, and the verdict published as a property for Envoy's access log
/// and tracers (`guardrail.<plugin>`, see `VerdictLog::state_value`). A host that refuses the
/// property (no filter state) loses only that copy.
pub fn log_verdict(line: &VerdictLog) {
    log(Level::Info, &line.to_json_line());
    publish(&line.state_name(), &line.state_value());
}

/// Publish `value` as the property `name` for the host's other filters. Envoy keeps it as
/// filter state `wasm.<name>`, readable by access-log formatters
/// (`%FILTER_STATE(wasm.<name>:PLAIN)%`), tracing custom tags and CEL rate-limit descriptors
/// (`filter_state['wasm.<name>']`). Ids and numbers only, never text a client sent. False when
/// the host refused it (no filter state there).
pub fn publish(name: &str, value: &str) -> bool {
    abi::set_property(name, value.as_bytes()).is_ok()
}

/// Answer the client with `status` and a JSON error body in the provider's shape, with
/// `content-type: application/json`, `x-guardrail-code: <code>` and `extra` headers.
/// Returns false when the host refused the local reply (then the caller must not continue the
/// stream: return `Action::Pause` anyway, fail closed).
pub fn send_error(
    style: ErrorStyle,
    status: u16,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
) -> bool {
    let body = error_body(style, status, code, message);
    send_json(status, code, &body, extra)
}

/// `send_error` for a body that could not be scanned (400/413/415 from the SDK).
pub fn send_body_error(style: ErrorStyle, err: &BodyError, extra: &[(&str, &str)]) -> bool {
    let body = body_error_body(style, err);
    send_json(err.status, err.code, &body, extra)
}

/// Answer the client with `status` and this JSON error `body` (built by the caller: an MCP
/// refusal carries the request's JSON-RPC ids), with the same headers as `send_error`.
pub fn send_error_body(status: u16, code: &str, body: &[u8], extra: &[(&str, &str)]) -> bool {
    send_json(status, code, body, extra)
}

fn send_json(status: u16, code: &str, body: &[u8], extra: &[(&str, &str)]) -> bool {
    let code = safe_token(code);
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(2 + extra.len());
    headers.push(("content-type", "application/json"));
    headers.push((CODE_HEADER, code));
    headers.extend_from_slice(extra);
    let wire = abi::serialize_headers(&headers);
    // Envoy shows `details` as %RESPONSE_CODE_DETAILS%; it must not contain spaces.
    let details = format!("guardrail_{code}");
    match abi::send_local_response(u32::from(status), &details, body, &wire) {
        Ok(()) => true,
        Err(host_status) => {
            log(
                Level::Error,
                &format!("guardrail: host refused the local reply (status {host_status})"),
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict_log::Phase;

    #[test]
    fn a_refused_local_reply_is_reported_not_a_trap() {
        // Natively every host call is refused (see abi.rs).
        assert!(!send_error(
            ErrorStyle::OpenAi,
            403,
            "denied",
            "Denied.",
            &[("a", "b")]
        ));
        let err = BodyError::new(415, "unsupported_content_encoding", "compressed");
        assert!(!send_body_error(ErrorStyle::Gemini, &err, &[]));
        log(Level::Critical, "no host to log to");
        log_verdict(&VerdictLog::new("p", "0", "r", Phase::Request));
    }
}
