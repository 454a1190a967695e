//! `harness serve`: being written.

pub fn run(_args: Vec<String>) -> anyhow::Result<u8> {
    anyhow::bail!("`harness serve` is not built yet")
}
