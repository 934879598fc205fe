#!/usr/bin/env bash
# Runs the HTTP examples against a local nginx: example.fetch_url and example.crawler.
#   http_examples_test.sh fetch_url|crawler BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tools/local_nginx.sh"
dir=$(mktemp -d)
trap 'stop_local_nginx; rm -rf "$dir"' EXIT
start_local_nginx "$dir"
case "$1" in
  fetch_url)
    out=$("$2" "$LOCAL_NGINX_URL/old")  # a redirect to the home page
    echo "$out"
    grep -q "libactor demo site" <<<"$out"
    # A 404 is an error for fetch_url: exit 1 with the status in the message.
    if "$2" "$LOCAL_NGINX_URL/missing.html" 2>"$dir/err"; then exit 1; fi
    grep -q "404" "$dir/err"
    ;;
  crawler)
    out=$("$2" "$LOCAL_NGINX_URL/index.html" 20)
    echo "$out"
    grep -q "^7 pages" <<<"$out"  # home, 5 pages, and the broken link (a 404, still a page seen)
    [[ $(grep -c "^200 " <<<"$out") -eq 6 ]]
    [[ $(grep -c "^404 " <<<"$out") -eq 1 ]]
    ;;
esac
