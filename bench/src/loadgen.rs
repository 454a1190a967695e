//! loadgen: a small HTTP/1.1 load generator on std only. Keep-alive connections over
//! `TcpStream`, one thread each, every request pre-serialised with a Content-Length body.
//! Closed loop (each connection sends its next request as soon as the answer is in) measures
//! saturation throughput; open loop (requests sent on a fixed schedule, latency counted from
//! the *scheduled* send time so a stall is not hidden: no coordinated omission) measures
//! latency at a given rate. Every response's status is checked; only 200s count as ok.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request, serialised once and sent many times.
#[derive(Clone)]
pub struct Request {
    bytes: Arc<Vec<u8>>,
}

impl Request {
    /// A POST with `body` and Content-Length; `headers` are added as given.
    pub fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: bench.local\r\n");
        for (k, v) in headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Request {
            bytes: Arc::new(bytes),
        }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// What a load run observed.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Responses with status 200.
    pub ok: u64,
    /// Responses by status other than 200.
    pub statuses: BTreeMap<u16, u64>,
    /// Connection errors, resets and malformed answers.
    pub io_errors: u64,
    /// Wall time of the measured window.
    pub elapsed: Duration,
    /// Latency of every completed request (any status), microseconds.
    pub latencies_us: Vec<u32>,
}

impl LoadResult {
    pub fn completed(&self) -> u64 {
        self.ok + self.statuses.values().sum::<u64>()
    }

    pub fn errors(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.io_errors
    }

    /// Completed requests per second (all statuses: a config that fails is flagged by its
    /// error count, never reported as fast).
    pub fn rps(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.completed() as f64 / s
        } else {
            0.0
        }
    }

    /// The most frequent non-200 status, if any.
    pub fn main_error_status(&self) -> Option<u16> {
        self.statuses
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(s, _)| *s)
    }

    fn merge(&mut self, other: LoadResult) {
        self.ok += other.ok;
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.io_errors += other.io_errors;
        self.latencies_us.extend(other.latencies_us);
    }
}

/// A keep-alive client connection that reconnects after errors or `connection: close`.
struct Conn {
    addr: SocketAddr,
    stream: Option<(TcpStream, BufReader<TcpStream>)>,
    line: Vec<u8>,
    sink: Vec<u8>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            stream: None,
            line: Vec::with_capacity(256),
            sink: vec![0u8; 64 * 1024],
        }
    }

    fn connect(&mut self) -> io::Result<()> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            let r = BufReader::with_capacity(64 * 1024, s.try_clone()?);
            self.stream = Some((s, r));
        }
        Ok(())
    }

    /// Sends one request and reads its whole answer; the status.
    fn exchange(&mut self, req: &Request) -> io::Result<u16> {
        self.connect()?;
        let result = self.exchange_inner(req);
        match result {
            Ok((status, keep)) => {
                if !keep {
                    self.stream = None;
                }
                Ok(status)
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    fn exchange_inner(&mut self, req: &Request) -> io::Result<(u16, bool)> {
        let Some((w, r)) = self.stream.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "no stream"));
        };
        w.write_all(&req.bytes)?;
        // Status line.
        self.line.clear();
        if r.read_until(b'\n', &mut self.line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        let status = parse_status(&self.line)?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut keep = true;
        loop {
            self.line.clear();
            if r.read_until(b'\n', &mut self.line)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "EOF in head"));
            }
            let l = trim_crlf(&self.line);
            if l.is_empty() {
                break;
            }
            let Some(colon) = l.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, value) = l.split_at(colon);
            let value = std::str::from_utf8(value.get(1..).unwrap_or_default())
                .unwrap_or("")
                .trim();
            if name.eq_ignore_ascii_case(b"content-length") {
                length = value.parse().ok();
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case(b"connection") {
                keep = !value.eq_ignore_ascii_case("close");
            }
        }
        if chunked {
            loop {
                self.line.clear();
                r.read_until(b'\n', &mut self.line)?;
                let size_text = std::str::from_utf8(trim_crlf(&self.line)).unwrap_or("");
                let size_text = size_text.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
                discard(r, &mut self.sink, size)?;
                self.line.clear();
                r.read_until(b'\n', &mut self.line)?; // CRLF after the chunk (or trailers end)
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            discard(r, &mut self.sink, n)?;
        } else {
            // Body until close.
            let mut rest = Vec::new();
            r.read_to_end(&mut rest)?;
            keep = false;
        }
        Ok((status, keep))
    }
}

fn trim_crlf(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn parse_status(line: &[u8]) -> io::Result<u16> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))
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

