#!/usr/bin/env bash
# Router benchmark: pgbench (select-only and the default tpcb-like script, 16 and 64 clients)
# directly against the primary, through the pgha router, through PgBouncer (session mode) and
# through HAProxy (plain TCP), all on this machine and in one run. Installs pgbouncer and haproxy
# from Debian's packages when missing. Prints a Markdown table (copy it into BENCHMARKS.md).
#
#   bench/router.sh [SECONDS_PER_RUN=15] [SCALE=10] [ROUNDS=3]
#
# Each case runs ROUNDS times, the four targets interleaved in every round; the table shows the
# median of the rounds (this 2-core machine is noisy: pgbench, PostgreSQL and the proxy share it).
#
# One pgha node (agent + PostgreSQL, embedded ZooKeeper) is the primary; the router runs as its own
# process (`pgha router`), as it would on an application host. Everything binds to 127.0.0.1 and
# is stopped at the end, also on failure.
# A second table shows the spread of the rounds and each proxy's CPU per transaction (steadier than
# tps on a shared machine). PGHA_BENCH_TRANSPORT names the router's transport (router.transport,
# default auto: io_uring where it runs).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args "$@"
base=${PGHA_BENCH_PORT:-26000}
pg=$base; api=$((base + 8)); zk=$((base + 181)); rw=$((base + 500)); bouncer=$((base + 600)); haport=$((base + 700))
dir=/tmp/pgha-bench-router
bin=/usr/lib/postgresql/15/bin

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if ! need pgbouncer || ! need haproxy; then
  echo "installing pgbouncer and haproxy (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer haproxy >&2
fi
# The Debian packages start their own services; this benchmark runs its own instances.
(systemctl stop pgbouncer haproxy 2>/dev/null || service pgbouncer stop 2>/dev/null || true) >/dev/null 2>&1

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pkill -f "$dir/pgbouncer.ini" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"
cat > "$dir/router.yml" <<YAML
cluster: bench
dcs: {zookeeper: {connect: "127.0.0.1:$zk"}}
router: {name: bench-router, port: $rw, read_only_port: $((rw + 1)), api: {port: $((rw + 2))}, transport: ${PGHA_BENCH_TRANSPORT:-auto}}
YAML
cat > "$dir/pgbouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$pg dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 100
logfile = $dir/bouncer/pgbouncer.log
pidfile = $dir/bouncer/pgbouncer.pid
INI
echo '"postgres" ""' > "$dir/userlist.txt"
cat > "$dir/haproxy.cfg" <<CFG
global
  maxconn 400
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
listen postgres
  bind 127.0.0.1:$haport
  server primary 127.0.0.1:$pg
