//! `guardrail demo`: starts the mock upstream and the example gateway on free ports, runs
//! `examples/demo/*.json` in name order, shows each request, response, what the upstream
//! received and the plugins' verdicts, checks the expectations and exits non-zero on a miss.

pub mod review;
pub mod scenario;
pub mod show;

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

use guardrail_harness::envoy::{gateway, LogTail};
use guardrail_harness::hosts::Gateway;
use guardrail_harness::mock_upstream::provider::{last_user_text, Api};
use guardrail_harness::mock_upstream::MockUpstream;
use scenario::{DemoRequest, Scenario};
use show::{preview, Style};

/// How long to wait for the proxy to write a request's access-log line (Envoy flushes every
/// 100 ms).
const LOG_WAIT: Duration = Duration::from_secs(5);
const PREVIEW_CHARS: usize = 140;
/// How long `expect_upstream_untouched` waits for bytes already on their way upstream.
const UNTOUCHED_SETTLE: Duration = Duration::from_millis(300);

/// What became of one scenario request.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario file's stem, e.g. `40-pii-redact`.
    pub scenario: String,
    pub request: String,
    /// Not run: the chain lacks a plugin the scenario needs.
    pub skipped: bool,
    /// The expectations it missed (empty: as expected).
    pub misses: Vec<String>,
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
    let root = gateway::cli_root();
    let code = run_in(&root, &args.filters, &mut stdout, color)?;
    // Keeps the review page up until this function returns.
    let _review = review_step(&root, &mut stdout, color)?;
    if color {
        // On a terminal the page stays up until Ctrl-C; piped (scripts, CI) the demo ends here.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst))
            .map_err(|e| anyhow::anyhow!("cannot install the signal handler: {e}"))?;
        say!(stdout, "(the review page stays up until Ctrl-C)");
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(code)
}

/// Feeds the review queue with flagged requests through Envoy (`review::start`), prints what
/// it holds and, last, the review page's URL. The returned stack keeps the page up.
pub fn review_step(
    root: &Path,
    out: &mut dyn Write,
    color: bool,
) -> anyhow::Result<review::ReviewStack> {
    let style = Style::new(color);
    let dir = root.join("target/demo-review");
    let _ = std::fs::remove_dir_all(&dir);
    // The usual review port when it is free, else any.
    let port = match std::net::TcpListener::bind(("127.0.0.1", 8787)) {
        Ok(_) => 8787,
        Err(_) => 0,
    };
    let stack = review::start(
        root,
        &dir,
        ([127, 0, 0, 1], port).into(),
        &root.join("dist"),
    )?;
    say!(out);
    say!(
        out,
        "{}",
        style.bold("== review queue: flagged requests go to the review page")
    );
    let n = stack.send_all()?;
    say!(
        out,
        "{n} flagged items from injection-guard (review) and template-detector (flag), store {}",
        stack.db.display()
    );
    if !color {
        say!(
            out,
            "the page stops with the demo; to reopen it: guardrail review serve --db {} --plugin-config injection-guard={}",
            stack.db.display(),
            stack.injection_guard_config.display()
        );
    }
    say!(
        out,
        "{}",
        style.green(&format!(
            "review page: http://{}/?status=all",
            stack.server.addr()
        ))
    );
    Ok(stack)
}

/// The scenarios of `root/examples/demo` whose file name contains one of `filters` (all when
/// empty), in name order, with their file stems.
pub fn load_scenarios(root: &Path, filters: &[String]) -> anyhow::Result<Vec<(String, Scenario)>> {
    let files = scenario::files(&root.join("examples/demo"))?;
    files
        .iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|a| stem(f).contains(a.as_str())))
        .map(|f| Ok((stem(f), scenario::load(f)?)))
        .collect()
}

/// Runs the scenarios of `root/examples/demo` whose file name contains one of `filters` (all
/// when empty) against the example gateway built from `root`, writing the report to `out`.
pub fn run_in(
    root: &Path,
    filters: &[String],
    out: &mut dyn Write,
    color: bool,
) -> anyhow::Result<u8> {
    let scenarios = load_scenarios(root, filters)?;
    let style = Style::new(color);
    let stack = gateway::start_stack(root, 0, 0, 0)?;
    let outcomes = run_scenarios(
        &stack.envoy,
        &stack.upstream,
        &stack.chain,
        &scenarios,
        out,
        &style,
    );
    Ok(summarize(&outcomes, out, &style))
}

