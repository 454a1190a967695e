//! `harness demo`: being written.

pub fn run(_args: Vec<String>) -> anyhow::Result<u8> {
    anyhow::bail!("`harness demo` is not built yet")
}
