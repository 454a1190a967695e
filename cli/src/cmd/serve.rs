//! `guardrail serve`: the mock LLM upstream on 127.0.0.1:18080 and Envoy with the example
//! gateway (port `GATEWAY_PORT`, default 10000) in the foreground, printing each request's
//! access-log line and the plugins' verdict lines; SIGINT/SIGTERM stop both.

/// println! that ignores a closed stdout (`guardrail ... | head`): a panic here would abort the
/// release build before Drop stops Envoy, orphaning it.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use guardrail_harness::envoy::{gateway, plugin_entries, LogTail};

fn gateway_port() -> anyhow::Result<u16> {
    match std::env::var("GATEWAY_PORT") {
        Err(_) => Ok(gateway::GATEWAY_PORT),
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("GATEWAY_PORT={v:?} is not a port number")),
    }
}

/// No options; the environment variable GATEWAY_PORT (default 10000) sets the gateway's port.
#[derive(Debug, clap::Args)]
#[command(after_help = "Environment: GATEWAY_PORT=10000 (the gateway's port).")]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<u8> {
    let root = gateway::cli_root();
    let port = gateway_port()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow::anyhow!("cannot install the signal handler: {e}"))?;
    let mut stack = gateway::start_stack(&root, port, gateway::ADMIN_PORT, gateway::UPSTREAM_PORT)?;
    let chain = if stack.chain.is_empty() {
        "(no plugins)".to_string()
    } else {
        stack.chain.join(" -> ")
    };
    say!(
        "mock LLM upstream  http://{}  (echoes the last user text; x-mock-reply sets the reply)",
        stack.upstream.addr()
    );
    say!(
        "gateway (Envoy)    http://{}  chain: {chain}",
        stack.envoy.addr()
    );
    say!("Envoy admin        http://{}", stack.envoy.admin_addr());
    say!("Envoy log          {}", stack.envoy.log_path().display());
    say!(
        "try: curl -s http://{}/v1/chat/completions -H 'authorization: Bearer grw_demo_alpha_7f3a9c1e5b2d4068' \\\n       -H 'content-type: application/json' -d '{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"hello\"}}]}}'",
        stack.envoy.addr()
    );
    say!("Ctrl-C stops both.");
    let mut log = LogTail::from_end(stack.envoy.log_path());
    let mut access = LogTail::from_end(stack.envoy.access_log_path());
    loop {
        for p in plugin_entries(&log.new_lines().join("\n")) {
            say!("  {:<16} {:<5} {}", p.plugin, p.level, p.message);
        }
        for line in access.new_lines() {
            say!("  access  {line}");
        }
        if stop.load(Ordering::SeqCst) {
            say!("stopping Envoy and the mock upstream");
            stack.envoy.stop();
            return Ok(0);
        }
        if let Some(status) = stack.envoy.try_wait()? {
            eprintln!(
                "Envoy exited ({status}); its log is at {}",
                stack.envoy.log_path().display()
            );
            return Ok(1);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
