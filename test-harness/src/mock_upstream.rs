//! mock_upstream: being written (see docs/ARCHITECTURE.md).
