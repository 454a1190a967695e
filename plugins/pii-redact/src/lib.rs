//! pii-redact: finds PII and secrets in LLM requests and responses and redacts, masks,
//! pseudonymises (restoring in the response) or blocks them per entity type.

pub mod config;
pub mod detect;
pub mod entity;
pub mod json_leaves;
pub mod pseudonym;
pub mod request_scan;
pub mod response_scan;
pub mod stream_restore;
pub mod text_stream;
pub mod transform;
