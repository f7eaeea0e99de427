# Shared by login_flood.sh and static.sh (sourced): builds the release binaries, the site
# from content/, and starts one ticket-service on a fresh SQLite database in $WORK.
# Sets TS_PID, TS_PORT, WORK, SITE, CUSTOMER_EMAIL, CUSTOMER_PASSWORD.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# TS_BIN and KB_BIN run other binaries (an earlier commit's, for a before/after) instead.
if [ -n "${TS_BIN:-}" ] && [ -n "${KB_BIN:-}" ]; then
    TS="$TS_BIN"
    KB="$KB_BIN"
else
    cargo build --release -q -p ticket-service -p kb-builder
    TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    TS="$TARGET/release/ticket-service"
    KB="$TARGET/release/kb-builder"
fi
WORK="$(mktemp -d)"
SITE="$WORK/site"
"$KB" build --content "$ROOT/content" --out "$SITE" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TS_PORT="$(free_port)"
export MADOGUCHI_DATABASE_URL="sqlite://$WORK/bench.db"
export MADOGUCHI_MAIL_DIR="$WORK/mail"
export MADOGUCHI_TRUSTED_PROXIES=127.0.0.1
export RUST_LOG="${RUST_LOG:-warn}"
"$TS" admin add-company "ベンチ株式会社" --contract-start 2000-01-01 --contract-end 2999-12-31 >/dev/null
CUSTOMER_EMAIL=bench@example.com
CUSTOMER_PASSWORD="$("$TS" admin add-customer "$CUSTOMER_EMAIL" --name Bench --company "ベンチ株式会社" | sed -n 's/^password: //p')"
"$TS" serve --listen "127.0.0.1:$TS_PORT" --site "$SITE" --base-url "http://127.0.0.1:$TS_PORT" \
    >"$WORK/service.log" 2>&1 &
TS_PID=$!
cleanup_service() { kill "$TS_PID" 2>/dev/null || true; wait "$TS_PID" 2>/dev/null || true; rm -rf "$WORK"; }
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$TS_PORT/healthz" >/dev/null && break
    sleep 0.1
done
