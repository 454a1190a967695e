//! What the host keeps between calls: the store data every import sees (`HostState`), and the
//! per-HTTP-context stream state (headers, buffered and released bodies, local reply, fuel).

use std::collections::{BTreeMap, HashMap};

use super::abi::MapType;
use super::profile::HostProfile;
use super::shared::SharedData;

/// proxy-wasm log levels (`proxy_log`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Critical,
}

impl LogLevel {
    pub(crate) fn from_abi(v: i32) -> Option<LogLevel> {
        Some(match v {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::Critical,
            _ => return None,
        })
    }

    pub(crate) fn to_abi(self) -> i32 {
        self as i32
    }
}

/// A reply the plugin sent with `proxy_send_local_response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalReply {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub details: String,
}

/// An outgoing `proxy_http_call` waiting for `Host::respond_http_call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpCall {
    pub token: u32,
    pub upstream: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
    pub timeout_ms: u32,
    /// The context that dispatched it (gets `proxy_on_http_call_response`).
    pub context_id: u32,
}

/// Which callback of a stream is running (or last ran): decides which maps and buffers a
/// plugin may touch, like Envoy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Phase {
    #[default]
    Created,
    RequestHeaders,
    RequestBody,
    RequestTrailers,
    ResponseHeaders,
    ResponseBody,
    ResponseTrailers,
    HttpCallResponse,
    Log,
}

/// One direction (request or response) of an HTTP stream.
#[derive(Default, Debug)]
pub(crate) struct Direction {
    pub headers: Vec<(String, String)>,
    pub trailers: Vec<(String, String)>,
    /// The headers callback returned Pause and nobody continued the stream yet.
    pub headers_held: bool,
    /// The headers went on (Continue or `proxy_continue_stream`).
    pub headers_released: bool,
    /// Body bytes the plugin is holding (Pause from a body callback).
    pub buffered: Vec<u8>,
    /// Body bytes that went on.
    pub body_out: Vec<u8>,
    /// The body has ended (end_of_stream or trailers) while paused: waits for a continue.
    pub body_held: bool,
    /// End of stream was seen (headers or body with end_of_stream, or trailers).
    pub complete: bool,
}

impl Direction {
    /// Envoy forwards the (possibly rewritten) body with the headers' `content-length`: a
    /// mismatch truncates the body or leaves the peer waiting. `Some(reason)` once this
    /// direction went out completely with a mismatch.
    pub fn framing_error(&self) -> Option<String> {
        if !(self.complete && self.headers_released && !self.body_held && self.buffered.is_empty())
        {
            return None;
        }
        let declared = self
            .headers
            .iter()
            .find(|(k, _)| k == "content-length")?
            .1
            .trim()
            .parse::<usize>()
            .ok()?;
        let sent = self.body_out.len();
        (declared != sent).then(|| {
            format!(
                "content-length {declared} but {sent} body bytes went on \
                 (Envoy truncates or the peer waits: remove content-length when rewriting)"
            )
        })
    }
}

impl Direction {
    /// `proxy_continue_stream` or Continue from a callback: everything held goes on.
    pub fn release(&mut self) {
        self.headers_held = false;
        self.headers_released = true;
        self.body_held = false;
        let buffered = std::mem::take(&mut self.buffered);
        self.body_out.extend_from_slice(&buffered);
    }
}

/// An HTTP context and everything the harness observed about it.
#[derive(Default, Debug)]
pub(crate) struct Stream {
    pub phase: Phase,
    pub request: Direction,
    pub response: Direction,
    pub local_reply: Option<LocalReply>,
    /// A local reply came after the response headers went out: Envoy resets the stream.
    pub reset: bool,
    /// Local reply, close_stream or trap: no further callbacks run.
    pub ended: bool,
    pub continued: bool,
    pub trap: Option<String>,
    pub fuel: Vec<(String, u64)>,
    pub properties: HashMap<String, Vec<u8>>,
}

impl Stream {
    /// The header map of `map`, when the current phase may see it (Envoy: request headers only
    /// in the request headers callback or while the plugin holds them; likewise responses).
    pub fn map(&mut self, map: MapType) -> Option<&mut Vec<(String, String)>> {
        let p = self.phase;
        match map {
            MapType::RequestHeaders
                if p == Phase::RequestHeaders
                    || p == Phase::Log
                    || (self.request.headers_held && p == Phase::HttpCallResponse) =>
            {
                Some(&mut self.request.headers)
            }
            MapType::RequestTrailers if p == Phase::RequestTrailers => {
                Some(&mut self.request.trailers)
            }
            MapType::ResponseHeaders
                if p == Phase::ResponseHeaders
                    || p == Phase::Log
                    || (self.response.headers_held && p == Phase::HttpCallResponse) =>
            {
                Some(&mut self.response.headers)
            }
            MapType::ResponseTrailers if p == Phase::ResponseTrailers => {
                Some(&mut self.response.trailers)
            }
            _ => None,
        }
    }
}

/// A metric defined with `proxy_define_metric`.
#[derive(Clone, Debug)]
pub(crate) struct Metric {
    pub name: String,
    pub kind: i32,
    pub value: i64,
    pub samples: Vec<u64>,
}

