//! Table tests of the request decision: every refusal, its status and code, and the header
//! plan of admitted requests.

use super::*;
use crate::config::load;
use crate::key_store::digest_text;
use crate::rate_window::memory::MemoryStore;
use guardrail_sdk::format::format_for_path;
use guardrail_sdk::identity;
use serde_json::json;

const PEPPER: &str = "unit-test-pepper-0123";
const SECRET: &str = "unit-test-identity-secret";
const NOW: u64 = 1_700_000_040;

fn h(key: &str) -> String {
    digest_text(key, Some(PEPPER.as_bytes()))
}

fn settings_with(extra: serde_json::Value) -> Settings {
    let mut v = json!({
        "pepper": PEPPER,
        "identity_secret": SECRET,
        "keys": [
            {"id": "alpha", "team": "t1", "env": "prod", "app": "chat",
             "credentials": [{"hash": h("grw_prod_alpha_good"), "label": "new"},
                             {"hash": h("grw_prod_alpha_old"), "expires_at": NOW - 1},
                             {"hash": h("grw_prod_alpha_later"), "not_before": NOW + 100},
                             {"hash": h("grw_prod_alpha_off"), "disabled": true}],
             "providers": ["openai", "anthropic"], "models": ["gpt-4o-mini", "claude-*"]},
            {"id": "beta", "credentials": [{"hash": h("grw_prod_beta_x")}],
             "rate_limit_per_minute": 2},
            {"id": "gamma", "credentials": [{"hash": h("grw_prod_gamma_x")}],
             "token_budget": {"tokens": 100, "window_seconds": 3600}},
            {"id": "gem", "credentials": [{"hash": h("grw_prod_gem_x")}],
             "providers": ["gemini"], "models": ["gemini-2.0-*"]}
        ],
        "providers": [
            {"name": "openai", "kind": "openai", "api_key": "sk-openai-provider"},
            {"name": "anthropic", "kind": "anthropic", "api_key": "sk-ant-provider"},
            {"name": "gemini", "kind": "gemini", "api_key": "g-provider"}
        ]
    });
    if let (Some(obj), Some(more)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in more {
            obj.insert(k.clone(), val.clone());
        }
    }
    load(v.to_string().as_bytes()).unwrap()
}

fn settings() -> Settings {
    settings_with(json!({}))
}

fn head(path: &str, no_body: bool) -> RequestHead {
    RequestHead {
        path: path.into(),
        authority: "gw.local".into(),
        format: Some(format_for_path(path)),
        no_body,
    }
}

fn run_with(
    s: &Settings,
    path: &str,
    headers: &[(&str, &str)],
    now: Option<u64>,
    store: &mut MemoryStore,
) -> HeadVerdict {
    let hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    decide_head(
        s,
        &head(path, false),
        |n| hs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()),
        now,
        store,
        &mut IdentityCache::new(),
    )
}

fn run(path: &str, headers: &[(&str, &str)]) -> HeadVerdict {
    run_with(
        &settings(),
        path,
        headers,
        Some(NOW),
        &mut MemoryStore::default(),
    )
}

fn refusal(v: &HeadVerdict) -> (u16, &'static str, &'static str) {
    match v {
        HeadVerdict::Refuse { refusal, .. } => (refusal.status, refusal.code, refusal.rule),
        HeadVerdict::Admit { notes, .. } => panic!("admitted: {notes:?}"),
    }
}

fn plan(v: &HeadVerdict) -> &HeaderPlan {
    match v {
        HeadVerdict::Admit { plan, .. } => plan,
        HeadVerdict::Refuse { refusal, .. } => panic!("refused: {refusal:?}"),
    }
}

fn set_value<'a>(p: &'a HeaderPlan, name: &str) -> Option<&'a str> {
    p.set
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const CHAT: &str = "/v1/chat/completions";

