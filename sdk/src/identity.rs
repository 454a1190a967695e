//! Signed caller identity passed between chained plugins in one header:
//! `base64url(JSON payload) "." base64url(HMAC-SHA-256(secret, first part))`.

use crate::config::{self, ConfigError, FromConfig, Value};
use crate::hash::{ct_eq, hmac_sha256};
use crate::write::{key, list, push_u64, string};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::fmt;

mod verify_cache;
pub use verify_cache::VerifyCache;

/// The request header that carries the signed identity. key-auth strips any client-sent copy
/// before setting its own.
pub const HEADER: &str = "x-guardrail-identity";

/// Longest header value `verify` looks at; anything longer is refused before decoding.
pub const MAX_HEADER_BYTES: usize = 4096;

/// Who is calling, as established by key-auth. Empty strings/lists mean "not set".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// Stable, non-secret key id (safe to log), never the key itself.
    pub key_id: String,
    /// Team of the key.
    pub team: String,
    /// Environment of the key (e.g. `prod`).
    pub env: String,
    /// Application of the key.
    pub app: String,
    /// Providers this key may reach (empty: no restriction from the key).
    pub providers: Vec<String>,
    /// Model globs this key may use (empty: no restriction from the key).
    pub models: Vec<String>,
}

/// The signed JSON payload: the identity plus when it was issued, every field present, in
/// this order: `{"key_id","team","env","app","providers","models","iat"}`.
const PAYLOAD_FIELDS: &[&str] = &["key_id", "team", "env", "app", "providers", "models", "iat"];

fn payload_json(id: &Identity, iat: u64) -> String {
    let mut out = String::with_capacity(128);
    out.push('{');
    for (name, value) in [
        ("key_id", &id.key_id),
        ("team", &id.team),
        ("env", &id.env),
        ("app", &id.app),
    ] {
        key(&mut out, name);
        string(&mut out, value);
    }
    key(&mut out, "providers");
    list(&mut out, &id.providers);
    key(&mut out, "models");
    list(&mut out, &id.models);
    key(&mut out, "iat");
    push_u64(&mut out, iat);
    out.push('}');
    out
}

/// The payload read back: the identity and its issue time.
struct Payload(Identity, u64);

impl FromConfig for Payload {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(PAYLOAD_FIELDS)?;
        let id = Identity {
            key_id: o.required("key_id")?,
            team: o.required("team")?,
            env: o.required("env")?,
            app: o.required("app")?,
            providers: o.required("providers")?,
            models: o.required("models")?,
        };
        Ok(Payload(id, o.required("iat")?))
    }
}

/// Why a header value is not a valid identity. Treat every variant as "no identity".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityError {
    /// Longer than the limit.
    TooLong,
    /// Not `payload.signature` in base64url, or the payload is not the expected JSON.
    Malformed,
    /// The signature does not verify with this secret.
    BadSignature,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentityError::TooLong => "identity header too long",
            IdentityError::Malformed => "identity header malformed",
            IdentityError::BadSignature => "identity header signature invalid",
        })
    }
}

impl std::error::Error for IdentityError {}

