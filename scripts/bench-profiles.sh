#!/usr/bin/env bash
# Benchmark (not a test): `relaygen render --all-profiles --out DIR` over generated profiles.
#
# Usage: scripts/bench-profiles.sh [COUNT...]      (default: 100 300 1000)
#
# For each COUNT, writes COUNT distinct profiles (own namespace and hostname, replicas 2-6, every
# third autoscaled, every other with a PDB, some without alert rules) into a temporary directory
# and times `render --all-profiles` of all of them in three situations:
#   fresh      the output directory does not exist: every file is written;
#   changed    every profile's output differs (the previous run used another image tag): every
#              directory is validated, staged and swapped in, the old one deleted;
#   unchanged  the output is already current (CI regenerating without a change): every profile
#              is rendered and compared, nothing is written.
# Uses hyperfine when it is installed (Debian: apt-get install hyperfine), else timed loops.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(100 300 1000)

cargo build --release --locked --quiet
BIN="$ROOT/target/release/relaygen"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

generate() {
  local n=$1 dir=$2 i
  mkdir -p "$dir"
  for ((i = 0; i < n; i++)); do
    {
      printf 'namespace: relay-%04d\n' "$i"
      printf 'deployment:\n  replicas: %d\n' $((i % 5 + 2))
      printf 'env:\n  SERVER_HOSTNAME: mail-%04d.example.com\n' "$i"
      if ((i % 3 == 0)); then printf 'autoscaling:\n  enabled: true\n  minReplicas: 2\n  maxReplicas: %d\n' $((i % 7 + 3)); fi
      if ((i % 2 == 0)); then printf 'podDisruptionBudget:\n  enabled: true\n  minAvailable: 1\n'; fi
      if ((i % 4 == 1)); then printf 'monitoring:\n  prometheusRule:\n    enabled: false\n'; fi
    } >"$dir/p$(printf '%04d' "$i").yaml"
  done
}

for n in "${counts[@]}"; do
  generate "$n" "$WORK/$n/profiles"
done

render() { # render N [EXTRA ARGS...]
  local n=$1
  shift
  "$BIN" render --all-profiles --profiles-dir "$WORK/$n/profiles" --out "$WORK/$n/out" "$@"
}

if command -v hyperfine >/dev/null; then
  for n in "${counts[@]}"; do
    cmd="$BIN render --all-profiles --profiles-dir $WORK/$n/profiles --out $WORK/$n/out"
    render "$n"
    printf 'bench-profiles: %d profiles -> %d files\n' "$n" "$(find "$WORK/$n/out" -type f | wc -l)" >&2
    hyperfine --shell=none --warmup 1 --runs 10 \
      -n "fresh $n" --prepare "rm -rf $WORK/$n/out" "$cmd" \
      -n "changed $n" --prepare "$cmd --set image.tag=v0.0.0-bench" "$cmd" \
      -n "unchanged $n" --prepare "$cmd" "$cmd" \
      --export-json "$WORK/results-$n.json" >&2
  done
  # One table in milliseconds: wall-clock mean ± σ, and the CPU time (user + system) behind it,
  # which is the steadier figure on a machine shared with other work.
  python3 - "$WORK" "${counts[@]}" <<'PY'
import json, sys
work, counts = sys.argv[1], sys.argv[2:]
print("| Profiles | Situation | Wall mean ± σ [ms] | Wall min [ms] | CPU user + sys [ms] | CPU per profile [ms] |")
print("|---:|:---|---:|---:|---:|---:|")
for n in counts:
    for r in json.load(open(f"{work}/results-{n}.json"))["results"]:
        situation = r["command"].split()[0]
        cpu = (r["user"] + r["system"]) * 1000
        print(f"| {n} | {situation} | {r['mean'] * 1000:.0f} ± {r['stddev'] * 1000:.0f} | "
              f"{r['min'] * 1000:.0f} | {cpu:.0f} | {cpu / int(n):.2f} |")
PY
else
  printf 'bench-profiles: hyperfine not found; timing 10 runs of each with date\n' >&2
  time_runs() { # label n prepare-command...
    local label=$1 n=$2 total=0 start end
    shift 2
    for _ in $(seq 10); do
      "$@"
      start=$(date +%s%N)
      render "$n"
      end=$(date +%s%N)
      total=$((total + end - start))
    done
    printf '| %d | %s | %d |\n' "$n" "$label" $((total / 10000000))
  }
  printf '| Profiles | Situation | Mean [ms] |\n|---:|:---|---:|\n'
  for n in "${counts[@]}"; do
    time_runs fresh "$n" rm -rf "$WORK/$n/out"
    time_runs changed "$n" render "$n" --set image.tag=v0.0.0-bench
    time_runs unchanged "$n" render "$n"
  done
fi
