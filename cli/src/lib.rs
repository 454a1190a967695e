//! guardrail-cli: the operator's tool, `guardrail <subcommand>`. One module per subcommand in
//! [`cmd`]; the libraries they drive: [`audit`] (proxy-wasm imports against each host),
//! [`eval`] (a plugin over a labelled data set in the wasmtime host), [`train`] (injection-guard's
//! n-gram weights). The review queue is the `guardrail-review` crate (review-queue/).

// The workspace lints hold here (no unsafe, unwrap, expect or panic). Indexing is allowed: an
// offline tool indexes its own arrays (training math, statistics), never request data.
#![allow(clippy::indexing_slicing)]

pub mod audit;
pub mod cmd;
pub mod eval;
pub mod train;
