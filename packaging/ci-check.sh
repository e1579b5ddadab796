#!/usr/bin/env bash
# CI check of the packages (run by .ci/run after mvn -B verify, as root on Debian 12):
#   1. packaging/build.sh --no-build: the .deb and the tarball from the jar mvn just built;
#   2. dpkg -i of the .deb (apt-get install -f only when dependencies are missing);
#   3. pgha --version prints pom.xml's version, on the class data archive postinst made; man pages, completion, units and examples are in place;
#   4. systemd-analyze verify of the installed units;
#   5. a one-node cluster from the packaged files alone: a config from `pgha config generate` on
#      loopback ports, /usr/bin/pgha agent as the units run it, until the node is a running primary;
#      SQL through psql; a config reload (validate, then SIGHUP); SIGTERM ends the agent with
#      status 0 and no postmaster left;
#   6. the package purged and the temporary files removed, on failure too; a pgha system user the
#      package created is removed again, so the machine is left as it was found.
# Only processes this script started are stopped: the agent by its pid, PostgreSQL's by their
# working directory, the temporary data directory.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
export LC_ALL=C.UTF-8

say() { printf 'ci-check [%3ds] %s\n' "$SECONDS" "$*" >&2; }
# live PID: the process exists and has not exited. A postmaster started by pg_ctl is not our child:
# once it exits it stays a zombie until process 1 reaps it, which kill -0 cannot tell from running.
live() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
# the live processes whose current directory is DIR (PostgreSQL's postmaster and backends)
working_in() {
  local d want
  want=$(readlink -f "$1") || return 0
  for d in /proc/[0-9]*; do
    [ "$(readlink "$d/cwd" 2>/dev/null)" = "$want" ] && live "${d#/proc/}" && printf '%s\n' "${d#/proc/}"
  done
  return 0
}
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (dpkg -i, and the agent runs PostgreSQL as postgres)"
if [ "$(dpkg-query -W -f='${Status}' pgha 2>/dev/null || true)" = "install ok installed" ]; then
  fail "a pgha package is already installed on this machine; not touching it"
fi
id postgres >/dev/null 2>&1 || fail "the OS user postgres is missing (apt-get install postgresql)"

had_user=""; getent passwd pgha >/dev/null && had_user=1
had_group=""; getent group pgha >/dev/null && had_group=1
tmp=""
agent_pid=""
installed=""

cleanup() {
  local rc=$?
  set +e
  if [ -n "$agent_pid" ] && live "$agent_pid"; then
    say "stopping the agent (pid $agent_pid)"
    kill -TERM "$agent_pid"
    for _ in $(seq 1 60); do live "$agent_pid" || break; sleep 1; done
    live "$agent_pid" && kill -KILL "$agent_pid"
  fi
  if [ -n "$tmp" ] && [ -d "$tmp/node/data" ]; then
    local left
    left=$(working_in "$tmp/node/data")
    if [ -n "$left" ]; then
      say "stopping PostgreSQL processes left in $tmp/node/data: $(echo $left)"
      # shellcheck disable=SC2086
      kill -QUIT $left 2>/dev/null
      sleep 2
      left=$(working_in "$tmp/node/data")
      # shellcheck disable=SC2086
      [ -n "$left" ] && kill -KILL $left 2>/dev/null
    fi
  fi
  if [ -n "$installed" ]; then
    dpkg --purge pgha >/dev/null || say "dpkg --purge pgha failed"
  fi
  # the package keeps its system user on purge (it may own files); this check made it, it goes
  [ -z "$had_user" ] && getent passwd pgha >/dev/null && userdel pgha
  [ -z "$had_group" ] && getent group pgha >/dev/null && groupdel pgha
  [ -n "$tmp" ] && rm -rf "$tmp"
  if [ "$rc" != 0 ]; then say "failed (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tmp=$(mktemp -d /tmp/pgha-ci.XXXXXX)
chmod 0755 "$tmp" # PostgreSQL's OS user passes through to its data directory

# ---------------------------------------------------------------- 1. build
say "building the packages from the jar mvn built"
mapfile -t built < <("$repo/packaging/build.sh" --no-build)
deb=${built[0]:-}; tarball=${built[1]:-}
[ -f "$deb" ] && [ -f "$tarball" ] || fail "build.sh made no .deb or tarball"
pom_version=$(grep -m1 -A3 '<artifactId>pgha-parent</artifactId>' "$repo/pom.xml" \
  | sed -n 's:.*<version>\([^<]*\)</version>.*:\1:p' | head -n1)
say "built $(basename "$deb") and $(basename "$tarball") for version $pom_version"
deb_version=$(dpkg-deb --field "$deb" Version)
[ "$deb_version" = "$(printf '%s' "$pom_version" | tr -- '-_' '~~')" ] \
  || fail ".deb version $deb_version is not pom.xml's $pom_version"
tar -tzf "$tarball" >"$tmp/tarball.list"
grep -qx "pgha-$pom_version/bin/pgha" "$tmp/tarball.list" || fail "the tarball has no bin/pgha"
grep -qx "pgha-$pom_version/share/pgha/pgha.jar" "$tmp/tarball.list" || fail "the tarball has no pgha.jar"

# the installed launcher chooses JVM options as the repository's ./pgha does
[ "$(grep -o 'opts="[^"]*"' "$repo/pgha")" = "$(grep -o 'opts="[^"]*"' "$repo/packaging/pgha")" ] \
  || fail "packaging/pgha and ./pgha choose different JVM options"

# ---------------------------------------------------------------- 2. install
say "dpkg -i $(basename "$deb")"
installed=1
if ! dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
  if grep -q 'dependency problems' "$tmp/dpkg.log"; then
    say "installing missing dependencies: apt-get install -f"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -f >"$tmp/apt.log" 2>&1 \
      || { cat "$tmp/apt.log" >&2; fail "apt-get install -f"; }
  else
    cat "$tmp/dpkg.log" >&2
    fail "dpkg -i"
  fi
fi
[ "$(dpkg-query -W -f='${Status}' pgha)" = "install ok installed" ] || fail "pgha is not installed after dpkg -i"

# ---------------------------------------------------------------- 3. what it installed
[ "$(command -v pgha)" = /usr/bin/pgha ] || fail "pgha on PATH is $(command -v pgha), not /usr/bin/pgha"
version_line=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin pgha --version | head -n1)
say "pgha --version: $version_line"
[ "$version_line" = "pgha $pom_version" ] || fail "pgha --version printed '$version_line', expected 'pgha $pom_version'"
# postinst made the class data archive, and the launcher uses it (-Xshare:on fails when it cannot)
[ -s /var/cache/pgha/pgha.jsa ] || fail "postinst made no class data archive /var/cache/pgha/pgha.jsa"
(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PGHA_JAVA_OPTS="-Xshare:on -XX:TieredStopAtLevel=1" \
  pgha --version >/dev/null 2>"$tmp/cds.err") || { cat "$tmp/cds.err" >&2; fail "pgha does not start on its class data archive"; }
