//! trim: keeps only the proxy-wasm callback exports a plugin declares in its
//! `guardrail.callbacks` custom section (written by `guardrail_sdk::callbacks!`), and turns
//! every function nothing kept can reach any more into a stub.
//!
//! The proxy-wasm Rust crate's dispatcher exports every `proxy_on_*` callback, and a host
//! enters the VM for each one it finds: Envoy's proxy-wasm-cpp-host (`src/context.cc`,
//! `CHECK_FAIL`) returns Continue without a VM call when the export is absent, and Kong's
//! ngx_wasm_module looks each one up by name and requires only `proxy_on_context_create`,
//! `proxy_on_vm_start` and `proxy_on_configure`. Dropping the exports a plugin never
//! implements saves those calls on every request.
//!
//! Reachability follows `call`, `return_call` and `ref.func` from the roots: kept function
//! exports, the start function, element segments (what `call_indirect` can reach) and global
//! initialisers. An unreachable function's body becomes `unreachable` (3 bytes: no locals,
//! `unreachable`, `end`, valid for any signature), so function indices stay and nothing is
//! relinked. The result is validated before it is returned.

use wasm_encoder::{CodeSection, ExportKind, ExportSection, Function, Instruction, RawSection};
use wasmparser::{
    ElementItems, ExternalKind, FunctionBody, Operator, OperatorsReader, Parser, Payload, TypeRef,
};

use crate::module::{parse_error, read};

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

/// The body every stubbed function gets: no locals, `unreachable`, `end`.
pub const STUB_BODY: [u8; 3] = [0x00, 0x00, 0x0b];

/// A trimmed module and what changed.
#[derive(Debug)]
pub struct Trimmed {
    pub bytes: Vec<u8>,
    /// The callbacks the module declares (its custom section).
    pub declared: Vec<String>,
    /// The `proxy_on_*` exports removed.
    pub dropped: Vec<String>,
    /// Code bytes saved by stubbing the functions nothing kept reaches.
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

/// Function indices a piece of code refers to (`call`, `return_call`, `ref.func`).
fn referenced(ops: OperatorsReader<'_>, out: &mut Vec<u32>) -> Result<(), String> {
    for op in ops {
        match op.map_err(parse_error)? {
            Operator::Call { function_index }
            | Operator::ReturnCall { function_index }
            | Operator::RefFunc { function_index } => out.push(function_index),
            _ => {}
        }
    }
    Ok(())
}

/// What the trim reads from a module.
#[derive(Default)]
struct Parsed<'a> {
    imported_functions: u32,
    /// Function indices reachable without any export: start, elements, global initialisers.
    roots: Vec<u32>,
    exports: Vec<wasmparser::Export<'a>>,
    bodies: Vec<FunctionBody<'a>>,
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, String> {
    let mut p = Parsed::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(parse_error)? {
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import.map_err(parse_error)?;
                    if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        p.imported_functions += 1;
                    }
                }
            }
            Payload::ExportSection(r) => {
                for export in r {
                    p.exports.push(export.map_err(parse_error)?);
                }
            }
            Payload::StartSection { func, .. } => p.roots.push(func),
            Payload::ElementSection(r) => {
                for element in r {
                    match element.map_err(parse_error)?.items {
                        ElementItems::Functions(funcs) => {
                            for f in funcs {
                                p.roots.push(f.map_err(parse_error)?);
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for e in exprs {
                                let e = e.map_err(parse_error)?;
                                referenced(e.get_operators_reader(), &mut p.roots)?;
                            }
                        }
                    }
                }
            }
            Payload::GlobalSection(r) => {
                for global in r {
                    let g = global.map_err(parse_error)?;
                    referenced(g.init_expr.get_operators_reader(), &mut p.roots)?;
                }
            }
            Payload::CodeSectionEntry(body) => p.bodies.push(body),
            _ => {}
        }
    }
    Ok(p)
}

/// Which defined functions (by position in the code section) `roots` reach.
fn live_functions(p: &Parsed<'_>, roots: Vec<u32>) -> Result<Vec<bool>, String> {
    let mut callees = Vec::with_capacity(p.bodies.len());
    for body in &p.bodies {
        let mut refs = Vec::new();
        referenced(body.get_operators_reader().map_err(parse_error)?, &mut refs)?;
        callees.push(refs);
    }
    let mut live = vec![false; p.bodies.len()];
    let mut stack = roots;
    while let Some(index) = stack.pop() {
        let Some(defined) = index.checked_sub(p.imported_functions) else {
            continue; // an import
        };
        match live.get_mut(defined as usize) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        if let Some(refs) = callees.get(defined as usize) {
            stack.extend(refs);
        }
    }
    Ok(live)
}

fn export_kind(kind: ExternalKind) -> Result<ExportKind, String> {
    match kind {
        ExternalKind::Func => Ok(ExportKind::Func),
        ExternalKind::Table => Ok(ExportKind::Table),
        ExternalKind::Memory => Ok(ExportKind::Memory),
        ExternalKind::Global => Ok(ExportKind::Global),
        ExternalKind::Tag => Ok(ExportKind::Tag),
        ExternalKind::FuncExact => Err("exact-type function exports are not supported".into()),
    }
}

