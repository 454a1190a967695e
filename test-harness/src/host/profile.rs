//! Host profiles: which proxy-wasm calls each gateway's documented host lacks. The test host
//! answers those calls with an ABI status (never a trap), so plugins can be checked for
//! degrading gracefully. Kong (ngx_wasm_module) and APISIX (wasm-nginx-module) behaviour here
//! is taken from their documentation and is NOT verified against those gateways.

/// The gateway a `Host` imitates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostProfile {
    /// Envoy 1.40 (V8): everything this host implements; a trap fails the stream closed (503).
    #[default]
    Envoy,
    /// Kong / ngx_wasm_module: no `proxy_continue_stream` in the response phase, no gRPC,
    /// request trailers never delivered (the body ends with an empty end-of-stream chunk).
    Kong,
    /// APISIX / wasm-nginx-module: cannot rewrite bodies (`proxy_set_buffer_bytes`), no clock,
    /// no tick, no shared data or queues.
    Apisix,
}

impl HostProfile {
    pub(crate) fn can_set_body(self) -> bool {
        self != HostProfile::Apisix
    }

    pub(crate) fn has_clock(self) -> bool {
        self != HostProfile::Apisix
    }

    pub(crate) fn has_tick(self) -> bool {
        self != HostProfile::Apisix
    }

    pub(crate) fn has_shared_data(self) -> bool {
        self != HostProfile::Apisix
    }

    pub(crate) fn can_continue_response(self) -> bool {
        self != HostProfile::Kong
    }

    pub(crate) fn delivers_request_trailers(self) -> bool {
        self != HostProfile::Kong
    }

    /// A trapping plugin answers the stream with a 503 local reply (Envoy FAIL_CLOSED).
    pub(crate) fn trap_is_local_503(self) -> bool {
        self == HostProfile::Envoy
    }
}
