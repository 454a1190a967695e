//! `guardrail eval --plugin FILE.wasm --data FILE.jsonl [--config FILE.json] [--show fp|fn]`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::eval::{self, Show};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin module to run (e.g. dist/injection-guard.wasm).
    #[arg(long, value_name = "FILE.wasm")]
    pub plugin: PathBuf,
    /// Labelled requests, one JSON object a line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub data: PathBuf,
    /// The plugin's config (JSON); without it, the plugin's defaults.
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
    /// Also print the false positives (fp) or the false negatives (fn).
    #[arg(long, value_parser = ["fp", "fn"])]
    pub show: Option<String>,
}

pub fn run(args: Args) -> Result<u8> {
    let config = match &args.config {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => None,
    };
    let show = match args.show.as_deref() {
        Some("fp") => Show::FalsePositives,
        Some("fn") => Show::FalseNegatives,
        _ => Show::None,
    };
    eval::run(&eval::Options {
        plugin: &args.plugin,
        data: &args.data,
        config,
        show,
    })?;
    Ok(0)
}
