//! verdict_log: being written (see docs/ARCHITECTURE.md).
