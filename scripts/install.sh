#!/usr/bin/env bash
# Installs pdstep under PREFIX (default /usr/local): builds the static release binary
# (bench/build-release.sh: Swift runtime linked in, Foundation Essentials only, stripped), then
# installs
#   PREFIX/bin/pdstep                                   the binary (one file; copy it anywhere)
#   PREFIX/bin/pd-STEP                                  a link per step (pd-send-event ...)
#   PREFIX/share/man/man1/pdstep.1                      the manual page (pdstep help --man)
#   PREFIX/share/bash-completion/completions/pdstep     bash completion
#   PREFIX/share/zsh/site-functions/_pdstep             zsh completion
# and prints what it installed. PDSTEP_BINARY=PATH installs that binary instead of building one.
#
# Usage: bash scripts/install.sh [PREFIX]
set -euo pipefail
prefix="${1:-/usr/local}"
cd "$(dirname "$0")/.."
binary="${PDSTEP_BINARY:-}"
if [ -z "$binary" ]; then
  echo "building the release binary (a few minutes the first time)"
  bash bench/build-release.sh
  binary=.build/release/pdstep
fi
for dir in bin share/man/man1 share/bash-completion/completions share/zsh/site-functions; do
  mkdir -p "$prefix/$dir"
done
installed=("$prefix/bin/pdstep")
install -m 0755 "$binary" "$prefix/bin/pdstep"
pdstep="$prefix/bin/pdstep"
"$pdstep" install-links "$prefix/bin" >/dev/null
"$pdstep" help --man > "$prefix/share/man/man1/pdstep.1"
"$pdstep" completion bash > "$prefix/share/bash-completion/completions/pdstep"
"$pdstep" completion zsh > "$prefix/share/zsh/site-functions/_pdstep"
installed+=("$prefix/share/man/man1/pdstep.1" "$prefix/share/bash-completion/completions/pdstep" "$prefix/share/zsh/site-functions/_pdstep")
links=$(cd "$prefix/bin" && ls pd-* | wc -l)
echo "installed $("$pdstep" --version) ($(du -h "$pdstep" | cut -f1)):"
for file in "${installed[@]}"; do echo "  $file"; done
echo "  $prefix/bin/pd-STEP: $links step links (pd-send-event, pd-incident-note, ...)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "add $prefix/bin to PATH to run pdstep by name" ;;
esac
