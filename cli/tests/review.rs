//! The review queue: the JSON Lines store, the submission contract, the HTTP receiver, the CLI,
//! and end to end through real Envoy: a request flagged by dist/template-detector.wasm is
//! POSTed by the plugin (proxy_http_call) to `harness review`'s receiver, stored, and listed.
//! Needs Envoy and dist/template-detector.wasm: run `./build.sh test`.

use std::path::PathBuf;

use guardrail_cli::cmd::review as review_cli;
use guardrail_cli::review::{Decision, ReviewServer, ServerOptions, Status, Store, Submission};
use guardrail_harness::envoy::{paths, Envoy, Filter};
use guardrail_harness::http_client;
use guardrail_sdk::hash::{hex, sha256};
use serde_json::{json, Value};

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guardrail-review-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.jsonl"));
    let _ = std::fs::remove_file(&path);
    path
}

fn submission(request_id: &str) -> Value {
    json!({
        "request_id": request_id, "plugin": "injection-guard", "verdict": "flag",
        "rules": ["inj.override"], "score": 0.82, "segments": ["messages[1].content"],
        "key_id": "demo-alpha", "evidence": [hex(&sha256(b"some prompt"))]
    })
}

fn parse(v: &Value, capture: bool) -> Result<Submission, String> {
    Submission::parse(v.to_string().as_bytes(), capture)
}

#[test]
fn store_adds_marks_lists_and_replays_from_the_file() {
    let db = temp_db("store");
    let store = Store::open(&db).unwrap();
    let a = store
        .add(parse(&submission("r-1"), false).unwrap())
        .unwrap();
    let b = store
        .add(parse(&submission("r-2"), false).unwrap())
        .unwrap();
    assert_eq!((a, b), (1, 2));
    assert_eq!(
        store.mark(1, Decision::Allow).unwrap().status,
        Status::Allow
    );
    assert!(store.mark(99, Decision::Deny).is_err());
    let reopened = Store::open(&db).unwrap();
    let open = reopened.list(Some(Status::Open)).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].submission.request_id, "r-2");
    assert_eq!(reopened.list(Some(Status::Allow)).unwrap()[0].id, 1);
    assert_eq!(reopened.list(None).unwrap().len(), 2);
    assert_eq!(
        reopened
            .add(parse(&submission("r-3"), false).unwrap())
            .unwrap(),
        3
    );
    // The file is the audit trail: two adds, one decision, one more add.
    let lines = std::fs::read_to_string(&db).unwrap();
    assert_eq!(lines.lines().count(), 4);
    assert!(!lines.contains("some prompt"));
}

#[test]
fn submissions_are_validated_and_text_is_kept_only_with_capture() {
    let ok = submission("r-1");
    assert!(parse(&ok, false).is_ok());
    let cases: &[(&str, Value, &str)] = &[
        ("request_id", json!(""), "request_id"),
        ("request_id", json!("has space"), "request_id"),
        ("verdict", json!("allow"), "verdict"),
        ("score", json!(-1.0), "score"),
        ("rules", json!(["ok", "not ok"]), "rules[1]"),
        ("evidence", json!(["abc"]), "evidence[0]"),
        ("key_id", json!("bad key!"), "key_id"),
        ("extra", json!(1), "unknown field"),
    ];
    for (field, value, expect) in cases {
        let mut v = ok.clone();
        v[*field] = value.clone();
        let err = parse(&v, false).unwrap_err();
        assert!(err.contains(expect), "{field}: {err}");
    }
    let mut with_text = ok.clone();
    with_text["text"] = json!("the prompt");
    assert_eq!(parse(&with_text, false).unwrap().text, None);
    assert_eq!(
        parse(&with_text, true).unwrap().text.as_deref(),
        Some("the prompt")
    );
    assert!(Submission::parse(b"{not json", false).is_err());
}

