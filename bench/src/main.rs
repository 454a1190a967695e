//! `guardrail-bench`: the side-by-side Envoy benchmark (issue 8). Prints a table, then as its
//! last line a one-line JSON summary; writes the whole report to `--out` (default
//! bench/results/latest.json; bench/results/quick.json with --quick). Exit codes: 0 ok,
//! 1 failure, 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{CommandFactory, Parser};

use guardrail_bench::{self as bench, price, report, Options};

/// The guardrail chain against no filter, side by side in real Envoy: interleaved A/B rounds,
/// body sizes, adversarial bodies, Envoy RSS, in-VM fuel, detector throughput, `.wasm` sizes.
/// Options left out keep the full run's defaults (the quick run's with --quick).
#[derive(Debug, Parser)]
#[command(name = "guardrail-bench", version)]
struct Cli {
    /// A short run (< 2 minutes) through every phase: smoke test and CI.
    #[arg(long)]
    quick: bool,
    /// Interleaved rounds of the 4 KB saturation and latency runs [full 8, quick 1].
    #[arg(long, value_name = "N")]
    rounds: Option<u64>,
    /// Rounds of the 64 KB / 1 MiB and adversarial runs [full 3, quick 1].
    #[arg(long, value_name = "N")]
    size_rounds: Option<u64>,
    /// Measured window of each run, at least 50 [full 1500, quick 400].
    #[arg(long, value_name = "MS")]
    duration_ms: Option<u64>,
    /// Unmeasured warm-up before each run [full 300, quick 100].
    #[arg(long, value_name = "MS")]
    warmup_ms: Option<u64>,
    /// Connections of the closed-loop (saturation) runs [8].
    #[arg(long, value_name = "N")]
    connections: Option<u64>,
    /// Only these configurations, comma-separated (A, N, key-auth, model-allowlist,
    /// injection-guard, pii-redact, auth+model, chain); A is always kept.
    #[arg(long, value_name = "LIST")]
    configs: Option<String>,
    /// Requests of the RSS run on the chain, at least 10 [full 100000, quick 2000].
    #[arg(long, value_name = "N")]
    rss_requests: Option<u64>,
    /// Requests per body per round in the adversarial comparison [full 6, quick 2].
    #[arg(long, value_name = "N")]
    adversarial_requests: Option<u64>,
    /// Skip the 64 KB / 1 MiB throughput runs.
    #[arg(long)]
    no_sizes: bool,
    /// Upstream: the lean bench upstream (fast) or the test mock (mock).
    #[arg(long, value_parser = ["fast", "mock"], default_value = "fast")]
    upstream: String,
    /// Envoy's log level: info keeps the plugins' verdict lines; warning drops them.
    #[arg(long, value_name = "LEVEL")]
    envoy_log_level: Option<String>,
    /// A plugin config used instead of the example one (repeatable).
    #[arg(long, value_name = "PLUGIN=FILE")]
    plugin_config: Vec<String>,
    /// A config variant of one plugin, its own configuration (repeatable): FILE is a plugin
    /// config, or a `.wasm` build of PLUGIN run with its example config.
    #[arg(long, value_name = "NAME=PLUGIN:FILE")]
    variant: Vec<String>,
    /// Host calls to price, each its own configuration.
    #[arg(long, value_name = "CALL[:REPEAT],...|all")]
    price: Option<String>,
    /// Where the JSON report is written.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The run's options: the full (or, with --quick, quick) defaults, then what was given.
fn options(cli: Cli) -> Result<Options, String> {
    let mut opts = if cli.quick {
        Options::quick()
    } else {
        Options::full()
    };
    if let Some(n) = cli.rounds {
        opts.rounds = n.max(1) as usize;
    }
    if let Some(n) = cli.size_rounds {
        opts.size_rounds = n.max(1) as usize;
    }
    if let Some(ms) = cli.duration_ms {
        opts.duration = Duration::from_millis(ms.max(50));
    }
    if let Some(ms) = cli.warmup_ms {
        opts.warmup = Duration::from_millis(ms);
    }
    if let Some(n) = cli.connections {
        opts.connections = n.max(1) as usize;
    }
    if let Some(n) = cli.rss_requests {
        opts.rss_requests = n.max(10);
    }
    if let Some(n) = cli.adversarial_requests {
        opts.adversarial_requests = n.max(1) as usize;
    }
    if let Some(list) = cli.configs {
        opts.only = Some(
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    opts.skip_sizes = cli.no_sizes;
    opts.mock_upstream = cli.upstream == "mock";
    if let Some(level) = cli.envoy_log_level {
        opts.envoy_log_level = level;
    }
    for v in &cli.plugin_config {
        let (name, file) = v
            .split_once('=')
            .ok_or_else(|| format!("--plugin-config takes PLUGIN=FILE, not {v:?}"))?;
        opts.plugin_configs
            .push((name.to_string(), PathBuf::from(file)));
    }
    for v in &cli.variant {
        opts.variants.push(bench::configs::Variant::parse(v)?);
    }
    if let Some(p) = cli.price {
        opts.price = price::parse(&p)?;
    }
    if let Some(out) = cli.out {
        opts.out = out;
    }
    Ok(opts)
}

fn run(opts: &Options) -> Result<()> {
    let report = bench::run(opts)?;
    println!("{}", report::table(&report));
    println!("report: {}", opts.out.display());
    println!("{}", report.get("summary").cloned().unwrap_or_default());
    Ok(())
}

fn main() -> ExitCode {
    let opts = match options(Cli::parse()) {
        Ok(o) => o,
        // A malformed option value: clap's usage error, exit 2.
        Err(msg) => Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, msg)
            .exit(),
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("guardrail-bench: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Options, String> {
        let argv = std::iter::once("guardrail-bench").chain(s.split_whitespace());
        options(Cli::try_parse_from(argv).map_err(|e| e.to_string())?)
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn quick_then_overrides() {
        let o = parse("--rounds 3 --quick --configs A,chain --out /tmp/x.json").unwrap();
        assert!(o.quick);
        assert_eq!(o.rounds, 3);
        assert_eq!(o.only.unwrap(), ["A", "chain"]);
        assert_eq!(o.out, PathBuf::from("/tmp/x.json"));
        assert!(parse("--rounds").is_err());
        assert!(parse("--rounds x").is_err());
        assert!(parse("--bogus").is_err());
        assert!(parse("--upstream slow").is_err());
        assert!(parse("--plugin-config nofile").is_err());
        let full = parse("").unwrap();
        assert!(!full.quick);
        assert_eq!(full.rss_requests, 100_000);
    }
}
