#!/bin/sh
# pgha archive client. `pgha archive serve` writes it into its spool; PostgreSQL's archive_command
# and restore_command run it (docs/archive.md):
#   sh SPOOL/call.sh SPOOL push NAME -- FALLBACK...
#   sh SPOOL/call.sh SPOOL get NAME DEST -- FALLBACK...
# It hands the call to the spool's archive server and waits for the answer, so no JVM starts. When
# no server runs, or the server ends before it answers, it runs FALLBACK, a pgha command that does
# the work itself. Exit codes, as pgha archive push|get's: 0 done; 1 the archive has no such file
# (get); 2 to 5 failed, with the server's message on standard error (docs/archive.md).
s=$1 op=$2 name=$3
shift 3
dest=
if [ "$op" = get ]; then dest=$1; shift; fi
[ "${1:-}" = -- ] && shift
r=$s/replies/$$
w=
fallback() {
    [ -n "$w" ] && kill "$w" 2>/dev/null
    rm -f "$r"
    [ $# -gt 0 ] || { echo "pgha archive: no archive server answers in $s" >&2; exit 2; }
    exec "$@"
}
pid=
read -r pid 2>/dev/null <"$s/server.pid"
case $pid in '' | *[!0-9]*) fallback "$@" ;; esac
# /proc/PID/exe is gone when the server has ended, also while it waits to be reaped
[ -e "/proc/$pid/exe" ] && [ -p "$s/calls" ] || fallback "$@"
[ -p "$r" ] || mkfifo -m 600 "$r" 2>/dev/null || fallback "$@"
exec 4<>"$r" 3<>"$s/calls"
# The server may end at any moment: this watch hands the call to FALLBACK when it does (USR1, the
# trap below), and ends with this script. It starts before the trap is set, so that it never
# inherits the trap: a signal sent to a subshell that still has its parent's trap can be lost.
# A TERM from elsewhere (PostgreSQL stopping) ends the call, as it would end pgha itself.
(while sleep 1; [ -e "/proc/$pid/exe" ]; do [ -e "/proc/$$/exe" ] || exit 0; done; kill -USR1 $$) 2>/dev/null &
w=$!
trap 'fallback "$@"' USR1
printf '%s %s %s\n' "$op" $$ "$name" >&3
code= msg=
read -r code msg <&4
kill "$w" 2>/dev/null
trap - USR1
exec 3>&- 4>&-
rm -f "$r"
case $code in
    0) if [ "$op" = get ]; then mv -f "$s/prefetched/$name" "$dest" || exit 3; fi; exit 0 ;;
    1) exit 1 ;;
    [2-5]) echo "pgha archive: $msg" >&2; exit "$code" ;;
    *) echo "pgha archive: the archive server gave no answer" >&2; exit 3 ;;
esac
