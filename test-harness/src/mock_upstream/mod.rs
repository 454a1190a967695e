//! mock_upstream: an OpenAI/Anthropic/Gemini-compatible mock LLM on loopback that echoes the
//! last user text (or `x-mock-reply`), streams SSE in each provider's shapes, and records
//! every request it receives so tests can assert what reached the "model". It also answers
//! as a review receiver and a prompt classifier (`sidecars`), and as an MCP server on MCP
//! paths (`mcp`: a poisoned tool description, an injected tool result; `x-mock-sse: 1`).
//!
//! Request headers that steer it (for tests and demos):
//! - `x-mock-reply: <text>` the assistant's reply; a value starting with `"` is read as a
//!   JSON string literal, so any text (newlines, non-ASCII via `\u` escapes) can be sent;
//!   `@system` makes a model that leaks its instructions (the reply repeats the system prompt).
//! - `x-mock-status: <code>` answer with that status and an error body in the provider's shape.
//! - `x-mock-delta-chars: <n>` characters per streamed delta (default 3).
//! - `x-mock-tool-call: {"name": .., "arguments": {..}}` the model calls that tool (OpenAI
//!   chat, Anthropic; streamed or not) instead of writing text (`tool_call`).
//! - `x-mock-delay-ms: <n>` pause between streamed events (default 0), so each event leaves
//!   as its own TCP segment.

pub mod mcp;
pub mod provider;
pub mod reply;
pub mod sidecars;
pub mod tool_call;

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use crate::http_client::wire;
use provider::Api;

/// Default characters per streamed delta: small, so deltas split words.
pub const DEFAULT_DELTA_CHARS: usize = 3;
/// Idle keep-alive connections are checked this often for shutdown.
const IDLE_POLL: Duration = Duration::from_millis(300);
/// A request that has started must finish arriving within this.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path with query, as sent.
    pub path: String,
    /// Lower-cased names, wire order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::find_header(&self.headers, name)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

struct Shared {
    recorded: Mutex<Vec<Recorded>>,
    stop: AtomicBool,
    /// TCP connections accepted (the shutdown wake-up excluded).
    connections: AtomicUsize,
    /// Requests whose first byte arrived, complete or not (a proxy that sends the headers
    /// and then resets the request is counted here, never in `recorded`).
    heads: AtomicUsize,
}

impl Shared {
    fn recorded(&self) -> MutexGuard<'_, Vec<Recorded>> {
        // A panicking test thread must not hide the recordings from the others.
        self.recorded.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running mock upstream; stops accepting on Drop.
pub struct MockUpstream {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl MockUpstream {
    /// Starts on a free loopback port.
    pub fn start() -> io::Result<MockUpstream> {
        MockUpstream::start_on(0)
    }

