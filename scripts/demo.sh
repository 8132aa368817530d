#!/bin/sh
# Builds the examples and runs the main job on a sample message.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset default
cmake --build --preset default --target custom_mta
./build/default/examples/custom_mta examples/custom_mta/sample.eml
