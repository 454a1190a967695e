//! The answer to an outgoing `proxy_http_call`, read inside `on_http_call_response` through
//! the status-returning ABI calls (the SDK's own getters panic on unexpected statuses).
//!
//! Host fact: Envoy reports a failed call (timeout, reset, unknown cluster) by running the
//! callback with no headers (source/extensions/common/wasm/context.cc `onHttpCallFailure`),
//! so `status` is `None` then.

use super::abi;

/// Status and body of the answer (`status: None`: the call failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallAnswer {
    pub status: Option<u16>,
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
