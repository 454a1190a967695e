//! pii-redact: finds PII and secrets in LLM requests and responses and redacts, masks,
//! pseudonymises (restoring in the response) or blocks them per entity type.

pub mod detect;
pub mod entity;
