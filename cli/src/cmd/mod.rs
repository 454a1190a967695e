//! Subcommands of the `guardrail` CLI. Each returns the process exit code.

pub mod audit;
pub mod demo;
pub mod eval;
pub mod keygen;
pub mod render_gateway;
pub mod review;
pub mod serve;
pub mod train;

pub const USAGE: &str =
    "usage: guardrail <serve|demo|eval|audit|keygen|review|render-gateway|train> [options]";

pub fn run(cmd: &str, args: Vec<String>) -> anyhow::Result<u8> {
    match cmd {
        "serve" => serve::run(args),
        "demo" => demo::run(args),
        "eval" => eval::run(args),
        "audit" => audit::run(args),
        "keygen" => keygen::run(args),
        "render-gateway" => render_gateway::run(args),
        "review" => review::run(args),
        "train" => train::run(args),
        _ => anyhow::bail!("unknown subcommand `{cmd}`\n{USAGE}"),
    }
}
