//! The shipped chain for long-running tests: every plugin with a config in
//! `examples/envoy/plugins`, wasm paths made absolute, and key-auth's per-key rate limits and
//! token budgets lifted so a soak or edge-case run tests verdicts, not the limiter (which has
//! its own tests).

use serde_json::Value;

use super::{gateway, paths, Envoy, Filter};
use crate::mock_upstream::MockUpstream;

/// Panics (tests only) when a config is unreadable or a `.wasm` is missing.
pub fn shipped_chain_unlimited() -> Vec<Filter> {
    let root = paths::repo_root();
    let mut filters = gateway::filters(&root).expect("example plugin configs");
    for f in &mut filters {
        f.wasm = root.join(&f.wasm);
        assert!(
            f.wasm.is_file(),
            "{} missing: run ./build.sh test",
            f.wasm.display()
        );
        if f.name == "key-auth" {
            let mut cfg: Value = serde_json::from_str(&f.config).expect("key-auth json");
            if let Some(keys) = cfg["keys"].as_array_mut() {
                for k in keys {
                    k["rate_limit_per_minute"] = Value::from(100_000_000u64);
                    k["token_budget"] =
                        serde_json::json!({"tokens": 1u64 << 50, "window_seconds": 3600});
                }
            }
            f.config = cfg.to_string();
        }
    }
    filters
}

/// Envoy running `shipped_chain_unlimited()` in front of `up`, and the chain's plugin names in
/// order. Panics (tests only) when Envoy does not start.
pub fn start_shipped_chain(up: &MockUpstream) -> (Envoy, Vec<String>) {
    let filters = shipped_chain_unlimited();
    let names = filters.iter().map(|f| f.name.clone()).collect();
    let mut builder = Envoy::builder().upstream(up);
    for f in filters {
        builder = builder.filter(f);
    }
    let envoy = builder
        .start()
        .unwrap_or_else(|e| panic!("Envoy with the shipped chain did not start: {e}"));
    (envoy, names)
}
