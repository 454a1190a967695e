//! `harness keygen`: being written.

pub fn run(_args: Vec<String>) -> anyhow::Result<u8> {
    anyhow::bail!("`harness keygen` is not built yet")
}
