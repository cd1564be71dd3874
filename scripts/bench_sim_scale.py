#!/usr/bin/env python3
"""rtlab simulate on large random task sets, as whole processes (issue 12).

Run by scripts/bench-sim-scale.sh, which builds rtlab in release first:

    bench_sim_scale.py RTLAB [--scale X] [--limit S] [--repeat N] [--same-horizon]
                             [--periods log-uniform|uniform] [--only KEYS] [--keep DIR]

Each case is a seeded random task set written as a TOML config and simulated
by `rtlab simulate` under `/usr/bin/time -v`, one process per run:

- utilizations: UUniFast-Discard (Bini & Buttazzo; redrawn until every
  u_i <= 1) at U = 0.7 per CPU: over the whole set for global placement
  (U = 0.7 m), per CPU for partitioned placement (each task pinned with
  `cpu`, n/m tasks per CPU);
- periods: log-uniform over [1 ms, 100 ms] (or uniform with --periods
  uniform), rounded down to a whole microsecond, as `rtlab sweep --periods
  log-uniform:1ms:100ms --grain 1us` draws them; implicit deadlines;
  C = floor(u T) ns, at least 1 ns; constant execution times;
- fixed priority, rate-monotonic, or EDF where the case says so;
- the CPUs are `platform.cpus = [0, .., m-1]`: simulate does not need the
  machine to have them.

A set of n tasks releases about 215 n jobs per simulated second under
log-uniform periods (the mean of 1/T is 0.215 per ms; 46.5 per s under
uniform periods), so the horizons give the 100- and 1000-task cases about
the same number of jobs (~215 000 at --scale 1): 10 s for 100 tasks, 1 s
for 1000 tasks. With --same-horizon the 1000-task cases run 10 s too (ten
times the jobs): then each task's result files are spread over as many of
its jobs as in the 100-task case. The 10 000-task case is 1 s, as the issue
fixes it.

Each case runs at a tenth of its horizon, then at its horizon (each
--repeat times, default 3, the run of median wall time counting; once for
the 10 000-task case). Reported:
simulated jobs (the sum of `jobs` over the tasks of result.json: jobs
released before the horizon), wall time of the whole process (start,
config, analysis, simulation, result files), jobs/s = jobs / wall, peak RSS
(`time -v`'s Maximum resident set size) at both horizons, and the line
through the two runs: wall = intercept + jobs / marginal rate (the
intercept holds start-up, result files and the extra cost of the backlog
that the synchronous release at 0 leaves, which the old engine pays per
waiting job). A run that
exceeds the time limit is killed (its whole process group) and reported as
"> limit"; a case whose short run reaches it skips its full run.

Configs and results go to a scratch directory on /dev/shm when it exists:
a 1000-task result is ~5000 files, and on a disk shared with other builds
writing them alone took 1-13 s in trials.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PERIOD_MIN_US = 1_000
PERIOD_MAX_US = 100_000
U_PER_CPU = 0.7
SEED = 12


class Case:
    """One task system and how long to simulate it."""

    def __init__(self, key, label, tasks, cpus, placement, policy, horizon_ms):
        self.key = key
        self.label = label
        self.tasks = tasks
        self.cpus = cpus
        self.placement = placement
        self.policy = policy
        self.horizon_ms = horizon_ms


def cases(scale, same_horizon=False):
    h = lambda ms: max(1, round(ms * scale))
    # --same-horizon: the 1000-task sets over the 100-task set's simulated
    # time (10x its jobs), so that per-task costs (result files) weigh the
    # same per job in both.
    big = h(10_000) if same_horizon else h(1_000)
    return [
        Case("n100-m1", "100 tasks, 1 CPU, FP", 100, 1, "partitioned", "fixed-priority", h(10_000)),
        Case("n1000-m1", "1000 tasks, 1 CPU, FP", 1000, 1, "partitioned", "fixed-priority", big),
        Case("n1000-m16g", "1000 tasks, global 16 CPUs, FP", 1000, 16, "global", "fixed-priority", big),
        # The issue fixes this one at 1 s whatever the scale.
        Case("n10000-m64g-edf", "10000 tasks, global 64 CPUs, EDF", 10_000, 64, "global", "edf", 1_000),
    ]


def uunifast_discard(rng, n, total):
    """n utilizations summing to total, each at most 1 (by rejection)."""
    for _ in range(100_000):
        out, s = [], total
        for i in range(1, n):
            nxt = s * rng.random() ** (1.0 / (n - i))
            out.append(s - nxt)
            s = nxt
        out.append(s)
        if all(u <= 1.0 for u in out):
            return out
    raise RuntimeError(f"no UUniFast-Discard set of {n} tasks at U = {total}")


def period_us(rng, dist):
    """A period in whole microseconds from [PERIOD_MIN_US, PERIOD_MAX_US]."""
    if dist == "uniform":
        return rng.randint(PERIOD_MIN_US, PERIOD_MAX_US)
    # As rtlab's generator: exp of a uniform draw over [ln min, ln(max +
    # grain)), rounded down to the grain, clamped.
    lo, hi = math.log(PERIOD_MIN_US), math.log(PERIOD_MAX_US + 1)
    return min(PERIOD_MAX_US, max(PERIOD_MIN_US, int(math.exp(rng.uniform(lo, hi)))))


def task_set(case, rng, dist):
    """[(name, period_us, wcet_ns, cpu or None)] for the case."""
    if case.placement == "global":
        groups = [(None, case.tasks, U_PER_CPU * case.cpus)]
    else:
        per, extra = divmod(case.tasks, case.cpus)
        groups = [(c, per + (c < extra), U_PER_CPU) for c in range(case.cpus)]
    out = []
    for cpu, n, total in groups:
        for u in uunifast_discard(rng, n, total):
            t_us = period_us(rng, dist)
            c_ns = max(1, math.floor(u * t_us * 1000))
            out.append((f"t{len(out) + 1}", t_us, c_ns, cpu))
    return out


def config_text(case, tasks):
    lines = [
        f'name = "scale-{case.key}"',
        f'description = "issue 12 benchmark: {case.label}, U = {U_PER_CPU} per CPU"',
        f'duration = "{case.horizon_ms}ms"',
        f"seed = {SEED}",
        "",
        "[platform]",
        f"cpus = [{', '.join(str(c) for c in range(case.cpus))}]",
        "",
        "[scheduler]",
        f'policy = "{case.policy}"',
        'priorities = "rate-monotonic"',
        f'placement = "{case.placement}"',
    ]
    for name, t_us, c_ns, cpu in tasks:
        lines += ["", "[[task]]", f'name = "{name}"', f'period = "{t_us}us"', f'wcet = "{c_ns}ns"']
        if cpu is not None:
            lines.append(f"cpu = {cpu}")
    return "\n".join(lines) + "\n"


def parse_time_v(text):
    """Peak RSS in KiB from the report of `/usr/bin/time -v`."""
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(m.group(1)) if m else None


def run_once(rtlab, config, horizon_ms, out, limit_s):
    """(wall s, peak RSS KiB, jobs) or None when the limit was reached."""
    shutil.rmtree(out, ignore_errors=True)
    report = out + ".time"
    cmd = ["/usr/bin/time", "-v", "-o", report, rtlab, "simulate", config,
           "--horizon", f"{horizon_ms}ms", "--out", out]
    start = time.perf_counter()
    # A session of its own, so that the limit kills rtlab and not only time.
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        _, err = p.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None
    wall = time.perf_counter() - start
    if p.returncode not in (0, 3):
        sys.stderr.write(err.decode(errors="replace"))
        raise RuntimeError(f"rtlab simulate {config} exited {p.returncode}")
    with open(report) as f:
        rss = parse_time_v(f.read())
    with open(os.path.join(out, "result.json")) as f:
        result = json.load(f)
    jobs = sum(t["jobs"] for t in result["tasks"])
    shutil.rmtree(out, ignore_errors=True)
    return wall, rss, jobs


def runs(rtlab, config, horizon_ms, out, limit_s, repeat):
    """The run of median wall time among `repeat`, or None at the limit."""
    done = []
    for _ in range(repeat):
        r = run_once(rtlab, config, horizon_ms, out, limit_s)
        if r is None:
            return None
        done.append(r)
    done.sort()
    return done[len(done) // 2]


def measure(rtlab, case, tmp, args):
    """The case's row. The case runs at a tenth of its horizon first (a
    fit through both runs splits the wall time into an intercept and a cost
    per job); when that reaches the limit the full horizon is not tried."""
    rng = random.Random(f"{SEED}-{case.key}")
    tasks = task_set(case, rng, args.periods)
    config = os.path.join(tmp, f"{case.key}.toml")
    with open(config, "w") as f:
        f.write(config_text(case, tasks))
    out = os.path.join(tmp, case.key)
    # The 10 000-task case is a pass/fail on its wall time and the longest:
    # one run per horizon.
    repeat = 1 if case.tasks >= 10_000 else args.repeat
    short_ms = max(1, case.horizon_ms // 10)
    short = runs(rtlab, config, short_ms, out, args.limit, repeat)
    full = short and runs(rtlab, config, case.horizon_ms, out, args.limit, repeat)
    return {"case": case, "short_ms": short_ms, "short": short, "full": full}


def marginal(r):
    """(jobs/s, intercept s) of the line through the two runs: the cost of
    the steady state per job, and what the run costs besides (start-up,
    result files, the backlog of the synchronous release at 0)."""
    (w1, _, j1), (w2, _, j2) = r["short"], r["full"]
    if w2 <= w1 or j2 <= j1:
        return None
    rate = (j2 - j1) / (w2 - w1)
    return rate, w1 - j1 / rate


def row(r, limit_s):
    c = r["case"]
    system = f"{c.label}, {c.horizon_ms / 1000:g} s"
    if r["full"] is None:
        at = f"{c.horizon_ms}" if r["short"] else f"{r['short_ms']}"
        return f"| {system} | - | > {limit_s:g} (at {at} ms) | - | - | - | - | - |"
    wall, rss, jobs = r["full"]
    m = marginal(r)
    fit = f"{m[0] / 1e6:.3f} M | {m[1]:.2f}" if m else "n/a | n/a"
    return (f"| {system} | {jobs:,} | {wall:.2f} | {jobs / wall / 1e6:.3f} M | {rss / 1024:.0f} "
            f"| {r['short'][1] / 1024:.0f} | {fit} |")


def rate(r):
    return None if r["full"] is None else r["full"][2] / r["full"][0]


def summary(rows, limit_s):
    """The figures of the issue's "Done when"."""
    def ratio(a, b, need):
        if a not in rows or b not in rows:
            return "not run"
        ra, rb = rate(rows[a]), rate(rows[b])
        if ra is None or rb is None:
            return "n/a (a case reached the time limit)"
        return f"{ra / rb:.3f} (done when >= {need})"

    print(f"jobs/s 1000 tasks 1 CPU / 100 tasks 1 CPU:          {ratio('n1000-m1', 'n100-m1', 0.5)}")
    print(f"jobs/s 1000 tasks global 16 CPUs / 100 tasks 1 CPU: "
          f"{ratio('n1000-m16g', 'n100-m1', 0.25)}")
    r = rows.get("n1000-m1")
    if r and r["full"]:
        print(f"peak RSS 1000 tasks 1 CPU: {r['full'][1] / 1024:.0f} MiB (done when <= 64)")
    r = rows.get("n10000-m64g-edf")
    if r:
        wall = f"{r['full'][0]:.2f} s" if r["full"] else f"> {limit_s:g} s"
        print(f"10000 tasks global EDF 64 CPUs, 1 s: {wall} (done when < 60 s)")


