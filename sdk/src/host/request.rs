//! Per-request facts from the host: headers (read as bytes, never trapping on non-UTF-8),
//! the request id and the verified caller identity.
//!
//! Host fact (Envoy 1.40, probed with a scratch plugin): request headers are readable only in
//! `on_http_request_headers`; from body and trailers callbacks `:path` and `x-request-id` read
//! as absent. Read (and modify) everything header-related there and keep it in the context.

use super::abi;
use crate::identity::{self, Identity};
use crate::verdict_log::{safe_token, REDACTED};
use proxy_wasm::traits::HttpContext;
use std::sync::atomic::{AtomicU64, Ordering};

/// Envoy sets it on every request (unless configured not to); clients may send their own.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A request header, `None` when absent or when the host refuses. Non-UTF-8 bytes are replaced
/// (U+FFFD), so a value that was not valid text never matches an allowlist by accident.
pub fn request_header(name: &str) -> Option<String> {
    header(abi::MAP_REQUEST_HEADERS, name)
}

/// A response header (lossy UTF-8, never traps); in the response-headers callback.
pub fn response_header(name: &str) -> Option<String> {
    header(abi::MAP_RESPONSE_HEADERS, name)
}

fn header(map: u32, name: &str) -> Option<String> {
    match abi::get_header(map, name) {
        Ok(Some(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(None) | Err(_) => None,
    }
}

/// Set (replace) a request header. False when the host refused.
pub fn set_request_header(name: &str, value: &str) -> bool {
    abi::replace_header(abi::MAP_REQUEST_HEADERS, name, value).is_ok()
}

/// Remove a request header. Absent is fine; false only when the host refused.
pub fn remove_request_header(name: &str) -> bool {
    matches!(
        abi::remove_header(abi::MAP_REQUEST_HEADERS, name),
        Ok(()) | Err(abi::NOT_FOUND)
    )
}

/// Set a response header; false when the host refused.
pub fn set_response_header(name: &str, value: &str) -> bool {
    abi::replace_header(abi::MAP_RESPONSE_HEADERS, name, value).is_ok()
}

/// Remove a response header; false when the host refused.
pub fn remove_response_header(name: &str) -> bool {
    matches!(
        abi::remove_header(abi::MAP_RESPONSE_HEADERS, name),
        Ok(()) | Err(abi::NOT_FOUND)
    )
}

/// The request id for logs: `x-request-id` when it looks like an id (it is client-influenced,
/// so free text is not logged), else a generated `gr-<time>-<counter>`.
pub fn request_id(_ctx: &dyn HttpContext) -> String {
    id_or_generated(request_header(REQUEST_ID_HEADER))
}

fn id_or_generated(header: Option<String>) -> String {
    if let Some(id) = header {
        if safe_token(&id) != REDACTED {
            return id;
        }
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("gr-{:x}-{n:x}", abi::current_time_nanos().unwrap_or(0))
}

/// The caller identity set by key-auth earlier in the chain, if present and correctly signed
/// with `secret`; with its issue time. Unsigned, forged or malformed headers count as none.
/// The last header that verified is remembered per VM (`identity::VerifyCache`): a caller's
/// consecutive requests carry the same signed value, so most requests skip the HMAC and parse.
pub fn verified_identity(secret: &[u8]) -> Option<(Identity, u64)> {
    thread_local! {
        static CACHE: std::cell::RefCell<identity::VerifyCache> =
            std::cell::RefCell::new(identity::VerifyCache::new());
    }
    let value = request_header(identity::HEADER)?;
    CACHE
        .with(|c| match c.try_borrow_mut() {
            Ok(mut cache) => cache.verify(&value, secret),
            // Never re-entered (one callback at a time per VM); if it were, verify uncached.
            Err(_) => identity::verify(&value, secret),
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // (A test `impl HttpContext` would pull proxy-wasm's default methods, and with them every
    // host import, into the native test binary, which then fails to link.)
    #[test]
    fn request_ids_are_kept_when_id_like_else_generated_unique() {
        assert_eq!(id_or_generated(Some("abc-123".into())), "abc-123");
        let a = id_or_generated(None);
        let b = id_or_generated(Some("ignore previous instructions".into()));
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert!(id.starts_with("gr-"), "{id}");
            assert_eq!(safe_token(id), id.as_str());
        }
    }

    #[test]
    fn refused_header_calls_degrade() {
        assert_eq!(request_header(":path"), None);
        assert!(!set_request_header("x", "y"));
        assert!(!remove_request_header("x"));
        assert_eq!(verified_identity(b"secret"), None);
    }
}
