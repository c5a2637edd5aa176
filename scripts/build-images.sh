#!/usr/bin/env bash
# Builds the images a node needs to run the rendered relay without any registry, with buildah
# only, and writes them as OCI archives (for `ctr -n k8s.io images import`).
#
# Usage: scripts/build-images.sh DIR
#
# Writes into DIR (created if missing; its files are overwritten):
#   relay.tar    localhost/relaygen/postfix:trixie-<Postfix version>: images/relay/Containerfile
#                built on localhost/relaygen/debian:trixie, a base made with
#                `debootstrap --variant=minbase trixie` from Debian's mirror
#   pause.tar    localhost/relaygen/pause:3.10: the pod sandbox, a static BusyBox shell that
#                sleeps and exits on SIGTERM or SIGINT
#   busybox.tar  localhost/relaygen/busybox:<BusyBox version>: the host's static BusyBox
#                (busybox-static) with its applets linked in /bin, for client pods
#   values.yaml  relaygen values running the relay image, never pulled (pullPolicy Never)
#   images.txt   one line per archive: its file name in DIR and the image name in it
# Prints the paths written on stdout; logs and step timings go to stderr.
#
# Needs root (re-runs itself with sudo otherwise) for debootstrap and buildah, and Debian's
# mirror (TRIXIE_MIRROR, default http://deb.debian.org/debian). buildah keeps its images in a
# temporary vfs storage removed at the end: nothing is left in the machine's default storage.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRIXIE_MIRROR="${TRIXIE_MIRROR:-http://deb.debian.org/debian}"
BUSYBOX=/usr/bin/busybox
BASE_IMAGE=localhost/relaygen/debian:trixie
PAUSE_IMAGE=localhost/relaygen/pause:3.10
# The PATH of Docker Hub's Debian images, so the relay finds Postfix's commands in /usr/sbin.
DEBIAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The sandbox's process: PID 1 has no default signal handlers, so a bare `sleep` would ignore
# SIGTERM and the runtime would wait for its timeout and SIGKILL it.
PAUSE_SCRIPT="trap 'kill \$! 2>/dev/null; exit 0' TERM INT; while :; do /bin/busybox sleep 3600 & wait \$!; done"

