#!/bin/sh
# Benchmark run: builds (Release), generates the corpus, starts knotd (real DNS on 127.0.0.1) and
# the daemon with every installed handler, drives it with milter_load at C = 1, 16, 256, 1000
# (cold cache first, then warm), measures the physical limit with OpenSSL alone on the same
# corpus, counts the daemon's syscalls with strace, and (when installed) runs OpenDKIM in verify
# mode through the same client, then OpenDKIM and OpenDMARC chained. Prints RESULT lines; see
# doc/benchmarks.md.
# Usage: benchmark/run.sh [BUILD_DIR]   (env: DURATION=seconds per warm run, default 5;
#        RT=1: every milter, DNS server and load client runs SCHED_FIFO (chrt -f 10, root), so
#        that other jobs on a shared machine do not preempt them: latencies as on a dedicated host)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build/bench}
DURATION=${DURATION:-5}
RUN=
if [ "${RT:-0}" = 1 ]; then RUN="chrt -f 10"; fi
WORK=$(mktemp -d /tmp/authmilter-bench-XXXXXX)
PIDS=
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port
  i=0
  until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
    i=$((i+1)); [ $i -gt 100 ] && { echo "nothing listens on $1" >&2; exit 1; }; sleep 0.1
  done
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== scheduling: ${RUN:-default (competes with the other jobs on the machine)}"
echo "== commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- include examples || echo ' (+ uncommitted changes)')"

echo "== build"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTHMILTER_BUILD_BENCHMARKS=ON >/dev/null
B=$BUILD/benchmark
if ! cmake --build "$BUILD" --target authentication_milter micro corpus_gen milter_load physical_limit dns_load \
    -j2 >"$WORK/build.log" 2>&1; then
  # Other work in the tree may not compile right now: say so, and use what was built before.
  echo "BUILD FAILED (last lines below); the figures come from the binaries already in $BUILD"
  grep -m3 -E 'error' "$WORK/build.log" || tail -3 "$WORK/build.log"
  for t in examples/authentication_milter benchmark/micro benchmark/corpus_gen benchmark/milter_load \
      benchmark/physical_limit benchmark/dns_load; do
    [ -x "$BUILD/$t" ] || { echo "missing $BUILD/$t"; exit 1; }
  done
fi

echo "== corpus"
"$B/corpus_gen" "$WORK/mixed" --seed 1 --count 400
"$B/corpus_gen" "$WORK/c4k" --seed 2 --count 200 --body 4096 --only-rsa2048 --keys "$WORK/mixed/keys"

echo "== knotd"
KPORT=$(free_port)
mkdir -p "$WORK/knot"
cp "$WORK/mixed/bench.test.zone" "$WORK/mixed/100.51.198.in-addr.arpa.zone" "$WORK/knot/"
cat > "$WORK/knot/knot.conf" <<KNOT
server:
    rundir: "$WORK/knot"
    listen: 127.0.0.1@$KPORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$WORK/knot"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$WORK/knot"
zone:
  - domain: bench.test
    file: bench.test.zone
  - domain: 100.51.198.in-addr.arpa
    file: 100.51.198.in-addr.arpa.zone
KNOT
$RUN /usr/sbin/knotd -c "$WORK/knot/knot.conf" 2>"$WORK/knot/log" &
PIDS="$PIDS $!"
sleep 1
echo "== DNS: 10,000 concurrent queries, 1,000 names, caching_resolver over c-ares, knotd on 127.0.0.1"
"$B/dns_load" "127.0.0.1:$KPORT" --queries 10000 --names 1000 || echo "(dns_load: some queries failed: see failures=)"

echo "== physical limit (OpenSSL alone, same corpora)"
"$B/physical_limit" "$WORK/mixed" | sed 's/label=physical_limit/label=physical_limit_mixed/'
"$B/physical_limit" "$WORK/c4k" | sed 's/label=physical_limit/label=physical_limit_4k/'

