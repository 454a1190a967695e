//! The review queue from the operator's side: the `guardrail review` CLI over the SQLite store, and
//! end to end through real Envoy: a request flagged by dist/template-detector.wasm is POSTed by
//! the plugin (proxy_http_call) to the review server, stored, and listed. The store, webhook
//! and page themselves are tested in review-queue/. Needs Envoy and
//! dist/template-detector.wasm: run `./build.sh test`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use guardrail_cli::cmd::review as review_cli;
use guardrail_harness::envoy::{paths, Envoy, Filter};
use guardrail_review::{
    Filter as ItemFilter, ReviewServer, ServerOptions, Status, Store, Submission,
};
use guardrail_sdk::hash::{hex, sha256};
use serde_json::{json, Value};

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guardrail-review-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sqlite"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
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
fn cli_lists_and_marks() {
    let db = temp_db("cli");
    let store = Store::open(&db).unwrap();
    store
        .add(&parse(&submission("r-cli"), false).unwrap())
        .unwrap();
    let db_arg = db.display().to_string();
    let run = |a: &[&str]| guardrail_cli::cmd::run("review", a);
    assert_eq!(
        run(&["list", "--db", &db_arg, "--status", "open"]).unwrap(),
        0
    );
    let mark = [
        "mark",
        "--db",
        &db_arg,
        "--note",
        "benign",
        "1",
        "false_positive",
    ];
    assert_eq!(run(&mark).unwrap(), 0);
    // A decision that is not attack|false_positive, an unknown subcommand, no subcommand and
    // purge without --days are usage errors (exit 2); an unknown id fails (exit 1).
    assert_eq!(run(&["mark", "--db", &db_arg, "1", "maybe"]).unwrap(), 2);
    assert!(run(&["mark", "--db", &db_arg, "5", "attack"]).is_err());
    assert_eq!(run(&["bogus", "--db", &db_arg]).unwrap(), 2);
    assert_eq!(run(&[]).unwrap(), 2);
    assert_eq!(run(&["purge", "--db", &db_arg]).unwrap(), 2);
    assert_eq!(run(&["serve", "--fp-rate", "1.5"]).unwrap(), 2);
    assert_eq!(
        run(&["serve", "--plugin-config", "pii-redact=x.json"]).unwrap(),
        2
    );
    for help in [&["--help"][..], &["serve", "--help"], &["purge", "--help"]] {
        assert_eq!(run(help).unwrap(), 0);
    }
    assert_eq!(run(&["purge", "--db", &db_arg, "--days", "30"]).unwrap(), 0);
    let all = ItemFilter {
        status: None,
        ..ItemFilter::default()
    };
    let items = store.list(&all).unwrap();
    assert_eq!(items[0].note.as_deref(), Some("benign"));
    let table = review_cli::table(&items);
    assert!(
        table.contains("false_positive")
            && table.contains("injection-guard")
            && table.contains("r-cli"),
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
    // request itself then also reaches the receiver as "upstream" and gets its 403 (a flag
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
    // The review server refuses it (403: not a Host it serves pages to).
    assert_eq!(
        r.status,
        403,
        "the flagged request went on to the upstream: {}",
        r.text()
    );
    let clean = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]});
    envoy
        .post("/v1/chat/completions", &[], clean.to_string().as_bytes())
        .unwrap();

    let open = ItemFilter {
        status: Some(Status::Open),
        ..ItemFilter::default()
    };
    let items = Store::open(&db).unwrap().list(&open).unwrap();
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
    for ext in ["", "-wal"] {
        let raw = std::fs::read(format!("{}{ext}", db.display())).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&raw).contains("Falcon"));
    }
    let verdicts = envoy.verdicts();
    assert!(
        verdicts.iter().any(|v| v["verdict"] == "flag"),
        "{verdicts:?}"
    );
}
