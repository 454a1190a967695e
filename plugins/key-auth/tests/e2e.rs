//! End-to-end: key-auth (`dist/key-auth.wasm`) in real Envoy (V8) in front of the mock
//! upstream. Good keys reach the upstream carrying the provider key and never the client key;
//! bad keys get a 401 in the provider's error shape without the upstream being called; scopes
//! answer 403, limits 429 with retry-after; the client cannot forge the identity header.
//! Key digests are computed with `harness keygen`'s function, so the CLI and the plugin agree.
//! Needs Envoy and dist/key-auth.wasm: run `./build.sh test`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use guardrail_cli::cmd::keygen;
use guardrail_harness::envoy::{Envoy, EnvoyError, Filter};
use guardrail_harness::host::dist_path;
use guardrail_harness::mock_upstream::{MockUpstream, Recorded};
use guardrail_sdk::identity;
use serde_json::{json, Value};

const PEPPER: &str = "e2e-pepper-0123456789";
const SECRET: &str = "e2e-identity-secret-value";
const GOOD: &str = "grw_test_alpha_00112233445566778899aabbccddeeff";
const ANTHROPIC_ONLY: &str = "grw_test_ant_ffeeddccbbaa99887766554433221100";
const EXPIRED: &str = "grw_test_old_0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const LIMITED: &str = "grw_test_lim_1234567890abcdef1234567890abcdef";
const BUDGETED: &str = "grw_test_bud_abcdefabcdefabcdefabcdefabcdefab";
const OPENAI_KEY: &str = "sk-provider-openai-e2e";
const ANTHROPIC_KEY: &str = "sk-provider-anthropic-e2e";
const CHAT: &str = "/v1/chat/completions";

