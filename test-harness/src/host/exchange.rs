//! `Host::exchange`: a whole request/response through the plugin in Envoy's callback order,
//! bodies split into `chunk`-byte pieces, stopping where the stream ends.

use super::runtime::Action;
use super::session::HttpSession;
use super::state::{LocalReply, LogLevel};

/// One exchange to run; unset fields are empty. The response phase runs only when
/// `response_headers` is non-empty and the request went upstream completely.
#[derive(Clone, Copy, Debug, Default)]
pub struct Exchange<'a> {
    pub request_headers: &'a [(&'a str, &'a str)],
    pub request_body: &'a [u8],
    /// Body chunk size in bytes; 0 = the whole body in one callback.
    pub chunk: usize,
    /// Request trailers (non-empty: sent after the body, which then has no end_of_stream).
    pub trailers: &'a [(&'a str, &'a str)],
    pub response_headers: &'a [(&'a str, &'a str)],
    pub response_body: &'a [u8],
    pub response_trailers: &'a [(&'a str, &'a str)],
}

/// Everything an exchange produced.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Each callback run (or refused) with what it returned.
    pub actions: Vec<(String, Action)>,
    pub local_reply: Option<LocalReply>,
    pub request_headers_out: Vec<(String, String)>,
    pub request_body_out: Vec<u8>,
    /// The response phase ran (see `Exchange`).
    pub responded: bool,
    pub response_headers_out: Vec<(String, String)>,
    pub response_body_out: Vec<u8>,
    pub continued: bool,
    pub reset: bool,
    /// `content-length` vs body mismatch of what went upstream / downstream (see
    /// `HttpSession::request_framing_error`).
    pub request_framing_error: Option<String>,
    pub response_framing_error: Option<String>,
    pub trap: Option<String>,
    pub fuel: Vec<(String, u64)>,
    pub total_fuel: u64,
    /// Log lines written during this exchange.
    pub logs: Vec<(LogLevel, String)>,
}

impl Outcome {
    /// `Continue` everywhere and no local reply: the plugin let the exchange through.
    pub fn passed(&self) -> bool {
        self.local_reply.is_none()
            && self.trap.is_none()
            && self.request_framing_error.is_none()
            && self.response_framing_error.is_none()
            && self.actions.iter().all(|(_, a)| *a == Action::Continue)
    }
}

fn chunks(body: &[u8], chunk: usize) -> Vec<&[u8]> {
    if chunk == 0 || body.len() <= chunk {
        vec![body]
    } else {
        body.chunks(chunk).collect()
    }
}

/// Sends headers, body chunks and trailers of one direction; false when the stream stopped.
fn direction(
    s: &mut HttpSession,
    out: &mut Outcome,
    request: bool,
    headers: &[(&str, &str)],
    body: &[u8],
    chunk: usize,
    trailers: &[(&str, &str)],
) -> bool {
    let side = if request { "request" } else { "response" };
    let no_body = body.is_empty() && trailers.is_empty();
    let a = if request {
        s.request_headers(headers, no_body)
    } else {
        s.response_headers(headers, no_body)
    };
    out.actions.push((format!("{side}_headers"), a));
    if s.ended() {
        return false;
    }
    if !body.is_empty() {
        let pieces = chunks(body, chunk);
        let last = pieces.len() - 1;
        for (i, piece) in pieces.into_iter().enumerate() {
            let eos = i == last && trailers.is_empty();
            let a = if request {
                s.request_body(piece, eos)
            } else {
                s.response_body(piece, eos)
            };
            out.actions.push((format!("{side}_body"), a));
            if s.ended() {
                return false;
            }
        }
    }
    if !trailers.is_empty() {
        let a = if request {
            s.request_trailers(trailers)
        } else {
            s.response_trailers(trailers)
        };
        out.actions.push((format!("{side}_trailers"), a));
        if s.ended() {
            return false;
        }
    }
    true
}

pub(crate) fn run(mut s: HttpSession, ex: &Exchange<'_>) -> Outcome {
    let mut out = Outcome::default();
    let go_on = direction(
        &mut s,
        &mut out,
        true,
        ex.request_headers,
        ex.request_body,
        ex.chunk,
        ex.trailers,
    );
    let sent_upstream = go_on && s.request_sent();
    if sent_upstream && !ex.response_headers.is_empty() {
        out.responded = true;
        direction(
            &mut s,
            &mut out,
            false,
            ex.response_headers,
            ex.response_body,
            ex.chunk,
            ex.response_trailers,
        );
    }
    s.finish();
    out.local_reply = s.local_reply();
    out.request_headers_out = s.request_headers_out();
    out.request_body_out = s.request_body_out();
    out.response_headers_out = s.response_headers_out();
    out.response_body_out = s.response_body_out();
    out.continued = s.continued();
    out.reset = s.reset();
    out.request_framing_error = s.request_framing_error();
    out.response_framing_error = s.response_framing_error();
    out.trap = s.trap();
    out.fuel = s.fuel();
    out.total_fuel = s.total_fuel();
    out
}