ALL_HANDLERS='"Auth": {}, "LocalIP": {}, "TrustedIP": { "trusted_ip_list": [] }, "TLS": {},
        "IPRev": {}, "PTR": {}, "SPF": {}, "DKIM": {}, "DMARC": {}, "Sanitize": {}, "AddID": {}, "Size": {}'
start_daemon() { # name handlers
  MPORT=$(free_port)
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/authentication_milter.json" <<JSON
{
    "connection": "inet:$MPORT@127.0.0.1",
    "protocol": "milter",
    "dns_resolvers": ["127.0.0.1:$KPORT"],
    "dns_timeout": 2,
    "dns_retry": 1,
    "max_children": 2000,
    "listen_backlog": 4096,
    "authserv_id": "mx.bench.test",
    "handlers": { $2 }
}
JSON
  $RUN "$BUILD/examples/authentication_milter" --prefix "$WORK/$1" --pidfile "$WORK/$1/pid" \
    >"$WORK/$1/log" 2>&1 &
  DPID=$!
  PIDS="$PIDS $DPID"
  wait_port "$MPORT"
}

load() { # label conns threads [extra args]
  l=$1; c=$2; t=$3; shift 3
  $RUN "$B/milter_load" --port "$MPORT" --pid "$DPID" --label "$l" --conns "$c" --threads "$t" "$@" \
    2>"$WORK/load.err" || { echo "(errors; first ones:)"; head -3 "$WORK/load.err"; }
}

echo "== authmilter, every installed handler, DNS from knotd"
start_daemon am "$ALL_HANDLERS"
echo "-- what the daemon adds to the first messages (sanity: dkim=pass, spf=pass, iprev=pass expected)"
"$B/milter_load" --port "$MPORT" --corpus "$WORK/mixed" --messages 3 --show-edits 2>&1 >/dev/null | cut -c1-400
echo "rss_idle_kib=$(grep VmRSS /proc/$DPID/status | tr -s ' ' | cut -d' ' -f2)"
# Cold cache: a fresh daemon, each message of the corpus once.
load cold_mixed_c16 16 1 --corpus "$WORK/mixed" --messages 400
for c in 1 16 256 1000; do
  load warm_mixed_c$c $c 1 --corpus "$WORK/mixed" --warmup 1 --duration "$DURATION"
done
load warm_mixed_c256_2threads 256 2 --corpus "$WORK/mixed" --warmup 1 --duration "$DURATION"
for c in 4 16; do
  load warm_4k_rsa2048_c$c $c 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION"
done
load warm_4k_rsa2048_c4_quickack 4 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION" --quickack
# Open loop: 1,000 SMTP connections per second on at most 16 at once (an MX below saturation).
load warm_4k_rsa2048_c16_rate1000 16 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION" --rate 1000
load warm_4k_rsa2048_c16_10perconn 16 1 --corpus "$WORK/c4k" --per-conn 10 --warmup 1 --duration "$DURATION"

if command -v strace >/dev/null; then
  echo "== syscalls of the daemon for 2000 messages (4 KB corpus, C=16; strace slows it: no timing here)"
  strace -c -f -p "$DPID" -o "$WORK/strace.txt" &
  SPID=$!
  sleep 1
  "$B/milter_load" --port "$MPORT" --conns 16 --corpus "$WORK/c4k" --messages 2000 >/dev/null 2>&1 || true
  kill -INT $SPID; wait $SPID 2>/dev/null || true
  head -25 "$WORK/strace.txt"
  awk '$NF=="total"{print "syscalls_per_message=" $(NF-2)/2000}' "$WORK/strace.txt"
