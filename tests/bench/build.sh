#!/usr/bin/env bash
# Build benchmark for kb-builder (and Hugo on the same articles, for comparison).
#
# Run from anywhere in the checkout:
#     tests/bench/build.sh              # N = 1000 and 10000
#     tests/bench/build.sh 500 20000    # any list of article counts
#     KEEP=1 tests/bench/build.sh 1000  # keep tests/bench/out/ for inspection
#
# What it measures: for each N, tests/bench/gen_content.py writes N synthetic articles
# (~3 KB bodies, 40 categories in 3 levels, 60/30/10 % public/customer/internal, 85 % ja)
# into tests/bench/out/ (git-ignored), in kb-builder's format and, identically, as a minimal
# Hugo site. Then `kb-builder build` (release build: three editions x two UI languages,
# RSS/Atom feeds, sitemaps, three tantivy indexes) and `hugo --quiet --minify=false` run
# under /usr/bin/time -v. It prints wall, user and system seconds, articles per second,
# peak RSS and number of output files for each, and whether kb-builder meets its targets at
# 10,000 articles: < 10 s wall, < 500 MB peak RSS, faster than Hugo. A second kb-builder
# row per N (`kb+precomp`) builds again with --precompress (PRECOMPRESS=0 skips it).
#
# Needs: cargo, python3, /usr/bin/time (package `time`); Hugo is optional (both are
# installed with apt-get when missing and we are root; without Hugo its columns are skipped).
# Figures only, no assertions: the exit status is 0 even when a target is missed.
# Time goes to the page cache too: the content is generated right before each build, so
# both tools read it from memory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/tests/bench"
OUT="$BENCH/out"
NS=("$@")
[ ${#NS[@]} -eq 0 ] && NS=(1000 10000)

cd "$ROOT"

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $1 with apt-get ..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1") >/dev/null 2>&1 || true
    fi
}

[ -x /usr/bin/time ] || apt_install time
if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time is missing (install the 'time' package)" >&2
    exit 2
fi
command -v hugo >/dev/null || apt_install hugo
HUGO=""
if command -v hugo >/dev/null; then
    HUGO="$(command -v hugo)"
    echo "hugo: $(hugo version | head -1)"
else
    echo "hugo is not installed and could not be installed: skipping the Hugo comparison"
fi

echo "building kb-builder (release) ..."
cargo build --release -q -p kb-builder
KB="${CARGO_TARGET_DIR:-$ROOT/target}/release/kb-builder"

if [ "${KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$OUT"' EXIT
fi

# Reads a `/usr/bin/time -v` report; prints "wall user sys peak_mb".
parse_time() {
    awk -F': ' '
        /Elapsed \(wall clock\) time/ {
            n = split($2, p, ":"); w = 0
            for (i = 1; i <= n; i++) w = w * 60 + p[i]
        }
        /User time \(seconds\)/   { u = $2 }
        /System time \(seconds\)/ { s = $2 }
        /Maximum resident set size/ { m = $2 / 1024 }
        END { printf "%.2f %.2f %.2f %.0f\n", w, u, s, m }' "$1"
}

ROWS=()
declare -A KB_WALL KB_RSS HUGO_WALL

for N in "${NS[@]}"; do
    dir="$OUT/$N"
    rm -rf "$dir"
    mkdir -p "$dir"
    hugo_args=()
    [ -n "$HUGO" ] && hugo_args=(--hugo "$dir/hugo")
    python3 "$BENCH/gen_content.py" "$N" "$dir/content" "${hugo_args[@]}"

    echo "N=$N: kb-builder build ..."
    if ! /usr/bin/time -v -o "$dir/kb.time" "$KB" build --content "$dir/content" \
        --out "$dir/site" --theme "$ROOT/themes/default" >"$dir/kb.log" 2>&1; then
        echo "kb-builder failed:" >&2
        tail -20 "$dir/kb.log" >&2
        exit 1
    fi
    sed 's/^/    /' "$dir/kb.log"
    read -r wall user sys rss < <(parse_time "$dir/kb.time")
    files=$(find "$dir/site" -type f | wc -l)
    aps=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
    ROWS+=("$(printf '%7s  %-10s %8s %7s %7s %9s %8s %8s' "$N" kb-builder "$wall" "$user" "$sys" "$aps" "$rss" "$files")")
    KB_WALL[$N]=$wall
    KB_RSS[$N]=$rss

    # The same build with --precompress (.gz and .br copies of every text file, for web
    # servers that serve them): its cost in time and files. PRECOMPRESS=0 skips it.
    if [ "${PRECOMPRESS:-1}" != 0 ]; then
        echo "N=$N: kb-builder build --precompress ..."
        rm -rf "$dir/site"
        if ! /usr/bin/time -v -o "$dir/kbz.time" "$KB" build --precompress --content "$dir/content" \
            --out "$dir/site" --theme "$ROOT/themes/default" >"$dir/kbz.log" 2>&1; then
            echo "kb-builder --precompress failed:" >&2
            tail -20 "$dir/kbz.log" >&2
            exit 1
        fi
        read -r wall user sys rss < <(parse_time "$dir/kbz.time")
        files=$(find "$dir/site" -type f | wc -l)
        aps=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
        ROWS+=("$(printf '%7s  %-10s %8s %7s %7s %9s %8s %8s' "$N" "kb+precomp" "$wall" "$user" "$sys" "$aps" "$rss" "$files")")
    fi

    if [ -n "$HUGO" ]; then
        echo "N=$N: hugo ..."
        if ! /usr/bin/time -v -o "$dir/hugo.time" "$HUGO" --quiet --minify=false \
            -s "$dir/hugo" -d "$dir/hugo/public" >"$dir/hugo.log" 2>&1; then
            echo "hugo failed:" >&2
            tail -20 "$dir/hugo.log" >&2
        else
            read -r wall user sys rss < <(parse_time "$dir/hugo.time")
            files=$(find "$dir/hugo/public" -type f | wc -l)
            aps=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
            ROWS+=("$(printf '%7s  %-10s %8s %7s %7s %9s %8s %8s' "$N" hugo "$wall" "$user" "$sys" "$aps" "$rss" "$files")")
            HUGO_WALL[$N]=$wall
        fi
    fi
    # Keep the disk small between sizes.
    [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
done

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
printf '%7s  %-10s %8s %7s %7s %9s %8s %8s\n' N tool "wall s" "user s" "sys s" "art/s" "peak MB" files
for r in "${ROWS[@]}"; do echo "$r"; done

echo
echo "targets (kb-builder, 10,000 articles, 3 editions x 2 UI languages, feeds, indexes):"
if [ -z "${KB_WALL[10000]:-}" ]; then
    echo "  (not evaluated: include 10000 in the list of N)"
else
    w=${KB_WALL[10000]}
    m=${KB_RSS[10000]}
    verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
    echo "  wall < 10 s      : ${w} s  -> $(verdict "$w < 10")"
    echo "  peak RSS < 500 MB: ${m} MB -> $(verdict "$m < 500")"
    if [ -n "${HUGO_WALL[10000]:-}" ]; then
        h=${HUGO_WALL[10000]}
        echo "  faster than Hugo : ${w} s vs ${h} s -> $(verdict "$w < $h")"
    else
        echo "  faster than Hugo : not evaluated (no Hugo run)"
    fi
fi
