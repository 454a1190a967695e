//! A proxy-wasm host on wasmtime for fast plugin tests: loads a real `.wasm` plugin, speaks
//! proxy-wasm ABI 0.2.1 (what the Rust SDK 0.2.5 imports) plus the WASI preview1 calls a
//! wasm32-wasip1 plugin needs, and drives HTTP streams with Envoy's callback rules.
//! API: docs/ARCHITECTURE.md "Harness"; usage and host facts: test-harness/README.md "Host".
//!
//! ```no_run
//! use guardrail_harness::host::{dist_path, Host, HostProfile, Action};
//! let host = Host::builder(dist_path("hostcalls-test"))
//!     .profile(HostProfile::Envoy)
//!     .plugin_config(br#"{"mode":"pass"}"#)
//!     .build()
//!     .unwrap();
//! let mut s = host.http();
//! assert_eq!(s.request_headers(&[(":path", "/v1/chat/completions")], false), Action::Continue);
//! s.request_body(b"{}", true);
//! assert_eq!(s.request_body_out(), b"{}");
//! ```

mod abi;
mod builder;
mod exchange;
mod imports;
mod memory;
mod profile;
mod runtime;
mod session;
mod shared;
mod state;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub use builder::{HostBuilder, HostError};
pub use exchange::{Exchange, Outcome};
pub use profile::HostProfile;
pub use runtime::Action;
pub use session::HttpSession;
pub use shared::SharedData;
pub use state::{HttpCall, LocalReply, LogLevel};

use runtime::{Called, Runtime};
use state::{CallResponse, Phase, Stream};

/// `$GUARDRAIL_DIST/<name>.wasm` (default `<workspace>/dist`, as `envoy::paths::dist_dir`).
/// Tests only: panics with a hint to run ./build.sh when the file is missing.
pub fn dist_path(name: &str) -> PathBuf {
    let p = crate::envoy::paths::dist_dir().join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: run ./build.sh (or ./build.sh test) first",
        p.display()
    );
    p
}

/// `dist/<name>.wasm` started with `config` under `profile`. Tests only: panics when the file
/// is missing or the plugin refuses the config.
pub fn start_dist(name: &str, profile: HostProfile, config: &str) -> Host {
    Host::builder(dist_path(name))
        .profile(profile)
        .plugin_config(config)
        .build()
        .unwrap_or_else(|e| panic!("{name} did not start: {e:?}"))
}

/// A loaded, configured plugin (one VM with one root context). Not `Send`: use one per thread;
/// several hosts can share a `SharedData` to simulate Envoy workers.
pub struct Host {
    rt: Rc<RefCell<Runtime>>,
}

impl Host {
    /// Starts configuring a host for the plugin at `path`.
    pub fn builder(path: impl AsRef<Path>) -> HostBuilder {
        HostBuilder::from_path(path.as_ref())
    }

    /// Like `builder`, for a module given as bytes (hand-made test modules).
    pub fn builder_from_bytes(wasm: impl Into<Vec<u8>>) -> HostBuilder {
        HostBuilder::from_bytes(wasm.into())
    }

    /// A new HTTP context (`proxy_on_context_create(id, root)`).
    pub fn http(&self) -> HttpSession {
        let mut rt = self.rt.borrow_mut();
        let id = rt.next_context;
        rt.next_context += 1;
        rt.state_mut().streams.insert(id, Stream::default());
        let root = rt.state().root_id as i32;
        if rt.state().failed.is_none() {
            rt.call("proxy_on_context_create", id, &[id as i32, root]);
        }
        drop(rt);
        HttpSession::new(Rc::clone(&self.rt), id)
    }

    /// Runs a whole exchange (see `Exchange`) in a new HTTP context.
    pub fn exchange(&self, ex: &Exchange<'_>) -> Outcome {
        let before = self.rt.borrow().state().logs.len();
        let mut out = exchange::run(self.http(), ex);
        out.logs = self
            .rt
            .borrow()
            .state()
            .logs
            .get(before..)
            .unwrap_or_default()
            .to_vec();
        out
    }

    pub fn profile(&self) -> HostProfile {
        self.rt.borrow().state().profile
    }

