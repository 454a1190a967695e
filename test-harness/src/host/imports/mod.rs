//! The imports a plugin is linked against: proxy-wasm ABI 0.2.1 (`proxy`, `http`), WASI
//! preview1 (`wasi`), and a stub for every other import the module declares, so any plugin
//! instantiates. A stub records its name when called and returns an error status
//! (Unimplemented for `env`, ENOSYS for WASI); a stub without results does nothing.

mod http;
mod proxy;
mod wasi;

use wasmtime::{Extern, ExternType, FuncType, Linker, Module, Store, Val, ValType};

use super::abi::{errno, status};
use super::state::HostState;

/// Builds the linker for `module`; returns the names (`module::name`) of the stubbed imports.
pub(crate) fn linker(
    store: &mut Store<HostState>,
    module: &Module,
) -> wasmtime::Result<(Linker<HostState>, Vec<String>)> {
    let mut l = Linker::new(module.engine());
    proxy::link(&mut l)?;
    http::link(&mut l)?;
    wasi::link(&mut l)?;
    l.allow_shadowing(true);
    let mut stubbed = Vec::new();
    for import in module.imports() {
        let ExternType::Func(want) = import.ty() else {
            continue;
        };
        let (m, name) = (import.module(), import.name());
        let fits = match l.get(&mut *store, m, name) {
            Ok(Extern::Func(f)) => FuncType::eq(&f.ty(&*store), &want),
            _ => false,
        };
        if !fits {
            let full = format!("{m}::{name}");
            stub(&mut l, m, name, want, full.clone())?;
            stubbed.push(full);
        }
    }
    Ok((l, stubbed))
}

fn stub(
    l: &mut Linker<HostState>,
    module: &str,
    name: &str,
    ty: FuncType,
    full: String,
) -> wasmtime::Result<()> {
    let code = if module == "wasi_snapshot_preview1" {
        errno::NOSYS
    } else {
        status::UNIMPLEMENTED as i32
    };
    let result_types: Vec<ValType> = ty.results().collect();
    l.func_new(module, name, ty, move |mut caller, _params, results| {
        let calls = &mut caller.data_mut().stub_calls;
        if !calls.contains(&full) {
            calls.push(full.clone());
        }
        for (i, (r, t)) in results.iter_mut().zip(&result_types).enumerate() {
            let first = i == 0;
            *r = match t {
                ValType::I32 => Val::I32(if first { code } else { 0 }),
                ValType::I64 => Val::I64(if first { code.into() } else { 0 }),
                ValType::F32 => Val::F32(0),
                ValType::F64 => Val::F64(0),
                other => Val::default_for_ty(other).unwrap_or(Val::I32(0)),
            };
        }
        Ok(())
    })?;
    Ok(())
}
