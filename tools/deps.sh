#!/usr/bin/env bash
# Installs the Debian bookworm packages libactor needs, skipping the step when all are present.
# Works as root or through sudo. `tools/deps.sh --bench` adds the benchmarks' Python references.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libcaf-dev libboost-dev libboost-test-dev libssl-dev
          libspdlog-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libbenchmark-dev liburiparser-dev
          nginx-light openssl clang libclang-rt-14-dev)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3 python3-uvloop python3-aiohttp wrk)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "libactor: missing packages (${missing[*]}) and neither root nor sudo to install them" >&2
  exit 1
fi
echo "libactor: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
