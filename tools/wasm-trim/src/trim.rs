//! trim: keeps only the proxy-wasm callback exports a plugin declares in its
//! `guardrail.callbacks` custom section (written by `guardrail_sdk::callbacks!`).
//!
//! The proxy-wasm Rust crate's dispatcher exports every `proxy_on_*` callback, and a host
//! enters the VM for each one it finds: Envoy's proxy-wasm-cpp-host (`src/context.cc`,
//! `CHECK_FAIL`) returns Continue without a VM call when the export is absent, and Kong's
//! ngx_wasm_module looks each one up by name and requires only `proxy_on_context_create`,
//! `proxy_on_vm_start` and `proxy_on_configure`. Dropping the exports a plugin never
//! implements saves those calls on every request. The dropped callbacks' bodies, which
//! nothing can call any more, then become 3-byte stubs (`stub`): indices stay, so the module
//! is not relinked.

use crate::module::{leb128, read, read_exports, sections, Reader, SECTION_EXPORT};

/// The custom section `guardrail_sdk::callbacks!` writes.
pub const SECTION: &str = "guardrail.callbacks";

/// Exports every plugin keeps: lifecycle and memory (Kong refuses a module without the first
/// three; `proxy_on_delete` frees the dispatcher's per-stream context).
pub const LIFECYCLE: &[&str] = &[
    "proxy_on_context_create",
    "proxy_on_vm_start",
    "proxy_on_configure",
    "proxy_on_memory_allocate",
    "proxy_on_delete",
];

/// The optional callbacks of proxy-wasm ABI 0.2.1 (without `proxy_on_`): what a plugin may
/// declare.
pub const CALLBACKS: &[&str] = &[
    "request_headers",
    "request_body",
    "request_trailers",
    "response_headers",
    "response_body",
    "response_trailers",
    "log",
    "done",
    "tick",
    "queue_ready",
    "http_call_response",
    "grpc_receive_initial_metadata",
    "grpc_receive",
    "grpc_receive_trailing_metadata",
    "grpc_close",
    "foreign_function",
    "new_connection",
    "downstream_data",
    "upstream_data",
    "downstream_connection_close",
    "upstream_connection_close",
];

/// A trimmed module and what changed.
#[derive(Debug)]
pub struct Trimmed {
    pub bytes: Vec<u8>,
    /// The callbacks the module declares (its custom section).
    pub declared: Vec<String>,
    /// The `proxy_on_*` exports removed.
    pub dropped: Vec<String>,
    /// Code bytes saved by stubbing the removed callbacks' bodies.
    pub stubbed_bytes: usize,
}

