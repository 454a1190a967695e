//! `guardrail render-gateway [--check]`: writes `examples/envoy/gateway.yaml` from the template
//! and `examples/envoy/plugins/<plugin>.json`; `--check` fails when the committed file differs.

use guardrail_harness::envoy::gateway;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write nothing; exit 1 when the committed file differs from the rendered one.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let root = gateway::cli_root();
    let path = root.join(gateway::GATEWAY_FILE);
    let rendered = gateway::render_shipped(&root)?;
    if args.check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != rendered {
            eprintln!(
                "{} is out of date with {}/*.json; run `cargo run -p guardrail-cli -- render-gateway` and commit it",
                gateway::GATEWAY_FILE,
                gateway::PLUGINS_DIR
            );
            return Ok(1);
        }
        println!("{} is up to date", gateway::GATEWAY_FILE);
        return Ok(0);
    }
    std::fs::write(&path, &rendered)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    println!("wrote {}", gateway::GATEWAY_FILE);
    Ok(0)
}
