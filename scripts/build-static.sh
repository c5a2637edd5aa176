#!/usr/bin/env bash
# Builds the relaygen binary that ships: a release build linked statically against glibc
# (`-C target-feature=+crt-static`, at a fixed address: see below), and prints its path.
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

case "${RELAYGEN_PIE:-off}" in
    on | off) ;;
    *) echo "build-static.sh: RELAYGEN_PIE=${RELAYGEN_PIE} is neither on nor off" >&2; exit 2 ;;
esac
host="$(rustc -vV | sed -n 's/^host: //p')"
flags="${RUSTFLAGS:-}"
if [[ "$host" == *-linux-gnu ]]; then
    flags="${flags:+$flags }-C target-feature=+crt-static"
    # A fixed-address (non-PIE) executable, as Go builds kubectl, helm and argocd. A static PIE
    # relocates ~3,700 pointers at every start, copying the 14 pages they sit on: 15 page faults
    # and about 8% of a `render` (README, Performance). What it gives up is address
    # randomisation of the binary's own code and data; stack, heap and mappings stay randomised.
    # relaygen's only unsafe code is its allocator (src/process_allocator.rs). RELAYGEN_PIE=on
    # builds a static PIE instead; a relocation model given in RUSTFLAGS is left alone.
    if [[ "${RELAYGEN_PIE:-off}" == off && "$flags" != *relocation-model* ]]; then
        flags="$flags -C relocation-model=static"
    fi
fi
# Hot functions side by side (scripts/symbol-order.txt, see update-symbol-order.sh): fewer page
# faults when a fresh process starts. Speed only, so it must never break a build: it is used
# only when a trial link shows the linker takes `--symbol-ordering-file` (LLD, rustc's default
# linker on x86_64 Linux since Rust 1.90, does; GNU ld does not). build.rs passes it to the
# linker. RELAYGEN_SYMBOL_ORDER=off builds without it.
order="$ROOT/scripts/symbol-order.txt"
unset RELAYGEN_SYMBOL_ORDER_FILE
if [[ "${RELAYGEN_SYMBOL_ORDER:-on}" != off && -s "$order" ]]; then
    probe="$(mktemp -d)"
    printf 'fn main() {}\n' >"$probe/probe.rs"
    # shellcheck disable=SC2086 # RUSTFLAGS is a list of words, as cargo splits it
    if rustc --target "$host" $flags -C "link-arg=-Wl,--symbol-ordering-file=$order" \
        -C link-arg=-Wl,--no-warn-symbol-ordering -o "$probe/probe" "$probe/probe.rs" 2>/dev/null; then
        export RELAYGEN_SYMBOL_ORDER_FILE="$order"
    else
        echo "build-static.sh: the linker does not take --symbol-ordering-file (LLD does);" \
            "building without scripts/symbol-order.txt" >&2
    fi
    rm -rf "$probe"
fi
RUSTFLAGS="$flags" cargo build --locked --release --target "$host" --target-dir target/static >&2
bin="$ROOT/target/static/$host/release/relaygen"
if [[ -n "${RELAYGEN_SYMBOL_ORDER_FILE:-}" ]] && command -v nm >/dev/null; then
    # Symbol names carry hashes that change with the compiler and dependencies; a list that no
    # longer matches costs speed, never correctness, so this warns instead of failing.
    listed=$(wc -l <"$order")
    found=$(nm --defined-only "$bin" | awk '{ print $3 }' | LC_ALL=C sort -u |
        LC_ALL=C comm -12 - <(LC_ALL=C sort -u "$order") | wc -l)
    if ((found * 10 < listed * 9)); then
        echo "build-static.sh: only $found of $listed functions in scripts/symbol-order.txt exist in this build;" \
            "run scripts/update-symbol-order.sh" >&2
    fi
fi
printf '%s\n' "$bin"
