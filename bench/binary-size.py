#!/usr/bin/env python3
"""What the release binary is made of: its stripped size, and the largest contributors by
module (Swift symbols by their module, the Swift standard library, C++, C), from `nm` on the
unstripped binary. A change that pulls all of Foundation (and its ICU data) back in shows at once
as a module named Foundation and tens of megabytes.

Usage: python3 bench/binary-size.py UNSTRIPPED STRIPPED   (bench/build-release.sh runs it)
"""
import collections
import os
import re
import subprocess
import sys


def main():
    unstripped, stripped = sys.argv[1], sys.argv[2]
    print(f"stripped binary: {os.path.getsize(stripped) / 1e6:.1f} MB ({stripped})")
    symbols = subprocess.run(["nm", "--size-sort", "-S", unstripped], capture_output=True, text=True).stdout
    sizes = collections.Counter()
    for line in symbols.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        size, name = int(parts[1], 16), parts[3]
        module = re.match(r"^\$s(\d+)", name)
        if module:
            length = int(module.group(1))
            sizes[name[module.end():module.end() + length]] += size
        elif name.startswith("$s"):
            sizes["Swift standard library"] += size
        elif name.startswith("_Z"):
            sizes["C++"] += size
        else:
            sizes["C"] += size
    print("largest contributors (symbol bytes):")
    for module, size in sizes.most_common(12):
        print(f"  {size / 1e6:6.2f} MB  {module}")
    if any(module in sizes for module in ("Foundation", "FoundationInternationalization")):
        print("WARNING: all of Foundation is linked (its ICU data is most of the binary); import FoundationEssentials instead")


if __name__ == "__main__":
    main()
