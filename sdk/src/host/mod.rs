//! host (feature `host`): the proxy-wasm glue every plugin shares, so each plugin's `lib.rs`
//! stays thin. The only SDK module that talks to the host; every host call's failure is
//! handled (logged or degraded), never a panic.

pub mod abi;
mod body;
mod call;
pub mod callbacks;
mod clock;
mod metrics;
mod random;
mod request;
mod respond;
pub mod skeleton;

pub use body::{
    holds_headers_for_body, on_request_body, on_request_trailers, on_response_body,
    on_response_trailers, read_request_body, read_response_body, replace_answer,
    replace_request_body, replace_response_body, send_replacement, want_bodies, BodyStep,
};
pub use call::{call_answer, post_json, resume_request, CallAnswer};
pub use clock::{now_unix, now_unix_nanos, Stopwatch};
pub use metrics::Metrics;
pub use random::random_16;
pub use request::{
    remove_request_header, remove_response_header, request_header, request_id, response_header,
    set_request_header, set_response_header, verified_identity, REQUEST_ID_HEADER,
};
pub use respond::{
    log, log_verdict, publish, send_body_error, send_error, send_error_body, Level, CODE_HEADER,
};
