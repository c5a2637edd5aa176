#!/usr/bin/env bash
# Instructions of one in-process render of the prod profile, counted by callgrind: a measure that
# does not drift with this VM's speed, for judging changes too small for the timed benchmarks to
# see. Runs examples/render_prod.rs with 40 and with 20 renders and divides the difference by 20,
# so start-up and the once-per-process work (the compiled templates) cancel out.
#
# SHA-256 is reported apart: valgrind hides the CPU's SHA instructions, so under it the sha2 crate
# falls back to software that costs ~40x what the native code does.
#
# Usage: scripts/render-instructions.sh      (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v valgrind >/dev/null || { echo "render-instructions.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
cargo build --release --locked --quiet --example render_prod
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() { # renders -> "total sha malloc" instructions
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" target/release/examples/render_prod "$1" >/dev/null 2>&1
    callgrind_annotate "$work/cg.$1" | awk '
        { n = $1; gsub(",", "", n) }
        /PROGRAM TOTALS/ { total = n }
        /sha2::/ { sha += n }
        /\.\/malloc\// { malloc += n }
        END { printf "%d %d %d\n", total, sha, malloc }'
}
read -r t40 s40 m40 < <(count 40)
read -r t20 s20 m20 < <(count 20)
awk -v t=$((t40 - t20)) -v s=$((s40 - s20)) -v m=$((m40 - m20)) 'BEGIN {
    printf "instructions per render: %d without SHA-256 (of which malloc/free %d); SHA-256 in software %d\n", (t - s) / 20, m / 20, s / 20 }'
