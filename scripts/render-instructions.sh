#!/usr/bin/env bash
# Instructions of one in-process render of the prod profile, counted by callgrind: a measure that
# does not drift with this VM's speed, for judging changes too small for the timed benchmarks to
# see. Runs examples/render_prod.rs with 40 and with 20 renders and divides the difference by 20,
# so start-up and the once-per-process work (the compiled templates) cancel out.
#
# SHA-256 is reported apart: valgrind hides the CPU's SHA instructions, so under it the sha2 crate
# falls back to its software rounds, which take many times the instructions of the native ones.
# glibc's malloc family is reported too: glibc's malloc/ sources where its debug symbols are
# installed, otherwise libc's functions named after malloc, free and realloc.
#
# Usage: scripts/render-instructions.sh      (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "render-instructions.sh: $tool is missing (apt-get install valgrind)" >&2; exit 2; }
done
cargo build --release --locked --quiet --example render_prod
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # renders -> "total sha malloc" instructions
    if ! valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" \
        "${CARGO_TARGET_DIR:-target}/release/examples/render_prod" "$1" >"$work/log.$1" 2>&1; then
        cat "$work/log.$1" >&2
        echo "render-instructions.sh: callgrind of $1 renders failed" >&2
        exit 1
    fi
    # Every function (no 1% cut-off), no source annotation.
    callgrind_annotate --threshold=100 --auto=no "$work/cg.$1" | awk '
        { n = $1; gsub(",", "", n) }
        /PROGRAM TOTALS/ { total = n }
        /sha2::/ { sha += n }
        /\.\/malloc\// || (/libc\.so/ && /:(_int_)?(malloc|free|realloc|calloc)[ @]|:cfree|malloc_consolidate|unlink_chunk/) { malloc += n }
        END { printf "%d %d %d\n", total, sha, malloc }'
}

many=$(count 40)
few=$(count 20)
read -r t40 s40 m40 <<<"$many"
read -r t20 s20 m20 <<<"$few"
awk -v t=$((t40 - t20)) -v s=$((s40 - s20)) -v m=$((m40 - m20)) 'BEGIN {
    printf "instructions per render: %d without SHA-256 (of which malloc/free %d); SHA-256 in software %d\n", (t - s) / 20, m / 20, s / 20 }'
