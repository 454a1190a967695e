//! `harness audit FILE.wasm...`: per plugin, per host: OK / degrades / missing. Exit 1 when a
//! plugin imports something no known host provides or that Envoy lacks; 2 on usage errors.

use crate::audit;
use std::path::PathBuf;

const USAGE: &str = "usage: harness audit [--quiet | --json] FILE.wasm...";

pub fn run(args: Vec<String>) -> anyhow::Result<u8> {
    let mut quiet = false;
    let mut json = false;
    let mut files = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--quiet" | "-q" => quiet = true,
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            other if other.starts_with('-') => {
                eprintln!("harness audit: unknown option {other}\n{USAGE}");
                return Ok(2);
            }
            other => files.push(PathBuf::from(other)),
        }
    }
    if files.is_empty() {
        eprintln!("{USAGE}");
        return Ok(2);
    }
    let mut failed = 0usize;
    for file in &files {
        let report = audit::audit_file(file)?;
        if json {
            println!("{}", audit::report::to_json(&report));
        } else if quiet {
            let line: Vec<String> = report
                .hosts
                .iter()
                .map(|h| format!("{}={}", h.host.name(), h.status.name()))
                .collect();
            println!("{}: {}", report.file, line.join(" "));
        } else {
            print!("{}", audit::report::render(&report));
        }
        if report.fails() {
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!(
            "harness audit: {failed} plugin(s) import something Envoy lacks or no host provides"
        );
        return Ok(1);
    }
    Ok(0)
}
