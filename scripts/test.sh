#!/bin/sh
# Builds everything and runs every test (unit, conformance, integration).
# This is the README's test command and the command CI runs.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
# Two jobs: the CI machine has 2 cores and each TU with Asio takes ~1 GB.
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
cmake --preset default
cmake --build --preset default
ctest --preset default -j "$(nproc)"
