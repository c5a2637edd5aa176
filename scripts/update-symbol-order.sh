#!/usr/bin/env bash
# Regenerates scripts/symbol-order.txt: the functions the shipped binary runs on its hot paths,
# which scripts/build-static.sh asks the linker (LLD, `--symbol-ordering-file`) to lay out
# next to each other.
#
# Why: a fresh process pays one page fault per 64 KiB window of code it touches (the kernel's
# fault-around). Left in the linker's default order, the ~800 functions a render runs are
# spread over nearly all 5 MiB of code: 66 faults. Packed together they take about 35 (see the
# README's performance section). The order changes speed only, never behaviour: a function
# missing from the list is placed as usual.
#
# Names are the binary's own symbol names, which carry hashes that change with the compiler
# and dependency versions; build-static.sh warns when most of the list no longer matches, and
# this script is the fix. It runs the workloads under valgrind's callgrind (deterministic: the
# same functions every time, but for a futex wait or two when --all-profiles' threads happen to
# contend) and keeps every function that ran, sorted by name so that regenerating does not
# reshuffle the file. The order within the list matters little: what saves the faults is that
# the functions that run sit together.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v valgrind >/dev/null || { echo "update-symbol-order.sh: valgrind is required" >&2; exit 2; }
bin="$(scripts/build-static.sh)" # symbol names do not depend on their order
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The hot paths: what CI, terminals and Argo CD run on every refresh.
workloads=(
    "render"
    "render --profile dev"
    "render --profile staging"
    "render --profile prod"
    "render --profile prod -o json"
    "render --all-profiles --out $work/out"
    "validate --profile prod"
    "values --profile prod"
    "check"
)
# Runs one workload under callgrind; a failure shows relaygen's own messages. `check` may
# exit 1 (out/ is stale): it still ran the code that matters here.
profile_run() { # index, allowed exit status, command...
    local index=$1 allowed=$2 status=0
    shift 2
    valgrind --tool=callgrind --demangle=no --log-file="$work/valgrind.$index" \
        --callgrind-out-file="$work/cg.$index" "$@" >/dev/null 2>"$work/stderr.$index" || status=$?
    if ((status != 0 && status != allowed)); then
        echo "update-symbol-order.sh: \`${*:2}\` exited $status:" >&2
        cat "$work/stderr.$index" >&2
        exit 1
    fi
}
i=0
for workload in "${workloads[@]}"; do
    allowed=0
    [[ $workload == check ]] && allowed=1
    # shellcheck disable=SC2086 # the workload is a word list on purpose
    profile_run "$i" "$allowed" "$bin" $workload
    i=$((i + 1))
done
# The same run as Argo CD's plugin does it.
ARGOCD_ENV_PROFILE=prod ARGOCD_APP_NAMESPACE=email-server profile_run "$i" 0 "$bin" argocd generate

nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u >"$work/defined"
python3 - "$work" scripts/symbol-order.txt <<'PY'
import glob, re, sys
work, target = sys.argv[1], sys.argv[2]
defined = set(open(f"{work}/defined").read().split())
order, seen = [], set()
for path in sorted(glob.glob(f"{work}/cg.*"), key=lambda p: int(p.rsplit(".", 1)[1])):
    for line in open(path, errors="replace"):
        m = re.match(r"^c?fn=\(\d+\) (\S+)$", line.rstrip("\n"))
        if not m:
            continue
        name = re.sub(r"'\d+$", "", m.group(1))  # callgrind's recursion marker
        if name in defined and name not in seen:
            seen.add(name)
            order.append(name)
order.sort()  # callgrind lists functions in an order that follows the binary's layout
with open(target, "w") as f:
    f.write("".join(name + "\n" for name in order))
print(f"scripts/symbol-order.txt: {len(order)} functions", file=sys.stderr)
PY
