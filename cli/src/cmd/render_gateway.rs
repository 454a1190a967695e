//! `harness render-gateway [--check]`: writes `examples/envoy/gateway.yaml` from the template
//! and `examples/envoy/plugins/<plugin>.json`; `--check` fails when the committed file differs.

use guardrail_harness::envoy::gateway;

pub fn run(args: Vec<String>) -> anyhow::Result<u8> {
    let mut check = false;
    for a in &args {
        match a.as_str() {
            "--check" => check = true,
            other => {
                anyhow::bail!("unknown option `{other}`; usage: harness render-gateway [--check]")
            }
        }
    }
    let root = gateway::cli_root();
    let path = root.join(gateway::GATEWAY_FILE);
    let rendered = gateway::render_shipped(&root)?;
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != rendered {
            eprintln!(
                "{} is out of date with {}/*.json; run `cargo run -p guardrail-harness --bin harness -- render-gateway` and commit it",
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
