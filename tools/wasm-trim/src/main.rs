//! wasm-trim CLI: `wasm-trim FILE.wasm...` trims each module in place (see `trim`) and prints
//! what it dropped; exits non-zero, leaving the file as it was, on any error.

use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: wasm-trim FILE.wasm...");
        return ExitCode::from(2);
    }
    for file in &files {
        let result = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|raw| wasm_trim::trim(&raw))
            .and_then(|t| {
                // Write beside, then rename: a reader never sees a half-written module.
                let tmp = format!("{file}.trim-tmp");
                std::fs::write(&tmp, &t.bytes)
                    .and_then(|()| std::fs::rename(&tmp, file))
                    .map_err(|e| e.to_string())?;
                Ok(t)
            });
        match result {
            Ok(t) => println!(
                "{file}: callbacks {}; dropped {} exports, {} bytes of their code",
                t.declared.join(" "),
                t.dropped.len(),
                t.stubbed_bytes
            ),
            Err(e) => {
                eprintln!("wasm-trim: {file}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
