//! host_store: proxy-wasm shared data as a [`CasStore`], through the SDK's raw ABI calls
//! (`guardrail_sdk::host::abi`), which return the host's status where proxy-wasm 0.2.5's
//! `hostcalls::get_shared_data`/`set_shared_data` `panic!` (= trap = outage), e.g. on a host
//! without shared data (APISIX). Natively (cargo test) the host refuses.
//!
//! Envoy: one shared-data map per VM id, shared by all worker threads; `set` with cas 0 is
//! unconditional, any other cas must match the current token (else CAS_MISMATCH).

use crate::rate_window::{CasStore, StoreError};
use guardrail_sdk::host::abi;

/// The host's shared data.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostStore;

impl CasStore for HostStore {
    fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        abi::get_shared_data(key).map_err(StoreError::Unavailable)
    }

    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        match abi::set_shared_data(key, value, cas) {
            Ok(()) => Ok(()),
            Err(abi::CAS_MISMATCH) => Err(StoreError::CasMismatch),
            Err(status) => Err(StoreError::Unavailable(status)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_host_the_store_is_unavailable_not_a_trap() {
        let mut s = HostStore;
        assert_eq!(s.get("k"), Err(StoreError::Unavailable(12)));
        assert_eq!(s.set("k", b"v", 0), Err(StoreError::Unavailable(12)));
    }
}
