//! injection-guard: prompt-injection and jailbreak detection by trust boundary. The pure
//! modules hold all logic (tested natively); `glue` (wasm32 only) is the proxy-wasm side:
//! buffer the request body, scan its segments, block (provider-shaped 403), flag or review,
//! ask a remote classifier about the grey zone, and watch the answer for a canary.

mod ascii_lower;
pub mod callout;
pub mod canary;
pub mod config;
pub mod confusables;
pub mod data_lines;
pub mod decode;
pub mod detector;
pub mod family;
pub mod fuzz_tokens;
pub mod leak_watch;
pub mod lexicon;
pub mod markup;
pub mod matcher;
pub mod ngram;
pub mod normalize;
#[cfg(test)]
mod normalize_diff;
#[cfg(test)]
mod normalize_reference;
pub mod options;
pub mod policy;

#[cfg(target_arch = "wasm32")]
mod glue;