fi
if [ "${PERF:-1}" = 1 ] && command -v perf >/dev/null; then
  echo "== profile of the daemon (perf, 4 KB corpus, C=4; top symbols, children excluded)"
  perf record -q -F 499 -g -p "$DPID" -o "$WORK/perf.data" -- sleep 4 >/dev/null 2>&1 &
  PPID_=$!
  "$B/milter_load" --port "$MPORT" --conns 4 --corpus "$WORK/c4k" --duration 4 >/dev/null 2>&1 || true
  wait $PPID_ || true
  echo "-- by library"
  perf report -i "$WORK/perf.data" --stdio --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9.]+%' |
    sed 's/  */ /g' | head -8
  echo "-- by symbol"
  perf report -i "$WORK/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9.]+%' |
    sed 's/  */ /g' | cut -c1-110 | head -25
fi
kill "$DPID"; wait "$DPID" 2>/dev/null || true

echo "== the same daemon with no handler at all (protocol cost only)"
start_daemon empty ""
load nohandlers_4k_c4 4 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION"
load nohandlers_4k_c16 16 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION"
load nohandlers_4k_c16_rate1000 16 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION" --rate 1000
kill "$DPID"; wait "$DPID" 2>/dev/null || true

echo "== memory: 10,000 idle connections; one 50 MB message (fresh daemons)"
start_daemon idle "$ALL_HANDLERS"
sed -i 's/"max_children": 2000/"max_children": 20000/' "$WORK/idle/authentication_milter.json"
kill "$DPID"; wait "$DPID" 2>/dev/null || true
"$BUILD/examples/authentication_milter" --prefix "$WORK/idle" --pidfile "$WORK/idle/pid" >"$WORK/idle/log" 2>&1 &
DPID=$!; PIDS="$PIDS $DPID"; wait_port "$MPORT"
"$B/milter_load" --port "$MPORT" --pid "$DPID" --idle 10000 --label idle_10000 2>/dev/null || echo "(some idle connections failed)"
kill "$DPID"; wait "$DPID" 2>/dev/null || true
"$B/corpus_gen" "$WORK/big" --seed 3 --count 1 --body 52428800 --only-rsa2048 --keys "$WORK/mixed/keys" >/dev/null
start_daemon big "$ALL_HANDLERS"
load warm_4k_before_big 4 1 --corpus "$WORK/c4k" --messages 400
load big_50MB 1 1 --corpus "$WORK/big" --messages 1
kill "$DPID"; wait "$DPID" 2>/dev/null || true

if [ -x /usr/sbin/opendkim ]; then
  echo "== OpenDKIM $(/usr/sbin/opendkim -V 2>&1 | head -1 | cut -d' ' -f3), verify mode, same DNS, same client"
  OPORT=$(free_port)
  mkdir -p "$WORK/odk"
  cat > "$WORK/odk/opendkim.conf" <<ODK