    /// Starts on 127.0.0.1:`port` (0 = any free port).
    pub fn start_on(port: u16) -> io::Result<MockUpstream> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            recorded: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            heads: AtomicUsize::new(0),
        });
        let for_thread = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name(format!("mock-upstream-{}", addr.port()))
            .spawn(move || accept_loop(listener, for_thread))?;
        Ok(MockUpstream {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.recorded().clone()
    }

    /// Number of requests received so far.
    pub fn request_count(&self) -> usize {
        self.shared.recorded().len()
    }

    pub fn clear(&self) {
        self.shared.recorded().clear();
    }

    /// TCP connections accepted so far (fresh upstream connections a proxy opened).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Requests that started to arrive so far: any byte of a request head, on any connection,
    /// whether or not the request was then completed (`requests` holds only complete ones).
    /// A request that must never reach the model leaves both this and `connections` as they
    /// were.
    pub fn heads_seen(&self) -> usize {
        self.shared.heads.load(Ordering::SeqCst)
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = conn else { continue };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(&shared);
        let _ = std::thread::Builder::new()
            .name("mock-upstream-conn".into())
            .spawn(move || {
                let _ = serve_connection(stream, &shared);
            });
    }
}

/// Waits for the first byte of the next request; false on EOF, error or shutdown.
fn wait_for_request(reader: &mut BufReader<TcpStream>, shared: &Shared) -> bool {
    loop {
        match reader.fill_buf() {
            Ok(b) => return !b.is_empty(),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if shared.stop.load(Ordering::SeqCst) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        out.set_read_timeout(Some(IDLE_POLL))?;
        if !wait_for_request(&mut reader, shared) {
            return Ok(());
        }
        shared.heads.fetch_add(1, Ordering::SeqCst);
        out.set_read_timeout(Some(REQUEST_READ_TIMEOUT))?;
        let head = match wire::read_head(&mut reader) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(()),
            Err(e) => {
                write_json(
                    &mut out,
                    400,
                    &reply::error_body(None, 400, "mock_bad_http", &e.to_string()),
                    false,
                )?;
                return Ok(());
            }
        };
        let mut parts = head.start_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let version = parts.next().unwrap_or("");
        if head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let body = if head.is_chunked() {
            wire::read_chunked_body(&mut reader)?
        } else {
            wire::read_exact_body(&mut reader, head.content_length()?.unwrap_or(0))?
        };
        let keep_alive = version == "HTTP/1.1"
            && !head
                .header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let rec = Recorded {
            method,
            path,
            headers: head.headers,
            body,
        };
        shared.recorded().push(rec.clone());
        respond(&mut out, &rec, keep_alive)?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Decodes `x-mock-reply`: a JSON string literal when it starts with `"`, else the raw value.
pub fn decode_reply_header(value: &str) -> String {
    if value.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(value) {
            return s;
        }
    }
    value.to_string()
}

fn header_number(rec: &Recorded, name: &str) -> Option<u64> {
    rec.header(name).and_then(|v| v.trim().parse().ok())
}

fn respond(out: &mut TcpStream, rec: &Recorded, keep_alive: bool) -> io::Result<()> {
    let bare_path = rec.path.split('?').next().unwrap_or("");
    if rec.method == "GET" && (bare_path == "/healthz" || bare_path == "/") {
        return write_json(out, 200, &serde_json::json!({"status": "ok"}), keep_alive);
    }
    if rec.method == "POST" {
        if let Some((status, body)) = sidecars::answer(bare_path, &rec.body) {
            return write_json(out, status, &body, keep_alive);
        }
        if guardrail_sdk::format::format_for_path(bare_path) == guardrail_sdk::ApiFormat::Mcp {
            return respond_mcp(out, rec, keep_alive);
        }
    }
    let api = Api::for_path(&rec.path);
    if let Some(status) = header_number(rec, "x-mock-status").filter(|s| (200..600).contains(s)) {
        let msg = format!("mock upstream answered {status} as asked by x-mock-status");
        return write_json(
            out,
            status as u16,
            &reply::error_body(api, status as u16, "mock_status", &msg),
            keep_alive,
        );
    }
    let Some(api) = api else {
        let msg = format!("mock upstream has no route for {bare_path}");
        return write_json(
            out,
            404,
            &reply::error_body(None, 404, "mock_no_route", &msg),
            keep_alive,
        );
    };
    if rec.method != "POST" {
        return write_json(
            out,
            405,
            &reply::error_body(Some(api), 405, "mock_method", "use POST"),
            keep_alive,
        );
    }
    let body: Value = match serde_json::from_slice::<Value>(&rec.body) {
        Ok(v) if v.is_object() => v,
        Ok(_) => {
            let e = reply::error_body(
                Some(api),
                400,
                "mock_bad_json",
                "body must be a JSON object",
            );
            return write_json(out, 400, &e, keep_alive);
        }
        Err(err) => {
            let e = reply::error_body(
                Some(api),
                400,
                "mock_bad_json",
                &format!("invalid JSON body: {err}"),
            );
            return write_json(out, 400, &e, keep_alive);
        }
    };
    let text = match rec.header("x-mock-reply") {
        Some("@system") => format!("My instructions are: {}", provider::system_text(api, &body)),
        Some(v) => decode_reply_header(v),
        None => provider::last_user_text(api, &body),
    };
    let model = provider::model_of(api, &rec.path, &body);
    let answer = reply::Answer {
        api,
        model: &model,
        text: &text,
        prompt_tokens: provider::prompt_tokens(&body),
        inputs: body
            .get("input")
            .and_then(Value::as_array)
            .map_or(1, Vec::len),
        include_usage: body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let call = rec
        .header("x-mock-tool-call")
        .and_then(tool_call::requested);
    if !provider::wants_stream(api, &body) {
        let called = call
            .as_ref()
            .and_then(|(name, args)| tool_call::complete(api, &model, name, args));
        let body = called.unwrap_or_else(|| reply::complete_body(&answer));
        return write_json(out, 200, &body, keep_alive);
    }
    let delta =
        header_number(rec, "x-mock-delta-chars").map_or(DEFAULT_DELTA_CHARS, |n| n as usize);
    let delay = Duration::from_millis(
        header_number(rec, "x-mock-delay-ms")
            .unwrap_or(0)
            .min(5_000),
    );
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
         x-mock-upstream: 1\r\ntransfer-encoding: chunked\r\n{}\r\n",
        connection_header(keep_alive)
    );
    out.write_all(head.as_bytes())?;
    out.flush()?;
    let events = call
        .as_ref()
        .and_then(|(name, args)| tool_call::events(api, &model, name, args, delta))
        .unwrap_or_else(|| reply::stream_events(&answer, delta));
    for ev in events {
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        out.write_all(&wire::encode_chunk(&ev))?;
        out.flush()?;
    }
    out.write_all(&wire::encode_chunk(b""))?;
    out.flush()
}

/// The MCP server mode (`mcp`): JSON, 202, or SSE with `x-mock-sse: 1`.
fn respond_mcp(out: &mut TcpStream, rec: &Recorded, keep_alive: bool) -> io::Result<()> {
    let reply = rec.header("x-mock-reply").map(decode_reply_header);
    let sse = rec.header("x-mock-sse") == Some("1");
    match mcp::answer(&rec.body, reply.as_deref(), sse) {
        mcp::McpAnswer::Json(status, body) => write_json(out, status, &body, keep_alive),
        mcp::McpAnswer::Accepted => {
            let head = format!(
                "HTTP/1.1 202 Accepted\r\nx-mock-upstream: 1\r\ncontent-length: 0\r\n{}\r\n",
                connection_header(keep_alive)
            );
            out.write_all(head.as_bytes())?;
            out.flush()
        }
        mcp::McpAnswer::Sse(events) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
                 x-mock-upstream: 1\r\ntransfer-encoding: chunked\r\n{}\r\n",
                connection_header(keep_alive)
            );
            out.write_all(head.as_bytes())?;
            for (i, ev) in events.iter().enumerate() {
                let event = format!("event: message\nid: {}\ndata: {ev}\n\n", i + 1);
                out.write_all(&wire::encode_chunk(event.as_bytes()))?;
                out.flush()?;
            }
            out.write_all(&wire::encode_chunk(b""))?;
            out.flush()
        }
    }
}

fn connection_header(keep_alive: bool) -> &'static str {
    if keep_alive {
        ""
    } else {
        "connection: close\r\n"
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Mock",
    }
}

fn write_json(out: &mut TcpStream, status: u16, body: &Value, keep_alive: bool) -> io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\nx-mock-upstream: 1\r\n\
         content-length: {}\r\n{}\r\n",
        reason(status),
        body.len(),
        connection_header(keep_alive)
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests;
