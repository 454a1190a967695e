//! Driving a `BodyCollector` from the body and trailers callbacks, and reading/replacing the
//! buffered body.
//!
//! Host fact (Envoy, proxy-wasm ABI 0.2.1): while a body callback returns `Pause`, Envoy keeps
//! the chunks buffered and the next callback's `body_size` is the total buffered so far;
//! `proxy_get_buffer_bytes(0, size)` then returns all of it.

use super::abi;
use crate::buffer::{BodyCollector, Collect};
use crate::provider_error::{body_error_body, ErrorStyle};
use crate::BodyError;

/// What the plugin does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStep {
    /// Keep buffering: return `Action::Pause`.
    Wait,
    /// The whole body: scan it, then continue, rewrite or refuse.
    Ready(Vec<u8>),
    /// Refuse with this error (413 over the limit, or 500 when the host would not hand over
    /// the body): send it and return `Action::Pause`.
    Refuse(BodyError),
}

/// APISIX (wasm-nginx-module) runs the body callbacks only when the plugin sets the nginx
/// variables `wasm_process_req_body` / `wasm_process_resp_body` from its request-headers
/// callback (apache/apisix `apisix/wasm.lua`); without them every body check would silently
/// never run there (fail-open). Call this from `on_http_request_headers` of every plugin that
/// reads a body. Envoy stores the values as filter state (no effect); a host that refuses is
/// fine (the status is ignored, never a trap).
pub fn want_bodies(request: bool, response: bool) {
    if request {
        let _ = abi::set_property("wasm_process_req_body", b"1");
    }
    if response {
        let _ = abi::set_property("wasm_process_resp_body", b"1");
    }
}

/// Does this host keep request headers held by `Pause` in the headers callback while it still
/// runs the body callbacks, so nothing of a request (no connection, no header byte) goes
/// upstream before the body verdict? Envoy does when its wasm `PluginConfig` sets
/// `allow_on_headers_stop_iteration: true` (then `Pause` is `StopIteration`; without it
/// Envoy stops all iteration, the body callbacks never run and the request waits for the
/// stream timeout: fail closed). Envoy is recognised by the `xds.node` property (Envoy 1.40
/// answers it with the serialized bootstrap node; plain `node` is not found), which the nginx
/// hosts do not answer: Kong's ngx_wasm_module and APISIX read the whole body before they
/// connect upstream, and a paused headers phase there never reaches the body phase. Asked
/// once, in the root context. Natively: false.
pub fn holds_headers_for_body() -> bool {
    abi::get_property(&["xds", "node"]).is_ok()
}

/// Feed a request body callback to the collector.
pub fn on_request_body(c: &mut BodyCollector, body_size: usize, end_of_stream: bool) -> BodyStep {
    let state = c.on_body(body_size, end_of_stream);
    step(c, state, abi::BUFFER_REQUEST_BODY)
}

/// Trailers end the body (HTTP/2): see `buffer::BodyCollector`.
pub fn on_request_trailers(c: &mut BodyCollector) -> BodyStep {
    let state = c.on_trailers();
    step(c, state, abi::BUFFER_REQUEST_BODY)
}

/// Feed a response body callback to the collector.
pub fn on_response_body(c: &mut BodyCollector, body_size: usize, end_of_stream: bool) -> BodyStep {
    let state = c.on_body(body_size, end_of_stream);
    step(c, state, abi::BUFFER_RESPONSE_BODY)
}

/// Response trailers end the body.
pub fn on_response_trailers(c: &mut BodyCollector) -> BodyStep {
    let state = c.on_trailers();
    step(c, state, abi::BUFFER_RESPONSE_BODY)
}

fn step(c: &BodyCollector, state: Collect, buffer: u32) -> BodyStep {
    match state {
        Collect::NeedMore => BodyStep::Wait,
        Collect::TooLarge => BodyStep::Refuse(c.too_large_error()),
        Collect::Complete => match read(buffer, c.size()) {
            Some(bytes) => BodyStep::Ready(bytes),
            None => BodyStep::Refuse(unreadable()),
        },
    }
}

fn unreadable() -> BodyError {
    BodyError::new(
        500,
        "body_unavailable",
        "the gateway could not read the body",
    )
}

