//! scan: each detector's scan throughput in wasm next to the same code native (issue 8).
//!
//! The code is `tools/scan-bench`: one list of the detectors' pure scanners, built twice by
//! `./build.sh bench` (and `test`): natively in release (`target/release/scan-bench`, run as
//! a child process: this harness is a dev build) and as wasm32-wasip1 modules, one per plugin
//! crate (`target/scan-bench/{pii,ig}.wasm`; one module cannot link two plugins' glue), run here
//! in wasmtime with Cranelift, no fuel metering. Both are timed alike (`scan_bench::time`: one
//! unmeasured pass, then passes until the window is over) on the same texts, one detector at
//! a time, native then wasm, so a load change hits both.

use super::bodies;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wasmtime::{Engine, Instance, Linker, Module, Store, TypedFunc};

/// The texts scanned: the benign body's prose (no digits, no `@`: the PII scanners skip
/// almost everything, as they do on most chat text) and, when the shared eval data is
/// there, the PII development texts repeated to the same size (every scanner busy).
pub fn texts(size: usize) -> Vec<(String, String)> {
    let mut out = vec![("prose".to_string(), bodies::prose(size))];
    let pii = guardrail_harness::envoy::paths::repo_root().join("../shared/eval/pii-dev.jsonl");
    if let Ok(raw) = std::fs::read_to_string(&pii) {
        let lines: Vec<String> = raw
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v.get("text").and_then(Value::as_str).map(String::from))
            .collect();
        let one = lines.join("\n");
        if !one.is_empty() {
            let mut text = one.repeat(size / one.len() + 1);
            let mut cut = size.min(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            out.push(("pii-dev".to_string(), text));
        }
    }
    out
}

/// One wasm module of `scan-bench`, instantiated with every import a trap (the scanners
/// call no host function; a trap would show as an error, not as a figure).
struct WasmScanner {
    store: Store<()>,
    instance: Instance,
    names: Vec<String>,
}

impl WasmScanner {
    fn load(engine: &Engine, path: &Path) -> Result<WasmScanner, String> {
        let module = Module::from_file(engine, path).map_err(|e| format!("{e:#}"))?;
        let mut linker: Linker<()> = Linker::new(engine);
        linker
            .define_unknown_imports_as_traps(&module)
            .map_err(|e| format!("{e:#}"))?;
        let mut store = Store::new(engine, ());
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| format!("{e:#}"))?;
        let names_at: TypedFunc<(), u64> = instance
            .get_typed_func(&mut store, "scan_bench_names")
            .map_err(|e| format!("{e:#}"))?;
        let packed = names_at
            .call(&mut store, ())
            .map_err(|e| format!("{e:#}"))?;
        let (ptr, len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or("no exported memory")?;
        let raw = memory
            .data(&store)
            .get(ptr..ptr + len)
            .ok_or("names out of bounds")?;
        let names = String::from_utf8_lossy(raw)
            .lines()
            .map(String::from)
            .collect();
        Ok(WasmScanner {
            store,
            instance,
            names,
        })
    }

    /// Puts `text` into the module's buffer.
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        let buffer: TypedFunc<u32, u32> = self
            .instance
            .get_typed_func(&mut self.store, "scan_bench_buffer")
            .map_err(|e| format!("{e:#}"))?;
        let ptr = buffer
            .call(&mut self.store, text.len() as u32)
            .map_err(|e| format!("{e:#}"))? as usize;
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .ok_or("no exported memory")?;
        memory
            .write(&mut self.store, ptr, text.as_bytes())
            .map_err(|e| format!("{e:#}"))
    }

    /// Times detector `index` over the text set last.
    fn time(&mut self, index: usize, window: Duration) -> Result<scan_bench::Timing, String> {
        let run: TypedFunc<u32, u32> = self
            .instance
            .get_typed_func(&mut self.store, "scan_bench_run")
            .map_err(|e| format!("{e:#}"))?;
        let mut failure = None;
        let store = &mut self.store;
        let t = scan_bench::time(window, || match run.call(&mut *store, index as u32) {
            Ok(n) if n != u32::MAX => n as usize,
            Ok(_) => {
                failure = Some("unknown detector or text not UTF-8".to_string());
                0
            }
            Err(e) => {
                failure = Some(format!("{e:#}"));
                0
            }
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(t),
        }
    }
}

