//! Outgoing `proxy_http_call`s: posting JSON to a configured webhook, reading the answer inside
//! `on_http_call_response` and resuming the held request, through status-returning ABI calls
//! where the proxy-wasm SDK's own getters and `resume_http_request` panic on an unexpected
//! status (proxy-wasm 0.2.5 `hostcalls.rs`). Dispatch itself stays the SDK's: it registers
//! the token so the answer reaches the calling context.
//!
//! Host fact: Envoy reports a failed call (timeout, reset, unknown cluster) by running the
//! callback with no headers (source/extensions/common/wasm/context.cc `onHttpCallFailure`),
//! so `status` is `None` then.

use super::abi;
use super::respond::{log, Level};
use crate::webhook::Webhook;
use proxy_wasm::traits::Context;
use std::time::Duration;

/// POST `body` (JSON) to `hook`; the answer comes to `ctx`'s `on_http_call_response`. False
/// (and one Warn line naming `what`) when the host refused to dispatch.
pub fn post_json(
    ctx: &dyn Context,
    hook: &Webhook,
    defaults: (&str, &str),
    body: &[u8],
    what: &str,
) -> bool {
    let headers = hook.post_headers(defaults.0, defaults.1);
    let timeout = Duration::from_millis(hook.timeout_ms);
    match ctx.dispatch_http_call(&hook.cluster, headers, Some(body), vec![], timeout) {
        Ok(_) => true,
        Err(status) => {
            log(
                Level::Warn,
                &format!("{what}: call to cluster refused by the host: {status:?}"),
            );
            false
        }
    }
}

/// Resume the request this context paused; false (and one Warn line) where the host refuses,
/// which leaves the request held until the proxy times it out instead of trapping the VM.
pub fn resume_request(what: &str) -> bool {
    match abi::continue_stream(abi::STREAM_REQUEST) {
        Ok(()) => true,
        Err(status) => {
            log(
                Level::Warn,
                &format!("{what}: the host refused to resume the request: status {status}"),
            );
            false
        }
    }
}

/// Status and body of the answer (`status: None`: the call failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallAnswer {
    /// `:status` of the answer; `None`: the call failed (no headers).
    pub status: Option<u16>,
    /// The answer's body.
    pub body: Vec<u8>,
}

impl CallAnswer {
    /// A 2xx answer.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Read the answer; `body_size` is the callback's argument.
pub fn call_answer(body_size: usize) -> CallAnswer {
    let status = abi::get_header(abi::MAP_HTTP_CALL_RESPONSE_HEADERS, ":status")
        .ok()
        .flatten()
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u16>().ok());
    let body = if body_size == 0 {
        Vec::new()
    } else {
        abi::get_buffer(abi::BUFFER_HTTP_CALL_RESPONSE_BODY, 0, body_size).unwrap_or_default()
    };
    CallAnswer { status, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_host_the_call_failed() {
        let a = call_answer(10);
        assert_eq!(a.status, None);
        assert!(!a.ok());
    }
}
