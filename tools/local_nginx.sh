# Sourced by the demo and example scripts: serves a small generated site from Debian's nginx on
# 127.0.0.1, unprivileged, everything under one temporary directory, stopped by PID.
#   start_local_nginx DIR   -> sets LOCAL_NGINX_PORT and LOCAL_NGINX_URL
#   stop_local_nginx DIR
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}

make_local_site() {
  local root=$1/www
  mkdir -p "$root"
  chmod 755 "$1"  # run as root, nginx's workers serve the files as nobody
  {
    echo '<html><body><h1>libactor demo site</h1>'
    for i in 1 2 3 4 5; do echo "<a href=\"pages/$i.html\">page $i</a>"; done
    echo '<a href="missing.html">a broken link</a></body></html>'
  } > "$root/index.html"
  mkdir -p "$root/pages"
  for i in 1 2 3 4 5; do
    echo "<html><body>page $i <a href=\"../index.html\">home</a> <a href=\"$(( i % 5 + 1 )).html\">next</a></body></html>" \
      > "$root/pages/$i.html"
  done
  head -c 1048576 /dev/urandom > "$root/big.bin"
}

start_local_nginx() {
  local dir=$1
  make_local_site "$dir"
  mkdir -p "$dir/logs" "$dir/tmp"
  for attempt in 1 2 3 4 5 6 7 8; do
    # Below the kernel's ephemeral range (32768 and up), where busy tests' client sockets live.
    local port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  types { text/html html; }
  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy; fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
  gzip on; gzip_types text/html; gzip_min_length 64;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
    location = /old { return 301 /index.html; }
  }
}
CONF
    "$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" > "$dir/logs/stdout.log" 2>&1 &
    local pid=$!
    rm -f "$dir/nginx.pid"
    for _ in $(seq 100); do  # readiness: nginx wrote its pid (it has bound its port) and the port accepts
      if ! kill -0 "$pid" 2>/dev/null; then break; fi  # it exited: the port was taken
      if [[ "$(cat "$dir/nginx.pid" 2>/dev/null)" == "$pid" ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        LOCAL_NGINX_PID=$pid
        LOCAL_NGINX_PORT=$port
        LOCAL_NGINX_URL="http://127.0.0.1:$port"
        return 0
      fi
      sleep 0.05
    done
    # The port was taken (or nginx failed otherwise): try another one. (`|| true`: under
    # `set -e`, nginx's failure status would end the calling script right here, silently.)
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "local nginx did not start:" >&2
  cat "$dir/logs/error.log" "$dir/logs/stdout.log" >&2
  return 1
}

stop_local_nginx() {
  if [[ -n "${LOCAL_NGINX_PID:-}" ]]; then
    kill -QUIT "$LOCAL_NGINX_PID" 2>/dev/null || true
    wait "$LOCAL_NGINX_PID" 2>/dev/null || true
    LOCAL_NGINX_PID=
  fi
}
