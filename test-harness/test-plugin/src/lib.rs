//! hostcalls-test-plugin: a small proxy-wasm plugin that exercises the host calls the Rust SDK
//! makes, selected by the `mode` of its JSON configuration (see `config`). It is what the
//! wasmtime test host (`guardrail_harness::host`) and the Envoy e2e tests load as
//! `dist/hostcalls-test.wasm`. An unknown configuration field is logged at Critical, naming the
//! field, and `on_configure` returns false so the host refuses the plugin.

pub mod config;

#[cfg(target_arch = "wasm32")]
mod glue;
#[cfg(target_arch = "wasm32")]
mod price;
#[cfg(target_arch = "wasm32")]
mod raw;