#[test]
fn refusals_have_the_right_status_code_and_one_generic_401_message() {
    type Row<'a> = (&'a str, Vec<(&'a str, &'a str)>, (u16, &'a str, &'a str));
    let mut table: Vec<Row> = vec![
        (
            CHAT,
            vec![],
            (401, "missing_api_key", "key_auth.missing_key"),
        ),
        (
            CHAT,
            vec![("authorization", "Bearer grw_nope")],
            (401, "invalid_api_key", "key_auth.unknown_key"),
        ),
        (
            CHAT,
            vec![("authorization", "Bearer grw_prod_alpha_old")],
            (401, "invalid_api_key", "key_auth.expired_key"),
        ),
        (
            CHAT,
            vec![("authorization", "Bearer grw_prod_alpha_later")],
            (401, "invalid_api_key", "key_auth.not_yet_valid"),
        ),
        (
            CHAT,
            vec![("authorization", "Bearer grw_prod_alpha_off")],
            (401, "invalid_api_key", "key_auth.disabled_key"),
        ),
        (
            CHAT,
            vec![("authorization", "Bearer")],
            (401, "invalid_api_key", "key_auth.malformed_key"),
        ),
        (
            CHAT,
            vec![
                ("authorization", "Bearer grw_prod_alpha_good"),
                ("x-api-key", "grw_prod_beta_x"),
            ],
            (401, "invalid_api_key", "key_auth.ambiguous_key"),
        ),
        (
            "/v1beta/models/gemini-2.0-flash:generateContent",
            vec![("x-goog-api-key", "grw_prod_alpha_good")],
            (403, "provider_not_allowed", "key_auth.provider_not_allowed"),
        ),
        (
            "/v1beta/models/gemini-1.5-pro:generateContent",
            vec![("x-goog-api-key", "grw_prod_gem_x")],
            (403, "model_not_allowed", "key_auth.model_not_allowed"),
        ),
        (
            "/v1beta/models/gemini%zz:generateContent",
            vec![("x-goog-api-key", "grw_prod_gem_x")],
            (400, "invalid_model", "key_auth.invalid_model"),
        ),
    ];
    table.push((
        "/openai/../v1/messages",
        vec![("x-api-key", "grw_prod_alpha_good")],
        (400, "invalid_path", "key_auth.ambiguous_path"),
    ));
    let mut messages = std::collections::BTreeSet::new();
    for (path, headers, want) in table {
        let v = run(path, &headers);
        assert_eq!(refusal(&v), want, "{path} {headers:?}");
        if let HeadVerdict::Refuse { refusal, plan, .. } = &v {
            if refusal.status == 401 {
                messages.insert(refusal.message);
            }
            // Refused requests lose the client credential too.
            assert!(plan.remove.iter().any(|r| r == "authorization"));
            assert!(plan.set.is_empty());
        }
    }
    assert_eq!(messages.len(), 1, "one message for every 401: {messages:?}");
}

