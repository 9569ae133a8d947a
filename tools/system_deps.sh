#!/usr/bin/env bash
# Debian packages the tests use: chromium (page tests), espeak-ng (speech for audio tests).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: please install ${need[*]} (Debian packages); the tests that need them are skipped" >&2
  fi
fi
