#!/usr/bin/env bash
# Quick start, step 1: installs missing packages, builds libactor, its examples, services and tools,
# and runs the main demo: the asyncio tour (examples/demo.cpp), the echo service driven by the
# load generator, then libactor-fetch fetching from a local nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIBACTOR_BUILD_TESTS=OFF >/dev/null
cmake --build build/release
echo
build/release/examples/demo
echo
tools/echo_demo.sh build/release
echo
tools/fetch_demo.sh build/release
