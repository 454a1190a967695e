//! segment_cache: remembers what a detector found in one segment of text, so a segment
//! resent unchanged (an agent resends the whole conversation on every turn) is not scanned
//! again. Per VM (one per plugin configuration in each worker), bounded in entries and bytes.
//!
//! The key is a 256-bit BLAKE3 hash over (the plugin's scope: name, version and the raw
//! configuration; the segment's trust level; the segment's text, length-prefixed): the scope's
//! hash keys the hash of trust and text. BLAKE3 rather than SHA-256 because every byte of a
//! resent history is hashed on every request: in wasm SHA-256 cost ~100 fuel per byte, as much
//! as half a pii-redact scan; BLAKE3 is a cryptographic hash at a fraction of that. The value is what the
//! detector computes from exactly those inputs, so it is a pure function of the key: a
//! request can only ever read back what the same scan of the same text under the same
//! configuration would have produced (no request can plant a verdict for another's text, and
//! a collision would need a BLAKE3 collision). Only segment-local results may be cached;
//! whatever a detector concludes across segments must be computed per request from them.
//!
//! Eviction is by two generations: new entries go to the current one; when it holds half the
//! bound it becomes the previous one (the older previous is dropped), and a hit in the
//! previous generation moves the entry back. So recently used entries stay, and the cache
//! never holds more than `max_entries` entries or `max_bytes` accounted bytes (per entry: the
//! key, the value's inline size, the map's bookkeeping ([`ENTRY_OVERHEAD`]) and the value's
//! heap bytes as the plugin weighs them).

use crate::body::Trust;
use crate::config::{ConfigError, FromConfig, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A segment's cache key: BLAKE3 of scope, trust and text.
pub type Key = [u8; 32];

/// Accounted per entry besides its key, the value's inline size and its heap bytes: the
/// B-tree's node share and the stored size.
pub const ENTRY_OVERHEAD: usize = 40;

/// The `segment_cache` configuration object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Off: every segment is scanned on every request.
    pub enabled: bool,
    /// Entries kept at most.
    pub max_entries: usize,
    /// Accounted bytes kept at most.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            enabled: true,
            max_entries: 4096,
            max_bytes: 1024 * 1024,
        }
    }
}

impl FromConfig for Limits {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["enabled", "max_entries", "max_bytes"])?;
        let d = Limits::default();
        let max_entries = match o.get("max_entries") {
            Some(n) => n.integer(2, 1 << 20)? as usize,
            None => d.max_entries,
        };
        let max_bytes = match o.get("max_bytes") {
            Some(n) => n.integer(4096, 64 << 20)? as usize,
            None => d.max_bytes,
        };
        Ok(Limits {
            enabled: o.or("enabled", d.enabled)?,
            max_entries,
            max_bytes,
        })
    }
}

/// Counters since the cache was built, and what it holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that ran the scan.
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
    /// Accounted bytes held now.
    pub bytes: usize,
}

struct Generation<V> {
    map: BTreeMap<Key, (V, usize)>,
    bytes: usize,
}

impl<V> Generation<V> {
    fn new() -> Self {
        Generation {
            map: BTreeMap::new(),
            bytes: 0,
        }
    }
}

struct Inner<V> {
    current: Generation<V>,
    previous: Generation<V>,
    hits: u64,
    misses: u64,
}

/// The cache of one plugin configuration. Methods take `&self` (the plugin is shared by its
/// requests); a VM is single-threaded.
pub struct SegmentCache<V> {
    scope: Key,
    limits: Limits,
    weigh: fn(&V) -> usize,
    inner: RefCell<Inner<V>>,
}

