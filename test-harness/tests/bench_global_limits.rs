//! Bench phase "global limits" (run by `./build.sh bench`, ignored by `cargo test`): what the
//! global rate-limit check costs per request next to key-auth's local limiter. Both sides run
//! the shipped `examples/envoy/replica.yaml` (whole chain) on loopback with the same key:
//! - local: key-auth `"limits": "local"`, the route's descriptors switched off (no RLS call);
//! - global: as shipped, one rate-limit service (`tools/rls`) and Redis.
//!
//! Interleaved rounds of sequential requests (one connection per request, as the tests'
//! client does); the report gives median latencies and the global/local ratio, printed and
//! written to `bench/results/global-limits.json`. It reports, never asserts on timing.

use std::time::Instant;

use guardrail_harness::envoy::replica::{self, Ports};
use guardrail_harness::envoy::Envoy;
use guardrail_harness::mock_upstream::MockUpstream;
use guardrail_harness::services::{OtlpSink, RateLimitService, Redis};
use guardrail_sdk::hash;
use serde_json::json;

const KEY: &str = "grw_bench_global_0123456789abcdef0123456789abcd";
const ROUNDS: usize = 5;
const PER_ROUND: usize = 200;
const WARMUP: usize = 50;

fn config(mode: &str) -> String {
    let hash = format!("sha256:{}", hash::hex(&hash::sha256(KEY.as_bytes())));
    json!({
        "identity_secret": "demo-identity-secret-change-me",
        "limits": mode,
        "keys": [{"id": "bench", "credentials": [{"hash": hash}],
                  "rate_limit_per_minute": 100_000_000u64,
                  "token_budget": {"tokens": 1_000_000_000_000u64, "window_seconds": 3600}}],
        "providers": [{"name": "openai", "kind": "openai", "api_key": "sk-bench"}]
    })
    .to_string()
}

/// Per-request latencies in microseconds of `n` sequential requests.
fn run(envoy: &Envoy, n: usize) -> Vec<u64> {
    let auth = format!("Bearer {KEY}");
    let body = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}"#;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = envoy
            .post(
                "/v1/chat/completions",
                &[("authorization", auth.as_str())],
                body,
            )
            .expect("request");
        assert_eq!(r.status, 200, "{}", r.text());
        out.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    out
}

fn quantile(v: &mut [u64], q: f64) -> u64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(i).copied().unwrap_or(0)
}

#[test]
#[ignore = "bench phase: ./build.sh bench runs it"]
fn global_check_cost_next_to_the_local_limiter() {
    let redis = Redis::start().expect("redis-server");
    let rls = RateLimitService::start(&config("global"), &redis.url()).expect("tools/rls");
    let otlp = OtlpSink::start().expect("otlp sink");
    let upstream = MockUpstream::start().expect("upstream");
    let ports = Ports {
        upstream: upstream.port(),
        rls: rls.port(),
        otlp: otlp.port(),
        ..Ports::default()
    };
    let example = replica::example().expect("example");
    let global = replica::render(&example, &ports, Some(&config("global"))).expect("render");
    // Local: the same file, key-auth counting in shared data and no descriptor for the filter.
    let local = replica::render(&example, &ports, Some(&config("local")))
        .expect("render")
        .replace(
            "wasm.guardrail.key_id']",
            "wasm.guardrail.no_such_property']",
        );
    let start = |yaml: String| {
        Envoy::builder()
            .config_yaml(yaml)
            .log_level("warning")
            .start()
    };
    let g = start(global).expect("global replica");
    let l = start(local).expect("local replica");
    run(&g, WARMUP);
    run(&l, WARMUP);
    let (mut gs, mut ls) = (Vec::new(), Vec::new());
    let mut ratios = Vec::new();
    for _ in 0..ROUNDS {
        let mut lr = run(&l, PER_ROUND);
        let mut gr = run(&g, PER_ROUND);
        let (lm, gm) = (quantile(&mut lr, 0.5), quantile(&mut gr, 0.5));
        ratios.push(gm as f64 / lm.max(1) as f64);
        ls.extend(lr);
        gs.extend(gr);
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    // Envoy's own timing of the call to the rate-limit service (ms histogram quantiles).
    let stats = g
        .admin_get("/stats?filter=llm_upstream.ratelimit|guardrail_rls.upstream_rq_time")
        .expect("stats")
        .text();
    let report = json!({
        "phase": "global limits",
        "requests_per_side": ls.len(),
        "local_us": {"p50": quantile(&mut ls, 0.5), "p90": quantile(&mut ls, 0.9), "p99": quantile(&mut ls, 0.99)},
        "global_us": {"p50": quantile(&mut gs, 0.5), "p90": quantile(&mut gs, 0.9), "p99": quantile(&mut gs, 0.99)},
        "p50_ratio_global_to_local": (ratio * 100.0).round() / 100.0,
        "rate_limit_stats": stats.lines().collect::<Vec<_>>(),
    });
    println!(
        "global limits: {} sequential requests per side, whole chain\n  local  p50 {} us  p90 {} us\n  global p50 {} us  p90 {} us\n  median per-round p50 ratio global/local: {:.2}x",
        report["requests_per_side"],
        report["local_us"]["p50"],
        report["local_us"]["p90"],
        report["global_us"]["p50"],
        report["global_us"]["p90"],
        ratio
    );
    let out = guardrail_harness::envoy::paths::repo_root().join("bench/results/global-limits.json");
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&report).expect("json") + "\n",
    )
    .expect("write");
}
