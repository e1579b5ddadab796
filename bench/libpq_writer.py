#!/usr/bin/python3
"""The write load of a user's own libpq client, for bench/failover.sh.

Writes numbered rows, one autocommit INSERT each, about 200 a second, through a multi-host
connection string with target_session_attrs=read-write and connect_timeout=1 (what libpq gives
every application: psycopg2, psql, pgbench, Ruby's pg, ...). After an error it drops the
connection, waits 20 ms and connects again, retrying the same row (ON CONFLICT DO NOTHING: a commit
whose answer was lost is not written twice, and is acknowledged once the retry answers).

Prints one line per acknowledged row on stdout: "ID MONOTONIC_NS WALL_MS". The monotonic clock is
CLOCK_MONOTONIC, the clock of Java's System.nanoTime() on Linux, so the benchmark compares the two
clients' acknowledgements on one time line. Stops at EOF on stdin (the benchmark closing the pipe).

usage: libpq_writer.py DSN TABLE
"""
import sys
import threading
import time

import psycopg2

PERIOD_S = 0.005  # pause between two rows (about 200 rows a second with the round trip)
RETRY_S = 0.020  # pause after an error before connecting again


def main():
    dsn, table = sys.argv[1], sys.argv[2]
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    conn = None
    next_id = 1
    created = False
    while not stop.is_set():
        try:
            if conn is None:
                conn = psycopg2.connect(dsn)
                conn.autocommit = True
            with conn.cursor() as cur:
                if not created:
                    cur.execute(
                        "CREATE TABLE IF NOT EXISTS %s (id bigint PRIMARY KEY, at timestamptz DEFAULT now())"
                        % table)
                    created = True
                cur.execute("INSERT INTO %s (id) VALUES (%%s) ON CONFLICT DO NOTHING" % table, (next_id,))
            sys.stdout.write("%d %d %d\n" % (next_id, time.monotonic_ns(), time.time_ns() // 1_000_000))
            sys.stdout.flush()
            next_id += 1
            time.sleep(PERIOD_S)
        except psycopg2.Error:
            conn = drop(conn)
            time.sleep(RETRY_S)


def drop(conn):
    """Closes a connection that failed (if any), whatever state it is in; returns None."""
    if conn is not None:
        try:
            conn.close()
        except psycopg2.Error:
            pass
    return None


if __name__ == "__main__":
    main()
