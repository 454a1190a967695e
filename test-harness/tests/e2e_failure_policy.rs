//! End-to-end: what a client sees when a plugin traps, under each Envoy `failure_policy`
//! (envoy.extensions.wasm.v3.PluginConfig.failure_policy; FAIL_RELOAD since Envoy 1.33).
//! Our plugins ship with FAIL_CLOSED: a trapping guardrail must never let a request through.
//! Uses dist/hostcalls-test.wasm in `trap` mode (wasm `unreachable` in the request headers
//! callback). Needs Envoy: run `./build.sh test`.

use guardrail_harness::envoy::{Envoy, Filter};
use guardrail_harness::host::dist_path;
use guardrail_harness::mock_upstream::MockUpstream;

const BODY: &[u8] = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;

fn run(policy: &'static str) -> (Vec<u16>, usize) {
    let up = MockUpstream::start().expect("mock");
    let wasm = dist_path("hostcalls-test");
    let envoy = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new("trapper", wasm, r#"{"mode":"trap"}"#).failure_policy(policy))
        .start()
        .unwrap_or_else(|e| panic!("Envoy did not start: {e}"));
    let statuses = (0..3)
        .map(|_| {
            envoy
                .post("/v1/chat/completions", &[], BODY)
                .map(|r| r.status)
                .unwrap_or(0)
        })
        .collect();
    (statuses, up.request_count())
}

#[test]
fn fail_closed_answers_503_and_nothing_reaches_the_model() {
    let (statuses, upstream) = run("FAIL_CLOSED");
    assert!(statuses.iter().all(|s| *s == 503), "{statuses:?}");
    assert_eq!(upstream, 0);
}

#[test]
fn fail_open_skips_the_broken_filter() {
    let (statuses, upstream) = run("FAIL_OPEN");
    // The first request traps the VM; from then on the filter is bypassed.
    assert!(statuses.iter().skip(1).all(|s| *s == 200), "{statuses:?}");
    assert!(
        upstream >= 2,
        "FAIL_OPEN lets requests through unchecked: {upstream}"
    );
}

#[test]
fn fail_reload_starts_a_new_vm_which_traps_again() {
    let (statuses, upstream) = run("FAIL_RELOAD");
    // A reloaded VM runs the same code: every request still traps and is refused.
    assert!(statuses.iter().all(|s| *s >= 500), "{statuses:?}");
    assert_eq!(upstream, 0);
}