CFG
chmod 644 "$dir"/*.ini "$dir"/*.txt "$dir"/*.cfg
mkdir -p "$dir/bouncer" && chown postgres "$dir/bouncer" # PgBouncer will not run as root

bench_primary "$dir" "$pg" "$api" "$zk"
./pgha router --config "$dir/router.yml" > "$dir/router.log" 2>&1 & pids+=($!)
runuser -u postgres -- /usr/sbin/pgbouncer "$dir/pgbouncer.ini" > /dev/null 2>&1 & pids+=($!)
/usr/sbin/haproxy -f "$dir/haproxy.cfg" > "$dir/haproxy.log" 2>&1 & pids+=($!)
for p in $rw $bouncer $haport; do
  for _ in $(seq 1 60); do "$bin/pg_isready" -q -h 127.0.0.1 -p "$p" && break; sleep 1; done
done

"$bin/pgbench" -i -q -s "$scale" -h 127.0.0.1 -p "$pg" -U postgres postgres > "$dir/init.log" 2>&1

# Warm every path once (the router's JIT included), then measure, targets interleaved per case.
for p in $pg $rw $bouncer $haport; do
  "$bin/pgbench" -n -S -c 16 -j 2 -T 5 -h 127.0.0.1 -p "$p" -U postgres postgres > "$dir/warmup-$p.log" 2>&1 \
    || { echo "pgbench through port $p failed:" >&2; tail -5 "$dir/warmup-$p.log" >&2; exit 1; }
done

declare -A tps lat cpu
declare -A pid=([router]=$(pgrep -f "pgha.jar router --config $dir/router.yml" | head -1)
  [pgbouncer]=$(pgrep -f "^/usr/sbin/pgbouncer $dir/pgbouncer.ini" | head -1)
  [haproxy]=$(pgrep -f "^/usr/sbin/haproxy -f $dir/haproxy.cfg" | head -1))
ticks() { [ -n "${1:-}" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
run() { # script clients port proxy-pid -> "tps latency cpu_us_per_transaction"
  local out t0 t1 n
  t0=$(ticks "${4:-}")
  out=$("$bin/pgbench" -n -b "$1" -c "$2" -j 2 -T "$secs" -h 127.0.0.1 -p "$3" -U postgres postgres 2>&1)
  t1=$(ticks "${4:-}")
  n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' | head -1)
  echo "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1) $(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p') $(( (t1 - t0) * tick_us / (${n:-0} > 0 ? n : 1) ))"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
targets=(direct router pgbouncer haproxy)
declare -A port=([direct]=$pg [router]=$rw [pgbouncer]=$bouncer [haproxy]=$haport)
for round in $(seq 1 "$rounds"); do
  for script in select-only tpcb-like; do
    for c in 16 64; do
      for t in "${targets[@]}"; do
        read -r x y u < <(run "$script" "$c" "${port[$t]}" "${pid[$t]:-}")
        tps[$script,$c,$t]="${tps[$script,$c,$t]:-} $x"; lat[$script,$c,$t]="${lat[$script,$c,$t]:-} $y"
        cpu[$script,$c,$t]="${cpu[$script,$c,$t]:-} $u"
        echo "  round $round $script c=$c $t: $x tps, $y ms, proxy CPU $u us per transaction" >&2
      done
    done
  done
done
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }
declare -A range
for k in "${!tps[@]}"; do
  range[$k]=$(spread ${tps[$k]})
  tps[$k]=$(median ${tps[$k]}); lat[$k]=$(median ${lat[$k]}); cpu[$k]=$(median ${cpu[$k]})
done

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)"
echo "pgbench $secs s per run, median of $rounds rounds, scale $scale, -j 2, simple protocol, router transport $(sed -n "s/.*(\\(.*\\) transport).*/\\1/p" "$dir/router.log" | head -1); $("$bin/postgres" --version); $(/usr/sbin/pgbouncer --version | head -1); $(/usr/sbin/haproxy -v | head -1 | cut -d' ' -f1-3)"
echo
echo "| script | clients | direct tps (ms) | pgha router tps (ms) | PgBouncer session tps (ms) | HAProxy tcp tps (ms) | router/direct | PgBouncer/direct | HAProxy/direct | router/PgBouncer |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for script in select-only tpcb-like; do
  for c in 16 64; do
    d=${tps[$script,$c,direct]}; r=${tps[$script,$c,router]}; b=${tps[$script,$c,pgbouncer]}; h=${tps[$script,$c,haproxy]}
    printf "| %s | %s | %.0f (%.2f) | %.0f (%.2f) | %.0f (%.2f) | %.0f (%.2f) | %.2f | %.2f | %.2f | %.2f |\n" "$script" "$c" \
      "$d" "${lat[$script,$c,direct]}" "$r" "${lat[$script,$c,router]}" "$b" "${lat[$script,$c,pgbouncer]}" "$h" "${lat[$script,$c,haproxy]}" \
      "$(echo "$r / $d" | bc -l)" "$(echo "$b / $d" | bc -l)" "$(echo "$h / $d" | bc -l)" "$(echo "$r / $b" | bc -l)"
  done
done
echo
echo "Spread of the rounds (tps, min-max) and each proxy's CPU per transaction (utime + stime from /proc over the run, median):"
echo
echo "| script | clients | direct | pgha router | PgBouncer | HAProxy | proxy CPU per transaction, router / PgBouncer / HAProxy (µs) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for script in select-only tpcb-like; do
  for c in 16 64; do
    echo "| $script | $c | ${range[$script,$c,direct]} | ${range[$script,$c,router]} | ${range[$script,$c,pgbouncer]} | ${range[$script,$c,haproxy]} | ${cpu[$script,$c,router]} / ${cpu[$script,$c,pgbouncer]} / ${cpu[$script,$c,haproxy]} |"
  done
done
