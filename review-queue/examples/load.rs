//! The review queue's figures for its README: `cargo run --release -p guardrail-review --example
//! load [-- ITEMS POSTERS]` (default 4000 items from 8 parallel posters, like 8 gateways).
//! Starts a server on loopback with a fresh store, posts the items over real sockets (one
//! connection per item, as a plugin's webhook does), then times the queue page and the API
//! over the full store and reports the store's size per item. Prints a Markdown table.

use guardrail_review::{Filter, ReviewServer, ServerOptions, Store};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One request; the status and the body length.
fn send(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, usize)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, raw.len()))
}

fn submission(poster: usize, n: usize) -> Vec<u8> {
    let rules = [
        "override.ignore_previous",
        "extraction.system_prompt",
        "template.term",
    ];
    let rule = rules
        .get(n % rules.len())
        .copied()
        .unwrap_or("template.term");
    serde_json::json!({
        "request_id": format!("load-{poster}-{n}"), "plugin": "injection-guard",
        "verdict": "review", "rules": [rule, "model.ngram"], "score": 0.81,
        "segments": ["messages[1].content"], "key_id": format!("key-{}", n % 50),
        "team": format!("team-{}", n % 5), "app": format!("app-{}", n % 10),
        "evidence": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    })
    .to_string()
    .into_bytes()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Median of `runs` timings of `GET path`, in ms.
fn time_get(addr: SocketAddr, path: &str, runs: usize) -> anyhow::Result<(f64, usize)> {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let (status, len) = send(addr, "GET", path, b"")?;
        anyhow::ensure!(status == 200, "GET {path}: {status}");
        times.push(t.elapsed());
        bytes = len;
    }
    times.sort();
    Ok((percentile(&times, 0.5), bytes))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let items = args.first().copied().unwrap_or(4000);
    let posters = args.get(1).copied().unwrap_or(8).max(1);
    let dir = std::env::temp_dir().join(format!("guardrail-review-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("load.sqlite");
    let server = ReviewServer::start(
        Store::open(&db)?,
        ([127, 0, 0, 1], 0).into(),
        ServerOptions::default(),
    )?;
    let addr = server.addr();

    let started = Instant::now();
    let per = items / posters;
    let threads: Vec<_> = (0..posters)
        .map(|p| {
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let mut lat = Vec::with_capacity(per);
                for n in 0..per {
                    let t = Instant::now();
                    let (status, _) = send(addr, "POST", "/review", &submission(p, n))?;
                    anyhow::ensure!(status == 201, "post answered {status}");
                    lat.push(t.elapsed());
                }
                Ok(lat)
            })
        })
        .collect();
    let mut lat = Vec::new();
    for t in threads {
        lat.extend(
            t.join()
                .map_err(|_| anyhow::anyhow!("a poster panicked"))??,
        );
    }
    let elapsed = started.elapsed();
    lat.sort();
    let stored = Store::open(&db)?
        .list(&Filter {
            status: None,
            limit: usize::MAX >> 1,
            ..Filter::default()
        })?
        .len();
    anyhow::ensure!(stored == lat.len(), "stored {stored} of {}", lat.len());

    let (page_ms, page_bytes) = time_get(addr, "/?status=all", 20)?;
    let (filtered_ms, _) = time_get(addr, "/?status=all&rule=template.term&app=app-3", 20)?;
    let (api_ms, _) = time_get(addr, "/api/items?status=all&limit=100", 20)?;
    let (rules_ms, _) = time_get(addr, "/rules", 20)?;
    drop(server);
    let mut db_bytes = 0u64;
    for ext in ["", "-wal"] {
        db_bytes += std::fs::metadata(format!("{}{ext}", db.display()))
            .map(|m| m.len())
            .unwrap_or(0);
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| webhook posts acknowledged ({posters} parallel posters, {stored} items) | {:.0}/s |",
        stored as f64 / elapsed.as_secs_f64()
    );
    println!(
        "| post latency p50 / p99 | {:.2} / {:.2} ms |",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    println!(
        "| queue page over {stored} items (first page, {} KiB) | {page_ms:.1} ms |",
        page_bytes / 1024
    );
    println!("| queue page filtered by rule and app | {filtered_ms:.1} ms |");
    println!("| `GET /api/items?limit=100` | {api_ms:.1} ms |");
    println!("| rules view (summary and proposals) | {rules_ms:.1} ms |");
    println!(
        "| store size per item (SQLite + WAL) | {:.0} bytes |",
        db_bytes as f64 / stored.max(1) as f64
    );
    Ok(())
}
