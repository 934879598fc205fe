#!/usr/bin/env bash
# The HTTP part of the main demo: starts nginx on 127.0.0.1 with a small site (tools/local_nginx.sh),
# fetches a few of its URLs with libactor-fetch — a redirect, a gzip-encoded page, 1 MiB of binary,
# and a missing page — and checks the JSON lines and the exit code. Usage: tools/fetch_demo.sh [build-dir]
set -euo pipefail
build="${1:-build/release}"
source "$(dirname "$0")/local_nginx.sh"
dir="$(mktemp -d)"
trap 'stop_local_nginx; rm -rf "$dir"' EXIT
start_local_nginx "$dir"
echo "nginx serves a demo site at $LOCAL_NGINX_URL; libactor-fetch, 4 at once:"
fetch="$build/services/fetch/libactor-fetch"
urls=("$LOCAL_NGINX_URL/old" "$LOCAL_NGINX_URL/pages/1.html" "$LOCAL_NGINX_URL/big.bin" "$LOCAL_NGINX_URL/missing.html")
status=0
"$fetch" --concurrency 4 --no-progress "${urls[@]}" >"$dir/out.jsonl" || status=$?
cat "$dir/out.jsonl"
# Exit 1: one fetch (the 404) failed; every URL has its line.
[[ $status -eq 1 ]] || { echo "expected exit 1 (one 404), got $status" >&2; exit 1; }
[[ $(wc -l <"$dir/out.jsonl") -eq 4 ]] || { echo "expected 4 JSON lines" >&2; exit 1; }
grep -q '"status":200,"bytes":1048576' "$dir/out.jsonl" || { echo "big.bin did not arrive whole" >&2; exit 1; }
grep -q '"status":404' "$dir/out.jsonl" || { echo "no 404 line" >&2; exit 1; }
"$fetch" --no-progress --allow-failures "${urls[3]}" >/dev/null || { echo "--allow-failures did not exit 0" >&2; exit 1; }
echo "libactor-fetch: 3 fetched, the 404 reported, exit code 1 (0 with --allow-failures)"
