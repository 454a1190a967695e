//! Unpredictable per-request values (canary tokens, nonces) from WASI `random_get`.
//!
//! Host facts: Envoy's proxy-wasm-cpp-host implements `wasi_snapshot_preview1.random_get`
//! (src/exports.cc `wasi_unstable_random_get`), as do Kong's ngx_wasm_module (ngx_wasi) and the
//! harness host. Where a host refuses it, the fallback mixes a per-VM counter, the clock and
//! the caller's context through SHA-256: unique per request, not secret.

use super::clock::now_unix_nanos;
use crate::hash::sha256;
use std::cell::Cell;

thread_local! {
    static COUNTER: Cell<u64> = const { Cell::new(0) };
}

/// 16 unpredictable bytes; `context` (e.g. the request id) only feeds the fallback.
pub fn random_16(context: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    if super::abi::random(&mut out) && out.iter().any(|b| *b != 0) {
        return out;
    }
    let n = COUNTER.with(|c| {
        let v = c.get().wrapping_add(1);
        c.set(v);
        v
    });
    let mut seed = Vec::with_capacity(16 + context.len());
    seed.extend_from_slice(&n.to_le_bytes());
    seed.extend_from_slice(&now_unix_nanos().unwrap_or(0).to_le_bytes());
    seed.extend_from_slice(context);
    let digest = sha256(&seed);
    out.copy_from_slice(&digest[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_differs_per_call() {
        let a = random_16(b"req-1");
        let b = random_16(b"req-1");
        assert_ne!(a, b);
        assert!(a.iter().any(|x| *x != 0));
    }
}
