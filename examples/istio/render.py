#!/usr/bin/env python3
"""Renders the Istio, Kong and APISIX examples from the example gateway's plugin configs
(examples/envoy/plugins/<plugin>.json), so every host runs the same policy.

    python3 examples/istio/render.py          # rewrite examples/{istio,kong,apisix}/
    python3 examples/istio/render.py --check  # exit 1 if a file is out of date

`cargo test -p guardrail-cli --test audit` checks the same thing. Nothing here is run
against Istio, Kong or APISIX in this repository.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGINS = ["key-auth", "model-allowlist", "injection-guard", "pii-redact"]
VERSION = "0.1.0"
REGISTRY = "registry.example.com/guardrail"

# Chain order key-auth -> model-allowlist -> injection-guard -> pii-redact. Istio runs AUTHN,
# then AUTHZ, then STATS; inside a phase the higher priority runs first.
ISTIO = {
    "key-auth": ("AUTHN", 100, "authenticates the virtual key, signs the identity header"),
    "model-allowlist": ("AUTHZ", 300, "model/parameter policy per identity"),
    "injection-guard": ("AUTHZ", 200, "prompt-injection scan of every segment"),
    "pii-redact": ("AUTHZ", 100, "PII/secret pseudonymisation, restored in answers"),
}
# APISIX runs plugins by descending priority; Kong filter chains run in list order.
APISIX_PRIORITY = {"key-auth": 7900, "model-allowlist": 7800, "injection-guard": 7700, "pii-redact": 7600}

HEADER = """# NOT RUN HERE: rendered by examples/istio/render.py from examples/envoy/plugins/*.json.
# Only the Envoy configs in examples/envoy/ are validated and exercised in this repository.
"""


def load(plugin):
    path = ROOT / "examples" / "envoy" / "plugins" / f"{plugin}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def compact(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def indent(text, n):
    pad = " " * n
    return "\n".join(pad + line if line else line for line in text.splitlines())


def istio(plugin, config):
    phase, priority, what = ISTIO[plugin]
    body = json.dumps(config if config is not None else {}, indent=2, ensure_ascii=False)
    todo = "" if config is not None else (
        f"  # TODO: examples/envoy/plugins/{plugin}.json did not exist when rendered: re-run render.py\n")
    return f"""{HEADER}# {plugin}: {what}.
# Push the module first (see README.md): oras push {REGISTRY}/{plugin}:{VERSION} ...
# pluginConfig holds secrets (identity_secret, key digests, provider keys): restrict who can
# read WasmPlugin objects in this namespace.
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: guardrail-{plugin}
  namespace: istio-ingress
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  url: oci://{REGISTRY}/{plugin}:{VERSION}
  imagePullPolicy: IfNotPresent
  # sha256: <sha256sum of dist/{plugin}.wasm>   # pin the exact module in production
  type: HTTP
  phase: {phase}
  priority: {priority}
  # A VM that fails to start or traps answers 503 instead of passing traffic unchecked.
  failStrategy: FAIL_CLOSE
  match:
  - mode: SERVER
{todo}  pluginConfig:
{indent(body, 4)}
"""


def kong(configs):
    filters = []
    for plugin in PLUGINS:
        cfg = configs[plugin]
        note = "" if cfg is not None else f"      # TODO: examples/envoy/plugins/{plugin}.json missing when rendered\n"
        filters.append(f"{note}      - name: {plugin}\n        config: '{compact(cfg if cfg is not None else {})}'")
    chain = "\n".join(filters)
    return f"""{HEADER}# Kong Gateway 3.4-3.10 with ngx_wasm_module (kong.conf: wasm = on, wasm_filters_path =
# /usr/local/kong/wasm holding key-auth.wasm, model-allowlist.wasm, injection-guard.wasm,
# pii-redact.wasm, and nginx_wasm_shm_kv = 16m so key-auth's shared data works). Filter names
# are the .wasm file names. Filters run in list order. See README.md (Kong 3.11+ builds).
# The config strings are the plugins' JSON configs (Kong passes them through unparsed).
# Load with: kong config db_import kong.yml   (or KONG_DECLARATIVE_CONFIG=kong.yml in DB-less mode)
_format_version: "3.0"

services:
  - name: openai
    url: https://api.openai.com
    routes:
      - name: openai-v1
        paths: ["/v1/"]
        strip_path: false
    filter_chains:
      - name: guardrail-chain
        enabled: true
        filters:
{indent(chain, 4)}
"""


def apisix_config():
    entries = []
    for plugin in PLUGINS:
        entries.append(
            f"    - name: guardrail-{plugin}\n"
            f"      priority: {APISIX_PRIORITY[plugin]}\n"
            f"      file: /usr/local/apisix/wasm/{plugin}.wasm\n"
            f"      http_request_phase: access")
    body = "\n".join(entries)
    return f"""{HEADER}# conf/config.yaml fragment for Apache APISIX (wasm-nginx-module). APISIX runs plugins by
# descending priority: key-auth (7900) -> model-allowlist -> injection-guard -> pii-redact.
# Read README.md first: on this host the body checks do not run unless the plugin sets the
# wasm_process_req_body property, which these plugins do not do.
wasm:
  plugins:
{body}
"""


def apisix_routes(configs):
    plugins = []
    for plugin in PLUGINS:
        cfg = configs[plugin]
        note = "" if cfg is not None else f"      # TODO: examples/envoy/plugins/{plugin}.json missing when rendered\n"
        plugins.append(f"{note}      guardrail-{plugin}:\n        conf: '{compact(cfg if cfg is not None else {})}'")
    body = "\n".join(plugins)
    return f"""{HEADER}# conf/apisix.yaml for APISIX standalone mode (deployment.role_data_plane.config_provider:
# yaml). The same route can be created through the Admin API (see README.md).
routes:
  - id: openai-v1
    uri: /v1/*
    upstream:
      type: roundrobin
      scheme: https
      pass_host: node
      nodes:
        "api.openai.com:443": 1
    plugins:
{body}
#END
"""


def outputs():
    configs = {p: load(p) for p in PLUGINS}
    out = {}
    for plugin in PLUGINS:
        out[ROOT / "examples" / "istio" / f"{plugin}.yaml"] = istio(plugin, configs[plugin])
    out[ROOT / "examples" / "kong" / "kong.yml"] = kong(configs)
    out[ROOT / "examples" / "apisix" / "config.yaml"] = apisix_config()
    out[ROOT / "examples" / "apisix" / "apisix.yaml"] = apisix_routes(configs)
    return out


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in outputs().items():
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print("out of date (run python3 examples/istio/render.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
