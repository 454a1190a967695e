//! wasm-trim: the build step that makes the proxy-wasm callbacks a plugin does not declare with
//! `guardrail_sdk::callbacks!` answer with the default (and turns the code only they reached
//! into stubs), and a reader
//! of a module's imports, exports and custom sections (used by `guardrail audit`). Modules are
//! parsed with wasmparser and written with wasm-encoder.

pub mod module;
pub mod trim;

pub use module::{read, Import, ModuleFacts};
pub use trim::{stub_count, trim, Trimmed};
