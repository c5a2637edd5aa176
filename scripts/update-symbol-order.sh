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
# same functions every time) and keeps the functions in the order callgrind first met them.
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
i=0
for workload in "${workloads[@]}"; do
    # shellcheck disable=SC2086 # the workload is a word list on purpose
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$i" "$bin" $workload >/dev/null 2>&1
    i=$((i + 1))
done
# The same run as Argo CD's plugin does it.
ARGOCD_ENV_PROFILE=prod ARGOCD_APP_NAMESPACE=email-server \
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$i" "$bin" argocd generate >/dev/null 2>&1

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
with open(target, "w") as f:
    f.write("".join(name + "\n" for name in order))
print(f"scripts/symbol-order.txt: {len(order)} functions", file=sys.stderr)
PY
