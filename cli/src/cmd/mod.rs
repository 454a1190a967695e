//! Subcommands of the `guardrail` CLI, parsed with clap; each returns the process exit code
//! (0 ok, 1 failure; usage errors are clap's, exit 2).

use std::ffi::OsString;

use clap::{Parser, Subcommand};

pub mod audit;
pub mod demo;
pub mod eval;
pub mod hosts;
pub mod keygen;
pub mod render_gateway;
pub mod review;
pub mod serve;
pub mod train;

/// The operator's tool for the guardrail-wasm plugins: mint keys, audit modules against
/// hosts, run the review queue, the demo gateway and the evaluation.
#[derive(Debug, Parser)]
#[command(name = "guardrail", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mint a key-auth virtual key (or hash one you have) and print its config entry.
    Keygen(keygen::Args),
    /// Check plugin modules' proxy-wasm imports against Envoy, Kong and APISIX.
    Audit(audit::Args),
    /// The review queue for flagged verdicts: the review page and webhook, list, mark, purge.
    Review(review::Args),
    /// Mock LLM upstream and Envoy with every plugin chained, in the foreground.
    Serve(serve::Args),
    /// Start the example gateway on free ports and run the scripted demo requests.
    Demo(demo::Args),
    /// Run a plugin over a labelled JSON Lines data set in the wasmtime host.
    Eval(eval::Args),
    /// Run the demo scenarios through the real Kong/APISIX Wasm hosts (./build.sh hosts).
    Hosts(hosts::Args),
    /// Rebuild injection-guard's n-gram weights from the train half of the shared data.
    Train(train::Args),
    /// Render examples/envoy/gateway.yaml from the plugin configs, or check it is current.
    RenderGateway(render_gateway::Args),
}

impl Command {
    /// The subcommand as typed, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Keygen(_) => "keygen",
            Command::Audit(_) => "audit",
            Command::Review(_) => "review",
            Command::Serve(_) => "serve",
            Command::Demo(_) => "demo",
            Command::Eval(_) => "eval",
            Command::Hosts(_) => "hosts",
            Command::Train(_) => "train",
            Command::RenderGateway(_) => "render-gateway",
        }
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Keygen(a) => keygen::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Review(a) => review::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Hosts(a) => hosts::run(a),
        Command::Train(a) => train::run(a),
        Command::RenderGateway(a) => render_gateway::run(a),
    }
}

/// `guardrail <cmd> <args...>` in-process: a usage error is printed and gives 2, `--help` and
/// `--version` print and give 0, as the binary's exit codes.
pub fn run<I, T>(cmd: &str, args: I) -> anyhow::Result<u8>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv = [OsString::from("guardrail"), OsString::from(cmd)]
        .into_iter()
        .chain(args.into_iter().map(Into::into));
    match Cli::try_parse_from(argv) {
        Ok(cli) => execute(cli),
        Err(e) => {
            let _ = e.print();
            Ok(if e.use_stderr() { 2 } else { 0 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_and_version_exit_zero_usage_errors_two() {
        assert_eq!(run("--help", Vec::<String>::new()).unwrap(), 0);
        assert_eq!(run("keygen", ["--help"]).unwrap(), 0);
        assert_eq!(run("review", ["mark", "--help"]).unwrap(), 0);
        assert_eq!(run("--version", Vec::<String>::new()).unwrap(), 0);
        assert_eq!(run("bogus", Vec::<String>::new()).unwrap(), 2);
        assert_eq!(run("eval", ["--plugin", "x.wasm"]).unwrap(), 2);
    }
}
