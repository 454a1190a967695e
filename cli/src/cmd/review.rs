//! `guardrail review serve|list|mark`: a local review queue for flagged verdicts (the receiver
//! of the review webhook; store: a JSON Lines file).

use crate::review::{Decision, Item, ReviewServer, ServerOptions, Status, Store};
use anyhow::{Context, Result};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The store defaults to $GUARDRAIL_REVIEW_DB, else ./guardrail-review.jsonl."
)]
pub struct Args {
    /// The store (JSON Lines).
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Receive the review webhook (POST /review) and store each submission; Ctrl-C stops.
    Serve {
        /// Port to listen on.
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Keep the prompt text a plugin sends (off: the text is dropped, never stored).
        #[arg(long)]
        capture_text: bool,
    },
    /// List the queue as a table.
    List {
        /// Which items.
        #[arg(long, default_value = "all", value_parser = ["open", "allow", "deny", "all"])]
        status: String,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Decide an item.
    Mark {
        /// The item's id (first column of `guardrail review list`).
        id: u64,
        /// The decision.
        #[arg(value_parser = ["allow", "deny"])]
        decision: String,
    },
}

pub fn run(args: Args) -> Result<u8> {
    let db = args.db.unwrap_or_else(|| {
        std::env::var_os("GUARDRAIL_REVIEW_DB")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("guardrail-review.jsonl"))
    });
    let store = Store::open(&db)?;
    match args.action {
        Action::Serve {
            port,
            host,
            capture_text,
        } => {
            let addr = SocketAddr::new(host, port);
            let server = ReviewServer::start(store, addr, ServerOptions { capture_text })
                .with_context(|| format!("binding {addr}"))?;
            println!(
                "review receiver on http://{}/review, store {} (prompt capture {}); Ctrl-C stops",
                server.addr(),
                db.display(),
                if capture_text { "ON" } else { "off" }
            );
            loop {
                std::thread::park(); // the server thread does the work; Ctrl-C ends the process
            }
        }
        Action::List { status, json } => {
            let status = match status.as_str() {
                "all" => None,
                s => Some(Status::parse(s).context("--status: open, allow, deny or all")?),
            };
            let items = store.list(status)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                print!("{}", table(&items));
            }
            Ok(0)
        }
        Action::Mark { id, decision } => {
            let decision = Decision::parse(&decision).context("decision: allow or deny")?;
            let item = store.mark(id, decision)?;
            println!("{} -> {}", item.id, item.status.name());
            Ok(0)
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
