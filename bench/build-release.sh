#!/usr/bin/env bash
# Builds the release binary the benchmarks (and scripts/install.sh) use: .build/release/pdstep,
# with the Swift runtime linked statically so that it starts fast and runs on a machine without
# Swift, linked by lld with identical code folded and unused sections dropped, then stripped.
# It needs nothing beyond the toolchain: pdstep does not link libcurl (it loads it on the first
# https request), and links Foundation Essentials only (no ICU data).
# Prints the stripped size and what the binary is made of (bench/binary-size.py).
set -euo pipefail
cd "$(dirname "$0")/.."
lean=(-Xswiftc -use-ld=lld -Xlinker --icf=all -Xlinker --gc-sections -Xlinker -z -Xlinker pack-relative-relocs)
if ! swift build -c release --static-swift-stdlib --product pdstep "${lean[@]}" >/tmp/pdstep-release-build.log 2>&1; then
  echo "static lld build failed (see /tmp/pdstep-release-build.log); building with the default linker" >&2
  if ! swift build -c release --static-swift-stdlib --product pdstep >>/tmp/pdstep-release-build.log 2>&1; then
    echo "static build failed (see /tmp/pdstep-release-build.log); building with the shared runtime" >&2
    swift build -c release --product pdstep
  fi
fi
cp .build/release/pdstep .build/release/pdstep.unstripped
strip .build/release/pdstep
python3 bench/binary-size.py .build/release/pdstep.unstripped .build/release/pdstep
