//! body_property: asks APISIX (wasm-nginx-module) to deliver the request body. APISIX calls
//! `proxy_on_http_request_body` only when the plugin sets the property (an nginx variable)
//! `wasm_process_req_body` in its request-headers callback (apache/apisix `apisix/wasm.lua`);
//! without it a body check silently never runs there (fail-open). Envoy keeps the value as
//! filter state `wasm.wasm_process_req_body` (no effect); other hosts may answer NotFound.
//! A raw ABI call: the status is returned, never unwrapped, so no host can make it trap.

/// The APISIX property (nginx variable) that turns the request-body callback on.
pub const REQUEST_BODY_PROPERTY: &str = "wasm_process_req_body";

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub fn proxy_set_property(
            path_data: *const u8,
            path_size: usize,
            value_data: *const u8,
            value_size: usize,
        ) -> u32;
    }
}

/// Sets `wasm_process_req_body` to "1"; returns the host's status (0 = OK).
#[cfg(target_arch = "wasm32")]
pub fn request_body_wanted() -> u32 {
    // A one-segment property path is the segment itself (no separators).
    let path = REQUEST_BODY_PROPERTY.as_bytes();
    let value = b"1";
    // SAFETY: pointers and lengths of live static slices.
    unsafe { imports::proxy_set_property(path.as_ptr(), path.len(), value.as_ptr(), value.len()) }
}

/// Natively there is no host: refused with UNIMPLEMENTED (12).
#[cfg(not(target_arch = "wasm32"))]
pub fn request_body_wanted() -> u32 {
    12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natively_the_call_is_refused_not_trapped() {
        assert_eq!(request_body_wanted(), 12);
        assert_eq!(REQUEST_BODY_PROPERTY, "wasm_process_req_body");
    }
}
