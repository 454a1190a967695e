#!/usr/bin/env python3
"""Cargo test runner for wasm32-wasip1: runs a test binary (.wasm) in wasmtime with WASI.

Cargo calls `<runner> <file.wasm> <test args...>` (CARGO_TARGET_WASM32_WASIP1_RUNNER). The module
gets the test args, stdout/stderr, the environment's RUST_* variables and read access to the
current directory (tests read fixtures relative to it); the exit code is the module's.
"""
import os
import sys

import wasmtime


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: wasm-test-runner.py <module.wasm> [args...]", file=sys.stderr)
        return 2
    path = sys.argv[1]
    config = wasmtime.Config()
    config.cache = True
    engine = wasmtime.Engine(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [os.path.basename(path)] + sys.argv[2:]
    wasi.env = [(k, v) for k, v in os.environ.items() if k.startswith("RUST_")]
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.preopen_dir(".", ".")
    store.set_wasi(wasi)
    module = wasmtime.Module.from_file(engine, path)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    try:
        start(store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.Trap as e:
        print(f"wasm trap: {e}", file=sys.stderr)
        return 101
    return 0


if __name__ == "__main__":
    sys.exit(main())