fn record(res: &mut LoadResult, outcome: io::Result<u16>, started: Instant) {
    match outcome {
        Ok(status) => {
            let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
            res.latencies_us.push(us);
            if status == 200 {
                res.ok += 1;
            } else {
                *res.statuses.entry(status).or_default() += 1;
            }
        }
        Err(_) => {
            res.io_errors += 1;
            // Do not spin on a dead server.
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Sends `count` requests one after the other on one connection (warm-up, single probes).
pub fn sequential(addr: SocketAddr, req: &Request, count: usize) -> LoadResult {
    let mut conn = Conn::new(addr);
    let mut res = LoadResult::default();
    let t0 = Instant::now();
    for _ in 0..count {
        let t = Instant::now();
        let o = conn.exchange(req);
        record(&mut res, o, t);
    }
    res.elapsed = t0.elapsed();
    res
}

/// Closed loop: `connections` connections send back to back for `duration` (after a warm-up
/// of `warmup` that is not counted).
pub fn closed_loop(
    addr: SocketAddr,
    req: &Request,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadResult {
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let handles: Vec<_> = (0..connections.max(1))
        .map(|_| {
            let req = req.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut res = LoadResult::default();
                let _ = conn.connect();
                sleep_until(start);
                loop {
                    let t = Instant::now();
                    if t >= end {
                        break;
                    }
                    let o = conn.exchange(&req);
                    if t >= measure_from {
                        record(&mut res, o, t);
                    }
                }
                res
            })
        })
        .collect();
    join_all(handles, duration)
}

/// Open loop at `rate` requests/s spread over `connections` connections for `duration`
/// (after an unmeasured warm-up). Latency runs from each request's scheduled time.
pub fn open_loop(
    addr: SocketAddr,
    req: &Request,
    rate: f64,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadResult {
    let conns = connections.max(1);
    let per_conn_interval = Duration::from_secs_f64(conns as f64 / rate.max(1.0));
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let handles: Vec<_> = (0..conns)
        .map(|i| {
            let req = req.clone();
            // Stagger the connections evenly inside one interval.
            let offset = per_conn_interval.mul_f64(i as f64 / conns as f64);
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut res = LoadResult::default();
                let _ = conn.connect();
                let mut n: u32 = 0;
                loop {
                    let scheduled = start + offset + per_conn_interval * n;
                    n = n.saturating_add(1);
                    if scheduled >= end {
                        break;
                    }
                    sleep_until(scheduled);
                    let o = conn.exchange(&req);
                    if scheduled >= measure_from {
                        record(&mut res, o, scheduled);
                    }
                }
                res
            })
        })
        .collect();
    join_all(handles, duration)
}

/// Closed loop until `count` requests completed in total (RSS runs).
pub fn fixed_count(addr: SocketAddr, req: &Request, connections: usize, count: u64) -> LoadResult {
    let conns = connections.max(1) as u64;
    let t0 = Instant::now();
    let handles: Vec<_> = (0..conns)
        .map(|i| {
            let req = req.clone();
            let share = count / conns + u64::from(i < count % conns);
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut res = LoadResult::default();
                for _ in 0..share {
                    let t = Instant::now();
                    let o = conn.exchange(&req);
                    record(&mut res, o, t);
                }
                // Latencies are not needed here; keep memory flat.
                res.latencies_us = Vec::new();
                res
            })
        })
        .collect();
    let mut r = join_all(handles, Duration::ZERO);
    r.elapsed = t0.elapsed();
    r
}

fn join_all(handles: Vec<std::thread::JoinHandle<LoadResult>>, elapsed: Duration) -> LoadResult {
    let mut total = LoadResult {
        elapsed,
        ..LoadResult::default()
    };
    for h in handles {
        match h.join() {
            Ok(r) => total.merge(r),
            Err(_) => total.io_errors += 1,
        }
    }
    total
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

/// The `q` quantile (0..=1) of unsorted samples (nearest rank); None when empty.
pub fn quantile_us(samples: &[u32], q: f64) -> Option<u32> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_unstable();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let s: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile_us(&s, 0.5), Some(50));
        assert_eq!(quantile_us(&s, 0.99), Some(99));
        assert_eq!(quantile_us(&s, 1.0), Some(100));
        assert_eq!(quantile_us(&[], 0.5), None);
    }

    #[test]
    fn request_carries_content_length() {
        let r = Request::post("/x", &[("a", "b")], b"hello");
        let text = String::from_utf8(r.bytes.to_vec()).unwrap();
        assert!(text.starts_with("POST /x HTTP/1.1\r\n"));
        assert!(text.contains("a: b\r\n"));
        assert!(text.ends_with("content-length: 5\r\n\r\nhello"));
    }
}
