//! http_client: a small blocking HTTP/1.1 client for tests and the demo (one request per
//! connection, Content-Length or chunked responses, streamed reading of SSE responses).

pub mod wire;

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use wire::Head;

/// How long a read may block before the request fails (a hung proxy must fail a test, not
/// hang it).
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A test connection: reads time out after `READ_TIMEOUT`, writes go out at once.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lower-cased names, in wire order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::find_header(&self.headers, name)
    }

    /// The body as text (lossy: a test wants to see it even when it is not UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// A response whose body is read chunk by chunk as it arrives (for SSE).
pub struct StreamingResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
    framing: Framing,
}

enum Framing {
    Chunked,
    Length(usize),
    UntilClose,
    Done,
}

impl StreamingResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::find_header(&self.headers, name)
    }

    /// The next piece of body as the server sent it; `Ok(None)` at the end of the body.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        match self.framing {
            Framing::Done => Ok(None),
            Framing::Chunked => {
                let chunk = wire::read_chunk(&mut self.reader)?;
                if chunk.is_none() {
                    self.framing = Framing::Done;
                }
                Ok(chunk)
            }
            Framing::Length(0) => {
                self.framing = Framing::Done;
                Ok(None)
            }
            Framing::Length(left) => {
                let mut buf = vec![0; left.min(16 * 1024)];
                let n = self.reader.read(&mut buf)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed before content-length bytes",
                    ));
                }
                buf.truncate(n);
                self.framing = Framing::Length(left - n);
                Ok(Some(buf))
            }
            Framing::UntilClose => {
                let mut buf = vec![0; 16 * 1024];
                let n = self.reader.read(&mut buf)?;
                if n == 0 {
                    self.framing = Framing::Done;
                    return Ok(None);
                }
                buf.truncate(n);
                Ok(Some(buf))
            }
        }
    }

    /// Reads the rest of the body; returns every piece as it arrived.
    pub fn chunks(mut self) -> io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        while let Some(c) = self.next_chunk()? {
            out.push(c);
        }
        Ok(out)
    }

    /// Reads the body until its end or until the connection breaks: the response with the
    /// bytes that arrived, and the error when the stream was cut (e.g. Envoy resetting it
    /// after a plugin blocked a response whose 200 headers had already gone out).
    pub fn into_response_or_reset(mut self) -> (Response, Option<io::Error>) {
        let mut body = Vec::new();
        let error = loop {
            match self.next_chunk() {
                Ok(Some(c)) => body.extend_from_slice(&c),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let (status, headers) = (self.status, std::mem::take(&mut self.headers));
        (
            Response {
                status,
                headers,
                body,
            },
            error,
        )
    }

    /// Reads the rest of the body into one complete response.
    pub fn into_response(self) -> io::Result<Response> {
        let (status, headers) = (self.status, self.headers.clone());
        let body = self.chunks()?.concat();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Sends a request and returns the response once its head has arrived.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> io::Result<StreamingResponse> {
    let mut stream = connect(addr)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    if !has("host") {
        head.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        if !has("content-length") && !has("transfer-encoding") {
            head.push_str(&format!("content-length: {}\r\n", b.len()));
        }
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(b) = body {
        stream.write_all(b)?;
    }
    stream.flush()?;
    read_response_head(BufReader::new(stream), method == "HEAD")
}

/// Sends a request whose body goes out as `transfer-encoding: chunked`, one HTTP chunk per
/// element of `chunks`, pausing `pause` between them so a proxy sees them as separate body
/// callbacks (tests of split-body handling). Returns once the response head arrived.
pub fn send_chunked(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    chunks: &[&[u8]],
    pause: Duration,
) -> io::Result<StreamingResponse> {
    send_chunked_with_trailers(addr, method, path, headers, chunks, &[], pause)
}

/// `send_chunked`, then HTTP/1.1 trailer fields after the last chunk: the body then ends with
/// the trailers, never with an end-of-stream body callback (the request-trailers bypass that
/// proxy-wasm plugins must handle).
pub fn send_chunked_with_trailers(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    chunks: &[&[u8]],
    trailers: &[(&str, &str)],
    pause: Duration,
) -> io::Result<StreamingResponse> {
    let mut stream = connect(addr)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    for c in chunks.iter().filter(|c| !c.is_empty()) {
        stream.write_all(&wire::encode_chunk(c))?;
        stream.flush()?;
        std::thread::sleep(pause);
    }
    if trailers.is_empty() {
        stream.write_all(&wire::encode_chunk(b""))?;
    } else {
        let mut last = String::from("0\r\n");
        for (k, v) in trailers {
            last.push_str(&format!("{k}: {v}\r\n"));
        }
        last.push_str("\r\n");
        stream.write_all(last.as_bytes())?;
    }
    stream.flush()?;
    read_response_head(BufReader::new(stream), method == "HEAD")
}

fn read_response_head(
    mut reader: BufReader<TcpStream>,
    is_head_request: bool,
) -> io::Result<StreamingResponse> {
    loop {
        let head = wire::read_head(&mut reader)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a response",
            )
        })?;
        let status = parse_status(&head)?;
        // 1xx (e.g. 100 Continue) precede the real response.
        if (100..200).contains(&status) {
            continue;
        }
        let framing = if is_head_request || status == 204 || status == 304 {
            Framing::Done
        } else if head.is_chunked() {
            Framing::Chunked
        } else if let Some(len) = head.content_length()? {
            Framing::Length(len)
        } else {
            Framing::UntilClose
        };
        return Ok(StreamingResponse {
            status,
            headers: head.headers,
            reader,
            framing,
        });
    }
}

fn parse_status(head: &Head) -> io::Result<u16> {
    let mut parts = head.start_line.split_whitespace();
    let version = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(wire::invalid(format!(
            "not an HTTP/1 status line: {:?}",
            head.start_line
        )));
    }
    code.parse()
        .map_err(|_| wire::invalid(format!("bad status line: {:?}", head.start_line)))
}

