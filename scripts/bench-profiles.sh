#!/usr/bin/env bash
# Benchmark (not a test): `relaygen render --all-profiles --out DIR` over generated profiles.
#
# Usage: scripts/bench-profiles.sh [COUNT...]      (default: 100 300 1000)
#
# For each COUNT, writes COUNT distinct profiles (own namespace and hostname, replicas 2-6, every
# third autoscaled, every other with a PDB, some without alert rules) into a temporary directory
# and times `render --all-profiles` of all of them in four situations:
#   fresh      the output directory does not exist: every file is written. The previous output
#              is moved aside (renamed, not deleted) before each run, for the reason below;
#   changed    every profile's output differs (the previous run used another image tag): every
#              directory is validated, staged and swapped in, the old one deleted;
#   unchanged  the output is already current (CI regenerating without a change): every profile
#              is rendered and compared, nothing is written;
#   recreated  `rm -rf` of the whole output right before the run, then every file is written.
#              On an ext4 file system without a journal the kernel skips inodes freed in the
#              last 30 s to 5 min when it allocates new ones (fs/ext4/ialloc.c,
#              recently_deleted()), so creating files right after deleting thousands costs far
#              more kernel time than creating them fresh. That cost is the file system's, and
#              this situation shows it separately instead of hiding it in "fresh".
# Fresh runs come first, for every COUNT, so no earlier deletion slows them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(100 300 1000)

BIN="$(scripts/build-static.sh 2>/dev/null)" # the shipped binary, as scripts/bench.sh measures
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
  hf() { hyperfine --shell=none --warmup 1 --runs 10 "$@" >&2; }
  for n in "${counts[@]}"; do
    cmd="$BIN render --all-profiles --profiles-dir $WORK/$n/profiles --out $WORK/$n/out"
    mkdir -p "$WORK/$n/aside"
    render "$n" # something to move aside before the first run
    hf -n "fresh $n" --prepare "mv --backup=numbered $WORK/$n/out $WORK/$n/aside/" "$cmd" \
      --export-json "$WORK/fresh-$n.json"
  done
  for n in "${counts[@]}"; do
    cmd="$BIN render --all-profiles --profiles-dir $WORK/$n/profiles --out $WORK/$n/out"
    printf 'bench-profiles: %d profiles -> %d files\n' "$n" "$(find "$WORK/$n/out" -type f | wc -l)" >&2
    hf -n "changed $n" --prepare "$cmd --set image.tag=v0.0.0-bench" "$cmd" \
      -n "unchanged $n" --prepare "$cmd" "$cmd" \
      --export-json "$WORK/steady-$n.json"
  done
  for n in "${counts[@]}"; do
    cmd="$BIN render --all-profiles --profiles-dir $WORK/$n/profiles --out $WORK/$n/out"
    hf -n "recreated $n" --prepare "rm -rf $WORK/$n/out" "$cmd" --export-json "$WORK/recreated-$n.json"
  done
  # One table in milliseconds: wall-clock mean ± σ, and the CPU time (user + system) behind it,
  # which is the steadier figure on a machine shared with other work.
  python3 - "$WORK" "${counts[@]}" <<'PY'
import json, sys
work, counts = sys.argv[1], sys.argv[2:]
print("| Profiles | Situation | Wall mean ± σ [ms] | Wall min [ms] | CPU user + sys [ms] | CPU per profile [ms] |")
print("|---:|:---|---:|---:|---:|---:|")
for n in counts:
  for kind in ("fresh", "steady", "recreated"):
    for r in json.load(open(f"{work}/{kind}-{n}.json"))["results"]:
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
    mkdir -p "$WORK/$n/aside"
    render "$n"
    time_runs fresh "$n" mv --backup=numbered "$WORK/$n/out" "$WORK/$n/aside/"
    time_runs changed "$n" render "$n" --set image.tag=v0.0.0-bench
    time_runs unchanged "$n" render "$n"
    time_runs recreated "$n" rm -rf "$WORK/$n/out"
  done
fi
