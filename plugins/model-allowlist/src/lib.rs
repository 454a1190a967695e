//! model-allowlist: placeholder until its issue lands.