# on x86-64 postinst made it at a base address of its own, and the launcher maps it there
if [ "$(uname -m)" = x86_64 ]; then
  [ "$(cat /var/cache/pgha/pgha.jsa.map 2>/dev/null)" = relocation=0 ] \
    || fail "postinst wrote no /var/cache/pgha/pgha.jsa.map (the archive would be relocated at every start)"
  (cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PGHA_JAVA_OPTS="-Xshare:on -XX:TieredStopAtLevel=1 -Xlog:cds=info" \
    pgha --version >"$tmp/cds.out" 2>&1) || { cat "$tmp/cds.out" >&2; fail "pgha does not start on its class data archive"; }
  if grep -q "alternative address" "$tmp/cds.out"; then
    cat "$tmp/cds.out" >&2
    fail "the launcher relocates the class data archive instead of mapping it at its base"
  fi
fi
for f in /usr/share/pgha/pgha.jar /usr/share/man/man1/pgha.1.gz /usr/share/man/man1/pgha-agent.1.gz \
  /usr/share/bash-completion/completions/pgha /usr/share/zsh/vendor-completions/_pgha \
  /lib/systemd/system/pgha@.service /lib/systemd/system/pgha-router@.service \
  /lib/systemd/system/pgha-zookeeper.service /etc/pgha/node.yml.example /etc/pgha/router.yml.example \
  /etc/pgha/zookeeper.env /usr/share/doc/pgha/packaging.md /usr/share/doc/pgha/copyright; do
  [ -f "$f" ] || fail "$f is not installed"
done
zcat /usr/share/man/man1/pgha-agent.1.gz >"$tmp/pgha-agent.1"
grep -q '^\.TH' "$tmp/pgha-agent.1" || fail "pgha-agent.1.gz is not a man page"
bash -c 'source /usr/share/bash-completion/completions/pgha && complete -p pgha' >/dev/null \
  || fail "the bash completion does not register for pgha"
[ "$(stat -c '%U:%G %a' /etc/pgha)" = "root:pgha 750" ] || fail "/etc/pgha is $(stat -c '%U:%G %a' /etc/pgha)"
[ "$(stat -c '%U:%G %a' /etc/pgha/zookeeper.env)" = "root:pgha 640" ] || fail "zookeeper.env mode"
[[ "$(dpkg-query --showformat='${Conffiles}' --show pgha)" == *" /etc/pgha/zookeeper.env "* ]] \
  || fail "/etc/pgha/zookeeper.env is not a conffile"
pgha config validate /etc/pgha/node.yml.example >/dev/null || fail "the example node config is not valid"

# ---------------------------------------------------------------- 4. units
say "systemd-analyze verify of the installed units"
if command -v systemd-analyze >/dev/null; then
  # templates are verified as instances (verify needs a concrete unit); stderr is kept: any
  # complaint about these units fails the check, not only the exit status
  systemd-analyze verify pgha@ci.service pgha-router@ci.service pgha-zookeeper.service >"$tmp/verify.log" 2>&1 \
    || { cat "$tmp/verify.log" >&2; fail "systemd-analyze verify"; }
  if grep -E 'pgha' "$tmp/verify.log" >&2; then fail "systemd-analyze verify complained about pgha's units"; fi
