//! `harness render_gateway`: being written.

pub fn run(_args: Vec<String>) -> anyhow::Result<u8> {
    anyhow::bail!("`harness render_gateway` is not built yet")
}