/// The answer to an http call while `proxy_on_http_call_response` runs.
#[derive(Default, Debug)]
pub(crate) struct CallResponse {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

/// Store data: everything the imports read and write.
pub(crate) struct HostState {
    pub profile: HostProfile,
    /// Envoy's `allow_on_headers_stop_iteration`: body callbacks run while headers are held.
    pub headers_stop_iteration: bool,
    pub log_level: LogLevel,
    pub logs: Vec<(LogLevel, String)>,
    pub time_unix_nanos: u64,
    /// Added to the clock after every read (0 = a frozen clock between callbacks).
    pub clock_step_nanos: u64,
    pub tick_period_ms: u32,
    pub plugin_config: Vec<u8>,
    pub vm_config: Vec<u8>,
    pub properties: HashMap<String, Vec<u8>>,
    pub metrics: Vec<Metric>,
    pub shared: SharedData,
    pub root_id: u32,
    /// Context of the callback that runs now (`proxy_set_effective_context` changes it).
    pub current: u32,
    pub streams: HashMap<u32, Stream>,
    pub pending_calls: Vec<HttpCall>,
    pub next_token: u32,
    pub call_response: Option<CallResponse>,
    /// Imports the module has that this host does not implement (stubbed).
    pub stubbed_imports: Vec<String>,
    /// Stubbed imports the plugin actually called, in call order (repeats kept once).
    pub stub_calls: Vec<String>,
    /// Bytes the module wrote to stdout/stderr through WASI `fd_write`.
    pub stdio: Vec<u8>,
    pub rng: u64,
    /// Fuel of root-context callbacks (start, configure, tick, ...).
    pub root_fuel: Vec<(String, u64)>,
    /// The VM trapped; like Envoy, it stays failed.
    pub failed: Option<String>,
}

impl HostState {
    pub fn new(profile: HostProfile, shared: SharedData) -> HostState {
        HostState {
            profile,
            headers_stop_iteration: false,
            log_level: LogLevel::Info,
            logs: Vec::new(),
            time_unix_nanos: 1_700_000_000_000_000_000,
            clock_step_nanos: 0,
            tick_period_ms: 0,
            plugin_config: Vec::new(),
            vm_config: Vec::new(),
            properties: HashMap::new(),
            metrics: Vec::new(),
            shared,
            root_id: 1,
            current: 1,
            streams: HashMap::new(),
            pending_calls: Vec::new(),
            next_token: 1,
            call_response: None,
            stubbed_imports: Vec::new(),
            stub_calls: Vec::new(),
            stdio: Vec::new(),
            rng: 0x9E37_79B9_7F4A_7C15,
            root_fuel: Vec::new(),
            failed: None,
        }
    }

    /// The stream of the current context, if it is an HTTP context.
    pub fn stream(&mut self) -> Option<&mut Stream> {
        self.streams.get_mut(&self.current)
    }

    /// Counters and gauges by name; histograms by name with their sample count.
    pub fn metric_values(&self) -> BTreeMap<String, i64> {
        self.metrics
            .iter()
            .map(|m| (m.name.clone(), m.value))
            .collect()
    }

    /// The clock as a plugin reads it (then moved on by `clock_step_nanos`).
    pub fn read_clock(&mut self) -> u64 {
        let t = self.time_unix_nanos;
        self.time_unix_nanos = t.saturating_add(self.clock_step_nanos);
        t
    }

    /// xorshift64*: deterministic bytes for WASI `random_get`.
    pub fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_maps_are_visible_in_their_phase_only() {
        use MapType as M;
        use Phase as P;
        let cases = [
            (P::RequestHeaders, M::RequestHeaders, true),
            (P::RequestBody, M::RequestHeaders, false),
            (P::RequestTrailers, M::RequestHeaders, false),
            (P::RequestTrailers, M::RequestTrailers, true),
            (P::ResponseHeaders, M::RequestHeaders, false),
            (P::ResponseHeaders, M::ResponseHeaders, true),
            (P::ResponseBody, M::ResponseHeaders, false),
            (P::ResponseTrailers, M::ResponseTrailers, true),
            (P::Log, M::RequestHeaders, true),
            (P::Log, M::ResponseHeaders, true),
            (P::HttpCallResponse, M::RequestHeaders, false),
        ];
        for (phase, map, visible) in cases {
            let mut st = Stream {
                phase,
                ..Stream::default()
            };
            assert_eq!(st.map(map).is_some(), visible, "{phase:?} {map:?}");
        }
        let mut held = Stream {
            phase: P::HttpCallResponse,
            ..Stream::default()
        };
        held.request.headers_held = true;
        assert!(
            held.map(M::RequestHeaders).is_some(),
            "held headers during a callout answer"
        );
    }

    #[test]
    fn release_moves_buffered_bytes_out() {
        let mut d = Direction {
            headers_held: true,
            buffered: b"abc".to_vec(),
            body_out: b"x".to_vec(),
            body_held: true,
            ..Direction::default()
        };
        d.release();
        assert_eq!(d.body_out, b"xabc");
        assert!(d.buffered.is_empty() && !d.body_held && !d.headers_held && d.headers_released);
    }
}
