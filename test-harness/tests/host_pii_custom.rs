//! dist/pii-redact.wasm in the wasmtime host with admin-defined entity types and the
//! national identifiers: every action (redact, mask, pseudonymize + restore, block) at every
//! chunk split, the pattern prefilter, limits and compile errors refused at configure time
//! naming the field. Needs dist/pii-redact.wasm: run `./build.sh test`.

use guardrail_harness::host::{dist_path, Exchange, Host, HostError, HostProfile, Outcome};

const CONFIG: &str = r#"{"custom_entities":[
    {"name":"CODENAME","words":["Project Bluebird","Falcon"],"action":"pseudonymize"},
    {"name":"TICKET","patterns":["INC-[0-9]{6}"],"action":"redact"},
    {"name":"ACCOUNT","patterns":["(?i)acct_[a-z0-9]{8}"],"action":"mask"},
    {"name":"CLIENT","words":["Globex Industries"],"action":"block"}],
  "entities":{"NL_BSN":"redact","PL_PESEL":"mask"}}"#;

fn host() -> Host {
    Host::builder(dist_path("pii-redact"))
        .profile(HostProfile::Envoy)
        .plugin_config(CONFIG)
        .build()
        .expect("plugin starts")
}

fn run(h: &Host, body: &[u8], chunk: usize, resp_body: &[u8]) -> Outcome {
    let headers = vec![
        (":method", "POST"),
        (":path", "/v1/chat/completions"),
        (":authority", "gw"),
        ("content-type", "application/json"),
        ("content-length", "999"),
    ];
    let resp_headers = vec![(":status", "200"), ("content-type", "application/json")];
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        response_headers: &resp_headers,
        response_body: resp_body,
        ..Exchange::default()
    })
}

fn chat(content: &str) -> Vec<u8> {
    serde_json::json!({"model":"m","messages":[{"role":"user","content":content}]})
        .to_string()
        .into_bytes()
}

#[test]
fn every_action_at_every_chunk_split() {
    let h = host();
    let req = chat("Status of project bluebird and Falcon: INC-004211, acct_ab12cd34; BSN 111222333, PESEL 44051401359.");
    let answer = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"<CODENAME_1> is on track; see INC-777777."}}]}"#;
    for chunk in 0..=req.len() {
        let out = run(&h, &req, chunk, answer);
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "chunk {chunk}: {out:?}"
        );
        let up = String::from_utf8(out.request_body_out.clone()).unwrap();
        for gone in [
            "bluebird",
            "Falcon",
            "INC-004211",
            "acct_ab12",
            "111222333",
            "4405140",
        ] {
            assert!(
                !up.contains(gone),
                "chunk {chunk}: {gone} reached the upstream: {up}"
            );
        }
        for placed in [
            "<CODENAME_1>",
            "<CODENAME_2>",
            "[TICKET]",
            "cd34",
            "[NL_BSN]",
            "*******1359",
        ] {
            assert!(up.contains(placed), "chunk {chunk}: {placed} missing: {up}");
        }
        let back = String::from_utf8(out.response_body_out.clone()).unwrap();
        assert!(
            back.contains("project bluebird is on track"),
            "chunk {chunk}: {back}"
        );
        assert!(
            back.contains("[TICKET]") && !back.contains("INC-777777"),
            "chunk {chunk}: {back}"
        );
    }
}

#[test]
fn a_block_type_refuses_the_request() {
    let h = host();
    for chunk in [0, 1, 7] {
        let out = run(
            &h,
            &chat("Renewal letter for globex industries, please."),
            chunk,
            b"",
        );
        let reply = out.local_reply.expect("refused");
        assert_eq!(reply.status, 403);
        let body = String::from_utf8(reply.body).unwrap();
        assert!(
            body.contains("pii_blocked") && body.contains("CLIENT"),
            "{body}"
        );
        assert!(!body.to_ascii_lowercase().contains("globex"), "{body}");
    }
}

#[test]
fn the_pattern_prefilter_and_word_boundaries() {
    let h = host();
    // No `INC-` literal: the ticket pattern does not run; `Falconry` is not the word `Falcon`.
    let clean = chat("inc-004211 is lower case, Falconry is a hobby, PROJECT BLUEBIRDS fly.");
    let out = run(&h, &clean, 0, b"");
    assert_eq!(out.request_body_out, clean, "nothing to replace");
}

#[test]
fn bad_custom_configs_are_refused_naming_the_field() {
    let many = format!(
        r#"{{"custom_entities":[{{"name":"MANY","patterns":[{}]}}]}}"#,
        (0..33)
            .map(|i| format!("\"P{i}-x\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    for (bad, field) in [
        (
            r#"{"custom_entities":[{"name":"TICKET","patterns":["INC-[0-9"]}]}"#.to_string(),
            "custom_entities[0].patterns[0]",
        ),
        (
            r#"{"custom_entities":[{"name":"EMAIL","words":["x"]}]}"#.into(),
            "custom_entities[0].name",
        ),
        (
            r#"{"custom_entities":[{"name":"EMPTY"}]}"#.into(),
            "custom_entities[0]",
        ),
        (many, "at most 32 patterns"),
    ] {
        match Host::builder(dist_path("pii-redact"))
            .plugin_config(&bad)
            .build()
        {
            Err(HostError::Rejected { logs }) => {
                let text: Vec<&str> = logs.iter().map(|(_, l)| l.as_str()).collect();
                assert!(
                    text.iter().any(|l| l.contains(field)),
                    "{bad}: {text:?} should name {field}"
                );
            }
            Err(e) => panic!("{bad}: unexpected error {e}"),
            Ok(_) => panic!("{bad} must be refused"),
        }
    }
}
