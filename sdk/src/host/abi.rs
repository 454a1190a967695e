//! Raw proxy-wasm ABI 0.2.1 calls that return the host's status instead of panicking.
//!
//! Host fact: proxy-wasm 0.2.5's `hostcalls` wrappers `panic!("unexpected status")` on any
//! status they do not expect (e.g. `get_current_time` when APISIX has no clock,
//! `define_metric` where Kong refuses metrics, `get_map_value` unwraps UTF-8 on a header), and
//! a panic is a VM trap, i.e. an outage. These wrappers turn every status into a `Result`.
//! Off wasm32 (native `cargo test`) every call reports `UNIMPLEMENTED`, which exercises the
//! "host refuses" paths.
//!
//! The project's one raw-ABI module: the only place with `unsafe` (the crate denies it
//! elsewhere); plugins and the hostcalls test plugin call these, never `extern "C"` themselves.
#![allow(unsafe_code)]

/// proxy-wasm status codes used here (ABI 0.2.1 `WasmResult`).
pub const OK: u32 = 0;
/// `NotFound`.
pub const NOT_FOUND: u32 = 1;
/// `CasMismatch`: shared data changed since it was read.
pub const CAS_MISMATCH: u32 = 8;
/// What the native (no host) stand-ins answer.
pub const UNIMPLEMENTED: u32 = 12;

/// Log level info.
pub const LOG_INFO: u32 = 2;
/// Log level warn.
pub const LOG_WARN: u32 = 3;
/// Log level error.
pub const LOG_ERROR: u32 = 4;
/// Log level critical.
pub const LOG_CRITICAL: u32 = 5;

/// Buffer: the request body.
pub const BUFFER_REQUEST_BODY: u32 = 0;
/// Buffer: the response body.
pub const BUFFER_RESPONSE_BODY: u32 = 1;
/// Buffer: an outgoing call's answer body.
pub const BUFFER_HTTP_CALL_RESPONSE_BODY: u32 = 4;

/// Header map: request headers.
pub const MAP_REQUEST_HEADERS: u32 = 0;
/// Header map: response headers.
pub const MAP_RESPONSE_HEADERS: u32 = 2;
/// Header map: an outgoing call's answer headers.
pub const MAP_HTTP_CALL_RESPONSE_HEADERS: u32 = 6;

/// Stream: the request.
pub const STREAM_REQUEST: u32 = 0;

/// Metric kind: counter.
pub const METRIC_COUNTER: u32 = 0;
/// Metric kind: histogram.
pub const METRIC_HISTOGRAM: u32 = 2;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub fn proxy_log(level: u32, data: *const u8, size: usize) -> u32;
        pub fn proxy_get_current_time_nanoseconds(ret: *mut u64) -> u32;
        #[allow(clippy::too_many_arguments)]
        pub fn proxy_send_local_response(
            status: u32,
            details: *const u8,
            details_size: usize,
            body: *const u8,
            body_size: usize,
            headers: *const u8,
            headers_size: usize,
            grpc_status: i32,
        ) -> u32;
        pub fn proxy_get_buffer_bytes(
            buffer: u32,
            start: usize,
            max_size: usize,
            ret_data: *mut *mut u8,
            ret_size: *mut usize,
        ) -> u32;
        pub fn proxy_set_buffer_bytes(
            buffer: u32,
            start: usize,
            size: usize,
            data: *const u8,
            data_size: usize,
        ) -> u32;
        pub fn proxy_get_header_map_value(
            map: u32,
            key: *const u8,
            key_size: usize,
            ret_data: *mut *mut u8,
            ret_size: *mut usize,
        ) -> u32;
        pub fn proxy_replace_header_map_value(
            map: u32,
            key: *const u8,
            key_size: usize,
            value: *const u8,
            value_size: usize,
        ) -> u32;
        pub fn proxy_remove_header_map_value(map: u32, key: *const u8, key_size: usize) -> u32;
        pub fn proxy_define_metric(
            kind: u32,
            name: *const u8,
            name_size: usize,
            ret_id: *mut u32,
        ) -> u32;
        pub fn proxy_increment_metric(id: u32, offset: i64) -> u32;
        pub fn proxy_record_metric(id: u32, value: u64) -> u32;
        pub fn proxy_continue_stream(stream: u32) -> u32;
        pub fn proxy_get_shared_data(
            key_data: *const u8,
            key_size: usize,
            return_value_data: *mut *mut u8,
            return_value_size: *mut usize,
            return_cas: *mut u32,
        ) -> u32;
        pub fn proxy_set_shared_data(
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
            cas: u32,
        ) -> u32;
        pub fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
        pub fn proxy_get_property(
            path_data: *const u8,
            path_size: usize,
            ret_data: *mut *mut u8,
            ret_size: *mut usize,
        ) -> u32;
        pub fn proxy_add_header_map_value(
            map: u32,
            key: *const u8,
            key_size: usize,
            value: *const u8,
            value_size: usize,
        ) -> u32;
        pub fn proxy_get_header_map_pairs(
            map: u32,
            ret_data: *mut *mut u8,
            ret_size: *mut usize,
        ) -> u32;
        pub fn proxy_set_property(
            path_data: *const u8,
            path_size: usize,
            value_data: *const u8,
            value_size: usize,
        ) -> u32;
    }
}