/// Native figures for every detector on `text` (file `text_file`), from the release binary.
fn native(bin: &Path, text_file: &Path, window: Duration) -> Result<Map<String, Value>, String> {
    let out = Command::new(bin)
        .arg("--text")
        .arg(text_file)
        .arg("--min-ms")
        .arg(window.as_millis().to_string())
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut by_name = Map::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{line}: {e}"))?;
        if let Some(name) = v.get("detector").and_then(Value::as_str) {
            by_name.insert(name.to_string(), v);
        }
    }
    Ok(by_name)
}

/// Where `./build.sh` (`build_scan_bench`) puts the two builds.
pub fn artifacts(root: &Path) -> (PathBuf, Vec<PathBuf>) {
    let dir = root.join("target/scan-bench");
    (
        root.join("target/release/scan-bench"),
        vec![dir.join("pii.wasm"), dir.join("ig.wasm")],
    )
}

/// The section of the report: per text and detector, MB/s in wasm and native and their ratio.
pub fn report(root: &Path, size: usize, window: Duration, notes: &mut Vec<String>) -> Value {
    let (bin, modules) = artifacts(root);
    if !bin.is_file() || modules.iter().any(|m| !m.is_file()) {
        notes.push(format!(
            "scan throughput: skipped, {} or target/scan-bench/*.wasm missing (./build.sh bench builds them)",
            bin.display()
        ));
        return Value::Null;
    }
    let engine = Engine::default();
    let mut scanners = Vec::new();
    for m in &modules {
        match WasmScanner::load(&engine, m) {
            Ok(s) => scanners.push(s),
            Err(e) => notes.push(format!("scan throughput: {}: {e}", m.display())),
        }
    }
    let mut rows = Vec::new();
    for (text_name, text) in texts(size) {
        let file = std::env::temp_dir().join(format!(
            "guardrail-scan-{}-{text_name}.txt",
            std::process::id()
        ));
        if let Err(e) = std::fs::write(&file, &text) {
            notes.push(format!("scan throughput: {}: {e}", file.display()));
            continue;
        }
        let native_figures = native(&bin, &file, window);
        let _ = std::fs::remove_file(&file);
        let native_figures = match native_figures {
            Ok(n) => n,
            Err(e) => {
                notes.push(format!("scan throughput: native: {e}"));
                continue;
            }
        };
        for s in scanners.iter_mut() {
            if let Err(e) = s.set_text(&text) {
                notes.push(format!("scan throughput: wasm buffer: {e}"));
                continue;
            }
            for i in 0..s.names.len() {
                let name = s.names[i].clone();
                let wasm = match s.time(i, window) {
                    Ok(t) => t,
                    Err(e) => {
                        notes.push(format!("scan throughput: {name} in wasm: {e}"));
                        continue;
                    }
                };
                let native = native_figures.get(&name);
                let native_mb_s = native.and_then(|v| v.get("mb_s")).and_then(Value::as_f64);
                let native_findings = native
                    .and_then(|v| v.get("findings"))
                    .and_then(Value::as_u64);
                let wasm_mb_s = wasm.mb_s(text.len());
                if native_findings.is_some_and(|n| n != wasm.findings as u64) {
                    notes.push(format!(
                        "scan throughput: {name} on {text_name}: {} findings in wasm, {native_findings:?} native",
                        wasm.findings
                    ));
                }
                rows.push(json!({
                    "text": text_name,
                    "detector": name,
                    "wasm_mb_s": (wasm_mb_s * 10.0).round() / 10.0,
                    "native_mb_s": native_mb_s,
                    "wasm_over_native": native_mb_s
                        .filter(|n| *n > 0.0)
                        .map(|n| ((wasm_mb_s / n) * 1000.0).round() / 1000.0),
                    "findings": wasm.findings,
                }));
            }
        }
    }
    json!({
        "runtime": "wasm: wasmtime (Cranelift, no fuel metering) in the harness; native: tools/scan-bench release build, same machine, same clock",
        "text_bytes": size,
        "window_ms": window.as_millis() as u64,
        "rows": rows,
    })
}
