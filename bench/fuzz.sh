#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a set time (default 600 s), keeping what they
# find in fuzz/findings/TARGET/. Usage: bash bench/fuzz.sh [SECONDS] [TARGET...]
# Targets: yaml xml properties jobs http response shell yamldiff. A crash leaves crash-* files there; add each
# as a regression input to the tests once fixed. `shell` is the property test of shell
# substitution (random values in random shell contexts never run as code), run for about as long.
#
# Each target is compiled as one module from the sources it needs (the `import` lines between
# pdstep's own modules are dropped), with -sanitize=fuzzer,address.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"; shift || true
targets=("${@:-yaml xml properties jobs http response shell yamldiff}")
read -r -a targets <<< "${targets[*]}"
out=.build-fuzz
mkdir -p "$out"

sources() {
  case "$1" in
    yaml) echo Sources/Values/*.swift Sources/YAML/*.swift fuzz/YAMLFuzz.swift ;;
    xml) echo Sources/Values/*.swift Sources/XML/*.swift Sources/YAML/*.swift Sources/Settings/*.swift Sources/StepKit/*.swift Sources/Runner/*.swift fuzz/XMLFuzz.swift ;;
    properties) echo Sources/Values/*.swift Sources/Settings/*.swift fuzz/PropertiesFuzz.swift ;;
    jobs) echo Sources/Values/*.swift Sources/XML/*.swift Sources/YAML/*.swift Sources/Settings/*.swift Sources/StepKit/*.swift Sources/Runner/*.swift fuzz/JobFuzz.swift ;;
    http) echo Sources/Values/*.swift Sources/HTTPServer/*.swift Sources/Sandbox/*.swift fuzz/HTTPRequestFuzz.swift fuzz/FuzzSupport.swift ;;
    response) echo Sources/Values/Bounded.swift Sources/Values/Text.swift Sources/Values/CallingThreadExecutor.swift Sources/Values/CancelFlag.swift Sources/PagerDuty/HTTPTransport.swift Sources/PagerDuty/SocketTransport.swift Sources/PagerDuty/SocketConnection.swift Sources/PagerDuty/TLS.swift fuzz/HTTPResponseFuzz.swift fuzz/FuzzSupport.swift ;;
  esac
}

for target in "${targets[@]}"; do
  if [ "$target" = yamldiff ]; then
    # Random YAML read by pdstep and by PyYAML (Tests/YAMLTests/differential.py), ~20 a second.
    swift build --product pdstep >/dev/null
    echo "differential YAML test against PyYAML for about $seconds s"
    python3 Tests/YAMLTests/differential.py .build/debug/pdstep --count $((seconds * 20)) --seed "$RANDOM" | tail -n 20
    continue
  fi
  if [ "$target" = shell ]; then
    # About 180 runs a second (each starts /bin/sh and bash); a failure prints its seed.
    echo "property-testing shell substitution for about $seconds s"
    PDSTEP_SHELL_PROPERTY_RUNS=$((seconds * 180)) swift test --filter randomValuesInRandomContextsNeverRunAsCode 2>&1 | grep -E "passed|failed|ran as code" | tail -n 5
    continue
  fi
  work="$out/$target-src"
  rm -rf "$work" && mkdir -p "$work"
  for file in $(sources "$target"); do
    sed -E '/^import (Values|YAML|XML|Settings|StepKit|Runner|HTTPServer|Sandbox|PagerDuty)$/d' "$file" > "$work/$(echo "$file" | tr '/' '_')"
  done
  echo "building $target"
  # The transport's TLS calls (Sources/CTLS) are C: compiled beside, imported through a module map.
  c=()
  if [ "$target" = response ]; then
    mkdir -p "$work/CTLS"
    printf 'module CTLS {\n  header "%s"\n  export *\n}\n' "$PWD/Sources/CTLS/include/CTLS.h" > "$work/CTLS/module.modulemap"
    clang -c -O1 -I Sources/CTLS/include Sources/CTLS/CTLS.c -o "$work/CTLS/CTLS.o"
    c=(-I "$work/CTLS" "$work/CTLS/CTLS.o" -ldl)
  fi
  # A build that fails must not leave an older binary to be run in its place.
  rm -f "$out/$target"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "Fuzz_$target" "$work"/*.swift "${c[@]}" -o "$out/$target" 2>&1 | grep -v "Cannot export local symbol" || true
  [ -x "$out/$target" ] || { echo "building $target failed" >&2; exit 1; }
  mkdir -p "fuzz/findings/$target" "$out/corpus-$target"
  case "$target" in
    yaml) cp Tests/YAMLTests/Corpus/valid/*.yaml examples/jobs/*.yaml "$out/corpus-$target/" ;;
    jobs) cp Tests/YAMLTests/Corpus/valid/*.yaml examples/jobs/*.yaml Tests/CLITests/RundeckXMLJobs/*.xml "$out/corpus-$target/" ;;
    xml) cp Tests/CLITests/RundeckXMLJobs/*.xml "$out/corpus-$target/" ;;
    properties) cp Tests/SettingsTests/Fixtures/properties/*.properties "$out/corpus-$target/" ;;
    http) printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /v2/enqueue HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}' > "$out/corpus-$target/seed" ;;
    response)
      printf 'HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}' > "$out/corpus-$target/length"
      printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nT: t\r\n\r\n' > "$out/corpus-$target/chunked"
      printf 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 503 Busy\r\n\r\nto the end' > "$out/corpus-$target/interim"
      # Found by the transport tests, not the fuzzer: a chunk size near Int.max overflowed.
      printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n7fffffffffffffff\r\nx\r\n' > "$out/corpus-$target/overflow" ;;
  esac
  echo "fuzzing $target for $seconds s"
  dict=(); [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
  "$out/$target" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="fuzz/findings/$target/" "$out/corpus-$target" 2>&1 | tail -n 12
done
