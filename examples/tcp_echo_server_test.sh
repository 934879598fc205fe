#!/usr/bin/env bash
# ctest example.tcp_echo_server: the server (which otherwise runs until Ctrl-C) serves one connection
# (--once) on a free port, and the client example talks to it: the tutorial's two programs together.
# Usage: tcp_echo_server_test.sh SERVER CLIENT
set -euo pipefail
exec 3< <(exec "$1" 0 --once)
server=$!
read -r -u 3 listening  # "Serving on 127.0.0.1:PORT"
echo "$listening"
client_out="$("$2" "${listening##*:}")"
echo "$client_out"
server_out="$(cat <&3)"  # the rest, until the server exits
echo "$server_out"
wait "$server"
grep -q "^Received: 'Echo: Hello World!'$" <<<"$client_out"
grep -q "^Received 'Hello World!' from 127.0.0.1:" <<<"$server_out"
grep -q "^Closing connection from 127.0.0.1:" <<<"$server_out"
