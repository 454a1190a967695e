//! injection-guard: prompt-injection and jailbreak detection by trust boundary.

pub mod config;
pub mod confusables;
pub mod data_lines;
pub mod decode;
pub mod detector;
pub mod family;
pub mod lexicon;
pub mod markup;
pub mod matcher;
pub mod normalize;