#[test]
fn admitted_request_gets_the_provider_key_and_a_signed_identity() {
    let v = run(
        CHAT,
        &[
            ("authorization", "Bearer grw_prod_alpha_good"),
            ("x-guardrail-identity", "forged"),
        ],
    );
    let p = plan(&v);
    assert_eq!(
        set_value(p, "authorization"),
        Some("Bearer sk-openai-provider")
    );
    assert!(p.remove.iter().any(|r| r == "x-guardrail-identity"));
    let (id, iat) = identity::verify(
        set_value(p, "x-guardrail-identity").unwrap(),
        SECRET.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        (id.key_id.as_str(), id.team.as_str(), iat),
        ("alpha", "t1", NOW)
    );
    assert_eq!(id.models, vec!["gpt-4o-mini", "claude-*"]);
    match &v {
        HeadVerdict::Admit {
            body_model,
            charge_budget,
            notes,
            ..
        } => {
            assert_eq!(*body_model, Some(true));
            assert!(!charge_budget);
            assert_eq!(notes.provider.as_deref(), Some("openai"));
            assert_eq!(notes.credential_label, "new");
            assert_eq!(notes.source, "authorization");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn anthropic_requests_get_x_api_key_and_keep_anthropic_version() {
    let v = run(
        "/v1/messages",
        &[
            ("x-api-key", "grw_prod_alpha_good"),
            ("anthropic-version", "2023-06-01"),
        ],
    );
    let p = plan(&v);
    assert_eq!(set_value(p, "x-api-key"), Some("sk-ant-provider"));
    assert!(!p.remove.iter().any(|r| r == "anthropic-version"));
    assert!(set_value(p, "authorization").is_none());
}

#[test]
fn gemini_path_model_is_checked_in_the_headers_and_needs_no_body() {
    let v = run(
        "/v1beta/models/gemini-2.0-flash:generateContent",
        &[("x-goog-api-key", "grw_prod_gem_x")],
    );
    assert_eq!(set_value(plan(&v), "x-goog-api-key"), Some("g-provider"));
    match v {
        HeadVerdict::Admit {
            body_model, notes, ..
        } => {
            assert_eq!(body_model, None);
            assert_eq!(notes.model.as_deref(), Some("gemini-2.0-flash"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_body_requests_only_authenticate() {
    let s = settings();
    let v = decide_head(
        &s,
        &head("/v1/models", true),
        |n| (n == "authorization").then(|| "Bearer grw_prod_alpha_good".to_string()),
        Some(NOW),
        &mut MemoryStore::default(),
        &mut IdentityCache::new(),
    );
    match v {
        HeadVerdict::Admit {
            body_model,
            plan,
            notes,
            ..
        } => {
            assert_eq!(body_model, None);
            assert_eq!(notes.provider, None);
            // No provider serves /v1/models by default: no provider key, but the client's is gone.
            assert!(set_value(&plan, "authorization").is_none());
            assert!(plan.remove.iter().any(|r| r == "authorization"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rate_limit_429_after_n_with_retry_after() {
    let s = settings();
    let mut store = MemoryStore::default();
    let key = [("authorization", "Bearer grw_prod_beta_x")];
    for _ in 0..2 {
        assert!(matches!(
            run_with(&s, CHAT, &key, Some(NOW), &mut store),
            HeadVerdict::Admit { .. }
        ));
    }
    match run_with(&s, CHAT, &key, Some(NOW), &mut store) {
        HeadVerdict::Refuse { refusal, notes, .. } => {
            assert_eq!((refusal.status, refusal.code), (429, "rate_limited"));
            assert!(refusal.retry_after.is_some_and(|r| (1..=120).contains(&r)));
            assert_eq!(notes.rate_remaining, Some(0));
        }
        other => panic!("{other:?}"),
    }
    // Another key is not affected.
    assert!(matches!(
        run_with(
            &s,
            CHAT,
            &[("authorization", "Bearer grw_prod_gamma_x")],
            Some(NOW),
            &mut store
        ),
        HeadVerdict::Admit { .. }
    ));
}

#[test]
fn budget_exhaustion_then_recovery() {
    let s = settings();
    let mut store = MemoryStore::default();
    let key = [("authorization", "Bearer grw_prod_gamma_x")];
    match run_with(&s, CHAT, &key, Some(NOW), &mut store) {
        HeadVerdict::Admit { charge_budget, .. } => assert!(charge_budget),
        other => panic!("{other:?}"),
    }
    let budget = s.store.keys()[2].token_budget.unwrap();
    rate_window::charge(&mut store, "gamma", budget, NOW, 100).unwrap();
    let v = run_with(&s, CHAT, &key, Some(NOW), &mut store);
    assert_eq!(refusal(&v).1, "token_budget_exhausted");
    let later = (NOW / 3600 + 1) * 3600;
    assert!(matches!(
        run_with(&s, CHAT, &key, Some(later), &mut store),
        HeadVerdict::Admit { .. }
    ));
}

#[test]
fn missing_clock_or_shared_data_follows_the_policy() {
    let deny = settings();
    let allow = settings_with(json!({"on_missing_capability": "allow"}));
    let limited = [("authorization", "Bearer grw_prod_beta_x")];
    let windowed = [("authorization", "Bearer grw_prod_alpha_good")];
    // No clock: limits cannot be counted.
    assert_eq!(
        refusal(&run_with(
            &deny,
            CHAT,
            &limited,
            None,
            &mut MemoryStore::default()
        ))
        .0,
        503
    );
    match run_with(&allow, CHAT, &limited, None, &mut MemoryStore::default()) {
        HeadVerdict::Admit { notes, .. } => assert_eq!(notes.limits_enforced, Some(false)),
        other => panic!("{other:?}"),
    }
    // No clock and a credential with a validity window: (alpha's "new" has none: fine).
    assert!(matches!(
        run_with(&deny, CHAT, &windowed, None, &mut MemoryStore::default()),
        HeadVerdict::Admit { .. }
    ));
    // No shared data.
    let mut refusing = MemoryStore::default();
    refusing.refuse = Some(12);
    assert_eq!(
        refusal(&run_with(&deny, CHAT, &limited, Some(NOW), &mut refusing)).1,
        "limits_unavailable"
    );
    match run_with(&allow, CHAT, &limited, Some(NOW), &mut refusing) {
        HeadVerdict::Admit { notes, .. } => assert_eq!(notes.limits_enforced, Some(false)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn expiry_without_a_clock_is_refused_or_reported() {
    let v = json!({"keys": [{"id": "k", "expires_at": NOW, "credentials": [{"hash": digest_text("kk", None)}]}]});
    let deny = load(v.to_string().as_bytes()).unwrap();
    let mut allow_v = v.clone();
    allow_v["on_missing_capability"] = "allow".into();
    let allow = load(allow_v.to_string().as_bytes()).unwrap();
    let key = [("x-api-key", "kk")];
    assert_eq!(
        refusal(&run_with(
            &deny,
            CHAT,
            &key,
            None,
            &mut MemoryStore::default()
        ))
        .2,
        "key_auth.no_clock"
    );
    match run_with(&allow, CHAT, &key, None, &mut MemoryStore::default()) {
        HeadVerdict::Admit { notes, .. } => assert_eq!(notes.expiry_enforced, Some(false)),
        other => panic!("{other:?}"),
    }
    // With a clock the window is enforced.
    assert_eq!(
        refusal(&run_with(
            &deny,
            CHAT,
            &key,
            Some(NOW),
            &mut MemoryStore::default()
        ))
        .2,
        "key_auth.expired_key"
    );
}

#[test]
fn query_param_key_is_read_only_when_enabled_and_cut_from_the_path() {
    let s = settings_with(json!({"query_param": "key"}));
    let path = "/v1beta/models/gemini-2.0-flash:generateContent?key=grw_prod_gem_x&alt=sse";
    let v = run_with(&s, path, &[], Some(NOW), &mut MemoryStore::default());
    assert_eq!(
        set_value(plan(&v), ":path"),
        Some("/v1beta/models/gemini-2.0-flash:generateContent?alt=sse")
    );
    assert_eq!(refusal(&run(path, &[])).1, "missing_api_key");
}

fn alpha(s: &Settings) -> &KeyEntry {
    &s.store.keys()[0]
}

#[test]
fn body_model_checks() {
    let s = settings();
    let k = alpha(&s);
    let ok = br#"{"model":"gpt-4o-mini","messages":[]}"#;
    let json_ct = Some("application/json");
    assert_eq!(
        decide_body(k, true, json_ct, None, ok, 1 << 20),
        BodyVerdict::Allow {
            model: Some("gpt-4o-mini".into())
        }
    );
    assert_eq!(
        decide_body(k, true, None, None, ok, 1 << 20),
        BodyVerdict::Allow {
            model: Some("gpt-4o-mini".into())
        }
    );
    let refused =
        |raw: &[u8], required: bool| match decide_body(k, required, json_ct, None, raw, 1 << 20) {
            BodyVerdict::Refuse { refusal, .. } => (refusal.status, refusal.rule),
            BodyVerdict::BadBody(e) => (e.status, e.code),
            BodyVerdict::Allow { model } => panic!("allowed {model:?}"),
        };
    assert_eq!(
        refused(br#"{"model":"gpt-4o"}"#, true),
        (403, "key_auth.model_not_allowed")
    );
    assert_eq!(
        refused(br#"{"messages":[]}"#, true),
        (403, "key_auth.model_missing")
    );
    assert_eq!(refused(br#"{"model":1}"#, true), (400, "invalid_model"));
    // Duplicate keys are refused, so a second "model" cannot smuggle another model past us.
    assert_eq!(
        refused(br#"{"model":"gpt-4o-mini","model":"gpt-4o"}"#, true).0,
        400
    );
    assert_eq!(
        refused(br#"{"mod\u0065l":"gpt-4o","model":"gpt-4o-mini"}"#, true).0,
        400
    );
    assert_eq!(refused(b"[1]", true).0, 400);
    assert_eq!(refused(b"{", true).0, 400);
    assert_eq!(
        decide_body(k, false, json_ct, None, br#"{"purpose":"x"}"#, 1 << 20),
        BodyVerdict::Allow { model: None }
    );
    match decide_body(k, true, json_ct, Some("gzip"), ok, 1 << 20) {
        BodyVerdict::BadBody(e) => assert_eq!(e.status, 415),
        other => panic!("{other:?}"),
    }
    match decide_body(k, true, Some("multipart/form-data"), None, ok, 1 << 20) {
        BodyVerdict::BadBody(e) => assert_eq!(e.status, 415),
        other => panic!("{other:?}"),
    }
    match decide_body(k, true, json_ct, None, ok, 8) {
        BodyVerdict::BadBody(e) => assert_eq!(e.status, 413),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cached_identity_is_the_one_signing_would_give_in_that_second() {
    let s = settings();
    let auth = "Bearer grw_prod_alpha_good".to_string();
    let mut cache = IdentityCache::new();
    let identity_at = |now: u64, cache: &mut IdentityCache| {
        let v = decide_head(
            &s,
            &head(CHAT, false),
            |n| (n == "authorization").then(|| auth.clone()),
            Some(now),
            &mut MemoryStore::default(),
            cache,
        );
        set_value(plan(&v), "x-guardrail-identity")
            .unwrap()
            .to_string()
    };
    let first = identity_at(NOW, &mut cache);
    let cached = identity_at(NOW, &mut cache);
    let uncached = identity_at(NOW, &mut IdentityCache::new());
    assert_eq!(first, cached);
    assert_eq!(first, uncached);
    let later = identity_at(NOW + 1, &mut cache);
    let (_, iat) = identity::verify(&later, SECRET.as_bytes()).unwrap();
    assert_eq!(iat, NOW + 1, "a new second signs anew");
}

/// Spellings of a parameter name a server may decode to that name.
fn name_variants(name: &str) -> Vec<String> {
    let pct = |s: &str| -> String { s.bytes().map(|b| format!("%{b:02X}")).collect() };
    let pct_lower = |s: &str| -> String { s.bytes().map(|b| format!("%{b:02x}")).collect() };
    let first_encoded = |s: &str| -> String {
        let mut cs = s.chars();
        let first = cs
            .next()
            .map(|c| format!("%{:02X}", c as u32))
            .unwrap_or_default();
        format!("{first}{}", cs.as_str())
    };
    vec![
        name.to_string(),
        name.to_ascii_uppercase(),
        name.char_indices()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        pct(name),
        pct_lower(name),
        first_encoded(name),
        first_encoded(name).replace('%', "%25"), // double-encoded
        format!("{name}+"),
        format!("{name}%20"),
        format!("{name}[]"),
        name.replace('_', "-"),
        name.replace('-', "_"),
    ]
}

/// Generated: every key source × every credential query name × every spelling of it, alone,
/// between other parameters and repeated; strip (default) removes exactly those pairs, refuse
/// answers 400 `key_in_query`. A Gemini path keeps its `alt=sse`.
#[test]
fn generated_every_key_source_by_query_name_by_encoding() {
    let names = [
        "key",
        "api_key",
        "api-key",
        "access_token",
        "token",
        "x-goog-api-key",
        "x-api-key",
        "authorization",
        "my_org_key",
    ];
    let strip = settings_with(json!({"query_key_names": ["my-org-key"]}));
    let refuse = settings_with(json!({"query_key_names": ["my-org-key"], "query_keys": "refuse"}));
    let targets = [
        (CHAT, "", "grw_prod_alpha_good"),
        (
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
            "alt=sse",
            "grw_prod_gem_x",
        ),
    ];
    let mut cases = 0;
    for source in ["authorization", "x-api-key", "api-key", "x-goog-api-key"] {
        for name in names {
            for spelled in name_variants(name) {
                for (base, keep, key) in targets {
                    let value = match source {
                        "authorization" => format!("Bearer {key}"),
                        _ => key.to_string(),
                    };
                    let stolen = "grw_prod_beta_x";
                    let query = if keep.is_empty() {
                        format!("{spelled}={stolen}&{spelled}=again")
                    } else {
                        format!("{keep}&{spelled}={stolen}&{spelled}=again")
                    };
                    let path = format!("{base}?{query}");
                    let want_path = if keep.is_empty() {
                        base.to_string()
                    } else {
                        format!("{base}?{keep}")
                    };
                    let hs = [(source, value.as_str())];
                    let v = run_with(&strip, &path, &hs, Some(NOW), &mut MemoryStore::default());
                    let HeadVerdict::Admit { plan, notes, .. } = &v else {
                        panic!("{source} {path}: {:?}", refusal(&v));
                    };
                    assert_eq!(set_value(plan, ":path"), Some(want_path.as_str()), "{path}");
                    assert_eq!(notes.query_keys_removed, 2, "{path}");
                    let v = run_with(&refuse, &path, &hs, Some(NOW), &mut MemoryStore::default());
                    assert_eq!(
                        refusal(&v),
                        (400, "key_in_query", "key_auth.key_in_query"),
                        "{path}"
                    );
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 4 * 9 * 12 * 2);
}

#[test]
fn a_clean_query_is_left_alone_and_query_param_still_works() {
    let v = run(
        &format!("{CHAT}?api-version=2024-06-01&keyword=x"),
        &[("authorization", "Bearer grw_prod_alpha_good")],
    );
    assert_eq!(set_value(plan(&v), ":path"), None);
    // With `query_param: "key"` the key is read there and cut; other credentials still go.
    let s = settings_with(json!({"query_param": "key"}));
    let v = run_with(
        &s,
        "/v1beta/models/gemini-2.0-flash:generateContent?key=grw_prod_gem_x&access_token=x&alt=sse",
        &[],
        Some(NOW),
        &mut MemoryStore::default(),
    );
    assert_eq!(
        set_value(plan(&v), ":path"),
        Some("/v1beta/models/gemini-2.0-flash:generateContent?alt=sse")
    );
    let s = settings_with(json!({"query_param": "key", "query_keys": "refuse"}));
    let v = run_with(
        &s,
        "/v1beta/models/gemini-2.0-flash:generateContent?key=grw_prod_gem_x&alt=sse",
        &[],
        Some(NOW),
        &mut MemoryStore::default(),
    );
    assert_eq!(
        set_value(plan(&v), ":path"),
        Some("/v1beta/models/gemini-2.0-flash:generateContent?alt=sse")
    );
}
