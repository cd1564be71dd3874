#!/usr/bin/env bash
# rtlab simulate on large random task sets (issue 12), as whole processes in
# one run on one machine: 100 tasks on 1 CPU, 1000 tasks on 1 CPU, 1000 tasks
# global on 16 CPUs (fixed priority, rate-monotonic) and 10 000 tasks global
# EDF on 64 CPUs for 1 s; U = 0.7 per CPU, periods log-uniform in 1-100 ms.
# Prints jobs, wall time, jobs/s and peak RSS per case and the issue's
# "Done when" ratios. See scripts/bench_sim_scale.py for the sets and the
# options, which are passed on:
#
#   scripts/bench-sim-scale.sh [--limit S] [--scale X] [--repeat N] [--same-horizon]
#                              [--periods uniform] [--only KEYS] [--keep DIR]
#
# Builds rtlab in release in $CARGO_TARGET_DIR (default target/). Needs
# python3 and /usr/bin/time (GNU time). Never part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin rtlab
exe="${CARGO_TARGET_DIR:-target}/release/rtlab"
echo "revision: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- sim tasks src 2>/dev/null || echo ' (modified)')"
exec python3 scripts/bench_sim_scale.py "$exe" "$@"
