//! bench: the guardrail chain against no filter, side by side in real Envoy (issue 8).
//! Interleaved A/B rounds (A, N, each plugin, auth+model, chain, then again) on loopback with
//! the mock LLM upstream and a std-only load generator; medians of per-round ratios to A.
//! Also: body sizes, adversarial 1 MiB bodies, Envoy RSS over many requests, in-VM fuel from
//! the wasmtime host, `.wasm` sizes. It reports; it never fails on noise.
//!
//! Modules: [`loadgen`] (HTTP client load), [`bodies`] (request bodies), [`configs`] (what is
//! compared), [`price`] (host call prices), [`phases`] (the measurements), [`fuel`] (wasmtime host),
//! [`scan`] (detector throughput, wasm next to native), [`rss`], [`stats`], [`upstream`],
//! [`report`] (table and JSON summary).

pub mod bodies;
pub mod configs;
pub mod fuel;
pub mod loadgen;
pub mod phases;
pub mod price;
pub mod report;
pub mod rss;
pub mod scan;
pub mod stats;
pub mod upstream;

use std::path::PathBuf;
use std::time::Duration;

/// What to run and for how long.
#[derive(Debug, Clone)]
pub struct Options {
    pub quick: bool,
    /// Interleaved rounds of the 4 KB saturation and latency runs.
    pub rounds: usize,
    /// Rounds of the 64 KB / 1 MiB and adversarial runs.
    pub size_rounds: usize,
    /// Measured window of each run.
    pub duration: Duration,
    /// Unmeasured warm-up before each run.
    pub warmup: Duration,
    /// Connections of the closed-loop (saturation) runs.
    pub connections: usize,
    /// Connections of the open-loop (latency) runs.
    pub latency_connections: usize,
    /// Only these config keys (A is always kept: every ratio is to A).
    pub only: Option<Vec<String>>,
    /// Requests of the RSS run on the chain.
    pub rss_requests: u64,
    /// Requests per body per round in the adversarial comparison.
    pub adversarial_requests: usize,
    /// Size of the "1 MiB" bodies.
    pub big_body: usize,
    /// Skip the 64 KB / 1 MiB throughput runs.
    pub skip_sizes: bool,
    /// Forward to the test mock (`mock_upstream`) instead of the lean bench upstream.
    pub mock_upstream: bool,
    /// Envoy's log level. `info` (default) keeps the plugins' per-request verdict lines, as a
    /// gateway normally runs; `warning` drops them (to measure what logging costs).
    pub envoy_log_level: String,
    /// Plugin configs used instead of the example ones: (plugin, file).
    pub plugin_configs: Vec<(String, PathBuf)>,
    /// Config variants of one plugin (`--variant`), each its own configuration.
    pub variants: Vec<configs::Variant>,
    /// Host calls to price (`--price`), each its own configuration.
    pub price: Vec<price::PriceSpec>,
    /// Where the JSON report is written.
    pub out: PathBuf,
}

impl Options {
    /// The full run (~10 minutes on 2 cores): many short interleaved rounds, so slow drifts in
    /// the machine's load hit every configuration alike.
    pub fn full() -> Options {
        Options {
            quick: false,
            rounds: 8,
            size_rounds: 3,
            duration: Duration::from_millis(1500),
            warmup: Duration::from_millis(300),
            connections: 8,
            latency_connections: 8,
            only: None,
            rss_requests: 100_000,
            adversarial_requests: 6,
            big_body: bodies::ONE_MIB_BODY,
            skip_sizes: false,
            mock_upstream: false,
            envoy_log_level: "info".into(),
            plugin_configs: Vec::new(),
            price: Vec::new(),
            variants: Vec::new(),
            out: guardrail_harness::envoy::paths::repo_root().join("bench/results/latest.json"),
        }
    }

    /// A short run (< 2 minutes) that exercises every phase: smoke test and CI.
    pub fn quick() -> Options {
        Options {
            quick: true,
            rounds: 1,
            size_rounds: 1,
            duration: Duration::from_millis(400),
            warmup: Duration::from_millis(100),
            rss_requests: 2_000,
            adversarial_requests: 2,
            out: guardrail_harness::envoy::paths::repo_root().join("bench/results/quick.json"),
            ..Options::full()
        }
    }
}

/// Runs the benchmark; returns the JSON report (also written to `opts.out`).
pub fn run(opts: &Options) -> anyhow::Result<serde_json::Value> {
    let report = phases::run_all(opts)?;
    if let Some(dir) = opts.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&opts.out, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(report)
}
