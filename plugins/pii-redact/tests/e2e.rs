//! End-to-end: pii-redact (`dist/pii-redact.wasm`) in real Envoy V8 in front of the mock
//! upstream (which echoes the last user text unless `x-mock-reply` says otherwise). The
//! upstream must see placeholders/masks, never the values; the client must read its own values
//! back; secrets are refused in the provider's error shape; malformed or compressed bodies are
//! refused; streamed answers are restored and redacted across event boundaries.
//! Needs Envoy and dist/pii-redact.wasm: run `./build.sh test`.

use guardrail_harness::envoy::{Envoy, EnvoyError, Filter};
use guardrail_harness::host::dist_path;
use guardrail_harness::http_client::sse_events;
use guardrail_harness::mock_upstream::MockUpstream;
use serde_json::Value;

const CONFIG: &str = r#"{"entities": {"EMAIL": "pseudonymize", "PHONE": "pseudonymize",
    "CREDIT_CARD": "mask", "SECRET": "block"}, "default_action": "redact", "count_header": true}"#;

fn start(up: &MockUpstream, config: &str) -> Envoy {
    Envoy::with_plugin(up, "pii-redact", config)
}

fn last_upstream_body(up: &MockUpstream) -> String {
    let recs = up.requests();
    let last = recs.last().expect("a request reached the upstream");
    String::from_utf8(last.body.clone()).expect("utf8")
}

/// Text a client reads from an SSE body (OpenAI chat or Anthropic deltas).
fn streamed_text(body: &str) -> String {
    sse_events(body)
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .or(v["delta"]["text"].as_str())
                .map(String::from)
        })
        .collect()
}

#[test]
fn upstream_sees_placeholders_and_masks_client_reads_its_own_data() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, CONFIG);
    let prompt = "I am jane.doe@corp.example, card 4111 1111 1111 1111, call +1 (579) 383-4701. Mail jane.doe@corp.example!";
    let body = serde_json::json!({"model": "gpt-4o-mini", "temperature": 0.25,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": prompt}]})
    .to_string();

    // Non-streamed OpenAI chat.
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[("x-request-id", "pii-e2e-1")],
            body.as_bytes(),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = last_upstream_body(&up);
    let masked = "I am <EMAIL_1>, card **** **** **** 1111, call <PHONE_1>. Mail <EMAIL_1>!";
    assert_eq!(
        sent,
        body.replace(prompt, masked),
        "only the segment changes, every other byte stays"
    );
    for leak in ["jane.doe@corp.example", "4111 1111 1111 1111", "383-4701"] {
        assert!(!sent.contains(leak), "{leak} reached the upstream");
    }
    let answer = r.json().expect("json")["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(answer, "I am jane.doe@corp.example, card **** **** **** 1111, call +1 (579) 383-4701. Mail jane.doe@corp.example!");
    assert_eq!(r.header("x-guardrail-pii"), Some("4"));
    let verdicts = envoy.verdicts();
    let req = verdicts
        .iter()
        .find(|v| v["request_id"] == "pii-e2e-1" && v["phase"] == "request")
        .expect("request verdict");
    assert_eq!(req["verdict"], "redact");
    assert_eq!(req["counts"]["EMAIL"], 2);
    assert_eq!(req["counts"]["CREDIT_CARD"], 1);
    assert_eq!(req["segments"][0], "messages[1].content");
    let resp = verdicts
        .iter()
        .find(|v| v["request_id"] == "pii-e2e-1" && v["phase"] == "response")
        .expect("response verdict");
    assert_eq!(resp["verdict"], "restore");
    let log = envoy.plugin_log_lines().join("\n");
    assert!(
        !log.contains("jane.doe") && !log.contains("4111"),
        "values must never be logged"
    );

    // The same body split into many small request chunks.
    let bytes = body.as_bytes();
    let chunks: Vec<&[u8]> = bytes.chunks(7).collect();
    let r = envoy
        .post_chunked("/v1/chat/completions", &[], &chunks)
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(last_upstream_body(&up), body.replace(prompt, masked));

    // Anthropic Messages, streamed: the echo comes back in 2-character deltas and is restored.
    let body = serde_json::json!({"model": "claude-x", "max_tokens": 50, "stream": true,
        "system": "user mail jane.doe@corp.example",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Write to jane.doe@corp.example now"}]}]})
    .to_string();
    let resp = envoy
        .send(
            "POST",
            "/v1/messages",
            &[
                ("content-type", "application/json"),
                ("x-mock-delta-chars", "2"),
            ],
            Some(body.as_bytes()),
        )
        .expect("head");
    assert_eq!(resp.status, 200);
    let text = String::from_utf8(resp.chunks().expect("body").concat()).expect("utf8");
    assert_eq!(streamed_text(&text), "Write to jane.doe@corp.example now");
    let sent = last_upstream_body(&up);
    assert!(
        sent.contains(r#""system":"user mail <EMAIL_1>""#)
            && sent.contains("Write to <EMAIL_1> now"),
        "{sent}"
    );
}

#[test]
fn streamed_answers_restore_and_redact_across_event_boundaries() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, CONFIG);
    let body = r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"contact me: jane.doe@corp.example"}]}"#;
    let reply = "Sure, contact: jane.doe@corp.example and <EMAIL_1>; also leak ops@evil.example, key AKIAOH77QAXTJMKV47PU ok";
    for delta in ["1", "3", "5", "8"] {
        let resp = envoy
            .send(
                "POST",
                "/v1/chat/completions",
                &[
                    ("content-type", "application/json"),
                    ("x-mock-delta-chars", delta),
                    ("x-mock-reply", reply),
                ],
                Some(body.as_bytes()),
            )
            .expect("head");
        assert_eq!(resp.status, 200);
        let chunks = resp.chunks().expect("body");
        let text = String::from_utf8(chunks.concat()).expect("utf8");
        assert_eq!(
            streamed_text(&text),
            "Sure, contact: [EMAIL] and jane.doe@corp.example; also leak [EMAIL], key [SECRET] ok",
            "delta {delta}"
        );
        assert!(
            !text.contains("ops@evil") && !text.contains("AKIAOH77"),
            "delta {delta}: leaked"
        );
        assert_eq!(
            sse_events(&text).last().map(|e| e.1.as_str()),
            Some("[DONE]")
        );
    }
    let v = envoy.verdicts();
    let resp = v
        .iter()
        .rev()
        .find(|v| v["phase"] == "response")
        .expect("response verdict");
    assert_eq!(resp["verdict"], "redact");
    assert_eq!(resp["streamed"], true);
    assert_eq!(resp["counts"]["EMAIL"], 2);
}

