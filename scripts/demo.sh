#!/bin/sh
# Builds the daemon and starts it in the foreground on its embedded default configuration:
# a milter on inet:8893@localhost with the standard handlers. Stop it with Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset default
cmake --build --preset default --target authentication_milter
exec ./build/default/examples/authentication_milter --prefix examples/authentication_milter/etc
