//! Raw proxy-wasm ABI 0.2.1 calls that return the host's status code instead of panicking,
//! as plain status codes for the probes: thin adapters over the SDK's one raw-ABI module
//! (`guardrail_sdk::host::abi`), so this plugin has no `unsafe` of its own.
//!
//! proxy-wasm 0.2.5's wrappers panic (trap) on statuses they do not expect, e.g. a host without
//! a clock or one that refuses shared data. The test plugin wants to see and log those statuses.

use guardrail_sdk::host::abi;

/// ABI status `Ok`.
pub const OK: u32 = abi::OK;
/// ABI status `CasMismatch`.
pub const CAS_MISMATCH: u32 = abi::CAS_MISMATCH;

pub const BUFFER_REQUEST_BODY: u32 = abi::BUFFER_REQUEST_BODY;
pub const BUFFER_RESPONSE_BODY: u32 = abi::BUFFER_RESPONSE_BODY;

pub const METRIC_COUNTER: u32 = abi::METRIC_COUNTER;
pub const METRIC_GAUGE: u32 = 1;
pub const METRIC_HISTOGRAM: u32 = abi::METRIC_HISTOGRAM;

fn code(result: Result<(), u32>) -> u32 {
    result.err().unwrap_or(OK)
}

/// Nanoseconds since the Unix epoch, or the status the host refused with.
pub fn now_nanos() -> Result<u64, u32> {
    abi::current_time_nanos()
}

pub fn set_tick_period(ms: u32) -> u32 {
    code(abi::set_tick_period(ms))
}

/// Replaces `size` bytes from `start` of a body buffer.
pub fn set_buffer(buffer: u32, start: usize, size: usize, data: &[u8]) -> u32 {
    code(abi::set_buffer(buffer, start, size, data))
}

/// `(value, cas)` of a shared data key; a missing key is `Ok((empty, 0))`.
pub fn get_shared(key: &str) -> Result<(Vec<u8>, u32), u32> {
    abi::get_shared_data(key).map(Option::unwrap_or_default)
}

pub fn set_shared(key: &str, value: &[u8], cas: u32) -> u32 {
    code(abi::set_shared_data(key, value, cas))
}

/// A property by path segments, or the refusing status.
pub fn get_property(path: &[&str]) -> Result<Vec<u8>, u32> {
    abi::get_property(path)
}

pub fn define_metric(kind: u32, name: &str) -> Result<u32, u32> {
    abi::define_metric(kind, name)
}

pub fn increment_metric(id: u32, by: i64) -> u32 {
    code(abi::increment_metric(id, by))
}

pub fn record_metric(id: u32, value: u64) -> u32 {
    code(abi::record_metric(id, value))
}

/// `proxy_continue_stream(HttpResponse)`.
pub fn continue_response() -> u32 {
    code(abi::continue_stream(1))
}

/// Status and serialized size of `proxy_get_header_map_pairs(map)` (probes phase rules).
pub fn header_pairs_status(map: u32) -> (u32, usize) {
    match abi::get_header_pairs(map) {
        Ok(bytes) => (OK, bytes.len()),
        Err(status) => (status, 0),
    }
}

/// Status and value of `proxy_get_header_map_value(map, key)` (probes phase rules).
pub fn header_value_status(map: u32, key: &str) -> (u32, Vec<u8>) {
    abi::header_status(map, key)
}

/// Status and size of `proxy_get_buffer_bytes(buffer, 0, all)` (probes phase rules).
pub fn buffer_status(buffer: u32) -> (u32, usize) {
    let (status, bytes) = abi::buffer_status(buffer);
    (status, bytes.len())
}

/// Status of `proxy_add_header_map_value(map, key, value)` (probes phase rules).
pub fn add_header_status(map: u32, key: &str, value: &str) -> u32 {
    code(abi::add_header(map, key, value))
}
