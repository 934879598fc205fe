#!/usr/bin/env bash
# The network part of the main demo: starts libactor-echo on a free port, drives it for two
# seconds with libactor-load (which verifies every echoed byte), then stops it with SIGTERM and
# checks that it shut down cleanly. Usage: tools/echo_demo.sh [build-dir]
set -euo pipefail
build="${1:-build/release}"
out="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$out"' EXIT

"$build/services/echo/libactor-echo" --port 0 --log-level warn >"$out/listening" &
server=$!
for _ in $(seq 100); do
  grep -q listening "$out/listening" && break
  kill -0 "$server" 2>/dev/null || { echo "libactor-echo did not start" >&2; exit 1; }
  sleep 0.05
done
port="$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$out/listening")"
[[ -n "$port" ]] || { echo "libactor-echo printed no port" >&2; exit 1; }
echo "$(cat "$out/listening"); driving it for 2 s with 50 connections of 1 KiB messages:"
"$build/tools/load/libactor-load" echo --port "$port" --connections 50 --size 1024 --duration 2
kill -TERM "$server"
wait "$server"
echo "libactor-echo stopped cleanly on SIGTERM"
