//! identity: being written (see docs/ARCHITECTURE.md).
