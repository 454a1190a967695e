//! audit: proxy-wasm imports of each plugin checked against each host (being written, issue 10).
