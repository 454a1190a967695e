//! Bounded config fuzzing (runs in every `./build.sh test`): mutants of the example gateway's
//! model-allowlist config load or are refused with a reason, never a panic (a panic in
//! `on_configure` would trap the VM instead of logging which field is wrong).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::fuzz;
use model_allowlist::config::Config;

#[test]
fn mutated_configs_are_refused_with_a_reason_never_a_panic() {
    let seed = include_bytes!("../../../examples/envoy/plugins/model-allowlist.json");
    assert!(
        Config::from_json(seed).is_ok(),
        "the example config itself must load"
    );
    let parsed = fuzz::config_mutants(seed, fuzz::iters(1000), 0xA110, Config::from_json);
    assert!(
        parsed > 0,
        "no mutant parsed: only the first error path was fuzzed"
    );
}
