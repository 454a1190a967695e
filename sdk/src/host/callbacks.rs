//! callbacks: `guardrail_sdk::callbacks!` declares which proxy-wasm callbacks a plugin
//! implements, as a custom section of its `.wasm` that `./build.sh` reads (`wasm-trim`): every
//! other `proxy_on_*` export the proxy-wasm crate's dispatcher defines then answers with the
//! SDK's default at once, and the dispatcher code only they reached is stubbed.
//!
//! The exports stay, because Kong's ngx_wasm_module calls the HTTP callbacks without checking
//! that the module exports them (a module without `proxy_on_response_headers` crashed its
//! worker; measured with nginx 1.27.4, `./build.sh hosts`). Envoy skips an absent export
//! without entering the VM (proxy-wasm-cpp-host `src/context.cc`), so there each answered
//! callback costs one short V8 entry per request that dropping it saved.

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
