//! audit: checks each plugin's proxy-wasm imports against what Envoy, Kong (ngx_wasm_module)
//! and APISIX (wasm-nginx-module) provide, and says what degrades where (`harness audit`).

pub mod hosts;
pub mod plugins;
pub mod report;

pub use hosts::{Capability, Host, Support};
pub use report::{PluginReport, Status};

use anyhow::{Context, Result};
use std::path::Path;

/// Audits one `.wasm` file; the plugin profile is chosen by the file stem (`key-auth`).
pub fn audit_file(path: &Path) -> Result<PluginReport> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    audit_bytes(&path.display().to_string(), &stem, &raw)
}

/// Audits module bytes named `file` whose plugin name is `stem`.
pub fn audit_bytes(file: &str, stem: &str, raw: &[u8]) -> Result<PluginReport> {
    let facts = wasm_trim::read(raw)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("parsing {file}"))?;
    let profile = plugins::profile(stem);
    Ok(report::build(file, stem, &facts, raw, &profile))
}