impl<V: Clone> SegmentCache<V> {
    /// A cache for results computed under `scope` (each part length-prefixed into the key:
    /// the plugin's name and version and its raw configuration). `weigh` returns a value's
    /// heap bytes.
    pub fn new(scope: &[&[u8]], limits: Limits, weigh: fn(&V) -> usize) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(b"guardrail segment cache v2");
        for part in scope {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
        SegmentCache {
            scope: *h.finalize().as_bytes(),
            limits,
            weigh,
            inner: RefCell::new(Inner {
                current: Generation::new(),
                previous: Generation::new(),
                hits: 0,
                misses: 0,
            }),
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The key of `text` at `trust` under this cache's scope.
    pub fn key(&self, trust: Trust, text: &str) -> Key {
        let mut h = blake3::Hasher::new_keyed(&self.scope);
        h.update(&[trust_byte(trust)]);
        h.update(&(text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
        *h.finalize().as_bytes()
    }

    /// The cached result for `text` at `trust`, else `scan()` (stored when it fits). Also
    /// says whether it came from the cache. Disabled, it always scans.
    pub fn get_or_scan(&self, trust: Trust, text: &str, scan: impl FnOnce() -> V) -> (V, bool) {
        if !self.limits.enabled {
            return (scan(), false);
        }
        let key = self.key(trust, text);
        if let Some(v) = self.lookup(&key) {
            return (v, true);
        }
        let v = scan();
        self.store(key, &v);
        (v, false)
    }

    fn lookup(&self, key: &Key) -> Option<V> {
        let mut inner = self.inner.try_borrow_mut().ok()?;
        if let Some((v, _)) = inner.current.map.get(key) {
            let v = v.clone();
            inner.hits += 1;
            return Some(v);
        }
        let Some((v, cost)) = inner.previous.map.remove(key) else {
            inner.misses += 1;
            return None;
        };
        inner.previous.bytes = inner.previous.bytes.saturating_sub(cost);
        inner.hits += 1;
        let out = v.clone();
        self.put(&mut inner, *key, v, cost);
        Some(out)
    }

    fn store(&self, key: Key, v: &V) {
        let cost = std::mem::size_of::<Key>()
            + std::mem::size_of::<(V, usize)>()
            + ENTRY_OVERHEAD
            + (self.weigh)(v);
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            self.put(&mut inner, key, v.clone(), cost);
        }
    }

    /// Insert into the current generation, rotating first when it would pass half the bound.
    fn put(&self, inner: &mut Inner<V>, key: Key, v: V, cost: usize) {
        let (half_entries, half_bytes) = (self.limits.max_entries / 2, self.limits.max_bytes / 2);
        if cost > half_bytes || half_entries == 0 {
            return;
        }
        if inner.current.map.len() >= half_entries || inner.current.bytes + cost > half_bytes {
            inner.previous = std::mem::replace(&mut inner.current, Generation::new());
        }
        inner.current.bytes += cost;
        if let Some((_, old)) = inner.current.map.insert(key, (v, cost)) {
            inner.current.bytes = inner.current.bytes.saturating_sub(old);
        }
    }

    /// Counters and current size.
    pub fn stats(&self) -> Stats {
        match self.inner.try_borrow() {
            Ok(i) => Stats {
                hits: i.hits,
                misses: i.misses,
                entries: i.current.map.len() + i.previous.map.len(),
                bytes: i.current.bytes + i.previous.bytes,
            },
            Err(_) => Stats::default(),
        }
    }
}

fn trust_byte(t: Trust) -> u8 {
    match t {
        Trust::Trusted => 0,
        Trust::User => 1,
        Trust::Model => 2,
        Trust::Data => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(limits: Limits) -> SegmentCache<Vec<u32>> {
        SegmentCache::new(&[b"test", b"1", b"{}"], limits, |v| v.len() * 4)
    }

    #[test]
    fn a_hit_returns_what_the_scan_returned_and_skips_it() {
        let c = cache(Limits::default());
        let (v, hit) = c.get_or_scan(Trust::User, "hello", || vec![1, 2]);
        assert_eq!((v, hit), (vec![1, 2], false));
        let (v, hit) = c.get_or_scan(Trust::User, "hello", || unreachable!("cached"));
        assert_eq!((v, hit), (vec![1, 2], true));
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1));
    }

    #[test]
    fn trust_text_and_scope_are_all_in_the_key() {
        let c = cache(Limits::default());
        let k = c.key(Trust::User, "hello");
        assert_ne!(k, c.key(Trust::Data, "hello"));
        assert_ne!(k, c.key(Trust::User, "hello "));
        let other =
            SegmentCache::<Vec<u32>>::new(&[b"test", b"1", b"{ }"], Limits::default(), |_| 0);
        assert_ne!(k, other.key(Trust::User, "hello"));
        // Length prefixes: moving bytes between scope parts changes the key.
        let shifted =
            SegmentCache::<Vec<u32>>::new(&[b"tes", b"t1", b"{}"], Limits::default(), |_| 0);
        assert_ne!(k, shifted.key(Trust::User, "hello"));
        let (_, hit) = c.get_or_scan(Trust::Data, "hello", Vec::new);
        assert!(!hit);
        let (v, hit) = c.get_or_scan(Trust::User, "hello", || vec![7]);
        assert_eq!(
            (v, hit),
            (vec![7], false),
            "another trust level is another entry"
        );
    }

    #[test]
    fn disabled_always_scans_and_stores_nothing() {
        let c = cache(Limits {
            enabled: false,
            ..Limits::default()
        });
        for _ in 0..3 {
            assert!(!c.get_or_scan(Trust::User, "x", || vec![1]).1);
        }
        assert_eq!(c.stats(), Stats::default());
    }

    /// Generated: many distinct and repeated segments of random sizes never take the cache
    /// over either bound, and the most recent entries are still there.
    #[test]
    fn generated_the_bound_holds_under_churn() {
        for (max_entries, max_bytes) in [(2, 4096), (16, 4096), (64, 1 << 16), (4096, 8192)] {
            let c = cache(Limits {
                enabled: true,
                max_entries,
                max_bytes,
            });
            let mut seed = 0x2545_f491_4f6c_dd1du64;
            for i in 0..5000u32 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let text = format!("segment {}", seed % 3000);
                let len = (seed % 300) as usize;
                let (v, _) = c.get_or_scan(Trust::Data, &text, || vec![i; len]);
                let s = c.stats();
                assert!(s.entries <= max_entries, "{s:?}");
                assert!(s.bytes <= max_bytes, "{s:?}");
                // The value is whatever the first scan of this text stored, never another's.
                assert!(v.iter().all(|x| *x == v[0]));
            }
            let s = c.stats();
            assert!(s.hits > 0 && s.misses > 0, "{s:?}");
        }
        // A value larger than half the bytes is scanned each time, not stored.
        let c = cache(Limits {
            enabled: true,
            max_entries: 8,
            max_bytes: 4096,
        });
        let (_, hit) = c.get_or_scan(Trust::User, "big", || vec![0; 1000]);
        assert!(!hit);
        assert!(!c.get_or_scan(Trust::User, "big", || vec![0; 1000]).1);
        assert_eq!(c.stats().entries, 0);
    }

    #[test]
    fn recent_entries_survive_rotation() {
        let c = cache(Limits {
            enabled: true,
            max_entries: 8,
            max_bytes: 1 << 20,
        });
        // A resent history of 4 segments stays cached while new segments arrive.
        for round in 0..50 {
            for s in 0..4 {
                c.get_or_scan(Trust::User, &format!("kept {s}"), || vec![s]);
            }
            c.get_or_scan(Trust::User, &format!("new {round}"), || vec![9]);
            if round > 0 {
                assert!(c.get_or_scan(Trust::User, "kept 0", || vec![99]).1);
            }
        }
    }

    #[test]
    fn limits_from_config() {
        let parse = crate::config::parse::<Limits>;
        assert_eq!(parse(b"{}").unwrap(), Limits::default());
        let l = parse(br#"{"enabled":false,"max_entries":10,"max_bytes":65536}"#).unwrap();
        assert_eq!(
            l,
            Limits {
                enabled: false,
                max_entries: 10,
                max_bytes: 65536
            }
        );
        for (bad, field) in [
            (&br#"{"max_entries":1}"#[..], "max_entries"),
            (br#"{"max_bytes":100}"#, "max_bytes"),
            (br#"{"enabled":"yes"}"#, "enabled"),
            (br#"{"size":1}"#, "size"),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
    }
}
