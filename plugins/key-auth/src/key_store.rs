//! key_store: the configured keys, held only as digests of the client key, and the lookup of
//! a presented key: HMAC-SHA-256 with the pepper (or plain SHA-256), compared in constant time
//! against every configured credential (no early exit), then disabled/validity checks.

use crate::config::Budget;
use guardrail_sdk::hash;

/// How a credential is stored: `hmac-sha256:<64 hex>` (keyed with the pepper) or
/// `sha256:<64 hex>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    HmacSha256([u8; 32]),
    Sha256([u8; 32]),
}

impl Digest {
    pub fn parse(text: &str) -> Result<Digest, String> {
        let (algo, hex) = text
            .split_once(':')
            .ok_or_else(|| "must be `hmac-sha256:<64 hex>` or `sha256:<64 hex>`".to_string())?;
        let bytes = hash::parse_hex32(hex)
            .filter(|_| hex.len() == 64)
            .ok_or_else(|| "the digest must be exactly 64 hex digits".to_string())?;
        match algo {
            "hmac-sha256" => Ok(Digest::HmacSha256(bytes)),
            "sha256" => Ok(Digest::Sha256(bytes)),
            other => Err(format!(
                "unknown hash algorithm {other:?} (use hmac-sha256 or sha256)"
            )),
        }
    }

    fn bytes(&self) -> &[u8; 32] {
        match self {
            Digest::HmacSha256(b) | Digest::Sha256(b) => b,
        }
    }
}

/// The config text for a key: what `guardrail keygen` prints and the plugin compares against.
pub fn digest_text(key: &str, pepper: Option<&[u8]>) -> String {
    match pepper {
        Some(p) => format!(
            "hmac-sha256:{}",
            hash::hex(&hash::hmac_sha256(p, key.as_bytes()))
        ),
        None => format!("sha256:{}", hash::hex(&hash::sha256(key.as_bytes()))),
    }
}

/// `not_before <= now < expires_at`, unix seconds; either side optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    pub not_before: Option<u64>,
    pub expires_at: Option<u64>,
}

/// A validity check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeCheck {
    Valid,
    NotYetValid,
    Expired,
    /// Bounded, but the host has no clock.
    Unchecked,
}

impl Validity {
    pub fn is_bounded(&self) -> bool {
        self.not_before.is_some() || self.expires_at.is_some()
    }

    pub fn check(&self, now: Option<u64>) -> TimeCheck {
        if !self.is_bounded() {
            return TimeCheck::Valid;
        }
        let Some(now) = now else {
            return TimeCheck::Unchecked;
        };
        if self.not_before.is_some_and(|nb| now < nb) {
            TimeCheck::NotYetValid
        } else if self.expires_at.is_some_and(|exp| now >= exp) {
            TimeCheck::Expired
        } else {
            TimeCheck::Valid
        }
    }
}

/// One accepted client key of an identity (several allow rotation with an overlap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub digest: Digest,
    /// Non-secret name for logs (e.g. `2026-q4`); may be empty.
    pub label: String,
    pub validity: Validity,
    pub disabled: bool,
}

/// An identity: who the caller is and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub id: String,
    pub team: String,
    pub env: String,
    pub app: String,
    pub credentials: Vec<Credential>,
    pub validity: Validity,
    pub disabled: bool,
    /// Provider names this key may reach; empty = any.
    pub providers: Vec<String>,
    /// Model globs; empty = any.
    pub models: Vec<String>,
    pub rate_limit_per_minute: Option<u64>,
    pub token_budget: Option<Budget>,
}

/// Why a presented key was not accepted. Every variant answers the client the same 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Unknown,
    Disabled,
    NotYetValid,
    Expired,
}

impl Rejection {
    /// Rule id for the verdict log (never shown to the client).
    pub fn rule(self) -> &'static str {
        match self {
            Rejection::Unknown => "key_auth.unknown_key",
            Rejection::Disabled => "key_auth.disabled_key",
            Rejection::NotYetValid => "key_auth.not_yet_valid",
            Rejection::Expired => "key_auth.expired_key",
        }
    }
}

/// A key that passed the digest, disabled and (where a clock exists) validity checks.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated<'a> {
    pub key: &'a KeyEntry,
    pub credential: &'a Credential,
    /// A validity window applies but the host has no clock to check it.
    pub time_unchecked: bool,
}

