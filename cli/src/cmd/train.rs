//! `guardrail train [--shared DIR] [--out FILE]`: rebuild injection-guard's learned n-gram
//! weights from the train half of the shared dev data (see `crate::train`).

use std::path::PathBuf;

use anyhow::Result;

use crate::train;
use guardrail_harness::envoy::paths::repo_root;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shared dev data [default: $GUARDRAIL_SHARED, else <root>/../shared/eval].
    #[arg(long, value_name = "DIR")]
    pub shared: Option<PathBuf>,
    /// Where the weights go [default: <root>/plugins/injection-guard/model/ngram.bin].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<u8> {
    let root = repo_root();
    let shared = args
        .shared
        .unwrap_or_else(|| match std::env::var_os("GUARDRAIL_SHARED") {
            Some(s) if !s.is_empty() => PathBuf::from(s),
            _ => root.join("../shared/eval"),
        });
    let out = args
        .out
        .unwrap_or_else(|| root.join("plugins/injection-guard/model/ngram.bin"));
    train::run(&train::Options { shared, out })?;
    Ok(0)
}
