//! The instantiated plugin: calls its exported callbacks with a fuel meter, turns traps into
//! recorded failures, and drives one HTTP stream through Envoy's callback rules (held headers,
//! buffered bodies, end of stream). `Host` and `HttpSession` share one `Runtime`.

use wasmtime::{Instance, Store, Val};

use super::profile::HostProfile;
use super::state::{HostState, LocalReply, Phase, Stream};

/// Fuel given to every callback: far more than any plugin needs; running out is a trap
/// ("all fuel consumed"), which catches endless loops.
pub(crate) const FUEL_PER_CALLBACK: u64 = 1 << 40;

/// What a plugin callback returned to the host for a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Continue (0): the headers or body go on.
    Continue,
    /// Any Stop* value: headers are held; body bytes stay buffered.
    Pause,
    /// The stream already ended (local reply, close, trap): the callback was not run.
    Ended,
    /// The plugin trapped in this callback (or its VM had trapped before).
    Trapped,
}

/// Result of one call into the guest.
pub(crate) enum Called {
    Returned(Option<i32>),
    Missing,
    Trapped(String),
}

/// Bytes queued while a plugin holds the headers (Envoy without `allow_on_headers_stop_iteration`
/// does not run the body callbacks then).
#[derive(Default)]
pub(crate) struct Queued {
    pub body: Vec<u8>,
    pub eos: bool,
    pub trailers: Option<Vec<(String, String)>>,
}

pub(crate) struct Runtime {
    pub store: Store<HostState>,
    pub instance: Instance,
    pub next_context: u32,
    /// Per stream context: (request, response) bytes waiting for the headers to be released.
    pub queued: std::collections::HashMap<u32, (Queued, Queued)>,
}

/// A readable one-line reason for a wasm error (the trap, not the backtrace).
pub(crate) fn describe(e: &wasmtime::Error) -> String {
    let root = e.root_cause().to_string();
    let top = e.to_string();
    let top = top.lines().next().unwrap_or_default();
    if top.is_empty() || root.contains(top) {
        root
    } else {
        format!("{root} ({top})")
    }
}

impl Runtime {
    pub fn state(&self) -> &HostState {
        self.store.data()
    }

    pub fn state_mut(&mut self) -> &mut HostState {
        self.store.data_mut()
    }

    pub fn stream(&mut self, ctx: u32) -> Option<&mut Stream> {
        self.store.data_mut().streams.get_mut(&ctx)
    }

    /// Calls export `name(args)` as context `ctx`, metering fuel under `name` (in the stream's
    /// list for an HTTP context, else the root list).
    pub fn call(&mut self, name: &str, ctx: u32, args: &[i32]) -> Called {
        let Some(func) = self.instance.get_func(&mut self.store, name) else {
            return Called::Missing;
        };
        let params: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
        let mut results = vec![Val::I32(0); func.ty(&self.store).results().len()];
        self.store.data_mut().current = ctx;
        let _ = self.store.set_fuel(FUEL_PER_CALLBACK);
        let r = func.call(&mut self.store, &params, &mut results);
        let used = FUEL_PER_CALLBACK.saturating_sub(self.store.get_fuel().unwrap_or(0));
        let s = self.store.data_mut();
        let label = name.trim_start_matches("proxy_on_").to_string();
        match s.streams.get_mut(&ctx) {
            Some(st) => st.fuel.push((label, used)),
            None => s.root_fuel.push((label, used)),
        }
        match r {
            Ok(()) => Called::Returned(results.first().and_then(Val::i32)),
            Err(e) => {
                let msg = format!("{name}: {}", describe(&e));
                s.failed.get_or_insert(msg.clone());
                Called::Trapped(msg)
            }
        }
    }

    /// Marks stream `ctx` as trapped; Envoy (FAIL_CLOSED) answers it with a 503.
    fn trap_stream(&mut self, ctx: u32, msg: String) {
        let profile: HostProfile = self.state().profile;
        if let Some(st) = self.stream(ctx) {
            st.trap.get_or_insert(msg);
            if profile.trap_is_local_503() && st.local_reply.is_none() && !st.ended {
                st.reset = st.response.headers_released;
                st.local_reply = Some(LocalReply {
                    status: 503,
                    headers: Vec::new(),
                    body: Vec::new(),
                    details: "wasm_fail_stream".to_string(),
                });
            }
            st.ended = true;
        }
    }

    /// Runs a stream callback in `phase`: not at all when the stream ended or the VM failed.
    pub fn stream_callback(&mut self, ctx: u32, phase: Phase, name: &str, args: &[i32]) -> Action {
        if let Some(msg) = self.state().failed.clone() {
            let ended = self.stream(ctx).is_none_or(|st| st.ended);
            if !ended {
                self.trap_stream(ctx, format!("VM failed earlier: {msg}"));
            }
            return Action::Trapped;
        }
        match self.stream(ctx) {
            Some(st) if !st.ended => st.phase = phase,
            _ => return Action::Ended,
        }
        match self.call(name, ctx, args) {
            Called::Returned(Some(0)) | Called::Returned(None) | Called::Missing => {
                Action::Continue
            }
            Called::Returned(Some(_)) => Action::Pause,
            Called::Trapped(msg) => {
                self.trap_stream(ctx, msg);
                Action::Trapped
            }
        }
    }