/// The outcome of a lookup; a rejected known key still names its id for the log.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Accepted(Authenticated<'a>),
    Rejected {
        why: Rejection,
        key_id: Option<&'a str>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    keys: Vec<KeyEntry>,
    pepper: Option<Vec<u8>>,
    any_sha256: bool,
}

impl KeyStore {
    pub fn new(keys: Vec<KeyEntry>, pepper: Option<Vec<u8>>) -> KeyStore {
        let any_sha256 = keys
            .iter()
            .flat_map(|k| &k.credentials)
            .any(|c| matches!(c.digest, Digest::Sha256(_)));
        KeyStore {
            keys,
            pepper,
            any_sha256,
        }
    }

    pub fn keys(&self) -> &[KeyEntry] {
        &self.keys
    }

    /// Two credentials with the same digest (ambiguous identity): their key ids.
    pub fn duplicate_digest(&self) -> Option<(String, String)> {
        let all: Vec<(&Digest, &str)> = self
            .keys
            .iter()
            .flat_map(|k| {
                k.credentials
                    .iter()
                    .map(move |c| (&c.digest, k.id.as_str()))
            })
            .collect();
        for (i, (d, id)) in all.iter().enumerate() {
            for (d2, id2) in all.iter().skip(i + 1) {
                if d == d2 {
                    return Some((id.to_string(), id2.to_string()));
                }
            }
        }
        None
    }

    /// Find the credential for `presented`: every configured digest is compared in constant
    /// time and the scan never stops early, so timing does not depend on which (if any)
    /// credential matched.
    pub fn find(&self, presented: &str) -> Option<(&KeyEntry, &Credential)> {
        let hmac = self
            .pepper
            .as_deref()
            .map(|p| hash::hmac_sha256(p, presented.as_bytes()));
        let sha = self.any_sha256.then(|| hash::sha256(presented.as_bytes()));
        let mut found = None;
        for key in &self.keys {
            for cred in &key.credentials {
                let candidate = match cred.digest {
                    Digest::HmacSha256(_) => hmac.as_ref(),
                    Digest::Sha256(_) => sha.as_ref(),
                };
                let hit = candidate.is_some_and(|c| hash::ct_eq(c, cred.digest.bytes()));
                if hit {
                    found = Some((key, cred));
                }
            }
        }
        found
    }