fn status(code: u32) -> Result<(), u32> {
    if code == OK {
        Ok(())
    } else {
        Err(code)
    }
}

/// Take ownership of bytes the host allocated through the SDK's `proxy_on_memory_allocate`
/// (proxy-wasm 0.2.5 allocator: a `Vec<u8>` of exactly that capacity, then forgotten).
#[cfg(target_arch = "wasm32")]
fn host_bytes(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        Vec::new()
    } else {
        // SAFETY: the host wrote `size` bytes into a buffer of capacity `size` it obtained from
        // our allocator; nobody else holds it.
        unsafe { Vec::from_raw_parts(data, size, size) }
    }
}

/// Write `message` at `level` (`proxy_log`).
#[cfg(target_arch = "wasm32")]
pub fn log(level: u32, message: &str) -> Result<(), u32> {
    // SAFETY: pointer and length of a live &str.
    status(unsafe { imports::proxy_log(level, message.as_ptr(), message.len()) })
}

/// Unix time in nanoseconds (`proxy_get_current_time_nanoseconds`).
#[cfg(target_arch = "wasm32")]
pub fn current_time_nanos() -> Result<u64, u32> {
    let mut nanos = 0u64;
    // SAFETY: the host writes one u64 to a live local.
    status(unsafe { imports::proxy_get_current_time_nanoseconds(&mut nanos) })?;
    Ok(nanos)
}

