//! verify_cache: remembers the last few identity headers that verified, so the plugins after
//! key-auth do not redo its HMAC and JSON parse on every request.
//!
//! key-auth signs a key's identity at most once per second, so consecutive requests of one
//! caller carry the same header value. A hit needs the same header bytes and the same secret
//! (compared in time that depends only on the lengths): it returns exactly what `verify`
//! returned for them, issue time included, so the caller's freshness check still runs on every
//! request. Only successes are kept: a forged or malformed header is checked in full each time.

use super::{verify, Identity, IdentityError};
use crate::hash::ct_eq;

/// How many verified headers are kept: callers whose requests interleave on one worker each
/// keep their entry (oldest replaced first); each costs about one header of memory.
pub const ENTRIES: usize = 8;

/// The last [`ENTRIES`] verifications that succeeded.
#[derive(Debug, Default)]
pub struct VerifyCache {
    entries: Vec<Entry>,
    /// Where the next new entry goes once `entries` is full.
    next: usize,
}

#[derive(Debug)]
struct Entry {
    value: String,
    secret: Vec<u8>,
    identity: Identity,
    iat: u64,
}

impl VerifyCache {
    /// An empty cache.
    pub fn new() -> VerifyCache {
        VerifyCache::default()
    }

    /// Same result as [`verify`]`(value, secret)`.
    pub fn verify(&mut self, value: &str, secret: &[u8]) -> Result<(Identity, u64), IdentityError> {
        let hit = self
            .entries
            .iter()
            .find(|e| ct_eq(e.value.as_bytes(), value.as_bytes()) && ct_eq(&e.secret, secret));
        if let Some(e) = hit {
            return Ok((e.identity.clone(), e.iat));
        }
        let (identity, iat) = verify(value, secret)?;
        let entry = Entry {
            value: value.to_string(),
            secret: secret.to_vec(),
            identity: identity.clone(),
            iat,
        };
        if self.entries.len() < ENTRIES {
            self.entries.push(entry);
        } else if let Some(slot) = self.entries.get_mut(self.next) {
            *slot = entry;
        }
        self.next = (self.next + 1) % ENTRIES;
        Ok((identity, iat))
    }
}

#[cfg(test)]
mod tests {
    use super::super::sign;
    use super::*;

    const SECRET: &[u8] = b"demo-identity-secret-change-me";

    fn id(team: &str) -> Identity {
        Identity {
            key_id: format!("k_{team}"),
            team: team.into(),
            models: vec!["gpt-4o*".into()],
            ..Identity::default()
        }
    }

    #[test]
    fn gives_what_verify_gives_for_every_header_and_secret_in_any_order() {
        let a = sign(&id("a"), SECRET, 100);
        let a_later = sign(&id("a"), SECRET, 101);
        let b = sign(&id("b"), SECRET, 100);
        let forged = format!("{}x", a);
        let other_secret = sign(&id("a"), b"other", 100);
        let headers = [
            &a,
            &a,
            &b,
            &a_later,
            &forged,
            &a,
            &other_secret,
            &forged,
            &b,
        ];
        let mut cache = VerifyCache::new();
        for secret in [SECRET, b"other".as_slice(), SECRET] {
            for h in headers {
                assert_eq!(cache.verify(h, secret), verify(h, secret), "{h}");
            }
        }
    }

    #[test]
    fn a_hit_needs_the_same_secret_and_failures_are_not_kept() {
        let a = sign(&id("a"), SECRET, 100);
        let mut cache = VerifyCache::new();
        assert!(cache.verify(&a, SECRET).is_ok());
        assert_eq!(cache.verify(&a, b"wrong"), Err(IdentityError::BadSignature));
        // The failure was not kept, and the good entry still verifies.
        assert_eq!(cache.entries.len(), 1);
        assert_eq!(cache.verify(&a, SECRET), verify(&a, SECRET));
    }

    #[test]
    fn keeps_the_last_entries_and_replaces_the_oldest() {
        let headers: Vec<String> = (0..ENTRIES as u64 + 3)
            .map(|i| sign(&id(&format!("t{i}")), SECRET, i))
            .collect();
        let mut cache = VerifyCache::new();
        for h in &headers {
            assert_eq!(cache.verify(h, SECRET), verify(h, SECRET));
        }
        assert_eq!(cache.entries.len(), ENTRIES);
        let kept: Vec<&str> = cache.entries.iter().map(|e| e.value.as_str()).collect();
        for (i, h) in headers.iter().enumerate() {
            assert_eq!(kept.contains(&h.as_str()), i >= 3, "header {i}");
        }
    }
}
