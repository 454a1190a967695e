//! The wasmtime host answers like Envoy 1.40: the hostcalls test plugin in `log` mode probes,
//! in every callback, which header maps and body buffers it can read (statuses and sizes). The
//! same request goes through real Envoy (V8) and through `guardrail_harness::host` with the
//! body delivered the way Envoy delivered it; the probe lines must be identical. Likewise for
//! how `proxy_set_buffer_bytes` applies ranges (mode `edit_ranges`).
//! Needs Envoy and dist/hostcalls-test.wasm: run `./build.sh test`.

use std::time::Duration;

use guardrail_harness::envoy::{Envoy, Filter};
use guardrail_harness::host::{dist_path, Host};
use guardrail_harness::mock_upstream::MockUpstream;

const CONFIG: &str = r#"{"mode":"log"}"#;

fn lines_with(lines: impl IntoIterator<Item = String>, marker: &str) -> Vec<String> {
    lines
        .into_iter()
        .filter_map(|l| l.find(marker).map(|at| l[at..].trim().to_string()))
        .collect()
}

fn probes(lines: impl IntoIterator<Item = String>) -> Vec<String> {
    lines_with(lines, "hostcalls-test: probe ")
}

fn start_envoy(up: &MockUpstream, config: &str) -> Envoy {
    Envoy::builder()
        .upstream(up)
        .filter(Filter::new(
            "hostcalls-test",
            dist_path("hostcalls-test"),
            config,
        ))
        .start()
        .unwrap_or_else(|e| panic!("Envoy did not start (run ./build.sh test): {e}"))
}

#[test]
fn header_and_body_visibility_per_callback_matches_envoy() {
    let up = MockUpstream::start().expect("mock");
    let envoy = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new(
            "hostcalls-test",
            dist_path("hostcalls-test"),
            CONFIG,
        ))
        .start()
        .unwrap_or_else(|e| panic!("Envoy did not start (run ./build.sh test): {e}"));
    let body = br#"{"model":"m","messages":[{"role":"user","content":"probe me"}]}"#;
    let r = envoy
        .post("/v1/chat/completions", &[("x-request-id", "hve-1")], body)
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(envoy
        .wait_for_access_log("hve-1", Duration::from_secs(5))
        .is_some());
    let in_envoy = probes(envoy.plugin_log_lines());
    assert!(in_envoy.len() >= 5, "{in_envoy:#?}");

    // Envoy 1.40 delivered each body as one data chunk, then an empty end-of-stream chunk.
    let host = Host::builder(dist_path("hostcalls-test"))
        .plugin_config(CONFIG)
        .build()
        .expect("host");
    let mut s = host.http();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", "/v1/chat/completions"),
            ("x-request-id", "hve-1"),
        ],
        false,
    );
    s.request_body(body, false);
    s.request_body(b"", true);
    s.response_headers(&[(":status", "200")], false);
    s.response_body(&r.body, false);
    s.response_body(b"", true);
    s.finish();
    let in_host = probes(host.logs().into_iter().map(|(_, l)| l));
    assert_eq!(in_host, in_envoy);
}

#[test]
fn set_buffer_bytes_ranges_match_envoy() {
    let config = r#"{"mode":"edit_ranges"}"#;
    let up = MockUpstream::start().expect("mock");
    let envoy = start_envoy(&up, config);
    let body = b"0123456789";
    let r = envoy
        .post("/v1/chat/completions", &[("x-request-id", "hve-2")], body)
        .expect("response");
    assert!(envoy
        .wait_for_access_log("hve-2", Duration::from_secs(5))
        .is_some());
    let in_envoy = lines_with(envoy.plugin_log_lines(), "hostcalls-test: edit_ranges");
    assert_eq!(in_envoy.len(), 1, "{in_envoy:?} (status {})", r.status);
    let upstream = up.requests().pop().map(|q| q.body).unwrap_or_default();

    let host = Host::builder(dist_path("hostcalls-test"))
        .plugin_config(config)
        .build()
        .expect("host");
    let mut s = host.http();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", "/v1/chat/completions"),
            ("content-length", "10"),
        ],
        false,
    );
    s.request_body(body, false);
    s.request_body(b"", true);
    let in_host = lines_with(
        host.logs().into_iter().map(|(_, l)| l),
        "hostcalls-test: edit_ranges",
    );
    assert_eq!(in_host, in_envoy);
    // The edited body grew to 12 bytes but content-length still says 10: Envoy sent 10.
    let out = s.request_body_out();
    assert_eq!(out.len(), 12);
    assert_eq!(&out[..upstream.len()], upstream, "what went upstream");
    assert_eq!(upstream.len(), 10);
    let framing = s
        .request_framing_error()
        .expect("the host flags the mismatch");
    assert!(framing.contains("content-length 10 but 12"), "{framing}");
}

#[test]
fn a_trapping_plugin_fails_closed_and_stays_failed_like_envoy() {
    let config = r#"{"mode":"trap"}"#;
    let up = MockUpstream::start().expect("mock");
    let envoy = start_envoy(&up, config);
    let host = Host::builder(dist_path("hostcalls-test"))
        .plugin_config(config)
        .build()
        .expect("host");
    for i in 0..3 {
        let r = envoy
            .post("/v1/chat/completions", &[], br#"{"model":"m"}"#)
            .expect("response");
        let out = host.exchange(&guardrail_harness::host::Exchange {
            request_headers: &[(":method", "POST"), (":path", "/v1/chat/completions")],
            request_body: br#"{"model":"m"}"#,
            ..Default::default()
        });
        let reply = out.local_reply.expect("host local reply");
        assert_eq!(u32::from(r.status), reply.status, "request {i}");
    }
    assert!(up.requests().is_empty(), "nothing reached the upstream");
}
