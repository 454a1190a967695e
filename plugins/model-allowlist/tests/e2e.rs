//! End-to-end: dist/model-allowlist.wasm in real Envoy (V8) in front of the mock upstream:
//! allowed models reach the provider (aliased and clamped), forbidden ones get 403 in the
//! provider's error shape without the upstream being called, bodies split into many chunks
//! are handled the same, malformed bodies are refused, and the verdict line carries no text.
//! Needs Envoy and dist/model-allowlist.wasm: run `./build.sh test`.

use guardrail_harness::envoy::Envoy;
use guardrail_harness::mock_upstream::MockUpstream;

const CONFIG: &str = r#"{"allow":["gpt-4o*","claude-3-5-*","gemini-1.5-*"],"deny":["*-realtime*"],
  "aliases":{"fast":"gpt-4o-mini","gem":"gemini-1.5-flash"},"max_output_tokens":64,"params":{"deny":["logprobs"]}}"#;

fn start(up: &MockUpstream) -> Envoy {
    Envoy::with_plugin(up, "model-allowlist", CONFIG)
}

#[test]
fn policy_through_envoy() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up);

    // Allowed after aliasing, cap inserted, rest untouched; body split into 7-byte chunks.
    let body = br#"{"model":"fast","messages":[{"role":"user","content":"chunked hello"}]}"#;
    let chunks: Vec<&[u8]> = body.chunks(7).collect();
    let r = envoy
        .post_chunked("/v1/chat/completions", &[("x-request-id", "ma-1")], &chunks)
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = String::from_utf8(up.requests()[0].body.clone()).expect("utf8");
    assert_eq!(
        sent,
        r#"{"max_completion_tokens":64,"model":"gpt-4o-mini","messages":[{"role":"user","content":"chunked hello"}]}"#
    );

    // Forbidden: 403 in OpenAI shape, upstream not called.
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[],
            br#"{"model":"gpt-4o-realtime-preview","messages":[]}"#,
        )
        .expect("response");
    assert_eq!(r.status, 403, "{}", r.text());
    let j = r.json().expect("json");
    assert_eq!(j["error"]["code"], "model_not_allowed");
    assert_eq!(
        up.request_count(),
        1,
        "a refused request never reaches the model"
    );

    // Anthropic shape for /v1/messages.
    let r = envoy
        .post(
            "/v1/messages",
            &[],
            br#"{"model":"claude-3-opus","max_tokens":10,"messages":[]}"#,
        )
        .expect("response");
    assert_eq!(r.status, 403);
    assert_eq!(r.json().expect("json")["type"], "error");

    // Gemini: model from the path, alias rewrites the path.
    let r = envoy
        .post(
            "/v1beta/models/gem:generateContent",
            &[],
            br#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
        )
        .expect("response");
    let recs = up.requests();
    let last = recs.last().expect("gemini request");
    assert_eq!(
        last.path,
        "/v1beta/models/gemini-1.5-flash:generateContent",
        "{}",
        r.text()
    );

    // Malformed and adversarial bodies.
    for (raw, code) in [
        (&br#"{"model":"gpt-4o","model":"o1"}"#[..], "duplicate_key"),
        (b"{\"model\":\"gpt-4o\",", "invalid_json"),
        (
            br#"{"model":"gpt-4o","logprobs":true}"#,
            "parameter_not_allowed",
        ),
        (br#"{"messages":[]}"#, "missing_model"),
    ] {
        let before = up.request_count();
        let r = envoy
            .post("/v1/chat/completions", &[], raw)
            .expect("response");
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json().expect("json")["error"]["code"], code);
        assert_eq!(up.request_count(), before);
    }

    let verdicts = envoy.verdicts();
    assert!(
        verdicts
            .iter()
            .any(|v| v["verdict"] == "rewrite" && v["request_id"] == "ma-1"),
        "{verdicts:?}"
    );
    assert!(verdicts
        .iter()
        .any(|v| v["verdict"] == "block" && v["status"] == 403));
    assert!(
        !envoy.log().contains("chunked hello"),
        "prompt text must never be logged"
    );
}
