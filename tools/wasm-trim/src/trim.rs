//! trim: the proxy-wasm callbacks a plugin does not declare in its `guardrail.callbacks`
//! custom section (written by `guardrail_sdk::callbacks!`) answer at once with the SDK's
//! default (Continue, or `true` for `proxy_on_done`) instead of entering the dispatcher, and
//! every function nothing can reach any more becomes a stub.
//!
//! The proxy-wasm Rust crate's dispatcher exports every `proxy_on_*` callback and a host
//! enters the VM for each one it finds. The exports stay: Kong's ngx_wasm_module calls the
//! HTTP callbacks it resolved without checking that they exist (measured with nginx 1.27.4 and
//! ngx_wasm_module 3bed278: a module without `proxy_on_response_headers` crashed the worker,
//! SIGSEGV in `ngx_wavm_instance_call_funcref` with a NULL funcref). What goes is the code
//! behind them: the dispatcher, the SDK's default methods and whatever only they reach.
//!
//! Reachability follows `call`, `return_call` and `ref.func` from the roots: kept function
//! exports, the start function, element segments (what `call_indirect` can reach) and global
//! initialisers. An unreachable function's body becomes `unreachable` (3 bytes: no locals,
//! `unreachable`, `end`, valid for any signature), so function indices stay and nothing is
//! relinked. The result is validated before it is returned.

use wasm_encoder::{CodeSection, Function, Instruction, RawSection};
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

/// What an undeclared callback answers: the proxy-wasm SDK's default for it (`true` for
/// `proxy_on_done`, Continue = 0 for every other callback with a result).
fn default_answer(name: &str) -> i32 {
    i32::from(name == "proxy_on_done")
}

/// The body of an undeclared callback with `results` (none, or one i32): no locals, the
/// default answer, `end`.
fn answer_body(name: &str, results: &[wasmparser::ValType]) -> Result<Function, String> {
    let mut f = Function::new([]);
    match results {
        [] => {}
        [wasmparser::ValType::I32] => {
            f.instruction(&Instruction::I32Const(default_answer(name)));
        }
        other => {
            return Err(format!(
                "{name} returns {other:?}, not a proxy-wasm callback"
            ))
        }
    }
    f.instruction(&Instruction::End);
    Ok(f)
}

