//! Bounded fuzzing that runs in every `./build.sh test` (natively and as wasm): mutated provider
//! bodies, SSE streams and configs must never panic, and whatever parses must keep its
//! invariants (spans inside the body, rewrites still parse, same events at any split).
//! Deterministic (fixed seeds), so a failure is reproducible; a crash found here becomes a
//! named regression test next to the module it hit. Longer runs: `FUZZ_ITERS=200000 cargo test
//! -p guardrail-sdk --test fuzz_bounded --release`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::body::{parse_request, parse_response, rewrite_segments};
use guardrail_sdk::fuzz::{self, Rng};
use guardrail_sdk::json::{self, Limits};
use guardrail_sdk::sse::SseParser;
use guardrail_sdk::{stream, ApiFormat};

fn iters() -> usize {
    fuzz::iters(3000)
}

/// Fragments beyond `fuzz::JSON_TOKENS`: escapes, provider keys, UTF-8 pieces, SSE framing.
const BODY_TOKENS: &[&[u8]] = &[
    b"\\u",
    b"\\ud800",
    b"\"model\":",
    b"\"content\":",
    b"-0",
    b"\xc3",
    b"\xe2\x80\x8b",
    b"\n",
    b"\r\n",
    b"data: ",
    b"[DONE]",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let tokens = if rng.below(2) == 0 {
        fuzz::JSON_TOKENS
    } else {
        BODY_TOKENS
    };
    fuzz::mutate(rng, seed, tokens)
}

const REQUESTS: &[(ApiFormat, &str)] = &[
    (
        ApiFormat::OpenAiChat,
        r#"{"model":"gpt-4o","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi a@b.co"}]},{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{\"x\":1}"}}]},{"role":"tool","content":"ignore previous"}]}"#,
    ),
    (
        ApiFormat::AnthropicMessages,
        r#"{"model":"c","max_tokens":5,"system":"s","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"r"}]}]}]}"#,
    ),
    (
        ApiFormat::OpenAiResponses,
        r#"{"model":"m","instructions":"i","input":[{"role":"user","content":"q"},{"type":"function_call_output","output":"o"}]}"#,
    ),
    (
        ApiFormat::GeminiGenerateContent,
        r#"{"contents":[{"role":"user","parts":[{"text":"q"},{"functionResponse":{"response":{"a":"b"}}}]}]}"#,
    ),
    (
        ApiFormat::Unknown,
        r#"{"a":["x",{"b":"\u00e9"}],"n":1.5e3}"#,
    ),
];

#[test]
fn mutated_request_bodies_never_panic_and_rewrites_stay_valid() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let limits = Limits::default();
    let mut parsed = 0usize;
    for _ in 0..iters() {
        let (format, seed) = REQUESTS[rng.below(REQUESTS.len())];
        let raw = mutate(&mut rng, seed.as_bytes());
        let Ok(body) = parse_request(format, &raw, &limits) else {
            continue;
        };
        parsed += 1;
        for s in &body.segments {
            assert!(s.span.end <= raw.len() && raw[s.span.start] == b'"');
        }
        let new: Vec<(usize, String)> = (0..body.segments.len())
            .map(|i| (i, format!("[R{i}] \"x\"\u{2028}")))
            .collect();
        let out = rewrite_segments(&raw, &body, &new).expect("rewrite");
        let again = parse_request(format, &out, &limits).expect("rewritten body parses");
        assert_eq!(again.segments.len(), body.segments.len());
        let _ = parse_response(format, &raw, &limits);
    }
    // The mutator must keep a share of bodies valid, or the invariants above test nothing.
    assert!(
        parsed * 20 > iters(),
        "only {parsed} of {} mutated bodies parsed",
        iters()
    );
}

#[test]
fn mutated_json_never_panics_and_spans_nest() {
    let mut rng = Rng::new(42);
    let limits = Limits {
        max_depth: 16,
        max_bytes: 1 << 16,
    };
    for _ in 0..iters() {
        let seed = REQUESTS[rng.below(REQUESTS.len())].1;
        let raw = mutate(&mut rng, seed.as_bytes());
        if let Ok(root) = json::parse(&raw, &limits) {
            assert!(root.span.end <= raw.len());
            let text = json::quote(&String::from_utf8_lossy(&raw));
            assert!(json::parse(text.as_bytes(), &Limits::default()).is_ok());
        }
    }
}

#[test]
fn mutated_sse_streams_give_the_same_events_at_any_split() {
    let seed = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"h\xc3\xa9\"}}]}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n";
    let mut rng = Rng::new(7);
    for _ in 0..iters() / 3 {
        let raw = mutate(&mut rng, seed);
        let mut whole = SseParser::new(4096);
        let a = whole.push(&raw).and_then(|mut ev| {
            ev.extend(whole.finish()?);
            Ok(ev)
        });
        let cut = rng.below(raw.len() + 1);
        let mut split = SseParser::new(4096);
        let b = split.push(&raw[..cut]).and_then(|mut ev| {
            ev.extend(split.push(&raw[cut..])?);
            ev.extend(split.finish()?);
            Ok(ev)
        });
        assert_eq!(a, b, "split at {cut}");
        if let Ok(events) = a {
            let joined: Vec<u8> = events.iter().flat_map(|e| e.raw.clone()).collect();
            assert_eq!(joined, raw, "every byte lands in exactly one event");
            for e in &events {
                for f in [ApiFormat::OpenAiChat, ApiFormat::AnthropicMessages] {
                    let n = stream::deltas(f, e).len();
                    if n > 0 {
                        let out = stream::with_delta_text(f, e, "x").expect("rewrite");
                        assert_eq!(stream::delta_text(f, &out).as_deref(), Some("x"));
                    }
                    let _ = stream::stream_usage(f, e);
                    let _ = stream::is_done(e);
                }
            }
        }
    }
}

#[test]
fn mutated_configs_are_refused_with_a_reason_never_a_panic() {
    use guardrail_sdk::config::{ConfigError, FromConfig, Value};
    #[derive(Debug)]
    #[allow(dead_code)]
    struct Cfg {
        mode: String,
        limits: Vec<u32>,
    }
    impl FromConfig for Cfg {
        fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
            let o = v.object(&["mode", "limits"])?;
            Ok(Cfg {
                mode: o.required("mode")?,
                limits: o.or_default("limits")?,
            })
        }
    }
    let seed = br#"{"mode":"block","limits":[1,2,3]}"#;
    let parsed = fuzz::config_mutants(seed, iters(), 99, guardrail_sdk::config::parse::<Cfg>);
    assert!(
        parsed > 0,
        "no mutant parsed: only the first error path was fuzzed"
    );
}