log() { printf 'build-images: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

[[ $# -eq 1 && -n "$1" ]] || {
  echo "usage: scripts/build-images.sh DIR" >&2
  exit 2
}
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "needs root (or sudo) for debootstrap and buildah"
  exec sudo -- "$0" "$@"
fi
for tool in buildah debootstrap tar; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install $tool)"
done
[[ -x $BUSYBOX ]] || die "needs the static BusyBox at $BUSYBOX (apt-get install busybox-static)"
# The static build runs in an image holding nothing else.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; install busybox-static"
fi

mkdir -p "$1" || die "cannot create $1"
OUT="$(cd "$1" && pwd)"
# An OCI archive reference is PATH:IMAGE, so the path cannot hold a colon.
[[ $OUT != *:* ]] || die "DIR must not contain ':' ($OUT)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/relaygen-images.XXXXXX")"
# mktemp's 0700 would lock apt's sandbox user (_apt) out of the root filesystem.
chmod 0755 "$WORK"
cleanup() {
  buildah_ rm --all >/dev/null 2>&1 || true
  # Never into a /proc or /dev that a failed debootstrap left mounted.
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

buildah_() {
  buildah --storage-driver vfs --root "$WORK/storage/root" --runroot "$WORK/storage/runroot" "$@"
}

declare -a TIMINGS=()
CURRENT_STEP=
# Any failing command ends the run (set -e), naming its step; once, not again for each
# command substitution it ran in.
on_error() {
  if [[ $BASH_SUBSHELL -eq 0 ]]; then
    log "error: step '$CURRENT_STEP' failed (see the output above)"
  fi
}
set -E
trap on_error ERR
# Runs one step and times it.
step() {
  CURRENT_STEP="$1"
  shift
  log "$CURRENT_STEP ..."
  local started=$SECONDS
  "$@"
  TIMINGS+=("$(printf '%-20s %4d s' "$CURRENT_STEP" "$((SECONDS - started))")")
}

# Writes FILE via FILE.tmp, so an interrupted run never leaves a truncated archive behind.
push_archive() {
  local image="$1" file="$2"
  rm -f "$OUT/$file.tmp"
  buildah_ push --quiet "$image" "oci-archive:$OUT/$file.tmp:$image" >&2
  mv -f "$OUT/$file.tmp" "$OUT/$file"
}

debootstrap_base() {
  mkdir "$WORK/rootfs"
  debootstrap --variant=minbase trixie "$WORK/rootfs" "$TRIXIE_MIRROR" >&2
  # The host's name and resolver, which debootstrap copied in, are the runtime's to provide.
  rm -f "$WORK/rootfs/etc/resolv.conf" "$WORK/rootfs/etc/hostname"
  chroot "$WORK/rootfs" apt-get clean
  rm -rf "$WORK/rootfs"/var/lib/apt/lists/* "$WORK/rootfs"/var/cache/apt/*.bin
  # /dev, /proc and /sys are the runtime's: their contents stay out of the image.
  tar --numeric-owner --xattrs -C "$WORK/rootfs" \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -cf "$WORK/rootfs.tar" .
}

import_base() {
  local container
  container="$(buildah_ from scratch)"
  # buildah add unpacks a local tar archive, keeping its owners and modes.
  buildah_ add "$container" "$WORK/rootfs.tar" / >&2
  buildah_ config --env "PATH=$DEBIAN_PATH" --cmd bash "$container"
  buildah_ commit --quiet --rm "$container" "$BASE_IMAGE" >&2
}

build_relay() {
  buildah_ bud --isolation chroot --pull=never --build-arg "BASE=$BASE_IMAGE" \
    --iidfile "$WORK/relay.iid" -f "$ROOT/images/relay/Containerfile" "$ROOT/images/relay" >&2
  local id container version
  id="$(cat "$WORK/relay.iid")"
  # Postfix's own version names the image, and running it shows the image runs Postfix's tools.
  # -d: the compiled-in value; the image has no main.cf (the pod brings it).
  container="$(buildah_ from --pull=never "$id")"
  version="$(buildah_ run --isolation chroot "$container" -- postconf -d -h mail_version)"
  buildah_ rm "$container" >/dev/null
  [[ $version =~ ^[0-9][0-9A-Za-z._-]*$ ]] || {
    log "unexpected Postfix version: '$version'"
    return 1
  }
  RELAY_IMAGE="localhost/relaygen/postfix:trixie-$version"
  buildah_ tag "$id" "$RELAY_IMAGE"
}

build_pause() {
  local container
  container="$(buildah_ from scratch)"
  buildah_ copy --chmod 0755 "$container" "$BUSYBOX" /bin/busybox >&2
  # The script holds no double quote or backslash, so it goes into the JSON array as it is.
  buildah_ config --entrypoint "[\"/bin/busybox\", \"sh\", \"-c\", \"$PAUSE_SCRIPT\"]" \
    --user 65535:65535 "$container"
  buildah_ commit --quiet --rm "$container" "$PAUSE_IMAGE" >&2
}

build_busybox() {
  local container version
  version="$("$BUSYBOX" | sed -n '1s/^BusyBox v\([0-9][0-9.]*\).*/\1/p')"
  [[ -n $version ]] || {
    log "cannot read BusyBox's version from '$BUSYBOX'"
    return 1
  }
  BUSYBOX_IMAGE="localhost/relaygen/busybox:$version"
  container="$(buildah_ from scratch)"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    >"$WORK/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$WORK/group"
  buildah_ copy --chmod 0755 "$container" "$BUSYBOX" /bin/busybox >&2
  buildah_ copy --chmod 0644 "$container" "$WORK/passwd" "$WORK/group" /etc/ >&2
  buildah_ run --isolation chroot "$container" -- /bin/busybox sh -c \
    '/bin/busybox --install -s /bin && mkdir -p /tmp /root && chmod 1777 /tmp' >&2
  buildah_ config --env "PATH=$DEBIAN_PATH" --cmd sh "$container"
  buildah_ commit --quiet --rm "$container" "$BUSYBOX_IMAGE" >&2
}

write_archives() {
  push_archive "$RELAY_IMAGE" relay.tar
  push_archive "$PAUSE_IMAGE" pause.tar
  push_archive "$BUSYBOX_IMAGE" busybox.tar
}

write_values() {
  local repository="${RELAY_IMAGE%:*}" tag="${RELAY_IMAGE##*:}"
  cat >"$OUT/values.yaml.tmp" <<EOF
# relaygen values for the relay image built by scripts/build-images.sh: the node has it
# from relay.tar (ctr -n k8s.io images import), and the kubelet never pulls it.
# The exporter sidecar's image (monitoring.exporter.image) is not built here: set it to one
# your nodes can run, or turn the exporter off.
image:
  repository: $repository
  tag: $tag
  pullPolicy: Never
EOF
  printf '%s %s\n' relay.tar "$RELAY_IMAGE" pause.tar "$PAUSE_IMAGE" busybox.tar "$BUSYBOX_IMAGE" \
    >"$OUT/images.txt.tmp"
  mv -f "$OUT/values.yaml.tmp" "$OUT/values.yaml"
  mv -f "$OUT/images.txt.tmp" "$OUT/images.txt"
}

total_started=$SECONDS
step "debootstrap trixie" debootstrap_base
step "import base" import_base
step "build relay" build_relay
step "build pause" build_pause
step "build busybox" build_busybox
step "write archives" write_archives
step "write values" write_values

log "done in $((SECONDS - total_started)) s:"
for timing in "${TIMINGS[@]}"; do
  log "  $timing"
done
while read -r file image; do
  log "  $(printf '%-12s %6s  %s' "$file" "$(du -h "$OUT/$file" | cut -f1)" "$image")"
done <"$OUT/images.txt"
printf '%s\n' "$OUT/relay.tar" "$OUT/pause.tar" "$OUT/busybox.tar" "$OUT/values.yaml" "$OUT/images.txt"
