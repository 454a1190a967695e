#!/usr/bin/env bash
# ./build.sh hosts: build nginx with Kong's Wasm engine (ngx_wasm_module) and nginx with APISIX's
# (lua-nginx-module + wasm-nginx-module) from source trees YOU provide, then run the example
# gateway's scenarios (examples/demo, with the per-host expectations in examples/hosts/) against
# each through the mock LLM upstream: `harness hosts`.
#
# This script fetches nothing. Source trees are given by path (a git work tree or a release
# tarball's tree; they are only read, builds go to the cache):
#   GUARDRAIL_NGINX_SRC              nginx (ngx_wasm_module's CI uses 1.27.4: tag release-1.27.4)
#   GUARDRAIL_NGX_WASM_MODULE_SRC    Kong/ngx_wasm_module
#   GUARDRAIL_WASM_NGINX_MODULE_SRC  api7/wasm-nginx-module          } the APISIX flavour; it is
#   GUARDRAIL_LUA_NGINX_MODULE_SRC   openresty/lua-nginx-module      } skipped (and said so) when
#   GUARDRAIL_NGX_DEVEL_KIT_SRC      vision5/ngx_devel_kit           } any of these is missing
#   GUARDRAIL_LUA_RESTY_CORE_SRC     openresty/lua-resty-core        }
#   GUARDRAIL_LUA_RESTY_LRUCACHE_SRC openresty/lua-resty-lrucache    }
#   GUARDRAIL_LUA_RESTY_HTTP_SRC     ledgetech/lua-resty-http        }
# Optional:
#   GUARDRAIL_HOSTS_CACHE      build cache (default ~/.cache/guardrail-hosts)
#   GUARDRAIL_WASMTIME_C_API   a wasmtime 26.0.0 C API dir (include/, lib/libwasmtime.so); by
#                              default it is built once from crates.io's wasmtime-c-api-impl
#                              26.0.0 (the version ngx_wasm_module's CI pins; PyPI has no 26.0.0
#                              wheel) into the cache
#   LUAJIT_INC / LUAJIT_LIB    LuaJIT for lua-nginx-module (default: Debian's luajit2 package,
#                              installed with apt-get when missing)
# Without GUARDRAIL_NGINX_SRC and GUARDRAIL_NGX_WASM_MODULE_SRC it prints one line and exits 0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${GUARDRAIL_HOSTS_CACHE:-$HOME/.cache/guardrail-hosts}"
WASMTIME_VERSION=26.0.0
# What ngx_wasm_module's ngx_wrt_wasmtime.c calls: wat (wasmtime_wat2wasm) and threads
# (wasmtime_config_wasm_threads_set) are needed to compile it (measured: without them -Werror stops).
WASMTIME_FEATURES='"cranelift", "wasi", "cache", "parallel-compilation", "gc", "demangle", "addr2line", "wat", "threads"'
NGINX_WANT=1.27.4

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { echo "hosts: $*" >&2; exit 1; }

have_dir() { [[ -n "${!1:-}" && -d "${!1}" ]]; }

if ! have_dir GUARDRAIL_NGINX_SRC || ! have_dir GUARDRAIL_NGX_WASM_MODULE_SRC; then
    echo "hosts: skipped - set GUARDRAIL_NGINX_SRC and GUARDRAIL_NGX_WASM_MODULE_SRC (source trees; see scripts/hosts.sh) to build and run ngx_wasm_module/wasm-nginx-module"
    exit 0
fi

mkdir -p "$CACHE"
JOBS="${CARGO_BUILD_JOBS:-2}"

