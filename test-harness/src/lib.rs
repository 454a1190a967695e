//! guardrail-harness: a proxy-wasm host on wasmtime, an Envoy runner and a mock LLM upstream,
//! the library the plugins' own tests dev-depend on. The test API is described in
//! `docs/ARCHITECTURE.md`. The operator tools live in `cli/` (`guardrail`), the benchmark in
//! `bench/` (`guardrail-bench`).

pub mod envoy;
pub mod host;
pub mod hosts;
pub mod http_client;
pub mod mock_upstream;
pub mod services;
pub mod webdriver;
