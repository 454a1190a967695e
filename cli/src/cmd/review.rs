//! `harness review serve|list|mark`: a local review queue for flagged verdicts (the receiver
//! of the review webhook; store: a JSON Lines file).

use crate::review::{Decision, Item, ReviewServer, ServerOptions, Status, Store};
use anyhow::{bail, Context, Result};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub const USAGE: &str =
    "usage: harness review serve [--db FILE] [--port P] [--host IP] [--capture-text]
       harness review list  [--db FILE] [--status open|allow|deny|all] [--json]
       harness review mark  [--db FILE] ID allow|deny
--db defaults to $GUARDRAIL_REVIEW_DB, else ./guardrail-review.jsonl";

struct Args {
    db: PathBuf,
    port: u16,
    host: IpAddr,
    capture_text: bool,
    status: Option<Status>,
    json: bool,
    rest: Vec<String>,
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut out = Args {
        db: std::env::var_os("GUARDRAIL_REVIEW_DB")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("guardrail-review.jsonl")),
        port: 8787,
        host: IpAddr::from([127, 0, 0, 1]),
        capture_text: false,
        status: None,
        json: false,
        rest: Vec::new(),
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--db" => out.db = PathBuf::from(value()?),
            "--port" => out.port = value()?.parse().context("--port: a port number")?,
            "--host" => out.host = value()?.parse().context("--host: an IP address")?,
            "--capture-text" => out.capture_text = true,
            "--json" => out.json = true,
            "--status" => {
                out.status = match value()?.as_str() {
                    "all" => None,
                    s => Some(Status::parse(s).context("--status: open, allow, deny or all")?),
                }
            }
            other if other.starts_with("--") => bail!("unknown option {other}\n{USAGE}"),
            _ => out.rest.push(arg),
        }
    }
    Ok(out)
}

pub fn run(args: Vec<String>) -> Result<u8> {
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return Ok(2);
    };
    let a = parse(rest.to_vec())?;
    let store = Store::open(&a.db)?;
    match cmd.as_str() {
        "serve" => {
            let addr = SocketAddr::new(a.host, a.port);
            let options = ServerOptions {
                capture_text: a.capture_text,
            };
            let server = ReviewServer::start(store, addr, options)
                .with_context(|| format!("binding {addr}"))?;
            println!(
                "review receiver on http://{}/review, store {} (prompt capture {}); Ctrl-C stops",
                server.addr(),
                a.db.display(),
                if a.capture_text { "ON" } else { "off" }
            );
            loop {
                std::thread::park(); // the server thread does the work; Ctrl-C ends the process
            }
        }
        "list" => {
            let items = store.list(a.status)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                print!("{}", table(&items));
            }
            Ok(0)
        }
        "mark" => {
            let [id, decision] = a.rest.as_slice() else {
                bail!("mark needs ID and allow|deny\n{USAGE}");
            };
            let id: u64 = id
                .parse()
                .context("ID: a number from `harness review list`")?;
            let decision = Decision::parse(decision).context("decision: allow or deny")?;
            let item = store.mark(id, decision)?;
            println!("{} -> {}", item.id, item.status.name());
            Ok(0)
        }
        other => {
            eprintln!("unknown review command {other}\n{USAGE}");
            Ok(2)
        }
    }
}

/// One line per item: id, status, plugin, verdict, score, key, rules, request id.
pub fn table(items: &[Item]) -> String {
    let mut out = format!(
        "{:>5}  {:<6} {:<18} {:<7} {:>5}  {:<14} {:<28} {}\n",
        "id", "status", "plugin", "verdict", "score", "key", "rules", "request_id"
    );
    for i in items {
        let s = &i.submission;
        out.push_str(&format!(
            "{:>5}  {:<6} {:<18} {:<7} {:>5.2}  {:<14} {:<28} {}\n",
            i.id,
            i.status.name(),
            s.plugin,
            s.verdict,
            s.score,
            s.key_id.as_deref().unwrap_or("-"),
            s.rules.join(","),
            s.request_id
        ));
    }
    out
}