def scratch(where):
    """A scratch directory, on tmpfs when there is one: the result files
    (five histograms per task) are then written to memory, so that the disk
    and the other processes using it do not enter the figures."""
    if where:
        os.makedirs(where, exist_ok=True)
        return where
    shm = "/dev/shm"
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix="rtlab-scale-", dir=base)


def main():
    keys = [c.key for c in cases(1.0)]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rtlab")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies the horizons of the 100- and 1000-task cases")
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per run (default 120)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per horizon, the median wall time counts (default 3; 1 for the "
                         "10 000-task case)")
    ap.add_argument("--periods", choices=["log-uniform", "uniform"], default="log-uniform")
    ap.add_argument("--same-horizon", action="store_true",
                    help="simulate the 1000-task sets as long as the 100-task set (10 s), "
                         "not as many jobs (1 s)")
    ap.add_argument("--only", help=f"comma-separated case keys: {', '.join(keys)}")
    ap.add_argument("--keep", help="use this directory (configs, results) and keep it")
    args = ap.parse_args()
    only = args.only.split(",") if args.only else keys

    tmp = scratch(args.keep)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"rtlab: {args.rtlab}; {os.cpu_count()} CPUs, load average {load}; scratch {tmp}")
    print(f"sets: seed {SEED}, U = {U_PER_CPU} per CPU (UUniFast-Discard), periods "
          f"{args.periods} 1-100 ms (1 us grain), D = T, constant C, rate-monotonic unless EDF")
    print(f"limit {args.limit:g} s per run; median of {args.repeat} run(s) per horizon "
          f"(1 for 10 000 tasks)")
    rows = {}
    try:
        for case in cases(args.scale, args.same_horizon):
            if case.key not in only:
                continue
            print(f"  {case.key}: {case.label}, {case.horizon_ms} ms ...", file=sys.stderr,
                  flush=True)
            start = time.perf_counter()
            rows[case.key] = measure(args.rtlab, case, tmp, args)
            print(f"  {case.key}: {time.perf_counter() - start:.1f} s", file=sys.stderr,
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("| system | jobs | wall s | jobs/s | peak RSS MiB | RSS at h/10 MiB "
          "| marginal jobs/s | intercept s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows.values():
        print(row(r, args.limit))
    print()
    print("jobs/s = jobs / wall of the whole process; marginal jobs/s and intercept s: the line "
          "through the runs at h/10 and h, wall = intercept + jobs / marginal (the intercept: "
          "start, config, analysis, result files, and the backlog of the synchronous release at 0 "
          "beyond its share of jobs)")
    summary(rows, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