/// A trimmed module and what changed.
#[derive(Debug)]
pub struct Trimmed {
    pub bytes: Vec<u8>,
    /// The callbacks the module declares (its custom section).
    pub declared: Vec<String>,
    /// The undeclared `proxy_on_*` exports, now answering with the default.
    pub answered: Vec<String>,
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
    /// Results of each type of the type section (non-function types: empty).
    type_results: Vec<Vec<wasmparser::ValType>>,
    /// Type index of each defined function.
    function_types: Vec<u32>,
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
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    p.type_results
                        .push(ty.map_err(parse_error)?.results().to_vec());
                }
            }
            Payload::FunctionSection(r) => {
                for ty in r {
                    p.function_types.push(ty.map_err(parse_error)?);
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

/// Makes each `proxy_on_*` export that is neither lifecycle nor declared answer with the
/// default, and stubs every function the other exports, start, elements and globals no longer
/// reach. Every export and every other section stays as it was. Running it on a trimmed
/// module changes nothing.
pub fn trim(bytes: &[u8]) -> Result<Trimmed, String> {
    let declared = declared(bytes)?;
    let answers = |name: &str| match name.strip_prefix("proxy_on_") {
        Some(cb) => !LIFECYCLE.contains(&name) && !declared.iter().any(|d| d == cb),
        None => false,
    };
    for cb in &declared {
        let name = format!("proxy_on_{cb}");
        if !read(bytes)?.exports.contains(&name) {
            return Err(format!("declares `{cb}` but does not export {name}"));
        }
    }
    let parsed = parse(bytes)?;
    let mut roots = parsed.roots.clone();
    // Defined function -> the callback name whose default answer becomes its body.
    let mut answer_of = std::collections::BTreeMap::new();
    let mut answered = Vec::new();
    for e in parsed
        .exports
        .iter()
        .filter(|e| e.kind == ExternalKind::Func)
    {
        if answers(e.name) {
            let defined = e
                .index
                .checked_sub(parsed.imported_functions)
                .ok_or_else(|| {
                    format!(
                        "{} re-exports an import; it cannot answer by itself",
                        e.name
                    )
                })?;
            answer_of.insert(defined as usize, e.name);
            answered.push(e.name.to_string());
        } else {
            roots.push(e.index);
        }
    }
    let live = live_functions(&parsed, roots)?;
    let mut code = CodeSection::new();
    let mut stubbed_bytes = 0;
    for (i, (body, live)) in parsed.bodies.iter().zip(live).enumerate() {
        let raw = bytes.get(body.range()).unwrap_or_default();
        match answer_of.get(&i) {
            // A callback something live also calls keeps its code.
            Some(name) if !live => {
                let results = parsed
                    .function_types
                    .get(i)
                    .and_then(|t| parsed.type_results.get(*t as usize))
                    .ok_or_else(|| format!("{name}: function without a type"))?;
                let f = answer_body(name, results)?;
                stubbed_bytes += raw.len().saturating_sub(f.byte_len());
                code.function(&f);
            }
            _ if live || raw == STUB_BODY => {
                code.raw(raw);
            }
            _ => {
                let mut stub = Function::new([]);
                stub.instruction(&Instruction::Unreachable);
                stub.instruction(&Instruction::End);
                code.function(&stub);
                stubbed_bytes += raw.len().saturating_sub(STUB_BODY.len());
            }
        }
    }
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(parse_error)?;
        match &payload {
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
        answered,
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
    use wasm_encoder::{
        CustomSection, ExportKind, ExportSection, FunctionSection, Module, TypeSection,
    };

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
    fn undeclared_callbacks_answer_by_default_and_keep_their_exports() {
        let input = module(Some("request_headers request_body "));
        let t = trim(&input).unwrap();
        // Every export stays: ngx_wasm_module calls the HTTP callbacks without checking.
        assert_eq!(
            read(&t.bytes).unwrap().exports,
            read(&input).unwrap().exports
        );
        assert_eq!(
            t.answered,
            vec![
                "proxy_on_done",
                "proxy_on_log",
                "proxy_on_response_body",
                "proxy_on_tick"
            ]
        );
        assert_eq!(t.declared, vec!["request_headers", "request_body"]);
        // The helper only proxy_on_log called is a stub; the helper of the kept
        // proxy_on_request_body is not; the four answered callbacks are not stubs either.
        assert_eq!(stub_count(&t.bytes).unwrap(), 1);
        // A second pass changes nothing.
        let again = trim(&t.bytes).unwrap();
        assert_eq!(again.bytes, t.bytes);
        assert_eq!(again.stubbed_bytes, 0);
    }

    #[test]
    fn an_answered_callback_returns_the_sdk_default() {
        // proxy_on_done answers true (1), an HTTP callback Continue (0).
        let i32_result = [wasmparser::ValType::I32];
        let done = answer_body("proxy_on_done", &i32_result).unwrap();
        let body = answer_body("proxy_on_response_headers", &i32_result).unwrap();
        let log = answer_body("proxy_on_log", &[]).unwrap();
        let bytes = |f: &Function| {
            let mut v = Vec::new();
            wasm_encoder::Encode::encode(f, &mut v);
            v
        };
        // size, no locals, i32.const n, end
        assert_eq!(bytes(&done), vec![4, 0, 0x41, 1, 0x0b]);
        assert_eq!(bytes(&body), vec![4, 0, 0x41, 0, 0x0b]);
        assert_eq!(bytes(&log), vec![2, 0, 0x0b]);
        assert!(answer_body("proxy_on_x", &[wasmparser::ValType::I64]).is_err());
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
