#!/bin/sh
# Installs the Debian 12 packages authmilter needs to build and test.
# Idempotent: when every package is already installed it only runs dpkg-query.
set -eu
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

PACKAGES="g++ cmake ninja-build pkg-config ccache git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev
  libc-ares-dev libssl-dev
  clang clang-format libclang-rt-14-dev
  publicsuffix
  knot
  python3-dkim libmail-dkim-perl opendkim
  postfix miltertest
  libbenchmark-dev
  opendmarc"

missing=
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "install-deps: installing$missing"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # The SMTP filter's integration test runs private Postfix instances; the system one stays
  # unconfigured (and so not started).
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections 2>/dev/null || true
  # shellcheck disable=SC2086
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: all packages present"
fi
