#!/usr/bin/env bash
# Secrets hygiene (reliability issue, item 20): after the e2e suite ran with
# GUARDRAIL_KEEP_ENVOY_DIR=1, grep every log Envoy and the plugins wrote (envoy.log, access.log)
# for the shapes of what the tests send: virtual keys, provider keys, cloud keys, the test
# e-mail addresses and card numbers. Any hit fails the build. The configs (envoy.yaml) are not
# logs and are not scanned: they legitimately hold key hashes and provider keys.
set -euo pipefail
dir="${1:?usage: secrets-hygiene.sh <dir with guardrail-envoy-* run directories>}"
mapfile -t logs < <(find "$dir" -type f \( -name envoy.log -o -name access.log \) | sort)
if [[ ${#logs[@]} -eq 0 ]]; then
    echo "secrets hygiene: no Envoy logs under $dir (did the e2e tests run?)" >&2
    exit 1
fi
patterns=(
    'grw_[a-z]+_[A-Za-z0-9_]{8,}'          # virtual keys (key-auth)
    'sk-(proj-|ant-|live-)?[A-Za-z0-9_-]{8,}' # OpenAI/Anthropic-style provider keys
    'AKIA[A-Z0-9]{16}'                     # AWS access key ids
    '[A-Za-z0-9._%+-]+@example\.com'       # the e-mail addresses the tests use
    '4111[ -]?1111[ -]?1111[ -]?1111'      # the test card number
    'Bearer [A-Za-z0-9_.-]{8,}'            # any bearer credential
)
leaks=0
for p in "${patterns[@]}"; do
    if hits=$(grep -HnoE -- "$p" "${logs[@]}"); then
        echo "secrets hygiene: pattern '$p' found in logs:" >&2
        echo "$hits" | head -5 >&2
        leaks=1
    fi
done
lines=$(cat "${logs[@]}" | wc -l)
if [[ $leaks -ne 0 ]]; then
    exit 1
fi
echo "secrets hygiene: ${#logs[@]} log files, $lines lines, no key, PII or bearer value"