fn read(buffer: u32, size: usize) -> Option<Vec<u8>> {
    if size == 0 {
        return Some(Vec::new());
    }
    abi::get_buffer(buffer, 0, size).ok()
}

/// The first `size` buffered request body bytes; empty when the host refuses (an empty body
/// fails JSON parsing, so the request is refused rather than passed unscanned).
pub fn read_request_body(size: usize) -> Vec<u8> {
    read(abi::BUFFER_REQUEST_BODY, size).unwrap_or_default()
}

/// The first `size` buffered response body bytes; empty when the host refuses.
pub fn read_response_body(size: usize) -> Vec<u8> {
    read(abi::BUFFER_RESPONSE_BODY, size).unwrap_or_default()
}

/// Replace the first `old_size` buffered request body bytes with `body`. False when refused.
/// Remove `content-length` in the headers callback of any request you may rewrite.
///
/// Host fact (ngx_wasm_module, measured with nginx 1.27.4): nginx puts back the request's
/// original `Content-Length` once it has read the body, so a rewritten body of another length
/// went upstream under the old length (cut, or waited on). Where the headers are not held for
/// the body (the nginx hosts), the header is set to the new length here, after the rewrite.
pub fn replace_request_body(old_size: usize, body: &[u8]) -> bool {
    if abi::set_buffer(abi::BUFFER_REQUEST_BODY, 0, old_size, body).is_err() {
        return false;
    }
    if !holds_headers_for_body() {
        super::set_request_header("content-length", &body.len().to_string());
    }
    true
}

/// Replace the first `old_size` buffered response body bytes with `body`; false when refused.
pub fn replace_response_body(old_size: usize, body: &[u8]) -> bool {
    abi::set_buffer(abi::BUFFER_RESPONSE_BODY, 0, old_size, body).is_ok()
}

/// Turn an answer whose headers have not left yet into `err` in the provider's shape: status,
/// `content-type`, `x-guardrail-code` rewritten, `content-encoding`/`content-length` removed.
/// Returns the body to send with `send_replacement`.
pub fn replace_answer(style: ErrorStyle, err: &BodyError) -> Vec<u8> {
    super::set_response_header(":status", &err.status.to_string());
    super::set_response_header("content-type", "application/json");
    super::set_response_header(super::CODE_HEADER, err.code);
    super::remove_response_header("content-encoding");
    super::remove_response_header("content-length");
    body_error_body(style, err)
}

/// A response whose body is being replaced by `body` (headers already rewritten): each chunk
/// is emptied and the replacement goes out with the last one. True once it went out (the
/// caller then drops whatever still comes).
pub fn send_replacement(body: &mut Vec<u8>, size: usize, end_of_stream: bool) -> bool {
    let out = if end_of_stream {
        std::mem::take(body)
    } else {
        Vec::new()
    };
    replace_response_body(size, &out);
    end_of_stream
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::BodyPolicy;

    fn collector() -> BodyCollector {
        BodyCollector::new(BodyPolicy { max_bytes: 10 })
    }

    #[test]
    fn waits_then_refuses_oversize_without_touching_the_host() {
        let mut c = collector();
        assert_eq!(on_request_body(&mut c, 5, false), BodyStep::Wait);
        match on_request_body(&mut c, 11, false) {
            BodyStep::Refuse(err) => assert_eq!(err.status, 413),
            other => panic!("expected 413, got {other:?}"),
        }
    }

    #[test]
    fn empty_complete_body_needs_no_host_read() {
        let mut c = collector();
        assert_eq!(on_request_trailers(&mut c), BodyStep::Ready(Vec::new()));
    }

    #[test]
    fn host_refusing_the_body_is_a_refusal_not_a_pass() {
        // Natively every host call is refused (see abi.rs).
        let mut c = collector();
        match on_response_body(&mut c, 4, true) {
            BodyStep::Refuse(err) => assert_eq!(err.status, 500),
            other => panic!("expected refusal, got {other:?}"),
        }
        assert!(read_request_body(3).is_empty());
        assert!(!replace_request_body(3, b"x"));
    }
}
