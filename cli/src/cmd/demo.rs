//! `guardrail demo`: starts the mock upstream and the example gateway on free ports, runs
//! `examples/demo/*.json` in name order, shows each request, response, what the upstream
//! received and the plugins' verdicts, checks the expectations and exits non-zero on a miss.

mod scenario;
mod show;

/// writeln! that ignores a closed output (`guardrail demo | head`): a panic would abort the
/// release build before Drop stops Envoy, orphaning it.
macro_rules! say {
    ($out:expr) => {{
        let _ = writeln!($out);
    }};
    ($out:expr, $($t:tt)*) => {{
        let _ = writeln!($out, $($t)*);
    }};
}

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use guardrail_harness::envoy::{gateway, plugin_entries, LogTail};
use guardrail_harness::mock_upstream::provider::{last_user_text, Api};
use scenario::{DemoRequest, Scenario};
use show::{preview, Style};

/// How long to wait for Envoy to write a request's access-log line (it flushes every 100 ms).
const LOG_WAIT: Duration = Duration::from_secs(5);
const PREVIEW_CHARS: usize = 140;

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
    skipped: usize,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run only the scenarios of examples/demo whose file name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let mut stdout = std::io::stdout();
    let color = stdout.is_terminal();
    run_in(&gateway::cli_root(), &args.filters, &mut stdout, color)
}

