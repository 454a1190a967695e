//! Bounded fuzzing of the PII/secret scanners, the transforms and the config parser (runs in
//! every `./build.sh test`; deterministic seeds, so a failure reproduces). Mutated texts full of
//! near-miss values must never panic, must give sorted, disjoint matches on char boundaries,
//! and pseudonymising then restoring must give the text back byte for byte. Longer runs:
//! `FUZZ_ITERS=100000 cargo test -p pii-redact --test fuzz_bounded --release`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::fuzz::{self, Rng};
use pii_redact::config::{parse, Settings};
use pii_redact::detect::scan;
use pii_redact::entity::EntityType;
use pii_redact::pseudonym::Pseudonyms;
use pii_redact::transform::{apply, restore, Side};

/// Fragments that start, end or break a value: separators, digits, key prefixes, look-alike
/// digits, multi-byte characters next to ASCII values.
const TOKENS: &[&[u8]] = &[
    b"@",
    b".",
    b"-",
    b" ",
    b"+1 ",
    b"(",
    b")",
    b"4111",
    b"0000 ",
    b"123-45-",
    b"DE89 ",
    b"10.0.",
    b"::1",
    b"AKIA",
    b"sk-",
    b"ghp_",
    b"eyJhbGciOiJIUzI1NiJ9.",
    b"password=",
    b"X",
    "\u{ff14}".as_bytes(),
    "\u{00e9}".as_bytes(),
    "\u{200b}".as_bytes(),
    b"\xff",
];

const SEEDS: &[&str] = &[
    "Mail jane.doe@corp.example or call +1 (579) 383-4701 about order 18.",
    "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789.",
    "Server 10.20.30.40 and 2001:db8::7 hold id 11010519491231002X.",
    "Use key AKIAOH77QAXTJMKV47PU, token ghp_0123456789abcdefghijABCDEFGHIJ012345 and password=hunter2x.",
    "Nothing personal here: version 1.2.3, 42 apples, see section 4.1.1.",
];

fn all(action: &str) -> Settings {
    let entities: Vec<String> = EntityType::ALL
        .iter()
        .map(|t| format!("\"{}\":\"{action}\"", t.name()))
        .collect();
    let raw = format!("{{\"entities\":{{{}}}}}", entities.join(","));
    parse(raw.as_bytes()).expect("every type can take this action")
}

#[test]
fn mutated_texts_never_panic_and_pseudonyms_restore_exactly() {
    let pseudonymize = all("pseudonymize");
    let mask = all("mask");
    let enabled = pseudonymize.enabled();
    let mut rng = Rng::new(0x911D);
    let mut found = 0usize;
    for i in 0..fuzz::iters(3000) {
        let seed = SEEDS[i % SEEDS.len()];
        let raw = fuzz::mutate(&mut rng, seed.as_bytes(), TOKENS);
        let text = String::from_utf8_lossy(&raw);

        let matches = scan(&text, &enabled);
        let mut end = 0;
        for m in &matches {
            assert!(
                m.start >= end && m.start < m.end && m.end <= text.len(),
                "{m:?} in {text:?}"
            );
            assert!(
                text.is_char_boundary(m.start) && text.is_char_boundary(m.end),
                "{text:?}"
            );
            end = m.end;
        }
        found += matches.len();
        assert_eq!(
            scan(&text, &enabled),
            matches,
            "not deterministic for {text:?}"
        );

        let mut pseudonyms = Pseudonyms::new();
        let out = apply(
            &text,
            &matches,
            &pseudonymize,
            &mut pseudonyms,
            Side::Request,
        );
        assert_eq!(out.total(), matches.len() as u64);
        let (back, restored) = restore(&out.text, &pseudonyms);
        assert_eq!(
            back, text,
            "round trip changed {text:?} (via {:?})",
            out.text
        );
        assert_eq!(restored, matches.len() as u64);

        let masked = apply(
            &text,
            &matches,
            &mask,
            &mut Pseudonyms::new(),
            Side::Request,
        );
        assert_eq!(
            masked.text.chars().count(),
            text.chars().count(),
            "{text:?}"
        );
    }
    assert!(
        found > 0,
        "the seeds' values were never found: the run fuzzed nothing"
    );
}

#[test]
fn mutated_configs_are_refused_with_a_reason_never_a_panic() {
    let seed = include_bytes!("../../../examples/envoy/plugins/pii-redact.json");
    assert!(parse(seed).is_ok(), "the example config itself must load");
    let parsed = fuzz::config_mutants(seed, fuzz::iters(1000), 0x911C, |raw| {
        parse(raw).map_err(|e| e.0)
    });
    assert!(
        parsed > 0,
        "no mutant parsed: only the first error path was fuzzed"
    );
}
