//! envoy: runner (being written).
