//! The model a request path names is one fact, read through `guardrail_sdk::path` by every
//! plugin that reads it: key-auth (key scopes) and model-allowlist (the allow list) must
//! agree on every path shape. Generated: every provider shape × model spelling × action ×
//! position (canonical or behind a route prefix) × query, sent to both real `.wasm` with a
//! policy allowing exactly the model the SDK reads, and with one allowing another model.
//! Needs dist/key-auth.wasm and dist/model-allowlist.wasm: run `./build.sh test`.

use guardrail_cli::cmd::keygen;
use guardrail_harness::host::{dist_path, Exchange, Host, Outcome};
use guardrail_sdk::path::model_from_path;
use serde_json::json;

const PEPPER: &str = "path-diff-pepper-0123456789";
const KEY: &str = "grw_t_diff_0123456789abcdef0123456789abcdef";
const OTHER: &str = "some-other-model";

/// (spelling in the path, what it names)
const MODELS: &[(&str, &str)] = &[
    ("m-1", "m-1"),
    ("gpt-4o-mini", "gpt-4o-mini"),
    ("anthropic.claude-v2%3A1", "anthropic.claude-v2:1"),
    ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet@20240620"),
    ("gemini%2D2.0", "gemini-2.0"),
];

/// Path templates (`{m}` = the model's spelling).
fn shapes() -> Vec<String> {
    let mut out = Vec::new();
    for action in ["chat/completions", "completions", "embeddings"] {
        out.push(format!("/openai/deployments/{{m}}/{action}"));
    }
    for action in [
        "invoke",
        "converse",
        "converse-stream",
        "invoke-with-response-stream",
        "count-tokens",
    ] {
        out.push(format!("/model/{{m}}/{action}"));
    }
    for version in ["v1", "v1beta"] {
        for action in [
            "generateContent",
            "streamGenerateContent",
            "countTokens",
            "embedContent",
        ] {
            out.push(format!("/{version}/models/{{m}}:{action}"));
            out.push(format!(
                "/{version}/projects/p/locations/us-central1/publishers/google/models/{{m}}:{action}"
            ));
        }
    }
    out.push("/v1/chat/completions".into());
    out.push("/v1/messages".into());
    out
}

fn key_auth(glob: &str) -> Host {
    let config = json!({
        "pepper": PEPPER,
        "keys": [{"id": "k", "credentials": [{"hash": keygen::digest(KEY, Some(PEPPER.as_bytes()))}],
                  "models": [glob]}]
    });
    Host::builder(dist_path("key-auth"))
        .plugin_config(config.to_string())
        .build()
        .unwrap_or_else(|e| panic!("key-auth did not start: {e}"))
}

fn allowlist(glob: &str) -> Host {
    Host::builder(dist_path("model-allowlist"))
        .plugin_config(json!({ "allow": [glob] }).to_string())
        .build()
        .unwrap_or_else(|e| panic!("model-allowlist did not start: {e}"))
}

fn status(h: &Host, path: &str) -> u32 {
    let auth = format!("Bearer {KEY}");
    let headers = [
        (":method", "POST"),
        (":path", path),
        (":authority", "gw.test"),
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let out: Outcome = h.exchange(&Exchange {
        request_headers: &headers,
        request_body: br#"{"messages":[{"role":"user","content":"hi"}],"contents":[{"parts":[{"text":"hi"}]}]}"#,
        chunk: 0,
        ..Exchange::default()
    });
    assert!(out.trap.is_none(), "{path}: trap {:?}", out.trap);
    out.local_reply.map_or(200, |r| r.status)
}

#[test]
fn key_auth_and_model_allowlist_read_the_same_model_from_every_path() {
    // One pair of hosts per policy (a host serves many requests).
    let globs: Vec<&str> = MODELS.iter().map(|(_, m)| *m).chain([OTHER]).collect();
    let hosts: Vec<(&str, Host, Host)> = globs
        .iter()
        .map(|g| (*g, key_auth(g), allowlist(g)))
        .collect();
    let mut checked = 0;
    for template in shapes() {
        for (spelling, named) in MODELS {
            for prefix in ["", "/gw"] {
                for query in ["", "?api-version=2024-06-01", "?alt=sse&x=%2Fmodel%2Fevil"] {
                    let path = format!("{prefix}{}{query}", template.replace("{m}", spelling));
                    let sdk = model_from_path(&path).ok().flatten().map(|m| m.model);
                    // The generator knows what each path names: the SDK must agree.
                    let per_model = template.contains("{m}") && prefix.is_empty();
                    let want = per_model.then(|| named.to_string());
                    assert_eq!(sdk, want, "{path}");
                    let policies = hosts.iter().filter(|(g, _, _)| g == named || *g == OTHER);
                    for (glob, k, m) in policies {
                        let (ka, ma) = (status(k, &path), status(m, &path));
                        // The same decision (each plugin answers a refusal with its own status).
                        assert_eq!(
                            ka == 200,
                            ma == 200,
                            "{path} allowing {glob}: key-auth {ka}, model-allowlist {ma}"
                        );
                        if per_model {
                            let (g, n): (&str, &str) = (glob, named);
                            let expect = if g == n { 200 } else { 403 };
                            assert_eq!(ka, expect, "{path} allowing {glob}");
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn unreadable_path_models_are_refused_by_both() {
    let (k, m) = (key_auth("*"), allowlist("*"));
    for path in [
        "/model/a%zz/invoke",
        "/model//invoke",
        "/openai/deployments//chat/completions",
        "/v1beta/models/:generateContent",
        "/model/a%2Fb/invoke",
        "/model/a%0Ab/converse",
    ] {
        let (ka, ma) = (status(&k, path), status(&m, path));
        assert_eq!((ka, ma), (400, 400), "{path}");
    }
}
