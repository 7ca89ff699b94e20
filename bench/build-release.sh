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
# The C++ runtime the Swift runtime needs is linked statically too: loading libstdc++.so costs a
# fresh process about 4,300 symbol lookups and 50 page faults (0.5 ms of a 5 ms step). The Swift
# driver asks for -lstdc++ by name, so a folder searched first offers it only as an archive.
# No symbol is exported: nothing loads pdstep as a library, and the table is 200 KB.
cxx=$(c++ -print-file-name=libstdc++.a 2>/dev/null || true)
unwind=$(c++ -print-file-name=libgcc_eh.a 2>/dev/null || true)
if [[ -f "$cxx" && -f "$unwind" ]]; then
  mkdir -p .build/static-cxx
  ln -sf "$cxx" .build/static-cxx/libstdc++.a
  lean+=(-Xswiftc -L"$PWD/.build/static-cxx" -Xlinker "$unwind" -Xlinker --no-export-dynamic)
fi
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
# What it loads at start (libc and libm; a libstdc++ here means the static C++ runtime was lost).
echo "loads: $(readelf -d .build/release/pdstep | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
