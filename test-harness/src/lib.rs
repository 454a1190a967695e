//! guardrail-harness: a proxy-wasm host on wasmtime, an Envoy runner, a mock LLM upstream
//! and the eval/bench tools. The test API is described in `docs/ARCHITECTURE.md`.

pub mod audit;
pub mod bench;
pub mod cli;
pub mod envoy;
pub mod eval;
pub mod host;
pub mod hosts;
pub mod http_client;
pub mod mock_upstream;
pub mod review;
pub mod train;