/// Sign `id` (issued at `issued_at_unix` seconds) with `secret`.
pub fn sign(id: &Identity, secret: &[u8], issued_at_unix: u64) -> String {
    let json = payload_json(id, issued_at_unix);
    let encoded = URL_SAFE_NO_PAD.encode(json);
    let mac = hmac_sha256(secret, encoded.as_bytes());
    format!("{encoded}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// Check the signature (constant time) and decode. Returns the identity and its issue time.
pub fn verify(value: &str, secret: &[u8]) -> Result<(Identity, u64), IdentityError> {
    if value.len() > MAX_HEADER_BYTES {
        return Err(IdentityError::TooLong);
    }
    let (encoded, signature) = value.split_once('.').ok_or(IdentityError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| IdentityError::Malformed)?;
    let expected = hmac_sha256(secret, encoded.as_bytes());
    if !ct_eq(&signature, &expected) {
        return Err(IdentityError::BadSignature);
    }
    let json = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| IdentityError::Malformed)?;
    let Payload(id, iat) = config::parse_document(&json).map_err(|_| IdentityError::Malformed)?;
    Ok((id, iat))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"demo-identity-secret-change-me";

    fn sample() -> Identity {
        Identity {
            key_id: "k_team1_prod".into(),
            team: "team1".into(),
            env: "prod".into(),
            app: "chat".into(),
            providers: vec!["openai".into()],
            models: vec!["gpt-4o*".into()],
        }
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let header = sign(&sample(), SECRET, 1_700_000_000);
        assert_eq!(verify(&header, SECRET), Ok((sample(), 1_700_000_000)));
        assert_eq!(header.matches('.').count(), 1);
        assert!(header.len() < MAX_HEADER_BYTES);
    }

    #[test]
    fn payload_keeps_its_wire_format() {
        let header = sign(&sample(), SECRET, 1_700_000_000);
        let (encoded, _) = header.split_once('.').unwrap();
        let json = URL_SAFE_NO_PAD.decode(encoded).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"key_id":"k_team1_prod","team":"team1","env":"prod","app":"chat","providers":["openai"],"models":["gpt-4o*"],"iat":1700000000}"#
        );
    }

    #[test]
    fn every_payload_field_is_required() {
        let signed = |json: &str| {
            let encoded = URL_SAFE_NO_PAD.encode(json);
            let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(SECRET, encoded.as_bytes()));
            verify(&format!("{encoded}.{sig}"), SECRET)
        };
        let full =
            r#"{"key_id":"k","team":"","env":"","app":"","providers":[],"models":[],"iat":5}"#;
        assert_eq!(signed(full).map(|(_, iat)| iat), Ok(5));
        for bad in [
            r#"{"key_id":"k","team":"","env":"","app":"","providers":[],"models":[]}"#,
            r#"{"key_id":"k","team":"","env":"","app":"","providers":[],"models":[],"iat":5,"x":1}"#,
            r#"{"key_id":"k","team":"","env":"","app":"","providers":[1],"models":[],"iat":5}"#,
            r#"{"key_id":"k","key_id":"j","team":"","env":"","app":"","providers":[],"models":[],"iat":5}"#,
            "  ",
        ] {
            assert_eq!(signed(bad), Err(IdentityError::Malformed), "{bad}");
        }
    }

    #[test]
    fn wrong_secret_is_bad_signature() {
        let header = sign(&sample(), SECRET, 1);
        assert_eq!(
            verify(&header, b"other-secret"),
            Err(IdentityError::BadSignature)
        );
    }

    #[test]
    fn tampered_payload_is_bad_signature() {
        let header = sign(&sample(), SECRET, 1);
        let (payload, sig) = header.split_once('.').unwrap();
        let mut other = sample();
        other.models = vec!["*".into()];
        let forged_payload = sign(&other, b"attacker", 1);
        let (forged, _) = forged_payload.split_once('.').unwrap();
        assert_ne!(payload, forged);
        assert_eq!(
            verify(&format!("{forged}.{sig}"), SECRET),
            Err(IdentityError::BadSignature)
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        for value in ["", ".", "abc", "abc.", "!!!.???", "a.b.c", "e30.%%%"] {
            let got = verify(value, SECRET);
            assert!(
                matches!(
                    got,
                    Err(IdentityError::Malformed | IdentityError::BadSignature)
                ),
                "{value:?} -> {got:?}"
            );
        }
        // Correctly signed but not an identity payload (an empty one is not `{}`).
        for payload in [&b"{\"x\":1}"[..], b"", b" \n"] {
            let encoded = URL_SAFE_NO_PAD.encode(payload);
            let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(SECRET, encoded.as_bytes()));
            assert_eq!(
                verify(&format!("{encoded}.{sig}"), SECRET),
                Err(IdentityError::Malformed),
                "{payload:?}"
            );
        }
        // Correctly signed but not base64url.
        let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(SECRET, b"*"));
        assert_eq!(
            verify(&format!("*.{sig}"), SECRET),
            Err(IdentityError::Malformed)
        );
    }

    #[test]
    fn oversize_is_refused_before_decoding() {
        let huge = "a".repeat(MAX_HEADER_BYTES + 1);
        assert_eq!(verify(&huge, SECRET), Err(IdentityError::TooLong));
    }

    #[test]
    fn unset_fields_default_to_empty() {
        let id = Identity {
            key_id: "k".into(),
            ..Identity::default()
        };
        let (back, _) = verify(&sign(&id, SECRET, 0), SECRET).unwrap();
        assert_eq!(back, id);
    }
}
