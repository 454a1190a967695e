//! h2: a minimal HTTP/2 client over cleartext with prior knowledge (RFC 9113 §3.3), for tests
//! that need HTTP/2 framing itself: one request on stream 1 whose body goes out as DATA frames,
//! ended either by END_STREAM on the last DATA frame or by a trailers HEADERS frame. Sends at
//! most the default flow-control window, so it never waits for WINDOW_UPDATE. Of the response
//! headers only `:status` is decoded (`hpack.rs`); the body is every DATA frame of stream 1.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::hpack;
use super::wire::invalid;
use super::Response;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;

const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// Defaults of SETTINGS_INITIAL_WINDOW_SIZE and SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2).
const WINDOW: usize = 65_535;
const MAX_FRAME: usize = 16_384;
/// Largest response body read (a test's answers are small).
const MAX_BODY: usize = 8 << 20;
const STREAM: u32 = 1;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = Vec::with_capacity(9 + payload.len());
    f.extend_from_slice(&len.to_be_bytes()[1..]);
    f.push(kind);
    f.push(flags);
    f.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn header_block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut block = Vec::new();
    for (k, v) in fields {
        hpack::encode_literal(&mut block, k, v);
    }
    block
}

struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

fn read_frame(r: &mut impl Read) -> io::Result<Frame> {
    let mut head = [0u8; 9];
    r.read_exact(&mut head)?;
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    if len > MAX_FRAME {
        return Err(invalid(format!(
            "h2: a {len}-byte frame over the default maximum"
        )));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok(Frame {
        kind: head[3],
        flags: head[4],
        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
        payload,
    })
}

/// The frame's content without padding (and, for HEADERS, the priority fields).
fn content(f: &Frame) -> io::Result<&[u8]> {
    let mut p = f.payload.as_slice();
    let mut pad = 0;
    if f.flags & PADDED != 0 && (f.kind == DATA || f.kind == HEADERS) {
        pad = usize::from(*p.first().ok_or_else(|| invalid("h2: empty padded frame"))?);
        p = p.get(1..).unwrap_or_default();
    }
    if f.kind == HEADERS && f.flags & PRIORITY != 0 {
        p = p
            .get(5..)
            .ok_or_else(|| invalid("h2: short priority fields"))?;
    }
    p.get(..p.len().saturating_sub(pad))
        .filter(|_| pad <= p.len())
        .ok_or_else(|| invalid("h2: padding longer than the frame"))
}

/// One HTTP/2 request: `chunks` become DATA frames (split further at the maximum frame size),
/// `pause` apart; with `trailers` the body is ended by a trailers HEADERS frame, without them
/// by END_STREAM on the last DATA frame.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub chunks: &'a [&'a [u8]],
    pub trailers: &'a [(&'a str, &'a str)],
    pub pause: Duration,
}

/// Send `req` on stream 1 of a new connection and read the whole answer.
pub fn send(addr: SocketAddr, req: &Request) -> io::Result<Response> {
    let Request {
        method,
        path,
        headers,
        chunks,
        trailers,
        pause,
    } = *req;
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    if total > WINDOW {
        return Err(invalid(
            "h2: the test client sends at most 65,535 body bytes",
        ));
    }
    let mut stream = super::connect(addr)?;
    let authority = addr.to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        (":method", method),
        (":scheme", "http"),
        (":path", path),
        (":authority", &authority),
    ];
    fields.extend_from_slice(headers);
    let mut out = PREFACE.to_vec();
    out.extend(frame(SETTINGS, 0, 0, &[]));
    let no_body = chunks.iter().all(|c| c.is_empty()) && trailers.is_empty();
    let flags = END_HEADERS | if no_body { END_STREAM } else { 0 };
    out.extend(frame(HEADERS, flags, STREAM, &header_block(&fields)));
    stream.write_all(&out)?;
    let pieces: Vec<&[u8]> = chunks
        .iter()
        .filter(|c| !c.is_empty())
        .flat_map(|c| c.chunks(MAX_FRAME))
        .collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len() && trailers.is_empty();
        let flags = if last { END_STREAM } else { 0 };
        stream.write_all(&frame(DATA, flags, STREAM, piece))?;
        stream.flush()?;
        std::thread::sleep(pause);
    }
    if !trailers.is_empty() {
        let block = header_block(trailers);
        stream.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, STREAM, &block))?;
    } else if pieces.is_empty() && !no_body {
        stream.write_all(&frame(DATA, END_STREAM, STREAM, &[]))?;
    }
    stream.flush()?;
    read_response(&mut stream)
}

fn read_response(stream: &mut TcpStream) -> io::Result<Response> {
    let mut status: Option<u16> = None;
    let mut block: Vec<u8> = Vec::new();
    let mut body = Vec::new();
    loop {
        let f = read_frame(stream)?;
        match f.kind {
            SETTINGS if f.flags & ACK == 0 => stream.write_all(&frame(SETTINGS, ACK, 0, &[]))?,
            PING if f.flags & ACK == 0 => stream.write_all(&frame(PING, ACK, 0, &f.payload))?,
            GOAWAY if status.is_none() => {
                return Err(invalid("h2: GOAWAY before a response"));
            }
            RST_STREAM if f.stream == STREAM => {
                let code = f
                    .payload
                    .get(..4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    format!("h2: stream reset, error code {code:?}"),
                ));
            }
            HEADERS | CONTINUATION if f.stream == STREAM => {
                block.extend_from_slice(content(&f)?);
                if f.flags & END_HEADERS != 0 {
                    if status.is_none() {
                        status = Some(hpack::decode_status(&block)?);
                    }
                    block.clear();
                }
            }
            DATA if f.stream == STREAM => {
                body.extend_from_slice(content(&f)?);
                if body.len() > MAX_BODY {
                    return Err(invalid("h2: response body over the test limit"));
                }
            }
            _ => {}
        }
        if f.stream == STREAM && f.flags & END_STREAM != 0 && (f.kind == DATA || f.kind == HEADERS)
        {
            let status = status.ok_or_else(|| invalid("h2: stream ended without headers"))?;
            return Ok(Response {
                status,
                headers: Vec::new(),
                body,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_nine_byte_header() {
        let f = frame(HEADERS, END_HEADERS, 1, b"abc");
        assert_eq!(f, [0, 0, 3, 1, 4, 0, 0, 0, 1, b'a', b'b', b'c']);
        let back = read_frame(&mut f.as_slice()).unwrap();
        assert_eq!(
            (back.kind, back.flags, back.stream),
            (HEADERS, END_HEADERS, 1)
        );
        assert_eq!(back.payload, b"abc");
    }

    #[test]
    fn padding_and_priority_are_stripped() {
        let padded = Frame {
            kind: DATA,
            flags: PADDED,
            stream: 1,
            payload: vec![2, b'h', b'i', 0, 0],
        };
        assert_eq!(content(&padded).unwrap(), b"hi");
        let prio = Frame {
            kind: HEADERS,
            flags: PRIORITY,
            stream: 1,
            payload: vec![0, 0, 0, 0, 16, 0x88],
        };
        assert_eq!(content(&prio).unwrap(), [0x88]);
        let bad = Frame {
            kind: DATA,
            flags: PADDED,
            stream: 1,
            payload: vec![9, b'x'],
        };
        assert!(content(&bad).is_err());
    }
}
