#!/usr/bin/env python3
"""rtlab simulate vs SimSo on the same 3-task rate-monotonic set.

Run by scripts/bench-simso.sh (which installs SimSo into a temporary venv).
The set is configs/rm-textbook.toml: C = 1, 2, 3 ms; T = D = 4, 6, 10 ms,
one CPU, rate-monotonic priorities, constant execution times.

Both sides report simulated jobs per second of wall time and peak memory
(max RSS). SimSo runs in this process; rtlab runs as a child process, on the
same horizon first (to check both count the same jobs and misses) and on a
horizon long enough to be measured. Then rtlab runs at 10x that horizon to
show that its memory does not grow with the horizon.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

TASKS = [("t1", 1, 4), ("t2", 2, 6), ("t3", 3, 10)]  # name, C ms, T ms


def simso_run(horizon_ms):
    from simso.configuration import Configuration
    from simso.core import Model

    conf = Configuration()
    conf.duration = horizon_ms * conf.cycles_per_ms
    for i, (name, c, t) in enumerate(TASKS, start=1):
        conf.add_task(name=name, identifier=i, period=t, activation_date=0,
                      wcet=c, deadline=t, abort_on_miss=False)
    conf.add_processor(name="CPU 1", identifier=1)
    conf.scheduler_info.clas = "simso.schedulers.RM_mono"
    conf.check_all()
    model = Model(conf)
    start = time.perf_counter()
    model.run_model()
    elapsed = time.perf_counter() - start
    results = list(model.results.tasks.values())
    # SimSo also creates the jobs released exactly at the horizon; rtlab
    # does not count a job released at or after the horizon.
    horizon_cycles = conf.duration
    jobs = sum(1 for task in results for job in task.jobs
               if job.activation_date < horizon_cycles)
    misses = sum(1 for task in results for job in task.jobs
                 if job.activation_date < horizon_cycles and job.end_date is not None
                 and job.end_date > job.absolute_deadline)
    return jobs, misses, elapsed


def rtlab_run(rtlab, config, horizon_ms, out):
    start = time.perf_counter()
    subprocess.run([rtlab, "simulate", config, "--horizon", f"{horizon_ms}ms",
                    "--out", out], check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    with open(os.path.join(out, "result.json")) as f:
        result = json.load(f)
    jobs = sum(t["jobs"] for t in result["tasks"])
    misses = sum(t["deadline_misses"] for t in result["tasks"])
    return jobs, misses, elapsed


def child_maxrss_kib():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def rtlab_peak(rtlab, config, horizon_ms, out):
    """Peak RSS of one rtlab run, in KiB, measured in a fresh child."""
    code = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    r = subprocess.run([sys.executable, "-c", code, rtlab, "simulate", config,
                        "--horizon", f"{horizon_ms}ms", "--out", out],
                       check=True, capture_output=True, text=True)
    return int(r.stdout.strip())


def main():
    rtlab, config = sys.argv[1], sys.argv[2]
    simso_horizon = int(os.environ.get("SIMSO_HORIZON_MS", "60000"))
    rtlab_horizon = int(os.environ.get("RTLAB_HORIZON_MS", "60000000"))
    tmp = tempfile.mkdtemp(prefix="rtlab-bench-")

    s_jobs, s_misses, s_time = simso_run(simso_horizon)
    s_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r_jobs_same, r_misses_same, _ = rtlab_run(rtlab, config, simso_horizon,
                                               os.path.join(tmp, "same"))
    r_jobs, r_misses, r_time = rtlab_run(rtlab, config, rtlab_horizon,
                                         os.path.join(tmp, "long"))
    peak_1 = rtlab_peak(rtlab, config, rtlab_horizon // 10, os.path.join(tmp, "m1"))
    peak_10 = rtlab_peak(rtlab, config, rtlab_horizon, os.path.join(tmp, "m10"))

    s_rate = s_jobs / s_time
    r_rate = r_jobs / r_time
    print(f"set: {', '.join(f'{n} C={c}ms T={t}ms' for n, c, t in TASKS)} (RM, 1 CPU)")
    print(f"same horizon {simso_horizon} ms (releases before it): SimSo {s_jobs} jobs / {s_misses} misses, "
          f"rtlab {r_jobs_same} jobs / {r_misses_same} misses")
    print(f"SimSo 0.8.5: {s_jobs} jobs in {s_time:.2f} s = {s_rate:,.0f} jobs/s, "
          f"peak RSS {s_rss / 1024:.1f} MiB ({s_rss * 1024 / s_jobs:,.0f} B/job)")
    print(f"rtlab:       {r_jobs} jobs in {r_time:.2f} s = {r_rate:,.0f} jobs/s "
          f"(whole process: start, simulation, result files)")
    print(f"ratio:       {r_rate / s_rate:,.0f}x SimSo's jobs/s")
    print(f"rtlab peak RSS: {peak_1 / 1024:.1f} MiB at {rtlab_horizon // 10} ms, "
          f"{peak_10 / 1024:.1f} MiB at {rtlab_horizon} ms "
          f"(10x horizon: {peak_10 / peak_1:.2f}x memory)")
    if (s_jobs, s_misses) != (r_jobs_same, r_misses_same):
        print("WARNING: job or miss counts differ on the same horizon", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
