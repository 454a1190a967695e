//! `guardrail-bench [--quick] [--rounds N] [--size-rounds N] [--duration-ms MS] [--warmup-ms MS]
//! [--connections N] [--configs A,N,key-auth,...] [--rss-requests N] [--adversarial-requests N]
//! [--no-sizes] [--upstream fast|mock] [--envoy-log-level L] [--plugin-config PLUGIN=FILE] [--variant NAME=PLUGIN:FILE] [--price CALL[:REPEAT],...|all] [--out FILE]`: the side-by-side Envoy benchmark (issue 8). Prints a table, then
//! as its last line a one-line JSON summary (a `--variant` FILE is a plugin config, or a `.wasm` build
//! of PLUGIN run with its example config); writes the whole report to `--out`
//! (default bench/results/latest.json; bench/results/quick.json with --quick).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use guardrail_bench::{self as bench, price, report, Options};

const USAGE: &str = "usage: guardrail-bench [--quick] [--rounds N] [--size-rounds N] [--duration-ms MS] \
[--warmup-ms MS] [--connections N] [--configs A,N,key-auth,model-allowlist,injection-guard,pii-redact,auth+model,chain] \
[--rss-requests N] [--adversarial-requests N] [--no-sizes] [--upstream fast|mock] [--envoy-log-level info|warning] [--plugin-config PLUGIN=FILE] [--variant NAME=PLUGIN:FILE] [--price CALL[:REPEAT],...|all] [--out FILE]";

/// Parses the options (`--quick` first sets the quick defaults, later options override).
fn parse(args: &[String]) -> Result<Options> {
    let mut opts = if args.iter().any(|a| a == "--quick") {
        Options::quick()
    } else {
        Options::full()
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        let num = |v: &String| -> Result<u64> {
            v.parse::<u64>()
                .with_context(|| format!("{arg} takes a whole number, not {v:?}"))
        };
        match arg.as_str() {
            "--quick" => {}
            "--rounds" => opts.rounds = num(value()?)?.max(1) as usize,
            "--size-rounds" => opts.size_rounds = num(value()?)?.max(1) as usize,
            "--duration-ms" => opts.duration = Duration::from_millis(num(value()?)?.max(50)),
            "--warmup-ms" => opts.warmup = Duration::from_millis(num(value()?)?),
            "--connections" => opts.connections = num(value()?)?.max(1) as usize,
            "--rss-requests" => opts.rss_requests = num(value()?)?.max(10),
            "--adversarial-requests" => opts.adversarial_requests = num(value()?)?.max(1) as usize,
            "--configs" => {
                opts.only = Some(
                    value()?
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "--no-sizes" => opts.skip_sizes = true,
            "--envoy-log-level" => opts.envoy_log_level = value()?.to_string(),
            "--plugin-config" => {
                let v = value()?;
                let (name, file) = v
                    .split_once('=')
                    .with_context(|| format!("--plugin-config takes PLUGIN=FILE, not {v:?}"))?;
                opts.plugin_configs
                    .push((name.to_string(), PathBuf::from(file)));
            }
            "--upstream" => {
                opts.mock_upstream = match value()?.as_str() {
                    "fast" => false,
                    "mock" => true,
                    other => bail!("--upstream takes fast or mock, not {other}"),
                }
            }
            "--variant" => opts
                .variants
                .push(bench::configs::Variant::parse(value()?).map_err(anyhow::Error::msg)?),
            "--price" => opts.price = price::parse(value()?).map_err(anyhow::Error::msg)?,
            "--out" => opts.out = PathBuf::from(value()?),
            "-h" | "--help" => bail!("{USAGE}"),
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    Ok(opts)
}

fn run(args: Vec<String>) -> Result<u8> {
    let opts = parse(&args)?;
    let report = bench::run(&opts)?;
    println!("{}", report::table(&report));
    println!("report: {}", opts.out.display());
    println!("{}", report.get("summary").cloned().unwrap_or_default());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn quick_then_overrides() {
        let o = parse(&args(
            "--rounds 3 --quick --configs A,chain --out /tmp/x.json",
        ))
        .unwrap();
        assert!(o.quick);
        assert_eq!(o.rounds, 3);
        assert_eq!(o.only.unwrap(), ["A", "chain"]);
        assert_eq!(o.out, PathBuf::from("/tmp/x.json"));
        assert!(parse(&args("--rounds")).is_err());
        assert!(parse(&args("--rounds x")).is_err());
        assert!(parse(&args("--bogus")).is_err());
        let full = parse(&[]).unwrap();
        assert!(!full.quick);
        assert_eq!(full.rss_requests, 100_000);
    }
}

fn main() -> std::process::ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("guardrail-bench: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
