//! wasm: the exports through which the harness times the detectors inside a wasm VM. The
//! harness writes the text into the buffer `scan_bench_buffer` returns, then calls
//! `scan_bench_run` per pass; names come from `scan_bench_names` (newline-separated).
//!
//! Exporting a symbol by name is this module's job, so it allows `no_mangle` (the workspace
//! denies `unsafe_code`, which covers it); nothing here dereferences a pointer.
#![allow(unsafe_code)]

use crate::{detectors, Scanner};
use std::cell::RefCell;

struct State {
    detectors: Vec<(String, Scanner)>,
    names: String,
    buffer: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let state = s.get_or_insert_with(|| {
            let detectors = detectors();
            let names = detectors
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            State {
                detectors,
                names,
                buffer: Vec::new(),
            }
        });
        f(state)
    })
}

/// Where the names are (pointer in the high 32 bits, length in the low 32).
#[no_mangle]
pub extern "C" fn scan_bench_names() -> u64 {
    with_state(|s| ((s.names.as_ptr() as u64) << 32) | s.names.len() as u64)
}

/// A buffer of `len` bytes for the text; valid until the next call.
#[no_mangle]
pub extern "C" fn scan_bench_buffer(len: u32) -> u32 {
    with_state(|s| {
        s.buffer = vec![0; len as usize];
        s.buffer.as_ptr() as u32
    })
}

/// One pass of detector `index` over the buffer; its finding count, or `u32::MAX` when the
/// index is unknown or the buffer is not UTF-8.
#[no_mangle]
pub extern "C" fn scan_bench_run(index: u32) -> u32 {
    with_state(|s| {
        let Ok(text) = std::str::from_utf8(&s.buffer) else {
            return u32::MAX;
        };
        match s.detectors.get(index as usize) {
            Some((_, scan)) => scan(text) as u32,
            None => u32::MAX,
        }
    })
}
