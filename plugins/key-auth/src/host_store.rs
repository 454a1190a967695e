//! host_store: proxy-wasm shared data as a [`CasStore`], through raw ABI calls that return the
//! host's status. proxy-wasm 0.2.5's `hostcalls::get_shared_data`/`set_shared_data` `panic!`
//! (= trap = outage) on any status they do not expect, e.g. a host without shared data
//! (APISIX); here every status becomes a value. Natively (cargo test) the host refuses.
//!
//! Envoy: one shared-data map per VM id, shared by all worker threads; `set` with cas 0 is
//! unconditional, any other cas must match the current token (else CAS_MISMATCH).

use crate::rate_window::{CasStore, StoreError};

const OK: u32 = 0;
const NOT_FOUND: u32 = 1;
const CAS_MISMATCH: u32 = 8;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub fn proxy_get_shared_data(
            key_data: *const u8,
            key_size: usize,
            return_value_data: *mut *mut u8,
            return_value_size: *mut usize,
            return_cas: *mut u32,
        ) -> u32;
        pub fn proxy_set_shared_data(
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
            cas: u32,
        ) -> u32;
    }
}

#[cfg(target_arch = "wasm32")]
fn raw_get(key: &str) -> (u32, Vec<u8>, u32) {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    let mut cas = 0u32;
    // SAFETY: key is a live &str; the host writes a pointer, a size and a cas to live locals.
    let status = unsafe {
        imports::proxy_get_shared_data(key.as_ptr(), key.len(), &mut data, &mut size, &mut cas)
    };
    let bytes = if status == OK && !data.is_null() {
        // SAFETY: the host allocated `size` bytes through the SDK's proxy_on_memory_allocate
        // (a Vec<u8> of exactly that capacity, forgotten); we take ownership once.
        unsafe { Vec::from_raw_parts(data, size, size) }
    } else {
        Vec::new()
    };
    (status, bytes, cas)
}

#[cfg(target_arch = "wasm32")]
fn raw_set(key: &str, value: &[u8], cas: u32) -> u32 {
    // SAFETY: pointers and lengths of live slices.
    unsafe {
        imports::proxy_set_shared_data(key.as_ptr(), key.len(), value.as_ptr(), value.len(), cas)
    }
}

/// Natively there is no host: every call is refused with UNIMPLEMENTED (12).
#[cfg(not(target_arch = "wasm32"))]
fn raw_get(_key: &str) -> (u32, Vec<u8>, u32) {
    (12, Vec::new(), 0)
}

#[cfg(not(target_arch = "wasm32"))]
fn raw_set(_key: &str, _value: &[u8], _cas: u32) -> u32 {
    12
}

/// The host's shared data.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostStore;

impl CasStore for HostStore {
    fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        match raw_get(key) {
            (OK, bytes, cas) => Ok(Some((bytes, cas))),
            (NOT_FOUND, _, _) => Ok(None),
            (status, _, _) => Err(StoreError::Unavailable(status)),
        }
    }

    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        match raw_set(key, value, cas) {
            OK => Ok(()),
            CAS_MISMATCH => Err(StoreError::CasMismatch),
            status => Err(StoreError::Unavailable(status)),
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
