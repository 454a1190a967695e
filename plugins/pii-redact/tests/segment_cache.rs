//! The findings cache changes no outcome (issue 22): the same requests scanned with one
//! cache shared across them and without a cache give identical outcomes (rewritten bodies,
//! counts, segment paths, blocks) and identical pseudonyms, over the shared PII dev sets as
//! agent conversations in which each request resends every earlier message, in every role,
//! under the default and the demo configuration. Needs /work/shared/eval (or GUARDRAIL_SHARED).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::ApiFormat;
use pii_redact::config::{parse, Settings};
use pii_redact::pseudonym::Pseudonyms;
use pii_redact::request_scan::{findings_cache, scan_request, scan_request_cached};
use serde_json::{json, Value};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    if let Ok(p) = std::env::var("GUARDRAIL_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval")
}

fn texts(name: &str) -> Vec<String> {
    let path = data_dir().join(name);
    let raw = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("dev data {} is missing ({e})", path.display()));
    raw.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// OpenAI chat messages in rotating roles (tool results carry a call id).
fn message(i: usize, text: &str) -> Value {
    match i % 3 {
        0 => json!({"role": "user", "content": text}),
        1 => json!({"role": "assistant", "content": text}),
        _ => json!({"role": "tool", "tool_call_id": format!("call_{i}"), "content": text}),
    }
}

fn compare_replays(raw_config: &[u8], settings: &Settings, all: &[String]) -> u64 {
    let cache = findings_cache(raw_config, settings);
    for (n, chunk) in all.chunks(10).enumerate() {
        let messages: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, t)| message(i + n, t))
            .collect();
        for k in 0..messages.len() {
            let body = json!({"model": "gpt-4o-mini", "messages": messages[..=k]}).to_string();
            let (mut p_plain, mut p_cached) = (Pseudonyms::new(), Pseudonyms::new());
            let plain = scan_request(
                ApiFormat::OpenAiChat,
                body.as_bytes(),
                settings,
                &mut p_plain,
            );
            let cached = scan_request_cached(
                ApiFormat::OpenAiChat,
                body.as_bytes(),
                settings,
                &mut p_cached,
                Some(&cache),
            );
            assert_eq!(cached, plain, "chunk {n}, request {k}");
            assert_eq!(p_cached, p_plain, "chunk {n}, request {k}");
        }
    }
    let s = cache.stats();
    let l = settings.segment_cache;
    assert!(
        s.entries <= l.max_entries && s.bytes <= l.max_bytes,
        "{s:?}"
    );
    s.hits
}

#[test]
fn dev_sets_give_identical_outcomes_with_and_without_the_cache() {
    let demo = include_bytes!("../../../examples/envoy/plugins/pii-redact.json");
    let configs: [&[u8]; 3] = [
        b"{}",
        demo,
        br#"{"entities":{"EMAIL":"pseudonymize","CREDIT_CARD":"mask","SECRET":"block"}}"#,
    ];
    for raw in configs {
        let settings = parse(raw).unwrap();
        for file in ["pii-dev.jsonl", "pii-national-dev.jsonl"] {
            let all = texts(file);
            assert!(all.len() >= 100, "{file}");
            let hits = compare_replays(raw, &settings, &all);
            assert!(hits > 0, "{file}: resent messages come from the cache");
        }
    }
}

#[test]
fn a_bound_of_a_few_entries_still_gives_identical_outcomes() {
    let raw = br#"{"segment_cache":{"max_entries":4,"max_bytes":4096}}"#;
    let settings = parse(raw).unwrap();
    compare_replays(raw, &settings, &texts("pii-dev.jsonl"));
}

#[test]
fn switched_off_it_is_never_used_and_bad_limits_are_refused() {
    let raw = br#"{"segment_cache":{"enabled":false}}"#;
    let settings = parse(raw).unwrap();
    assert!(!settings.segment_cache.enabled);
    assert_eq!(
        compare_replays(raw, &settings, &texts("pii-dev.jsonl")[..40]),
        0
    );
    let err = parse(br#"{"segment_cache":{"max_bytes":1}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("segment_cache.max_bytes"), "{err}");
}

/// Mutants of the PII dev texts (byte flips, inserted digits and separators, truncations,
/// duplicated ranges), each in every role: scanned, then from the cache, always the same
/// outcome and pseudonyms as without the cache.
#[test]
fn mutants_give_identical_outcomes_with_and_without_the_cache() {
    use guardrail_sdk::fuzz::{iters, mutate, Rng};
    let tokens: &[&[u8]] = &[
        b"@",
        b"4111",
        b" ",
        b"-",
        b".",
        b"+1 ",
        b"DE89",
        b"sk-",
        b"\xe2\x80\x8b",
        b"0",
    ];
    let mut seeds = texts("pii-dev.jsonl");
    seeds.extend(texts("pii-national-dev.jsonl"));
    let demo = include_bytes!("../../../examples/envoy/plugins/pii-redact.json");
    for raw in [
        &demo[..],
        br#"{"segment_cache":{"max_entries":4,"max_bytes":4096}}"#,
    ] {
        let settings = parse(raw).unwrap();
        let cache = findings_cache(raw, &settings);
        let mut rng = Rng::new(0x91_ca4e_u64.wrapping_add(raw.len() as u64));
        for i in 0..iters(1500) {
            let seed = &seeds[i % seeds.len()];
            let text =
                String::from_utf8_lossy(&mutate(&mut rng, seed.as_bytes(), tokens)).into_owned();
            let body = json!({"model": "gpt-4o-mini", "messages": [message(i, &text)]}).to_string();
            let mut p_plain = Pseudonyms::new();
            let plain = scan_request(
                ApiFormat::OpenAiChat,
                body.as_bytes(),
                &settings,
                &mut p_plain,
            );
            for round in 0..2 {
                let mut p_cached = Pseudonyms::new();
                let cached = scan_request_cached(
                    ApiFormat::OpenAiChat,
                    body.as_bytes(),
                    &settings,
                    &mut p_cached,
                    Some(&cache),
                );
                assert_eq!(cached, plain, "mutant {i}, round {round}");
                assert_eq!(p_cached, p_plain, "mutant {i}");
            }
        }
        assert!(cache.stats().hits > 0);
    }
}
