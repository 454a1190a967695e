//! dist/pii-redact.wasm in the wasmtime host: the same forwarded request and the same
//! client-visible answer whatever the chunk size (every size), streamed answers restored and
//! redacted across chunk and event boundaries, refusals without a trap, compressed answers
//! replaced by a provider-shaped error, fuel per request, and what the Kong/APISIX profiles do.
//! Needs dist/pii-redact.wasm: run `./build.sh test`.

use guardrail_harness::host::{dist_path, Exchange, Host, HostProfile, Outcome};
use serde_json::Value;

const CONFIG: &str = r#"{"entities":{"EMAIL":"pseudonymize","PHONE":"pseudonymize","CREDIT_CARD":"mask","SECRET":"block"},
  "default_action":"redact","count_header":true}"#;

const REQ: &[u8] = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"I am jane@corp.example, card 4111-1111-1111-1111, tel +49 30 1234567"}],"temperature":0.5}"#;
const REQ_OUT: &[u8] = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"I am <EMAIL_1>, card ****-****-****-1111, tel <PHONE_1>"}],"temperature":0.5}"#;

fn host(profile: HostProfile) -> Host {
    Host::builder(dist_path("pii-redact"))
        .profile(profile)
        .plugin_config(CONFIG)
        .build()
        .expect("plugin starts")
}

fn req_headers(path: &str) -> Vec<(&str, &str)> {
    vec![
        (":method", "POST"),
        (":path", path),
        (":authority", "gw"),
        ("content-type", "application/json"),
        ("content-length", "999"),
        ("accept-encoding", "gzip"),
    ]
}

