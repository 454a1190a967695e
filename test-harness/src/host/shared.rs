//! Shared data (`proxy_get_shared_data` / `proxy_set_shared_data`) with Envoy's compare-and-swap
//! semantics. One `SharedData` can be given to several `Host`s to simulate Envoy workers that
//! share a VM id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::abi::status;

#[derive(Default)]
struct Store {
    entries: HashMap<String, (Vec<u8>, u32)>,
    next_cas: u32,
}

/// A key-value store shared between hosts; clones share the same data.
#[derive(Clone, Default)]
pub struct SharedData {
    inner: Arc<Mutex<Store>>,
}

impl SharedData {
    pub fn new() -> SharedData {
        SharedData::default()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the map half-written; keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `(value, cas)`; `None` when the key was never set.
    pub fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.lock().entries.get(key).cloned()
    }

    /// Sets `key`. A non-zero `cas` must equal the key's current cas (Envoy: a key that does
    /// not exist yet accepts any cas). Returns the ABI status (`OK` or `CAS_MISMATCH`).
    pub fn set(&self, key: &str, value: &[u8], cas: u32) -> u32 {
        let mut store = self.lock();
        if let Some((_, current)) = store.entries.get(key) {
            if cas != 0 && cas != *current {
                return status::CAS_MISMATCH;
            }
        }
        store.next_cas = store.next_cas.wrapping_add(1).max(1);
        let cas = store.next_cas;
        store.entries.insert(key.to_string(), (value.to_vec(), cas));
        status::OK
    }

    /// Every key with its value, sorted by key (for assertions).
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = self
            .lock()
            .entries
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect();
        all.sort();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_and_swap() {
        let a = SharedData::new();
        let b = a.clone();
        assert_eq!(a.get("k"), None);
        assert_eq!(a.set("k", b"1", 0), status::OK);
        let (v, cas) = b.get("k").unwrap();
        assert_eq!(v, b"1");
        assert_eq!(b.set("k", b"2", cas), status::OK);
        assert_eq!(a.set("k", b"3", cas), status::CAS_MISMATCH, "stale cas");
        assert_eq!(a.get("k").unwrap().0, b"2");
        assert_eq!(a.set("k", b"4", 0), status::OK, "cas 0 overwrites");
        assert_eq!(
            a.set("new", b"x", 77),
            status::OK,
            "absent key accepts any cas"
        );
        assert_eq!(b.snapshot().len(), 2);
    }
}
