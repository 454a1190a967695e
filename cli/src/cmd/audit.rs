//! `guardrail audit FILE.wasm...`: per plugin, per host: OK / degrades / missing. Exit 1 when
//! a plugin imports something no known host provides or that Envoy lacks; 2 on usage errors.

use std::path::PathBuf;

use crate::audit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One line per module: `FILE: envoy=ok kong=degrades apisix=degrades`.
    #[arg(short, long)]
    pub quiet: bool,
    /// Each module's report as one JSON object (wins over --quiet).
    #[arg(long)]
    pub json: bool,
    /// The plugin modules to audit (e.g. dist/*.wasm).
    #[arg(required = true, value_name = "FILE.wasm")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let mut failed = 0usize;
    for file in &args.files {
        let report = audit::audit_file(file)?;
        if args.json {
            println!("{}", audit::report::to_json(&report));
        } else if args.quiet {
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
            "guardrail audit: {failed} plugin(s) import something Envoy lacks or no host provides"
        );
        return Ok(1);
    }
    Ok(0)
}
