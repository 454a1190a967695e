//! hostcalls test plugin: placeholder.