/// The declared callbacks of a module, checked against [`CALLBACKS`].
pub fn declared(bytes: &[u8]) -> Result<Vec<String>, String> {
    let facts = read(bytes)?;
    let raw = facts.custom_section(SECTION).ok_or_else(|| {
        format!("no `{SECTION}` section: declare the callbacks with guardrail_sdk::callbacks!")
    })?;
    let text = String::from_utf8(raw).map_err(|_| format!("`{SECTION}` is not UTF-8"))?;
    let mut out: Vec<String> = Vec::new();
    for name in text.split_ascii_whitespace() {
        if !CALLBACKS.contains(&name) {
            return Err(format!(
                "`{name}` is not a proxy-wasm 0.2.1 callback (one of: {})",
                CALLBACKS.join(", ")
            ));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// Drops each `proxy_on_*` export that is neither lifecycle nor declared. Every other export
/// (memory, `_initialize`, the ABI version marker) and every other section stays byte for
/// byte. Running it on a trimmed module changes nothing.
pub fn trim(bytes: &[u8]) -> Result<Trimmed, String> {
    let declared = declared(bytes)?;
    let keep = |name: &str| match name.strip_prefix("proxy_on_") {
        Some(cb) => LIFECYCLE.contains(&name) || declared.iter().any(|d| d == cb),
        None => true,
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut dropped = Vec::new();
    let mut dropped_functions = Vec::new();
    let mut last = 0;
    for s in sections(bytes)? {
        if s.id != SECTION_EXPORT {
            continue;
        }
        let body = bytes.get(s.start..s.end).unwrap_or_default();
        let exports = read_exports(&mut Reader::new(body))?;
        let mut new_body = Vec::with_capacity(body.len());
        let kept: Vec<_> = exports.iter().filter(|e| keep(&e.name)).collect();
        new_body.extend(leb128(kept.len() as u32));
        for e in &kept {
            new_body.extend(leb128(e.name.len() as u32));
            new_body.extend_from_slice(e.name.as_bytes());
            new_body.push(e.kind);
            new_body.extend(leb128(e.index));
        }
        for e in exports.iter().filter(|e| !keep(&e.name)) {
            dropped.push(e.name.clone());
            if e.kind == 0 {
                dropped_functions.push(e.index);
            }
        }
        out.extend_from_slice(bytes.get(last..s.header).unwrap_or_default());
        out.push(SECTION_EXPORT);
        out.extend(leb128(new_body.len() as u32));
        out.extend(new_body);
        last = s.end;
    }
    out.extend_from_slice(bytes.get(last..).unwrap_or_default());
    let exported = read(&out)?.exports;
    for cb in &declared {
        if !exported.iter().any(|e| *e == format!("proxy_on_{cb}")) {
            return Err(format!("declares `{cb}` but does not export proxy_on_{cb}"));
        }
    }
    let stubbed = crate::stub::stub_unreferenced(&out, &dropped_functions)?;
    Ok(Trimmed {
        bytes: stubbed.bytes,
        declared,
        dropped,
        stubbed_bytes: stubbed.saved_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::test_module;

    fn exports(names: &[&str]) -> Vec<u8> {
        let mut body = leb128(names.len() as u32);
        for (i, n) in names.iter().enumerate() {
            body.extend(leb128(n.len() as u32));
            body.extend_from_slice(n.as_bytes());
            body.push(if *n == "memory" { 2 } else { 0 });
            body.extend(leb128(i as u32 + 200));
        }
        body
    }

    fn custom(name: &str, payload: &str) -> Vec<u8> {
        let mut body = leb128(name.len() as u32);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload.as_bytes());
        body
    }

    const ALL: &[&str] = &[
        "memory",
        "_initialize",
        "proxy_abi_version_0_2_1",
        "proxy_on_configure",
        "proxy_on_context_create",
        "proxy_on_delete",
        "proxy_on_done",
        "proxy_on_log",
        "proxy_on_memory_allocate",
        "proxy_on_request_body",
        "proxy_on_request_headers",
        "proxy_on_response_body",
        "proxy_on_tick",
        "proxy_on_vm_start",
    ];

    fn module(decl: Option<&str>) -> Vec<u8> {
        let mut s = vec![(1, vec![0]), (7, exports(ALL)), (10, vec![0, 1, 2])];
        if let Some(d) = decl {
            s.push((0, custom(SECTION, d)));
        }
        test_module(&s)
    }

    #[test]
    fn keeps_lifecycle_declared_and_non_callback_exports() {
        let t = trim(&module(Some("request_headers request_body "))).unwrap();
        let facts = read(&t.bytes).unwrap();
        assert_eq!(
            facts.exports,
            vec![
                "memory",
                "_initialize",
                "proxy_abi_version_0_2_1",
                "proxy_on_configure",
                "proxy_on_context_create",
                "proxy_on_delete",
                "proxy_on_memory_allocate",
                "proxy_on_request_body",
                "proxy_on_request_headers",
                "proxy_on_vm_start",
            ]
        );
        assert_eq!(
            t.dropped,
            vec![
                "proxy_on_done",
                "proxy_on_log",
                "proxy_on_response_body",
                "proxy_on_tick"
            ]
        );
        assert_eq!(t.declared, vec!["request_headers", "request_body"]);
        // Other sections are untouched, and a second pass changes nothing.
        let code = |b: &[u8]| {
            let s = sections(b).unwrap();
            let c = s.iter().find(|s| s.id == 10).copied().unwrap();
            b[c.start..c.end].to_vec()
        };
        assert_eq!(code(&t.bytes), vec![0, 1, 2]);
        let again = trim(&t.bytes).unwrap();
        assert_eq!(again.bytes, t.bytes);
        assert!(again.dropped.is_empty());
    }

    #[test]
    fn refuses_a_module_without_declaration_or_with_an_unknown_name() {
        let err = trim(&module(None)).unwrap_err();
        assert!(err.contains("guardrail_sdk::callbacks!"), "{err}");
        let err = trim(&module(Some("request_header"))).unwrap_err();
        assert!(err.contains("`request_header` is not"), "{err}");
        let err = trim(&module(Some("grpc_close"))).unwrap_err();
        assert!(err.contains("does not export proxy_on_grpc_close"), "{err}");
        assert!(trim(b"\0asm\x01\0\0\0\x07\x05\x01").is_err());
    }
}