Mode v
Socket inet:$OPORT@127.0.0.1
Nameservers 127.0.0.1
Background no
Syslog no
PidFile $WORK/odk/pid
AlwaysAddARHeader yes
AuthservID mx.bench.test
ODK
  # OpenDKIM (libunbound/libresolv) cannot take a port: it asks port 53. A resolv.conf-style
  # setup with a port is not possible either, so OpenDKIM reads the keys from a file instead:
  # a KeyTable-like test file (TestPublicKeys) with the same records, which costs no DNS at all.
  awk '/_domainkey/ {line=$0; sub(/ IN TXT \(/,"",line); name=$1; rec=""; while (match(line, /"[^"]*"/)) { rec=rec substr(line,RSTART+1,RLENGTH-2); line=substr(line,RSTART+RLENGTH) } print name ".bench.test " rec }' \
    "$WORK/mixed/bench.test.zone" > "$WORK/odk/keys.txt"
  echo "TestPublicKeys $WORK/odk/keys.txt" >> "$WORK/odk/opendkim.conf"
  $RUN /usr/sbin/opendkim -f -x "$WORK/odk/opendkim.conf" >"$WORK/odk/log" 2>&1 &
  DPID=$!
  PIDS="$PIDS $DPID"
  MPORT=$OPORT
  wait_port "$MPORT"
  for c in 4 16; do
    load opendkim_4k_rsa2048_c$c $c 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION"
  done
  load opendkim_4k_rsa2048_c4_quickack 4 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION" --quickack
  load opendkim_4k_rsa2048_c16_quickack 16 1 --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION" --quickack
  load opendkim_mixed_c16 16 1 --corpus "$WORK/mixed" --warmup 1 --duration "$DURATION"
  if [ -x /usr/sbin/opendmarc ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    # OpenDMARC (libresolv) asks port 53 of the resolv.conf servers: a second knotd with the same
    # zones on 127.0.0.153:53, and OpenDMARC in its own mount namespace whose /etc/resolv.conf
    # names it (the system's file is not touched). It checks SPF itself (DNS, no cache) and
    # reads OpenDKIM's A-R field, as the two are usually chained.
    echo "== OpenDKIM + OpenDMARC $(/usr/sbin/opendmarc -V 2>&1 | head -1 | awk '{print $NF}') chained (--port A,B), same client"
    mkdir -p "$WORK/knot53" "$WORK/odm"
    cp "$WORK/knot/"*.zone "$WORK/knot53/"
    sed "s#$WORK/knot\"#$WORK/knot53\"#g; s#listen: 127.0.0.1@$KPORT#listen: 127.0.0.153@53#" \
      "$WORK/knot/knot.conf" > "$WORK/knot53/knot.conf"
    $RUN /usr/sbin/knotd -c "$WORK/knot53/knot.conf" 2>"$WORK/knot53/log" &
    PIDS="$PIDS $!"
    echo "nameserver 127.0.0.153" > "$WORK/odm/resolv.conf"
    DPORT=$(free_port)
    cat > "$WORK/odm/opendmarc.conf" <<ODM
Socket inet:$DPORT@127.0.0.1
Background false
Syslog false
PidFile $WORK/odm/pid
AuthservID mx.bench.test
TrustedAuthservIDs mx.bench.test
SPFSelfValidate true
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
FailureReports false
RequiredHeaders false
ODM
    $RUN unshare -m sh -c "mount --bind '$WORK/odm/resolv.conf' /etc/resolv.conf && exec /usr/sbin/opendmarc -f -c '$WORK/odm/opendmarc.conf'" \
      >"$WORK/odm/log" 2>&1 &
    MPID=$!
    PIDS="$PIDS $MPID"
    wait_port "$DPORT"
    sleep 0.5
    echo "-- what the chain adds to the first message (sanity: dkim=pass from OpenDKIM, spf= and dmarc=pass from OpenDMARC)"
    "$B/milter_load" --port "$OPORT,$DPORT" --corpus "$WORK/c4k" --messages 1 --show-edits 2>&1 >/dev/null | cut -c1-200
    chain() { # label conns [extra args]
      l=$1; c=$2; shift 2
      $RUN "$B/milter_load" --port "$OPORT,$DPORT" --pid "$DPID,$MPID" --label "$l" --conns "$c" --threads 1 "$@" \
        2>"$WORK/load.err" || { echo "(errors; first ones:)"; head -3 "$WORK/load.err"; }
    }
    for c in 4 16; do
      chain opendkim_opendmarc_4k_rsa2048_c$c $c --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION"
      chain opendkim_opendmarc_4k_rsa2048_c${c}_quickack $c --corpus "$WORK/c4k" --warmup 1 --duration "$DURATION" --quickack
    done
    kill "$MPID"; wait "$MPID" 2>/dev/null || true
  else
    echo "== OpenDMARC not installed (apt-get install opendmarc) or not root: no chained comparison"
  fi
  kill "$DPID"; wait "$DPID" 2>/dev/null || true
else
  echo "== OpenDKIM not installed (apt-get install opendkim): no comparison"
fi

echo "== microbenchmarks (CPU time is the figure: the machine is shared)"
"$B/micro" --benchmark_min_time=0.2