/// Runs the scenarios of `root/examples/demo` whose file name contains one of `filters` (all
/// when empty) against the example gateway built from `root`, writing the report to `out`.
pub fn run_in(
    root: &Path,
    filters: &[String],
    out: &mut dyn Write,
    color: bool,
) -> anyhow::Result<u8> {
    let files = scenario::files(&root.join("examples/demo"))?;
    let scenarios: Vec<(String, Scenario)> = files
        .iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|a| stem(f).contains(a.as_str())))
        .map(|f| Ok((stem(f), scenario::load(f)?)))
        .collect::<anyhow::Result<_>>()?;
    let style = Style::new(color);
    let stack = gateway::start_stack(root, 0, 0, 0)?;
    let chain = if stack.chain.is_empty() {
        "(no plugins)".into()
    } else {
        stack.chain.join(" -> ")
    };
    say!(
        out,
        "{}",
        style.bold(&format!(
            "gateway http://{}  chain: {chain}",
            stack.envoy.addr()
        ))
    );
    say!(
        out,
        "{}",
        style.dim(&format!("mock upstream http://{}", stack.upstream.addr()))
    );
    let mut tally = Tally::default();
    for (name, sc) in &scenarios {
        say!(out);
        let missing: Vec<&String> = sc
            .needs
            .iter()
            .filter(|n| !stack.chain.contains(n))
            .collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            say!(
                out,
                "{}",
                style.yellow(&format!(
                    "skip {name}: {} (needs {}, not in the chain)",
                    sc.title,
                    names.join(", ")
                ))
            );
            tally.skipped += 1;
            continue;
        }
        say!(out, "{}", style.bold(&format!("== {name}: {}", sc.title)));
        for (i, req) in sc.requests.iter().enumerate() {
            let rid = format!("demo-{name}-{}", i + 1);
            match run_request(&stack, req, &rid, &style, out) {
                Ok(misses) if misses.is_empty() => tally.passed += 1,
                Ok(misses) => tally.failed.extend(
                    misses
                        .into_iter()
                        .map(|m| format!("{name} / {}: {m}", req.name)),
                ),
                Err(e) => tally.failed.push(format!("{name} / {}: {e}", req.name)),
            }
        }
    }
    say!(out);
    let summary = format!(
        "{} requests passed, {} failed, {} scenarios skipped",
        tally.passed,
        tally.failed.len(),
        tally.skipped
    );
    if tally.failed.is_empty() {
        say!(out, "{}", style.green(&summary));
        Ok(0)
    } else {
        say!(out, "{}", style.red(&summary));
        for f in &tally.failed {
            say!(out, "{}", style.red(&format!("  ✘ {f}")));
        }
        Ok(1)
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Sends one request, prints what happened, returns the expectations it missed.
fn run_request(
    stack: &gateway::Stack,
    req: &DemoRequest,
    rid: &str,
    style: &Style,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<String>> {
    let mut owned: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !req
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("x-request-id"))
    {
        owned.push(("x-request-id".into(), rid.to_string()));
    }
    if let Some(reply) = &req.mock_reply {
        owned.push(("x-mock-reply".into(), scenario::mock_reply_header(reply)));
    }
    if req.body.is_some()
        && !req
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        owned.push(("content-type".into(), "application/json".into()));
    }
    let headers: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = req.body_bytes();
    let mut log = LogTail::from_end(stack.envoy.log_path());
    let before = stack.upstream.request_count();

    say!(out, "{}", style.cyan(&format!("-- {}", req.name)));
    let sent = match (Api::for_path(&req.path), &req.body) {
        (Some(api), Some(v)) => format!(
            "user text: {:?}",
            preview(&last_user_text(api, v), PREVIEW_CHARS)
        ),
        _ => preview(
            &body
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default(),
            PREVIEW_CHARS,
        ),
    };
    say!(out, "   {} {}  {}", req.method, req.path, style.dim(&sent));
    let (resp, cut) = stack
        .envoy
        .send(&req.method, &req.path, &headers, body.as_deref())?
        .into_response_or_reset();
    let _ = stack.envoy.wait_for_access_log(rid, LOG_WAIT);

    let text = resp.text();
    let shown = if resp
        .header("content-type")
        .is_some_and(|c| c.contains("event-stream"))
    {
        show::sse_summary(&text)
    } else {
        preview(&text, PREVIEW_CHARS)
    };
    say!(out, "   <- {}  {}", resp.status, shown);
    if let Some(e) = &cut {
        say!(
            out,
            "   {}",
            style.yellow(&format!("stream cut after the headers ({e})"))
        );
    }
    let upstream: Vec<_> = stack.upstream.requests().into_iter().skip(before).collect();
    if upstream.is_empty() {
        say!(
            out,
            "   upstream: {}",
            style.dim("(nothing reached the model)")
        );
    }
    for u in &upstream {
        let said = Api::for_path(&u.path)
            .zip(u.json().ok())
            .map(|(api, v)| last_user_text(api, &v))
            .unwrap_or_else(|| u.body_text());
        say!(
            out,
            "   upstream got {} {}  user text: {}",
            u.method,
            u.path,
            style.dim(&format!("{:?}", preview(&said, PREVIEW_CHARS)))
        );
    }
    for p in plugin_entries(&log.new_lines().join("\n")) {
        match serde_json::from_str::<Value>(&p.message) {
            Ok(v) if v.get("guardrail").is_some() => {
                if v.get("request_id")
                    .and_then(Value::as_str)
                    .is_none_or(|r| r == rid)
                {
                    say!(out, "   verdict {}", show::verdict_line(&v));
                }
            }
            _ => say!(
                out,
                "   {} [{}] {}",
                style.dim("log"),
                p.plugin,
                preview(&p.message, PREVIEW_CHARS)
            ),
        }
    }

    let upstream_text: String = upstream.iter().map(|u| u.body_text()).collect();
    let mut misses = Vec::new();
    if let Some(want) = req.expect_status {
        if want != resp.status {
            misses.push(format!("expected status {want}, got {}", resp.status));
        }
    }
    match (req.expect_reset, &cut) {
        (true, None) => misses.push("expected the stream to be cut, it completed".to_string()),
        (false, Some(e)) => misses.push(format!("stream was cut mid-body: {e}")),
        _ => {}
    }
    for t in &req.expect_body_contains {
        if !text.contains(t.as_str()) {
            misses.push(format!("response lacks {t:?}"));
        }
    }
    for t in &req.expect_body_not_contains {
        if text.contains(t.as_str()) {
            misses.push(format!("response contains {t:?}"));
        }
    }
    for t in &req.expect_upstream_contains {
        if !upstream_text.contains(t.as_str()) {
            misses.push(format!("upstream body lacks {t:?}"));
        }
    }
    for t in &req.expect_upstream_not_contains {
        if upstream_text.contains(t.as_str()) {
            misses.push(format!("upstream body contains {t:?}"));
        }
    }
    if misses.is_empty() {
        say!(out, "   {}", style.green("✔ as expected"));
    } else {
        for m in &misses {
            say!(out, "   {}", style.red(&format!("✘ {m}")));
        }
    }
    Ok(misses)
}
