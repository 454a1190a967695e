//! HTTP/1.1 wire format shared by the test client and the mock upstream: head parsing,
//! Content-Length and chunked bodies, with size limits so a bad peer cannot exhaust memory.

use std::io::{self, BufRead, Read};

/// Largest request/status line plus headers we accept (Envoy's own default is 60 KiB).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest body we read; far above what any test or demo sends.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The first line and the headers of a message. Header names are lower-cased.
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub start_line: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// True when the body is sent with `Transfer-Encoding: chunked`.
    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    pub fn content_length(&self) -> io::Result<Option<usize>> {
        match self.header("content-length") {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map(Some)
                .map_err(|_| invalid(format!("bad content-length {v:?}"))),
        }
    }
}

/// Case-insensitive header look-up over lower-cased or mixed-case pairs.
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads one CRLF- (or LF-) terminated line without the terminator. `Ok(None)` on clean EOF
/// before any byte.
pub fn read_line(r: &mut impl BufRead, budget: &mut usize) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(invalid("HTTP head too large"));
    }
    *budget -= n;
    if buf.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed mid-line",
        ));
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map_err(|_| invalid("HTTP head is not UTF-8"))
        .map(Some)
}

/// Reads a start line and headers up to the blank line. `Ok(None)` on EOF before a message.
pub fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut budget = MAX_HEAD_BYTES;
    let Some(start_line) = read_line(r, &mut budget)? else {
        return Ok(None);
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(r, &mut budget)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "EOF in headers"))?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("header line without colon: {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Some(Head {
        start_line,
        headers,
    }))
}

/// Reads exactly `len` body bytes.
pub fn read_exact_body(r: &mut impl Read, len: usize) -> io::Result<Vec<u8>> {
    if len > MAX_BODY_BYTES {
        return Err(invalid(format!("body of {len} bytes is over the limit")));
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(body)
}

/// Reads one chunk of a chunked body; `Ok(None)` after the last (zero) chunk and trailers.
pub fn read_chunk(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut budget = MAX_HEAD_BYTES;
    let size_line = read_line(r, &mut budget)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "EOF before chunk size"))?;
    let size_text = size_line.split(';').next().unwrap_or("").trim();
    let size = usize::from_str_radix(size_text, 16)
        .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
    if size == 0 {
        // Trailers (ignored) up to the blank line.
        loop {
            match read_line(r, &mut budget)? {
                Some(l) if !l.is_empty() => continue,
                _ => return Ok(None),
            }
        }
    }
    let data = read_exact_body(r, size)?;
    let mut crlf = [0u8; 2];
    r.read_exact(&mut crlf)?;
    if &crlf != b"\r\n" {
        return Err(invalid("chunk not followed by CRLF"));
    }
    Ok(Some(data))
}

/// Reads a whole chunked body.
pub fn read_chunked_body(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = read_chunk(r)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(invalid("chunked body over the limit"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Encodes one chunk of a chunked body (an empty `data` is the terminating chunk).
pub fn encode_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    if data.is_empty() {
        // "0\r\n\r\n": the zero chunk plus the empty trailer section.
        out.truncate(3);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn reads_head_and_chunked_body() {
        let raw = b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nT: 1\r\n\r\n";
        let mut r = BufReader::new(&raw[..]);
        let head = read_head(&mut r).expect("head").expect("some");
        assert_eq!(head.start_line, "POST /x HTTP/1.1");
        assert!(head.is_chunked());
        assert_eq!(head.header("HOST"), Some("a"));
        assert_eq!(read_chunked_body(&mut r).expect("body"), b"abcde");
    }

    #[test]
    fn encode_chunk_roundtrips() {
        let mut wire = encode_chunk(b"hello");
        wire.extend(encode_chunk(b""));
        assert_eq!(wire, b"5\r\nhello\r\n0\r\n\r\n");
        let mut r = BufReader::new(&wire[..]);
        assert_eq!(read_chunked_body(&mut r).expect("body"), b"hello");
    }

    #[test]
    fn rejects_bad_chunk_size_and_huge_head() {
        let mut r = BufReader::new(&b"zz\r\n"[..]);
        assert!(read_chunk(&mut r).is_err());
        let huge = vec![b'a'; MAX_HEAD_BYTES + 10];
        let mut r = BufReader::new(&huge[..]);
        assert!(read_head(&mut r).is_err());
    }

    #[test]
    fn eof_before_message_is_none() {
        let mut r = BufReader::new(&b""[..]);
        assert!(read_head(&mut r).expect("ok").is_none());
    }
}
