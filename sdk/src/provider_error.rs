//! provider_error: being written (see docs/ARCHITECTURE.md).
