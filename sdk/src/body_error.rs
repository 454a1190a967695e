//! The one error type for a body that cannot be scanned: it carries the HTTP status and a
//! provider-neutral error code, and a message that never contains body text.

use std::fmt;

/// Why a request or response body is refused. `message` is safe to send to the client and to log:
/// it names positions and field paths, never the body's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    /// 400 (malformed), 413 (too large), 415 (encoding or content type we cannot scan).
    pub status: u16,
    /// Stable machine code, e.g. `invalid_json`, `duplicate_key`, `too_deep`, `body_too_large`.
    pub code: &'static str,
    /// Client-facing reason (never body text).
    pub message: String,
}

impl BodyError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// A 400.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for BodyError {}
