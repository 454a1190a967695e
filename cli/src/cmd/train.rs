//! `harness train [--shared DIR] [--out FILE]`: rebuild injection-guard's learned n-gram
//! weights from the train half of the shared dev data (see `crate::train`). Defaults:
//! `$GUARDRAIL_SHARED`, else `<root>/../shared/eval`; `<root>/plugins/injection-guard/model/ngram.bin`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use guardrail_harness::envoy::paths::repo_root;
use crate::train;

const USAGE: &str = "usage: harness train [--shared DIR] [--out FILE]";

pub fn run(args: Vec<String>) -> Result<u8> {
    let root = repo_root();
    let mut shared = match std::env::var_os("GUARDRAIL_SHARED") {
        Some(s) if !s.is_empty() => PathBuf::from(s),
        _ => root.join("../shared/eval"),
    };
    let mut out = root.join("plugins/injection-guard/model/ngram.bin");
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--shared" => shared = PathBuf::from(value()?),
            "--out" => out = PathBuf::from(value()?),
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    train::run(&train::Options { shared, out })?;
    Ok(0)
}
