#!/usr/bin/env bash
# Ticket benchmark: a release build of ticket-service on SQLite and on PostgreSQL, each with
# 100,000 tickets of 3 articles (tests/bench/load_tickets.py), measured with wrk at 64
# connections from this machine.
#
#     tests/bench/tickets.sh                 # 100000 tickets, 10 s per measurement
#     TICKETS=20000 DURATION=5 tests/bench/tickets.sh
#     BACKENDS=sqlite tests/bench/tickets.sh # one backend only
#     CUSTOMERS_PER_COMPANY=400 tests/bench/tickets.sh   # 20,000 customer users, not 100
#     PG_URL=postgres://127.0.0.1:5432/postgres tests/bench/tickets.sh
#
# It prints, per backend, requests/s and p50/p99 latency of: the customer's ticket list
# (page 1 of a company with ~2,000 tickets), a customer's ticket view (a random ticket of
# that company per request), the agents' queue view (one queue's open tickets), the same
# list and view through the JSON API, and tickets created per second through the JSON API
# (64 connections posting new tickets). Target: p99 under 20 ms for list and view on both
# backends. Figures only: the exit status is 0 even when a target is missed.
#
# Needs: cargo, python3, psql, wrk (installed with apt-get when missing and we are root).
# The client runs on the same 2 cores as the service, so the figures are a floor.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TICKETS=${TICKETS:-100000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_URL=${PG_URL:-postgres://127.0.0.1:5432/postgres}
PORT=${PORT:-18181}
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS madoguchi_bench" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  if [ "$EUID" -eq 0 ]; then apt-get install -y wrk >/dev/null; else echo "needs wrk" >&2; exit 1; fi
fi

echo "building release binaries..." >&2
(cd "$ROOT" && cargo build --release -q -p ticket-service -p kb-builder)
BIN="$ROOT/target/release"
"$BIN/kb-builder" build --content "$ROOT/content" --out "$WORK/site" >/dev/null

# Random paths from the benchmark company's ticket numbers; PREFIX/SUFFIX around each.
cat >"$WORK/random.lua" <<'LUA'
local numbers = {}
for line in io.lines(os.getenv("NUMBERS")) do numbers[#numbers + 1] = line end
local prefix, suffix = os.getenv("PREFIX"), os.getenv("SUFFIX") or ""
request = function()
  return wrk.format("GET", prefix .. numbers[math.random(#numbers)] .. suffix)
end
LUA
cat >"$WORK/create.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"ticket_type":"2","queue":"1","subject":"ベンチマークの問い合わせ",' ..
  '"body":"配送が遅延しています。ログを確認してください。","priority":"3",' ..
  '"fields":{"end_user":"ベンチ株式会社"}}'
LUA

# wrk's summary as "requests/s  p50  p99  non-2xx".
measure() {
  local out
  out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@" 2>&1)
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%8s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "$rps" "$p50" "$p99" "${bad:-0}"
}

for backend in $BACKENDS; do
  case $backend in
    sqlite) DB_URL="sqlite://$WORK/bench.db"; TARGET="$WORK/bench.db" ;;
    postgres)
      psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS madoguchi_bench" >/dev/null
      psql -q "$PG_URL" -c "CREATE DATABASE madoguchi_bench" >/dev/null
      DB_URL="${PG_URL%/*}/madoguchi_bench"; TARGET=$DB_URL ;;
  esac
  export MADOGUCHI_DATABASE_URL=$DB_URL
  "$BIN/ticket-service" migrate >/dev/null
  echo "loading $TICKETS tickets into $backend..." >&2
  eval "$(python3 "$ROOT/tests/bench/load_tickets.py" "$backend" "$TARGET" "$TICKETS")"
  RUST_LOG=warn "$BIN/ticket-service" serve --listen "127.0.0.1:$PORT" --site "$WORK/site" \
    >"$WORK/server-$backend.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  base="http://127.0.0.1:$PORT"
  customer=(-H "Cookie: mdg_session=$CUSTOMER_COOKIE")
  agent=(-H "Cookie: mdg_session=$AGENT_COOKIE")
  bearer=(-H "Authorization: Bearer $API_TOKEN")
  export NUMBERS=$TICKET_NUMBERS_FILE
  echo
  echo "== $backend: $LOADED_TICKETS tickets, $LOADED_ARTICLES articles (loaded in ${LOAD_SECONDS}s), $CONNECTIONS connections, ${DURATION}s each"
  printf '%-34s' "customer ticket list /tickets";  measure "${customer[@]}" "$base/tickets"
  printf '%-34s' "customer ticket view";           PREFIX=/tickets/ measure "${customer[@]}" -s "$WORK/random.lua" "$base"
  printf '%-34s' "agent queue view";               measure "${agent[@]}" "$base/agent/tickets?queue=1&state=open"
  printf '%-34s' "API ticket list";                measure "${bearer[@]}" "$base/api/v1/tickets"
  printf '%-34s' "API ticket view";                PREFIX=/api/v1/tickets/ measure "${bearer[@]}" -s "$WORK/random.lua" "$base"
  before=$(curl -fs "${bearer[@]}" "$base/api/v1/tickets?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  printf '%-34s' "API ticket creation";            measure "${bearer[@]}" -s "$WORK/create.lua" "$base/api/v1/tickets"
  after=$(curl -fs "${bearer[@]}" "$base/api/v1/tickets?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  echo "  tickets created: $((after - before)) in ${DURATION}s = $(( (after - before) / DURATION ))/s"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  rm -f "$TICKET_NUMBERS_FILE"
done
