//! upstream: a lean LLM upstream for the benchmark. It reads each request (Content-Length or
//! chunked body) and answers with one fixed OpenAI chat completion, without parsing the JSON
//! or recording anything. The test mock (`mock_upstream`) parses every body with serde_json
//! and keeps a copy of it; in the dev-profile harness that costs ~100 ms per 1 MiB body and
//! grows with JSON depth, which would dilute every ratio and hide (or fake) adversarial
//! costs. `--upstream mock` switches back to the test mock.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running lean upstream; stops on Drop.
pub struct FastUpstream {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    acceptor: Option<JoinHandle<()>>,
}

impl FastUpstream {
    /// Starts on a free loopback port, answering every request with `reply_body` (JSON).
    pub fn start(reply_body: &str) -> io::Result<FastUpstream> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicU64::new(0));
        let response = Arc::new(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
                reply_body.len(),
                reply_body
            )
            .into_bytes(),
        );
        let (s, n) = (Arc::clone(&stop), Arc::clone(&served));
        let acceptor = std::thread::Builder::new()
            .name("bench-upstream".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if s.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = conn else { continue };
                    let (s2, n2, r2) = (Arc::clone(&s), Arc::clone(&n), Arc::clone(&response));
                    let _ = std::thread::Builder::new()
                        .name("bench-upstream-conn".into())
                        .spawn(move || {
                            let _ = serve(stream, &s2, &n2, &r2);
                        });
                }
            })?;
        Ok(FastUpstream {
            addr,
            stop,
            served,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for FastUpstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    stop: &AtomicBool,
    served: &AtomicU64,
    response: &[u8],
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    let mut out = stream.try_clone()?;
    let mut r = BufReader::with_capacity(64 * 1024, stream);
    let mut line = Vec::with_capacity(256);
    let mut sink = vec![0u8; 64 * 1024];
    loop {
        // Wait for the next request (idle keep-alive: poll the stop flag).
        loop {
            match r.fill_buf() {
                Ok([]) => return Ok(()),
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if stop.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let mut length = 0usize;
        let mut chunked = false;
        let mut first = true;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            let l = line.strip_suffix(b"\n").unwrap_or(&line);
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if l.is_empty() {
                if first {
                    continue;
                }
                break;
            }
            first = false;
            if let Some(colon) = l.iter().position(|&b| b == b':') {
                let (name, value) = l.split_at(colon);
                let value = String::from_utf8_lossy(value.get(1..).unwrap_or_default());
                let value = value.trim();
                if name.eq_ignore_ascii_case(b"content-length") {
                    length = value.parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                    chunked = value.to_ascii_lowercase().contains("chunked");
                } else if name.eq_ignore_ascii_case(b"expect") {
                    out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                }
            }
        }
        if chunked {
            loop {
                line.clear();
                r.read_until(b'\n', &mut line)?;
                let text = String::from_utf8_lossy(&line);
                let size_text = text.trim().split(';').next().unwrap_or("").to_string();
                let size = usize::from_str_radix(&size_text, 16).unwrap_or(0);
                discard(&mut r, &mut sink, size)?;
                line.clear();
                r.read_until(b'\n', &mut line)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            discard(&mut r, &mut sink, length)?;
        }
        out.write_all(response)?;
        served.fetch_add(1, Ordering::Relaxed);
    }
}

fn discard(r: &mut impl Read, sink: &mut [u8], mut n: usize) -> io::Result<()> {
    while n > 0 {
        let want = n.min(sink.len());
        let buf = sink
            .get_mut(..want)
            .ok_or_else(|| io::Error::other("sink"))?;
        r.read_exact(buf)?;
        n -= want;
    }
    Ok(())
}
