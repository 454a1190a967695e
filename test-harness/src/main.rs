//! `harness`: the CLI over the harness library; one module per subcommand in `cli/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("{}", guardrail_harness::cli::USAGE);
        return ExitCode::from(2);
    };
    let rest: Vec<String> = args.collect();
    match guardrail_harness::cli::run(&cmd, rest) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("harness {cmd}: {e:#}");
            ExitCode::from(1)
        }
    }
}
