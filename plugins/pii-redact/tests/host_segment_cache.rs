//! dist/pii-redact.wasm in the wasmtime host with its findings cache (issue 22): an agent
//! history with PII replayed request by request is forwarded byte-identical (same
//! placeholders, same masks), blocked alike and logged alike with the cache on (default) and
//! off; resent strings come from the cache (`cached`), and over many requests of new text the
//! cache stays within its configured bound. Needs dist/pii-redact.wasm.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_harness::host::{start_dist, Exchange, Host, HostProfile, Outcome};
use serde_json::{json, Value};

fn host(config: &str) -> Host {
    start_dist("pii-redact", HostProfile::Envoy, config)
}

fn send(h: &Host, body: &[u8]) -> Outcome {
    send_chunked(h, body, 0)
}

/// `body` in `chunk`-byte pieces (0: whole).
fn send_chunked(h: &Host, body: &[u8], chunk: usize) -> Outcome {
    let headers = [
        (":method", "POST"),
        (":path", "/v1/chat/completions"),
        (":authority", "gw"),
        ("content-type", "application/json"),
    ];
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        ..Exchange::default()
    })
}

fn verdict(o: &Outcome) -> Value {
    o.logs
        .iter()
        .filter_map(|(_, l)| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["guardrail"] == "pii-redact" && v["phase"] == "request")
        .unwrap_or_else(|| panic!("no request verdict line: {:?}", o.logs))
}

fn conversation() -> Vec<Value> {
    let mut m = vec![json!({"role": "system", "content": "You are a support assistant."})];
    for turn in 0..10 {
        m.push(json!({"role": "user", "content": format!(
            "Turn {turn}: please update the contact for jane.doe{turn}@example.com and card 4111 1111 1111 1111."
        )}));
        m.push(json!({"role": "assistant", "content": format!("Noted for jane.doe{turn}@example.com.")}));
        m.push(json!({"role": "tool", "tool_call_id": format!("c{turn}"), "content": format!(
            "customer record {turn}: mail ops{turn}@example.org, phone +1 (579) 383-47{:02}", turn
        )}));
    }
    m
}

fn body(messages: &[Value]) -> Vec<u8> {
    json!({"model": "gpt-4o-mini", "messages": messages})
        .to_string()
        .into_bytes()
}

#[test]
fn a_replayed_history_is_forwarded_identically_with_the_cache_on_and_off() {
    for entities in [
        r#"{"EMAIL":"pseudonymize","CREDIT_CARD":"mask"}"#,
        r#"{"PHONE":"block"}"#,
    ] {
        let on = host(&format!(r#"{{"entities":{entities}}}"#));
        let off = host(&format!(
            r#"{{"entities":{entities},"segment_cache":{{"enabled":false}}}}"#
        ));
        let messages = conversation();
        let mut cached_total = 0;
        for k in 2..=messages.len() {
            let b = body(&messages[..k]);
            let (a, z) = (send(&on, &b), send(&off, &b));
            assert!(a.trap.is_none() && z.trap.is_none());
            assert_eq!(a.request_body_out, z.request_body_out, "request {k}");
            assert_eq!(
                a.local_reply.as_ref().map(|r| (r.status, r.body.clone())),
                z.local_reply.as_ref().map(|r| (r.status, r.body.clone())),
                "request {k}"
            );
            let (va, vz) = (verdict(&a), verdict(&z));
            for field in ["verdict", "rules", "counts", "segments", "status"] {
                assert_eq!(va[field], vz[field], "request {k}, {field}: {va} / {vz}");
            }
            cached_total += va["cached"].as_u64().unwrap();
            assert!(vz.get("cached").is_none(), "{vz}");
        }
        assert!(cached_total > 50, "{entities}: {cached_total}");
    }
}

#[test]
fn the_cache_stays_within_its_bound_over_many_requests() {
    let (max_entries, max_bytes) = (16u64, 8192u64);
    let h = host(&format!(
        r#"{{"segment_cache":{{"max_entries":{max_entries},"max_bytes":{max_bytes}}}}}"#
    ));
    let mut seen_full = false;
    for i in 0..400 {
        let messages = json!([
            {"role": "user", "content": "Which soups keep well overnight?"},
            {"role": "user", "content": format!("Request {i}: write to cook{i}@example.com")},
            {"role": "assistant", "content": format!("Soup {i} keeps for two days.")}
        ]);
        let o = send(&h, &body(messages.as_array().unwrap()));
        assert!(o.trap.is_none() && o.local_reply.is_none(), "{i}");
        let v = verdict(&o);
        let (entries, bytes) = (
            v["cache_entries"].as_u64().unwrap(),
            v["cache_bytes"].as_u64().unwrap(),
        );
        assert!(entries <= max_entries && bytes <= max_bytes, "{i}: {v}");
        seen_full |= entries >= max_entries / 2;
        if i > 0 {
            assert!(v["cached"].as_u64().unwrap() >= 1, "{i}: {v}");
        }
    }
    assert!(seen_full);
}

/// Every chunk split of a rewritten and of a blocked request: the first split is scanned,
/// every later one is answered from the cache, and each is forwarded (or refused) exactly as
/// by the uncached VM.
#[test]
fn every_chunk_split_gets_the_same_outcome_from_the_cache() {
    let messages = json!([
        {"role": "user", "content": "Mail caf\u{e9} jane.doe@example.com, card 4111 1111 1111 1111 \u{2603}."},
        {"role": "assistant", "content": "Noted for jane.doe@example.com."},
        {"role": "tool", "tool_call_id": "c1", "content": "record: ops@example.org, phone +1 (579) 383-4712"}
    ]);
    let b = body(messages.as_array().unwrap());
    for entities in [
        r#"{"EMAIL":"pseudonymize","CREDIT_CARD":"mask"}"#,
        r#"{"PHONE":"block"}"#,
    ] {
        let on = host(&format!(r#"{{"entities":{entities}}}"#));
        let off = host(&format!(
            r#"{{"entities":{entities},"segment_cache":{{"enabled":false}}}}"#
        ));
        let mut cached = 0;
        for chunk in 0..=b.len() {
            let (a, z) = (send_chunked(&on, &b, chunk), send_chunked(&off, &b, chunk));
            assert!(a.trap.is_none() && z.trap.is_none(), "chunk {chunk}");
            assert_eq!(a.request_body_out, z.request_body_out, "chunk {chunk}");
            assert_eq!(
                a.local_reply.as_ref().map(|r| (r.status, r.body.clone())),
                z.local_reply.as_ref().map(|r| (r.status, r.body.clone())),
                "chunk {chunk}"
            );
            let (va, vz) = (verdict(&a), verdict(&z));
            for field in ["verdict", "rules", "counts", "segments", "status"] {
                assert_eq!(va[field], vz[field], "chunk {chunk}, {field}");
            }
            cached += va["cached"].as_u64().unwrap();
        }
        assert!(cached >= 3 * b.len() as u64, "{entities}: {cached}");
    }
}
