//! guardrail-cli: the operator's tool, `guardrail <subcommand>`. One module per subcommand in
//! [`cmd`]; the libraries they drive: [`audit`] (proxy-wasm imports against each host),
//! [`eval`] (a plugin over a labelled data set in the wasmtime host), [`review`] (the review
//! queue's receiver and store), [`train`] (injection-guard's n-gram weights).

pub mod audit;
pub mod cmd;
pub mod eval;
pub mod review;
pub mod train;