/// Drops each `proxy_on_*` export that is neither lifecycle nor declared and stubs every
/// function the kept exports, start, elements and globals no longer reach. Every other export
/// and section stays as it was. Running it on a trimmed module changes nothing.
pub fn trim(bytes: &[u8]) -> Result<Trimmed, String> {
    let declared = declared(bytes)?;
    let keep = |name: &str| match name.strip_prefix("proxy_on_") {
        Some(cb) => LIFECYCLE.contains(&name) || declared.iter().any(|d| d == cb),
        None => true,
    };
    for cb in &declared {
        let name = format!("proxy_on_{cb}");
        if !read(bytes)?.exports.contains(&name) {
            return Err(format!("declares `{cb}` but does not export {name}"));
        }
    }
    let parsed = parse(bytes)?;
    let mut roots = parsed.roots.clone();
    let mut exports = ExportSection::new();
    let mut dropped = Vec::new();
    for e in &parsed.exports {
        if keep(e.name) {
            exports.export(e.name, export_kind(e.kind)?, e.index);
            if e.kind == ExternalKind::Func {
                roots.push(e.index);
            }
        } else {
            dropped.push(e.name.to_string());
        }
    }
    let live = live_functions(&parsed, roots)?;
    let mut code = CodeSection::new();
    let mut stubbed_bytes = 0;
    for (body, live) in parsed.bodies.iter().zip(live) {
        let raw = bytes.get(body.range()).unwrap_or_default();
        if live || raw == STUB_BODY {
            code.raw(raw);
        } else {
            let mut stub = Function::new([]);
            stub.instruction(&Instruction::Unreachable);
            stub.instruction(&Instruction::End);
            code.function(&stub);
            stubbed_bytes += raw.len().saturating_sub(STUB_BODY.len());
        }
    }
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(parse_error)?;
        match &payload {
            Payload::ExportSection(_) => {
                out.section(&exports);
            }
            Payload::CodeSectionStart { .. } => {
                out.section(&code);
            }
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    let data = bytes.get(range).unwrap_or_default();
                    out.section(&RawSection { id, data });
                }
            }
        }
    }
    let out = out.finish();
    wasmparser::Validator::new()
        .validate_all(&out)
        .map_err(|e| format!("the trimmed module does not validate: {e}"))?;
    Ok(Trimmed {
        bytes: out,
        declared,
        dropped,
        stubbed_bytes,
    })
}

/// How many function bodies are stubs.
pub fn stub_count(bytes: &[u8]) -> Result<usize, String> {
    Ok(parse(bytes)?
        .bodies
        .iter()
        .filter(|b| bytes.get(b.range()) == Some(&STUB_BODY[..]))
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{CustomSection, FunctionSection, Module, TypeSection};

    const ALL: &[&str] = &[
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

    /// A module whose function i is exported as `ALL[i]`; function `ALL.len()` is a helper
    /// called by `proxy_on_log` only, the next one by `proxy_on_request_body` only.
    fn module(decl: Option<&str>) -> Vec<u8> {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let n = ALL.len() as u32 + 2;
        let mut funcs = FunctionSection::new();
        for _ in 0..n {
            funcs.function(0);
        }
        m.section(&funcs);
        let mut exports = ExportSection::new();
        for (i, name) in ALL.iter().enumerate() {
            exports.export(name, ExportKind::Func, i as u32);
        }
        m.section(&exports);
        let mut code = CodeSection::new();
        for i in 0..n {
            let mut f = Function::new([]);
            let name = ALL.get(i as usize).copied().unwrap_or("");
            if name == "proxy_on_log" {
                f.instruction(&Instruction::Call(ALL.len() as u32));
            } else if name == "proxy_on_request_body" {
                f.instruction(&Instruction::Call(ALL.len() as u32 + 1));
            }
            f.instruction(&Instruction::Nop);
            f.instruction(&Instruction::End);
            code.function(&f);
        }
        m.section(&code);
        if let Some(d) = decl {
            m.section(&CustomSection {
                name: SECTION.into(),
                data: d.as_bytes().into(),
            });
        }
        m.finish()
    }

    #[test]
    fn keeps_lifecycle_declared_and_non_callback_exports() {
        let t = trim(&module(Some("request_headers request_body "))).unwrap();
        let facts = read(&t.bytes).unwrap();
        assert_eq!(
            facts.exports,
            vec![
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
        // The four dropped callbacks and the helper only proxy_on_log called are stubs; the
        // helper of the kept proxy_on_request_body is not.
        assert_eq!(stub_count(&t.bytes).unwrap(), 5);
        // A second pass changes nothing.
        let again = trim(&t.bytes).unwrap();
        assert_eq!(again.bytes, t.bytes);
        assert!(again.dropped.is_empty());
        assert_eq!(again.stubbed_bytes, 0);
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
