//! review: a local review queue for flagged verdicts. Plugins POST review items (ids, rule
//! ids, segment paths, SHA-256 evidence - never prompt text unless capture is enabled) to
//! `harness review serve`, which appends them to a JSON Lines file; `harness review list` and
//! `mark` read and decide them. Contract: docs/DEPLOYMENT.md "Review queue".

pub mod http;
pub mod item;
pub mod server;
pub mod store;

pub use item::{Decision, Item, Status, Submission};
pub use server::{ReviewServer, ServerOptions};
pub use store::Store;