    pub fn headers(
        &mut self,
        ctx: u32,
        request: bool,
        headers: Vec<(String, String)>,
        eos: bool,
    ) -> Action {
        let (phase, name) = if request {
            (Phase::RequestHeaders, "proxy_on_request_headers")
        } else {
            (Phase::ResponseHeaders, "proxy_on_response_headers")
        };
        let n = headers.len() as i32;
        match self.stream(ctx) {
            Some(st) if !st.ended => {
                *dir(st, request) = super::state::Direction {
                    headers,
                    complete: eos,
                    ..Default::default()
                }
            }
            _ => return self.stream_callback(ctx, phase, name, &[]),
        }
        let action = self.stream_callback(ctx, phase, name, &[ctx as i32, n, eos as i32]);
        if let Some(st) = self.stream(ctx) {
            let d = dir(st, request);
            match action {
                Action::Continue => d.release(),
                Action::Pause if !d.headers_released => d.headers_held = true,
                _ => {}
            }
        }
        action
    }

    pub fn body(&mut self, ctx: u32, request: bool, chunk: &[u8], eos: bool) -> Action {
        let (phase, name) = if request {
            (Phase::RequestBody, "proxy_on_request_body")
        } else {
            (Phase::ResponseBody, "proxy_on_response_body")
        };
        let stop_iteration = self.state().headers_stop_iteration;
        match self.stream(ctx) {
            Some(st) if !st.ended => {
                if dir(st, request).headers_held && !stop_iteration {
                    let q = self.queue(ctx, request);
                    q.body.extend_from_slice(chunk);
                    q.eos |= eos;
                    return Action::Pause;
                }
            }
            _ => return self.stream_callback(ctx, phase, name, &[]),
        }
        let mut size = 0;
        if let Some(st) = self.stream(ctx) {
            let d = dir(st, request);
            d.complete |= eos;
            d.buffered.extend_from_slice(chunk);
            size = d.buffered.len();
        }
        let action = self.stream_callback(ctx, phase, name, &[ctx as i32, size as i32, eos as i32]);
        self.after_body(ctx, request, action, eos);
        action
    }

    pub fn trailers(&mut self, ctx: u32, request: bool, trailers: Vec<(String, String)>) -> Action {
        let (phase, name) = if request {
            (Phase::RequestTrailers, "proxy_on_request_trailers")
        } else {
            (Phase::ResponseTrailers, "proxy_on_response_trailers")
        };
        if request && !self.state().profile.delivers_request_trailers() {
            // Kong: trailers are not delivered; the body ends with an empty final chunk.
            return self.body(ctx, true, &[], true);
        }
        let n = trailers.len() as i32;
        let stop_iteration = self.state().headers_stop_iteration;
        match self.stream(ctx) {
            Some(st) if !st.ended => {
                if dir(st, request).headers_held && !stop_iteration {
                    self.queue(ctx, request).trailers = Some(trailers);
                    return Action::Pause;
                }
            }
            _ => return self.stream_callback(ctx, phase, name, &[]),
        }
        if let Some(st) = self.stream(ctx) {
            let d = dir(st, request);
            d.trailers = trailers;
            d.complete = true;
        }
        let action = self.stream_callback(ctx, phase, name, &[ctx as i32, n]);
        self.after_body(ctx, request, action, true);
        action
    }

    fn after_body(&mut self, ctx: u32, request: bool, action: Action, end: bool) {
        if let Some(st) = self.stream(ctx) {
            let d = dir(st, request);
            match action {
                Action::Continue => d.release(),
                Action::Pause if end => d.body_held = !d.buffered.is_empty() || d.body_held,
                _ => {}
            }
        }
    }

    fn queue(&mut self, ctx: u32, request: bool) -> &mut Queued {
        let q = self.queued.entry(ctx).or_default();
        if request {
            &mut q.0
        } else {
            &mut q.1
        }
    }

    /// After a continue from outside a stream callback (http call answer): deliver what was
    /// queued behind held headers, as Envoy does once the filter chain resumes.
    pub fn deliver_queued(&mut self, ctx: u32) {
        for request in [true, false] {
            let held = self
                .stream(ctx)
                .is_none_or(|st| dir(st, request).headers_held);
            if held {
                continue;
            }
            let q = std::mem::take(self.queue(ctx, request));
            if !q.body.is_empty() || q.eos {
                self.body(ctx, request, &q.body, q.eos && q.trailers.is_none());
            }
            if let Some(t) = q.trailers {
                self.trailers(ctx, request, t);
            }
        }
    }

    /// End of stream: `proxy_on_log`, `proxy_on_done`, `proxy_on_delete` (once).
    pub fn finish(&mut self, ctx: u32) {
        let Some(st) = self.stream(ctx) else {
            return;
        };
        st.phase = Phase::Log;
        if self.state().failed.is_none() {
            for name in ["proxy_on_log", "proxy_on_done", "proxy_on_delete"] {
                if let Called::Trapped(msg) = self.call(name, ctx, &[ctx as i32]) {
                    self.trap_stream(ctx, msg);
                    break;
                }
            }
        }
    }
}

fn dir(st: &mut Stream, request: bool) -> &mut super::state::Direction {
    if request {
        &mut st.request
    } else {
        &mut st.response
    }
}
