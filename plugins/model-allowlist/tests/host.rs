//! dist/model-allowlist.wasm in the wasmtime host: the same verdict and the same forwarded body
//! whatever the chunk size, adversarial bodies refused without a trap, and what each host
//! profile can and cannot do (APISIX cannot rewrite bodies: the plugin refuses, fail closed).
//! Needs dist/model-allowlist.wasm: run `./build.sh test`.

use guardrail_harness::host::{dist_path, Exchange, Host, HostProfile, Outcome};

const CONFIG: &str = r#"{"allow":["gpt-4o*","claude-3-5-*"],"aliases":{"fast":"gpt-4o-mini"},
  "max_output_tokens":64,"params":{"strip":["user"],"deny":["logprobs"]}}"#;

fn host(profile: HostProfile) -> Host {
    Host::builder(dist_path("model-allowlist"))
        .profile(profile)
        .plugin_config(CONFIG)
        .build()
        .expect("plugin starts")
}

fn run(h: &Host, path: &str, body: &[u8], chunk: usize) -> Outcome {
    let headers = [
        (":method", "POST"),
        (":path", path),
        (":authority", "gw"),
        ("content-type", "application/json"),
        ("content-length", "999"),
    ];
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        ..Exchange::default()
    })
}

#[test]
fn every_chunk_size_gives_the_same_rewrite() {
    let h = host(HostProfile::Envoy);
    let body = br#"{"user":"u1","model":"fast","max_tokens":4096,"messages":[{"role":"user","content":"caf\u00e9 \u2603 hello"}]}"#;
    let want = br#"{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"caf\u00e9 \u2603 hello"}]}"#;
    for chunk in 0..=body.len() {
        let out = run(&h, "/v1/chat/completions", body, chunk);
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "chunk {chunk}: {out:?}"
        );
        assert_eq!(out.request_body_out, want.to_vec(), "chunk {chunk}");
        assert!(
            out.request_headers_out
                .iter()
                .all(|(k, _)| k != "content-length"),
            "a rewritten body must not keep the old content-length"
        );
    }
}

#[test]
fn refusals_at_every_chunk_size_never_reach_upstream() {
    let h = host(HostProfile::Envoy);
    let deep = format!(
        r#"{{"model":"gpt-4o","x":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let cases: Vec<(&str, Vec<u8>, u32, &str)> = vec![
        (
            "/v1/chat/completions",
            br#"{"model":"o1","messages":[]}"#.to_vec(),
            403,
            "model_not_allowed",
        ),
        (
            "/v1/messages",
            br#"{"model":"claude-3-opus","max_tokens":1}"#.to_vec(),
            403,
            "model_not_allowed",
        ),
        (
            "/v1/chat/completions",
            br#"{"model":"gpt-4o","model":"o1"}"#.to_vec(),
            400,
            "duplicate_key",
        ),
        (
            "/v1/chat/completions",
            b"{\"model\":\"gpt-4o\xff\"}".to_vec(),
            400,
            "invalid_utf8",
        ),
        ("/v1/chat/completions", deep.into_bytes(), 400, "too_deep"),
        (
            "/v1/chat/completions",
            br#"{"model":"gpt-4o","logprobs":true}"#.to_vec(),
            400,
            "parameter_not_allowed",
        ),
        (
            "/v1beta/models/gemini-pro:generateContent",
            br#"{"contents":[]}"#.to_vec(),
            403,
            "model_not_allowed",
        ),
    ];
    for (path, body, status, code) in &cases {
        for chunk in [0, 1, 5, 4096] {
            let out = run(&h, path, body, chunk);
            assert!(
                out.trap.is_none(),
                "{path} chunk {chunk}: trap {:?}",
                out.trap
            );
            let reply = out
                .local_reply
                .as_ref()
                .unwrap_or_else(|| panic!("{path} {code}: no reply"));
            assert_eq!(reply.status, *status, "{path} {code} chunk {chunk}");
            let header = reply.headers.iter().find(|(k, _)| k == "x-guardrail-code");
            assert_eq!(header.map(|(_, v)| v.as_str()), Some(*code), "{path}");
            assert!(out.request_body_out.is_empty(), "nothing forwarded");
        }
    }
}

#[test]
fn trailers_end_the_body_and_it_is_still_checked() {
    let h = host(HostProfile::Envoy);
    let out = h.exchange(&Exchange {
        request_headers: &[
            (":method", "POST"),
            (":path", "/v1/chat/completions"),
            ("content-type", "application/json"),
        ],
        request_body: br#"{"model":"o1-mini","messages":[]}"#,
        chunk: 3,
        trailers: &[("x-trailer", "1")],
        ..Exchange::default()
    });
    assert_eq!(out.local_reply.map(|r| r.status), Some(403));
}

#[test]
fn profiles_degrade_as_documented() {
    // Kong: request side is complete; the policy works as on Envoy.
    let kong = host(HostProfile::Kong);
    let out = run(
        &kong,
        "/v1/chat/completions",
        br#"{"model":"fast","messages":[]}"#,
        4,
    );
    assert!(out.local_reply.is_none(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.request_body_out).contains("gpt-4o-mini"));
    // APISIX cannot rewrite bodies: a request that needs a rewrite is refused (fail closed),
    // one that needs none passes untouched.
    let apisix = host(HostProfile::Apisix);
    let out = run(
        &apisix,
        "/v1/chat/completions",
        br#"{"model":"fast","messages":[]}"#,
        0,
    );
    assert_eq!(out.local_reply.map(|r| r.status), Some(500));
    let ok = br#"{"model":"gpt-4o","max_tokens":10,"messages":[]}"#;
    let out = run(&apisix, "/v1/chat/completions", ok, 0);
    assert!(out.local_reply.is_none() && out.trap.is_none(), "{out:?}");
    assert_eq!(out.request_body_out, ok.to_vec());
}

#[test]
fn verdict_lines_and_fuel_are_reported() {
    let h = host(HostProfile::Envoy);
    let out = run(
        &h,
        "/v1/chat/completions",
        br#"{"model":"gpt-4o","messages":[{"role":"user","content":"secret prompt text"}]}"#,
        0,
    );
    let line = out
        .logs
        .iter()
        .map(|(_, l)| l.as_str())
        .find(|l| l.contains("\"guardrail\":\"model-allowlist\""))
        .expect("verdict line");
    assert!(
        line.contains("\"verdict\":\"rewrite\"") && line.contains("tokens.inserted"),
        "{line}"
    );
    assert!(out
        .logs
        .iter()
        .all(|(_, l)| !l.contains("secret prompt text")));
    assert!(out.total_fuel > 0);
    println!(
        "model-allowlist fuel per 4-message chat request: {}",
        out.total_fuel
    );
}

#[test]
fn bad_config_refuses_to_start_naming_the_field() {
    let err = Host::builder(dist_path("model-allowlist"))
        .plugin_config(r#"{"alow":["x"]}"#)
        .build()
        .err()
        .expect("refused");
    assert!(format!("{err:?}").contains("alow"), "{err:?}");
}
