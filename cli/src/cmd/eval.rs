//! `harness eval --plugin FILE.wasm --data FILE.jsonl [--config FILE.json] [--show fp|fn]`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::eval::{self, Show};

pub fn run(args: Vec<String>) -> Result<u8> {
    let mut plugin = None;
    let mut data = None;
    let mut config = None;
    let mut show = Show::None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--plugin" => plugin = Some(PathBuf::from(value()?)),
            "--data" => data = Some(PathBuf::from(value()?)),
            "--config" => {
                let path = value()?;
                config = Some(std::fs::read(&path).with_context(|| format!("reading {path}"))?);
            }
            "--show" => {
                show = match value()?.as_str() {
                    "fp" => Show::FalsePositives,
                    "fn" => Show::FalseNegatives,
                    other => bail!("--show takes fp or fn, not {other}"),
                }
            }
            other => bail!("unknown option {other}\nusage: harness eval --plugin FILE.wasm --data FILE.jsonl [--config FILE.json] [--show fp|fn]"),
        }
    }
    let plugin = plugin.context("--plugin FILE.wasm is required")?;
    let data = data.context("--data FILE.jsonl is required")?;
    eval::run(&eval::Options {
        plugin: &plugin,
        data: &data,
        config,
        show,
    })?;
    Ok(0)
}
