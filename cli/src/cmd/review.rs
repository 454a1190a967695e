//! `guardrail review serve|list|mark|purge`: the review queue for flagged verdicts. The store,
//! webhook receiver, review page and config proposals are the `guardrail-review` crate
//! (review-queue/); this module is its command line.

use anyhow::{Context, Result};
use guardrail_review::proposal::Thresholds;
use guardrail_review::{
    Decision, Filter, Item, PluginConfig, ReviewServer, ServerOptions, Status, Store, Validator,
};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The store defaults to $GUARDRAIL_REVIEW_DB, else ./guardrail-review.sqlite. \
                  Page, store, retention and what is stored: docs/DEPLOYMENT.md \"Review queue\"."
)]
pub struct Args {
    /// The store (SQLite; created and migrated on open).
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Serve the review page and receive the review webhook (POST /review); Ctrl-C stops.
    Serve(ServeArgs),
    /// List the queue as a table.
    List {
        /// Which items.
        #[arg(long, default_value = "open", value_parser = ["open", "attack", "false_positive", "all"])]
        status: String,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Decide an item.
    Mark {
        /// The reviewer's note, kept with the decision.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// The item's id (first column of `guardrail review list`).
        id: u64,
        /// The decision.
        #[arg(value_parser = ["attack", "false_positive"])]
        decision: String,
    },
    /// Delete the items received more than N days ago (with their decisions).
    Purge {
        /// Age in days.
        #[arg(long, value_name = "N")]
        days: u64,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Address to listen on (anything but loopback needs an authenticating proxy in front).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Keep the prompt text a plugin sends (off: the text is dropped, never stored).
    #[arg(long)]
    pub capture_text: bool,
    /// Delete items older than N days, at start and hourly (default: keep all).
    #[arg(long, value_name = "N")]
    pub retain_days: Option<u64>,
    /// A plugin config the page proposes changes to, checked with the plugin's own parser
    /// (supported: injection-guard). Repeatable.
    #[arg(long, value_name = "PLUGIN=FILE", value_parser = plugin_config)]
    pub plugin_config: Vec<(String, PathBuf)>,
    /// Decisions a rule needs before a change is proposed.
    #[arg(long, value_name = "N", default_value_t = Thresholds::default().min_decisions)]
    pub min_decisions: u64,
    /// False-positive rate (0 < R <= 1) from which an exception is proposed.
    #[arg(long, value_name = "R", default_value_t = Thresholds::default().false_positive_rate, value_parser = fp_rate)]
    pub fp_rate: f64,
    /// Another Host the page answers to (behind a proxy). Repeatable.
    #[arg(long, value_name = "NAME[:PORT]")]
    pub allow_host: Vec<String>,
}

fn plugin_config(v: &str) -> Result<(String, PathBuf), String> {
    let (plugin, path) = v.split_once('=').ok_or("expected PLUGIN=FILE")?;
    validator(plugin)?;
    Ok((plugin.to_string(), PathBuf::from(path)))
}

fn fp_rate(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 1.0 => Ok(r),
        _ => Err("a number in (0, 1]".into()),
    }
}

/// The config parser of a plugin the page may propose changes to.
pub fn validator(plugin: &str) -> Result<Validator, String> {
    match plugin {
        "injection-guard" => Ok(Arc::new(|text: &str| {
            injection_guard::config::Config::from_json(text.as_bytes()).map(|_| ())
        })),
        other => Err(format!(
            "no proposals for {other} (supported: injection-guard)"
        )),
    }
}

impl ServeArgs {
    /// The server options these flags describe.
    pub fn options(&self) -> Result<ServerOptions> {
        let mut plugin_configs = Vec::new();
        for (plugin, path) in &self.plugin_config {
            let validate = validator(plugin).map_err(anyhow::Error::msg)?;
            plugin_configs.push(PluginConfig {
                plugin: plugin.clone(),
                path: path.clone(),
                validate,
            });
        }
        Ok(ServerOptions {
            capture_text: self.capture_text,
            retain_days: self.retain_days,
            plugin_configs,
            thresholds: Thresholds {
                min_decisions: self.min_decisions,
                false_positive_rate: self.fp_rate,
            },
            allowed_hosts: self.allow_host.clone(),
        })
    }
}

/// `--db`, else `$GUARDRAIL_REVIEW_DB`, else `./guardrail-review.sqlite`.
fn store_path(db: Option<PathBuf>) -> PathBuf {
    db.or_else(|| std::env::var_os("GUARDRAIL_REVIEW_DB").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("guardrail-review.sqlite"))
}

/// Starts the review server on the store at `db` (also used by the demo).
pub fn start(db: &Path, addr: SocketAddr, options: ServerOptions) -> Result<ReviewServer> {
    ReviewServer::start(Store::open(db)?, addr, options).with_context(|| format!("serving {addr}"))
}

pub fn run(args: Args) -> Result<u8> {
    let db = store_path(args.db);
    match args.action {
        Action::Serve(s) => {
            let server = start(&db, SocketAddr::new(s.host, s.port), s.options()?)?;
            println!(
                "review page on http://{0}/ (webhook: POST http://{0}/review), store {1} (prompt capture {2}); Ctrl-C stops",
                server.addr(),
                db.display(),
                if s.capture_text { "ON" } else { "off" }
            );
            server.wait();
            Ok(0)
        }
        Action::List { status, json } => {
            let status = match status.as_str() {
                "all" => None,
                s => Some(Status::parse(s).context("--status")?),
            };
            let items = Store::open(&db)?.list(&Filter {
                status,
                limit: usize::MAX >> 1,
                ..Filter::default()
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                print!("{}", table(&items));
            }
            Ok(0)
        }
        Action::Mark { note, id, decision } => {
            let decision = Decision::parse(&decision).context("decision")?;
            let item = Store::open(&db)?.decide(id, decision, note.as_deref())?;
            println!("{} -> {}", item.id, item.status.name());
            Ok(0)
        }
        Action::Purge { days } => {
            let age = days.saturating_mul(86_400);
            let cutoff = guardrail_review::store::now_unix().saturating_sub(age);
            let n = Store::open(&db)?.purge(cutoff)?;
            println!("purged {n} item(s) received more than {days} day(s) ago");
            Ok(0)
        }
    }
}

/// One line per item: id, status, plugin, verdict, score, key, app, rules, request id.
pub fn table(items: &[Item]) -> String {
    let mut out = format!(
        "{:>5}  {:<14} {:<18} {:<7} {:>5}  {:<14} {:<14} {:<28} {}\n",
        "id", "status", "plugin", "verdict", "score", "key", "app", "rules", "request_id"
    );
    for i in items {
        let s = &i.submission;
        out.push_str(&format!(
            "{:>5}  {:<14} {:<18} {:<7} {:>5.2}  {:<14} {:<14} {:<28} {}\n",
            i.id,
            i.status.name(),
            s.plugin,
            s.verdict,
            s.score,
            s.key_id.as_deref().unwrap_or("-"),
            s.app.as_deref().unwrap_or("-"),
            s.rules.join(","),
            s.request_id
        ));
    }
    out
}
