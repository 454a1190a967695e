//! `harness review serve|list|mark|purge`: the review queue for flagged verdicts (store,
//! webhook receiver and review page: the `guardrail-review` crate).

use anyhow::{bail, Context, Result};
use guardrail_review::proposal::Thresholds;
use guardrail_review::{
    Decision, Filter, Item, PluginConfig, ReviewServer, ServerOptions, Status, Store, Validator,
};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub const USAGE: &str =
    "usage: harness review serve [--db FILE] [--port P] [--host IP] [--capture-text]
                           [--retain-days N] [--plugin-config PLUGIN=FILE]...
                           [--min-decisions N] [--fp-rate R] [--allow-host NAME[:PORT]]...
       harness review list  [--db FILE] [--status open|attack|false_positive|all] [--json]
       harness review mark  [--db FILE] [--note TEXT] ID attack|false_positive
       harness review purge [--db FILE] --days N
--db defaults to $GUARDRAIL_REVIEW_DB, else ./guardrail-review.sqlite; --host 127.0.0.1 and
--port 8787 by default. --plugin-config names a plugin's JSON config the page proposes changes
to (checked with the plugin's own parser; injection-guard is supported).";

struct Args {
    db: PathBuf,
    port: u16,
    host: IpAddr,
    options: ServerOptions,
    status: Option<Status>,
    json: bool,
    note: Option<String>,
    days: Option<u64>,
    rest: Vec<String>,
}

/// The config parser of a plugin the page may propose changes to.
fn validator(plugin: &str) -> Result<Validator> {
    match plugin {
        "injection-guard" => Ok(Arc::new(|text: &str| {
            injection_guard::config::Config::from_json(text.as_bytes()).map(|_| ())
        })),
        other => bail!("--plugin-config: no proposals for {other} (supported: injection-guard)"),
    }
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut out = Args {
        db: std::env::var_os("GUARDRAIL_REVIEW_DB")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("guardrail-review.sqlite")),
        port: 8787,
        host: IpAddr::from([127, 0, 0, 1]),
        options: ServerOptions::default(),
        status: Some(Status::Open),
        json: false,
        note: None,
        days: None,
        rest: Vec::new(),
    };
    let mut thresholds = Thresholds::default();
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
            "--capture-text" => out.options.capture_text = true,
            "--retain-days" => {
                out.options.retain_days =
                    Some(value()?.parse().context("--retain-days: a whole number")?)
            }
            "--plugin-config" => {
                let v = value()?;
                let (plugin, path) = v.split_once('=').context("--plugin-config: PLUGIN=FILE")?;
                out.options.plugin_configs.push(PluginConfig {
                    plugin: plugin.to_string(),
                    path: PathBuf::from(path),
                    validate: validator(plugin)?,
                });
            }
            "--min-decisions" => {
                thresholds.min_decisions = value()?
                    .parse()
                    .context("--min-decisions: a whole number")?
            }
            "--fp-rate" => {
                let r: f64 = value()?.parse().context("--fp-rate: a number in (0, 1]")?;
                if !(r > 0.0 && r <= 1.0) {
                    bail!("--fp-rate: a number in (0, 1]");
                }
                thresholds.false_positive_rate = r;
            }
            "--allow-host" => out.options.allowed_hosts.push(value()?),
            "--json" => out.json = true,
            "--note" => out.note = Some(value()?),
            "--days" => out.days = Some(value()?.parse().context("--days: a whole number")?),
            "--status" => {
                out.status = match value()?.as_str() {
                    "all" => None,
                    s => Some(
                        Status::parse(s)
                            .context("--status: open, attack, false_positive or all")?,
                    ),
                }
            }
            other if other.starts_with("--") => bail!("unknown option {other}\n{USAGE}"),
            _ => out.rest.push(arg),
        }
    }
    out.options.thresholds = thresholds;
    Ok(out)
}

/// Starts the review server of `harness review serve` (also used by the demo).
pub fn start(
    db: &std::path::Path,
    addr: SocketAddr,
    options: ServerOptions,
) -> Result<ReviewServer> {
    ReviewServer::start(Store::open(db)?, addr, options)
}

pub fn run(args: Vec<String>) -> Result<u8> {
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return Ok(2);
    };
    let a = parse(rest.to_vec())?;
    match cmd.as_str() {
        "serve" => {
            let capture = a.options.capture_text;
            let server = start(&a.db, SocketAddr::new(a.host, a.port), a.options)?;
            println!(
                "review page on http://{0}/ (webhook: POST http://{0}/review), store {1} (prompt capture {2}); Ctrl-C stops",
                server.addr(),
                a.db.display(),
                if capture { "ON" } else { "off" }
            );
            server.wait();
            Ok(0)
        }
        "list" => {
            let store = Store::open(&a.db)?;
            let items = store.list(&Filter {
                status: a.status,
                limit: usize::MAX >> 1,
                ..Filter::default()
            })?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                print!("{}", table(&items));
            }
            Ok(0)
        }
        "mark" => {
            let [id, decision] = a.rest.as_slice() else {
                bail!("mark needs ID and attack|false_positive\n{USAGE}");
            };
            let id: u64 = id
                .parse()
                .context("ID: a number from `harness review list`")?;
            let decision =
                Decision::parse(decision).context("decision: attack or false_positive")?;
            let item = Store::open(&a.db)?.decide(id, decision, a.note.as_deref())?;
            println!("{} -> {}", item.id, item.status.name());
            Ok(0)
        }
        "purge" => {
            let days = a.days.context("purge needs --days N")?;
            let cutoff = guardrail_review::store::now_unix().saturating_sub(days * 86_400);
            let n = Store::open(&a.db)?.purge(cutoff)?;
            println!("purged {n} item(s) received more than {days} day(s) ago");
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
        "{:>5}  {:<14} {:<18} {:<7} {:>5}  {:<14} {:<28} {}\n",
        "id", "status", "plugin", "verdict", "score", "key", "rules", "request_id"
    );
    for i in items {
        let s = &i.submission;
        out.push_str(&format!(
            "{:>5}  {:<14} {:<18} {:<7} {:>5.2}  {:<14} {:<28} {}\n",
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
