//! bench: side-by-side Envoy benchmark (being written, issue 8).
