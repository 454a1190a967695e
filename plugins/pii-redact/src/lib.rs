//! pii-redact: placeholder until its issue lands.
