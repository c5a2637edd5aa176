#!/usr/bin/env bash
# Installs the shipped relaygen binary (static, see scripts/build-static.sh) as
# $PREFIX/bin/relaygen, PREFIX defaulting to ~/.local (or /usr/local for root).
#
# Usage: scripts/install.sh            PREFIX=/opt/relaygen scripts/install.sh
set -euo pipefail
default_prefix="$HOME/.local"
[[ $(id -u) -eq 0 ]] && default_prefix=/usr/local
prefix="${PREFIX:-$default_prefix}"
binary="$("$(dirname "${BASH_SOURCE[0]}")/build-static.sh")"
install -D -m 0755 "$binary" "$prefix/bin/relaygen"
printf 'installed %s (%s)\n' "$prefix/bin/relaygen" "$("$prefix/bin/relaygen" --version)" >&2
