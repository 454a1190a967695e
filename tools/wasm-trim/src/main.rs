//! wasm-trim CLI: `wasm-trim FILE.wasm...` trims each module in place (see `trim`) and prints
//! how many callbacks now answer by default; exits 1, leaving the file as it was, on any error
//! (2 on a usage error).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// The proxy-wasm callbacks a plugin does not declare (its `guardrail.callbacks` section)
/// answer with the SDK default, and the code nothing reaches any more is stubbed. Files are rewritten in place, atomically.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The modules to trim (built with `guardrail_sdk::callbacks!`).
    #[arg(required = true, value_name = "FILE.wasm")]
    files: Vec<PathBuf>,
}

fn trim_file(file: &Path) -> Result<wasm_trim::Trimmed, String> {
    let raw = std::fs::read(file).map_err(|e| e.to_string())?;
    let trimmed = wasm_trim::trim(&raw)?;
    // Write beside, then rename: a reader never sees a half-written module.
    let tmp = file.with_extension("trim-tmp");
    std::fs::write(&tmp, &trimmed.bytes)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| e.to_string())?;
    Ok(trimmed)
}

fn main() -> ExitCode {
    let args = Args::parse();
    for file in &args.files {
        match trim_file(file) {
            Ok(t) => println!(
                "{}: callbacks {}; {} others answer by default, {} bytes of code stubbed",
                file.display(),
                t.declared.join(" "),
                t.answered.len(),
                t.stubbed_bytes
            ),
            Err(e) => {
                eprintln!("wasm-trim: {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
