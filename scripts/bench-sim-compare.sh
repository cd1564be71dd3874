#!/usr/bin/env bash
# Simulator throughput, this checkout against another revision, measured in
# one run on one machine: both criterion benches (sim/benches/simulate.rs)
# are built, then run alternately (A B A B ...) so that drift in the
# machine's speed hits both sides alike. Prints each round's throughput
# (simulated jobs per second) and the ratio of the medians.
#
#   scripts/bench-sim-compare.sh BASE_REV [ROUNDS]
#
# The base revision is checked out in a temporary git worktree; both builds
# share this checkout's target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: $0 BASE_REV [ROUNDS]}
rounds=${2:-3}
root=$(pwd)
export CARGO_TARGET_DIR="$root/target"
tree=$(mktemp -d /tmp/rtlab-bench-base.XXXXXX)
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$tree" "$base"

bench_exe() {
    (cd "$1" && cargo bench -p rtlab-sim --bench simulate --no-run --message-format=json 2>/dev/null) |
        python3 -c 'import json,sys
for l in sys.stdin:
    try: m=json.loads(l)
    except Exception: continue
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="simulate": print(m["executable"])' | tail -1
}
echo "building the base ($base) and this checkout..." >&2
a=$(bench_exe "$tree")
b=$(bench_exe "$root")

# One measurement: throughput in Melem/s of each benchmark of the binary.
measure() {
    "$1" --bench --noplot --warm-up-time 2 --measurement-time 8 2>/dev/null |
        awk '/^[a-z].*\/(jobs|jobs-with-trace-sink)/ {name=$1} /thrpt:/ && $3 ~ /elem/ {gsub(/\[/,""); print name, $4, $5}'
}
for r in $(seq 1 "$rounds"); do
    measure "$a" | sed "s/^/base round $r: /"
    measure "$b" | sed "s/^/head round $r: /"
done | tee /tmp/bench-sim-compare.txt
python3 - <<'PY'
import statistics, collections
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open("/tmp/bench-sim-compare.txt"):
    side, _, _, name, value, unit = line.split()
    scale = {"Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9, "elem/s": 1}[unit]
    rows[name][side].append(float(value) * scale)
print()
print(f"{'benchmark':48} {'base Mjobs/s':>13} {'head Mjobs/s':>13} {'head/base':>10}")
for name, sides in rows.items():
    b, h = statistics.median(sides["base"]), statistics.median(sides["head"])
    print(f"{name:48} {b/1e6:13.2f} {h/1e6:13.2f} {h/b:10.3f}")
PY
