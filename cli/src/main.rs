//! `guardrail`: the operator's CLI; one module per subcommand in `cmd/`. Exit codes: 0 ok,
//! 1 failure, 2 usage error (clap's).

use std::process::ExitCode;

use clap::Parser;
use guardrail_cli::cmd::{execute, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let name = cli.command.name();
    match execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("guardrail {name}: {e:#}");
            ExitCode::from(1)
        }
    }
}
