//! End-to-end: the hostcalls test plugin (`dist/hostcalls-test.wasm`, built by harness-host)
//! loaded in real Envoy's V8 runtime in front of the mock upstream: requests and streamed and
//! non-streamed answers pass through it intact, and a configuration it refuses stops Envoy from
//! starting with a log that names the offending field.
//! Needs Envoy and dist/hostcalls-test.wasm: run `./build.sh test`.

use std::time::Duration;

use guardrail_harness::envoy::{Envoy, EnvoyError, Filter};
use guardrail_harness::host::dist_path;
use guardrail_harness::http_client::{sse_events, streamed_text};
use guardrail_harness::mock_upstream::MockUpstream;

fn start(up: &MockUpstream, config: &str) -> Envoy {
    Envoy::with_plugin(up, "hostcalls-test", config)
}

#[test]
fn request_and_answer_pass_through_the_plugin_intact() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, "{}");
    let body =
        br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"through V8 and back"}]}"#;
    let r = envoy
        .post("/v1/chat/completions", &[("x-request-id", "hc-1")], body)
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json().expect("json")["choices"][0]["message"]["content"],
        "through V8 and back"
    );
    let recs = up.requests();
    assert_eq!(recs.len(), 1, "exactly one request reached the mock");
    assert_eq!(recs[0].path, "/v1/chat/completions");
    assert!(envoy
        .wait_for_access_log("hc-1", Duration::from_secs(5))
        .is_some());
}

#[test]
fn streamed_answer_passes_through_the_plugin_event_by_event() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, "{}");
    let body = br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"stream me through"}]}"#;
    let resp = envoy
        .send(
            "POST",
            "/v1/chat/completions",
            &[
                ("content-type", "application/json"),
                ("x-mock-delay-ms", "5"),
            ],
            Some(body),
        )
        .expect("response head");
    assert_eq!(resp.status, 200);
    let chunks = resp.chunks().expect("body");
    assert!(
        chunks.len() > 3,
        "the plugin must not turn the stream into one buffer: {} chunks",
        chunks.len()
    );
    let text = String::from_utf8(chunks.concat()).expect("utf8");
    let events = sse_events(&text);
    assert_eq!(events.last().map(|e| e.1.as_str()), Some("[DONE]"));
    assert_eq!(streamed_text(&text), "stream me through");
}

#[test]
fn refused_configuration_stops_envoy_and_the_log_names_the_field() {
    let up = MockUpstream::start().expect("mock");
    let err = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new(
            "hostcalls-test",
            dist_path("hostcalls-test"),
            r#"{"no_such_field_e2e": 1}"#,
        ))
        .start()
        .err()
        .expect("Envoy must not start with a configuration the plugin refuses");
    let EnvoyError::Exited { log, .. } = &err else {
        panic!("expected Envoy to exit during start-up, got: {err}");
    };
    assert!(
        log.contains("no_such_field_e2e"),
        "the refusal must name the field:\n{log}"
    );
    assert!(
        log.contains("Unable to create Wasm plugin hostcalls-test"),
        "{log}"
    );
}