    /// Every `proxy_log` line so far, any level.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.rt.borrow().state().logs.clone()
    }

    /// Forgets the logs so far.
    pub fn clear_logs(&self) {
        self.rt.borrow_mut().state_mut().logs.clear();
    }

    /// Counters and gauges by name; a histogram's value is its number of samples.
    pub fn metrics(&self) -> BTreeMap<String, i64> {
        self.rt.borrow().state().metric_values()
    }

    /// The samples recorded in histogram `name`.
    pub fn histogram(&self, name: &str) -> Vec<u64> {
        let rt = self.rt.borrow();
        rt.state()
            .metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.samples.clone())
            .unwrap_or_default()
    }

    pub fn shared_data(&self) -> SharedData {
        self.rt.borrow().state().shared.clone()
    }

    /// Outgoing `proxy_http_call`s not answered yet.
    pub fn pending_http_calls(&self) -> Vec<HttpCall> {
        self.rt.borrow().state().pending_calls.clone()
    }

    /// Answers http call `token`: `proxy_on_http_call_response` runs in the context that made
    /// the call, with `:status` first in the response headers. If that context continued its
    /// stream, body bytes queued behind its held headers are delivered next.
    pub fn respond_http_call(
        &self,
        token: u32,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Action, HostError> {
        let mut all = vec![(":status".to_string(), status.to_string())];
        all.extend(
            headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())),
        );
        self.answer_http_call(token, all, body)
    }

    /// Fails http call `token` the way Envoy reports a timeout, reset or unknown cluster
    /// (`onHttpCallFailure`): `proxy_on_http_call_response` with no headers and no body.
    pub fn fail_http_call(&self, token: u32) -> Result<Action, HostError> {
        self.answer_http_call(token, Vec::new(), b"")
    }

    fn answer_http_call(
        &self,
        token: u32,
        all: Vec<(String, String)>,
        body: &[u8],
    ) -> Result<Action, HostError> {
        let mut rt = self.rt.borrow_mut();
        let s = rt.state_mut();
        let Some(i) = s.pending_calls.iter().position(|c| c.token == token) else {
            return Err(HostError::UnknownHttpCall(token));
        };
        let call = s.pending_calls.remove(i);
        let n = all.len() as i32;
        s.call_response = Some(CallResponse {
            headers: all,
            body: body.to_vec(),
            trailers: Vec::new(),
        });
        let ctx = call.context_id;
        let args = [ctx as i32, token as i32, n, body.len() as i32, 0];
        let action = if rt.stream(ctx).is_some() {
            let before = rt.stream(ctx).map(|st| st.phase).unwrap_or_default();
            let a = rt.stream_callback(
                ctx,
                Phase::HttpCallResponse,
                "proxy_on_http_call_response",
                &args,
            );
            if let Some(st) = rt.stream(ctx) {
                st.phase = before;
            }
            a
        } else {
            match rt.call("proxy_on_http_call_response", ctx, &args) {
                Called::Trapped(m) => {
                    rt.state_mut().call_response = None;
                    return Err(HostError::Trap {
                        callback: "proxy_on_http_call_response".into(),
                        message: m,
                    });
                }
                _ => Action::Continue,
            }
        };
        rt.state_mut().call_response = None;
        rt.deliver_queued(ctx);
        Ok(action)
    }

    /// Advances the clock by the tick period and runs `proxy_on_tick`; false (nothing run)
    /// when the plugin set no tick period (or the profile refused it).
    pub fn tick(&self) -> bool {
        let mut rt = self.rt.borrow_mut();
        let period = rt.state().tick_period_ms;
        if period == 0 || rt.state().failed.is_some() {
            return false;
        }
        let s = rt.state_mut();
        s.time_unix_nanos = s
            .time_unix_nanos
            .saturating_add(u64::from(period) * 1_000_000);
        let root = s.root_id;
        !matches!(
            rt.call("proxy_on_tick", root, &[root as i32]),
            Called::Trapped(_)
        )
    }

    /// The tick period the plugin asked for (0 = none).
    pub fn tick_period_ms(&self) -> u32 {
        self.rt.borrow().state().tick_period_ms
    }

    pub fn set_time_unix_nanos(&self, t: u64) {
        self.rt.borrow_mut().state_mut().time_unix_nanos = t;
    }

    pub fn time_unix_nanos(&self) -> u64 {
        self.rt.borrow().state().time_unix_nanos
    }

    /// Imports of the module this host does not implement (`module::name`), linked to stubs.
    pub fn stubbed_imports(&self) -> Vec<String> {
        self.rt.borrow().state().stubbed_imports.clone()
    }

    /// Stubbed imports the plugin called so far.
    pub fn stub_calls(&self) -> Vec<String> {
        self.rt.borrow().state().stub_calls.clone()
    }

    /// What the module wrote to stdout/stderr (WASI `fd_write`), lossy UTF-8.
    pub fn stdio(&self) -> String {
        String::from_utf8_lossy(&self.rt.borrow().state().stdio).into_owned()
    }

    /// The first trap of this VM; a trapped VM runs no further callbacks (Envoy).
    pub fn failed(&self) -> Option<String> {
        self.rt.borrow().state().failed.clone()
    }

    /// Fuel of root-context callbacks (`_initialize`, `vm_start`, `configure`, `tick`, ...).
    pub fn root_fuel(&self) -> Vec<(String, u64)> {
        self.rt.borrow().state().root_fuel.clone()
    }
}