fn run(
    h: &Host,
    path: &str,
    body: &[u8],
    chunk: usize,
    resp_headers: &[(&str, &str)],
    resp_body: &[u8],
) -> Outcome {
    let headers = req_headers(path);
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        response_headers: resp_headers,
        response_body: resp_body,
        ..Exchange::default()
    })
}

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn sse_text(body: &[u8]) -> String {
    let text = String::from_utf8(body.to_vec()).expect("utf8");
    text.split("\n\n")
        .filter_map(|block| block.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

fn sse(parts: &[&str]) -> Vec<u8> {
    let mut s = String::new();
    for p in parts {
        let v = serde_json::json!({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":p},"finish_reason":null}]});
        s += &format!("data: {v}\n\n");
    }
    s += "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    s.into_bytes()
}

#[test]
fn every_chunk_size_gives_the_same_request_rewrite_and_restored_answer() {
    let h = host(HostProfile::Envoy);
    let answer = serde_json::json!({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi <EMAIL_1>, I will call <PHONE_1>. Spam ops@evil.example"},"finish_reason":"stop"}]}).to_string();
    let want = answer
        .replace("<EMAIL_1>", "jane@corp.example")
        .replace("<PHONE_1>", "+49 30 1234567")
        .replace("ops@evil.example", "[EMAIL]");
    let resp_headers = [
        (":status", "200"),
        ("content-type", "application/json"),
        ("content-length", "9999"),
    ];
    for chunk in 0..=REQ.len() {
        let out = run(
            &h,
            "/v1/chat/completions",
            REQ,
            chunk,
            &resp_headers,
            answer.as_bytes(),
        );
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "chunk {chunk}: {out:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.request_body_out),
            String::from_utf8_lossy(REQ_OUT),
            "chunk {chunk}"
        );
        assert!(header(&out.request_headers_out, "content-length").is_none());
        assert!(
            header(&out.request_headers_out, "accept-encoding").is_none(),
            "upstream must answer uncompressed"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.response_body_out),
            want,
            "chunk {chunk}"
        );
        assert_eq!(
            header(&out.response_headers_out, "x-guardrail-pii"),
            Some("3")
        );
        assert!(header(&out.response_headers_out, "content-length").is_none());
        let logs: String = out.logs.iter().map(|l| l.1.clone()).collect();
        assert!(
            !logs.contains("jane@") && !logs.contains("4111"),
            "values must never be logged"
        );
    }
}

#[test]
fn streamed_answers_at_every_chunk_size_are_restored_and_redacted() {
    let h = host(HostProfile::Envoy);
    let body = sse(&[
        "Dear <EM",
        "AIL_1>, cc op",
        "s@ev",
        "il.example",
        " or +1 (579) ",
        "383-4701 and <PHONE_1>",
        "!",
    ]);
    let want = "Dear jane@corp.example, cc [EMAIL] or [PHONE] and +49 30 1234567!";
    let resp_headers = [(":status", "200"), ("content-type", "text/event-stream")];
    for chunk in 0..=body.len() {
        let out = run(&h, "/v1/chat/completions", REQ, chunk, &resp_headers, &body);
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "chunk {chunk}: {out:?}"
        );
        assert_eq!(sse_text(&out.response_body_out), want, "chunk {chunk}");
        let text = String::from_utf8_lossy(&out.response_body_out);
        assert!(
            text.ends_with("data: [DONE]\n\n")
                && !text.contains("ops@")
                && !text.contains("383-4701"),
            "chunk {chunk}"
        );
    }
}

#[test]
fn refusals_at_every_chunk_size_never_reach_upstream() {
    let h = host(HostProfile::Envoy);
    let secret =
        br#"{"model":"m","messages":[{"role":"user","content":"key AKIAOH77QAXTJMKV47PU"}]}"#;
    let cases: Vec<(&str, &[u8], u32, &str)> = vec![
        ("/v1/chat/completions", secret, 403, "pii_blocked"),
        ("/v1/messages", br#"{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"sk-ant-api03-x0JcSefRYxRXZw8pcZA_nbKW4k_IlyA8UsOf"}]}"#, 403, "pii_blocked"),
        ("/v1/chat/completions", br#"{"model":"m","messages":[{"role":"user","content":"a@b.io"}"#, 400, ""),
        ("/v1/chat/completions", br#"{"model":"m","model":"n"}"#, 400, ""),
        ("/v1/chat/completions", b"{\"model\":\"m\",\"x\":\"\xff\"}", 400, ""),
    ];
    for (path, body, status, code) in cases {
        for chunk in 0..=body.len() {
            let out = run(&h, path, body, chunk, &[], b"");
            assert!(out.trap.is_none(), "{path} chunk {chunk}: {out:?}");
            let reply = out
                .local_reply
                .as_ref()
                .unwrap_or_else(|| panic!("{path} chunk {chunk}: no refusal"));
            assert_eq!(reply.status, status, "{path} chunk {chunk}");
            let text = String::from_utf8_lossy(&reply.body);
            let code_header = reply
                .headers
                .iter()
                .any(|(k, v)| k == "x-guardrail-code" && v == code);
            assert!(text.contains(code) || code_header, "{text}");
            assert!(
                !text.contains("AKIA") && !text.contains("sk-ant"),
                "the refusal must not echo the value"
            );
            assert!(
                out.request_body_out.is_empty(),
                "{path} chunk {chunk}: body reached upstream"
            );
        }
    }
    // Trailers end a body too (HTTP/2): the secret is still found.
    let headers = req_headers("/v1/chat/completions");
    let out = h.exchange(&Exchange {
        request_headers: &headers,
        request_body: secret,
        chunk: 5,
        trailers: &[("x-t", "1")],
        ..Exchange::default()
    });
    assert_eq!(out.local_reply.map(|r| r.status), Some(403));
    // A compressed request body is refused unscanned.
    let mut gz = req_headers("/v1/chat/completions");
    gz.push(("content-encoding", "gzip"));
    let out = h.exchange(&Exchange {
        request_headers: &gz,
        request_body: b"\x1f\x8b\x08",
        ..Exchange::default()
    });
    assert_eq!(out.local_reply.map(|r| r.status), Some(415));
}

#[test]
fn compressed_or_unparseable_answers_become_provider_errors() {
    let h = host(HostProfile::Envoy);
    let gz = [
        (":status", "200"),
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    let out = run(
        &h,
        "/v1/chat/completions",
        REQ,
        0,
        &gz,
        b"\x1f\x8b\x08\x00binary",
    );
    assert_eq!(header(&out.response_headers_out, ":status"), Some("502"));
    assert!(header(&out.response_headers_out, "content-encoding").is_none());
    let v: Value = serde_json::from_slice(&out.response_body_out).expect("JSON error body");
    assert_eq!(v["error"]["code"], "response_not_scannable");
    let junk = [(":status", "200"), ("content-type", "application/json")];
    let out = run(&h, "/v1/messages", REQ, 0, &junk, b"<html>not json</html>");
    let v: Value = serde_json::from_slice(&out.response_body_out).expect("JSON error body");
    assert_eq!(v["type"], "error", "Anthropic shape: {v}");
}

#[test]
fn bad_configs_are_refused_and_fuel_is_bounded() {
    for bad in [
        r#"{"entities":{"EMAILS":"redact"}}"#,
        r#"{"default_action":"nuke"}"#,
        r#"{"max_body_bytes":0}"#,
        "{",
    ] {
        assert!(
            Host::builder(dist_path("pii-redact"))
                .plugin_config(bad)
                .build()
                .is_err(),
            "{bad} must be refused"
        );
    }
    let h = host(HostProfile::Envoy);
    // ~4 KB of prose with a few values: fuel for the whole request phase.
    let prose =
        "The quarterly report covers revenue, churn and hiring plans for the next two quarters. "
            .repeat(45);
    let content = format!("{prose} Contact jane@corp.example or +1 (579) 383-4701.");
    let body =
        serde_json::json!({"model":"gpt-4o-mini","messages":[{"role":"user","content":content}]})
            .to_string();
    let out = run(&h, "/v1/chat/completions", body.as_bytes(), 0, &[], b"");
    assert!(out.local_reply.is_none());
    println!("fuel for a {} byte request: {}", body.len(), out.total_fuel);
    assert!(out.total_fuel < 200_000_000, "fuel {}", out.total_fuel);
}

#[test]
fn kong_and_apisix_profiles_fail_closed() {
    // APISIX cannot rewrite bodies: a request with PII is refused instead of forwarded raw.
    let h = host(HostProfile::Apisix);
    let out = run(&h, "/v1/chat/completions", REQ, 0, &[], b"");
    assert!(out.trap.is_none());
    assert_eq!(out.local_reply.map(|r| r.status), Some(500));
    let clean = br#"{"model":"m","messages":[{"role":"user","content":"hello"}]}"#;
    let out = run(&h, "/v1/chat/completions", clean, 0, &[], b"");
    assert!(out.local_reply.is_none() && out.trap.is_none());
    // Kong: request trailers are not delivered; the body still ends and is rewritten.
    let h = host(HostProfile::Kong);
    for chunk in [0, 9] {
        let out = run(&h, "/v1/chat/completions", REQ, chunk, &[], b"");
        assert!(out.trap.is_none(), "{out:?}");
        assert_eq!(out.request_body_out, REQ_OUT.to_vec());
    }
    // Kong: answers (buffered JSON and streamed SSE) are still restored.
    let json_answer =
        br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi <EMAIL_1>"}}]}"#;
    let out = run(
        &h,
        "/v1/chat/completions",
        REQ,
        7,
        &[(":status", "200"), ("content-type", "application/json")],
        json_answer,
    );
    assert!(out.trap.is_none(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.response_body_out),
        r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi jane@corp.example"}}]}"#
    );
    let stream = sse(&["Hi <EMA", "IL_1>!"]);
    let out = run(
        &h,
        "/v1/chat/completions",
        REQ,
        7,
        &[(":status", "200"), ("content-type", "text/event-stream")],
        &stream,
    );
    assert!(out.trap.is_none(), "{out:?}");
    assert_eq!(sse_text(&out.response_body_out), "Hi jane@corp.example!");
}
