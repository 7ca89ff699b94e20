#!/usr/bin/env bash
# Builds the release binary the benchmarks use: .build/release/pdstep, with the Swift runtime
# linked statically so that it starts fast and runs on a machine without Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! swift build -c release --static-swift-stdlib --product pdstep 2>/tmp/pdstep-release-build.log; then
  echo "static build failed (see /tmp/pdstep-release-build.log); building with the shared runtime" >&2
  swift build -c release --product pdstep
fi
ls -l .build/release/pdstep