/// Sends a request and reads the whole response.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> io::Result<Response> {
    send(addr, method, path, headers, body)?.into_response()
}

/// POST with a body; adds `content-type: application/json` unless a content type is given.
pub fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Response> {
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        all.push(("content-type", "application/json"));
    }
    request(addr, "POST", path, &all, Some(body))
}

pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> io::Result<Response> {
    request(addr, "GET", path, headers, None)
}

/// Splits an SSE body into `(event name, data)` pairs (test helper: LF/CRLF line endings,
/// multi-line data joined with `\n`, comments ignored).
pub fn sse_events(body: &str) -> Vec<(Option<String>, String)> {
    let normalized = body.replace("\r\n", "\n");
    let mut out = Vec::new();
    for block in normalized.split("\n\n") {
        let mut event = None;
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim_start().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if event.is_some() || !data.is_empty() {
            out.push((event, data.join("\n")));
        }
    }
    out
}

/// The text a client reads from an SSE answer: the OpenAI chat `choices[0].delta.content`
/// and Anthropic `delta.text` of each event, concatenated (other events add nothing).
pub fn streamed_text(body: &str) -> String {
    sse_events(body)
        .iter()
        .filter_map(|(_, data)| serde_json::from_str::<serde_json::Value>(data).ok())
        .filter_map(|v| {
            let openai = v.pointer("/choices/0/delta/content");
            let anthropic = v.pointer("/delta/text");
            openai.or(anthropic)?.as_str().map(String::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_cut_mid_body_keeps_status_and_bytes_and_reports_the_cut() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            let _ = wire::read_head(&mut reader);
            let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n";
            s.write_all(head.as_bytes()).expect("write");
        });
        let (resp, cut) = send(addr, "GET", "/", &[], None)
            .expect("head")
            .into_response_or_reset();
        server.join().expect("server");
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"hello");
        assert!(cut.is_some(), "the cut must be reported");
        assert!(
            request(addr, "GET", "/", &[], None).is_err(),
            "nothing listens any more"
        );
    }

    #[test]
    fn sse_events_split_blocks_and_names() {
        let ev = sse_events("event: a\ndata: {\"x\":1}\n\n: comment\n\ndata: [DONE]\r\n\r\n");
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0], (Some("a".to_string()), "{\"x\":1}".to_string()));
        assert_eq!(ev[1], (None, "[DONE]".to_string()));
    }

    #[test]
    fn streamed_text_joins_openai_and_anthropic_deltas() {
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "event: content_block_delta\ndata: {\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
            "data: {\"choices\":[{\"delta\":{}}]}\n\n",
            "data: [DONE]\n\n"
        );
        assert_eq!(streamed_text(body), "Hello");
    }
}