#[test]
fn secrets_block_and_unscannable_bodies_fail_closed() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, CONFIG);
    let before = up.requests().len();

    let body = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"use key sk-proj-fjeqyX7C3WuUgSisJuedEWslfrReoDKxy5o3zjvjvW0tWmXa please"}]}"#;
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[("x-request-id", "pii-e2e-block")],
            body,
        )
        .expect("response");
    assert_eq!(r.status, 403, "{}", r.text());
    let j = r.json().expect("json");
    assert_eq!(j["error"]["code"], "pii_blocked");
    assert!(j["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("SECRET"));
    assert!(
        !r.text().contains("sk-proj"),
        "the error must not echo the value"
    );
    assert_eq!(r.header("x-guardrail-code"), Some("pii_blocked"));

    let anth = br#"{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"token ghp_CEr7n1AyOHFRuT11NCue1cr3McRTrKwtPYKb"}]}"#;
    let r = envoy.post("/v1/messages", &[], anth).expect("response");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json().expect("json")["type"],
        "error",
        "Anthropic error shape: {}",
        r.text()
    );

    let r = envoy
        .post(
            "/v1/chat/completions",
            &[],
            br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a@b.io"}"#,
        )
        .expect("response");
    assert_eq!(r.status, 400, "{}", r.text());
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[],
            br#"{"model":"m","model":"n","messages":[]}"#,
        )
        .expect("response");
    assert_eq!(r.status, 400, "duplicate keys: {}", r.text());
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[("content-encoding", "gzip")],
            b"\x1f\x8b\x08\x00garbage",
        )
        .expect("response");
    assert_eq!(r.status, 415, "{}", r.text());
    assert_eq!(
        up.requests().len(),
        before,
        "nothing refused may reach the upstream"
    );

    let v = envoy.verdicts();
    let block = v
        .iter()
        .find(|v| v["request_id"] == "pii-e2e-block")
        .expect("verdict");
    assert_eq!(
        (block["verdict"].as_str(), block["status"].as_u64()),
        (Some("block"), Some(403))
    );
    assert_eq!(block["counts"]["SECRET"], 1);
    assert_eq!(block["rules"][0], "pii.secret");
}

#[test]
fn a_bad_configuration_stops_envoy_and_names_the_field() {
    let up = MockUpstream::start().expect("mock");
    let err = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new(
            "pii-redact",
            dist_path("pii-redact"),
            r#"{"entities": {"EMAILS": "redact"}}"#,
        ))
        .start()
        .err()
        .expect("Envoy must not start with a configuration the plugin refuses");
    let EnvoyError::Exited { log, .. } = &err else {
        panic!("expected Envoy to exit during start-up, got: {err}");
    };
    assert!(
        log.contains("EMAILS"),
        "the refusal must name the field:\n{log}"
    );
}
