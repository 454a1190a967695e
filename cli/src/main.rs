//! `guardrail`: the operator's CLI; one module per subcommand in `cmd/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("{}", guardrail_cli::cmd::USAGE);
        return ExitCode::from(2);
    };
    let rest: Vec<String> = args.collect();
    match guardrail_cli::cmd::run(&cmd, rest) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("guardrail {cmd}: {e:#}");
            ExitCode::from(1)
        }
    }
}