# --- wasmtime C API ---------------------------------------------------------------------------
wasmtime_c_api() {
    if [[ -n "${GUARDRAIL_WASMTIME_C_API:-}" ]]; then
        [[ -f "$GUARDRAIL_WASMTIME_C_API/include/wasmtime.h" ]] \
            || die "GUARDRAIL_WASMTIME_C_API=$GUARDRAIL_WASMTIME_C_API has no include/wasmtime.h"
        WT="$GUARDRAIL_WASMTIME_C_API"
        return
    fi
    WT="$CACHE/wasmtime-c-api-$WASMTIME_VERSION"
    if [[ -f "$WT/lib/libwasmtime.so" && -f "$WT/include/wasmtime/conf.h" \
        && "$(cat "$WT/.features" 2>/dev/null)" == "$WASMTIME_FEATURES" ]]; then
        return
    fi
    command -v cmake >/dev/null || { log "installing cmake (wasmtime-c-api-impl's build script runs it)"; apt-get install -y -qq cmake >/dev/null; }
    log "building the wasmtime $WASMTIME_VERSION C API from crates.io (wasmtime-c-api-impl; once, into $WT)"
    local proj="$CACHE/wasmtime-capi-build"
    mkdir -p "$proj"
    # A throwaway cdylib crate re-exporting the C API (what wasmtime's own c-api artifact does).
    cat >"$proj/Cargo.toml" <<EOF
[package]
name = "guardrail-wasmtime-capi"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
name = "wasmtime"
crate-type = ["cdylib"]
path = "lib.rs"

[dependencies]
wasmtime-c-api = { package = "wasmtime-c-api-impl", version = "=$WASMTIME_VERSION", features = [$WASMTIME_FEATURES] }

[profile.release]
opt-level = 2
debug = false
strip = "debuginfo"
EOF
    echo 'pub use wasmtime_c_api::*;' >"$proj/lib.rs"
    (cd "$proj" && cargo build --release -j "$JOBS" --quiet)
    local out
    out="$(dirname "$(find "$proj/target/release/build" -path '*wasmtime-c-api-impl-*/out/include/wasmtime/conf.h' | head -1)")"
    [[ -n "$out" && -f "$out/conf.h" ]] || die "wasmtime-c-api-impl did not generate include/wasmtime/conf.h"
    rm -rf "$WT" && mkdir -p "$WT/lib"
    cp -a "$(dirname "$out")" "$WT/include"
    cp "$proj/target/release/libwasmtime.so" "$WT/lib/"
    # wasmtime-c-api-impl 26.0.0's build.rs leaves WAT out of the feature list it hands cmake, so
    # conf.h says "#undef WASMTIME_FEATURE_WAT" although the library, built with the `wat`
    # feature, exports wasmtime_wat2wasm. Say what the library has (checked, not assumed; the
    # generated header has CRLF line ends).
    if [[ "$(nm -D "$WT/lib/libwasmtime.so")" == *" T wasmtime_wat2wasm"* ]]; then
        sed -i 's|^/\* #undef WASMTIME_FEATURE_WAT \*/\(\r\?\)$|#define WASMTIME_FEATURE_WAT\1|' "$WT/include/wasmtime/conf.h"
    fi
    grep -q '^#define WASMTIME_FEATURE_WAT\b' "$WT/include/wasmtime/conf.h" \
        || die "the wasmtime C API in $WT lacks wasmtime_wat2wasm (ngx_wasm_module needs it)"
    echo "$WASMTIME_FEATURES" >"$WT/.features"
}

