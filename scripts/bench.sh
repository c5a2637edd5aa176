#!/usr/bin/env bash
# Measures relaygen against its performance targets and prints the figures docs/performance.md
# publishes. The binary is the one that ships (scripts/build-static.sh, as scripts/install.sh
# installs it and the sidecar image carries it). In one hyperfine run:
#
#   1. `relaygen render --profile prod` next to `cat` printing the same bytes: within 3x;
#   2. `helm template` of benches/peer-chart, a Helm chart kept in the repository only as this
#      bench's peer, which renders the same objects as the prod profile: relaygen at least 15x
#      faster;
#   3. `kubectl kustomize out/prod`, the rendered prod directory through Kustomize, as
#      `kubectl apply -k` reads it: reported beside the others, no target;
#   4. peak RSS of the render (GNU time -v, highest of 20 runs): at most 8 MiB.
#
# Before timing, it checks that both peers print the same objects (kind and name) as the render.
# Installs hyperfine, GNU time and PyYAML from Debian when missing, and helm and kubectl through
# scripts/install-judges.sh kubectl. Exits non-zero if a target is missed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PEER_CHART=benches/peer-chart

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
python3 -c 'import yaml' 2>/dev/null || apt_install python3-yaml

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

scripts/install-judges.sh kubectl >/dev/null 2>&1 || scripts/install-judges.sh kubectl
helm="$ROOT/.judges/bin/helm"
kubectl="$ROOT/.judges/bin/kubectl"
helm_args=(template postfix-relay "$PEER_CHART" --namespace email-server-prod)
"$helm" "${helm_args[@]}" >"$work/helm.yaml"
"$kubectl" kustomize out/prod >"$work/kustomize.yaml"
echo "helm:     $("$helm" version --short), $(wc -c <"$work/helm.yaml") bytes, $(grep -c '^kind:' "$work/helm.yaml") objects"
echo "kubectl:  $("$kubectl" version --client | paste -sd ' ' -), $(wc -c <"$work/kustomize.yaml") bytes, $(grep -c '^kind:' "$work/kustomize.yaml") objects"

# A peer is only a peer while it renders the same objects.
python3 - "$work" <<'PY'
import sys, yaml
def objects(path):
    return sorted((d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(open(path)) if d)
work = sys.argv[1]
ours = objects(f"{work}/prod.yaml")
for peer in ("helm", "kustomize"):
    if objects(f"{work}/{peer}.yaml") != ours:
        sys.exit(f"bench.sh: {peer} does not render the objects of `render --profile prod`:\n"
                 f"  relaygen: {ours}\n  {peer}: {objects(f'{work}/{peer}.yaml')}")
PY

commands=(
    --command-name "relaygen render --profile prod" "$bin render --profile prod"
    --command-name "cat (same output)" "cat $work/prod.yaml"
    --command-name "helm template (peer chart)" "$helm ${helm_args[*]}"
    --command-name "kubectl kustomize out/prod" "$kubectl kustomize out/prod"
)

failed=0
verdict() { # name, measured, target, met (0/1)
    if [[ $4 == 1 ]]; then echo "target met:    $1: $2 (target $3)"; else echo "TARGET MISSED: $1: $2 (target $3)"; failed=1; fi
}

echo
echo "== time (hyperfine, no shell)"
hyperfine --shell=none --warmup 10 --min-runs 100 --export-json "$work/times.json" "${commands[@]}"
read -r relaygen_ms cat_ms helm_ms kustomize_ms < <(python3 - "$work/times.json" <<'PY'
import json, sys
means = {r["command"]: r["mean"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
print(" ".join(f"{means[name]:.2f}" for name in ("relaygen render --profile prod", "cat (same output)",
                                                 "helm template (peer chart)", "kubectl kustomize out/prod")))
PY
)
ratio=$(python3 -c "print(f'{$relaygen_ms / $cat_ms:.2f}')")
verdict "relaygen / cat" "${ratio}x (${relaygen_ms} ms vs ${cat_ms} ms)" "<= 3x" "$(python3 -c "print(int($ratio <= 3))")"
speedup=$(python3 -c "print(f'{$helm_ms / $relaygen_ms:.1f}')")
verdict "helm template / relaygen" "${speedup}x (${helm_ms} ms vs ${relaygen_ms} ms)" ">= 15x" \
    "$(python3 -c "print(int($speedup >= 15))")"
echo "figure:        kubectl kustomize / relaygen: $(python3 -c "print(f'{$kustomize_ms / $relaygen_ms:.1f}')")x (${kustomize_ms} ms vs ${relaygen_ms} ms), no target"

echo
echo "== peak RSS (GNU time -v, highest of 20 runs)"
max_kib=0
for _ in $(seq 20); do
    kib=$(/usr/bin/time -v "$bin" render --profile prod 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')
    ((kib > max_kib)) && max_kib=$kib
done
verdict "peak RSS" "$(python3 -c "print(f'{$max_kib / 1024:.2f} MiB')")" "<= 8 MiB" "$(python3 -c "print(int($max_kib <= 8 * 1024))")"

exit "$failed"
