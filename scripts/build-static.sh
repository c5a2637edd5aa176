#!/usr/bin/env bash
# Builds the relaygen binary that ships: a release build linked statically against glibc
# (`-C target-feature=+crt-static`, a static PIE), and prints its path.
#
# Why static: relaygen is a short process (about a millisecond) run on every Argo CD refresh and
# CI job. A static binary skips the dynamic loader's work (loading libc, resolving symbols,
# relocating) and does not map the shared libraries, which is about 1 MiB of the peak RSS (see
# README, Performance). It also runs alone in the `FROM scratch` sidecar image.
#
# The build has its own target directory (target/static/) and an explicit --target, which is
# what keeps `+crt-static` away from build scripts and proc-macros (they must stay dynamic), and
# keeps the ordinary `cargo build` cache untouched. Hosts other than *-linux-gnu get a plain
# release build in the same place.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

host="$(rustc -vV | sed -n 's/^host: //p')"
flags="${RUSTFLAGS:-}"
if [[ "$host" == *-linux-gnu ]]; then flags="${flags:+$flags }-C target-feature=+crt-static"; fi
RUSTFLAGS="$flags" cargo build --locked --release --target "$host" --target-dir target/static >&2
printf '%s\n' "$ROOT/target/static/$host/release/relaygen"