# --- nginx builds -----------------------------------------------------------------------------
# nginx's rewrite and gzip modules need PCRE2 and zlib headers (Debian packages).
ensure_nginx_build_deps() {
    local missing=() p
    for p in libpcre2-dev zlib1g-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return
    log "installing ${missing[*]} (Debian packages nginx's configure needs)"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

nginx_version() { sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$1/src/core/nginx.h"; }

# A private copy of the nginx tree (configure writes a Makefile into the tree it runs in).
nginx_tree() {
    local dest="$1"
    rm -rf "$dest" && mkdir -p "$dest"
    tar -C "$GUARDRAIL_NGINX_SRC" --exclude=.git -cf - . | tar -C "$dest" -xf -
}

configure_nginx() {
    local tree="$1"; shift
    if [[ -x "$tree/configure" ]]; then (cd "$tree" && ./configure "$@"); else (cd "$tree" && auto/configure "$@"); fi
}

# Rebuild only when a source tree's state or this script changed.
stamp_of() {
    local s="" d
    for d in "$@"; do
        if git -C "$d" rev-parse HEAD >/dev/null 2>&1; then
            s+="$d $(git -C "$d" rev-parse HEAD) $(git -C "$d" status --porcelain | sha256sum)"$'\n'
        else
            s+="$d $(find "$d" -type f -newer "$0" | wc -l)"$'\n'
        fi
    done
    printf '%s%s' "$s" "$(sha256sum "$0")" | sha256sum | cut -d' ' -f1
}

build_ngx_wasm_module() {
    local out="$CACHE/ngx_wasm_module" stamp
    stamp="$(stamp_of "$GUARDRAIL_NGINX_SRC" "$GUARDRAIL_NGX_WASM_MODULE_SRC")-$(sha256sum "$WT/lib/libwasmtime.so" | cut -c1-16)"
    if [[ -x "$out/nginx" && "$(cat "$out/.stamp" 2>/dev/null)" == "$stamp" ]]; then return; fi
    log "building nginx $(nginx_version "$GUARDRAIL_NGINX_SRC") + ngx_wasm_module (wasmtime $WASMTIME_VERSION) into $out"
    nginx_tree "$out/src"
    NGX_WASM_RUNTIME=wasmtime NGX_WASM_RUNTIME_INC="$WT/include" NGX_WASM_RUNTIME_LIB="$WT/lib" \
        NGX_WASM_CARGO=0 \
        configure_nginx "$out/src" --builddir="$out/build" --prefix="$out" \
        --add-module="$GUARDRAIL_NGX_WASM_MODULE_SRC" \
        --with-ld-opt="-Wl,-rpath,$WT/lib" >"$out/configure.log" 2>&1 \
        || { tail -30 "$out/configure.log"; die "configure failed (log: $out/configure.log)"; }
    make -C "$out/src" -j "$JOBS" >"$out/make.log" 2>&1 || { tail -30 "$out/make.log"; die "make failed (log: $out/make.log)"; }
    cp "$out/build/nginx" "$out/nginx"
    echo "$stamp" >"$out/.stamp"
}

apisix_sources=(GUARDRAIL_WASM_NGINX_MODULE_SRC GUARDRAIL_LUA_NGINX_MODULE_SRC GUARDRAIL_NGX_DEVEL_KIT_SRC
    GUARDRAIL_LUA_RESTY_CORE_SRC GUARDRAIL_LUA_RESTY_LRUCACHE_SRC GUARDRAIL_LUA_RESTY_HTTP_SRC)

ensure_luajit() {
    if [[ -n "${LUAJIT_INC:-}" && -n "${LUAJIT_LIB:-}" ]]; then return; fi
    if [[ ! -f /usr/include/luajit-2.1/luajit.h ]]; then
        log "installing Debian's luajit2 (OpenResty's LuaJIT branch) for lua-nginx-module"
        apt-get install -y -qq libluajit2-5.1-dev >/dev/null
    fi
    export LUAJIT_INC=/usr/include/luajit-2.1
    LUAJIT_LIB="$(dirname "$(find /usr/lib -name 'libluajit-5.1.so' | head -1)")"
    export LUAJIT_LIB
}

build_wasm_nginx_module() {
    local out="$CACHE/wasm-nginx-module" stamp
    ensure_luajit
    stamp="$(stamp_of "$GUARDRAIL_NGINX_SRC" "$GUARDRAIL_WASM_NGINX_MODULE_SRC" "$GUARDRAIL_LUA_NGINX_MODULE_SRC" "$GUARDRAIL_NGX_DEVEL_KIT_SRC")-$(sha256sum "$WT/lib/libwasmtime.so" | cut -c1-16)"
    if [[ -x "$out/nginx" && "$(cat "$out/.stamp" 2>/dev/null)" == "$stamp" ]]; then return; fi
    log "building nginx $(nginx_version "$GUARDRAIL_NGINX_SRC") + lua-nginx-module + wasm-nginx-module (wasmtime $WASMTIME_VERSION) into $out"
    nginx_tree "$out/src"
    configure_nginx "$out/src" --builddir="$out/build" --prefix="$out" \
        --add-module="$GUARDRAIL_NGX_DEVEL_KIT_SRC" \
        --add-module="$GUARDRAIL_LUA_NGINX_MODULE_SRC" \
        --add-module="$GUARDRAIL_WASM_NGINX_MODULE_SRC" \
        --with-cc-opt="-I$WT/include" \
        --with-ld-opt="-L$WT/lib -Wl,-rpath,$WT/lib -Wl,-rpath,$LUAJIT_LIB" >"$out/configure.log" 2>&1 \
        || { tail -30 "$out/configure.log"; die "configure failed (log: $out/configure.log)"; }
    make -C "$out/src" -j "$JOBS" >"$out/make.log" 2>&1 || { tail -30 "$out/make.log"; die "make failed (log: $out/make.log)"; }
    cp "$out/build/nginx" "$out/nginx"
    echo "$stamp" >"$out/.stamp"
}

# --- run --------------------------------------------------------------------------------------
wasmtime_c_api
ensure_nginx_build_deps
v="$(nginx_version "$GUARDRAIL_NGINX_SRC")"
[[ "$v" == "$NGINX_WANT" ]] || log "note: nginx $v (ngx_wasm_module's CI uses $NGINX_WANT)"
build_ngx_wasm_module
export GUARDRAIL_NGX_WASM_NGINX="$CACHE/ngx_wasm_module/nginx"
missing=()
for s in "${apisix_sources[@]}"; do have_dir "$s" || missing+=("$s"); done
if ((${#missing[@]} == 0)); then
    build_wasm_nginx_module
    export GUARDRAIL_WASM_NGINX_NGINX="$CACHE/wasm-nginx-module/nginx"
    export GUARDRAIL_WASM_NGINX_LUA_PATH="$GUARDRAIL_LUA_RESTY_CORE_SRC/lib:$GUARDRAIL_LUA_RESTY_LRUCACHE_SRC/lib:$GUARDRAIL_LUA_RESTY_HTTP_SRC/lib:$GUARDRAIL_WASM_NGINX_MODULE_SRC/lib"
else
    log "wasm-nginx-module (APISIX) skipped: ${missing[*]} not set"
fi
[[ -n "${GUARDRAIL_CLI:-}" ]] || die "GUARDRAIL_CLI is not set: run ./build.sh hosts"
"$GUARDRAIL_CLI" hosts --table "$CACHE/last-table.md" "$@"