/// Answer the client (`proxy_send_local_response`); `headers` in the wire format of `serialize_headers`.
#[cfg(target_arch = "wasm32")]
pub fn send_local_response(
    status_code: u32,
    details: &str,
    body: &[u8],
    headers: &[u8],
) -> Result<(), u32> {
    // SAFETY: pointers and lengths of live slices; -1 = not a gRPC response.
    status(unsafe {
        imports::proxy_send_local_response(
            status_code,
            details.as_ptr(),
            details.len(),
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    })
}

/// `max_size` bytes from `start` of a buffer; `NotFound` is an empty one.
#[cfg(target_arch = "wasm32")]
pub fn get_buffer(buffer: u32, start: usize, max_size: usize) -> Result<Vec<u8>, u32> {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: the host writes a pointer and a size to live locals.
    let code =
        unsafe { imports::proxy_get_buffer_bytes(buffer, start, max_size, &mut data, &mut size) };
    match code {
        OK => Ok(host_bytes(data, size)),
        NOT_FOUND => Ok(Vec::new()),
        other => Err(other),
    }
}

/// Replace `size` bytes from `start` of a buffer with `value`.
#[cfg(target_arch = "wasm32")]
pub fn set_buffer(buffer: u32, start: usize, size: usize, value: &[u8]) -> Result<(), u32> {
    // SAFETY: pointer and length of a live slice.
    status(unsafe {
        imports::proxy_set_buffer_bytes(buffer, start, size, value.as_ptr(), value.len())
    })
}

/// A header value (raw bytes), `Ok(None)` when absent.
#[cfg(target_arch = "wasm32")]
pub fn get_header(map: u32, key: &str) -> Result<Option<Vec<u8>>, u32> {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: key is a live &str; the host writes a pointer and a size to live locals.
    let code = unsafe {
        imports::proxy_get_header_map_value(map, key.as_ptr(), key.len(), &mut data, &mut size)
    };
    match code {
        OK => Ok(Some(host_bytes(data, size))),
        NOT_FOUND => Ok(None),
        other => Err(other),
    }
}

/// Set a header (replacing any with the name).
#[cfg(target_arch = "wasm32")]
pub fn replace_header(map: u32, key: &str, value: &str) -> Result<(), u32> {
    // SAFETY: pointers and lengths of live &strs.
    status(unsafe {
        imports::proxy_replace_header_map_value(
            map,
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

/// Remove a header.
#[cfg(target_arch = "wasm32")]
pub fn remove_header(map: u32, key: &str) -> Result<(), u32> {
    // SAFETY: pointer and length of a live &str.
    status(unsafe { imports::proxy_remove_header_map_value(map, key.as_ptr(), key.len()) })
}

/// Define a metric of `kind`; its id.
#[cfg(target_arch = "wasm32")]
pub fn define_metric(kind: u32, name: &str) -> Result<u32, u32> {
    let mut id = 0u32;
    // SAFETY: name is a live &str; the host writes one u32 to a live local.
    status(unsafe { imports::proxy_define_metric(kind, name.as_ptr(), name.len(), &mut id) })?;
    Ok(id)
}

/// Add `offset` to a metric.
#[cfg(target_arch = "wasm32")]
pub fn increment_metric(id: u32, offset: i64) -> Result<(), u32> {
    // SAFETY: plain values.
    status(unsafe { imports::proxy_increment_metric(id, offset) })
}

/// Record `value` in a metric (histogram sample, gauge value).
#[cfg(target_arch = "wasm32")]
pub fn record_metric(id: u32, value: u64) -> Result<(), u32> {
    // SAFETY: plain values.
    status(unsafe { imports::proxy_record_metric(id, value) })
}

/// Set a one-segment property (the segment is the path; no separators needed).
#[cfg(target_arch = "wasm32")]
pub fn set_property(name: &str, value: &[u8]) -> Result<(), u32> {
    // SAFETY: pointers and lengths of a live &str and slice.
    status(unsafe {
        imports::proxy_set_property(name.as_ptr(), name.len(), value.as_ptr(), value.len())
    })
}

/// Resume a paused stream (`STREAM_REQUEST`), e.g. after an outgoing call answered.
#[cfg(target_arch = "wasm32")]
pub fn continue_stream(stream: u32) -> Result<(), u32> {
    // SAFETY: a plain value.
    status(unsafe { imports::proxy_continue_stream(stream) })
}

/// `(value, cas)` of a shared-data key, `Ok(None)` when it does not exist (Envoy: one map
/// per VM id, shared by the worker threads).
#[cfg(target_arch = "wasm32")]
pub fn get_shared_data(key: &str) -> Result<Option<(Vec<u8>, u32)>, u32> {
    let mut data: *mut u8 = std::ptr::null_mut();
    let (mut size, mut cas) = (0usize, 0u32);
    // SAFETY: key is a live &str; the host writes a pointer, a size and a cas to live locals.
    let code = unsafe {
        imports::proxy_get_shared_data(key.as_ptr(), key.len(), &mut data, &mut size, &mut cas)
    };
    match code {
        OK => Ok(Some((host_bytes(data, size), cas))),
        NOT_FOUND => Ok(None),
        other => Err(other),
    }
}

/// Set a shared-data key: `cas` 0 is unconditional, any other must match (else `CAS_MISMATCH`).
#[cfg(target_arch = "wasm32")]
pub fn set_shared_data(key: &str, value: &[u8], cas: u32) -> Result<(), u32> {
    // SAFETY: pointers and lengths of live slices.
    status(unsafe {
        imports::proxy_set_shared_data(key.as_ptr(), key.len(), value.as_ptr(), value.len(), cas)
    })
}

/// Ask for `on_tick` every `ms` milliseconds (root context).
#[cfg(target_arch = "wasm32")]
pub fn set_tick_period(ms: u32) -> Result<(), u32> {
    // SAFETY: a plain value.
    status(unsafe { imports::proxy_set_tick_period_milliseconds(ms) })
}

/// A property by path segments (sent NUL-separated).
#[cfg(target_arch = "wasm32")]
pub fn get_property(path: &[&str]) -> Result<Vec<u8>, u32> {
    let mut p = Vec::new();
    for seg in path {
        p.extend_from_slice(seg.as_bytes());
        p.push(0);
    }
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: the path is a live Vec; the host writes a pointer and a size to live locals.
    match unsafe { imports::proxy_get_property(p.as_ptr(), p.len(), &mut data, &mut size) } {
        OK => Ok(host_bytes(data, size)),
        other => Err(other),
    }
}

/// Add a header (keeping any with the same name).
#[cfg(target_arch = "wasm32")]
pub fn add_header(map: u32, key: &str, value: &str) -> Result<(), u32> {
    // SAFETY: pointers and lengths of live &strs.
    status(unsafe {
        imports::proxy_add_header_map_value(
            map,
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

/// A whole header map in the wire format (see `serialize_headers`).
#[cfg(target_arch = "wasm32")]
pub fn get_header_pairs(map: u32) -> Result<Vec<u8>, u32> {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: the host writes a pointer and a size to live locals.
    match unsafe { imports::proxy_get_header_map_pairs(map, &mut data, &mut size) } {
        OK => Ok(host_bytes(data, size)),
        other => Err(other),
    }
}

/// Raw status and bytes of `proxy_get_buffer_bytes(buffer, 0, all)`: the status as the host
/// gave it (for the hostcalls test plugin's phase probes).
#[cfg(target_arch = "wasm32")]
pub fn buffer_status(buffer: u32) -> (u32, Vec<u8>) {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    let max = u32::MAX as usize;
    // SAFETY: the host writes a pointer and a size to live locals.
    let code = unsafe { imports::proxy_get_buffer_bytes(buffer, 0, max, &mut data, &mut size) };
    match code {
        OK => (OK, host_bytes(data, size)),
        other => (other, Vec::new()),
    }
}

/// Raw status and value of `proxy_get_header_map_value` (phase probes).
#[cfg(target_arch = "wasm32")]
pub fn header_status(map: u32, key: &str) -> (u32, Vec<u8>) {
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: key is a live &str; the host writes a pointer and a size to live locals.
    let code = unsafe {
        imports::proxy_get_header_map_value(map, key.as_ptr(), key.len(), &mut data, &mut size)
    };
    match code {
        OK => (OK, host_bytes(data, size)),
        other => (other, Vec::new()),
    }
}

/// Fill `buf` from WASI `random_get`; false where the host refuses.
#[cfg(target_arch = "wasm32")]
pub fn random(buf: &mut [u8]) -> bool {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        fn random_get(buf: *mut u8, len: usize) -> u16;
    }
    // SAFETY: pointer and length of a live, writable buffer.
    unsafe { random_get(buf.as_mut_ptr(), buf.len()) == 0 }
}

// Native builds (unit tests, clippy): no host, every call is refused.
/// Native stand-in (no host): refused, so the callers' fallback runs.
#[cfg(not(target_arch = "wasm32"))]
pub fn random(_buf: &mut [u8]) -> bool {
    false
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn get_shared_data(_: &str) -> Result<Option<(Vec<u8>, u32)>, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn set_shared_data(_: &str, _: &[u8], _: u32) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn set_tick_period(_: u32) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn get_property(_: &[&str]) -> Result<Vec<u8>, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn add_header(_: u32, _: &str, _: &str) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn get_header_pairs(_: u32) -> Result<Vec<u8>, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn buffer_status(_: u32) -> (u32, Vec<u8>) {
    (UNIMPLEMENTED, Vec::new())
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn header_status(_: u32, _: &str) -> (u32, Vec<u8>) {
    (UNIMPLEMENTED, Vec::new())
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn log(_level: u32, _message: &str) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn current_time_nanos() -> Result<u64, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn send_local_response(_: u32, _: &str, _: &[u8], _: &[u8]) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn get_buffer(_: u32, _: usize, _: usize) -> Result<Vec<u8>, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn set_buffer(_: u32, _: usize, _: usize, _: &[u8]) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn get_header(_: u32, _: &str) -> Result<Option<Vec<u8>>, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn replace_header(_: u32, _: &str, _: &str) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn remove_header(_: u32, _: &str) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn define_metric(_: u32, _: &str) -> Result<u32, u32> {
    Err(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn increment_metric(_: u32, _: i64) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn record_metric(_: u32, _: u64) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn set_property(_: &str, _: &[u8]) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}
/// Native stand-in (no host): refused with `UNIMPLEMENTED`.
#[cfg(not(target_arch = "wasm32"))]
pub fn continue_stream(_: u32) -> Result<(), u32> {
    status(UNIMPLEMENTED)
}

/// proxy-wasm header map wire format: u32 count, then (u32 key len, u32 value len) per pair,
/// then each key and value followed by a NUL byte; all integers little-endian.
pub fn serialize_headers(headers: &[(&str, &str)]) -> Vec<u8> {
    let mut size = 4;
    for (k, v) in headers {
        size += 8 + k.len() + v.len() + 2;
    }
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&len_u32(headers.len()).to_le_bytes());
    for (k, v) in headers {
        out.extend_from_slice(&len_u32(k.len()).to_le_bytes());
        out.extend_from_slice(&len_u32(v.len()).to_le_bytes());
    }
    for (k, v) in headers {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_map_wire_format() {
        let bytes = serialize_headers(&[("a", "bc"), ("", "")]);
        let mut want = vec![2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"a\0bc\0\0\0");
        assert_eq!(bytes, want);
        assert_eq!(serialize_headers(&[]), vec![0, 0, 0, 0]);
    }
}
