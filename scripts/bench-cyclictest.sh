#!/usr/bin/env bash
# Wake-up latency: rtlab's release_jitter against cyclictest, alternately, in
# one run, under the same settings: one thread on CPU 1, SCHED_FIFO 90, 1 ms
# period, memory locked, /dev/cpu_dma_latency held at 0 (both do it).
# Installs rt-tests (cyclictest) with apt-get when it is missing; needs root.
# Never part of the tests.
#
#   ROUNDS=4 SECONDS_PER_RUN=10 scripts/bench-cyclictest.sh   (order swapped each round)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cyclictest >/dev/null; then
    echo "installing rt-tests (cyclictest)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rt-tests >/dev/null
fi
cargo build --release --quiet --bin rtlab
python3 scripts/bench_cyclictest.py target/release/rtlab
