//! `HttpSession`: one HTTP stream through the plugin, callback by callback, with what went
//! upstream and downstream, the local reply, fuel per callback and traps.

use std::cell::RefCell;
use std::rc::Rc;

use super::runtime::{Action, Runtime};
use super::state::{LocalReply, Stream};

/// One HTTP context of a `Host` (from `Host::http`). Dropping it ends the stream
/// (`proxy_on_log`, `proxy_on_done`, `proxy_on_delete`) unless `finish` already did.
pub struct HttpSession {
    rt: Rc<RefCell<Runtime>>,
    id: u32,
    finished: bool,
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect()
}

impl HttpSession {
    pub(crate) fn new(rt: Rc<RefCell<Runtime>>, id: u32) -> HttpSession {
        HttpSession {
            rt,
            id,
            finished: false,
        }
    }

    /// The context id the plugin sees.
    pub fn id(&self) -> u32 {
        self.id
    }

    fn read<T>(&self, f: impl FnOnce(&Stream) -> T) -> T {
        let rt = self.rt.borrow();
        match rt.state().streams.get(&self.id) {
            Some(st) => f(st),
            None => f(&Stream::default()),
        }
    }

    /// `proxy_on_request_headers(ctx, n, end_of_stream)`. Header names are lowercased.
    pub fn request_headers(&mut self, headers: &[(&str, &str)], end_of_stream: bool) -> Action {
        self.rt
            .borrow_mut()
            .headers(self.id, true, owned(headers), end_of_stream)
    }

    /// `proxy_on_request_body(ctx, buffered_size, end_of_stream)` after appending `chunk` to the
    /// buffered bytes. While the plugin holds the headers (Pause there), the chunk is queued
    /// and no callback runs (Envoy), and `Pause` is returned.
    pub fn request_body(&mut self, chunk: &[u8], end_of_stream: bool) -> Action {
        self.rt
            .borrow_mut()
            .body(self.id, true, chunk, end_of_stream)
    }

    /// `proxy_on_request_trailers`; trailers end the body. Kong profile: not delivered, an
    /// empty end-of-stream body chunk instead.
    pub fn request_trailers(&mut self, trailers: &[(&str, &str)]) -> Action {
        self.rt
            .borrow_mut()
            .trailers(self.id, true, owned(trailers))
    }

    pub fn response_headers(&mut self, headers: &[(&str, &str)], end_of_stream: bool) -> Action {
        self.rt
            .borrow_mut()
            .headers(self.id, false, owned(headers), end_of_stream)
    }

    pub fn response_body(&mut self, chunk: &[u8], end_of_stream: bool) -> Action {
        self.rt
            .borrow_mut()
            .body(self.id, false, chunk, end_of_stream)
    }

    pub fn response_trailers(&mut self, trailers: &[(&str, &str)]) -> Action {
        self.rt
            .borrow_mut()
            .trailers(self.id, false, owned(trailers))
    }

    /// Ends the stream: `proxy_on_log`, `proxy_on_done`, `proxy_on_delete` (once).
    pub fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.rt.borrow_mut().finish(self.id);
        }
    }

    pub fn local_reply(&self) -> Option<LocalReply> {
        self.read(|st| st.local_reply.clone())
    }

    /// Request headers as they went upstream (empty while held or never released).
    pub fn request_headers_out(&self) -> Vec<(String, String)> {
        self.read(|st| {
            if st.request.headers_released {
                st.request.headers.clone()
            } else {
                Vec::new()
            }
        })
    }

    /// Request body bytes released upstream so far.
    pub fn request_body_out(&self) -> Vec<u8> {
        self.read(|st| st.request.body_out.clone())
    }

    /// Response headers as they went to the client (empty while held).
    pub fn response_headers_out(&self) -> Vec<(String, String)> {
        self.read(|st| {
            if st.response.headers_released {
                st.response.headers.clone()
            } else {
                Vec::new()
            }
        })
    }

    pub fn response_body_out(&self) -> Vec<u8> {
        self.read(|st| st.response.body_out.clone())
    }

    /// The whole request went upstream: headers released, no body bytes held.
    pub(crate) fn request_sent(&self) -> bool {
        self.read(|st| {
            st.request.headers_released && !st.request.body_held && st.request.buffered.is_empty()
        })
    }

    /// A request that went upstream completely with a `content-length` that does not match
    /// its (rewritten) body: Envoy would truncate it or leave the upstream waiting.
    pub fn request_framing_error(&self) -> Option<String> {
        self.read(|st| st.request.framing_error())
    }

    /// Same for the response sent to the client.
    pub fn response_framing_error(&self) -> Option<String> {
        self.read(|st| st.response.framing_error())
    }

    /// The plugin called `proxy_continue_stream`.
    pub fn continued(&self) -> bool {
        self.read(|st| st.continued)
    }

    /// The trap that ended this stream (or "VM failed earlier: ..." when a previous one did).
    pub fn trap(&self) -> Option<String> {
        self.read(|st| st.trap.clone())
    }

    /// The stream was reset: a local reply after the response headers went out, or
    /// `proxy_close_stream`.
    pub fn reset(&self) -> bool {
        self.read(|st| st.reset)
    }

    /// No further callbacks run (local reply, close, trap).
    pub fn ended(&self) -> bool {
        self.read(|st| st.ended)
    }

    /// Fuel per callback in call order (`request_headers`, `request_body`, ...).
    pub fn fuel(&self) -> Vec<(String, u64)> {
        self.read(|st| st.fuel.clone())
    }

    pub fn total_fuel(&self) -> u64 {
        self.read(|st| st.fuel.iter().map(|(_, f)| f).sum())
    }
}

impl Drop for HttpSession {
    fn drop(&mut self) {
        if !self.finished {
            if let Ok(mut rt) = self.rt.try_borrow_mut() {
                self.finished = true;
                rt.finish(self.id);
            }
        }
    }
}
