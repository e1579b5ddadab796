#!/usr/bin/python3
"""The libpq write load of bench/sets.sh's moves: a psycopg2 client that updates a row of
pgbench_branches, one autocommit UPDATE about every 5 ms, on whichever of the given servers
accepts writes to the set. Both servers are primaries (a replication set's origin and its
subscriber), so target_session_attrs cannot choose: after any error the client drops its
connection and connects to the next server, as an application with a list of servers would.

Prints CLOCK_MONOTONIC nanoseconds of each acknowledged UPDATE, one per line, on stdout; stops at
EOF on stdin.

usage: sets_libpq_writer.py BID DSN [DSN ...]
"""
import sys
import threading
import time

import psycopg2

from libpq_writer import drop


def main():
    bid, dsns = int(sys.argv[1]), sys.argv[2:]
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    conn = None
    target = 0
    while not stop.is_set():
        try:
            if conn is None:
                conn = psycopg2.connect(dsns[target])
                conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = %s", (bid,))
            sys.stdout.write("%d\n" % time.monotonic_ns())
            sys.stdout.flush()
            time.sleep(0.005)
        except psycopg2.Error:
            conn = drop(conn)
            target = (target + 1) % len(dsns)


if __name__ == "__main__":
    main()
