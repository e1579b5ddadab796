# Shared by the bench/ scripts: builds pgha and runs a main class from pgha-cli's test tree with
# the test class path.
#   bench_java MAIN_CLASS [JVM_OPTIONS...] -- [ARGS...]
bench_java() {
  local main=$1
  shift
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  mvn -q -B -DskipTests install
  local cpfile
  cpfile=$(mktemp)
  mvn -q -B -pl pgha-cli dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile"
  local cp
  cp=$(cat "$cpfile")
  rm -f "$cpfile"
  java "${opts[@]}" -cp "pgha-cli/target/test-classes:pgha-cli/target/classes:$cp" "$main" "$@"
}

# One pgha node (agent, PostgreSQL 15 with trust on loopback, embedded ZooKeeper) as the primary of
# cluster "bench", for the proxy benchmarks; its pid is added to the array pids.
#   bench_primary DIR PG_PORT API_PORT ZK_PORT
bench_primary() {
  local dir=$1 pg=$2 api=$3 zk=$4
  cat > "$dir/node1.yml" <<YAML
cluster: bench
name: node1
data_dir: $dir/node1/data
postgresql:
  listen: 127.0.0.1
  port: $pg
  authentication: {superuser: {username: postgres}, replication: {username: postgres}}
  pg_hba: ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"]
  parameters: {shared_buffers: 128MB, max_connections: '200'}
restapi: {listen: 127.0.0.1, port: $api}
dcs:
  embedded: {my_id: 1, data_dir: $dir/node1/zookeeper, peers: ["1=127.0.0.1:$zk:$((zk + 100)):$((zk + 200))"]}
YAML
  ./pgha agent --config "$dir/node1.yml" > "$dir/agent.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$api/primary" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the pgha node did not become primary; see $dir/agent.log" >&2
  return 1
}

# The arguments of the pgbench benchmarks: SECONDS_PER_RUN (15), SCALE (10), ROUNDS (3).
#   bench_args "$@"
bench_args() {
  secs=${1:-15}
  scale=${2:-10}
  rounds=${3:-3}
}

# Caps one PostgreSQL member at PERCENT % of one core (cgroup v1 cpu or v2 cpu.max), as if it ran on
# a small machine of its own. The quota is per 10 ms period: with the default 100 ms, backends that
# used up the quota stall for tens of ms, holding locks others wait on. Even so a capped server does
# far less with many backends than with few (see BENCHMARKS.md, "Read scaling with each member's
# CPU capped"). The postmaster and every process it has forked move into the cgroup
# pgha-bench-NAME, and the backends it forks later are born there. The cgroups are removed by
# bench_uncap_all (call it after the members stopped).
#   bench_cap_cpu DATA_DIR PERCENT NAME
bench_cap_cpu() {
  local data=$1 pct=$2 name=$3 cg pm
  pm=$(head -1 "$data/postmaster.pid")
  if [ -d /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    cg=/sys/fs/cgroup/cpu/pgha-bench-$name
    mkdir -p "$cg"
    echo 10000 > "$cg/cpu.cfs_period_us"
    echo $((pct * 100)) > "$cg/cpu.cfs_quota_us"
  elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    cg=/sys/fs/cgroup/pgha-bench-$name
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
    mkdir -p "$cg"
    echo "$((pct * 100)) 10000" > "$cg/cpu.max"
  else
    echo "no writable cgroup cpu controller: cannot cap the members' CPU" >&2
    return 1
  fi
  echo "$pm" > "$cg/cgroup.procs"
  for c in $(pgrep -P "$pm"); do echo "$c" > "$cg/cgroup.procs" 2>/dev/null || true; done
  bench_cgroups+=("$cg")
}
bench_cgroups=()

# Removes the cgroups bench_cap_cpu made (their processes gone or moved back to the root).
bench_uncap_all() {
  local cg root p
  for cg in "${bench_cgroups[@]}"; do
    [ -d "$cg" ] || continue
    root=$(dirname "$cg")
    while read -r p; do echo "$p" > "$root/cgroup.procs" 2>/dev/null || true; done < "$cg/cgroup.procs"
    rmdir "$cg" 2>/dev/null || true
  done
  bench_cgroups=()
}
