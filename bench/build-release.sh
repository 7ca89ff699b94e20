#!/usr/bin/env bash
# Builds the release binary the benchmarks use: .build/release/pdstep, with the Swift runtime
# linked statically so that it starts fast and runs on a machine without Swift. It needs nothing
# beyond the toolchain: pdstep does not link libcurl (it loads it on the first https request).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! swift build -c release --static-swift-stdlib --product pdstep >/tmp/pdstep-release-build.log 2>&1; then
  echo "static build failed (see /tmp/pdstep-release-build.log); building with the shared runtime" >&2
  swift build -c release --product pdstep
fi
ls -l .build/release/pdstep