else
  fail "systemd-analyze is not installed (apt-get install systemd)"
fi

# ---------------------------------------------------------------- 5. a one-node cluster
say "a one-node cluster from the packaged files"
cfg="$tmp/node.yml"
( umask 077 # the file holds passwords: mode 0600 from the start
  pgha config generate --cluster pgha-ci --name ci1 --address 127.0.0.1 \
    | sed -e "s:/var/lib/pgha/ci1/:$tmp/node/:" >"$cfg" )
section_value() { # SECTION KEY: the first "KEY:" value under top-level SECTION of the config
  awk -v s="$1:" -v k="$2:" '/^[^ #]/ {sec=$1} sec==s && $1==k {print $2; exit}' "$cfg"
}
pg_port=$(section_value postgresql port)
api_port=$(section_value restapi port)
password=$(section_value postgresql password) # the superuser's: it comes before replication's
[ -n "$pg_port" ] && [ -n "$api_port" ] && [ -n "$password" ] || fail "cannot read ports from the generated config"
grep -q "^data_dir: $tmp/node/data" "$cfg" || fail "the generated config's data_dir was not moved to $tmp"
pgha config validate "$cfg" >/dev/null || fail "the generated config is not valid"

# as pgha@.service runs it: the packaged launcher, a clean environment, started from /
(cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  /usr/bin/pgha agent --config "$cfg") >"$tmp/agent.log" 2>&1 &
agent_pid=$!
say "agent started (pid $agent_pid), PostgreSQL port $pg_port, REST API port $api_port"

http_status() { # PORT PATH: the HTTP status of GET PATH on 127.0.0.1:PORT, empty when unreachable
  local line=""
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  IFS= read -r -t 5 line <&3 || true
  exec 3<&- 3>&-
  printf '%s' "$line" | cut -d' ' -f2
}
started=$SECONDS
until [ "$(http_status "$api_port" /primary)" = 200 ]; do
  if ! live "$agent_pid"; then
    tail -n 40 "$tmp/agent.log" >&2
    agent_pid=""
    fail "the agent exited before its node became primary"
  fi
  if (( SECONDS - started > 90 )); then
    tail -n 40 "$tmp/agent.log" >&2
    fail "no running primary after 90 s"
  fi
  sleep 0.5
done
say "GET /primary answers 200 after $((SECONDS - started)) s"
list=$(timeout 30 pgha list -c "$cfg")
printf '%s\n' "$list" >&2
grep -Eq '^[^a-z]*ci1 .*primary' <<<"$list" || fail "pgha list does not show ci1 as primary"

pm_pid=$(head -n1 "$tmp/node/data/postmaster.pid")
[ "$(ps -o user= -p "$pm_pid" | tr -d ' ')" = postgres ] || fail "the postmaster does not run as postgres"
sql=$(PGPASSWORD="$password" PGCONNECT_TIMEOUT=10 psql -X -q -At -v ON_ERROR_STOP=1 \
  -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
  -c "create table pgha_ci(id int)" -c "insert into pgha_ci values (1), (2)" \
  -c "select count(*) || ' ' || pg_is_in_recovery() || ' ' || current_setting('cluster_name') from pgha_ci")
say "psql: $sql"
[ "$sql" = "2 false pgha-ci/ci1" ] || fail "psql answered '$sql', expected '2 false pgha-ci/ci1'"

# systemctl reload pgha@NAME: ExecReload validates the file, then sends SIGHUP
sed -i 's/^\(  priority: \)0/\15/' "$cfg"
pgha config validate "$cfg" >/dev/null || fail "the changed config is not valid"
kill -HUP "$agent_pid"
for _ in $(seq 1 20); do grep -q 'configuration reloaded: applied tags' "$tmp/agent.log" && break; sleep 0.5; done
grep -q 'configuration reloaded: applied tags' "$tmp/agent.log" || fail "SIGHUP did not reload the config"
live "$agent_pid" || fail "the agent did not survive SIGHUP"
say "SIGHUP: configuration reloaded, agent still running"

# systemctl stop: SIGTERM, exit status 0, PostgreSQL stopped
kill -TERM "$agent_pid"
for _ in $(seq 1 400); do live "$agent_pid" || break; sleep 0.5; done
live "$agent_pid" && { tail -n 40 "$tmp/agent.log" >&2; fail "the agent still runs 200 s after SIGTERM"; }
set +e
wait "$agent_pid"
status=$?
set -e
agent_pid=""
[ "$status" = 0 ] || { tail -n 40 "$tmp/agent.log" >&2; fail "the agent exited with $status after SIGTERM"; }
if live "$pm_pid"; then fail "the postmaster (pid $pm_pid) is still running"; fi
left=$(working_in "$tmp/node/data")
[ -z "$left" ] || fail "PostgreSQL processes still working in the data directory: $(echo $left)"
say "SIGTERM: agent exited 0, postmaster gone"
if grep -F -- "$password" "$tmp/agent.log" >/dev/null; then fail "the agent's log shows the superuser password"; fi

say "OK: $(basename "$deb") installs, reports $pom_version, its units verify, and a one-node cluster runs from it"
