#!/usr/bin/env bash
# Builds the Argo CD plugin sidecar image from Containerfile with buildah; no registry needed.
#
# Usage: scripts/build-image.sh [IMAGE]        (default: relaygen-cmp:<crate version>)
#
# 1. compiles relaygen statically with scripts/build-static.sh (glibc, `+crt-static`) into
#    target/static/, its own target directory, so it never invalidates the ordinary debug build;
# 2. writes plugin.yaml with that binary's `relaygen argocd plugin` (never a hand-kept copy);
# 3. runs `buildah bud` on a context holding just those two files.
#
# BUILDAH_STORAGE=DIR keeps buildah's images under DIR (vfs driver, no mounts needed): the
# tests use a temporary one. Without it, buildah's default storage is used.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
image="${1:-relaygen-cmp:$version}"
binary="$(scripts/build-static.sh)"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/relaygen"
"$context/relaygen" argocd plugin >"$context/plugin.yaml"

storage=()
if [[ -n "${BUILDAH_STORAGE:-}" ]]; then
  storage=(--storage-driver vfs --root "$BUILDAH_STORAGE/root" --runroot "$BUILDAH_STORAGE/runroot")
fi
buildah "${storage[@]}" bud --isolation chroot --file "$ROOT/Containerfile" --tag "$image" "$context" >&2
printf '%s\n' "$image"
