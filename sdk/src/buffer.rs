//! Body collection facts: when a buffered body is complete (end of stream or trailers), when it
//! is too large to scan, and whether its encoding and content type can be scanned at all.

use crate::BodyError;

/// Default body limit: 1 MiB.
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

/// How much body a plugin buffers before refusing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyPolicy {
    /// Largest body buffered; more is refused (413).
    pub max_bytes: usize,
}

impl Default for BodyPolicy {
    fn default() -> Self {
        BodyPolicy {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What to do after a body or trailers callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collect {
    /// Keep buffering (return `Action::Pause`).
    NeedMore,
    /// The whole body is buffered: read `size()` bytes and scan them.
    Complete,
    /// Over `max_bytes`: refuse with 413, never pass it on unscanned.
    TooLarge,
}

/// State machine fed by `on_http_{request,response}_body(body_size, end_of_stream)` and
/// `on_http_{request,response}_trailers`.
///
/// Host facts this relies on:
/// - `body_size` is the size of everything buffered so far, not of the new chunk, while the
///   plugin keeps returning `Pause` (Envoy `proxy_on_request_body`, proxy-wasm ABI 0.2.1).
/// - A request with HTTP/2 trailers never sees `end_of_stream = true` in a body callback; the
///   trailers callback is the end. Waiting only for end_of_stream would let such a body through
///   unscanned (the coraza-proxy-wasm trailer bypass), so trailers complete the body here.
#[derive(Debug, Clone)]
pub struct BodyCollector {
    policy: BodyPolicy,
    size: usize,
    state: Collect,
}

impl BodyCollector {
    /// A collector that has seen nothing yet.
    pub fn new(policy: BodyPolicy) -> Self {
        BodyCollector {
            policy,
            size: 0,
            state: Collect::NeedMore,
        }
    }

    /// Feed a body callback. Once `Complete` or `TooLarge`, later calls repeat that answer
    /// (a decided body is not re-decided).
    pub fn on_body(&mut self, body_size: usize, end_of_stream: bool) -> Collect {
        if self.state != Collect::NeedMore {
            return self.state;
        }
        self.size = self.size.max(body_size);
        self.state = if self.size > self.policy.max_bytes {
            Collect::TooLarge
        } else if end_of_stream {
            Collect::Complete
        } else {
            Collect::NeedMore
        };
        self.state
    }

    /// Feed a trailers callback: the body (whatever is buffered, possibly nothing) is complete.
    pub fn on_trailers(&mut self) -> Collect {
        if self.state == Collect::NeedMore {
            self.state = Collect::Complete;
        }
        self.state
    }

    /// Bytes buffered as of the last body callback.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Where the collection stands.
    pub fn state(&self) -> Collect {
        self.state
    }

    /// The policy's limit.
    pub fn max_bytes(&self) -> usize {
        self.policy.max_bytes
    }

    /// The 413 error for a `TooLarge` body.
    pub fn too_large_error(&self) -> BodyError {
        BodyError::new(
            413,
            "body_too_large",
            format!(
                "body exceeds the {} byte limit of this gateway",
                self.policy.max_bytes
            ),
        )
    }
}

/// A body is scannable only without a content-encoding (or `identity`). Everything else (gzip,
/// br, zstd, deflate, unknown tokens, lists like `gzip, identity`) is a 415: compressed bytes
/// are never scanned raw, or a guardrail could be bypassed by compressing the prompt.
pub fn check_content_encoding(value: Option<&str>) -> Result<(), BodyError> {
    let Some(value) = value else {
        return Ok(());
    };
    let tokens: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.iter().all(|t| t.eq_ignore_ascii_case("identity")) {
        return Ok(());
    }
    Err(BodyError::new(
        415,
        "unsupported_content_encoding",
        "compressed bodies cannot be checked; send the body without content-encoding",
    ))
}

/// True for `application/json`, `application/<x>+json` and `text/json` (parameters and case
/// ignored). An absent content type is not JSON here; callers decide whether to scan it anyway
/// (the fail policy scans bodies without a content type).
pub fn is_json_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let kind = kind.trim();
    let subtype = subtype.trim();
    (kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || ends_with_ignore_case(subtype, "+json")))
        || (kind.eq_ignore_ascii_case("text") && subtype.eq_ignore_ascii_case("json"))
}

/// The fail policy's scan rule: a body is scanned when its content type is JSON or absent.
/// (Compressed bodies are refused before this by `check_content_encoding`.)
pub fn needs_scan(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|ct| ct.trim().is_empty() || is_json_content_type(Some(ct)))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.get(s.len() - suffix.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collector(max: usize) -> BodyCollector {
        BodyCollector::new(BodyPolicy { max_bytes: max })
    }

    #[test]
    fn completes_on_end_of_stream() {
        let mut c = collector(100);
        assert_eq!(c.on_body(10, false), Collect::NeedMore);
        assert_eq!(c.on_body(30, false), Collect::NeedMore);
        assert_eq!(c.on_body(50, true), Collect::Complete);
        assert_eq!(c.size(), 50);
        assert_eq!(c.on_body(50, true), Collect::Complete);
    }

    #[test]
    fn trailers_complete_the_body() {
        // HTTP/2 with trailers: no body callback ever has end_of_stream=true.
        let mut c = collector(100);
        assert_eq!(c.on_body(10, false), Collect::NeedMore);
        assert_eq!(c.on_body(40, false), Collect::NeedMore);
        assert_eq!(c.on_trailers(), Collect::Complete);
        assert_eq!(c.size(), 40);
        // Trailers with no body at all.
        assert_eq!(collector(100).on_trailers(), Collect::Complete);
    }

    #[test]
    fn over_limit_is_too_large_and_stays_so() {
        let mut c = collector(100);
        assert_eq!(c.on_body(100, false), Collect::NeedMore);
        assert_eq!(c.on_body(101, false), Collect::TooLarge);
        assert_eq!(c.on_body(101, true), Collect::TooLarge);
        assert_eq!(c.on_trailers(), Collect::TooLarge);
        assert_eq!(c.too_large_error().status, 413);
        // Exactly at the limit with end of stream is fine; one past it in one chunk is not.
        assert_eq!(collector(100).on_body(100, true), Collect::Complete);
        assert_eq!(collector(100).on_body(101, true), Collect::TooLarge);
    }

    #[test]
    fn empty_body_with_end_of_stream_completes() {
        assert_eq!(collector(0).on_body(0, true), Collect::Complete);
        assert_eq!(collector(0).on_body(1, true), Collect::TooLarge);
    }

    #[test]
    fn body_size_is_cumulative_never_shrinks() {
        // A host reporting a smaller cumulative size must not reset the count.
        let mut c = collector(100);
        c.on_body(80, false);
        c.on_body(5, false);
        assert_eq!(c.size(), 80);
    }

    #[test]
    fn content_encoding_only_identity_passes() {
        for ok in [
            None,
            Some("identity"),
            Some(" IDENTITY "),
            Some(""),
            Some("identity, identity"),
        ] {
            assert!(check_content_encoding(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "gzip",
            "GZIP",
            " gzip ",
            "br",
            "zstd",
            "deflate",
            "x-gzip",
            "compress",
            "gzip, identity",
            "identity, br",
            "unknown",
            "identity;q=1",
        ] {
            let err = check_content_encoding(Some(bad)).unwrap_err();
            assert_eq!(err.status, 415, "{bad}");
            assert_eq!(err.code, "unsupported_content_encoding");
        }
    }

    #[test]
    fn json_content_types() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ",
            "application/vnd.api+json",
            "text/json",
        ] {
            assert!(is_json_content_type(Some(yes)), "{yes}");
        }
        for no in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "json",
            "",
            "application/",
            "+json",
        ] {
            assert!(!is_json_content_type(Some(no)), "{no}");
        }
        assert!(!is_json_content_type(None));
    }

    #[test]
    fn scan_rule_covers_json_and_missing_content_type() {
        assert!(needs_scan(None));
        assert!(needs_scan(Some("")));
        assert!(needs_scan(Some("application/json")));
        assert!(!needs_scan(Some("multipart/form-data")));
    }
}
