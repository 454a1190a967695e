//! End-to-end: pii-redact's admin-defined entity types and national identifiers in real
//! Envoy V8 in front of the mock upstream (which echoes the last user text): a code name
//! pseudonymised and restored, a ticket pattern redacted, an account id masked, a national
//! identifier redacted, a blocked client name refused, and a pattern that does not compile
//! stopping Envoy with the field named. Needs Envoy and dist/pii-redact.wasm: run
//! `./build.sh test`.

use guardrail_harness::envoy::{Envoy, EnvoyError, Filter};
use guardrail_harness::host::dist_path;
use guardrail_harness::mock_upstream::MockUpstream;

const CONFIG: &str = r#"{"custom_entities":[
    {"name":"CODENAME","words":["Project Bluebird"],"action":"pseudonymize"},
    {"name":"TICKET","patterns":["INC-[0-9]{6}"],"action":"redact"},
    {"name":"ACCOUNT","patterns":["(?i)acct_[a-z0-9]{8}"],"action":"mask"},
    {"name":"CLIENT","words":["Globex Industries"],"action":"block"}]}"#;

fn last_upstream_body(up: &MockUpstream) -> String {
    let recs = up.requests();
    let last = recs.last().expect("a request reached the upstream");
    String::from_utf8(last.body.clone()).expect("utf8")
}

#[test]
fn custom_types_and_national_ids_every_action() {
    let up = MockUpstream::start().expect("mock");
    let envoy = Envoy::with_plugin(&up, "pii-redact", CONFIG);
    let prompt = "Status of project bluebird: INC-004211, acct_ab12cd34, BSN 111222333.";
    let body = serde_json::json!({"model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": prompt}]})
    .to_string();
    let r = envoy
        .post(
            "/v1/chat/completions",
            &[("x-request-id", "pii-custom-1")],
            body.as_bytes(),
        )
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = last_upstream_body(&up);
    let want = "Status of <CODENAME_1>: [TICKET], ****_****cd34, BSN [NL_BSN].";
    assert_eq!(sent, body.replace(prompt, want));
    let answer = r.json().expect("json")["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        answer,
        "Status of project bluebird: [TICKET], ****_****cd34, BSN [NL_BSN]."
    );
    let verdicts = envoy.verdicts();
    let req = verdicts
        .iter()
        .find(|v| v["request_id"] == "pii-custom-1" && v["phase"] == "request")
        .expect("request verdict");
    assert_eq!(req["counts"]["CODENAME"], 1);
    assert_eq!(req["counts"]["TICKET"], 1);
    assert_eq!(req["counts"]["NL_BSN"], 1);
    let log = envoy.plugin_log_lines().join("\n");
    assert!(
        !log.contains("bluebird") && !log.contains("111222333"),
        "values never logged"
    );

    // A `block` type: 403 in the provider's shape, nothing upstream.
    let before = up.requests().len();
    let body = serde_json::json!({"model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Renewal letter for Globex Industries."}]})
    .to_string();
    let r = envoy
        .post("/v1/chat/completions", &[], body.as_bytes())
        .expect("response");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("pii_blocked") && r.text().contains("CLIENT"));
    assert_eq!(up.requests().len(), before, "nothing reached the upstream");
}

#[test]
fn a_pattern_that_does_not_compile_stops_envoy_naming_the_field() {
    let up = MockUpstream::start().expect("mock");
    let bad = r#"{"custom_entities":[{"name":"TICKET","patterns":["INC-[0-9"]}]}"#;
    let err = Envoy::builder()
        .upstream(&up)
        .filter(Filter::new("pii-redact", dist_path("pii-redact"), bad))
        .start()
        .err()
        .expect("Envoy must not start with a pattern that does not compile");
    let EnvoyError::Exited { log, .. } = &err else {
        panic!("expected Envoy to exit during start-up, got: {err}");
    };
    assert!(log.contains("custom_entities[0].patterns[0]"), "{log}");
}
