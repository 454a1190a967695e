//! http: the review server's HTTP/1.1 over hyper. A connection is served by a task on a
//! current-thread tokio runtime; a request's body is read up to [`MAX_BODY`] (larger: 413),
//! then the handler (SQLite, page rendering) runs on tokio's blocking pool. Every answer
//! carries the same security headers.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body accepted (a review submission, a decision form).
pub const MAX_BODY: usize = 256 * 1024;
/// A client has this long to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the handlers see it: head and the whole (bounded) body.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names; a value that is not visible ASCII reads as empty.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of the body, lower-cased, without parameters.
    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    /// Extra headers (e.g. `location`).
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    pub fn html(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
            body: body.into_bytes(),
        }
    }

    pub fn text(status: u16, content_type: &'static str, body: &str) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// 303 See Other to `location` (after a form post).
    pub fn redirect(location: String) -> Response {
        Response {
            status: 303,
            content_type: "text/plain; charset=utf-8",
            headers: vec![("location", location)],
            body: Vec::new(),
        }
    }
}

/// Every answer forbids framing, sniffing, referrers and any script, style or image from
/// elsewhere (the page works offline and never loads a CDN).
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
];

fn to_hyper(r: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() =
        hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = out.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    for (k, v) in SECURITY_HEADERS {
        h.insert(*k, HeaderValue::from_static(v));
    }
    for (k, v) in r.headers {
        // Values are built by the server from validated ids; one that is not a valid header
        // value (a line break) is dropped, never sent.
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append(HeaderName::from_static(k), v);
        }
    }
    out
}

fn error(status: u16, msg: &str) -> Response {
    Response::json(status, &serde_json::json!({"error": msg}))
}

/// Reads the body (at most [`MAX_BODY`]) and hands the request to `handler` on the blocking
/// pool.
async fn serve_one<H>(req: hyper::Request<Incoming>, handler: Arc<H>) -> Response
where
    H: Fn(&Request) -> Response + Send + Sync + 'static,
{
    let (parts, body) = req.into_parts();
    // A declared Content-Length over the limit is refused before any of it is read.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return error(413, "body too large");
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return error(413, "body too large")
        }
        Err(e) => return error(400, &format!("reading the body: {e}")),
    };
    let request = Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body,
    };
    tokio::task::spawn_blocking(move || handler(&request))
        .await
        .unwrap_or_else(|_| error(500, "internal error"))
}

/// Serves `listener` with `handler` until `stop` is set and the listener is woken (a connect);
/// returns then, cancelling open connections.
pub fn serve<H>(listener: TcpListener, stop: Arc<AtomicBool>, handler: H) -> std::io::Result<()>
where
    H: Fn(&Request) -> Response + Send + Sync + 'static,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    listener.set_nonblocking(true)?;
    let handler = Arc::new(handler);
    rt.block_on(accept_loop(listener, stop, handler))?;
    // Handlers still running finish on their own; the server does not wait for them.
    rt.shutdown_background();
    Ok(())
}

async fn accept_loop<H>(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    handler: Arc<H>,
) -> std::io::Result<()>
where
    H: Fn(&Request) -> Response + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::from_std(listener)?;
    loop {
        let accepted = listener.accept().await;
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: let connections close, then go on.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(to_hyper(serve_one(req, handler).await)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
