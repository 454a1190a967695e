//! End-to-end: every scenario in `examples/demo/` passes against the example gateway (all
//! plugins that have a config in `examples/envoy/plugins/`, built into `dist/`), exactly as
//! `./build.sh demo` runs them. Needs Envoy and dist/*.wasm: run `./build.sh test`.

use guardrail_cli::cmd::demo;
use guardrail_harness::envoy::paths;

#[test]
fn every_demo_scenario_meets_its_expectations() {
    let mut report = Vec::new();
    let code = demo::run_in(&paths::repo_root(), &[], &mut report, false)
        .unwrap_or_else(|e| panic!("demo could not run (run ./build.sh test): {e:#}"));
    let text = String::from_utf8_lossy(&report);
    assert_eq!(code, 0, "a demo expectation failed:\n{text}");
    assert!(text.contains("requests passed, 0 failed"), "{text}");
}
