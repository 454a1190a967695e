//! guardrail-sdk: what every guardrail plugin shares (verdicts, verdict log, provider errors,
//! config parsing, provider body models, SSE, body buffering). Pure modules never import
//! `proxy_wasm`; the glue lives in `host` behind the `host` feature.
//!
//! The module contract is in `docs/ARCHITECTURE.md`.
#![deny(missing_docs)]

pub mod body;
pub mod body_error;
pub mod buffer;
pub mod config;
pub mod format;
pub mod fuzz;
pub mod glob;
pub mod hash;
pub mod identity;
pub mod json;
pub mod metrics;
pub mod model_name;
pub mod path;
pub mod plugin;
pub mod provider_error;
pub mod response_plan;
pub mod review;
pub mod segment_cache;
pub mod sse;
pub mod stream;
pub mod swar;
pub mod verdict;
pub mod verdict_log;
pub mod webhook;
pub mod write;

#[cfg(feature = "host")]
pub mod host;

pub use body_error::BodyError;
pub use format::ApiFormat;
