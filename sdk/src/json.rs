//! json: being written (see docs/ARCHITECTURE.md).
