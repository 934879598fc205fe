#!/usr/bin/env bash
# Quick start, step 2: builds everything and runs the whole test suite through ctest.
# LIBACTOR_SANITIZE=address,undefined or LIBACTOR_SANITIZE=thread selects a sanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
sanitize="${LIBACTOR_SANITIZE:-}"
build="build/test${sanitize:+-${sanitize//,/-}}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLIBACTOR_SANITIZE="$sanitize" >/dev/null
cmake --build "$build"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
