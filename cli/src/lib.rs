//! guardrail-cli: the operator's tool, `guardrail <subcommand>`. One module per subcommand in
//! [`cmd`]; the libraries they drive: [`audit`] (proxy-wasm imports against each host),
//! [`eval`] (a plugin over a labelled data set in the wasmtime host), [`train`] (injection-guard's
//! n-gram weights). The review queue is the `guardrail-review` crate (review-queue/).

pub mod audit;
pub mod cmd;
pub mod eval;
pub mod train;
