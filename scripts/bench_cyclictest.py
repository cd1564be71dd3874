#!/usr/bin/env python3
"""rtlab vs cyclictest wake-up latency, alternating runs (see bench-cyclictest.sh).

Per round: cyclictest, rtlab, and rtlab with its kernel trace on
(`live.kernel_trace`, which names foreign causes of misses and costs about
1 us at the median), N seconds each on the same 1 ms task, the order
reversed every round so that a drift of the machine's load over the run
does not favour one side. cyclictest traces nothing: the like-for-like
comparison is rtlab without its trace; the traced figure is reported too. cyclictest's p99 comes from its 1 us histogram (the bucket is
floor(us), so its p99 is rounded down to a whole microsecond); rtlab's from
the HDR histogram of release_jitter (3 significant digits). The ratio is
computed from the medians over the rounds. A last rtlab run adds a 200 us
spin tail (longer than the wake-up tail here, about 70 us at p99.9).
"""

import json
import os
import subprocess
import sys
import tempfile

ROUNDS = int(os.environ.get("ROUNDS", "4"))
SECONDS = int(os.environ.get("SECONDS_PER_RUN", "10"))

CONFIG = """
name = "wakeup"
duration = "{secs}s"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
[live]
os_policy = "fifo"
priority_top = 90
spin_tail = "{tail}"
lock_memory = true
kernel_trace = {ktrace}
[[task]]
name = "sampler"
period = "1ms"
wcet = "20us"
"""


def cyclictest(tmp):
    hist = os.path.join(tmp, "cyclictest.hist")
    loops = SECONDS * 1000
    subprocess.run(["cyclictest", "-m", "-a", "1", "-p", "90", "-i", "1000",
                    "-l", str(loops), "-q", "-h", "2000", f"--histfile={hist}"],
                   check=True, stdout=subprocess.DEVNULL)
    counts = []
    overflow = 0
    with open(hist) as f:
        for line in f:
            if line.startswith("# Histogram Overflows"):
                overflow = int(line.split(":")[1].split()[0])
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split()
            counts.append((int(parts[0]), int(parts[1])))
    total = sum(c for _, c in counts) + overflow
    def q(p):
        need = p * total
        acc = 0
        for us, c in counts:
            acc += c
            if acc >= need:
                return us * 1000
        return None  # in the overflow
    return {"p50": q(0.50), "p99": q(0.99), "p999": q(0.999), "samples": total}


def rtlab(binary, tmp, tail="0us", tag="rtlab", ktrace=False):
    cfg = os.path.join(tmp, f"{tag}.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(secs=SECONDS, tail=tail, ktrace=str(ktrace).lower()))
    out = os.path.join(tmp, tag)
    subprocess.run([binary, "run", cfg, "--out", out, "--strict"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "result.json")) as f:
        r = json.load(f)
    j = r["tasks"][0]["release_jitter"]
    return {"p50": j["p50_ns"], "p99": j["p99_ns"], "p999": j["p999_ns"],
            "samples": j["count"], "foreign_ns": r["cpus"][0].get("foreign_ns"),
            "steal_ns": r["cpus"][0].get("steal_ns")}


def us(ns):
    return "overflow" if ns is None else f"{ns / 1000:.2f} us"


def median(values):
    """The median of the values that are not None (an overflow), or None."""
    kept = sorted(x for x in values if x is not None)
    if not kept:
        return None
    mid = len(kept) // 2
    return kept[mid] if len(kept) % 2 else (kept[mid - 1] + kept[mid]) / 2


def ratio(r_med, c_med):
    if c_med is None or r_med is None:
        return "n/a (a side overflowed its histogram every round)"
    if c_med == 0:
        return "n/a (cyclictest's p99 is 0 us)"
    return f"{r_med / c_med:.2f}"


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="rtlab-wakeup-")
    c_p99, r_p99, t_p99 = [], [], []
    for i in range(ROUNDS):
        runs = [("c", lambda: cyclictest(tmp)),
                ("r", lambda: rtlab(binary, tmp, tag=f"rtlab{i}")),
                ("t", lambda: rtlab(binary, tmp, tag=f"traced{i}", ktrace=True))]
        if i % 2 == 1:
            runs.reverse()
        got = {name: run() for name, run in runs}
        c, r, t = got["c"], got["r"], got["t"]
        c_p99.append(c["p99"])
        r_p99.append(r["p99"])
        t_p99.append(t["p99"])
        first = "cyclictest first" if i % 2 == 0 else "cyclictest last"
        print(f"round {i + 1} ({first}): cyclictest p50 {us(c['p50'])} p99 {us(c['p99'])} "
              f"p99.9 {us(c['p999'])} ({c['samples']} samples) | rtlab p50 {us(r['p50'])} "
              f"p99 {us(r['p99'])} p99.9 {us(r['p999'])} ({r['samples']} samples, foreign "
              f"{r['foreign_ns']}, steal {r['steal_ns']}) | rtlab + kernel trace p50 {us(t['p50'])} "
              f"p99 {us(t['p99'])} p99.9 {us(t['p999'])}")
    c_med, r_med, t_med = median(c_p99), median(r_p99), median(t_p99)
    print(f"median p99: cyclictest {us(c_med)}, rtlab {us(r_med)} (ratio {ratio(r_med, c_med)}), "
          f"rtlab with its kernel trace {us(t_med)} (ratio {ratio(t_med, c_med)}) "
          f"(cyclictest's p99 is floored to whole us)")
    s = rtlab(binary, tmp, tail="200us", tag="spin")
    print(f"rtlab with spin_tail 200us: p50 {us(s['p50'])} p99 {us(s['p99'])} p99.9 {us(s['p999'])}")


if __name__ == "__main__":
    main()
