//! webhook: an HTTP endpoint a plugin calls with `proxy_http_call` (review receivers, remote
//! classifiers): where it is, how long to wait, and the request headers. Pure.
//!
//! Host facts: Envoy names the target by cluster (it must exist in the bootstrap), Kong's
//! ngx_wasm_module by `host:port`. The answer is read with `host::call_answer`.

use crate::config::{ConfigError, FromConfig, Value};

/// Longest wait a plugin may configure: a request held longer is an outage, not a check.
pub const MAX_TIMEOUT_MS: u64 = 60_000;

/// Endpoint of an outgoing call (`"cluster"` is required; the rest has per-use defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Envoy cluster (Kong: `host:port`) of the receiver.
    pub cluster: String,
    /// Request path on the receiver; each use has its own default.
    pub path: Option<String>,
    /// `:authority` sent to the receiver; each use has its own default.
    pub authority: Option<String>,
    /// How long to wait for the answer (1..=60000 ms). Default 2000.
    pub timeout_ms: u64,
}

impl FromConfig for Webhook {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["cluster", "path", "authority", "timeout_ms"])?;
        Ok(Webhook {
            cluster: o.required("cluster")?,
            path: o.optional("path")?,
            authority: o.optional("authority")?,
            timeout_ms: o.or("timeout_ms", 2000)?,
        })
    }
}

fn token_like(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && s.bytes().all(|b| b.is_ascii_graphic())
}

impl Webhook {
    /// Check every field; `field` is this webhook's place in the config (for the message).
    pub fn validate(&self, field: &str) -> Result<(), String> {
        if !token_like(self.cluster.trim()) || self.cluster.trim() != self.cluster {
            return Err(format!(
                "{field}.cluster: must be a non-empty name without spaces"
            ));
        }
        if let Some(path) = &self.path {
            if !path.starts_with('/') || !token_like(path) {
                return Err(format!(
                    "{field}.path: must start with / and have no spaces"
                ));
            }
        }
        if let Some(authority) = &self.authority {
            if !token_like(authority) {
                return Err(format!("{field}.authority: must be a host name"));
            }
        }
        if self.timeout_ms == 0 || self.timeout_ms > MAX_TIMEOUT_MS {
            return Err(format!("{field}.timeout_ms: must be 1..={MAX_TIMEOUT_MS}"));
        }
        Ok(())
    }

    /// Headers of a JSON POST to this endpoint.
    pub fn post_headers<'a>(
        &'a self,
        default_path: &'a str,
        default_authority: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            (":method", "POST"),
            (":path", self.path.as_deref().unwrap_or(default_path)),
            (
                ":authority",
                self.authority.as_deref().unwrap_or(default_authority),
            ),
            ("content-type", "application/json"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    #[test]
    fn defaults_and_headers() {
        let w: Webhook = parse(br#"{"cluster":"review"}"#).unwrap();
        assert_eq!(w.timeout_ms, 2000);
        w.validate("review.webhook").unwrap();
        let h = w.post_headers("/review", "guardrail-review");
        assert!(h.contains(&(":path", "/review")));
        assert!(h.contains(&(":authority", "guardrail-review")));
        let w: Webhook =
            parse(br#"{"cluster":"c","path":"/x","authority":"a.example","timeout_ms":5}"#)
                .unwrap();
        let h = w.post_headers("/review", "guardrail-review");
        assert!(h.contains(&(":path", "/x")) && h.contains(&(":authority", "a.example")));
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (r#"{"cluster":""}"#, "hook.cluster"),
            (r#"{"cluster":"a b"}"#, "hook.cluster"),
            (r#"{"cluster":"c","path":"x"}"#, "hook.path"),
            (r#"{"cluster":"c","authority":""}"#, "hook.authority"),
            (r#"{"cluster":"c","timeout_ms":0}"#, "hook.timeout_ms"),
            (r#"{"cluster":"c","timeout_ms":60001}"#, "hook.timeout_ms"),
        ];
        for (raw, field) in cases {
            let w: Webhook = parse(raw.as_bytes()).unwrap();
            let err = w.validate("hook").unwrap_err();
            assert!(err.starts_with(field), "{raw}: {err}");
        }
        assert!(parse::<Webhook>(br#"{"cluster":"c","url":"x"}"#).is_err());
    }
}
