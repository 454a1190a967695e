//! server: the review receiver. `POST /review` stores a submission (201 {"id"}),
//! `GET /review[?status=open|allow|deny]` lists items, `POST /review/<id>/allow|deny` decides
//! one. Any other path answers 404. One request per connection, handled in order.

use super::http::{read_request, respond, Request};
use super::item::{Decision, Status, Submission};
use super::store::Store;
use serde_json::json;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Receiver options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerOptions {
    /// Keep a submission's `text` (prompt capture). Off by default: text is dropped.
    pub capture_text: bool,
}

/// A receiver running on a background thread; dropping it stops it.
pub struct ReviewServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ReviewServer {
    /// Binds `addr` (port 0 = a free port) and serves in the background.
    pub fn start(
        store: Store,
        addr: SocketAddr,
        options: ServerOptions,
    ) -> io::Result<ReviewServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || serve(&listener, &store, options, &flag));
        Ok(ReviewServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ReviewServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)); // wake accept()
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves until `stop` is set (the CLI never sets it: Ctrl-C ends the process).
pub fn serve(listener: &TcpListener, store: &Store, options: ServerOptions, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = conn else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        handle(&stream, store, options);
    }
}

fn handle(stream: &TcpStream, store: &Store, options: ServerOptions) {
    let req = match read_request(stream) {
        Ok(req) => req,
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            let _ = respond(stream, 413, &json!({"error": "body too large"}));
            drain(stream); // closing with unread bytes would reset the answer away
            return;
        }
        Err(e) => {
            let _ = respond(stream, 400, &json!({"error": e.to_string()}));
            return;
        }
    };
    let (status, body) = route(&req, store, options);
    let _ = respond(stream, status, &body);
}

/// Reads and drops what the client still sends (at most 1 MiB) after an early answer.
fn drain(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = io::copy(&mut io::Read::take(stream, 1024 * 1024), &mut io::sink());
}

fn route(req: &Request, store: &Store, options: ServerOptions) -> (u16, serde_json::Value) {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["review"]) => match Submission::parse(&req.body, options.capture_text) {
            Ok(sub) => match store.add(sub) {
                Ok(id) => (201, json!({"id": id})),
                Err(e) => (500, json!({"error": e.to_string()})),
            },
            Err(reason) => (400, json!({"error": reason})),
        },
        ("GET", ["review"]) => {
            let status = query_value(&req.query, "status");
            let filter = match status.as_deref() {
                None | Some("all") => None,
                Some(s) => match Status::parse(s) {
                    Some(s) => Some(s),
                    None => return (400, json!({"error": "status: open, allow, deny or all"})),
                },
            };
            match store.list(filter) {
                Ok(items) => (200, json!(items)),
                Err(e) => (500, json!({"error": e.to_string()})),
            }
        }
        ("POST", ["review", id, decision]) => {
            let (Ok(id), Some(decision)) = (id.parse::<u64>(), Decision::parse(decision)) else {
                return (404, json!({"error": "use POST /review/<id>/allow|deny"}));
            };
            match store.mark(id, decision) {
                Ok(item) => (200, json!(item)),
                Err(e) => (404, json!({"error": e.to_string()})),
            }
        }
        (_, ["review", ..]) => (405, json!({"error": "method not allowed"})),
        _ => (404, json!({"error": "not a review endpoint"})),
    }
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| v.to_string())
    })
}
