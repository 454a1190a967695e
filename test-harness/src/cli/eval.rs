//! `harness eval`: being written.

pub fn run(_args: Vec<String>) -> anyhow::Result<u8> {
    anyhow::bail!("`harness eval` is not built yet")
}