fn digest(key: &str) -> String {
    keygen::digest(key, Some(PEPPER.as_bytes()))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn config() -> Value {
    json!({
        "pepper": PEPPER,
        "identity_secret": SECRET,
        "query_param": "key",
        "keys": [
            {"id": "alpha", "team": "t1", "env": "test", "app": "chat",
             "credentials": [{"hash": digest(GOOD), "label": "current"}],
             "providers": ["openai", "anthropic", "gemini"],
             "models": ["gpt-4o-mini", "claude-3-5-*", "gemini-2.0-*"]},
            {"id": "ant", "credentials": [{"hash": digest(ANTHROPIC_ONLY)}], "providers": ["anthropic"]},
            {"id": "old", "credentials": [{"hash": digest(EXPIRED), "expires_at": now() - 10}]},
            {"id": "lim", "credentials": [{"hash": digest(LIMITED)}], "rate_limit_per_minute": 2},
            {"id": "bud", "credentials": [{"hash": digest(BUDGETED)}],
             "token_budget": {"tokens": 10, "window_seconds": 86400}}
        ],
        "providers": [
            {"name": "openai", "kind": "openai", "api_key": OPENAI_KEY},
            {"name": "anthropic", "kind": "anthropic", "api_key": ANTHROPIC_KEY},
            {"name": "gemini", "kind": "gemini", "api_key": "g-provider-e2e"}
        ]
    })
}

fn start(up: &MockUpstream, keep_identity: bool) -> Envoy {
    let mut b = Envoy::builder().upstream(up).filter(Filter::new(
        "key-auth",
        dist_path("key-auth"),
        config().to_string(),
    ));
    if keep_identity {
        b = b.keep_identity_header();
    }
    b.start()
        .unwrap_or_else(|e| panic!("Envoy with key-auth did not start (run ./build.sh test): {e}"))
}

fn chat(model: &str) -> Vec<u8> {
    json!({"model": model, "messages": [{"role": "user", "content": "hello"}]})
        .to_string()
        .into_bytes()
}

/// No header of the upstream request carries any client key.
fn assert_no_client_key(rec: &Recorded) {
    for (k, v) in &rec.headers {
        for key in [GOOD, ANTHROPIC_ONLY, EXPIRED, LIMITED, BUDGETED] {
            assert!(!v.contains(key), "client key in upstream header {k}");
        }
    }
    assert!(
        !rec.path.contains("grw_"),
        "client key in upstream path {}",
        rec.path
    );
}

fn error_code(body: &Value) -> String {
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn good_key_reaches_upstream_with_the_provider_key_and_bad_keys_never_do() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, false);

    // Good key, OpenAI: the mock sees the provider key, not the client's, and no identity.
    let r = envoy
        .post(
            CHAT,
            &[
                ("authorization", &format!("Bearer {GOOD}")),
                ("x-request-id", "ka-good"),
            ],
            &chat("gpt-4o-mini"),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let recs = up.requests();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        recs[0].header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert_eq!(recs[0].header("x-guardrail-identity"), None);
    assert_no_client_key(&recs[0]);

    // Missing, unknown and expired keys: 401 in OpenAI's shape, one message, upstream untouched.
    let mut messages = Vec::new();
    let expired = format!("Bearer {EXPIRED}");
    for (headers, code) in [
        (vec![], "missing_api_key"),
        (
            vec![(
                "authorization",
                "Bearer grw_test_alpha_ffffffffffffffffffffffffffffffff",
            )],
            "invalid_api_key",
        ),
        (vec![("authorization", expired.as_str())], "invalid_api_key"),
        (vec![("authorization", "Bearer")], "invalid_api_key"),
    ] {
        let r = envoy
            .post(CHAT, &headers, &chat("gpt-4o-mini"))
            .expect("response");
        assert_eq!(r.status, 401, "{headers:?}: {}", r.text());
        let v = r.json().expect("json error");
        assert_eq!(error_code(&v), code);
        assert_eq!(v["error"]["type"], "authentication_error");
        assert_eq!(r.header("x-guardrail-code"), Some(code));
        assert!(!r.text().contains("grw_"), "the key is never echoed");
        messages.push(
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "one generic 401 message: {messages:?}");
    assert_eq!(up.request_count(), 1, "bad keys never reach the upstream");

    // A model outside the key's globs: 403 after the body is read (body split in chunks).
    let body = chat("gpt-4o");
    let (a, b) = body.split_at(body.len() / 2);
    let r = envoy
        .post_chunked(
            CHAT,
            &[("authorization", &format!("Bearer {GOOD}"))],
            &[a, b],
        )
        .expect("response");
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(error_code(&r.json().expect("json")), "model_not_allowed");
    // The allowed model in chunks passes.
    let body = chat("gpt-4o-mini");
    let (a, b) = body.split_at(7);
    let r = envoy
        .post_chunked(
            CHAT,
            &[("authorization", &format!("Bearer {GOOD}"))],
            &[a, b],
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());

    // Anthropic: the client's x-api-key is swapped for the provider's; anthropic-version kept.
    let anthropic = json!({"model": "claude-3-5-haiku-latest", "max_tokens": 16,
                           "messages": [{"role": "user", "content": "hi"}]})
    .to_string();
    up.clear();
    let r = envoy
        .post(
            "/v1/messages",
            &[
                ("x-api-key", ANTHROPIC_ONLY),
                ("anthropic-version", "2023-06-01"),
            ],
            anthropic.as_bytes(),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let recs = up.requests();
    assert_eq!(recs[0].header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(recs[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(recs[0].header("authorization"), None);
    assert_no_client_key(&recs[0]);
    // Anthropic-shaped 401 and a 403 for a provider outside the key's scope.
    let r = envoy
        .post(
            "/v1/messages",
            &[("x-api-key", "grw_nobody_1")],
            anthropic.as_bytes(),
        )
        .expect("response");
    assert_eq!(r.status, 401);
    let v = r.json().expect("json");
    assert_eq!(
        (v["type"].as_str(), v["error"]["type"].as_str()),
        (Some("error"), Some("authentication_error"))
    );
    let r = envoy
        .post(
            CHAT,
            &[("authorization", &format!("Bearer {ANTHROPIC_ONLY}"))],
            &chat("gpt-4o-mini"),
        )
        .expect("response");
    assert_eq!(r.status, 403);
    assert_eq!(error_code(&r.json().expect("json")), "provider_not_allowed");

    // Gemini with the key in the query (enabled in this config): the key leaves the path.
    up.clear();
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}).to_string();
    let r = envoy
        .post(
            &format!("/v1beta/models/gemini-2.0-flash:generateContent?key={GOOD}&x=1"),
            &[],
            gemini.as_bytes(),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let recs = up.requests();
    assert_eq!(
        recs[0].path,
        "/v1beta/models/gemini-2.0-flash:generateContent?x=1"
    );
    assert_eq!(recs[0].header("x-goog-api-key"), Some("g-provider-e2e"));
    assert_no_client_key(&recs[0]);

    // The verdict log names key ids, never keys; Envoy's log holds no key at all.
    assert!(envoy
        .wait_for_access_log("ka-good", Duration::from_secs(5))
        .is_some());
    let verdicts: Vec<Value> = envoy
        .verdicts()
        .into_iter()
        .filter(|v| v["guardrail"] == "key-auth")
        .collect();
    let good = verdicts
        .iter()
        .find(|v| v["request_id"] == "ka-good")
        .expect("verdict of the good request");
    assert_eq!(good["verdict"], "allow");
    assert_eq!(good["key_id"], "alpha");
    assert_eq!(good["team"], "t1");
    assert_eq!(good["provider"], "openai");
    assert!(verdicts
        .iter()
        .any(|v| v["rules"][0] == "key_auth.expired_key" && v["key_id"] == "old"));
    let stats = envoy.admin_get("/stats").expect("admin").text();
    assert!(
        stats.contains("wasmcustom.guardrail_requests_total.plugin.key_auth.verdict.allow"),
        "allow counter"
    );
    assert!(
        stats.contains(
            "wasmcustom.guardrail_rule_hits_total.plugin.key_auth.rule.key_auth_missing_key"
        ),
        "rule counter"
    );
    let log = envoy.log();
    for secret in [
        GOOD,
        ANTHROPIC_ONLY,
        EXPIRED,
        OPENAI_KEY,
        ANTHROPIC_KEY,
        PEPPER,
    ] {
        assert!(!log.contains(secret), "a secret reached Envoy's log");
    }
}

#[test]
fn identity_is_signed_by_the_plugin_and_a_forged_one_is_replaced() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, true);
    let forged = identity::sign(
        &identity::Identity {
            key_id: "admin".into(),
            models: vec!["*".into()],
            ..Default::default()
        },
        b"attacker-secret-value",
        1,
    );
    let r = envoy
        .post(
            CHAT,
            &[
                ("authorization", &format!("Bearer {GOOD}")),
                ("x-guardrail-identity", &forged),
            ],
            &chat("gpt-4o-mini"),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let recs = up.requests();
    let value = recs[0]
        .header("x-guardrail-identity")
        .expect("identity set by key-auth");
    assert_ne!(value, forged);
    let (id, iat) =
        identity::verify(value, SECRET.as_bytes()).expect("signed with the chain secret");
    assert_eq!(id.key_id, "alpha");
    assert_eq!(
        (id.team.as_str(), id.env.as_str(), id.app.as_str()),
        ("t1", "test", "chat")
    );
    assert_eq!(
        id.models,
        vec!["gpt-4o-mini", "claude-3-5-*", "gemini-2.0-*"]
    );
    assert!(iat > 1_700_000_000, "issued at the host clock");
    // A refused request's forged identity never travels on either.
    let r = envoy
        .post(
            CHAT,
            &[("x-guardrail-identity", &forged)],
            &chat("gpt-4o-mini"),
        )
        .expect("response");
    assert_eq!(r.status, 401);
    assert_eq!(up.request_count(), 1);
}

#[test]
fn rate_limit_answers_429_with_retry_after_and_budget_is_charged_from_usage() {
    let up = MockUpstream::start().expect("mock");
    let envoy = start(&up, false);
    let auth = format!("Bearer {LIMITED}");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = envoy
            .post(CHAT, &[("authorization", &auth)], &chat("m"))
            .expect("response");
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(error_code(&r.json().expect("json")), "rate_limited");
            let retry: u64 = r
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("retry-after");
            assert!((1..=120).contains(&retry), "{retry}");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(up.request_count(), 2);

    // Budget of 10 tokens: the first answer's reported usage (> 10) is charged after it,
    // so the next request is refused until the window ends.
    let auth = format!("Bearer {BUDGETED}");
    let long = json!({"model": "m", "messages": [{"role": "user",
        "content": "please count these words one two three four five six seven eight nine ten"}]})
    .to_string();
    let r = envoy
        .post(
            CHAT,
            &[("authorization", &auth), ("x-request-id", "ka-bud-1")],
            long.as_bytes(),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let used = r.json().expect("json")["usage"]["total_tokens"]
        .as_u64()
        .expect("mock usage");
    assert!(used >= 10, "the mock reports {used} tokens");
    assert!(envoy
        .wait_for_access_log("ka-bud-1", Duration::from_secs(5))
        .is_some());
    let charged = envoy
        .verdicts()
        .into_iter()
        .find(|v| v["request_id"] == "ka-bud-1" && v["phase"] == "response")
        .expect("usage line");
    assert_eq!(charged["counts"]["tokens"], used);
    assert_eq!(charged["usage_source"], "reported");
    let r = envoy
        .post(CHAT, &[("authorization", &auth)], &chat("m"))
        .expect("response");
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(
        error_code(&r.json().expect("json")),
        "token_budget_exhausted"
    );
    assert!(r.header("retry-after").is_some());
}

#[test]
fn a_bad_config_stops_envoy_and_names_the_field() {
    let up = MockUpstream::start().expect("mock");
    let mut cfg = config();
    cfg["keys"][0]["credentials"][0]["hash"] = "md5:0123".into();
    let err = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new(
            "key-auth",
            dist_path("key-auth"),
            cfg.to_string(),
        ))
        .start()
        .err()
        .expect("Envoy must refuse the plugin");
    let EnvoyError::Exited { log, .. } = &err else {
        panic!("expected Envoy to exit, got {err}");
    };
    assert!(log.contains("keys[0].credentials[0].hash"), "{log}");
    assert!(!log.contains(PEPPER), "the pepper is not logged");
}