/// Sends every request of `scenarios` through `gw` (the chain `chain` in front of `upstream`),
/// printing each; a scenario needing a plugin outside the chain is skipped.
pub fn run_scenarios(
    gw: &dyn Gateway,
    upstream: &MockUpstream,
    chain: &[String],
    scenarios: &[(String, Scenario)],
    out: &mut dyn Write,
    style: &Style,
) -> Vec<Outcome> {
    let shown = if chain.is_empty() {
        "(no plugins)".into()
    } else {
        chain.join(" -> ")
    };
    say!(
        out,
        "{}",
        style.bold(&format!(
            "{} http://{}  chain: {shown}",
            gw.label(),
            gw.addr()
        ))
    );
    say!(
        out,
        "{}",
        style.dim(&format!("mock upstream http://{}", upstream.addr()))
    );
    let mut outcomes = Vec::new();
    for (name, sc) in scenarios {
        say!(out);
        let missing: Vec<&str> = sc
            .needs
            .iter()
            .filter(|n| !chain.contains(n))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            say!(
                out,
                "{}",
                style.yellow(&format!(
                    "skip {name}: {} (needs {}, not in the chain)",
                    sc.title,
                    missing.join(", ")
                ))
            );
            outcomes.extend(sc.requests.iter().map(|r| Outcome {
                scenario: name.clone(),
                request: r.name.clone(),
                skipped: true,
                misses: Vec::new(),
            }));
            continue;
        }
        say!(out, "{}", style.bold(&format!("== {name}: {}", sc.title)));
        for (i, req) in sc.requests.iter().enumerate() {
            let rid = format!("demo-{name}-{}", i + 1);
            let misses = match run_request(gw, upstream, req, &rid, style, out) {
                Ok(m) => m,
                Err(e) => vec![e.to_string()],
            };
            outcomes.push(Outcome {
                scenario: name.clone(),
                request: req.name.clone(),
                skipped: false,
                misses,
            });
        }
    }
    outcomes
}

/// Prints the closing line (and every miss); the exit code: 0 when nothing missed.
pub fn summarize(outcomes: &[Outcome], out: &mut dyn Write, style: &Style) -> u8 {
    let passed = outcomes
        .iter()
        .filter(|o| !o.skipped && o.misses.is_empty())
        .count();
    let failed: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.misses
                .iter()
                .map(move |m| format!("{} / {}: {m}", o.scenario, o.request))
        })
        .collect();
    let mut skipped: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.skipped)
        .map(|o| o.scenario.as_str())
        .collect();
    skipped.dedup();
    say!(out);
    let summary = format!(
        "{passed} requests passed, {} failed, {} scenarios skipped",
        failed.len(),
        skipped.len()
    );
    if failed.is_empty() {
        say!(out, "{}", style.green(&summary));
        0
    } else {
        say!(out, "{}", style.red(&summary));
        for f in &failed {
            say!(out, "{}", style.red(&format!("  ✘ {f}")));
        }
        1
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Sends one request, prints what happened, returns the expectations it missed.
fn run_request(
    gw: &dyn Gateway,
    upstream: &MockUpstream,
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
    let mut log = LogTail::from_end(gw.log_path());
    let before = upstream.request_count();
    let touched_before = (upstream.connections(), upstream.heads_seen());

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
    let (resp, cut) = gw
        .send(&req.method, &req.path, &headers, body.as_deref())?
        .into_response_or_reset();
    let _ = gw.wait_logged(rid, LOG_WAIT);

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
    if req.expect_upstream_untouched {
        // Bytes the proxy had already sent upstream would have arrived by now.
        std::thread::sleep(UNTOUCHED_SETTLE);
    }
    let touched = (
        upstream.connections().saturating_sub(touched_before.0),
        upstream.heads_seen().saturating_sub(touched_before.1),
    );
    let upstream: Vec<_> = upstream.requests().into_iter().skip(before).collect();
    if upstream.is_empty() {
        let what = match touched {
            (0, 0) => "(nothing reached the model: no connection, no header byte)".to_string(),
            (c, h) => format!(
                "(no complete request reached the model; {c} new connection(s), {h} request(s) started and reset)"
            ),
        };
        say!(out, "   upstream: {}", style.dim(&what));
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
    for p in gw.plugin_entries(&log.new_lines().join("\n")) {
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
    if req.expect_upstream_untouched && touched != (0, 0) {
        misses.push(format!(
            "expected the upstream untouched: {} new connection(s), {} request(s) started",
            touched.0, touched.1
        ));
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