    /// Authenticate `presented` at `now` (unix seconds, `None` without a clock).
    pub fn lookup(&self, presented: &str, now: Option<u64>) -> Lookup<'_> {
        let Some((key, cred)) = self.find(presented) else {
            return Lookup::Rejected {
                why: Rejection::Unknown,
                key_id: None,
            };
        };
        let reject = |why| Lookup::Rejected {
            why,
            key_id: Some(key.id.as_str()),
        };
        if key.disabled || cred.disabled {
            return reject(Rejection::Disabled);
        }
        let mut time_unchecked = false;
        for validity in [key.validity, cred.validity] {
            match validity.check(now) {
                TimeCheck::Valid => {}
                TimeCheck::Unchecked => time_unchecked = true,
                TimeCheck::NotYetValid => return reject(Rejection::NotYetValid),
                TimeCheck::Expired => return reject(Rejection::Expired),
            }
        }
        Lookup::Accepted(Authenticated {
            key,
            credential: cred,
            time_unchecked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEPPER: &[u8] = b"pepper-pepper-pepper";

    fn cred(key: &str, pepper: bool) -> Credential {
        let text = digest_text(key, pepper.then_some(PEPPER));
        Credential {
            digest: Digest::parse(&text).unwrap(),
            label: String::new(),
            validity: Validity::default(),
            disabled: false,
        }
    }

    fn entry(id: &str, credentials: Vec<Credential>) -> KeyEntry {
        KeyEntry {
            id: id.into(),
            team: "t".into(),
            env: "e".into(),
            app: "a".into(),
            credentials,
            validity: Validity::default(),
            disabled: false,
            providers: vec![],
            models: vec![],
            rate_limit_per_minute: None,
            token_budget: None,
        }
    }

    fn accepted_id(l: Lookup<'_>) -> Option<String> {
        match l {
            Lookup::Accepted(a) => Some(a.key.id.clone()),
            Lookup::Rejected { .. } => None,
        }
    }

    fn rejection(l: Lookup<'_>) -> (Rejection, Option<String>) {
        match l {
            Lookup::Accepted(a) => panic!("accepted {}", a.key.id),
            Lookup::Rejected { why, key_id } => (why, key_id.map(String::from)),
        }
    }

    #[test]
    fn digest_text_parses_back_and_matches_known_vectors() {
        // SHA-256("abc") (FIPS 180-2).
        assert_eq!(
            digest_text("abc", None),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // RFC 4231 case 2: HMAC-SHA-256(key "Jefe", "what do ya want for nothing?").
        assert_eq!(
            digest_text("what do ya want for nothing?", Some(b"Jefe")),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        for bad in [
            "",
            "sha256",
            "sha256:",
            "sha1:00",
            "sha256:xyz",
            "hmac-sha256:0",
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad}");
        }
        let upper = format!("sha256:{}", "AB".repeat(32));
        assert!(Digest::parse(&upper).is_ok());
    }

    #[test]
    fn pepper_and_plain_hashes_both_resolve_and_do_not_cross() {
        let store = KeyStore::new(
            vec![
                entry("peppered", vec![cred("k-one", true)]),
                entry("plain", vec![cred("k-two", false)]),
            ],
            Some(PEPPER.to_vec()),
        );
        assert_eq!(
            accepted_id(store.lookup("k-one", None)).as_deref(),
            Some("peppered")
        );
        assert_eq!(
            accepted_id(store.lookup("k-two", None)).as_deref(),
            Some("plain")
        );
        assert_eq!(
            rejection(store.lookup("k-three", None)),
            (Rejection::Unknown, None)
        );
        assert_eq!(rejection(store.lookup("", None)).0, Rejection::Unknown);
        // The same key hashed with another pepper is a different credential.
        let other = KeyStore::new(
            vec![entry("peppered", vec![cred("k-one", true)])],
            Some(b"another-pepper-value".to_vec()),
        );
        assert_eq!(rejection(other.lookup("k-one", None)).0, Rejection::Unknown);
    }

    #[test]
    fn rotation_overlap_disabled_and_windows() {
        let mut old = cred("old", true);
        old.validity.expires_at = Some(2000);
        let mut new = cred("new", true);
        new.validity.not_before = Some(1000);
        let mut leaked = cred("leaked", true);
        leaked.disabled = true;
        let store = KeyStore::new(
            vec![entry("k", vec![old, new, leaked])],
            Some(PEPPER.to_vec()),
        );
        let at = |key: &str, now: u64| store.lookup(key, Some(now));
        // Before the overlap only the old key works.
        assert!(accepted_id(at("old", 999)).is_some());
        assert_eq!(
            rejection(at("new", 999)),
            (Rejection::NotYetValid, Some("k".into()))
        );
        // During the overlap both work; the boundaries are not_before <= now < expires_at.
        assert!(accepted_id(at("old", 1000)).is_some());
        assert!(accepted_id(at("new", 1000)).is_some());
        assert!(accepted_id(at("old", 1999)).is_some());
        // After it only the new one.
        assert_eq!(
            rejection(at("old", 2000)),
            (Rejection::Expired, Some("k".into()))
        );
        assert!(accepted_id(at("new", 2000)).is_some());
        assert_eq!(rejection(at("leaked", 1500)).0, Rejection::Disabled);
    }

    #[test]
    fn key_level_flags_apply_to_every_credential() {
        let mut e = entry("k", vec![cred("a", false)]);
        e.validity.expires_at = Some(100);
        let store = KeyStore::new(vec![e.clone()], None);
        assert_eq!(
            rejection(store.lookup("a", Some(100))).0,
            Rejection::Expired
        );
        assert!(accepted_id(store.lookup("a", Some(99))).is_some());
        e.disabled = true;
        let store = KeyStore::new(vec![e], None);
        assert_eq!(rejection(store.lookup("a", Some(1))).0, Rejection::Disabled);
    }

    #[test]
    fn without_a_clock_windows_are_reported_unchecked() {
        let mut c = cred("a", false);
        c.validity.expires_at = Some(1);
        let store = KeyStore::new(vec![entry("k", vec![c])], None);
        match store.lookup("a", None) {
            Lookup::Accepted(a) => assert!(a.time_unchecked),
            other => panic!("{other:?}"),
        }
        let store = KeyStore::new(vec![entry("k", vec![cred("a", false)])], None);
        match store.lookup("a", None) {
            Lookup::Accepted(a) => assert!(!a.time_unchecked),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicates_are_detected() {
        let store = KeyStore::new(
            vec![
                entry("a", vec![cred("x", false)]),
                entry("b", vec![cred("x", false)]),
            ],
            None,
        );
        assert_eq!(store.duplicate_digest(), Some(("a".into(), "b".into())));
    }
}
