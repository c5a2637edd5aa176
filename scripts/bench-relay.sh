#!/usr/bin/env bash
# Load bench of the relay itself (not a test): a burst of MESSAGES messages from CLIENTS
# concurrent SMTP sessions (Postfix's smtp-source) through one pod booted from the rendered
# `prod` spec by the pod harness (scripts/judges/pod-harness.py, real Debian Postfix), three
# times in one run:
#
#   rendered            the upstream (a test sink) takes everything;
#   rendered, throttled the upstream answers 421 4.7.0 for the first THROTTLE seconds, as Gmail
#                       does to a sender over its rate; the relay must defer, not bounce, and
#                       deliver once the throttling ends (a flush then saves Postfix's backoff);
#   stock               Debian's packaged Postfix (main.cf.debian, master.cf.proto, relayhost
#                       set to the sink), unthrottled: the reference.
#
# Reports accepted messages per second (smtp-source's run), time until the queue is empty
# again, and the counts (accepted, refused, delivered, distinct Message-IDs, throttled).
# Target: unthrottled, the rendered configuration accepts at least 80% of stock's rate.
#
# Usage: scripts/bench-relay.sh [MESSAGES] [CLIENTS] [THROTTLE]   (default 5000 50 10)
# Needs root (private mount and network namespaces, Postfix's master) and the judges
# (scripts/install-judges.sh debian python, which it runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
messages="${1:-5000}" clients="${2:-50}" throttle="${3:-10}"
[[ $(id -u) -eq 0 ]] || { echo "bench-relay.sh: must run as root (Postfix's master starts as root)" >&2; exit 2; }

scripts/install-judges.sh debian python >&2
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/relaygen"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The clients connect from the pod's own test network, 192.0.2.0/24, which must be trusted.
"$bin" render -o json --profile prod --set 'postfix.mynetworks={127.0.0.0/8,192.0.2.0/24}' \
    >"$work/objects.json" 2>/dev/null

run() { # name, harness arguments...
    local name=$1
    shift
    mkdir "$work/$name"
    unshare --mount --net --propagation private -- "$ROOT/.judges/venv/bin/python" \
        scripts/judges/pod-harness.py "$work/objects.json" --workdir "$work/$name" \
        --report "$work/$name.json" --scenario burst --burst "$messages:$clients" \
        --sender-domain bionicaisolutions.com "$@" >&2
}

echo "== burst: $messages messages from $clients clients; Debian postfix $(dpkg-query -W -f='${Version}' postfix 2>/dev/null || echo '?')"
echo "cpu:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores online"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
run rendered
run throttled --sink-throttle "$throttle"
run stock --stock
python3 - "$work" "$messages" "$throttle" <<'PY'
import json, sys
work, messages, throttle = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {name: json.load(open(f"{work}/{name}.json")) for name in ("rendered", "throttled", "stock")}
labels = {"rendered": "rendered", "throttled": f"rendered, 421 for {throttle} s", "stock": "stock Debian"}
print(f"{'run':<26}{'accepted/s':>11}{'to empty queue':>16}{'accepted':>10}{'refused':>9}{'delivered':>11}"
      f"{'distinct IDs':>14}{'throttled':>11}")
failed = False
for name, r in runs.items():
    rate = r["accepted"] / r["burst_seconds"] if r["burst_seconds"] else 0
    sink = r.get("sink_messages", [])
    ids = len({m.get("message_id") for m in sink})
    print(f"{labels[name]:<26}{rate:>11.0f}{r['seconds_to_empty_queue']:>15.1f}s{r['accepted']:>10}"
          f"{len(r['refused']):>9}{len(sink):>11}{ids:>14}{r['throttled']:>11}")
    if r["accepted"] != messages or len(sink) != messages or ids != messages or r["refused"]:
        print(f"LOST OR DOUBLED in {labels[name]}: {r['accepted']} accepted, {len(sink)} delivered, {ids} distinct")
        failed = True
ratio = (runs["rendered"]["accepted"] / runs["rendered"]["burst_seconds"]) / \
        (runs["stock"]["accepted"] / runs["stock"]["burst_seconds"])
verdict = "target met:   " if ratio >= 0.8 else "TARGET MISSED:"
print(f"{verdict} rendered accepts {ratio:.0%} of stock's rate (target >= 80%)")
sys.exit(1 if failed or ratio < 0.8 else 0)
PY
