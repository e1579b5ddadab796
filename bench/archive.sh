#!/usr/bin/env bash
# WAL archive benchmark, pgha against pgBackRest (installed from Debian's packages when missing),
# on one PostgreSQL 15 with 16 MB WAL segments, in one run:
#   (a) the cost of one archive_command / restore_command call per segment, next to cp + fsync of
#       the same file: pgha push (a JVM per call), pgha's confirm of a pushed-ahead segment (the shell
#       test in archive_command), pgha push and get through a running archive server (call.sh),
#       pgBackRest archive-push (synchronous), and both tools' get;
#   (b) pgbench at full speed for SECONDS while the archive follows: the WAL rate, the archive's lag
#       behind it (.ready files PostgreSQL waits on), and how long it takes to catch up at the end;
#       pgha with its archive server (as the agent configures it) against pgBackRest asynchronous
#       (archive-async);
#   (c) a full backup and a restore of it, in MB/s of the data directory.
# Both tools use zstd level 3 and 2 processes (this machine has 2 cores). Prints a Markdown report
# (copy it into BENCHMARKS.md) and keeps it in bench/results/archive-DATE.md.
#
#   bench/archive.sh [SECONDS=60] [SCALE=30] [CLIENTS=4] [ROUNDS=3]
#
# Everything runs as the postgres OS user on 127.0.0.1 and is stopped at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
scale=${2:-30}
clients=${3:-4}
rounds=${4:-3}
port=${PGHA_BENCH_PORT:-26400}
dir=/tmp/pgha-bench-archive
bin=/usr/lib/postgresql/15/bin
segs=10

if ! command -v pgbackrest >/dev/null; then
  echo "installing pgbackrest (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbackrest >&2
fi
as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }

