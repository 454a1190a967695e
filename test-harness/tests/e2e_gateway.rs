//! End-to-end: real Envoy (the official 1.40 build) with no plugins, checking the gateway
//! plumbing every plugin relies on: forwarding, streaming, route-level identity stripping,
//! non-LLM paths refused, the shipped gateway.yaml up to date and valid.
//! Needs Envoy: run `./build.sh test` (it installs it and sets GUARDRAIL_ENVOY).

use std::process::Command;
use std::time::Duration;

use guardrail_harness::envoy::{gateway, paths, Envoy, Routes};
use guardrail_harness::http_client::{sse_events, streamed_text};
use guardrail_harness::mock_upstream::MockUpstream;

const CHAT: &[u8] =
    br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping pong"}]}"#;

fn start(up: &MockUpstream, routes: Routes) -> Envoy {
    Envoy::builder()
        .upstream(up)
        .routes(routes)
        .start()
        .unwrap_or_else(|e| panic!("Envoy did not start (run ./build.sh test): {e}"))
}

#[test]
fn request_reaches_the_mock_and_identity_header_is_stripped() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, Routes::LlmApis);
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[
                ("x-guardrail-identity", "forged"),
                ("x-request-id", "e2e-1"),
            ],
            CHAT,
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-mock-upstream"), Some("1"));
    assert_eq!(
        r.json().expect("json")["choices"][0]["message"]["content"],
        "ping pong"
    );
    let recs = up.requests();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].body, CHAT, "body reaches the model byte-for-byte");
    assert_eq!(recs[0].header("x-guardrail-identity"), None);
    assert_eq!(recs[0].header("x-request-id"), Some("e2e-1"));
    assert!(
        recs[0]
            .headers
            .iter()
            .all(|(k, _)| !k.starts_with("x-envoy-")),
        "router must not leak x-envoy-* headers: {:?}",
        recs[0].headers
    );
}

#[test]
fn non_llm_paths_get_404_in_openai_shape_without_reaching_upstream() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, Routes::LlmApis);
    let r = envoy.get("/admin", &[]).expect("response");
    assert_eq!(r.status, 404);
    assert_eq!(r.json().expect("json")["error"]["code"], "not_found");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(up.request_count(), 0);
}

#[test]
fn streamed_answer_arrives_in_several_chunks_through_envoy() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, Routes::Everything);
    let body = br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"a streamed answer here"}]}"#;
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
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let chunks = resp.chunks().expect("body");
    assert!(
        chunks.len() > 3,
        "Envoy streams, it does not buffer: {} chunks",
        chunks.len()
    );
    let text = String::from_utf8(chunks.concat()).expect("utf8");
    let events = sse_events(&text);
    assert_eq!(events.last().map(|e| e.1.as_str()), Some("[DONE]"));
    assert_eq!(streamed_text(&text), "a streamed answer here");
}

#[test]
fn access_log_has_no_query_string() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, Routes::LlmApis);
    let r = envoy
        .post(
            "/v1beta/models/g:generateContent?key=SECRET-KEY-123",
            &[("x-request-id", "q-1")],
            br#"{"contents":[{"parts":[{"text":"x"}]}]}"#,
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let entry = envoy
        .wait_for_access_log("q-1", Duration::from_secs(5))
        .expect("access log entry for q-1");
    assert_eq!(entry["path"], "/v1beta/models/g:generateContent");
    let raw = std::fs::read_to_string(envoy.access_log_path()).expect("access log");
    assert!(!raw.contains("SECRET-KEY-123"));
}

#[test]
fn shipped_gateway_yaml_is_up_to_date_and_valid() {
    let root = paths::repo_root();
    let committed =
        std::fs::read_to_string(root.join(gateway::GATEWAY_FILE)).expect("gateway.yaml");
    let rendered = gateway::render_shipped(&root).expect("render");
    assert!(
        committed == rendered,
        "examples/envoy/gateway.yaml is stale: run `cargo run -p guardrail-cli --bin guardrail -- render-gateway`"
    );
    let chain = gateway::filters(&root).expect("filters");
    let missing: Vec<String> = chain
        .iter()
        .filter(|f| !root.join(&f.wasm).is_file())
        .map(|f| f.wasm.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "validating gateway.yaml needs {missing:?}: run ./build.sh test"
    );
    let envoy = paths::envoy_binary().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(envoy)
        .current_dir(&root)
        .args([
            "--mode",
            "validate",
            "-c",
            gateway::GATEWAY_FILE,
            "--log-level",
            "error",
        ])
        .output()
        .expect("run envoy --mode validate");
    assert!(
        out.status.success(),
        "envoy --mode validate refused gateway.yaml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn keys_and_prompt_text_never_reach_envoys_logs() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, Routes::LlmApis);
    let body =
        br#"{"model":"m","messages":[{"role":"user","content":"my card 4111-1111-1111-1111"}]}"#;
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[
                ("authorization", "Bearer sk-live-SECRET-0123456789"),
                ("x-request-id", "leak-1"),
            ],
            body,
        )
        .expect("response");
    assert_eq!(r.status, 200);
    assert!(envoy
        .wait_for_access_log("leak-1", Duration::from_secs(5))
        .is_some());
    let logs = format!(
        "{}{}",
        envoy.log(),
        std::fs::read_to_string(envoy.access_log_path()).expect("access log")
    );
    assert!(
        !logs.contains("sk-live-SECRET"),
        "a key reached Envoy's logs"
    );
    assert!(
        !logs.contains("4111-1111"),
        "prompt text reached Envoy's logs"
    );
}

#[test]
fn a_body_sent_in_chunks_reaches_the_model_whole() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, Routes::LlmApis);
    let (a, rest) = CHAT.split_at(7);
    let (b, c) = rest.split_at(30);
    let r = envoy
        .post_chunked("/v1/chat/completions", &[], &[a, b, c])
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json().expect("json")["choices"][0]["message"]["content"],
        "ping pong"
    );
    assert_eq!(up.requests()[0].body, CHAT);
}
