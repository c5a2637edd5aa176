#!/usr/bin/env bash
# Builds the relaygen binary that ships and prints its path: a release build linked statically
# against glibc, as a static PIE (`-C target-feature=+crt-static`; Rust keeps static binaries
# position-independent, so address randomisation stays on). It runs alone in the `FROM scratch`
# Argo CD sidecar image, and the same build is what scripts/install.sh installs.
#
# The build has its own target directory (target/static/) and an explicit --target, which keeps
# `+crt-static` away from build scripts and proc-macros (they must stay dynamic) and leaves the
# ordinary `cargo build` cache untouched. Hosts other than *-linux-gnu get a plain release build
# in the same place.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

host="$(rustc -vV | sed -n 's/^host: //p')"
flags="${RUSTFLAGS:-}"
if [[ "$host" == *-linux-gnu ]]; then
    flags="${flags:+$flags }-C target-feature=+crt-static"
fi
RUSTFLAGS="$flags" cargo build --locked --release --target "$host" --target-dir target/static >&2
printf '%s\n' "$ROOT/target/static/$host/release/relaygen"