cleanup() {
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  pkill -f "push-ahead --pg-wal $dir" 2>/dev/null || true
  pkill -f "archive serve --pg-wal $dir" 2>/dev/null || true
  pkill -f "pgbackrest --config=$dir" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"

echo "building pgha" >&2
mvn -q -B -DskipTests install
cp pgha-cli/target/pgha.jar "$dir/pgha.jar"
[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
# the JVM settings of ./pgha: small for per-segment calls, the optimizing JIT for backup and restore
PGHA="java -Xms16m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -jar $dir/pgha.jar"
PGHA_BULK="java -Xms64m -Xmx256m -XX:+UseParallelGC -jar $dir/pgha.jar"
# the archive server's, as the launchers and the agent start it
PGHA_SERVER="java -Xms16m -Xmx128m -XX:+UseSerialGC -Xss256k -XX:ReservedCodeCacheSize=32m -XX:MaxDirectMemorySize=64m -Xshare:auto -jar $dir/pgha.jar"
# serve PG_WAL SPOOL REPO PREFETCH: starts an archive server as postgres, waits until it answers
serve() {
  as_pg mkdir -p "$2" "$3"
  as_pg sh -c "exec $PGHA_SERVER archive serve --pg-wal $1 --spool $2 --repo $3 --parallel 2 --prefetch $4 --idle 0 >>$dir/serve.log 2>&1" &
  # ready once it answers calls (server.pid) and has warmed up (.warm-up removed), about a second
  for _ in $(seq 1 300); do [ -s "$2/server.pid" ] && [ ! -e "$2/.warm-up" ] && return 0; sleep 0.1; done
  echo "the archive server for $2 did not start (see $dir/serve.log)" >&2; exit 1
}
psql() { as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq "$@"; }

as_pg mkdir -p "$dir/repo-pgha" "$dir/spool-pgha" "$dir/repo-br" "$dir/spool-br" "$dir/br-log" "$dir/br-lock" "$dir/segs/pg_wal/archive_status"
cat > "$dir/pgbackrest.conf" <<EOF
[global]
repo1-path=$dir/repo-br
compress-type=zst
compress-level=3
process-max=2
archive-async=y
archive-get-queue-max=256MB
spool-path=$dir/spool-br
log-path=$dir/br-log
lock-path=$dir/br-lock
log-level-console=warn
log-level-file=off
start-fast=y

[bench]
pg1-path=$dir/data
pg1-port=$port
pg1-socket-path=$dir
EOF
chmod 644 "$dir/pgbackrest.conf"
BR="pgbackrest --config=$dir/pgbackrest.conf --stanza=bench"

echo "initdb and pgbench -i -s $scale" >&2
as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
cat >> "$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $dir/segs/pg_wal/%f && cp %p $dir/segs/pg_wal/%f'
max_wal_size = 4GB
shared_buffers = 256MB
EOF
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w start >/dev/null
as_pg "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -s "$scale" -q postgres >/dev/null 2>&1
as_pg $BR stanza-create >/dev/null
psql -c "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 1 100); do [ -z "$(ls "$dir/data/pg_wal/archive_status" | grep '\.ready$' || true)" ] && break; sleep 0.2; done
psql -c "ALTER SYSTEM SET archive_command = '/bin/true'" -c "SELECT pg_reload_conf()" >/dev/null

# ---- (a) one call per segment ----------------------------------------------------------------
echo "(a) per-call cost over $segs real segments" >&2
mapfile -t names < <(ls "$dir/segs/pg_wal" | grep -E '^[0-9A-F]{24}$' | sort | tail -n $segs)
[ "${#names[@]}" -eq "$segs" ] || { echo "pgbench -i left only ${#names[@]} finished segments; raise SCALE" >&2; exit 1; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run_each() { # label command-template (NAME replaced)
  local label=$1 tmpl=$2 out=()
  for n in "${names[@]}"; do
    local cmd=${tmpl//NAME/$n}
    local t0; t0=$(date +%s%N)
    as_pg sh -c "$cmd" >/dev/null 2>>"$dir/a-errors.log" || { echo "failed: $cmd (see $dir/a-errors.log)" >&2; exit 1; }
    local t1; t1=$(date +%s%N)
    out+=("$(ms "$t0" "$t1")")
  done
  printf '%s\n' "${out[@]}" | median
}
as_pg mkdir -p "$dir/cp-target" "$dir/get-target"
cp_ms=$(run_each cp "cp $dir/segs/pg_wal/NAME $dir/cp-target/NAME && sync $dir/cp-target/NAME")
# through a running archive server (its client call.sh, no JVM start); FALLBACK false: the server must answer.
# The first call after the server's start is the cold one (reported apart); push and get, no prefetch.
serve "$dir/segs/pg_wal" "$dir/spool-srv" "$dir/repo-srv" 0
run_first() { # label command-template -> "first median" over all segments
  local label=$1 tmpl=$2 out=()
  for n in "${names[@]}"; do
    local cmd=${tmpl//NAME/$n}
    local t0; t0=$(date +%s%N)
    as_pg sh -c "$cmd" >/dev/null 2>>"$dir/a-errors.log" || { echo "failed: $cmd (see $dir/a-errors.log)" >&2; exit 1; }
    out+=("$(ms "$t0" "$(date +%s%N)")")
  done
  echo "${out[0]} $(printf '%s\n' "${out[@]}" | median)"
}
read -r srv_push_first srv_push_ms < <(cd "$dir/segs" && run_first srv-push "sh $dir/spool-srv/call.sh $dir/spool-srv push NAME -- false")
read -r srv_get_first srv_get_ms < <(run_first srv-get "sh $dir/spool-srv/call.sh $dir/spool-srv get NAME $dir/get-target/NAME -- false")
pgha_push_ms=$(run_each pgha-push "$PGHA archive push $dir/segs/pg_wal/NAME --repo $dir/repo-pgha")
# the confirm path of pgha's archive_command: a marker written by the pusher, checked by the shell
for n in "${names[@]}"; do as_pg sh -c "mkdir -p $dir/spool-pgha/pushed && stat -c %i.%s.%Y $dir/segs/pg_wal/$n > $dir/spool-pgha/pushed/$n"; done
pgha_confirm_ms=$(run_each pgha-confirm "test \"\$(stat -c %i.%s.%Y $dir/segs/pg_wal/NAME)\" = \"\$(cat $dir/spool-pgha/pushed/NAME 2>/dev/null)\" && rm -f $dir/spool-pgha/pushed/NAME || $PGHA archive push $dir/segs/pg_wal/NAME --repo $dir/repo-pgha")
br_push_ms=$(run_each br-push "$BR --no-archive-async archive-push $dir/segs/pg_wal/NAME")
pgha_get_ms=$(run_each pgha-get "$PGHA archive get NAME $dir/get-target/NAME --repo $dir/repo-pgha")
br_get_ms=$(run_each br-get "$BR --no-archive-async archive-get NAME $dir/get-target/NAME")
# restore_command as a replaying server calls it, segment after segment, with prefetching
as_pg mkdir -p "$dir/spool-pgha-get"
t0=$(date +%s%N)
pgha_getq_ms=$(run_each pgha-get-prefetch "test -f $dir/spool-pgha-get/prefetched/NAME && mv -f $dir/spool-pgha-get/prefetched/NAME $dir/get-target/NAME || $PGHA archive get NAME $dir/get-target/NAME --spool $dir/spool-pgha-get --prefetch 8 --parallel 2 --repo $dir/repo-pgha")
pgha_getq_total=$(( ($(date +%s%N) - t0) / 1000000 ))
# restore_command as the agent writes it, with its archive server (prefetch 8) started just before
serve "$dir/segs/pg_wal" "$dir/spool-srv-q" "$dir/repo-srv" 8
t0=$(date +%s%N)
srv_getq_ms=$(run_each srv-get-prefetch "test -f $dir/spool-srv-q/prefetched/NAME && mv -f $dir/spool-srv-q/prefetched/NAME $dir/get-target/NAME || sh $dir/spool-srv-q/call.sh $dir/spool-srv-q get NAME $dir/get-target/NAME -- false")
srv_getq_total=$(( ($(date +%s%N) - t0) / 1000000 ))
pkill -f "archive serve --pg-wal $dir/segs" 2>/dev/null || true
t0=$(date +%s%N)
br_getq_ms=$(run_each br-get-async "$BR archive-get NAME $dir/get-target/NAME")
br_getq_total=$(( ($(date +%s%N) - t0) / 1000000 ))
seg_mb=$(( $(stat -c %s "$dir/segs/pg_wal/${names[0]}") / 1048576 ))
pgha_stored=$(du -sb "$dir/repo-pgha/wal" | cut -f1)
br_stored=$(du -sb "$dir/repo-br/archive" | cut -f1)

# ---- (b) pgbench while the archive follows ---------------------------------------------------
follow() { # label archive_command -> "wal_mb_s max_pending end_pending catchup_s"
  local label=$1 cmd=$2
  psql -c "ALTER SYSTEM SET archive_command = \$\$${cmd}\$\$" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  psql -c "SELECT pg_stat_reset_shared('archiver')" >/dev/null
  local lsn0; lsn0=$(psql -c "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
  as_pg "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c "$clients" -j 2 -T "$secs" -f "$dir/write-heavy.sql" postgres > "$dir/pgbench-$label.log" 2>&1 &
  local bench=$! max=0 pending
  while kill -0 "$bench" 2>/dev/null; do
    pending=$(ls "$dir/data/pg_wal/archive_status" | grep -c '\.ready$' || true)
    [ "$pending" -gt "$max" ] && max=$pending
    echo "$label $(date +%s) $pending" >> "$dir/lag-$label.log"
    sleep 1
  done
  wait "$bench" || true
  local lsn1; lsn1=$(psql -c "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
  local end; end=$(ls "$dir/data/pg_wal/archive_status" | grep -c '\.ready$' || true)
  psql -c "SELECT pg_switch_wal()" >/dev/null
  local t0; t0=$(date +%s%N)
  while [ "$(ls "$dir/data/pg_wal/archive_status" | grep -c '\.ready$' || true)" -gt 0 ]; do
    sleep 0.2
    if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -gt 600 ]; then echo "$label: archive did not catch up in 10 minutes" >&2; break; fi
  done
  local t1; t1=$(date +%s%N)
  local failed; failed=$(psql -c "SELECT failed_count FROM pg_stat_archiver")
  local tps; tps=$(grep -oE 'tps = [0-9.]+' "$dir/pgbench-$label.log" | head -1 | cut -d' ' -f3)
  echo "$(awk -v a="$lsn0" -v b="$lsn1" -v s="$secs" 'BEGIN {printf "%.1f", (b-a)/1048576/s}') $max $end $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b-a)/1e9}') $failed ${tps%.*}"
}
# A write-heavy script (20 rows of 900 bytes per transaction): pgbench's built-in scripts make only
# about 1 MB/s of WAL on this machine, which any archiver follows.
psql -c "CREATE TABLE fill (id int, pad text)" >/dev/null
printf '%s\n' "\\set n random(1, 1000000)" "INSERT INTO fill SELECT :n, repeat(md5(:n::text), 28) FROM generate_series(1, 20);" > "$dir/write-heavy.sql"
chmod 644 "$dir/write-heavy.sql"
echo "(b) write-heavy pgbench for $secs s with $clients clients, pgha asynchronous" >&2
# archive_command as the agent writes it, with the archive server the agent keeps running beside PostgreSQL
pgha_cmd="s=$dir/spool-pgha; m=\$(cat \"\$s\"/pushed/%f 2>/dev/null) && [ -n \"\$m\" ] && [ \"\$(stat -c %%i.%%s.%%Y %p)\" = \"\$m\" ] && rm -f \"\$s\"/pushed/%f || { set --; test -f \"\$s\"/call.sh && set -- sh \"\$s\"/call.sh \"\$s\" push %f --; exec \"\$@\" $PGHA archive push %p --async --spool \"\$s\" --parallel 2 --repo $dir/repo-pgha --compression zstd; }"
serve "$dir/data/pg_wal" "$dir/spool-pgha" "$dir/repo-pgha" 8
read -r pgha_rate pgha_max pgha_end pgha_catch pgha_failed pgha_tps < <(follow pgha "$pgha_cmd")
echo "(b) the same with pgBackRest asynchronous" >&2
read -r br_rate br_max br_end br_catch br_failed br_tps < <(follow pgbackrest "$BR archive-push %p")

# ---- (c) backup and restore ------------------------------------------------------------------
echo "(c) full backup and restore" >&2
data_mb=$(du -sm --exclude=pg_wal "$dir/data" | cut -f1)
# ROUNDS rounds, the tools' order swapped every round; each step starts after a sync and a pause,
# with the previous round's backup and restore removed first (this disk's write-back and discards
# would otherwise land on whichever tool comes next)
settle() { sync; sleep 3; }
secs_of() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b-a)/1e9}'; }
pgha_backup_all=(); pgha_restore_all=(); br_backup_all=(); br_restore_all=()
pgha_round() {
  as_pg rm -rf "$dir/repo-pgha/backup" "$dir/restore-pgha"
  psql -c "ALTER SYSTEM SET archive_command = \$\$${pgha_cmd}\$\$" -c "SELECT pg_reload_conf()" >/dev/null
  settle
  local t0 t1; t0=$(date +%s%N); as_pg $PGHA_BULK backup -h 127.0.0.1 -p "$port" -D "$dir/data" --parallel 2 --repo "$dir/repo-pgha" --no-progress >/dev/null; t1=$(date +%s%N)
  pgha_backup_all+=("$(secs_of "$t0" "$t1")")
  settle
  t0=$(date +%s%N); as_pg $PGHA_BULK restore --target-dir "$dir/restore-pgha" --parallel 2 --repo "$dir/repo-pgha" --restore-command /bin/false --no-progress >/dev/null; t1=$(date +%s%N)
  pgha_restore_all+=("$(secs_of "$t0" "$t1")")
}
br_round() {
  as_pg rm -rf "$dir/restore-br"
  psql -c "ALTER SYSTEM SET archive_command = \$\$$BR archive-push %p\$\$" -c "SELECT pg_reload_conf()" >/dev/null
  settle
  local t0 t1; t0=$(date +%s%N); as_pg $BR backup --type=full >/dev/null 2>&1; t1=$(date +%s%N)
  br_backup_all+=("$(secs_of "$t0" "$t1")")
  as_pg mkdir -p "$dir/restore-br" && chmod 700 "$dir/restore-br"
  settle
  t0=$(date +%s%N); as_pg $BR restore --pg1-path="$dir/restore-br" >/dev/null; t1=$(date +%s%N)
  br_restore_all+=("$(secs_of "$t0" "$t1")")
}
# (b)'s archive server keeps serving pgha's archive_command, as the agent's does
for round in $(seq 1 "$rounds"); do
  echo "(c) round $round of $rounds" >&2
  if [ $((round % 2)) = 1 ]; then pgha_round; br_round; else br_round; pgha_round; fi
done
mid() { printf '%s\n' "$@" | median; }
spread() { printf '%s\n' "$@" | sort -n | awk 'NR==1 {a=$1} {b=$1} END {print a "-" b}'; }
pgha_backup_s=$(mid "${pgha_backup_all[@]}"); pgha_restore_s=$(mid "${pgha_restore_all[@]}")
br_backup_s=$(mid "${br_backup_all[@]}"); br_restore_s=$(mid "${br_restore_all[@]}")
mbs() { awk -v m="$data_mb" -v s="$1" 'BEGIN {printf "%.0f", m/s}'; }

report="bench/results/archive-$(date -u +%Y%m%d).md"
mkdir -p bench/results
{
  echo "### WAL archive: pgha against pgBackRest ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), PostgreSQL 15, pgBackRest $(pgbackrest version | awk '{print $2}'))"
  echo
  echo "Both: zstd level 3, 2 processes, repository on the local disk."
  echo
  echo "(a) One call per ${seg_mb} MB segment, median of $segs real segments (ms):"
  echo
  echo "| call | cp + fsync | pgha | pgBackRest |"
  echo "|---|---|---|---|"
  echo "| push, synchronous (what a call costs when nothing was pushed ahead) | $cp_ms | $pgha_push_ms | $br_push_ms |"
  echo "| push, confirm of a segment pushed ahead (pgha's shell test) | $cp_ms | $pgha_confirm_ms | |"
  echo "| get, synchronous | $cp_ms | $pgha_get_ms | $br_get_ms |"
  echo "| get with prefetch / async queue, as recovery calls it (median) | $cp_ms | $pgha_getq_ms | $br_getq_ms |"
  echo "| push through the archive server (call.sh, nothing pushed ahead): median (first call after the server's start and warm-up) | $cp_ms | $srv_push_ms ($srv_push_first) | $br_push_ms |"
  echo "| get through the archive server, no prefetch: median (first call) | $cp_ms | $srv_get_ms ($srv_get_first) | $br_get_ms |"
  echo "| get through the archive server with prefetch 8, as the agent's restore_command calls it (median) | $cp_ms | $srv_getq_ms | $br_getq_ms |"
  echo
  echo "The $segs gets in sequence with prefetch took $pgha_getq_total ms with pgha without a server (8 ahead), $srv_getq_total ms with the archive server (8 ahead, started just before) and $br_getq_total ms with pgBackRest (async queue)."
  echo
  echo "Stored: pgha $((pgha_stored / 1048576)) MB, pgBackRest $((br_stored / 1048576)) MB for the same $segs segments."
  echo
  echo "(b) pgbench with a write-heavy script (20 rows of 900 bytes per transaction), $clients clients, $secs s, asynchronous archiving:"
  echo
  echo "| | pgha | pgBackRest |"
  echo "|---|---|---|"
  echo "| pgbench transactions/s | $pgha_tps | $br_tps |"
  echo "| WAL generated, MB/s | $pgha_rate | $br_rate |"
  echo "| most .ready segments waiting during the run | $pgha_max | $br_max |"
  echo "| .ready segments waiting when pgbench ended | $pgha_end | $br_end |"
  echo "| seconds to archive everything after the end | $pgha_catch | $br_catch |"
  echo "| failed archive_command calls | $pgha_failed | $br_failed |"
  echo
  echo "(c) Full backup and restore of a ${data_mb} MB data directory (pgbench scale $scale plus the write-heavy table),"
  echo "median of $rounds rounds (the tools' order swapped every round), spread in brackets:"
  echo
  echo "| | pgha | pgBackRest |"
  echo "|---|---|---|"
  echo "| backup, s (MB/s) | $pgha_backup_s [$(spread "${pgha_backup_all[@]}")] ($(mbs "$pgha_backup_s")) | $br_backup_s [$(spread "${br_backup_all[@]}")] ($(mbs "$br_backup_s")) |"
  echo "| restore, s (MB/s) | $pgha_restore_s [$(spread "${pgha_restore_all[@]}")] ($(mbs "$pgha_restore_s")) | $br_restore_s [$(spread "${br_restore_all[@]}")] ($(mbs "$br_restore_s")) |"
} | tee "$report"
