//! scan-bench CLI: `scan-bench --text FILE [--min-ms N]` times every detector natively on the
//! text and prints one JSON object per line: `{"detector":..,"mb_s":..,"findings":..}`.
//! `harness bench` runs the release build next to the same code in wasm.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let Some(path) = value("--text") else {
        eprintln!("usage: scan-bench --text FILE [--min-ms N]");
        return ExitCode::from(2);
    };
    let min_ms = match value("--min-ms").map(|v| v.parse::<u64>()) {
        None => 300,
        Some(Ok(ms)) => ms,
        Some(Err(e)) => {
            eprintln!("scan-bench: --min-ms: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("scan-bench: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, scan) in scan_bench::detectors() {
        let t = scan_bench::time(Duration::from_millis(min_ms), || scan(&text));
        // Names are ASCII identifiers (see `detectors`), so they need no JSON escaping.
        println!(
            "{{\"detector\":\"{name}\",\"mb_s\":{:.1},\"findings\":{}}}",
            t.mb_s(text.len()),
            t.findings
        );
    }
    ExitCode::SUCCESS
}
