//! model-allowlist: request-level model and parameter policy (work in progress: pure pieces only).

pub mod model_lists;
pub mod model_path;
pub mod token_cap;
