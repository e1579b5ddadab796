#!/usr/bin/env bash
# Cluster start, `pgha list` and the agents' footprint (issue: performance, round two, aims 4 and 8).
#
#   bench/start.sh [ROUNDS]          # default 3 rounds; PGHA_BENCH_REPO=DIR measures another checkout
#
# Each round, after the build (./pgha --version first, so neither the build nor the class data
# archive is timed):
#   1. ./pgha demo --fresh on ports 25432.. in a temporary directory, timed until one node answers
#      /primary, the two others /replica, and the primary's pg_stat_replication shows both streaming;
#   2. `pgha list` five times (wall clock of the whole command, launcher included);
#   3. a new member joining: a fourth agent (node4, a client of the demo's ZooKeeper ensemble, no
#      data directory) timed from `pgha agent` until the primary's pg_stat_replication shows it
#      streaming; three joins per round (stopped and its data directory removed between them), median;
#   4. after 20 s settling, each agent JVM's RSS and PSS (/proc/PID/smaps_rollup) and the CPU it
#      used over 60 idle seconds (PGHA_BENCH_FOOTPRINT=0 skips this step).
# start_cpu_ms is the CPU the three agent JVMs used from their start until the cluster was healthy
# (the steadier figure on a shared 2-core machine); demo_cpu_ms the same for the demo's own JVM
# (the command `pgha demo`, which watches the start and then runs the router).
# PGHA_BENCH_START_ONLY=1 measures the start alone (steps 2-4 skipped: list, join and the
# footprint columns stay empty).
# The demo is stopped with SIGTERM at the end of each round, and on failure.
set -euo pipefail
repo=${PGHA_BENCH_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
rounds=${1:-3}
work=$(mktemp -d /tmp/pgha-bench-start.XXXXXX)
chmod 0755 "$work"
demo_pid=""
join_pid=""
stop_join() {
  if [ -n "$join_pid" ] && kill -0 "$join_pid" 2>/dev/null; then
    kill -TERM "$join_pid"
    wait "$join_pid" 2>/dev/null || true
  fi
  join_pid=""
}
stop_demo() {
  stop_join
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid"
    wait "$demo_pid" 2>/dev/null || true
  fi
  demo_pid=""
}
trap 'stop_demo; rm -rf "$work"' EXIT
"$repo/pgha" --version >/dev/null
# The polls below start no process: curl, psql, date and sleep every 20-50 ms took about three
# quarters of a core, on a 2-core machine where the demo's start is CPU-bound. Bash's /dev/tcp
# asks the REST APIs, one psql session answers the joins' queries, EPOCHREALTIME tells the time.
now() { echo "${EPOCHREALTIME/./}"; } # microseconds
ms() { echo $((($2 - $1) / 1000)); }
exec {pause_fd}<> <(:)
pause() { read -r -t "$1" -u "$pause_fd" || true; } # sleep without a process
status=""
http_status() { # PORT PATH: $status becomes the HTTP status of GET PATH on 127.0.0.1:PORT (000: no answer)
  local fd proto code
  status=000
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&"$fd"
  if read -r -t 2 proto code _ <&"$fd"; then status=$code; fi
  exec {fd}>&-
}
agents() { pgrep -f "io.pgha.cli.Main agent --config $work/demo/" || true; }

# node4.yml: node3's file with another name, data directory and ports, and the ensemble as a client
node4_config() {
  sed -e 's/^name: node3$/name: node4/' -e 's#/node3/data#/node4/data#' -e 's#/control/node3.sock#/control/node4.sock#' -e 's/port: 25434$/port: 25435/' \
    -e 's/port: 28010$/port: 28011/' "$work/demo/node3.yml" |
    awk '/^  embedded:/ {print "  zookeeper: {connect: \"127.0.0.1:22181,127.0.0.1:22182,127.0.0.1:22183\"}"; skip=1; next}
         skip && /^    / {next} {skip=0; print}' >"$work/demo/node4.yml"
}
streaming() { # PORT [APPLICATION_NAME]: streaming standbys of the server on PORT (all, or that one)
  psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atc \
    "select count(*) from pg_stat_replication where state = 'streaming' ${2:+and application_name = '$2'}" 2>/dev/null || true
}
# One psql session on the primary for the joins' polls: $node4 becomes node4's streaming count there.
node4=""
primary_session() { coproc PRIMARY { psql -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d postgres 2>&1; }; }
node4_streaming() {
  echo "select count(*) from pg_stat_replication where state = 'streaming' and application_name = 'node4';" >&"${PRIMARY[1]}"
  read -r -t 5 node4 <&"${PRIMARY[0]}" || node4=""
}

echo "round,start_ms,list_ms_median,join_ms_median,agent,rss_kb,pss_kb,idle_cpu_ms_per_min,start_cpu_ms,demo_cpu_ms"
for r in $(seq 1 "$rounds"); do
  t0=$(now)
  (cd "$work" && exec "$repo/pgha" demo --fresh --dir "$work/demo" --pg-port 25432 --api-port 28008 \
    --zk-port 22181 --router-port 26432 >"$work/demo.log" 2>&1) &
  demo_pid=$!
  while :; do
    kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log" >&2; exit 1; }
    primaries=0 replicas=0 pg=""
    for i in 0 1 2; do
      http_status $((28008 + i)) /primary
      if [ "$status" = 200 ]; then
        primaries=$((primaries + 1)) pg=$((25432 + i))
      else
        http_status $((28008 + i)) /replica
        [ "$status" != 200 ] || replicas=$((replicas + 1))
      fi
    done
    if [ "$primaries" = 1 ] && [ "$replicas" = 2 ] && [ "$(psql -h 127.0.0.1 -p "$pg" -U postgres -d postgres -Atc \
      "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null)" = 2 ]; then
      break
    fi
    pause 0.05
    [ $((${EPOCHREALTIME/./} - t0)) -lt 120000000 ] || { echo "not healthy after 120 s" >&2; exit 1; }
  done
  start=$(ms "$t0" "$(now)")
  start_ticks=0
  for p in $(agents); do start_ticks=$((start_ticks + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  start_cpu=$((start_ticks * 1000 / $(getconf CLK_TCK)))
  demo_ticks=0
  for p in $(pgrep -f "pgha.jar demo --fresh --dir $work/demo" || true); do
    demo_ticks=$((demo_ticks + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  demo_cpu=$((demo_ticks * 1000 / $(getconf CLK_TCK)))
  if [ "${PGHA_BENCH_START_ONLY:-0}" = 1 ]; then
    echo "$r,$start,,,,,,,$start_cpu,$demo_cpu"
    stop_demo
    continue
  fi
  lists=()
  for _ in 1 2 3 4 5; do
    a=$(now)
    "$repo/pgha" list -c "$work/demo/node1.yml" >/dev/null
    lists+=("$(ms "$a" "$(now)")")
  done
  list_median=$(printf '%s\n' "${lists[@]}" | sort -n | sed -n 3p)
  node4_config
  primary_session "$pg"
  joins=()
  for _ in 1 2 3; do
    rm -rf "$work/demo/node4"
    while [ "$(streaming "$pg" node4)" != 0 ]; do sleep 0.1; done
    a=$(now)
    "$repo/pgha" agent --config "$work/demo/node4.yml" >"$work/node4.log" 2>&1 &
    join_pid=$!
    until node4_streaming && [ "$node4" = 1 ]; do
      kill -0 "$join_pid" 2>/dev/null || { cat "$work/node4.log" >&2; exit 1; }
      pause 0.02
      [ $((${EPOCHREALTIME/./} - a)) -lt 60000000 ] || { echo "node4 not streaming after 60 s" >&2; exit 1; }
    done
    joins+=("$(ms "$a" "$(now)")")
    stop_join
  done
  primary_in=${PRIMARY[1]}
  exec {primary_in}>&- # the session ends
  join_median=$(printf '%s\n' "${joins[@]}" | sort -n | sed -n 2p)
  if [ "${PGHA_BENCH_FOOTPRINT:-1}" = 0 ]; then
    echo "$r,$start,$list_median,$join_median,,,,,$start_cpu,$demo_cpu"
    stop_demo
    continue
  fi
  sleep 20
  declare -A before=()
  for p in $(agents); do before[$p]=$(awk '{print $14 + $15}' "/proc/$p/stat"); done
  sleep 60
  n=0
  for p in $(agents); do
    n=$((n + 1))
    rss=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
    ticks=$(($(awk '{print $14 + $15}' "/proc/$p/stat") - ${before[$p]:-0}))
    echo "$r,$start,$list_median,$join_median,$n,$rss,$pss,$((ticks * 1000 / $(getconf CLK_TCK))),$start_cpu,$demo_cpu"
  done
  unset before
  stop_demo
done
