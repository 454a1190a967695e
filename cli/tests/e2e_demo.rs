//! End-to-end: every scenario in `examples/demo/` passes against the example gateway (all
//! plugins that have a config in `examples/envoy/plugins/`, built into `dist/`), exactly as
//! `./build.sh demo` runs them. Needs Envoy and dist/*.wasm: run `./build.sh test`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use guardrail_cli::cmd::demo;
use guardrail_cli::cmd::demo::review::{LEAKS, OVERRIDES, TERMS};
use guardrail_harness::envoy::paths;
use guardrail_harness::http_client;

#[test]
fn every_demo_scenario_meets_its_expectations() {
    let mut report = Vec::new();
    let code = demo::run_in(&paths::repo_root(), &[], &mut report, false)
        .unwrap_or_else(|e| panic!("demo could not run (run ./build.sh test): {e:#}"));
    let text = String::from_utf8_lossy(&report);
    assert_eq!(code, 0, "a demo expectation failed:\n{text}");
    assert!(text.contains("requests passed, 0 failed"), "{text}");
}

/// `./build.sh demo` ends with the review page's URL, and the page holds the demo's flagged
/// requests (sent through Envoy, posted by the plugins' webhooks).
#[test]
fn the_demo_ends_with_the_review_page_of_its_flagged_requests() {
    let mut report = Vec::new();
    let stack = demo::review_step(&paths::repo_root(), &mut report, false)
        .unwrap_or_else(|e| panic!("review step could not run (run ./build.sh test): {e:#}"));
    let text = String::from_utf8_lossy(&report);
    let last = text.lines().last().unwrap_or_default();
    let url = last
        .strip_prefix("review page: http://")
        .unwrap_or_else(|| panic!("the demo does not end with the page's URL:\n{text}"));
    let (host, path) = url.split_once('/').unwrap();
    assert_eq!(host, stack.server.addr().to_string());
    let r = http_client::get(stack.server.addr(), &format!("/{path}"), &[("host", host)]).unwrap();
    assert_eq!(r.status, 200);
    let demo: Vec<&str> = OVERRIDES
        .iter()
        .chain(LEAKS)
        .chain(TERMS)
        .map(|f| f.request_id)
        .collect();
    let rows = r.text().matches("<tr data-id=").count();
    assert_eq!(rows, demo.len(), "{}", r.text());
    let api = http_client::get(
        stack.server.addr(),
        "/api/items?status=all",
        &[("host", host)],
    )
    .unwrap();
    let items: serde_json::Value = api.json().unwrap();
    let mut listed: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["submission"]["request_id"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut want = demo.clone();
    want.sort_unstable();
    assert_eq!(listed, want);
}
