#!/usr/bin/env bash
# Installs the Debian packages the browser and dashboard tests need when they are missing:
# chromium + chromium-driver (review page test, driven over WebDriver) and prometheus (the
# Grafana dashboard's queries are run against a real Prometheus scraping a test Envoy).
# Idempotent: does nothing when every binary is present. Root, or sudo for apt-get.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
((${#need[@]} == 0)) && exit 0

echo "==> installing ${need[*]} (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
sudo=()
[[ $EUID -eq 0 ]] || sudo=(sudo)
# A package's maintainer script must not start a service (prometheus ships one): the tests
# start their own on loopback.
policy=/usr/sbin/policy-rc.d
cleanup_policy=0
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy" && cleanup_policy=1
fi
trap '((cleanup_policy)) && "${sudo[@]}" rm -f "$policy"' EXIT
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
