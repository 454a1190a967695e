//! wasm-trim: a bounds-checked reader of a WebAssembly module's sections (imports, exports,
//! custom sections; used by `harness audit`) and the build step that keeps only the
//! proxy-wasm callbacks a plugin declares with `guardrail_sdk::callbacks!`.

pub mod module;
pub mod stub;
pub mod trim;

pub use module::{read, Import, ModuleFacts};
pub use trim::{trim, Trimmed};
