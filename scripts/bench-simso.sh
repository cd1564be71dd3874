#!/usr/bin/env bash
# rtlab simulate vs SimSo (PyPI simso 0.8.5) on the same 3-task RM set, in
# one run: jobs per second, peak memory, and rtlab's memory at 10x the
# horizon. Installs SimSo into a temporary venv; needs python3 with venv.
# Never part of the tests. Horizons: SIMSO_HORIZON_MS (default 60000),
# RTLAB_HORIZON_MS (default 60000000).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=$(mktemp -d /tmp/rtlab-simso-venv.XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet simso==0.8.5
cargo build --release --quiet --bin rtlab
"$venv/bin/python" scripts/bench_simso.py target/release/rtlab configs/rm-textbook.toml
