#!/usr/bin/env bash
# Static serving, side by side in one run: the public home page from ticket-service and
# from nginx serving the same built site/public (wrk, 64 connections, 2 threads, 10 s each,
# after a 2 s warm-up), then the customer edition /kb/ from ticket-service with a session
# cookie (and from a second instance with the session read cache off). Plain requests (no
# Accept-Encoding) and, as a browser sends them, gzip; then the fingerprinted stylesheet
# (gzip) from both. nginx is configured as README recommends
# (immutable caching for assets/*.<hash>.*).
# Targets (issue 11): at least half of nginx's requests/s, p99 < 10 ms; /kb/ within 2x.
#
#     tests/bench/static.sh             # DURATION=10s CONNECTIONS=64 by default
#     TS_BIN=old/ticket-service KB_BIN=old/kb-builder tests/bench/static.sh   # other binaries
#
# Needs cargo, python3, curl, wrk and nginx (both installed with apt-get when missing and
# we are root). Figures only, no assertions.
set -euo pipefail
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -q "$tool" >/dev/null; }
done
source "$(dirname "${BASH_SOURCE[0]}")/service_lib.sh"
NGINX_PORT="$(free_port)"
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    gzip on;
    gzip_types text/css text/javascript application/json;
    client_body_temp_path $WORK/nginx;
    proxy_temp_path $WORK/nginx;
    fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx;
    scgi_temp_path $WORK/nginx;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $SITE/public;
        etag on;
        location ~ "^/(.*/)?assets/[^/]+\.[0-9a-f]{8}\.[a-z0-9]+\$" {
            add_header Cache-Control "public, max-age=31536000, immutable";
        }
    }
}
CONF
nginx -c "$WORK/nginx/nginx.conf"
trap 'nginx -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true; cleanup_service' EXIT

# A session for /kb/.
JAR="$WORK/cookies"
CSRF="$(curl -s -c "$JAR" "http://127.0.0.1:$TS_PORT/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)"
curl -s -b "$JAR" -c "$JAR" -o /dev/null -H "Origin: http://127.0.0.1:$TS_PORT" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "email=$CUSTOMER_EMAIL" \
    --data-urlencode "password=$CUSTOMER_PASSWORD" "http://127.0.0.1:$TS_PORT/login"
SESSION="$(awk '$6 ~ /session/ {print $6"="$7}' "$JAR" | tail -1)"

D="${DURATION:-10s}"
C="${CONNECTIONS:-64}"
run() { # label url [header]
    local label="$1" url="$2"; shift 2
    wrk -t2 -c"$C" -d2s "$@" "$url" >/dev/null
    local out
    out="$(wrk -t2 -c"$C" -d"$D" --latency "$@" "$url")"
    printf '%-44s %10s req/s   p50 %8s   p99 %8s\n' "$label" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1=="50%" {print $2}' <<<"$out")" \
        "$(awk '$1=="99%" {print $2}' <<<"$out")"
}
echo "wrk -t2 -c$C -d$D on $(nproc) cores; home page $(curl -s "http://127.0.0.1:$TS_PORT/" | wc -c) bytes"
run "nginx            /" "http://127.0.0.1:$NGINX_PORT/"
run "ticket-service   /" "http://127.0.0.1:$TS_PORT/"
run "nginx            / (gzip)" "http://127.0.0.1:$NGINX_PORT/" -H "Accept-Encoding: gzip"
run "ticket-service   / (gzip)" "http://127.0.0.1:$TS_PORT/" -H "Accept-Encoding: gzip"
run "ticket-service   /kb/ (session)" "http://127.0.0.1:$TS_PORT/kb/" -H "Cookie: $SESSION"
# The same page from a second instance on the same database with the session read cache
# off (security.session_cache_seconds = 0): every request asks the database who it is.
NOCACHE_PORT="$(free_port)"
MADOGUCHI_SESSION_CACHE_SECONDS=0 "$TS" serve --listen "127.0.0.1:$NOCACHE_PORT" --site "$SITE" \
    --base-url "http://127.0.0.1:$NOCACHE_PORT" >"$WORK/service-nocache.log" 2>&1 &
NOCACHE_PID=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$NOCACHE_PORT/healthz" >/dev/null && break
    sleep 0.1
done
run "ticket-service   /kb/ (session, no cache)" "http://127.0.0.1:$NOCACHE_PORT/kb/" -H "Cookie: $SESSION"
kill "$NOCACHE_PID"; wait "$NOCACHE_PID" 2>/dev/null || true
# The stylesheet the home page links to (a fingerprinted name, or the plain one of a site
# built before fingerprinting).
CSS="$(curl -s "http://127.0.0.1:$TS_PORT/" | sed 's/&#x2F;/\//g' | grep -o 'href="[^"]*madoguchi[^"]*\.css"' | head -1 | sed 's/^href="//; s/"$//')"
run "nginx            /$CSS (gzip)" "http://127.0.0.1:$NGINX_PORT/$CSS" -H "Accept-Encoding: gzip"
run "ticket-service   /$CSS (gzip)" "http://127.0.0.1:$TS_PORT/$CSS" -H "Accept-Encoding: gzip"
