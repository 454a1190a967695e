//! callbacks: `guardrail_sdk::callbacks!` declares which proxy-wasm callbacks a plugin
//! implements, as a custom section of its `.wasm` that `./build.sh` reads (`wasm-trim`) to drop
//! every other `proxy_on_*` export the proxy-wasm crate's dispatcher defines.
//!
//! Why: Envoy (proxy-wasm-cpp-host `src/context.cc`, `CHECK_FAIL`) and Kong
//! (ngx_wasm_module `ngx_proxy_wasm.c`, exports looked up by name) skip a callback the module
//! does not export without entering the VM, so each dropped export is one V8 entry less per
//! request (model-allowlist, four fewer per request: 123.3 against 127.2 µs of Envoy CPU per
//! request on a quiet machine, where one no-op filter costs 10.8; `bench/README.md`).

/// Name of the custom section that holds the declaration (space-separated callback names).
pub const SECTION: &str = "guardrail.callbacks";

/// Declares the callbacks this plugin implements, without the `proxy_on_` prefix, e.g.
/// `guardrail_sdk::callbacks!(request_headers, request_body, request_trailers);`. The lifecycle
/// exports (context create/delete, vm start, configure, memory allocation) are always kept;
/// `wasm-trim` refuses a name that is not a proxy-wasm 0.2.1 callback.
#[macro_export]
macro_rules! callbacks {
    ($($name:ident),+ $(,)?) => {
        const _: () = {
            const NAMES: &str = concat!($(stringify!($name), " "),+);
            const fn bytes() -> [u8; NAMES.len()] {
                let src = NAMES.as_bytes();
                let mut out = [0u8; NAMES.len()];
                let mut i = 0;
                while i < src.len() {
                    out[i] = src[i];
                    i += 1;
                }
                out
            }
            // A custom section: never read by the plugin's code, so `#[used]` keeps it from LTO.
            #[used]
            #[link_section = "guardrail.callbacks"]
            static CALLBACKS: [u8; NAMES.len()] = bytes();
        };
    };
}
