//! guardrail-review: the review queue for flagged verdicts. Plugins POST review items (ids,
//! rule ids, segment paths, SHA-256 evidence - never prompt text unless capture is enabled);
//! the server stores them in SQLite and serves the review page, where people filter, decide
//! (attack / false positive) and get config changes proposed from their decisions.
//! Contract and operation: docs/DEPLOYMENT.md "Review queue".

pub mod http;
pub mod item;
pub mod page;
pub mod proposal;
pub mod server;
pub mod store;

pub use item::{Decision, Item, Status, Submission};
pub use server::{PluginConfig, ReviewServer, ServerOptions, Validator};
pub use store::{Filter, RuleStats, Store};
