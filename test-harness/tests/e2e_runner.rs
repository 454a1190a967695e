//! End-to-end: how the Envoy runner reports what goes wrong before a test can run - a missing
//! plugin file, a missing Envoy binary, a module Envoy cannot load - so a broken set-up fails
//! loudly with the reason instead of hanging or passing.
//! Needs Envoy: run `./build.sh test`.

use guardrail_harness::envoy::{Envoy, EnvoyError, Filter};
use guardrail_harness::mock_upstream::MockUpstream;

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("e2e-runner-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

#[test]
fn missing_plugin_file_names_build_sh() {
    let up = MockUpstream::start().expect("mock");
    let err = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new("nope", "/nonexistent/nope.wasm", "{}"))
        .start()
        .err()
        .expect("must not start");
    assert!(matches!(err, EnvoyError::Missing(_)), "{err}");
    assert!(err.to_string().contains("./build.sh"), "{err}");
}

#[test]
fn missing_envoy_binary_names_build_sh() {
    let up = MockUpstream::start().expect("mock");
    let err = Envoy::builder()
        .upstream(&up)
        .binary("/nonexistent/envoy")
        .start()
        .err()
        .expect("must not start");
    assert!(err.to_string().contains("/nonexistent/envoy"), "{err}");
}

#[test]
fn module_envoy_cannot_load_is_reported_with_envoys_log() {
    let dir = scratch_dir("garbage");
    let wasm = dir.join("garbage.wasm");
    std::fs::write(&wasm, b"\0asm but not really a module").expect("write");
    let up = MockUpstream::start().expect("mock");
    let err = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new("garbage", &wasm, "{}"))
        .start()
        .err()
        .expect("Envoy must refuse a broken module");
    let EnvoyError::Exited { log, .. } = &err else {
        panic!("expected Exited, got: {err}");
    };
    assert!(
        log.contains("Unable to create Wasm plugin garbage"),
        "{log}"
    );
    assert!(err.to_string().contains("exited during start-up"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
