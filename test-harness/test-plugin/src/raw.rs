//! Raw proxy-wasm ABI 0.2.1 calls that return the host's status code instead of panicking.
//!
//! proxy-wasm 0.2.5's wrappers panic (trap) on statuses they do not expect, e.g. a host without
//! a clock or one that refuses shared data. The test plugin wants to see and log those statuses.

use std::ptr::null_mut;

/// ABI status `Ok`.
pub const OK: u32 = 0;
/// ABI status `CasMismatch`.
pub const CAS_MISMATCH: u32 = 8;

pub const BUFFER_REQUEST_BODY: u32 = 0;
pub const BUFFER_RESPONSE_BODY: u32 = 1;

pub const METRIC_COUNTER: u32 = 0;
pub const METRIC_GAUGE: u32 = 1;
pub const METRIC_HISTOGRAM: u32 = 2;

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_get_current_time_nanoseconds(ret: *mut u64) -> u32;
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
    fn proxy_get_buffer_bytes(
        buffer: u32,
        start: usize,
        max_size: usize,
        ret_data: *mut *mut u8,
        ret_size: *mut usize,
    ) -> u32;
    fn proxy_set_buffer_bytes(
        buffer: u32,
        start: usize,
        size: usize,
        data: *const u8,
        data_size: usize,
    ) -> u32;
    fn proxy_get_shared_data(
        key: *const u8,
        key_size: usize,
        ret_data: *mut *mut u8,
        ret_size: *mut usize,
        ret_cas: *mut u32,
    ) -> u32;
    fn proxy_set_shared_data(
        key: *const u8,
        key_size: usize,
        data: *const u8,
        data_size: usize,
        cas: u32,
    ) -> u32;
    fn proxy_get_property(
        path: *const u8,
        path_size: usize,
        ret_data: *mut *mut u8,
        ret_size: *mut usize,
    ) -> u32;
    fn proxy_define_metric(kind: u32, name: *const u8, name_size: usize, ret_id: *mut u32) -> u32;
    fn proxy_increment_metric(id: u32, offset: i64) -> u32;
    fn proxy_continue_stream(stream: u32) -> u32;
    fn proxy_add_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        value: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_get_header_map_pairs(map: u32, ret_data: *mut *mut u8, ret_size: *mut usize) -> u32;
    fn proxy_get_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        ret_data: *mut *mut u8,
        ret_size: *mut usize,
    ) -> u32;
    fn proxy_record_metric(id: u32, value: u64) -> u32;
}

/// Takes ownership of a buffer the host allocated through `proxy_on_memory_allocate`.
fn owned(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() || size == 0 {
        return Vec::new();
    }
    // SAFETY: the host allocated `size` bytes at `data` with this module's allocator.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

/// Nanoseconds since the Unix epoch, or the status the host refused with.
pub fn now_nanos() -> Result<u64, u32> {
    let mut t = 0u64;
    // SAFETY: `t` outlives the call.
    match unsafe { proxy_get_current_time_nanoseconds(&mut t) } {
        OK => Ok(t),
        s => Err(s),
    }
}

pub fn set_tick_period(ms: u32) -> u32 {
    // SAFETY: no pointers.
    unsafe { proxy_set_tick_period_milliseconds(ms) }
}

/// Replaces `size` bytes from `start` of a body buffer.
pub fn set_buffer(buffer: u32, start: usize, size: usize, data: &[u8]) -> u32 {
    // SAFETY: `data` is valid for the call.
    unsafe { proxy_set_buffer_bytes(buffer, start, size, data.as_ptr(), data.len()) }
}

/// `(value, cas)` of a shared data key; a missing key is `Ok((empty, 0))`.
pub fn get_shared(key: &str) -> Result<(Vec<u8>, u32), u32> {
    let (mut data, mut size, mut cas) = (null_mut(), 0usize, 0u32);
    // SAFETY: out-pointers outlive the call.
    let s =
        unsafe { proxy_get_shared_data(key.as_ptr(), key.len(), &mut data, &mut size, &mut cas) };
    match s {
        OK => Ok((owned(data, size), cas)),
        1 => Ok((Vec::new(), 0)),
        s => Err(s),
    }
}

pub fn set_shared(key: &str, value: &[u8], cas: u32) -> u32 {
    // SAFETY: slices are valid for the call.
    unsafe { proxy_set_shared_data(key.as_ptr(), key.len(), value.as_ptr(), value.len(), cas) }
}

/// A property by path segments (serialised NUL-separated), or the refusing status.
pub fn get_property(path: &[&str]) -> Result<Vec<u8>, u32> {
    let mut p = Vec::new();
    for seg in path {
        p.extend_from_slice(seg.as_bytes());
        p.push(0);
    }
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: out-pointers outlive the call.
    match unsafe { proxy_get_property(p.as_ptr(), p.len(), &mut data, &mut size) } {
        OK => Ok(owned(data, size)),
        s => Err(s),
    }
}

pub fn define_metric(kind: u32, name: &str) -> Result<u32, u32> {
    let mut id = 0u32;
    // SAFETY: `id` outlives the call.
    match unsafe { proxy_define_metric(kind, name.as_ptr(), name.len(), &mut id) } {
        OK => Ok(id),
        s => Err(s),
    }
}

pub fn increment_metric(id: u32, by: i64) -> u32 {
    // SAFETY: no pointers.
    unsafe { proxy_increment_metric(id, by) }
}

pub fn record_metric(id: u32, value: u64) -> u32 {
    // SAFETY: no pointers.
    unsafe { proxy_record_metric(id, value) }
}

/// `proxy_continue_stream(HttpResponse)`.
pub fn continue_response() -> u32 {
    // SAFETY: no pointers.
    unsafe { proxy_continue_stream(1) }
}

/// Status and serialized size of `proxy_get_header_map_pairs(map)` (probes phase rules).
pub fn header_pairs_status(map: u32) -> (u32, usize) {
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: out-pointers outlive the call.
    let s = unsafe { proxy_get_header_map_pairs(map, &mut data, &mut size) };
    let bytes = if s == OK {
        owned(data, size)
    } else {
        Vec::new()
    };
    (s, bytes.len())
}

/// Status and value of `proxy_get_header_map_value(map, key)` (probes phase rules).
pub fn header_value_status(map: u32, key: &str) -> (u32, Vec<u8>) {
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: out-pointers outlive the call.
    let s =
        unsafe { proxy_get_header_map_value(map, key.as_ptr(), key.len(), &mut data, &mut size) };
    let bytes = if s == OK {
        owned(data, size)
    } else {
        Vec::new()
    };
    (s, bytes)
}

/// Status and size of `proxy_get_buffer_bytes(buffer, 0, all)` (probes phase rules).
pub fn buffer_status(buffer: u32) -> (u32, usize) {
    let (mut data, mut size) = (null_mut(), 0usize);
    // SAFETY: out-pointers outlive the call.
    let s = unsafe { proxy_get_buffer_bytes(buffer, 0, u32::MAX as usize, &mut data, &mut size) };
    let bytes = if s == OK {
        owned(data, size)
    } else {
        Vec::new()
    };
    (s, bytes.len())
}

/// Status of `proxy_add_header_map_value(map, key, value)` (probes phase rules).
pub fn add_header_status(map: u32, key: &str, value: &str) -> u32 {
    // SAFETY: slices are valid for the call.
    unsafe { proxy_add_header_map_value(map, key.as_ptr(), key.len(), value.as_ptr(), value.len()) }
}