#[test]
fn receiver_stores_lists_and_decides_over_http() {
    let db = temp_db("http");
    let server = ReviewServer::start(
        Store::open(&db).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap();
    let addr = server.addr();
    let body = submission("r-http").to_string();
    let r = http_client::post(addr, "/review", &[], body.as_bytes()).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json().unwrap()["id"], 1);
    let r = http_client::post(addr, "/review", &[], br#"{"plugin":"x"}"#).unwrap();
    assert_eq!(r.status, 400);
    let big = vec![b' '; 300 * 1024];
    assert_eq!(
        http_client::post(addr, "/review", &[], &big)
            .unwrap()
            .status,
        413
    );
    let open = http_client::get(addr, "/review?status=open", &[]).unwrap();
    assert_eq!(open.status, 200);
    assert_eq!(open.json().unwrap().as_array().unwrap().len(), 1);
    let r = http_client::post(addr, "/review/1/deny", &[], b"").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["status"], "deny");
    assert_eq!(
        http_client::post(addr, "/review/7/deny", &[], b"")
            .unwrap()
            .status,
        404
    );
    let open = http_client::get(addr, "/review?status=open", &[]).unwrap();
    assert_eq!(open.json().unwrap().as_array().unwrap().len(), 0);
    assert_eq!(
        http_client::get(addr, "/review?status=maybe", &[])
            .unwrap()
            .status,
        400
    );
    assert_eq!(
        http_client::get(addr, "/v1/chat/completions", &[])
            .unwrap()
            .status,
        404
    );
    drop(server);
    assert_eq!(
        Store::open(&db)
            .unwrap()
            .list(Some(Status::Deny))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn cli_lists_and_marks() {
    let db = temp_db("cli");
    let store = Store::open(&db).unwrap();
    store
        .add(parse(&submission("r-cli"), false).unwrap())
        .unwrap();
    let db_arg = db.display().to_string();
    let run = |a: &[&str]| guardrail_cli::cmd::run("review", a);
    assert_eq!(
        run(&["list", "--db", &db_arg, "--status", "open"]).unwrap(),
        0
    );
    assert_eq!(run(&["mark", "--db", &db_arg, "1", "allow"]).unwrap(), 0);
    // A decision that is not allow|deny is a usage error (exit 2); an unknown id fails (exit 1).
    assert_eq!(run(&["mark", "--db", &db_arg, "1", "maybe"]).unwrap(), 2);
    assert!(run(&["mark", "--db", &db_arg, "5", "deny"]).is_err());
    assert_eq!(run(&["bogus", "--db", &db_arg]).unwrap(), 2);
    assert_eq!(run(&[]).unwrap(), 2);
    let items = store.list(None).unwrap();
    let table = review_cli::table(&items);
    assert!(
        table.contains("allow") && table.contains("injection-guard") && table.contains("r-cli"),
        "{table}"
    );
}

#[test]
fn a_request_flagged_in_envoy_reaches_the_review_queue_as_hashes() {
    let wasm = paths::dist_dir().join("template-detector.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run ./build.sh test",
        wasm.display()
    );
    let db = temp_db("e2e");
    let server = ReviewServer::start(
        Store::open(&db).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap();
    // The webhook goes to Envoy's only cluster, which points at the receiver; the flagged
    // request itself then also reaches the receiver as "upstream" and gets its 404 (a flag
    // never blocks). The test only needs the webhook to land.
    let config = json!({
        "terms": ["project falcon"], "action": "flag",
        "review_webhook": {"cluster": "llm_upstream", "timeout_ms": 5000}
    });
    let envoy = Envoy::builder()
        .upstream_addr(server.addr())
        .filter(Filter::new("template-detector", wasm, config.to_string()))
        .start()
        .unwrap_or_else(|e| panic!("Envoy did not start (run ./build.sh test): {e}"));
    let text = "When does Project Falcon launch?";
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]});
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[("x-request-id", "review-e2e-1")],
            body.to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(
        r.status,
        404,
        "the flagged request went on to the upstream: {}",
        r.text()
    );
    let clean = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]});
    envoy
        .post("/v1/chat/completions", &[], clean.to_string().as_bytes())
        .unwrap();

    let items = Store::open(&db).unwrap().list(Some(Status::Open)).unwrap();
    assert_eq!(
        items.len(),
        1,
        "exactly the flagged request is queued: {items:?}"
    );
    let s = &items[0].submission;
    assert_eq!(s.plugin, "template-detector");
    assert_eq!(s.verdict, "flag");
    assert_eq!(s.request_id, "review-e2e-1");
    assert_eq!(s.rules, vec!["template.term".to_string()]);
    assert_eq!(s.segments, vec!["messages[0].content".to_string()]);
    assert_eq!(s.evidence, vec![hex(&sha256(text.as_bytes()))]);
    assert_eq!(s.text, None);
    assert!(!std::fs::read_to_string(&db).unwrap().contains("Falcon"));
    let verdicts = envoy.verdicts();
    assert!(
        verdicts.iter().any(|v| v["verdict"] == "flag"),
        "{verdicts:?}"
    );
}
