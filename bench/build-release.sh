#!/usr/bin/env bash
# Builds the release binary the benchmarks use: .build/release/pdstep, with the Swift runtime
# linked statically so that it starts fast and runs on a machine without Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
# Linking FoundationNetworking statically needs libcurl's development files.
if ! [ -e /usr/lib/x86_64-linux-gnu/libcurl.so ] && ! ldconfig -p 2>/dev/null | grep -q 'libcurl.so '; then
  echo "installing libcurl4-openssl-dev (needed to link the Swift runtime statically)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev) >/dev/null \
    || echo "could not install libcurl4-openssl-dev" >&2
fi
if ! swift build -c release --static-swift-stdlib --product pdstep >/tmp/pdstep-release-build.log 2>&1; then
  echo "static build failed (see /tmp/pdstep-release-build.log); building with the shared runtime" >&2
  swift build -c release --product pdstep
fi
ls -l .build/release/pdstep
